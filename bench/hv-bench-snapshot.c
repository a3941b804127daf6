/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-snapshot: live snapshots and save state beside plain QEMU doing the same QMP jobs on
 * the same argv in the same run (bench/README.md, "hv-bench-snapshot"). Not a test: it asserts
 * nothing about time; its exit status says whether it could measure.
 *
 * One VM: the tiny guest with a qcow2 disk (which holds the state) and --memory MiB, whose
 * /init fills --dirty MiB of a tmpfs with data that does not compress to zero pages and then
 * prints "filled". Each round runs the engine's side (hostvisorctl snapshot take, restore
 * --force, delete, save-state, start) and then plain QEMU's: the engine's own QEMU argv from
 * the VM's log, run by hand on a copy of the disk, with `snapshot-save`, `snapshot-load`,
 * `snapshot-delete` jobs over QMP (the devices the engine names: every writable qcow2 disk,
 * the system disk for the state), and for save state `snapshot-save` + `quit`, then a fresh
 * paused QEMU with `snapshot-load`, `snapshot-delete` and `cont`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hv-bench.h"

#define SNAP_VM "hvbench-snap"
#define FILLED "HOSTVISOR-GUEST: filled"
#define SNAP_NODE "drive0-format"
#define JOB_TIMEOUT_MS (10 * 60 * 1000)

Bench bench;
volatile sig_atomic_t interrupted;

static int rounds = 3;
static int memory_mib = 1024;
static int dirty_mib = 512;


/* What one side measured in one round: wall seconds of each operation, the guest's pause
 * (QEMU's STOP to RESUME), and the size of the state written. */
typedef struct {
  double take_s, take_pause_s;
  double restore_s, restore_pause_s;
  double delete_s;
  double save_s;
  double resume_s;
  guint64 vmstate_bytes;
  gboolean in_process;     /* the engine's restore loaded into the running QEMU */
} Side;

/* ── The guest ─────────────────────────────────────────────────────────────────────────── */

static char *
guest_cmdline (void)
{
  /* 8 MiB of random data copied over and over: no zero pages, no time spent in urandom. */
  g_autofree char *script = g_strdup_printf (
    "mkdir -p /fill && mount -t tmpfs -o size=%dm tmpfs /fill\n"
    "dd if=/dev/urandom of=/fill/seed bs=1048576 count=8 2>/dev/null\n"
    "i=0; while [ $i -lt %d ]; do cat /fill/seed; i=$((i+1)); done > /fill/data\n"
    "rm /fill/seed\n"
    "echo '" FILLED "' > /dev/console\n",
    dirty_mib + 16, dirty_mib / 8);
  g_autofree char *encoded = g_base64_encode ((const guchar *) script, strlen (script));

  return g_strdup_printf ("console=ttyS0 quiet hv.run64=%s", encoded);
}

static gboolean
wait_filled (const char *serial_log,
             LogWatch   *w,
             GError    **error)
{
  w->marker = FILLED;
  return wait_until (log_watch_found, w, 50, BOOT_TIMEOUT_MS * 2, TRUE,
                     "the guest to fill its memory", error);
}

/* ── The engine's side ─────────────────────────────────────────────────────────────────── */

static gboolean
ctl_timed (double *seconds, GError **error, ...) G_GNUC_NULL_TERMINATED;

static gboolean
ctl_timed (double  *seconds,
           GError **error,
           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(Child) c = NULL;
  va_list ap;
  const char *arg;

  g_ptr_array_add (argv, g_strdup (bench.ctl));
  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  c = child_spawn ((const char * const *) argv->pdata, error);
  if (c == NULL || !child_wait (c, JOB_TIMEOUT_MS, error) ||
      !child_check (c, (const char * const *) argv->pdata, error))
    return FALSE;
  *seconds = (c->end_us - c->start_us) / 1e6;
  return TRUE;
}

