/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench: prints how Hostvisor's engine and command line compare with plain QEMU doing the
 * same work (bench/README.md explains each figure).
 *
 * It is not a test: it asserts nothing about time, and its exit status only says whether it
 * could measure. Everything runs in a throw-away XDG environment under /tmp; the engine it
 * started is stopped and the directory removed at the end, on Ctrl-C too. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hv-bench.h"

Bench bench;
volatile sig_atomic_t interrupted;


/* ── Figure 1, Hostvisor's side: hostvisorctl start ────────────────────────────────────── */

typedef struct
{
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
  /* A start that failed ends the wait at once; one that succeeded leaves the guest booting. */
  return b->start->done && (b->start->error != NULL ||
                            !g_subprocess_get_successful (b->start->process));
}

static gboolean
vm_state_is_off (const char *name,
                 gboolean   *off,
                 GError    **error)
{
  g_autoptr(JsonObject) vm = ctl_show (name, error);
  const char *state;

  if (vm == NULL)
    return FALSE;
  state = json_string (vm, "state");
  *off = g_strcmp0 (state, "poweroff") == 0 || g_strcmp0 (state, "aborted") == 0;
  return TRUE;
}

/* Waits until the guest has powered itself off (hv.poweroff=1), or powers it off. */
static gboolean
engine_wait_off (const char *name,
                 GError    **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) POWEROFF_TIMEOUT_MS * 1000;
  gboolean off = FALSE;
  g_autofree char *out = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      if (!vm_state_is_off (name, &off, error))
        return FALSE;
      if (off)
        return TRUE;
      if (!sleep_ms (100))
        return fail (error, "Interrupted");
    }
  g_printerr ("hv-bench: the guest did not power off within %d s; powering it off\n",
              POWEROFF_TIMEOUT_MS / 1000);
  out = ctl_run (NULL, error, "poweroff", name, NULL);
  return out != NULL;
}

static gboolean
engine_boot_once (const char *serial_log,
                  double     *marker_s,
                  double     *start_s,
                  GError    **error)
{
  const char *argv[] = { bench.ctl, "start", BOOT_VM, NULL };
  EngineBoot b = { 0 };
  g_autoptr(Child) start = NULL;
  gint64 t0, t1;
  gboolean ok;

  log_watch_begin (&b.watch, serial_log);
  t0 = g_get_monotonic_time ();
  start = child_spawn (argv, error);
  if (start == NULL)
    {
      log_watch_end (&b.watch);
      return FALSE;
    }
  b.start = start;
  ok = wait_until (engine_boot_progress, &b, MARKER_POLL_MS, BOOT_TIMEOUT_MS, TRUE,
                   "the guest's marker", error);
  t1 = g_get_monotonic_time ();
  log_watch_end (&b.watch);

  if (!child_wait (start, 5 * 60 * 1000, ok ? error : NULL))
    ok = FALSE;
  if (ok && !child_check (start, argv, error))
    ok = FALSE;
  if (ok && !b.found)
    ok = fail (error, "The guest never printed \"%s\"", MARKER);
  if (!ok)
    return FALSE;

  *marker_s = (t1 - t0) / 1e6;
  *start_s = (start->end_us - t0) / 1e6;
  return engine_wait_off (BOOT_VM, error);
}

/* ── Figure 1: both sides, interleaved ─────────────────────────────────────────────────── */

