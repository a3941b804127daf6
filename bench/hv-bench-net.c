/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-net: networking's figures beside a baseline measured in the same run
 * (bench/README.md, "hv-bench-net"). Not a test: it asserts nothing about time; its exit
 * status says whether it could measure.
 *
 * NAT: the same tiny guest runs three times per round: started by the engine (port forwards
 * added with `hostvisorctl port-forward add`, applied by hostfwd_add after QEMU starts), then
 * by hand with the engine's own QEMU argv from the VM's log and the same forwards as
 * hostfwd= (libslirp, the same backend), then with that argv's `-netdev user` replaced by
 * `-netdev stream` to a passt of the bench's own, where passt is installed. The guest's side
 * is a script on its kernel command line (hv.run64); the host's side runs in a thread
 * (hv-bench-net-host.c). Host-only and internal networks: hv-bench-net-lan.c. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hv-bench-net.h"

#define NET_VM "hvbench-net"
#define PASST "/usr/bin/passt"

Bench bench;
volatile sig_atomic_t interrupted;

int size_mib = 16;
int requests = 200;
static int rounds = 3;
static char *only;


static gboolean
wanted (const char *part)
{
  g_auto(GStrv) parts = NULL;

  if (only == NULL)
    return TRUE;
  parts = g_strsplit (only, ",", -1);
  return g_strv_contains ((const char * const *) parts, part);
}

/* The fd N of the argv's `-netdev tap,id=net0,fd=N`, or -1. */
int
argv_tap_fd (char **argv)
{
  for (guint i = 0; argv[i] != NULL; i++)
    if (g_str_has_prefix (argv[i], "tap,id=net0,"))
      {
        const char *fd = strstr (argv[i], ",fd=");

        return fd != NULL ? atoi (fd + 4) : -1;
      }
  return -1;
}

static gboolean
engine_off (gpointer vm)
{
  g_autoptr(JsonObject) o = ctl_show (vm, NULL);
  const char *state = o != NULL ? json_string (o, "state") : NULL;

  return g_strcmp0 (state, "poweroff") == 0 || g_strcmp0 (state, "aborted") == 0;
}

/* Waits (up to 10 minutes) until the engine's VM has powered itself off; powers it off then. */
gboolean
wait_engine_off (const char *vm)
{
  if (wait_until (engine_off, (gpointer) vm, 100, 10 * 60 * 1000, TRUE, "the guest to power off",
                  NULL))
    return TRUE;
  g_free (ctl_run (NULL, NULL, "poweroff", vm, NULL));
  return FALSE;
}

/* The guest's part, run by its /init before "ready" (hv.run64). The gateway is its default
 * route's: 10.0.2.2 on slirp, the host's own gateway on passt (which maps it to the host). */
static char *
guest_cmdline (guint16 sink_port)
{
  g_autofree char *script = g_strdup_printf (
    "while ! ip -4 route | grep -q '^default'; do usleep 100000; done\n"
    "gw=$(ip -4 route | sed -n 's/^default via \\([0-9.]*\\).*/\\1/p' | head -n1)\n"
    "dd if=/dev/zero of=/www/big.tmp bs=1048576 count=%d 2>/dev/null && mv /www/big.tmp /www/big\n"
    "dd if=/dev/zero bs=65536 count=%d 2>/dev/null | nc $gw %u\n"
    GUEST_RECEIVE,
    size_mib, size_mib * 16, sink_port, size_mib * 1048576, GUEST_TX_PORT, GUEST_DONE_PORT);
  g_autofree char *encoded = g_base64_encode ((const guchar *) script, strlen (script));

  return g_strdup_printf ("console=ttyS0 quiet hv.dhcp=1 hv.httpd=1 hv.poweroff=1 hv.run64=%s",
                          encoded);
}

typedef struct {
  HostSide hv, plain, passt;
  gboolean have_passt;
} NatRound;

static guint16 nat_fwd[3];

