/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots.c: take, restore, delete and edit snapshots; save and discard the saved
 * state; what a start must load before the guest runs; the repair after a crash.
 * See hv-vm-snapshots.h and docs/snapshots.md.
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
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-snapshot-qemu.h"
#include "hv-snapshot-store.h"
#include "hv-vm-private.h"

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

static gboolean
has_saved_state (HvVm *self)
{
  return self->snapshots != NULL &&
         g_strcmp0 (hv_snapshot_store_get_load (self->snapshots), HV_SAVED_STATE_TAG) == 0;
}

static gboolean
busy (HvVm *self)
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
  hv_dbus_vm_set_saved_state (s, off && has_saved_state (self));
  hv_dbus_vm_set_operation (s, self->operation != NULL ? self->operation : "");
  hv_dbus_vm_set_operation_progress (s, self->operation_progress);
  hv_dbus_vm_set_can_take_snapshot (s, self->config != NULL && !busy (self) &&
                                       (live || (off && !has_saved_state (self))));
  hv_dbus_vm_set_can_save_state (s, self->config != NULL && !busy (self) && live);
}

static gboolean
begin_op (HvVm       *self,
          const char *operation,
          GError    **error)
{
  if (self->config == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" cannot be used: %s",
                   hv_vm_get_name (self), self->config_error);
      return FALSE;
    }
  if (busy (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is busy (%s)",
                   hv_vm_get_name (self), self->operation);
      return FALSE;
    }
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

static void
end_op (HvVm *self)
{
  hv_set_str (&self->operation, "");
  self->operation_progress = 0;
  hv_vm_sync_skeleton (self);
}

