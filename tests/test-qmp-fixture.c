/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qmp-fixture.c: the fake QMP server of test-qmp-fixture.h. */
#include "test-qmp-fixture.h"

gboolean
tick_cb (gpointer user_data)
{
  /* Only here so that a blocking iteration wakes up to check its deadline. */
  return G_SOURCE_CONTINUE;
}

/* Runs whatever is ready now, so that the client has read what was just written. */
void
drain (Fixture *f)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (f->context, FALSE); i++)
    ;
}

void
result_free (Result *result)
{
  g_clear_pointer (&result->node, json_node_unref);
  g_clear_error (&result->error);
  g_clear_object (&result->qmp);
  g_free (result);
}

void
event_free (Event *event)
{
  g_free (event->name);
  g_clear_pointer (&event->data, json_object_unref);
  g_free (event);
}

Result *
result_new (Fixture *f)
{
  Result *result = g_new0 (Result, 1);

  g_ptr_array_add (f->results, result);
  return result;
}

gboolean
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

void
server_resume (Fixture *f)
{
  g_assert_null (f->server_source);
  f->server_source = g_socket_create_source (f->server_socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                             NULL);
  g_source_set_callback (f->server_source, G_SOURCE_FUNC (server_readable_cb), f, NULL);
  g_source_attach (f->server_source, f->context);
}

/* Stops reading what the client writes, so that its socket buffer fills up. */
void
server_pause (Fixture *f)
{
  g_source_destroy (f->server_source);
  g_clear_pointer (&f->server_source, g_source_unref);
}

void
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

void
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

void
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

void
server_write (Fixture    *f,
              const char *data)
{
  server_write_len (f, data, strlen (data));
}

/* Writes `data` one byte at a time, letting the client read after each byte. */
void
server_write_bytewise (Fixture    *f,
                       const char *data)
{
  for (const char *p = data; *p != '\0'; p++)
    {
      server_write_len (f, p, 1);
      drain (f);
    }
}

void
server_close (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_socket_shutdown (f->server_socket, TRUE, TRUE, &error);
  g_assert_no_error (error);
}

/* Waits for one line from the client and parses it. */
JsonObject *
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
char *
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

void
server_reply (Fixture    *f,
              const char *id,
              const char *return_json)
{
  g_autofree char *line = g_strdup_printf ("{\"return\": %s, \"id\": \"%s\"}\n",
                                           return_json, id);

  server_write (f, line);
}

void
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

void
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

void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *r = user_data;

  g_assert_null (object);
  r->qmp = hv_qmp_new_for_stream_finish (result, &r->error);
  r->done = TRUE;
}

Result *
start_handshake (Fixture      *f,
                 GCancellable *cancellable)
{
  Result *r = result_new (f);

  hv_qmp_new_for_stream_async (G_IO_STREAM (f->client), cancellable, handshake_cb, r);
  return r;
}

void
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
void
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

void
execute_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Result *r = user_data;

  g_assert_false (r->done);
  r->node = hv_qmp_execute_finish (HV_QMP (object), result, &r->error);
  r->done = TRUE;
}

Result *
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

JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

void
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
