/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-console.c: the VM's screen as a GTK 4 widget (see hv-console.h).
 *
 * Drawing: HvVnc decodes into its framebuffer; on "frame-done" we only queue a draw, and
 * the next snapshot turns the framebuffer into one GdkMemoryTexture (one copy, which also
 * makes the padding byte opaque: GTK 4.8 has no "X" memory format). Several server updates
 * between two frames of the display cost one copy; redraws without a new update (window
 * resizes, the dimmed screen after a disconnection) reuse the texture.
 *
 * Input: keys are sent by hardware key code (evdev = X11/Wayland keycode - 8) turned into
 * a scancode, plus the keyval as keysym for servers without QEMU's extended key events;
 * the pointer is absolute, mapped from widget to guest pixels through the same rectangle
 * the snapshot draws into.
 *
 * Guests with only a PS/2 mouse (no USB tablet: "relative-pointer") see relative motion
 * (QEMU turns the positions into steps): their pointer goes its own way from the host's. For
 * them the pointer is captured: the first click only grabs (the guest does not see it), the
 * host's pointer is hidden and motion goes to the guest only while grabbed; the host key
 * releases it. */

#include "hv-build-config.h"

#include "hv-console.h"

#include <glib/gi18n-lib.h>

#include "hv-console-crisp.h"
#include "hv-keymap.h"

/* RFB pointer button bits (hv-vnc.h). */
#define BUTTON_LEFT        (1u << 0)
#define BUTTON_MIDDLE      (1u << 1)
#define BUTTON_RIGHT       (1u << 2)
#define BUTTON_WHEEL_UP    (1u << 3)
#define BUTTON_WHEEL_DOWN  (1u << 4)
#define BUTTON_WHEEL_LEFT  (1u << 5)
#define BUTTON_WHEEL_RIGHT (1u << 6)

/* Scroll steps sent for one event at most: a flung touchpad must not flood the guest. */
#define MAX_SCROLL_STEPS 10

struct _HvConsole
{
  GtkWidget   parent_instance;

  /* owned */
  HvVnc      *vnc;
  GdkTexture *texture;          /* the last frame drawn; NULL when it must be rebuilt */
  guint32     pressed_keysym[256]; /* by scancode: keys down in the guest (keysym | 1<<31) */

  /* borrowed */
  GtkWindow  *window;           /* our root while realized, for "is-active" */

  guint       host_key;
  guint       buttons;          /* RFB button mask */
  double      scroll_dx;
  double      scroll_dy;
  int         last_x;           /* the pointer in guest pixels */
  int         last_y;

  guint       scale_to_fit : 1;
  guint       crisp : 1;        /* small modes: integer factor, 4:3, nearest neighbour */
  guint       grabbed : 1;
  guint       connected : 1;
  guint       relative_pointer : 1;
  guint       swallowed;        /* buttons whose press only grabbed: their release too */
};

