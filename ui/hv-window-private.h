/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-window-private.h: shared between hv-window.c (layout, sidebar, VM actions),
 * hv-window-dialogs.c (the small dialogs: folders, rename, delete, power off) and
 * hv-sidebar-row.c (a row's menu and drag and drop). */
#pragma once

#include "hv-window.h"

G_BEGIN_DECLS

HvEngineClient *hv_window_get_client       (HvWindow *self);
GCancellable   *hv_window_get_cancellable  (HvWindow *self);

/* A GAsyncReadyCallback for hv_engine_client_call() that shows the error, if any, in a
 * toast; @data is a reference to the window. */
void            hv_window_call_done        (GObject *source, GAsyncResult *result, gpointer data);

/* A short toast for progress or success (errors stay longer: hv_window_show_error()). */
void            hv_window_show_message     (HvWindow *self, const char *message);
/* Every folder: the engine's, and those that hold a VM; sorted as the sidebar sorts them. */
char          **hv_window_list_folders     (HvWindow *self);
/* Vm.Move, with any error as a toast. */
void            hv_window_move_vm          (HvWindow *self, HvVmItem *item, const char *folder);

void            hv_window_new_folder_dialog    (HvWindow *self, const char *parent);
void            hv_window_rename_folder_dialog (HvWindow *self, const char *path);
void            hv_window_delete_folder_dialog (HvWindow *self, const char *path);
void            hv_window_delete_vm_dialog     (HvWindow *self, HvVmItem *item);
void            hv_window_rename_vm_dialog     (HvWindow *self, HvVmItem *item);
/* Asks, then calls @method ("PowerOff" or "Reset"): both lose what the guest has not saved. */
/* Asks, then calls DiscardSavedState: the saved running state is lost. */
void            hv_window_discard_state_dialog (HvWindow *self, HvVmItem *item);
/* As hv_window_call_done(), for hv_engine_client_long_call(). */
void            hv_window_long_call_done       (GObject *source, GAsyncResult *result,
                                                gpointer data);
void            hv_window_confirm_power_dialog (HvWindow *self, HvVmItem *item,
                                                const char *method);

G_END_DECLS
