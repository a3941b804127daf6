/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-process.c: a VM's QEMU process: start, supervision, requests over QMP,
 * and reattaching to a QEMU that an earlier engine started.
 *
 * QEMU runs in its own session (setsid) with its stderr in logs/qemu.log, so it
 * neither gets the engine's terminal signals nor a SIGPIPE when the engine dies:
 * an engine killed with SIGKILL leaves its guests running, and the next engine
 * finds them through the pid file in the VM's runtime directory.
 *
 * The end of a QEMU process is handled once both the process is gone and its
 * monitor connection has reached EOF, so that the SHUTDOWN event QEMU sends just
 * before exiting is always seen before the exit is judged, and once the virtiofsds of
 * its shares are gone too (hv-vm-shares.c), so that a VM that is off has no process
 * left. */
#include "hv-vm-private.h"
#include "hv-vm-network.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-image-check.h"
#include "hv-fileutil.h"
#include "hv-paths.h"
#include "hv-virtiofsd.h"
#include "hv-vm-legacy.h"
#include "hv-vm-machine.h"
#include "hv-vm-clone.h"
#include "hv-vm-snapshots-shares.h"

#define DEFAULT_STOP_TIMEOUT_S 60
/* A start that is not running by then is ended (HOSTVISOR_START_TIMEOUT, seconds): QEMU
 * blocked on opening a medium (a FIFO, a hung network file) never answers at all. */
#define DEFAULT_START_TIMEOUT_S 60
#define QUIT_GRACE_S 5          /* after QMP quit, SIGKILL if QEMU is still there */
#define STDERR_TAIL_LINES 10
#define STDERR_TAIL_BYTES 4096

/* ----------------------------------------------------------------------------
 * Helpers
 */

char *
hv_vm_run_path (HvVm       *self,
                const char *name)
{
  return g_build_filename (self->run_dir, name, NULL);
}

static char *
log_path (HvVm       *self,
          const char *name)
{
  return g_build_filename (self->dir, "logs", name, NULL);
}

void
hv_vm_clean_run_dir (HvVm *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->run_dir, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = hv_vm_run_path (self, name);
      g_unlink (path);
    }
}

/* The last lines QEMU wrote to stderr, for error messages and the VM's log. */
static char *
stderr_tail (HvVm  *self,
             guint  max_lines)
{
  g_autofree char *path = log_path (self, "qemu.log");
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  gsize len = 0;
  const char *start;
  guint n;
  int fd;
  off_t size;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return g_strdup ("");
  size = lseek (fd, 0, SEEK_END);
  if (size < 0)
    size = 0;
  len = MIN ((gsize) size, STDERR_TAIL_BYTES);
  data = g_malloc0 (len + 1);
  if (pread (fd, data, len, size - (off_t) len) != (ssize_t) len)
    len = 0;
  close (fd);
  data[len] = '\0';

  /* QEMU's lines carry a time stamp with -msg timestamp=on; drop it for people. */
  lines = g_strsplit (g_strstrip (data), "\n", -1);
  n = g_strv_length (lines);
  for (guint i = n > max_lines ? n - max_lines : 0; i < n; i++)
    {
      char *line = lines[i];

      if (line[0] == '\0')
        continue;
      start = line;
      if (g_ascii_isdigit (line[0]) && strstr (line, ": ") != NULL &&
          strstr (line, ": ") - line < 40)
        start = strstr (line, ": ") + 2;
      g_ptr_array_add (kept, (gpointer) start);
    }
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("\n", (char **) kept->pdata);
}

/* "FIFO" etc. for a file that is not what it should be; NULL when it is fine. */
static const char *
file_kind_problem (const struct stat *st,
                   gboolean           block_device_ok)
{
  if (S_ISREG (st->st_mode) || (block_device_ok && S_ISBLK (st->st_mode)))
    return NULL;
  if (S_ISDIR (st->st_mode))
    return "a directory";
  if (S_ISFIFO (st->st_mode))
    return "a FIFO";
  if (S_ISSOCK (st->st_mode))
    return "a socket";
  if (S_ISCHR (st->st_mode))
    return "a character device";
  if (S_ISBLK (st->st_mode))
    return "a block device";
  return "not a regular file";
}

/* `path` must be a regular file (or, when block_device_ok, a block device). A config may
 * be edited by hand, so this is checked at every start: QEMU opening a FIFO would wait for
 * a writer for ever. */
static gboolean
check_file (const char  *what,
            const char  *path,
            gboolean     block_device_ok,
            GError     **error)
{
  struct stat st;
  const char *problem;

  if (stat (path, &st) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "%s not found: %s", what, path);
      return FALSE;
    }
  problem = file_kind_problem (&st, block_device_ok);
  if (problem != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s is not a regular file: %s (it is %s)", what, path, problem);
      return FALSE;
    }
  return TRUE;
}

