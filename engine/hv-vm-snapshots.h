/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots.h: a VM's snapshots and saved state (hv-vm-snapshots.c; docs/snapshots.md).
 *
 * One operation at a time per VM (Operation on D-Bus; a second one fails with
 * HV_ERROR_BUSY). Live snapshots and the saved state are QMP `snapshot-save` jobs with an
 * explicit device list (every writable qcow2 disk) and the system disk (the first disk) for
 * the RAM; disk-only snapshots of a powered-off VM are `qemu-img snapshot -c`. The UEFI
 * variables are copied beside each snapshot and put back on restore. */
#pragma once

#include <gio/gio.h>

#include "hv-vm.h"

G_BEGIN_DECLS

/* TakeSnapshot: `name` "" gives "Snapshot N"; `disk_only` makes a running VM's snapshot
 * without RAM. Returns the new id (free it). */
void      hv_vm_take_snapshot_async      (HvVm *self, const char *name, const char *description,
                                          gboolean disk_only, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
char     *hv_vm_take_snapshot_finish     (HvVm *self, GAsyncResult *result, GError **error);
void      hv_vm_restore_snapshot_async   (HvVm *self, const char *id, gboolean force,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean  hv_vm_restore_snapshot_finish  (HvVm *self, GAsyncResult *result, GError **error);
void      hv_vm_delete_snapshot_async    (HvVm *self, const char *id, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean  hv_vm_delete_snapshot_finish   (HvVm *self, GAsyncResult *result, GError **error);
gboolean  hv_vm_edit_snapshot            (HvVm *self, const char *id, const char *name,
                                          const char *description, GError **error);
/* A read-only fd of the snapshot's thumbnail.png. */
int       hv_vm_snapshot_thumbnail       (HvVm *self, const char *id, GError **error);

void      hv_vm_save_state_async         (HvVm *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean  hv_vm_save_state_finish        (HvVm *self, GAsyncResult *result, GError **error);
void      hv_vm_discard_saved_state_async  (HvVm *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
gboolean  hv_vm_discard_saved_state_finish (HvVm *self, GAsyncResult *result, GError **error);

/* TRUE while a snapshot operation runs or a saved state waits: the config must not change
 * (Modify refuses with the error set). */
gboolean  hv_vm_snapshots_check_modify   (HvVm *self, GError **error);

/* No snapshot operation runs (HV_ERROR_BUSY otherwise): Start is possible. */
gboolean  hv_vm_snapshots_check_idle     (HvVm *self, GError **error);

/* The VM's one long operation (Operation, OperationProgress on D-Bus), shared by snapshots,
 * the saved state and clones (hv-vm-clone.c): begin fails with HV_ERROR_BUSY while another
 * runs (or the VM starts or stops); progress is 0..1, or -1 when not known. */
gboolean  hv_vm_operation_begin          (HvVm *self, const char *operation, GError **error);
void      hv_vm_operation_set_progress   (HvVm *self, double progress);
void      hv_vm_operation_end            (HvVm *self);

G_END_DECLS
