/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qmp.c: HvQmp against a scripted fake QMP server on a socketpair, and once
 * against a real QEMU.
 *
 * The fake server is the other end of the socketpair, driven from the test itself:
 * a socket source collects whatever the client writes (and any fds passed with it),
 * server_write() sends raw bytes. Everything runs on a private GMainContext, and
 * every wait has a deadline that fails the test rather than hanging it. */
#include "hv-error.h"
#include "hv-qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdmessage.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_TIMEOUT_USEC (20 * G_USEC_PER_SEC)

#define GREETING \
  "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, " \
  "\"package\": \"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}\r\n"

typedef struct
{
  gboolean    done;
  JsonNode   *node;
  GError     *error;
  HvQmp      *qmp;    /* for handshakes */
} Result;

typedef struct
{
  char       *name;
  JsonObject *data;
  gint64      timestamp;
} Event;

typedef struct
{
  GMainContext      *context;
  GSource           *tick;

  GSocketConnection *client;
  GSocketConnection *server;
  GSocket           *server_socket;
  GSource           *server_source;
  GByteArray        *server_input;
  GArray            *server_fds;       /* of int, received with client writes */
  gboolean           server_eof;

  HvQmp             *qmp;
  GPtrArray         *results;          /* of Result *, freed at teardown */
  GPtrArray         *events;           /* of Event * */
  guint              n_disconnected;
  gboolean           disconnect_error_was_null;
  GError            *disconnect_error;
} Fixture;

static gboolean
tick_cb (gpointer user_data)
{
  /* Only here so that a blocking iteration wakes up to check its deadline. */
  return G_SOURCE_CONTINUE;
}

#define WAIT_UNTIL(f, cond) \
  G_STMT_START { \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_TIMEOUT_USEC; \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > deadline_) \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration ((f)->context, TRUE); \
      } \
  } G_STMT_END

/* Runs whatever is ready now, so that the client has read what was just written. */
static void
drain (Fixture *f)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (f->context, FALSE); i++)
    ;
}

static void
result_free (Result *result)
{
  g_clear_pointer (&result->node, json_node_unref);
  g_clear_error (&result->error);
  g_clear_object (&result->qmp);
  g_free (result);
}

static void
event_free (Event *event)
{
  g_free (event->name);
  g_clear_pointer (&event->data, json_object_unref);
  g_free (event);
}

static Result *
result_new (Fixture *f)
{
  Result *result = g_new0 (Result, 1);

  g_ptr_array_add (f->results, result);
  return result;
}

