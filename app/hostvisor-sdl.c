/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisor-sdl: one VM's console in an SDL2 window, like VBoxSDL.
 *
 *   hostvisor-sdl VM        (a name or a UUID)
 *   hostvisor-sdl --connect ssh://[user@]host[:port] VM   (a VM of that host, over SSH:
 *                                                          hostvisor-sdl-remote.c)
 *
 * A client of the engine like the app: FindVm, then Vm.OpenConsole hands us a socket
 * connected to QEMU's VNC server, which HvVnc (ui/hv-vnc.c) speaks. The GLib main loop
 * drives everything; SDL's event queue is polled from it every 10 ms.
 *
 * The keyboard goes to the guest by scancode whenever the window has focus; Right Ctrl
 * (never sent to the guest) toggles the input grab, which keeps the pointer in the window
 * and lets the guest have the desktop's shortcuts too. The pointer is absolute.
 *
 * When the VNC socket closes while the VM still runs (a reset that restarts QEMU), the
 * console is opened again; when the VM powers off, the viewer says so and exits. */

#include "hv-build-config.h"

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <SDL.h>

#include "hostvisor-sdl-remote.h"
#include "hv-client.h"
#include "hv-error.h"
#include "hv-vnc.h"

/* SDL's event queue is polled this often (ms). */
#define SDL_POLL_INTERVAL_MS 10

/* Reopening the console after it closed: every RECONNECT_DELAY_MS while the VM runs, at
 * most RECONNECT_ATTEMPTS times in a row. */
#define RECONNECT_DELAY_MS 250
#define RECONNECT_ATTEMPTS 40

#define EXIT_USAGE 2

/* RFB pointer buttons (hv-vnc.h). */
#define BUTTON_WHEEL_UP    (1u << 3)
#define BUTTON_WHEEL_DOWN  (1u << 4)
#define BUTTON_WHEEL_LEFT  (1u << 5)
#define BUTTON_WHEEL_RIGHT (1u << 6)

/* SDL scancodes are USB HID keyboard usages (plus a few of SDL's own above 256); QEMU
 * wants XT set 1 "qnum" codes (see ui/hv-keymap.c): 0xe0-prefixed keys as 0x80 | code. */
