/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots-load.c: what brings a state back or keeps one: restore a snapshot, save
 * and discard the saved state, and load either before the guest runs (hv_vm_snapshots_continue).
 * See hv-vm-snapshots.h and docs/snapshots.md. */
#include "hv-vm-snapshots.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-snapshot-qemu.h"
#include "hv-snapshot-store.h"
#include "hv-vm-snapshots-private.h"
#include "hv-vm-snapshots-shares.h"

/* ----------------------------------------------------------------------------
 * Restore
 */

/* The powered-off part of a restore, which a crash makes the next engine redo: the disks
 * back to the snapshot, the UEFI variables, the config. A live snapshot's state is loaded
 * by the next start (the load marker). In three steps so that qemu-img (a saved state's
 * removal, each disk's revert: seconds on a large image) can run in a worker thread while the
 * engine serves its other VMs: what to do is decided on the main thread from the VM and the
 * snapshot, the disks are changed by paths alone, and the rest is back on the main thread. */
typedef struct {
  HvVmConfig *config;      /* the snapshot's, with the VM's name and folder */
  GPtrArray *saved_paths;  /* the disks whose saved-state tag goes (NULL: none) */
  GPtrArray *apply_paths;  /* the snapshot's own disks, each checked against its config */
  char *tag;
  char *snapshot_id;
  gboolean live;
} RestorePlan;

static void
restore_plan_free (RestorePlan *rp)
{
  g_clear_pointer (&rp->config, hv_vm_config_free);
  g_clear_pointer (&rp->saved_paths, g_ptr_array_unref);
  g_clear_pointer (&rp->apply_paths, g_ptr_array_unref);
  g_free (rp->tag);
  g_free (rp->snapshot_id);
  g_free (rp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestorePlan, restore_plan_free)

static RestorePlan *
restore_plan (HvVm             *self,
              const HvSnapshot *snapshot,
              GError          **error)
{
  g_autofree char *config_path = hv_snapshot_store_dup_path (self->snapshots, snapshot->id,
                                                             "vm.xml");
  g_autoptr(RestorePlan) rp = g_new0 (RestorePlan, 1);
  DiskPlan own = { 0, };

  rp->config = hv_vm_config_load (config_path, error);
  if (rp->config == NULL)
    return NULL;
  if (!g_str_equal (rp->config->uuid, self->uuid))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                   "%s: the UUID does not match the VM", config_path);
      return NULL;
    }
  /* The VM keeps its name and folder: the library knows it by them. */
  hv_set_str (&rp->config->name, self->config->name);
  hv_set_str (&rp->config->folder, self->config->folder);
  rp->tag = hv_snapshot_dup_tag (snapshot);
  rp->snapshot_id = g_strdup (snapshot->id);
  rp->live = snapshot->kind == HV_SNAPSHOT_LIVE;

  /* A saved state belongs to the state that is being thrown away. */
  if (hv_snap_has_saved_state (self))
    {
      DiskPlan plan = { 0, };

      if (hv_snap_plan_disks (self, self->config, &plan, NULL))
        {
          rp->saved_paths = g_ptr_array_ref (plan.paths);
          hv_snap_disk_plan_clear (&plan);
        }
    }
  /* Only the snapshot's own disks, as its config names them: snapshot.xml alone never makes
   * the engine write to a file. */
  if (!hv_snap_plan_disks (self, rp->config, &own, error))
    return NULL;
  rp->apply_paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < snapshot->disks->len; i++)
    {
      const HvSnapshotDisk *disk = g_ptr_array_index (snapshot->disks, i);
      gboolean known = FALSE;

      for (guint j = 0; j < own.paths->len && !known; j++)
        known = g_str_equal (g_ptr_array_index (own.paths, j), disk->path);
      if (!known)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                       "Snapshot %s names the disk %s, which its config does not have",
                       snapshot->id, disk->path);
          hv_snap_disk_plan_clear (&own);
          return NULL;
        }
      g_ptr_array_add (rp->apply_paths, g_strdup (disk->path));
    }
  hv_snap_disk_plan_clear (&own);
  return g_steal_pointer (&rp);
}

