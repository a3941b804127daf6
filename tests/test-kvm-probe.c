/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-kvm-probe.c: the KVM verdict (engine/hv-kvm-probe.c).
 *
 * Host-independent: the judgement of two runs from made-up runs; the probe itself against a
 * stand-in QEMU (a shell script that plays a fast, slow, hanging, failing or lying KVM), with
 * the cache (written, reused, invalidated by a changed key, a corrupt file ignored),
 * HOSTVISOR_NO_KVM and a missing device, shared runs and cancellation.
 *
 * Then the real thing where QEMU is installed: the test guest under TCG must compute exactly
 * what the engine's model says; where /dev/kvm opens, the full probe runs under KVM and its
 * verdict must agree with what a real boot (SeaBIOS booting a disk) does under KVM compared
 * with TCG; where it does not open, the verdict must say so. */

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-kvm-probe-guest.h"
#include "hv-kvm-probe-private.h"

/* What the guest computes, from an independent model of it (written in Python when the guest
 * was made): the C model and the guest must both keep giving it. */
#define KNOWN_RESULT G_GUINT64_CONSTANT (0x468c5d6839d57fc4)

/* ---- made-up runs ---- */

/* A run whose markers came at the given milliseconds (-1 ends the list) and that wrote
 * `output`; exit status 99 (the guest's "done") unless told otherwise. */
static HvKvmRun *
made_up_run (const char *output,
             const int  *mark_ms,
             int         exit_status)
{
  HvKvmRun *run = hv_kvm_run_new ();
  gint64 base = 1000000;

  g_string_assign (run->output, output);
  for (guint i = 0; mark_ms != NULL && i < HV_KVM_RUN_N_MARKS && mark_ms[i] >= 0; i++)
    run->marks[run->n_marks++] = base + (gint64) mark_ms[i] * 1000;
  run->ended = base + (run->n_marks > 0 ? (run->marks[run->n_marks - 1] - base) : 0) + 5000;
  run->exited = exit_status >= 0;
  run->exit_status = exit_status;
  return run;
}

static char *
good_output (guint64 result)
{
  return g_strdup_printf ("SRPLE%016" G_GINT64_MODIFIER "x GenuineIntel\n", result);
}

static void
test_judge_finished (void)
{
  g_autofree char *out = good_output (KNOWN_RESULT);
  const int fast[] = { 0, 1, 1, 4, 5, -1 };
  const int slow[] = { 0, 400, 410, 900, 950, -1 };
  const int tcg_ms[] = { 0, 3, 4, 60, 62, -1 };
  g_autoptr(HvKvmRun) kvm_fast = made_up_run (out, fast, 99);
  g_autoptr(HvKvmRun) kvm_slow = made_up_run (out, slow, 99);
  g_autoptr(HvKvmRun) tcg = made_up_run (out, tcg_ms, 99);
  g_autoptr(HvKvmVerdict) usable = hv_kvm_probe_judge (kvm_fast, tcg, KNOWN_RESULT);
  g_autoptr(HvKvmVerdict) slower = hv_kvm_probe_judge (kvm_slow, tcg, KNOWN_RESULT);

  g_assert_cmpint (usable->code, ==, HV_KVM_VERDICT_USABLE);
  g_assert_true (usable->kvm_finished);
  g_assert_cmpuint (usable->kvm_ms, ==, 5);
  g_assert_cmpuint (usable->tcg_ms, ==, 62);
  g_assert_nonnull (strstr (usable->reason, "5 ms under KVM and 62 ms under emulation"));

  g_assert_cmpint (slower->code, ==, HV_KVM_VERDICT_SLOW);
  g_assert_true (slower->kvm_finished);
  g_assert_cmpuint (slower->kvm_ms, ==, 950);
  g_assert_nonnull (strstr (slower->reason, "slower than emulation"));
  g_assert_nonnull (strstr (slower->reason, "950 ms under KVM"));
}