static gboolean
server_readable_cb (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  GSocketControlMessage **messages = NULL;
  int n_messages = 0;
  guint8 buffer[65536];
  GInputVector vector = { buffer, sizeof buffer };
  gssize n;

  /* Readable, so this does not block even though the socket is a blocking one. */
  n = g_socket_receive_message (socket, NULL, &vector, 1, &messages, &n_messages, NULL,
                                NULL, &error);
  for (int i = 0; i < n_messages; i++)
    {
      if (G_IS_UNIX_FD_MESSAGE (messages[i]))
        {
          int n_fds = 0;
          g_autofree int *fds = g_unix_fd_message_steal_fds (G_UNIX_FD_MESSAGE (messages[i]),
                                                             &n_fds);

          g_array_append_vals (f->server_fds, fds, n_fds);
        }
      g_object_unref (messages[i]);
    }
  g_free (messages);

  if (n <= 0)
    {
      f->server_eof = TRUE;
      g_clear_pointer (&f->server_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  g_byte_array_append (f->server_input, buffer, n);
  return G_SOURCE_CONTINUE;
}

static void
server_resume (Fixture *f)
{
  g_assert_null (f->server_source);
  f->server_source = g_socket_create_source (f->server_socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                             NULL);
  g_source_set_callback (f->server_source, G_SOURCE_FUNC (server_readable_cb), f, NULL);
  g_source_attach (f->server_source, f->context);
}

/* Stops reading what the client writes, so that its socket buffer fills up. */
static void
server_pause (Fixture *f)
{
  g_source_destroy (f->server_source);
  g_clear_pointer (&f->server_source, g_source_unref);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) client_socket = NULL;
  int sv[2];

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->tick = g_timeout_source_new (50);
  g_source_set_callback (f->tick, tick_cb, NULL, NULL);
  g_source_attach (f->tick, f->context);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
  client_socket = g_socket_new_from_fd (sv[0], &error);
  g_assert_no_error (error);
  f->server_socket = g_socket_new_from_fd (sv[1], &error);
  g_assert_no_error (error);
  f->client = g_socket_connection_factory_create_connection (client_socket);
  f->server = g_socket_connection_factory_create_connection (f->server_socket);
  g_assert_true (G_IS_UNIX_CONNECTION (f->client));

  f->server_input = g_byte_array_new ();
  f->server_fds = g_array_new (FALSE, FALSE, sizeof (int));
  server_resume (f);

  f->results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Close first, so that anything still pending completes into f->results while
   * they are alive. */
  if (f->qmp != NULL)
    {
      g_signal_handlers_disconnect_by_data (f->qmp, f);
      hv_qmp_close (f->qmp);
    }
  drain (f);
  g_clear_object (&f->qmp);
  drain (f);

  for (guint i = 0; i < f->server_fds->len; i++)
    close (g_array_index (f->server_fds, int, i));
  g_array_unref (f->server_fds);
  if (f->server_source != NULL)
    {
      g_source_destroy (f->server_source);
      g_source_unref (f->server_source);
    }
  g_byte_array_unref (f->server_input);
  g_object_unref (f->server);
  g_object_unref (f->client);
  g_object_unref (f->server_socket);
  g_ptr_array_unref (f->results);
  g_ptr_array_unref (f->events);
  g_clear_error (&f->disconnect_error);

  g_source_destroy (f->tick);
  g_source_unref (f->tick);
  drain (f);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

static void
server_write_len (Fixture    *f,
                  const char *data,
                  gsize       len)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_USEC;

  /* Non-blocking, letting the client read whenever the socket is full. */
  while (len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send_with_blocking (f->server_socket, data, len, FALSE, NULL, &error);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (g_get_monotonic_time () > deadline)
            g_error ("timed out writing to the client");
          g_main_context_iteration (f->context, TRUE);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      data += n;
      len -= n;
    }
}

static void
server_write (Fixture    *f,
              const char *data)
{
  server_write_len (f, data, strlen (data));
}

/* Writes `data` one byte at a time, letting the client read after each byte. */
static void
server_write_bytewise (Fixture    *f,
                       const char *data)
{
  for (const char *p = data; *p != '\0'; p++)
    {
      server_write_len (f, p, 1);
      drain (f);
    }
}

static void
server_close (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_socket_shutdown (f->server_socket, TRUE, TRUE, &error);
  g_assert_no_error (error);
}

/* Waits for one line from the client and parses it. */
static JsonObject *
server_read_message (Fixture *f)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const guint8 *newline;
  gsize len;
  JsonNode *root;

  WAIT_UNTIL (f, (newline = memchr (f->server_input->data, '\n', f->server_input->len)) != NULL);
  len = newline - f->server_input->data;

  /* The client writes compact JSON: one message, one line. */
  json_parser_load_from_data (parser, (const char *) f->server_input->data, len, &error);
  g_assert_no_error (error);
  g_byte_array_remove_range (f->server_input, 0, len + 1);

  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* Reads the next command, checks its name and returns its id. */
static char *
server_expect (Fixture     *f,
               const char  *command,
               JsonObject **arguments)
{
  g_autoptr(JsonObject) message = server_read_message (f);
  const char *id;

  g_assert_cmpstr (json_object_get_string_member (message, "execute"), ==, command);
  id = json_object_get_string_member (message, "id");
  g_assert_nonnull (id);
  g_assert_true (g_str_has_prefix (id, "hv-"));

  if (arguments != NULL)
    {
      JsonNode *node = json_object_get_member (message, "arguments");

      *arguments = node != NULL ? json_object_ref (json_node_get_object (node)) : NULL;
    }
  else
    g_assert_false (json_object_has_member (message, "arguments"));

  return g_strdup (id);
}

static void
server_reply (Fixture    *f,
              const char *id,
              const char *return_json)
{
  g_autofree char *line = g_strdup_printf ("{\"return\": %s, \"id\": \"%s\"}\n",
                                           return_json, id);

  server_write (f, line);
}

static void
on_event (HvQmp      *qmp,
          const char *name,
          JsonObject *data,
          gint64      timestamp,
          Fixture    *f)
{
  Event *event = g_new0 (Event, 1);

  event->name = g_strdup (name);
  event->data = data != NULL ? json_object_ref (data) : NULL;
  event->timestamp = timestamp;
  g_ptr_array_add (f->events, event);
}

static void
on_disconnected (HvQmp        *qmp,
                 const GError *error,
                 Fixture      *f)
{
  f->n_disconnected++;
  f->disconnect_error_was_null = error == NULL;
  g_clear_error (&f->disconnect_error);
  if (error != NULL)
    f->disconnect_error = g_error_copy (error);
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *r = user_data;

  g_assert_null (object);
  r->qmp = hv_qmp_new_for_stream_finish (result, &r->error);
  r->done = TRUE;
}

static Result *
start_handshake (Fixture      *f,
                 GCancellable *cancellable)
{
  Result *r = result_new (f);

  hv_qmp_new_for_stream_async (G_IO_STREAM (f->client), cancellable, handshake_cb, r);
  return r;
}

static void
adopt_qmp (Fixture *f,
           Result  *r)
{
  g_assert_no_error (r->error);
  g_assert_true (HV_IS_QMP (r->qmp));
  f->qmp = g_steal_pointer (&r->qmp);
  g_signal_connect (f->qmp, "event", G_CALLBACK (on_event), f);
  g_signal_connect (f->qmp, "disconnected", G_CALLBACK (on_disconnected), f);
}

/* The whole handshake, done right. */
static void
connect_fixture (Fixture *f)
{
  Result *r = start_handshake (f, NULL);
  g_autofree char *id = NULL;

  server_write (f, GREETING);
  id = server_expect (f, "qmp_capabilities", NULL);
  g_assert_false (r->done);
  server_reply (f, id, "{}");
  WAIT_UNTIL (f, r->done);
  adopt_qmp (f, r);
}

static void
execute_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Result *r = user_data;

  g_assert_false (r->done);
  r->node = hv_qmp_execute_finish (HV_QMP (object), result, &r->error);
  r->done = TRUE;
}

