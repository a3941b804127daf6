/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots.c: take, delete and edit snapshots, the D-Bus properties, the operation in
 * progress, and what the other parts share (disks, tags). Restore, the saved state and the
 * load before `cont` are in hv-vm-snapshots-load.c, the repair after a crash in
 * hv-vm-snapshots-reconcile.c. See hv-vm-snapshots.h and docs/snapshots.md.
 *
 * Crash rules (the engine may be SIGKILLed at any point; hv_crash_point() names them):
 * every operation writes its marker (snapshots/state) before it touches a disk and clears it
 * when it is whole. The next engine finishes or undoes what the marker names
 * (hv_vm_snapshots_reconcile_offline()/_live()): a take without its committed folder is
 * removed whole (tags and staging folder), a delete is finished, a restore is redone. */
#include "hv-vm-snapshots.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-snapshot-qemu.h"
#include "hv-snapshot-store.h"
#include "hv-vm-snapshots-private.h"
#include "hv-vm-snapshots-shares.h"

#define THUMBNAIL_MAX (16 * 1024 * 1024)

/* ----------------------------------------------------------------------------
 * State
 */

void
hv_vm_snapshots_init (HvVm *self)
{
  g_clear_pointer (&self->snapshots, hv_snapshot_store_free);
  self->snapshots = hv_snapshot_store_load (self->dir);
  for (guint i = 0; i < hv_snapshot_store_get_problems (self->snapshots)->len; i++)
    hv_vm_log (self, "snapshot left out: %s",
               (char *) g_ptr_array_index (hv_snapshot_store_get_problems (self->snapshots), i));
  hv_set_str (&self->operation, "");
}

void
hv_vm_snapshots_dispose (HvVm *self)
{
  g_clear_pointer (&self->snapshots, hv_snapshot_store_free);
  g_clear_pointer (&self->operation, g_free);
}

gboolean
hv_snap_has_saved_state (HvVm *self)
{
  return self->snapshots != NULL &&
         g_strcmp0 (hv_snapshot_store_get_load (self->snapshots), HV_SAVED_STATE_TAG) == 0;
}

gboolean
hv_snap_busy (HvVm *self)
{
  return self->operation != NULL && self->operation[0] != '\0';
}

void
hv_vm_snapshots_sync_skeleton (HvVm *self)
{
  HvDbusVm *s = self->skeleton;
  GVariantBuilder list;
  gboolean live = self->state == HV_VM_STATE_RUNNING || self->state == HV_VM_STATE_PAUSED;
  gboolean off = self->state == HV_VM_STATE_POWEROFF || self->state == HV_VM_STATE_ABORTED;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  if (self->snapshots != NULL)
    {
      g_autoptr(GPtrArray) all = hv_snapshot_store_list (self->snapshots);

      for (guint i = 0; i < all->len; i++)
        {
          const HvSnapshot *snap = g_ptr_array_index (all, i);
          g_autofree char *png = hv_snapshot_store_dup_path (self->snapshots, snap->id,
                                                             "thumbnail.png");
          GVariantBuilder d;

          g_variant_builder_init (&d, G_VARIANT_TYPE ("a{sv}"));
          g_variant_builder_add (&d, "{sv}", "id", g_variant_new_string (snap->id));
          g_variant_builder_add (&d, "{sv}", "name", g_variant_new_string (snap->name));
          g_variant_builder_add (&d, "{sv}", "description",
                                 g_variant_new_string (snap->description));
          g_variant_builder_add (&d, "{sv}", "parent", g_variant_new_string (snap->parent));
          g_variant_builder_add (&d, "{sv}", "created", g_variant_new_int64 (snap->created));
          g_variant_builder_add (&d, "{sv}", "kind",
                                 g_variant_new_string (hv_snapshot_kind_to_string (snap->kind)));
          g_variant_builder_add (&d, "{sv}", "vm-state", g_variant_new_string (snap->vm_state));
          g_variant_builder_add (&d, "{sv}", "machine-type",
                                 g_variant_new_string (snap->machine_type));
          g_variant_builder_add (&d, "{sv}", "vmstate-size",
                                 g_variant_new_uint64 (snap->vmstate_size));
          g_variant_builder_add (&d, "{sv}", "thumbnail",
                                 g_variant_new_boolean (g_file_test (png,
                                                                     G_FILE_TEST_IS_REGULAR)));
          g_variant_builder_add_value (&list, g_variant_builder_end (&d));
        }
    }
  hv_dbus_vm_set_snapshots (s, g_variant_builder_end (&list));
  hv_dbus_vm_set_current_snapshot (s, self->snapshots != NULL ?
                                      hv_snapshot_store_get_current (self->snapshots) : "");
  hv_dbus_vm_set_saved_state (s, off && hv_snap_has_saved_state (self));
  hv_dbus_vm_set_operation (s, self->operation != NULL ? self->operation : "");
  hv_dbus_vm_set_operation_progress (s, self->operation_progress);
  hv_dbus_vm_set_can_take_snapshot (s, self->config != NULL && !hv_snap_busy (self) &&
                                       (live || (off && !hv_snap_has_saved_state (self))));
  hv_dbus_vm_set_can_save_state (s, self->config != NULL && !hv_snap_busy (self) && live);
}

