/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vnc.h: a VNC session with QEMU's console, free of GTK so that both the app
 * (ui/hv-console.c) and hostvisor-sdl use it.
 *
 * The engine hands clients a socket already connected to the VM's VNC server (D-Bus
 * Vm.OpenConsole). HvVnc speaks RFB over it with libvncclient, driven by the
 * thread-default GMainContext (no threads, never blocks the loop for long), keeps
 * the framebuffer as 32-bit pixels, and sends keys as scancodes with QEMU's
 * extended key event so that any keyboard layout works. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HV_TYPE_VNC (hv_vnc_get_type ())
G_DECLARE_FINAL_TYPE (HvVnc, hv_vnc, HV, VNC, GObject)

HvVnc        *hv_vnc_new             (void);
/* Take `fd` (a connected stream socket) and start the RFB handshake. "connected" follows
 * once the server's framebuffer size is known, or "disconnected" with an error. */
gboolean      hv_vnc_open_fd         (HvVnc *self, int fd, GError **error);
void          hv_vnc_close           (HvVnc *self);
/* The RFB encodings to ask for at the next hv_vnc_open_fd(), in libvncclient's syntax
 * ("raw tight zrle hextile copyrect", the default; preferred first). For benchmarks. */
void          hv_vnc_set_encodings   (HvVnc *self, const char *encodings);
gboolean      hv_vnc_is_connected    (HvVnc *self);

/* The framebuffer: width × height pixels, `stride` bytes a row, each pixel 4 bytes in
 * memory order B, G, R, X (GDK_MEMORY_B8G8R8X8, SDL_PIXELFORMAT_XRGB8888 on little
 * endian). Valid until the next "resized" signal. */
int           hv_vnc_get_width       (HvVnc *self);
int           hv_vnc_get_height      (HvVnc *self);
const guint8 *hv_vnc_get_framebuffer (HvVnc *self, gsize *stride);

/* `scancode`: QEMU's "qnum" numbering (XT set 1, 0xe0-prefixed keys as 0x80 | code);
 * `keysym`: the X keysym, sent as well for servers without extended key events. */
void          hv_vnc_send_key        (HvVnc *self, guint32 keysym, guint32 scancode,
                                      gboolean down);
/* Absolute position in framebuffer pixels; `buttons`: bit 0 left, 1 middle, 2 right,
 * 3/4 wheel up/down. */
void          hv_vnc_send_pointer    (HvVnc *self, int x, int y, guint buttons);
void          hv_vnc_send_ctrl_alt_del (HvVnc *self);

/* Signals:
 *   "connected"    ()
 *   "resized"      (int width, int height)
 *   "updated"      (int x, int y, int width, int height)  a region changed
 *   "frame-done"   ()                                       one server update is complete
 *   "disconnected" (const GError *error) (NULL for hv_vnc_close) */

G_END_DECLS
