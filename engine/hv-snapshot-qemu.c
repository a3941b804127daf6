/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-snapshot-qemu.c: see hv-snapshot-qemu.h. */
#include "hv-snapshot-qemu.h"

#include <string.h>

#include "hv-error.h"
#include "hv-qmp.h"

#define JOB_POLL_MS 500
#define QEMU_IMG_OUTPUT_MAX (4 * 1024 * 1024)

/* ----------------------------------------------------------------------------
 * QMP jobs
 */

typedef struct {
  HvQmp *qmp;
  char *job_id;
  gulong event_id;
  gulong gone_id;
  guint poll_id;
  gboolean replied;     /* the command itself answered */
  gboolean querying;    /* a query-jobs is on its way */
  gboolean dismissing;
  char *error;          /* the job's error, once concluded */
  gint64 started_us;    /* monotonic: when the command was sent */
  gint64 ended_us;      /* monotonic: when the job was seen concluded */
  gint64 stop_us;       /* QEMU's clock: the guest's STOP and RESUME during the job, or 0 */
  gint64 resume_us;
} Job;

static void
job_free (Job *job)
{
  if (job->event_id != 0)
    g_signal_handler_disconnect (job->qmp, job->event_id);
  if (job->gone_id != 0)
    g_signal_handler_disconnect (job->qmp, job->gone_id);
  g_clear_handle_id (&job->poll_id, g_source_remove);
  g_clear_object (&job->qmp);
  g_free (job->job_id);
  g_free (job->error);
  g_free (job);
}

static void check_job (GTask *task);

static void
on_dismissed (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, NULL);

  if (job->error != NULL)
    g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED, "%s", job->error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_jobs (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  JsonArray *jobs;

  job->querying = FALSE;
  if (g_task_get_completed (task) || job->dismissing)
    return;
  if (reply == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED, "query-jobs failed: %s",
                               error->message);
      return;
    }
  jobs = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++)
    {
      JsonObject *o = json_array_get_object_element (jobs, i);
      const char *id = o != NULL ? json_object_get_string_member_with_default (o, "id", "") : "";
      const char *status;

      if (!g_str_equal (id, job->job_id))
        continue;
      status = json_object_get_string_member_with_default (o, "status", "");
      if (!g_str_equal (status, "concluded"))
        return;   /* the next event or poll looks again */
      job->error = g_strdup (json_object_get_string_member_with_default (o, "error", NULL));
      job->ended_us = g_get_monotonic_time ();
      job->dismissing = TRUE;
      {
        g_autoptr(JsonObject) args = json_object_new ();

        json_object_set_string_member (args, "id", job->job_id);
        hv_qmp_execute_async (job->qmp, "job-dismiss", args, -1, NULL, on_dismissed,
                              g_object_ref (task));
      }
      return;
    }
  /* Not listed: dismissed by someone else, or never made. */
  g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED,
                           "QEMU does not know the job %s", job->job_id);
}

static void
check_job (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  if (job->querying || job->dismissing || !job->replied || g_task_get_completed (task))
    return;
  job->querying = TRUE;
  hv_qmp_execute_async (job->qmp, "query-jobs", NULL, -1, NULL, on_jobs, g_object_ref (task));
}

static gboolean
on_poll (gpointer user_data)
{
  check_job (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_event (HvQmp      *qmp,
          const char *name,
          JsonObject *data,
          gint64      timestamp,
          GTask      *task)
{
  Job *job = g_task_get_task_data (task);

  if (g_str_equal (name, "STOP"))
    job->stop_us = timestamp;
  else if (g_str_equal (name, "RESUME"))
    job->resume_us = timestamp;
  if (g_str_equal (name, "JOB_STATUS_CHANGE") && data != NULL &&
      g_strcmp0 (json_object_get_string_member_with_default (data, "id", NULL),
                 job->job_id) == 0 &&
      g_strcmp0 (json_object_get_string_member_with_default (data, "status", NULL),
                 "concluded") == 0)
    check_job (task);
}

static void
on_gone (HvQmp        *qmp,
         const GError *error,
         GTask        *task)
{
  if (!g_task_get_completed (task))
    g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED,
                             "QEMU ended during the operation");
}

static void
on_command (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (g_task_get_completed (task))
    return;
  if (reply == NULL)
    {
      /* Refused before a job existed (a bad argument, a tag that exists already). */
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED, "%s", error->message);
      return;
    }
  job->replied = TRUE;
  /* The events say when it concludes; the poll covers one we might not be sent. */
  job->poll_id = g_timeout_add_full (G_PRIORITY_DEFAULT, JOB_POLL_MS, on_poll,
                                     g_object_ref (task), g_object_unref);
  check_job (task);
}

