/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-dialog.h: one VM's settings.
 *
 * General (name, folder, OS), System (memory, CPUs, firmware, boot order), Storage (the
 * drives from its ConfigXml; CD/DVD and floppy changed or ejected), Display (video model).
 * Each change applies at once with Vm.Modify (spin buttons a moment after the last step,
 * the name with its apply button), except media in a running VM, which go through
 * Vm.InsertMedia. While the VM runs, what needs it powered off is insensitive and says
 * so. An engine error is shown and the user's value stays in its field. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"
#include "hv-vm-item.h"

G_BEGIN_DECLS

#define HV_TYPE_SETTINGS_DIALOG (hv_settings_dialog_get_type ())

G_DECLARE_FINAL_TYPE (HvSettingsDialog, hv_settings_dialog, HV, SETTINGS_DIALOG,
                      AdwPreferencesWindow)

void              hv_settings_dialog_present (GtkWindow      *parent,
                                              HvEngineClient *client,
                                              HvVmItem       *vm);
HvSettingsDialog *hv_settings_dialog_new     (GtkWindow      *parent,
                                              HvEngineClient *client,
                                              HvVmItem       *vm);

G_END_DECLS
