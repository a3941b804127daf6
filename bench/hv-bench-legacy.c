/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-legacy: the hardware profiles for old guests (docs/legacy.md), each booting the
 * probe floppy (tests/legacy-probe/) to its first serial line, through hostvisorctl beside
 * plain QEMU with the same argv, in the same run (bench/README.md, "hv-bench-legacy"). Not a
 * test: it asserts nothing about time; its exit status says whether it could measure.
 *
 * Per profile: `hostvisorctl create lb-PROFILE --profile PROFILE --floppy probe.img --no-disk`,
 * one warm-up start through the engine (it also gives the argv, from the VM's log) and one of
 * plain QEMU, then --runs interleaved boots of each. The clock runs from spawning
 * `hostvisorctl start` (or QEMU) to "HVPROBE begin" in the serial log; each boot then waits
 * until the probe has ended QEMU through isa-debug-exit (the engine's test hook
 * HOSTVISOR_TEST_DEBUG_EXIT, which puts the device into the argv both sides run). The probe's
 * tones go to WAV files (HOSTVISOR_AUDIO_WAV_DIR), never to the host's speakers. */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hv-bench.h"

#define PROBE_MARKER "HVPROBE begin"
#define DEFAULT_PROFILES "dos,win3x,win95,win98,winme,win2000,winxp,linux2"

Bench bench;
volatile sig_atomic_t interrupted;

typedef struct {
  char *name;
  char *machine;
  char *cpu;
  GArray *hv_s;
  GArray *qemu_s;
  GArray *start_s;
} ProfileRun;

static void
profile_run_free (ProfileRun *r)
{
  g_free (r->name);
  g_free (r->machine);
  g_free (r->cpu);
  g_array_unref (r->hv_s);
  g_array_unref (r->qemu_s);
  g_array_unref (r->start_s);
  g_free (r);
}

/* ── Hostvisor's side: hostvisorctl start to the probe's first line ─────────────────────── */

typedef struct {
  LogWatch watch;
  Child *start;
  gboolean found;
} EngineBoot;

static gboolean
engine_boot_progress (gpointer data)
{
  EngineBoot *b = data;

  if (log_watch_found (&b->watch))
    {
      b->found = TRUE;
      return TRUE;
    }
  return b->start->done && (b->start->error != NULL ||
                            !g_subprocess_get_successful (b->start->process));
}

/* The probe ends QEMU itself (isa-debug-exit): a state other than running/starting. */
static gboolean
engine_wait_off (const char *vm,
                 GError    **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) POWEROFF_TIMEOUT_MS * 1000;
  g_autofree char *out = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) o = ctl_show (vm, error);
      const char *state;

      if (o == NULL)
        return FALSE;
      state = json_string (o, "state");
      if (g_strcmp0 (state, "poweroff") == 0 || g_strcmp0 (state, "aborted") == 0)
        return TRUE;
      if (!sleep_ms (100))
        return fail (error, "Interrupted");
    }
  g_printerr ("hv-bench-legacy: the probe did not end %s within %d s; powering it off\n", vm,
              POWEROFF_TIMEOUT_MS / 1000);
  out = ctl_run (NULL, error, "poweroff", vm, NULL);
  return out != NULL;
}

static gboolean
engine_boot_once (const char *vm,
                  const char *serial_log,
                  double     *marker_s,
                  double     *start_s,
                  GError    **error)
{
  const char *argv[] = { bench.ctl, "start", vm, NULL };
  EngineBoot b = { 0 };
  g_autoptr(Child) start = NULL;
  gint64 t0, t1;
  gboolean ok;

  log_watch_begin (&b.watch, serial_log);
  b.watch.marker = PROBE_MARKER;
  t0 = g_get_monotonic_time ();
  start = child_spawn (argv, error);
  if (start == NULL)
    {
      log_watch_end (&b.watch);
      return FALSE;
    }
  b.start = start;
  ok = wait_until (engine_boot_progress, &b, MARKER_POLL_MS, BOOT_TIMEOUT_MS, TRUE,
                   "the probe's first line", error);
  t1 = g_get_monotonic_time ();
  log_watch_end (&b.watch);

  if (!child_wait (start, 5 * 60 * 1000, ok ? error : NULL))
    ok = FALSE;
  if (ok && !child_check (start, argv, error))
    ok = FALSE;
  if (ok && !b.found)
    ok = fail (error, "The probe never printed \"%s\" in %s", PROBE_MARKER, vm);
  if (!ok)
    return FALSE;
  *marker_s = (t1 - t0) / 1e6;
  *start_s = (start->end_us - t0) / 1e6;
  return engine_wait_off (vm, error);
}

/* ── One profile: both sides, interleaved ──────────────────────────────────────────────── */

