/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-bridge.c: `hostvisorctl bridge`, the far end of `hostvisorctl --connect
 * ssh://…` (engine/hv-client-remote.c runs it through ssh; docs/remote.md).
 *
 * It reaches this user's engine (starting it if needed) and joins it to its own stdin and
 * stdout, over which the client speaks the engine's peer-to-peer D-Bus. Only the SASL
 * exchange that opens a D-Bus connection is not passed through, since over a pipe GDBus
 * cannot use EXTERNAL, the one mechanism the engine accepts: the bridge authenticates to the
 * engine itself with EXTERNAL (it runs as the user whose engine it is, which the engine checks
 * with SO_PEERCRED, as for any client), and to the client it offers ANONYMOUS only. That is
 * no weaker: whoever writes to the bridge's stdin has logged in through ssh as this user, and
 * could run anything as this user anyway. From the client's BEGIN on, every byte is passed
 * on unchanged, both ways. File descriptors cannot pass (NEGOTIATE_UNIX_FD is refused).
 *
 * `bridge --console VM` joins stdin and stdout to the VM's display instead (the socket that
 * Vm.OpenConsole returns, QEMU's VNC server): a graphical console over SSH runs it as a second
 * ssh command (hv_remote_open_console()). */
#include "hv-build-config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixconnection.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-error.h"

/* A SASL line longer than this is no D-Bus client's. */
#define BRIDGE_LINE_MAX 1024
/* A client that has not begun after this many lines is not one either. */
#define BRIDGE_AUTH_LINES_MAX 16
#define BRIDGE_BUFFER_SIZE (64 * 1024)
/* The engine's GUID, as its "OK" line gives it: 32 hex digits. */
#define GUID_LEN 32

typedef struct {
  char   data[BRIDGE_BUFFER_SIZE];
  gsize  start;
  gsize  len;
} Buffer;

static gboolean
io_error (GError    **error,
          const char *what,
          int         saved)
{
  g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s: %s", what, g_strerror (saved));
  return FALSE;
}

/* Waits until @fd is ready for @events (a socket of GIO's is non-blocking). */
static void
wait_fd (int   fd,
         short events)
{
  struct pollfd pfd = { fd, events, 0 };

  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len,
           const char  *what,
           GError     **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          wait_fd (fd, POLLOUT);
          continue;
        }
      if (n < 0)
        return io_error (error, what, errno);
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Reads what is there (waiting for something): the number of bytes, 0 at the end, -1 on
 * error. */
static gssize
read_some (int    fd,
           char  *data,
           gsize  size)
{
  for (;;)
    {
      ssize_t n = read (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          wait_fd (fd, POLLIN);
          continue;
        }
      return n;
    }
}

/* The next line of @buffer without its "\r\n", reading more from @fd as needed; NULL at the
 * end of the input (*@error unset) or on an error. */
static char *
next_line (Buffer     *buffer,
           int         fd,
           const char *what,
           GError    **error)
{
  for (;;)
    {
      const char *start = buffer->data + buffer->start;
      const char *end = g_strstr_len (start, buffer->len, "\r\n");
      gssize n;

      if (end != NULL)
        {
          char *line = g_strndup (start, end - start);

          buffer->start += (gsize) (end - start) + 2;
          buffer->len -= (gsize) (end - start) + 2;
          return line;
        }
      if (buffer->len >= BRIDGE_LINE_MAX)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("%s: a line that is too long"), what);
          return NULL;
        }
      if (buffer->start > 0)
        {
          memmove (buffer->data, start, buffer->len);
          buffer->start = 0;
        }
      n = read_some (fd, buffer->data + buffer->len,
                     BRIDGE_LINE_MAX - buffer->len);
      if (n < 0)
        {
          io_error (error, what, errno);
          return NULL;
        }
      if (n == 0)
        return NULL;
      buffer->len += (gsize) n;
    }
}

/* ── The engine's side ──────────────────────────────────────────────────────────────────── */

typedef struct {
  char *guid;
} EngineAuth;