static Result *
execute (Fixture      *f,
         const char   *command,
         JsonObject   *arguments,
         int           fd,
         GCancellable *cancellable)
{
  Result *r = result_new (f);

  hv_qmp_execute_async (f->qmp, command, arguments, fd, cancellable, execute_cb, r);
  /* Never completes inside the call. */
  g_assert_false (r->done);
  return r;
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static void
assert_disconnected_with_error (Fixture    *f,
                                const char *message_part)
{
  WAIT_UNTIL (f, f->n_disconnected > 0);
  drain (f);
  g_assert_cmpuint (f->n_disconnected, ==, 1);
  g_assert_error (f->disconnect_error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  if (message_part != NULL)
    g_assert_nonnull (strstr (f->disconnect_error->message, message_part));
  g_assert_false (hv_qmp_is_connected (f->qmp));
}

static void
test_handshake (Fixture       *f,
                gconstpointer  data)
{
  Result *r = start_handshake (f, NULL);
  g_autoptr(JsonObject) message = NULL;
  guint major = 0, minor = 0, micro = 0;

  /* Nothing is sent before the greeting. */
  drain (f);
  g_assert_cmpuint (f->server_input->len, ==, 0);

  server_write (f, GREETING);
  message = server_read_message (f);
  g_assert_cmpuint (json_object_get_size (message), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (message, "execute"), ==, "qmp_capabilities");
  g_assert_cmpstr (json_object_get_string_member (message, "id"), ==, "hv-1");

  drain (f);
  g_assert_false (r->done);
  server_write (f, "{\"return\": {}, \"id\": \"hv-1\"}\n");
  WAIT_UNTIL (f, r->done);
  adopt_qmp (f, r);

  g_assert_true (hv_qmp_is_connected (f->qmp));
  hv_qmp_get_version (f->qmp, &major, &minor, &micro);
  g_assert_cmpuint (major, ==, 7);
  g_assert_cmpuint (minor, ==, 2);
  g_assert_cmpuint (micro, ==, 0);
  g_assert_cmpuint (f->n_disconnected, ==, 0);
}

static void
test_return (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) arguments = parse_object ("{\"device\": \"drive0\", \"force\": true}");
  g_autoptr(JsonObject) sent = NULL;
  g_autofree char *id = NULL;
  JsonObject *status;
  Result *r;

  connect_fixture (f);

  r = execute (f, "eject", arguments, -1, NULL);
  id = server_expect (f, "eject", &sent);
  g_assert_cmpstr (id, ==, "hv-2");
  g_assert_cmpstr (json_object_get_string_member (sent, "device"), ==, "drive0");
  g_assert_true (json_object_get_boolean_member (sent, "force"));
  /* Not modified by the call */
  g_assert_cmpuint (json_object_get_size (arguments), ==, 2);

  server_reply (f, id, "{\"status\": \"running\", \"running\": true}");
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->node));
  status = json_node_get_object (r->node);
  g_assert_cmpstr (json_object_get_string_member (status, "status"), ==, "running");
  g_assert_true (json_object_get_boolean_member (status, "running"));

  /* A non-object return is passed through as it is. */
  g_clear_pointer (&id, g_free);
  r = execute (f, "query-number", NULL, -1, NULL);
  id = server_expect (f, "query-number", NULL);
  g_assert_cmpstr (id, ==, "hv-3");
  server_reply (f, id, "[1, 2, 3]");
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (r->node));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (r->node)), ==, 3);
}

static void
test_error (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *line = NULL;
  Result *r;

  connect_fixture (f);

  r = execute (f, "device_del", NULL, -1, NULL);
  id = server_expect (f, "device_del", NULL);
  line = g_strdup_printf ("{\"id\": \"%s\", \"error\": {\"class\": \"DeviceNotFound\", "
                          "\"desc\": \"Device 'nic9' not found\"}}\n", id);
  server_write (f, line);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_cmpstr (r->error->message, ==, "Device 'nic9' not found");
  g_assert_null (r->node);

  /* An error without desc still fails the command, naming the class. */
  g_clear_pointer (&id, g_free);
  g_clear_pointer (&line, g_free);
  r = execute (f, "cont", NULL, -1, NULL);
  id = server_expect (f, "cont", NULL);
  line = g_strdup_printf ("{\"id\": \"%s\", \"error\": {\"class\": \"GenericError\"}}\n", id);
  server_write (f, line);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_nonnull (strstr (r->error->message, "GenericError"));

  /* The connection is still fine. */
  g_assert_true (hv_qmp_is_connected (f->qmp));
  g_assert_cmpuint (f->n_disconnected, ==, 0);
}

static void
test_out_of_order (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *id3 = NULL;
  Result *r1, *r2, *r3;

  connect_fixture (f);

  r1 = execute (f, "query-status", NULL, -1, NULL);
  r2 = execute (f, "query-name", NULL, -1, NULL);
  r3 = execute (f, "query-uuid", NULL, -1, NULL);

  /* Written in order */
  id1 = server_expect (f, "query-status", NULL);
  id2 = server_expect (f, "query-name", NULL);
  id3 = server_expect (f, "query-uuid", NULL);
  g_assert_cmpstr (id1, !=, id2);
  g_assert_cmpstr (id2, !=, id3);

  /* Replies with an unknown id or none at all are ignored. */
  server_write (f, "{\"return\": {\"name\": \"wrong\"}, \"id\": \"hv-999\"}\n");
  server_write (f, "{\"return\": {\"name\": \"wrong\"}}\n");
  server_write (f, "{\"return\": {\"name\": \"wrong\"}, \"id\": 3}\n");
  drain (f);
  g_assert_false (r1->done || r2->done || r3->done);

  server_reply (f, id2, "{\"name\": \"vm2\"}");
  WAIT_UNTIL (f, r2->done);
  g_assert_false (r1->done);
  g_assert_false (r3->done);
  g_assert_no_error (r2->error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (r2->node), "name"), ==,
                   "vm2");

  server_reply (f, id3, "{\"UUID\": \"u\"}");
  server_reply (f, id1, "{\"status\": \"paused\"}");
  WAIT_UNTIL (f, r1->done && r3->done);
  g_assert_no_error (r1->error);
  g_assert_no_error (r3->error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (r1->node), "status"),
                   ==, "paused");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (r3->node), "UUID"),
                   ==, "u");

  /* A late duplicate of an answered id is ignored too. */
  server_reply (f, id1, "{\"status\": \"again\"}");
  drain (f);
  g_assert_true (hv_qmp_is_connected (f->qmp));
}

static guint n_stop_events;

static void
on_stop_event (HvQmp      *qmp,
               const char *name,
               JsonObject *data,
               gint64      timestamp,
               gpointer    user_data)
{
  g_assert_cmpstr (name, ==, "STOP");
  n_stop_events++;
}

