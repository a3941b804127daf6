/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-network-ns.c: the engine's networks without guests, for real: an internal network
 * comes up in its own user+network namespace with a bridge and one tap per adapter (the
 * taps exist inside it, nothing new appears in the host's namespace), a host-only network
 * runs dnsmasq there with the bridge holding the host's address, a forwarded port on
 * 127.0.0.1 reaches a server inside the namespace (TCP and UDP), a taken port is a clear
 * error, and when the last VM leaves, the holder and dnsmasq are gone. Runs as whoever runs
 * it: as root, and as an unprivileged user (test-network-ns-unprivileged.sh). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-network.h"

static char *tmp_dir;
static const char *skip_reason;   /* this host cannot make user namespaces */

#define SKIP_IF_NEEDED() \
  G_STMT_START { if (skip_reason != NULL) { g_test_skip (skip_reason); return; } } G_STMT_END

typedef struct {
  GMainLoop *loop;
  int fd;
  GError *error;
} AttachWait;

static void
on_attached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AttachWait *w = user_data;

  w->fd = hv_networks_attach_finish (HV_NETWORKS (source), result, &w->error);
  g_main_loop_quit (w->loop);
}

static int
attach (HvNetworks *n, const char *vm, guint slot, HvNetMode mode, const char *target,
        const char *mac, GError **error)
{
  AttachWait w = { g_main_loop_new (NULL, FALSE), -1, NULL };

  hv_networks_attach_async (n, vm, slot, mode, target, mac, NULL, on_attached, &w);
  g_main_loop_run (w.loop);
  g_main_loop_unref (w.loop);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return w.fd;
}

/* Children of this process named @comm (the holders), and their children (dnsmasq). */
static GArray *
children_named (GPid parent, const char *comm)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/stat", name);
      g_autofree char *stat = NULL;
      char *close_paren;
      char state;
      int ppid;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      close_paren = strrchr (stat, ')');
      if (close_paren == NULL || sscanf (close_paren + 2, "%c %d", &state, &ppid) != 2)
        continue;
      if (ppid == parent && state != 'Z' && strncmp (strchr (stat, '(') + 1, comm,
                                                     strlen (comm)) == 0)
        {
          GPid pid = atoi (name);
          g_array_append_val (pids, pid);
        }
    }
  return pids;
}

static guint
count_children (GPid parent, const char *comm)
{
  g_autoptr(GArray) pids = children_named (parent, comm);

  return pids->len;
}

static char *
run (const char *command)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("%s: %s", command, err);
  return g_steal_pointer (&out);
}

static char *
host_links (void)
{
  g_autofree char *out = run ("ip -o link show");
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GString *names = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], ": ", 3);

      if (f[0] != NULL && f[1] != NULL)
        g_string_append_printf (names, "%s\n", f[1]);
    }
  return g_string_free (names, FALSE);
}

static char *
ns_run (GPid holder, const char *command)
{
  g_autofree char *full = g_strdup_printf ("nsenter --target %d --user --net "
                                           "--preserve-credentials %s", holder, command);

  return run (full);
}

