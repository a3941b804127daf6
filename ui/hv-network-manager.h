/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-manager.h: the Network Manager window (main menu): host-only networks (create,
 * edit, remove), the internal networks in use, and the one-time set-up when it is missing. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_NETWORK_MANAGER (hv_network_manager_get_type ())
G_DECLARE_FINAL_TYPE (HvNetworkManager, hv_network_manager, HV, NETWORK_MANAGER, AdwWindow)

/* Shows the one Network Manager, making it when there is none. */
void hv_network_manager_present (GtkWindow      *parent,
                                 HvEngineClient *client);

G_END_DECLS
