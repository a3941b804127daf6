/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-guest: prints what the guest tools cost (bench/README.md, "hv-bench-guest"):
 * shared-folder throughput in a real guest beside the same work on the host's disk, and the
 * clipboard's round trip through the engine.
 *
 * It is not a test: it asserts nothing about time, and its exit status only says whether it
 * could measure. Everything runs in a throw-away XDG environment under /tmp; the engine it
 * started is stopped and the directories removed at the end, on Ctrl-C too. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "hv-bench-guest.h"

Bench bench;
GuestBench gb;
volatile sig_atomic_t interrupted;

static const char * const loc_names[N_LOCS] = { "host disk", "guest 9p share", "guest RAM" };


/* ── The guest ─────────────────────────────────────────────────────────────────────────── */

static gboolean
build_guest (char  **kernel,
             char  **initrd,
             GError **error)
{
  g_autofree char *init = g_build_filename (bench.tmp, "extra-init", NULL);
  g_autofree char *agent_arg = g_strdup_printf ("%s:/usr/sbin/hostvisor-agent", HV_BENCH_AGENT);
  g_autofree char *init_arg = g_strdup_printf ("%s:/hv-extra-init", init);
  const char *argv[] = { "bash", HV_BENCH_GUEST_SCRIPT, HV_BENCH_GUEST_AGENT_DIR,
                         "--extra-file", agent_arg, "--extra-file", init_arg, NULL };
  /* The agent's log stays off the console, whose output the bench parses. */
  const char *init_text = "#!/bin/sh\nmkdir -p /tmp\n"
                          "exec /usr/sbin/hostvisor-agent --foreground >/tmp/agent.log 2>&1\n";
  g_autoptr(Child) c = NULL;

  if (!g_file_test (HV_BENCH_AGENT, G_FILE_TEST_IS_EXECUTABLE))
    return fail (error, "%s is missing: build it first (ninja -C BUILDDIR)", HV_BENCH_AGENT);
  if (!g_file_set_contents (init, init_text, -1, error) || g_chmod (init, 0755) != 0)
    return FALSE;
  g_printerr ("hv-bench-guest: building the tiny guest with the agent in %s\n",
              HV_BENCH_GUEST_AGENT_DIR);
  c = child_spawn (argv, error);
  if (c == NULL || !child_wait (c, 10 * 60 * 1000, error) || !child_check (c, argv, error))
    return FALSE;
  *kernel = g_build_filename (HV_BENCH_GUEST_AGENT_DIR, "vmlinuz", NULL);
  *initrd = g_build_filename (HV_BENCH_GUEST_AGENT_DIR, "initrd.img", NULL);
  return TRUE;
}

/* Makes the VM the one that the serial console and the clipboard calls go to. */
gboolean
find_vm (const char *name,
         GError    **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (gb.bus, NULL, ENGINE_PATH, ENGINE_IFACE, "FindVm",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NONE, 30000, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_clear_pointer (&gb.vm_path, g_free);
  g_variant_get (reply, "(o)", &gb.vm_path);
  return TRUE;
}

/* One connection to the engine for the whole run: the serial console, properties and the
 * clipboard calls go through it. */
static gboolean
engine_connect (GError **error)
{
  g_autofree char *path = g_build_filename (bench.runtime_dir, "hostvisor", "engine.sock", NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) stream = NULL;

  stream = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (stream == NULL)
    return FALSE;
  gb.bus = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                       NULL, NULL, error);
  return gb.bus != NULL && find_vm (VM_NAME, error);
}

typedef struct
{
  gboolean agent;
  gboolean mounted;
  char *share_state;
} Readiness;

