/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-window-private.h: shared between hv-window.c (layout, sidebar, VM actions) and
 * hv-window-dialogs.c (the small dialogs: folders, delete). */
#pragma once

#include "hv-window.h"

G_BEGIN_DECLS

HvEngineClient *hv_window_get_client       (HvWindow *self);
GCancellable   *hv_window_get_cancellable  (HvWindow *self);

/* A GAsyncReadyCallback for hv_engine_client_call() that shows the error, if any, in a
 * toast; @data is a reference to the window. */
void            hv_window_call_done        (GObject *source, GAsyncResult *result, gpointer data);

void            hv_window_new_folder_dialog    (HvWindow *self, const char *parent);
void            hv_window_rename_folder_dialog (HvWindow *self, const char *path);
void            hv_window_delete_folder_dialog (HvWindow *self, const char *path);
void            hv_window_delete_vm_dialog     (HvWindow *self, HvVmItem *item);

G_END_DECLS
