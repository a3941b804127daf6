/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-drive-menu.h: the console's "Removable Drives" menu: each floppy drive (A:, B:) and the
 * CD/DVD drive with the image in it, Insert… and Eject, while the VM runs. */
#pragma once

#include <gtk/gtk.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_DRIVE_MENU (hv_drive_menu_get_type ())
G_DECLARE_FINAL_TYPE (HvDriveMenu, hv_drive_menu, HV, DRIVE_MENU, GtkWidget)

GtkWidget *hv_drive_menu_new (HvEngineClient *client, HvVmItem *item);

G_END_DECLS
