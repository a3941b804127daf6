/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-clone-dialog.h: Clone a VM (Vm.Clone): the new name ("NAME Clone"), from which state
 * (the current one or a snapshot), full or linked, new MAC addresses or the same, and the
 * folder. Stays open while the engine clones; selects the new VM when done. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_CLONE_DIALOG (hv_clone_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvCloneDialog, hv_clone_dialog, HV, CLONE_DIALOG, AdwWindow)

/* @snapshot_id: the snapshot to start from, or NULL for the current state. @parent should be
 * the HvWindow (for its folders and to select the clone). */
void hv_clone_dialog_present (GtkWindow      *parent,
                              HvEngineClient *client,
                              HvVmItem       *item,
                              const char     *snapshot_id);

G_END_DECLS
