/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-net-lan.c: the engine's own networks beside plain QEMUs with the same backend.
 *
 * Host-only (isolated mode, what runs without the one-time set-up): a VM with a static
 * address on host-only network "hvbho" (10.63.0.1/24); the host sends to it, fetches from
 * its httpd and makes requests through the engine's forwarded ports on 127.0.0.1
 * (engine/hv-network-forward.c). Baseline: plain QEMU with the engine's argv and a tap on a
 * bridge of the bench's own namespace with the same address, reached by the bench directly
 * (sockets of that namespace, no proxy): what the forward adds.
 *
 * Internal: two VMs with static addresses on internal network "hvbin"; one fetches a file
 * from the other's httpd (busybox wget to /dev/null) and times it with its own clock
 * (adjtimex). Baseline: two plain QEMUs with the engine's argv, their taps on one bridge of
 * the bench's own namespace: the same backend (a tap on a Linux bridge in a user+net
 * namespace), so the ratio shows whatever the engine adds (nothing on the data path). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hv-bench-net.h"

#define HO_NET "hvbho"
#define HO_VM "hvbench-ho"
#define HO_HOST_ADDRESS "10.63.0.1/24"
#define HO_GUEST "10.63.0.50"
#define IN_NET "hvbin"
#define IN_CLIENT "hvbench-ia"
#define IN_SERVER "hvbench-ib"
#define IN_CLIENT_IP "10.64.0.1"
#define IN_SERVER_IP "10.64.0.2"
#define RUN_TIMEOUT_MS (10 * 60 * 1000)

static guint16 ho_fwd[3];

static char *
cmdline_of (const char *script)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) script, strlen (script));

  return g_strdup_printf ("console=ttyS0 quiet hv.httpd=1 hv.poweroff=1 hv.run64=%s", encoded);
}

/* The guest's file for httpd, made before it listens for the host's bytes. */
#define MAKE_BIG \
  "dd if=/dev/zero of=/www/big.tmp bs=1048576 count=%d 2>/dev/null && mv /www/big.tmp /www/big\n"

static gboolean
ctl_ok (GError **error, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;
  Child *c;
  gboolean ok;

  g_ptr_array_add (args, bench.ctl);
  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  c = child_spawn ((const char * const *) args->pdata, error);
  ok = c != NULL && child_wait (c, 120 * 1000, error) &&
       child_check (c, (const char * const *) args->pdata, error);
  if (c != NULL)
    child_free (c);
  return ok;
}

static gboolean
create_vm (const char *name, const char *kernel, const char *initrd, const char *cmdline,
           const char *mode, const char *target, GError **error)
{
  return ctl_ok (error, "create", name, "--no-disk", "--memory", GUEST_MEMORY_MIB, "--kernel",
                 kernel, "--initrd", initrd, "--cmdline", cmdline, NULL) &&
         ctl_ok (error, "modify", name, "--nic1", mode, "--nic1-target", target, NULL);
}

/* The engine's argv of @vm from its log, moved to bench.tmp/@subdir, its tap fd from @tap. */
static gboolean
plain_from_vm (const char *vm, const char *subdir, int tap, PlainQemu *p, GError **error)
{
  g_autoptr(JsonObject) o = ctl_show (vm, error);
  g_auto(GStrv) argv = NULL;

  if (o == NULL || (argv = argv_from_vm_log (json_string (o, "log"), error)) == NULL)
    return FALSE;
  p->subdir = g_strdup (subdir);
  p->pass_fd = tap;
  p->pass_fd_target = argv_tap_fd (argv);
  if (p->pass_fd_target < 0)
    return fail (error, "The engine's QEMU argv of %s has no -netdev tap,fd=N", vm);
  if (!plain_qemu_prepare (p, argv, json_string (o, "directory"), error))
    return FALSE;
  if (bench.verbose)
    {
      g_autofree char *text = argv_text ((const char * const *) p->argv);
      g_printerr ("hv-bench-net: plain QEMU (%s, tap as fd %d): %s\n", subdir,
                  p->pass_fd_target, text);
    }
  return TRUE;
}

/* Adds the end of the guest's serial log to a failure: what the guest got to. */
static void
add_serial_tail (GError **error, const char *log)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (error == NULL || *error == NULL || log == NULL ||
      !g_file_get_contents (log, &text, &len, NULL))
    return;
  g_prefix_error (error, "(the guest's serial log ends: %s) ",
                  g_strstrip (text + (len > 300 ? len - 300 : 0)));
}

/* ── Host-only ──────────────────────────────────────────────────────────────────────────── */