static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  Event *event;
  Result *r1, *r2;

  connect_fixture (f);
  n_stop_events = 0;
  g_quark_from_static_string ("STOP");
  g_signal_connect (f->qmp, "event::STOP", G_CALLBACK (on_stop_event), NULL);

  r1 = execute (f, "stop", NULL, -1, NULL);
  r2 = execute (f, "query-status", NULL, -1, NULL);
  id1 = server_expect (f, "stop", NULL);
  id2 = server_expect (f, "query-status", NULL);

  server_write (f, "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, "
                   "\"event\": \"STOP\"}\n");
  server_reply (f, id1, "{}");
  server_write (f, "{\"event\": \"BLOCK_IO_ERROR\", \"data\": {\"device\": \"drive0\", "
                   "\"operation\": \"write\", \"action\": \"stop\"}, "
                   "\"timestamp\": {\"seconds\": 5, \"microseconds\": 7}}\n");
  WAIT_UNTIL (f, f->events->len == 2);
  g_assert_true (r1->done);
  g_assert_false (r2->done);
  server_reply (f, id2, "{\"status\": \"paused\"}");
  server_write (f, "{\"event\": \"RESUME\"}\n");
  WAIT_UNTIL (f, r2->done && f->events->len == 3);

  event = g_ptr_array_index (f->events, 0);
  g_assert_cmpstr (event->name, ==, "STOP");
  g_assert_null (event->data);
  g_assert_cmpint (event->timestamp, ==, G_GINT64_CONSTANT (1700000000123456));

  event = g_ptr_array_index (f->events, 1);
  g_assert_cmpstr (event->name, ==, "BLOCK_IO_ERROR");
  g_assert_nonnull (event->data);
  g_assert_cmpstr (json_object_get_string_member (event->data, "device"), ==, "drive0");
  g_assert_cmpstr (json_object_get_string_member (event->data, "operation"), ==, "write");
  g_assert_cmpint (event->timestamp, ==, 5 * G_USEC_PER_SEC + 7);

  /* A missing timestamp is reported as 0. */
  event = g_ptr_array_index (f->events, 2);
  g_assert_cmpstr (event->name, ==, "RESUME");
  g_assert_cmpint (event->timestamp, ==, 0);

  g_assert_cmpuint (n_stop_events, ==, 1);
  g_assert_no_error (r1->error);
  g_assert_no_error (r2->error);
}

static void
test_split_bytes (Fixture       *f,
                  gconstpointer  data)
{
  Result *r = start_handshake (f, NULL);
  g_autofree char *id = NULL;
  g_autofree char *line = NULL;
  guint major = 0;

  server_write_bytewise (f, GREETING);
  id = server_expect (f, "qmp_capabilities", NULL);
  line = g_strdup_printf ("{\"return\": {}, \"id\": \"%s\"}\n", id);
  server_write_bytewise (f, line);
  WAIT_UNTIL (f, r->done);
  adopt_qmp (f, r);
  hv_qmp_get_version (f->qmp, &major, NULL, NULL);
  g_assert_cmpuint (major, ==, 7);

  g_clear_pointer (&id, g_free);
  g_clear_pointer (&line, g_free);
  r = execute (f, "query-name", NULL, -1, NULL);
  id = server_expect (f, "query-name", NULL);
  line = g_strdup_printf ("{\"event\": \"POWERDOWN\", \"timestamp\": {\"seconds\": 1, "
                          "\"microseconds\": 2}}\n"
                          "{\"return\": {\"name\": \"split \\u00e9 \\n\"}, \"id\": \"%s\"}\n",
                          id);
  server_write_bytewise (f, line);
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (r->node), "name"), ==,
                   "split \xc3\xa9 \n");
  g_assert_cmpuint (f->events->len, ==, 1);
  g_assert_cmpint (((Event *) g_ptr_array_index (f->events, 0))->timestamp, ==,
                   G_USEC_PER_SEC + 2);
}

static void
test_many_in_one_write (Fixture       *f,
                        gconstpointer  data)
{
  Result *r = start_handshake (f, NULL);
  g_autofree char *id = NULL;
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *batch = NULL;
  Result *r1, *r2;

  server_write (f, GREETING);
  id = server_expect (f, "qmp_capabilities", NULL);
  /* The capabilities reply, an event and blank lines in one write */
  batch = g_strdup_printf ("{\"return\": {}, \"id\": \"%s\"}\r\n\n  \n"
                           "{\"event\": \"NIC_RX_FILTER_CHANGED\", \"data\": {}}\n", id);
  server_write (f, batch);
  WAIT_UNTIL (f, r->done);
  adopt_qmp (f, r);
  /* The event came before we connected to the signal. */
  g_assert_cmpuint (f->events->len, ==, 0);

  r1 = execute (f, "a", NULL, -1, NULL);
  r2 = execute (f, "b", NULL, -1, NULL);
  id1 = server_expect (f, "a", NULL);
  id2 = server_expect (f, "b", NULL);

  g_clear_pointer (&batch, g_free);
  /* Two replies, an event and the start of another message in one write */
  batch = g_strdup_printf ("{\"return\": 1, \"id\": \"%s\"}\n"
                           "{\"event\": \"RESET\", \"data\": {\"guest\": true}}\n"
                           "{\"return\": 2, \"id\": \"%s\"}\n"
                           "{\"event\": \"SHUT", id1, id2);
  server_write (f, batch);
  WAIT_UNTIL (f, r1->done && r2->done);
  g_assert_cmpint (json_node_get_int (r1->node), ==, 1);
  g_assert_cmpint (json_node_get_int (r2->node), ==, 2);
  g_assert_cmpuint (f->events->len, ==, 1);

  server_write (f, "DOWN\"}\n");
  WAIT_UNTIL (f, f->events->len == 2);
  g_assert_cmpstr (((Event *) g_ptr_array_index (f->events, 1))->name, ==, "SHUTDOWN");
  g_assert_true (hv_qmp_is_connected (f->qmp));
}