/* The guest's pause of the engine's last operation of @what, from its VM log: the engine
 * writes "WHAT: guest paused S s" from QEMU's STOP and RESUME events. -1 when not logged. */
static double
engine_pause (const char *vm_log,
              const char *what)
{
  g_autofree char *text = NULL;
  g_autofree char *needle = g_strdup_printf ("%s: guest paused ", what);
  const char *p, *last = NULL;

  if (!g_file_get_contents (vm_log, &text, NULL, NULL))
    return -1;
  for (p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    last = p;
  return last != NULL ? g_ascii_strtod (last + strlen (needle), NULL) : -1;
}

/* Whether the engine's last restore said "snapshot-restore: in-process" (else: new QEMU). */
static gboolean
engine_restored_in_process (const char *vm_log)
{
  g_autofree char *text = NULL;
  const char *in_process = "snapshot-restore: in-process";
  const char *new_qemu = "snapshot-restore: new QEMU";
  const char *p, *last_in = NULL, *last_new = NULL;

  if (!g_file_get_contents (vm_log, &text, NULL, NULL))
    return FALSE;
  for (p = strstr (text, in_process); p != NULL; p = strstr (p + 1, in_process))
    last_in = p;
  for (p = strstr (text, new_qemu); p != NULL; p = strstr (p + 1, new_qemu))
    last_new = p;
  return last_in != NULL && (last_new == NULL || last_in > last_new);
}

static guint64
engine_vmstate_size (void)
{
  g_autofree char *out = ctl_run (NULL, NULL, "snapshot", SNAP_VM, "list", "--json", NULL);
  g_autoptr(JsonNode) node = out != NULL ? parse_json (out, NULL) : NULL;
  JsonObject *o = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                                 : NULL;
  JsonArray *a = o != NULL && json_object_has_member (o, "snapshots") ?
                 json_object_get_array_member (o, "snapshots") : NULL;
  guint64 size = 0;

  /* {"current": …, "snapshots": [{…, "vmstate_size": N}, …]}: one snapshot exists here. */
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *e = json_array_get_object_element (a, i);

      if (e != NULL)
        size = MAX (size, (guint64) json_object_get_int_member_with_default (e, "vmstate_size",
                                                                             0));
    }
  return size;
}

static gboolean
engine_round (const char *kernel,
              const char *initrd,
              gboolean    first,
              Side       *s,
              char      **vm_dir,
              GError    **error)
{
  g_autoptr(JsonObject) show = NULL;
  g_autofree char *vm_log = NULL;
  g_autofree char *serial_log = NULL;
  LogWatch w = { 0 };
  double ignored;
  gboolean ok;

  if (first)
    {
      g_autofree char *cmdline = guest_cmdline ();
      g_autofree char *memory = g_strdup_printf ("%d", memory_mib);
      g_autofree char *out = ctl_run (NULL, error, "create", SNAP_VM, "--disk-size", "4",
                                      "--memory", memory, "--firmware", "bios", "--kernel",
                                      kernel, "--initrd", initrd, "--cmdline", cmdline, NULL);
      if (out == NULL)
        return FALSE;
    }
  show = ctl_show (SNAP_VM, error);
  if (show == NULL)
    return FALSE;
  serial_log = g_strdup (json_string (show, "serial_log"));
  vm_log = g_strdup (json_string (show, "log"));
  g_free (*vm_dir);
  *vm_dir = g_strdup (json_string (show, "directory"));
  if (serial_log == NULL || vm_log == NULL || *vm_dir == NULL)
    return fail (error, "show --json names no serial_log, log or directory");

  log_watch_begin (&w, serial_log);
  ok = ctl_timed (&ignored, error, "start", SNAP_VM, NULL) && wait_filled (serial_log, &w, error);
  log_watch_end (&w);
  if (!ok)
    return FALSE;

  g_printerr ("hv-bench-snapshot: engine: take\n");
  if (!ctl_timed (&s->take_s, error, "snapshot", SNAP_VM, "take", "bench", NULL))
    return FALSE;
  s->take_pause_s = engine_pause (vm_log, "snapshot-save");
  s->vmstate_bytes = engine_vmstate_size ();
  g_printerr ("hv-bench-snapshot: engine: restore\n");
  if (!ctl_timed (&s->restore_s, error, "snapshot", SNAP_VM, "restore", "bench", "--force",
                  NULL))
    return FALSE;
  s->restore_pause_s = engine_pause (vm_log, "snapshot-load");
  s->in_process = engine_restored_in_process (vm_log);
  g_printerr ("hv-bench-snapshot: engine: delete\n");
  if (!ctl_timed (&s->delete_s, error, "snapshot", SNAP_VM, "delete", "bench", NULL))
    return FALSE;
  g_printerr ("hv-bench-snapshot: engine: save state, resume\n");
  if (!ctl_timed (&s->save_s, error, "save-state", SNAP_VM, NULL) ||
      !ctl_timed (&s->resume_s, error, "start", SNAP_VM, NULL))
    return FALSE;
  return ctl_timed (&ignored, error, "poweroff", SNAP_VM, NULL);
}