/* The medium a VM needs must exist before QEMU is asked to open it, so that the
 * user gets "ISO not found: PATH" rather than QEMU's wording. */
static gboolean
check_files (HvVm     *self,
             GError  **error)
{
  const HvVmConfig *c = self->config;
  g_autofree char *nvram = g_build_filename (self->dir, "nvram.fd", NULL);
  struct stat st;

  for (guint i = 0; i < c->drives->len; i++)
    {
      const HvDrive *d = g_ptr_array_index (c->drives, i);
      g_autofree char *path = NULL;
      const char *what;

      if (d->path == NULL || d->path[0] == '\0')
        continue;
      path = g_path_is_absolute (d->path) ? g_strdup (d->path)
                                          : g_build_filename (self->dir, d->path, NULL);
      what = d->kind == HV_DRIVE_CDROM ? "ISO" :
             d->kind == HV_DRIVE_FLOPPY ? "Floppy image" : "Disk image";
      /* A host's CD drive or a disk partition may be given as a block device. */
      if (!check_file (what, path, d->kind != HV_DRIVE_FLOPPY, error))
        return FALSE;
    }

  for (guint i = 0; i < c->shares->len; i++)
    {
      const HvShare *share = g_ptr_array_index (c->shares, i);

      if (!g_file_test (share->path, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "Shared folder \"%s\" not found: %s",
                       share->name, share->path);
          return FALSE;
        }
    }

  if (c->kernel != NULL && !check_file ("Kernel", c->kernel, FALSE, error))
    return FALSE;
  if (c->initrd != NULL && !check_file ("Initrd", c->initrd, FALSE, error))
    return FALSE;

  /* The VM's own UEFI variables, in the library: never a link, which QEMU would write
   * through. */
  if (lstat (nvram, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "UEFI variables file is not a regular file: %s (it is %s)", nvram,
                   S_ISLNK (st.st_mode) ? "a symbolic link" : file_kind_problem (&st, FALSE));
      return FALSE;
    }
  return TRUE;
}

/* UEFI variables live with the VM, copied from OVMF's template on first start. */
static gboolean
ensure_nvram (HvVm    *self,
              GError **error)
{
  g_autofree char *nvram = g_build_filename (self->dir, "nvram.fd", NULL);
  g_autofree char *data = NULL;
  gsize len;

  if (self->config->firmware != HV_FIRMWARE_UEFI || g_file_test (nvram, G_FILE_TEST_EXISTS))
    return TRUE;
  if (self->caps->ovmf_vars_template == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "UEFI firmware (OVMF) is not installed on this host");
      return FALSE;
    }
  if (!hv_file_read_capped (self->caps->ovmf_vars_template, 64 * 1024 * 1024, &data, &len, error))
    return FALSE;
  return hv_file_replace_contents (nvram, data, len, 0600, FALSE, error);
}

/* A listening socket for QMP, made before QEMU starts and handed to it, so the engine
 * can connect at once instead of waiting for QEMU to create the socket. */
static int
listen_qmp (HvVm    *self,
            GError **error)
{
  g_autofree char *path = hv_vm_run_path (self, "qmp.sock");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Socket path too long: %s", path);
      return -1;
    }
  strcpy (addr.sun_path, path);
  g_unlink (path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 ||
      bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (fd, 4) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", path,
                   g_strerror (saved));
      return -1;
    }
  return fd;
}

/* What QEMU's process needs before it becomes QEMU, prepared by the engine: after fork()
 * only async-signal-safe calls may be made, so no allocation, no stdio, no GLib. */
typedef struct {
  char pid_tmp[PATH_MAX];
  char pid_path[PATH_MAX];
} ChildSetup;

static void
child_fail (const char *message)
{
  /* stderr is logs/qemu.log: the start fails with this line. */
  if (write (STDERR_FILENO, message, strlen (message)) < 0)
    { /* nothing more to do */ }
  _exit (127);
}

static void
child_setup (gpointer data)
{
  const ChildSetup *setup = data;
  char digits[16];
  char text[20];
  gsize n = 0, len = 0;
  pid_t pid = getpid ();
  int fd;

  /* Own session: the engine's terminal and process group signals do not reach QEMU. */
  setsid ();

  /* The pid file is written here, by the process that is about to become QEMU, so that
   * no moment exists where QEMU runs and its pid is known to nobody: an engine killed
   * right after fork() leaves a QEMU the next engine finds. */
  do
    {
      digits[n++] = (char) ('0' + pid % 10);
      pid /= 10;
    }
  while (pid > 0 && n < sizeof digits);
  while (n > 0)
    text[len++] = digits[--n];
  text[len++] = '\n';

  fd = open (setup->pid_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    child_fail ("hostvisor: cannot create the pid file\n");
  if (write (fd, text, len) != (ssize_t) len)
    child_fail ("hostvisor: cannot write the pid file\n");
  close (fd);
  if (rename (setup->pid_tmp, setup->pid_path) != 0)
    child_fail ("hostvisor: cannot write the pid file\n");
}

static void
cancel_timers (HvVm *self)
{
  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&self->kill_timeout_id, g_source_remove);
  g_clear_handle_id (&self->start_deadline_id, g_source_remove);
}

