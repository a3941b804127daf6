/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-reattach.c: taking over a QEMU that an earlier engine started.
 *
 * An engine killed outright leaves its guests running (hv-vm-process.c). The next engine
 * finds each VM's QEMU through qemu.pid in the VM's runtime directory, which QEMU's own
 * process writes before it runs QEMU (so no moment exists where QEMU runs and its pid is
 * unknown), and checks that the process is really that VM's QEMU: its argv names the VM's
 * UUID (`-uuid`) and the VM's runtime directory. Where the pid file is missing or stale,
 * the engine looks for such a QEMU among the user's processes, so that a QEMU is never
 * orphaned with the VM shown powered off (holding its disk, and a second QEMU started
 * beside it). A QEMU whose start was cut short before `cont` is continued: the start it
 * belonged to is finished. */
#include "hv-vm-private.h"
#include "hv-vm-network.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hv-fileutil.h"
#include "hv-fileutil-private.h"
#include "hv-vm-snapshots-shares.h"

#define PID_FILE_MAX 64
#define CMDLINE_MAX (256 * 1024)
/* A pid file is written by QEMU's process just before it becomes QEMU (exec): a process
 * that is still the engine's fork may be given this long to become it. */
#define EXEC_WAIT_US (2 * G_USEC_PER_SEC)

/* The QEMU of VM `uuid`: its argv has `-uuid UUID` and a path in the VM's runtime
 * directory (RUN_BASE/vms/UUID/: the sockets). `accel_out` (may be NULL) gets the
 * accelerator it runs with. */
static gboolean
cmdline_is_vm_qemu (const char  *data,
                    gsize        len,
                    const char  *run_base,
                    const char  *uuid,
                    char       **accel_out)
{
  g_autofree char *run_dir = g_build_filename (run_base, "vms", uuid, "", NULL);
  gboolean uuid_seen = FALSE;
  gboolean run_dir_seen = FALSE;

  for (gsize i = 0; i < len; i += strlen (data + i) + 1)
    {
      const char *arg = data + i;
      gsize next = i + strlen (arg) + 1;

      if (g_str_equal (arg, "-uuid") && next < len && g_str_equal (data + next, uuid))
        uuid_seen = TRUE;
      if (strstr (arg, run_dir) != NULL)
        run_dir_seen = TRUE;
      if (accel_out != NULL && strstr (arg, "accel=kvm") != NULL)
        hv_set_str (accel_out, "kvm");
      else if (accel_out != NULL && strstr (arg, "accel=tcg") != NULL)
        hv_set_str (accel_out, "tcg");
    }
  return uuid_seen && run_dir_seen;
}

static char *
read_cmdline (GPid   pid,
              gsize *len)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  char *data = NULL;

  if (!hv_file_read_capped (path, CMDLINE_MAX, &data, len, NULL))
    return NULL;
  return data;
}

/* The process `pid` is still a fork of an engine (this program) that has not yet become
 * QEMU: see EXEC_WAIT_US. */
static gboolean
is_engine_fork (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/exe", (int) pid);
  g_autofree char *exe = g_file_read_link (path, NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe != NULL && self_exe != NULL && g_str_equal (exe, self_exe);
}

/* The process must be a QEMU started for this VM. This guards against a pid that was
 * reused by an unrelated process since the pid file was written. */
static gboolean
process_is_ours (HvVm  *self,
                 GPid   pid,
                 char **accel_out)
{
  gint64 give_up = g_get_monotonic_time () + EXEC_WAIT_US;

  for (;;)
    {
      gsize len = 0;
      g_autofree char *data = read_cmdline (pid, &len);

      if (data == NULL)
        return FALSE;
      if (cmdline_is_vm_qemu (data, len, self->run_base, self->uuid, accel_out))
        return TRUE;
      if (!is_engine_fork (pid) || g_get_monotonic_time () > give_up)
        return FALSE;
      g_usleep (50 * 1000);
    }
}

GHashTable *
hv_vm_find_qemus (const char *run_base)
{
  GHashTable *found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *dir = g_build_filename ("/proc", name, NULL);
      g_autofree char *data = NULL;
      guint64 pid;
      gsize len = 0;
      struct stat st;

      if (!g_ascii_string_to_unsigned (name, 10, 2, G_MAXINT, &pid, NULL) ||
          stat (dir, &st) != 0 || st.st_uid != getuid () || (GPid) pid == getpid ())
        continue;
      data = read_cmdline ((GPid) pid, &len);
      for (gsize i = 0; data != NULL && i < len; i += strlen (data + i) + 1)
        {
          gsize next = i + strlen (data + i) + 1;

          if (g_str_equal (data + i, "-uuid") && next < len &&
              g_uuid_string_is_valid (data + next) &&
              cmdline_is_vm_qemu (data, len, run_base, data + next, NULL))
            {
              g_hash_table_insert (found, g_strdup (data + next), GINT_TO_POINTER ((int) pid));
              break;
            }
        }
    }
  return found;
}

static void
on_continued (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    hv_vm_log (self, "cont failed: %s", error->message);
  else if (reply != NULL)
    hv_snap_shares_started (self);   /* a loaded state's shares come back, as after a start */
}

/* An earlier engine died before `cont`: the adapters' links and port forwards first, as a
 * start does (hv-vm-network.c), then `cont`. */