static gboolean
bench_boot (GError **error)
{
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) vm = NULL;
  g_auto(GStrv) engine_argv = NULL;
  PlainQemu plain = { 0 };
  double marker_s, start_s;
  gboolean ok = FALSE;

  if (!bench_build_tiny_guest (HV_BENCH_GUEST_SCRIPT, HV_BENCH_GUEST_DIR, &kernel, &initrd,
                               error))
    return FALSE;

  out = ctl_run (NULL, error, "create", BOOT_VM, "--no-disk", "--memory", GUEST_MEMORY_MIB,
                 "--firmware", "bios", "--kernel", kernel, "--initrd", initrd,
                 "--cmdline", GUEST_CMDLINE, NULL);
  if (out == NULL || (vm = ctl_show (BOOT_VM, error)) == NULL)
    return FALSE;
  if (json_string (vm, "serial_log") == NULL || json_string (vm, "log") == NULL ||
      json_string (vm, "directory") == NULL)
    return fail (error, "hostvisorctl show --json lacks serial_log, log or directory");
  bench.accel = g_strdup (json_string (vm, "accel"));

  /* A first start of each, not counted: it fills the page cache and gives the argv. */
  g_printerr ("hv-bench: warm-up boot through the engine\n");
  if (!engine_boot_once (json_string (vm, "serial_log"), &marker_s, &start_s, error))
    return FALSE;
  engine_argv = argv_from_vm_log (json_string (vm, "log"), error);
  if (engine_argv == NULL ||
      !plain_qemu_prepare (&plain, engine_argv, json_string (vm, "directory"), error))
    goto out;
  if (bench.verbose)
    {
      g_autofree char *text = argv_text ((const char * const *) plain.argv);
      g_printerr ("hv-bench: plain QEMU argv%s:\n  %s\n",
                  plain.qmp_fd3 ? " (fd 3: a listening socket, as the engine passes it)" : "",
                  text);
    }
  g_printerr ("hv-bench: warm-up boot of plain QEMU\n");
  if (!plain_boot_once (&plain, &marker_s, error))
    goto out;

  for (int i = 0; i < bench.runs; i++)
    {
      double hv_s, qemu_s;

      if (!engine_boot_once (json_string (vm, "serial_log"), &hv_s, &start_s, error) ||
          !plain_boot_once (&plain, &qemu_s, error))
        goto out;
      g_array_append_val (bench.hv_boot_s, hv_s);
      g_array_append_val (bench.hv_start_s, start_s);
      g_array_append_val (bench.qemu_boot_s, qemu_s);
      g_printerr ("hv-bench: boot %d/%d: Hostvisor %.3f s (hostvisorctl start returned after "
                  "%.3f s), plain QEMU %.3f s\n", i + 1, bench.runs, hv_s, start_s, qemu_s);
    }
  ok = TRUE;

out:
  plain_qemu_clear (&plain);
  if (ok)
    {
      g_free (out);
      out = ctl_run (NULL, error, "delete", BOOT_VM, NULL);
      ok = out != NULL;
    }
  return ok;
}

/* ── Figures 2 and 3: memory and `hostvisorctl list` with many VMs ─────────────────────── */

/* Creating is not measured, so it goes through one D-Bus connection (CreateVm, as
 * `hostvisorctl create NAME --no-disk --memory 64` would call it) rather than one process per
 * VM. */
static gboolean
create_vms_dbus (int      first,
                 int      count,
                 GError **error)
{
  g_autofree char *path = g_build_filename (bench.runtime_dir, "hostvisor", "engine.sock", NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  gboolean ok = TRUE;

  stream = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (stream == NULL)
    return FALSE;
  bus = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                    NULL, NULL, error);
  if (bus == NULL)
    return FALSE;

  for (int i = first; i < first + count && ok; i++)
    {
      g_autofree char *name = g_strdup_printf ("bench%d", i + 1);
      g_autoptr(GVariant) reply = NULL;
      GVariantBuilder options;

      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&options, "{sv}", "no-disk", g_variant_new_boolean (TRUE));
      g_variant_builder_add (&options, "{sv}", "memory",
                             g_variant_new_uint64 (BENCH_VM_MEMORY_MIB));
      reply = g_dbus_connection_call_sync (bus, NULL, ENGINE_PATH, ENGINE_IFACE, "CreateVm",
                                           g_variant_new ("(sa{sv})", name, &options),
                                           G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                           60000, NULL, error);
      if (reply == NULL)
        ok = FALSE;
      else if (interrupted)
        ok = fail (error, "Interrupted");
    }

  /* Closed before the engine's memory is read, so that it can drop the connection. */
  g_dbus_connection_close_sync (bus, NULL, NULL);
  return ok;
}