static void
send_signal (HvVm *self,
             int   sig)
{
  if (self->process != NULL)
    g_subprocess_send_signal (self->process, sig);
  else if (self->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, self->pidfd, sig, NULL, 0);
}

/* ----------------------------------------------------------------------------
 * The end of a QEMU process
 */

static char *
describe_exit (HvVm      *self,
               HvVmState *state_out)
{
  g_autofree char *tail = stderr_tail (self, 1);
  const char *sr = self->shutdown_reason;
  char *reason;

  if (self->expect_exit || g_strcmp0 (sr, "host-qmp-quit") == 0)
    {
      *state_out = HV_VM_STATE_POWEROFF;
      if (self->stop_timed_out)
        return g_strdup_printf ("powered off: the guest did not shut down within %u s",
                                self->stop_timeout_s);
      return g_strdup ("powered off");
    }
  if (g_strcmp0 (sr, "guest-shutdown") == 0 || g_strcmp0 (sr, "host-qmp-system-reset") == 0)
    {
      *state_out = HV_VM_STATE_POWEROFF;
      return g_strdup ("the guest powered off");
    }
  if ((reason = hv_vm_legacy_describe_exit (self, tail, state_out)) != NULL)
    return reason;
  *state_out = HV_VM_STATE_ABORTED;
  if (self->have_status && WIFSIGNALED (self->wait_status))
    return g_strdup_printf ("QEMU was killed by signal %d (%s)", WTERMSIG (self->wait_status),
                            g_strsignal (WTERMSIG (self->wait_status)));
  if (g_strcmp0 (sr, "host-signal") == 0)
    return g_strdup ("QEMU was ended by a signal");
  if (self->have_status && WIFEXITED (self->wait_status) && WEXITSTATUS (self->wait_status) != 0)
    return g_strdup_printf ("QEMU exited with status %d%s%s", WEXITSTATUS (self->wait_status),
                            tail[0] ? ": " : "", tail);
  if (self->have_status)
    {
      *state_out = HV_VM_STATE_POWEROFF;
      return g_strdup ("QEMU exited");
    }
  return g_strdup ("QEMU ended unexpectedly");
}

static void
finish_off_waiters (HvVm *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->off_waiters);

  self->off_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

/* The process and its monitor are gone: end the virtiofsds, then judge the exit and tidy
 * up. */
void
hv_vm_process_check_gone (HvVm *self)
{
  g_autofree char *reason = NULL;
  HvVmState state;

  if (!self->process_gone || !self->qmp_gone)
    return;
  if (!hv_vm_shares_stop (self))
    return;   /* called again when the last virtiofsd has ended */

  cancel_timers (self);
  g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);

  if (self->start_task != NULL && self->start_timed_out)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);
      g_autofree char *tail = stderr_tail (self, 1);

      reason = g_strdup_printf ("QEMU did not start within %u s and was ended%s%s",
                                self->start_timeout_s, tail[0] ? ": " : "", tail);
      state = HV_VM_STATE_POWEROFF;
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_TIMEOUT, "%s", reason);
    }
  else if (self->start_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);
      g_autofree char *tail = stderr_tail (self, 1);

      reason = g_strdup_printf ("QEMU refused to start: %s",
                                tail[0] ? tail : "it ended before it could be set up");
      state = HV_VM_STATE_POWEROFF;
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED, "%s", reason);
    }
  else
    reason = describe_exit (self, &state);
  self->start_timed_out = FALSE;

  if (state == HV_VM_STATE_ABORTED)
    {
      g_autofree char *tail = stderr_tail (self, STDERR_TAIL_LINES);
      hv_vm_log (self, "QEMU's last messages:\n%s", tail[0] ? tail : "(none)");
    }

  hv_vm_agent_stop (self);
  hv_vm_serial_detach (self);
  if (self->qmp != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->qmp, self);
      hv_qmp_close (self->qmp);
      g_clear_object (&self->qmp);
    }
  g_clear_object (&self->process);
  if (self->pidfd_source != NULL)
    {
      g_source_destroy (self->pidfd_source);
      g_clear_pointer (&self->pidfd_source, g_source_unref);
    }
  if (self->pidfd >= 0)
    {
      close (self->pidfd);
      self->pidfd = -1;
    }
  self->pid = 0;
  self->expect_exit = FALSE;
  self->stop_timeout_s = 0;
  self->stop_timed_out = FALSE;
  g_clear_pointer (&self->shutdown_reason, g_free);
  hv_vm_network_stopped (self);
  hv_vm_clean_run_dir (self);

  hv_vm_set_state (self, state, reason);
  finish_off_waiters (self);
}