static void
test_garbage (Fixture       *f,
              gconstpointer  data)
{
  const char *garbage = data;
  g_autofree char *deep = NULL;
  Result *r1, *r2;

  connect_fixture (f);
  r1 = execute (f, "query-status", NULL, -1, NULL);
  r2 = execute (f, "query-name", NULL, -1, NULL);
  g_free (server_expect (f, "query-status", NULL));

  if (g_str_equal (garbage, "deep"))
    {
      /* Far deeper than any parser stack should be trusted with */
      gsize depth = 200000;

      deep = g_malloc (2 * depth + 2);
      memset (deep, '[', depth);
      memset (deep + depth, ']', depth);
      deep[2 * depth] = '\n';
      deep[2 * depth + 1] = '\0';
      garbage = deep;
    }

  server_write (f, garbage);
  assert_disconnected_with_error (f, "Malformed");
  WAIT_UNTIL (f, r1->done && r2->done);
  g_assert_error (r1->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_error (r2->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  WAIT_UNTIL (f, f->server_eof);
}

typedef struct
{
  int      fd;
  gsize    written;
  gboolean done;
} Flood;

#define FLOOD_LIMIT ((gsize) 4 * HV_QMP_MAX_MESSAGE)

/* Writes one endless message, without a newline, until the client hangs up. */
static gpointer
flood_thread (gpointer user_data)
{
  Flood *flood = user_data;
  static const char prefix[] = "{\"return\": \"";
  g_autofree char *chunk = g_malloc (65536);
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_USEC;

  memset (chunk, 'a', 65536);
  memcpy (chunk, prefix, strlen (prefix));

  while (flood->written < FLOOD_LIMIT && g_get_monotonic_time () < deadline)
    {
      ssize_t n = send (flood->fd, chunk, 65536, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd pfd = { flood->fd, POLLOUT, 0 };

          poll (&pfd, 1, 100);
          continue;
        }
      if (n < 0)
        break;
      flood->written += n;
      memset (chunk, 'a', strlen (prefix));
    }

  g_atomic_int_set (&flood->done, TRUE);
  return NULL;
}

static void
test_oversized (Fixture       *f,
                gconstpointer  data)
{
  Flood flood = { g_socket_get_fd (f->server_socket), 0, FALSE };
  g_autoptr(GThread) thread = NULL;
  Result *r;

  connect_fixture (f);
  r = execute (f, "query-status", NULL, -1, NULL);
  g_free (server_expect (f, "query-status", NULL));

  thread = g_thread_new ("flood", flood_thread, &flood);
  assert_disconnected_with_error (f, "exceeds");
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  WAIT_UNTIL (f, g_atomic_int_get (&flood.done));
  g_thread_join (g_steal_pointer (&thread));

  /* The client gave up soon after the limit, not after swallowing all there was:
   * the socket buffers hold far less than one more limit's worth. */
  g_assert_cmpuint (flood.written, >, HV_QMP_MAX_MESSAGE);
  g_assert_cmpuint (flood.written, <, 2 * (gsize) HV_QMP_MAX_MESSAGE);
}

static void
test_oversized_lines (Fixture       *f,
                      gconstpointer  data)
{
  const gsize line_len = HV_QMP_MAX_MESSAGE + 10;
  g_autofree char *line = g_malloc (line_len + 1);
  gsize offset = 0;

  /* One over-long line that does end in a newline, fed in chunks from this thread
   * between main loop iterations. */
  memset (line, ' ', line_len);
  memcpy (line, "{\"return\": 1, \"x\": \"", 20);
  line[line_len - 3] = '"';
  line[line_len - 2] = '}';
  line[line_len - 1] = '\n';

  connect_fixture (f);

  while (offset < line_len && f->n_disconnected == 0)
    {
      gssize n = g_socket_send_with_blocking (f->server_socket, line + offset,
                                              MIN (line_len - offset, 65536), FALSE, NULL, NULL);

      if (n > 0)
        offset += n;
      g_main_context_iteration (f->context, n <= 0);
    }

  assert_disconnected_with_error (f, "exceeds");
  g_assert_cmpuint (offset, >, HV_QMP_MAX_MESSAGE - 1024 * 1024);
}

static void
test_server_close (Fixture       *f,
                   gconstpointer  data)
{
  Result *r[3];
  Result *after;

  connect_fixture (f);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    r[i] = execute (f, "query-status", NULL, -1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    g_free (server_expect (f, "query-status", NULL));

  server_close (f);
  assert_disconnected_with_error (f, "QEMU closed the monitor connection");
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_assert_true (r[i]->done);
      g_assert_error (r[i]->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
      g_assert_nonnull (strstr (r[i]->error->message, "closed"));
    }

  /* Later commands fail at once, but from the main loop. */
  after = execute (f, "query-status", NULL, -1, NULL);
  WAIT_UNTIL (f, after->done);
  g_assert_error (after->error, HV_ERROR, HV_ERROR_QEMU_FAILED);

  /* Closing now changes nothing. */
  hv_qmp_close (f->qmp);
  drain (f);
  g_assert_cmpuint (f->n_disconnected, ==, 1);
}

static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  Result *r1, *r2, *after;

  connect_fixture (f);
  r1 = execute (f, "query-status", NULL, -1, NULL);
  r2 = execute (f, "query-name", NULL, -1, NULL);
  g_free (server_expect (f, "query-status", NULL));

  hv_qmp_close (f->qmp);
  g_assert_false (hv_qmp_is_connected (f->qmp));
  g_assert_cmpuint (f->n_disconnected, ==, 1);
  g_assert_true (f->disconnect_error_was_null);
  WAIT_UNTIL (f, r1->done && r2->done);
  g_assert_error (r1->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_error (r2->error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  after = execute (f, "query-status", NULL, -1, NULL);
  WAIT_UNTIL (f, after->done);
  g_assert_error (after->error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  /* The server sees the connection end, and a late reply harms nobody. */
  WAIT_UNTIL (f, f->server_eof);
  hv_qmp_close (f->qmp);
  drain (f);
  g_assert_cmpuint (f->n_disconnected, ==, 1);
}

static void
test_fd_passing (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) arguments = parse_object ("{\"fdname\": \"console\"}");
  g_autoptr(JsonObject) sent = NULL;
  g_autofree char *id = NULL;
  char buffer[16] = { 0 };
  int pipefd[2];
  Result *r, *r2;
  int received;

  connect_fixture (f);
  g_assert_cmpint (pipe2 (pipefd, O_CLOEXEC), ==, 0);

  /* A plain command queued ahead keeps the order. */
  r2 = execute (f, "query-status", NULL, -1, NULL);
  r = execute (f, "getfd", arguments, pipefd[1], NULL);
  /* The fd stays ours; the client took its own copy. */
  g_assert_cmpint (close (pipefd[1]), ==, 0);

  g_free (server_expect (f, "query-status", NULL));
  id = server_expect (f, "getfd", &sent);
  g_assert_cmpstr (json_object_get_string_member (sent, "fdname"), ==, "console");
  g_assert_cmpuint (f->server_fds->len, ==, 1);
  received = g_array_index (f->server_fds, int, 0);
  g_assert_cmpint (received, >=, 0);

  g_assert_cmpint (write (received, "hello", 5), ==, 5);
  g_assert_cmpint (close (received), ==, 0);
  g_array_set_size (f->server_fds, 0);
  g_assert_cmpint (read (pipefd[0], buffer, sizeof buffer), ==, 5);
  g_assert_cmpstr (buffer, ==, "hello");
  /* Every write end is closed now: no copy leaked in the client. */
  g_assert_cmpint (read (pipefd[0], buffer, sizeof buffer), ==, 0);
  close (pipefd[0]);

  server_reply (f, id, "{}");
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);

  /* An invalid fd fails that command alone. */
  r = execute (f, "getfd", arguments, 9999, NULL);
  WAIT_UNTIL (f, r->done);
  g_assert_nonnull (r->error);
  g_assert_true (hv_qmp_is_connected (f->qmp));
  g_assert_false (r2->done);
}

/* Commands with fds that do not fit in the socket buffer: the fd goes with the first
 * part, the rest follows, and the next command waits for the socket to drain. */
static void
test_fd_passing_large (Fixture       *f,
                       gconstpointer  data)
{
  const gsize padding_len = 1024 * 1024;
  g_autofree char *padding = g_malloc (padding_len + 1);
  g_autoptr(JsonObject) arguments = json_object_new ();
  int pipes[3][2];
  Result *r[3];

  connect_fixture (f);

  memset (padding, 'p', padding_len);
  padding[padding_len] = '\0';
  json_object_set_string_member (arguments, "padding", padding);

  server_pause (f);
  for (guint i = 0; i < G_N_ELEMENTS (pipes); i++)
    {
      g_assert_cmpint (pipe2 (pipes[i], O_CLOEXEC), ==, 0);
      json_object_set_int_member (arguments, "index", i);
      r[i] = execute (f, "getfd", arguments, pipes[i][1], NULL);
      close (pipes[i][1]);
    }
  drain (f);
  server_resume (f);

  for (guint i = 0; i < G_N_ELEMENTS (pipes); i++)
    {
      g_autoptr(JsonObject) sent = NULL;
      g_autofree char *id = server_expect (f, "getfd", &sent);
      char expected = '0' + i;
      char c = 0;

      g_assert_cmpint (json_object_get_int_member (sent, "index"), ==, i);
      g_assert_cmpuint (strlen (json_object_get_string_member (sent, "padding")), ==,
                        padding_len);
      /* The fd came with this command, not later: it is the i-th one received. */
      g_assert_cmpuint (f->server_fds->len, >=, i + 1);
      g_assert_cmpint (write (g_array_index (f->server_fds, int, i), &expected, 1), ==, 1);
      g_assert_cmpint (read (pipes[i][0], &c, 1), ==, 1);
      g_assert_cmpint (c, ==, expected);
      server_reply (f, id, "{}");
    }
  g_assert_cmpuint (f->server_fds->len, ==, G_N_ELEMENTS (pipes));

  for (guint i = 0; i < G_N_ELEMENTS (pipes); i++)
    {
      WAIT_UNTIL (f, r[i]->done);
      g_assert_no_error (r[i]->error);
      close (pipes[i][0]);
    }
}

/* The socket is full when a command with an fd comes: it waits, without blocking,
 * until the socket can take it, and what was queued after it stays behind it. */
static void
test_fd_passing_blocked (Fixture       *f,
                         gconstpointer  data)
{
  GSocket *client_socket = g_socket_connection_get_socket (f->client);
  char spaces[4096];
  gsize filled = 0;
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  int pipefd[2];
  char c = 0;
  Result *r1, *r2;

  connect_fixture (f);
  server_pause (f);

  /* Whitespace before a message is still valid JSON for the server's parser. */
  memset (spaces, ' ', sizeof spaces);
  for (;;)
    {
      gssize n = g_socket_send_with_blocking (client_socket, spaces, sizeof spaces, FALSE,
                                              NULL, NULL);
      if (n <= 0)
        break;
      filled += n;
    }
  g_assert_cmpuint (filled, >, 0);

  g_assert_cmpint (pipe2 (pipefd, O_CLOEXEC), ==, 0);
  r1 = execute (f, "getfd", NULL, pipefd[1], NULL);
  close (pipefd[1]);
  r2 = execute (f, "query-status", NULL, -1, NULL);
  drain (f);

  server_resume (f);
  id1 = server_expect (f, "getfd", NULL);
  g_assert_cmpuint (f->server_fds->len, ==, 1);
  id2 = server_expect (f, "query-status", NULL);
  g_assert_cmpint (write (g_array_index (f->server_fds, int, 0), "x", 1), ==, 1);
  g_assert_cmpint (read (pipefd[0], &c, 1), ==, 1);
  g_assert_cmpint (c, ==, 'x');
  close (pipefd[0]);

  server_reply (f, id2, "{}");
  server_reply (f, id1, "{}");
  WAIT_UNTIL (f, r1->done && r2->done);
  g_assert_no_error (r1->error);
  g_assert_no_error (r2->error);
}

static void
test_fd_not_socket (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GIOStream) plain = NULL;
  g_autofree char *id = NULL;
  Result *handshake = result_new (f);
  Result *r;

  /* The same socket wrapped in a stream that is not a GSocketConnection */
  plain = g_simple_io_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (f->client)),
                                  g_io_stream_get_output_stream (G_IO_STREAM (f->client)));
  hv_qmp_new_for_stream_async (plain, NULL, handshake_cb, handshake);
  server_write (f, GREETING);
  id = server_expect (f, "qmp_capabilities", NULL);
  server_reply (f, id, "{}");
  WAIT_UNTIL (f, handshake->done);
  adopt_qmp (f, handshake);

  r = execute (f, "getfd", NULL, 0, NULL);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_NOT_SUPPORTED);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  Result *r, *r2, *r3;

  connect_fixture (f);

  r = execute (f, "query-status", NULL, -1, cancellable);
  id = server_expect (f, "query-status", NULL);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Already cancelled: fails without being sent. */
  g_cancellable_cancel (cancelled);
  r2 = execute (f, "quit", NULL, -1, cancelled);
  WAIT_UNTIL (f, r2->done);
  g_assert_error (r2->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The late reply is dropped; the next command is the one after. */
  server_reply (f, id, "{\"status\": \"late\"}");
  r3 = execute (f, "query-name", NULL, -1, NULL);
  id2 = server_expect (f, "query-name", NULL);
  server_reply (f, id2, "{\"name\": \"x\"}");
  WAIT_UNTIL (f, r3->done);
  g_assert_no_error (r3->error);
  g_assert_true (hv_qmp_is_connected (f->qmp));
}

