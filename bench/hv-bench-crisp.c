/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-crisp: what the console's crisp integer scaling of small guest modes (320×200,
 * 640×480, 720×400; ui/hv-console-crisp.c) costs per frame, beside the console's plain path
 * on the same frame at the same size (prints figures, asserts nothing).
 *
 * Every frame is a new guest screen (one pixel changes, so nothing can be cached), made into
 * what the console's snapshot() makes of it, and rendered by GSK offscreen at the size of the
 * console's widget:
 * - crisp: the frame's texture (hv_console_texture_new_for_vnc makes it either way), the
 *   frame scaled by nearest neighbour with hv_console_crisp_scale() to the drawn size, a
 *   texture of that, drawn 1:1 on the widget's black background;
 * - plain (without the feature): the frame's texture drawn at the same size, which GSK
 *   scales with its default linear filter (GTK 4.8 has no other for textures).
 * The two are measured alternately, frame by frame, in one run; medians over the frames.
 * Rendering is gsk_renderer_render_texture() and a download of the result (the download is
 * the same size on both sides), with the GL renderer (llvmpipe under Xvfb) and with cairo.
 * Without a display only the CPU part (the textures and the scaling) is measured. */

#include <locale.h>
#include <string.h>

#include <gtk/gtk.h>
#include <gsk/gl/gskglrenderer.h>

#include "hv-console-crisp.h"

#define FRAMES_DEFAULT 120

typedef struct
{
  int         gw, gh;          /* the guest's mode */
  int         w, h;            /* the console widget */
  const char *note;
} Case;

static const Case cases[] = {
  { 320, 200, 1280, 800, "320×200, 1280×800 widget (4:3: drawn 960×720, k = 3)" },
  { 320, 200, 1280, 960, "320×200, 1280×960 widget (drawn 1280×960, k = 4)" },
  { 640, 480, 1280, 960, "640×480, 1280×960 widget (drawn 1280×960, k = 2)" },
  { 720, 400, 1440, 1080, "720×400 text, 1440×1080 widget (drawn 1440×1080, k = 2)" },
};

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The median: the machine is shared and noisy, a mean would follow the hiccups. */
static double
median (GArray *values)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* A guest screen: coloured cells like text mode's, B, G, R, X with a zero padding byte. */
static guint32 *
frame_new (int gw,
           int gh)
{
  guint32 *fb = g_new (guint32, (gsize) gw * gh);

  for (int y = 0; y < gh; y++)
    for (int x = 0; x < gw; x++)
      {
        guint32 cell = (guint32) ((x / 8) * 7 + (y / 16) * 13);

        fb[(gsize) y * gw + x] = ((x ^ y) & 1) ? (cell * 0x00030507u) & 0x00ffffffu : 0;
      }
  return fb;
}

/* The frame's texture as hv_console_texture_new_for_vnc() makes it: one copy with the
 * padding byte made opaque, a B8G8R8A8 premultiplied memory texture. */
static GdkTexture *
frame_texture (const guint32 *fb,
               int            gw,
               int            gh)
{
  gsize n = (gsize) gw * gh;
  guint32 *dst = g_new (guint32, n);
  g_autoptr(GBytes) bytes = NULL;

  for (gsize i = 0; i < n; i++)
    dst[i] = fb[i] | GUINT32_TO_LE (0xff000000u);
  bytes = g_bytes_new_take (dst, n * 4);
  return gdk_memory_texture_new (gw, gh, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes,
                                 (gsize) gw * 4);
}

/* What the console's snapshot() appends for one frame, crisp or not: the widget's black
 * background and the guest's screen in @rect. */
static GskRenderNode *
frame_node (const guint32         *fb,
            const Case            *c,
            gboolean               crisp,
            const graphene_rect_t *rect)
{
  g_autoptr(GdkTexture) texture = frame_texture (fb, c->gw, c->gh);
  GskRenderNode *nodes[2];
  GskRenderNode *root;
  graphene_rect_t all;

  graphene_rect_init (&all, 0, 0, c->w, c->h);
  nodes[0] = gsk_color_node_new (&(GdkRGBA) { 0, 0, 0, 1 }, &all);
  if (crisp)
    {
      int dw = (int) rect->size.width, dh = (int) rect->size.height;
      guint32 *pixels = hv_console_crisp_scale (fb, (gsize) c->gw * 4, c->gw, c->gh, dw, dh);
      g_autoptr(GBytes) bytes = g_bytes_new_take (pixels, (gsize) dw * dh * 4);
      g_autoptr(GdkTexture) scaled =
        gdk_memory_texture_new (dw, dh, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes,
                                (gsize) dw * 4);

      nodes[1] = gsk_texture_node_new (scaled, rect);
    }
  else
    nodes[1] = gsk_texture_node_new (texture, rect);
  root = gsk_container_node_new (nodes, 2);
  gsk_render_node_unref (nodes[0]);
  gsk_render_node_unref (nodes[1]);
  return root;
}

/* One frame: its node made (the CPU part), then rendered and downloaded when @renderer is
 * set. Returns the ms of the whole; *cpu_ms gets the CPU part's. */
static double
one_frame (guint32               *fb,
           const Case            *c,
           gboolean               crisp,
           const graphene_rect_t *rect,
           GskRenderer           *renderer,
           guint8                *download,
           guint                  i,
           double                *cpu_ms)
{
  double start = now_ms (), mid;
  GskRenderNode *node;

  /* A new guest screen: nothing may come from a cache. */
  fb[(i * 7919u) % ((guint) c->gw * c->gh)] ^= 0x00102030u;
  node = frame_node (fb, c, crisp, rect);
  mid = now_ms ();
  *cpu_ms = mid - start;
  if (renderer != NULL)
    {
      graphene_rect_t viewport;
      g_autoptr(GdkTexture) out = NULL;

      graphene_rect_init (&viewport, 0, 0, c->w, c->h);
      out = gsk_renderer_render_texture (renderer, node, &viewport);
      gdk_texture_download (out, download, (gsize) c->w * 4);
    }
  gsk_render_node_unref (node);
  return now_ms () - start;
}

