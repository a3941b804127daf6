/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-kvm: what the engine's KVM verdict costs (bench/README.md, "hv-bench-kvm").
 *
 * Three figures, side by side: the verdict learned the first time in a boot (the test guest
 * under TCG, then under KVM up to its deadline), the verdict learned from the cache (what every
 * later engine of the boot pays), and the baseline, a plain QEMU start: the same machine
 * running a firmware that ends QEMU at its first instruction (what any VM start pays anyway).
 * It asserts nothing; its exit status only says whether it could measure. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hv-kvm-probe-guest.h"
#include "hv-kvm-probe-private.h"

static int runs = 5;
static int cached_runs = 50;
static char *device;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  if (values->len == 0)
    return 0;
  if (values->len % 2 == 1)
    return g_array_index (values, double, values->len / 2);
  return (g_array_index (values, double, values->len / 2 - 1) +
          g_array_index (values, double, values->len / 2)) / 2;
}

typedef struct {
  GMainLoop *loop;
  const HvKvmVerdict *verdict;
} Wait;

static void
on_ensured (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *wait = user_data;

  wait->verdict = hv_kvm_probe_ensure_finish (HV_KVM_PROBE (object), result, NULL);
  g_main_loop_quit (wait->loop);
}

/* One verdict, as the engine learns it; its time in ms. */
static double
time_verdict (const char    *qemu,
              const char    *dir,
              HvKvmVerdict **verdict_out)
{
  g_autofree char *cache_dir = g_build_filename (dir, "cache", NULL);
  HvKvmProbeOptions options = {
    .qemu_binary = qemu,
    .qemu_version = "bench",
    .device = device,
    .cache_dir = cache_dir,
    .work_dir = dir,
  };
  g_autoptr(HvKvmProbe) probe = NULL;
  Wait wait = { g_main_loop_new (NULL, FALSE), NULL };
  gint64 start = g_get_monotonic_time ();
  double ms;

  /* Making the probe is part of it: the engine makes one per start. */
  probe = hv_kvm_probe_new (&options);
  hv_kvm_probe_ensure_async (probe, on_ensured, &wait);
  g_main_loop_run (wait.loop);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  g_main_loop_unref (wait.loop);
  if (verdict_out != NULL && wait.verdict != NULL)
    *verdict_out = hv_kvm_verdict_copy (wait.verdict);
  return ms;
}

/* A plain QEMU start: the probe's machine with a firmware that ends QEMU at once
 * (mov al, 0x31; out 0xf4, al at the reset vector). */
static double
time_plain_qemu (const char *qemu,
                 const char *image)
{
  const char * const argv[] = {
    qemu, "-nodefaults", "-no-user-config", "-machine", "pc,accel=tcg", "-cpu", "qemu64",
    "-m", "16", "-display", "none", "-bios", image,
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-no-reboot", NULL
  };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  if (process == NULL || !g_subprocess_wait (process, NULL, &error))
    {
      g_printerr ("hv-bench-kvm: %s\n", error->message);
      return -1;
    }
  if (!g_subprocess_get_if_exited (process) ||
      g_subprocess_get_exit_status (process) != ((HV_KVM_PROBE_EXIT_OK << 1) | 1))
    {
      g_printerr ("hv-bench-kvm: the plain QEMU did not run its firmware\n");
      return -1;
    }
  return (g_get_monotonic_time () - start) / 1000.0;
}

