/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-kvm-probe.c: the KVM verdict: quick checks, the cache, judging the test guest's runs.
 *
 * The order of a probe (hv_kvm_probe_ensure_async()):
 *   1. $HOSTVISOR_NO_KVM: DISABLED. /dev/kvm cannot be opened read-write (as QEMU opens it):
 *      MISSING, NO_ACCESS (with the group to join) or FAILED. None of these is cached.
 *   2. The cache file, when every part of its key matches this host.
 *   3. A thread runs the test guest under TCG (the reference), then under KVM with a deadline
 *      of four times TCG's time (at least 500 ms, at most 3 s): a KVM that needs longer than
 *      that has lost already. hv_kvm_probe_judge() turns the two runs into the verdict, which
 *      is written to the cache.
 * Only the guest's work counts, timed from its first marker to its last, so the comparison
 * leaves out QEMU's start, which differs between the accelerators and from host to host. */
#include "hv-kvm-probe-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hv-config.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-kvm-probe-guest.h"
#include "hv-paths.h"

#define DEFAULT_DEVICE "/dev/kvm"
#define DEFAULT_START_TIMEOUT_MS 10000
#define DEFAULT_MAX_KVM_MS 3000
#define MIN_KVM_MS 500
/* The reference: TCG has all the time it needs, within reason. */
#define TCG_START_TIMEOUT_MS 15000
#define TCG_WORK_TIMEOUT_MS 15000
/* A TCG reference faster than this was not timed (the reader saw all markers at once). */
#define TCG_MIN_WORK_US 1000
#define CACHE_FILE "kvm-verdict"
#define CACHE_MAX_SIZE (64 * 1024)
#define IMAGE_FILE "kvm-probe.bin"
/* Part of the cache key: raise it when the judgement changes, so old verdicts go. */
#define JUDGEMENT_VERSION 1

static const char * const code_names[] = {
  [HV_KVM_VERDICT_PROBING] = "probing",
  [HV_KVM_VERDICT_USABLE] = "usable",
  [HV_KVM_VERDICT_DISABLED] = "disabled",
  [HV_KVM_VERDICT_MISSING] = "missing",
  [HV_KVM_VERDICT_NO_ACCESS] = "no-access",
  [HV_KVM_VERDICT_FAILED] = "failed",
  [HV_KVM_VERDICT_SLOW] = "slow",
};

const char *
hv_kvm_verdict_code_to_string (HvKvmVerdictCode code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (code_names), "failed");
  return code_names[code];
}

gboolean
hv_kvm_verdict_code_from_string (const char       *text,
                                 HvKvmVerdictCode *out)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (code_names); i++)
    if (g_str_equal (text, code_names[i]))
      {
        *out = (HvKvmVerdictCode) i;
        return TRUE;
      }
  return FALSE;
}

HvKvmVerdict *
hv_kvm_verdict_new (HvKvmVerdictCode  code,
                    const char       *reason)
{
  HvKvmVerdict *verdict = g_new0 (HvKvmVerdict, 1);

  verdict->code = code;
  verdict->reason = g_strdup (reason);
  return verdict;
}

HvKvmVerdict *
hv_kvm_verdict_copy (const HvKvmVerdict *verdict)
{
  HvKvmVerdict *copy = g_memdup2 (verdict, sizeof *verdict);

  copy->reason = g_strdup (verdict->reason);
  copy->group = g_strdup (verdict->group);
  copy->details = g_strdup (verdict->details);
  return copy;
}

void
hv_kvm_verdict_free (HvKvmVerdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->reason);
  g_free (verdict->group);
  g_free (verdict->details);
  g_free (verdict);
}

static HvKvmVerdict * G_GNUC_PRINTF (2, 3)
verdict_printf (HvKvmVerdictCode  code,
                const char       *format,
                ...)
{
  HvKvmVerdict *verdict = hv_kvm_verdict_new (code, NULL);
  va_list args;

  va_start (args, format);
  verdict->reason = g_strdup_vprintf (format, args);
  va_end (args);
  return verdict;
}

/* ---- judging runs ---- */

static guint
us_to_ms (gint64 us)
{
  return (guint) MIN ((MAX (us, 0) + 999) / 1000, G_MAXUINT);
}

static gint64
work_us (const HvKvmRun *run)
{
  return run->marks[HV_KVM_RUN_N_MARKS - 1] - run->marks[0];
}