static void
test_judge_deadline (void)
{
  g_autofree char *out = good_output (KNOWN_RESULT);
  const int started[] = { 0, -1 };
  const int tcg_ms[] = { 0, 3, 4, 60, 62, -1 };
  g_autoptr(HvKvmRun) kvm = made_up_run ("S", started, -1);
  g_autoptr(HvKvmRun) tcg = made_up_run (out, tcg_ms, 99);
  g_autoptr(HvKvmRun) tcg_broken = made_up_run ("", NULL, 1);
  g_autoptr(HvKvmVerdict) slow = NULL;
  g_autoptr(HvKvmVerdict) failed = NULL;

  /* Stopped at its deadline, 500 ms after it started, still in real mode. */
  kvm->timed_out = TRUE;
  kvm->term_signal = SIGKILL;
  kvm->ended = kvm->marks[0] + 500 * 1000;
  slow = hv_kvm_probe_judge (kvm, tcg, KNOWN_RESULT);
  g_assert_cmpint (slow->code, ==, HV_KVM_VERDICT_SLOW);
  g_assert_false (slow->kvm_finished);
  g_assert_cmpuint (slow->kvm_ms, ==, 500);
  g_assert_cmpuint (slow->tcg_ms, ==, 62);
  g_assert_nonnull (strstr (slow->reason, "still in real mode"));

  /* Without a reference, a guest that did not finish is a failure, not "slow". */
  failed = hv_kvm_probe_judge (kvm, tcg_broken, KNOWN_RESULT);
  g_assert_cmpint (failed->code, ==, HV_KVM_VERDICT_FAILED);
  g_assert_nonnull (strstr (failed->reason, "could not run a test guest"));
  g_assert_nonnull (strstr (failed->reason, "did not finish within 500 ms"));
  g_clear_pointer (&failed, hv_kvm_verdict_free);
  failed = hv_kvm_probe_judge (kvm, NULL, KNOWN_RESULT);
  g_assert_cmpint (failed->code, ==, HV_KVM_VERDICT_FAILED);
}

static void
test_judge_failures (void)
{
  g_autofree char *out = good_output (KNOWN_RESULT);
  g_autofree char *wrong = good_output (KNOWN_RESULT ^ 1);
  const int all[] = { 0, 1, 2, 3, 4, -1 };
  const int tcg_ms[] = { 0, 3, 4, 60, 62, -1 };
  const int one[] = { 0, -1 };
  g_autoptr(HvKvmRun) tcg = made_up_run (out, tcg_ms, 99);
  struct {
    HvKvmRun *run;
    const char *fragment;
  } cases[] = {
    { made_up_run ("", NULL, 1), "QEMU failed: qemu-system-x86_64: failed to initialize kvm" },
    { made_up_run (wrong, all, 99), "wrong result" },
    { made_up_run ("SF", one, 67), "no 64-bit long mode" },
    { made_up_run ("SRPLE12 junk\n", all, 99), "unexpected" },
    { made_up_run (out, all, 0), "did not end the way the guest asked" },
    { made_up_run ("SR", (const int[]) { 0, 1, -1 }, -1), "killed by signal 9" },
    { made_up_run ("", NULL, -1), "did not start in time" },
    { made_up_run ("", NULL, -1), "could not be run: No such file" },
  };

  g_string_assign (cases[0].run->stderr_text,
                   "qemu-system-x86_64: failed to initialize kvm: Permission denied\n\n");
  cases[5].run->term_signal = SIGKILL;
  cases[6].run->timed_out = TRUE;
  cases[7].run->error = g_strdup ("No such file or directory");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HvKvmVerdict) verdict = hv_kvm_probe_judge (cases[i].run, tcg, KNOWN_RESULT);

      g_test_message ("%u: %s", i, verdict->reason);
      g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_FAILED);
      g_assert_nonnull (strstr (verdict->reason, "KVM is present but could not run a test guest"));
      g_assert_nonnull (strstr (verdict->reason, cases[i].fragment));
      g_assert_false (verdict->kvm_finished);
      hv_kvm_run_free (cases[i].run);
    }
}

/* No usable reference: a KVM that ran the guest right is trusted on its own. */
static void
test_judge_no_reference (void)
{
  g_autofree char *out = good_output (KNOWN_RESULT);
  const int fast[] = { 0, 1, 1, 4, 5, -1 };
  const int at_once[] = { 0, 0, 0, 0, 0, -1 };
  g_autoptr(HvKvmRun) kvm = made_up_run (out, fast, 99);
  g_autoptr(HvKvmRun) tcg_failed = made_up_run ("", NULL, 1);
  g_autoptr(HvKvmRun) tcg_untimed = made_up_run (out, at_once, 99);
  g_autoptr(HvKvmVerdict) a = hv_kvm_probe_judge (kvm, tcg_failed, KNOWN_RESULT);
  g_autoptr(HvKvmVerdict) b = hv_kvm_probe_judge (kvm, tcg_untimed, KNOWN_RESULT);

  g_assert_cmpint (a->code, ==, HV_KVM_VERDICT_USABLE);
  g_assert_nonnull (strstr (a->reason, "could not be compared"));
  g_assert_cmpuint (a->tcg_ms, ==, 0);
  g_assert_cmpint (b->code, ==, HV_KVM_VERDICT_USABLE);
  g_assert_nonnull (strstr (b->reason, "could not be measured"));
}