/* ── Plain QEMU's side: QMP by hand ────────────────────────────────────────────────────── */

typedef struct {
  int fd;
  GSubprocess *qemu;
  GString *buf;
  gint64 stop_us, resume_us;      /* QEMU's own timestamps of the last STOP and RESUME */
  gboolean job_concluded;
  char *job_error;
} Qmp;

static void
qmp_note_event (Qmp        *q,
                JsonObject *message)
{
  const char *name = json_object_get_string_member_with_default (message, "event", "");
  JsonObject *ts = json_object_get_object_member (message, "timestamp");
  JsonObject *data = json_object_has_member (message, "data") ?
                     json_object_get_object_member (message, "data") : NULL;
  gint64 us = ts != NULL ? json_object_get_int_member_with_default (ts, "seconds", 0) * 1000000 +
                           json_object_get_int_member_with_default (ts, "microseconds", 0) : 0;

  if (strcmp (name, "STOP") == 0)
    q->stop_us = us;
  else if (strcmp (name, "RESUME") == 0)
    q->resume_us = us;
  else if (strcmp (name, "JOB_STATUS_CHANGE") == 0 && data != NULL &&
           g_strcmp0 (json_object_get_string_member_with_default (data, "status", ""),
                      "concluded") == 0)
    q->job_concluded = TRUE;
}

/* Reads one message (an event is noted and returned too). */
static gboolean
qmp_read (Qmp         *q,
          guint        timeout_ms,
          JsonObject **message,
          GError     **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      char *nl = memchr (q->buf->str, '\n', q->buf->len);
      struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
      char chunk[8192];
      ssize_t n;

      if (nl != NULL)
        {
          g_autofree char *line = g_strndup (q->buf->str, nl - q->buf->str);
          g_autoptr(JsonNode) node = NULL;

          g_string_erase (q->buf, 0, nl - q->buf->str + 1);
          node = parse_json (line, error);
          if (node == NULL)
            return FALSE;
          if (!JSON_NODE_HOLDS_OBJECT (node))
            return fail (error, "QEMU's monitor sent something that is not an object");
          *message = json_object_ref (json_node_get_object (node));
          if (json_object_has_member (*message, "event"))
            qmp_note_event (q, *message);
          return TRUE;
        }
      if (interrupted)
        return fail (error, "Interrupted");
      if (g_get_monotonic_time () > deadline)
        return fail (error, "QEMU's monitor did not answer within %u s", timeout_ms / 1000);
      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = recv (q->fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail (error, "QEMU closed its monitor");
      g_string_append_len (q->buf, chunk, n);
    }
}

/* Sends one command (a JSON object's text) and reads up to its reply; events on the way are
 * noted. The reply's "return" goes to @ret when asked for. */
