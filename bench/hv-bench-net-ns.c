/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-net-ns.c: the baseline's network: a user and network namespace of the bench's own
 * (`unshare -Urn`, as any user may make one), holding a bridge br0 (with the host's address of
 * a host-only network when given), taps on it and TCP sockets of it.
 *
 * A tap or a socket is made by a forked child that joins the namespace (setns), makes it with
 * plain system calls (nothing that allocates: the bench has threads) and sends it back over a
 * socket pair (SCM_RIGHTS); the bench passes a tap to plain QEMU by fd, as the engine passes
 * the taps of its own holder (engine/hostvisor-netns.c), so that the QEMU argv stays the
 * engine's. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-bench-net.h"

#define STOCK_BATCH 64

struct _NsHolder
{
  GSubprocess *holder;
  int user_fd;
  int net_fd;
  GArray *stock;        /* int: sockets of the namespace */
};

static void
holder_child_setup (gpointer data)
{
  /* The holder goes with the bench, even when the bench is killed. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

NsHolder *
ns_holder_new (const char  *address,
               GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *script = g_strdup_printf (
    "ip link set lo up && ip link add br0 type bridge && %s%s%s ip link set br0 up && "
    "echo ready && exec sleep 100000", address != NULL ? "ip addr add " : "",
    address != NULL ? address : "", address != NULL ? " dev br0 &&" : "");
  const char *argv[] = { "unshare", "--user", "--map-root-user", "--net", "sh", "-c", script,
                         NULL };
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = NULL;
  g_autofree char *user = NULL, *net = NULL;
  NsHolder *ns = g_new0 (NsHolder, 1);

  ns->user_fd = ns->net_fd = -1;
  ns->stock = g_array_new (FALSE, FALSE, sizeof (int));
  g_subprocess_launcher_set_child_setup (launcher, holder_child_setup, NULL, NULL);
  ns->holder = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (ns->holder == NULL)
    {
      ns_holder_free (ns);
      return NULL;
    }
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (ns->holder));
  line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (g_strcmp0 (line, "ready") != 0)
    {
      fail (error, "Cannot make the baseline's namespace (unshare -Urn, a bridge): %s",
            line != NULL ? line : "it ended");
      ns_holder_free (ns);
      return NULL;
    }
  user = g_strdup_printf ("/proc/%s/ns/user", g_subprocess_get_identifier (ns->holder));
  net = g_strdup_printf ("/proc/%s/ns/net", g_subprocess_get_identifier (ns->holder));
  ns->user_fd = open (user, O_RDONLY | O_CLOEXEC);
  ns->net_fd = open (net, O_RDONLY | O_CLOEXEC);
  if (ns->user_fd < 0 || ns->net_fd < 0)
    {
      fail (error, "Cannot open %s: %s", user, g_strerror (errno));
      ns_holder_free (ns);
      return NULL;
    }
  return ns;
}

void
ns_holder_free (NsHolder *ns)
{
  if (ns == NULL)
    return;
  for (guint i = 0; i < ns->stock->len; i++)
    close (g_array_index (ns->stock, int, i));
  g_array_unref (ns->stock);
  if (ns->user_fd >= 0)
    close (ns->user_fd);
  if (ns->net_fd >= 0)
    close (ns->net_fd);
  if (ns->holder != NULL)
    {
      g_subprocess_force_exit (ns->holder);
      g_subprocess_wait (ns->holder, NULL, NULL);
      g_object_unref (ns->holder);
    }
  g_free (ns);
}

/* In the forked child: async-signal-safe calls only. */
static int
send_fds (int sock, const int *fds, int n)
{
  char byte = 'x';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * STOCK_BATCH)];
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *cmsg;

  memset (&control, 0, sizeof control);
  msg.msg_control = control.buf;
  msg.msg_controllen = CMSG_SPACE (sizeof (int) * n);
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int) * n);
  memcpy (CMSG_DATA (cmsg), fds, sizeof (int) * n);
  return sendmsg (sock, &msg, 0) == 1 ? 0 : -1;
}

