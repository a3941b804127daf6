/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-files.h: the app's file choosers (install media, CD and floppy images, disks,
 * shared folders, files dropped on the window) show this computer's files; an engine on
 * another host cannot read them, and a path from here means nothing there. While connected
 * to one, they do not pretend: they say so instead of opening (docs/remote.md). */
#pragma once

#include <gtk/gtk.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

/* When @client's engine is on another host: tells so in a dialog over @widget's window
 * (where the files are, and how to give a path there) and returns TRUE, and the caller opens
 * no file chooser. FALSE (nothing shown) for this computer's engine. */
gboolean hv_remote_files_refuse (HvEngineClient *client, GtkWidget *widget);

G_END_DECLS