static gboolean
qmp_run (Qmp         *q,
         const char  *json,
         JsonNode   **ret,
         GError     **error)
{
  g_autofree char *line = g_strconcat (json, "\n", NULL);

  if (!qmp_send_line (q->fd, line, error))
    return FALSE;
  for (;;)
    {
      g_autoptr(JsonObject) m = NULL;

      if (!qmp_read (q, JOB_TIMEOUT_MS, &m, error))
        return FALSE;
      if (json_object_has_member (m, "event"))
        continue;
      if (json_object_has_member (m, "error"))
        {
          JsonObject *e = json_object_get_object_member (m, "error");

          return fail (error, "QEMU refused %s: %s", json,
                       e != NULL ? json_object_get_string_member_with_default (e, "desc", "?")
                                 : "?");
        }
      if (ret != NULL)
        *ret = json_node_copy (json_object_get_member (m, "return"));
      return TRUE;
    }
}

/* Runs a snapshot job to its end (JOB_STATUS_CHANGE "concluded"), reads its error from
 * query-jobs and dismisses it: what the engine does. */
static gboolean
qmp_job (Qmp        *q,
         const char *command,
         const char *tag,
         gboolean    with_vmstate,
         GError    **error)
{
  g_autofree char *json = g_strdup_printf (
    "{\"execute\": \"%s\", \"arguments\": {\"job-id\": \"bench-job\", \"tag\": \"%s\", "
    "%s\"devices\": [\"" SNAP_NODE "\"]}}", command, tag,
    with_vmstate ? "\"vmstate\": \"" SNAP_NODE "\", " : "");
  g_autoptr(JsonNode) jobs = NULL;

  q->job_concluded = FALSE;
  q->stop_us = q->resume_us = 0;
  if (!qmp_run (q, json, NULL, error))
    return FALSE;
  while (!q->job_concluded)
    {
      g_autoptr(JsonObject) m = NULL;

      if (!qmp_read (q, JOB_TIMEOUT_MS, &m, error))
        return FALSE;
    }
  if (!qmp_run (q, "{\"execute\": \"query-jobs\"}", &jobs, error))
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (jobs))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (jobs)); i++)
      {
        JsonObject *job = json_array_get_object_element (json_node_get_array (jobs), i);

        if (job != NULL && json_object_has_member (job, "error"))
          return fail (error, "%s failed: %s", command,
                       json_object_get_string_member (job, "error"));
      }
  return qmp_run (q, "{\"execute\": \"job-dismiss\", \"arguments\": {\"id\": \"bench-job\"}}",
                  NULL, error);
}

static double
qmp_pause_s (Qmp *q)
{
  return q->stop_us > 0 && q->resume_us > q->stop_us ? (q->resume_us - q->stop_us) / 1e6 : -1;
}

static guint64
qmp_vmstate_size (Qmp        *q,
                  const char *tag)
{
  g_autoptr(JsonNode) nodes = NULL;
  guint64 size = 0;

  if (!qmp_run (q, "{\"execute\": \"query-named-block-nodes\", \"arguments\": {\"flat\": true}}",
                &nodes, NULL) || !JSON_NODE_HOLDS_ARRAY (nodes))
    return 0;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (nodes)); i++)
    {
      JsonObject *n = json_array_get_object_element (json_node_get_array (nodes), i);
      JsonObject *image = n != NULL && json_object_has_member (n, "image") ?
                          json_object_get_object_member (n, "image") : NULL;
      JsonArray *snaps = image != NULL && json_object_has_member (image, "snapshots") ?
                         json_object_get_array_member (image, "snapshots") : NULL;

      for (guint j = 0; snaps != NULL && j < json_array_get_length (snaps); j++)
        {
          JsonObject *s = json_array_get_object_element (snaps, j);

          if (s != NULL && g_strcmp0 (json_object_get_string_member_with_default (s, "name", ""),
                                      tag) == 0)
            size = MAX (size, (guint64) json_object_get_int_member_with_default (
                          s, "vm-state-size", 0));
        }
    }
  return size;
}