G_DEFINE_FINAL_TYPE (HvConsole, hv_console, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SCALE_TO_FIT,
  PROP_HOST_KEY,
  PROP_GRABBED,
  PROP_CONNECTED,
  PROP_GUEST_WIDTH,
  PROP_GUEST_HEIGHT,
  PROP_RELATIVE_POINTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define KEY_DOWN_FLAG (1u << 31)

/* Geometry */

/* Where the guest's screen goes in the widget, in widget coordinates. */
static gboolean
get_screen_rect (HvConsole       *self,
                 graphene_rect_t *rect)
{
  int gw = hv_vnc_get_width (self->vnc);
  int gh = hv_vnc_get_height (self->vnc);
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double scale = 1.0;
  double dw, dh;

  if (gw <= 0 || gh <= 0 || w <= 0 || h <= 0)
    return FALSE;
  if (self->crisp && self->scale_to_fit)
    {
      int x, y, cw, ch;

      if (hv_console_crisp_rect (gw, gh, (int) w, (int) h, &x, &y, &cw, &ch))
        {
          graphene_rect_init (rect, x, y, cw, ch);
          return TRUE;
        }
    }

  if (self->scale_to_fit)
    scale = MIN (w / gw, h / gh);
  dw = gw * scale;
  dh = gh * scale;

  /* Centred when it is smaller than the widget; at the top left corner when 1:1 is larger
   * (a GtkScrolledWindow around us then scrolls). */
  graphene_rect_init (rect, MAX (0.0, floor ((w - dw) / 2)), MAX (0.0, floor ((h - dh) / 2)),
                      dw, dh);
  return TRUE;
}

static gboolean
widget_to_guest (HvConsole *self,
                 double     x,
                 double     y,
                 int       *gx,
                 int       *gy)
{
  int gw = hv_vnc_get_width (self->vnc);
  int gh = hv_vnc_get_height (self->vnc);
  graphene_rect_t rect;

  if (!get_screen_rect (self, &rect) || rect.size.width <= 0 || rect.size.height <= 0)
    return FALSE;

  *gx = CLAMP ((int) ((x - rect.origin.x) * gw / rect.size.width), 0, gw - 1);
  *gy = CLAMP ((int) ((y - rect.origin.y) * gh / rect.size.height), 0, gh - 1);
  return TRUE;
}

/* Drawing */

/* Pixel buffers of textures no longer used, kept for the next frames of the same size: a
 * fresh 8 MiB allocation per 1920×1080 frame costs more in page faults than the copy into
 * it (see bench/hv-bench-console.c). A texture's last reference may go in any thread. */
#define POOL_SIZE 3

typedef struct
{
  gsize   size;
  guint8 *data;
} PoolBuffer;

G_LOCK_DEFINE_STATIC (pool);
static PoolBuffer pool[POOL_SIZE];

static guint8 *
pool_take (gsize size)
{
  guint8 *data = NULL;

  G_LOCK (pool);
  for (guint i = 0; i < POOL_SIZE && data == NULL; i++)
    if (pool[i].data != NULL && pool[i].size == size)
      {
        data = g_steal_pointer (&pool[i].data);
        pool[i].size = 0;
      }
  G_UNLOCK (pool);

  return data != NULL ? data : g_malloc (size);
}

/* The GBytes free function of a texture's pixels. */
static void
pool_give_back (gpointer user_data)
{
  PoolBuffer *buffer = user_data;
  guint8 *evicted = NULL;
  int slot = -1;

  G_LOCK (pool);
  /* An empty slot, else one holding another size (the screen was resized). */
  for (guint i = 0; i < POOL_SIZE && slot < 0; i++)
    if (pool[i].data == NULL)
      slot = i;
  for (guint i = 0; i < POOL_SIZE && slot < 0; i++)
    if (pool[i].size != buffer->size)
      slot = i;
  if (slot >= 0)
    {
      evicted = pool[slot].data;
      pool[slot] = *buffer;
      buffer->data = NULL;
    }
  G_UNLOCK (pool);

  g_free (evicted);
  g_free (buffer->data);
  g_free (buffer);
}

GdkTexture *
hv_console_texture_new_for_vnc (HvVnc *vnc)
{
  const guint32 *src;
  g_autoptr(GBytes) bytes = NULL;
  gsize stride, n_pixels;
  guint32 *dst;
  PoolBuffer *buffer;

  g_return_val_if_fail (HV_IS_VNC (vnc), NULL);

  src = (const guint32 *) hv_vnc_get_framebuffer (vnc, &stride);
  n_pixels = (gsize) hv_vnc_get_width (vnc) * hv_vnc_get_height (vnc);
  if (src == NULL || n_pixels == 0)
    return NULL;

  /* The copy GDK needs anyway (a texture is immutable, the framebuffer is not), with the
   * padding byte made opaque: B, G, R, X becomes B, G, R, 0xff. One pass over memory;
   * the compiler vectorises it. */
  dst = (guint32 *) pool_take (n_pixels * 4);
  for (gsize i = 0; i < n_pixels; i++)
    dst[i] = src[i] | GUINT32_TO_LE (0xff000000u);

  buffer = g_new (PoolBuffer, 1);
  buffer->size = n_pixels * 4;
  buffer->data = (guint8 *) dst;
  bytes = g_bytes_new_with_free_func (dst, n_pixels * 4, pool_give_back, buffer);

  return gdk_memory_texture_new (hv_vnc_get_width (vnc), hv_vnc_get_height (vnc),
                                 GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes, stride);
}

static void
hv_console_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  HvConsole *self = HV_CONSOLE (widget);
  graphene_rect_t rect;

  graphene_rect_init (&rect, 0, 0, gtk_widget_get_width (widget),
                      gtk_widget_get_height (widget));
  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 1 }, &rect);

  if (!get_screen_rect (self, &rect))
    return;

  if (self->texture == NULL)
    self->texture = hv_console_texture_new_for_vnc (self->vnc);
  if (self->texture == NULL)
    return;

  if (!self->connected)
    gtk_snapshot_push_opacity (snapshot, 0.5);
  if (self->crisp && self->scale_to_fit &&
      hv_console_crisp_applies (hv_vnc_get_width (self->vnc), hv_vnc_get_height (self->vnc)) &&
      rect.size.width > hv_vnc_get_width (self->vnc))
    {
      /* Scaled here by nearest neighbour to the exact size drawn: no blur. */
      gsize stride;
      const guint32 *src = (const guint32 *) hv_vnc_get_framebuffer (self->vnc, &stride);
      int dw = (int) rect.size.width, dh = (int) rect.size.height;
      guint32 *pixels = src != NULL
                        ? hv_console_crisp_scale (src, stride, hv_vnc_get_width (self->vnc),
                                                  hv_vnc_get_height (self->vnc), dw, dh)
                        : NULL;

      if (pixels != NULL)
        {
          g_autoptr(GBytes) bytes = g_bytes_new_take (pixels, (gsize) dw * dh * 4);
          g_autoptr(GdkTexture) crisp =
            gdk_memory_texture_new (dw, dh, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes,
                                    (gsize) dw * 4);

          gtk_snapshot_append_texture (snapshot, crisp, &rect);
        }
    }
  else
    gtk_snapshot_append_texture (snapshot, self->texture, &rect);
  if (!self->connected)
    gtk_snapshot_pop (snapshot);
}