static void
test_cancel_handshake (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Result *r = start_handshake (f, cancellable);

  server_write (f, GREETING);
  g_free (server_expect (f, "qmp_capabilities", NULL));
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r->qmp);
  WAIT_UNTIL (f, f->server_eof);
}

static void
test_bad_greeting (Fixture       *f,
                   gconstpointer  data)
{
  Result *r = start_handshake (f, NULL);

  server_write (f, data);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_null (r->qmp);
  g_test_message ("handshake error: %s", r->error->message);
  /* Nothing was sent, and the connection was dropped. */
  WAIT_UNTIL (f, f->server_eof);
  g_assert_cmpuint (f->server_input->len, ==, 0);
}

static void
test_close_before_greeting (Fixture       *f,
                            gconstpointer  data)
{
  Result *r = start_handshake (f, NULL);

  server_close (f);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_nonnull (strstr (r->error->message, "greeting"));
}

static void
test_capabilities_error (Fixture       *f,
                         gconstpointer  data)
{
  Result *r = start_handshake (f, NULL);
  g_autofree char *id = NULL;
  g_autofree char *line = NULL;

  server_write (f, GREETING);
  id = server_expect (f, "qmp_capabilities", NULL);
  line = g_strdup_printf ("{\"id\": \"%s\", \"error\": {\"class\": \"CommandNotFound\", "
                          "\"desc\": \"Capabilities negotiation is already complete\"}}\n", id);
  server_write (f, line);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_nonnull (strstr (r->error->message, "already complete"));
  WAIT_UNTIL (f, f->server_eof);
}