static void
spin_until_no_children (const char *comm)
{
  for (int i = 0; i < 500; i++)
    {
      g_autoptr(GArray) left = children_named (getpid (), comm);

      if (left->len == 0)
        return;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
}

typedef struct {
  guint16 port;
  gboolean udp;
  char *answer;
  gint done;
} ClientJob;

static gpointer
client_thread (gpointer data)
{
  ClientJob *job = data;
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, job->udp ? G_SOCKET_TYPE_DATAGRAM
                                       : G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, job->port);
  char buf[256] = "";
  gssize n;

  g_socket_set_timeout (s, 10);
  if (g_socket_connect (s, addr, NULL, NULL))
    {
      g_socket_send (s, "ping\n", 5, NULL, NULL);
      n = g_socket_receive (s, buf, sizeof buf - 1, NULL, NULL);
      if (n > 0)
        job->answer = g_strndup (buf, n);
    }
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static char *
fetch (guint16 port, gboolean udp)
{
  ClientJob job = { port, udp, NULL, 0 };
  GThread *t = g_thread_new ("client", client_thread, &job);
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  /* The forward runs on this thread's main context. */
  while (!g_atomic_int_get (&job.done) && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  g_thread_join (t);
  return job.answer;
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, addr, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_internal (void)
{
  g_autofree char *lib = g_build_filename (tmp_dir, "lib-internal", NULL);
  g_autofree char *runb = g_build_filename (tmp_dir, "run-internal", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvNetworks) n = NULL;
  g_autofree char *before = host_links ();
  g_autofree char *inside = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GArray) holders = NULL;
  g_autoptr(GArray) other = NULL;
  g_autoptr(GVariant) list = NULL;
  int fd1, fd2, fd3;

  SKIP_IF_NEEDED ();

  g_mkdir_with_parents (lib, 0700);
  g_mkdir_with_parents (runb, 0700);
  n = hv_networks_new (lib, runb, &error);
  g_assert_no_error (error);

  fd1 = attach (n, "vm-a", 1, HV_NET_INTERNAL, "lab", "52:54:00:00:00:01", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd1, >=, 0);
  fd2 = attach (n, "vm-b", 1, HV_NET_INTERNAL, "lab", "52:54:00:00:00:02", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd2, >=, 0);
  fd3 = attach (n, "vm-c", 2, HV_NET_INTERNAL, "other-lab", "52:54:00:00:00:03", &error);
  g_assert_no_error (error);

  holders = children_named (getpid (), "hostvisor-netns");
  g_assert_cmpuint (holders->len, ==, 2);   /* one per network */

  /* Inside the first network's namespace: the bridge and two taps on it. */
  inside = ns_run (g_array_index (holders, GPid, 0), "ip -o link show");
  other = g_array_new (FALSE, FALSE, sizeof (GPid));
  {
    g_autofree char *inside2 = ns_run (g_array_index (holders, GPid, 1), "ip -o link show");
    guint taps1 = 0, taps2 = 0;

    for (const char *p = inside; (p = strstr (p, "master hvbr0")) != NULL; p++)
      taps1++;
    for (const char *p = inside2; (p = strstr (p, "master hvbr0")) != NULL; p++)
      taps2++;
    g_assert_nonnull (strstr (inside, "hvbr0:"));
    g_assert_nonnull (strstr (inside2, "hvbr0:"));
    /* "lab" has two taps, "other-lab" one: whichever holder is which. */
    g_assert_cmpuint (MIN (taps1, taps2), ==, 1);
    g_assert_cmpuint (MAX (taps1, taps2), ==, 2);
  }
  after = host_links ();
  g_assert_cmpstr (before, ==, after);
  g_assert_null (strstr (after, "hvbr0"));

  list = g_variant_ref_sink (hv_networks_describe (n));
  {
    g_autofree char *text = g_variant_print (list, FALSE);

    g_assert_nonnull (strstr (text, "'name': <'lab'>, 'kind': <'internal'>"));
    g_assert_nonnull (strstr (text, "'state': <'up'>"));
  }

  /* The network stays up while one VM is on it, goes down with the last. */
  hv_networks_detach_vm (n, "vm-a");
  g_assert_cmpuint (count_children (getpid (), "hostvisor-netns"), ==, 2);
  hv_networks_detach_vm (n, "vm-b");
  hv_networks_detach_vm (n, "vm-c");
  close (fd1);
  close (fd2);
  close (fd3);
  spin_until_no_children ("hostvisor-netns");
  g_assert_cmpuint (count_children (getpid (), "hostvisor-netns"), ==, 0);
  g_free (after);
  after = host_links ();
  g_assert_cmpstr (before, ==, after);
}

/* One VM, "web1", whose adapter names host-only network "test1". */
static GPtrArray *
fake_uses (gpointer user_data)
{
  GPtrArray *uses = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_network_use_free);
  HvNetworkUse *use = g_new0 (HvNetworkUse, 1);

  use->mode = HV_NET_HOST_ONLY;
  use->target = g_strdup ("test1");
  use->vm_uuid = g_strdup ("0b7c0000-0000-4000-8000-000000000001");
  use->vm_name = g_strdup ("web1");
  g_ptr_array_add (uses, use);
  return uses;
}

/* A Python server inside the holder's namespaces: returned once it listens. It dies with
 * this test (PR_SET_PDEATHSIG through setpriv) and never holds the test's output open. */
static GSubprocess *
ns_server (const char *holder, const char *program)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  GSubprocess *server;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                             &error, "setpriv", "--pdeathsig", "KILL", "nsenter", "--target",
                             holder, "--user", "--net", "--preserve-credentials", "python3", "-c",
                             program, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
  return server;
}

