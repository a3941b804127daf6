/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-console-probe ADDRESS UUID: what a graphical console over SSH does first
 * (hv_remote_open_console(): `hostvisorctl bridge --console UUID` through ssh), then prints
 * the first 12 bytes the VM's display sends, its RFB greeting ("RFB 003.008\n"). Exit 0 when
 * 12 bytes came within 60 s (test-remote). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "hv-client-remote.h"

#define GREETING_LEN 12
#define WAIT_MS 60000

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvRemote) remote = NULL;
  char greeting[GREETING_LEN];
  gsize got = 0;
  int fd;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s ssh://[user@]host[:port] UUID\n", argv[0]);
      return 2;
    }
  remote = hv_remote_parse (argv[1], &error);
  fd = remote != NULL ? hv_remote_open_console (remote, argv[2], &error) : -1;
  if (fd < 0)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  while (got < GREETING_LEN)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      ssize_t n;

      if (poll (&pfd, 1, WAIT_MS) <= 0)
        break;
      n = read (fd, greeting + got, GREETING_LEN - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  close (fd);
  fwrite (greeting, 1, got, stdout);
  return got == GREETING_LEN ? 0 : 1;
}
