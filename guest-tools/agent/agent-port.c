/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-port.c: finding and opening the virtio-serial port io.github.hostvisor.agent.0.
 */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int
open_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return -1;
    }
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* Without udev there is no /dev/virtio-ports/NAME link: the name is in sysfs (and ports
 * hot-plugged after boot never get the link, even in our tiny guest). */
static int
open_by_sysfs_name (void)
{
  DIR *dir = opendir ("/sys/class/virtio-ports");
  struct dirent *e;
  int fd = -1;

  if (dir == NULL)
    return -1;
  errno = ENOENT;
  while (fd < 0 && (e = readdir (dir)) != NULL)
    {
      char path[512];
      char name[256] = "";
      FILE *f;

      if (e->d_name[0] == '.')
        continue;
      snprintf (path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
      f = fopen (path, "re");
      if (f == NULL)
        continue;
      if (fgets (name, sizeof name, f) == NULL)
        name[0] = 0;
      fclose (f);
      name[strcspn (name, "\n")] = 0;
      if (strcmp (name, HV_AGENT_PORT_NAME) != 0)
        continue;
      snprintf (path, sizeof path, "/dev/%s", e->d_name);
      fd = open (path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd >= 0)
        agent_debug ("opened %s (%s)", path, HV_AGENT_PORT_NAME);
    }
  closedir (dir);
  return fd;
}

int
agent_port_open (const char *path, bool *is_socket)
{
  struct stat st;
  int fd;

  *is_socket = false;
  if (path != NULL)
    {
      if (stat (path, &st) == 0 && S_ISSOCK (st.st_mode))
        {
          *is_socket = true;
          return open_socket (path);
        }
      return open (path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    }
  fd = open ("/dev/virtio-ports/" HV_AGENT_PORT_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0)
    return fd;
  return open_by_sysfs_name ();
}