static void
qmp_close (Qmp *q)
{
  if (q->fd >= 0)
    close (q->fd);
  q->fd = -1;
  if (q->qemu != NULL)
    plain_wait_exit (q->qemu, 30 * 1000, NULL);
  g_clear_object (&q->qemu);
  if (q->buf != NULL)
    g_string_free (q->buf, TRUE);
  q->buf = NULL;
}

static gboolean
plain_round (const char *engine_vm_dir,
             Side       *s,
             GError    **error)
{
  g_autofree char *vm_log = g_build_filename (engine_vm_dir, "logs", "vm.log", NULL);
  g_auto(GStrv) engine_argv = NULL;
  PlainQemu p = { .subdir = g_strdup ("plain-snap") };
  Qmp q = { .fd = -1 };
  LogWatch w = { 0 };
  gint64 t0;
  gboolean ok = FALSE;

  engine_argv = argv_from_vm_log (vm_log, error);
  if (engine_argv == NULL || !plain_qemu_prepare (&p, engine_argv, engine_vm_dir, error))
    goto out;
  /* The engine's disk (powered off, no snapshot left) is the plain QEMU's starting point. */
  {
    g_autofree char *src = g_build_filename (engine_vm_dir, "disk0.qcow2", NULL);
    g_autofree char *dst = g_build_filename (p.vm_dir, "disk0.qcow2", NULL);
    const char *cp[] = { "cp", "--sparse=always", src, dst, NULL };
    g_autoptr(Child) c = child_spawn (cp, error);

    if (c == NULL || !child_wait (c, 5 * 60 * 1000, error) || !child_check (c, cp, error))
      goto out;
  }

  g_unlink (p.serial_log);
  log_watch_begin (&w, p.serial_log);
  if (!plain_spawn (&p, &q.qemu, &q.fd, error))
    goto out;
  q.buf = g_string_new (NULL);
  if (!wait_filled (p.serial_log, &w, error))
    goto out;

  g_printerr ("hv-bench-snapshot: plain QEMU: take, restore, delete\n");
  t0 = g_get_monotonic_time ();
  if (!qmp_job (&q, "snapshot-save", "bench", TRUE, error))
    goto out;
  s->take_s = (g_get_monotonic_time () - t0) / 1e6;
  s->take_pause_s = qmp_pause_s (&q);
  s->vmstate_bytes = qmp_vmstate_size (&q, "bench");
  t0 = g_get_monotonic_time ();
  if (!qmp_job (&q, "snapshot-load", "bench", TRUE, error))
    goto out;
  s->restore_s = (g_get_monotonic_time () - t0) / 1e6;
  s->restore_pause_s = qmp_pause_s (&q);
  t0 = g_get_monotonic_time ();
  if (!qmp_job (&q, "snapshot-delete", "bench", FALSE, error))
    goto out;
  s->delete_s = (g_get_monotonic_time () - t0) / 1e6;

  g_printerr ("hv-bench-snapshot: plain QEMU: save state, resume\n");
  t0 = g_get_monotonic_time ();
  if (!qmp_job (&q, "snapshot-save", "saved", TRUE, error) ||
      !qmp_send_line (q.fd, "{\"execute\": \"quit\"}\n", error) ||
      !plain_wait_exit (q.qemu, 60 * 1000, error))
    goto out;
  s->save_s = (g_get_monotonic_time () - t0) / 1e6;
  close (q.fd);
  q.fd = -1;
  g_clear_object (&q.qemu);
  g_string_truncate (q.buf, 0);

  p.no_cont = TRUE;
  t0 = g_get_monotonic_time ();
  if (!plain_spawn (&p, &q.qemu, &q.fd, error) ||
      !qmp_job (&q, "snapshot-load", "saved", TRUE, error) ||
      !qmp_job (&q, "snapshot-delete", "saved", FALSE, error) ||
      !qmp_run (&q, "{\"execute\": \"cont\"}", NULL, error))
    goto out;
  s->resume_s = (g_get_monotonic_time () - t0) / 1e6;
  ok = qmp_send_line (q.fd, "{\"execute\": \"quit\"}\n", error);

out:
  log_watch_end (&w);
  qmp_close (&q);
  plain_qemu_clear (&p);
  return ok;
}

