/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-files.h: the app's file choosers (install media, CD and floppy images, disks,
 * shared folders, appliances, export destinations) show the files of the host whose engine
 * the window manages: this computer's through each caller's own GTK chooser, another host's
 * (an engine over SSH) through the remote chooser (hv-remote-file-dialog.h), which returns a
 * path on that host. Files dropped on the window are this computer's: while connected to
 * another host they are refused with a dialog that says so (docs/remote.md). */
#pragma once

#include <gtk/gtk.h>

#include "hv-engine-client.h"
#include "hv-remote-file-dialog.h"

G_BEGIN_DECLS

/* A path chosen on the engine's host, for @widget (still in its window). */
typedef void (*HvRemoteFilesChosen) (GtkWidget *widget, const char *path, gpointer data);

/* When @client's engine is on another host: opens the remote chooser over @widget's window
 * (@title, @mode, @filter, @initial_path as hv_remote_file_dialog_choose()) and returns TRUE;
 * @chosen is called with the path if one is chosen (not when dismissed, nor once @widget has
 * left its window); @data_free (if any) frees @data after, or at once when FALSE. FALSE,
 * with nothing opened, for this computer's engine: the caller opens its local chooser as
 * before. */
gboolean hv_remote_files_choose (HvEngineClient     *client,
                                 GtkWidget          *widget,
                                 const char         *title,
                                 HvRemoteFileMode    mode,
                                 HvRemoteFileFilter  filter,
                                 const char         *initial_path,
                                 HvRemoteFilesChosen chosen,
                                 gpointer            data,
                                 GDestroyNotify      data_free);

/* The size of the file @path on @client's engine host (Engine.ListDirectory of its folder);
 * finish: FALSE with the reason when it is not a file there (or cannot be read). */
void     hv_remote_files_query_size        (HvEngineClient     *client,
                                            const char         *path,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
gboolean hv_remote_files_query_size_finish (GAsyncResult *result, guint64 *size,
                                            GError **error);

/* The home folder of @client's engine's user on its host (Engine.ListDirectory of ""). */
void     hv_remote_files_query_home        (HvEngineClient     *client,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
char    *hv_remote_files_query_home_finish (GAsyncResult *result, GError **error);

/* Whether @client's engine is on another host (its paths are that host's). */
gboolean hv_remote_files_is_remote (HvEngineClient *client);

/* For files dropped on the window: when @client's engine is on another host, tells in a
 * dialog over @widget's window that this computer's files cannot be used there (and how to
 * choose that host's) and returns TRUE. FALSE (nothing shown) for this computer's engine. */
gboolean hv_remote_files_refuse (HvEngineClient *client, GtkWidget *widget);

G_END_DECLS
