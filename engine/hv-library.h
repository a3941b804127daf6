/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-library.h: the user's VMs and folders on disk.
 *
 * Layout: LIBRARY/vms/<uuid>/vm.xml (one directory per VM, named by its UUID, never
 * by its user-chosen name) and LIBRARY/library.ini (the folder list, empty folders
 * too). A VM whose config cannot be read stays listed, inaccessible, untouched. */
#pragma once

#include <gio/gio.h>

#include "hv-vm.h"

G_BEGIN_DECLS

#define HV_TYPE_LIBRARY (hv_library_get_type ())
G_DECLARE_FINAL_TYPE (HvLibrary, hv_library, HV, LIBRARY, GObject)

/* Loads every VM and the folder index; reattaches to QEMUs still running. */
HvLibrary  *hv_library_new              (const char *path, const char *run_base,
                                         const HvQemuCaps *caps, GError **error);
const char *hv_library_get_path         (HvLibrary *self);
/* HvVm*, borrowed, in load/creation order */
GPtrArray  *hv_library_get_vms          (HvLibrary *self);
/* The engine's networks (hv-network.h), borrowed. */
HvNetworks *hv_library_get_networks     (HvLibrary *self);
/* The QEMU capabilities the library was loaded with (NULL: no QEMU found), borrowed. */
const HvQemuCaps *hv_library_get_caps   (HvLibrary *self);
/* By UUID first, then by name. HV_ERROR_NOT_FOUND: 'No VM named "x"'. */
HvVm       *hv_library_find_vm          (HvLibrary *self, const char *name_or_uuid,
                                         GError **error);
gboolean    hv_library_any_active       (HvLibrary *self);

/* Every folder: the index's and those VMs are in, with their parents; sorted. */
char      **hv_library_dup_folders      (HvLibrary *self);
gboolean    hv_library_create_folder    (HvLibrary *self, const char *path, GError **error);
gboolean    hv_library_rename_folder    (HvLibrary *self, const char *path, const char *new_path,
                                         GError **error);
gboolean    hv_library_delete_folder    (HvLibrary *self, const char *path, GError **error);

/* `options` is the a{sv} of the D-Bus CreateVm method. Nothing is left on disk when
 * this fails. */
void        hv_library_create_vm_async  (HvLibrary *self, const char *name, GVariant *options,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
HvVm       *hv_library_create_vm_finish (HvLibrary *self, GAsyncResult *result, GError **error);

/* `options`: the a{sv} of the D-Bus Modify method. */
/* Modify's "disk-size": a new qcow2 disk of gib GiB in the VM's directory (disk0.qcow2, or
 * the first free diskN.qcow2) becomes its hard disk. Only for a powered-off VM without one. */
void        hv_library_add_disk_async   (HvLibrary *self, HvVm *vm, guint64 gib,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean    hv_library_add_disk_finish  (HvLibrary *self, GAsyncResult *result, GError **error);
gboolean    hv_library_modify_vm        (HvLibrary *self, HvVm *vm, GVariant *options,
                                         GError **error);
gboolean    hv_library_move_vm          (HvLibrary *self, HvVm *vm, const char *folder,
                                         GError **error);
void        hv_library_delete_vm_async  (HvLibrary *self, HvVm *vm, gboolean keep_files,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean    hv_library_delete_vm_finish (HvLibrary *self, GAsyncResult *result, GError **error);

/* For hv-vm-clone.c. A VM made in @tmp_dir (a ".new-XXXXXX" directory in
 * hv_library_get_vms_dir(), which the next engine removes if it stays): @config is saved
 * there as vm.xml (the name checked free once more), the directory renamed to the VM's UUID,
 * the VM added and "vm-added" emitted; @log_line goes to its log. Returns the VM (borrowed). */
HvVm       *hv_library_register_vm      (HvLibrary *self, const char *tmp_dir, HvVmConfig *config,
                                         const char *log_line, GError **error);
const char *hv_library_get_vms_dir      (HvLibrary *self);
/* HV_ERROR_EXISTS when a VM has this name. */
gboolean    hv_library_check_name_free  (HvLibrary *self, const char *name, GError **error);
/* Whether any VM has an adapter with @mac (case-insensitive). */
gboolean    hv_library_mac_in_use       (HvLibrary *self, const char *mac);

/* Signals: "vm-added" (HvVm *), "vm-removed" (HvVm *), "folders-changed" (),
 *          "vm-state-changed" (HvVm *) */

G_END_DECLS
