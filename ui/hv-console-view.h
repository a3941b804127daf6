/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-console-view.h: a running VM's console with its controls: Ctrl+Alt+Del, scale to the
 * window or 1:1, its own window and full screen, the keyboard-grab hint, an ISO dropped onto
 * it goes into the VM's CD-ROM drive, and it reconnects by itself when the VNC connection
 * drops while the VM still runs (a reset, an engine restart). */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_CONSOLE_VIEW (hv_console_view_get_type ())
G_DECLARE_FINAL_TYPE (HvConsoleView, hv_console_view, HV, CONSOLE_VIEW, GtkBox)

/* `standalone`: the view fills its own window (a Full Screen button instead of "Open in
 * New Window"). Connects at once. */
GtkWidget *hv_console_view_new    (HvEngineClient *client, HvVmItem *item, gboolean standalone);
/* TRUE while the view restarts its VM at another CPU speed: keep it although the VM is off. */
gboolean   hv_console_view_get_restarting (HvConsoleView *self);
/* Open the VM's console in a window of its own. */
void       hv_console_view_open_window (GtkWindow *parent, HvEngineClient *client,
                                        HvVmItem *item);

/* Signals: "closed" (): the VM stopped, or the console cannot be reached any more. */

G_END_DECLS