static void
test_budget (void)
{
  g_assert_cmpuint (hv_kvm_probe_kvm_budget_ms (0, 3000), ==, 3000);
  g_assert_cmpuint (hv_kvm_probe_kvm_budget_ms (50 * 1000, 3000), ==, 500);   /* at least */
  g_assert_cmpuint (hv_kvm_probe_kvm_budget_ms (200 * 1000, 3000), ==, 800);  /* 4 times */
  g_assert_cmpuint (hv_kvm_probe_kvm_budget_ms (5000 * 1000, 3000), ==, 3000); /* at most */
  g_assert_cmpuint (hv_kvm_probe_kvm_budget_ms (50 * 1000, 200), ==, 200);
}

static void
test_codes (void)
{
  for (HvKvmVerdictCode code = 0; code <= HV_KVM_VERDICT_LAST; code++)
    {
      HvKvmVerdictCode back = HV_KVM_VERDICT_PROBING;

      g_assert_true (hv_kvm_verdict_code_from_string (hv_kvm_verdict_code_to_string (code),
                                                      &back));
      g_assert_cmpint (back, ==, code);
    }
  g_assert_cmpstr (hv_kvm_verdict_code_to_string (HV_KVM_VERDICT_NO_ACCESS), ==, "no-access");
  g_assert_false (hv_kvm_verdict_code_from_string ("maybe", NULL));
}

/* The model, the image and the cache key. */
static void
test_guest (void)
{
  gsize size = 0;
  const guint8 *image = hv_kvm_probe_guest_image (&size);
  g_autofree char *key = NULL;
  g_autofree char *other_qemu = NULL;

  g_assert_cmphex (hv_kvm_probe_expected_result (), ==, KNOWN_RESULT);
  if (image == NULL)
    {
      g_test_skip ("this build has no test guest (not x86-64)");
      return;
    }
  /* 64 KiB; at the reset vector a far jump to f000:0000, the guest's first instruction. */
  g_assert_cmpuint (size, ==, 65536);
  g_assert_cmpuint (image[0xfff0], ==, 0xea);
  g_assert_cmpuint (image[0xfff1] | image[0xfff2] << 8, ==, 0x0000);
  g_assert_cmpuint (image[0xfff3] | image[0xfff4] << 8, ==, 0xf000);

  key = hv_kvm_probe_host_key ("/usr/bin/qemu-system-x86_64", "7.2.0", "/dev/kvm");
  other_qemu = hv_kvm_probe_host_key ("/usr/bin/qemu-system-x86_64", "8.0.0", "/dev/kvm");
  g_assert_nonnull (strstr (key, "\nboot-id="));
  g_assert_nonnull (strstr (key, "\nkernel="));
  g_assert_nonnull (strstr (key, "\ncpu="));
  g_assert_nonnull (strstr (key, "\nkvm-device=/dev/kvm "));
  g_assert_nonnull (strstr (key, "\nqemu=/usr/bin/qemu-system-x86_64 7.2.0 "));
  g_assert_cmpstr (key, !=, other_qemu);
  /* The same host asked twice: the same key. */
  g_assert_cmpstr (key, ==, hv_kvm_probe_host_key ("/usr/bin/qemu-system-x86_64", "7.2.0",
                                                   "/dev/kvm"));
}

/* ---- the probe against a stand-in QEMU ---- */

typedef struct {
  char *dir;
  char *qemu;
  char *log;        /* one line per QEMU run: its accelerator */
  char *device;     /* a plain file standing in for /dev/kvm */
  char *cache_dir;
  char *work_dir;
} Fixture;

/* FAKE_kvm / FAKE_tcg say what each accelerator does:
 *   ok:SECONDS  start, work for SECONDS, write the right result, exit as the guest does
 *   hang        start, then never finish
 *   error       fail like QEMU without KVM
 *   wrong       finish at once with a wrong result */