/* qemu-img only, on paths: safe in a worker thread. */
static gboolean
restore_disks (const RestorePlan *rp,
               GError           **error)
{
  if (rp->saved_paths != NULL)
    hv_snap_delete_tag_offline (rp->saved_paths, HV_SAVED_STATE_TAG, NULL);
  for (guint i = 0; i < rp->apply_paths->len; i++)
    if (!hv_qemu_img_snapshot ('a', g_ptr_array_index (rp->apply_paths, i), rp->tag, FALSE,
                               error))
      return FALSE;
  return TRUE;
}

static gboolean
restore_finish_config (HvVm        *self,
                       RestorePlan *rp,
                       GError     **error)
{
  g_autofree char *nvram_copy = hv_snapshot_store_dup_path (self->snapshots, rp->snapshot_id,
                                                            "nvram.fd");
  g_autofree char *nvram = hv_snap_nvram_path (self);

  hv_crash_point ("snapshot:restore-applied");
  if (g_file_test (nvram_copy, G_FILE_TEST_IS_REGULAR) &&
      !hv_snapshot_copy_file (nvram_copy, nvram, error))
    return FALSE;
  if (!hv_vm_set_config (self, rp->config, error))
    return FALSE;
  return hv_snapshot_store_set_load (self->snapshots, rp->live ? rp->tag : NULL, error);
}

gboolean
hv_snap_restore_offline (HvVm             *self,
                         const HvSnapshot *snapshot,
                         GError          **error)
{
  g_autoptr(RestorePlan) rp = restore_plan (self, snapshot, error);

  return rp != NULL && restore_disks (rp, error) && restore_finish_config (self, rp, error);
}

