/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-new-vm-dialog.h: the New VM wizard.
 *
 * Three pages: the install medium (whose OS the engine detects), the OS (a searchable
 * list; its recommendations become the defaults), then name, folder and hardware with
 * inline validation. Create calls the engine's CreateVm; an error keeps the dialog open
 * with everything the user entered, success closes it and starts the VM if asked. The
 * recommendations themselves live in HvWizardModel (hv-wizard-model.h). */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_NEW_VM_DIALOG (hv_new_vm_dialog_get_type ())

G_DECLARE_FINAL_TYPE (HvNewVmDialog, hv_new_vm_dialog, HV, NEW_VM_DIALOG, AdwWindow)

/* Opens the wizard over @parent; @medium_or_null: an ISO or floppy image (one dropped on
 * the window), filled in with its OS detected. */
void           hv_new_vm_dialog_present (GtkWindow      *parent,
                                         HvEngineClient *client,
                                         GFile          *medium_or_null);
HvNewVmDialog *hv_new_vm_dialog_new     (GtkWindow      *parent,
                                         HvEngineClient *client,
                                         GFile          *medium_or_null);

G_END_DECLS