static gboolean
write_exit_image (const char *path)
{
  static const guint8 code[] = { 0xb0, HV_KVM_PROBE_EXIT_OK, 0xe6, HV_KVM_PROBE_EXIT_PORT,
                                 0xf4, 0xeb, 0xfd };
  g_autofree guint8 *image = g_malloc0 (65536);
  g_autoptr(GError) error = NULL;

  memcpy (image + 0xfff0, code, sizeof code);
  if (!g_file_set_contents (path, (const char *) image, 65536, &error))
    {
      g_printerr ("hv-bench-kvm: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "First-time verdicts and plain QEMU starts (5)",
      "N" },
    { "cached-runs", 0, 0, G_OPTION_ARG_INT, &cached_runs, "Verdicts from the cache (50)", "N" },
    { "device", 0, 0, G_OPTION_ARG_FILENAME, &device, "The KVM node (/dev/kvm)", "PATH" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the KVM verdict's cost");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cached = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) plain = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(HvKvmVerdict) verdict = NULL;
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *dir = NULL;
  g_autofree char *exit_image = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *cache_dir = NULL;
  gsize size = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-kvm: %s\n", error->message);
      return 2;
    }
  if (qemu == NULL || hv_kvm_probe_guest_image (&size) == NULL || runs < 1 || cached_runs < 1)
    {
      g_printerr ("hv-bench-kvm: %s\n", qemu == NULL ? "qemu-system-x86_64 is not installed"
                                       : runs < 1 || cached_runs < 1 ? "runs must be at least 1"
                                       : "this build has no KVM test guest");
      return 1;
    }
  dir = g_dir_make_tmp ("hvbk.XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("hv-bench-kvm: %s\n", error->message);
      return 1;
    }
  exit_image = g_build_filename (dir, "exit.bin", NULL);
  cache_dir = g_build_filename (dir, "cache", NULL);
  cache = g_build_filename (cache_dir, "kvm-verdict", NULL);
  if (!write_exit_image (exit_image))
    return 1;

  /* One of each first, not counted: page cache, QEMU's first start. */
  time_plain_qemu (qemu, exit_image);
  g_unlink (cache);
  time_verdict (qemu, dir, NULL);
  for (int i = 0; i < runs; i++)
    {
      double plain_ms = time_plain_qemu (qemu, exit_image);
      double first_ms;

      if (plain_ms < 0)
        return 1;
      g_array_append_val (plain, plain_ms);
      g_unlink (cache);
      g_clear_pointer (&verdict, hv_kvm_verdict_free);
      first_ms = time_verdict (qemu, dir, &verdict);
      g_array_append_val (first, first_ms);
      g_printerr ("run %d: plain QEMU %.1f ms, first verdict %.1f ms\n", i + 1, plain_ms, first_ms);
    }
  /* Verdicts found without the test guest (no /dev/kvm, no access) are never cached. */
  if (verdict->code == HV_KVM_VERDICT_MISSING || verdict->code == HV_KVM_VERDICT_NO_ACCESS)
    cached_runs = 0;
  for (int i = 0; i < cached_runs; i++)
    {
      g_autoptr(HvKvmVerdict) again = NULL;
      double ms = time_verdict (qemu, dir, &again);

      if (again == NULL || !again->cached)
        {
          g_printerr ("hv-bench-kvm: the verdict was not %s\n",
                      again == NULL ? "learned" : "taken from the cache");
          break;
        }
      g_array_append_val (cached, ms);
    }

  g_print ("KVM verdict here: %s: %s\n\n", hv_kvm_verdict_code_to_string (verdict->code),
           verdict->reason);
  g_print ("| figure | time | baseline | ratio |\n|---|---|---|---|\n");
  g_print ("| plain QEMU start to exit (median of %d) | %.1f ms | | |\n", runs, median (plain));
  g_print ("| KVM verdict, first in a boot: %s (median of %d) | %.1f ms | %.1f ms | %.2f |\n",
           verdict->details != NULL ? "the test guest" : "no test guest needed", runs,
           median (first), median (plain), median (first) / median (plain));
  if (cached->len > 0)
    g_print ("| KVM verdict, later engines: the cache (median of %u) | %.3f ms | %.1f ms "
             "| %.4f |\n", cached->len, median (cached), median (plain),
             median (cached) / median (plain));

  g_unlink (cache);
  g_rmdir (cache_dir);
  g_unlink (exit_image);
  g_rmdir (dir);
  return cached->len == (guint) cached_runs ? 0 : 1;
}
