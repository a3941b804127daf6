/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-snapshots-page.h: the Snapshots page of the selected VM, VirtualBox style.
 *
 * The VM's snapshot tree (Vm.Snapshots, parents first) with a thumbnail (loaded when its row
 * is first shown, kept for the page's life), name and date for each, and "Current state"
 * under Vm.CurrentSnapshot; Take, Restore (asking first while the VM runs), Delete (asking),
 * Clone and Properties; "Saving…" and a progress bar while Vm.Operation runs. Follows the
 * VM's properties as they change. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_SNAPSHOTS_PAGE (hv_snapshots_page_get_type ())

G_DECLARE_FINAL_TYPE (HvSnapshotsPage, hv_snapshots_page, HV, SNAPSHOTS_PAGE, AdwBin)

GtkWidget *hv_snapshots_page_new        (void);
void       hv_snapshots_page_set_client (HvSnapshotsPage *self, HvEngineClient *client);
void       hv_snapshots_page_set_item   (HvSnapshotsPage *self, HvVmItem *item);
/* Opens Take Snapshot for the page's VM, as its Take button does. */
void       hv_snapshots_page_take       (HvSnapshotsPage *self);

G_END_DECLS