gboolean
hv_snap_begin_op (HvVm       *self,
                  const char *operation,
                  GError    **error)
{
  if (self->config == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" cannot be used: %s",
                   hv_vm_get_name (self), self->config_error);
      return FALSE;
    }
  if (!hv_vm_snapshots_check_idle (self, error))
    return FALSE;
  if (self->start_task != NULL || self->probe_task != NULL ||
      self->state == HV_VM_STATE_STARTING || self->state == HV_VM_STATE_STOPPING)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is starting or stopping",
                   hv_vm_get_name (self));
      return FALSE;
    }
  hv_set_str (&self->operation, operation);
  self->operation_progress = -1;
  hv_vm_sync_skeleton (self);
  return TRUE;
}

void
hv_snap_end_op (HvVm *self)
{
  hv_set_str (&self->operation, "");
  self->operation_progress = 0;
  hv_vm_sync_skeleton (self);
}

gboolean
hv_vm_snapshots_check_idle (HvVm    *self,
                            GError **error)
{
  if (hv_snap_busy (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is busy (%s)",
                   hv_vm_get_name (self), self->operation);
      return FALSE;
    }
  return TRUE;
}

HvSnapshot *
hv_snap_find (HvVm       *self,
              const char *id,
              GError    **error)
{
  HvSnapshot *snapshot = self->snapshots != NULL ? hv_snapshot_store_find (self->snapshots, id)
                                                 : NULL;

  if (snapshot == NULL)
    g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no snapshot %s",
                 hv_vm_get_name (self), id);
  return snapshot;
}

gboolean
hv_vm_snapshots_check_modify (HvVm    *self,
                              GError **error)
{
  if (!hv_vm_snapshots_check_idle (self, error))
    return FALSE;
  if (hv_snap_has_saved_state (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "VM \"%s\" has a saved state: start it, or discard the saved state first",
                   hv_vm_get_name (self));
      return FALSE;
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Disks
 */


void
hv_snap_disk_plan_clear (DiskPlan *plan)
{
  g_clear_pointer (&plan->paths, g_ptr_array_unref);
  g_clear_pointer (&plan->nodes, g_ptr_array_unref);
  g_clear_pointer (&plan->vmstate_node, g_free);
}

static char *
resolve_path (HvVm       *self,
              const char *path)
{
  return g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (self->dir, path, NULL);
}

/* Every writable disk of `config` must be qcow2: a writable raw disk is refused, naming it
 * (QEMU would refuse it in `devices`, and leaving it out would silently not snapshot it). */
gboolean
hv_snap_plan_disks (HvVm             *self,
                    const HvVmConfig *config,
                    DiskPlan         *plan,
                    GError          **error)
{
  plan->paths = g_ptr_array_new_with_free_func (g_free);
  plan->nodes = g_ptr_array_new_with_free_func (g_free);
  plan->vmstate_node = NULL;
  for (guint n = 0; n < config->drives->len; n++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, n);

      if (drive->kind != HV_DRIVE_DISK || drive->readonly || drive->path == NULL ||
          drive->path[0] == '\0')
        continue;
      if (drive->format != HV_DISK_FORMAT_QCOW2)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                       "Drive %u (%s) is a raw image, which cannot hold a snapshot: convert it "
                       "to qcow2 (qemu-img convert -f raw -O qcow2) or make it read-only",
                       n + 1, drive->path);
          hv_snap_disk_plan_clear (plan);
          return FALSE;
        }
      g_ptr_array_add (plan->paths, resolve_path (self, drive->path));
      g_ptr_array_add (plan->nodes, g_strdup_printf ("drive%u-format", n));
      if (plan->vmstate_node == NULL)
        plan->vmstate_node = g_strdup_printf ("drive%u-format", n);
    }
  if (plan->paths->len == 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "VM \"%s\" has no qcow2 hard disk to hold a snapshot: add one "
                   "(hostvisorctl modify --disk-size)", hv_vm_get_name (self));
      hv_snap_disk_plan_clear (plan);
      return FALSE;
    }
  return TRUE;
}

