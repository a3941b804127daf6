/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-floppy-row.h: a row for the second floppy drive (B:) in Settings → Storage: the image
 * in it, Insert… and Eject, while the VM runs too. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_FLOPPY_ROW (hv_floppy_row_get_type ())
G_DECLARE_FINAL_TYPE (HvFloppyRow, hv_floppy_row, HV, FLOPPY_ROW, AdwActionRow)

GtkWidget *hv_floppy_row_new (HvEngineClient *client, HvVmItem *item);

G_END_DECLS