static int
child_make_tap (int *fd_out)
{
  struct ifreq ifr;
  int fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC), s, index;

  if (fd < 0)
    return 10;
  memset (&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  strcpy (ifr.ifr_name, "tap%d");
  if (ioctl (fd, TUNSETIFF, &ifr) != 0)
    return 11;
  s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || ioctl (s, SIOCGIFINDEX, &ifr) != 0)
    return 12;
  index = ifr.ifr_ifindex;
  if (ioctl (s, SIOCGIFFLAGS, &ifr) != 0)
    return 13;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) != 0)
    return 14;
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "br0");
  ifr.ifr_ifindex = index;
  if (ioctl (s, SIOCBRADDIF, &ifr) != 0)
    return 15;
  *fd_out = fd;
  return 0;
}

/* Makes @n TCP sockets (what = 's') or one tap (what = 't') inside the namespace. */
static gboolean
in_namespace (NsHolder *ns,
              char      what,
              int       n,
              int      *fds,
              GError  **error)
{
  int sv[2], status = 0;
  pid_t pid;
  char byte;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * STOCK_BATCH)];
  } control;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;

  g_assert (n >= 1 && n <= STOCK_BATCH);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return fail (error, "socketpair: %s", g_strerror (errno));
  pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return fail (error, "fork: %s", g_strerror (errno));
    }
  if (pid == 0)
    {
      int made[STOCK_BATCH];
      int rc;

      close (sv[0]);
      /* Root may already be in a user namespace that owns this one: EINVAL is not fatal then
       * only if the network namespace can still be joined. */
      if (setns (ns->user_fd, CLONE_NEWUSER) != 0 && errno != EINVAL)
        _exit (2);
      if (setns (ns->net_fd, CLONE_NEWNET) != 0)
        _exit (3);
      if (what == 't')
        {
          rc = child_make_tap (&made[0]);
          if (rc != 0)
            _exit (rc);
        }
      else
        for (int i = 0; i < n; i++)
          if ((made[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            _exit (4);
      _exit (send_fds (sv[1], made, what == 't' ? 1 : n) == 0 ? 0 : 5);
    }
  close (sv[1]);
  memset (&control, 0, sizeof control);
  if (recvmsg (sv[0], &msg, MSG_CMSG_CLOEXEC) != 1)
    {
      close (sv[0]);
      waitpid (pid, &status, 0);
      return fail (error, "Cannot make a %s in the baseline's namespace (step %d)",
                   what == 't' ? "tap" : "socket", WIFEXITED (status) ? WEXITSTATUS (status)
                   : -1);
    }
  close (sv[0]);
  waitpid (pid, &status, 0);
  cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS ||
      cmsg->cmsg_len != CMSG_LEN (sizeof (int) * (what == 't' ? 1 : n)))
    return fail (error, "The baseline's namespace sent no fd");
  memcpy (fds, CMSG_DATA (cmsg), sizeof (int) * (what == 't' ? 1 : n));
  return TRUE;
}

int
ns_holder_tap (NsHolder  *ns,
               GError   **error)
{
  int fd = -1;

  return in_namespace (ns, 't', 1, &fd, error) ? fd : -1;
}

gboolean
ns_holder_stock (NsHolder  *ns,
                 guint      n,
                 GError   **error)
{
  struct rlimit lim;

  /* Enough fds for the stock and the rest of the bench. */
  if (getrlimit (RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < n + 256 && lim.rlim_cur < lim.rlim_max)
    {
      lim.rlim_cur = MIN (lim.rlim_max, (rlim_t) n + 256);
      setrlimit (RLIMIT_NOFILE, &lim);
    }
  while (ns->stock->len < n)
    {
      int fds[STOCK_BATCH];

      if (!in_namespace (ns, 's', STOCK_BATCH, fds, error))
        return FALSE;
      g_array_append_vals (ns->stock, fds, STOCK_BATCH);
    }
  return TRUE;
}

int
ns_holder_socket (NsHolder *ns)
{
  int fd;

  if (ns->stock->len == 0 && !ns_holder_stock (ns, 1, NULL))
    return -1;
  fd = g_array_index (ns->stock, int, ns->stock->len - 1);
  g_array_set_size (ns->stock, ns->stock->len - 1);
  return fd;
}