static void
on_process_exited (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  GSubprocess *process = G_SUBPROCESS (object);

  g_subprocess_wait_finish (process, result, NULL);
  if (process != self->process)
    return;

  self->have_status = TRUE;
  self->wait_status = g_subprocess_get_status (process);
  self->process_gone = TRUE;
  hv_vm_process_check_gone (self);
}

static gboolean
on_pidfd_ready (int          fd,
                GIOCondition condition,
                gpointer     user_data)
{
  HvVm *self = user_data;

  /* Not our child: no exit status, only the fact that it ended. */
  self->have_status = FALSE;
  self->process_gone = TRUE;
  g_clear_pointer (&self->pidfd_source, g_source_unref);
  hv_vm_process_check_gone (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_kill_timeout (gpointer user_data)
{
  HvVm *self = user_data;

  self->kill_timeout_id = 0;
  hv_vm_log (self, "QEMU did not quit within %d s; killing it", QUIT_GRACE_S);
  send_signal (self, SIGKILL);
  return G_SOURCE_REMOVE;
}

/* ----------------------------------------------------------------------------
 * The monitor
 */

static void
on_qmp_event (HvQmp      *qmp,
              const char *name,
              JsonObject *data,
              gint64      timestamp,
              HvVm       *self)
{
  if (g_str_equal (name, "STOP"))
    {
      if (self->state == HV_VM_STATE_RUNNING)
        hv_vm_set_state (self, HV_VM_STATE_PAUSED, "");
    }
  else if (g_str_equal (name, "RESUME"))
    {
      if (self->state == HV_VM_STATE_PAUSED)
        hv_vm_set_state (self, HV_VM_STATE_RUNNING, "");
      /* After a pause (or a restored snapshot) the guest checks its mounts again. */
      if (self->agent != NULL)
        hv_agent_recheck_shares (self->agent);
    }
  else if (g_str_equal (name, "SHUTDOWN"))
    {
      const char *reason = data != NULL && json_object_has_member (data, "reason") ?
                           json_object_get_string_member (data, "reason") : NULL;
      hv_set_str (&self->shutdown_reason, reason != NULL ? reason : "unknown");
      hv_vm_log (self, "QEMU is shutting down (%s)", self->shutdown_reason);
    }
  else if (g_str_equal (name, "DEVICE_DELETED"))
    {
      const char *device = data != NULL ?
                           json_object_get_string_member_with_default (data, "device", NULL) :
                           NULL;

      hv_vm_shares_on_device_deleted (self, device);
    }
  else if (g_str_equal (name, "RESET") || g_str_equal (name, "GUEST_PANICKED") ||
           g_str_equal (name, "POWERDOWN"))
    {
      hv_vm_log (self, "event %s", name);
    }
}

static void
on_qmp_disconnected (HvQmp        *qmp,
                     const GError *error,
                     HvVm         *self)
{
  self->qmp_gone = TRUE;
  hv_vm_process_check_gone (self);
}

void
hv_vm_process_watch_qmp (HvVm  *self,
                         HvQmp *qmp)
{
  self->qmp = qmp;
  g_signal_connect (qmp, "event", G_CALLBACK (on_qmp_event), self);
  g_signal_connect (qmp, "disconnected", G_CALLBACK (on_qmp_disconnected), self);
}

/* ----------------------------------------------------------------------------
 * Start
 */

static void
on_cont_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  g_autoptr(GTask) task = NULL;

  if (self->start_task == NULL)
    return;   /* QEMU went away meanwhile; process_check_gone() answered */

  hv_crash_point ("start:continued");
  if (reply == NULL)
    {
      /* Leave the task for process_check_gone() once QEMU is made to go away. */
      hv_vm_log (self, "cont failed: %s", error->message);
      self->expect_exit = TRUE;
      send_signal (self, SIGKILL);
      return;
    }

  task = g_steal_pointer (&self->start_task);
  g_clear_handle_id (&self->start_deadline_id, g_source_remove);
  hv_vm_agent_start (self);
  hv_vm_set_state (self, HV_VM_STATE_RUNNING, "");
  hv_snap_shares_started (self);
  g_task_return_boolean (task, TRUE);
}

static void
on_network_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(HvVm) self = user_data;

  hv_vm_network_setup_finish (self, result);
  if (self->qmp != NULL && self->start_task != NULL)   /* else QEMU went away meanwhile */
    hv_vm_snapshots_continue (self, on_cont_done, g_object_ref (self));
}

