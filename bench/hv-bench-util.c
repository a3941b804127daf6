/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-util.c: waiting without blocking Ctrl-C, running hostvisorctl, finding and
 * measuring the engine, and watching a serial log for the guest's marker. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-bench.h"

gboolean
fail (GError    **error,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_IO_ERROR, G_IO_ERROR_FAILED, format, args));
  va_end (args);
  return FALSE;
}

/* ── Waiting ───────────────────────────────────────────────────────────────────────────── */

static gboolean
on_wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until done() holds. With honour_interrupt, Ctrl-C ends the wait
 * (FALSE); cleanup waits pass FALSE so that they still finish what they wait for. */
gboolean
wait_until (DoneFunc    done,
            gpointer    data,
            guint       interval_ms,
            guint       timeout_ms,
            gboolean    honour_interrupt,
            const char *what,
            GError    **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint wake = g_timeout_add (MIN (interval_ms, 100), on_wake, NULL);
  gboolean ok = FALSE;

  for (;;)
    {
      if (done (data))
        {
          ok = TRUE;
          break;
        }
      if (honour_interrupt && interrupted)
        {
          fail (error, "Interrupted");
          break;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          fail (error, "Timed out after %u s waiting for %s", timeout_ms / 1000, what);
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
  return ok;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* Sleeps while the main context runs; FALSE when interrupted. */
gboolean
sleep_ms (guint ms)
{
  g_autoptr(GError) error = NULL;

  wait_until (never, NULL, ms, ms, TRUE, "nothing", &error);
  return !interrupted;
}

/* ── Child processes ───────────────────────────────────────────────────────────────────── */

void
child_free (Child *c)
{
  g_clear_object (&c->process);
  g_free (c->out);
  g_free (c->err);
  g_clear_error (&c->error);
  g_free (c);
}

static void
on_child_communicated (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Child *c = user_data;

  /* Taken first: this is the moment the command has ended, output read. */
  c->end_us = g_get_monotonic_time ();
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &c->out, &c->err,
                                        &c->error);
  c->done = TRUE;
}

Child *
child_spawn (const char * const *argv,
             GError            **error)
{
  g_autoptr(Child) c = g_new0 (Child, 1);

  c->start_us = g_get_monotonic_time ();
  c->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (c->process == NULL)
    return NULL;
  g_subprocess_communicate_utf8_async (c->process, NULL, NULL, on_child_communicated, c);
  return g_steal_pointer (&c);
}

gboolean
child_is_done (gpointer data)
{
  return ((Child *) data)->done;
}

/* Waits for the child; when the wait is cut short it is killed, and waited for again so that
 * its callback never outlives it. */
gboolean
child_wait (Child   *c,
            guint    timeout_ms,
            GError **error)
{
  if (wait_until (child_is_done, c, 100, timeout_ms, TRUE, "a command", error))
    return TRUE;
  g_subprocess_force_exit (c->process);
  wait_until (child_is_done, c, 100, 10000, FALSE, "a killed command", NULL);
  if (!c->done)
    g_error ("A killed child process does not end");
  return FALSE;
}

char *
argv_text (const char * const *argv)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, i == 0 ? argv[i] : quoted);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Whether the child ended with status 0; else the error names the command and its stderr. */
gboolean
child_check (Child               *c,
             const char * const *argv,
             GError             **error)
{
  g_autofree char *cmd = NULL;

  if (c->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&c->error));
      return FALSE;
    }
  if (g_subprocess_get_if_exited (c->process) && g_subprocess_get_exit_status (c->process) == 0)
    return TRUE;

  cmd = argv_text (argv);
  if (g_subprocess_get_if_signaled (c->process))
    return fail (error, "%s was killed by signal %d", cmd,
                 g_subprocess_get_term_sig (c->process));
  return fail (error, "%s failed (status %d): %s", cmd,
               g_subprocess_get_exit_status (c->process),
               c->err != NULL ? g_strstrip (c->err) : "");
}

/* Runs hostvisorctl with the NULL-terminated arguments; returns its stdout on status 0, and
 * the wall time from spawning it to its end in *elapsed_us. */
char *
ctl_run (gint64  *elapsed_us,
         GError **error,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(Child) c = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, bench.ctl);
  va_start (args, error);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  c = child_spawn ((const char * const *) argv->pdata, error);
  if (c == NULL || !child_wait (c, 5 * 60 * 1000, error))
    return NULL;
  if (!child_check (c, (const char * const *) argv->pdata, error))
    return NULL;
  if (elapsed_us != NULL)
    *elapsed_us = c->end_us - c->start_us;
  return g_steal_pointer (&c->out);
}

JsonNode *
parse_json (const char *text,
            GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;
  return json_node_ref (json_parser_get_root (parser));
}

