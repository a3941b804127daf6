/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-system.h: the Settings dialog's System page: the machine, CPU model, CPU speed
 * limit, clock and the chipset's devices (ACPI, HPET, USB, tablet). */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_SETTINGS_SYSTEM (hv_settings_system_get_type ())
G_DECLARE_FINAL_TYPE (HvSettingsSystem, hv_settings_system, HV, SETTINGS_SYSTEM,
                      AdwPreferencesPage)

GtkWidget *hv_settings_system_new (HvEngineClient *client, HvVmItem *item);

G_END_DECLS
