/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-client.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <glib-unix.h>
#include <poll.h>
#include <unistd.h>

#include "hv-build-config.h"
#include "hv-error.h"
#include "hv-paths.h"

#define ENGINE_READY_TIMEOUT_MS 30000
/* How long a client keeps trying to reach an engine it started, or to start one: an
 * engine that is exiting (idle) still holds the lock for a moment, so the first engine
 * started may give up, and the next one started a moment later runs. */
#define CONNECT_DEADLINE_US (10 * G_USEC_PER_SEC)
#define CONNECT_RETRY_DELAY_US (100 * 1000)
/* After an engine we started gave up, how long to try its socket before starting another. */
#define RESPAWN_AFTER_US (1 * G_USEC_PER_SEC)

typedef enum {
  SPAWN_READY,     /* the engine said it is ready */
  SPAWN_EXITED,    /* it exited without: another engine runs, or is just exiting */
} SpawnResult;

/* What a failing engine may write to its ready pipe instead of "1": "E" and why it cannot
 * run (another engine of another runtime directory has the library), which retrying does
 * not change (app/hostvisord.c). */
#define READY_MESSAGE_MAX 1024

/* Connects to the engine's socket and runs @handshake on it: what it returns is the result. */
static GObject *
try_connect (const char         *socket_path,
             HvClientHandshake   handshake,
             gpointer            user_data,
             GCancellable       *cancellable,
             GError            **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (socket_path);
  g_autoptr(GSocketConnection) stream = NULL;

  stream = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), cancellable, error);
  if (stream == NULL)
    return NULL;

  return handshake (stream, user_data, cancellable, error);
}

static GObject *
dbus_handshake (GSocketConnection  *stream,
                gpointer            user_data,
                GCancellable       *cancellable,
                GError            **error)
{
  return G_OBJECT (g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                               NULL, cancellable, error));
}

static char *
find_engine_binary (void)
{
  const char *env = g_getenv ("HOSTVISORD");
  g_autofree char *self = NULL;

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);

  /* Beside the running program: the build tree keeps app/hostvisorctl next to
   * app/hostvisord, and an installation keeps both in bindir. */
  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *candidate = g_build_filename (dir, "hostvisord", NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&candidate);
    }

  return g_find_program_in_path ("hostvisord");
}

/* Start hostvisord as a daemon and wait until it writes to its ready pipe, or closes it
 * (it failed, perhaps because another engine won the race or is exiting: the caller
 * retries then). */
static gboolean
spawn_engine (SpawnResult  *result,
              GError      **error)
{
  g_autofree char *binary = find_engine_binary ();
  int pipe_fds[2];
  int source_fds[1];
  int target_fds[1] = { 3 };
  const char *argv[] = { NULL, "--daemon", "--ready-fd=3", NULL };
  struct pollfd pfd;
  char said[READY_MESSAGE_MAX + 1];
  gsize got = 0;
  int r;

  if (binary == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   "Cannot find the engine program hostvisord (set HOSTVISORD to its path)");
      return FALSE;
    }

  if (!g_unix_open_pipe (pipe_fds, FD_CLOEXEC, error))
    return FALSE;

  argv[0] = binary;
  source_fds[0] = pipe_fds[1];

  /* Without G_SPAWN_DO_NOT_REAP_CHILD GLib double-forks, so the engine is not our child
   * and outlives us without leaving a zombie behind. */
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                         G_SPAWN_STDIN_FROM_DEV_NULL |
                                         G_SPAWN_STDOUT_TO_DEV_NULL,
                                         NULL, NULL, -1, -1, -1,
                                         source_fds, target_fds, 1,
                                         NULL, NULL, NULL, NULL, error))
    {
      close (pipe_fds[0]);
      close (pipe_fds[1]);
      return FALSE;
    }

  close (pipe_fds[1]);

  pfd.fd = pipe_fds[0];
  pfd.events = POLLIN;
  do
    r = poll (&pfd, 1, ENGINE_READY_TIMEOUT_MS);
  while (r < 0 && errno == EINTR);

  if (r == 0)
    {
      close (pipe_fds[0]);
      g_set_error (error, HV_ERROR, HV_ERROR_TIMEOUT, "The engine did not start within %d seconds",
                   ENGINE_READY_TIMEOUT_MS / 1000);
      return FALSE;
    }

  /* A byte: ready. EOF: it exited; the caller's retries find whichever engine runs. "E…":
   * it cannot run, and says why (read up to its EOF: it exits at once). */
  do
    r = (int) read (pipe_fds[0], said, 1);
  while (r < 0 && errno == EINTR);
  if (r == 1 && said[0] == 'E')
    {
      for (;;)
        {
          ssize_t n = read (pipe_fds[0], said + got, READY_MESSAGE_MAX - got);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          got += (gsize) n;
          if (got == READY_MESSAGE_MAX)
            break;
        }
      close (pipe_fds[0]);
      said[got] = '\0';
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "The engine cannot start: %s",
                   g_utf8_validate (said, -1, NULL) ? said : "?");
      return FALSE;
    }
  close (pipe_fds[0]);
  *result = r == 1 ? SPAWN_READY : SPAWN_EXITED;
  return TRUE;
}

