/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-recent-media.h: the images last put into a floppy or CD/DVD drive, remembered per user
 * (a small key file in the user's state directory: $XDG_STATE_HOME/hostvisor/recent-media),
 * most recent first, for the console's drive menu. Floppy images are one list for drives A:
 * and B: (a game's disk 2 goes into either), CD/DVD images another. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HV_RECENT_MEDIA_MAX 8

typedef enum {
  HV_RECENT_FLOPPY,
  HV_RECENT_CDROM,
} HvRecentKind;

/* The remembered images of @kind, most recent first (absolute paths; a file that is gone is
 * still listed: the menu shows it disabled). Never NULL. */
GStrv    hv_recent_media_list   (HvRecentKind kind);
/* Put @path first in @kind's list (moved there if it was already in it; the oldest beyond
 * HV_RECENT_MEDIA_MAX dropped) and save the file atomically. Only absolute paths. */
gboolean hv_recent_media_add    (HvRecentKind kind, const char *path, GError **error);
/* Drop @path from @kind's list. */
gboolean hv_recent_media_remove (HvRecentKind kind, const char *path, GError **error);
/* The file the lists live in (for tests): NULL = the default path. */
void     hv_recent_media_set_file (const char *path);

G_END_DECLS