static void
bench_case (const Case  *c,
            GskRenderer *renderer,
            const char  *renderer_name,
            guint        frames)
{
  g_autofree guint32 *fb = frame_new (c->gw, c->gh);
  g_autofree guint8 *download = g_malloc ((gsize) c->w * c->h * 4);
  g_autoptr(GArray) crisp_all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) plain_all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) crisp_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) plain_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  graphene_rect_t rect;
  int x, y, dw, dh;
  double crisp_m, plain_m, crisp_c, plain_c;

  if (!hv_console_crisp_rect (c->gw, c->gh, c->w, c->h, &x, &y, &dw, &dh))
    g_error ("%s: crisp scaling does not apply", c->note);
  graphene_rect_init (&rect, x, y, dw, dh);

  /* Warm-up: shaders compiled, caches and pools filled, on both sides. */
  for (guint i = 0; i < 5; i++)
    {
      double cpu;

      one_frame (fb, c, TRUE, &rect, renderer, download, i, &cpu);
      one_frame (fb, c, FALSE, &rect, renderer, download, i, &cpu);
    }
  /* Alternately, so that both sides see the same load. */
  for (guint i = 0; i < frames; i++)
    {
      double all, cpu;

      all = one_frame (fb, c, TRUE, &rect, renderer, download, i, &cpu);
      g_array_append_val (crisp_all, all);
      g_array_append_val (crisp_cpu, cpu);
      all = one_frame (fb, c, FALSE, &rect, renderer, download, i, &cpu);
      g_array_append_val (plain_all, all);
      g_array_append_val (plain_cpu, cpu);
    }
  crisp_c = median (crisp_cpu);
  plain_c = median (plain_cpu);
  if (renderer == NULL)
    {
      g_print ("| %s | none (CPU part only) | %.3f | %.3f | %.2f | %.3f |\n", c->note,
               crisp_c, plain_c, plain_c > 0 ? crisp_c / plain_c : 0, crisp_c - plain_c);
      return;
    }
  crisp_m = median (crisp_all);
  plain_m = median (plain_all);
  g_print ("| %s | %s | %.3f (CPU %.3f) | %.3f (CPU %.3f) | %.2f | %.3f |\n", c->note,
           renderer_name, crisp_m, crisp_c, plain_m, plain_c,
           plain_m > 0 ? crisp_m / plain_m : 0, crisp_m - plain_m);
}

static GskRenderer *
renderer_new (const char *name,
              GdkSurface *surface)
{
  g_autoptr(GError) error = NULL;
  GskRenderer *renderer = g_str_equal (name, "gl") ? gsk_gl_renderer_new ()
                                                   : gsk_cairo_renderer_new ();

  if (!gsk_renderer_realize (renderer, surface, &error))
    {
      g_printerr ("hv-bench-crisp: the %s renderer: %s (left out)\n", name, error->message);
      g_object_unref (renderer);
      return NULL;
    }
  return renderer;
}

int
main (int    argc,
      char **argv)
{
  int frames = FRAMES_DEFAULT;
  gboolean cpu_only = FALSE;
  const GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames of each kind per row (default 120)",
      "N" },
    { "cpu-only", 0, 0, G_OPTION_ARG_NONE, &cpu_only, "Measure the CPU part only (no display)",
      NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("— the console's crisp scaling, per frame, beside plain scaling");
  g_autoptr(GError) error = NULL;
  GdkDisplay *display = NULL;
  GdkSurface *surface = NULL;
  const char *renderers[] = { "gl", "cairo" };

  /* UTF-8 out (×, −) also when GTK is not initialised, which would set the locale. */
  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-crisp: %s\n", error->message);
      return 2;
    }
  if (frames < 1)
    {
      g_printerr ("hv-bench-crisp: --frames must be at least 1\n");
      return 2;
    }
  if (!cpu_only && gtk_init_check ())
    {
      display = gdk_display_get_default ();
      surface = gdk_surface_new_toplevel (display);
    }
  else if (!cpu_only)
    g_printerr ("hv-bench-crisp: no display (run it under xvfb-run): the CPU part only\n");

  g_print ("Per frame, medians over %d frames of each kind, ms: crisp (nearest neighbour, "
           "ui/hv-console-crisp.c) beside plain (the frame's texture scaled by GSK, linear)\n\n",
           frames);
  g_print ("| guest mode and widget | renderer | crisp | plain | ratio | crisp − plain |\n");
  g_print ("|---|---|---|---|---|---|\n");
  if (surface == NULL)
    {
      /* GSK registers its node types when GTK starts; without a display, here. */
      g_type_ensure (GSK_TYPE_COLOR_NODE);
      g_type_ensure (GSK_TYPE_TEXTURE_NODE);
      g_type_ensure (GSK_TYPE_CONTAINER_NODE);
      for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
        bench_case (&cases[i], NULL, NULL, frames);
      return 0;
    }
  for (gsize r = 0; r < G_N_ELEMENTS (renderers); r++)
    {
      GskRenderer *renderer = renderer_new (renderers[r], surface);

      if (renderer == NULL)
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
        bench_case (&cases[i], renderer, renderers[r], frames);
      gsk_renderer_unrealize (renderer);
      g_object_unref (renderer);
    }
  gdk_surface_destroy (surface);
  return 0;
}
