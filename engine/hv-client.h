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
