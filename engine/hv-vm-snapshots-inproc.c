/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots-inproc.c: restoring a live snapshot into the QEMU that runs, when the
 * snapshot's config gives that QEMU's hardware (the same argv): `stop`, the QMP job
 * `snapshot-load`, the metadata, `cont`. Otherwise the restore starts a new QEMU
 * (hv-vm-snapshots-load.c). The crash rules of the marker "restore-in-process" are here too.
 * See docs/snapshots.md. */
#include "hv-vm-snapshots.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-qemu-argv.h"
#include "hv-snapshot-qemu.h"
#include "hv-snapshot-store.h"
#include "hv-vm-snapshots-private.h"

#define INPROC_MARKER "restore-in-process"
#define NVRAM_COPY_MAX (64 * 1024 * 1024)

/* The argv QEMU would get for `config`: the running VM's paths, its accelerator. */
static char **
argv_for (HvVm             *self,
          const HvVmConfig *config,
          const HvQemuCaps *caps)
{
  const HvQemuPaths paths = { self->dir, self->run_dir, -1 };

  return hv_qemu_build_argv (config, caps, &paths, NULL);
}

/* The snapshot's config as a restore puts it in place (the VM keeps its name and folder),
 * or NULL with the reason. */
static HvVmConfig *
load_snapshot_config (HvVm             *self,
                      const HvSnapshot *snapshot,
                      GError          **error)
{
  g_autofree char *path = hv_snapshot_store_dup_path (self->snapshots, snapshot->id, "vm.xml");
  g_autoptr(HvVmConfig) config = hv_vm_config_load (path, error);

  if (config == NULL)
    return NULL;
  if (!g_str_equal (config->uuid, self->uuid))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                   "%s: the UUID does not match the VM", path);
      return NULL;
    }
  hv_set_str (&config->name, self->config->name);
  hv_set_str (&config->folder, self->config->folder);
  return g_steal_pointer (&config);
}

/* Whether the snapshot can be loaded into the running QEMU; else `why` says why not (for the
 * log). Any doubt is a no: the new-QEMU path restores every snapshot. */
static gboolean
fits_running_qemu (HvVm             *self,
                   const HvSnapshot *snapshot,
                   const HvVmConfig *config,
                   char            **why)
{
  g_autoptr(HvQemuCaps) caps = NULL;
  g_auto(GStrv) now = NULL;
  g_auto(GStrv) then = NULL;
  g_autofree char *nvram_copy = NULL;
  g_autofree char *nvram = NULL;
  DiskPlan plan = { 0, };
  gboolean uefi_copy;

  if (snapshot->kind != HV_SNAPSHOT_LIVE)
    return (*why = g_strdup ("a disk-only snapshot")), FALSE;
  if ((self->state != HV_VM_STATE_RUNNING && self->state != HV_VM_STATE_PAUSED) ||
      self->qmp == NULL || self->start_task != NULL || self->caps == NULL)
    return (*why = g_strdup ("QEMU is not running")), FALSE;
  if (g_strcmp0 (self->state_reason, "") != 0)
    return (*why = g_strdup_printf ("QEMU is %s", self->state_reason)), FALSE;
  /* virtiofs devices come and go while the VM runs: the running set may not be the config's.
   * And a state taken with shares parked (hv-vm-snapshots-shares.c) has them unmounted in the
   * guest: the new QEMU's start brings them back through the guest tools, which the running
   * agent's session would not. */
  if (self->config->shares->len > 0 || config->shares->len > 0)
    return (*why = g_strdup (self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS
                             ? "virtiofs shares" : "shared folders")), FALSE;

  caps = hv_vm_accel_caps (self, self->caps);
  now = argv_for (self, self->config, caps);
  then = argv_for (self, config, caps);
  if (now == NULL || then == NULL || !g_strv_equal ((const char * const *) now,
                                                    (const char * const *) then))
    return (*why = g_strdup ("the snapshot's hardware differs from the running QEMU's")), FALSE;
  /* The cable is set over QMP, not in the argv. */
  for (guint i = 0; i < config->nics->len; i++)
    {
      const HvNic *a = g_ptr_array_index (config->nics, i);
      const HvNic *b = g_ptr_array_index (self->config->nics, i);

      if (a->cable != b->cable)
        return (*why = g_strdup ("a network cable differs")), FALSE;
    }

  /* The snapshot's disks are the running ones (the same argv names the same files). */
  if (!hv_snap_plan_disks (self, self->config, &plan, NULL))
    return (*why = g_strdup ("the disks cannot be planned")), FALSE;
  for (guint i = 0; i < snapshot->disks->len; i++)
    {
      const HvSnapshotDisk *disk = g_ptr_array_index (snapshot->disks, i);
      gboolean known = FALSE;

      for (guint j = 0; j < plan.paths->len && !known; j++)
        known = g_str_equal (g_ptr_array_index (plan.paths, j), disk->path);
      if (!known)
        {
          hv_snap_disk_plan_clear (&plan);
          return (*why = g_strdup ("the snapshot names a disk QEMU does not have")), FALSE;
        }
    }
  if (snapshot->disks->len != plan.paths->len)
    {
      hv_snap_disk_plan_clear (&plan);
      return (*why = g_strdup ("the snapshot has other disks")), FALSE;
    }
  hv_snap_disk_plan_clear (&plan);

  /* UEFI: the variables' copy is written over the open VARS file in place, so it must be
   * the same size. */
  nvram_copy = hv_snapshot_store_dup_path (self->snapshots, snapshot->id, "nvram.fd");
  nvram = hv_snap_nvram_path (self);
  uefi_copy = g_file_test (nvram_copy, G_FILE_TEST_IS_REGULAR);
  if (uefi_copy)
    {
      struct stat a, b;

      if (stat (nvram_copy, &a) != 0 || stat (nvram, &b) != 0 || a.st_size != b.st_size ||
          !S_ISREG (b.st_mode))
        return (*why = g_strdup ("the UEFI variables' copy does not fit the VARS file")), FALSE;
    }
  return TRUE;
}