static void
on_start_qmp_connected (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  HvQmp *qmp = hv_qmp_connect_finish (result, &error);

  if (qmp == NULL)
    {
      /* QEMU most likely died on a bad option; its exit completes the start with its
       * own message. If it lives on without a monitor, it is of no use: end it. */
      hv_vm_log (self, "monitor connection failed: %s", error->message);
      self->qmp_gone = TRUE;
      if (!self->process_gone)
        send_signal (self, SIGKILL);
      hv_vm_process_check_gone (self);
      return;
    }

  hv_vm_process_watch_qmp (self, qmp);
  /* The guest has not run yet (-S): the log and the consoles miss nothing of it. */
  hv_vm_serial_attach (self);
  hv_crash_point ("start:qmp-connected");
  /* Links and port forwards before the guest runs (hv-vm-network.c), then `cont`. */
  hv_vm_network_setup_async (self, on_network_ready, g_object_ref (self));
}

static int
open_stderr_log (HvVm    *self,
                 GError **error)
{
  g_autofree char *path = log_path (self, "qemu.log");
  g_autofree char *old = log_path (self, "qemu.log.1");
  int fd;

  /* Keep one previous run's messages beside the current one. */
  g_rename (path, old);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", path,
                   g_strerror (saved));
    }
  return fd;
}

static gboolean
spawn_qemu (HvVm             *self,
            const HvQemuCaps *caps,
            GError          **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *logs = g_build_filename (self->dir, "logs", NULL);
  g_autofree char *qmp_path = hv_vm_run_path (self, "qmp.sock");
  g_autofree char *argv_text = NULL;
  g_autoptr(HvVmConfig) start_config = NULL;
  g_autofree char *pid_path = hv_vm_run_path (self, "qemu.pid");
  g_autofree char *pid_tmp = hv_vm_run_path (self, ".qemu.pid.new");
  g_auto(GStrv) argv = NULL;
  ChildSetup setup;
  HvQemuPaths paths;
  int qmp_fd, log_fd;
  const char *ident;

  if (!hv_paths_ensure_private_dir (self->run_dir, error))
    return FALSE;
  hv_vm_clean_run_dir (self);
  if (g_mkdir_with_parents (logs, 0700) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", logs,
                   g_strerror (errno));
      return FALSE;
    }
  if (!hv_clone_check_backings (self->config, self->dir, TRUE, error)
      || !ensure_nvram (self, error))
    return FALSE;
  if (strlen (pid_path) >= sizeof setup.pid_path || strlen (pid_tmp) >= sizeof setup.pid_tmp)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Path too long: %s", pid_tmp);
      return FALSE;
    }
  strcpy (setup.pid_path, pid_path);
  strcpy (setup.pid_tmp, pid_tmp);

  /* The fd number QEMU sees: the launcher maps our socket to it in the child. */
  paths.vm_dir = self->dir;
  paths.run_dir = self->run_dir;
  paths.qmp_fd = 3;
  start_config = hv_snap_shares_start_config (self, caps);  /* a load without share devices */
  argv = hv_qemu_build_argv (start_config != NULL ? start_config : self->config, caps, &paths,
                             error);
  if (argv == NULL)
    return FALSE;

  log_fd = open_stderr_log (self, error);
  if (log_fd < 0)
    return FALSE;
  qmp_fd = listen_qmp (self, error);
  if (qmp_fd < 0)
    {
      close (log_fd);
      return FALSE;
    }
  /* virtiofsd listens before QEMU starts: QEMU connects to it while it sets up. */
  if (!hv_vm_shares_prepare (self, caps, error))
    {
      close (log_fd);
      close (qmp_fd);
      g_unlink (qmp_path);
      return FALSE;
    }

  argv_text = hv_qemu_argv_to_string ((const char * const *) argv);
  hv_vm_log (self, "starting QEMU (%s):\n%s", self->accel, argv_text);

  /* stdin is /dev/null; stdout and stderr go to logs/qemu.log, never a pipe, so that
   * QEMU gets no SIGPIPE when the engine is gone. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_stdout_fd (launcher, dup (log_fd));
  g_subprocess_launcher_take_stderr_fd (launcher, log_fd);
  g_subprocess_launcher_take_fd (launcher, qmp_fd, 3);
  hv_vm_network_pass_fds (self, launcher);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  g_subprocess_launcher_set_cwd (launcher, self->dir);

  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, error);
  g_clear_object (&launcher);   /* QEMU has its fds (the taps too): close ours */
  if (self->process == NULL)
    {
      hv_vm_network_stopped (self);
      hv_vm_shares_abort (self);
      hv_vm_clean_run_dir (self);
      return FALSE;
    }

  /* QEMU runs (exec succeeded), and its process has written qemu.pid. */
  hv_crash_point ("start:spawned");
  ident = g_subprocess_get_identifier (self->process);
  self->pid = ident != NULL ? (GPid) atoi (ident) : 0;
  self->process_gone = FALSE;
  self->qmp_gone = FALSE;
  self->have_status = FALSE;
  self->expect_exit = FALSE;
  self->stop_timeout_s = 0;
  g_clear_pointer (&self->shutdown_reason, g_free);
  self->run_cancellable = g_cancellable_new ();
  hv_crash_point ("start:pid-written");
  g_subprocess_wait_async (self->process, NULL, on_process_exited, g_object_ref (self));
  hv_qmp_connect_async (qmp_path, self->run_cancellable, on_start_qmp_connected,
                        g_object_ref (self));
  return TRUE;
}

