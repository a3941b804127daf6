/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-file-dialog.h: a file chooser for the files of the host whose engine the app
 * manages over SSH (Engine.ListDirectory; docs/remote.md): the folder's path (typed, or
 * reached with Home, Up and double-clicks), its folders then its files with size and date,
 * a filter by kind, hidden files on demand, errors inline. Returns a path on that host. The
 * last folder shown is remembered per connection for the session. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

typedef enum
{
  HV_REMOTE_FILE_OPEN,    /* an existing file */
  HV_REMOTE_FILE_FOLDER,  /* a folder (only folders are shown) */
  HV_REMOTE_FILE_SAVE,    /* a folder and a new file's name */
} HvRemoteFileMode;

typedef enum
{
  HV_REMOTE_FILTER_ANY,
  HV_REMOTE_FILTER_ISO,        /* CD/DVD images: .iso */
  HV_REMOTE_FILTER_FLOPPY,     /* .img .ima .flp .vfd */
  HV_REMOTE_FILTER_DISK,       /* .qcow2 .img .raw .vmdk .vdi .vhd .vhdx */
  HV_REMOTE_FILTER_APPLIANCE,  /* .ova .ovf */
  HV_REMOTE_FILTER_INSTALL,    /* install media: .iso .img .ima .flp */
} HvRemoteFileFilter;

#define HV_TYPE_REMOTE_FILE_DIALOG (hv_remote_file_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvRemoteFileDialog, hv_remote_file_dialog, HV, REMOTE_FILE_DIALOG,
                      AdwWindow)

/* Whether @name has one of @filter's suffixes (any name for HV_REMOTE_FILTER_ANY). */
gboolean hv_remote_file_filter_matches (HvRemoteFileFilter filter, const char *name);

/* Opens the chooser over @parent. @initial_path: a folder to start in, or (SAVE) a path whose
 * folder and name are the defaults; NULL: the last folder of this connection, else home.
 * Finish gives the chosen path on the engine's host, or NULL with G_IO_ERROR_CANCELLED when
 * the dialog was dismissed (or @cancellable cancelled). */
void  hv_remote_file_dialog_choose        (HvEngineClient     *client,
                                           GtkWindow          *parent,
                                           const char         *title,
                                           HvRemoteFileMode    mode,
                                           HvRemoteFileFilter  filter,
                                           const char         *initial_path,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
char *hv_remote_file_dialog_choose_finish (GAsyncResult *result, GError **error);

G_END_DECLS