static void
test_host_only_isolated (void)
{
  g_autofree char *lib = g_build_filename (tmp_dir, "lib-hostonly", NULL);
  g_autofree char *runb = g_build_filename (tmp_dir, "run-hostonly", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvNetworks) n = NULL;
  g_autofree char *inside = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *server = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *udp_answer = NULL;
  g_autoptr(GArray) holders = NULL;
  g_autoptr(GArray) dnsmasqs = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GSubprocess) tcp_server = NULL;
  g_autoptr(GSubprocess) udp_server = NULL;
  HvPortForward rule = { "web", FALSE, "127.0.0.1", 0, "10.98.7.1", 8080 };
  HvPortForward udp_rule = { "dns-ish", TRUE, "127.0.0.1", 0, "10.98.7.1", 5353 };
  HvPortForward clash = { "clash", FALSE, "127.0.0.1", 0, "10.98.7.1", 8080 };
  g_autofree char *holder_arg = NULL;
  int fd;

  SKIP_IF_NEEDED ();

  g_mkdir_with_parents (lib, 0700);
  g_mkdir_with_parents (runb, 0700);
  n = hv_networks_new (lib, runb, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hv_networks_host_only_mode (n, "hostonly0"), ==, "isolated");
  g_assert_null (hv_networks_host_only_mode (n, "nosuch"));
  options = g_variant_ref_sink (g_variant_new_parsed ("{'address': <'10.98.7.1/24'>}"));
  hv_networks_create (n, "test1", options, &error);
  g_assert_no_error (error);

  fd = attach (n, "vm-h", 1, HV_NET_HOST_ONLY, "test1", "52:54:00:00:01:01", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);

  /* Up: modify refused, remove refused. */
  hv_networks_modify (n, "test1", options, &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_clear_error (&error);
  hv_networks_remove (n, "test1", &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_clear_error (&error);

  holders = children_named (getpid (), "hostvisor-netns");
  g_assert_cmpuint (holders->len, ==, 1);
  dnsmasqs = children_named (g_array_index (holders, GPid, 0), "dnsmasq");
  g_assert_cmpuint (dnsmasqs->len, ==, 1);
  inside = ns_run (g_array_index (holders, GPid, 0), "ip -o addr show dev hvbr0");
  g_assert_nonnull (strstr (inside, "10.98.7.1/24"));
  conf = g_build_filename (runb, "networks", "test1", "dnsmasq.conf", NULL);
  g_assert_true (g_file_test (conf, G_FILE_TEST_IS_REGULAR));

  /* Servers inside the namespace, on the host's address of the network. */
  holder_arg = g_strdup_printf ("%d", g_array_index (holders, GPid, 0));
  tcp_server = ns_server (holder_arg,
                          "import socket\n"
                          "s=socket.socket()\n"
                          "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                          "s.bind(('10.98.7.1',8080)); s.listen(5); s.settimeout(60)\n"
                          "print('ready', flush=True)\n"
                          "for i in range(2):\n"
                          "  c,_=s.accept(); c.recv(100); c.sendall(b'inside-tcp'); c.close()\n");
  udp_server = ns_server (holder_arg,
                          "import socket\n"
                          "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                          "s.bind(('10.98.7.1',5353)); s.settimeout(60)\n"
                          "print('ready', flush=True)\n"
                          "d,a=s.recvfrom(100); s.sendto(b'inside-udp', a)\n");

  rule.host_port = free_port ();
  hv_networks_add_forward (n, "vm-h", 1, "52:54:00:00:01:01", &rule, &error);
  g_assert_no_error (error);
  answer = fetch (rule.host_port, FALSE);
  g_assert_cmpstr (answer, ==, "inside-tcp");

  udp_rule.host_port = free_port ();
  hv_networks_add_forward (n, "vm-h", 1, "52:54:00:00:01:01", &udp_rule, &error);
  g_assert_no_error (error);
  udp_answer = fetch (udp_rule.host_port, TRUE);
  g_assert_cmpstr (udp_answer, ==, "inside-udp");

  /* The same port again: taken, and the message names it and the rule. */
  clash.host_port = rule.host_port;
  hv_networks_add_forward (n, "vm-h", 1, "52:54:00:00:01:01", &clash, &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_BUSY);
  {
    g_autofree char *port = g_strdup_printf ("%u", rule.host_port);

    g_assert_nonnull (strstr (error->message, port));
    g_assert_nonnull (strstr (error->message, "\"clash\""));
  }
  g_clear_error (&error);

  /* Removed: nothing listens there any more. */
  hv_networks_remove_forward (n, "vm-h", 1, "web");
  g_free (answer);
  answer = fetch (rule.host_port, FALSE);
  g_assert_null (answer);

  /* Not on a host-only network: refused. */
  hv_networks_add_forward (n, "vm-x", 1, "52:54:00:00:01:09", &rule, &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_subprocess_force_exit (tcp_server);
  g_subprocess_force_exit (udp_server);
  hv_networks_detach_vm (n, "vm-h");
  close (fd);
  spin_until_no_children ("hostvisor-netns");
  g_assert_cmpuint (count_children (getpid (), "hostvisor-netns"), ==, 0);
  g_assert_cmpint (kill (g_array_index (dnsmasqs, GPid, 0), 0), !=, 0);

  /* Down again: it may change; while a VM's adapter names it, it may not go. */
  hv_networks_modify (n, "test1", options, &error);
  g_assert_no_error (error);
  hv_networks_set_uses_func (n, fake_uses, NULL);
  hv_networks_remove (n, "test1", &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "\"web1\""));
  g_clear_error (&error);
  {
    g_autoptr(GVariant) described = g_variant_ref_sink (hv_networks_describe (n));
    g_autofree char *text = g_variant_print (described, FALSE);

    g_assert_nonnull (strstr (text, "'vms': <['0b7c0000-0000-4000-8000-000000000001']>"));
  }
  hv_networks_set_uses_func (n, NULL, NULL);
  hv_networks_remove (n, "test1", &error);
  g_assert_no_error (error);
}

/* A broken networks.xml: the engine goes on without host-only networks, says why when asked
 * to change one, and leaves the file alone. */
static void
test_broken_store (void)
{
  g_autofree char *lib = g_build_filename (tmp_dir, "lib-broken", NULL);
  g_autofree char *runb = g_build_filename (tmp_dir, "run-broken", NULL);
  g_autofree char *path = g_build_filename (lib, "networks.xml", NULL);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvNetworks) n = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GVariant) options = g_variant_ref_sink (g_variant_new_parsed ("@a{sv} {}"));
  const char *broken = "<networks><host-only name=\"x\"";

  g_mkdir_with_parents (lib, 0700);
  g_mkdir_with_parents (runb, 0700);
  g_assert_true (g_file_set_contents (path, broken, -1, NULL));
  n = hv_networks_new (lib, runb, &error);
  g_assert_no_error (error);
  g_assert_nonnull (n);
  list = g_variant_ref_sink (hv_networks_describe (n));
  g_assert_cmpuint (g_variant_n_children (list), ==, 0);
  g_assert_false (hv_networks_create (n, "fresh", options, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "networks.xml"));
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, broken);
  /* Internal networks do not depend on it. */
  g_assert_null (hv_networks_host_only_mode (n, "hostonly0"));
}