/* The result line after the markers: 16 hex digits, a space, the CPUID vendor (12
 * printable characters), a newline. */
static gboolean
parse_result (const HvKvmRun *run,
              guint64        *value)
{
  const char *line = run->output->str + HV_KVM_RUN_N_MARKS;
  char *end = NULL;

  if (run->output->len != HV_KVM_RUN_N_MARKS + 16 + 1 + 12 + 1 || line[16] != ' ' ||
      line[16 + 1 + 12] != '\n')
    return FALSE;
  for (guint i = 0; i < 16; i++)
    if (!g_ascii_isxdigit (line[i]))
      return FALSE;
  for (guint i = 17; i < 17 + 12; i++)
    if (!g_ascii_isprint (line[i]))
      return FALSE;
  *value = g_ascii_strtoull (line, &end, 16);
  return end == line + 16;
}

/* QEMU's last words: the last non-empty line of its stderr, shown safely. */
static char *
qemu_said (const HvKvmRun *run)
{
  g_auto(GStrv) lines = g_strsplit (run->stderr_text->str, "\n", -1);

  for (guint i = g_strv_length (lines); i > 0; i--)
    {
      g_strstrip (lines[i - 1]);
      if (lines[i - 1][0] != '\0')
        return hv_config_escape_for_display (lines[i - 1]);
    }
  return NULL;
}

static const char *
stage_name (guint n_marks)
{
  switch (n_marks)
    {
    case 1:
      return "in real mode";
    case 2:
      return "switching between real and protected mode";
    case 3:
      return "in long mode";
    case 4:
      return "changing page tables";
    default:
      return "writing its result";
    }
}

/* What went wrong with a run, or NULL when the guest ran to its end with the right result. */
static char *
run_problem (const HvKvmRun *run,
             guint64         expected)
{
  g_autofree char *said = qemu_said (run);
  guint64 value = 0;

  if (run->error != NULL)
    return g_strdup_printf ("QEMU could not be run: %s", run->error);
  if (run->cancelled)
    return g_strdup ("it was cancelled");
  if (run->n_marks == 0)
    {
      if (run->timed_out)
        return g_strdup ("the guest did not start in time");
      if (said != NULL)
        return g_strdup_printf ("QEMU failed: %s", said);
      return g_strdup ("QEMU ended before the guest started");
    }
  if (run->n_marks < HV_KVM_RUN_N_MARKS)
    {
      if (run->output->len > run->n_marks &&
          run->output->str[run->n_marks] == HV_KVM_PROBE_MARK_NO_LONG_MODE)
        return g_strdup ("the guest's CPU has no 64-bit long mode");
      if (run->timed_out)
        return g_strdup_printf ("the guest did not finish in time (it was still %s)",
                                stage_name (run->n_marks));
      if (run->term_signal != 0)
        return g_strdup_printf ("QEMU was killed by signal %d while the guest was %s",
                                run->term_signal, stage_name (run->n_marks));
      return g_strdup_printf ("the guest stopped while it was %s%s%s", stage_name (run->n_marks),
                              said != NULL ? ": " : "", said != NULL ? said : "");
    }
  if (!parse_result (run, &value))
    return g_strdup ("the guest wrote something unexpected");
  if (value != expected)
    return g_strdup_printf ("the guest computed a wrong result (%016" G_GINT64_MODIFIER "x "
                            "instead of %016" G_GINT64_MODIFIER "x)", value, expected);
  if (!run->exited || run->exit_status != ((HV_KVM_PROBE_EXIT_OK << 1) | 1))
    return g_strdup ("QEMU did not end the way the guest asked");
  return NULL;
}

guint
hv_kvm_probe_kvm_budget_ms (guint64 tcg_work_us,
                            guint   max_kvm_ms)
{
  guint64 budget = tcg_work_us * 4 / 1000;

  if (tcg_work_us == 0)
    return max_kvm_ms;
  return (guint) CLAMP (budget, MIN (MIN_KVM_MS, max_kvm_ms), max_kvm_ms);
}

