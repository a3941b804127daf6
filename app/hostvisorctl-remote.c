/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-remote.c: with --connect, what D-Bus over SSH cannot carry. The engine hands
 * a screenshot and the serial port over as file descriptors, and the log is a file on its
 * host; none of that passes over ssh. So hostvisorctl runs there, through a second ssh
 * command: `hostvisorctl screenshot UUID -`, `log UUID [--follow]`, `console UUID`. The VM
 * was found over D-Bus first (so its name is checked, and the contract version too), and only
 * its UUID travels: the remote shell never sees a word of the user's. */
#include "hv-build-config.h"

#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-error.h"

/* As hostvisorctl-io.c's limit for a screenshot. */
#define REMOTE_OUTPUT_MAX (128 * 1024 * 1024)
#define STDERR_MAX 4096

typedef enum {
  REMOTE_CAPTURE,      /* stdout read into bytes; stdin /dev/null; stderr kept */
  REMOTE_STREAM,       /* stdout is ours; stdin /dev/null; stderr kept */
  REMOTE_INTERACTIVE,  /* stdin, stdout and stderr are ours; a terminal if stdin is one */
} RemoteMode;

static char *
read_memfd (int fd)
{
  char buffer[STDERR_MAX + 1];
  off_t size = lseek (fd, 0, SEEK_END);
  off_t from = size > STDERR_MAX ? size - STDERR_MAX : 0;
  ssize_t n = size > 0 ? pread (fd, buffer, STDERR_MAX, from) : 0;

  if (n <= 0)
    return NULL;
  buffer[n] = '\0';
  return g_strdup (buffer);
}

static GBytes *
read_limited (GInputStream  *stream,
              gsize          max,
              GError       **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[65536];

  for (;;)
    {
      gssize n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        return g_byte_array_free_to_bytes (g_steal_pointer (&data));
      if (data->len + (gsize) n > max)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                       _("the remote host sent more than %u MiB"), (guint) (max >> 20));
          return NULL;
        }
      g_byte_array_append (data, buffer, (guint) n);
    }
}

/* In ssh, before it runs: it ends when we do. Killed by a signal that ssh does not get (kill
 * -INT of our pid only, or SIGKILL), we would leave ssh connected, and with it the remote
 * command: a `log --follow` there would go on for ever. Once ssh ends, the remote command's
 * output is closed and it ends too (hv_ctl_cmd_log() watches for that). */
static void
end_with_parent (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGTERM);
  /* We may have ended already, before prctl. */
  if (getppid () != parent)
    _exit (255);
}

/* Runs `hostvisorctl WORDS…` on the remote host. */
static gboolean
remote_run (HvCtl               *ctl,
            const char * const  *words,
            RemoteMode           mode,
            GBytes             **output,
            GError             **error)
{
  gboolean tty = mode == REMOTE_INTERACTIVE && isatty (STDIN_FILENO);
  g_auto(GStrv) argv = hv_remote_ssh_argv (ctl->remote, tty, words, error);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *said = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_NONE;
  int stderr_fd = -1;
  int status;

  if (argv == NULL)
    return FALSE;
  if (mode == REMOTE_INTERACTIVE)
    flags |= G_SUBPROCESS_FLAGS_STDIN_INHERIT;
  if (mode == REMOTE_CAPTURE)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_child_setup (launcher, end_with_parent,
                                         GINT_TO_POINTER (getpid ()), NULL);
  if (mode != REMOTE_INTERACTIVE)
    {
      stderr_fd = memfd_create ("hostvisor-ssh-stderr", MFD_CLOEXEC);
      if (stderr_fd < 0)
        {
          int saved = errno;

          g_set_error (error, HV_ERROR, HV_ERROR_IO, "memfd_create: %s", g_strerror (saved));
          return FALSE;
        }
      g_subprocess_launcher_take_stderr_fd (launcher, dup (stderr_fd));
    }
  /* What we wrote so far must come before what ssh writes to the same stdout. */
  fflush (stdout);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &local_error);
  if (process == NULL)
    {
      if (stderr_fd >= 0)
        close (stderr_fd);
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("cannot run ssh: %s"),
                   local_error->message);
      return FALSE;
    }

  if (output != NULL)
    {
      *output = read_limited (g_subprocess_get_stdout_pipe (process), REMOTE_OUTPUT_MAX,
                              &local_error);
      if (*output == NULL)
        g_subprocess_force_exit (process);
    }
  g_subprocess_wait (process, NULL, NULL);
  if (stderr_fd >= 0)
    {
      said = read_memfd (stderr_fd);
      close (stderr_fd);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!g_subprocess_get_if_exited (process))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("ssh to %s ended by a signal"),
                   ctl->remote->host);
      return FALSE;
    }
  status = g_subprocess_get_exit_status (process);
  if (status == 0)
    return TRUE;
  hv_remote_set_exit_error (ctl->remote, status, said, error);
  return FALSE;
}

gboolean
hv_ctl_remote_screenshot (HvCtl      *ctl,
                          HvDbusVm   *vm,
                          GBytes    **png,
                          GError    **error)
{
  const char *words[] = { "screenshot", hv_dbus_vm_get_uuid (vm), "-", NULL };

  return remote_run (ctl, words, REMOTE_CAPTURE, png, error);
}

gboolean
hv_ctl_remote_log (HvCtl     *ctl,
                   HvDbusVm  *vm,
                   gboolean   follow,
                   GError   **error)
{
  const char *words[] = { "log", hv_dbus_vm_get_uuid (vm), follow ? "--follow" : NULL, NULL };

  return remote_run (ctl, words, REMOTE_STREAM, NULL, error);
}

gboolean
hv_ctl_remote_console (HvCtl     *ctl,
                       HvDbusVm  *vm,
                       GError   **error)
{
  const char *words[] = { "console", hv_dbus_vm_get_uuid (vm), NULL };

  return remote_run (ctl, words, REMOTE_INTERACTIVE, NULL, error);
}

char *
hv_ctl_remote_lost_line (HvCtl *ctl)
{
  if (ctl == NULL || ctl->remote == NULL || ctl->connection == NULL ||
      !g_dbus_connection_is_closed (ctl->connection))
    return NULL;
  return hv_remote_lost_reason (ctl->connection);
}
