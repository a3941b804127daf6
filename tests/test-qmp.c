/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qmp.c: HvQmp against a scripted fake QMP server on a socketpair (test-qmp-fixture.h),
 * and once against a real QEMU. */
#include "test-qmp-fixture.h"

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
