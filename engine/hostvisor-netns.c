/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisor-netns: the holder of one engine-owned network (hv-network-ns.c starts it).
 *
 * It enters a new user namespace (mapping only the user's own uid and gid to root, which
 * needs no privilege) and a new network namespace owned by it, makes a bridge there
 * (HV_NETNS_BRIDGE, optionally with the host's address of a host-only network), starts
 * dnsmasq there when asked, and then serves engines over SOCK_SEQPACKET sockets, one request
 * a datagram: the engine that started it on fd 3, and a later engine (after the first was
 * killed or crashed while VMs ran) on the listening socket --socket PATH:
 *
 *   "tap"         -> "ok NAME" with the fd of a new tap on the bridge (SCM_RIGHTS)
 *   "socket tcp"  -> "ok" with an unconnected TCP socket of the namespace
 *   "socket udp"  -> "ok" with an unconnected UDP socket of the namespace
 *   "down"        -> the network's last VM has stopped: it ends at once
 *   anything else -> "error MESSAGE"
 *
 * Each engine's first message is "ready" or "error MESSAGE". Only a peer with its own uid
 * (SO_PEERCRED) is served on PATH. It outlives its engine while a VM's tap remains on the
 * bridge (QEMU holds the tap open; the holder keeps no tap fd of its own once passed), so
 * that running guests keep their network and a new engine can reconnect; with no engine
 * connected and no tap left for GRACE_SECONDS it ends by itself. dnsmasq ends with it
 * (PR_SET_PDEATHSIG); so does the namespace with its bridge, once no tap holds it. Nothing
 * of it is ever visible in the host's network namespace. It refuses every argument it does
 * not expect. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BRIDGE "hvbr0"
#define SOCK_FD 3
#define MAX_CLIENTS 4
#define GRACE_SECONDS 3

static pid_t dnsmasq_pid = -1;
/* Connected engines' sockets (-1: a free slot); the reply goes to the asking one. */
static int clients[MAX_CLIENTS] = { SOCK_FD, -1, -1, -1 };
static int reply_fd = SOCK_FD;
static int listen_fd = -1;
static const char *socket_path;
static ino_t socket_ino;

static void
send_msg (int fd_to_pass, const char *format, ...)
{
  char text[512];
  struct msghdr msg = { 0 };
  struct iovec iov;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  va_list args;

  va_start (args, format);
  vsnprintf (text, sizeof text, format, args);
  va_end (args);
  iov.iov_base = text;
  iov.iov_len = strlen (text);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd_to_pass >= 0)
    {
      struct cmsghdr *cmsg;

      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cmsg), &fd_to_pass, sizeof (int));
    }
  while (sendmsg (reply_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
    ;
}

/* Removes our listening socket's name, unless a newer holder of the network has taken it. */
static void
unlink_socket (void)
{
  struct stat st;

  if (socket_path != NULL && stat (socket_path, &st) == 0 && st.st_ino == socket_ino
      && S_ISSOCK (st.st_mode))
    unlink (socket_path);
  socket_path = NULL;
}

static void
stop_dnsmasq (void)
{
  if (dnsmasq_pid > 0)
    {
      kill (dnsmasq_pid, SIGTERM);
      for (int i = 0; i < 100; i++)
        {
          if (waitpid (dnsmasq_pid, NULL, WNOHANG) == dnsmasq_pid)
            {
              dnsmasq_pid = -1;
              return;
            }
          usleep (20000);
        }
      kill (dnsmasq_pid, SIGKILL);
      waitpid (dnsmasq_pid, NULL, 0);
      dnsmasq_pid = -1;
    }
}

static void
fail (const char *format, ...)
{
  char text[480];
  va_list args;

  va_start (args, format);
  vsnprintf (text, sizeof text, format, args);
  va_end (args);
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i] >= 0)
      {
        reply_fd = clients[i];
        send_msg (-1, "error %s", text);
      }
  fprintf (stderr, "hostvisor-netns: %s\n", text);
  unlink_socket ();
  stop_dnsmasq ();
  exit (1);
}

static int
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return -1;
  n = write (fd, text, strlen (text));
  close (fd);
  return n == (ssize_t) strlen (text) ? 0 : -1;
}

