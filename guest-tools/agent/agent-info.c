/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-info.c: what the agent reports in GUEST_INFO.
 */
#include "agent.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static char *
dup_valid (const char *s, size_t max)
{
  size_t len = strnlen (s, max);
  char *copy = strndup (s, len);

  /* Whatever the guest's files hold, the codec sends only UTF-8: drop what is not. */
  if (copy != NULL && !hv_agent_utf8_valid (copy, strlen (copy)))
    copy[0] = 0;
  return copy;
}

/* One value of os-release(5): shell-like, optionally quoted, with backslash escapes. */
static char *
unquote (const char *v)
{
  char out[HV_AGENT_MAX_STRING + 1];
  size_t n = 0;
  char quote = 0;

  if (*v == '"' || *v == '\'')
    quote = *v++;
  for (; *v && *v != '\n' && n < HV_AGENT_MAX_STRING; v++)
    {
      if (quote && *v == quote)
        break;
      if (quote == '"' && *v == '\\' && v[1])
        v++;
      out[n++] = *v;
    }
  out[n] = 0;
  return dup_valid (out, HV_AGENT_MAX_STRING);
}

static void
read_os_release (HvAgentGuestInfo *info)
{
  static const char *paths[] = { "/etc/os-release", "/usr/lib/os-release" };
  FILE *f = NULL;
  char line[8192];

  for (size_t i = 0; f == NULL && i < 2; i++)
    f = fopen (paths[i], "re");
  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f) != NULL)
    {
      char **field = NULL;
      const char *v = NULL;

      if (strncmp (line, "ID=", 3) == 0)
        field = &info->os_id, v = line + 3;
      else if (strncmp (line, "NAME=", 5) == 0)
        field = &info->os_name, v = line + 5;
      else if (strncmp (line, "PRETTY_NAME=", 12) == 0)
        field = &info->os_pretty_name, v = line + 12;
      else if (strncmp (line, "VERSION_ID=", 11) == 0)
        field = &info->os_version_id, v = line + 11;
      if (field != NULL)
        {
          free (*field);
          *field = unquote (v);
        }
    }
  fclose (f);
}

static unsigned
prefix_of (const uint8_t *mask, size_t len)
{
  unsigned bits = 0;

  for (size_t i = 0; i < len; i++)
    for (int b = 7; b >= 0; b--)
      if (mask[i] & (1u << b))
        bits++;
  return bits;
}

static void
read_addresses (HvAgentGuestInfo *info)
{
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) != 0)
    return;
  info->addresses = calloc (HV_AGENT_MAX_ADDRESSES, sizeof (HvAgentAddress));
  if (info->addresses == NULL)
    {
      freeifaddrs (list);
      return;
    }
  for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
    {
      HvAgentAddress *a;

      if (info->n_addresses >= HV_AGENT_MAX_ADDRESSES)
        break;
      if (ifa->ifa_addr == NULL || (ifa->ifa_flags & IFF_LOOPBACK) || ifa->ifa_name == NULL)
        continue;
      a = &info->addresses[info->n_addresses];
      if (ifa->ifa_addr->sa_family == AF_INET)
        {
          const struct sockaddr_in *sin = (const void *) ifa->ifa_addr;
          const uint8_t *b = (const uint8_t *) &sin->sin_addr;

          if (b[0] == 169 && b[1] == 254)
            continue; /* link-local */
          a->family = 4;
          memcpy (a->address, b, 4);
          a->prefix = ifa->ifa_netmask
            ? prefix_of ((const uint8_t *) &((const struct sockaddr_in *) (const void *)
                                               ifa->ifa_netmask)->sin_addr, 4)
            : 32;
        }
      else if (ifa->ifa_addr->sa_family == AF_INET6)
        {
          const struct sockaddr_in6 *sin6 = (const void *) ifa->ifa_addr;
          const uint8_t *b = sin6->sin6_addr.s6_addr;

          if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
            continue; /* link-local */
          a->family = 6;
          memcpy (a->address, b, 16);
          a->prefix = ifa->ifa_netmask
            ? prefix_of (((const struct sockaddr_in6 *) (const void *)
                            ifa->ifa_netmask)->sin6_addr.s6_addr, 16)
            : 128;
        }
      else
        continue;
      a->interface = dup_valid (ifa->ifa_name, HV_AGENT_MAX_NAME);
      if (a->interface == NULL || a->interface[0] == 0)
        {
          free (a->interface);
          memset (a, 0, sizeof *a);
          continue;
        }
      info->n_addresses++;
    }
  freeifaddrs (list);
}

void
agent_info_collect (HvAgentGuestInfo *info)
{
  struct utsname u;

  memset (info, 0, sizeof *info);
  info->agent_version = strdup (AGENT_VERSION);
  read_os_release (info);
  if (uname (&u) == 0)
    {
      info->kernel_release = dup_valid (u.release, HV_AGENT_MAX_STRING);
      info->hostname = dup_valid (u.nodename, HV_AGENT_MAX_STRING);
    }
  read_addresses (info);
}