static const guint8 sdl_to_qnum[SDL_NUM_SCANCODES] = {
  [SDL_SCANCODE_A] = 0x1e,
  [SDL_SCANCODE_B] = 0x30,
  [SDL_SCANCODE_C] = 0x2e,
  [SDL_SCANCODE_D] = 0x20,
  [SDL_SCANCODE_E] = 0x12,
  [SDL_SCANCODE_F] = 0x21,
  [SDL_SCANCODE_G] = 0x22,
  [SDL_SCANCODE_H] = 0x23,
  [SDL_SCANCODE_I] = 0x17,
  [SDL_SCANCODE_J] = 0x24,
  [SDL_SCANCODE_K] = 0x25,
  [SDL_SCANCODE_L] = 0x26,
  [SDL_SCANCODE_M] = 0x32,
  [SDL_SCANCODE_N] = 0x31,
  [SDL_SCANCODE_O] = 0x18,
  [SDL_SCANCODE_P] = 0x19,
  [SDL_SCANCODE_Q] = 0x10,
  [SDL_SCANCODE_R] = 0x13,
  [SDL_SCANCODE_S] = 0x1f,
  [SDL_SCANCODE_T] = 0x14,
  [SDL_SCANCODE_U] = 0x16,
  [SDL_SCANCODE_V] = 0x2f,
  [SDL_SCANCODE_W] = 0x11,
  [SDL_SCANCODE_X] = 0x2d,
  [SDL_SCANCODE_Y] = 0x15,
  [SDL_SCANCODE_Z] = 0x2c,
  [SDL_SCANCODE_1] = 0x02,
  [SDL_SCANCODE_2] = 0x03,
  [SDL_SCANCODE_3] = 0x04,
  [SDL_SCANCODE_4] = 0x05,
  [SDL_SCANCODE_5] = 0x06,
  [SDL_SCANCODE_6] = 0x07,
  [SDL_SCANCODE_7] = 0x08,
  [SDL_SCANCODE_8] = 0x09,
  [SDL_SCANCODE_9] = 0x0a,
  [SDL_SCANCODE_0] = 0x0b,
  [SDL_SCANCODE_RETURN] = 0x1c,
  [SDL_SCANCODE_ESCAPE] = 0x01,
  [SDL_SCANCODE_BACKSPACE] = 0x0e,
  [SDL_SCANCODE_TAB] = 0x0f,
  [SDL_SCANCODE_SPACE] = 0x39,
  [SDL_SCANCODE_MINUS] = 0x0c,
  [SDL_SCANCODE_EQUALS] = 0x0d,
  [SDL_SCANCODE_LEFTBRACKET] = 0x1a,
  [SDL_SCANCODE_RIGHTBRACKET] = 0x1b,
  [SDL_SCANCODE_BACKSLASH] = 0x2b,
  /* ISO keyboards' key left of Enter sits where ANSI has backslash. */
  [SDL_SCANCODE_NONUSHASH] = 0x2b,
  [SDL_SCANCODE_SEMICOLON] = 0x27,
  [SDL_SCANCODE_APOSTROPHE] = 0x28,
  [SDL_SCANCODE_GRAVE] = 0x29,
  [SDL_SCANCODE_COMMA] = 0x33,
  [SDL_SCANCODE_PERIOD] = 0x34,
  [SDL_SCANCODE_SLASH] = 0x35,
  [SDL_SCANCODE_CAPSLOCK] = 0x3a,
  [SDL_SCANCODE_F1] = 0x3b,
  [SDL_SCANCODE_F2] = 0x3c,
  [SDL_SCANCODE_F3] = 0x3d,
  [SDL_SCANCODE_F4] = 0x3e,
  [SDL_SCANCODE_F5] = 0x3f,
  [SDL_SCANCODE_F6] = 0x40,
  [SDL_SCANCODE_F7] = 0x41,
  [SDL_SCANCODE_F8] = 0x42,
  [SDL_SCANCODE_F9] = 0x43,
  [SDL_SCANCODE_F10] = 0x44,
  [SDL_SCANCODE_F11] = 0x57,
  [SDL_SCANCODE_F12] = 0x58,
  [SDL_SCANCODE_PRINTSCREEN] = 0xb7,
  [SDL_SCANCODE_SCROLLLOCK] = 0x46,
  [SDL_SCANCODE_PAUSE] = 0xc6,
  [SDL_SCANCODE_INSERT] = 0xd2,
  [SDL_SCANCODE_HOME] = 0xc7,
  [SDL_SCANCODE_PAGEUP] = 0xc9,
  [SDL_SCANCODE_DELETE] = 0xd3,
  [SDL_SCANCODE_END] = 0xcf,
  [SDL_SCANCODE_PAGEDOWN] = 0xd1,
  [SDL_SCANCODE_RIGHT] = 0xcd,
  [SDL_SCANCODE_LEFT] = 0xcb,
  [SDL_SCANCODE_DOWN] = 0xd0,
  [SDL_SCANCODE_UP] = 0xc8,
  [SDL_SCANCODE_NUMLOCKCLEAR] = 0x45,
  [SDL_SCANCODE_KP_DIVIDE] = 0xb5,
  [SDL_SCANCODE_KP_MULTIPLY] = 0x37,
  [SDL_SCANCODE_KP_MINUS] = 0x4a,
  [SDL_SCANCODE_KP_PLUS] = 0x4e,
  [SDL_SCANCODE_KP_ENTER] = 0x9c,
  [SDL_SCANCODE_KP_1] = 0x4f,
  [SDL_SCANCODE_KP_2] = 0x50,
  [SDL_SCANCODE_KP_3] = 0x51,
  [SDL_SCANCODE_KP_4] = 0x4b,
  [SDL_SCANCODE_KP_5] = 0x4c,
  [SDL_SCANCODE_KP_6] = 0x4d,
  [SDL_SCANCODE_KP_7] = 0x47,
  [SDL_SCANCODE_KP_8] = 0x48,
  [SDL_SCANCODE_KP_9] = 0x49,
  [SDL_SCANCODE_KP_0] = 0x52,
  [SDL_SCANCODE_KP_PERIOD] = 0x53,
  /* The 102nd key of ISO keyboards ("< > |"). */
  [SDL_SCANCODE_NONUSBACKSLASH] = 0x56,
  [SDL_SCANCODE_APPLICATION] = 0xdd,
  [SDL_SCANCODE_POWER] = 0xde,
  [SDL_SCANCODE_KP_EQUALS] = 0x59,
  [SDL_SCANCODE_F13] = 0x64,
  [SDL_SCANCODE_F14] = 0x65,
  [SDL_SCANCODE_F15] = 0x66,
  [SDL_SCANCODE_F16] = 0x67,
  [SDL_SCANCODE_F17] = 0x68,
  [SDL_SCANCODE_F18] = 0x69,
  [SDL_SCANCODE_F19] = 0x6a,
  [SDL_SCANCODE_F20] = 0x6b,
  [SDL_SCANCODE_F21] = 0x6c,
  [SDL_SCANCODE_F22] = 0x6d,
  [SDL_SCANCODE_F23] = 0x6e,
  [SDL_SCANCODE_F24] = 0x76,
  [SDL_SCANCODE_MUTE] = 0xa0,
  [SDL_SCANCODE_VOLUMEUP] = 0xb0,
  [SDL_SCANCODE_VOLUMEDOWN] = 0xae,
  [SDL_SCANCODE_KP_COMMA] = 0x7e,
  /* Japanese: Ro, Katakana/Hiragana, Yen, Henkan, Muhenkan, keypad comma. */
  [SDL_SCANCODE_INTERNATIONAL1] = 0x73,
  [SDL_SCANCODE_INTERNATIONAL2] = 0x70,
  [SDL_SCANCODE_INTERNATIONAL3] = 0x7d,
  [SDL_SCANCODE_INTERNATIONAL4] = 0x79,
  [SDL_SCANCODE_INTERNATIONAL5] = 0x7b,
  [SDL_SCANCODE_INTERNATIONAL6] = 0x5c,
  /* Korean Hangul and Hanja; Japanese Katakana, Hiragana, Zenkaku/Hankaku. */
  [SDL_SCANCODE_LANG1] = 0x72,
  [SDL_SCANCODE_LANG2] = 0x71,
  [SDL_SCANCODE_LANG3] = 0x78,
  [SDL_SCANCODE_LANG4] = 0x77,
  [SDL_SCANCODE_LANG5] = 0x76,
  [SDL_SCANCODE_LCTRL] = 0x1d,
  [SDL_SCANCODE_LSHIFT] = 0x2a,
  [SDL_SCANCODE_LALT] = 0x38,
  [SDL_SCANCODE_LGUI] = 0xdb,
  [SDL_SCANCODE_RCTRL] = 0x9d,
  [SDL_SCANCODE_RSHIFT] = 0x36,
  [SDL_SCANCODE_RALT] = 0xb8,
  [SDL_SCANCODE_RGUI] = 0xdc,
  [SDL_SCANCODE_AUDIONEXT] = 0x99,
  [SDL_SCANCODE_AUDIOPREV] = 0x90,
  [SDL_SCANCODE_AUDIOSTOP] = 0xa4,
  [SDL_SCANCODE_AUDIOPLAY] = 0xa2,
  [SDL_SCANCODE_AUDIOMUTE] = 0xa0,
  [SDL_SCANCODE_MEDIASELECT] = 0xed,
  [SDL_SCANCODE_MAIL] = 0xec,
  [SDL_SCANCODE_CALCULATOR] = 0xa1,
  [SDL_SCANCODE_COMPUTER] = 0xeb,
  [SDL_SCANCODE_AC_SEARCH] = 0xe5,
  [SDL_SCANCODE_AC_HOME] = 0xb2,
  [SDL_SCANCODE_AC_BACK] = 0xea,
  [SDL_SCANCODE_AC_FORWARD] = 0xe9,
  [SDL_SCANCODE_AC_STOP] = 0xe8,
  [SDL_SCANCODE_AC_REFRESH] = 0xe7,
  [SDL_SCANCODE_AC_BOOKMARKS] = 0xe6,
  [SDL_SCANCODE_SLEEP] = 0xdf,
};

