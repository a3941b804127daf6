/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-fileutil-private.h: engine-internal variants of hv-fileutil.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HV_FILE_READ_DEFAULT = 0,
  /* The file itself must not be a symbolic link (a dangling or looping one included). */
  HV_FILE_READ_NOFOLLOW = 1 << 0,
  /* Nor the directory that holds it: a VM's directory in the library. */
  HV_FILE_READ_NOFOLLOW_DIR = 1 << 1,
} HvFileReadFlags;

/* hv_file_read_capped() with `flags`. *out_too_large (may be NULL) says whether it failed
 * because the file is larger than max_size, so that a caller can report that in its own
 * error domain (a too large config is a bad config, not an I/O problem); *out_reason (may
 * be NULL) gets why it failed without the path ("is a symbolic link…", "is not a regular
 * file (a FIFO)"), for a caller that words its own message around the path. */
gboolean hv_file_read_capped_full (const char *path, gsize max_size, HvFileReadFlags flags,
                                   char **contents, gsize *len, gboolean *out_too_large,
                                   char **out_reason, GError **error);

/* Removes what interrupted hv_file_replace_contents() calls left in `dir`: regular files
 * named like their temporaries (".BASE.XXXXXX", ".BASE.XXXXXX-prev") for each of `bases`,
 * last changed before `older_than` (seconds since the epoch). Never follows a link, never
 * touches another name. Returns how many were removed. */
guint    hv_file_remove_stale_temps (const char *dir, const char * const *bases,
                                     gint64 older_than);

G_END_DECLS
