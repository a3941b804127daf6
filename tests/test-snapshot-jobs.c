/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-snapshot-jobs.c: the QMP snapshot jobs (engine/hv-snapshot-qemu.c) against a scripted
 * fake QEMU 7.2 on a socketpair: a save whose JOB_STATUS_CHANGE comes before the command's
 * reply (the monitor is silent for the whole save), a job whose error is only in query-jobs,
 * a command QEMU refuses at once ("already exists"), a job still running when first asked, and
 * QEMU going away mid-job; every concluded job is dismissed. And qemu-img on an image: tags
 * made, listed, deleted, a missing tag only tolerated when asked, no backing file opened. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-qmp.h"
#include "hv-snapshot-qemu.h"

#define WAIT_USEC (20 * G_USEC_PER_SEC)
#define GREETING \
  "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, " \
  "\"package\": \"\"}, \"capabilities\": []}}\r\n"

typedef struct {
  GSocketConnection *client;
  int server_fd;
  GString *input;
  HvQmp *qmp;
  gboolean done;
  gboolean ok;
  GError *error;
} Fixture;

static void
iterate (void)
{
  g_main_context_iteration (NULL, FALSE);
  g_usleep (1000);
}

static void
server_write (Fixture    *f,
              const char *text)
{
  g_assert_cmpint (write (f->server_fd, text, strlen (text)), ==, (gssize) strlen (text));
}

/* The next command the client sent: its object (free it). */
static JsonObject *
server_read (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_USEC;

  for (;;)
    {
      char buf[4096];
      gssize n;
      const char *nl = strchr (f->input->str, '\n');

      if (nl != NULL)
        {
          g_autofree char *line = g_strndup (f->input->str, nl - f->input->str);
          g_autoptr(JsonParser) parser = json_parser_new ();

          g_string_erase (f->input, 0, nl - f->input->str + 1);
          g_assert_true (json_parser_load_from_data (parser, line, -1, NULL));
          return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
        }
      n = recv (f->server_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
      if (n > 0)
        g_string_append_len (f->input, buf, n);
      else
        {
          if (g_get_monotonic_time () > deadline)
            g_error ("timed out waiting for a command");
          iterate ();
        }
    }
}

static const char *
command_of (JsonObject *o)
{
  return json_object_get_string_member (o, "execute");
}

/* Reply to command `o` with `result` (JSON text). */
static void
server_reply (Fixture    *f,
              JsonObject *o,
              const char *result)
{
  g_autofree char *text = NULL;

  if (json_object_has_member (o, "id"))
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) id = json_node_copy (json_object_get_member (o, "id"));
      g_autofree char *id_text = NULL;

      json_generator_set_root (gen, id);
      id_text = json_generator_to_data (gen, NULL);
      text = g_strdup_printf ("{%s, \"id\": %s}\r\n", result, id_text);
    }
  else
    text = g_strdup_printf ("{%s}\r\n", result);
  server_write (f, text);
}

static void
on_connected (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  f->qmp = hv_qmp_new_for_stream_finish (result, &error);
  g_assert_no_error (error);
}

static void
setup (Fixture *f)
{
  int sv[2];
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(JsonObject) caps = NULL;

  memset (f, 0, sizeof *f);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
  socket = g_socket_new_from_fd (sv[0], NULL);
  f->client = G_SOCKET_CONNECTION (g_socket_connection_factory_create_connection (socket));
  f->server_fd = sv[1];
  f->input = g_string_new (NULL);
  server_write (f, GREETING);
  hv_qmp_new_for_stream_async (G_IO_STREAM (f->client), NULL, on_connected, f);
  caps = server_read (f);
  g_assert_cmpstr (command_of (caps), ==, "qmp_capabilities");
  server_reply (f, caps, "\"return\": {}");
  while (f->qmp == NULL)
    iterate ();
}