HvKvmVerdict *
hv_kvm_probe_judge (const HvKvmRun *kvm,
                    const HvKvmRun *tcg,
                    guint64         expected)
{
  g_autofree char *kvm_problem = run_problem (kvm, expected);
  g_autofree char *tcg_problem = tcg != NULL ? run_problem (tcg, expected)
                                             : g_strdup ("it was not run");
  gint64 tcg_us = 0;
  HvKvmVerdict *verdict;

  if (tcg_problem == NULL)
    {
      tcg_us = work_us (tcg);
      if (tcg_us < TCG_MIN_WORK_US)
        {
          tcg_problem = g_strdup ("its time could not be measured");
          tcg_us = 0;
        }
    }

  if (kvm_problem == NULL)
    {
      gint64 kvm_us = work_us (kvm);

      if (tcg_us == 0)
        verdict = verdict_printf (HV_KVM_VERDICT_USABLE,
                                  "KVM ran the test guest in %u ms (emulation could not be "
                                  "compared: %s)", us_to_ms (kvm_us), tcg_problem);
      else if (kvm_us < tcg_us)
        verdict = verdict_printf (HV_KVM_VERDICT_USABLE,
                                  "KVM works: the test guest took %u ms under KVM and %u ms "
                                  "under emulation", us_to_ms (kvm_us), us_to_ms (tcg_us));
      else
        verdict = verdict_printf (HV_KVM_VERDICT_SLOW,
                                  "KVM is present but slower than emulation: the test guest "
                                  "took %u ms under KVM and %u ms under emulation",
                                  us_to_ms (kvm_us), us_to_ms (tcg_us));
      verdict->kvm_ms = us_to_ms (kvm_us);
      verdict->kvm_finished = TRUE;
    }
  else if (kvm->timed_out && kvm->n_marks > 0)
    {
      gint64 ran_us = kvm->ended - kvm->marks[0];

      /* KVM spent longer on part of the work than emulation on all of it. */
      if (tcg_us > 0 && ran_us > tcg_us)
        verdict = verdict_printf (HV_KVM_VERDICT_SLOW,
                                  "KVM is present but slower than emulation: after %u ms under "
                                  "KVM the test guest was still %s; emulation ran all of it in "
                                  "%u ms", us_to_ms (ran_us), stage_name (kvm->n_marks),
                                  us_to_ms (tcg_us));
      else
        verdict = verdict_printf (HV_KVM_VERDICT_FAILED,
                                  "KVM is present but could not run a test guest: it did not "
                                  "finish within %u ms (it was still %s)", us_to_ms (ran_us),
                                  stage_name (kvm->n_marks));
      verdict->kvm_ms = us_to_ms (ran_us);
    }
  else
    verdict = verdict_printf (HV_KVM_VERDICT_FAILED,
                              "KVM is present but could not run a test guest: %s", kvm_problem);

  verdict->tcg_ms = us_to_ms (tcg_us);
  return verdict;
}

/* One run for the engine's log: when each marker came, how it ended, what QEMU said. */
static void
describe_run (GString        *out,
              const char     *accel,
              const HvKvmRun *run)
{
  g_autofree char *said = qemu_said (run);
  g_autofree char *output = hv_config_escape_for_display (run->output->str);

  g_string_append_printf (out, "%s:", accel);
  for (guint i = 0; i < run->n_marks; i++)
    g_string_append_printf (out, " %c+%.1fms", run->output->str[i],
                            (run->marks[i] - run->marks[0]) / 1000.0);
  if (run->error != NULL)
    g_string_append_printf (out, " not run: %s", run->error);
  else if (run->timed_out)
    g_string_append (out, ", stopped at its deadline");
  else if (run->exited)
    g_string_append_printf (out, ", exit status %d", run->exit_status);
  else if (run->term_signal != 0)
    g_string_append_printf (out, ", signal %d", run->term_signal);
  g_string_append_printf (out, ", output \"%s\"", output);
  if (said != NULL)
    g_string_append_printf (out, ", QEMU said: %s", said);
  g_string_append (out, "\n");
}

/* ---- the cache key ---- */

static char *
read_line_of (const char *path)
{
  g_autofree char *data = NULL;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return g_strdup ("");
  return g_strdup (g_strstrip (data));
}

