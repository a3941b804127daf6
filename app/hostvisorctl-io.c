/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-io.c: the commands that move bytes: screenshot, log and console. */
#include "hv-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "hostvisorctl.h"
#include "hv-error.h"

/* A screen of 8K × 4K in 32 bits, uncompressed, is 128 MiB; a PNG of it is much smaller. */
#define HV_CTL_SCREENSHOT_MAX_BYTES (128 * 1024 * 1024)
/* How often log --follow looks for new output. */
#define HV_CTL_FOLLOW_INTERVAL_MS 200
/* With input from a pipe, the console stays until the guest has been quiet this long after
 * the input ended, so that its answer to the last line is still printed; but no longer than
 * HV_CTL_CONSOLE_LINGER_MAX_MS, since a guest that prints all the time is never quiet. */
#define HV_CTL_CONSOLE_LINGER_MS 1000
#define HV_CTL_CONSOLE_LINGER_MAX_MS 5000
/* Ctrl-]: telnet's escape key, which VBox and virsh users know too. */
#define HV_CTL_CONSOLE_ESCAPE 0x1d

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

/* The fd that an UnixFD method returned, as our own descriptor (the list keeps its own). */
static int
take_fd (GVariant     *handle,
         GUnixFDList  *fd_list,
         GError      **error)
{
  gint32 index = g_variant_get_handle (handle);

  if (fd_list == NULL || index < 0 || index >= g_unix_fd_list_get_length (fd_list))
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED,
                           _("the engine sent no file descriptor"));
      return -1;
    }
  return g_unix_fd_list_get (fd_list, index, error);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len,
           GError     **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          /* stdout may be a non-blocking descriptor that we inherited. */
          struct pollfd pfd = { fd, POLLOUT, 0 };
          poll (&pfd, 1, -1);
          continue;
        }
      if (n < 0 && errno == EPIPE && fd == STDOUT_FILENO)
        {
          /* The reader has gone (`log VM | head`): main() ends quietly on this code. */
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                               "the output was closed");
          return FALSE;
        }
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, HV_ERROR, HV_ERROR_IO, _("cannot write the output: %s"),
                       g_strerror (saved));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* ── screenshot ────────────────────────────────────────────────────────────────────────── */

static GBytes *
read_all (int          fd,
          gsize        max,
          GError     **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  char buffer[65536];

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, HV_ERROR, HV_ERROR_IO, _("cannot read the screenshot: %s"),
                       g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      if (data->len + (gsize) n > max)
        {
          g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED, _("the screenshot is too large"));
          return NULL;
        }
      g_byte_array_append (data, (const guint8 *) buffer, (guint) n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static gboolean
file_error (GError     **error,
            const char  *file,
            int          saved_errno)
{
  g_autofree char *shown = hv_ctl_display (file);

  g_set_error (error, HV_ERROR, saved_errno == ENOENT ? HV_ERROR_NOT_FOUND : HV_ERROR_IO,
               _("cannot write %s: %s"), shown, g_strerror (saved_errno));
  return FALSE;
}

/* Writes a temporary file beside @file and renames it over @file, so that a script never
 * sees half a PNG under that name. */
static gboolean
save_file (const char  *file,
           const char  *data,
           gsize        len,
           GError     **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", file);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  int saved;

  if (fd < 0)
    return file_error (error, file, errno);
  if (!write_all (fd, data, len, NULL))
    {
      saved = errno;
      close (fd);
      unlink (tmp);
      return file_error (error, file, saved);
    }
  if (close (fd) != 0 || rename (tmp, file) != 0)
    {
      saved = errno;
      unlink (tmp);
      return file_error (error, file, saved);
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_screenshot (HvCtl      *ctl,
                       HvCtlArgs  *args,
                       GError    **error)
{
  const char *file = hv_ctl_args_positional (args, 1);
  g_autoptr(HvDbusVm) vm = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GBytes) png = NULL;
  const char *data;
  gsize len;
  int fd;

  /* As gzip does: binary data on a terminal is garbage at best, escape sequences at worst. */
  if (g_str_equal (file, "-") && isatty (STDOUT_FILENO))
    {
      g_set_error_literal (error, HV_CTL_USAGE_ERROR, 0,
                           _("refusing to write PNG data to a terminal; redirect the output "
                             "or give a file name"));
      return FALSE;
    }

  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;
  if (ctl->remote != NULL)
    {
      /* No file descriptor passes over SSH: the PNG comes from hostvisorctl there. */
      if (!hv_ctl_remote_screenshot (ctl, vm, &png, error))
        return FALSE;
    }
  else
    {
      if (!hv_dbus_vm_call_screenshot_sync (vm, NULL, &handle, &fd_list, NULL, error))
        return FALSE;

      fd = take_fd (handle, fd_list, error);
      if (fd < 0)
        return FALSE;
      png = read_all (fd, HV_CTL_SCREENSHOT_MAX_BYTES, error);
      close (fd);
      if (png == NULL)
        return FALSE;
    }

  data = g_bytes_get_data (png, &len);
  if (len < sizeof png_signature || memcmp (data, png_signature, sizeof png_signature) != 0)
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED,
                           _("the engine sent a screenshot that is not a PNG"));
      return FALSE;
    }

  if (g_str_equal (file, "-"))
    return write_all (STDOUT_FILENO, data, len, error);

  return save_file (file, data, len, error);
}

