/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots-shares.h: shared folders in use during a snapshot with the running state
 * (a live take, save state) and the load of such a state (docs/snapshots.md, "Shared
 * folders during snapshots").
 *
 * A 9p share mounted in the guest, and any virtiofs device, block QEMU from saving the RAM.
 * With the guest tools connected, the shares are "parked": the agent hears a list without
 * them and unmounts them; each virtiofs device is unplugged (device_del, DEVICE_DELETED,
 * its chardev and virtiofsd end) while its slot stays reserved. The snapshot is taken, then
 * every share comes back in its slot (a new virtiofsd, chardev-add, device_add) and the
 * agent mounts it again. The VM's config never changes. A snapshot that was taken without
 * the virtiofs devices records it (snapshot.xml "shares-unplugged"; the saved state: the
 * file snapshots/saved-state-unplugged), and the QEMU that loads it starts without them and
 * plugs them back after `cont`. */
#pragma once

#include <json-glib/json-glib.h>

#include "hv-vm-private.h"

G_BEGIN_DECLS

/* hv-vm-shares.c: the live shares' side (parking never touches the config). */
/* Mark every live share parked and tell the agent (the generation sent, 0 without one). */
guint32     hv_vm_shares_park          (HvVm *self);
/* The slots of the parked shares whose device is still in (unplugged FALSE) or gone. */
GArray     *hv_vm_shares_parked_slots  (HvVm *self, gboolean unplugged);
/* any: a share is parked; else a parked virtiofs share still has its device or virtiofsd. */
gboolean    hv_vm_shares_parked_busy   (HvVm *self, gboolean any);
const char *hv_vm_shares_slot_name     (HvVm *self, guint slot);
/* A new virtiofsd for the unplugged share in `slot` (then chardev-add and device_add). */
gboolean    hv_vm_shares_replug_daemon (HvVm *self, guint slot, GError **error);
/* The share in `slot` is the guest's again; `failure` (or NULL): why it cannot use it. The
 * caller announces the list afterwards. */
void        hv_vm_shares_unpark        (HvVm *self, guint slot, const char *failure);

/* hv-vm-snapshots-shares.c */
/* `task` (a take or save state, an hv_snap_op_task()) is refused because QEMU cannot save
 * the RAM (`reasons`, from query-migrate). When shares are the reason and the guest tools
 * can move them out of the way, that starts, and `retry` (task) is called once it is done
 * to read the blockers again: TRUE, the task's reference is taken (and on failure it is
 * answered). FALSE: nothing to do (no shares, no tools, parked already): the caller refuses. */
gboolean    hv_snap_shares_try_park    (GTask *task, JsonArray *reasons,
                                        void (*retry) (GTask *task));
/* The shares were taken out of the guest for `task` (and still block it: a program in the
 * guest keeps a 9p mount busy). */
gboolean    hv_snap_shares_tried       (GTask *task);
/* Called first by hv_snap_op_return(): when the task parked shares, bring them back, then
 * answer the task (TRUE: it does so later, with `error` taken). */
gboolean    hv_snap_shares_return      (GTask *task, GError *error);
/* hv_vm_shares_prepare(): the state the next start loads was saved without the virtiofs
 * devices (its QEMU starts without them). */
gboolean    hv_snap_shares_load_unplugged (HvVm *self);
/* The config QEMU starts with for such a load (no shares), or NULL: self->config. */
HvVmConfig *hv_snap_shares_start_config (HvVm *self, const HvQemuCaps *caps);
/* After `cont`: plug back the shares of a loaded state, tell the agent. */
void        hv_snap_shares_started     (HvVm *self);
/* A running VM taken over from an earlier engine (hv_vm_shares_reconcile()): that engine
 * had shares out of the guest for a snapshot (the runtime file shares-parked). */
gboolean    hv_snap_shares_were_parked (HvVm *self);
/* ...then plug back those it had unplugged. */
void        hv_snap_shares_reclaim     (HvVm *self);

G_END_DECLS