static gboolean
vm_readiness (Readiness *r,
              GError   **error)
{
  g_autoptr(JsonObject) vm = ctl_show (VM_NAME, error);
  JsonObject *agent;
  JsonArray *shares;
  const char *state;

  if (vm == NULL)
    return FALSE;
  state = json_string (vm, "state");
  if (g_strcmp0 (state, "running") != 0)
    return fail (error, "The VM is %s, not running", state != NULL ? state : "in no state");
  agent = json_object_get_object_member (vm, "agent");
  r->agent = agent != NULL && json_object_get_boolean_member_with_default (agent, "connected",
                                                                           FALSE);
  shares = json_object_get_array_member (vm, "shares");
  for (guint i = 0; shares != NULL && i < json_array_get_length (shares); i++)
    {
      JsonObject *share = json_array_get_object_element (shares, i);

      if (share != NULL && g_strcmp0 (json_string (share, "name"), SHARE_NAME) == 0)
        {
          g_free (r->share_state);
          r->share_state = g_strdup (json_string (share, "status"));
          if (g_strcmp0 (r->share_state, "failed") == 0)
            return fail (error, "The agent could not mount the share: %s",
                         json_string (share, "status_detail"));
          r->mounted = g_strcmp0 (r->share_state, "mounted") == 0;
        }
    }
  return TRUE;
}

/* Waits until the agent is connected and has mounted the share: nothing is typed in the
 * guest for that, as a user would have it. */
static gboolean
wait_ready (GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  Readiness r = { 0 };

  for (;;)
    {
      if (!vm_readiness (&r, error))
        break;
      if (r.agent && r.mounted)
        {
          g_printerr ("hv-bench-guest: agent connected, share mounted %.1f s after start\n",
                      (g_get_monotonic_time () - t0) / 1e6);
          g_free (r.share_state);
          return TRUE;
        }
      if (g_get_monotonic_time () - t0 > (gint64) READY_TIMEOUT_MS * 1000)
        {
          fail (error, "After %d s the agent is %sconnected and the share %s", READY_TIMEOUT_MS
                / 1000, r.agent ? "" : "not ", r.share_state ? r.share_state : "not reported");
          break;
        }
      if (!sleep_ms (500))
        {
          fail (error, "Interrupted");
          break;
        }
    }
  g_free (r.share_state);
  return FALSE;
}

/* ── The serial console ────────────────────────────────────────────────────────────────── */

gboolean
serial_open (GError **error)
{
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = NULL;
  gint32 index;

  reply = g_dbus_connection_call_with_unix_fd_list_sync (gb.bus, NULL, gb.vm_path, VM_IFACE,
                                                         "OpenSerial", NULL,
                                                         G_VARIANT_TYPE ("(h)"),
                                                         G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
                                                         &fds, NULL, error);
  if (reply == NULL)
    return FALSE;
  if (gb.serial >= 0)
    close (gb.serial);
  g_string_truncate (gb.serial_text, 0);
  g_variant_get (reply, "(h)", &index);
  if (fds == NULL || (gb.serial = g_unix_fd_list_get (fds, index, error)) < 0)
    return fds == NULL ? fail (error, "OpenSerial returned no file descriptor") : FALSE;
  return g_unix_set_fd_nonblocking (gb.serial, TRUE, error);
}

typedef struct
{
  gsize from;
  const char *end;
  gboolean closed;
} SerialWait;

/* Reads what the guest printed; done when the end marker is among what came after `from`. */
static gboolean
serial_has_end (gpointer data)
{
  SerialWait *w = data;
  char buf[8192];
  ssize_t n;

  while ((n = read (gb.serial, buf, sizeof buf)) > 0)
    g_string_append_len (gb.serial_text, buf, n);
  if (n == 0)
    w->closed = TRUE;
  return w->closed || strstr (gb.serial_text->str + w->from, w->end) != NULL;
}

static gboolean
serial_write (const char *text,
              GError    **error)
{
  gsize len = strlen (text), done = 0;

  while (done < len)
    {
      ssize_t n = write (gb.serial, text + done, len - done);

      if (n > 0)
        done += n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        return fail (error, "Cannot write to the serial console: %s", g_strerror (errno));
      else if (interrupted)
        return fail (error, "Interrupted");
      else
        g_usleep (1000);
    }
  return TRUE;
}

/* Runs a shell command line on the guest's console and returns what it printed between two
 * markers. The markers are split in the typed line ("@@B""EGIN"), so that the shell's echo of
 * the line never matches them. */