static const char fake_qemu[] =
  "#!/bin/sh\n"
  "accel=tcg\n"
  "for a in \"$@\"; do case \"$a\" in *accel=kvm*) accel=kvm;; esac; done\n"
  "echo \"$accel\" >>\"$FAKE_LOG\"\n"
  "eval mode=\\$FAKE_$accel\n"
  "case \"$mode\" in\n"
  "ok:*) printf S; sleep \"${mode#ok:}\"; printf 'RPLE%s FakeVendor12\\n' \"$FAKE_RESULT\";"
  " exit 99;;\n"
  "hang) printf S; exec sleep 600;;\n"
  "error) echo 'qemu-system-x86_64: failed to initialize kvm: Permission denied' >&2; exit 1;;\n"
  "wrong) printf 'SRPLE0000000000000000 FakeVendor12\\n'; exit 99;;\n"
  "esac\n"
  "exit 3\n";

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *result = g_strdup_printf ("%016" G_GINT64_MODIFIER "x",
                                             hv_kvm_probe_expected_result ());

  f->dir = g_dir_make_tmp ("hv-test-kvm-XXXXXX", &error);
  g_assert_no_error (error);
  f->qemu = g_build_filename (f->dir, "qemu", NULL);
  f->log = g_build_filename (f->dir, "runs.log", NULL);
  f->device = g_build_filename (f->dir, "kvm", NULL);
  f->cache_dir = g_build_filename (f->dir, "cache", NULL);
  f->work_dir = g_build_filename (f->dir, "run", NULL);
  g_file_set_contents (f->qemu, fake_qemu, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (f->qemu, 0755), ==, 0);
  g_file_set_contents (f->device, "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (f->work_dir, 0700), ==, 0);
  g_setenv ("FAKE_LOG", f->log, TRUE);
  g_setenv ("FAKE_RESULT", result, TRUE);
  g_setenv ("FAKE_kvm", "ok:0.02", TRUE);
  g_setenv ("FAKE_tcg", "ok:0.3", TRUE);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *cache = g_build_filename (f->cache_dir, "kvm-verdict", NULL);

  g_unlink (cache);
  g_rmdir (f->cache_dir);
  g_rmdir (f->work_dir);
  g_unlink (f->qemu);
  g_unlink (f->log);
  g_unlink (f->device);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->qemu);
  g_free (f->log);
  g_free (f->device);
  g_free (f->cache_dir);
  g_free (f->work_dir);
}

static HvKvmProbe *
fixture_probe (Fixture    *f,
               const char *version,
               gboolean    disabled)
{
  HvKvmProbeOptions options = {
    .qemu_binary = f->qemu,
    .qemu_version = version,
    .device = f->device,
    .cache_dir = f->cache_dir,
    .work_dir = f->work_dir,
    .disabled = disabled,
    .start_timeout_ms = 5000,
    .max_kvm_ms = 3000,
  };

  return hv_kvm_probe_new (&options);
}

/* How many QEMU runs the stand-in saw since the last call. */
static guint
fixture_runs (Fixture *f)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (f->log, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  g_unlink (f->log);
  return n;
}

typedef struct {
  GMainLoop *loop;
  guint pending;
  const HvKvmVerdict *verdicts[4];
  GError *errors[4];
  guint n;
} Wait;

static void
on_ensured (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *wait = user_data;
  guint i = wait->n++;

  wait->verdicts[i] = hv_kvm_probe_ensure_finish (HV_KVM_PROBE (object), result,
                                                  &wait->errors[i]);
  if (--wait->pending == 0)
    g_main_loop_quit (wait->loop);
}

static const HvKvmVerdict *
ensure_sync (HvKvmProbe *probe)
{
  Wait wait = { g_main_loop_new (NULL, FALSE), 1 };

  hv_kvm_probe_ensure_async (probe, on_ensured, &wait);
  g_main_loop_run (wait.loop);
  g_main_loop_unref (wait.loop);
  g_assert_no_error (wait.errors[0]);
  return wait.verdicts[0];
}

