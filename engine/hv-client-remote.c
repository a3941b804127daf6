/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-client-remote.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hv-client.h"
#include "hv-contract.h"
#include "hv-error.h"

#define REMOTE_PROGRAM "hostvisorctl"
/* Longest user and host names taken (Linux's user names are at most 32 bytes, DNS names 253). */
#define USER_MAX 32
#define HOST_MAX 253
/* ssh options that every connection gets (they win over ~/.ssh/config): never a prompt, a
 * host that does not answer is an error after this many seconds, and a connection whose
 * other end went silent ends after 3 × 15 s instead of hanging. */
#define SSH_CONNECT_TIMEOUT "ConnectTimeout=20"
#define SSH_ALIVE_INTERVAL "ServerAliveInterval=15"
#define SSH_ALIVE_COUNT "ServerAliveCountMax=3"
/* How long to wait for ssh to exit once its output ended, to tell why. */
#define EXIT_WAIT_MS 5000
/* How much of ssh's stderr is read for a message. */
#define STDERR_TAIL_BYTES 4096
/* How long the contract version may take: the bridge may have to start the engine first. */
#define VERSION_CALL_TIMEOUT_MS (2 * 60 * 1000)

/* What a remote connection keeps: the ssh process and its stderr (a memfd), to say why the
 * connection could not be made or was lost. */
typedef struct {
  GSubprocess *process;
  int          stderr_fd;
  char        *host;
} RemoteLink;

static void
remote_link_free (RemoteLink *link)
{
  if (link->process != NULL && g_subprocess_get_identifier (link->process) != NULL)
    g_subprocess_force_exit (link->process);
  g_clear_object (&link->process);
  if (link->stderr_fd >= 0)
    close (link->stderr_fd);
  g_free (link->host);
  g_free (link);
}

/* ── The address ────────────────────────────────────────────────────────────────────────── */

static gboolean
address_error (GError    **error,
               const char *why)
{
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
               /* Translators: %s says what is wrong with it */
               _("not an address of the form ssh://[user@]host[:port]: %s"), why);
  return FALSE;
}

