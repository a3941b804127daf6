/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-private.h: what the files of HvNetworks share: host-only network objects and
 * their store (hv-network-store.c), the namespace that runs a network inside the engine
 * (hv-network-ns.c) and forwarded ports into it (hv-network-forward.c). */
#pragma once

#include <gio/gio.h>

#include "hv-config.h"
#include "hv-network.h"

G_BEGIN_DECLS

/* A host-only network as networks.xml keeps it. Addresses in host byte order. */
typedef struct {
  char *name;            /* see hv_network_check_name() */
  guint32 address;       /* the host's address on the network */
  guint prefix;          /* 8..30 */
  gboolean dhcp;
  guint32 dhcp_start;    /* inside the network, start <= end, the host's address outside */
  guint32 dhcp_end;
} HvHostOnlyNet;

HvHostOnlyNet *hv_host_only_net_copy    (const HvHostOnlyNet *net);
void           hv_host_only_net_free    (HvHostOnlyNet *net);
/* An empty GPtrArray that owns HvHostOnlyNet*. */
GPtrArray     *hv_host_only_net_array_new (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvHostOnlyNet, hv_host_only_net_free)

/* 1..12 characters of [a-z0-9-], not starting with '-' (the D-Bus contract's rule, so that
 * "hv-NAME" is a valid interface name). HV_ERROR_INVALID_ARGUMENT otherwise. */
gboolean       hv_network_check_name    (const char *name, GError **error);

/* Dotted quad helpers (host byte order). */
char          *hv_ipv4_to_string        (guint32 address);
gboolean       hv_ipv4_parse            (const char *text, guint32 *out);
guint32        hv_ipv4_netmask          (guint prefix);

/* Applies the a{sv} options of CreateNetwork/ModifyNetwork ("address" "A.B.C.D/P", "dhcp"
 * b, "dhcp-start" s, "dhcp-end" s) to @net and checks the result; @taken holds the other
 * networks (HvHostOnlyNet*), whose subnets the result must not overlap. A new address
 * without a new range resets the range to the default of the new subnet. */
gboolean       hv_host_only_net_apply   (HvHostOnlyNet *net, GVariant *options,
                                         GPtrArray *taken, GError **error);
/* The default range of @net's subnet (".100 to .254" of a /24). */
void           hv_host_only_net_default_range (HvHostOnlyNet *net);

/* A /24 on 192.168.64.0 .. 192.168.254.0 that overlaps none of @taken's subnets, no
 * route or address of the host, neither VirtualBox's 192.168.56.0/21 nor libvirt's
 * 192.168.122.0/24: the host's address on it (.1), or 0 when none is free. */
guint32        hv_network_pick_free_subnet (GPtrArray *taken);

/* networks.xml: HvHostOnlyNet*, in file order. A missing file gives an empty array and
 * *out_missing = TRUE. Errors: HV_ERROR_INVALID_CONFIG "FILE:LINE: …", HV_ERROR_IO. */
GPtrArray     *hv_network_store_load    (const char *path, gboolean *out_missing,
                                         GError **error);
gboolean       hv_network_store_save    (const char *path, GPtrArray *nets, GError **error);

/* ---- HvNetworks (hv-network.c, hv-network-objects.c) -------------------------------- */

typedef struct _HvNetns HvNetns;
typedef struct _HvNetForward HvNetForward;

typedef struct {
  char *vm_uuid;
  guint slot;
  char *mac;
} Member;

typedef struct {
  HvNetworks *owner;
  char *key;              /* "host-only:NAME", "internal:NAME" */
  HvNetMode kind;
  char *name;
  gboolean host_mode;     /* host-only with the set-up: no namespace of ours */
  HvNetns *ns;            /* NULL in host mode, or for VMs adopted from an earlier engine */
  char *lease_path;       /* NULL without dnsmasq */
  GFileMonitor *monitor;
  GPtrArray *members;     /* Member* */
  guint pending;          /* attaches under way */
} Run;

typedef struct {
  char *vm_uuid;
  guint slot;
  HvNetForward *forward;
} Forward;