static void
teardown (Fixture *f)
{
  if (f->qmp != NULL)
    hv_qmp_close (f->qmp);
  g_clear_object (&f->qmp);
  g_clear_object (&f->client);
  if (f->server_fd >= 0)
    close (f->server_fd);
  g_string_free (f->input, TRUE);
  g_clear_error (&f->error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
on_job (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  f->ok = hv_snapshot_qmp_job_finish (result, &f->error);
  f->done = TRUE;
}

static void
start_save (Fixture *f)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr(JsonObject) args = NULL;

  g_ptr_array_add (nodes, (gpointer) "drive0-format");
  g_ptr_array_add (nodes, (gpointer) "drive2-format");
  args = hv_snapshot_job_args ("hv-1234", "drive0-format", nodes);
  hv_snapshot_qmp_job_async (f->qmp, "snapshot-save", args, NULL, on_job, f);
}

static void
wait_done (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_USEC;

  while (!f->done)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for the job");
      iterate ();
    }
}

/* Reads the save command, checks its arguments, returns its job id. */
static char *
read_save (Fixture     *f,
           JsonObject **out_command)
{
  JsonObject *o = server_read (f);
  JsonObject *args = json_object_get_object_member (o, "arguments");
  JsonArray *devices = json_object_get_array_member (args, "devices");

  g_assert_cmpstr (command_of (o), ==, "snapshot-save");
  g_assert_cmpstr (json_object_get_string_member (args, "tag"), ==, "hv-1234");
  g_assert_cmpstr (json_object_get_string_member (args, "vmstate"), ==, "drive0-format");
  g_assert_cmpuint (json_array_get_length (devices), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (devices, 1), ==, "drive2-format");
  *out_command = o;
  return g_strdup (json_object_get_string_member (args, "job-id"));
}

static void
answer_jobs (Fixture    *f,
             const char *job_id,
             const char *status,
             const char *error)
{
  g_autoptr(JsonObject) o = server_read (f);
  g_autofree char *reply = NULL;

  g_assert_cmpstr (command_of (o), ==, "query-jobs");
  reply = g_strdup_printf ("\"return\": [{\"id\": \"other\", \"status\": \"concluded\", "
                           "\"type\": \"snapshot-load\"}, {\"id\": \"%s\", \"status\": \"%s\", "
                           "\"type\": \"snapshot-save\", \"current-progress\": 1, "
                           "\"total-progress\": 1%s%s%s}]",
                           job_id, status, error ? ", \"error\": \"" : "", error ? error : "",
                           error ? "\"" : "");
  server_reply (f, o, reply);
}

static void
answer_dismiss (Fixture    *f,
                const char *job_id)
{
  g_autoptr(JsonObject) o = server_read (f);

  g_assert_cmpstr (command_of (o), ==, "job-dismiss");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "arguments"),
                                                  "id"), ==, job_id);
  server_reply (f, o, "\"return\": {}");
}

static void
test_save_ok (void)
{
  Fixture f;
  g_autoptr(JsonObject) save = NULL;
  g_autofree char *job = NULL;
  g_autofree char *event = NULL;

  setup (&f);
  start_save (&f);
  job = read_save (&f, &save);
  g_assert_true (g_str_has_prefix (job, "hv-job-"));
  /* QEMU 7.2: the events of the whole job, then the command's reply, all at the end. */
  event = g_strdup_printf ("{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"status\": "
                           "\"concluded\", \"id\": \"%s\"}, \"timestamp\": {\"seconds\": 1, "
                           "\"microseconds\": 2}}\r\n", job);
  server_write (&f, event);
  server_reply (&f, save, "\"return\": {}");
  answer_jobs (&f, job, "concluded", NULL);
  answer_dismiss (&f, job);
  wait_done (&f);
  g_assert_no_error (f.error);
  g_assert_true (f.ok);
  teardown (&f);
}