gboolean
hv_vm_snapshots_check_idle (HvVm    *self,
                            GError **error)
{
  if (busy (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is busy (%s)",
                   hv_vm_get_name (self), self->operation);
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_vm_snapshots_check_modify (HvVm    *self,
                              GError **error)
{
  if (busy (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is busy (%s)",
                   hv_vm_get_name (self), self->operation);
      return FALSE;
    }
  if (has_saved_state (self))
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

typedef struct {
  GPtrArray *paths;    /* char*: absolute paths of the writable qcow2 disks */
  GPtrArray *nodes;    /* char*: their format nodes */
  char *vmstate_node;  /* the system disk's (the first), NULL without disks */
} DiskPlan;

static void
disk_plan_clear (DiskPlan *plan)
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
static gboolean
plan_disks (HvVm             *self,
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
          disk_plan_clear (plan);
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
      disk_plan_clear (plan);
      return FALSE;
    }
  return TRUE;
}

static char *
nvram_path (HvVm *self)
{
  return g_build_filename (self->dir, "nvram.fd", NULL);
}

/* ----------------------------------------------------------------------------
 * One operation's data
 */

typedef struct {
  HvSnapshot *snapshot;
  DiskPlan plan;
  char *tag;
  HvVmConfig *config;      /* restore: the snapshot's config */
  GBytes *thumbnail;
  gboolean force;
  gboolean disk_only;
  const char *operation;
} Op;

static void
op_free (Op *op)
{
  g_clear_pointer (&op->snapshot, hv_snapshot_free);
  disk_plan_clear (&op->plan);
  g_free (op->tag);
  g_clear_pointer (&op->config, hv_vm_config_free);
  g_clear_pointer (&op->thumbnail, g_bytes_unref);
  g_free (op);
}

static Op *
task_op (GTask *task)
{
  return g_task_get_task_data (task);
}

static HvVm *
task_vm (GTask *task)
{
  return g_task_get_source_object (task);
}

/* Ends the operation and completes the task with `error` (taken) or success. */
static void
op_return (GTask  *task,
           GError *error)
{
  HvVm *self = task_vm (task);

  end_op (self);
  if (error != NULL)
    {
      hv_vm_log (self, "%s failed: %s", task_op (task)->operation, error->message);
      g_task_return_error (task, error);
    }
  else
    {
      hv_vm_log (self, "%s done", task_op (task)->operation);
      g_task_return_boolean (task, TRUE);
    }
}

static GTask *
op_task (HvVm               *self,
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
static gboolean
delete_tag_offline (GPtrArray  *paths,
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
static gboolean
verify_tag_gone (GPtrArray  *paths,
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

typedef struct {
  GPtrArray *paths;
  char *tag;
  GTask *task;
} RemoveTag;

static void
on_tag_deleted_live (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!hv_snapshot_qmp_job_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Remove `tag` from every image of `paths`: through QEMU for those it has open, with
 * qemu-img for the others; then check that none holds it. */
static void
remove_tag_async (HvVm               *self,
                  GPtrArray          *paths,
                  const char         *tag,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) offline = NULL;
  GError *error = NULL;

  split_open_disks (self, paths, &nodes, &offline);
  if (!delete_tag_offline (offline, tag, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (nodes->len > 0 && self->qmp != NULL)
    {
      g_autoptr(JsonObject) args = hv_snapshot_job_args (tag, NULL, nodes);

      hv_snapshot_qmp_job_async (self->qmp, "snapshot-delete", args, NULL, on_tag_deleted_live,
                                 task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
remove_tag_finish (HvVm         *self,
                   GAsyncResult *result,
                   GPtrArray    *paths,
                   const char   *tag,
                   GError      **error)
{
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  return verify_tag_gone (paths, tag, error);
}

static GPtrArray *
snapshot_paths (const HvSnapshot *snapshot)
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
static void
take_fail_cleanup_tag (HvVm       *self,
                       GPtrArray  *paths,
                       const char *tag)
{
  g_autoptr(GError) cleanup_error = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) offline = NULL;

  if (paths == NULL)
    return;
  split_open_disks (self, paths, &nodes, &offline);
  if (!delete_tag_offline (offline, tag, &cleanup_error))
    hv_vm_log (self, "cannot remove %s: %s", tag, cleanup_error->message);
  if (nodes->len > 0 && self->qmp != NULL)
    {
      g_autoptr(JsonObject) args = hv_snapshot_job_args (tag, NULL, nodes);

      hv_snapshot_qmp_job_async (self->qmp, "snapshot-delete", args, NULL, on_job_ignored,
                                 g_object_ref (self));
    }
}

static void
take_fail (GTask  *task,
           GError *error)
{
  HvVm *self = task_vm (task);
  Op *op = task_op (task);

  /* Never a half-taken snapshot: whatever QEMU or qemu-img made goes, then the folder. */
  if (op->tag != NULL)
    take_fail_cleanup_tag (self, op->plan.paths, op->tag);
  if (op->snapshot != NULL)
    hv_snapshot_store_abort (self->snapshots, op->snapshot->id);
  op_return (task, error);
  g_object_unref (task);
}

static void
take_commit (GTask *task)
{
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
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
  op_return (task, NULL);
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
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
  g_autoptr(HvVmConfig) config = hv_vm_config_copy (self->config);
  g_autofree char *nvram = nvram_path (self);
  gboolean uefi = self->config->firmware == HV_FIRMWARE_UEFI &&
                  g_file_test (nvram, G_FILE_TEST_IS_REGULAR);
  GError *error = NULL;

  if (!hv_snapshot_store_prepare (self->snapshots, op->snapshot, config,
                                  uefi ? nvram : NULL, op->thumbnail, &error))
    {
      g_clear_pointer (&op->snapshot, hv_snapshot_free);  /* nothing staged to abort */
      op_return (task, error);
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
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
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
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, NULL);
  const char *alias = hv_machine_to_string (self->config->machine);
  JsonArray *machines = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ?
                        json_node_get_array (reply) : NULL;

  /* "q35" is an alias of this QEMU's newest versioned type: the snapshot keeps the
   * versioned one, which a later QEMU still knows. */
  for (guint i = 0; machines != NULL && i < json_array_get_length (machines); i++)
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

static void
on_take_blockers (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = task_vm (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  JsonObject *o = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply)
                                                                 : NULL;
  JsonArray *reasons = o != NULL && json_object_has_member (o, "blocked-reasons") ?
                       json_object_get_array_member (o, "blocked-reasons") : NULL;

  if (reasons != NULL && json_array_get_length (reasons) > 0)
    {
      const char *text = json_array_get_string_element (reasons, 0);
      const char *share = NULL;

      /* QEMU names the share by its mount tag or device; the user knows it by its name. */
      for (guint i = 0; i < self->config->shares->len && share == NULL; i++)
        {
          const HvShare *s = g_ptr_array_index (self->config->shares, i);

          if (text != NULL && strstr (text, s->name) != NULL)
            share = s->name;
        }
      if (share == NULL && self->config->shares->len > 0 && text != NULL &&
          (strstr (text, "VirtFS") != NULL || strstr (text, "vhost-user-fs") != NULL))
        share = ((HvShare *) g_ptr_array_index (self->config->shares, 0))->name;
      if (share != NULL)
        op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                      "The shared folder \"%s\" is in use by the guest and "
                                      "blocks a snapshot with the running state: take a "
                                      "disk-only snapshot instead (--disk-only)", share));
      else
        op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
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
  GTask *task = op_task (self, "snapshot-take", hv_vm_take_snapshot_async, cancellable,
                         callback, user_data);
  Op *op = task_op (task);
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
  if (!begin_op (self, "snapshot-take", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (!live && hv_vm_is_active (self))
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is starting or stopping",
                                    hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!live && has_saved_state (self))
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                    "VM \"%s\" has a saved state: start it or discard the "
                                    "saved state first", hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!plan_disks (self, self->config, &op->plan, &error))
    {
      op_return (task, error);
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
  /* Powered off, the alias is what is known; the pinned machine type replaces it. */
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
  Op *op = task_op (task);

  if (!g_task_propagate_boolean (task, error))
    return NULL;
  return g_strdup (op->snapshot->id);
}

/* ----------------------------------------------------------------------------
 * Restore
 */

/* The powered-off part of a restore, which a crash makes the next engine redo: the disks
 * back to the snapshot, the UEFI variables, the config. A live snapshot's state is loaded
 * by the next start (the load marker). */
static gboolean
restore_offline (HvVm             *self,
                 const HvSnapshot *snapshot,
                 GError          **error)
{
  g_autofree char *config_path = hv_snapshot_store_dup_path (self->snapshots, snapshot->id,
                                                             "vm.xml");
  g_autofree char *nvram_copy = hv_snapshot_store_dup_path (self->snapshots, snapshot->id,
                                                            "nvram.fd");
  g_autofree char *nvram = nvram_path (self);
  g_autofree char *tag = hv_snapshot_dup_tag (snapshot);
  g_autoptr(HvVmConfig) config = hv_vm_config_load (config_path, error);

  if (config == NULL)
    return FALSE;
  if (!g_str_equal (config->uuid, self->uuid))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                   "%s: the UUID does not match the VM", config_path);
      return FALSE;
    }
  /* The VM keeps its name and folder: the library knows it by them. */
  hv_set_str (&config->name, self->config->name);
  hv_set_str (&config->folder, self->config->folder);

  /* A saved state belongs to the state that is being thrown away. */
  if (has_saved_state (self))
    {
      DiskPlan plan = { 0, };

      if (plan_disks (self, self->config, &plan, NULL))
        {
          delete_tag_offline (plan.paths, HV_SAVED_STATE_TAG, NULL);
          disk_plan_clear (&plan);
        }
    }
  for (guint i = 0; i < snapshot->disks->len; i++)
    {
      const HvSnapshotDisk *disk = g_ptr_array_index (snapshot->disks, i);

      if (!hv_qemu_img_snapshot ('a', disk->path, tag, FALSE, error))
        return FALSE;
    }
  hv_crash_point ("snapshot:restore-applied");
  if (g_file_test (nvram_copy, G_FILE_TEST_IS_REGULAR) &&
      !hv_snapshot_copy_file (nvram_copy, nvram, error))
    return FALSE;
  if (!hv_vm_set_config (self, config, error))
    return FALSE;
  return hv_snapshot_store_set_load (self->snapshots,
                                     snapshot->kind == HV_SNAPSHOT_LIVE ? tag : NULL, error);
}

static void
on_restore_started (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = task_vm (task);
  GError *error = NULL;

  if (!hv_vm_start_finish (self, result, &error))
    {
      /* The disks are the snapshot's; the failed load left the VM powered off. */
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  /* The start loaded the state (hv_vm_snapshots_before_cont) and made it current. */
  op_return (task, NULL);
  g_object_unref (task);
}

static void
restore_now (GTask *task)
{
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
  GError *error = NULL;

  if (!restore_offline (self, op->snapshot, &error))
    {
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  if (op->snapshot->kind == HV_SNAPSHOT_DISK)
    {
      if (!hv_snapshot_store_set_current (self->snapshots, op->snapshot->id, &error) ||
          !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
        {
          op_return (task, error);
          g_object_unref (task);
          return;
        }
      op_return (task, NULL);
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
  HvVm *self = task_vm (task);
  GError *error = NULL;

  if (!hv_vm_ensure_off_finish (self, result, &error))
    {
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  restore_now (task);
}

void
hv_vm_restore_snapshot_async (HvVm               *self,
                              const char         *id,
                              gboolean            force,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task = op_task (self, "snapshot-restore", hv_vm_restore_snapshot_async, cancellable,
                         callback, user_data);
  Op *op = task_op (task);
  HvSnapshot *snapshot;
  GError *error = NULL;

  if (!begin_op (self, "snapshot-restore", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  snapshot = hv_snapshot_store_find (self->snapshots, id);
  if (snapshot == NULL)
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no snapshot %s",
                                    hv_vm_get_name (self), id));
      g_object_unref (task);
      return;
    }
  if (hv_vm_is_active (self) && !force)
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                    "VM \"%s\" is running: restoring loses its current state "
                                    "(use --force, or take a snapshot first)",
                                    hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  op->snapshot = hv_snapshot_copy (snapshot);
  hv_vm_log (self, "restoring snapshot %s", id);
  if (!hv_snapshot_store_set_pending (self->snapshots, "restore", id, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:restore-marked");
  if (hv_vm_is_active (self))
    {
      hv_vm_ensure_off_async (self, NULL, on_restore_off, task);
      return;
    }
  restore_now (task);
}

gboolean
hv_vm_restore_snapshot_finish (HvVm         *self,
                               GAsyncResult *result,
                               GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
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
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
  g_autoptr(GPtrArray) paths = snapshot_paths (op->snapshot);
  GError *error = NULL;

  if (!remove_tag_finish (self, result, paths, op->tag, &error))
    {
      /* The marker stays: the next engine finishes the delete. */
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:delete-tags-gone");
  if (!hv_snapshot_store_remove (self->snapshots, op->snapshot->id, &error) ||
      !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  op_return (task, NULL);
  g_object_unref (task);
}

void
hv_vm_delete_snapshot_async (HvVm               *self,
                             const char         *id,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTask *task = op_task (self, "snapshot-delete", hv_vm_delete_snapshot_async, cancellable,
                         callback, user_data);
  Op *op = task_op (task);
  HvSnapshot *snapshot;
  g_autoptr(GPtrArray) paths = NULL;
  GError *error = NULL;

  if (!begin_op (self, "snapshot-delete", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  snapshot = hv_snapshot_store_find (self->snapshots, id);
  if (snapshot == NULL)
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no snapshot %s",
                                    hv_vm_get_name (self), id));
      g_object_unref (task);
      return;
    }
  op->snapshot = hv_snapshot_copy (snapshot);
  op->tag = hv_snapshot_dup_tag (snapshot);
  hv_vm_log (self, "deleting snapshot %s", id);
  if (!hv_snapshot_store_set_pending (self->snapshots, "delete", id, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("snapshot:delete-marked");
  paths = snapshot_paths (op->snapshot);
  remove_tag_async (self, paths, op->tag, on_delete_tag_removed, task);
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
  HvSnapshot *snapshot = self->snapshots != NULL ? hv_snapshot_store_find (self->snapshots, id)
                                                 : NULL;
  g_autoptr(HvSnapshot) edited = NULL;

  if (snapshot == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no snapshot %s",
                   hv_vm_get_name (self), id);
      return FALSE;
    }
  if (busy (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "VM \"%s\" is busy (%s)",
                   hv_vm_get_name (self), self->operation);
      return FALSE;
    }
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

  if (self->snapshots == NULL || hv_snapshot_store_find (self->snapshots, id) == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no snapshot %s",
                   hv_vm_get_name (self), id);
      return -1;
    }
  path = hv_snapshot_store_dup_path (self->snapshots, id, "thumbnail.png");
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "Snapshot %s has no thumbnail", id);
  return fd;
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
  HvVm *self = task_vm (task);
  GError *error = NULL;

  if (!hv_vm_ensure_off_finish (self, result, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  op_return (task, NULL);
  g_object_unref (task);
}

static void
on_state_saved (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
  GError *error = NULL;

  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      /* A failed save may still have written a tag on some disk. */
      take_fail_cleanup_tag (self, op->plan.paths, HV_SAVED_STATE_TAG);
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_crash_point ("save-state:saved");
  if (!hv_snapshot_store_set_load (self->snapshots, HV_SAVED_STATE_TAG, &error) ||
      !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  /* The guest stays stopped from here: what QEMU does now is not saved. */
  hv_vm_ensure_off_async (self, NULL, on_saved_off, task);
}

static void
on_save_blockers (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  HvVm *self = task_vm (task);
  Op *op = task_op (task);
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, NULL);
  JsonObject *o = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply)
                                                                 : NULL;
  JsonArray *reasons = o != NULL && json_object_has_member (o, "blocked-reasons") ?
                       json_object_get_array_member (o, "blocked-reasons") : NULL;
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;

  if (reasons != NULL && json_array_get_length (reasons) > 0)
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                    "QEMU cannot save this VM's running state: %s",
                                    json_array_get_string_element (reasons, 0)));
      g_object_unref (task);
      return;
    }
  if (!hv_snapshot_store_set_pending (self->snapshots, "save-state", NULL, &error))
    {
      op_return (task, error);
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
  GTask *task = op_task (self, "save-state", hv_vm_save_state_async, cancellable, callback,
                         user_data);
  Op *op = task_op (task);
  GError *error = NULL;

  if (!begin_op (self, "save-state", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if ((self->state != HV_VM_STATE_RUNNING && self->state != HV_VM_STATE_PAUSED) ||
      self->qmp == NULL)
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                                    hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!plan_disks (self, self->config, &op->plan, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  hv_vm_log (self, "saving the state");
  hv_qmp_execute_async (self->qmp, "query-migrate", NULL, -1, NULL, on_save_blockers, task);
}

gboolean
hv_vm_save_state_finish (HvVm         *self,
                         GAsyncResult *result,
                         GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hv_vm_discard_saved_state_async (HvVm               *self,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  GTask *task = op_task (self, "discard-state", hv_vm_discard_saved_state_async, cancellable,
                         callback, user_data);
  Op *op = task_op (task);
  GError *error = NULL;

  if (!begin_op (self, "discard-state", &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (hv_vm_is_active (self) || !has_saved_state (self))
    {
      op_return (task, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                    "VM \"%s\" has no saved state", hv_vm_get_name (self)));
      g_object_unref (task);
      return;
    }
  if (!plan_disks (self, self->config, &op->plan, &error) ||
      !delete_tag_offline (op->plan.paths, HV_SAVED_STATE_TAG, &error) ||
      !verify_tag_gone (op->plan.paths, HV_SAVED_STATE_TAG, &error) ||
      !hv_snapshot_store_set_load (self->snapshots, NULL, &error))
    {
      op_return (task, error);
      g_object_unref (task);
      return;
    }
  op_return (task, NULL);
  g_object_unref (task);
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
      g_prefix_error (&error, "The saved state could not be loaded: ");
      g_task_return_error (task, error);
      return;
    }
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
} Continue;

static void
on_loaded_continue (GObject      *object,
                    GAsyncResult *result,
                    gpointer      data)
{
  HvVm *self = HV_VM (object);
  Continue *c = data;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error) && self->qmp != NULL)
    hv_qmp_execute_async (self->qmp, "cont", NULL, -1, self->run_cancellable, c->cont_done,
                          c->user_data);
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
  if (self->qmp == NULL || !plan_disks (self, self->config, &plan, &error))
    {
      if (error == NULL)
        error = g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED, "QEMU's monitor is gone");
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  load->tag = g_strdup (hv_snapshot_store_get_load (self->snapshots));
  load->nodes = g_steal_pointer (&plan.nodes);
  load->vmstate_node = g_steal_pointer (&plan.vmstate_node);
  disk_plan_clear (&plan);
  hv_vm_log (self, "loading %s before the guest runs", load->tag);
  args = hv_snapshot_job_args (load->tag, load->vmstate_node, load->nodes);
  hv_snapshot_qmp_job_async (self->qmp, "snapshot-load", args, NULL, on_state_loaded, task);
}

/* ----------------------------------------------------------------------------
 * After a crash
 */

/* Every writable qcow2 disk of the config (for tags a marker names but no metadata lists). */
static GPtrArray *
config_disk_paths (HvVm *self)
{
  DiskPlan plan = { 0, };
  GPtrArray *paths;

  if (!plan_disks (self, self->config, &plan, NULL))
    return g_ptr_array_new_with_free_func (g_free);
  paths = g_steal_pointer (&plan.paths);
  disk_plan_clear (&plan);
  return paths;
}

/* Remove staging folders that no take owns. */
static void
remove_stale_staging (HvVm *self)
{
  g_autofree char *dir_path = g_build_filename (self->dir, "snapshots", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_prefix (name, ".new-") && g_uuid_string_is_valid (name + 5))
        hv_snapshot_store_abort (self->snapshots, name + 5);
    }
}

/* No QEMU runs for the VM (hv_vm_reattach() found none): finish or undo what an earlier
 * engine left, with qemu-img. */
void
hv_vm_snapshots_reconcile_offline (HvVm *self)
{
  const char *id = NULL;
  const char *pending;
  g_autofree char *pending_id = NULL;
  g_autoptr(GError) error = NULL;

  if (self->snapshots == NULL || self->config == NULL)
    return;
  pending = hv_snapshot_store_get_pending (self->snapshots, &id);
  pending_id = g_strdup (id);

  if (g_strcmp0 (pending, "take") == 0)
    {
      g_autofree char *final = hv_snapshot_store_dup_path (self->snapshots, pending_id,
                                                           "snapshot.xml");

      if (g_file_test (final, G_FILE_TEST_IS_REGULAR) &&
          hv_snapshot_store_find (self->snapshots, pending_id) != NULL)
        {
          /* Committed, only the marker was left: it is whole. */
          hv_vm_log (self, "snapshot %s was taken whole before the engine stopped", pending_id);
          if (!hv_snapshot_store_set_current (self->snapshots, pending_id, &error) ||
              !hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
            hv_vm_log (self, "snapshot state: %s", error->message);
        }
      else
        {
          g_autoptr(GPtrArray) paths = config_disk_paths (self);
          g_autofree char *tag = g_strconcat (HV_SNAPSHOT_TAG_PREFIX, pending_id, NULL);

          hv_vm_log (self, "removing the half-taken snapshot %s", pending_id);
          if (!delete_tag_offline (paths, tag, &error))
            hv_vm_log (self, "cannot remove %s: %s", tag, error->message);
          else
            hv_snapshot_store_abort (self->snapshots, pending_id);
        }
    }
  else if (g_strcmp0 (pending, "delete") == 0)
    {
      HvSnapshot *snapshot = hv_snapshot_store_find (self->snapshots, pending_id);

      hv_vm_log (self, "finishing the delete of snapshot %s", pending_id);
      if (snapshot != NULL)
        {
          g_autoptr(GPtrArray) paths = snapshot_paths (snapshot);
          g_autofree char *tag = hv_snapshot_dup_tag (snapshot);

          if (!delete_tag_offline (paths, tag, &error) ||
              !verify_tag_gone (paths, tag, &error) ||
              !hv_snapshot_store_remove (self->snapshots, pending_id, &error))
            {
              hv_vm_log (self, "cannot finish the delete: %s", error->message);
              return;
            }
        }
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
    }
  else if (g_strcmp0 (pending, "restore") == 0)
    {
      HvSnapshot *snapshot = hv_snapshot_store_find (self->snapshots, pending_id);

      /* Redone: the disks, variables and config become the snapshot's again; a live one is
       * loaded by the next start. */
      hv_vm_log (self, "redoing the restore of snapshot %s", pending_id);
      if (snapshot != NULL)
        {
          g_autoptr(HvSnapshot) copy = hv_snapshot_copy (snapshot);

          if (!restore_offline (self, copy, &error))
            hv_vm_log (self, "cannot redo the restore: %s", error->message);
          else if (copy->kind == HV_SNAPSHOT_DISK)
            hv_snapshot_store_set_current (self->snapshots, copy->id, NULL);
        }
      if (snapshot == NULL || hv_snapshot_store_find (self->snapshots, pending_id)->kind ==
                              HV_SNAPSHOT_DISK)
        hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
    }
  else if (g_strcmp0 (pending, "save-state") == 0)
    {
      g_autoptr(GPtrArray) paths = config_disk_paths (self);
      g_autoptr(GHashTable) tags = paths->len > 0 ?
                                   hv_qemu_img_list_tags (g_ptr_array_index (paths, 0), NULL)
                                   : NULL;

      /* QEMU writes a tag into the image header only once the state is whole. */
      if (tags != NULL && g_hash_table_contains (tags, HV_SAVED_STATE_TAG))
        hv_snapshot_store_set_load (self->snapshots, HV_SAVED_STATE_TAG, NULL);
      else
        delete_tag_offline (paths, HV_SAVED_STATE_TAG, NULL);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
    }
  remove_stale_staging (self);

  /* A saved state whose tag is gone cannot be resumed: the next start boots. */
  if (has_saved_state (self))
    {
      g_autoptr(GPtrArray) paths = config_disk_paths (self);
      g_autoptr(GHashTable) tags = paths->len > 0 ?
                                   hv_qemu_img_list_tags (g_ptr_array_index (paths, 0), NULL)
                                   : NULL;

      if (tags != NULL && !g_hash_table_contains (tags, HV_SAVED_STATE_TAG))
        {
          hv_vm_log (self, "the saved state is gone from the disk; the next start boots");
          hv_snapshot_store_set_load (self->snapshots, NULL, NULL);
        }
    }
  hv_vm_sync_skeleton (self);
}

static void
on_reconcile_tag_removed (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  HvVm *self = HV_VM (object);
  g_autofree char *tag = user_data;
  g_autoptr(GPtrArray) paths = config_disk_paths (self);
  g_autoptr(GError) error = NULL;
  const char *id = NULL;
  const char *pending = hv_snapshot_store_get_pending (self->snapshots, &id);
  g_autofree char *pending_id = g_strdup (id);

  if (!remove_tag_finish (self, result, paths, tag, &error))
    {
      hv_vm_log (self, "cannot remove %s: %s", tag, error->message);
      end_op (self);
      return;
    }
  if (g_strcmp0 (pending, "take") == 0)
    hv_snapshot_store_abort (self->snapshots, pending_id);
  else if (g_strcmp0 (pending, "delete") == 0)
    {
      if (hv_snapshot_store_find (self->snapshots, pending_id) != NULL &&
          !hv_snapshot_store_remove (self->snapshots, pending_id, &error))
        hv_vm_log (self, "cannot finish the delete: %s", error->message);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
    }
  else
    hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
  remove_stale_staging (self);
  end_op (self);
}

/* QEMU of an earlier engine runs and its monitor answers (hv-vm-reattach.c). A save that
 * engine started may still be running in QEMU: the commands below wait behind it. */
void
hv_vm_snapshots_reconcile_live (HvVm *self)
{
  const char *id = NULL;
  const char *pending;
  g_autofree char *tag = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  if (self->snapshots == NULL || self->config == NULL || busy (self))
    return;
  pending = hv_snapshot_store_get_pending (self->snapshots, &id);
  if (pending == NULL)
    {
      remove_stale_staging (self);
      return;
    }

  if (g_str_equal (pending, "take"))
    {
      g_autofree char *final = hv_snapshot_store_dup_path (self->snapshots, id, "snapshot.xml");

      if (g_file_test (final, G_FILE_TEST_IS_REGULAR))
        {
          hv_snapshot_store_set_current (self->snapshots, id, NULL);
          hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
          hv_vm_sync_skeleton (self);
          return;
        }
      tag = g_strconcat (HV_SNAPSHOT_TAG_PREFIX, id, NULL);
      paths = config_disk_paths (self);
      hv_vm_log (self, "removing the half-taken snapshot %s", id);
    }
  else if (g_str_equal (pending, "delete"))
    {
      HvSnapshot *snapshot = hv_snapshot_store_find (self->snapshots, id);

      if (snapshot == NULL)
        {
          hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
          return;
        }
      tag = hv_snapshot_dup_tag (snapshot);
      paths = snapshot_paths (snapshot);
      hv_vm_log (self, "finishing the delete of snapshot %s", id);
    }
  else if (g_str_equal (pending, "save-state"))
    {
      /* The guest still runs: its state was not saved after all. */
      tag = g_strdup (HV_SAVED_STATE_TAG);
      paths = config_disk_paths (self);
      hv_snapshot_store_set_load (self->snapshots, NULL, NULL);
      hv_vm_log (self, "the state save was cut short; the VM keeps running");
    }
  else if (g_str_equal (pending, "restore"))
    {
      /* QEMU runs: either the start that loads it is being finished (prelaunch, see
       * hv-vm-reattach.c), or it was loaded and only the marker was left. */
      if (!hv_vm_snapshots_need_load (self))
        {
          hv_snapshot_store_set_current (self->snapshots, id, NULL);
          hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
          hv_vm_sync_skeleton (self);
        }
      return;
    }
  else
    {
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      return;
    }
  hv_set_str (&self->operation, g_str_equal (pending, "delete") ? "snapshot-delete"
                                                                : "snapshot-take");
  self->operation_progress = -1;
  hv_vm_sync_skeleton (self);
  remove_tag_async (self, paths, tag, on_reconcile_tag_removed, g_strdup (tag));
}

gboolean
hv_vm_operation_begin (HvVm       *self,
                       const char *operation,
                       GError    **error)
{
  return begin_op (self, operation, error);
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
  end_op (self);
}
