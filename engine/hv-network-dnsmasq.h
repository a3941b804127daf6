/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-dnsmasq.h: dnsmasq's configuration for a network the engine runs (a pure
 * function, tested with golden files in tests/network/). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *network;     /* the network's name, for the header comment */
  const char *interface;   /* the bridge dnsmasq serves, and nothing else */
  const char *address;     /* the host's address on it, "192.168.64.1" */
  guint prefix;            /* 8..30 */
  const char *dhcp_start;  /* the DHCP range; NULL for no DHCP (DNS only) */
  const char *dhcp_end;
  guint lease_max;         /* how many leases at most (the range's size) */
  const char *lease_file;  /* absolute */
} HvDnsmasqConfig;

/* libvirt's isolated-network recipe: no default route for guests (dhcp-option=3 empty),
 * no upstream DNS (no-resolv, local=//), bound to @config->interface alone (bind-dynamic,
 * except-interface=lo), authoritative DHCP on the range with dhcp-lease-max, the lease
 * file given; no pid file, no /etc/hosts, no /etc/dnsmasq.conf (run it with
 * --conf-file=THIS --no-daemon). Returns NULL when a field would break the file (a line
 * break or a '#' in a value, an empty required field). */
char *hv_network_dnsmasq_config (const HvDnsmasqConfig *config);

G_END_DECLS