static void
on_reattach_network_ready (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;

  hv_vm_network_setup_finish (self, result);
  if (self->qmp != NULL && hv_vm_is_active (self))
    hv_vm_snapshots_continue (self, on_continued, g_object_ref (self));
}

static void
on_reattach_status (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  const char *status = NULL;

  if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply))
    status = json_object_get_string_member_with_default (json_node_get_object (reply),
                                                         "status", NULL);
  if (!hv_vm_is_active (self))
    return;
  hv_vm_snapshots_reconcile_live (self, status);

  if (g_strcmp0 (status, "prelaunch") == 0)
    {
      /* The engine that started it died before `cont`: finish that start. */
      hv_vm_log (self, "QEMU had not been continued yet: finishing its start");
      hv_vm_network_setup_async (self, on_reattach_network_ready, g_object_ref (self));
      hv_vm_set_state (self, HV_VM_STATE_RUNNING, "");
    }
  else if (g_strcmp0 (status, "running") == 0)
    hv_vm_set_state (self, HV_VM_STATE_RUNNING, "");
  else if (g_strcmp0 (status, "paused") == 0)
    hv_vm_set_state (self, HV_VM_STATE_PAUSED, "");
  else if (status != NULL)
    hv_vm_set_state (self, HV_VM_STATE_PAUSED, status);
}

static void
on_reattach_qmp_connected (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  HvQmp *qmp = hv_qmp_connect_finish (result, &error);

  if (qmp == NULL)
    {
      self->qmp_gone = TRUE;
      if (!self->process_gone)
        {
          hv_vm_log (self, "cannot reach the monitor of the running QEMU: %s", error->message);
          hv_vm_set_state (self, HV_VM_STATE_RUNNING, "the engine cannot reach its monitor");
        }
      hv_vm_process_check_gone (self);
      return;
    }

  hv_vm_process_watch_qmp (self, qmp);
  hv_vm_serial_attach (self);
  hv_vm_agent_start (self);
  hv_vm_shares_reconcile (self);
  hv_qmp_execute_async (qmp, "query-status", NULL, -1, self->run_cancellable,
                        on_reattach_status, g_object_ref (self));
}

/* The pid in qemu.pid, or 0. */
static GPid
read_pid_file (const char *path)
{
  g_autofree char *text = NULL;
  gint64 pid;

  if (!hv_file_read_capped_full (path, PID_FILE_MAX, HV_FILE_READ_NOFOLLOW, &text, NULL, NULL,
                                 NULL, NULL))
    return 0;
  pid = g_ascii_strtoll (text, NULL, 10);
  return pid > 1 && pid <= G_MAXINT ? (GPid) pid : 0;
}

void
hv_vm_reattach (HvVm       *self,
                GHashTable *qemus)
{
  g_autofree char *pid_path = hv_vm_run_path (self, "qemu.pid");
  g_autofree char *qmp_path = hv_vm_run_path (self, "qmp.sock");
  g_autofree char *accel = NULL;
  GPid file_pid;
  GPid pid;
  int pidfd;

  if (self->config == NULL)
    return;

  file_pid = read_pid_file (pid_path);
  pid = file_pid;
  if (pid != 0 && !process_is_ours (self, pid, &accel))
    pid = 0;
  if (pid == 0 && qemus != NULL && g_hash_table_contains (qemus, self->uuid))
    {
      g_autofree char *text = NULL;

      /* Its pid file is gone or wrong: found by its -uuid, it gets a new one. */
      pid = GPOINTER_TO_INT (g_hash_table_lookup (qemus, self->uuid));
      if (!process_is_ours (self, pid, &accel))
        pid = 0;
      else
        {
          hv_vm_log (self, "found QEMU (pid %d) by its UUID; its pid file was %s", (int) pid,
                     file_pid != 0 ? "wrong" : "missing");
          text = g_strdup_printf ("%d\n", (int) pid);
          hv_file_replace_contents (pid_path, text, strlen (text), 0600, FALSE, NULL);
        }
    }

  if (pid == 0)
    {
      /* An engine killed between starting virtiofsd and QEMU: nothing will use them. */
      if (file_pid != 0)
        hv_vm_log (self, "QEMU (pid %d) ended while no engine was watching", (int) file_pid);
      hv_vm_shares_cleanup_stale (self);
      if (file_pid != 0)
        hv_vm_clean_run_dir (self);
      hv_vm_snapshots_reconcile_offline (self);
      return;
    }

  pidfd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  if (pidfd < 0)
    {
      hv_vm_log (self, "cannot watch QEMU (pid %d): %s", (int) pid, g_strerror (errno));
      return;
    }

  hv_vm_process_watch_pidfd (self, pid, pidfd);
  if (accel != NULL)
    hv_vm_accel_reattached (self, accel);

  hv_vm_log (self, "reattached to QEMU (pid %d)", (int) pid);
  hv_vm_shares_reattach (self);
  hv_vm_network_reattach (self);
  /* Running until QEMU itself says otherwise; the status query follows at once. */
  hv_vm_set_state (self, HV_VM_STATE_RUNNING, "");
  hv_qmp_connect_async (qmp_path, self->run_cancellable, on_reattach_qmp_connected,
                        g_object_ref (self));
}