char *
guest_run (const char *script,
           guint       timeout_ms,
           GError    **error)
{
  guint n = ++gb.serial_seq;
  g_autofree char *begin = g_strdup_printf ("@@BEGIN-%u@@", n);
  g_autofree char *end = g_strdup_printf ("@@END-%u@@", n);
  g_autofree char *line = g_strdup_printf ("echo '@@B''EGIN-%u@@'; %s; cd /; echo '@@E''ND-%u@@'\n",
                                           n, script, n);
  SerialWait w = { .from = gb.serial_text->len, .end = end };
  g_autoptr(GString) out = g_string_new (NULL);
  const char *b, *e;

  if (!serial_write (line, error) ||
      !wait_until (serial_has_end, &w, 2, timeout_ms, TRUE, "the guest's answer", error))
    return NULL;
  if (w.closed)
    {
      fail (error, "The serial console closed (did the guest stop?)");
      return NULL;
    }
  b = strstr (gb.serial_text->str + w.from, begin);
  e = strstr (gb.serial_text->str + w.from, end);
  if (b == NULL || b > e)
    {
      fail (error, "The guest's answer to \"%s\" lacks its begin marker", script);
      return NULL;
    }
  for (const char *p = b + strlen (begin); p < e; p++)
    if (*p != '\r')
      g_string_append_c (out, *p);
  /* What was read is kept only until it has been answered. */
  g_string_erase (gb.serial_text, 0, (e - gb.serial_text->str) + strlen (end));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The guest's shell may still be starting, or have half a line typed: a few tries. */
gboolean
guest_probe (GError **error)
{
  for (int i = 0; i < 6; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *out = NULL;

      if (!serial_write ("\n", error))
        return FALSE;
      out = guest_run ("echo hvb-$((6 * 7))", 10000, &local_error);
      if (out != NULL && strstr (out, "hvb-42") != NULL)
        return TRUE;
      if (interrupted)
        return fail (error, "Interrupted");
    }
  return fail (error, "The guest's console shell does not answer");
}

/* ── Running the same shell commands on both sides ─────────────────────────────────────── */

/* The host runs the guest's busybox (the same binary), with only its applets on PATH, so that
 * both sides run the very same commands. */
static char *
host_run (const char *script,
          GError    **error)
{
  g_autofree char *full = g_strdup_printf ("PATH=%s; %s", gb.bin_dir, script);
  const char *argv[] = { gb.busybox, "sh", "-c", full, NULL };
  g_autoptr(Child) c = child_spawn (argv, error);

  if (c == NULL || !child_wait (c, GUEST_COMMAND_TIMEOUT_MS, error))
    return NULL;
  /* The status is in the output ("rc=N"): the script ends with an echo. */
  if (c->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&c->error));
      return NULL;
    }
  return g_steal_pointer (&c->out);
}

static char *
run_on (Loc         loc,
        const char *script,
        GError    **error)
{
  return loc == LOC_HOST ? host_run (script, error)
                         : guest_run (script, GUEST_COMMAND_TIMEOUT_MS, error);
}

static const char *
loc_dir (Loc loc)
{
  return loc == LOC_HOST ? gb.share_dir : loc == LOC_SHARE ? GUEST_SHARE_DIR : GUEST_RAM_DIR;
}

static const char *
loc_scratch (Loc loc)
{
  return loc == LOC_HOST ? gb.scratch : GUEST_SCRATCH;
}

/* Runs an untimed command in the location's directory; it must succeed. */
static gboolean
untimed (Loc         loc,
         const char *body,
         GError    **error)
{
  g_autofree char *script = g_strdup_printf ("cd %s && { %s; }; echo rc=$?", loc_dir (loc), body);
  g_autofree char *out = run_on (loc, script, error);

  if (out == NULL)
    return FALSE;
  if (strstr (out, "rc=0") == NULL)
    return fail (error, "On the %s, \"%s\" failed: %s", loc_names[loc], body, g_strstrip (out));
  return TRUE;
}

/* The time between two `adjtimex` prints (the clock in microseconds: busybox `date` has no
 * %N, /proc/uptime only 10 ms). The same script runs on the host and in the guest; what the
 * clock reads cost is measured with an empty body and subtracted. */