static const char *
find_program (const char *name)
{
  static char path[256];
  static const char * const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };

  for (int i = 0; dirs[i] != NULL; i++)
    {
      snprintf (path, sizeof path, "%s/%s", dirs[i], name);
      if (access (path, X_OK) == 0)
        return path;
    }
  return NULL;
}

/* Runs `ip ARGS…` inside the namespace; its error output goes to ours (the engine's log). */
static int
run_ip (const char *first, ...)
{
  const char *argv[16];
  const char *ip = find_program ("ip");
  int n = 0, status;
  pid_t pid;
  va_list args;

  if (ip == NULL)
    return -1;
  argv[n++] = ip;
  va_start (args, first);
  for (const char *a = first; a != NULL && n < 15; a = va_arg (args, const char *))
    argv[n++] = a;
  va_end (args);
  argv[n] = NULL;
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);

      dup2 (null, 0);
      dup2 (null, 1);
      execv (ip, (char **) argv);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
}

static void
enter_namespaces (void)
{
  char map[64];
  uid_t uid = getuid ();
  gid_t gid = getgid ();

  if (unshare (CLONE_NEWUSER | CLONE_NEWNET) != 0)
    fail ("cannot make a user and network namespace: %s (are unprivileged user "
          "namespaces disabled? see /proc/sys/kernel/unprivileged_userns_clone)",
          strerror (errno));
  /* Only our own ids, mapped to root in the namespace: allowed without privilege. */
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned) uid);
  if (write_file ("/proc/self/setgroups", "deny") != 0
      || write_file ("/proc/self/uid_map", map) != 0)
    fail ("cannot map the user into its namespace: %s", strerror (errno));
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned) gid);
  if (write_file ("/proc/self/gid_map", map) != 0)
    fail ("cannot map the group into its namespace: %s", strerror (errno));
}

static void
start_dnsmasq (const char *conf, const char *log)
{
  const char *dnsmasq = find_program ("dnsmasq");
  char conf_arg[4200];

  if (dnsmasq == NULL)
    fail ("dnsmasq is not installed (Debian: the dnsmasq-base package)");
  snprintf (conf_arg, sizeof conf_arg, "--conf-file=%s", conf);
  dnsmasq_pid = fork ();
  if (dnsmasq_pid < 0)
    fail ("cannot start dnsmasq: %s", strerror (errno));
  if (dnsmasq_pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      int out = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      dup2 (null, 0);
      dup2 (out >= 0 ? out : null, 1);
      dup2 (out >= 0 ? out : null, 2);
      for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] >= 0)
          close (clients[i]);
      if (listen_fd >= 0)
        close (listen_fd);
      /* --no-daemon: as root of a user namespace dnsmasq must not try to drop privileges
       * (setgroups is denied there). */
      execl (dnsmasq, dnsmasq, "--no-daemon", conf_arg, "--log-facility=-", (char *) NULL);
      _exit (127);
    }
  /* dnsmasq that cannot start (a bad config, a missing capability) ends at once. */
  for (int i = 0; i < 10; i++)
    {
      int status;

      usleep (30000);
      if (waitpid (dnsmasq_pid, &status, WNOHANG) == dnsmasq_pid)
        {
          dnsmasq_pid = -1;
          fail ("dnsmasq failed to start (exit %d): see %s", WIFEXITED (status)
                ? WEXITSTATUS (status) : 128 + WTERMSIG (status), log);
        }
    }
}

static void
serve_tap (void)
{
  struct ifreq ifr;
  int fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);

  if (fd < 0)
    {
      send_msg (-1, "error cannot open /dev/net/tun: %s", strerror (errno));
      return;
    }
  memset (&ifr, 0, sizeof ifr);
  /* With a virtio-net header: QEMU sees it (TUNGETIFF) and uses offloads where the NIC model
   * has them; for other models it strips the header, and the kernel segments for it. */
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  strcpy (ifr.ifr_name, "tap%d");
  if (ioctl (fd, TUNSETIFF, &ifr) != 0)
    {
      send_msg (-1, "error cannot make a tap: %s", strerror (errno));
      close (fd);
      return;
    }
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  if (run_ip ("link", "set", ifr.ifr_name, "master", BRIDGE, "up", NULL) != 0)
    {
      send_msg (-1, "error cannot put tap %s on the bridge", ifr.ifr_name);
      close (fd);
      return;
    }
  send_msg (fd, "ok %s", ifr.ifr_name);
  close (fd);
}

