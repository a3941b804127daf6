/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-clone.h: a new VM from another one's current state or from one of its snapshots
 * (Vm.Clone), and the base images of linked clones.
 *
 * Full clone: every writable disk is copied (`qemu-img convert`; a qcow2 disk from a
 * snapshot with `-l snapshot.name=hv-<id>`). Linked clone: the state of each writable qcow2
 * disk is exported once to LIBRARY/bases/<uuid>.qcow2 (mode 0444), and the clone's disk is a
 * qcow2 overlay on it (`-F qcow2`) whose drive names it in vm.xml (HvDrive.backing). A base
 * belongs to the library, not to the VM it came from: it stays while any VM (or a kept
 * config, or a snapshot's config) names it and goes with the last one, so the source VM of a
 * linked clone can be deleted like any other.
 *
 * Nothing is ever read through a backing file that the engine did not set: every image is
 * opened with an explicit driver and an explicit backing (the base the config names, or
 * none), and a source image whose header names a backing file the config does not is
 * refused. */
#pragma once

#include <gio/gio.h>

#include "hv-library.h"
#include "hv-vm.h"

G_BEGIN_DECLS

typedef struct {
  const char *snapshot_id;  /* NULL or "": the current state (the VM must be powered off) */
  gboolean linked;
  gboolean keep_macs;       /* FALSE: new MAC addresses, unique in the library */
  const char *folder;       /* NULL: the source's folder */
} HvCloneOptions;

/* Clone @source into a new VM named @name. Errors: HV_ERROR_INVALID_ARGUMENT (name, folder,
 * snapshot id), HV_ERROR_EXISTS (the name is taken), HV_ERROR_NOT_FOUND (no such snapshot),
 * HV_ERROR_INVALID_STATE (the current state of a VM that runs), HV_ERROR_BUSY (another
 * operation on @source), HV_ERROR_NOT_SUPPORTED (qemu-img missing; an image that cannot be
 * cloned), HV_ERROR_IO. While it runs @source's Operation is "clone" and OperationProgress
 * goes from 0 to 1. A failed clone leaves nothing behind. */
void        hv_vm_clone_async        (HvLibrary *library, HvVm *source, const char *name,
                                      const HvCloneOptions *options, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
/* The new VM (a new reference). */
HvVm       *hv_vm_clone_finish       (HvLibrary *library, GAsyncResult *result, GError **error);

/* How many clones are being made now (the engine does not exit meanwhile). */
guint       hv_vm_clone_n_running    (void);

/* The image at @path as qemu-img's json: filename: an explicit driver for @format and the
 * file, and as backing @backing (itself without one) or none, whatever the header says. */
char       *hv_clone_image_json      (const char *path, HvDiskFormat format, const char *backing);
/* The config of a state that a clone or an export copies: @source's own (@snapshot_id NULL;
 * *@state_dir its directory) or the snapshot's (@snapshot_id a lower-case UUID, checked: it
 * becomes a path; *@state_dir the snapshot's directory). NULL with HV_ERROR_INVALID_ARGUMENT,
 * HV_ERROR_NOT_FOUND or HV_ERROR_INVALID_CONFIG (a snapshot config of another VM). */
HvVmConfig *hv_vm_load_state_config  (HvVm *source, const char *snapshot_id, char **state_dir,
                                      GError **error);
/* Every drive's backing of @config, a VM of the library whose VM directory is @vm_dir
 * (LIBRARY/vms/<uuid>), is a base this engine makes: LIBRARY/bases/<uuid>.qcow2. @at_start:
 * the file must also be a regular file (not a link). HV_ERROR_INVALID_CONFIG otherwise, with a
 * message that names the drive and the path. */
gboolean    hv_clone_check_backings  (const HvVmConfig *config, const char *vm_dir,
                                      gboolean at_start, GError **error);

/* Remove from LIBRARY/bases/ every base that no file in LIBRARY/vms/ names any more (vm.xml,
 * vm.xml.deleted, snapshots/<id>/vm.xml) and that no clone in progress is making;
 * @startup: also what an interrupted export left (".new-*"). */
void        hv_clone_collect_bases   (const char *library_path, gboolean startup);

G_END_DECLS