static void
hv_console_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  HvConsole *self = HV_CONSOLE (widget);
  int size;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    size = hv_vnc_get_width (self->vnc);
  else
    size = hv_vnc_get_height (self->vnc);

  /* Scaled, any size will do; the guest's own size is the natural one. */
  *natural = size > 0 ? size : 640;
  *minimum = self->scale_to_fit ? MIN (*natural, 64) : size;
}

/* Keyboard */

static void
send_key (HvConsole *self,
          guint32    keysym,
          guint32    scancode,
          gboolean   down)
{
  if (scancode != 0 && scancode < G_N_ELEMENTS (self->pressed_keysym))
    self->pressed_keysym[scancode] = down ? (keysym | KEY_DOWN_FLAG) : 0;
  hv_vnc_send_key (self->vnc, keysym, scancode, down);
}

/* Keys still down in the guest when we stop sending keys would stay stuck there. */
static void
release_all_keys (HvConsole *self)
{
  for (guint scancode = 0; scancode < G_N_ELEMENTS (self->pressed_keysym); scancode++)
    {
      guint32 state = self->pressed_keysym[scancode];

      if (state & KEY_DOWN_FLAG)
        send_key (self, state & ~KEY_DOWN_FLAG, scancode, FALSE);
    }
}

static void
set_grabbed (HvConsole *self,
             gboolean   grabbed,
             GdkEvent  *event)
{
  GtkNative *native;
  GdkSurface *surface = NULL;

  grabbed = !!grabbed;
  if (self->grabbed == grabbed)
    return;

  native = gtk_widget_get_native (GTK_WIDGET (self));
  if (native != NULL)
    surface = gtk_native_get_surface (native);

  if (grabbed)
    {
      /* Alt+Tab, Super and the like go to the guest (where the desktop allows it). */
      if (GDK_IS_TOPLEVEL (surface))
        gdk_toplevel_inhibit_system_shortcuts (GDK_TOPLEVEL (surface), event);
      /* The guest draws its own pointer. */
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "none");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      _("The keyboard goes to the virtual machine"), -1);
    }
  else
    {
      release_all_keys (self);
      if (GDK_IS_TOPLEVEL (surface))
        gdk_toplevel_restore_system_shortcuts (GDK_TOPLEVEL (surface));
      gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self),
                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }

  self->grabbed = grabbed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