char *
hv_snap_nvram_path (HvVm *self)
{
  return g_build_filename (self->dir, "nvram.fd", NULL);
}

/* ----------------------------------------------------------------------------
 * One operation's data
 */


static void
op_free (Op *op)
{
  g_clear_pointer (&op->snapshot, hv_snapshot_free);
  hv_snap_disk_plan_clear (&op->plan);
  g_free (op->tag);
  g_clear_pointer (&op->config, hv_vm_config_free);
  g_clear_pointer (&op->thumbnail, g_bytes_unref);
  g_free (op);
}

Op *
hv_snap_task_op (GTask *task)
{
  return g_task_get_task_data (task);
}

HvVm *
hv_snap_task_vm (GTask *task)
{
  return g_task_get_source_object (task);
}

/* Ends the operation and completes the task with `error` (taken) or success. */
void
hv_snap_op_return (GTask  *task,
                   GError *error)
{
  HvVm *self = hv_snap_task_vm (task);

  if (hv_snap_shares_return (task, error))
    return;   /* shares parked for the snapshot come back first */
  hv_snap_end_op (self);
  if (error != NULL)
    {
      hv_vm_log (self, "%s failed: %s", hv_snap_task_op (task)->operation, error->message);
      g_task_return_error (task, error);
    }
  else
    {
      hv_vm_log (self, "%s done", hv_snap_task_op (task)->operation);
      g_task_return_boolean (task, TRUE);
    }
}

GTask *
hv_snap_op_task (HvVm               *self,
                 const char         *operation,
                 gpointer            source_tag,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  op->operation = operation;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  return task;
}

/* ----------------------------------------------------------------------------
 * Removing a tag from every disk (delete, and undoing a take)
 */

/* Offline: qemu-img snapshot -d on each path; a missing tag is fine. */
gboolean
hv_snap_delete_tag_offline (GPtrArray  *paths,
                            const char *tag,
                            GError    **error)
{
  for (guint i = 0; i < paths->len; i++)
    if (g_file_test (g_ptr_array_index (paths, i), G_FILE_TEST_EXISTS) &&
        !hv_qemu_img_snapshot ('d', g_ptr_array_index (paths, i), tag, TRUE, error))
      return FALSE;
  return TRUE;
}

/* QEMU says success for a tag it does not have: look at the images themselves. */
gboolean
hv_snap_verify_tag_gone (GPtrArray  *paths,
                         const char *tag,
                         GError    **error)
{
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autoptr(GHashTable) tags = NULL;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      tags = hv_qemu_img_list_tags (path, error);
      if (tags == NULL)
        return FALSE;
      if (g_hash_table_contains (tags, tag))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_QEMU_FAILED,
                       "The snapshot %s is still in %s after it was deleted", tag, path);
          return FALSE;
        }
    }
  return TRUE;
}

/* The nodes (of the running QEMU, from the current config) of those of `paths` that QEMU has
 * open; the others go to `offline`. */
static void
split_open_disks (HvVm       *self,
                  GPtrArray  *paths,
                  GPtrArray **nodes_out,
                  GPtrArray **offline_out)
{
  GPtrArray *nodes = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *offline = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      gboolean found = FALSE;

      for (guint n = 0; hv_vm_is_active (self) && n < self->config->drives->len && !found; n++)
        {
          const HvDrive *drive = g_ptr_array_index (self->config->drives, n);
          g_autofree char *resolved = NULL;

          if (drive->kind != HV_DRIVE_DISK || drive->path == NULL || drive->readonly ||
              drive->format != HV_DISK_FORMAT_QCOW2)
            continue;
          resolved = resolve_path (self, drive->path);
          if (g_str_equal (resolved, path))
            {
              g_ptr_array_add (nodes, g_strdup_printf ("drive%u-format", n));
              found = TRUE;
            }
        }
      if (!found)
        g_ptr_array_add (offline, g_strdup (path));
    }
  *nodes_out = nodes;
  *offline_out = offline;
}


/* A tag's removal: qemu-img (the disks QEMU has not open, then the check of every disk) runs
 * in a worker thread, so that a slow image does not stall the engine's other VMs; QEMU's own
 * job on the main thread between the two. */
typedef struct {
  GPtrArray *paths;      /* every disk, for the check */
  GPtrArray *offline;    /* those QEMU has not open */
  GPtrArray *nodes;      /* the others' nodes */
  char *tag;
} RemoveTag;