static char *
host_only_cmdline (void)
{
  g_autofree char *script = g_strdup_printf (
    "ip addr add " HO_GUEST "/24 dev eth0\nip link set eth0 up\n" MAKE_BIG GUEST_RECEIVE,
    size_mib, size_mib * 1048576, GUEST_TX_PORT, GUEST_DONE_PORT);

  return cmdline_of (script);
}

gboolean
lan_host_only_round (const char *kernel,
                     const char *initrd,
                     gboolean    first,
                     LanRound   *r,
                     GError    **error)
{
  PlainQemu p = { 0 };
  g_autoptr(GSubprocess) qemu = NULL;
  NsHolder *ns = NULL;
  GThread *thread;
  int tap = -1, qmp_fd = -1;
  gboolean ok;

  r->hv.sink_fd = r->plain.sink_fd = -1;
  if (first)
    {
      g_autofree char *cmdline = host_only_cmdline ();
      const char *names[] = { "tx", "http", "done" };
      const int guest[] = { GUEST_TX_PORT, 80, GUEST_DONE_PORT };

      if (!ctl_ok (error, "network", "create", HO_NET, "--address", HO_HOST_ADDRESS, NULL) ||
          !create_vm (HO_VM, kernel, initrd, cmdline, "host-only", HO_NET, error))
        return FALSE;
      for (int i = 0; i < 3; i++)
        {
          g_autofree char *hp = NULL, *gp = g_strdup_printf ("%d", guest[i]);

          ho_fwd[i] = free_port ();
          hp = g_strdup_printf ("%u", ho_fwd[i]);
          if (ho_fwd[i] == 0 ||
              !ctl_ok (error, "port-forward", HO_VM, "add", "--nic", "1", "--rule-name",
                       names[i], "--host-port", hp, "--guest-ip", HO_GUEST, "--guest-port", gp,
                       NULL))
            return FALSE;
        }
    }

  g_printerr ("hv-bench-net: host-only: Hostvisor's VM\n");
  r->hv.fwd_tx = ho_fwd[0];
  r->hv.fwd_http = ho_fwd[1];
  r->hv.fwd_done = ho_fwd[2];
  thread = host_side_start (&r->hv);
  if (!ctl_ok (error, "start", HO_VM, NULL))
    {
      /* The thread gives up after its timeout; nothing else can end it. */
      g_thread_unref (thread);
      return FALSE;
    }
  ok = host_side_finish (thread, &r->hv, error);
  if (!ok)
    {
      g_autoptr(JsonObject) o = ctl_show (HO_VM, NULL);

      add_serial_tail (error, o != NULL ? json_string (o, "serial_log") : NULL);
    }
  if (!wait_engine_off (HO_VM) || !ok)
    return ok && fail (error, "The host-only VM did not power off");

  g_printerr ("hv-bench-net: host-only: plain QEMU\n");
  ns = ns_holder_new (HO_HOST_ADDRESS, error);
  ok = ns != NULL && (tap = ns_holder_tap (ns, error)) >= 0 &&
       plain_from_vm (HO_VM, "plain-ho", tap, &p, error);
  if (ok)
    {
      r->plain.ns = ns;
      r->plain.guest_ip = HO_GUEST;
      thread = host_side_start (&r->plain);
      ok = plain_spawn (&p, &qemu, &qmp_fd, error);
      if (ok)
        {
          ok = host_side_finish (thread, &r->plain, error) &&
               plain_wait_exit (qemu, POWEROFF_TIMEOUT_MS, error);
          if (!ok)
            add_serial_tail (error, p.serial_log);
        }
      else
        g_thread_unref (thread);
    }
  if (qemu != NULL && g_subprocess_get_identifier (qemu) != NULL)
    {
      g_subprocess_force_exit (qemu);
      g_subprocess_wait (qemu, NULL, NULL);
    }
  if (qmp_fd >= 0)
    close (qmp_fd);
  if (tap >= 0)
    close (tap);
  plain_qemu_clear (&p);
  r->plain.ns = NULL;
  ns_holder_free (ns);
  return ok;
}

/* ── Internal ───────────────────────────────────────────────────────────────────────────── */