/* The engine's VM on NAT with its three forwards; its run; @cmdline names the sink. */
static gboolean
nat_engine (const char *kernel, const char *initrd, const char *cmdline, gboolean first,
            HostSide *h, GError **error)
{
  const char *names[] = { "tx", "http", "done" };
  const int guest[] = { GUEST_TX_PORT, 80, GUEST_DONE_PORT };
  GThread *thread;
  gboolean ok;

  if (first)
    {
      g_autofree char *out = ctl_run (NULL, error, "create", NET_VM, "--no-disk", "--memory",
                                      GUEST_MEMORY_MIB, "--kernel", kernel, "--initrd", initrd,
                                      "--cmdline", cmdline, NULL);
      if (out == NULL)
        return FALSE;
      for (int i = 0; i < 3; i++)
        {
          g_autofree char *hp = NULL, *gp = g_strdup_printf ("%d", guest[i]);
          g_autofree char *added = NULL;

          nat_fwd[i] = free_port ();
          hp = g_strdup_printf ("%u", nat_fwd[i]);
          added = ctl_run (NULL, error, "port-forward", "add", NET_VM, "--rule-name", names[i],
                           "--host-port", hp, "--guest-port", gp, NULL);
          if (nat_fwd[i] == 0 || added == NULL)
            return FALSE;
        }
    }
  else
    {
      g_autofree char *out = ctl_run (NULL, error, "modify", NET_VM, "--cmdline", cmdline, NULL);
      if (out == NULL)
        return FALSE;
    }
  h->fwd_tx = nat_fwd[0];
  h->fwd_http = nat_fwd[1];
  h->fwd_done = nat_fwd[2];
  g_printerr ("hv-bench-net: NAT: Hostvisor's VM\n");
  thread = host_side_start (h);
  {
    g_autofree char *out = ctl_run (NULL, error, "start", NET_VM, NULL);
    if (out == NULL)
      {
        shutdown (h->sink_fd, SHUT_RDWR);
        g_thread_join (thread);
        return FALSE;
      }
  }
  ok = host_side_finish (thread, h, error);
  if (!wait_engine_off (NET_VM))
    return ok && fail (error, "The NAT VM did not power off");
  return ok;
}

/* A passt daemon of our own for one run (see bench/README.md): its socket in a directory that
 * passt can still use once it has dropped to user nobody (as root). */
typedef struct {
  char *dir;
  char *socket;
  GPid pid;
} Passt;

static void
passt_stop (Passt *ps)
{
  if (ps->pid > 0)
    {
      kill (ps->pid, SIGTERM);
      for (int i = 0; i < 100 && kill (ps->pid, 0) == 0; i++)
        g_usleep (20 * 1000);
      if (kill (ps->pid, 0) == 0)
        kill (ps->pid, SIGKILL);
    }
  if (ps->dir != NULL)
    {
      g_autofree char *pid = g_build_filename (ps->dir, "pid", NULL);

      g_unlink (ps->socket);
      g_unlink (pid);
      g_rmdir (ps->dir);
    }
  g_free (ps->dir);
  g_free (ps->socket);
  memset (ps, 0, sizeof *ps);
}