static gboolean
valid_user (const char *user)
{
  gsize len = strlen (user);

  if (len == 0 || len > USER_MAX || user[0] == '-')
    return FALSE;
  for (const char *p = user; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

/* A host name, an ssh_config alias or an IPv4 address: letters, digits, "." "-" "_",
 * starting with a letter or digit (so never an option). */
static gboolean
valid_host_name (const char *host)
{
  gsize len = strlen (host);

  if (len == 0 || len > HOST_MAX || !g_ascii_isalnum (host[0]))
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
valid_ipv6 (const char *host)
{
  gsize len = strlen (host);

  if (len < 2 || len > 45 || strchr (host, ':') == NULL || host[0] == '-')
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) && *p != ':' && *p != '.')
      return FALSE;
  return TRUE;
}

HvRemote *
hv_remote_parse (const char  *address,
                 GError     **error)
{
  g_autoptr(HvRemote) remote = g_new0 (HvRemote, 1);
  g_autofree char *authority = NULL;
  char *host, *port = NULL, *at;
  gsize len;

  if (address == NULL || g_ascii_strncasecmp (address, "ssh://", 6) != 0)
    {
      address_error (error, _("it must begin with ssh://"));
      return NULL;
    }
  remote->address = g_strdup (address);
  authority = g_strdup (address + 6);
  len = strlen (authority);
  if (len > 0 && authority[len - 1] == '/')
    authority[len - 1] = '\0';
  if (strpbrk (authority, "/?#%") != NULL)
    {
      address_error (error, _("it may have no path, query or escapes"));
      return NULL;
    }

  host = authority;
  at = strchr (authority, '@');
  if (at != NULL)
    {
      *at = '\0';
      if (!valid_user (authority))
        {
          address_error (error, _("a user name has letters, digits, \".\", \"_\" and \"-\" "
                                  "and does not begin with \"-\""));
          return NULL;
        }
      remote->user = g_strdup (authority);
      host = at + 1;
    }

  if (host[0] == '[')
    {
      char *end = strchr (host, ']');

      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        {
          address_error (error, _("an IPv6 address in brackets has no closing \"]\""));
          return NULL;
        }
      *end = '\0';
      host++;
      if (end[1] == ':')
        port = end + 2;
      if (!valid_ipv6 (host))
        {
          address_error (error, _("not an IPv6 address"));
          return NULL;
        }
    }
  else
    {
      char *colon = strchr (host, ':');

      if (colon != NULL)
        {
          *colon = '\0';
          port = colon + 1;
        }
      if (!valid_host_name (host))
        {
          address_error (error, _("a host name has letters, digits, \".\", \"_\" and \"-\" "
                                  "and begins with a letter or digit"));
          return NULL;
        }
    }
  remote->host = g_strdup (host);

  if (port != NULL)
    {
      guint64 value;

      if (port[0] == '\0' || !g_ascii_isdigit (port[0]) ||
          !g_ascii_string_to_unsigned (port, 10, 1, 65535, &value, NULL))
        {
          address_error (error, _("the port is a number from 1 to 65535"));
          return NULL;
        }
      remote->port = (guint16) value;
    }
  return g_steal_pointer (&remote);
}

void
hv_remote_free (HvRemote *remote)
{
  if (remote == NULL)
    return;
  g_free (remote->address);
  g_free (remote->user);
  g_free (remote->host);
  g_free (remote);
}

/* ── ssh ────────────────────────────────────────────────────────────────────────────────── */

static gboolean
plain_word (const char *word)
{
  if (word == NULL || word[0] == '\0')
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._-/=", *p) == NULL)
      return FALSE;
  return TRUE;
}

GStrv
hv_remote_ssh_argv (const HvRemote      *remote,
                    gboolean             tty,
                    const char * const  *words,
                    GError             **error)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();

  g_strv_builder_add_many (argv, "ssh", "-o", "BatchMode=yes", "-o", SSH_CONNECT_TIMEOUT,
                           "-o", SSH_ALIVE_INTERVAL, "-o", SSH_ALIVE_COUNT, "-e", "none",
                           tty ? "-t" : "-T", NULL);
  if (remote->port != 0)
    {
      g_autofree char *port = g_strdup_printf ("%u", remote->port);

      g_strv_builder_add_many (argv, "-p", port, NULL);
    }
  if (remote->user != NULL)
    g_strv_builder_add_many (argv, "-l", remote->user, NULL);
  /* After "--" the host is the destination whatever it looks like (it was checked anyway). */
  g_strv_builder_add_many (argv, "--", remote->host, REMOTE_PROGRAM, NULL);
  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    {
      if (!plain_word (words[i]))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Refusing to pass \"%s\" to the remote shell", words[i]);
          return NULL;
        }
      g_strv_builder_add (argv, words[i]);
    }
  return g_strv_builder_end (argv);
}

/* The last line that says something in what the remote side wrote to stderr, without the
 * "hostvisorctl: " that a remote hostvisorctl puts in front; NULL if none. */
static char *
last_line (const char *text)
{
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = g_strv_length (lines); i > 0; i--)
    {
      char *line = g_strstrip (lines[i - 1]);

      if (line[0] == '\0')
        continue;
      if (g_str_has_prefix (line, REMOTE_PROGRAM ": "))
        line += strlen (REMOTE_PROGRAM ": ");
      return g_strdup (line);
    }
  return NULL;
}

