/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-keymap.c: evdev key codes to QEMU qnum scancodes (ui/hv-keymap.c). */
#include "hv-keymap.h"

#include <linux/input-event-codes.h>

typedef struct
{
  guint       evdev;
  guint32     qnum;
  const char *name;
} KeyCase;

static const KeyCase key_cases[] = {
  { KEY_ESC, 0x01, "Escape" },
  { KEY_1, 0x02, "1" },
  { KEY_0, 0x0b, "0" },
  { KEY_BACKSPACE, 0x0e, "Backspace" },
  { KEY_TAB, 0x0f, "Tab" },
  { KEY_Q, 0x10, "Q" },
  { KEY_ENTER, 0x1c, "Enter" },
  { KEY_LEFTCTRL, 0x1d, "left Ctrl" },
  { KEY_A, 0x1e, "A" },
  { KEY_GRAVE, 0x29, "`" },
  { KEY_LEFTSHIFT, 0x2a, "left Shift" },
  { KEY_BACKSLASH, 0x2b, "backslash" },
  { KEY_Z, 0x2c, "Z" },
  { KEY_M, 0x32, "M" },
  { KEY_SLASH, 0x35, "/" },
  { KEY_RIGHTSHIFT, 0x36, "right Shift" },
  { KEY_KPASTERISK, 0x37, "keypad *" },
  { KEY_LEFTALT, 0x38, "left Alt" },
  { KEY_SPACE, 0x39, "Space" },
  { KEY_CAPSLOCK, 0x3a, "Caps Lock" },
  { KEY_F1, 0x3b, "F1" },
  { KEY_F10, 0x44, "F10" },
  { KEY_NUMLOCK, 0x45, "Num Lock" },
  { KEY_SCROLLLOCK, 0x46, "Scroll Lock" },
  { KEY_KP7, 0x47, "keypad 7" },
  { KEY_KPMINUS, 0x4a, "keypad -" },
  { KEY_KPPLUS, 0x4e, "keypad +" },
  { KEY_KP0, 0x52, "keypad 0" },
  { KEY_KPDOT, 0x53, "keypad ." },
  { KEY_102ND, 0x56, "102nd key" },
  { KEY_F11, 0x57, "F11" },
  { KEY_F12, 0x58, "F12" },
  { KEY_F13, 0x64, "F13" },
  { KEY_F24, 0x76, "F24" },
  { KEY_RO, 0x73, "Ro (Japanese)" },
  { KEY_HENKAN, 0x79, "Henkan (Japanese)" },
  { KEY_MUHENKAN, 0x7b, "Muhenkan (Japanese)" },
  { KEY_YEN, 0x7d, "Yen (Japanese)" },
  { KEY_HANGEUL, 0x72, "Hangeul (Korean)" },
  { KEY_HANJA, 0x71, "Hanja (Korean)" },
  { KEY_KPENTER, 0x9c, "keypad Enter" },
  { KEY_RIGHTCTRL, 0x9d, "right Ctrl" },
  { KEY_KPSLASH, 0xb5, "keypad /" },
  { KEY_SYSRQ, 0xb7, "Print" },
  { KEY_RIGHTALT, 0xb8, "right Alt (AltGr)" },
  { KEY_PAUSE, 0xc6, "Pause" },
  { KEY_HOME, 0xc7, "Home" },
  { KEY_UP, 0xc8, "Up" },
  { KEY_PAGEUP, 0xc9, "Page Up" },
  { KEY_LEFT, 0xcb, "Left" },
  { KEY_RIGHT, 0xcd, "Right" },
  { KEY_END, 0xcf, "End" },
  { KEY_DOWN, 0xd0, "Down" },
  { KEY_PAGEDOWN, 0xd1, "Page Down" },
  { KEY_INSERT, 0xd2, "Insert" },
  { KEY_DELETE, 0xd3, "Delete" },
  { KEY_LEFTMETA, 0xdb, "left Super" },
  { KEY_RIGHTMETA, 0xdc, "right Super" },
  { KEY_COMPOSE, 0xdd, "Menu" },
};

static void
test_known_keys (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (key_cases); i++)
    {
      const KeyCase *c = &key_cases[i];
      guint32 qnum = hv_keymap_evdev_to_qnum (c->evdev);

      if (qnum != c->qnum)
        g_error ("%s (evdev %u): expected 0x%02x, got 0x%02x", c->name, c->evdev, c->qnum, qnum);
    }
}

/* Every letter and digit of the main block: a gap in the table would lose a key. */
static void
test_main_block_complete (void)
{
  static const guint letters[] = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L,
    KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X,
    KEY_Y, KEY_Z,
  };

  /* On a PC keyboard evdev codes 1 to 83 are the set 1 scancodes themselves. */
  for (guint evdev = KEY_ESC; evdev <= KEY_KPDOT; evdev++)
    g_assert_cmphex (hv_keymap_evdev_to_qnum (evdev), ==, evdev);

  for (guint i = 0; i < G_N_ELEMENTS (letters); i++)
    {
      guint32 qnum = hv_keymap_evdev_to_qnum (letters[i]);

      g_assert_cmphex (qnum, !=, 0);
      /* Letters are plain (not 0xe0-prefixed) keys. */
      g_assert_cmphex (qnum & 0x80, ==, 0);
    }

  for (guint evdev = KEY_F1; evdev <= KEY_F10; evdev++)
    g_assert_cmphex (hv_keymap_evdev_to_qnum (evdev), ==, 0x3b + evdev - KEY_F1);
  for (guint evdev = KEY_F13; evdev <= KEY_F23; evdev++)
    g_assert_cmphex (hv_keymap_evdev_to_qnum (evdev), ==, 0x64 + evdev - KEY_F13);
}

/* No two keys of a full PC keyboard share a scancode: the guest could not tell them apart. */
static void
test_no_duplicates (void)
{
  guint seen[256] = { 0 };

  for (guint evdev = 1; evdev < KEY_MAX; evdev++)
    {
      guint32 qnum = hv_keymap_evdev_to_qnum (evdev);

      /* Zenkaku/Hankaku and F24 are the same key position (0x76) by Microsoft's table;
       * Print is reachable as both SysRq and Print in evdev. */
      if (qnum == 0 || evdev == KEY_F24 || evdev == KEY_PRINT)
        continue;
      g_assert_cmpuint (qnum, <, 256);
      if (seen[qnum] != 0)
        g_error ("evdev %u and %u both map to 0x%02x", seen[qnum], evdev, qnum);
      seen[qnum] = evdev;
    }
}

static void
test_unknown_keys (void)
{
  g_assert_cmphex (hv_keymap_evdev_to_qnum (0), ==, 0);         /* KEY_RESERVED */
  g_assert_cmphex (hv_keymap_evdev_to_qnum (84), ==, 0);        /* no key at 84 */
  g_assert_cmphex (hv_keymap_evdev_to_qnum (KEY_MACRO), ==, 0);
  g_assert_cmphex (hv_keymap_evdev_to_qnum (BTN_LEFT), ==, 0);  /* not a key */
  g_assert_cmphex (hv_keymap_evdev_to_qnum (KEY_MAX), ==, 0);
  g_assert_cmphex (hv_keymap_evdev_to_qnum (G_MAXUINT), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/keymap/known-keys", test_known_keys);
  g_test_add_func ("/keymap/main-block-complete", test_main_block_complete);
  g_test_add_func ("/keymap/no-duplicates", test_no_duplicates);
  g_test_add_func ("/keymap/unknown-keys", test_unknown_keys);

  return g_test_run ();
}
