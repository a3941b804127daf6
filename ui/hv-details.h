/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-details.h: the details pane of the selected VM, like VirtualBox's: name and state, the
 * VM's actions (the window's vm.* actions), a live thumbnail of its screen while it runs,
 * and a hardware summary read from its saved config. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_DETAILS (hv_details_get_type ())

G_DECLARE_FINAL_TYPE (HvDetails, hv_details, HV, DETAILS, AdwBin)

GtkWidget *hv_details_new        (void);
void       hv_details_set_client (HvDetails *self, HvEngineClient *client);
void       hv_details_set_item   (HvDetails *self, HvVmItem *item);
HvVmItem  *hv_details_get_item   (HvDetails *self);
/* Opens the item's console in the pane, as "Show Console" does (a live VM only). */
void       hv_details_show_console (HvDetails *self);

G_END_DECLS