static gboolean
timed_raw (Loc         loc,
           const char *body,
           double     *seconds,
           GError    **error)
{
  const char *s = loc_scratch (loc);
  g_autofree char *script = g_strdup_printf (
    "cd %s && adjtimex >%s/hvb-t0 && { %s; } >/dev/null 2>%s/hvb-err; r=$?; "
    "adjtimex >%s/hvb-t1; grep -h 'time.tv_' %s/hvb-t0 %s/hvb-t1; echo rc=$r; "
    "[ $r = 0 ] || head -c 300 %s/hvb-err",
    loc_dir (loc), s, body, s, s, s, s, s);
  g_autofree char *out = run_on (loc, script, error);
  g_auto(GStrv) lines = NULL;
  gint64 v[4];
  guint found = 0;

  if (out == NULL)
    return FALSE;
  if (strstr (out, "rc=0") == NULL)
    return fail (error, "On the %s, \"%s\" failed: %s", loc_names[loc], body, g_strstrip (out));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL && found < 4; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (strstr (lines[i], "time.tv_") != NULL && colon != NULL)
        v[found++] = g_ascii_strtoll (colon + 1, NULL, 10);
    }
  if (found != 4)
    return fail (error, "On the %s, adjtimex printed no time: %s", loc_names[loc], out);
  *seconds = (v[2] - v[0]) + (v[3] - v[1]) / 1e6;
  return TRUE;
}

static gboolean
timed (Loc         loc,
       const char *body,
       double     *seconds,
       GError    **error)
{
  double raw;

  if (!timed_raw (loc, body, &raw, error))
    return FALSE;
  *seconds = MAX (raw - gb.overhead_s[loc], 1e-6);
  return TRUE;
}

/* What the clock reads themselves cost on each side: the median of empty bodies. */
static gboolean
measure_overhead (Loc      loc,
                  GError **error)
{
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 0; i < 7; i++)
    {
      double s;

      if (!timed_raw (loc, ":", &s, error))
        return FALSE;
      g_array_append_val (values, s);
    }
  gb.overhead_s[loc] = bench_median (values);
  return TRUE;
}

/* How much of a host file is in the page cache (mincore), so that the report can say whether
 * the reads came from the disk. */
static double
cached_fraction (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  gsize pages, resident = 0;
  long page = sysconf (_SC_PAGESIZE);
  unsigned char *vec;
  void *map;

  if (fd < 0 || fstat (fd, &st) != 0 || st.st_size == 0)
    {
      if (fd >= 0)
        close (fd);
      return 0;
    }
  map = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    return 0;
  pages = (st.st_size + page - 1) / page;
  vec = g_malloc (pages);
  if (mincore (map, st.st_size, vec) == 0)
    for (gsize i = 0; i < pages; i++)
      resident += vec[i] & 1;
  g_free (vec);
  munmap (map, st.st_size);
  return (double) resident / pages;
}

/* Drops the host's cached pages of one file (root's drop_caches is not for a shared machine,
 * and may be refused in a container): written back, then let go. */
static void
host_drop_file (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return;
  fdatasync (fd);
  posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
  close (fd);
}

/* Before a read: the guest forgets its page cache (for 9p with cache=none there is little;
 * a RAM file system keeps its pages, which are its storage), and the host drops the file. */
static gboolean
drop_caches (Loc      loc,
             GError **error)
{
  g_autofree char *big = g_build_filename (gb.share_dir, "big", NULL);

  if (loc != LOC_HOST && !untimed (loc, "sync; echo 3 > /proc/sys/vm/drop_caches", error))
    return FALSE;
  if (loc != LOC_GUEST_RAM)
    {
      host_drop_file (big);
      gb.max_cached_fraction = MAX (gb.max_cached_fraction, cached_fraction (big));
    }
  return TRUE;
}