static gboolean
bench_profile (ProfileRun *r,
               const char *probe_img,
               GError    **error)
{
  g_autofree char *vm = g_strdup_printf ("lb-%s", r->name);
  g_autofree char *base = g_strdup_printf ("%s/plain-%s", bench.tmp, r->name);
  g_autofree char *wav = g_build_filename (base, "wav", NULL);
  g_autofree char *floppy = g_strdup_printf ("%s/%s.img", base, vm);
  g_autofree char *contents = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) o = NULL;
  g_auto(GStrv) engine_argv = NULL;
  PlainQemu plain = { 0 };
  double hv_s, qemu_s, start_s;
  gsize len;
  gboolean ok = FALSE;

  /* The files both sides use one after the other (the floppy, the WAV that the test hook
   * names) live in the plain side's directory, so that its argv names nothing else of the
   * engine's. The engine reads HOSTVISOR_AUDIO_WAV_DIR when it starts: a fresh one per
   * profile, started by the first hostvisorctl below. */
  if (g_mkdir_with_parents (wav, 0700) != 0)
    return fail (error, "Cannot create %s: %s", wav, g_strerror (errno));
  engine_stop ();
  g_setenv ("HOSTVISOR_AUDIO_WAV_DIR", wav, TRUE);
  /* A copy of the floppy of its own: QEMU locks the image it has open. */
  if (!g_file_get_contents (probe_img, &contents, &len, error) ||
      !g_file_set_contents (floppy, contents, (gssize) len, error))
    return FALSE;
  out = ctl_run (NULL, error, "create", vm, "--profile", r->name, "--floppy", floppy,
                 "--no-disk", NULL);
  if (out == NULL || (o = ctl_show (vm, error)) == NULL)
    return FALSE;
  if (json_string (o, "serial_log") == NULL || json_string (o, "log") == NULL ||
      json_string (o, "directory") == NULL)
    return fail (error, "hostvisorctl show --json lacks serial_log, log or directory");
  r->machine = g_strdup (json_string (o, "machine"));
  r->cpu = g_strdup (json_string (o, "cpu_model"));

  g_printerr ("hv-bench-legacy: %s: warm-up boots\n", r->name);
  if (!engine_boot_once (vm, json_string (o, "serial_log"), &hv_s, &start_s, error))
    return FALSE;
  engine_argv = argv_from_vm_log (json_string (o, "log"), error);
  plain.subdir = g_strdup_printf ("plain-%s", r->name);
  plain.marker = PROBE_MARKER;
  if (engine_argv == NULL ||
      !plain_qemu_prepare (&plain, engine_argv, json_string (o, "directory"), error))
    goto out;
  if (bench.verbose)
    {
      g_autofree char *text = argv_text ((const char * const *) plain.argv);

      g_printerr ("hv-bench-legacy: %s: plain QEMU argv:\n  %s\n", r->name, text);
    }
  if (!plain_boot_once (&plain, &qemu_s, error))
    goto out;

  for (int i = 0; i < bench.runs; i++)
    {
      if (!engine_boot_once (vm, json_string (o, "serial_log"), &hv_s, &start_s, error) ||
          !plain_boot_once (&plain, &qemu_s, error))
        goto out;
      g_array_append_val (r->hv_s, hv_s);
      g_array_append_val (r->start_s, start_s);
      g_array_append_val (r->qemu_s, qemu_s);
      g_printerr ("hv-bench-legacy: %s %d/%d: Hostvisor %.3f s (start returned after %.3f s), "
                  "plain QEMU %.3f s\n", r->name, i + 1, bench.runs, hv_s, start_s, qemu_s);
    }
  ok = TRUE;

out:
  plain_qemu_clear (&plain);
  if (ok)
    {
      g_free (out);
      out = ctl_run (NULL, error, "delete", vm, NULL);
      ok = out != NULL;
    }
  return ok;
}

/* ── The table ─────────────────────────────────────────────────────────────────────────── */

