/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-fileutil-private.h: engine-internal variants of hv-fileutil.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* hv_file_read_capped(), and *out_too_large (may be NULL) says whether it failed
 * because the file is larger than max_size, so that a caller can report that in
 * its own error domain (a too large config is a bad config, not an I/O problem). */
gboolean hv_file_read_capped_full (const char *path, gsize max_size, char **contents,
                                   gsize *len, gboolean *out_too_large, GError **error);

G_END_DECLS
