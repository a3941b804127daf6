/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client-remote.h: what HvEngineClient does differently when its engine is on
 * another host, reached over SSH (docs/remote.md): no file descriptor crosses ssh, so the
 * console is a second ssh command (hv_remote_open_console()) and the PNGs arrive as bytes
 * (Vm.ReadScreenshot, Vm.ReadSnapshotThumbnail); and the words that say which host. */
#pragma once

#include <gio/gio.h>

#include "hv-client-remote.h"
#include "hv-engine-client.h"

G_BEGIN_DECLS

/* The most a PNG read as bytes may have (the contract's limit). */
#define HV_REMOTE_PNG_MAX_BYTES (32 * 1024 * 1024)

/* A copy of @remote (NULL gives NULL). */
HvRemote *hv_engine_client_remote_copy      (const HvRemote *remote);

/* Returns, through @task (finished with hv_engine_client_remote_console_finish(); it takes
 * the task's source tag), a socket joined to the display of the VM @uuid on @remote's host.
 * Runs ssh in a worker thread; a descriptor nobody took (the task cancelled) is closed. */
void      hv_engine_client_remote_console   (const HvRemote *remote, const char *uuid,
                                             GTask *task);
int       hv_engine_client_remote_console_finish (GTask *task, GError **error);

/* Calls @method (ReadScreenshot or ReadSnapshotThumbnail) on @proxy with @parameters
 * (consumed if floating) and returns the PNG's bytes through @task (a GBytes), checked to be
 * a PNG of at most HV_REMOTE_PNG_MAX_BYTES. */
void      hv_engine_client_remote_read_png  (GDBusProxy *proxy, const char *method,
                                             GVariant *parameters, int timeout_ms,
                                             GTask *task);

/* hv_remote_lost_reason() for @connection (lost), in a worker thread: it waits for ssh to
 * end (a few seconds at most). The finish function returns NULL when cancelled. */
void      hv_engine_client_remote_lost_reason_async  (HvEngineClient *client,
                                                      GDBusConnection *connection,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
char     *hv_engine_client_remote_lost_reason_finish (GAsyncResult *result);

/* The banner's text while @client is not connected, or NULL when there is nothing to say
 * (connected, or a local engine: the window says that itself). @was_connected: whether this
 * connection was up before (lost), else it is the first attempt (cannot connect). */
char     *hv_engine_client_dup_remote_banner (HvEngineClient *client, gboolean was_connected);

/* The host that @client manages, for titles: "This Computer" or the remote's host (with its
 * user when the address has one). */
char     *hv_engine_client_dup_host_label   (HvEngineClient *client);

G_END_DECLS