/* EXTERNAL as ourselves (GDBus clients send the uid as hex of its decimal digits). */
static GObject *
engine_handshake (GSocketConnection  *stream,
                  gpointer            user_data,
                  GCancellable       *cancellable,
                  GError            **error)
{
  EngineAuth *auth = user_data;
  int fd = g_socket_get_fd (g_socket_connection_get_socket (stream));
  g_autofree char *uid = g_strdup_printf ("%u", (guint) getuid ());
  g_autoptr(GString) request = g_string_new ("AUTH EXTERNAL ");
  g_autoptr(GError) local_error = NULL;
  g_autofree char *line = NULL;
  Buffer *buffer = g_new0 (Buffer, 1);
  gboolean ok;

  for (const char *p = uid; *p != '\0'; p++)
    g_string_append_printf (request, "%02x", (guint) (guchar) *p);
  g_string_append (request, "\r\n");

  /* The first byte is a NUL, with our credentials attached, as GDBus clients send it. */
  if (!g_unix_connection_send_credentials (G_UNIX_CONNECTION (stream), cancellable, error) ||
      !write_all (fd, request->str, request->len, _("the engine's socket"), error))
    {
      g_free (buffer);
      return NULL;
    }
  line = next_line (buffer, fd, _("the engine's socket"), &local_error);
  /* It sends nothing before our BEGIN but this one line: nothing is left in the buffer. */
  ok = line != NULL && buffer->len == 0 && g_str_has_prefix (line, "OK ") &&
       strlen (line + 3) == GUID_LEN;
  for (guint i = 0; ok && i < GUID_LEN; i++)
    ok = g_ascii_isxdigit (line[3 + i]);
  g_free (buffer);
  if (!ok)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                     _("the engine did not accept the bridge (it said \"%s\")"),
                     line != NULL ? line : "");
      return NULL;
    }
  if (!write_all (fd, "BEGIN\r\n", 7, _("the engine's socket"), error))
    return NULL;
  auth->guid = g_strdup (line + 3);
  return G_OBJECT (g_object_ref (stream));
}

/* ── The client's side ──────────────────────────────────────────────────────────────────── */

static gboolean
reply (const char  *line,
       GError     **error)
{
  g_autofree char *text = g_strconcat (line, "\r\n", NULL);

  return write_all (STDOUT_FILENO, text, strlen (text), _("standard output"), error);
}

/* The server's half of the SASL exchange with the client, up to its BEGIN. FALSE with
 * *@error unset: the client went away. */
static gboolean
serve_client_auth (Buffer      *input,
                   const char  *guid,
                   GError     **error)
{
  g_autofree char *ok_line = g_strconcat ("OK ", guid, NULL);
  gboolean authenticated = FALSE;
  gssize n;

  n = read_some (STDIN_FILENO, input->data, sizeof input->data);
  if (n <= 0)
    return n == 0 ? FALSE : io_error (error, _("standard input"), errno);
  if (input->data[0] != '\0')
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED,
                           _("this is not a D-Bus client (bridge is what hostvisorctl --connect "
                             "runs on the remote host)"));
      return FALSE;
    }
  input->start = 1;
  input->len = (gsize) n - 1;

  for (guint i = 0; i < BRIDGE_AUTH_LINES_MAX; i++)
    {
      g_autofree char *line = next_line (input, STDIN_FILENO, _("standard input"), error);
      gboolean sent;

      if (line == NULL)
        return FALSE;
      if (g_str_equal (line, "BEGIN"))
        {
          if (authenticated)
            return TRUE;
          g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED,
                               _("the client began before it authenticated"));
          return FALSE;
        }
      if (g_str_equal (line, "AUTH ANONYMOUS") || g_str_has_prefix (line, "AUTH ANONYMOUS "))
        {
          authenticated = TRUE;
          sent = reply (ok_line, error);
        }
      else if (g_str_has_prefix (line, "AUTH") || g_str_equal (line, "CANCEL") ||
               g_str_has_prefix (line, "ERROR"))
        {
          authenticated = FALSE;
          sent = reply ("REJECTED ANONYMOUS", error);
        }
      else if (g_str_equal (line, "NEGOTIATE_UNIX_FD"))
        sent = reply ("ERROR \"file descriptors cannot pass over SSH\"", error);
      else
        sent = reply ("ERROR \"unknown command\"", error);
      if (!sent)
        return FALSE;
    }
  g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED,
                       _("the client did not begin after as many lines as a D-Bus client needs"));
  return FALSE;
}