/* ── log ───────────────────────────────────────────────────────────────────────────────── */

typedef struct {
  char       *path;
  int         fd;
  dev_t       dev;
  ino_t       ino;
  GMainLoop  *loop;
  GError     *error;
} Follow;

static gboolean
copy_to_stdout (int       fd,
                GError  **error)
{
  char buffer[65536];

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, HV_ERROR, HV_ERROR_IO, _("cannot read the serial log: %s"),
                       g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        return TRUE;
      if (!write_all (STDOUT_FILENO, buffer, (gsize) n, error))
        return FALSE;
    }
}

/* Prints what is new in the log. The engine truncates or replaces the file when the VM
 * starts again: a new file is read from its start, and so is one that got shorter. */
static gboolean
follow_drain (Follow  *follow,
              GError **error)
{
  struct stat st;

  if (stat (follow->path, &st) == 0 &&
      (follow->fd < 0 || st.st_dev != follow->dev || st.st_ino != follow->ino))
    {
      int fd = open (follow->path, O_RDONLY | O_CLOEXEC);

      if (fd >= 0)
        {
          if (follow->fd >= 0)
            {
              /* The rest of the old file first. */
              gboolean ok = copy_to_stdout (follow->fd, error);

              close (follow->fd);
              follow->fd = -1;
              if (!ok)
                {
                  close (fd);
                  return FALSE;
                }
            }
          follow->fd = fd;
          follow->dev = st.st_dev;
          follow->ino = st.st_ino;
        }
    }

  if (follow->fd < 0)
    return TRUE;

  if (fstat (follow->fd, &st) == 0 && st.st_size < lseek (follow->fd, 0, SEEK_CUR))
    lseek (follow->fd, 0, SEEK_SET);
  return copy_to_stdout (follow->fd, error);
}

static void
follow_stop (Follow *follow)
{
  if (follow->error == NULL)
    follow_drain (follow, &follow->error);
  g_main_loop_quit (follow->loop);
}