/* The X keysym for an SDL key, sent beside the scancode for servers without QEMU's
 * extended key events (then the server's keymap decides). 0 when there is none. */
static guint32
keysym_for (SDL_Keycode key)
{
  /* Printable Latin-1 keys are their own keysym. */
  if ((key >= 0x20 && key <= 0x7e) || (key >= 0xa0 && key <= 0xff))
    return key;

  switch (key)
    {
    case SDLK_RETURN: return 0xff0d;
    case SDLK_ESCAPE: return 0xff1b;
    case SDLK_BACKSPACE: return 0xff08;
    case SDLK_TAB: return 0xff09;
    case SDLK_DELETE: return 0xffff;
    case SDLK_INSERT: return 0xff63;
    case SDLK_HOME: return 0xff50;
    case SDLK_END: return 0xff57;
    case SDLK_PAGEUP: return 0xff55;
    case SDLK_PAGEDOWN: return 0xff56;
    case SDLK_LEFT: return 0xff51;
    case SDLK_UP: return 0xff52;
    case SDLK_RIGHT: return 0xff53;
    case SDLK_DOWN: return 0xff54;
    case SDLK_F1: case SDLK_F2: case SDLK_F3: case SDLK_F4: case SDLK_F5: case SDLK_F6:
    case SDLK_F7: case SDLK_F8: case SDLK_F9: case SDLK_F10: case SDLK_F11: case SDLK_F12:
      return 0xffbe + (key - SDLK_F1);
    case SDLK_LSHIFT: return 0xffe1;
    case SDLK_RSHIFT: return 0xffe2;
    case SDLK_LCTRL: return 0xffe3;
    case SDLK_RCTRL: return 0xffe4;
    case SDLK_CAPSLOCK: return 0xffe5;
    case SDLK_LALT: return 0xffe9;
    case SDLK_RALT: return 0xfe03; /* ISO_Level3_Shift (AltGr) */
    case SDLK_LGUI: return 0xffeb;
    case SDLK_RGUI: return 0xffec;
    case SDLK_APPLICATION: return 0xff67;
    case SDLK_PRINTSCREEN: return 0xff61;
    case SDLK_SCROLLLOCK: return 0xff14;
    case SDLK_PAUSE: return 0xff13;
    case SDLK_NUMLOCKCLEAR: return 0xff7f;
    case SDLK_KP_ENTER: return 0xff8d;
    case SDLK_KP_DIVIDE: return 0xffaf;
    case SDLK_KP_MULTIPLY: return 0xffaa;
    case SDLK_KP_MINUS: return 0xffad;
    case SDLK_KP_PLUS: return 0xffab;
    case SDLK_KP_PERIOD: return 0xffae;
    case SDLK_KP_0: return 0xffb0;
    case SDLK_KP_1: case SDLK_KP_2: case SDLK_KP_3: case SDLK_KP_4: case SDLK_KP_5:
    case SDLK_KP_6: case SDLK_KP_7: case SDLK_KP_8: case SDLK_KP_9:
      return 0xffb1 + (key - SDLK_KP_1);
    default:
      return 0;
    }
}

