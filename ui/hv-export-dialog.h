/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-dialog.h: Export… a VM for another hypervisor (Vm.Export): the format (OVA, OVF
 * files, a libvirt domain in a folder), the destination (typed or chosen), and the state (the
 * current one of a powered-off VM, or a snapshot in any state). Shows the VM's Operation
 * "export" with its OperationProgress; Cancel calls Vm.CancelOperation (the engine leaves
 * nothing at the destination). Errors are shown in the dialog, which goes back to the form;
 * success says where the files are and what the format could not carry. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_EXPORT_DIALOG (hv_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvExportDialog, hv_export_dialog, HV, EXPORT_DIALOG, AdwWindow)

/* @parent should be the HvWindow (for its messages). */
void hv_export_dialog_present (GtkWindow      *parent,
                               HvEngineClient *client,
                               HvVmItem       *item);

G_END_DECLS
