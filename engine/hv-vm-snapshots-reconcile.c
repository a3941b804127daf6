/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots-reconcile.c: after an engine was killed, finish or undo the snapshot
 * operation its markers name, with qemu-img (no QEMU runs) or through the QEMU it left
 * (reattached). The rules are in docs/snapshots.md ("Crash rules"). */
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

/* ----------------------------------------------------------------------------
 * After a crash
 */

/* Every writable qcow2 disk of the config (for tags a marker names but no metadata lists). */
static GPtrArray *
config_disk_paths (HvVm *self)
{
  DiskPlan plan = { 0, };
  GPtrArray *paths;

  if (!hv_snap_plan_disks (self, self->config, &plan, NULL))
    return g_ptr_array_new_with_free_func (g_free);
  paths = g_steal_pointer (&plan.paths);
  hv_snap_disk_plan_clear (&plan);
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

/* Tags of ours on the config's disks that no snapshot (or saved state) owns: what a crash
 * left (e.g. a saved state replaced by a restore's marker). No marker may be pending. */
static void
remove_orphan_tags (HvVm *self)
{
  g_autoptr(GPtrArray) paths = config_disk_paths (self);

  if (hv_snapshot_store_get_pending (self->snapshots, NULL) != NULL)
    return;
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autoptr(GHashTable) tags = hv_qemu_img_list_tags (path, NULL);
      GHashTableIter iter;
      const char *tag;

      if (tags == NULL)
        continue;
      g_hash_table_iter_init (&iter, tags);
      while (g_hash_table_iter_next (&iter, (gpointer *) &tag, NULL))
        {
          g_autoptr(GError) error = NULL;
          gboolean owned;

          if (!g_str_has_prefix (tag, HV_SNAPSHOT_TAG_PREFIX))
            continue;   /* not the engine's: the user's own qemu-img snapshots stay */
          if (g_str_equal (tag, HV_SAVED_STATE_TAG))
            owned = hv_snap_has_saved_state (self);
          else
            owned = hv_snapshot_store_find (self->snapshots,
                                            tag + strlen (HV_SNAPSHOT_TAG_PREFIX)) != NULL ||
                    g_strcmp0 (hv_snapshot_store_get_load (self->snapshots), tag) == 0;
          if (owned)
            continue;
          hv_vm_log (self, "removing %s from %s: no snapshot owns it", tag, path);
          if (!hv_qemu_img_snapshot ('d', path, tag, TRUE, &error))
            hv_vm_log (self, "%s", error->message);
        }
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
  /* An in-process restore with QEMU gone is redone as any restore. */
  if (hv_snap_is_in_process_marker (pending) &&
      hv_snapshot_store_set_pending (self->snapshots, "restore", pending_id, NULL))
    pending = hv_snapshot_store_get_pending (self->snapshots, NULL);

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
          if (!hv_snap_delete_tag_offline (paths, tag, &error))
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
          g_autoptr(GPtrArray) paths = hv_snap_snapshot_paths (snapshot);
          g_autofree char *tag = hv_snapshot_dup_tag (snapshot);

          if (!hv_snap_delete_tag_offline (paths, tag, &error) ||
              !hv_snap_verify_tag_gone (paths, tag, &error) ||
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

          if (!hv_snap_restore_offline (self, copy, &error))
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
        hv_snap_delete_tag_offline (paths, HV_SAVED_STATE_TAG, NULL);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
    }
  remove_stale_staging (self);
  remove_orphan_tags (self);

  /* A saved state whose tag is gone cannot be resumed: the next start boots. */
  if (hv_snap_has_saved_state (self))
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

  if (!hv_snap_remove_tag_finish (self, result, paths, tag, &error))
    {
      hv_vm_log (self, "cannot remove %s: %s", tag, error->message);
      hv_snap_end_op (self);
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
  hv_snap_end_op (self);
}

/* QEMU of an earlier engine runs and its monitor answers (hv-vm-reattach.c). A save that
 * engine started may still be running in QEMU: the commands below wait behind it. */
void
hv_vm_snapshots_reconcile_live (HvVm       *self,
                                const char *status)
{
  const char *id = NULL;
  const char *pending;
  g_autofree char *tag = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  if (self->snapshots == NULL || self->config == NULL || hv_snap_busy (self))
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
      paths = hv_snap_snapshot_paths (snapshot);
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
  else if (hv_snap_is_in_process_marker (pending))
    {
      hv_snap_reconcile_in_process (self, status);
      return;
    }
  else if (g_str_equal (pending, "restore"))
    {
      /* Prelaunch: the start that loads it is being finished (hv-vm-reattach.c), and the
       * load clears the markers. Running with the load marker still set: the QEMU is the
       * one from before the restore (it never came as far as powering it off), so the
       * restore did not happen. Running without: only the marker was left. */
      if (g_strcmp0 (status, "prelaunch") == 0)
        return;
      if (hv_vm_snapshots_need_load (self))
        {
          hv_vm_log (self, "the restore of snapshot %s was cut short before it began", id);
          hv_snapshot_store_set_load (self->snapshots, NULL, NULL);
        }
      else
        hv_snapshot_store_set_current (self->snapshots, id, NULL);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      hv_vm_sync_skeleton (self);
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
  hv_snap_remove_tag_async (self, paths, tag, on_reconcile_tag_removed, g_strdup (tag));
}