typedef struct
{
  GMainLoop       *loop;
  int              status;

  GDBusConnection *connection;
  HvDbusVm        *vm;
  char            *name;
  HvRemote        *remote;          /* --connect: the engine and the console over SSH */
  char            *label;           /* the name, or "NAME on HOST" */
  HvVnc           *vnc;
  GCancellable    *cancellable;

  SDL_Window      *window;
  SDL_Renderer    *renderer;
  SDL_Texture     *texture;
  int              texture_width;
  int              texture_height;
  SDL_Rect         dirty;           /* union of the regions updated since the last draw */
  gboolean         has_dirty;
  gboolean         window_sized;    /* the window took the guest's size once */

  gboolean         grabbed;
  guint            buttons;
  guint32          pressed[SDL_NUM_SCANCODES]; /* keysym | 1<<31 for keys down in the guest */

  guint            reconnect_id;
  guint            reconnect_attempts;
  gboolean         opening;         /* an OpenConsole call is on its way */
  gboolean         ever_connected;
  gboolean         framed;          /* a frame was drawn since the console opened */
} Viewer;

#define KEY_DOWN_FLAG (1u << 31)

static void open_console (Viewer *v);

static void
quit (Viewer *v,
      int     status)
{
  v->status = status;
  g_main_loop_quit (v->loop);
}

static void G_GNUC_PRINTF (2, 3)
fail (Viewer     *v,
      const char *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("hostvisor-sdl: %s\n", message);
  quit (v, EXIT_FAILURE);
}

static gboolean
state_is_active (const char *state)
{
  return g_strcmp0 (state, "starting") == 0 ||
         g_strcmp0 (state, "running") == 0 ||
         g_strcmp0 (state, "paused") == 0 ||
         g_strcmp0 (state, "stopping") == 0;
}

/* Drawing */

static void
update_title (Viewer *v)
{
  g_autofree char *title = NULL;

  if (v->window == NULL)
    return;
  if (v->grabbed)
    /* Translators: %s is the VM's name, or "NAME on HOST" for a VM of another host. */
    title = g_strdup_printf (_("%s — Hostvisor (press Right Ctrl to release the input)"),
                             v->label);
  else
    title = g_strdup_printf (_("%s — Hostvisor"), v->label);
  SDL_SetWindowTitle (v->window, title);
}

static void
present (Viewer *v)
{
  if (v->renderer == NULL)
    return;

  SDL_SetRenderDrawColor (v->renderer, 0, 0, 0, 255);
  SDL_RenderClear (v->renderer);
  if (v->texture != NULL)
    SDL_RenderCopy (v->renderer, v->texture, NULL, NULL);
  SDL_RenderPresent (v->renderer);
}

