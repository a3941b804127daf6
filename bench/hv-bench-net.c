/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-net: NAT networking's figures beside plain QEMU (bench/README.md, "hv-bench-net"):
 * TCP throughput guest → host and host → guest through QEMU's user-mode NAT, and HTTP
 * requests per second (connect, GET, close) through a port forward.
 *
 * The same tiny guest runs twice per round: started by the engine (port forwards added with
 * `hostvisorctl port-forward add`, applied by hostfwd_add after QEMU starts), then by hand
 * with the engine's own QEMU argv from the VM's log and the same forwards as hostfwd= on the
 * command line. The guest's side of the work is a script on its kernel command line
 * (hv.run64): once it has its lease it sends MiB of zeros to the host through the NAT gateway,
 * then receives as much on a forwarded port, then waits for the host's requests to its httpd
 * to end and powers off. The host's side runs in a thread while the guest boots.
 *
 * Not a test: it asserts nothing about time; its exit status says whether it could measure. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hv-bench.h"

#define NET_VM "hvbench-net"
#define GUEST_TX_PORT 5001      /* the guest listens here for the host's bytes */
#define GUEST_DONE_PORT 5002    /* …and here for "the requests are over" */
#define HOST_IO_TIMEOUT_S 300

Bench bench;
volatile sig_atomic_t interrupted;

static int size_mib = 16;
static int requests = 200;
static int rounds = 3;

typedef struct {
  int sink_fd;                  /* listening on 127.0.0.1: the guest sends to 10.0.2.2 */
  guint16 fwd_tx, fwd_http, fwd_done;   /* host ports forwarded to the guest */
  /* results */
  double to_host_mib_s;
  double to_guest_mib_s;
  double requests_s;
  char *error;
} HostSide;

static void
on_signal (int sig)
{
  interrupted = 1;
}

static guint16
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  guint16 port = 0;

  if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
      getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
    port = ntohs (addr.sin_port);
  if (fd >= 0)
    close (fd);
  return port;
}

static int
listen_loopback (guint16 *port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 4) != 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  *port = ntohs (addr.sin_port);
  return fd;
}

static int
connect_loopback (guint16 port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct timeval tv = { .tv_sec = HOST_IO_TIMEOUT_S };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static double
seconds_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1e6;
}

/* Guest → host: the guest's connection to the sink, read to its end. */
static gboolean
receive_from_guest (HostSide *h)
{
  struct timeval tv = { .tv_sec = HOST_IO_TIMEOUT_S };
  static char buf[256 * 1024];
  guint64 total = 0;
  gint64 t0 = 0;
  int fd;

  setsockopt (h->sink_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  fd = accept4 (h->sink_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    {
      h->error = g_strdup_printf ("the guest never connected to the host: %s", g_strerror (errno));
      return FALSE;
    }
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR && !interrupted)
        continue;
      if (n <= 0)
        break;
      if (t0 == 0)
        t0 = g_get_monotonic_time ();
      total += (guint64) n;
    }
  close (fd);
  if (total < (guint64) size_mib * 1024 * 1024)
    {
      h->error = g_strdup_printf ("the guest sent %" G_GUINT64_FORMAT " bytes, not %d MiB", total,
                                  size_mib);
      return FALSE;
    }
  h->to_host_mib_s = total / 1048576.0 / seconds_since (t0);
  return TRUE;
}

/* Host → guest: through the forwarded port to the guest's `nc -l`; done when the guest has
 * read everything and closed. Until the guest listens, QEMU accepts and drops the connection
 * at once: tried again then. */