static char *
internal_cmdline (gboolean client)
{
  g_autofree char *script = NULL;

  if (client)
    script = g_strdup (
      "ip addr add " IN_CLIENT_IP "/24 dev eth0\nip link set eth0 up\n"
      "now () { set -- $(adjtimex | sed -n 's/.*time.tv_sec: *//p; s/.*time.tv_usec: *//p')\n"
      "  echo $(( $1 * 1000000 + $2 )); }\n"
      "while ! wget -q -O /dev/null http://" IN_SERVER_IP "/ready 2>/dev/null; do\n"
      "  usleep 200000; done\n"
      "t0=$(now)\nwget -q -O /dev/null http://" IN_SERVER_IP "/big\nrc=$?\nt1=$(now)\n"
      "echo \"HVB-RESULT $rc $((t1 - t0))\" > /dev/console\n"
      "nc " IN_SERVER_IP " 5002 < /dev/null\n");
  else
    script = g_strdup_printf (
      "ip addr add " IN_SERVER_IP "/24 dev eth0\nip link set eth0 up\n" MAKE_BIG
      "touch /www/ready\nnc -l -p %d > /dev/null\n", size_mib, GUEST_DONE_PORT);
  return cmdline_of (script);
}

/* The client's last "HVB-RESULT RC MICROSECONDS" in @log, as MiB/s. */
static gboolean
internal_result (const char *log, double *mib_s, GError **error)
{
  g_autofree char *text = NULL;
  const char *at, *last = NULL;
  int rc = -1;
  long long us = 0;

  if (!g_file_get_contents (log, &text, NULL, error))
    return FALSE;
  for (at = text; (at = strstr (at, "HVB-RESULT ")) != NULL; at++)
    last = at;
  if (last == NULL || sscanf (last, "HVB-RESULT %d %lld", &rc, &us) != 2)
    return fail (error, "The internal network's client printed no result in %s", log);
  if (rc != 0 || us <= 0)
    return fail (error, "The client's wget on the internal network failed (exit %d)", rc);
  *mib_s = size_mib / (us / 1e6);
  return TRUE;
}

gboolean
lan_internal_round (const char *kernel,
                    const char *initrd,
                    gboolean    first,
                    LanRound   *r,
                    GError    **error)
{
  PlainQemu p[2] = { { 0 }, { 0 } };
  GSubprocess *qemu[2] = { NULL, NULL };
  const char *vms[2] = { IN_CLIENT, IN_SERVER };
  int tap[2] = { -1, -1 }, qmp_fd[2] = { -1, -1 };
  g_autoptr(JsonObject) o = NULL;
  NsHolder *ns = NULL;
  gboolean ok = TRUE;

  if (first)
    for (int i = 0; i < 2; i++)
      {
        g_autofree char *cmdline = internal_cmdline (i == 0);

        if (!create_vm (vms[i], kernel, initrd, cmdline, "internal", IN_NET, error))
          return FALSE;
      }

  g_printerr ("hv-bench-net: internal: Hostvisor's two VMs\n");
  if (!ctl_ok (error, "start", IN_SERVER, NULL) || !ctl_ok (error, "start", IN_CLIENT, NULL))
    return FALSE;
  for (int i = 0; i < 2; i++)
    if (!wait_engine_off (vms[i]))
      return fail (error, "%s did not power off", vms[i]);
  o = ctl_show (IN_CLIENT, error);
  if (o == NULL || !internal_result (json_string (o, "serial_log"), &r->internal_hv_mib_s, error))
    return FALSE;

  g_printerr ("hv-bench-net: internal: two plain QEMUs\n");
  ns = ns_holder_new (NULL, error);
  ok = ns != NULL;
  for (int i = 0; ok && i < 2; i++)
    ok = (tap[i] = ns_holder_tap (ns, error)) >= 0 &&
         plain_from_vm (vms[i], i == 0 ? "plain-ia" : "plain-ib", tap[i], &p[i], error);
  for (int i = 1; ok && i >= 0; i--)
    ok = plain_spawn (&p[i], &qemu[i], &qmp_fd[i], error);
  for (int i = 0; ok && i < 2; i++)
    ok = plain_wait_exit (qemu[i], RUN_TIMEOUT_MS, error);
  ok = ok && internal_result (p[0].serial_log, &r->internal_plain_mib_s, error);
  if (!ok)
    add_serial_tail (error, p[0].serial_log);
  for (int i = 0; i < 2; i++)
    {
      if (qemu[i] != NULL)
        {
          if (g_subprocess_get_identifier (qemu[i]) != NULL)
            {
              g_subprocess_force_exit (qemu[i]);
              g_subprocess_wait (qemu[i], NULL, NULL);
            }
          g_object_unref (qemu[i]);
        }
      if (qmp_fd[i] >= 0)
        close (qmp_fd[i]);
      if (tap[i] >= 0)
        close (tap[i]);
      plain_qemu_clear (&p[i]);
    }
  ns_holder_free (ns);
  return ok;
}
