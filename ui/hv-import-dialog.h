/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-import-dialog.h: File → Import Appliance… (an OVA or OVF package, as VirtualBox and
 * VMware export them). Reads it with Engine.InspectAppliance and shows what will be created
 * (name and folder, which can be changed; OS, memory, CPUs, firmware, disks, drives, adapters)
 * and what is left out (the engine's warnings); imports with Engine.ImportAppliance, showing
 * ApplianceProgress; Cancel calls Engine.CancelImport (the engine removes what it wrote).
 * Errors (a bad manifest, a hostile archive) are shown in the dialog, which then offers
 * another file. On success the new VM is selected in the window. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_IMPORT_DIALOG (hv_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvImportDialog, hv_import_dialog, HV, IMPORT_DIALOG, AdwWindow)

/* TRUE for a file whose name ends in .ova or .ovf (any case). */
gboolean hv_import_dialog_is_appliance (GFile *file);

/* Opens the dialog on @file (a local .ova or .ovf). @parent should be the HvWindow (for its
 * folders, its messages, and to select the new VM). */
void     hv_import_dialog_present      (GtkWindow      *parent,
                                        HvEngineClient *client,
                                        GFile          *file);

/* Asks for the file first (a file chooser for .ova/.ovf), then opens the dialog on it. */
void     hv_import_dialog_choose       (GtkWindow      *parent,
                                        HvEngineClient *client);

G_END_DECLS
