/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-dnsmasq.c: see hv-network-dnsmasq.h. The recipe follows libvirt's isolated
 * networks (networkDnsmasqConfContents): guests get no default route and no DNS beyond
 * the network's own names, and dnsmasq answers on the network's bridge only. */
#include "hv-network-dnsmasq.h"

#include <string.h>

/* A value dnsmasq reads back as written: no line break, no comment, not empty. */
static gboolean
value_ok (const char *value)
{
  return value != NULL && value[0] != '\0' && strpbrk (value, "\n\r#") == NULL;
}

static char *
netmask_text (guint prefix)
{
  guint32 mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);

  return g_strdup_printf ("%u.%u.%u.%u", mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff,
                          mask & 0xff);
}

char *
hv_network_dnsmasq_config (const HvDnsmasqConfig *config)
{
  g_autoptr(GString) out = NULL;
  g_autofree char *mask = NULL;
  gboolean dhcp = config->dhcp_start != NULL || config->dhcp_end != NULL;

  if (!value_ok (config->network) || !value_ok (config->interface)
      || !value_ok (config->address) || !value_ok (config->lease_file)
      || config->prefix < 8 || config->prefix > 30
      || (dhcp && (!value_ok (config->dhcp_start) || !value_ok (config->dhcp_end)
                   || config->lease_max == 0)))
    return NULL;

  mask = netmask_text (config->prefix);
  out = g_string_new (NULL);
  g_string_append_printf (out, "# dnsmasq for Hostvisor network \"%s\": made by the engine "
                          "at every start, do not edit\n", config->network);
  /* Nothing from the host's own configuration: no upstream servers, no /etc/hosts. */
  g_string_append (out, "strict-order\n"
                        "no-resolv\n"
                        "no-poll\n"
                        "no-hosts\n"
                        "domain-needed\n"
                        "local=//\n");
  /* Only the network's bridge (CVE-2012-3411: never answer on another interface). */
  g_string_append (out, "except-interface=lo\n");
  g_string_append_printf (out, "interface=%s\n", config->interface);
  g_string_append (out, "bind-dynamic\n");
  g_string_append_printf (out, "listen-address=%s\n", config->address);
  if (dhcp)
    {
      g_string_append_printf (out, "dhcp-range=%s,%s,%s,1h\n", config->dhcp_start,
                              config->dhcp_end, mask);
      /* Isolated: the guests get no default route (an empty router option). */
      g_string_append (out, "dhcp-option=3\n");
      g_string_append (out, "dhcp-no-override\n"
                            "dhcp-authoritative\n");
      g_string_append_printf (out, "dhcp-lease-max=%u\n", config->lease_max);
      /* Only the engine's VMs are on the bridge: no ping before an offer. */
      g_string_append (out, "no-ping\n");
    }
  g_string_append_printf (out, "dhcp-leasefile=%s\n", config->lease_file);
  g_string_append (out, "pid-file=\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
