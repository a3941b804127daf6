/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The console's crisp pixels (ui/hv-console-crisp.c): the integer factor with the 4:3
 * aspect, and nearest-neighbour scaling pixel by pixel. */
#include <glib.h>

#include "hv-console-crisp.h"

static void
test_rect (void)
{
  int x, y, dw, dh;

  /* 320×200 in 1280×800: k = 3 (240·4 > 800), 960×720 centred. */
  g_assert_true (hv_console_crisp_rect (320, 200, 1280, 800, &x, &y, &dw, &dh));
  g_assert_cmpint (dw, ==, 960);
  g_assert_cmpint (dh, ==, 720);
  g_assert_cmpint (x, ==, 160);
  g_assert_cmpint (y, ==, 40);
  /* 720×400 text in 1920×1080: k = 2 (540·2), 1440×1080. */
  g_assert_true (hv_console_crisp_rect (720, 400, 1920, 1080, &x, &y, &dw, &dh));
  g_assert_cmpint (dw, ==, 1440);
  g_assert_cmpint (dh, ==, 1080);
  /* 640×480 is 4:3 already. */
  g_assert_true (hv_console_crisp_rect (640, 480, 1300, 1000, &x, &y, &dw, &dh));
  g_assert_cmpint (dw, ==, 1280);
  g_assert_cmpint (dh, ==, 960);
  /* Too small an area, or a large mode: not crisp. */
  g_assert_false (hv_console_crisp_rect (640, 480, 600, 600, &x, &y, &dw, &dh));
  g_assert_false (hv_console_crisp_rect (1024, 768, 4000, 3000, &x, &y, &dw, &dh));
}

static void
test_scale (void)
{
  /* 2×2 to 4×4 (stride with padding): each pixel becomes a 2×2 block, alpha made opaque. */
  guint32 src[2 * 3] = { 1, 2, 0xdead, 3, 4, 0xbeef };
  g_autofree guint32 *dst = hv_console_crisp_scale (src, 3 * 4, 2, 2, 4, 4);
  const guint32 want[16] = { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 };

  for (int i = 0; i < 16; i++)
    g_assert_cmphex (GUINT32_FROM_LE (dst[i]) & 0xffffff, ==, want[i]);
  for (int i = 0; i < 16; i++)
    g_assert_cmphex (GUINT32_FROM_LE (dst[i]) >> 24, ==, 0xff);
}

static void
test_scale_aspect (void)
{
  /* 1×5 rows to 1×6: nearest rows 0,0,1,2,3,4 (y·5/6). */
  guint32 src[5] = { 10, 11, 12, 13, 14 };
  g_autofree guint32 *dst = hv_console_crisp_scale (src, 4, 1, 5, 1, 6);
  const guint32 want[6] = { 10, 10, 11, 12, 13, 14 };

  for (int i = 0; i < 6; i++)
    g_assert_cmphex (GUINT32_FROM_LE (dst[i]) & 0xffffff, ==, want[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/console-crisp/rect", test_rect);
  g_test_add_func ("/console-crisp/scale", test_scale);
  g_test_add_func ("/console-crisp/scale-aspect", test_scale_aspect);
  return g_test_run ();
}
