/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-speed-menu.h: the console's CPU speed selector, shown where the VM has a speed limit
 * (icount): the presets (no limit, 386, 486, Pentium, Pentium II). QEMU fixes the rate when it
 * starts and the engine changes it only while the VM is off, so a new speed restarts the VM:
 * power off, Modify cpu-limit, Start, the console staying open ("restarting"). */
#pragma once

#include <gtk/gtk.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_SPEED_MENU (hv_speed_menu_get_type ())
G_DECLARE_FINAL_TYPE (HvSpeedMenu, hv_speed_menu, HV, SPEED_MENU, GtkWidget)

GtkWidget *hv_speed_menu_new            (HvEngineClient *client, HvVmItem *item);
/* TRUE from "Restart at This Speed" until the VM was started again (or that failed). */
gboolean   hv_speed_menu_get_restarting (HvSpeedMenu *self);

G_END_DECLS
