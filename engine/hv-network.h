/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network.h: the engine's networks: host-only networks (objects of their own, kept in the
 * library's networks.xml), internal networks (by name, while VMs use them) and attachment to
 * host bridges. One HvNetworks per engine, owned by the library; every VM borrows it.
 *
 * A starting VM asks for one tap per adapter whose mode is bridged, host-only or internal
 * (hv_networks_attach_async()) and hands each fd to QEMU (`-netdev tap,fd=N`): QEMU runs under
 * `-sandbox …,spawn=deny`, so it can neither run qemu-bridge-helper nor tap scripts itself.
 * A network is brought up by its first attach and down when its last VM is detached. */
#pragma once

#include <gio/gio.h>

#include "hv-config.h"

G_BEGIN_DECLS

#define HV_TYPE_NETWORKS (hv_networks_get_type ())
G_DECLARE_FINAL_TYPE (HvNetworks, hv_networks, HV, NETWORKS, GObject)

/* @library_dir holds networks.xml; @run_base is the engine's runtime directory. */
HvNetworks *hv_networks_new             (const char *library_dir, const char *run_base,
                                         GError **error);

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
 * empty when none is known. */
char      **hv_networks_lookup_addresses (HvNetworks *self, const char *mac);

G_END_DECLS