static gboolean
share_run_once (Loc      loc,
                GError **error)
{
  g_autofree char *write_cmd = g_strdup_printf ("dd if=/dev/zero of=big bs=1M count=%d "
                                                "conv=fsync", gb.size_mib);
  g_autofree char *create_cmd = g_strdup_printf ("cd files && i=0; while [ $i -lt %d ]; do "
                                                 "echo x > f$i; i=$((i + 1)); done", gb.files);
  double w, r, c;

  if (!untimed (loc, "rm -rf big files", error) ||
      !timed (loc, write_cmd, &w, error) ||
      !drop_caches (loc, error) ||
      !timed (loc, "dd if=big of=/dev/null bs=1M", &r, error) ||
      !untimed (loc, "rm -f big; mkdir files", error) ||
      !timed (loc, create_cmd, &c, error) ||
      !untimed (loc, "rm -rf big files", error))
    return FALSE;
  g_array_append_val (gb.write_s[loc], w);
  g_array_append_val (gb.read_s[loc], r);
  g_array_append_val (gb.create_s[loc], c);
  g_printerr ("hv-bench-guest:   %-15s write %7.1f MB/s  read %7.1f MB/s  %8.0f files/s\n",
              loc_names[loc], gb.size_mib * 1048576.0 / 1e6 / w,
              gb.size_mib * 1048576.0 / 1e6 / r, gb.files / c);
  return TRUE;
}

/* The guest's clock is the one that times the guest's side: checked once against the host's
 * over a `sleep 1`, timed in the guest and as a round trip from the host. */
static gboolean
check_guest_clock (GError **error)
{
  gint64 t0 = g_get_monotonic_time ();

  if (!timed (LOC_SHARE, "sleep 1", &gb.clock_guest_s, error))
    return FALSE;
  gb.clock_host_s = (g_get_monotonic_time () - t0) / 1e6;
  return TRUE;
}

static gboolean
bench_shares (GError **error)
{
  g_autofree char *mkdirs = g_strdup_printf ("mkdir -p %s %s", GUEST_RAM_DIR, GUEST_SCRATCH);
  g_autofree char *out = NULL;

  out = guest_run (mkdirs, 30000, error);
  g_free (out);
  out = guest_run ("uname -r", 30000, error);
  if (out == NULL)
    return FALSE;
  gb.guest_kernel = g_strdup (g_strstrip (out));

  for (Loc loc = 0; loc < N_LOCS; loc++)
    if (!measure_overhead (loc, error))
      return FALSE;
  g_printerr ("hv-bench-guest: the clock reads cost %.2f ms on the host, %.2f ms in the guest\n",
              gb.overhead_s[LOC_HOST] * 1e3, gb.overhead_s[LOC_SHARE] * 1e3);
  gb.overhead_s[LOC_GUEST_RAM] = gb.overhead_s[LOC_SHARE] =
    MIN (gb.overhead_s[LOC_SHARE], gb.overhead_s[LOC_GUEST_RAM]);
  if (!check_guest_clock (error))
    return FALSE;

  /* One run of each first, not counted (it fills the page caches of the programs and the
   * guest's dentries), then the runs, the order of the sides turning each time. */
  g_printerr ("hv-bench-guest: warm-up run\n");
  for (Loc loc = 0; loc < N_LOCS; loc++)
    if (!share_run_once (loc, error))
      return FALSE;
  for (Loc loc = 0; loc < N_LOCS; loc++)
    {
      g_array_set_size (gb.write_s[loc], 0);
      g_array_set_size (gb.read_s[loc], 0);
      g_array_set_size (gb.create_s[loc], 0);
    }
  gb.max_cached_fraction = 0;

  for (int i = 0; i < gb.runs; i++)
    {
      g_printerr ("hv-bench-guest: run %d/%d\n", i + 1, gb.runs);
      for (int k = 0; k < N_LOCS; k++)
        if (!share_run_once ((i + k) % N_LOCS, error))
          return FALSE;
    }
  return TRUE;
}

/* ── The report ────────────────────────────────────────────────────────────────────────── */

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
print_share_row (const char *figure,
                 GArray    **seconds,
                 double      amount)
{
  double rate[N_LOCS];
  char text[N_LOCS][32];

  for (Loc loc = 0; loc < N_LOCS; loc++)
    {
      rate[loc] = seconds[loc]->len > 0 ? amount / bench_median (seconds[loc]) : 0;
      g_snprintf (text[loc], sizeof text[loc], rate[loc] > 0 ? "%.1f" : "-", rate[loc]);
    }
  g_print ("%-34s %11s %11s %8.3f %11s %8.3f\n", figure, text[LOC_HOST], text[LOC_SHARE],
           rate[LOC_HOST] > 0 ? rate[LOC_SHARE] / rate[LOC_HOST] : 0, text[LOC_GUEST_RAM],
           rate[LOC_GUEST_RAM] > 0 ? rate[LOC_SHARE] / rate[LOC_GUEST_RAM] : 0);
}