static void
remove_tag_free (RemoveTag *rt)
{
  g_ptr_array_unref (rt->paths);
  g_ptr_array_unref (rt->offline);
  g_ptr_array_unref (rt->nodes);
  g_free (rt->tag);
  g_free (rt);
}

static GPtrArray *
copy_paths (GPtrArray *paths)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < paths->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (paths, i)));
  return copy;
}

static void
offline_delete_thread (GTask        *task,
                       gpointer      source,
                       gpointer      data,
                       GCancellable *cancellable)
{
  RemoveTag *rt = data;
  GError *error = NULL;

  if (!hv_snap_delete_tag_offline (rt->offline, rt->tag, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
verify_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  RemoveTag *rt = data;
  GError *error = NULL;

  if (!hv_snap_verify_tag_gone (rt->paths, rt->tag, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Run `func` on the outer task's RemoveTag in a thread; `done` gets the outer task. */
static void
remove_tag_in_thread (GTask              *outer,
                      GTaskThreadFunc     func,
                      GAsyncReadyCallback done)
{
  g_autoptr(GTask) inner = g_task_new (g_task_get_source_object (outer), NULL, done, outer);

  g_task_set_task_data (inner, g_task_get_task_data (outer), NULL);
  g_task_run_in_thread (inner, func);
}

static void
on_tag_verified (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *outer = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (outer, error);
  else
    g_task_return_boolean (outer, TRUE);
  g_object_unref (outer);
}

static void
on_tag_deleted_live (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *outer = user_data;
  GError *error = NULL;

  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  remove_tag_in_thread (outer, verify_thread, on_tag_verified);
}

static void
on_offline_deleted (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *outer = user_data;
  HvVm *self = g_task_get_source_object (outer);
  RemoveTag *rt = g_task_get_task_data (outer);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  if (rt->nodes->len > 0 && self->qmp != NULL)
    {
      g_autoptr(JsonObject) args = hv_snapshot_job_args (rt->tag, NULL, rt->nodes);

      hv_snapshot_qmp_job_async (self->qmp, "snapshot-delete", args, NULL, on_tag_deleted_live,
                                 outer);
      return;
    }
  remove_tag_in_thread (outer, verify_thread, on_tag_verified);
}

/* Remove `tag` from every image of `paths`: through QEMU for those it has open, with
 * qemu-img for the others; then check that none holds it. */
void
hv_snap_remove_tag_async (HvVm               *self,
                          GPtrArray          *paths,
                          const char         *tag,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  RemoveTag *rt = g_new0 (RemoveTag, 1);

  split_open_disks (self, paths, &rt->nodes, &rt->offline);
  rt->paths = copy_paths (paths);
  rt->tag = g_strdup (tag);
  g_task_set_task_data (task, rt, (GDestroyNotify) remove_tag_free);
  remove_tag_in_thread (task, offline_delete_thread, on_offline_deleted);
}

/* `paths` and `tag` are those given to the async call (checked there). */
gboolean
hv_snap_remove_tag_finish (HvVm         *self,
                           GAsyncResult *result,
                           GPtrArray    *paths,
                           const char   *tag,
                           GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

GPtrArray *
hv_snap_snapshot_paths (const HvSnapshot *snapshot)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < snapshot->disks->len; i++)
    g_ptr_array_add (paths, g_strdup (((HvSnapshotDisk *) g_ptr_array_index (snapshot->disks,
                                                                             i))->path));
  return paths;
}

/* ----------------------------------------------------------------------------
 * Take
 */

static void take_save (GTask *task);

static void
on_job_ignored (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_snapshot_qmp_job_finish (result, &error))
    hv_vm_log (self, "cleaning up after a failed snapshot: %s", error->message);
}

/* Remove what a failed save may have left of `tag` (in the background for open disks). */
void
hv_snap_take_fail_cleanup_tag (HvVm       *self,
                               GPtrArray  *paths,
                               const char *tag)
{
  g_autoptr(GError) cleanup_error = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) offline = NULL;

  if (paths == NULL)
    return;
  split_open_disks (self, paths, &nodes, &offline);
  if (!hv_snap_delete_tag_offline (offline, tag, &cleanup_error))
    hv_vm_log (self, "cannot remove %s: %s", tag, cleanup_error->message);
  if (nodes->len > 0 && self->qmp != NULL)
    {
      g_autoptr(JsonObject) args = hv_snapshot_job_args (tag, NULL, nodes);

      hv_snapshot_qmp_job_async (self->qmp, "snapshot-delete", args, NULL, on_job_ignored,
                                 g_object_ref (self));
    }
}

/* QEMU words a full disk as "Input/output error": say what it is when the disk that gets
 * the running state has less room than the guest's RAM. */
void
hv_snap_explain_full_disk (HvVm       *self,
                           const char *path,
                           GError    **error)
{
  g_autofree char *dir = NULL;
  struct statvfs st;
  guint64 free_mib, need_mib;

  if (path == NULL || error == NULL || *error == NULL || self->config == NULL)
    return;
  dir = g_path_get_dirname (path);
  if (statvfs (dir, &st) != 0)
    return;
  free_mib = (guint64) st.f_bavail * st.f_frsize / (1024 * 1024);
  need_mib = self->config->memory_mib;
  if (free_mib < need_mib + 16)
    g_prefix_error (error, "Not enough free space for the running state on the disk that holds "
                    "%s (%" G_GUINT64_FORMAT " MiB free, up to %" G_GUINT64_FORMAT " MiB "
                    "needed): ", path, free_mib, need_mib);
}

static void
take_fail (GTask  *task,
           GError *error)
{
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);

  if (op->plan.paths != NULL && op->plan.paths->len > 0)
    hv_snap_explain_full_disk (self, g_ptr_array_index (op->plan.paths, 0), &error);

  /* Never a half-taken snapshot: whatever QEMU or qemu-img made goes, then the folder. */
  if (op->tag != NULL)
    hv_snap_take_fail_cleanup_tag (self, op->plan.paths, op->tag);
  if (op->snapshot != NULL)
    hv_snapshot_store_abort (self->snapshots, op->snapshot->id);
  hv_snap_op_return (task, error);
  g_object_unref (task);
}

static void
take_commit (GTask *task)
{
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  GError *error = NULL;
  g_autoptr(GHashTable) tags = NULL;

  hv_crash_point ("snapshot:take-saved");
  /* Every disk must hold the tag now, and the system disk says how big the state is. */
  for (guint i = 0; i < op->plan.paths->len; i++)
    {
      const char *path = g_ptr_array_index (op->plan.paths, i);

      g_clear_pointer (&tags, g_hash_table_unref);
      tags = hv_qemu_img_list_tags (path, &error);
      if (tags == NULL)
        {
          take_fail (task, error);
          return;
        }
      if (!g_hash_table_contains (tags, op->tag))
        {
          take_fail (task, g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED,
                                        "The snapshot was not written to %s", path));
          return;
        }
      if (i == 0)
        op->snapshot->vmstate_size = *(guint64 *) g_hash_table_lookup (tags, op->tag);
    }
  if (!hv_snapshot_store_commit (self->snapshots, op->snapshot, &error))
    {
      take_fail (task, error);
      return;
    }
  hv_crash_point ("snapshot:take-committed");
  hv_snap_op_return (task, NULL);
  g_object_unref (task);
}