static void
test_probe_cache (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(HvKvmProbe) first = fixture_probe (f, "7.2.0", FALSE);
  g_autoptr(HvKvmProbe) second = NULL;
  g_autoptr(HvKvmProbe) third = NULL;
  g_autoptr(HvKvmProbe) fourth = NULL;
  g_autoptr(HvKvmProbe) fifth = NULL;
  g_autofree char *cache = g_build_filename (f->cache_dir, "kvm-verdict", NULL);
  g_autofree char *image = g_build_filename (f->work_dir, "kvm-probe.bin", NULL);
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) boot_id = NULL;
  const HvKvmVerdict *verdict;

  /* Measured: KVM 20 ms, TCG 300 ms. */
  verdict = ensure_sync (first);
  g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_USABLE);
  g_assert_false (verdict->cached);
  g_assert_true (verdict->kvm_finished);
  g_assert_cmpuint (verdict->kvm_ms, <, verdict->tcg_ms);
  g_assert_nonnull (verdict->details);
  g_assert_cmpuint (fixture_runs (f), ==, 2);
  g_assert_true (hv_kvm_probe_get_verdict (first) == verdict);
  /* Known now: asking again runs nothing. */
  g_assert_true (ensure_sync (first) == verdict);
  g_assert_cmpuint (fixture_runs (f), ==, 0);
  /* The guest image does not outlive the run. */
  g_assert_false (g_file_test (image, G_FILE_TEST_EXISTS));

  /* A new engine on the same host: the cached verdict, no QEMU. */
  g_assert_true (g_file_get_contents (cache, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "code=usable"));
  second = fixture_probe (f, "7.2.0", FALSE);
  verdict = ensure_sync (second);
  g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_USABLE);
  g_assert_true (verdict->cached);
  g_assert_null (verdict->details);
  g_assert_cmpuint (fixture_runs (f), ==, 0);

  /* Another QEMU version: the key differs, it runs again (and now KVM is slower, though
   * within its deadline of 500 ms). */
  g_setenv ("FAKE_kvm", "ok:0.3", TRUE);
  g_setenv ("FAKE_tcg", "ok:0.1", TRUE);
  third = fixture_probe (f, "8.0.0", FALSE);
  verdict = ensure_sync (third);
  g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_SLOW);
  g_assert_true (verdict->kvm_finished);
  g_assert_false (verdict->cached);
  g_assert_cmpuint (fixture_runs (f), ==, 2);

  /* Another boot (the boot id in the file differs from this host's): it runs again. */
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (cache, &text, NULL, NULL));
  boot_id = g_regex_new ("^boot-id=.*$", G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);
  edited = g_regex_replace_literal (boot_id, text, -1, 0, "boot-id=another-boot", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (edited, !=, text);
  g_file_set_contents (cache, edited, -1, &error);
  g_assert_no_error (error);
  fourth = fixture_probe (f, "8.0.0", FALSE);
  verdict = ensure_sync (fourth);
  g_assert_false (verdict->cached);
  g_assert_cmpuint (fixture_runs (f), ==, 2);

  /* A corrupt cache is ignored and replaced. */
  g_file_set_contents (cache, "\x01\xff[verdict\ncode=usable", -1, &error);
  g_assert_no_error (error);
  fifth = fixture_probe (f, "8.0.0", FALSE);
  verdict = ensure_sync (fifth);
  g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_SLOW);
  g_assert_false (verdict->cached);
  g_assert_cmpuint (fixture_runs (f), ==, 2);
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (cache, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "code=slow"));
}

/* A cache naming a verdict that is never cached, or with a bad figure, is not trusted. */
static void
test_probe_cache_bad_values (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(HvKvmProbe) first = fixture_probe (f, "7.2.0", FALSE);
  g_autofree char *cache = g_build_filename (f->cache_dir, "kvm-verdict", NULL);
  static const char * const edits[][2] = {
    { "code=usable", "code=disabled" },
    { "code=usable", "code=excellent" },
    { "kvm-ms=", "kvm-ms=lots" },
    { "kvm-finished=true", "kvm-finished=maybe" },
  };

  ensure_sync (first);
  g_assert_cmpuint (fixture_runs (f), ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *edited = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(HvKvmProbe) probe = NULL;
      char *at;

      g_assert_true (g_file_get_contents (cache, &text, NULL, NULL));
      at = strstr (text, edits[i][0]);
      g_assert_nonnull (at);
      /* kvm-ms=NN: replace the whole line's value */
      if (g_str_equal (edits[i][0], "kvm-ms="))
        {
          char *end = strchr (at, '\n');
          edited = g_strdup_printf ("%.*s%s%s", (int) (at - text), text, edits[i][1], end);
        }
      else
        edited = g_strdup_printf ("%.*s%s%s", (int) (at - text), text, edits[i][1],
                                  at + strlen (edits[i][0]));
      g_file_set_contents (cache, edited, -1, &error);
      g_assert_no_error (error);
      probe = fixture_probe (f, "7.2.0", FALSE);
      g_assert_false (ensure_sync (probe)->cached);
      g_assert_cmpuint (fixture_runs (f), ==, 2);
    }
}