static void
test_unref_pending (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *id = NULL;
  HvQmp *weak;
  Result *r;

  connect_fixture (f);
  r = execute (f, "query-status", NULL, -1, NULL);
  id = server_expect (f, "query-status", NULL);

  /* Drop our reference with the command in flight: the command keeps it alive. */
  weak = f->qmp;
  g_object_add_weak_pointer (G_OBJECT (weak), (gpointer *) &weak);
  g_signal_handlers_disconnect_by_data (f->qmp, f);
  g_clear_object (&f->qmp);
  drain (f);
  g_assert_nonnull (weak);

  server_reply (f, id, "{\"status\": \"running\"}");
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);
  /* Answered, nothing holds it any more: gone, and the connection closed. */
  WAIT_UNTIL (f, weak == NULL);
  WAIT_UNTIL (f, f->server_eof);
}

static void
test_dispose_pending (Fixture       *f,
                      gconstpointer  data)
{
  Result *r1, *r2;

  connect_fixture (f);
  r1 = execute (f, "query-status", NULL, -1, NULL);
  r2 = execute (f, "query-name", NULL, -1, NULL);
  g_free (server_expect (f, "query-status", NULL));

  g_object_run_dispose (G_OBJECT (f->qmp));
  WAIT_UNTIL (f, r1->done && r2->done);
  g_assert_error (r1->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_error (r2->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_false (hv_qmp_is_connected (f->qmp));
  WAIT_UNTIL (f, f->server_eof);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Result *r = user_data;

  r->qmp = hv_qmp_connect_finish (result, &r->error);
  r->done = TRUE;
}

static void
test_connect_missing (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-qmp-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "none.sock", NULL);
  Result *r = result_new (f);

  hv_qmp_connect_async (path, NULL, connect_cb, r);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (r->error->message, path));
  g_rmdir (dir);
}