static void
on_take_saved (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      take_fail (task, error);
      return;
    }
  hv_snap_log_pause (hv_snap_task_vm (task), "snapshot-save", result);
  take_commit (task);
}

static void
on_take_transaction (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL)
    {
      take_fail (task, error);
      return;
    }
  take_commit (task);
}

static void
take_save (GTask *task)
{
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  g_autoptr(HvVmConfig) config = hv_vm_config_copy (self->config);
  g_autofree char *nvram = hv_snap_nvram_path (self);
  gboolean uefi = self->config->firmware == HV_FIRMWARE_UEFI &&
                  g_file_test (nvram, G_FILE_TEST_IS_REGULAR);
  GError *error = NULL;

  if (!hv_snapshot_store_prepare (self->snapshots, op->snapshot, config,
                                  uefi ? nvram : NULL, op->thumbnail, &error))
    {
      g_clear_pointer (&op->snapshot, hv_snapshot_free);  /* nothing staged to abort */
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:take-marked");

  if (op->snapshot->kind == HV_SNAPSHOT_LIVE || hv_vm_is_active (self))
    {
      g_autoptr(JsonObject) args = NULL;

      if (self->qmp == NULL)
        {
          take_fail (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                        "The engine cannot reach QEMU's monitor"));
          return;
        }
      if (op->snapshot->kind == HV_SNAPSHOT_LIVE)
        {
          args = hv_snapshot_job_args (op->tag, op->plan.vmstate_node, op->plan.nodes);
          hv_snapshot_qmp_job_async (self->qmp, "snapshot-save", args, NULL, on_take_saved,
                                     task);
        }
      else
        {
          /* Disk-only while it runs: one transaction of internal snapshots, crash
           * consistent (the guest is not paused). */
          g_autoptr(JsonObject) targs = json_object_new ();
          JsonArray *actions = json_array_new ();

          for (guint i = 0; i < op->plan.nodes->len; i++)
            {
              JsonObject *action = json_object_new ();
              JsonObject *data = json_object_new ();

              json_object_set_string_member (action, "type", "blockdev-snapshot-internal-sync");
              json_object_set_string_member (data, "device",
                                             g_ptr_array_index (op->plan.nodes, i));
              json_object_set_string_member (data, "name", op->tag);
              json_object_set_object_member (action, "data", data);
              json_array_add_object_element (actions, action);
            }
          json_object_set_array_member (targs, "actions", actions);
          hv_qmp_execute_async (self->qmp, "transaction", targs, -1, NULL, on_take_transaction,
                                task);
        }
      return;
    }

  for (guint i = 0; i < op->plan.paths->len; i++)
    if (!hv_qemu_img_snapshot ('c', g_ptr_array_index (op->plan.paths, i), op->tag, FALSE,
                               &error))
      {
        take_fail (task, error);
        return;
      }
  take_commit (task);
}