void
hv_remote_set_exit_error (const HvRemote *remote,
                          int             exit_status,
                          const char     *stderr_text,
                          GError        **error)
{
  const char *host = remote->host;
  g_autofree char *said = last_line (stderr_text);

  switch (exit_status)
    {
    case 255:
      /* ssh's own failure: no route, refused, unknown host key, no accepted key… */
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("cannot reach %s over SSH: %s"), host,
                   said != NULL ? said : _("ssh failed"));
      break;
    case 126:
    case 127:
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   _("Hostvisor is not installed on %s (no %s in the PATH of a command run "
                     "there over SSH)"), host, REMOTE_PROGRAM);
      break;
    default:
      if (said != NULL && strstr (said, "no command \"bridge\"") != NULL)
        g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                     _("the Hostvisor on %s is too old to be used over SSH (its %s has no "
                       "bridge command): install the same version there"), host,
                     REMOTE_PROGRAM);
      else if (said != NULL)
        g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("on %s: %s"), host, said);
      else
        g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                     _("the command on %s ended with status %d"), host, exit_status);
      break;
    }
}

static char *
read_stderr (int fd)
{
  char buffer[STDERR_TAIL_BYTES + 1];
  off_t size = lseek (fd, 0, SEEK_END);
  off_t from = size > STDERR_TAIL_BYTES ? size - STDERR_TAIL_BYTES : 0;
  ssize_t n;

  if (size <= 0)
    return NULL;
  do
    n = pread (fd, buffer, STDERR_TAIL_BYTES, from);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return NULL;
  buffer[n] = '\0';
  return g_strdup (buffer);
}

static void
on_waited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits up to @timeout_ms for @process to exit; its exit status, or -1 if it did not exit
 * by itself (it is killed then) or died of a signal. */
static int
wait_exit (GSubprocess *process,
           guint        timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  gboolean done = FALSE, timed_out = FALSE;

  g_main_context_push_thread_default (context);
  g_subprocess_wait_async (process, NULL, on_waited, &done);
  g_source_set_callback (timeout, on_wait_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!done && !timed_out)
    g_main_context_iteration (context, TRUE);
  if (!done)
    {
      g_subprocess_force_exit (process);
      while (!done)
        g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (timed_out || !g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

/* Why the link's ssh ended (or did not start its bridge), as an error. */
static void
link_error (RemoteLink      *link,
            const HvRemote  *remote,
            GError          *stream_error,
            GError         **error)
{
  int status = wait_exit (link->process, EXIT_WAIT_MS);
  g_autofree char *text = read_stderr (link->stderr_fd);

  if (status > 0)
    hv_remote_set_exit_error (remote, status, text, error);
  else
    {
      g_autofree char *said = last_line (text);

      g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                   _("the bridge on %s did not answer as Hostvisor does: %s"), remote->host,
                   said != NULL ? said
                                : stream_error != NULL ? stream_error->message : "?");
    }
}

static gboolean
check_contract (GDBusConnection  *connection,
                const HvRemote   *remote,
                GCancellable     *cancellable,
                GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  guint32 version;

  reply = g_dbus_connection_call_sync (connection, NULL, HV_DBUS_ENGINE_PATH,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "io.github.hostvisor.Engine",
                                                      "ContractVersion"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                       VERSION_CALL_TIMEOUT_MS, cancellable,
                                       &local_error);
  if (reply == NULL)
    {
      if (g_dbus_connection_is_closed (connection))
        {
          g_autofree char *why = hv_remote_lost_reason (connection);

          g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "%s", why);
        }
      else if (g_error_matches (local_error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS) ||
               g_error_matches (local_error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY))
        g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                     _("the engine on %s is older than this client (it has no contract "
                       "version; this client has version %u): install the same Hostvisor "
                       "version on both"), remote->host, HV_CONTRACT_VERSION);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_variant_get (reply, "(v)", &value);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                   _("the engine on %s sent a contract version of the wrong type"),
                   remote->host);
      return FALSE;
    }
  version = g_variant_get_uint32 (value);
  if (version != HV_CONTRACT_VERSION)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   _("the engine on %s has contract version %u and this client version %u: "
                     "they cannot work together; install the same Hostvisor version on both"),
                   remote->host, version, HV_CONTRACT_VERSION);
      return FALSE;
    }
  return TRUE;
}