static gboolean
create_vms (int      count,
            GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *memory = g_strdup_printf ("%d", BENCH_VM_MEMORY_MIB);
  gint64 t0 = g_get_monotonic_time ();

  if (count == 0)
    return TRUE;
  if (!create_vms_dbus (0, 1, &local_error))
    {
      /* The one-connection shortcut is not what is measured: if the engine's D-Bus API is not
       * as the bench expects, hostvisorctl itself does the work. */
      g_printerr ("hv-bench: creating over D-Bus failed (%s); using hostvisorctl create\n",
                  local_error->message);
      for (int i = 0; i < count; i++)
        {
          g_autofree char *name = g_strdup_printf ("bench%d", i + 1);
          g_autofree char *out = ctl_run (NULL, error, "create", name, "--no-disk", "--memory",
                                          memory, NULL);
          if (out == NULL)
            return FALSE;
        }
    }
  else if (!create_vms_dbus (1, count - 1, error))
    {
      return FALSE;
    }
  g_printerr ("hv-bench: created %d VMs in %.1f s\n", count,
              (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}

/* `hostvisorctl list --json` (starting the engine if none runs), checked to hold N VMs. */
static gboolean
list_expect (int      count,
             GError **error)
{
  g_autofree char *out = ctl_run (NULL, error, "list", "--json", NULL);
  g_autoptr(JsonNode) root = NULL;

  if (out == NULL || (root = parse_json (out, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return fail (error, "hostvisorctl list --json did not print an array");
  if (json_array_get_length (json_node_get_array (root)) != (guint) count)
    return fail (error, "hostvisorctl list --json shows %u VMs, not %d",
                 json_array_get_length (json_node_get_array (root)), count);
  return TRUE;
}

static gboolean
time_ctl (GArray     *ms,
          const char *arg,
          GError    **error)
{
  gint64 elapsed_us = 0;
  g_autofree char *out = ctl_run (&elapsed_us, error, arg, NULL);
  double value = elapsed_us / 1000.0;

  if (out == NULL)
    return FALSE;
  g_array_append_val (ms, value);
  return TRUE;
}

static gboolean
bench_library (GError **error)
{
  g_autofree char *warm = NULL;

  /* A fresh engine with an empty library: the baseline. */
  if (!list_expect (0, error) || !engine_memory (&bench.rss_idle_kib, NULL, error))
    return FALSE;
  g_printerr ("hv-bench: engine RSS with 0 VMs: %" G_GUINT64_FORMAT " KiB\n", bench.rss_idle_kib);

  if (!create_vms (bench.vms, error) || !engine_memory (&bench.rss_created_kib, NULL, error))
    return FALSE;

  /* What a user has most of the time: an engine that found the VMs when it started. */
  engine_stop ();
  if (!list_expect (bench.vms, error) ||
      !engine_memory (&bench.rss_loaded_kib, &bench.hwm_loaded_kib, error))
    return FALSE;

  /* One of each first, not counted, then interleaved so that noise falls on all three. */
  warm = ctl_run (NULL, error, "list", NULL);
  if (warm == NULL)
    return FALSE;
  for (int i = 0; i < LIST_RUNS; i++)
    {
      if (!time_ctl (bench.list_ms, "list", error) ||
          !time_ctl (bench.version_ms, "version", error) ||
          !time_ctl (bench.ctl_version_ms, "--version", error))
        return FALSE;
      if (interrupted)
        return fail (error, "Interrupted");
    }
  return TRUE;
}

/* ── The report ────────────────────────────────────────────────────────────────────────── */

static double
mb (guint64 kib)
{
  return kib * 1024.0 / 1e6;
}

static void
print_row (const char *figure,
           const char *value,
           const char *baseline,
           double      ratio,
           const char *target,
           int         met,
           const char *baseline_is)
{
  /* ratio 0: a figure with a baseline that could not be taken; < 0: a detail row. */
  g_autofree char *ratio_text = ratio > 0 ? g_strdup_printf ("%.3f", ratio)
                                          : g_strdup (ratio < 0 ? "" : "-");

  g_print ("%-44s %10s %10s %7s  %-9s %-4s %s\n", figure, value, baseline, ratio_text, target,
           met < 0 ? "" : met ? "yes" : "NO", baseline_is);
}

static char *
qemu_version (void)
{
  g_autofree char *out = NULL;
  char *nl;

  if (!g_spawn_command_line_sync ("qemu-system-x86_64 --version", &out, NULL, NULL, NULL) ||
      out == NULL)
    return g_strdup ("unknown");
  if ((nl = strchr (out, '\n')) != NULL)
    *nl = '\0';
  return g_steal_pointer (&out);
}

static void
print_report (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  g_autofree char *qemu = qemu_version ();
  struct utsname uts;

  uname (&uts);
  g_print ("\nHostvisor benchmark, %s: %s %s, %u CPUs, %s, accel %s\n\n", date, uts.sysname,
           uts.release, g_get_num_processors (), qemu,
           bench.accel != NULL ? bench.accel : (bench.kvm ? "kvm if usable" : "tcg"));
  g_print ("%-44s %10s %10s %7s  %-9s %-4s %s\n", "figure", "Hostvisor", "baseline", "ratio",
           "target", "met", "baseline is");

  if (bench.hv_boot_s->len > 0)
    {
      double hv = bench_median (bench.hv_boot_s), qemu_s = bench_median (bench.qemu_boot_s);
      g_autofree char *figure = g_strdup_printf ("start to guest marker (median of %u)",
                                                 bench.hv_boot_s->len);
      g_autofree char *v = g_strdup_printf ("%.3f s", hv);
      g_autofree char *b = g_strdup_printf ("%.3f s", qemu_s);
      g_autofree char *r = g_strdup_printf ("%.3f s", bench_median (bench.hv_start_s));

      print_row (figure, v, b, hv / qemu_s, "<= 1.05", hv / qemu_s <= 1.05,
                 "plain QEMU, same argv");
      print_row ("  of which `hostvisorctl start` returned", r, "", -1, "", -1,
                 "(VM running, guest booting)");
    }

  if (bench.rss_loaded_kib > 0)
    {
      g_autofree char *figure = g_strdup_printf ("engine RSS, %d VMs, fresh engine", bench.vms);
      g_autofree char *figure2 = g_strdup_printf ("engine RSS, %d VMs, after creating them",
                                                  bench.vms);
      g_autofree char *idle = g_strdup_printf ("%.1f MB", mb (bench.rss_idle_kib));
      g_autofree char *loaded = g_strdup_printf ("%.1f MB", mb (bench.rss_loaded_kib));
      g_autofree char *created = g_strdup_printf ("%.1f MB", mb (bench.rss_created_kib));
      g_autofree char *hwm = g_strdup_printf ("%.1f MB", mb (bench.hwm_loaded_kib));

      print_row (figure, loaded, idle, (double) bench.rss_loaded_kib / bench.rss_idle_kib,
                 "< 15 MB", mb (bench.rss_loaded_kib) < 15, "idle engine, 0 VMs");
      print_row (figure2, created, idle, (double) bench.rss_created_kib / bench.rss_idle_kib,
                 "< 15 MB", mb (bench.rss_created_kib) < 15, "idle engine, 0 VMs");
      print_row ("  peak RSS (VmHWM) of the fresh engine", hwm, "", -1, "", -1, "");
    }

  if (bench.list_ms->len > 0)
    {
      double list = bench_median (bench.list_ms), version = bench_median (bench.version_ms);
      g_autofree char *figure = g_strdup_printf ("hostvisorctl list, %d VMs (median of %u)",
                                                 bench.vms, bench.list_ms->len);
      g_autofree char *v = g_strdup_printf ("%.1f ms", list);
      g_autofree char *b = g_strdup_printf ("%.1f ms", version);
      g_autofree char *c = g_strdup_printf ("%.1f ms", bench_median (bench.ctl_version_ms));

      print_row (figure, v, b, list / version, "< 50 ms", list < 50, "hostvisorctl version");
      print_row ("hostvisorctl version (engine running)", b, c,
                 version / bench_median (bench.ctl_version_ms),
                 "", -1, "hostvisorctl --version");
      print_row ("hostvisorctl --version (no engine contact)", c, "", -1, "", -1,
                 "(process start only)");
    }
  g_print ("\nMB = 10^6 bytes (VmRSS is read in KiB). Targets are printed, not enforced.\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &bench.runs,
      "Boots of each kind, interleaved (default 5)", "N" },
    { "vms", 0, 0, G_OPTION_ARG_INT, &bench.vms,
      "VMs in the library for the memory and list figures (default 200)", "N" },
    { "skip-boot", 0, 0, G_OPTION_ARG_NONE, &bench.skip_boot,
      "Leave out the boot figure (no guest is built or booted)", NULL },
    { "kvm", 0, 0, G_OPTION_ARG_NONE, &bench.kvm,
      "Let the engine use KVM when /dev/kvm is usable (default: TCG)", NULL },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &bench.bindir,
      "Where hostvisorctl and hostvisord are (default: the build tree's app/)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &bench.verbose,
      "Also print the plain QEMU command line", NULL },
    { NULL }
  };
  gboolean ok;

  bench.runs = 5;
  bench.vms = 200;
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Prints Hostvisor's start time, engine memory and CLI latency "
                                "beside plain QEMU's (see bench/README.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench: %s\n", error->message);
      return 2;
    }
  if (argc > 1 || bench.runs < 1 || bench.runs > 1000 || bench.vms < 0 || bench.vms > 100000)
    {
      g_printerr ("hv-bench: --runs must be 1 to 1000, --vms 0 to 100000, and no arguments\n");
      return 2;
    }

  bench_catch_signals ();

  bench.hv_boot_s = g_array_new (FALSE, FALSE, sizeof (double));
  bench.qemu_boot_s = g_array_new (FALSE, FALSE, sizeof (double));
  bench.hv_start_s = g_array_new (FALSE, FALSE, sizeof (double));
  bench.list_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.version_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.ctl_version_ms = g_array_new (FALSE, FALSE, sizeof (double));

  ok = bench_env_setup (HV_BENCH_APP_DIR, &error);
  if (ok)
    g_printerr ("hv-bench: working in %s (removed at the end)\n", bench.tmp);
  if (ok && !bench.skip_boot)
    {
      ok = bench_boot (&error);
      /* The memory figures start from a fresh engine. */
      engine_stop ();
    }
  if (ok)
    ok = bench_library (&error);

  bench_env_cleanup ();
  if (!ok)
    g_printerr ("hv-bench: %s\n", error->message);
  if (bench.hv_boot_s->len > 0 || bench.list_ms->len > 0 || bench.rss_loaded_kib > 0)
    print_report ();
  return ok ? 0 : interrupted ? 130 : 1;
}