/* HvNetworks' insides, shared by hv-network.c and hv-network-objects.c. */
struct _HvNetworks
{
  GObject parent_instance;

  char *library_dir;
  char *run_base;
  char *store_path;
  GPtrArray *host_only;   /* HvHostOnlyNet* */
  GHashTable *runs;       /* key -> Run* */
  GPtrArray *forwards;    /* Forward* */
  char *store_error;      /* networks.xml cannot be read: why (it is left alone) */
  HvNetworkUsesFunc uses_func;
  gpointer uses_data;
};

HvHostOnlyNet *hv_networks_find_host_only (HvNetworks *self, const char *name, guint *out_index);
GPtrArray     *hv_networks_get_uses       (HvNetworks *self);
/* "host-only:NAME" or "internal:NAME": the key of a network's run. */
char          *hv_networks_run_key        (HvNetMode mode, const char *name);
void           hv_networks_emit_changed   (HvNetworks *self);

/* ---- The namespace holder (hv-network-ns.c) ---------------------------------------- */

#define HV_TYPE_NETNS (hv_netns_get_type ())
G_DECLARE_FINAL_TYPE (HvNetns, hv_netns, HV, NETNS, GObject)

/* The bridge inside every network namespace. */
#define HV_NETNS_BRIDGE "hvbr0"

/* Starts the holder (see hostvisor-netns.c) for the network described by @label (for
 * messages): a new user+network namespace with bridge HV_NETNS_BRIDGE, @address_cidr
 * ("A.B.C.D/P") on it unless NULL, dnsmasq with config @dnsmasq_conf unless NULL (its log
 * in @dnsmasq_log). Requests made before it is ready wait for it. */
HvNetns    *hv_netns_new              (const char *label, const char *address_cidr,
                                       const char *dnsmasq_conf, const char *dnsmasq_log,
                                       GError **error);
/* A new tap on the bridge: an fd the caller owns. */
void        hv_netns_open_tap_async   (HvNetns *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
int         hv_netns_open_tap_finish  (HvNetns *self, GAsyncResult *result, char **out_name,
                                       GError **error);
/* A new unconnected socket (TCP, or UDP when @udp) inside the namespace. */
void        hv_netns_open_socket_async (HvNetns *self, gboolean udp, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
int         hv_netns_open_socket_finish (HvNetns *self, GAsyncResult *result, GError **error);
/* The holder's pid (0 once it has exited). */
GPid        hv_netns_get_pid          (HvNetns *self);
/* Ends the holder (and its dnsmasq); pending requests fail. Idempotent. */
void        hv_netns_close            (HvNetns *self);
/* Signal "closed" (const char *reason): the holder ended (reason NULL when asked to). */

/* The holder program: $HOSTVISOR_NETNS_HELPER, else beside the engine in the build tree,
 * else HV_LIBEXECDIR/hostvisor-netns. */
char       *hv_netns_helper_path      (void);

/* ---- Forwarded ports (hv-network-forward.c) --------------------------------------- */


/* Where a forward connects: the guest's address now (a dotted quad, or NULL when not
 * known yet); called at each new connection. */
typedef char *(*HvNetForwardTargetFunc) (gpointer user_data);

/* Listens on @rule's host address and port (HV_ERROR_BUSY naming the port and the rule
 * when taken) and forwards each connection (TCP) or each client's datagrams (UDP) to the
 * guest's @rule->guest_port through sockets made inside @ns. */
HvNetForward *hv_net_forward_new      (HvNetns *ns, const HvPortForward *rule,
                                       HvNetForwardTargetFunc target, gpointer target_data,
                                       GDestroyNotify target_destroy, GError **error);
void          hv_net_forward_free     (HvNetForward *forward);
const char   *hv_net_forward_get_name (HvNetForward *forward);

/* ---- Leases ----------------------------------------------------------------------- */

/* The addresses dnsmasq's lease file @text gives @mac (any case), newest lease first. */
char      **hv_network_leases_lookup  (const char *text, const char *mac);

G_END_DECLS