static void
on_vnc_resized (HvVnc  *vnc,
                int     width,
                int     height,
                Viewer *v)
{
  SDL_Rect usable;
  int display;

  g_clear_pointer (&v->texture, SDL_DestroyTexture);
  /* XRGB8888: the 4th byte of HvVnc's B, G, R, X pixels is ignored. */
  v->texture = SDL_CreateTexture (v->renderer, SDL_PIXELFORMAT_RGB888,
                                  SDL_TEXTUREACCESS_STREAMING, width, height);
  if (v->texture == NULL)
    {
      fail (v, _("Cannot show a %d×%d screen: %s"), width, height, SDL_GetError ());
      return;
    }
  v->texture_width = width;
  v->texture_height = height;
  v->has_dirty = FALSE;

  /* Letterboxed scaling to the window; SDL maps pointer positions back to guest pixels. */
  SDL_RenderSetLogicalSize (v->renderer, width, height);

  /* Follow the guest's resolution, within the desktop; the user may resize afterwards. */
  display = SDL_GetWindowDisplayIndex (v->window);
  if (display >= 0 && SDL_GetDisplayUsableBounds (display, &usable) == 0
      && (width > usable.w || height > usable.h))
    {
      double scale = MIN ((double) usable.w / width, (double) usable.h / height);

      SDL_SetWindowSize (v->window, MAX (1, (int) (width * scale)),
                         MAX (1, (int) (height * scale)));
    }
  else
    {
      SDL_SetWindowSize (v->window, width, height);
    }
  if (!v->window_sized)
    {
      SDL_SetWindowPosition (v->window, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
      SDL_ShowWindow (v->window);
      v->window_sized = TRUE;
    }
}

static void
on_vnc_updated (HvVnc  *vnc,
                int     x,
                int     y,
                int     width,
                int     height,
                Viewer *v)
{
  SDL_Rect rect = { x, y, width, height };

  if (v->has_dirty)
    SDL_UnionRect (&v->dirty, &rect, &v->dirty);
  else
    v->dirty = rect;
  v->has_dirty = TRUE;
}

static void
on_vnc_frame_done (HvVnc  *vnc,
                   Viewer *v)
{
  gsize stride;
  const guint8 *fb = hv_vnc_get_framebuffer (vnc, &stride);

  if (v->texture == NULL || fb == NULL)
    return;
  if (!v->framed)
    {
      /* For the curious and the tests (G_MESSAGES_DEBUG=all). */
      g_debug ("first frame of %s: %d×%d", v->label, v->texture_width, v->texture_height);
      v->framed = TRUE;
    }

  /* Only the region that changed goes to the texture. */
  if (v->has_dirty)
    {
      SDL_Rect all = { 0, 0, v->texture_width, v->texture_height };
      SDL_Rect rect;

      if (SDL_IntersectRect (&v->dirty, &all, &rect))
        SDL_UpdateTexture (v->texture, &rect, fb + rect.y * stride + rect.x * 4, (int) stride);
      v->has_dirty = FALSE;
    }
  present (v);
}

/* Input */

static void
set_grabbed (Viewer   *v,
             gboolean  grabbed)
{
  v->grabbed = grabbed;
  SDL_SetWindowGrab (v->window, grabbed ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowKeyboardGrab (v->window, grabbed ? SDL_TRUE : SDL_FALSE);
  /* The guest draws its own pointer. */
  SDL_ShowCursor (grabbed ? SDL_DISABLE : SDL_ENABLE);
  update_title (v);
}

static void
send_key (Viewer       *v,
          SDL_Scancode  scancode,
          SDL_Keycode   key,
          gboolean      down)
{
  guint32 keysym = keysym_for (key);
  guint32 qnum = (guint) scancode < SDL_NUM_SCANCODES ? sdl_to_qnum[scancode] : 0;

  if ((guint) scancode < SDL_NUM_SCANCODES)
    {
      if (!down && !(v->pressed[scancode] & KEY_DOWN_FLAG))
        return;
      v->pressed[scancode] = down ? (keysym | KEY_DOWN_FLAG) : 0;
    }
  hv_vnc_send_key (v->vnc, keysym, qnum, down);
}

/* Keys held when the window loses focus would stay down in the guest. */
static void
release_all_keys (Viewer *v)
{
  for (guint i = 0; i < SDL_NUM_SCANCODES; i++)
    if (v->pressed[i] & KEY_DOWN_FLAG)
      {
        hv_vnc_send_key (v->vnc, v->pressed[i] & ~KEY_DOWN_FLAG, sdl_to_qnum[i], FALSE);
        v->pressed[i] = 0;
      }
}

static guint
button_bit (Uint8 button)
{
  switch (button)
    {
    case SDL_BUTTON_LEFT:
      return 1u << 0;
    case SDL_BUTTON_MIDDLE:
      return 1u << 1;
    case SDL_BUTTON_RIGHT:
      return 1u << 2;
    default:
      return 0;
    }
}

static void
send_wheel (Viewer *v,
            int     x,
            int     y,
            guint   bit,
            int     steps)
{
  for (int i = 0; i < MIN (steps, 10); i++)
    {
      hv_vnc_send_pointer (v->vnc, x, y, v->buttons | bit);
      hv_vnc_send_pointer (v->vnc, x, y, v->buttons);
    }
}

static void
handle_event (Viewer    *v,
              SDL_Event *event)
{
  switch (event->type)
    {
    case SDL_QUIT:
      /* Closing the window leaves the VM running. */
      quit (v, EXIT_SUCCESS);
      break;

    case SDL_KEYDOWN:
    case SDL_KEYUP:
      if (event->key.keysym.scancode == SDL_SCANCODE_RCTRL)
        {
          if (event->type == SDL_KEYDOWN && !event->key.repeat)
            set_grabbed (v, !v->grabbed);
          break;
        }
      send_key (v, event->key.keysym.scancode, event->key.keysym.sym,
                event->type == SDL_KEYDOWN);
      break;

    case SDL_MOUSEMOTION:
      hv_vnc_send_pointer (v->vnc, event->motion.x, event->motion.y, v->buttons);
      break;

    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
      if (event->type == SDL_MOUSEBUTTONDOWN && !v->grabbed && hv_vnc_is_connected (v->vnc))
        set_grabbed (v, TRUE);
      if (event->type == SDL_MOUSEBUTTONDOWN)
        v->buttons |= button_bit (event->button.button);
      else
        v->buttons &= ~button_bit (event->button.button);
      hv_vnc_send_pointer (v->vnc, event->button.x, event->button.y, v->buttons);
      break;

    case SDL_MOUSEWHEEL:
      {
        int x, y;

        /* Wheel events carry no position: use the pointer's, in guest pixels. */
        SDL_GetMouseState (&x, &y);
        if (v->renderer != NULL)
          {
            float lx, ly;

            SDL_RenderWindowToLogical (v->renderer, x, y, &lx, &ly);
            x = (int) lx;
            y = (int) ly;
          }
        if (event->wheel.y != 0)
          send_wheel (v, x, y, event->wheel.y > 0 ? BUTTON_WHEEL_UP : BUTTON_WHEEL_DOWN,
                      ABS (event->wheel.y));
        if (event->wheel.x != 0)
          send_wheel (v, x, y, event->wheel.x > 0 ? BUTTON_WHEEL_RIGHT : BUTTON_WHEEL_LEFT,
                      ABS (event->wheel.x));
      }
      break;

    case SDL_WINDOWEVENT:
      switch (event->window.event)
        {
        case SDL_WINDOWEVENT_FOCUS_LOST:
          release_all_keys (v);
          if (v->grabbed)
            set_grabbed (v, FALSE);
          break;
        case SDL_WINDOWEVENT_SIZE_CHANGED:
        case SDL_WINDOWEVENT_EXPOSED:
          present (v);
          break;
        default:
          break;
        }
      break;

    default:
      break;
    }
}

static gboolean
poll_sdl (gpointer user_data)
{
  Viewer *v = user_data;
  SDL_Event event;

  while (SDL_PollEvent (&event))
    handle_event (v, &event);
  return G_SOURCE_CONTINUE;
}

/* The console session */

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  Viewer *v = user_data;

  v->reconnect_id = 0;
  open_console (v);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (Viewer     *v,
                    const char *why)
{
  if (v->reconnect_id != 0 || v->opening)
    return;
  if (++v->reconnect_attempts > (v->remote != NULL ? HV_SDL_REMOTE_RECONNECT_ATTEMPTS
                                                   : RECONNECT_ATTEMPTS))
    {
      fail (v, _("Lost the console of \"%s\": %s"), v->label, why);
      return;
    }
  v->reconnect_id = g_timeout_add (v->remote != NULL ? HV_SDL_REMOTE_RECONNECT_DELAY_MS
                                                     : RECONNECT_DELAY_MS,
                                   on_reconnect_timeout, v);
}

static void
on_open_console_done (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Viewer *v = user_data;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  if (!hv_dbus_vm_call_open_console_finish (HV_DBUS_VM (object), &handle, &fd_list, result,
                                            &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      v->opening = FALSE;
      hv_client_error_strip (error);
      /* The VM may be starting (no socket yet) or on its way down (the state change
       * follows): try again while it runs. */
      if (state_is_active (hv_dbus_vm_get_state (v->vm)))
        schedule_reconnect (v, error->message);
      else if (!v->ever_connected)
        fail (v, _("Cannot open the console of \"%s\": %s"), v->name, error->message);
      return;
    }
  v->opening = FALSE;

  fd = g_unix_fd_list_get (fd_list, g_variant_get_handle (handle), &error);
  if (fd < 0 || !hv_vnc_open_fd (v->vnc, fd, &error))
    schedule_reconnect (v, error->message);
}

static void
open_console (Viewer *v)
{
  if (v->opening || hv_vnc_is_connected (v->vnc))
    return;
  /* A VM that stopped is handled by on_vm_properties_changed(). */
  if (!state_is_active (hv_dbus_vm_get_state (v->vm)))
    return;

  if (v->remote != NULL)
    {
      g_autoptr(GError) error = NULL;
      int fd = hv_sdl_remote_open_console (v->remote, v->vm, &error);

      /* ssh and the bridge there fail later, as the socket ending (disconnected). */
      if (fd < 0)
        fail (v, _("Cannot open the console of \"%s\": %s"), v->label, error->message);
      else if (!hv_vnc_open_fd (v->vnc, fd, &error))
        schedule_reconnect (v, error->message);
      return;
    }

  v->opening = TRUE;
  hv_dbus_vm_call_open_console (v->vm, NULL, v->cancellable, on_open_console_done, v);
}

static void
on_vnc_connected (HvVnc  *vnc,
                  Viewer *v)
{
  v->reconnect_attempts = 0;
  v->ever_connected = TRUE;
}

static void
on_vnc_disconnected (HvVnc        *vnc,
                     const GError *error,
                     Viewer       *v)
{
  release_all_keys (v);
  v->buttons = 0;
  v->framed = FALSE;
  if (error == NULL)
    return;
  /* QEMU closes the socket when it quits (power off) or restarts (reset): which one
   * it was, the VM's state tells. */
  schedule_reconnect (v, error->message);
}

static void
on_vm_properties_changed (GDBusProxy *proxy,
                          GVariant   *changed,
                          GStrv       invalidated,
                          Viewer     *v)
{
  const char *state = hv_dbus_vm_get_state (v->vm);

  if (!g_variant_lookup (changed, "State", "&s", &state))
    return;

  if (g_str_equal (state, "poweroff"))
    {
      g_print (_("\"%s\" powered off.\n"), v->name);
      quit (v, EXIT_SUCCESS);
    }
  else if (g_str_equal (state, "aborted"))
    {
      fail (v, _("\"%s\" stopped unexpectedly: %s"), v->name,
            hv_dbus_vm_get_state_reason (v->vm));
    }
  else if (!state_is_active (state))
    {
      fail (v, _("\"%s\" is no longer running (%s)"), v->name, state);
    }
  else if (!hv_vnc_is_connected (v->vnc))
    {
      open_console (v);
    }
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      Viewer          *v)
{
  if (v->remote != NULL)
    {
      g_autofree char *why = hv_remote_lost_reason (connection);

      fail (v, "%s", why);
      return;
    }
  fail (v, _("The engine went away"));
}

/* Setup */

static HvDbusVm *
find_vm (GDBusConnection  *connection,
         const char       *name_or_uuid,
         GError          **error)
{
  g_autoptr(HvDbusEngine) engine = NULL;
  g_autoptr(HvDbusVm) vm = NULL;
  g_autofree char *path = NULL;

  engine = hv_dbus_engine_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
                                          NULL, HV_DBUS_ENGINE_PATH, NULL, error);
  if (engine == NULL)
    return NULL;
  if (!hv_dbus_engine_call_find_vm_sync (engine, name_or_uuid, &path, NULL, error))
    return NULL;

  vm = hv_dbus_vm_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE, NULL, path, NULL, error);
  if (vm == NULL)
    return NULL;
  /* Peer to peer, there is no bus to say that a path is gone: no properties means so. */
  if (hv_dbus_vm_get_uuid (vm) == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, _("No VM named \"%s\""), name_or_uuid);
      return NULL;
    }
  return g_steal_pointer (&vm);
}

