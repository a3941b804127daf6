/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-tap-probe: hv_network_bridge_open_tap() as a program, for test-net-bridged.sh.
 *
 *   hv-tap-probe NAME                 prints "tap TAPNAME" (or the error, exit 1)
 *   hv-tap-probe NAME -- COMMAND...   runs COMMAND with the tap as fd 3 and its name in
 *                                     $HV_TAP (e.g. QEMU with -netdev tap,fd=3)
 *
 * It is the engine's own code path (the bridge helper run with a socket, the tap received
 * by SCM_RIGHTS), run as the test's unprivileged user. */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv-network-bridge.h"

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  struct ifreq ifr;
  int tap;

  if (argc < 2 || (argc > 2 && (argc < 4 || strcmp (argv[2], "--") != 0)))
    {
      fprintf (stderr, "usage: hv-tap-probe NAME [-- COMMAND...]\n");
      return 2;
    }
  tap = hv_network_bridge_open_tap (argv[1], &error);
  if (tap < 0)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  memset (&ifr, 0, sizeof ifr);
  if (ioctl (tap, TUNGETIFF, &ifr) != 0)
    {
      perror ("TUNGETIFF");
      return 1;
    }
  if (argc == 2)
    {
      printf ("tap %s\n", ifr.ifr_name);
      return 0;
    }
  if (tap != 3)
    {
      if (dup2 (tap, 3) < 0)
        return 1;
      close (tap);
    }
  fcntl (3, F_SETFD, 0);
  g_setenv ("HV_TAP", ifr.ifr_name, TRUE);
  execvp (argv[3], argv + 3);
  perror (argv[3]);
  return 127;
}