/* Against the real thing */

static void
on_qemu_exited (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *exited = TRUE;
}

static void
test_real_qemu (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *qmp_spec = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  guint major = 0, minor = 0, micro = 0;
  JsonObject *object;
  JsonObject *qemu_version;
  gboolean exited = FALSE;
  gboolean saw_shutdown = FALSE;
  gint64 deadline;
  Result *r = NULL;

  if (qemu == NULL)
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }

  dir = g_dir_make_tmp ("hv-qmp-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "q.sock", NULL);
  qmp_spec = g_strdup_printf ("unix:%s,server=on,wait=off", path);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, qemu,
                              "-nodefaults", "-no-user-config", "-machine", "none",
                              "-display", "none", "-S", "-qmp", qmp_spec, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, on_qemu_exited, &exited);

  /* QEMU creates the socket and listens before it enters its main loop; connect as
   * soon as it accepts. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && !exited)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_clear_pointer (&r, result_free);
          r = g_new0 (Result, 1);
          hv_qmp_connect_async (path, NULL, connect_cb, r);
          WAIT_UNTIL (f, r->done);
          if (r->qmp != NULL)
            break;
          g_test_message ("connect: %s", r->error->message);
        }
      g_usleep (20 * 1000);
      drain (f);
    }
  g_assert_false (exited);
  g_assert_nonnull (r);
  adopt_qmp (f, r);
  g_clear_pointer (&r, result_free);

  hv_qmp_get_version (f->qmp, &major, &minor, &micro);
  g_test_message ("QEMU %u.%u.%u", major, minor, micro);
  g_assert_cmpuint (major, >=, 2);

  r = execute (f, "query-status", NULL, -1, NULL);
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);
  object = json_node_get_object (r->node);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "prelaunch");
  g_assert_false (json_object_get_boolean_member (object, "running"));

  r = execute (f, "query-version", NULL, -1, NULL);
  WAIT_UNTIL (f, r->done);
  g_assert_no_error (r->error);
  qemu_version = json_object_get_object_member (json_node_get_object (r->node), "qemu");
  g_assert_cmpint (json_object_get_int_member (qemu_version, "major"), ==, major);
  g_assert_cmpint (json_object_get_int_member (qemu_version, "minor"), ==, minor);
  g_assert_cmpint (json_object_get_int_member (qemu_version, "micro"), ==, micro);

  /* A QMP error from the real thing */
  r = execute (f, "no-such-command", NULL, -1, NULL);
  WAIT_UNTIL (f, r->done);
  g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_test_message ("error: %s", r->error->message);

  r = execute (f, "quit", NULL, -1, NULL);
  WAIT_UNTIL (f, r->done && f->n_disconnected > 0 && exited);
  /* QEMU answers quit before it goes, but may be gone before the answer is read. */
  if (r->error != NULL)
    g_assert_error (r->error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_cmpuint (f->n_disconnected, ==, 1);
  g_assert_error (f->disconnect_error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  for (guint i = 0; i < f->events->len; i++)
    if (g_str_equal (((Event *) g_ptr_array_index (f->events, i))->name, "SHUTDOWN"))
      saw_shutdown = TRUE;
  g_assert_true (saw_shutdown);

  g_unlink (path);
  g_rmdir (dir);
}

static void
add (const char *path,
     gconstpointer data,
     void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add ("/qmp/handshake", NULL, test_handshake);
  add ("/qmp/return", NULL, test_return);
  add ("/qmp/error", NULL, test_error);
  add ("/qmp/out-of-order", NULL, test_out_of_order);
  add ("/qmp/events", NULL, test_events);
  add ("/qmp/split-bytes", NULL, test_split_bytes);
  add ("/qmp/many-in-one-write", NULL, test_many_in_one_write);
  add ("/qmp/garbage/text", "this is not json\n", test_garbage);
  add ("/qmp/garbage/array", "[1, 2, 3]\n", test_garbage);
  add ("/qmp/garbage/number", "42\n", test_garbage);
  add ("/qmp/garbage/truncated", "{\"return\": {}\n", test_garbage);
  add ("/qmp/garbage/deep", "deep", test_garbage);
  add ("/qmp/oversized/no-newline", NULL, test_oversized);
  add ("/qmp/oversized/line", NULL, test_oversized_lines);
  add ("/qmp/server-close", NULL, test_server_close);
  add ("/qmp/close", NULL, test_close);
  add ("/qmp/fd-passing", NULL, test_fd_passing);
  add ("/qmp/fd-passing-large", NULL, test_fd_passing_large);
  add ("/qmp/fd-passing-blocked", NULL, test_fd_passing_blocked);
  add ("/qmp/fd-not-socket", NULL, test_fd_not_socket);
  add ("/qmp/cancel", NULL, test_cancel);
  add ("/qmp/cancel-handshake", NULL, test_cancel_handshake);
  add ("/qmp/bad-greeting/return", "{\"return\": {}}\n", test_bad_greeting);
  add ("/qmp/bad-greeting/text", "hello\n", test_bad_greeting);
  add ("/qmp/bad-greeting/event", "{\"event\": \"STOP\"}\n", test_bad_greeting);
  add ("/qmp/close-before-greeting", NULL, test_close_before_greeting);
  add ("/qmp/capabilities-error", NULL, test_capabilities_error);
  add ("/qmp/unref-pending", NULL, test_unref_pending);
  add ("/qmp/dispose-pending", NULL, test_dispose_pending);
  add ("/qmp/connect-missing", NULL, test_connect_missing);
  add ("/qmp/real-qemu", NULL, test_real_qemu);

  return g_test_run ();
}