GDBusConnection *
hv_remote_connect_sync (const HvRemote  *remote,
                        GCancellable    *cancellable,
                        GError         **error)
{
  static const char * const bridge[] = { "bridge", NULL };
  g_auto(GStrv) argv = hv_remote_ssh_argv (remote, FALSE, bridge, error);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) local_error = NULL;
  RemoteLink *link;
  int fd;

  if (argv == NULL)
    return NULL;
  /* Register our D-Bus error names before any reply arrives (as hv_client_connect_sync()). */
  (void) hv_error_quark ();

  fd = memfd_create ("hostvisor-ssh-stderr", MFD_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "memfd_create: %s", g_strerror (saved));
      return NULL;
    }
  link = g_new0 (RemoteLink, 1);
  link->stderr_fd = fd;
  link->host = g_strdup (remote->host);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_take_stderr_fd (launcher, dup (fd));
  link->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv,
                                                &local_error);
  if (link->process == NULL)
    {
      if (g_error_matches (local_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        g_set_error_literal (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                             _("ssh is not installed (package openssh-client)"));
      else
        g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("cannot run ssh: %s"),
                     local_error->message);
      remote_link_free (link);
      return NULL;
    }

  stream = g_simple_io_stream_new (g_subprocess_get_stdout_pipe (link->process),
                                   g_subprocess_get_stdin_pipe (link->process));
  connection = g_dbus_connection_new_sync (stream, NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                           NULL, cancellable, &local_error);
  if (connection == NULL)
    {
      g_io_stream_close (stream, NULL, NULL);
      link_error (link, remote, local_error, error);
      remote_link_free (link);
      return NULL;
    }
  g_object_set_data_full (G_OBJECT (connection), "hv-remote-link", link,
                          (GDestroyNotify) remote_link_free);

  if (!check_contract (connection, remote, cancellable, error))
    {
      g_dbus_connection_close_sync (connection, NULL, NULL);
      return NULL;
    }
  return g_steal_pointer (&connection);
}

int
hv_remote_open_console (const HvRemote  *remote,
                        const char      *uuid,
                        GError         **error)
{
  const char *words[] = { "bridge", "--console", uuid, NULL };
  g_auto(GStrv) argv = hv_remote_ssh_argv (remote, FALSE, words, error);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  int pair[2];

  if (argv == NULL)
    return -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "socketpair: %s", g_strerror (saved));
      return -1;
    }
  /* ssh reads and writes one end; the viewer has the other, as it has OpenConsole's. ssh's
   * stderr is ours (a viewer's terminal or log). */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_stdin_fd (launcher, dup (pair[1]));
  g_subprocess_launcher_take_stdout_fd (launcher, pair[1]);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, error);
  if (process == NULL)
    {
      close (pair[0]);
      return -1;
    }
  /* GSubprocess reaps ssh when it exits, after we have let go of it. */
  return pair[0];
}

char *
hv_remote_lost_reason (GDBusConnection *connection)
{
  RemoteLink *link = g_object_get_data (G_OBJECT (connection), "hv-remote-link");
  g_autofree char *text = NULL;
  g_autofree char *said = NULL;
  int status;

  if (link == NULL)
    return g_strdup (_("lost the connection to the engine"));
  status = wait_exit (link->process, EXIT_WAIT_MS);
  text = read_stderr (link->stderr_fd);
  said = last_line (text);
  /* The bridge ended by itself: the engine closed the connection. */
  if (status == 0 || (status < 0 && said == NULL))
    return g_strdup_printf (_("lost the connection to the engine on %s (did hostvisord "
                              "stop there?)"), link->host);
  /* ssh's own failure (the network, the server went away), or what the bridge said there. */
  if (said != NULL)
    return g_strdup_printf (_("lost the connection to %s: %s"), link->host, said);
  if (status == 255)
    return g_strdup_printf (_("lost the connection to %s: %s"), link->host,
                            _("the SSH connection ended"));
  return g_strdup_printf (_("lost the connection to %s: the bridge there ended with status %d"),
                          link->host, status);
}