static gboolean
on_follow_tick (gpointer user_data)
{
  Follow *follow = user_data;

  if (follow->error == NULL && !follow_drain (follow, &follow->error))
    g_main_loop_quit (follow->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_follow_properties_changed (GDBusProxy *proxy,
                              GVariant   *changed,
                              GStrv       invalidated,
                              gpointer    user_data)
{
  const char *state = hv_dbus_vm_get_state (HV_DBUS_VM (proxy));

  if (state != NULL && !hv_ctl_state_is_active (state))
    follow_stop (user_data);
}

static void
on_follow_connection_closed (GDBusConnection *connection,
                             gboolean         remote_peer_vanished,
                             GError          *error,
                             gpointer         user_data)
{
  follow_stop (user_data);
}

static gboolean
on_follow_signal (gpointer user_data)
{
  Follow *follow = user_data;

  g_main_loop_quit (follow->loop);
  return G_SOURCE_CONTINUE;
}

/* Nobody reads our output any more (`log --follow | head` ended, or the ssh that ran us for
 * a client's --connect is gone: ssh without a terminal passes no Ctrl-C on, and sshd only
 * closes our stdout): end now, not when the guest next writes and the write fails. A pipe
 * whose reader has gone polls POLLERR, a socket POLLHUP; a terminal or a file neither. */
static gboolean
on_follow_output_gone (int          fd,
                       GIOCondition condition,
                       gpointer     user_data)
{
  Follow *follow = user_data;

  if (follow->error == NULL)
    g_set_error_literal (&follow->error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                         "the output was closed");
  g_main_loop_quit (follow->loop);
  return G_SOURCE_CONTINUE;
}

gboolean
hv_ctl_cmd_log (HvCtl      *ctl,
                HvCtlArgs  *args,
                GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *path = NULL;
  Follow follow = { 0 };
  guint sources[5];
  gulong changed_id, closed_id;

  if (vm == NULL)
    return FALSE;
  /* The log is a file on the remote host: hostvisorctl there prints it. */
  if (ctl->remote != NULL)
    return hv_ctl_remote_log (ctl, vm, hv_ctl_args_has (args, "follow"), error);

  /* A copy: the proxy's cached value goes away when its properties are reloaded. */
  path = g_strdup (hv_dbus_vm_get_serial_log_path (vm));
  follow.path = path;
  follow.fd = -1;
  if (path == NULL || path[0] == '\0')
    return TRUE;

  if (!hv_ctl_args_has (args, "follow"))
    {
      gboolean ok = follow_drain (&follow, error);

      if (follow.fd >= 0)
        close (follow.fd);
      return ok;
    }

  loop = g_main_loop_new (NULL, FALSE);
  follow.loop = loop;
  changed_id = g_signal_connect (vm, "g-properties-changed",
                                 G_CALLBACK (on_follow_properties_changed), &follow);
  closed_id = g_signal_connect (ctl->connection, "closed",
                                G_CALLBACK (on_follow_connection_closed), &follow);
  sources[0] = g_timeout_add (HV_CTL_FOLLOW_INTERVAL_MS, on_follow_tick, &follow);
  sources[1] = g_unix_signal_add (SIGINT, on_follow_signal, &follow);
  sources[2] = g_unix_signal_add (SIGTERM, on_follow_signal, &follow);
  sources[3] = g_unix_signal_add (SIGHUP, on_follow_signal, &follow);
  sources[4] = g_unix_fd_add (STDOUT_FILENO, G_IO_ERR | G_IO_HUP, on_follow_output_gone,
                              &follow);

  /* The state as of now, after the handler is in place: a VM that is not running has
   * nothing more to say, so print the log and end as without --follow. */
  if (hv_ctl_vm_refresh (vm, &follow.error) && follow_drain (&follow, &follow.error))
    {
      if (hv_ctl_state_is_active (hv_dbus_vm_get_state (vm)))
        g_main_loop_run (loop);
      else
        follow_drain (&follow, &follow.error);
    }

  g_signal_handler_disconnect (vm, changed_id);
  g_signal_handler_disconnect (ctl->connection, closed_id);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  if (follow.fd >= 0)
    close (follow.fd);

  if (follow.error != NULL)
    {
      g_propagate_error (error, follow.error);
      return FALSE;
    }
  return TRUE;
}

/* ── console ───────────────────────────────────────────────────────────────────────────── */

static volatile sig_atomic_t console_signal;

static void
on_console_signal (int signo)
{
  console_signal = signo;
}

typedef struct {
  int          sock;
  gboolean     escape_key;   /* stdin is a terminal: Ctrl-] leaves */
} Console;

/* Relays stdin → socket and socket → stdout until the socket closes, the escape key,
 * a signal, or (input not a terminal) the input ended and the guest has been quiet.
 * stdin and stdout stay blocking (they may be shared with the shell); poll() says when
 * they are ready. The socket is ours and non-blocking, so a guest that reads slowly
 * cannot stop us from printing what it writes. */
static gboolean
console_relay (Console  *console,
               GError  **error)
{
  char in[4096];
  gsize in_off = 0, in_len = 0;
  gboolean input_open = TRUE;
  gboolean leaving = FALSE;
  gint64 linger_end = 0;

  for (;;)
    {
      struct pollfd fds[2] = {
        { input_open && !leaving && in_len == 0 ? STDIN_FILENO : -1, POLLIN, 0 },
        { console->sock, POLLIN | (in_len > 0 ? POLLOUT : 0), 0 },
      };
      int timeout = -1;
      int n;

      if (leaving && in_len == 0)
        return TRUE;
      if (console_signal != 0)
        return TRUE;
      if (!input_open && in_len == 0)
        {
          gint64 left_ms = (linger_end - g_get_monotonic_time ()) / 1000;

          if (left_ms <= 0)
            return TRUE;
          timeout = (int) MIN (left_ms, HV_CTL_CONSOLE_LINGER_MS);
        }

      n = poll (fds, G_N_ELEMENTS (fds), timeout);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "poll: %s", g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        return TRUE;   /* the input ended and the guest is quiet */

      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          char out[4096];
          ssize_t r = read (console->sock, out, sizeof out);

          if (r > 0)
            {
              if (!write_all (STDOUT_FILENO, out, (gsize) r, error))
                return FALSE;
            }
          else if (r == 0 || (errno != EINTR && errno != EAGAIN))
            return TRUE;   /* the VM stopped or the engine closed the connection */
        }

      if (in_len > 0 && (fds[1].revents & POLLOUT))
        {
          ssize_t w = send (console->sock, in + in_off, in_len, MSG_NOSIGNAL);

          if (w > 0)
            {
              in_off += (gsize) w;
              in_len -= (gsize) w;
            }
          else if (w < 0 && errno != EINTR && errno != EAGAIN)
            return TRUE;   /* the other side is gone */
        }

      if (fds[0].fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          ssize_t r = read (STDIN_FILENO, in, sizeof in);

          if (r > 0)
            {
              const char *escape = console->escape_key
                                     ? memchr (in, HV_CTL_CONSOLE_ESCAPE, (gsize) r) : NULL;

              in_off = 0;
              in_len = escape != NULL ? (gsize) (escape - in) : (gsize) r;
              leaving = escape != NULL;
            }
          else if (r == 0 || (errno != EINTR && errno != EAGAIN))
            {
              input_open = FALSE;
              linger_end = g_get_monotonic_time () + HV_CTL_CONSOLE_LINGER_MAX_MS * 1000;
            }
        }
    }
}

gboolean
hv_ctl_cmd_console (HvCtl      *ctl,
                    HvCtlArgs  *args,
                    GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autofree char *name = NULL;
  static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
  struct sigaction saved_actions[G_N_ELEMENTS (signals)];
  struct sigaction saved_pipe_action;
  struct sigaction action = { 0 };
  struct termios saved_termios, raw;
  gboolean is_tty;
  Console console = { 0 };
  gboolean ok;

  if (vm == NULL)
    return FALSE;
  /* The serial port's socket cannot pass over SSH: hostvisorctl there relays it. */
  if (ctl->remote != NULL)
    return hv_ctl_remote_console (ctl, vm, error);
  name = hv_ctl_vm_display_name (vm);
  if (!hv_dbus_vm_call_open_serial_sync (vm, NULL, &handle, &fd_list, NULL, error))
    return FALSE;
  console.sock = take_fd (handle, fd_list, error);
  if (console.sock < 0)
    return FALSE;
  g_clear_object (&fd_list);
  if (!g_unix_set_fd_nonblocking (console.sock, TRUE, error))
    {
      close (console.sock);
      return FALSE;
    }

  is_tty = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved_termios) == 0;
  console.escape_key = is_tty;

  /* A signal ends the relay (poll() returns EINTR) so that the terminal is restored. */
  console_signal = 0;
  action.sa_handler = on_console_signal;
  sigemptyset (&action.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &action, &saved_actions[i]);
  /* A closed stdout must end the relay with EPIPE, not kill us with the terminal raw. */
  action.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &action, &saved_pipe_action);

  if (is_tty)
    {
      fprintf (stderr, _("Connected to the serial console of \"%s\". Press Ctrl-] to leave.\n"),
               name);
      raw = saved_termios;
      cfmakeraw (&raw);
      tcsetattr (STDIN_FILENO, TCSADRAIN, &raw);
    }

  ok = console_relay (&console, error);

  if (is_tty)
    {
      tcsetattr (STDIN_FILENO, TCSADRAIN, &saved_termios);
      fprintf (stderr, "\n%s\n", _("Disconnected."));
    }
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &saved_actions[i], NULL);
  sigaction (SIGPIPE, &saved_pipe_action, NULL);
  close (console.sock);
  return ok;
}