static gboolean
send_to_guest (HostSide *h)
{
  static char buf[256 * 1024];
  gint64 deadline = g_get_monotonic_time () + (gint64) HOST_IO_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline && !interrupted)
    {
      guint64 left = (guint64) size_mib * 1024 * 1024;
      gint64 t0 = g_get_monotonic_time ();
      int fd = connect_loopback (h->fwd_tx);
      gboolean sent = fd >= 0;
      char c;

      while (sent && left > 0)
        {
          ssize_t n = send (fd, buf, MIN (left, sizeof buf), MSG_NOSIGNAL);

          if (n < 0 && errno == EINTR && !interrupted)
            continue;
          if (n <= 0)
            sent = FALSE;
          else
            left -= (guint64) n;
        }
      if (sent)
        {
          shutdown (fd, SHUT_WR);
          /* The guest's nc closes once it has read everything. */
          while (read (fd, &c, 1) > 0)
            ;
          close (fd);
          h->to_guest_mib_s = size_mib / seconds_since (t0);
          return TRUE;
        }
      if (fd >= 0)
        close (fd);
      g_usleep (200 * 1000);
    }
  h->error = g_strdup ("the guest never took the host's bytes");
  return FALSE;
}

static gboolean
one_request (guint16 port)
{
  static const char request[] = "GET /index.html HTTP/1.0\r\n\r\n";
  char buf[4096];
  gboolean got = FALSE;
  int fd = connect_loopback (port);
  ssize_t n;

  if (fd < 0)
    return FALSE;
  if (send (fd, request, sizeof request - 1, MSG_NOSIGNAL) == sizeof request - 1)
    while ((n = read (fd, buf, sizeof buf)) > 0)
      got = got || memmem (buf, (size_t) n, "hostvisor tiny guest page", 25) != NULL;
  close (fd);
  return got;
}

static gboolean
request_rate (HostSide *h)
{
  gint64 t0;

  /* The first answer shows that the guest's httpd is reachable. */
  for (int i = 0; i < 50 && !one_request (h->fwd_http); i++)
    g_usleep (200 * 1000);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < requests; i++)
    if (!one_request (h->fwd_http))
      {
        h->error = g_strdup_printf ("request %d through the port forward failed", i + 1);
        return FALSE;
      }
  h->requests_s = requests / seconds_since (t0);
  return TRUE;
}

static gpointer
host_side_thread (gpointer data)
{
  HostSide *h = data;
  int fd;

  if (receive_from_guest (h) && send_to_guest (h) && request_rate (h))
    {
      /* "Done": the guest powers off. */
      g_usleep (300 * 1000);
      fd = connect_loopback (h->fwd_done);
      if (fd >= 0)
        close (fd);
    }
  return NULL;
}

/* The guest's part, run by its /init before "ready" (hv.run64). */
static char *
guest_cmdline (guint16 sink_port)
{
  g_autofree char *script = g_strdup_printf (
    "while ! ip -4 addr show dev eth0 | grep -q 'inet '; do usleep 100000; done\n"
    "dd if=/dev/zero bs=65536 count=%d 2>/dev/null | nc 10.0.2.2 %u\n"
    "nc -l -p %d > /dev/null\n"
    "nc -l -p %d > /dev/null\n",
    size_mib * 16, sink_port, GUEST_TX_PORT, GUEST_DONE_PORT);
  g_autofree char *encoded = g_base64_encode ((const guchar *) script, strlen (script));

  return g_strdup_printf ("console=ttyS0 quiet hv.dhcp=1 hv.httpd=1 hv.poweroff=1 hv.run64=%s",
                          encoded);
}

static gboolean
engine_off (void)
{
  g_autoptr(JsonObject) vm = ctl_show (NET_VM, NULL);
  const char *state = vm != NULL ? json_string (vm, "state") : NULL;

  return g_strcmp0 (state, "poweroff") == 0 || g_strcmp0 (state, "aborted") == 0;
}

static gboolean
finish_host_side (GThread *thread, HostSide *h, GError **error)
{
  g_thread_join (thread);
  if (h->error != NULL)
    return fail (error, "%s", h->error);
  return TRUE;
}