/* Write the snapshot's UEFI variables over the VARS file that QEMU has open, in place (a
 * rename would leave QEMU writing the old file). The guest is stopped; the bytes are the ones
 * QEMU's flash device writes back itself when the loaded guest runs. */
static gboolean
put_back_nvram (HvVm             *self,
                const HvSnapshot *snapshot,
                GError          **error)
{
  g_autofree char *copy = hv_snapshot_store_dup_path (self->snapshots, snapshot->id,
                                                      "nvram.fd");
  g_autofree char *nvram = hv_snap_nvram_path (self);
  g_autofree char *data = NULL;
  gsize len = 0;
  gsize done = 0;
  int fd;

  if (!g_file_test (copy, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  if (!hv_file_read_capped (copy, NVRAM_COPY_MAX, &data, &len, error))
    return FALSE;
  fd = open (nvram, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot open %s: %s", nvram,
                   g_strerror (errno));
      return FALSE;
    }
  while (done < len)
    {
      ssize_t n = pwrite (fd, data + done, len - done, (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot write %s: %s", nvram,
                       g_strerror (n < 0 ? saved : EIO));
          return FALSE;
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    {
      int saved = errno;

      close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot sync %s: %s", nvram,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

typedef struct {
  GTask *task;           /* the restore (hv_snap_op_task), owned */
  HvVmConfig *config;    /* the snapshot's */
  gint64 stop_us;        /* when the guest was stopped (monotonic) */
  gint64 load_us;        /* when the load was asked for */
  gint64 loaded_us;      /* when it was done */
  gint64 recorded_us;    /* when the metadata was written */
  GError *error;         /* a failed load, while QEMU is ended */
} InProc;

static void
inproc_free (InProc *ip)
{
  g_clear_pointer (&ip->config, hv_vm_config_free);
  g_clear_error (&ip->error);
  g_free (ip);
}

static void
inproc_return (InProc *ip,
               GError *error)
{
  GTask *task = g_steal_pointer (&ip->task);

  inproc_free (ip);
  hv_snap_op_return (task, error);
  g_object_unref (task);
}

static void
log_pause (HvVm   *self,
           InProc *ip)
{
  gint64 now = g_get_monotonic_time ();

  /* The form is fixed: bench/hv-bench-snapshot.c reads it. */
  hv_vm_log (self, "snapshot-load: guest paused %.3f s",
             (double) (now - ip->stop_us) / G_USEC_PER_SEC);
  /* Where the pause went: the engine's steps beside QEMU's job. */
  hv_vm_log (self, "snapshot-restore: stop %.3f s, load job %.3f s, metadata %.3f s, cont "
             "%.3f s", (double) (ip->load_us - ip->stop_us) / G_USEC_PER_SEC,
             (double) (ip->loaded_us - ip->load_us) / G_USEC_PER_SEC,
             (double) (ip->recorded_us - ip->loaded_us) / G_USEC_PER_SEC,
             (double) (now - ip->recorded_us) / G_USEC_PER_SEC);
}

static void
on_failed_off (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  InProc *ip = user_data;
  HvVm *self = hv_snap_task_vm (ip->task);
  Op *op = hv_snap_task_op (ip->task);
  g_autoptr(GError) local = NULL;

  hv_vm_ensure_off_finish (self, result, NULL);
  /* As after a failed load into a new QEMU: the VM is off with the snapshot's disks,
   * variables and config, and the next start boots. */
  if (!hv_snap_restore_offline (self, op->snapshot, &local))
    hv_vm_log (self, "cannot put the snapshot's disks back: %s", local->message);
  hv_snapshot_store_set_load (self->snapshots, NULL, NULL);
  hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
  hv_vm_sync_skeleton (self);
  inproc_return (ip, g_steal_pointer (&ip->error));
}

static void
inproc_fail (InProc *ip,
             GError *error)
{
  HvVm *self = hv_snap_task_vm (ip->task);

  /* A failed load leaves QEMU paused mid-restore: it goes. */
  hv_vm_log (self, "%s; ending QEMU", error->message);
  ip->error = error;
  hv_vm_ensure_off_async (self, NULL, on_failed_off, ip);
}

static void
on_continued (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  InProc *ip = user_data;
  HvVm *self = hv_snap_task_vm (ip->task);
  GError *error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL)
    {
      /* The state is loaded and the metadata says so: the VM is paused instead of running. */
      g_prefix_error (&error, "The snapshot was restored but the guest could not go on: ");
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      inproc_return (ip, error);
      return;
    }
  log_pause (self, ip);
  /* The restore is whole (the reconcile says so of a running QEMU whose snapshot is current):
   * the answer goes first, the marker right after, before any other request is served. */
  g_object_ref (self);
  inproc_return (ip, NULL);
  if (!hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
    {
      hv_vm_log (self, "cannot clear the restore's marker: %s", error->message);
      g_clear_error (&error);
    }
  hv_vm_sync_skeleton (self);
  g_object_unref (self);
}

/* Whether the two configs are written the same: then there is nothing to put in place (the
 * guest is stopped meanwhile). */
static gboolean
same_config (const HvVmConfig *a,
             const HvVmConfig *b)
{
  g_autofree char *xa = hv_vm_config_to_xml (a, NULL);
  g_autofree char *xb = hv_vm_config_to_xml (b, NULL);

  return xa != NULL && xb != NULL && g_str_equal (xa, xb);
}

static void
on_loaded (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  InProc *ip = user_data;
  HvVm *self = hv_snap_task_vm (ip->task);
  Op *op = hv_snap_task_op (ip->task);
  GError *error = NULL;

  ip->loaded_us = g_get_monotonic_time ();
  if (!hv_snapshot_qmp_job_finish (result, &error))
    {
      g_prefix_error (&error, "The snapshot's running state could not be loaded: ");
      inproc_fail (ip, error);
      return;
    }
  hv_crash_point ("snapshot:in-process-loaded");
  /* The state is the snapshot's: so are the variables, the config and "current". The marker
   * stays until the guest runs (hv_vm_snapshots_reconcile_in_process()). */
  if (!put_back_nvram (self, op->snapshot, &error) ||
      (!same_config (self->config, ip->config) &&
       !hv_vm_set_config (self, ip->config, &error)) ||
      (g_strcmp0 (hv_snapshot_store_get_current (self->snapshots), op->snapshot->id) != 0 &&
       !hv_snapshot_store_set_current (self->snapshots, op->snapshot->id, &error)))
    {
      g_prefix_error (&error, "The snapshot's state was loaded but not recorded: ");
      inproc_fail (ip, error);
      return;
    }
  ip->recorded_us = g_get_monotonic_time ();
  if (g_str_equal (op->snapshot->vm_state, "paused"))
    {
      /* Taken paused: it comes back paused (no `cont`). */
      log_pause (self, ip);
      if (self->state == HV_VM_STATE_RUNNING)
        hv_vm_set_state (self, HV_VM_STATE_PAUSED, "");
      if (!hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, &error))
        {
          inproc_return (ip, error);
          return;
        }
      hv_vm_sync_skeleton (self);
      inproc_return (ip, NULL);
      return;
    }
  hv_qmp_execute_async (self->qmp, "cont", NULL, -1, NULL, on_continued, ip);
}

static void
load (InProc *ip)
{
  HvVm *self = hv_snap_task_vm (ip->task);
  Op *op = hv_snap_task_op (ip->task);
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;

  if (self->qmp == NULL)
    {
      inproc_fail (ip, g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED, "QEMU's monitor is gone"));
      return;
    }
  if (!hv_snap_plan_disks (self, self->config, &op->plan, &error))
    {
      inproc_fail (ip, error);
      return;
    }
  args = hv_snapshot_job_args (op->tag, op->plan.vmstate_node, op->plan.nodes);
  ip->load_us = g_get_monotonic_time ();
  hv_snapshot_qmp_job_async (self->qmp, "snapshot-load", args, NULL, on_loaded, ip);
}

static void
on_stopped (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  InProc *ip = user_data;
  HvVm *self = hv_snap_task_vm (ip->task);
  GError *error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL)
    {
      /* Nothing changed yet: the guest runs on. */
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      g_prefix_error (&error, "Cannot pause the guest for the restore: ");
      inproc_return (ip, error);
      return;
    }
  load (ip);
}

gboolean
hv_snap_restore_in_process (GTask *task)
{
  HvVm *self = hv_snap_task_vm (task);
  Op *op = hv_snap_task_op (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvVmConfig) config = NULL;
  g_autofree char *why = NULL;
  InProc *ip;

  if (op->snapshot->kind != HV_SNAPSHOT_LIVE)
    return FALSE;
  config = load_snapshot_config (self, op->snapshot, &error);
  if (config == NULL)
    {
      hv_vm_log (self, "snapshot-restore: new QEMU (%s)", error->message);
      return FALSE;
    }
  if (!fits_running_qemu (self, op->snapshot, config, &why))
    {
      hv_vm_log (self, "snapshot-restore: new QEMU (%s)", why);
      return FALSE;
    }
  hv_vm_log (self, "snapshot-restore: in-process");

  ip = g_new0 (InProc, 1);
  ip->task = task;
  ip->config = g_steal_pointer (&config);
  if (!hv_snapshot_store_set_pending (self->snapshots, INPROC_MARKER, op->snapshot->id,
                                      &error))
    {
      inproc_return (ip, g_steal_pointer (&error));
      return TRUE;
    }
  hv_crash_point ("snapshot:in-process-marked");
  ip->stop_us = g_get_monotonic_time ();
  if (self->state == HV_VM_STATE_RUNNING)
    hv_qmp_execute_async (self->qmp, "stop", NULL, -1, NULL, on_stopped, ip);
  else
    load (ip);
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * After a crash
 */

gboolean
hv_snap_is_in_process_marker (const char *pending)
{
  return g_strcmp0 (pending, INPROC_MARKER) == 0;
}

static void
on_reconcile_off (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  HvVm *self = HV_VM (object);

  hv_vm_ensure_off_finish (self, result, NULL);
  hv_snap_end_op (self);
  /* The offline rules redo the restore: the next start loads the state. */
  hv_vm_snapshots_reconcile_offline (self);
}

static gboolean
end_qemu_later (gpointer data)
{
  HvVm *self = data;

  hv_vm_ensure_off_async (self, NULL, on_reconcile_off, NULL);
  return G_SOURCE_REMOVE;
}

/* QEMU of an earlier engine runs, the marker says an in-process restore. Running: either the
 * restore never stopped the guest ("current" is not yet the snapshot: it did not happen) or it
 * was continued after the metadata was written (it is whole). Anything else (paused, or the
 * load failed or was cut short): QEMU goes and the restore is redone offline. */
void
hv_snap_reconcile_in_process (HvVm       *self,
                              const char *status)
{
  const char *id = NULL;

  hv_snapshot_store_get_pending (self->snapshots, &id);
  if (g_strcmp0 (status, "running") == 0)
    {
      if (g_strcmp0 (hv_snapshot_store_get_current (self->snapshots), id) == 0)
        hv_vm_log (self, "the in-process restore of snapshot %s was whole", id);
      else
        hv_vm_log (self, "the restore of snapshot %s was cut short before it began", id);
      hv_snapshot_store_set_pending (self->snapshots, NULL, NULL, NULL);
      hv_vm_sync_skeleton (self);
      return;
    }
  hv_vm_log (self, "the in-process restore of snapshot %s was cut short (QEMU %s): ending "
             "QEMU and redoing it", id, status != NULL ? status : "silent");
  hv_set_str (&self->operation, "snapshot-restore");
  self->operation_progress = -1;
  hv_vm_sync_skeleton (self);
  /* After the reattach has set the VM's state from QEMU's status. */
  g_idle_add_full (G_PRIORITY_DEFAULT, end_qemu_later, g_object_ref (self), g_object_unref);
}
