/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-console-crisp.c: see hv-console-crisp.h. */
#include "hv-build-config.h"

#include "hv-console-crisp.h"

#include <string.h>

gboolean
hv_console_crisp_applies (int gw,
                          int gh)
{
  return gw > 0 && gh > 0 && gw <= 720 && gh <= 480;
}

gboolean
hv_console_crisp_rect (int  gw,
                       int  gh,
                       int  w,
                       int  h,
                       int *x,
                       int *y,
                       int *dw,
                       int *dh)
{
  int ah, k;

  if (!hv_console_crisp_applies (gw, gh) || w <= 0 || h <= 0)
    return FALSE;
  /* 320×200 and 720×400 were shown at 4:3 like 320×240 and 720×540. */
  ah = (gw * 3 + 2) / 4;
  k = MIN (w / gw, h / ah);
  if (k < 1)
    return FALSE;
  *dw = gw * k;
  *dh = ah * k;
  *x = (w - *dw) / 2;
  *y = (h - *dh) / 2;
  return TRUE;
}

guint32 *
hv_console_crisp_scale (const guint32 *src,
                        gsize          stride,
                        int            gw,
                        int            gh,
                        int            dw,
                        int            dh)
{
  guint32 *dst;
  int *column;
  int previous = -1;

  g_return_val_if_fail (src != NULL && gw > 0 && gh > 0 && dw > 0 && dh > 0, NULL);

  dst = g_new (guint32, (gsize) dw * dh);
  column = g_new (int, dw);
  for (int x = 0; x < dw; x++)
    column[x] = (int) (((gint64) x * gw) / dw);
  for (int y = 0; y < dh; y++)
    {
      int sy = (int) (((gint64) y * gh) / dh);
      guint32 *row = dst + (gsize) y * dw;

      if (sy == previous)
        {
          /* The same source row: copy the row just made. */
          memcpy (row, row - dw, (gsize) dw * 4);
          continue;
        }
      {
        const guint32 *s = (const guint32 *) ((const guint8 *) src + (gsize) sy * stride);

        for (int x = 0; x < dw; x++)
          row[x] = s[column[x]] | GUINT32_TO_LE (0xff000000u);
      }
      previous = sy;
    }
  g_free (column);
  return dst;
}