/* One round on each side; the results go into @hv and @plain. */
static gboolean
run_round (const char *kernel, const char *initrd, HostSide *hv, HostSide *plain,
           gboolean first, GError **error)
{
  g_autofree char *cmdline = NULL;
  g_autofree char *vm_dir = NULL;
  g_autofree char *vm_log = NULL;
  g_auto(GStrv) engine_argv = NULL;
  g_autoptr(JsonObject) vm = NULL;
  PlainQemu p = { 0 };
  GThread *thread;
  double boot_s;
  guint16 sink_port = 0;
  gboolean ok;

  hv->sink_fd = listen_loopback (&sink_port);
  hv->fwd_tx = free_port ();
  hv->fwd_http = free_port ();
  hv->fwd_done = free_port ();
  if (hv->sink_fd < 0 || hv->fwd_tx == 0 || hv->fwd_http == 0 || hv->fwd_done == 0)
    return fail (error, "No free port on 127.0.0.1");
  cmdline = guest_cmdline (sink_port);

  /* --- the engine's VM */
  if (first)
    {
      g_autofree char *out = ctl_run (NULL, error, "create", NET_VM, "--no-disk", "--memory",
                                      GUEST_MEMORY_MIB, "--kernel", kernel, "--initrd", initrd,
                                      "--cmdline", cmdline, NULL);
      if (out == NULL)
        return FALSE;
    }
  else
    {
      g_autofree char *out = ctl_run (NULL, error, "modify", NET_VM, "--cmdline", cmdline, NULL);
      if (out == NULL)
        return FALSE;
      for (int i = 0; i < 3; i++)
        {
          static const char * const names[] = { "tx", "http", "done" };
          g_autofree char *gone = ctl_run (NULL, NULL, "port-forward", "remove", NET_VM,
                                           "--rule-name", names[i], NULL);
        }
    }
  {
    const struct { const char *name; guint16 host; int guest; } rules[] = {
      { "tx", hv->fwd_tx, GUEST_TX_PORT }, { "http", hv->fwd_http, 80 },
      { "done", hv->fwd_done, GUEST_DONE_PORT },
    };

    for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
      {
        g_autofree char *host = g_strdup_printf ("%u", rules[i].host);
        g_autofree char *guest = g_strdup_printf ("%d", rules[i].guest);
        g_autofree char *out = ctl_run (NULL, error, "port-forward", "add", NET_VM, "--rule-name",
                                        rules[i].name, "--host-port", host, "--guest-port", guest,
                                        NULL);
        if (out == NULL)
          return FALSE;
      }
  }

  g_printerr ("hv-bench-net: Hostvisor's VM\n");
  thread = g_thread_new ("host-side", host_side_thread, hv);
  {
    g_autofree char *out = ctl_run (NULL, error, "start", NET_VM, NULL);
    if (out == NULL)
      {
        shutdown (hv->sink_fd, SHUT_RDWR);
        g_thread_join (thread);
        return FALSE;
      }
  }
  ok = finish_host_side (thread, hv, error);
  close (hv->sink_fd);
  for (int i = 0; i < 600 && !engine_off (); i++)
    sleep_ms (100);
  if (!engine_off ())
    g_free (ctl_run (NULL, NULL, "poweroff", NET_VM, NULL));
  if (!ok)
    return FALSE;

  /* --- plain QEMU with the engine's argv, the forwards on its command line */
  vm = ctl_show (NET_VM, error);
  if (vm == NULL)
    return FALSE;
  vm_dir = g_strdup (json_string (vm, "directory"));
  vm_log = g_strdup (json_string (vm, "log"));
  engine_argv = argv_from_vm_log (vm_log, error);
  if (engine_argv == NULL)
    return FALSE;
  plain->fwd_tx = hv->fwd_tx;
  plain->fwd_http = hv->fwd_http;
  plain->fwd_done = hv->fwd_done;
  plain->sink_fd = listen_loopback (&sink_port);
  if (plain->sink_fd < 0)
    return fail (error, "No free port on 127.0.0.1");
  /* The guest's script names the sink's port, plain QEMU gets the forwards as hostfwd= and
   * logs the serial port to a file: the only changes to the engine's argv. */
    {
      g_autofree char *new_cmdline = guest_cmdline (sink_port);

      for (guint i = 0; engine_argv[i] != NULL; i++)
        {
          if (g_str_equal (engine_argv[i], cmdline))
            {
              g_free (engine_argv[i]);
              engine_argv[i] = g_strdup (new_cmdline);
            }
          else if (g_str_has_prefix (engine_argv[i], "socket,id=serial0,"))
            {
              /* The engine reads the serial port itself; by hand, QEMU logs it to a file. */
              g_free (engine_argv[i]);
              engine_argv[i] = g_strdup_printf ("null,id=serial0,logfile=%s/logs/serial.log",
                                                vm_dir);
            }
          else if (g_str_has_prefix (engine_argv[i], "user,id=net0"))
            {
              char *with = g_strdup_printf ("%s,hostfwd=tcp:127.0.0.1:%u-:%d,"
                                            "hostfwd=tcp:127.0.0.1:%u-:80,"
                                            "hostfwd=tcp:127.0.0.1:%u-:%d", engine_argv[i],
                                            plain->fwd_tx, GUEST_TX_PORT, plain->fwd_http,
                                            plain->fwd_done, GUEST_DONE_PORT);
              g_free (engine_argv[i]);
              engine_argv[i] = with;
            }
        }
    }
  if (!plain_qemu_prepare (&p, engine_argv, vm_dir, error))
    {
      close (plain->sink_fd);
      return FALSE;
    }
  if (bench.verbose)
    {
      g_autofree char *text = argv_text ((const char * const *) p.argv);
      g_printerr ("hv-bench-net: plain QEMU: %s\n", text);
    }
  g_printerr ("hv-bench-net: plain QEMU\n");
  thread = g_thread_new ("host-side", host_side_thread, plain);
  ok = plain_boot_once (&p, &boot_s, error);
  if (!ok)
    shutdown (plain->sink_fd, SHUT_RDWR);
  ok = finish_host_side (thread, plain, ok ? error : NULL) && ok;
  close (plain->sink_fd);
  plain_qemu_clear (&p);
  return ok;
}

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  remove (path);
  return 0;
}

