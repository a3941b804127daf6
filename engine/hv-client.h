/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-client.h: how a client (app, CLI, SDL viewer) reaches the engine.
 *
 * Connects to $XDG_RUNTIME_DIR/hostvisor/engine.sock as a peer-to-peer D-Bus
 * connection. When no engine answers and `autostart` is set, starts hostvisord
 * (found as $HOSTVISORD, else beside the running program, else in PATH) as a
 * daemon, waits for it to say it is ready, and connects. */
#pragma once

#include <gio/gio.h>

#include "hv-dbus-generated.h"

G_BEGIN_DECLS

#define HV_DBUS_ENGINE_PATH "/io/github/hostvisor/Engine"
#define HV_DBUS_VM_PATH_PREFIX "/io/github/hostvisor/vm/"

GDBusConnection *hv_client_connect_sync (gboolean autostart, GCancellable *cancellable,
                                         GError **error);

/* What hv_client_open_engine_sync() does with a socket that the engine accepted: an object
 * made from it (a GDBusConnection, or the stream itself), or NULL with @error when the engine
 * did not answer as it should (it may be exiting: another attempt follows). */
typedef GObject *(*HvClientHandshake) (GSocketConnection *stream, gpointer user_data,
                                       GCancellable *cancellable, GError **error);

/* hv_client_connect_sync() with a handshake of the caller's: `hostvisorctl bridge` takes the
 * engine's socket itself (hv_client_connect_sync() is this with a D-Bus handshake). */
GObject         *hv_client_open_engine_sync (gboolean autostart, HvClientHandshake handshake,
                                             gpointer user_data, GCancellable *cancellable,
                                             GError **error);

/* Set up gettext for a client program: the translations built in the build tree when the
 * program runs from it (BUILD/po, beside BUILD/app), else the installed ones. */
void             hv_client_init_i18n    (void);

/* The engine's object path for a VM UUID (dashes become underscores). */
char            *hv_client_vm_path      (const char *uuid);

/* A D-Bus error from the engine carries an io.github.hostvisor.Error name and is mapped
 * back to HV_ERROR; this strips the "GDBus.Error:…: " prefix from the message, if any,
 * so that it can be shown to a person. */
void             hv_client_error_strip  (GError *error);

G_END_DECLS