/* The CPU: vendor, family, model, stepping and name of the first processor in cpuinfo. */
static char *
cpu_identity (void)
{
  static const char * const wanted[] = { "vendor_id", "cpu family", "model", "stepping",
                                         "model name", "microcode" };
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  GString *out = g_string_new (NULL);

  if (!g_file_get_contents ("/proc/cpuinfo", &data, NULL, NULL))
    return g_string_free (out, FALSE);
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      char *colon = strchr (lines[i], ':');

      if (colon == NULL)
        continue;
      *colon = '\0';
      g_strstrip (lines[i]);
      for (guint j = 0; j < G_N_ELEMENTS (wanted); j++)
        if (g_str_equal (lines[i], wanted[j]))
          g_string_append_printf (out, "%s%s", out->len > 0 ? " / " : "", g_strstrip (colon + 1));
    }
  return g_string_free (out, FALSE);
}

static char *
file_identity (const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    return g_strdup ("none");
  return g_strdup_printf ("%u:%u %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT ".%09ld %"
                          G_GINT64_FORMAT, major (st.st_rdev), minor (st.st_rdev),
                          (guint64) st.st_ino, (gint64) st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
                          (gint64) st.st_size);
}

char *
hv_kvm_probe_host_key (const char *qemu_binary,
                       const char *qemu_version,
                       const char *device)
{
  struct utsname uts;
  gsize image_size = 0;
  const guint8 *image = hv_kvm_probe_guest_image (&image_size);
  g_autofree char *guest = image != NULL
    ? g_compute_checksum_for_data (G_CHECKSUM_SHA256, image, image_size) : g_strdup ("none");
  g_autofree char *boot_id = read_line_of ("/proc/sys/kernel/random/boot_id");
  g_autofree char *cpu = cpu_identity ();
  g_autofree char *kvm_node = file_identity (device);
  g_autofree char *qemu_file = file_identity (qemu_binary);

  if (uname (&uts) != 0)
    memset (&uts, 0, sizeof uts);
  /* The QEMU binary's size and change time stand for its exact build: a package update
   * of the same version changes them. */
  return g_strdup_printf ("judgement=%d\nguest=%s\nboot-id=%s\nkernel=%s %s\ncpu=%s\n"
                          "kvm-device=%s %s\nqemu=%s %s %s\n",
                          JUDGEMENT_VERSION, guest, boot_id, uts.release, uts.version, cpu,
                          device, kvm_node, qemu_binary, qemu_version, qemu_file);
}

/* ---- the cache file ---- */

static GKeyFile *
key_file_for (const char *key)
{
  GKeyFile *file = g_key_file_new ();
  g_auto(GStrv) lines = g_strsplit (key, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');

      if (eq == NULL)
        continue;
      *eq = '\0';
      g_key_file_set_string (file, "host", lines[i], eq + 1);
    }
  return file;
}

static char *
host_group_text (GKeyFile *file)
{
  g_auto(GStrv) keys = g_key_file_get_keys (file, "host", NULL, NULL);
  GString *out = g_string_new (NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_string (file, "host", keys[i], NULL);

      g_string_append_printf (out, "%s=%s\n", keys[i], value != NULL ? value : "");
    }
  return g_string_free (out, FALSE);
}

/* The cached verdict when the file is readable, well-formed and made for exactly this key;
 * anything else (missing, corrupt, another host or boot) is NULL and will be replaced. */
static HvKvmVerdict *
cache_read (const char *path,
            const char *key)
{
  g_autofree char *data = NULL;
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *stored_key = NULL;
  g_autofree char *code_text = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GError) ms_error = NULL;
  g_autoptr(GError) tcg_error = NULL;
  g_autoptr(GError) finished_error = NULL;
  HvKvmVerdictCode code;
  HvKvmVerdict *verdict;
  guint64 kvm_ms, tcg_ms;
  gboolean finished;
  gsize len;

  if (!hv_file_read_capped (path, CACHE_MAX_SIZE, &data, &len, NULL) ||
      !g_utf8_validate (data, len, NULL) ||
      !g_key_file_load_from_data (file, data, len, G_KEY_FILE_NONE, NULL))
    return NULL;
  stored_key = host_group_text (file);
  if (!g_str_equal (stored_key, key))
    return NULL;

  code_text = g_key_file_get_string (file, "verdict", "code", NULL);
  reason = g_key_file_get_string (file, "verdict", "reason", NULL);
  if (!hv_kvm_verdict_code_from_string (code_text, &code) || reason == NULL ||
      (code != HV_KVM_VERDICT_USABLE && code != HV_KVM_VERDICT_FAILED &&
       code != HV_KVM_VERDICT_SLOW))
    return NULL;

  kvm_ms = g_key_file_get_uint64 (file, "verdict", "kvm-ms", &ms_error);
  tcg_ms = g_key_file_get_uint64 (file, "verdict", "tcg-ms", &tcg_error);
  finished = g_key_file_get_boolean (file, "verdict", "kvm-finished", &finished_error);
  if (ms_error != NULL || tcg_error != NULL || finished_error != NULL ||
      kvm_ms > G_MAXUINT || tcg_ms > G_MAXUINT)
    return NULL;

  verdict = hv_kvm_verdict_new (code, reason);
  verdict->kvm_ms = (guint) kvm_ms;
  verdict->tcg_ms = (guint) tcg_ms;
  verdict->kvm_finished = finished;
  verdict->cached = TRUE;
  return verdict;
}