static char *
find_app_dir (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  if (bench.bindir != NULL)
    return g_canonicalize_filename (bench.bindir, NULL);
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *app = g_build_filename (dir, "..", "app", NULL);
      g_autofree char *ctl = g_build_filename (app, "hostvisorctl", NULL);

      if (g_file_test (ctl, G_FILE_TEST_IS_EXECUTABLE))
        return g_canonicalize_filename (app, NULL);
    }
  return g_strdup (HV_BENCH_APP_DIR);
}

static gboolean
setup (GError **error)
{
  g_autofree char *app = find_app_dir ();

  bench.ctl = g_build_filename (app, "hostvisorctl", NULL);
  bench.engined = g_build_filename (app, "hostvisord", NULL);
  if (!g_file_test (bench.ctl, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (bench.engined, G_FILE_TEST_IS_EXECUTABLE))
    return fail (error, "%s or %s is missing: build them first", bench.ctl, bench.engined);
  bench.tmp = g_strdup ("/tmp/hvb.XXXXXX");
  if (g_mkdtemp (bench.tmp) == NULL)
    {
      g_clear_pointer (&bench.tmp, g_free);
      return fail (error, "Cannot create a directory in /tmp: %s", g_strerror (errno));
    }
  bench.runtime_dir = g_build_filename (bench.tmp, "run", NULL);
  bench.data_dir = g_build_filename (bench.tmp, "data", NULL);
  if (g_mkdir (bench.runtime_dir, 0700) != 0 || g_mkdir (bench.data_dir, 0700) != 0)
    return fail (error, "Cannot create %s: %s", bench.runtime_dir, g_strerror (errno));
  g_setenv ("XDG_RUNTIME_DIR", bench.runtime_dir, TRUE);
  g_setenv ("XDG_DATA_HOME", bench.data_dir, TRUE);
  g_setenv ("HOSTVISORD", bench.engined, TRUE);
  g_setenv ("HOSTVISOR_IDLE_EXIT", "0", TRUE);
  g_unsetenv ("HOSTVISOR_LIBRARY");
  g_setenv ("HOSTVISOR_NO_KVM", "1", TRUE);
  return TRUE;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_autoptr(GArray) sorted = g_array_copy (values);
  guint n = values->len;

  if (n == 0)
    return 0;
  g_array_sort (sorted, compare_doubles);
  return n % 2 ? g_array_index (sorted, double, n / 2)
               : (g_array_index (sorted, double, n / 2 - 1) +
                  g_array_index (sorted, double, n / 2)) / 2;
}

static void
print_row (const char *figure, const char *unit, GArray *hv, GArray *plain)
{
  double h = median (hv), q = median (plain);

  g_print ("%-44s %10.1f %-6s %10.1f %-6s %6.2f\n", figure, h, unit, q, unit,
           q > 0 ? h / q : 0);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  struct sigaction sa = { .sa_handler = on_signal };
  const GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_INT, &size_mib, "MiB sent each way (default 16)", "MIB" },
    { "requests", 0, 0, G_OPTION_ARG_INT, &requests,
      "HTTP requests through the port forward (default 200)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
      "Rounds of both sides, interleaved; the median is printed (default 3)", "N" },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &bench.bindir,
      "Where hostvisorctl and hostvisord are (default: the build tree's app/)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &bench.verbose, "Print the plain QEMU argv", NULL },
    { NULL }
  };
  g_autoptr(GArray) hv_to_host = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) q_to_host = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) hv_to_guest = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) q_to_guest = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) hv_req = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) q_req = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *kernel = NULL, *initrd = NULL;
  gboolean ok = TRUE;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "Prints NAT throughput and port-forward request rates "
                                "of a Hostvisor VM beside plain QEMU (see bench/README.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-net: %s\n", error->message);
      return 2;
    }
  if (argc > 1 || size_mib < 1 || size_mib > 1024 || requests < 1 || requests > 100000 ||
      rounds < 1 || rounds > 20)
    {
      g_printerr ("hv-bench-net: --size must be 1 to 1024, --requests 1 to 100000, --rounds 1 "
                  "to 20, and no arguments\n");
      return 2;
    }
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  if (!setup (&error))
    ok = FALSE;
  else
    {
      const char *script[] = { "bash", HV_BENCH_GUEST_SCRIPT, HV_BENCH_GUEST_DIR, NULL };
      g_autoptr(Child) c = child_spawn (script, &error);

      ok = c != NULL && child_wait (c, 10 * 60 * 1000, &error) && child_check (c, script, &error);
      kernel = g_build_filename (HV_BENCH_GUEST_DIR, "vmlinuz", NULL);
      initrd = g_build_filename (HV_BENCH_GUEST_DIR, "initrd.img", NULL);
    }
  for (int r = 0; ok && r < rounds; r++)
    {
      HostSide hv = { 0 }, plain = { 0 };

      g_printerr ("hv-bench-net: round %d of %d\n", r + 1, rounds);
      ok = run_round (kernel, initrd, &hv, &plain, r == 0, &error);
      if (ok)
        {
          g_array_append_val (hv_to_host, hv.to_host_mib_s);
          g_array_append_val (q_to_host, plain.to_host_mib_s);
          g_array_append_val (hv_to_guest, hv.to_guest_mib_s);
          g_array_append_val (q_to_guest, plain.to_guest_mib_s);
          g_array_append_val (hv_req, hv.requests_s);
          g_array_append_val (q_req, plain.requests_s);
        }
      g_free (hv.error);
      g_free (plain.error);
    }

  if (ok)
    {
      g_print ("NAT (QEMU user-mode networking), TCG, %d MiB each way, %d requests, median of %d\n",
               size_mib, requests, rounds);
      g_print ("%-44s %17s %17s %6s\n", "figure", "Hostvisor", "plain QEMU", "ratio");
      print_row ("TCP guest -> host (through 10.0.2.2)", "MiB/s", hv_to_host, q_to_host);
      print_row ("TCP host -> guest (port forward)", "MiB/s", hv_to_guest, q_to_guest);
      print_row ("HTTP requests through a port forward", "req/s", hv_req, q_req);
    }
  else
    g_printerr ("hv-bench-net: %s\n", error != NULL ? error->message : "interrupted");

  if (bench.tmp != NULL)
    {
      engine_stop ();
      nftw (bench.tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
  return ok ? 0 : interrupted ? 130 : 1;
}