static void
on_take_screenshot (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  g_autoptr(GError) error = NULL;
  int fd = hv_vm_screenshot_finish (self, result, &error);

  if (fd >= 0)
    {
      g_autoptr(GByteArray) data = g_byte_array_new ();
      guint8 buf[65536];
      gssize n;

      while ((n = read (fd, buf, sizeof buf)) > 0 && data->len < THUMBNAIL_MAX)
        g_byte_array_append (data, buf, n);
      close (fd);
      if (n == 0 && data->len > 0)
        op->thumbnail = g_byte_array_free_to_bytes (g_steal_pointer (&data));
    }
  else
    hv_vm_log (self, "no thumbnail for the snapshot: %s", error->message);
  take_save (task);
}

static void
on_take_machines (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, NULL);
  const char *alias = hv_machine_to_string (self->config->machine);
  JsonArray *machines = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ?
                        json_node_get_array (reply) : NULL;

  /* "q35" is an alias of this QEMU's newest versioned type: the snapshot keeps the
   * versioned one, which a later QEMU still knows. A pinned VM runs its own type. */
  for (guint i = 0; self->config->machine_type == NULL && machines != NULL &&
                    i < json_array_get_length (machines); i++)
    {
      JsonObject *m = json_array_get_object_element (machines, i);

      if (m != NULL && g_strcmp0 (json_object_get_string_member_with_default (m, "alias", NULL),
                                  alias) == 0)
        hv_set_str (&op->snapshot->machine_type,
                    json_object_get_string_member_with_default (m, "name", alias));
    }

  if (self->config->video != HV_VIDEO_NONE && op->snapshot->kind == HV_SNAPSHOT_LIVE)
    hv_vm_screenshot_async (self, NULL, on_take_screenshot, task);
  else
    take_save (task);
}

static void on_take_blockers (GObject *object, GAsyncResult *result, gpointer user_data);

static void
take_read_blockers (GTask *task)
{
  hv_qmp_execute_async (hv_snap_task_vm (task)->qmp, "query-migrate", NULL, -1, NULL,
                        on_take_blockers, task);
}

static void
on_take_blockers (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  JsonObject *o = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply)
                                                                 : NULL;
  JsonArray *reasons = o != NULL && json_object_has_member (o, "blocked-reasons") ?
                       json_object_get_array_member (o, "blocked-reasons") : NULL;

  /* With the guest tools, the shares leave the guest for the snapshot; else refused. */
  if (hv_snap_shares_try_park (task, reasons, take_read_blockers))
    return;
  if (reasons != NULL && json_array_get_length (reasons) > 0)
    {
      const char *text = json_array_get_string_element (reasons, 0);
      const char *share = NULL;

      /* QEMU names a 9p share by its host path and mount tag ("hvshareN", N its slot, see
       * hv-qemu-argv.c), a virtiofs one by its device; the user knows it by its name. */
      for (guint i = 0; i < self->config->shares->len && share == NULL; i++)
        {
          const HvShare *s = g_ptr_array_index (self->config->shares, i);
          g_autofree char *tag = g_strdup_printf ("'hvshare%u'", i);

          if (text != NULL && (strstr (text, tag) != NULL || strstr (text, s->path) != NULL))
            share = s->name;
        }
      if (share == NULL && self->config->shares->len > 0 && text != NULL &&
          (strstr (text, "VirtFS") != NULL || strstr (text, "vhost-user-fs") != NULL))
        share = ((HvShare *) g_ptr_array_index (self->config->shares, 0))->name;
      if (share != NULL && hv_snap_shares_tried (task))
        hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                      "The shared folder \"%s\" is still in use in the guest "
                                      "after the guest tools unmounted it (a program has a file "
                                      "or folder of it open): take a disk-only snapshot "
                                      "instead (--disk-only)", share));
      else if (share != NULL)
        hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                      "The shared folder \"%s\" is in use by the guest and "
                                      "blocks a snapshot with the running state (the guest "
                                      "tools are not running to unmount it): take a "
                                      "disk-only snapshot instead (--disk-only)", share));
      else
        hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                      "QEMU cannot save this VM's running state (%s): take a "
                                      "disk-only snapshot instead (--disk-only)",
                                      text != NULL ? text : "blocked"));
      g_object_unref (task);
      return;
    }
  hv_qmp_execute_async (self->qmp, "query-machines", NULL, -1, NULL, on_take_machines, task);
}