GObject *
hv_client_open_engine_sync (gboolean            autostart,
                            HvClientHandshake   handshake,
                            gpointer            user_data,
                            GCancellable       *cancellable,
                            GError            **error)
{
  g_autofree char *socket_path = hv_paths_engine_socket ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *run_dir = NULL;
  GObject *connection;
  gint64 deadline;

  /* Register our D-Bus error names before any reply arrives, so that the engine's
   * io.github.hostvisor.Error.* names map back to HV_ERROR codes. */
  (void) hv_error_quark ();

  connection = try_connect (socket_path, handshake, user_data, cancellable, &local_error);
  if (connection != NULL || !autostart)
    {
      if (connection == NULL)
        g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "The engine is not running (%s)",
                     local_error->message);
      return connection;
    }

  run_dir = hv_paths_runtime_dir (error);
  if (run_dir == NULL)
    return NULL;

  /* No engine answered (none runs, or one is exiting and dropped us): start one, and try
   * its socket until it answers; start another when the one we started gave up. */
  deadline = g_get_monotonic_time () + CONNECT_DEADLINE_US;
  while (g_get_monotonic_time () < deadline && !g_cancellable_is_cancelled (cancellable))
    {
      SpawnResult spawned;
      gint64 respawn_at;

      if (!spawn_engine (&spawned, error))
        return NULL;
      respawn_at = spawned == SPAWN_READY ? deadline
                                          : g_get_monotonic_time () + RESPAWN_AFTER_US;
      while (g_get_monotonic_time () < MIN (respawn_at, deadline))
        {
          g_clear_error (&local_error);
          connection = try_connect (socket_path, handshake, user_data, cancellable,
                                    &local_error);
          if (connection != NULL)
            return connection;
          if (g_cancellable_is_cancelled (cancellable))
            break;
          g_usleep (CONNECT_RETRY_DELAY_US);
        }
    }

  g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "Cannot reach the engine: %s",
               local_error != NULL ? local_error->message : "cancelled");
  return NULL;
}

GDBusConnection *
hv_client_connect_sync (gboolean      autostart,
                        GCancellable *cancellable,
                        GError      **error)
{
  return G_DBUS_CONNECTION (hv_client_open_engine_sync (autostart, dbus_handshake, NULL,
                                                        cancellable, error));
}

void
hv_client_init_i18n (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *build_po = NULL;
  g_autofree char *probe = NULL;
  const char *dir = HV_LOCALEDIR;

  if (self != NULL)
    {
      g_autofree char *exe_dir = g_path_get_dirname (self);

      /* meson's i18n.gettext() writes BUILD/po/LANG/LC_MESSAGES/hostvisor.mo */
      build_po = g_build_filename (exe_dir, "..", "po", NULL);
      probe = g_build_filename (build_po, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
      if (g_file_test (probe, G_FILE_TEST_IS_REGULAR))
        dir = build_po;
    }
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

char *
hv_client_vm_path (const char *uuid)
{
  g_autofree char *part = g_strdup (uuid);

  g_strdelimit (part, "-", '_');
  return g_strconcat (HV_DBUS_VM_PATH_PREFIX, part, NULL);
}

void
hv_client_error_strip (GError *error)
{
  if (error == NULL)
    return;

  g_dbus_error_strip_remote_error (error);
}
