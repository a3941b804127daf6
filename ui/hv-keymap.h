/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-keymap.h: host key codes to QEMU's "qnum" scancodes (see hv-vnc.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Linux evdev key codes (what GTK reports as hardware keycode - 8 on X11 and Wayland);
 * 0 for keys without a scancode. */
guint32 hv_keymap_evdev_to_qnum (guint evdev);

G_END_DECLS