void
hv_vm_take_snapshot_async (HvVm               *self,
                           const char         *name,
                           const char         *description,
                           gboolean            disk_only,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask *task = hv_snap_op_task (self, "snapshot-take", hv_vm_take_snapshot_async,
                                 cancellable, callback, user_data);
  Op *op = hv_snap_task_op (task);
  gboolean live = self->state == HV_VM_STATE_RUNNING || self->state == HV_VM_STATE_PAUSED;
  g_autofree char *uuid = g_uuid_string_random ();
  GError *error = NULL;

  if ((name[0] != '\0' && !hv_snapshot_check_name (name, &error)) ||
      !hv_snapshot_check_description (description, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (!hv_snap_begin_op (self, "snapshot-take", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (!live && hv_vm_is_active (self))
    {
      hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is starting or stopping",
                                    hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!live && hv_snap_has_saved_state (self))
    {
      hv_snap_op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                    "VM \"%s\" has a saved state: start it or discard the "
                                    "saved state first", hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!hv_snap_plan_disks (self, self->config, &op->plan, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }

  op->snapshot = hv_snapshot_new ();
  hv_set_str (&op->snapshot->id, uuid);
  if (name[0] != '\0')
    hv_set_str (&op->snapshot->name, name);
  else
    {
      g_autofree char *next = hv_snapshot_store_next_name (self->snapshots);
      hv_set_str (&op->snapshot->name, next);
    }
  hv_set_str (&op->snapshot->description, description);
  hv_set_str (&op->snapshot->parent, hv_snapshot_store_get_current (self->snapshots));
  op->snapshot->created = g_get_real_time ();
  op->snapshot->kind = live && !disk_only ? HV_SNAPSHOT_LIVE : HV_SNAPSHOT_DISK;
  hv_set_str (&op->snapshot->vm_state, self->state == HV_VM_STATE_PAUSED ? "paused" :
                                       live ? "running" : "poweroff");
  /* The versioned type the state needs: the VM's pinned one, else what this QEMU's alias
   * stands for (a live take asks the running QEMU, on_take_machines()). */
  if (self->config->machine_type != NULL)
    hv_set_str (&op->snapshot->machine_type, self->config->machine_type);
  else if (self->caps != NULL &&
           hv_qemu_caps_machine_alias (self->caps, self->config->machine) != NULL)
    hv_set_str (&op->snapshot->machine_type,
                hv_qemu_caps_machine_alias (self->caps, self->config->machine));
  else
    hv_set_str (&op->snapshot->machine_type, hv_machine_to_string (self->config->machine));
  for (guint i = 0; i < op->plan.paths->len; i++)
    hv_snapshot_add_disk (op->snapshot, g_ptr_array_index (op->plan.paths, i),
                          g_ptr_array_index (op->plan.nodes, i),
                          op->snapshot->kind == HV_SNAPSHOT_LIVE && i == 0);
  op->tag = hv_snapshot_dup_tag (op->snapshot);
  hv_vm_log (self, "taking snapshot %s (%s)", op->snapshot->id,
             hv_snapshot_kind_to_string (op->snapshot->kind));

  if (live && self->qmp != NULL)
    {
      if (op->snapshot->kind == HV_SNAPSHOT_LIVE)
        hv_qmp_execute_async (self->qmp, "query-migrate", NULL, -1, NULL, on_take_blockers,
                              task);
      else
        hv_qmp_execute_async (self->qmp, "query-machines", NULL, -1, NULL, on_take_machines,
                              task);
      return;
    }
  take_save (task);
}

char *
hv_vm_take_snapshot_finish (HvVm         *self,
                            GAsyncResult *result,
                            GError      **error)
{
  GTask *task = G_TASK (result);
  Op *op = hv_snap_task_op (task);

  if (!g_task_propagate_boolean (task, error))
    return NULL;
  return g_strdup (op->snapshot->id);
}

/* ----------------------------------------------------------------------------
 * Delete
 */

static void
on_delete_tag_removed (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  g_autoptr(GPtrArray) paths = hv_snap_snapshot_paths (op->snapshot);
  GError *error = NULL;

  if (!hv_snap_remove_tag_finish (self, result, paths, op->tag, &error))
    {
      /* The marker stays: the next engine finishes the delete. */
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:delete-tags-gone");
  if (!hv_snapshot_store_remove (self->snapshots, op->snapshot->id, &error) ||
      !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_snap_op_return (task, NULL);
  g_object_unref (task);
}

void
hv_vm_delete_snapshot_async (HvVm               *self,
                             const char         *id,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTask *task = hv_snap_op_task (self, "snapshot-delete", hv_vm_delete_snapshot_async,
                                 cancellable, callback, user_data);
  Op *op = hv_snap_task_op (task);
  HvSnapshot *snapshot;
  g_autoptr(GPtrArray) paths = NULL;
  GError *error = NULL;

  snapshot = hv_snap_op_begin_on (self, task, "snapshot-delete", id);
  if (snapshot == NULL)
    return;
  op->snapshot = hv_snapshot_copy (snapshot);
  op->tag = hv_snapshot_dup_tag (snapshot);
  hv_vm_log (self, "deleting snapshot %s", id);
  if (!hv_snapshot_store_set_pending (self->snapshots, "delete", id, &error))
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:delete-marked");
  paths = hv_snap_snapshot_paths (op->snapshot);
  hv_snap_remove_tag_async (self, paths, op->tag, on_delete_tag_removed, task);
}

gboolean
hv_vm_delete_snapshot_finish (HvVm         *self,
                              GAsyncResult *result,
                              GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------------------
 * Edit, thumbnail
 */

gboolean
hv_vm_edit_snapshot (HvVm       *self,
                     const char *id,
                     const char *name,
                     const char *description,
                     GError    **error)
{
  HvSnapshot *snapshot = hv_snap_find (self, id, error);
  g_autoptr(HvSnapshot) edited = NULL;

  if (snapshot == NULL)
    return FALSE;
  if (!hv_vm_snapshots_check_idle (self, error))
    return FALSE;
  if (!hv_snapshot_check_name (name, error) || !hv_snapshot_check_description (description, error))
    return FALSE;
  edited = hv_snapshot_copy (snapshot);
  hv_set_str (&edited->name, name);
  hv_set_str (&edited->description, description);
  if (!hv_snapshot_store_update (self->snapshots, edited, error))
    return FALSE;
  hv_vm_sync_skeleton (self);
  return TRUE;
}

int
hv_vm_snapshot_thumbnail (HvVm       *self,
                          const char *id,
                          GError    **error)
{
  g_autofree char *path = NULL;
  int fd;

  if (hv_snap_find (self, id, error) == NULL)
    return -1;
  path = hv_snapshot_store_dup_path (self->snapshots, id, "thumbnail.png");
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "Snapshot %s has no thumbnail", id);
  return fd;
}

gboolean
hv_vm_operation_begin (HvVm       *self,
                       const char *operation,
                       GError    **error)
{
  return hv_snap_begin_op (self, operation, error);
}

void
hv_vm_operation_set_progress (HvVm  *self,
                              double progress)
{
  self->operation_progress = progress;
  hv_vm_sync_skeleton (self);
}

void
hv_vm_operation_end (HvVm *self)
{
  hv_snap_end_op (self);
}

void
hv_snap_log_pause (HvVm         *self,
                   const char   *command,
                   GAsyncResult *job_result)
{
  double paused = hv_snapshot_qmp_job_paused_s (job_result);

  /* The form is fixed: bench/hv-bench-snapshot.c reads it. */
  if (paused >= 0)
    hv_vm_log (self, "%s: guest paused %.3f s", command, paused);
}

HvSnapshot *
hv_snap_op_begin_on (HvVm       *self,
                     GTask      *task,
                     const char *operation,
                     const char *id)
{
  HvSnapshot *snapshot;
  GError *error = NULL;

  if (!hv_snap_begin_op (self, operation, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return NULL;
    }
  snapshot = hv_snap_find (self, id, &error);
  if (snapshot == NULL)
    {
      hv_snap_op_return (task, error);
      g_object_unref (task);
    }
  return snapshot;
}