static void
serve_socket (int type)
{
  int fd = socket (AF_INET, type | SOCK_CLOEXEC, 0);

  if (fd < 0)
    {
      send_msg (-1, "error cannot make a socket: %s", strerror (errno));
      return;
    }
  send_msg (fd, "ok");
  close (fd);
}

/* The taps on the bridge: every interface of the namespace but lo and the bridge (the
 * holder makes nothing else). A tap goes when QEMU, its last holder, exits. -1 on error. */
static int
count_taps (void)
{
  struct if_nameindex *list = if_nameindex ();
  int n = 0;

  if (list == NULL)
    return -1;
  for (struct if_nameindex *i = list; i->if_index != 0; i++)
    if (strcmp (i->if_name, "lo") != 0 && strcmp (i->if_name, BRIDGE) != 0)
      n++;
  if_freenameindex (list);
  return n;
}

/* The listening socket at @path for later engines (the directory is the engine's private
 * runtime directory). A stale name of an earlier holder is replaced. */
static void
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;

  if (strlen (path) >= sizeof addr.sun_path)
    fail ("the socket path %s is too long", path);
  strcpy (addr.sun_path, path);
  listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd < 0)
    fail ("cannot make a socket: %s", strerror (errno));
  if (lstat (path, &st) == 0 && S_ISSOCK (st.st_mode))
    unlink (path);
  if (bind (listen_fd, (struct sockaddr *) &addr, sizeof addr) != 0
      || chmod (path, 0600) != 0 || listen (listen_fd, MAX_CLIENTS) != 0
      || stat (path, &st) != 0)
    fail ("cannot listen on %s: %s", path, strerror (errno));
  socket_path = path;
  socket_ino = st.st_ino;
}

/* A new engine on the listening socket: served when it runs as our own user. */
static void
accept_client (void)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  int fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  int slot = -1;

  if (fd < 0)
    return;
  /* The peer's uid as seen in our user namespace: the user is 0 here, anyone else is
   * unmapped (the overflow uid). */
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != getuid ())
    {
      close (fd);
      return;
    }
  for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
    if (clients[i] < 0)
      slot = i;
  reply_fd = fd;
  if (slot < 0)
    {
      send_msg (-1, "error too many engines are connected");
      close (fd);
      return;
    }
  clients[slot] = fd;
  send_msg (-1, "ready");
}

/* One request from client @slot; FALSE when it is gone. */
static int
serve_client (int slot)
{
  char request[128];
  ssize_t n;

  reply_fd = clients[slot];
  n = recv (clients[slot], request, sizeof request, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n <= 0)
    {
      close (clients[slot]);
      clients[slot] = -1;
      return 0;
    }
  if ((size_t) n >= sizeof request)
    {
      send_msg (-1, "error request too long");
      return 1;
    }
  request[n] = '\0';
  if (strcmp (request, "tap") == 0)
    serve_tap ();
  else if (strcmp (request, "socket tcp") == 0)
    serve_socket (SOCK_STREAM);
  else if (strcmp (request, "socket udp") == 0)
    serve_socket (SOCK_DGRAM);
  else if (strcmp (request, "down") == 0)
    {
      unlink_socket ();
      stop_dnsmasq ();
      exit (0);
    }
  else
    send_msg (-1, "error unknown request");
  return 1;
}

