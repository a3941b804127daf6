/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-bridge.h: the host's own network namespace: the state of the one-time privileged
 * set-up (a bridge "hv-NAME" per host-only network with its dnsmasq, and a bridge helper that
 * attaches taps owned by this user to allowed bridges), the host's interfaces, and taps on an
 * allowed bridge for bridged adapters and for host-only networks in "host" mode. Never needs
 * privilege itself: the setuid helper does the one privileged step. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gboolean done;        /* the helper is usable and at least one bridge is allowed */
  char *helper;         /* the bridge helper's path; "" when missing or not usable */
  char **bridges;       /* the bridges this user may attach to (NULL-terminated) */
  char *command;        /* what to run as root to do (or redo) the set-up */
} HvNetworkSetup;

typedef struct {
  char *name;
  char *kind;           /* "bridge", "ethernet", "wifi" or "other" */
  gboolean allowed;     /* a bridged adapter may name it now */
  char *reason;         /* why not, when !allowed; "" otherwise */
} HvHostInterface;

/* The set-up's state, read from the system now. */
HvNetworkSetup *hv_network_setup_query          (void);
void            hv_network_setup_free           (HvNetworkSetup *setup);

/* "hv-" + @network: the host bridge the set-up makes for host-only network @network. */
char           *hv_network_host_only_bridge     (const char *network);

/* Whether host-only network @network has its bridge and DHCP from the set-up, so that it
 * runs in "host" mode. */
gboolean        hv_network_host_only_is_set_up  (const char *network);

/* The lease file of the set-up's DHCP server for host-only network @network ("host" mode):
 * $HOSTVISOR_NETSETUP_STATEDIR (tests) or /var/lib/hostvisor-net, then "NAME.leases"
 * (dnsmasq's format, readable by every user). */
char           *hv_network_host_only_lease_file (const char *network);

/* The host's interfaces (HvHostInterface*, free with hv_host_interface_free). */
GPtrArray      *hv_network_host_interfaces      (void);
void            hv_host_interface_free          (HvHostInterface *iface);

/* A tap owned by this user on host bridge @name (or on the bridge that physical interface
 * @name is part of), made and attached by the bridge helper: an open fd the caller owns, or
 * -1 with an error naming @name and saying what to do (no such interface, not a bridge and
 * in none, a Wi-Fi interface, not allowed by the set-up, set-up not done). */
int             hv_network_bridge_open_tap      (const char *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvNetworkSetup, hv_network_setup_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvHostInterface, hv_host_interface_free)

G_END_DECLS
