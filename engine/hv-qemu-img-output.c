/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-img-output.c: qemu-img's runs, progress and error text, for clones, exports and
 * imports. */
#include "hv-qemu-img-output.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "hv-error.h"

gboolean
hv_qemu_img_parse_progress (const char *text,
                            double     *out)
{
  const char *p = NULL;

  for (const char *q = strstr (text, "/100%)"); q != NULL; q = strstr (q + 1, "/100%)"))
    p = q;
  if (p == NULL)
    return FALSE;
  while (p > text && (g_ascii_isdigit (p[-1]) || p[-1] == '.'))
    p--;
  if (p == text || p[-1] != '(')
    return FALSE;
  *out = g_ascii_strtod (p, NULL) / 100.0;
  return TRUE;
}

char *
hv_qemu_img_message (const char *output)
{
  g_auto(GStrv) lines = g_regex_split_simple ("[\r\n]+", output, 0, 0);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || (lines[i][0] == '(' && g_str_has_suffix (lines[i], "%)")))
        continue;
      if (out->len > 0)
        g_string_append (out, "; ");
      g_string_append (out, lines[i]);
    }
  if (out->len > 400)
    g_string_truncate (out, 400);
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE)
                      : g_strdup ("qemu-img failed");
}

void
hv_child_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

typedef struct {
  GSubprocess *process;
  GString *output;          /* stdout and stderr; only the end is kept */
  HvQemuImgProgress progress;
  gpointer progress_data;
  char buffer[4096];
} QemuImgRun;

static void
qemu_img_run_free (QemuImgRun *run)
{
  g_clear_object (&run->process);
  g_string_free (run->output, TRUE);
  g_free (run);
}

static void
on_run_exited (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QemuImgRun *run = g_task_get_task_data (task);
  GSubprocess *process = G_SUBPROCESS (object);
  GError *error = NULL;

  if (!g_subprocess_wait_finish (process, result, &error))
    {
      g_subprocess_force_exit (process);
      g_task_return_error (task, error);
    }
  else if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  else if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_autofree char *message = hv_qemu_img_message (run->output->str);

      g_task_return_new_error (task, HV_ERROR, HV_ERROR_IO, "%s", message);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_run_output (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QemuImgRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  double fraction;

  if (n > 0)
    {
      /* The cancellable first: the steal below empties `task`. */
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_string_append_len (run->output, run->buffer, n);
      if (run->progress != NULL && hv_qemu_img_parse_progress (run->output->str, &fraction))
        run->progress (CLAMP (fraction, 0, 1), run->progress_data);
      /* What an error message needs, not a whole run's progress lines. */
      if (run->output->len > 64 * 1024)
        g_string_erase (run->output, 0, run->output->len - 16 * 1024);
      g_input_stream_read_async (G_INPUT_STREAM (object), run->buffer, sizeof run->buffer,
                                 G_PRIORITY_DEFAULT, cancellable, on_run_output,
                                 g_steal_pointer (&task));
      return;
    }
  /* The end of its output, or the cancel (or a read error: it is not watched any more): the
   * exit status says the rest. */
  if (n < 0)
    g_subprocess_force_exit (run->process);
  g_subprocess_wait_async (run->process, NULL, on_run_exited, g_steal_pointer (&task));
}

void
hv_qemu_img_run_async (const char * const *argv,
                       int                 source_fd,
                       int                 child_fd,
                       HvQemuImgProgress   progress,
                       gpointer            progress_data,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  QemuImgRun *run = g_new0 (QemuImgRun, 1);
  GError *error = NULL;

  g_task_set_source_tag (task, hv_qemu_img_run_async);
  /* Its own errors: a cancel is told once the child is gone. */
  g_task_set_check_cancellable (task, FALSE);
  run->output = g_string_new (NULL);
  run->progress = progress;
  run->progress_data = progress_data;
  g_task_set_task_data (task, run, (GDestroyNotify) qemu_img_run_free);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, hv_child_die_with_parent, NULL, NULL);
  if (source_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, source_fd, child_fd);
  run->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (run->process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_input_stream_read_async (g_subprocess_get_stdout_pipe (run->process), run->buffer,
                             sizeof run->buffer, G_PRIORITY_DEFAULT, cancellable, on_run_output,
                             g_steal_pointer (&task));
}

gboolean
hv_qemu_img_run_finish (GAsyncResult *result,
                        GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
