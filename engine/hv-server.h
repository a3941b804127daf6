/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-server.h: the engine's listening socket: peer-to-peer D-Bus connections from clients
 * of the same user, accepted without ever spinning.
 *
 * GDBusServer would do the handshake too, but when accept() fails (out of file
 * descriptors) it retries at once, for ever, logging every failure. HvServer accepts only
 * while a reserve of descriptors stays free for the engine's VMs, and when it cannot
 * accept it pauses, longer each time it fails again, logs one line per interval with a
 * count, and leaves the connections it has alone, so their clients keep being served. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HV_TYPE_SERVER (hv_server_get_type ())
G_DECLARE_FINAL_TYPE (HvServer, hv_server, HV, SERVER, GObject)

/* Binds and listens on `socket_path` (mode 0600; whatever file was there is replaced: the
 * caller holds the engine lock). Accepting starts with hv_server_start(). */
HvServer *hv_server_new           (const char *socket_path, GError **error);
void      hv_server_start         (HvServer *self);
/* Stops accepting for good: the listening socket is closed and its file removed, and
 * handshakes still in progress are cancelled. */
void      hv_server_stop          (HvServer *self);
/* Accepts, at once, whatever clients are already queued on the socket. Returns TRUE when
 * there were any (their handshakes are now pending). */
gboolean  hv_server_accept_queued (HvServer *self);
/* Connections accepted whose handshake has not finished yet. */
guint     hv_server_get_n_pending (HvServer *self);

/* Signals:
 *   "new-connection" (GDBusConnection *connection): a client finished its handshake. The
 *       handler exports its objects; messages are processed once it returns. Return FALSE
 *       to close the connection instead.
 *   "pending-changed" (): hv_server_get_n_pending() changed. */

G_END_DECLS
