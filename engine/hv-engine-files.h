/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-files.h: Engine.ListDirectory: a folder of the engine's host as the engine's user
 * sees it, for a client whose engine runs on another host (the app's file chooser over SSH,
 * docs/remote.md). The folder is read in a worker thread, never on the main loop. */
#pragma once

#include "hv-dbus-generated.h"

G_BEGIN_DECLS

/* The contract's limits: at most this many entries (the rest left out), paths this long. */
#define HV_LIST_DIRECTORY_MAX_ENTRIES 20000
#define HV_LIST_DIRECTORY_MAX_PATH    4096

/* Lists @path ("" for the home directory; else absolute): the resolved path through
 * @resolved and the entries as an "a(sstx)" (name, kind, size, mtime) sorted by name (byte
 * order), at most @max_entries; names starting with "." only when @hidden; names that are
 * not UTF-8 are left out (a D-Bus string cannot carry them). NULL with HV_ERROR_INVALID_ARGUMENT
 * (relative, too long, not a folder), HV_ERROR_NOT_FOUND or HV_ERROR_FAILED (no permission,
 * another reading error). Blocking: for a worker thread. */
GVariant *hv_list_directory          (const char *path, gboolean hidden, guint max_entries,
                                      char **resolved, GError **error);

void      hv_engine_files_register   (HvDbusEngine *skeleton);

G_END_DECLS