/* ── The table ─────────────────────────────────────────────────────────────────────────── */

typedef struct {
  GArray *hv, *q;
} Pair;

static void
pair_add (Pair  *p,
          double hv,
          double q)
{
  if (p->hv == NULL)
    {
      p->hv = g_array_new (FALSE, FALSE, sizeof (double));
      p->q = g_array_new (FALSE, FALSE, sizeof (double));
    }
  if (hv < 0 || q < 0)
    return;   /* not measured on one side: no pair */
  g_array_append_val (p->hv, hv);
  g_array_append_val (p->q, q);
}

static void
print_row (const char *figure,
           const char *unit,
           Pair       *p)
{
  double h, q, hlo, hhi, qlo, qhi;

  if (p->hv == NULL || p->hv->len == 0)
    {
      g_print ("%-40s %s\n", figure, "not measured");
      return;
    }
  h = bench_median (p->hv);
  q = bench_median (p->q);
  bench_range (p->hv, &hlo, &hhi);
  bench_range (p->q, &qlo, &qhi);
  g_print ("%-40s %8.3f %-4s %8.3f %-4s %6.3f   %.3f-%.3f / %.3f-%.3f\n", figure, h, unit, q,
           unit, q > 0 ? h / q : 0, hlo, hhi, qlo, qhi);
}