static void
print_report (GPtrArray *runs)
{
  g_autofree char *qemu = NULL;
  double all_hv = 0, all_qemu = 0;
  guint measured = 0;

  if (!g_spawn_command_line_sync ("qemu-system-x86_64 --version", &qemu, NULL, NULL, NULL))
    qemu = g_strdup ("?");
  else
    g_strdelimit (qemu, "\n", '\0');
  g_print ("\nhv-bench-legacy: boot of each profile to the probe's first serial line "
           "(\"%s\"), medians of %d runs, TCG\n%s\n\n", PROBE_MARKER, bench.runs, qemu);
  g_print ("%-8s  %-6s  %-9s  %12s  %12s  %7s  %18s  %18s\n", "profile", "machine", "cpu",
           "Hostvisor s", "plain QEMU s", "ratio", "Hostvisor range", "plain QEMU range");
  for (guint i = 0; i < runs->len; i++)
    {
      ProfileRun *r = g_ptr_array_index (runs, i);
      double hv, pq, hv_lo, hv_hi, pq_lo, pq_hi;

      if (r->hv_s->len == 0)
        continue;
      hv = bench_median (r->hv_s);
      pq = bench_median (r->qemu_s);
      bench_range (r->hv_s, &hv_lo, &hv_hi);
      bench_range (r->qemu_s, &pq_lo, &pq_hi);
      all_hv += hv;
      all_qemu += pq;
      measured++;
      g_print ("%-8s  %-6s  %-9s  %12.3f  %12.3f  %7.3f  %8.3f - %-7.3f  %8.3f - %-7.3f\n",
               r->name, r->machine != NULL ? r->machine : "?",
               r->cpu != NULL ? r->cpu : "default", hv, pq, pq > 0 ? hv / pq : 0,
               hv_lo, hv_hi, pq_lo, pq_hi);
    }
  if (measured > 1)
    g_print ("%-8s  %-6s  %-9s  %12.3f  %12.3f  %7.3f\n", "sum", "", "", all_hv, all_qemu,
             all_qemu > 0 ? all_hv / all_qemu : 0);
  g_print ("\nHostvisor: hostvisorctl start spawned -> marker in the VM's serial log (the "
           "engine's checks, QEMU's start, QMP, cont, SeaBIOS, the floppy boot). Plain QEMU: "
           "the engine's argv from the VM's log, the same clock. Target: ratio <= 1.05.\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) profile_run_free);
  g_autofree char *profiles = NULL;
  g_autofree char *probe = NULL;
  g_auto(GStrv) names = NULL;
  const GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &bench.runs,
      "Boots of each kind per profile, interleaved (default 3)", "N" },
    { "profiles", 0, 0, G_OPTION_ARG_STRING, &profiles,
      "The profiles, comma-separated (default: all eight)", "LIST" },
    { "probe", 0, 0, G_OPTION_ARG_FILENAME, &probe,
      "The probe floppy (default: the build tree's tests/legacy-probe/probe.img)", "IMG" },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &bench.bindir,
      "Where hostvisorctl and hostvisord are (default: the build tree's app/)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &bench.verbose,
      "Also print each plain QEMU command line", NULL },
    { NULL }
  };
  gboolean ok = TRUE;

  bench.runs = 3;
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Prints each legacy profile's boot to the probe's first line "
                                "through Hostvisor beside plain QEMU (see bench/README.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-legacy: %s\n", error->message);
      return 2;
    }
  if (argc > 1 || bench.runs < 1 || bench.runs > 1000)
    {
      g_printerr ("hv-bench-legacy: --runs must be 1 to 1000, and no arguments\n");
      return 2;
    }
  if (probe == NULL)
    probe = g_strdup (HV_BENCH_PROBE_IMG);
  if (!g_file_test (probe, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("hv-bench-legacy: %s is missing: build it (ninja -C BUILDDIR "
                  "tests/legacy-probe/probe.img; it needs binutils)\n", probe);
      return 1;
    }
  names = g_strsplit (profiles != NULL ? profiles : DEFAULT_PROFILES, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      ProfileRun *r = g_new0 (ProfileRun, 1);

      if (names[i][0] == '\0' || strspn (names[i], "abcdefghijklmnopqrstuvwxyz0123456789")
          != strlen (names[i]))
        {
          g_printerr ("hv-bench-legacy: \"%s\" is no profile name\n", names[i]);
          g_free (r);
          return 2;
        }
      r->name = g_strdup (names[i]);
      r->hv_s = g_array_new (FALSE, FALSE, sizeof (double));
      r->qemu_s = g_array_new (FALSE, FALSE, sizeof (double));
      r->start_s = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (runs, r);
    }

  bench_catch_signals ();
  if (!bench_env_setup (HV_BENCH_APP_DIR, &error))
    ok = FALSE;
  if (ok)
    {
      /* The engine reads its test hooks when it starts (bench_profile() starts it). */
      g_setenv ("HOSTVISOR_TEST_DEBUG_EXIT", "1", TRUE);
      g_printerr ("hv-bench-legacy: working in %s (removed at the end)\n", bench.tmp);
    }
  for (guint i = 0; ok && i < runs->len; i++)
    ok = bench_profile (g_ptr_array_index (runs, i), probe, &error);

  bench_env_cleanup ();
  if (!ok)
    g_printerr ("hv-bench-legacy: %s\n", error->message);
  print_report (runs);
  return ok ? 0 : interrupted ? 130 : 1;
}