/* HOSTVISOR_NO_KVM and a missing device: a verdict at once, nothing run, nothing cached. */
static void
test_probe_quick (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(HvKvmProbe) disabled = fixture_probe (f, "7.2.0", TRUE);
  g_autoptr(HvKvmProbe) missing = NULL;
  g_autofree char *cache = g_build_filename (f->cache_dir, "kvm-verdict", NULL);
  const HvKvmVerdict *verdict;

  verdict = ensure_sync (disabled);
  g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_DISABLED);
  g_assert_nonnull (strstr (verdict->reason, "HOSTVISOR_NO_KVM"));

  g_unlink (f->device);
  missing = fixture_probe (f, "7.2.0", FALSE);
  verdict = ensure_sync (missing);
  g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_MISSING);
  g_assert_nonnull (strstr (verdict->reason, f->device));
  g_assert_cmpuint (fixture_runs (f), ==, 0);
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));
}

/* A KVM that starts the guest and never finishes: "slow" at the deadline (4 x TCG's 100 ms
 * is less than the 500 ms minimum), its QEMU killed. A KVM that QEMU cannot use: "failed"
 * with QEMU's words. One that computes garbage: "failed". */
static void
test_probe_bad_kvm (Fixture       *f,
                    gconstpointer  data)
{
  static const struct {
    const char *mode;
    HvKvmVerdictCode code;
    const char *fragment;
  } cases[] = {
    { "hang", HV_KVM_VERDICT_SLOW, "still in real mode; emulation ran all of it in" },
    { "error", HV_KVM_VERDICT_FAILED, "failed to initialize kvm: Permission denied" },
    { "wrong", HV_KVM_VERDICT_FAILED, "wrong result" },
  };

  g_setenv ("FAKE_tcg", "ok:0.1", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HvKvmProbe) probe = NULL;
      g_autofree char *cache = g_build_filename (f->cache_dir, "kvm-verdict", NULL);
      gint64 start = g_get_monotonic_time ();
      const HvKvmVerdict *verdict;

      g_unlink (cache);
      g_setenv ("FAKE_kvm", cases[i].mode, TRUE);
      probe = fixture_probe (f, "7.2.0", FALSE);
      verdict = ensure_sync (probe);
      g_test_message ("%s: %s", cases[i].mode, verdict->reason);
      g_assert_cmpint (verdict->code, ==, cases[i].code);
      g_assert_nonnull (strstr (verdict->reason, cases[i].fragment));
      g_assert_cmpuint (fixture_runs (f), ==, 2);
      /* The hanging one ends at its deadline, not after the stand-in's 600 s. */
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
    }
}

/* Two callers while it runs: one run, the same verdict for both. Then a cancelled run: the
 * callers hear it, the next call starts over. */
static void
test_probe_shared_and_cancel (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(HvKvmProbe) probe = fixture_probe (f, "7.2.0", FALSE);
  g_autoptr(HvKvmProbe) cancelled = NULL;
  Wait wait = { g_main_loop_new (NULL, FALSE), 2 };
  g_autofree char *cache = g_build_filename (f->cache_dir, "kvm-verdict", NULL);

  hv_kvm_probe_ensure_async (probe, on_ensured, &wait);
  hv_kvm_probe_ensure_async (probe, on_ensured, &wait);
  g_main_loop_run (wait.loop);
  g_assert_no_error (wait.errors[0]);
  g_assert_no_error (wait.errors[1]);
  g_assert_nonnull (wait.verdicts[0]);
  g_assert_true (wait.verdicts[0] == wait.verdicts[1]);
  g_assert_cmpuint (fixture_runs (f), ==, 2);

  g_unlink (cache);
  g_setenv ("FAKE_tcg", "hang", TRUE);
  cancelled = fixture_probe (f, "7.2.0", FALSE);
  memset (&wait.verdicts, 0, sizeof wait.verdicts);
  wait.n = 0;
  wait.pending = 1;
  hv_kvm_probe_ensure_async (cancelled, on_ensured, &wait);
  g_usleep (300 * 1000);
  hv_kvm_probe_cancel (cancelled);
  g_main_loop_run (wait.loop);
  g_assert_error (wait.errors[0], G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&wait.errors[0]);
  g_assert_null (hv_kvm_probe_get_verdict (cancelled));
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fixture_runs (f), ==, 1);   /* TCG only: KVM never started */
  g_main_loop_unref (wait.loop);
}

/* ---- the real guest and the real KVM ---- */

static char *
find_qemu (void)
{
  return g_find_program_in_path ("qemu-system-x86_64");
}