static gboolean
cache_write (const char         *path,
             const char         *key,
             const HvKvmVerdict *verdict,
             GError            **error)
{
  g_autoptr(GKeyFile) file = key_file_for (key);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  gsize len;

  g_key_file_set_comment (file, NULL, NULL,
                          " Hostvisor's KVM verdict for this host and boot (see hv-kvm-probe.c).\n"
                          " Deleting this file makes the engine run its test guest again.", NULL);
  g_key_file_set_string (file, "verdict", "code", hv_kvm_verdict_code_to_string (verdict->code));
  g_key_file_set_string (file, "verdict", "reason", verdict->reason);
  g_key_file_set_uint64 (file, "verdict", "kvm-ms", verdict->kvm_ms);
  g_key_file_set_uint64 (file, "verdict", "tcg-ms", verdict->tcg_ms);
  g_key_file_set_boolean (file, "verdict", "kvm-finished", verdict->kvm_finished);
  data = g_key_file_to_data (file, &len, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  return hv_file_replace_contents (path, data, len, 0600, FALSE, error);
}

/* ---- the probe object ---- */

struct _HvKvmProbe
{
  GObject parent_instance;

  /* owned */
  char *qemu_binary;
  char *qemu_version;
  char *device;
  char *cache_dir;
  char *work_dir;
  gboolean disabled;
  guint start_timeout_ms;
  guint max_kvm_ms;
  HvKvmVerdict *verdict;      /* NULL until known */
  GPtrArray *waiters;         /* GTask*: ensure_async calls waiting for the run */
  GCancellable *cancellable;  /* the run in progress, NULL when none */
};

G_DEFINE_FINAL_TYPE (HvKvmProbe, hv_kvm_probe, G_TYPE_OBJECT)

enum {
  SIGNAL_VERDICT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What the thread works with: copies, so it never touches the object. */
typedef struct {
  char *qemu_binary;
  char *image_path;
  char *cache_path;
  char *key;
  guint start_timeout_ms;
  guint max_kvm_ms;
} ProbeJob;

static void
probe_job_free (ProbeJob *job)
{
  g_free (job->qemu_binary);
  g_free (job->image_path);
  g_free (job->cache_path);
  g_free (job->key);
  g_free (job);
}

static void
hv_kvm_probe_dispose (GObject *object)
{
  HvKvmProbe *self = HV_KVM_PROBE (object);

  /* A running probe holds a reference: there is none here. */
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  G_OBJECT_CLASS (hv_kvm_probe_parent_class)->dispose (object);
}

static void
hv_kvm_probe_finalize (GObject *object)
{
  HvKvmProbe *self = HV_KVM_PROBE (object);

  g_free (self->qemu_binary);
  g_free (self->qemu_version);
  g_free (self->device);
  g_free (self->cache_dir);
  g_free (self->work_dir);
  g_clear_pointer (&self->verdict, hv_kvm_verdict_free);
  G_OBJECT_CLASS (hv_kvm_probe_parent_class)->finalize (object);
}

static void
hv_kvm_probe_class_init (HvKvmProbeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_kvm_probe_dispose;
  object_class->finalize = hv_kvm_probe_finalize;

  signals[SIGNAL_VERDICT_CHANGED] =
    g_signal_new ("verdict-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
hv_kvm_probe_init (HvKvmProbe *self)
{
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

HvKvmProbe *
hv_kvm_probe_new (const HvKvmProbeOptions *options)
{
  HvKvmProbe *self;

  g_return_val_if_fail (options != NULL && options->qemu_binary != NULL, NULL);

  self = g_object_new (HV_TYPE_KVM_PROBE, NULL);
  self->qemu_binary = g_strdup (options->qemu_binary);
  self->qemu_version = g_strdup (options->qemu_version != NULL ? options->qemu_version : "");
  self->device = g_strdup (options->device != NULL ? options->device : DEFAULT_DEVICE);
  self->cache_dir = options->cache_dir != NULL
    ? g_strdup (options->cache_dir) : g_build_filename (g_get_user_cache_dir (), "hostvisor", NULL);
  self->work_dir = g_strdup (options->work_dir);
  self->disabled = options->disabled;
  self->start_timeout_ms = options->start_timeout_ms > 0 ? options->start_timeout_ms
                                                         : DEFAULT_START_TIMEOUT_MS;
  self->max_kvm_ms = options->max_kvm_ms > 0 ? options->max_kvm_ms : DEFAULT_MAX_KVM_MS;
  return self;
}

const HvKvmVerdict *
hv_kvm_probe_get_verdict (HvKvmProbe *self)
{
  g_return_val_if_fail (HV_IS_KVM_PROBE (self), NULL);
  return self->verdict;
}

static void
set_verdict (HvKvmProbe   *self,
             HvKvmVerdict *verdict)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  g_clear_pointer (&self->verdict, hv_kvm_verdict_free);
  self->verdict = verdict;
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_emit (self, signals[SIGNAL_VERDICT_CHANGED], 0);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_pointer (g_ptr_array_index (waiters, i), self->verdict, NULL);
}

/* The verdicts that need no test guest, or the cached one; NULL when it must run. */
static HvKvmVerdict *
quick_verdict (HvKvmProbe *self,
               const char *key)
{
  g_autofree char *cache_path = NULL;
  gsize image_size = 0;
  int fd;

  if (self->disabled)
    return hv_kvm_verdict_new (HV_KVM_VERDICT_DISABLED,
                               "KVM is turned off by HOSTVISOR_NO_KVM");

  fd = open (self->device, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      struct stat st;

      switch (saved)
        {
        case ENOENT:
        case ENOTDIR:
        case ENODEV:
        case ENXIO:
          return verdict_printf (HV_KVM_VERDICT_MISSING,
                                 "KVM is not available: %s does not exist (the CPU has no "
                                 "virtualization support, it is turned off in the firmware, or "
                                 "the kvm module is not loaded)", self->device);
        case EACCES:
        case EPERM:
          {
            struct group *owner = stat (self->device, &st) == 0 ? getgrgid (st.st_gid) : NULL;
            HvKvmVerdict *verdict;

            verdict = verdict_printf (HV_KVM_VERDICT_NO_ACCESS,
                                      "KVM is present but this user may not use %s: join the "
                                      "group \"%s\" and log in again", self->device,
                                      owner != NULL ? owner->gr_name : "kvm");
            verdict->group = g_strdup (owner != NULL ? owner->gr_name : "kvm");
            return verdict;
          }
        default:
          return verdict_printf (HV_KVM_VERDICT_FAILED,
                                 "KVM is present but %s cannot be opened: %s", self->device,
                                 g_strerror (saved));
        }
    }
  close (fd);

  if (hv_kvm_probe_guest_image (&image_size) == NULL)
    return hv_kvm_verdict_new (HV_KVM_VERDICT_FAILED,
                               "KVM is present but could not run a test guest: this build has "
                               "none (it runs on x86-64 hosts only)");

  cache_path = g_build_filename (self->cache_dir, CACHE_FILE, NULL);
  return cache_read (cache_path, key);
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ProbeJob *job = task_data;
  g_autoptr(HvKvmRun) tcg = hv_kvm_run_new ();
  g_autoptr(HvKvmRun) kvm = hv_kvm_run_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) details = g_string_new (NULL);
  gsize image_size = 0;
  const guint8 *image = hv_kvm_probe_guest_image (&image_size);
  guint64 expected = hv_kvm_probe_expected_result ();
  guint budget_ms;
  HvKvmVerdict *verdict;

  if (!hv_file_replace_contents (job->image_path, (const char *) image, image_size, 0600, FALSE,
                                 &error))
    {
      verdict = verdict_printf (HV_KVM_VERDICT_FAILED,
                                "KVM could not be tested: the test guest cannot be written: %s",
                                error->message);
      g_task_return_pointer (task, verdict, (GDestroyNotify) hv_kvm_verdict_free);
      return;
    }

  hv_kvm_run_guest (job->qemu_binary, job->image_path, "tcg", TCG_START_TIMEOUT_MS,
                    TCG_WORK_TIMEOUT_MS, cancellable, tcg);
  budget_ms = hv_kvm_probe_kvm_budget_ms (tcg->n_marks == HV_KVM_RUN_N_MARKS ? work_us (tcg) : 0,
                                          job->max_kvm_ms);
  if (!tcg->cancelled)
    hv_kvm_run_guest (job->qemu_binary, job->image_path, "kvm", job->start_timeout_ms,
                      budget_ms, cancellable, kvm);
  g_unlink (job->image_path);
  if (g_task_return_error_if_cancelled (task))
    return;

  verdict = hv_kvm_probe_judge (kvm, tcg, expected);
  describe_run (details, "tcg", tcg);
  describe_run (details, "kvm", kvm);
  g_string_append_printf (details, "kvm deadline %u ms, expected result %016"
                          G_GINT64_MODIFIER "x", budget_ms, expected);
  verdict->details = g_string_free (g_steal_pointer (&details), FALSE);
  /* Without a cache the verdict still holds for this engine: the next one probes again. */
  if (!cache_write (job->cache_path, job->key, verdict, &error))
    {
      g_autofree char *more = g_strdup_printf ("%s\nthe verdict was not cached: %s",
                                               verdict->details, error->message);

      g_free (verdict->details);
      verdict->details = g_steal_pointer (&more);
    }
  g_task_return_pointer (task, verdict, (GDestroyNotify) hv_kvm_verdict_free);
}

static void
on_probe_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  HvKvmProbe *self = HV_KVM_PROBE (object);
  g_autoptr(GError) error = NULL;
  HvKvmVerdict *verdict = g_task_propagate_pointer (G_TASK (result), &error);

  g_clear_object (&self->cancellable);
  if (verdict != NULL)
    {
      set_verdict (self, verdict);
      return;
    }
  /* Cancelled: the waiters hear it; the next ensure starts again. */
  while (self->waiters->len > 0)
    {
      g_autoptr(GTask) task = g_ptr_array_steal_index (self->waiters, 0);

      g_task_return_error (task, g_error_copy (error));
    }
}

void
hv_kvm_probe_ensure_async (HvKvmProbe         *self,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) probe = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *work_dir = NULL;
  HvKvmVerdict *quick;
  ProbeJob *job;

  g_return_if_fail (HV_IS_KVM_PROBE (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hv_kvm_probe_ensure_async);
  if (self->verdict != NULL)
    {
      g_task_return_pointer (task, self->verdict, NULL);
      return;
    }
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  if (self->cancellable != NULL)
    return;  /* it runs: wait for it with the others */

  key = hv_kvm_probe_host_key (self->qemu_binary, self->qemu_version, self->device);
  quick = quick_verdict (self, key);
  if (quick != NULL)
    {
      set_verdict (self, quick);
      return;
    }

  work_dir = self->work_dir != NULL ? g_strdup (self->work_dir) : hv_paths_runtime_dir (&error);
  if (work_dir == NULL)
    {
      set_verdict (self, verdict_printf (HV_KVM_VERDICT_FAILED,
                                         "KVM could not be tested: %s", error->message));
      return;
    }

  job = g_new0 (ProbeJob, 1);
  job->qemu_binary = g_strdup (self->qemu_binary);
  job->image_path = g_build_filename (work_dir, IMAGE_FILE, NULL);
  job->cache_path = g_build_filename (self->cache_dir, CACHE_FILE, NULL);
  job->key = g_steal_pointer (&key);
  job->start_timeout_ms = self->start_timeout_ms;
  job->max_kvm_ms = self->max_kvm_ms;

  self->cancellable = g_cancellable_new ();
  probe = g_task_new (self, self->cancellable, on_probe_done, NULL);
  g_task_set_source_tag (probe, hv_kvm_probe_ensure_async);
  g_task_set_task_data (probe, job, (GDestroyNotify) probe_job_free);
  g_task_run_in_thread (probe, probe_thread);
}

const HvKvmVerdict *
hv_kvm_probe_ensure_finish (HvKvmProbe   *self,
                            GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hv_kvm_probe_cancel (HvKvmProbe *self)
{
  g_return_if_fail (HV_IS_KVM_PROBE (self));
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}