static gboolean
create_window (Viewer  *v,
               GError **error)
{
  /* The X11 screensaver stays on while a console is open; the guest has its own. */
  SDL_SetHint (SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
  SDL_SetHint (SDL_HINT_RENDER_SCALE_QUALITY, "linear");
  /* Right Ctrl is ours: no SDL key grab shortcut of its own. */
  SDL_SetHint (SDL_HINT_GRAB_KEYBOARD, "1");

  if (SDL_Init (SDL_INIT_VIDEO) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot open a window: %s"),
                   SDL_GetError ());
      return FALSE;
    }

  /* Hidden until the guest's size is known. */
  v->window = SDL_CreateWindow ("Hostvisor", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                640, 480, SDL_WINDOW_RESIZABLE | SDL_WINDOW_HIDDEN);
  if (v->window == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot open a window: %s"),
                   SDL_GetError ());
      return FALSE;
    }
  update_title (v);

  v->renderer = SDL_CreateRenderer (v->window, -1, SDL_RENDERER_ACCELERATED);
  if (v->renderer == NULL)
    v->renderer = SDL_CreateRenderer (v->window, -1, SDL_RENDERER_SOFTWARE);
  if (v->renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot draw in a window: %s"),
                   SDL_GetError ());
      return FALSE;
    }
  return TRUE;
}

