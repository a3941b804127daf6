/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-tar.h: the OVA container: a POSIX ustar archive of plain files, in the order
 * given (OVF 1.0 wants the descriptor first and the manifest after the disks). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Bytes copied so far into the archive (of all members' contents). */
typedef void (*HvExportTarProgress) (guint64 done, gpointer user_data);

/* Writes @path (a new file: refused if it exists, mode 0644) holding the regular files
 * @files (NULL-terminated) under the member names @names (ASCII [A-Za-z0-9._-], 1..99
 * bytes: the writer refuses anything else). Sizes past ustar's 8 GiB limit are written in
 * the base-256 form GNU tar and bsdtar read. @cancellable is checked between blocks; on any
 * failure the half-written archive is removed. */
gboolean hv_export_tar_write (const char          *path,
                              const char * const  *files,
                              const char * const  *names,
                              GCancellable        *cancellable,
                              HvExportTarProgress  progress,
                              gpointer             user_data,
                              GError             **error);

/* Whether @name may be an archive member: see hv_export_tar_write(). */
gboolean hv_export_tar_name_is_valid (const char *name);

G_END_DECLS