static guint
start_timeout_s (void)
{
  const char *env = g_getenv ("HOSTVISOR_START_TIMEOUT");
  guint64 value;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 86400, &value, NULL))
    return (guint) value;
  return DEFAULT_START_TIMEOUT_S;
}

/* QEMU has not come up (no monitor, or no answer to `cont`) in time: end it. Its end
 * completes the start with the reason (hv_vm_process_check_gone()). */
static gboolean
on_start_deadline (gpointer user_data)
{
  HvVm *self = user_data;

  self->start_deadline_id = 0;
  if (self->start_task == NULL)
    return G_SOURCE_REMOVE;
  self->start_timed_out = TRUE;
  hv_vm_log (self, "QEMU did not start within %u s; ending it", self->start_timeout_s);
  send_signal (self, SIGKILL);
  /* The monitor connection may wait for a greeting that never comes. */
  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  return G_SOURCE_REMOVE;
}

/* The adapters have their taps (hv-vm-network.c): start QEMU with these capabilities. */
static void
on_network_attached (GObject *object, GAsyncResult *result, gpointer user_data)
{
  HvVm *self = HV_VM (object);
  g_autoptr(HvQemuCaps) run_caps = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->probe_task);
  GError *error = NULL;

  if (!hv_vm_network_attach_finish (self, result, &error) || task == NULL ||
      self->skeleton == NULL || self->config == NULL || !spawn_qemu (self, run_caps, &error))
    {
      hv_vm_network_stopped (self);
      if (error == NULL)
        error = g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                             "VM \"%s\" went away while starting", hv_vm_get_name (self));
      if (task != NULL)
        g_task_return_error (task, error);
      else
        g_error_free (error);
      return;
    }
  self->start_task = g_object_ref (task);
  self->start_timed_out = FALSE;
  self->start_timeout_s = start_timeout_s ();
  g_clear_handle_id (&self->start_deadline_id, g_source_remove);
  self->start_deadline_id = g_timeout_add_seconds (self->start_timeout_s, on_start_deadline,
                                                   self);
  hv_vm_set_state (self, HV_VM_STATE_STARTING, hv_vm_accel_state_reason (self));
}

/* Start QEMU with these capabilities (the engine's, or without virtiofsd): the adapters'
 * taps first. */
static void
start_now (HvVm             *self,
           GTask            *task,
           const HvQemuCaps *caps)
{
  GError *error = NULL;

  if (!hv_vm_config_validate (self->config, &error) || !check_files (self, &error) ||
      !hv_vm_machine_pin_on_start (self, caps, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->probe_task = g_object_ref (task);   /* a second start is refused meanwhile */
  hv_vm_network_attach_async (self, on_network_attached, hv_vm_accel_caps (self, caps));
}

static void
on_virtiofsd_probed (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->probe_task);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvQemuCaps) caps = hv_qemu_caps_copy (self->caps);

  if (task == NULL)
    return;
  if (self->skeleton == NULL || self->config == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" went away while starting", hv_vm_get_name (self));
      return;
    }
  if (!hv_virtiofsd_probe_finish (result, &error))
    {
      /* Shares still work, over 9p: say why once per start, in the VM's own log. */
      hv_vm_log (self, "virtiofsd (%s) cannot run here: %s; the shared folders use 9p",
                 caps->virtiofsd, error->message);
      g_clear_pointer (&caps->virtiofsd, g_free);
    }
  start_now (self, task, caps);
}

static void
on_accel_decided (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->probe_task);
  GError *error = NULL;

  if (!hv_vm_accel_prepare_finish (self, result, &error))
    {
      if (task != NULL)
        g_task_return_error (task, error);
      else
        g_error_free (error);
      return;
    }
  if (task == NULL)
    return;
  if (self->skeleton == NULL || self->config == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" went away while starting", hv_vm_get_name (self));
      return;
    }

  /* virtiofs needs a virtiofsd that runs here: the first start that wants it finds out
   * (once per engine; an instant answer afterwards). */
  if (hv_qemu_share_transport (self->config, self->caps) == HV_SHARE_TRANSPORT_VIRTIOFS)
    {
      g_autofree char *work_dir = g_build_filename (self->run_base, "virtiofs-probe", NULL);

      self->probe_task = g_steal_pointer (&task);
      hv_virtiofsd_probe_async (self->caps->virtiofsd, work_dir, NULL, on_virtiofsd_probed,
                                g_object_ref (self));
      return;
    }
  start_now (self, task, self->caps);
}