void
hv_snapshot_qmp_job_async (HvQmp              *qmp,
                           const char         *command,
                           JsonObject         *arguments,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr(JsonObject) args = json_object_new ();
  GList *members = json_object_get_members (arguments);

  g_task_set_source_tag (task, hv_snapshot_qmp_job_async);
  job->qmp = g_object_ref (qmp);
  job->job_id = g_strconcat ("hv-job-", uuid, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  job->event_id = g_signal_connect (qmp, "event", G_CALLBACK (on_event), task);
  job->gone_id = g_signal_connect (qmp, "disconnected", G_CALLBACK (on_gone), task);

  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (args, l->data,
                            json_node_copy (json_object_get_member (arguments, l->data)));
  g_list_free (members);
  json_object_set_string_member (args, "job-id", job->job_id);
  job->started_us = g_get_monotonic_time ();
  hv_qmp_execute_async (qmp, command, args, -1, NULL, on_command, task);
}

gboolean
hv_snapshot_qmp_job_finish (GAsyncResult *result,
                            GError      **error)
{
  GTask *task = G_TASK (result);
  Job *job = g_task_get_task_data (task);

  /* The task data holds signal handlers whose user data is the task: drop them now. */
  if (job->event_id != 0)
    g_signal_handler_disconnect (job->qmp, job->event_id);
  if (job->gone_id != 0)
    g_signal_handler_disconnect (job->qmp, job->gone_id);
  job->event_id = job->gone_id = 0;
  g_clear_handle_id (&job->poll_id, g_source_remove);
  if (job->ended_us == 0)
    job->ended_us = g_get_monotonic_time ();
  return g_task_propagate_boolean (task, error);
}

double
hv_snapshot_qmp_job_paused_s (GAsyncResult *result)
{
  Job *job = g_task_get_task_data (G_TASK (result));

  if (job->stop_us > 0 && job->resume_us > job->stop_us)
    return (job->resume_us - job->stop_us) / 1e6;
  if (job->stop_us == 0 && job->resume_us == 0 && job->ended_us > job->started_us)
    return (job->ended_us - job->started_us) / 1e6;
  return -1;
}

JsonObject *
hv_snapshot_job_args (const char *tag,
                      const char *vmstate_node,
                      GPtrArray  *nodes)
{
  JsonObject *args = json_object_new ();
  JsonArray *devices = json_array_new ();

  json_object_set_string_member (args, "tag", tag);
  if (vmstate_node != NULL)
    json_object_set_string_member (args, "vmstate", vmstate_node);
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_string_element (devices, g_ptr_array_index (nodes, i));
  json_object_set_array_member (args, "devices", devices);
  return args;
}

/* ----------------------------------------------------------------------------
 * qemu-img
 */

/* json:{...}: the driver named, no backing file opened, the path as JSON (any bytes). */
static char *
image_spec (const char *path)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, "qcow2");
  json_builder_set_member_name (b, "file");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, "file");
  json_builder_set_member_name (b, "filename");
  json_builder_add_string_value (b, path);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "backing");
  json_builder_add_null_value (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return g_strconcat ("json:", text, NULL);
}

static gboolean
run_qemu_img (const char * const *argv,
              char              **out,
              GError            **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, error))
    return FALSE;
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s",
                   stderr_text != NULL && *g_strstrip (stderr_text) ? stderr_text
                                                                    : "qemu-img failed");
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return TRUE;
}

static char *
find_qemu_img (GError **error)
{
  const char *env = g_getenv ("HOSTVISOR_QEMU_IMG");
  char *path = env != NULL && *env ? g_strdup (env) : g_find_program_in_path ("qemu-img");

  if (path == NULL)
    g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED, "qemu-img is not installed");
  return path;
}

gboolean
hv_qemu_img_snapshot (char         op,
                      const char  *path,
                      const char  *tag,
                      gboolean     missing_ok,
                      GError     **error)
{
  g_autofree char *qemu_img = find_qemu_img (error);
  g_autofree char *spec = image_spec (path);
  g_autofree char *flag = g_strdup_printf ("-%c", op);
  g_autoptr(GError) local_error = NULL;
  const char *argv[] = { qemu_img, "snapshot", "-q", flag, tag, spec, NULL };

  g_return_val_if_fail (op == 'c' || op == 'a' || op == 'd', FALSE);
  if (qemu_img == NULL)
    return FALSE;
  if (run_qemu_img (argv, NULL, &local_error))
    return TRUE;
  if (op == 'd' && missing_ok && strstr (local_error->message, "not found") != NULL)
    return TRUE;
  g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s: %s", path, local_error->message);
  return FALSE;
}

GHashTable *
hv_qemu_img_list_tags (const char  *path,
                       GError     **error)
{
  g_autofree char *qemu_img = find_qemu_img (error);
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  GHashTable *tags;
  JsonNode *root;
  JsonObject *info;
  JsonArray *snapshots;
  /* info opens no backing file (docs/snapshots.md); -U: QEMU may have it open. */
  const char *argv[] = { qemu_img, "info", "-U", "-f", "qcow2", "--output=json", path, NULL };

  if (qemu_img == NULL)
    return NULL;
  if (!run_qemu_img (argv, &out, &local_error))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s: %s", path, local_error->message);
      return NULL;
    }
  if (strlen (out) > QEMU_IMG_OUTPUT_MAX || !json_parser_load_from_data (parser, out, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s: qemu-img info gave no JSON", path);
      return NULL;
    }
  info = json_node_get_object (root);
  tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  snapshots = json_object_has_member (info, "snapshots") ?
              json_object_get_array_member (info, "snapshots") : NULL;
  for (guint i = 0; snapshots != NULL && i < json_array_get_length (snapshots); i++)
    {
      JsonObject *s = json_array_get_object_element (snapshots, i);
      const char *name = s != NULL ? json_object_get_string_member_with_default (s, "name", NULL)
                                   : NULL;
      guint64 *size = g_new (guint64, 1);

      if (name == NULL)
        {
          g_free (size);
          continue;
        }
      *size = (guint64) json_object_get_int_member_with_default (s, "vm-state-size", 0);
      g_hash_table_replace (tags, g_strdup (name), size);
    }
  return tags;
}
