/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-probe: a client of the engine for tests/integration/test-engine-robustness.sh,
 * doing what hostvisorctl cannot do quickly or at all: thousands of client calls, one
 * connection kept open across other events, and connections that never say a word.
 *
 *   hv-engine-probe calls N    N times: connect, ListVms, disconnect. Prints "calls N".
 *   hv-engine-probe hold       connect once; each line on stdin ("list") is a ListVms on
 *                              that one connection, answered "listed K" or "failed: …".
 *   hv-engine-probe flood N    open N connections to engine.sock that never authenticate;
 *                              prints "opened M" and keeps them until stdin ends.
 *
 * Never starts an engine: one must run already. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hv-client.h"
#include "hv-paths.h"

static GVariant *
list_vms (GDBusConnection  *connection,
          GError          **error)
{
  return g_dbus_connection_call_sync (connection, NULL, HV_DBUS_ENGINE_PATH,
                                      "io.github.hostvisor.Engine", "ListVms", NULL,
                                      G_VARIANT_TYPE ("(a(oa{sv}))"), G_DBUS_CALL_FLAGS_NONE,
                                      10000, NULL, error);
}

static int
do_calls (guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDBusConnection) connection = hv_client_connect_sync (FALSE, NULL, &error);
      g_autoptr(GVariant) reply = NULL;

      if (connection != NULL)
        reply = list_vms (connection, &error);
      if (reply == NULL)
        {
          g_printerr ("call %u failed: %s\n", i + 1, error->message);
          return 1;
        }
      g_dbus_connection_close_sync (connection, NULL, NULL);
    }
  g_print ("calls %u\n", n);
  return 0;
}

static int
do_hold (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = hv_client_connect_sync (FALSE, NULL, &error);
  char line[256];

  if (connection == NULL)
    {
      g_printerr ("cannot connect: %s\n", error->message);
      return 1;
    }
  g_print ("connected\n");
  fflush (stdout);
  while (fgets (line, sizeof line, stdin) != NULL)
    {
      g_autoptr(GVariant) reply = list_vms (connection, &error);

      if (reply != NULL)
        {
          g_autoptr(GVariant) vms = g_variant_get_child_value (reply, 0);
          g_print ("listed %" G_GSIZE_FORMAT "\n", g_variant_n_children (vms));
        }
      else
        {
          g_print ("failed: %s\n", error->message);
          g_clear_error (&error);
        }
      fflush (stdout);
    }
  return 0;
}

static int
do_flood (guint n)
{
  g_autofree char *path = hv_paths_engine_socket ();
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  char buffer[64];

  if (strlen (path) >= sizeof addr.sun_path)
    return 1;
  strcpy (addr.sun_path, path);
  for (guint i = 0; i < n; i++)
    {
      /* Non-blocking: once the engine stops accepting, the queue fills and connect() fails
       * with EAGAIN instead of waiting. */
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

      if (fd < 0)
        break;
      if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
        {
          close (fd);
          continue;
        }
      g_array_append_val (fds, fd);
    }
  g_print ("opened %u\n", fds->len);
  fflush (stdout);
  while (read (STDIN_FILENO, buffer, sizeof buffer) > 0)
    ;
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  guint64 n = 0;

  if (argc >= 2 && g_str_equal (argv[1], "hold"))
    return do_hold ();
  if (argc != 3 || !g_ascii_string_to_unsigned (argv[2], 10, 1, 1000000, &n, NULL))
    {
      g_printerr ("usage: hv-engine-probe calls N | hold | flood N\n");
      return 2;
    }
  if (g_str_equal (argv[1], "calls"))
    return do_calls ((guint) n);
  if (g_str_equal (argv[1], "flood"))
    return do_flood ((guint) n);
  g_printerr ("unknown mode %s\n", argv[1]);
  return 2;
}
