/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-probe: a client of the engine for tests/integration/test-engine-robustness.sh,
 * doing what hostvisorctl cannot do quickly or at all: thousands of client calls, one
 * connection kept open across other events, and connections that never say a word.
 *
 *   hv-engine-probe calls N    N times: connect, ListVms, disconnect. Prints "calls N".
 *   hv-engine-probe hold       connect once; each line on stdin ("list") is a ListVms on
 *                              that one connection, answered "listed K" or "failed: …".
 *   hv-engine-probe slow S     connect, wait S seconds, then say hello (the D-Bus
 *                              handshake) and call ListVms: "listed K" or "failed: …".
 *   hv-engine-probe flood N    open N D-Bus connections to the engine at once; after 5 s
 *                              prints "opened M" (those the engine let in) and keeps them
 *                              all until stdin ends.
 *
 * Never starts an engine: one must run already. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
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

/* A client that connects and only then takes its time: an engine must not go idle and
 * exit under it. */
static int
do_slow (guint seconds)
{
  g_autofree char *path = hv_paths_engine_socket ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  if (stream != NULL)
    {
      g_usleep (seconds * G_USEC_PER_SEC);
      connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                               NULL, NULL, &error);
    }
  if (connection != NULL)
    reply = list_vms (connection, &error);
  if (reply == NULL)
    {
      g_print ("failed: %s\n", error->message);
      return 1;
    }
  {
    g_autoptr(GVariant) vms = g_variant_get_child_value (reply, 0);
    g_print ("listed %" G_GSIZE_FORMAT "\n", g_variant_n_children (vms));
  }
  return 0;
}

typedef struct {
  GMainLoop *loop;
  GPtrArray *connections;     /* GDBusConnection*, authenticated */
  GPtrArray *pending;         /* GSocketConnection*, still in their handshake */
} Flood;

static void
on_flood_authenticated (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Flood *flood = user_data;
  GDBusConnection *connection = g_dbus_connection_new_for_address_finish (result, NULL);

  if (connection != NULL)
    g_ptr_array_add (flood->connections, connection);
}

static gboolean
on_flood_time_up (gpointer user_data)
{
  g_main_loop_quit (((Flood *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_flood_stdin (int          fd,
                GIOCondition condition,
                gpointer     user_data)
{
  char buffer[64];

  if (read (fd, buffer, sizeof buffer) > 0)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (((Flood *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

/* Many clients at once, each a real D-Bus connection that stays: what a thousand leaked
 * connections did to an engine. Connections the engine does not take wait in its queue. */
static int
do_flood (guint n)
{
  g_autofree char *path = hv_paths_engine_socket ();
  g_autofree char *escaped = g_dbus_address_escape_value (path);
  g_autofree char *address = g_strdup_printf ("unix:path=%s", escaped);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Flood flood = { loop, g_ptr_array_new_with_free_func (g_object_unref), NULL };

  for (guint i = 0; i < n; i++)
    g_dbus_connection_new_for_address (address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                       NULL, NULL, on_flood_authenticated, &flood);
  g_timeout_add_seconds (5, on_flood_time_up, &flood);
  g_main_loop_run (loop);
  g_print ("opened %u\n", flood.connections->len);
  fflush (stdout);

  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_flood_stdin, &flood);
  g_main_loop_run (loop);
  g_ptr_array_unref (flood.connections);
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
      g_printerr ("usage: hv-engine-probe calls N | hold | slow S | flood N\n");
      return 2;
    }
  if (g_str_equal (argv[1], "calls"))
    return do_calls ((guint) n);
  if (g_str_equal (argv[1], "flood"))
    return do_flood ((guint) n);
  if (g_str_equal (argv[1], "slow"))
    return do_slow ((guint) n);
  g_printerr ("unknown mode %s\n", argv[1]);
  return 2;
}