/* `hostvisorctl show NAME --json`, as an object. */
JsonObject *
ctl_show (const char *name,
          GError    **error)
{
  g_autofree char *out = ctl_run (NULL, error, "show", name, "--json", NULL);
  g_autoptr(JsonNode) root = NULL;

  if (out == NULL || (root = parse_json (out, error)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (error, "hostvisorctl show --json did not print an object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

const char *
json_string (JsonObject *object,
             const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* ── The engine process ────────────────────────────────────────────────────────────────── */

char *
engine_lock_path (void)
{
  return g_build_filename (bench.runtime_dir, "hostvisor", "engine.lock", NULL);
}

/* The process that holds the engine lock open, found the way fuser(1) finds it; 0 if none. */
GPid
engine_pid (void)
{
  g_autofree char *lock = engine_lock_path ();
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  if (proc == NULL)
    return 0;
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_dir = NULL;
      g_autoptr(GDir) fds = NULL;
      const char *fd;

      if (!g_ascii_isdigit (name[0]))
        continue;
      fd_dir = g_build_filename ("/proc", name, "fd", NULL);
      /* Other users' processes are unreadable: skipped, as they cannot be our engine. */
      fds = g_dir_open (fd_dir, 0, NULL);
      if (fds == NULL)
        continue;
      while ((fd = g_dir_read_name (fds)) != NULL)
        {
          g_autofree char *link = g_build_filename (fd_dir, fd, NULL);
          g_autofree char *target = g_file_read_link (link, NULL);

          if (target != NULL && strcmp (target, lock) == 0)
            return (GPid) atoi (name);
        }
    }
  return 0;
}

/* A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); 0 if it cannot be read. */
guint64
proc_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize len = strlen (field);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], field, len) == 0 && lines[i][len] == ':')
      return g_ascii_strtoull (lines[i] + len + 1, NULL, 10);
  return 0;
}

/* Alive and not a zombie. */
static gboolean
process_alive (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return FALSE;
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  return paren == NULL || paren[1] == '\0' || paren[2] != 'Z';
}

static gboolean
process_gone (gpointer data)
{
  return !process_alive (GPOINTER_TO_INT (data));
}

/* QEMUs an engine left behind when it had to be killed, found by their pid files. */
static void
kill_leftover_qemus (void)
{
  g_autofree char *vms = g_build_filename (bench.runtime_dir, "hostvisor", "vms", NULL);
  g_autoptr(GDir) dir = g_dir_open (vms, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *pid_file = g_build_filename (vms, name, "qemu.pid", NULL);
      g_autofree char *text = NULL;
      g_autofree char *cmdline_path = NULL;
      g_autofree char *cmdline = NULL;
      GPid pid;

      if (!g_file_get_contents (pid_file, &text, NULL, NULL))
        continue;
      pid = (GPid) atoi (text);
      cmdline_path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
      /* A recycled pid is not ours to kill: only a QEMU of this environment is. */
      if (pid <= 0 || !g_file_get_contents (cmdline_path, &cmdline, NULL, NULL) ||
          strstr (cmdline, "qemu") == NULL)
        continue;
      kill (pid, SIGKILL);
    }
}

/* SIGTERM (the engine powers off running VMs), then SIGKILL if it takes too long. */
void
engine_stop (void)
{
  GPid pid = engine_pid ();

  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  if (!wait_until (process_gone, GINT_TO_POINTER (pid), 50, ENGINE_STOP_TIMEOUT_MS, FALSE,
                   "the engine to exit", NULL))
    {
      g_printerr ("hv-bench: the engine (pid %d) did not exit on SIGTERM; killing it\n",
                  (int) pid);
      kill (pid, SIGKILL);
      wait_until (process_gone, GINT_TO_POINTER (pid), 50, 5000, FALSE, "the engine", NULL);
      kill_leftover_qemus ();
    }
}

/* Reads the engine's memory after it has had a moment to finish what the last command
 * started. */
gboolean
engine_memory (guint64 *rss_kib,
               guint64 *hwm_kib,
               GError **error)
{
  GPid pid;

  if (!sleep_ms (SETTLE_MS))
    return fail (error, "Interrupted");
  pid = engine_pid ();
  if (pid <= 0)
    return fail (error, "No engine holds %s", engine_lock_path ());
  *rss_kib = proc_status_kib (pid, "VmRSS");
  if (hwm_kib != NULL)
    *hwm_kib = proc_status_kib (pid, "VmHWM");
  if (*rss_kib == 0)
    return fail (error, "Cannot read VmRSS of the engine (pid %d)", (int) pid);
  return TRUE;
}

/* ── Serial logs ───────────────────────────────────────────────────────────────────────── */

void
log_watch_begin (LogWatch   *w,
                 const char *path)
{
  struct stat st;

  w->path = path;
  w->text = g_string_new (NULL);
  w->searched = 0;
  w->have_file = stat (path, &st) == 0;
  w->offset = w->have_file ? st.st_size : 0;
  w->dev = w->have_file ? st.st_dev : 0;
  w->ino = w->have_file ? st.st_ino : 0;
}

void
log_watch_end (LogWatch *w)
{
  g_string_free (w->text, TRUE);
  w->text = NULL;
}

gboolean
log_watch_found (gpointer data)
{
  LogWatch *w = data;
  struct stat st;
  char buf[4096];
  ssize_t n;
  int fd;
  gsize from;
  const char *marker;

  if (stat (w->path, &st) != 0)
    return FALSE;
  if (!w->have_file || st.st_dev != w->dev || st.st_ino != w->ino || st.st_size < w->offset)
    {
      w->have_file = TRUE;
      w->dev = st.st_dev;
      w->ino = st.st_ino;
      w->offset = 0;
      g_string_truncate (w->text, 0);
      w->searched = 0;
    }
  if (st.st_size == w->offset)
    return FALSE;

  fd = open (w->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  while ((n = pread (fd, buf, sizeof buf, w->offset)) > 0)
    {
      g_string_append_len (w->text, buf, n);
      w->offset += n;
    }
  close (fd);

  /* Only the new bytes, and the marker's length before them, need searching. */
  marker = w->marker != NULL ? w->marker : MARKER;
  from = w->searched > strlen (marker) ? w->searched - strlen (marker) : 0;
  w->searched = w->text->len;
  return memmem (w->text->str + from, w->text->len - from, marker, strlen (marker)) != NULL;
}

