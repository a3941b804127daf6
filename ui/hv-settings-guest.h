/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-guest.h: the Settings dialog's Guest page (guest tools, clipboard, shares). */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_SETTINGS_GUEST (hv_settings_guest_get_type ())
G_DECLARE_FINAL_TYPE (HvSettingsGuest, hv_settings_guest, HV, SETTINGS_GUEST, AdwPreferencesPage)

GtkWidget *hv_settings_guest_new (HvEngineClient *client, HvVmItem *item);

G_END_DECLS
