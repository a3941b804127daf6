/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-network.h: the Settings dialog's Network page: a VM's four adapters. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_SETTINGS_NETWORK (hv_settings_network_get_type ())
G_DECLARE_FINAL_TYPE (HvSettingsNetwork, hv_settings_network, HV, SETTINGS_NETWORK,
                      AdwPreferencesPage)

GtkWidget *hv_settings_network_new (HvEngineClient *client, HvVmItem *item);

G_END_DECLS
