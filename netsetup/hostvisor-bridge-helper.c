/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisor-bridge-helper: the one privileged step of bridged and host-only ("host" mode)
 * adapters. Installed setuid root by the one-time set-up (hostvisor-net-setup), run by the
 * user's engine (never by QEMU, which runs under -sandbox spawn=deny):
 *
 *     hostvisor-bridge-helper BRIDGE FD
 *
 * It makes a tap owned by the calling user, attaches it to BRIDGE, brings it up with the
 * bridge's MTU, and sends the tap's fd (with its name as the data) over FD, an AF_UNIX
 * socket the caller passed in. Nothing else: no options, no environment, no other file
 * than the allow list. The tap is not persistent: it goes away with the last fd, so a
 * failure at any step leaves nothing behind.
 *
 * BRIDGE must be listed, one name a line, in HV_NETSETUP_CONFDIR/bridges.allow, a regular
 * file (not a link) owned by root and writable by root alone, in a directory owned by root
 * and writable by root alone. The set-up writes it; nothing here ever does.
 *
 * Why a helper of our own and not Debian's qemu-bridge-helper made setuid: that binary
 * links GLib, libnuma and PCRE2 into a setuid-root process, reads an ACL language with
 * "include" and "allow all" after dropping privilege, and takes options we never use.
 * This one is ~300 lines of libc, takes exactly two arguments and refuses everything else,
 * clears its environment first, keeps only CAP_NET_ADMIN (running as the caller's uid)
 * before it reads anything, and reads one fixed file (docs/network-setup.md).
 *
 * Exit status: 0 done; 2 bad usage (wrong arguments, bad name, bad fd); 3 BRIDGE is not in
 * the allow list; 4 no such bridge, or not a bridge; 5 the allow list is unsafe or
 * unreadable; 6 a system call failed (e.g. the helper is not setuid root). One line on
 * stderr says why. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hv-build-config.h"

#define EXIT_USAGE       2
#define EXIT_NOT_ALLOWED 3
#define EXIT_NO_BRIDGE   4
#define EXIT_ALLOW_LIST  5
#define EXIT_SYSTEM      6

#define ALLOW_LIST_MAX   (64 * 1024)

static void __attribute__ ((noreturn, format (printf, 2, 3)))
die (int status, const char *format, ...)
{
  va_list args;

  fputs ("hostvisor-bridge-helper: ", stderr);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  exit (status);
}

/* fds 0, 1 and 2 open, so that nothing we open becomes someone's stderr. */
static void
ensure_std_fds (void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl (fd, F_GETFD) < 0)
      {
        int null = open ("/dev/null", O_RDWR);

        if (null < 0)
          _exit (EXIT_SYSTEM);
        if (null != fd)
          _exit (EXIT_SYSTEM);
      }
}

/* Run as the caller's uid and gid with CAP_NET_ADMIN alone (when we had it). */
static void
drop_privileges (void)
{
  uid_t ruid = getuid ();
  gid_t rgid = getgid ();
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  int had_net_admin;

  memset (data, 0, sizeof data);
  if (syscall (SYS_capget, &header, data) != 0)
    die (EXIT_SYSTEM, "capget: %s", strerror (errno));
  had_net_admin = (data[CAP_NET_ADMIN / 32].permitted & (1u << (CAP_NET_ADMIN % 32))) != 0;

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    die (EXIT_SYSTEM, "prctl: %s", strerror (errno));
  if (setresgid (rgid, rgid, rgid) != 0 || setresuid (ruid, ruid, ruid) != 0)
    die (EXIT_SYSTEM, "cannot become uid %u: %s", (unsigned) ruid, strerror (errno));
  if (getuid () != ruid || geteuid () != ruid || getgid () != rgid || getegid () != rgid)
    die (EXIT_SYSTEM, "cannot become uid %u", (unsigned) ruid);

  memset (data, 0, sizeof data);
  if (had_net_admin)
    {
      data[CAP_NET_ADMIN / 32].effective = 1u << (CAP_NET_ADMIN % 32);
      data[CAP_NET_ADMIN / 32].permitted = 1u << (CAP_NET_ADMIN % 32);
    }
  if (syscall (SYS_capset, &header, data) != 0)
    die (EXIT_SYSTEM, "capset: %s", strerror (errno));
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0
      || prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
      || prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    die (EXIT_SYSTEM, "prctl: %s", strerror (errno));
}

/* An interface name we accept: 1..15 of [A-Za-z0-9_.-], not starting with '-' or '.'
 * (so never "." or ".."), no '/', no ':', no space. */
static int
bridge_name_valid (const char *name)
{
  size_t len = strlen (name);

  if (len == 0 || len >= IFNAMSIZ || name[0] == '-' || name[0] == '.')
    return 0;
  for (size_t i = 0; i < len; i++)
    {
      char c = name[i];

      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || c == '.' || c == '-'))
        return 0;
    }
  return 1;
}