static char *
write_image (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "probe.bin", NULL);
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const guint8 *image = hv_kvm_probe_guest_image (&size);

  g_file_set_contents (path, (const char *) image, size, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* The guest under TCG computes what the model says, and ends QEMU the way it should. */
static void
test_real_tcg (void)
{
  g_autofree char *qemu = find_qemu ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *image = NULL;
  g_autoptr(HvKvmRun) run = hv_kvm_run_new ();
  g_autofree char *expected = NULL;
  gsize size = 0;

  if (qemu == NULL || hv_kvm_probe_guest_image (&size) == NULL)
    {
      g_test_skip (qemu == NULL ? "qemu-system-x86_64 is not installed" : "no test guest");
      return;
    }
  dir = g_dir_make_tmp ("hv-test-kvm-XXXXXX", &error);
  g_assert_no_error (error);
  image = write_image (dir);
  hv_kvm_run_guest (qemu, image, "tcg", 30000, 30000, NULL, run);
  g_test_message ("TCG: output \"%s\", work %.1f ms, stderr: %s", run->output->str,
                  (run->marks[HV_KVM_RUN_N_MARKS - 1] - run->marks[0]) / 1000.0,
                  run->stderr_text->str);
  expected = g_strdup_printf ("SRPLE%016" G_GINT64_MODIFIER "x ", KNOWN_RESULT);
  g_assert_null (run->error);
  g_assert_false (run->timed_out);
  g_assert_cmpuint (run->n_marks, ==, HV_KVM_RUN_N_MARKS);
  g_assert_true (g_str_has_prefix (run->output->str, expected));
  g_assert_true (run->exited);
  g_assert_cmpint (run->exit_status, ==, (HV_KVM_PROBE_EXIT_OK << 1) | 1);
  g_unlink (image);
  g_rmdir (dir);
}

/* A real boot: SeaBIOS (QEMU's own firmware) boots a disk whose boot sector ends QEMU
 * through isa-debug-exit. Returns the wall time in µs, or -1 when it did not end that way
 * within limit_ms. */
static gint64
real_boot (const char *qemu,
           const char *disk,
           const char *accel,
           guint       limit_ms)
{
  g_autofree char *machine = g_strdup_printf ("pc,accel=%s", accel);
  g_autofree char *drive = g_strdup_printf ("file=%s,format=raw,if=ide", disk);
  const char * const argv[] = {
    qemu, "-nodefaults", "-no-user-config", "-machine", machine,
    "-cpu", g_str_equal (accel, "kvm") ? "host" : "qemu64", "-m", "64", "-display", "none",
    "-drive", drive, "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-no-reboot", NULL
  };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  while (g_get_monotonic_time () - start < (gint64) limit_ms * 1000)
    {
      g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat",
                                                    g_subprocess_get_identifier (process));
      g_autofree char *stat = NULL;

      /* Exited (a zombie, or reaped): stop polling and collect it. */
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL) || strstr (stat, ") Z ") != NULL)
        break;
      g_usleep (10 * 1000);
    }
  if (g_get_monotonic_time () - start >= (gint64) limit_ms * 1000)
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return -1;
    }
  g_subprocess_wait (process, NULL, NULL);
  if (!g_subprocess_get_if_exited (process) ||
      g_subprocess_get_exit_status (process) != ((HV_KVM_PROBE_EXIT_OK << 1) | 1))
    return -1;
  return g_get_monotonic_time () - start;
}