static void
print_report (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  g_autofree char *qemu = qemu_version ();
  double mb = gb.size_mib * 1048576.0 / 1e6;
  struct utsname uts;

  uname (&uts);
  g_print ("\nHostvisor guest tools benchmark, %s: %s %s, %u CPUs, %s, TCG\n", date,
           uts.sysname, uts.release, g_get_num_processors (), qemu);

  if (gb.write_s[LOC_SHARE]->len > 0)
    {
      g_autofree char *w = g_strdup_printf ("sequential write, %d MiB (MB/s)", gb.size_mib);
      g_autofree char *r = g_strdup_printf ("sequential read, %d MiB (MB/s)", gb.size_mib);
      g_autofree char *c = g_strdup_printf ("files created, %d (files/s)", gb.files);

      g_print ("\nShared folder (9p, virtio, msize 256 KiB), median of %u runs; "
               "guest kernel %s\n\n",
               gb.write_s[LOC_SHARE]->len, gb.guest_kernel ? gb.guest_kernel : "?");
      g_print ("%-34s %11s %11s %8s %11s %8s\n", "figure", "host disk", "guest 9p", "9p/host",
               "guest RAM", "9p/RAM");
      print_share_row (w, gb.write_s, mb);
      print_share_row (r, gb.read_s, mb);
      print_share_row (c, gb.create_s, gb.files);
      g_print ("\nThe same busybox commands on both sides, in the shared folder itself on the host "
               "(%s):\n"
               "  write: dd if=/dev/zero of=big bs=1M count=%d conv=fsync (flushed to the disk)\n"
               "  read:  dd if=big of=/dev/null bs=1M, after the guest's drop_caches and the\n"
               "         host's posix_fadvise(DONTNEED) of the file (at most %.0f%% of it was "
               "still cached)\n"
               "  files: a shell loop of `echo x > f$i` (no process per file, no sync)\n"
               "Timed on each side by its own clock (adjtimex, 1 us), minus the clock reads' own "
               "cost\n"
               "(%.2f ms on the host, %.2f ms in the guest). The guest's clock measured a "
               "`sleep 1` as\n"
               "%.3f s (%.3f s round trip from the host). \"guest RAM\" is the guest's initramfs: "
               "the\n"
               "same work without 9p, so 9p/RAM is 9p's own cost and RAM/host is TCG's.\n",
               gb.share_dir, gb.size_mib, gb.max_cached_fraction * 100,
               gb.overhead_s[LOC_HOST] * 1e3, gb.overhead_s[LOC_SHARE] * 1e3, gb.clock_guest_s,
               gb.clock_host_s);
    }

  if (gb.prop_ms->len > 0)
    {
      double base = bench_median (gb.prop_ms);

      g_print ("\nClipboard through the engine (D-Bus, one connection), median of %u rounds\n\n",
               gb.prop_ms->len);
      g_print ("%-44s %10s %10s %7s  %s\n", "figure", "time", "baseline", "ratio", "baseline is");
      for (guint i = 0; i < N_CLIP_SIZES; i++)
        {
          g_autofree char *figure = NULL;
          double ms;

          if (gb.clip_ms[i]->len == 0)
            continue;
          ms = bench_median (gb.clip_ms[i]);
          figure = gb.clip_sizes[i] >= 1024
            ? g_strdup_printf ("SetClipboard + GetClipboard, %" G_GSIZE_FORMAT " KiB text",
                               gb.clip_sizes[i] / 1024)
            : g_strdup_printf ("SetClipboard + GetClipboard, %" G_GSIZE_FORMAT " B text",
                               gb.clip_sizes[i]);
          g_print ("%-44s %7.2f ms %7.2f ms %7.1f  %s\n", figure, ms, base, ms / base,
                   "Properties.Get (one call)");
        }
      if (gb.x11_ms != NULL && gb.x11_ms->len > 0)
        g_print ("%-44s %7.0f ms\n", "host -> guest X11 -> host (xclip loop)",
                 bench_median (gb.x11_ms));
      g_print ("\nThe SetClipboard rows are the engine's side only: the tiny guest has no X11, so "
               "its agent\nhas no clipboard to give the text to or take it from (the agent is "
               "connected, mode \"both\").\n");
      if (gb.x11_note != NULL)
        g_print ("Guest round trip: %s\n", gb.x11_note);
    }
}

