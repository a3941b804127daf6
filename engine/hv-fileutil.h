/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-fileutil.h: atomic file replacement and safe small-file reading. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Write `len` bytes to a temporary file beside `path` (mode `mode`), fsync it, if `path`
 * exists hard-link/copy it to `path`.prev (when keep_previous), rename the temporary over
 * `path`, then fsync the directory. On any failure the old file is untouched and the
 * temporary is removed. A `path` that exists and is not a regular file (a symbolic link,
 * a FIFO…) is refused, never replaced or written through. Errors are HV_ERROR_IO with
 * `path` (never the temporary's name) and strerror. */
gboolean hv_file_replace_contents (const char *path, const char *data, gsize len, int mode,
                                   gboolean keep_previous, GError **error);

/* Read a whole file, refusing files larger than max_size without reading them
 * (HV_ERROR_IO, "…is too large"). ENOENT gives HV_ERROR_NOT_FOUND, other failures
 * HV_ERROR_IO. The contents are NUL-terminated. */
gboolean hv_file_read_capped      (const char *path, gsize max_size, char **contents,
                                   gsize *len, GError **error);

G_END_DECLS
