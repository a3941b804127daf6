/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-console-crisp.h: crisp pixels for the small screen modes of old guests (320×200,
 * 640×480, 720×400 text…): an integer scale factor, the 4:3 aspect a CRT showed them at, and
 * nearest-neighbour sampling done here (GTK 4.8 has no nearest filter for textures). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A small mode: at most 720×480. */
gboolean  hv_console_crisp_applies (int gw, int gh);
/* Where a gw×gh screen goes in a w×h area: k·gw wide and k·gw·3/4 high for the largest
 * integer k that fits, centred. FALSE when not even k = 1 fits, or the mode is not small. */
gboolean  hv_console_crisp_rect    (int gw, int gh, int w, int h,
                                    int *x, int *y, int *dw, int *dh);
/* The gw×gh image at @src (32 bits a pixel, @stride bytes a row) scaled to dw×dh by nearest
 * neighbour, with the padding byte made opaque; dw·4 bytes a row, g_free() it. */
guint32  *hv_console_crisp_scale   (const guint32 *src, gsize stride, int gw, int gh,
                                    int dw, int dh);

G_END_DECLS