/* ── Setup and cleanup ─────────────────────────────────────────────────────────────────── */

/* The shared folder needs user extended attributes (9p's mapped-xattr keeps the guest's
 * owners and modes in them): a disk, not tmpfs. By default it goes into the build tree. */
static gboolean
make_share_dir (GError **error)
{
  g_autofree char *parent = gb.share_parent != NULL ? g_canonicalize_filename (gb.share_parent,
                                                                               NULL)
                                                    : bench_self_dir ();

  gb.share_dir = g_build_filename (parent, "hvb-share.XXXXXX", NULL);
  if (g_mkdtemp (gb.share_dir) == NULL)
    {
      g_autofree char *dir = g_steal_pointer (&gb.share_dir);
      return fail (error, "Cannot create %s: %s", dir, g_strerror (errno));
    }
  if (setxattr (gb.share_dir, "user.hvbench", "1", 1, 0) != 0)
    return fail (error, "%s has no user extended attributes (%s), which 9p needs: "
                 "pass --share-dir on a disk", parent, g_strerror (errno));
  removexattr (gb.share_dir, "user.hvbench");
  return TRUE;
}

/* A directory of links to the guest's busybox, the host side's only PATH. */
static gboolean
make_bin_dir (GError **error)
{
  const char *applets[] = { "sh", "dd", "adjtimex", "grep", "head", "rm", "mkdir", "sync",
                            "sleep", NULL };

  gb.busybox = g_strdup ("/bin/busybox");
  if (!g_file_test (gb.busybox, G_FILE_TEST_IS_EXECUTABLE))
    return fail (error, "%s is missing (the Debian package busybox-static)", gb.busybox);
  gb.bin_dir = g_build_filename (bench.tmp, "bin", NULL);
  gb.scratch = g_build_filename (bench.tmp, "scratch", NULL);
  if (g_mkdir (gb.bin_dir, 0700) != 0 || g_mkdir (gb.scratch, 0700) != 0)
    return fail (error, "Cannot create %s: %s", gb.bin_dir, g_strerror (errno));
  for (guint i = 0; applets[i] != NULL; i++)
    {
      g_autofree char *link = g_build_filename (gb.bin_dir, applets[i], NULL);

      if (symlink (gb.busybox, link) != 0)
        return fail (error, "Cannot create %s: %s", link, g_strerror (errno));
    }
  return TRUE;
}

static gboolean
setup (GError **error)
{
  if (!bench_env_setup (HV_BENCH_APP_DIR, error))
    return FALSE;
  return make_bin_dir (error) && make_share_dir (error);
}

static void
cleanup (void)
{
  if (gb.serial >= 0)
    close (gb.serial);
  gb.serial = -1;
  if (gb.bus != NULL)
    g_dbus_connection_close_sync (gb.bus, NULL, NULL);
  g_clear_object (&gb.bus);
  if (bench.tmp != NULL)
    engine_stop ();
  bench_remove_tree (gb.share_dir);
  bench_remove_tree (bench.tmp);
}

