/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-connection-button.h: the connection switcher in the main window's header bar: whose VMs
 * the window shows. Its menu lists "This Computer", the remembered hosts (each with Forget)
 * and "Connect to Another Computer…" (HvConnectionDialog); the choice and the list are kept
 * by hv-connection-store.h. Choosing one switches the HvEngineClient
 * (hv_engine_client_set_remote()). */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_CONNECTION_BUTTON (hv_connection_button_get_type ())
G_DECLARE_FINAL_TYPE (HvConnectionButton, hv_connection_button, HV, CONNECTION_BUTTON, AdwBin)

void hv_connection_button_set_client (HvConnectionButton *self, HvEngineClient *client);

G_END_DECLS