static gboolean
passt_start (Passt *ps, GError **error)
{
  g_autofree char *pidfile = NULL, *pidtext = NULL;
  g_autofree char *t1 = g_strdup_printf ("127.0.0.1/%u:%d", nat_fwd[0], GUEST_TX_PORT);
  g_autofree char *t2 = g_strdup_printf ("127.0.0.1/%u:80", nat_fwd[1]);
  g_autofree char *t3 = g_strdup_printf ("127.0.0.1/%u:%d", nat_fwd[2], GUEST_DONE_PORT);
  g_autoptr(Child) c = NULL;

  ps->dir = g_strdup ("/tmp/hvb-passt.XXXXXX");
  if (g_mkdtemp (ps->dir) == NULL)
    {
      g_clear_pointer (&ps->dir, g_free);
      return fail (error, "Cannot create a directory in /tmp: %s", g_strerror (errno));
    }
  /* Run as root, passt becomes nobody before it binds its socket. */
  if (geteuid () == 0)
    chmod (ps->dir, 0777);
  ps->socket = g_build_filename (ps->dir, "sock", NULL);
  pidfile = g_build_filename (ps->dir, "pid", NULL);
  {
    /* In the foreground with stdin not a terminal, Debian 12's passt ends at once: as a
     * daemon (-P), one client only (-1), IPv4, quiet. */
    const char *argv[] = { PASST, "-q", "-4", "-1", "-P", pidfile, "-s", ps->socket,
                           "-t", t1, "-t", t2, "-t", t3, NULL };

    c = child_spawn (argv, error);
    if (c == NULL || !child_wait (c, 30 * 1000, error) || !child_check (c, argv, error))
      return FALSE;
  }
  for (int i = 0; i < 250 && !g_file_test (ps->socket, G_FILE_TEST_EXISTS); i++)
    g_usleep (20 * 1000);
  if (!g_file_get_contents (pidfile, &pidtext, NULL, NULL) ||
      !g_file_test (ps->socket, G_FILE_TEST_EXISTS))
    return fail (error, "passt made no socket in %s", ps->dir);
  ps->pid = atoi (pidtext);
  return TRUE;
}

/* Plain QEMU with the engine's argv: slirp with hostfwd=, or passt (@passt). */
static gboolean
nat_plain (gboolean passt, HostSide *h, GError **error)
{
  g_autoptr(JsonObject) vm = ctl_show (NET_VM, error);
  g_auto(GStrv) argv = NULL;
  PlainQemu p = { 0 };
  Passt ps = { 0 };
  GThread *thread;
  double boot_s;
  gboolean ok;

  if (vm == NULL || (argv = argv_from_vm_log (json_string (vm, "log"), error)) == NULL)
    return FALSE;
  for (guint i = 0; argv[i] != NULL; i++)
    {
      char *with = NULL;

      if (g_str_has_prefix (argv[i], "socket,id=serial0,"))
        /* The engine reads the serial port itself; by hand, QEMU logs it to a file. */
        with = g_strdup_printf ("null,id=serial0,logfile=%s/logs/serial.log",
                                json_string (vm, "directory"));
      else if (g_str_has_prefix (argv[i], "user,id=net0") && !passt)
        with = g_strdup_printf ("%s,hostfwd=tcp:127.0.0.1:%u-:%d,hostfwd=tcp:127.0.0.1:%u-:80,"
                                "hostfwd=tcp:127.0.0.1:%u-:%d", argv[i], nat_fwd[0],
                                GUEST_TX_PORT, nat_fwd[1], nat_fwd[2], GUEST_DONE_PORT);
      if (with != NULL)
        {
          g_free (argv[i]);
          argv[i] = with;
        }
    }
  if (passt)
    {
      if (!passt_start (&ps, error))
        {
          passt_stop (&ps);
          return FALSE;
        }
      for (guint i = 0; argv[i] != NULL; i++)
        if (g_str_has_prefix (argv[i], "user,id=net0"))
          {
            g_free (argv[i]);
            argv[i] = g_strdup_printf ("stream,id=net0,server=off,addr.type=unix,addr.path=%s",
                                       ps.socket);
          }
    }
  p.subdir = g_strdup (passt ? "passt" : "plain");
  if (!plain_qemu_prepare (&p, argv, json_string (vm, "directory"), error))
    {
      passt_stop (&ps);
      plain_qemu_clear (&p);
      return FALSE;
    }
  if (bench.verbose)
    {
      g_autofree char *text = argv_text ((const char * const *) p.argv);
      g_printerr ("hv-bench-net: %s: %s\n", passt ? "passt" : "plain QEMU", text);
    }
  g_printerr ("hv-bench-net: NAT: %s\n", passt ? "plain QEMU on passt" : "plain QEMU (slirp)");
  h->fwd_tx = nat_fwd[0];
  h->fwd_http = nat_fwd[1];
  h->fwd_done = nat_fwd[2];
  thread = host_side_start (h);
  ok = plain_boot_once (&p, &boot_s, error);
  if (!ok)
    shutdown (h->sink_fd, SHUT_RDWR);
  ok = host_side_finish (thread, h, ok ? error : NULL) && ok;
  plain_qemu_clear (&p);
  passt_stop (&ps);
  return ok;
}

