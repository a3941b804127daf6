/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network.h: the engine's networks: host-only networks (objects of their own, kept in the
 * library's networks.xml), internal networks (by name, while VMs use them) and attachment to
 * host bridges. One HvNetworks per engine, owned by the library; every VM borrows it.
 *
 * A starting VM asks for one tap per adapter whose mode is bridged, host-only or internal
 * (hv_networks_attach_async()) and hands each fd to QEMU (`-netdev tap,fd=N`): QEMU runs under
 * `-sandbox …,spawn=deny`, so it can neither run qemu-bridge-helper nor tap scripts itself.
 * A network is brought up by its first attach and down when its last VM is detached; a
 * network run by a namespace holder survives the engine being killed while VMs run. */
#pragma once

#include <gio/gio.h>

#include "hv-config.h"

G_BEGIN_DECLS

#define HV_TYPE_NETWORKS (hv_networks_get_type ())
G_DECLARE_FINAL_TYPE (HvNetworks, hv_networks, HV, NETWORKS, GObject)

/* What a VM's adapter names: the library tells HvNetworks through an HvNetworkUsesFunc, so
 * that a network named by a VM is not removed and the list shows which VMs use each. */
typedef struct {
  HvNetMode mode;       /* HV_NET_BRIDGED, HV_NET_HOST_ONLY or HV_NET_INTERNAL */
  char *target;
  char *vm_uuid;
  char *vm_name;
} HvNetworkUse;

void        hv_network_use_free          (HvNetworkUse *use);
/* Every bridged, host-only and internal adapter of every VM, enabled or not (HvNetworkUse*, the
 * array owns them). */
typedef GPtrArray *(*HvNetworkUsesFunc) (gpointer user_data);

/* @library_dir holds networks.xml (made with the default network "hostonly0" on a free /24
 * when missing); @run_base is the engine's runtime directory. Never fails: when networks.xml
 * cannot be read or is malformed, there are no host-only networks, the file is left alone
 * and create/modify/remove say why (HV_ERROR_INVALID_CONFIG); @error is unused. */
HvNetworks *hv_networks_new             (const char *library_dir, const char *run_base,
                                         GError **error);

void        hv_networks_set_uses_func   (HvNetworks *self, HvNetworkUsesFunc func,
                                         gpointer user_data);

/* Engine.Networks: one a{sv} per host-only network and per internal network that a VM
 * names or that is up (see the D-Bus contract). A floating aa{sv}. */
GVariant   *hv_networks_describe        (HvNetworks *self);
/* The host-only networks' names, in networks.xml's order. */
char      **hv_networks_dup_host_only_names (HvNetworks *self);

/* CreateNetwork/ModifyNetwork/RemoveNetwork: @options as in the D-Bus contract. Modify is
 * refused (HV_ERROR_INVALID_STATE) while the network is up, Remove while a VM's adapter
 * names it; HV_ERROR_NOT_FOUND for a network that does not exist, HV_ERROR_EXISTS for a
 * name or subnet taken, HV_ERROR_INVALID_ARGUMENT for bad options. networks.xml is
 * written atomically before the change is seen. */
gboolean    hv_networks_create          (HvNetworks *self, const char *name, GVariant *options,
                                         GError **error);
gboolean    hv_networks_modify          (HvNetworks *self, const char *name, GVariant *options,
                                         GError **error);
gboolean    hv_networks_remove          (HvNetworks *self, const char *name, GError **error);

/* Signals: "changed" (): a network was created, modified or removed, or went up or down;
 *          "leases-changed" (): see hv_networks_lookup_addresses(). */

/* A tap for adapter @slot (1..HV_MAX_NICS) of VM @vm_uuid, attached to @mode's network
 * @target (a host bridge or interface for HV_NET_BRIDGED, a host-only network's name, an
 * internal network's name), with the guest's @mac. The result is an open tap fd that the
 * caller owns (to pass to QEMU and then close), or -1 with an error that names the adapter's
 * target and says what to do (missing bridge, not allowed, set-up not done…). */
void        hv_networks_attach_async    (HvNetworks          *self,
                                         const char          *vm_uuid,
                                         guint                slot,
                                         HvNetMode            mode,
                                         const char          *target,
                                         const char          *mac,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
int         hv_networks_attach_finish   (HvNetworks          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* The VM's QEMU is gone (or its start failed): its adapters leave their networks, and a
 * network without VMs goes down. Safe to call for a VM that attached nothing. */
void        hv_networks_detach_vm       (HvNetworks *self, const char *vm_uuid);

/* The IPv4 addresses the engine's DHCP servers leased to @mac, newest first; NULL-terminated,
 * empty when none is known. "leases-changed" (no arguments) is emitted when they change. */
char      **hv_networks_lookup_addresses (HvNetworks *self, const char *mac);

/* How host-only network @name runs now: "host" (the one-time set-up gave the host a bridge
 * on it: taps go on that bridge, the host reaches guests at their leased addresses) or
 * "isolated" (it runs in the engine's namespace; the host reaches guests only through
 * forwarded ports on 127.0.0.1). NULL when no such network exists. */
const char *hv_networks_host_only_mode  (HvNetworks *self, const char *name);

/* The engine restarted while VM @vm_uuid kept running: its adapter @slot (@mode, @target,
 * @mac) is on its network again, so that the network stays up until the VM stops and
 * its leases are known. For an internal or isolated network this reconnects to the
 * namespace holder the earlier engine started (it outlived that engine while the VM's tap
 * was on its bridge): VMs started now join the same network, and forwards reach the VM. */
void        hv_networks_adopt_vm        (HvNetworks *self, const char *vm_uuid, guint slot,
                                         HvNetMode mode, const char *target, const char *mac);

/* A forwarded port from the host to the guest behind host-only adapter @slot of a running
 * VM whose network runs isolated: the engine listens on @rule's host address and port and
 * connects to the guest (its leased address when @rule->guest_address is ""). Fails with
 * HV_ERROR_BUSY naming the port and the rule when the port is taken. */
gboolean    hv_networks_add_forward     (HvNetworks *self, const char *vm_uuid, guint slot,
                                         const char *mac, const HvPortForward *rule,
                                         GError **error);
void        hv_networks_remove_forward  (HvNetworks *self, const char *vm_uuid, guint slot,
                                         const char *rule_name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvNetworkUse, hv_network_use_free)

G_END_DECLS
