/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots-private.h: what hv-vm-snapshots.c (take, delete, edit, the properties),
 * hv-vm-snapshots-load.c (restore, save state, loading before `cont`) and
 * hv-vm-snapshots-reconcile.c (after a crash) share. */
#pragma once

#include <json-glib/json-glib.h>

#include "hv-snapshot-store.h"
#include "hv-vm-private.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray *paths;    /* char*: absolute paths of the writable qcow2 disks */
  GPtrArray *nodes;    /* char*: their format nodes */
  char *vmstate_node;  /* the system disk's (the first), NULL without disks */
} DiskPlan;

typedef struct {
  HvSnapshot *snapshot;
  DiskPlan plan;
  char *tag;
  HvVmConfig *config;      /* restore: the snapshot's config */
  GBytes *thumbnail;
  gboolean force;
  gboolean disk_only;
  gboolean was_paused;     /* save state: the guest was paused when asked */
  const char *operation;
} Op;

/* The operation in progress (Operation on D-Bus) */
gboolean  hv_snap_busy              (HvVm *self);
gboolean  hv_snap_has_saved_state   (HvVm *self);
gboolean  hv_snap_begin_op          (HvVm *self, const char *operation, GError **error);
void      hv_snap_end_op            (HvVm *self);
/* A task whose data is a new Op; hv_snap_op_return() ends the operation and completes it with
 * `error` (taken) or success. */
GTask    *hv_snap_op_task           (HvVm *self, const char *operation, gpointer source_tag,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
Op       *hv_snap_task_op           (GTask *task);
HvVm     *hv_snap_task_vm           (GTask *task);
void      hv_snap_op_return         (GTask *task, GError *error);

/* Disks */
/* Every writable disk of `config` must be qcow2 (a raw one is refused, naming it); at least one. */
gboolean  hv_snap_plan_disks        (HvVm *self, const HvVmConfig *config, DiskPlan *plan,
                                     GError **error);
void      hv_snap_disk_plan_clear   (DiskPlan *plan);
char     *hv_snap_nvram_path        (HvVm *self);
GPtrArray *hv_snap_snapshot_paths   (const HvSnapshot *snapshot);
/* Prefixes `error` with a clear message when the disk holding `path` is full. */
void      hv_snap_explain_full_disk (HvVm *self, const char *path, GError **error);

/* Tags */
gboolean  hv_snap_delete_tag_offline (GPtrArray *paths, const char *tag, GError **error);
/* QEMU says success for a tag it does not have: read the images. */
gboolean  hv_snap_verify_tag_gone   (GPtrArray *paths, const char *tag, GError **error);
/* Remove `tag` from every image: through QEMU for those it has open, qemu-img for the others
 * (in a worker thread), then a check that none holds it any more (in a worker thread too). */
void      hv_snap_remove_tag_async  (HvVm *self, GPtrArray *paths, const char *tag,
                                     GAsyncReadyCallback callback, gpointer user_data);
gboolean  hv_snap_remove_tag_finish (HvVm *self, GAsyncResult *result, GPtrArray *paths,
                                     const char *tag, GError **error);
/* What a failed save may have left of `tag` goes (in the background for open disks). */
void      hv_snap_take_fail_cleanup_tag (HvVm *self, GPtrArray *paths, const char *tag);

/* hv-vm-snapshots-load.c: a restore's powered-off part (disks, UEFI variables, config, load
 * marker), which the reconcile redoes after a crash. */
gboolean  hv_snap_restore_offline   (HvVm *self, const HvSnapshot *snapshot, GError **error);

/* hv-vm-snapshots-inproc.c: a live snapshot loaded into the running QEMU when its config
 * gives the same QEMU (`task` a restore whose Op has the snapshot and tag, markers not yet
 * written). FALSE (logged why) when it does not fit: the caller goes the new-QEMU way. TRUE:
 * the task is answered when done. */
gboolean  hv_snap_restore_in_process (GTask *task);
/* Whether the operation marker `pending` is an in-process restore's. */
gboolean  hv_snap_is_in_process_marker (const char *pending);
/* Reattached to a QEMU with that marker, whose status is `status` (NULL: unknown). */
void      hv_snap_reconcile_in_process (HvVm *self, const char *status);

/* Logs how long the QMP job of `command` (finished) paused the guest, for the VM's log. */
void hv_snap_log_pause (HvVm *self, const char *command, GAsyncResult *job_result);

/* The snapshot `id` of the VM, or NULL with HV_ERROR_NOT_FOUND. */
HvSnapshot *hv_snap_find (HvVm *self, const char *id, GError **error);
/* Begin `operation` on the snapshot `id` for `task` (an hv_snap_op_task()): NULL when another
 * operation runs or there is no such snapshot, the task then answered and released. */
HvSnapshot *hv_snap_op_begin_on (HvVm *self, GTask *task, const char *operation,
                                 const char *id);

G_END_DECLS