static guint32
scancode_for_keycode (guint keycode)
{
  /* X11 and Wayland key codes are evdev codes + 8. */
  return keycode >= 8 ? hv_keymap_evdev_to_qnum (keycode - 8) : 0;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                HvConsole             *self)
{
  if (!self->grabbed)
    return FALSE;

  if (keyval == self->host_key)
    {
      set_grabbed (self, FALSE, NULL);
      return TRUE;
    }

  send_key (self, keyval, scancode_for_keycode (keycode), TRUE);
  return TRUE;
}

static void
on_key_released (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 HvConsole             *self)
{
  guint32 scancode = scancode_for_keycode (keycode);

  /* Only what the guest saw pressed: when the grab ended, release_all_keys() already let
   * go of everything. */
  if (scancode != 0 && (self->pressed_keysym[scancode] & KEY_DOWN_FLAG))
    send_key (self, keyval, scancode, FALSE);
  else if (scancode == 0 && self->grabbed && keyval != self->host_key)
    send_key (self, keyval, 0, FALSE);
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                HvConsole               *self)
{
  set_grabbed (self, FALSE, NULL);
}

static void
on_window_active_changed (GtkWindow  *window,
                          GParamSpec *pspec,
                          HvConsole  *self)
{
  if (!gtk_window_is_active (window))
    set_grabbed (self, FALSE, NULL);
}

/* Pointer */

static void
send_pointer (HvConsole *self)
{
  hv_vnc_send_pointer (self->vnc, self->last_x, self->last_y, self->buttons);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           HvConsole                *self)
{
  if (!self->connected || (self->relative_pointer && !self->grabbed) ||
      !widget_to_guest (self, x, y, &self->last_x, &self->last_y))
    return;
  send_pointer (self);
}

static guint
button_bit (guint button)
{
  switch (button)
    {
    case GDK_BUTTON_PRIMARY:
      return BUTTON_LEFT;
    case GDK_BUTTON_MIDDLE:
      return BUTTON_MIDDLE;
    case GDK_BUTTON_SECONDARY:
      return BUTTON_RIGHT;
    default:
      return 0;
    }
}

/* Buttons come from a legacy controller rather than a GtkGestureClick: a gesture follows
 * one button at a time, and a guest must see chords (left and right down together) and
 * every release, whatever the order. */
static gboolean
on_legacy_event (GtkEventControllerLegacy *controller,
                 GdkEvent                 *event,
                 HvConsole                *self)
{
  GdkEventType type = gdk_event_get_event_type (event);
  double x, y;
  guint bit;

  if (type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE)
    return FALSE;

  bit = button_bit (gdk_button_event_get_button (event));

  if (type == GDK_BUTTON_PRESS)
    {
      gboolean was_grabbed = self->grabbed;

      gtk_widget_grab_focus (GTK_WIDGET (self));
      if (self->connected)
        set_grabbed (self, TRUE, event);
      /* PS/2 guests: the click that captures the pointer is not the guest's. */
      if (self->connected && self->relative_pointer && !was_grabbed)
        {
          self->swallowed |= bit;
          return TRUE;
        }
    }
  else if (self->swallowed & bit)
    {
      self->swallowed &= ~bit;
      return TRUE;
    }

  if (!self->connected || bit == 0)
    return self->connected;

  if (gdk_event_get_position (event, &x, &y))
    {
      /* Event positions are in the surface's coordinates. */
      graphene_point_t point;
      GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
      double nx, ny;

      gtk_native_get_surface_transform (native, &nx, &ny);
      if (gtk_widget_compute_point (GTK_WIDGET (native), GTK_WIDGET (self),
                                    &GRAPHENE_POINT_INIT (x - nx, y - ny), &point))
        widget_to_guest (self, point.x, point.y, &self->last_x, &self->last_y);
    }

  if (type == GDK_BUTTON_PRESS)
    self->buttons |= bit;
  else
    self->buttons &= ~bit;
  send_pointer (self);
  return TRUE;
}