static void
restore_disks_thread (GTask        *task,
                      gpointer      source,
                      gpointer      data,
                      GCancellable *cancellable)
{
  GError *error = NULL;

  if (!restore_disks (data, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
restore_offline_async (HvVm               *self,
                       const HvSnapshot   *snapshot,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;
  RestorePlan *rp = restore_plan (self, snapshot, &error);

  g_task_set_source_tag (task, restore_offline_async);
  if (rp == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, rp, (GDestroyNotify) restore_plan_free);
  g_task_run_in_thread (task, restore_disks_thread);
}

static gboolean
restore_offline_finish (HvVm         *self,
                        GAsyncResult *result,
                        GError      **error)
{
  GTask *task = G_TASK (result);

  if (!g_task_propagate_boolean (task, error))
    return FALSE;
  return restore_finish_config (self, g_task_get_task_data (task), error);
}

static void
on_restore_started (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  GError *error = NULL;

  if (!hv_vm_start_finish (self, result, &error))
    {
      /* The disks are the snapshot's; the failed load left the VM powered off, and the next
       * start boots from them instead of trying that state again. */
      hv_snapshot_store_set_load (self->snapshots, NULL, NULL);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  /* The start loaded the state (hv_vm_snapshots_continue) and made it current. */
  hv_snap_op_return (task, NULL);
  g_object_unref (task);
}

static void
on_restored_offline (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  GError *error = NULL;

  if (!restore_offline_finish (self, result, &error))
    {
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  if (op->snapshot->kind == HV_SNAPSHOT_DISK)
    {
      if (!hv_snapshot_store_set_current (self->snapshots, op->snapshot->id, &error) ||
          !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
        {
          hv_snap_op_return (task, error);
          g_object_unref (task);
          return;
        }
      hv_snap_op_return (task, NULL);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:restore-starting");
  hv_vm_start_async (self, NULL, on_restore_started, task);
}

static void
on_restore_off (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  GError *error = NULL;

  if (!hv_vm_ensure_off_finish (self, result, &error))
    {
      hv_snapshot_store_set_load (self->snapshots, NULL, NULL);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  restore_offline_async (self, hv_snap_task_op (task)->snapshot, on_restored_offline, task);
}

void
hv_vm_restore_snapshot_async (HvVm               *self,
                              const char         *id,
                              gboolean            force,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task = hv_snap_op_task (self, "snapshot-restore", hv_vm_restore_snapshot_async,
                                 cancellable, callback, user_data);
  Op *op = hv_snap_task_op (task);
  HvSnapshot *snapshot;
  GError *error = NULL;

  snapshot = hv_snap_op_begin_on (self, task, "snapshot-restore", id);
  if (snapshot == NULL)
    return;
  if (hv_vm_is_active (self) && !force)
    {
      hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                    "VM \"%s\" is running: restoring loses its current state "
                                    "(use --force, or take a snapshot first)",
                                    hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  op->snapshot = hv_snapshot_copy (snapshot);
  hv_vm_log (self, "restoring snapshot %s", id);
  op->tag = hv_snapshot_dup_tag (snapshot);
  /* The same QEMU hardware: the state loads into the QEMU that runs. */
  if (hv_vm_is_active (self) && hv_snap_restore_in_process (task))
    return;
  /* A live one: the load marker too, so that a crash before the load is told apart from
   * one after it (hv_vm_snapshots_reconcile_live()). */
  if ((snapshot->kind == HV_SNAPSHOT_LIVE &&
       !hv_snapshot_store_set_load (self->snapshots, op->tag, &error)) ||
      !hv_snapshot_store_set_pending (self->snapshots, "restore", id, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:restore-marked");
  if (hv_vm_is_active (self))
    {
      hv_vm_ensure_off_async (self, NULL, on_restore_off, task);
      return;
    }
  restore_offline_async (self, op->snapshot, on_restored_offline, task);
}

gboolean
hv_vm_restore_snapshot_finish (HvVm         *self,
                               GAsyncResult *result,
                               GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------------------
 * Save state
 */

static void
on_saved_off (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  GError *error = NULL;

  if (!hv_vm_ensure_off_finish (self, result, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_snap_op_return (task, NULL);
  g_object_unref (task);
}

static void
on_state_saved (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  GError *error = NULL;

  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      hv_snap_explain_full_disk (self, g_ptr_array_index (op->plan.paths, 0), &error);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      /* A failed save may still have written a tag on some disk. */
      hv_snap_take_fail_cleanup_tag (self, op->plan.paths, HV_SAVED_STATE_TAG);
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_snap_log_pause (self, "save-state", result);
  hv_crash_point ("save-state:saved");
  if (!hv_snapshot_store_set_load_paused (self->snapshots, HV_SAVED_STATE_TAG, op->was_paused,
                                          &error) ||
      !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  /* QEMU 7.2 lets a guest that ran go on after the job, for the moment until QEMU ends: what
   * it does then is not in the state, and the load reverts the disks to the state's tag. */
  hv_vm_ensure_off_async (self, NULL, on_saved_off, task);
}

static void on_save_blockers (GObject *object, GAsyncResult *result, gpointer user_data);

static void
save_read_blockers (GTask *task)
{
  hv_qmp_execute_async (hv_snap_task_vm (task)->qmp, "query-migrate", NULL, -1, NULL,
                        on_save_blockers, task);
}

static void
on_save_blockers (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, NULL);
  JsonObject *o = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply)
                                                                 : NULL;
  JsonArray *reasons = o != NULL && json_object_has_member (o, "blocked-reasons") ?
                       json_object_get_array_member (o, "blocked-reasons") : NULL;
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;

  if (hv_snap_shares_try_park (task, reasons, save_read_blockers))
    return;   /* the guest tools take the shares out of the way (hv-vm-snapshots-shares.c) */
  if (reasons != NULL && json_array_get_length (reasons) > 0)
    {
      hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                    "QEMU cannot save this VM's running state: %s",
                                    json_array_get_string_element (reasons, 0)));
      g_object_unref (task);
      return;
    }
  if (!hv_snapshot_store_set_pending (self->snapshots, "save-state", NULL, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("save-state:marked");
  args = hv_snapshot_job_args (HV_SAVED_STATE_TAG, op->plan.vmstate_node, op->plan.nodes);
  hv_snapshot_qmp_job_async (self->qmp, "snapshot-save", args, NULL, on_state_saved, task);
}

void
hv_vm_save_state_async (HvVm               *self,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  GTask *task = hv_snap_op_task (self, "save-state", hv_vm_save_state_async,
                                 cancellable, callback, user_data);
  Op *op = hv_snap_task_op (task);
  GError *error = NULL;

  if (!hv_snap_begin_op (self, "save-state", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if ((self->state != HV_VM_STATE_RUNNING && self->state != HV_VM_STATE_PAUSED) ||
      self->qmp == NULL)
    {
      hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                                    hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!hv_snap_plan_disks (self, self->config, &op->plan, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  /* A state saved paused resumes paused. */
  op->was_paused = self->state == HV_VM_STATE_PAUSED;
  hv_vm_log (self, "saving the state%s", op->was_paused ? " (paused)" : "");
  hv_qmp_execute_async (self->qmp, "query-migrate", NULL, -1, NULL, on_save_blockers, task);
}

gboolean
hv_vm_save_state_finish (HvVm         *self,
                         GAsyncResult *result,
                         GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_discarded (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  GError *error = NULL;

  if (!hv_snap_remove_tag_finish (self, result, op->plan.paths, HV_SAVED_STATE_TAG, &error) ||
      !hv_snapshot_store_set_load (self->snapshots, NULL, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_snap_op_return (task, NULL);
  g_object_unref (task);
}

void
hv_vm_discard_saved_state_async (HvVm               *self,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  GTask *task = hv_snap_op_task (self, "discard-state", hv_vm_discard_saved_state_async,
                                 cancellable, callback, user_data);
  Op *op = hv_snap_task_op (task);
  GError *error = NULL;

  if (!hv_snap_begin_op (self, "discard-state", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (hv_vm_is_active (self) || !hv_snap_has_saved_state (self))
    {
      hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                    "VM \"%s\" has no saved state", hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!hv_snap_plan_disks (self, self->config, &op->plan, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  /* qemu-img in a worker thread: a large state takes a while to free. */
  hv_snap_remove_tag_async (self, op->plan.paths, HV_SAVED_STATE_TAG, on_discarded, task);
}

gboolean
hv_vm_discard_saved_state_finish (HvVm         *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------------------
 * Before the guest runs: a restored live snapshot or the saved state
 */

typedef struct {
  char *tag;
  GPtrArray *nodes;
  char *vmstate_node;
} Load;

static void
load_free (Load *load)
{
  g_free (load->tag);
  g_clear_pointer (&load->nodes, g_ptr_array_unref);
  g_free (load->vmstate_node);
  g_free (load);
}

static void
on_saved_state_dropped (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  GError *error = NULL;

  /* The state is loaded: the guest runs from it whatever happens to the tag. */
  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      hv_vm_log (self, "cannot drop the saved state after loading it: %s", error->message);
      g_clear_error (&error);
    }
  if (!hv_snapshot_store_set_load (self->snapshots, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  hv_vm_sync_skeleton (self);
  g_task_return_boolean (task, TRUE);
}

static void
on_state_loaded (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  GError *error = NULL;
  const char *pending_id = NULL;
  const char *pending = hv_snapshot_store_get_pending (self->snapshots, &pending_id);

  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      if (g_str_equal (load->tag, HV_SAVED_STATE_TAG))
        g_prefix_error (&error, "The saved state could not be loaded (discard it to start the "
                        "VM afresh): ");
      else
        g_prefix_error (&error, "The snapshot's running state could not be loaded: ");
      g_task_return_error (task, error);
      return;
    }
  hv_snap_log_pause (self, "snapshot-load", result);
  hv_crash_point ("snapshot:loaded");
  if (g_str_equal (load->tag, HV_SAVED_STATE_TAG))
    {
      g_autoptr(JsonObject) args = hv_snapshot_job_args (HV_SAVED_STATE_TAG, NULL, load->nodes);

      hv_snapshot_qmp_job_async (self->qmp, "snapshot-delete", args, NULL,
                                 on_saved_state_dropped, g_steal_pointer (&task));
      return;
    }
  /* A restore: the snapshot is current from now on. */
  if ((pending != NULL && g_str_equal (pending, "restore") &&
       !hv_snapshot_store_set_current (self->snapshots, pending_id, &error)) ||
      !hv_snapshot_store_set_load (self->snapshots, NULL, &error) ||
      (pending != NULL && g_str_equal (pending, "restore") &&
       !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  hv_vm_sync_skeleton (self);
  g_task_return_boolean (task, TRUE);
}

gboolean
hv_vm_snapshots_need_load (HvVm *self)
{
  return self->snapshots != NULL && hv_snapshot_store_get_load (self->snapshots) != NULL;
}

typedef struct {
  GAsyncReadyCallback cont_done;
  gpointer user_data;
  gboolean paused;     /* a snapshot taken while paused: it comes back paused */
} Continue;

/* Instead of `cont` for a paused snapshot: the start completes as after `cont` (the guest
 * has not run), then the VM is what the snapshot was, paused. */
static void
on_kept_paused (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  Continue *c = data;
  g_autoptr(HvVm) self = g_object_ref (HV_VM (c->user_data));

  c->cont_done (object, result, c->user_data);
  if (self->state == HV_VM_STATE_RUNNING)
    hv_vm_set_state (self, HV_VM_STATE_PAUSED, "");
  g_free (c);
}

static void
on_loaded_continue (GObject      *object,
                    GAsyncResult *result,
                    gpointer      data)
{
  HvVm *self = HV_VM (object);
  Continue *c = data;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (self->qmp != NULL && c->paused)
        {
          hv_qmp_execute_async (self->qmp, "query-status", NULL, -1, self->run_cancellable,
                                on_kept_paused, g_steal_pointer (&c));
          return;
        }
      if (self->qmp != NULL)
        hv_qmp_execute_async (self->qmp, "cont", NULL, -1, self->run_cancellable, c->cont_done,
                              c->user_data);
      else
        g_object_unref (c->user_data);   /* QEMU went away: its end completes the start */
    }
  else
    {
      g_autoptr(GTask) start = g_steal_pointer (&self->start_task);

      /* A failed load leaves QEMU paused mid-restore: it goes, and the start says why. */
      hv_vm_log (self, "%s; ending QEMU", error != NULL ? error->message : "QEMU is gone");
      if (start != NULL)
        g_task_return_new_error (start, error != NULL ? error->domain : HV_ERROR,
                                 error != NULL ? error->code : HV_ERROR_QEMU_FAILED, "%s",
                                 error != NULL ? error->message : "QEMU is gone");
      if (hv_vm_is_active (self))
        hv_vm_power_off (self, NULL);
      g_object_unref (c->user_data);
    }
  g_free (c);
}

void
hv_vm_snapshots_continue (HvVm               *self,
                          GAsyncReadyCallback cont_done,
                          gpointer            user_data)
{
  Continue *c = g_new0 (Continue, 1);
  GTask *task = g_task_new (self, NULL, on_loaded_continue, c);
  Load *load = g_new0 (Load, 1);
  DiskPlan plan = { 0, };
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;

  c->cont_done = cont_done;
  c->user_data = user_data;
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  if (!hv_vm_snapshots_need_load (self))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* The monitor is silent while the state loads: the start's deadline does not count it. */
  g_clear_handle_id (&self->start_deadline_id, g_source_remove);
  if (self->qmp == NULL || !hv_snap_plan_disks (self, self->config, &plan, &error))
    {
      if (error == NULL)
        error = g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED, "QEMU's monitor is gone");
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  load->tag = g_strdup (hv_snapshot_store_get_load (self->snapshots));
  {
    HvSnapshot *snapshot = g_str_has_prefix (load->tag, HV_SNAPSHOT_TAG_PREFIX) ?
                           hv_snapshot_store_find (self->snapshots,
                                                   load->tag + strlen (HV_SNAPSHOT_TAG_PREFIX)) :
                           NULL;

    c->paused = (snapshot != NULL && g_str_equal (snapshot->vm_state, "paused")) ||
                (g_str_equal (load->tag, HV_SAVED_STATE_TAG) &&
                 hv_snapshot_store_get_load_paused (self->snapshots));
  }
  load->nodes = g_steal_pointer (&plan.nodes);
  load->vmstate_node = g_steal_pointer (&plan.vmstate_node);
  hv_snap_disk_plan_clear (&plan);
  hv_vm_log (self, "loading %s before the guest runs", load->tag);
  args = hv_snapshot_job_args (load->tag, load->vmstate_node, load->nodes);
  hv_snapshot_qmp_job_async (self->qmp, "snapshot-load", args, NULL, on_state_loaded, task);
}

