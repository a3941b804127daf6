/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-sound.h: the Settings dialog's Sound page: the sound card, on/off,
 * muted, the AdLib and the PC speaker. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_SETTINGS_SOUND (hv_settings_sound_get_type ())
G_DECLARE_FINAL_TYPE (HvSettingsSound, hv_settings_sound, HV, SETTINGS_SOUND,
                      AdwPreferencesPage)

GtkWidget *hv_settings_sound_new (HvEngineClient *client, HvVmItem *item);

G_END_DECLS