void
hv_vm_start_async (HvVm               *self,
                   GCancellable       *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_vm_start_async);

  if (self->state == HV_VM_STATE_INACCESSIBLE)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INACCESSIBLE,
                               "VM \"%s\" cannot be started: %s", hv_vm_get_name (self),
                               self->config_error);
      return;
    }
  if (hv_vm_is_active (self) || self->probe_task != NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" is already running", hv_vm_get_name (self));
      return;
    }
  if (self->caps == NULL || self->caps->qemu_binary == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                               "QEMU (qemu-system-x86_64) is not installed");
      return;
    }

  /* The accelerator first: the KVM verdict may still be coming (hv-vm-accel.c). */
  self->probe_task = g_steal_pointer (&task);
  hv_vm_accel_prepare_async (self, on_accel_decided, g_object_ref (self));
}

gboolean
hv_vm_start_finish (HvVm         *self,
                    GAsyncResult *result,
                    GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------------------
 * Stop, power off, pause, resume, reset
 */

static void
on_fire_and_forget (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    hv_vm_log (self, "QMP command failed: %s", error->message);
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  HvVm *self = user_data;

  self->stop_timeout_id = 0;
  self->stop_timed_out = TRUE;
  hv_vm_log (self, "the guest did not power off within %u s; powering off", self->stop_timeout_s);
  hv_vm_power_off (self, NULL);
  return G_SOURCE_REMOVE;
}

gboolean
hv_vm_stop (HvVm    *self,
            guint    timeout_seconds,
            GError **error)
{
  if (self->state == HV_VM_STATE_STOPPING)
    {
      /* Asked again: the newest deadline counts, counted from now. */
      if (timeout_seconds > 0 && self->stop_timeout_id != 0)
        {
          self->stop_timeout_s = timeout_seconds;
          g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
          self->stop_timeout_id = g_timeout_add_seconds (timeout_seconds, on_stop_timeout, self);
        }
      return TRUE;
    }
  if (self->state != HV_VM_STATE_RUNNING && self->state != HV_VM_STATE_PAUSED)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                   hv_vm_get_name (self));
      return FALSE;
    }
  if (self->qmp == NULL)
    return hv_vm_power_off (self, error);

  /* A paused guest cannot react to the power button. */
  if (self->state == HV_VM_STATE_PAUSED)
    hv_qmp_execute_async (self->qmp, "cont", NULL, -1, self->run_cancellable,
                          on_fire_and_forget, g_object_ref (self));
  hv_qmp_execute_async (self->qmp, "system_powerdown", NULL, -1, self->run_cancellable,
                        on_fire_and_forget, g_object_ref (self));

  self->stop_timeout_s = timeout_seconds > 0 ? timeout_seconds : DEFAULT_STOP_TIMEOUT_S;
  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  self->stop_timeout_id = g_timeout_add_seconds (self->stop_timeout_s, on_stop_timeout, self);
  hv_vm_set_state (self, HV_VM_STATE_STOPPING, "ACPI shutdown requested");
  return TRUE;
}

gboolean
hv_vm_power_off (HvVm    *self,
                 GError **error)
{
  if (!hv_vm_is_active (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                   hv_vm_get_name (self));
      return FALSE;
    }

  self->expect_exit = TRUE;
  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  if (self->qmp != NULL && hv_qmp_is_connected (self->qmp))
    {
      hv_qmp_execute_async (self->qmp, "quit", NULL, -1, NULL, on_fire_and_forget,
                            g_object_ref (self));
      if (self->kill_timeout_id == 0)
        self->kill_timeout_id = g_timeout_add_seconds (QUIT_GRACE_S, on_kill_timeout, self);
    }
  else
    send_signal (self, SIGKILL);
  return TRUE;
}

static void
on_action_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  HvVmAction action = GPOINTER_TO_INT (g_task_get_task_data (task));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The STOP/RESUME events say the same; setting it here makes the reply and the
   * state agree for the caller. */
  if (action == HV_VM_ACTION_PAUSE && self->state == HV_VM_STATE_RUNNING)
    hv_vm_set_state (self, HV_VM_STATE_PAUSED, "");
  else if (action == HV_VM_ACTION_RESUME && self->state == HV_VM_STATE_PAUSED)
    hv_vm_set_state (self, HV_VM_STATE_RUNNING, "");
  g_task_return_boolean (task, TRUE);
}