static void
usage (const char *what)
{
  fprintf (stderr, "hostvisor-netns: %s\n"
           "usage: hostvisor-netns --parent PID [--socket PATH] [--address A.B.C.D/P] "
           "[--dnsmasq-conf FILE --dnsmasq-log FILE]\n(started by hostvisord, never by hand: "
           "it serves the engine on fd 3)\n", what);
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *address = NULL, *conf = NULL, *log = NULL, *path = NULL;
  long parent = -1;
  struct stat st;
  time_t idle_since = 0;

  for (int i = 1; i < argc; i++)
    {
      const char **slot = NULL;

      if (i + 1 >= argc)
        usage ("every option takes a value");
      if (strcmp (argv[i], "--address") == 0)
        slot = &address;
      else if (strcmp (argv[i], "--dnsmasq-conf") == 0)
        slot = &conf;
      else if (strcmp (argv[i], "--dnsmasq-log") == 0)
        slot = &log;
      else if (strcmp (argv[i], "--socket") == 0)
        slot = &path;
      else if (strcmp (argv[i], "--parent") == 0)
        {
          char *end;

          parent = strtol (argv[++i], &end, 10);
          if (*end != '\0' || parent <= 1)
            usage ("--parent takes the engine's pid");
          continue;
        }
      else
        usage ("unexpected argument");
      if (*slot != NULL)
        usage ("an option given twice");
      *slot = argv[++i];
      if ((*slot)[0] == '\0' || (*slot)[0] == '-')
        usage ("an empty value, or one starting with '-'");
    }
  if (parent <= 1 || (conf == NULL) != (log == NULL)
      || (conf != NULL && (conf[0] != '/' || log[0] != '/')) || (path != NULL && path[0] != '/'))
    usage ("--parent is needed; --dnsmasq-conf and --dnsmasq-log go together, as absolute "
           "paths; --socket takes an absolute path");
  if (address != NULL && strspn (address, "0123456789./") != strlen (address))
    usage ("--address takes A.B.C.D/P");
  if (fstat (SOCK_FD, &st) != 0 || !S_ISSOCK (st.st_mode))
    usage ("fd 3 is not the engine's socket");

  /* Started by the engine that asked (not inherited by something else); it may outlive
   * that engine (see above). */
  if (getppid () != (pid_t) parent)
    return 1;
  fcntl (SOCK_FD, F_SETFD, FD_CLOEXEC);
  signal (SIGPIPE, SIG_IGN);
  /* Not in the engine's session: a terminal's hangup or a signal to the engine's process
   * group is not for it. */
  setsid ();

  enter_namespaces ();
  if (run_ip ("link", "set", "lo", "up", NULL) != 0
      || run_ip ("link", "add", BRIDGE, "type", "bridge", NULL) != 0)
    fail ("cannot make the bridge in the namespace (is iproute2 installed?)");
  if (address != NULL && run_ip ("addr", "add", address, "dev", BRIDGE, NULL) != 0)
    fail ("cannot give the bridge the address %s", address);
  if (run_ip ("link", "set", BRIDGE, "up", NULL) != 0)
    fail ("cannot bring the bridge up");
  if (path != NULL)
    listen_on (path);
  if (conf != NULL)
    start_dnsmasq (conf, log);
  reply_fd = SOCK_FD;
  send_msg (-1, "ready");

  for (;;)
    {
      struct pollfd pfds[MAX_CLIENTS + 1];
      int slots[MAX_CLIENTS + 1];
      int n_pfds = 0, connected = 0, status;

      for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] >= 0)
          {
            pfds[n_pfds] = (struct pollfd) { .fd = clients[i], .events = POLLIN };
            slots[n_pfds++] = i;
          }
      if (listen_fd >= 0)
        {
          pfds[n_pfds] = (struct pollfd) { .fd = listen_fd, .events = POLLIN };
          slots[n_pfds++] = -1;
        }
      if (poll (pfds, n_pfds, 1000) < 0 && errno != EINTR)
        break;
      if (dnsmasq_pid > 0 && waitpid (dnsmasq_pid, &status, WNOHANG) == dnsmasq_pid)
        {
          dnsmasq_pid = -1;
          fail ("dnsmasq ended (see %s)", log);
        }
      for (int i = 0; i < n_pfds; i++)
        {
          if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          if (slots[i] < 0)
            accept_client ();
          else
            serve_client (slots[i]);
        }
      /* No engine and no tap for a few seconds: no one needs the network any more. */
      for (int i = 0; i < MAX_CLIENTS; i++)
        connected += clients[i] >= 0;
      if (connected > 0 || count_taps () > 0)
        idle_since = 0;
      else
        {
          struct timespec now;

          clock_gettime (CLOCK_MONOTONIC, &now);
          if (idle_since == 0)
            idle_since = now.tv_sec;
          else if (now.tv_sec - idle_since >= GRACE_SECONDS)
            break;
        }
    }
  unlink_socket ();
  stop_dnsmasq ();
  return 0;
}
