/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisord: the per-user engine. Clients start it on demand (see engine/hv-client.c). */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-build-config.h"
#include "hv-client.h"
#include "hv-engine.h"
#include "hv-error.h"
#include "hv-paths.h"

#define DEFAULT_IDLE_EXIT_S 60
#define ENGINE_LOG_ROTATE_BYTES (4 * 1024 * 1024)

static GMainLoop *main_loop;
static gboolean shutting_down;

static void
on_shutdown_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  hv_engine_shutdown_finish (HV_ENGINE (object), result);
  g_main_loop_quit (main_loop);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  HvEngine *engine = user_data;

  if (!shutting_down)
    {
      shutting_down = TRUE;
      g_message ("Asked to quit: powering off running VMs");
      hv_engine_shutdown_async (engine, on_shutdown_done, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
on_idle (HvEngine *engine,
         gpointer  user_data)
{
  g_message ("No clients and no running VMs: exiting");
  g_main_loop_quit (main_loop);
}

/* Detach from the terminal and the caller's session, and log to the runtime directory. */
static gboolean
daemonize (GError **error)
{
  g_autofree char *run_dir = hv_paths_runtime_dir (error);
  g_autofree char *log = hv_paths_engine_log ();
  struct stat st;
  int null_fd, log_fd;

  if (run_dir == NULL)
    return FALSE;

  setsid ();
  /* One earlier log is kept beside the current one, so the log never grows for ever. */
  if (stat (log, &st) == 0 && st.st_size > ENGINE_LOG_ROTATE_BYTES)
    {
      g_autofree char *old = g_strconcat (log, ".1", NULL);
      g_rename (log, old);
    }
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  log_fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (null_fd < 0 || log_fd < 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot open %s: %s", log, g_strerror (errno));
      return FALSE;
    }
  dup2 (null_fd, STDIN_FILENO);
  dup2 (log_fd, STDOUT_FILENO);
  dup2 (log_fd, STDERR_FILENO);
  close (null_fd);
  close (log_fd);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  gboolean daemon_mode = FALSE;
  gboolean version = FALSE;
  int ready_fd = -1;
  int idle_exit = -1;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(HvEngine) engine = NULL;
  const GOptionEntry entries[] = {
    { "daemon", 0, 0, G_OPTION_ARG_NONE, &daemon_mode,
      N_("Detach from the terminal and log to the runtime directory"), NULL },
    { "ready-fd", 0, 0, G_OPTION_ARG_INT, &ready_fd,
      N_("Write a byte to this file descriptor once clients can connect"), "FD" },
    { "idle-exit", 0, 0, G_OPTION_ARG_INT, &idle_exit,
      N_("Exit after this many seconds without clients and running VMs (0: never)"), "SECONDS" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  hv_client_init_i18n ();
  /* A peer that went away (a QEMU probe that exited before reading its input, a console
   * client) must give EPIPE on that write, not end the engine and every VM's supervision. */
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The Hostvisor engine: runs the user's virtual machines."));
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hostvisord: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("hostvisord %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (idle_exit < 0)
    {
      const char *env = g_getenv ("HOSTVISOR_IDLE_EXIT");
      idle_exit = env != NULL ? atoi (env) : DEFAULT_IDLE_EXIT_S;
    }

  if (daemon_mode && !daemonize (&error))
    {
      g_printerr ("hostvisord: %s\n", error->message);
      return 1;
    }

  engine = hv_engine_new (&error);
  if (engine == NULL || !hv_engine_listen (engine, &error))
    {
      /* Closing the ready fd unwritten tells the client we did not start (and it tries
       * again: the engine of this runtime directory may just be exiting). The library being
       * used by an engine of another runtime directory does not pass by retrying: the client
       * gets "E" and the reason (hv-client.c). */
      g_printerr ("hostvisord: %s\n", error->message);
      if (g_error_matches (error, HV_ERROR, HV_ERROR_BUSY))
        {
          if (ready_fd >= 0)
            {
              g_autofree char *said = g_strconcat ("E", error->message, NULL);

              if (write (ready_fd, said, strlen (said)) < 0)
                { /* the client gave up waiting */ }
            }
          return 4;
        }
      return g_error_matches (error, HV_ERROR, HV_ERROR_ENGINE_RUNNING) ? 3 : 1;
    }

  main_loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_quit_signal, engine);
  g_unix_signal_add (SIGINT, on_quit_signal, engine);
  g_signal_connect (engine, "idle", G_CALLBACK (on_idle), NULL);
  hv_engine_set_idle_timeout (engine, (guint) idle_exit);

  if (ready_fd >= 0)
    {
      if (write (ready_fd, "1", 1) < 0)
        { /* the client gave up waiting; it will find us by the socket */ }
      close (ready_fd);
    }
  g_message ("hostvisord %s ready (pid %d)", PACKAGE_VERSION, (int) getpid ());

  g_main_loop_run (main_loop);

  g_clear_object (&engine);
  g_main_loop_unref (main_loop);
  return 0;
}