static gboolean
nat_round (const char *kernel, const char *initrd, gboolean first, NatRound *r,
           GError **error)
{
  g_autofree char *cmdline = NULL;
  guint16 sink_port = 0;
  int sink = listen_loopback (&sink_port);
  gboolean ok;

  r->hv.sink_fd = r->plain.sink_fd = r->passt.sink_fd = -1;
  if (sink < 0)
    return fail (error, "No free port on 127.0.0.1");
  /* One sink for the three runs, one after the other: the same guest command line. */
  cmdline = guest_cmdline (sink_port);
  r->hv.sink_fd = r->plain.sink_fd = r->passt.sink_fd = sink;
  ok = nat_engine (kernel, initrd, cmdline, first, &r->hv, error) &&
       nat_plain (FALSE, &r->plain, error) &&
       (!r->have_passt || nat_plain (TRUE, &r->passt, error));
  close (sink);
  r->hv.sink_fd = r->plain.sink_fd = r->passt.sink_fd = -1;
  return ok;
}


static void
round_failed (const char *kind, int r, GError *e)
{
  g_printerr ("hv-bench-net: %s, round %d: not counted: %s\n", kind, r + 1,
              e != NULL ? e->message : "interrupted");
}

static GArray *
values (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

static void
add (GArray *a, double v)
{
  g_array_append_val (a, v);
}

/* Medians, their ratio, then each side's range over the rounds (the spread on a loaded
 * machine is what tells a real difference from noise). */
static void
print_row (const char *figure, const char *unit, GArray *hv, GArray *base)
{
  double h = bench_median (hv), q = bench_median (base), hlo, hhi, qlo, qhi;

  bench_range (hv, &hlo, &hhi);
  bench_range (base, &qlo, &qhi);
  g_print ("%-44s %8.1f %-5s %8.1f %-5s %6.2f   %.1f-%.1f / %.1f-%.1f\n", figure, h, unit, q,
           unit, q > 0 ? h / q : 0, hlo, hhi, qlo, qhi);
}

static void
print_header (const char *baseline)
{
  g_print ("%-44s %14s %14s %6s   %s\n", "figure", "Hostvisor", baseline, "ratio",
           "range (min-max)");
}

/* Whether the one-time set-up is done, as the engine says (network setup --status). */
static gboolean
setup_done (void)
{
  g_autofree char *out = ctl_run (NULL, NULL, "network", "setup", "--status", "--json", NULL);
  g_autoptr(JsonNode) node = out != NULL ? parse_json (out, NULL) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
         json_object_get_boolean_member_with_default (json_node_get_object (node), "done", FALSE);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_INT, &size_mib, "MiB sent each way (default 16)", "MIB" },
    { "requests", 0, 0, G_OPTION_ARG_INT, &requests,
      "HTTP requests through a port forward (default 200)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
      "Rounds of every side, interleaved; the median is printed (default 3)", "N" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Measure only these: nat, host-only, internal (comma-separated)", "LIST" },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &bench.bindir,
      "Where hostvisorctl and hostvisord are (default: the build tree's app/)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &bench.verbose, "Print the plain QEMU argv", NULL },
    { NULL }
  };
  /* NAT */
  g_autoptr(GArray) n_nc_hv = values (), n_nc_q = values (), n_nc_p = values ();
  g_autoptr(GArray) n_http_hv = values (), n_http_q = values (), n_http_p = values ();
  g_autoptr(GArray) n_tx_hv = values (), n_tx_q = values (), n_tx_p = values ();
  g_autoptr(GArray) n_req_hv = values (), n_req_q = values (), n_req_p = values ();
  /* host-only, internal */
  g_autoptr(GArray) h_http_hv = values (), h_http_q = values ();
  g_autoptr(GArray) h_tx_hv = values (), h_tx_q = values ();
  g_autoptr(GArray) h_req_hv = values (), h_req_q = values ();
  g_autoptr(GArray) i_hv = values (), i_q = values ();
  g_autofree char *kernel = NULL, *initrd = NULL;
  gboolean ok = TRUE, have_passt = g_file_test (PASST, G_FILE_TEST_IS_EXECUTABLE);
  gboolean have_userns = FALSE, bridged_setup = FALSE;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "Prints NAT, host-only and internal networking figures "
                                "of Hostvisor VMs beside plain QEMU and passt (see "
                                "bench/README.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-net: %s\n", error->message);
      return 2;
    }
  if (argc > 1 || size_mib < 1 || size_mib > 128 || requests < 1 || requests > 5000 ||
      rounds < 1 || rounds > 20)
    {
      g_printerr ("hv-bench-net: --size must be 1 to 128, --requests 1 to 5000, --rounds 1 "
                  "to 20, and no arguments\n");
      return 2;
    }
  bench_catch_signals ();

  {
    const char *probe[] = { "unshare", "--user", "--map-root-user", "--net", "true", NULL };
    g_autoptr(Child) c = child_spawn (probe, NULL);

    have_userns = c != NULL && child_wait (c, 30 * 1000, NULL) && child_check (c, probe, NULL);
  }
  if (!bench_env_setup (HV_BENCH_APP_DIR, &error))
    ok = FALSE;
  else
    {
      ok = bench_build_tiny_guest (HV_BENCH_GUEST_SCRIPT, HV_BENCH_GUEST_DIR, &kernel, &initrd,
                                   &error);
    }
  if (ok)
    bridged_setup = setup_done ();
  /* A round that fails is reported and left out; the other kinds go on. */
  for (int r = 0; ok && !interrupted && r < rounds; r++)
    {
      g_printerr ("hv-bench-net: round %d of %d\n", r + 1, rounds);
      if (wanted ("nat"))
        {
          NatRound n = { .have_passt = have_passt };

          g_autoptr(GError) e = NULL;

          if (!nat_round (kernel, initrd, r == 0, &n, &e))
            round_failed ("nat", r, e);
          else
            {
              add (n_nc_hv, n.hv.to_host_nc_mib_s);
              add (n_nc_q, n.plain.to_host_nc_mib_s);
              add (n_nc_p, n.passt.to_host_nc_mib_s);
              add (n_http_hv, n.hv.to_host_http_mib_s);
              add (n_http_q, n.plain.to_host_http_mib_s);
              add (n_http_p, n.passt.to_host_http_mib_s);
              add (n_tx_hv, n.hv.to_guest_mib_s);
              add (n_tx_q, n.plain.to_guest_mib_s);
              add (n_tx_p, n.passt.to_guest_mib_s);
              add (n_req_hv, n.hv.requests_s);
              add (n_req_q, n.plain.requests_s);
              add (n_req_p, n.passt.requests_s);
            }
          host_side_clear (&n.hv);
          host_side_clear (&n.plain);
          host_side_clear (&n.passt);
        }
      if (ok && have_userns && wanted ("host-only"))
        {
          LanRound l = { 0 };

          g_autoptr(GError) e = NULL;

          if (!lan_host_only_round (kernel, initrd, r == 0, &l, &e))
            round_failed ("host-only", r, e);
          else
            {
              add (h_http_hv, l.hv.to_host_http_mib_s);
              add (h_http_q, l.plain.to_host_http_mib_s);
              add (h_tx_hv, l.hv.to_guest_mib_s);
              add (h_tx_q, l.plain.to_guest_mib_s);
              add (h_req_hv, l.hv.requests_s);
              add (h_req_q, l.plain.requests_s);
            }
          host_side_clear (&l.hv);
          host_side_clear (&l.plain);
        }
      if (ok && have_userns && wanted ("internal"))
        {
          LanRound l = { 0 };

          g_autoptr(GError) e = NULL;

          if (!lan_internal_round (kernel, initrd, r == 0, &l, &e))
            round_failed ("internal", r, e);
          else
            {
              add (i_hv, l.internal_hv_mib_s);
              add (i_q, l.internal_plain_mib_s);
            }
        }
    }

  if (ok)
    {
      g_print ("TCG, %d MiB each way, %d requests; medians of the rounds counted (of %d)\n\n",
               size_mib, requests, rounds);
      if (wanted ("nat"))
        {
          g_print ("NAT (rounds: %u): the engine's slirp beside plain QEMU's slirp (same argv, "
                   "hostfwd=)\n", n_req_hv->len);
          print_header ("plain QEMU");
          print_row ("TCP guest -> host, dd | nc to the gateway", "MiB/s", n_nc_hv, n_nc_q);
          print_row ("TCP guest -> host, httpd through a forward", "MiB/s", n_http_hv, n_http_q);
          print_row ("TCP host -> guest, through a forward", "MiB/s", n_tx_hv, n_tx_q);
          print_row ("HTTP requests through a forward", "req/s", n_req_hv, n_req_q);
          if (have_passt)
            {
              g_print ("\nNAT: passt beside slirp (both plain QEMU, the engine's argv)\n");
              g_print ("%-44s %14s %14s %6s   %s\n", "figure", "passt", "slirp", "ratio",
                       "range (min-max)");
              print_row ("TCP guest -> host, dd | nc to the gateway", "MiB/s", n_nc_p, n_nc_q);
              print_row ("TCP guest -> host, httpd through a forward", "MiB/s", n_http_p,
                         n_http_q);
              print_row ("TCP host -> guest, through a forward", "MiB/s", n_tx_p, n_tx_q);
              print_row ("HTTP requests through a forward", "req/s", n_req_p, n_req_q);
            }
          else
            g_print ("passt not installed: no passt column\n");
          g_print ("\n");
        }
      if (!have_userns)
        g_print ("host-only, internal: not measured: this host does not let users make user "
                 "namespaces\n\n");
      if (have_userns && wanted ("host-only"))
        {
          g_print ("Host-only, isolated (rounds: %u): the engine's forward on 127.0.0.1 beside a\n"
                   "direct connection to plain QEMU (same argv, tap on a bridge in a namespace)\n",
                   h_req_hv->len);
          print_header ("direct");
          print_row ("TCP guest -> host, httpd", "MiB/s", h_http_hv, h_http_q);
          print_row ("TCP host -> guest", "MiB/s", h_tx_hv, h_tx_q);
          print_row ("HTTP requests (connection set-up rate)", "req/s", h_req_hv, h_req_q);
          g_print ("\n");
        }
      if (have_userns && wanted ("internal"))
        {
          g_print ("Internal (rounds: %u): VM to VM (wget of the other's httpd), beside two plain "
                   "QEMUs\n", i_hv->len);
          g_print ("(same argv, taps on a bridge in a namespace of the bench's own)\n");
          print_header ("plain QEMU");
          print_row ("TCP VM -> VM", "MiB/s", i_hv, i_q);
          g_print ("\n");
        }
      if (bridged_setup)
        g_print ("Bridged: not measured: the one-time set-up is done, but this bench does not "
                 "measure bridged adapters yet (it would need a LAN bridge it may use)\n");
      else
        g_print ("Bridged: not measured: the one-time set-up is not done "
                 "(docs/network-setup.md)\n");
    }
  else
    g_printerr ("hv-bench-net: %s\n", error != NULL ? error->message : "interrupted");

  bench_env_cleanup ();
  return ok ? 0 : interrupted ? 130 : 1;
}
