/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-network.h: a VM's network adapters while it starts, runs and stops.
 *
 * Start: one tap per enabled bridged, host-only or internal adapter from the engine's
 * networks (hv_networks_attach_async()), handed to QEMU at HV_QEMU_TAP_FD(N) and closed in
 * the engine once QEMU has them. Before `cont`: "set_link nicN off" for each adapter whose
 * cable is unplugged or that is not attached, then each port forward, one by one, each with
 * its own status: NAT rules through QMP's human-monitor-command "hostfwd_add" (QEMU 7.2 has
 * no QMP command for them and answers errors as text), host-only rules through
 * hv_networks_add_forward(). A rule that fails never stops the start. End: the adapters
 * leave their networks (hv_networks_detach_vm()).
 *
 * While it runs: the cable (set_link) and port forwards change at once; the config changes
 * only when QEMU took the change. What the adapters are now (link, forward status) is kept
 * in the runtime directory too ("network.state"), so that an engine that restarts while the
 * VM runs knows it again. */
#pragma once

#include <gio/gio.h>

#include "hv-config.h"
#include "hv-vm.h"

G_BEGIN_DECLS

typedef struct _HvVmNetwork HvVmNetwork;

void      hv_vm_network_free          (HvVmNetwork *net);

/* Before QEMU starts: a tap for each adapter that needs one. Fails naming the adapter (its
 * slot, mode and target) with the networks' reason; nothing stays attached then. */
void      hv_vm_network_attach_async  (HvVm *vm, GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean  hv_vm_network_attach_finish (HvVm *vm, GAsyncResult *result, GError **error);
/* The taps, to @launcher at their fd numbers (the launcher closes them after the spawn). */
void      hv_vm_network_pass_fds      (HvVm *vm, GSubprocessLauncher *launcher);
/* QEMU is gone, or never started: close what is still open, leave the networks, forget the
 * live state. */
void      hv_vm_network_stopped       (HvVm *vm);

/* Once QEMU's monitor answers, before `cont`: links and port forwards. Never fails. */
void      hv_vm_network_setup_async   (HvVm *vm, GAsyncReadyCallback callback,
                                       gpointer user_data);
void      hv_vm_network_setup_finish  (HvVm *vm, GAsyncResult *result);

/* An engine restarted while the VM runs: the live state from network.state, and the tap
 * adapters back on their networks (hv_networks_adopt_vm()). */
void      hv_vm_network_reattach      (HvVm *vm);

/* The Adapters property (aa{sv}, see the D-Bus interface). */
GVariant *hv_vm_network_dup_adapters  (HvVm *vm);

/* Cable of adapter @slot (1..HV_MAX_NICS) while the VM runs: set_link, then the config. */
void      hv_vm_network_set_cables_async  (HvVm *vm, const gboolean *cables,
                                           const gboolean *which, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean  hv_vm_network_set_cables_finish (HvVm *vm, GAsyncResult *result, GError **error);

/* AddPortForward / RemovePortForward on adapter @slot (1..HV_MAX_NICS): stored when the VM
 * is off; applied first, and stored only when it took effect, while it runs. */
void      hv_vm_network_add_forward_async    (HvVm *vm, guint slot, const HvPortForward *rule,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer user_data);
gboolean  hv_vm_network_add_forward_finish   (HvVm *vm, GAsyncResult *result, GError **error);
void      hv_vm_network_remove_forward_async (HvVm *vm, guint slot, const char *name,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer user_data);
gboolean  hv_vm_network_remove_forward_finish (HvVm *vm, GAsyncResult *result, GError **error);

/* The lowest host port an unprivileged process may listen on (ip_unprivileged_port_start). */
guint     hv_vm_network_unprivileged_port_start (void);

G_END_DECLS