static gboolean
start_vm (GError **error)
{
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *memory = g_strdup_printf ("%d", MAX (256, 192 + 2 * gb.size_mib));
  g_autofree char *out = NULL;

  if (!build_guest (&kernel, &initrd, error))
    return FALSE;
  out = ctl_run (NULL, error, "create", VM_NAME, "--no-disk", "--memory", memory,
                 "--firmware", "bios", "--kernel", kernel, "--initrd", initrd,
                 "--cmdline", "console=ttyS0 quiet", "--clipboard", "both", NULL);
  if (out == NULL)
    return FALSE;
  g_free (out);
  out = ctl_run (NULL, error, "share", VM_NAME, "add", gb.share_dir, "--name", SHARE_NAME, NULL);
  if (out == NULL)
    return FALSE;
  g_free (out);
  g_printerr ("hv-bench-guest: starting the guest (%s MiB) with %s shared as \"%s\"\n",
              memory, gb.share_dir, SHARE_NAME);
  out = ctl_run (NULL, error, "start", VM_NAME, NULL);
  if (out == NULL || !engine_connect (error) || !wait_ready (error) || !serial_open (error))
    return FALSE;
  return guest_probe (error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean skip_shares = FALSE, skip_clipboard = FALSE;
  const GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_INT, &gb.size_mib,
      "Size of the file written and read, in MiB (default 64)", "MIB" },
    { "files", 0, 0, G_OPTION_ARG_INT, &gb.files, "Small files created (default 1000)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &gb.runs,
      "Runs of the shared-folder figures; the median is printed (default 3)", "N" },
    { "clip-rounds", 0, 0, G_OPTION_ARG_INT, &gb.clip_rounds,
      "Clipboard round trips of each size (default 30)", "N" },
    { "share-dir", 0, 0, G_OPTION_ARG_FILENAME, &gb.share_parent,
      "Where the shared folder is made; needs user xattrs (default: next to this program)",
      "DIR" },
    { "x11-guest", 0, 0, G_OPTION_ARG_FILENAME, &gb.x11_dir,
      "A built X11 guest (tests/guest-x11/make-x11-guest.sh) for the guest clipboard round "
      "trip", "DIR" },
    { "skip-shares", 0, 0, G_OPTION_ARG_NONE, &skip_shares, "Leave out the shared folder", NULL },
    { "skip-clipboard", 0, 0, G_OPTION_ARG_NONE, &skip_clipboard, "Leave out the clipboard",
      NULL },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &bench.bindir,
      "Where hostvisorctl and hostvisord are (default: the build tree's app/)", "DIR" },
    { NULL }
  };
  gboolean ok;

  gb.size_mib = 64;
  gb.files = 1000;
  gb.runs = 3;
  gb.clip_rounds = 30;
  gb.serial = -1;
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Prints the shared folder's throughput in a guest beside the "
                                "host's disk, and the clipboard's round trip (see "
                                "bench/README.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-guest: %s\n", error->message);
      return 2;
    }
  if (argc > 1 || gb.size_mib < 1 || gb.size_mib > 4096 || gb.files < 1 ||
      gb.files > 1000000 || gb.runs < 1 || gb.runs > 100 || gb.clip_rounds < 1 ||
      gb.clip_rounds > 10000)
    {
      g_printerr ("hv-bench-guest: --size must be 1 to 4096, --files 1 to 1000000, --runs 1 to "
                  "100, --clip-rounds 1 to 10000, and no arguments\n");
      return 2;
    }

  bench_catch_signals ();

  for (Loc loc = 0; loc < N_LOCS; loc++)
    {
      gb.write_s[loc] = g_array_new (FALSE, FALSE, sizeof (double));
      gb.read_s[loc] = g_array_new (FALSE, FALSE, sizeof (double));
      gb.create_s[loc] = g_array_new (FALSE, FALSE, sizeof (double));
    }
  for (guint i = 0; i < N_CLIP_SIZES; i++)
    gb.clip_ms[i] = g_array_new (FALSE, FALSE, sizeof (double));
  gb.prop_ms = g_array_new (FALSE, FALSE, sizeof (double));
  gb.serial_text = g_string_new (NULL);

  ok = setup (&error);
  if (ok)
    g_printerr ("hv-bench-guest: working in %s and %s (removed at the end)\n", bench.tmp,
                gb.share_dir);
  if (ok)
    ok = start_vm (&error);
  if (ok && !skip_shares)
    ok = bench_shares (&error);
  if (ok && !skip_clipboard)
    ok = bench_clipboard (&error) && bench_clipboard_x11 (&error);

  cleanup ();
  if (!ok)
    g_printerr ("hv-bench-guest: %s\n", error->message);
  print_report ();
  return ok ? 0 : interrupted ? 130 : 1;
}