static void
viewer_clear (Viewer *v)
{
  if (v->cancellable != NULL)
    g_cancellable_cancel (v->cancellable);
  g_clear_handle_id (&v->reconnect_id, g_source_remove);
  if (v->vnc != NULL)
    {
      g_signal_handlers_disconnect_by_data (v->vnc, v);
      hv_vnc_close (v->vnc);
    }
  g_clear_object (&v->vnc);
  if (v->vm != NULL)
    g_signal_handlers_disconnect_by_data (v->vm, v);
  if (v->connection != NULL)
    g_signal_handlers_disconnect_by_data (v->connection, v);
  g_clear_object (&v->vm);
  g_clear_object (&v->connection);
  g_clear_object (&v->cancellable);
  g_clear_pointer (&v->texture, SDL_DestroyTexture);
  g_clear_pointer (&v->renderer, SDL_DestroyRenderer);
  g_clear_pointer (&v->window, SDL_DestroyWindow);
  g_clear_pointer (&v->loop, g_main_loop_unref);
  g_clear_pointer (&v->name, g_free);
  g_clear_pointer (&v->label, g_free);
  g_clear_pointer (&v->remote, hv_remote_free);
  SDL_Quit ();
}

/* SDL picks its video driver from these; without any, it falls back to its offscreen
 * driver and draws a window that nobody sees, so the viewer would seem to hang. An explicit
 * SDL_VIDEODRIVER (kmsdrm on a text console, say) is the user's choice. */
static gboolean
have_display (void)
{
  static const char * const variables[] = { "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER" };

  for (guint i = 0; i < G_N_ELEMENTS (variables); i++)
    {
      const char *value = g_getenv (variables[i]);

      if (value != NULL && value[0] != '\0')
        return TRUE;
    }
  return FALSE;
}

/* SDL connects to the session bus (screensaver, input methods) through libdbus, which
 * without DBUS_SESSION_BUS_ADDRESS "autolaunches" one: dbus-launch starts a dbus-daemon
 * that outlives us and everyone else. We need no bus (the engine is peer to peer), so where
 * there is none to find, none is started: the address is set to one that cannot connect. */
