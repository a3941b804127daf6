/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-console.h: a GTK 4 widget showing a VM's screen and sending it keyboard and pointer.
 *
 * It draws an HvVnc session (ui/hv-vnc.h) on a socket the engine handed over (D-Bus
 * Vm.OpenConsole). Keys go to the guest as scancodes while the console holds the keyboard
 * ("grabbed": after a click into it, until the host key or a focus change releases it);
 * the pointer is absolute and needs no grab. Fullscreen and the hint how to release the
 * keyboard are the window's business: it watches "grabbed".
 *
 * Properties:
 *   "scale-to-fit"  gboolean  read-write  scale the screen to the widget (keeping its
 *                                         aspect), else show it 1:1 (default TRUE)
 *   "host-key"      guint     read-write  the keyval that releases the keyboard
 *                                         (default GDK_KEY_Control_R)
 *   "grabbed"       gboolean  read-only   keys go to the guest
 *   "connected"     gboolean  read-only   a session is up
 *   "guest-width"   int       read-only   the guest's screen size in pixels (0 before
 *   "guest-height"  int       read-only   the first connection; kept after it ends)
 *
 * Signals:
 *   "disconnected"  (const GError *error)  the session ended: NULL after
 *                                          hv_console_close(), else why */
#pragma once

#include <gtk/gtk.h>

#include "hv-vnc.h"

G_BEGIN_DECLS

#define HV_TYPE_CONSOLE (hv_console_get_type ())
G_DECLARE_FINAL_TYPE (HvConsole, hv_console, HV, CONSOLE, GtkWidget)

GtkWidget *hv_console_new               (void);
/* Take `fd`, a socket connected to the VM's VNC server, and show its screen. "connected"
 * turns TRUE once the server has answered, or "disconnected" says why it failed. The
 * last screen stays visible (dimmed) after a disconnection, until the next connection. */
gboolean   hv_console_open_fd           (HvConsole *self, int fd, GError **error);
void       hv_console_close             (HvConsole *self);
void       hv_console_send_ctrl_alt_del (HvConsole *self);
/* Give the keyboard back to the desktop (what the host key does). */
void       hv_console_ungrab            (HvConsole *self);

gboolean   hv_console_get_scale_to_fit  (HvConsole *self);
void       hv_console_set_scale_to_fit  (HvConsole *self, gboolean scale_to_fit);
gboolean   hv_console_get_crisp         (HvConsole *self);
void       hv_console_set_crisp         (HvConsole *self, gboolean crisp);
guint      hv_console_get_host_key      (HvConsole *self);
void       hv_console_set_host_key      (HvConsole *self, guint keyval);
gboolean   hv_console_get_grabbed       (HvConsole *self);
gboolean   hv_console_get_connected     (HvConsole *self);
/* A guest with only a PS/2 mouse: the pointer is captured on a click, released with the
 * host key. */
gboolean   hv_console_get_relative_pointer (HvConsole *self);
void       hv_console_set_relative_pointer (HvConsole *self, gboolean relative);
int        hv_console_get_guest_width   (HvConsole *self);
int        hv_console_get_guest_height  (HvConsole *self);
/* The session, for a caller that wants the pixels (a thumbnail). */
HvVnc     *hv_console_get_vnc           (HvConsole *self);

/* A texture of `vnc`'s screen as it is now (a copy, opaque): what the console draws, and a
 * live thumbnail can use. NULL before the first connection. Needs no display. */
GdkTexture *hv_console_texture_new_for_vnc (HvVnc *vnc);

G_END_DECLS