/* @text as it may be shown: at most 40 bytes, anything but [ -~] as '?', so that a hostile
 * argument never puts a newline or a terminal escape into the one line we print. */
static const char *
shown (const char *text)
{
  static char buffer[48];
  size_t i;

  for (i = 0; text[i] != '\0' && i < 40; i++)
    buffer[i] = text[i] >= ' ' && text[i] <= '~' ? text[i] : '?';
  buffer[i] = '\0';
  if (text[i] != '\0')
    memcpy (buffer + i, "...", 4);
  return buffer;
}

/* A plain decimal 3..1023 that is an open AF_UNIX socket. */
static int
parse_socket_fd (const char *text)
{
  long value = 0;
  int domain = 0;
  socklen_t len = sizeof domain;
  struct stat st;

  if (text[0] < '1' || text[0] > '9' || strlen (text) > 4)
    die (EXIT_USAGE, "FD must be a number from 3 to 1023, not \"%s\"", shown (text));
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p < '0' || *p > '9')
        die (EXIT_USAGE, "FD must be a number from 3 to 1023, not \"%s\"", shown (text));
      value = value * 10 + (*p - '0');
    }
  if (value < 3 || value > 1023)
    die (EXIT_USAGE, "FD must be a number from 3 to 1023, not \"%s\"", shown (text));
  if (fstat ((int) value, &st) != 0)
    die (EXIT_USAGE, "FD %ld is not open", value);
  if (!S_ISSOCK (st.st_mode))
    die (EXIT_USAGE, "FD %ld is not a socket", value);
  if (getsockopt ((int) value, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
    die (EXIT_USAGE, "FD %ld is not a unix socket", value);
  return (int) value;
}

static void
check_owner (const struct stat *st, const char *what)
{
  if (st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
    die (EXIT_ALLOW_LIST, "%s must be owned by root and writable by root alone", what);
}

/* Whether @bridge is a line of the allow list. The whole list is refused when it is not
 * safe or any line is not a valid name: fail closed. */
static int
bridge_allowed (const char *bridge)
{
  static char buffer[ALLOW_LIST_MAX + 1];
  struct stat st;
  ssize_t n;
  size_t total = 0;
  int dir, fd, found = 0;
  char *line, *save = NULL;

  dir = open (HV_NETSETUP_CONFDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    die (EXIT_NOT_ALLOWED, "%s is not allowed: the set-up is not done (no %s)", bridge,
         HV_NETSETUP_CONFDIR);
  if (fstat (dir, &st) != 0)
    die (EXIT_ALLOW_LIST, "%s: %s", HV_NETSETUP_CONFDIR, strerror (errno));
  check_owner (&st, HV_NETSETUP_CONFDIR);

  fd = openat (dir, "bridges.allow", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT)
    die (EXIT_NOT_ALLOWED, "%s is not allowed: the set-up is not done (no %s/bridges.allow)",
         bridge, HV_NETSETUP_CONFDIR);
  if (fd < 0)
    die (EXIT_ALLOW_LIST, "%s/bridges.allow: %s", HV_NETSETUP_CONFDIR, strerror (errno));
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    die (EXIT_ALLOW_LIST, "%s/bridges.allow is not a regular file", HV_NETSETUP_CONFDIR);
  check_owner (&st, HV_NETSETUP_CONFDIR "/bridges.allow");
  if (st.st_size > ALLOW_LIST_MAX)
    die (EXIT_ALLOW_LIST, "%s/bridges.allow is too long", HV_NETSETUP_CONFDIR);

  while (total < ALLOW_LIST_MAX && (n = read (fd, buffer + total, ALLOW_LIST_MAX - total)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        die (EXIT_ALLOW_LIST, "%s/bridges.allow: %s", HV_NETSETUP_CONFDIR, strerror (errno));
      total += (size_t) n;
    }
  buffer[total] = '\0';
  if (memchr (buffer, '\0', total) != NULL)
    die (EXIT_ALLOW_LIST, "%s/bridges.allow is not text", HV_NETSETUP_CONFDIR);
  close (fd);
  close (dir);

  for (line = strtok_r (buffer, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      if (line[0] == '#' || line[0] == '\0')
        continue;
      if (!bridge_name_valid (line))
        die (EXIT_ALLOW_LIST, "%s/bridges.allow has a line that is not an interface name",
             HV_NETSETUP_CONFDIR);
      if (strcmp (line, bridge) == 0)
        found = 1;
    }
  return found;
}

static void
set_ifr_name (struct ifreq *ifr, const char *name)
{
  memset (ifr, 0, sizeof *ifr);
  memcpy (ifr->ifr_name, name, strlen (name) + 1);  /* checked: < IFNAMSIZ */
}

static int
if_nametoindex_check (int ctl, const char *name, struct ifreq *ifr)
{
  set_ifr_name (ifr, name);
  return ioctl (ctl, SIOCGIFINDEX, ifr);
}

int
main (int argc, char **argv)
{
  const char *bridge;
  int sock, ctl, tap;
  struct ifreq ifr;
  int mtu;
  char tap_name[IFNAMSIZ];
  char control[CMSG_SPACE (sizeof (int))];
  struct iovec iov;
  struct msghdr msg;
  struct cmsghdr *cmsg;

  ensure_std_fds ();
  clearenv ();
  drop_privileges ();

  if (argc != 3)
    die (EXIT_USAGE, "usage: hostvisor-bridge-helper BRIDGE FD (%d argument%s given)",
         argc - 1, argc == 2 ? "" : "s");
  bridge = argv[1];
  if (!bridge_name_valid (bridge))
    die (EXIT_USAGE, "\"%s\" is not a valid interface name", shown (bridge));
  sock = parse_socket_fd (argv[2]);

  if (!bridge_allowed (bridge))
    die (EXIT_NOT_ALLOWED, "%s is not allowed: it is not in %s/bridges.allow (run the "
         "set-up: hostvisorctl network setup --allow-bridge %s)", bridge, HV_NETSETUP_CONFDIR,
         bridge);

  ctl = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0)
    die (EXIT_SYSTEM, "socket: %s", strerror (errno));
  set_ifr_name (&ifr, bridge);
  if (ioctl (ctl, SIOCGIFINDEX, &ifr) != 0)
    die (EXIT_NO_BRIDGE, "%s: no such interface", bridge);
  set_ifr_name (&ifr, bridge);
  if (ioctl (ctl, SIOCGIFMTU, &ifr) != 0)
    die (EXIT_SYSTEM, "%s: %s", bridge, strerror (errno));
  mtu = ifr.ifr_mtu;

  tap = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tap < 0)
    die (EXIT_SYSTEM, "/dev/net/tun: %s", strerror (errno));
  memset (&ifr, 0, sizeof ifr);
  memcpy (ifr.ifr_name, "hvtap%d", sizeof "hvtap%d");
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl (tap, TUNSETIFF, &ifr) != 0)
    die (EXIT_SYSTEM, "cannot make a tap: %s%s", strerror (errno),
         errno == EPERM ? " (the helper is not setuid root: run the set-up)" : "");
  memcpy (tap_name, ifr.ifr_name, IFNAMSIZ);
  tap_name[IFNAMSIZ - 1] = '\0';
  if (ioctl (tap, TUNSETOWNER, (unsigned long) getuid ()) != 0
      || ioctl (tap, TUNSETGROUP, (unsigned long) getgid ()) != 0)
    die (EXIT_SYSTEM, "%s: cannot set its owner: %s", tap_name, strerror (errno));

  set_ifr_name (&ifr, tap_name);
  ifr.ifr_mtu = mtu;
  if (ioctl (ctl, SIOCSIFMTU, &ifr) != 0)
    die (EXIT_SYSTEM, "%s: cannot set its MTU to %d: %s", tap_name, mtu, strerror (errno));

  /* The kernel refuses SIOCBRADDIF on anything that is not a bridge. */
  if (if_nametoindex_check (ctl, tap_name, &ifr) != 0)
    die (EXIT_SYSTEM, "%s: %s", tap_name, strerror (errno));
  {
    int tap_index = ifr.ifr_ifindex;

    set_ifr_name (&ifr, bridge);
    ifr.ifr_ifindex = tap_index;
    if (ioctl (ctl, SIOCBRADDIF, &ifr) != 0)
      {
        if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENODEV)
          die (EXIT_NO_BRIDGE, "%s is not a bridge", bridge);
        die (EXIT_SYSTEM, "cannot attach %s to %s: %s", tap_name, bridge, strerror (errno));
      }
  }

  set_ifr_name (&ifr, tap_name);
  if (ioctl (ctl, SIOCGIFFLAGS, &ifr) != 0)
    die (EXIT_SYSTEM, "%s: %s", tap_name, strerror (errno));
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (ctl, SIOCSIFFLAGS, &ifr) != 0)
    die (EXIT_SYSTEM, "%s: cannot bring it up: %s", tap_name, strerror (errno));
  close (ctl);

  /* The tap's fd, with its name as the data. */
  memset (&msg, 0, sizeof msg);
  memset (control, 0, sizeof control);
  iov.iov_base = tap_name;
  iov.iov_len = strlen (tap_name) + 1;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &tap, sizeof (int));
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      die (EXIT_SYSTEM, "cannot send the tap: %s", strerror (errno));
  return 0;
}