static char *
write_boot_disk (const char *dir)
{
  /* mov al, 0x31; out 0xf4, al; hlt; jmp $-1 */
  static const guint8 code[] = { 0xb0, HV_KVM_PROBE_EXIT_OK, 0xe6, HV_KVM_PROBE_EXIT_PORT,
                                 0xf4, 0xeb, 0xfd };
  g_autofree char *path = g_build_filename (dir, "boot.img", NULL);
  guint8 sector[512] = { 0 };
  g_autoptr(GError) error = NULL;

  memcpy (sector, code, sizeof code);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  g_file_set_contents (path, (const char *) sector, sizeof sector, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
test_real_kvm (void)
{
  g_autofree char *qemu = find_qemu ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *cache_dir = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *disk = NULL;
  g_autoptr(HvKvmProbe) probe = NULL;
  HvKvmProbeOptions options = { 0 };
  const HvKvmVerdict *verdict;
  gint64 tcg_boot, kvm_boot;
  guint limit_ms;
  gsize size = 0;
  int fd;

  if (qemu == NULL || hv_kvm_probe_guest_image (&size) == NULL)
    {
      g_test_skip (qemu == NULL ? "qemu-system-x86_64 is not installed" : "no test guest");
      return;
    }
  dir = g_dir_make_tmp ("hv-test-kvm-XXXXXX", &error);
  g_assert_no_error (error);
  cache_dir = g_build_filename (dir, "cache", NULL);
  cache = g_build_filename (cache_dir, "kvm-verdict", NULL);
  options.qemu_binary = qemu;
  options.qemu_version = "real";
  options.cache_dir = cache_dir;
  options.work_dir = dir;
  probe = hv_kvm_probe_new (&options);
  verdict = ensure_sync (probe);
  g_test_message ("verdict %s: %s\n%s", hv_kvm_verdict_code_to_string (verdict->code),
                  verdict->reason, verdict->details != NULL ? verdict->details : "");

  fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      /* No KVM here: the verdict says which way, and nothing was run or cached. */
      if (saved == EACCES || saved == EPERM)
        g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_NO_ACCESS);
      else
        g_assert_cmpint (verdict->code, ==, HV_KVM_VERDICT_MISSING);
      g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));
      g_test_message ("/dev/kvm: %s; the KVM half is not run", g_strerror (saved));
      g_rmdir (dir);
      return;
    }
  close (fd);

  /* KVM was tried: a verdict from the test guest, cached. */
  g_assert_true (verdict->code == HV_KVM_VERDICT_USABLE || verdict->code == HV_KVM_VERDICT_SLOW ||
                 verdict->code == HV_KVM_VERDICT_FAILED);
  g_assert_nonnull (verdict->details);
  g_assert_true (g_file_test (cache, G_FILE_TEST_EXISTS));

  /* What a real boot does, by each accelerator. */
  disk = write_boot_disk (dir);
  tcg_boot = real_boot (qemu, disk, "tcg", 60000);
  g_assert_cmpint (tcg_boot, >, 0);
  limit_ms = (guint) MAX (5000, tcg_boot / 1000 * 10);
  kvm_boot = real_boot (qemu, disk, "kvm", limit_ms);
  g_test_message ("SeaBIOS to the boot sector: TCG %.0f ms, KVM %s%.0f ms", tcg_boot / 1000.0,
                  kvm_boot < 0 ? "not done after " : "",
                  (kvm_boot < 0 ? limit_ms * 1000.0 : (double) kvm_boot) / 1000.0);

  if (verdict->code == HV_KVM_VERDICT_USABLE)
    {
      /* Trusted KVM must boot a real guest, and not crawl. */
      g_assert_cmpint (kvm_boot, >, 0);
      g_assert_cmpint (kvm_boot, <, 3 * tcg_boot + G_USEC_PER_SEC);
    }
  else
    {
      /* Distrusted KVM: the real boot is worse under it than emulated, too. */
      g_assert_true (kvm_boot < 0 || kvm_boot > tcg_boot);
    }

  g_unlink (disk);
  g_unlink (cache);
  g_rmdir (cache_dir);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kvm-probe/codes", test_codes);
  g_test_add_func ("/kvm-probe/budget", test_budget);
  g_test_add_func ("/kvm-probe/guest", test_guest);
  g_test_add_func ("/kvm-probe/judge/finished", test_judge_finished);
  g_test_add_func ("/kvm-probe/judge/deadline", test_judge_deadline);
  g_test_add_func ("/kvm-probe/judge/failures", test_judge_failures);
  g_test_add_func ("/kvm-probe/judge/no-reference", test_judge_no_reference);
  g_test_add ("/kvm-probe/fake/cache", Fixture, NULL, fixture_set_up, test_probe_cache,
              fixture_tear_down);
  g_test_add ("/kvm-probe/fake/cache-bad-values", Fixture, NULL, fixture_set_up,
              test_probe_cache_bad_values, fixture_tear_down);
  g_test_add ("/kvm-probe/fake/quick", Fixture, NULL, fixture_set_up, test_probe_quick,
              fixture_tear_down);
  g_test_add ("/kvm-probe/fake/bad-kvm", Fixture, NULL, fixture_set_up, test_probe_bad_kvm,
              fixture_tear_down);
  g_test_add ("/kvm-probe/fake/shared-and-cancel", Fixture, NULL, fixture_set_up,
              test_probe_shared_and_cancel, fixture_tear_down);
  g_test_add_func ("/kvm-probe/real/tcg", test_real_tcg);
  g_test_add_func ("/kvm-probe/real/kvm", test_real_kvm);

  return g_test_run ();
}
