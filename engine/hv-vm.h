/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm.h: one VM in the engine: its config, its QEMU process, its state.
 *
 * An HvVm owns the D-Bus skeleton that represents it (HvDbusVm) and keeps that
 * skeleton's properties true; hv-engine.c exports the skeleton on every client
 * connection and forwards method calls here. */
#pragma once

#include <gio/gio.h>

#include "hv-config.h"
#include "hv-dbus-generated.h"
#include "hv-qemu-argv.h"

G_BEGIN_DECLS

typedef enum {
  HV_VM_STATE_POWEROFF,
  HV_VM_STATE_STARTING,
  HV_VM_STATE_RUNNING,
  HV_VM_STATE_PAUSED,
  HV_VM_STATE_STOPPING,
  HV_VM_STATE_ABORTED,
  HV_VM_STATE_INACCESSIBLE,
} HvVmState;

#define HV_TYPE_VM (hv_vm_get_type ())
G_DECLARE_FINAL_TYPE (HvVm, hv_vm, HV, VM, GObject)

/* `dir` is the VM's directory (holding vm.xml); `run_base` the engine's runtime
 * directory. Loads the config; a config that cannot be loaded gives an
 * inaccessible VM that keeps the error, never a failure. */
HvVm         *hv_vm_new_from_dir      (const char *dir, const char *run_base,
                                       const HvQemuCaps *caps);
/* The engine's networks (hv-network.h), which the VM's bridged, host-only and internal
 * adapters attach to when it starts. */
void          hv_vm_set_networks      (HvVm *self, HvNetworks *networks);

const char   *hv_vm_get_uuid          (HvVm *self);
const char   *hv_vm_get_name          (HvVm *self);
const char   *hv_vm_get_folder        (HvVm *self);
const char   *hv_vm_get_dir           (HvVm *self);
HvVmState     hv_vm_get_state         (HvVm *self);
const char   *hv_vm_state_to_string   (HvVmState state);
/* The config, or NULL while inaccessible. */
const HvVmConfig *hv_vm_get_config    (HvVm *self);
HvDbusVm     *hv_vm_get_skeleton      (HvVm *self);
char         *hv_vm_dup_object_path   (HvVm *self);
/* TRUE while a QEMU process exists for it (starting, running, paused, stopping) */
gboolean      hv_vm_is_active         (HvVm *self);

/* If an earlier engine left QEMU running for this VM, take it over (connect QMP, watch
 * the process). Otherwise clean stale runtime files. Never fails: what cannot be
 * reattached is logged in the VM's log and leaves the VM powered off. `qemus` (may be
 * NULL), from hv_vm_find_qemus(), finds a QEMU whose pid file is missing or wrong. */
void          hv_vm_reattach          (HvVm *self, GHashTable *qemus);
/* The user's QEMUs started by an engine with this runtime directory: UUID → pid. */
GHashTable   *hv_vm_find_qemus        (const char *run_base);

/* Replace the config (already validated by the caller) and save it atomically. */
gboolean      hv_vm_set_config        (HvVm *self, HvVmConfig *config, GError **error);

void          hv_vm_start_async       (HvVm *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean      hv_vm_start_finish      (HvVm *self, GAsyncResult *result, GError **error);

/* Simple requests; each fails with HV_ERROR_INVALID_STATE when the state does not allow it. */
gboolean      hv_vm_stop              (HvVm *self, guint timeout_seconds, GError **error);
gboolean      hv_vm_power_off         (HvVm *self, GError **error);

typedef enum {
  HV_VM_ACTION_PAUSE,
  HV_VM_ACTION_RESUME,
  HV_VM_ACTION_RESET,
} HvVmAction;

void          hv_vm_action_async      (HvVm *self, HvVmAction action, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean      hv_vm_action_finish     (HvVm *self, GAsyncResult *result, GError **error);

/* Put a medium into drive @unit (0: the first, 1: the second, floppy B:) of `kind`
 * (HV_DRIVE_CDROM or HV_DRIVE_FLOPPY), or eject it when `path` is NULL or "". While QEMU runs
 * the guest sees the change at once; the config keeps the new medium either way. */
void          hv_vm_insert_media_async  (HvVm *self, HvDriveKind kind, guint unit,
                                         const char *path,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean      hv_vm_insert_media_finish (HvVm *self, GAsyncResult *result, GError **error);

/* A PNG of the screen: returns a read-only fd (the file is already unlinked). */
void          hv_vm_screenshot_async  (HvVm *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
int           hv_vm_screenshot_finish (HvVm *self, GAsyncResult *result, GError **error);

/* A socket connected to the serial console ("serial") or VNC server ("vnc"). */
int           hv_vm_open_socket       (HvVm *self, const char *which, GError **error);

/* Power off if needed and wait for QEMU to be gone (used by delete and engine exit). */
void          hv_vm_ensure_off_async  (HvVm *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean      hv_vm_ensure_off_finish (HvVm *self, GAsyncResult *result, GError **error);

/* Shared folders. The path must be an existing directory, never "/". While the VM is
 * powered off only its config changes. While it runs with virtiofs shares (see
 * HvShareTransport) a share is also added to the running guest (virtiofsd, device_add;
 * the agent mounts it) or removed from it (the agent unmounts it, device_del, and the
 * guest must let go of the device within 30 s, else HV_ERROR_TIMEOUT and it stays).
 * With 9p shares a running VM refuses both (HV_ERROR_INVALID_STATE); one change at a time
 * (HV_ERROR_BUSY). */
void          hv_vm_add_share_async     (HvVm *self, const char *name, const char *path,
                                         gboolean readonly, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean      hv_vm_add_share_finish    (HvVm *self, GAsyncResult *result, GError **error);
void          hv_vm_remove_share_async  (HvVm *self, const char *name, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean      hv_vm_remove_share_finish (HvVm *self, GAsyncResult *result, GError **error);

/* The engine's side of the running VM's clipboard (see hv-agent.h). */
gboolean      hv_vm_set_clipboard     (HvVm *self, const char *mime, GBytes *data,
                                       GError **error);
GBytes       *hv_vm_get_clipboard     (HvVm *self, char **mime, GError **error);

/* Append a line to the VM's log (logs/vm.log), with a time stamp. */
void          hv_vm_log               (HvVm *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