static void
pair_clear (Pair *p)
{
  g_clear_pointer (&p->hv, g_array_unref);
  g_clear_pointer (&p->q, g_array_unref);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
      "Rounds of both sides, interleaved; the median is printed (default 3)", "N" },
    { "memory", 0, 0, G_OPTION_ARG_INT, &memory_mib, "Guest memory in MiB (default 1024)",
      "MIB" },
    { "dirty", 0, 0, G_OPTION_ARG_INT, &dirty_mib,
      "MiB of guest memory filled with data before the figures (default 512)", "MIB" },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &bench.bindir,
      "Where hostvisorctl and hostvisord are (default: the build tree's app/)", "DIR" },
    { NULL }
  };
  Pair take = { 0 }, take_pause = { 0 }, restore = { 0 }, restore_pause = { 0 };
  Pair del = { 0 }, save = { 0 }, resume = { 0 }, mbs = { 0 };
  int in_process_rounds = 0, counted_rounds = 0;
  g_autofree char *kernel = NULL, *initrd = NULL, *vm_dir = NULL;
  guint64 hv_size = 0, q_size = 0;
  gboolean ok;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "Prints live snapshot and save-state figures of a "
                                "Hostvisor VM beside plain QEMU's QMP jobs on the same argv "
                                "(see bench/README.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-snapshot: %s\n", error->message);
      return 2;
    }
  if (argc > 1 || rounds < 1 || rounds > 20 || memory_mib < 128 || memory_mib > 16384 ||
      dirty_mib < 8 || dirty_mib > memory_mib - 96)
    {
      g_printerr ("hv-bench-snapshot: --rounds must be 1 to 20, --memory 128 to 16384, --dirty "
                  "8 to the memory less 96 MiB, and no arguments\n");
      return 2;
    }
  bench_catch_signals ();

  ok = bench_env_setup (HV_BENCH_APP_DIR, &error);
  if (ok)
    {
      ok = bench_build_tiny_guest (HV_BENCH_GUEST_SCRIPT, HV_BENCH_GUEST_DIR, &kernel, &initrd,
                                   &error);
    }
  for (int r = 0; ok && !interrupted && r < rounds; r++)
    {
      Side hv = { 0 }, q = { 0 };
      g_autoptr(GError) e = NULL;

      g_printerr ("hv-bench-snapshot: round %d of %d\n", r + 1, rounds);
      if (!engine_round (kernel, initrd, r == 0, &hv, &vm_dir, &e) ||
          !plain_round (vm_dir, &q, &e))
        {
          g_printerr ("hv-bench-snapshot: round %d: not counted: %s\n", r + 1,
                      e != NULL ? e->message : "interrupted");
          g_free (ctl_run (NULL, NULL, "poweroff", SNAP_VM, NULL));
          if (r == 0 && vm_dir == NULL)
            {
              g_propagate_error (&error, g_steal_pointer (&e));
              ok = FALSE;
            }
          continue;
        }
      pair_add (&take, hv.take_s, q.take_s);
      pair_add (&take_pause, hv.take_pause_s, q.take_pause_s);
      pair_add (&restore, hv.restore_s, q.restore_s);
      pair_add (&restore_pause, hv.restore_pause_s, q.restore_pause_s);
      pair_add (&del, hv.delete_s, q.delete_s);
      pair_add (&save, hv.save_s, q.save_s);
      pair_add (&resume, hv.resume_s, q.resume_s);
      if (hv.take_s > 0 && q.take_s > 0 && hv.vmstate_bytes > 0 && q.vmstate_bytes > 0)
        pair_add (&mbs, hv.vmstate_bytes / 1e6 / hv.take_s, q.vmstate_bytes / 1e6 / q.take_s);
      hv_size = hv.vmstate_bytes;
      in_process_rounds += hv.in_process ? 1 : 0;
      counted_rounds++;
      q_size = q.vmstate_bytes;
    }
  if (ok && !interrupted)
    {
      g_autofree char *accel = NULL;
      g_autoptr(JsonObject) show = ctl_show (SNAP_VM, NULL);

      accel = g_strdup (show != NULL ? json_string (show, "accel") : NULL);
      g_print ("Snapshots, %s, %d MiB guest with %d MiB filled; state %.0f MB (Hostvisor) / "
               "%.0f MB (plain); medians of %u rounds\n\n", accel != NULL ? accel : "tcg",
               memory_mib, dirty_mib, hv_size / 1e6, q_size / 1e6,
               take.hv != NULL ? take.hv->len : 0);
      g_print ("%-40s %13s %13s %6s   %s\n", "figure", "Hostvisor", "plain QEMU", "ratio",
               "range (min-max)");
      print_row ("live snapshot take (wall)", "s", &take);
      print_row ("  guest paused (STOP to RESUME)", "s", &take_pause);
      print_row ("  state written", "MB/s", &mbs);
      print_row ("restore while running (wall)", "s", &restore);
      print_row ("  guest paused (STOP to RESUME)", "s", &restore_pause);
      print_row ("delete while running (wall)", "s", &del);
      print_row ("save state to QEMU gone (wall)", "s", &save);
      print_row ("resume a saved state to running (wall)", "s", &resume);
      g_print ("\nHostvisor's walls include hostvisorctl and D-Bus. Its restore loaded the state "
               "into the running\nQEMU (the config is the snapshot's) in %d of %d rounds, else "
               "it started a new QEMU; plain\nQEMU loads into the running one. Pauses come from "
               "QEMU's STOP and RESUME event times; the\nengine's in-process restore logs "
               "its own, from `stop` to the answer to `cont` (vm.log).\n",
               in_process_rounds, counted_rounds);
    }
  else
    g_printerr ("hv-bench-snapshot: %s\n", error != NULL ? error->message : "interrupted");

  pair_clear (&take);
  pair_clear (&take_pause);
  pair_clear (&restore);
  pair_clear (&restore_pause);
  pair_clear (&del);
  pair_clear (&save);
  pair_clear (&resume);
  pair_clear (&mbs);
  bench_env_cleanup ();
  return ok && !interrupted ? 0 : interrupted ? 130 : 1;
}