static void
send_wheel (HvConsole *self,
            guint      bit,
            int        steps)
{
  for (int i = 0; i < MIN (steps, MAX_SCROLL_STEPS); i++)
    {
      /* A wheel "button" is a press and a release per step. */
      hv_vnc_send_pointer (self->vnc, self->last_x, self->last_y, self->buttons | bit);
      send_pointer (self);
    }
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           HvConsole                *self)
{
  int steps;

  if (!self->connected)
    return FALSE;

  /* Smooth scrolling (touchpads) comes in fractions of a step: send whole steps. */
  self->scroll_dx += dx;
  self->scroll_dy += dy;

  steps = (int) self->scroll_dy;
  if (steps != 0)
    {
      send_wheel (self, steps < 0 ? BUTTON_WHEEL_UP : BUTTON_WHEEL_DOWN, ABS (steps));
      self->scroll_dy -= steps;
    }
  steps = (int) self->scroll_dx;
  if (steps != 0)
    {
      send_wheel (self, steps < 0 ? BUTTON_WHEEL_LEFT : BUTTON_WHEEL_RIGHT, ABS (steps));
      self->scroll_dx -= steps;
    }
  return TRUE;
}

/* The session */

static void
on_vnc_connected (HvVnc     *vnc,
                  HvConsole *self)
{
  self->connected = TRUE;
  g_clear_object (&self->texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static void
on_vnc_resized (HvVnc     *vnc,
                int        width,
                int        height,
                HvConsole *self)
{
  g_clear_object (&self->texture);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_WIDTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_HEIGHT]);
}

static void
on_vnc_frame_done (HvVnc     *vnc,
                   HvConsole *self)
{
  /* The texture is made when the frame is drawn, not per server update. */
  g_clear_object (&self->texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_vnc_disconnected (HvVnc        *vnc,
                     const GError *error,
                     HvConsole    *self)
{
  set_grabbed (self, FALSE, NULL);
  memset (self->pressed_keysym, 0, sizeof self->pressed_keysym);
  self->buttons = 0;
  self->swallowed = 0;
  self->connected = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
}

/* API */

GtkWidget *
hv_console_new (void)
{
  return g_object_new (HV_TYPE_CONSOLE, NULL);
}

gboolean
hv_console_open_fd (HvConsole *self,
                    int        fd,
                    GError   **error)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), FALSE);

  return hv_vnc_open_fd (self->vnc, fd, error);
}

void
hv_console_close (HvConsole *self)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  hv_vnc_close (self->vnc);
}

void
hv_console_send_ctrl_alt_del (HvConsole *self)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  hv_vnc_send_ctrl_alt_del (self->vnc);
}

void
hv_console_ungrab (HvConsole *self)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  set_grabbed (self, FALSE, NULL);
}

gboolean
hv_console_get_scale_to_fit (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), FALSE);

  return self->scale_to_fit;
}

void
hv_console_set_scale_to_fit (HvConsole *self,
                             gboolean   scale_to_fit)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  scale_to_fit = !!scale_to_fit;
  if (self->scale_to_fit == scale_to_fit)
    return;

  self->scale_to_fit = scale_to_fit;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE_TO_FIT]);
}

gboolean
hv_console_get_crisp (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), FALSE);

  return self->crisp;
}

/* Small modes (320×200, 640×480, 720×400) scaled by an integer factor at 4:3 with
 * nearest-neighbour pixels (hv-console-crisp.c), when scaled to the window. */
void
hv_console_set_crisp (HvConsole *self,
                      gboolean   crisp)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  self->crisp = !!crisp;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
hv_console_get_host_key (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), 0);

  return self->host_key;
}

void
hv_console_set_host_key (HvConsole *self,
                         guint      keyval)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  if (self->host_key == keyval)
    return;

  self->host_key = keyval;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST_KEY]);
}

gboolean
hv_console_get_grabbed (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), FALSE);

  return self->grabbed;
}

gboolean
hv_console_get_connected (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), FALSE);

  return self->connected;
}

int
hv_console_get_guest_width (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), 0);

  return hv_vnc_get_width (self->vnc);
}

int
hv_console_get_guest_height (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), 0);

  return hv_vnc_get_height (self->vnc);
}

gboolean
hv_console_get_relative_pointer (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), FALSE);

  return self->relative_pointer;
}

/* TRUE for a guest with only a PS/2 mouse: the pointer is captured on a click (see the top
 * of this file). */
void
hv_console_set_relative_pointer (HvConsole *self,
                                 gboolean   relative)
{
  g_return_if_fail (HV_IS_CONSOLE (self));

  relative = !!relative;
  if (self->relative_pointer == relative)
    return;
  self->relative_pointer = relative;
  self->swallowed = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELATIVE_POINTER]);
}