/* ── Passing the bytes ──────────────────────────────────────────────────────────────────── */

/* stdin → @sock and @sock → stdout until @sock's side ends; the end of stdin is
 * passed on as a half-close. Writes may block: both ends are GDBus connections, which read
 * while they write, so a blocked write always drains. */
static gboolean
relay (int          sock,
       Buffer      *pending,
       GError     **error)
{
  g_autofree char *buffer = g_malloc (BRIDGE_BUFFER_SIZE);
  gboolean input_open = TRUE;

  /* What the client sent after its BEGIN, in the same read. */
  if (pending->len > 0 &&
      !write_all (sock, pending->data + pending->start, pending->len, _("the engine's socket"),
                  error))
    return FALSE;

  for (;;)
    {
      struct pollfd fds[2] = {
        { input_open ? STDIN_FILENO : -1, POLLIN, 0 },
        { sock, POLLIN, 0 },
      };
      gssize n;

      if (poll (fds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return io_error (error, "poll", errno);
        }

      if (fds[1].revents != 0)
        {
          n = read (sock, buffer, BRIDGE_BUFFER_SIZE);
          if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (n <= 0)
            return TRUE;   /* the engine closed the connection (or it broke): the end */
          /* A client that has gone (ssh ended) ends the bridge, as an ended engine does. */
          if (!write_all (STDOUT_FILENO, buffer, (gsize) n, _("standard output"), NULL))
            return TRUE;
        }

      if (fds[0].revents != 0)
        {
          n = read (STDIN_FILENO, buffer, BRIDGE_BUFFER_SIZE);
          if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (n <= 0)
            {
              /* The client is done: the engine sees the end as from a local client. */
              input_open = FALSE;
              shutdown (sock, SHUT_WR);
              continue;
            }
          if (!write_all (sock, buffer, (gsize) n, _("the engine's socket"), error))
            return FALSE;
        }
    }
}

const HvCtlOption hv_ctl_bridge_options[] = {
  { "console", HV_CTL_OPT_STRING, 0, 0, "VM",
    N_("Join stdin and stdout to the VM's display (VNC) instead of the engine") },
  { NULL }
};

/* --console VM: the VM's VNC socket, from the engine as for a local viewer, to stdio. */
static gboolean
bridge_console (HvCtl       *ctl,
                const char  *name,
                GError     **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, name, error);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autofree Buffer *nothing = g_new0 (Buffer, 1);
  gint32 index;
  gboolean ok;
  int fd;

  if (vm == NULL || !hv_dbus_vm_call_open_console_sync (vm, NULL, &handle, &fd_list, NULL, error))
    return FALSE;
  index = g_variant_get_handle (handle);
  if (fd_list == NULL || index < 0 || index >= g_unix_fd_list_get_length (fd_list))
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED,
                           _("the engine sent no file descriptor"));
      return FALSE;
    }
  fd = g_unix_fd_list_get (fd_list, index, error);
  if (fd < 0)
    return FALSE;
  ok = relay (fd, nothing, error);
  close (fd);
  return ok;
}

gboolean
hv_ctl_cmd_bridge (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autoptr(GSocketConnection) engine = NULL;
  g_autofree Buffer *input = g_new0 (Buffer, 1);
  g_autoptr(GError) local_error = NULL;
  EngineAuth auth = { NULL };
  gboolean ok;

  if (isatty (STDIN_FILENO) || isatty (STDOUT_FILENO))
    {
      g_set_error_literal (error, HV_CTL_USAGE_ERROR, 0,
                           _("bridge speaks D-Bus on its standard input and output for "
                             "\"hostvisorctl --connect\" on another host; it is not for a "
                             "terminal"));
      return FALSE;
    }

  if (hv_ctl_args_has (args, "console"))
    return bridge_console (ctl, hv_ctl_args_get (args, "console"), error);

  engine = G_SOCKET_CONNECTION (hv_client_open_engine_sync (TRUE, engine_handshake, &auth, NULL,
                                                            error));
  if (engine == NULL)
    return FALSE;

  ok = serve_client_auth (input, auth.guid, &local_error);
  g_free (auth.guid);
  if (!ok)
    {
      /* A client that went away before it began is no error of ours. */
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return relay (g_socket_get_fd (g_socket_connection_get_socket (engine)), input, error);
}