void
hv_vm_action_async (HvVm               *self,
                    HvVmAction          action,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  static const char * const commands[] = { "stop", "cont", "system_reset" };
  gboolean allowed;

  g_task_set_source_tag (task, hv_vm_action_async);
  g_task_set_task_data (task, GINT_TO_POINTER (action), NULL);

  switch (action)
    {
    case HV_VM_ACTION_PAUSE:
      allowed = self->state == HV_VM_STATE_RUNNING;
      break;
    case HV_VM_ACTION_RESUME:
      allowed = self->state == HV_VM_STATE_PAUSED;
      break;
    case HV_VM_ACTION_RESET:
    default:
      allowed = self->state == HV_VM_STATE_RUNNING || self->state == HV_VM_STATE_PAUSED;
      break;
    }

  if (!allowed || self->qmp == NULL)
    {
      const char *why = action == HV_VM_ACTION_RESUME ? "is not paused" :
                        action == HV_VM_ACTION_PAUSE && self->state == HV_VM_STATE_PAUSED ?
                        "is already paused" : "is not running";
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" %s",
                               hv_vm_get_name (self), why);
      return;
    }

  hv_qmp_execute_async (self->qmp, commands[action], NULL, -1, cancellable, on_action_done,
                        g_steal_pointer (&task));
}

gboolean
hv_vm_action_finish (HvVm         *self,
                     GAsyncResult *result,
                     GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------------------
 * Screenshot and consoles
 */

static void
on_screendump_done (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *path = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  int fd;

  if (reply == NULL)
    {
      g_unlink (path);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_unlink (path);
  if (fd < 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_IO, "QEMU wrote no screenshot");
      return;
    }
  g_task_return_int (task, fd);
}

void
hv_vm_screenshot_async (HvVm               *self,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *name = NULL;
  char *path;

  g_task_set_source_tag (task, hv_vm_screenshot_async);

  if (self->qmp == NULL || self->state == HV_VM_STATE_STARTING)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                               hv_vm_get_name (self));
      return;
    }

  name = g_strdup_printf ("screenshot-%u.png", ++self->screenshot_serial);
  path = hv_vm_run_path (self, name);
  g_task_set_task_data (task, path, g_free);
  json_object_set_string_member (args, "filename", path);
  /* QEMU 7.1 added the format argument; PNG keeps the file small. */
  json_object_set_string_member (args, "format", "png");
  hv_qmp_execute_async (self->qmp, "screendump", args, -1, cancellable, on_screendump_done,
                        g_steal_pointer (&task));
}

int
hv_vm_screenshot_finish (HvVm         *self,
                         GAsyncResult *result,
                         GError      **error)
{
  return (int) g_task_propagate_int (G_TASK (result), error);
}

int
hv_vm_open_socket (HvVm       *self,
                   const char *which,
                   GError    **error)
{
  g_autofree char *name = g_strdup_printf ("%s.sock", which);
  g_autofree char *path = hv_vm_run_path (self, name);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (self->state == HV_VM_STATE_STARTING || !hv_vm_is_active (self))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                   hv_vm_get_name (self));
      return -1;
    }
  /* QEMU serves its serial port to one client, the engine, which shares it. */
  if (g_str_equal (which, "serial"))
    return hv_vm_serial_open_client (self, error);
  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Socket path too long: %s", path);
      return -1;
    }
  strcpy (addr.sun_path, path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot connect to the %s console: %s",
                   which, g_strerror (saved));
      return -1;
    }
  return fd;
}

/* ----------------------------------------------------------------------------
 * Ensure off (delete, engine exit)
 */

void
hv_vm_ensure_off_async (HvVm               *self,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_vm_ensure_off_async);
  if (!hv_vm_is_active (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->off_waiters, g_steal_pointer (&task));
  hv_vm_power_off (self, NULL);
}

gboolean
hv_vm_ensure_off_finish (HvVm         *self,
                         GAsyncResult *result,
                         GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hv_vm_process_watch_pidfd (HvVm *self,
                           GPid  pid,
                           int   pidfd)
{
  self->pid = pid;
  self->pidfd = pidfd;
  self->process_gone = FALSE;
  self->qmp_gone = FALSE;
  self->have_status = FALSE;
  self->expect_exit = FALSE;
  self->run_cancellable = g_cancellable_new ();

  self->pidfd_source = g_unix_fd_source_new (pidfd, G_IO_IN);
  g_source_set_callback (self->pidfd_source, (GSourceFunc) (void (*) (void)) on_pidfd_ready,
                         self, NULL);
  g_source_attach (self->pidfd_source, NULL);
}

void
hv_vm_process_dispose (HvVm *self)
{
  if (self->live_shares != NULL)
    hv_vm_shares_dispose (self);
  hv_vm_agent_stop (self);
  hv_vm_serial_detach (self);
  cancel_timers (self);
  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  if (self->qmp != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->qmp, self);
      g_clear_object (&self->qmp);
    }
  g_clear_object (&self->process);
  if (self->pidfd_source != NULL)
    {
      g_source_destroy (self->pidfd_source);
      g_clear_pointer (&self->pidfd_source, g_source_unref);
    }
  if (self->pidfd >= 0)
    {
      close (self->pidfd);
      self->pidfd = -1;
    }
}