static void
prevent_bus_autolaunch (void)
{
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *user_bus = NULL;

  if (address != NULL && address[0] != '\0')
    return;
  if (runtime_dir != NULL && runtime_dir[0] != '\0')
    user_bus = g_build_filename (runtime_dir, "bus", NULL);
  /* libdbus looks there itself before it autolaunches; a bus that runs is welcome. */
  if (user_bus != NULL && g_file_test (user_bus, G_FILE_TEST_EXISTS))
    return;
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  Viewer v = { 0 };
  g_autofree char *connect = NULL;
  const char *state;
  guint poll_id;

  setlocale (LC_ALL, "");
  hv_client_init_i18n ();
  g_set_prgname ("hostvisor-sdl");

  {
    const GOptionEntry entries[] = {
      { "connect", 0, 0, G_OPTION_ARG_STRING, &connect,
        N_("The VM of another host, over SSH (docs/remote.md)"), "ssh://[USER@]HOST[:PORT]" },
      { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args, NULL, NULL },
      { NULL }
    };

    context = g_option_context_new (_("VM"));
    g_option_context_set_summary (context,
                                  _("Shows the screen of a running virtual machine in a window.\n"
                                    "VM is its name or its UUID. Right Ctrl grabs and releases "
                                    "the keyboard and pointer."));
    g_option_context_set_description (context,
                                      _("Exit status: 0 when the window is closed or the VM "
                                        "powers off; 1 when the engine or the VM cannot be "
                                        "reached or is lost, or the VM stops otherwise; 2 for "
                                        "a usage error (an address that is not valid too)."));
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse (context, &argc, &argv, &error))
      {
        g_printerr ("hostvisor-sdl: %s\n", error->message);
        return EXIT_USAGE;
      }
  }
  if (args == NULL || args[0] == NULL || args[1] != NULL)
    {
      g_printerr ("hostvisor-sdl: %s\n", _("give exactly one VM (see \"hostvisor-sdl --help\")"));
      return EXIT_USAGE;
    }

  /* D-Bus carries only UTF-8; GLib would send "[Invalid UTF-8]" instead. */
  if (!g_utf8_validate (args[0], -1, NULL))
    {
      g_printerr ("hostvisor-sdl: %s\n", _("the VM's name is not valid UTF-8"));
      return EXIT_USAGE;
    }

  /* The address is checked first: a wrong one is a usage error wherever the viewer runs. */
  if (connect != NULL)
    {
      v.remote = hv_remote_parse (connect, &error);
      if (v.remote == NULL)
        {
          g_printerr ("hostvisor-sdl: %s\n", error->message);
          return EXIT_USAGE;
        }
    }

  /* Before the engine is asked anything: fail at once, not after a window nobody sees. */
  if (!have_display ())
    {
      g_printerr ("hostvisor-sdl: %s\n",
                  _("no display: set DISPLAY or WAYLAND_DISPLAY (or SDL_VIDEODRIVER)"));
      g_clear_pointer (&v.remote, hv_remote_free);
      return EXIT_FAILURE;
    }
  prevent_bus_autolaunch ();

  v.status = EXIT_SUCCESS;
  if (v.remote != NULL)
    {
      v.connection = hv_sdl_remote_connect (v.remote, &error);
      if (v.connection == NULL)
        {
          g_printerr ("hostvisor-sdl: %s\n", error->message);
          viewer_clear (&v);
          return EXIT_FAILURE;
        }
    }
  else
    {
      v.connection = hv_client_connect_sync (TRUE, NULL, &error);
    }
  if (v.connection != NULL)
    v.vm = find_vm (v.connection, args[0], &error);
  if (v.vm == NULL)
    {
      g_autofree char *lost = NULL;

      /* A connection that ended during the call says why (ssh's reason). */
      if (v.remote != NULL && v.connection != NULL && g_dbus_connection_is_closed (v.connection))
        lost = hv_remote_lost_reason (v.connection);
      hv_client_error_strip (error);
      g_printerr ("hostvisor-sdl: %s\n", lost != NULL ? lost : error->message);
      viewer_clear (&v);
      return EXIT_FAILURE;
    }
  v.name = g_strdup (hv_dbus_vm_get_name (v.vm));
  v.label = v.remote != NULL ? hv_sdl_remote_vm_label (v.remote, v.name) : g_strdup (v.name);

  state = hv_dbus_vm_get_state (v.vm);
  if (!state_is_active (state))
    {
      g_autofree char *quoted = g_shell_quote (args[0]);

      g_printerr ("hostvisor-sdl: ");
      if (v.remote != NULL)
        {
          g_autofree char *hint = hv_sdl_remote_start_hint (v.remote, args[0]);

          /* Translators: the first %s is "NAME on HOST", the last a command */
          g_printerr (_("\"%s\" is not running (%s); start it with: %s\n"), v.label, state,
                      hint);
        }
      else
        g_printerr (_("\"%s\" is not running (%s); start it with: hostvisorctl start %s\n"),
                    v.name, state, quoted);
      viewer_clear (&v);
      return EXIT_FAILURE;
    }

  if (!create_window (&v, &error))
    {
      g_printerr ("hostvisor-sdl: %s\n", error->message);
      viewer_clear (&v);
      return EXIT_FAILURE;
    }

  v.loop = g_main_loop_new (NULL, FALSE);
  v.cancellable = g_cancellable_new ();
  v.vnc = hv_vnc_new ();
  g_signal_connect (v.vnc, "connected", G_CALLBACK (on_vnc_connected), &v);
  g_signal_connect (v.vnc, "resized", G_CALLBACK (on_vnc_resized), &v);
  g_signal_connect (v.vnc, "updated", G_CALLBACK (on_vnc_updated), &v);
  g_signal_connect (v.vnc, "frame-done", G_CALLBACK (on_vnc_frame_done), &v);
  g_signal_connect (v.vnc, "disconnected", G_CALLBACK (on_vnc_disconnected), &v);
  g_signal_connect (v.vm, "g-properties-changed", G_CALLBACK (on_vm_properties_changed), &v);
  g_signal_connect (v.connection, "closed", G_CALLBACK (on_connection_closed), &v);

  open_console (&v);
  poll_id = g_timeout_add (SDL_POLL_INTERVAL_MS, poll_sdl, &v);
  g_main_loop_run (v.loop);
  g_source_remove (poll_id);

  viewer_clear (&v);
  return v.status;
}
