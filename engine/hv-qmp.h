/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qmp.h: an asynchronous QMP client (the transport layer).
 *
 * One HvQmp speaks to one QEMU monitor over a UNIX stream socket, on the
 * thread-default main context where it was made. It reads the greeting, negotiates
 * capabilities, matches replies to commands by "id", delivers asynchronous
 * events as signals, and fails every pending command when QEMU disconnects.
 * A message longer than HV_QMP_MAX_MESSAGE or one that is not a JSON object ends
 * the connection ("disconnected" with HV_ERROR_QEMU_FAILED), never the process. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HV_QMP_MAX_MESSAGE (16 * 1024 * 1024)

#define HV_TYPE_QMP (hv_qmp_get_type ())
G_DECLARE_FINAL_TYPE (HvQmp, hv_qmp, HV, QMP, GObject)

/* Connect to the socket at `path`, read the greeting and send qmp_capabilities. */
void        hv_qmp_connect_async        (const char *path, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
HvQmp      *hv_qmp_connect_finish       (GAsyncResult *result, GError **error);

/* The same over a stream that is already connected (tests use a socketpair).
 * The stream must be a GSocketConnection for fd passing to work. */
void        hv_qmp_new_for_stream_async (GIOStream *stream, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
HvQmp      *hv_qmp_new_for_stream_finish(GAsyncResult *result, GError **error);

/* Send `command` with `arguments` (may be NULL; not modified). When fd >= 0 it is sent
 * with the command as SCM_RIGHTS ancillary data (for getfd / add-fd) and stays owned by
 * the caller. The result is the "return" member (a new reference); a QMP "error"
 * becomes HV_ERROR_QEMU_FAILED with QEMU's "desc" as the message. A cancelled command
 * is still sent/answered but its reply is dropped. */
void        hv_qmp_execute_async        (HvQmp *self, const char *command, JsonObject *arguments,
                                         int fd, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
JsonNode   *hv_qmp_execute_finish       (HvQmp *self, GAsyncResult *result, GError **error);

/* QEMU's version from the greeting */
void        hv_qmp_get_version          (HvQmp *self, guint *major, guint *minor, guint *micro);
gboolean    hv_qmp_is_connected         (HvQmp *self);
/* Close the connection; pending commands fail with G_IO_ERROR_CLOSED. "disconnected"
 * is emitted once, with a NULL error for a close we asked for. */
void        hv_qmp_close                (HvQmp *self);

/* Signals:
 *   "event"        (const char *name, JsonObject *data (may be NULL), gint64 timestamp_usec)
 *   "disconnected" (const GError *error (NULL when closed by hv_qmp_close)) */

G_END_DECLS