static void
test_attach_errors (void)
{
  g_autofree char *lib = g_build_filename (tmp_dir, "lib-errors", NULL);
  g_autofree char *runb = g_build_filename (tmp_dir, "run-errors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvNetworks) n = NULL;

  SKIP_IF_NEEDED ();

  g_mkdir_with_parents (lib, 0700);
  g_mkdir_with_parents (runb, 0700);
  n = hv_networks_new (lib, runb, &error);
  g_assert_no_error (error);
  g_assert_cmpint (attach (n, "vm", 3, HV_NET_HOST_ONLY, "nosuch", "52:54:00:00:00:09", &error),
                   ==, -1);
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Adapter 3"));
  g_assert_nonnull (strstr (error->message, "\"nosuch\""));
  g_clear_error (&error);
  g_assert_cmpint (attach (n, "vm", 1, HV_NET_NAT, NULL, "52:54:00:00:00:09", &error), ==, -1);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (attach (n, "vm", 1, HV_NET_INTERNAL, "", "52:54:00:00:00:09", &error), ==, -1);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (attach (n, "vm", 2, HV_NET_INTERNAL, "Lab/../x", "52:54:00:00:00:09", &error),
                   ==, -1);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Adapter 2"));
  g_clear_error (&error);
  /* A holder that cannot start: its error reaches the attach. */
  g_setenv ("HOSTVISOR_NETNS_HELPER", "/nonexistent/hostvisor-netns", TRUE);
  g_assert_cmpint (attach (n, "vm", 1, HV_NET_INTERNAL, "lab", "52:54:00:00:00:09", &error),
                   ==, -1);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "Adapter 1"));
  g_clear_error (&error);
  g_unsetenv ("HOSTVISOR_NETNS_HELPER");
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hv-netns-XXXXXX", NULL);
  {
    g_autofree char *nsenter = g_find_program_in_path ("nsenter");
    int status = 1;

    if (nsenter == NULL)
      skip_reason = "needs nsenter (util-linux)";
    else if (!g_spawn_command_line_sync ("unshare --user --map-root-user --net true", NULL, NULL,
                                         &status, NULL) || status != 0)
      skip_reason = "this host does not let users make user namespaces";
  }
  g_test_add_func ("/network-ns/internal", test_internal);
  g_test_add_func ("/network-ns/host-only-isolated", test_host_only_isolated);
  g_test_add_func ("/network-ns/attach-errors", test_attach_errors);
  g_test_add_func ("/network-ns/broken-store", test_broken_store);
  rc = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp_dir);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return rc;
}