static void
test_job_error (void)
{
  Fixture f;
  g_autoptr(JsonObject) save = NULL;
  g_autofree char *job = NULL;

  setup (&f);
  start_save (&f);
  job = read_save (&f, &save);
  server_reply (&f, save, "\"return\": {}");
  /* No event this time: the poll asks; the job failed, which only query-jobs says. */
  answer_jobs (&f, job, "concluded", "Device 'drive2-format' is writable but does not support "
               "snapshots");
  answer_dismiss (&f, job);
  wait_done (&f);
  g_assert_false (f.ok);
  g_assert_error (f.error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_nonnull (strstr (f.error->message, "does not support snapshots"));
  teardown (&f);
}

static void
test_refused (void)
{
  Fixture f;
  g_autoptr(JsonObject) save = NULL;
  g_autofree char *job = NULL;

  setup (&f);
  start_save (&f);
  job = read_save (&f, &save);
  server_reply (&f, save, "\"error\": {\"class\": \"GenericError\", \"desc\": \"Snapshot "
                "'hv-1234' already exists in one or more devices\"}");
  wait_done (&f);
  g_assert_false (f.ok);
  g_assert_error (f.error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_assert_nonnull (strstr (f.error->message, "already exists"));
  teardown (&f);
}

static void
test_still_running (void)
{
  Fixture f;
  g_autoptr(JsonObject) save = NULL;
  g_autofree char *job = NULL;
  g_autofree char *event = NULL;

  setup (&f);
  start_save (&f);
  job = read_save (&f, &save);
  server_reply (&f, save, "\"return\": {}");
  answer_jobs (&f, job, "running", NULL);
  g_assert_false (f.done);
  event = g_strdup_printf ("{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"status\": "
                           "\"concluded\", \"id\": \"%s\"}, \"timestamp\": {\"seconds\": 1, "
                           "\"microseconds\": 2}}\r\n", job);
  server_write (&f, event);
  answer_jobs (&f, job, "concluded", NULL);
  answer_dismiss (&f, job);
  wait_done (&f);
  g_assert_true (f.ok);
  teardown (&f);
}

static void
test_qemu_gone (void)
{
  Fixture f;
  g_autoptr(JsonObject) save = NULL;
  g_autofree char *job = NULL;

  setup (&f);
  start_save (&f);
  job = read_save (&f, &save);
  close (f.server_fd);
  f.server_fd = -1;
  wait_done (&f);
  g_assert_false (f.ok);
  g_assert_error (f.error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  teardown (&f);
}

static void
test_qemu_img (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hv-snapjobs-XXXXXX", &error);
  /* A comma and a space: the path is JSON in the json: filename, never option text. */
  g_autofree char *path = g_build_filename (dir, "a, b.qcow2", NULL);
  g_autofree char *evil = g_build_filename (dir, "evil.qcow2", NULL);
  g_autofree char *cmd = NULL;
  g_autoptr(GHashTable) tags = NULL;
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");

  if (qemu_img == NULL)
    {
      g_test_skip ("qemu-img is not installed");
      return;
    }
  cmd = g_strdup_printf ("qemu-img create -q -f qcow2 '%s' 16M && "
                         "qemu-img create -q -f qcow2 -u -b /nonexistent/base.qcow2 -F qcow2 "
                         "'%s' 16M", path, evil);
  g_assert_cmpint (system (cmd), ==, 0);

  g_assert_true (hv_qemu_img_snapshot ('c', path, "hv-a", FALSE, &error));
  g_assert_no_error (error);
  tags = hv_qemu_img_list_tags (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_hash_table_contains (tags, "hv-a"));
  g_assert_true (hv_qemu_img_snapshot ('a', path, "hv-a", FALSE, &error));
  g_assert_true (hv_qemu_img_snapshot ('d', path, "hv-a", FALSE, &error));
  g_clear_pointer (&tags, g_hash_table_unref);
  tags = hv_qemu_img_list_tags (path, &error);
  g_assert_false (g_hash_table_contains (tags, "hv-a"));
  /* A missing tag: an error unless the caller says it may be gone already. */
  g_assert_false (hv_qemu_img_snapshot ('d', path, "hv-a", FALSE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_clear_error (&error);
  g_assert_true (hv_qemu_img_snapshot ('d', path, "hv-a", TRUE, &error));
  g_assert_no_error (error);
  /* An image whose header names a backing file: never opened (it does not exist). */
  g_assert_true (hv_qemu_img_snapshot ('c', evil, "hv-b", FALSE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&tags, g_hash_table_unref);
  tags = hv_qemu_img_list_tags (evil, &error);
  g_assert_no_error (error);
  g_assert_true (g_hash_table_contains (tags, "hv-b"));

  g_clear_pointer (&cmd, g_free);
  cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshot-jobs/save-ok", test_save_ok);
  g_test_add_func ("/snapshot-jobs/job-error", test_job_error);
  g_test_add_func ("/snapshot-jobs/refused", test_refused);
  g_test_add_func ("/snapshot-jobs/still-running", test_still_running);
  g_test_add_func ("/snapshot-jobs/qemu-gone", test_qemu_gone);
  g_test_add_func ("/snapshot-jobs/qemu-img", test_qemu_img);
  return g_test_run ();
}
