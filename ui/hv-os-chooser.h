/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-os-chooser.h: a searchable list of the operating systems libosinfo knows.
 *
 * Filled from the engine's ListOses; a search entry filters by name, vendor and short id.
 * The first entry, "Other operating system" (id ""), stands for generic defaults. The
 * chosen OS is the "os-id" property, notified whether the user or the program chose it;
 * an id set before the list arrives is selected once it is there. */
#pragma once

#include <gtk/gtk.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_OS_CHOOSER (hv_os_chooser_get_type ())

G_DECLARE_FINAL_TYPE (HvOsChooser, hv_os_chooser, HV, OS_CHOOSER, GtkWidget)

GtkWidget  *hv_os_chooser_new         (void);
/* Ask @client's engine for the list (once; asynchronous). */
void        hv_os_chooser_load        (HvOsChooser    *self,
                                       HvEngineClient *client);
/* Fill from a ListOses reply's a(sss) (short id, name, vendor). */
void        hv_os_chooser_set_oses    (HvOsChooser *self,
                                       GVariant    *oses);
/* Choose @os_id ("" or NULL: other); @os_name is shown until the list knows better. */
void        hv_os_chooser_set_os      (HvOsChooser *self,
                                       const char  *os_id,
                                       const char  *os_name);
/* "" for other, never NULL. */
const char *hv_os_chooser_get_os_id   (HvOsChooser *self);
const char *hv_os_chooser_get_os_name (HvOsChooser *self);
GtkWidget  *hv_os_chooser_get_search_entry (HvOsChooser *self);

G_END_DECLS