HvVnc *
hv_console_get_vnc (HvConsole *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE (self), NULL);

  return self->vnc;
}

/* GObject */

static void
hv_console_realize (GtkWidget *widget)
{
  HvConsole *self = HV_CONSOLE (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (hv_console_parent_class)->realize (widget);

  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root))
    {
      self->window = GTK_WINDOW (root);
      g_signal_connect_object (self->window, "notify::is-active",
                               G_CALLBACK (on_window_active_changed), self, 0);
    }
}

static void
hv_console_unrealize (GtkWidget *widget)
{
  HvConsole *self = HV_CONSOLE (widget);

  set_grabbed (self, FALSE, NULL);
  if (self->window != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->window, on_window_active_changed, self);
      self->window = NULL;
    }

  GTK_WIDGET_CLASS (hv_console_parent_class)->unrealize (widget);
}

static void
hv_console_dispose (GObject *object)
{
  HvConsole *self = HV_CONSOLE (object);

  if (self->vnc != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->vnc, self);
      hv_vnc_close (self->vnc);
      g_clear_object (&self->vnc);
    }
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (hv_console_parent_class)->dispose (object);
}

static void
hv_console_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  HvConsole *self = HV_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_SCALE_TO_FIT:
      g_value_set_boolean (value, self->scale_to_fit);
      break;
    case PROP_HOST_KEY:
      g_value_set_uint (value, self->host_key);
      break;
    case PROP_GRABBED:
      g_value_set_boolean (value, self->grabbed);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    case PROP_GUEST_WIDTH:
      g_value_set_int (value, hv_console_get_guest_width (self));
      break;
    case PROP_GUEST_HEIGHT:
      g_value_set_int (value, hv_console_get_guest_height (self));
      break;
    case PROP_RELATIVE_POINTER:
      g_value_set_boolean (value, self->relative_pointer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_console_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  HvConsole *self = HV_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_SCALE_TO_FIT:
      hv_console_set_scale_to_fit (self, g_value_get_boolean (value));
      break;
    case PROP_HOST_KEY:
      hv_console_set_host_key (self, g_value_get_uint (value));
      break;
    case PROP_RELATIVE_POINTER:
      hv_console_set_relative_pointer (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_console_class_init (HvConsoleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_console_dispose;
  object_class->get_property = hv_console_get_property;
  object_class->set_property = hv_console_set_property;

  widget_class->snapshot = hv_console_snapshot;
  widget_class->measure = hv_console_measure;
  widget_class->realize = hv_console_realize;
  widget_class->unrealize = hv_console_unrealize;

  properties[PROP_SCALE_TO_FIT] =
    g_param_spec_boolean ("scale-to-fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOST_KEY] =
    g_param_spec_uint ("host-key", NULL, NULL, 0, G_MAXUINT, GDK_KEY_Control_R,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GRABBED] =
    g_param_spec_boolean ("grabbed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GUEST_WIDTH] =
    g_param_spec_int ("guest-width", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GUEST_HEIGHT] =
    g_param_spec_int ("guest-height", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RELATIVE_POINTER] =
    g_param_spec_boolean ("relative-pointer", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_css_name (widget_class, "console");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
hv_console_init (HvConsole *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkEventController *controller;

  self->scale_to_fit = TRUE;
  self->host_key = GDK_KEY_Control_R;

  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_overflow (widget, GTK_OVERFLOW_HIDDEN);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Console of the virtual machine"), -1);

  self->vnc = hv_vnc_new ();
  g_signal_connect (self->vnc, "connected", G_CALLBACK (on_vnc_connected), self);
  g_signal_connect (self->vnc, "resized", G_CALLBACK (on_vnc_resized), self);
  g_signal_connect (self->vnc, "frame-done", G_CALLBACK (on_vnc_frame_done), self);
  g_signal_connect (self->vnc, "disconnected", G_CALLBACK (on_vnc_disconnected), self);

  /* Capture phase: while grabbed, every key is the guest's, before anything in the
   * console's own subtree; the window's shortcuts stay the window's business. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_legacy_new ();
  g_signal_connect (controller, "event", G_CALLBACK (on_legacy_event), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (widget, controller);
}
