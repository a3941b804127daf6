/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-paths.h: where Hostvisor keeps things (DESIGN.md, "On disk"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $XDG_RUNTIME_DIR/hostvisor: created 0700 if missing; refused (HV_ERROR_IO) when it is
 * not a directory owned by us with mode 0700, so no other user can reach our sockets. */
char    *hv_paths_runtime_dir        (GError **error);
/* $XDG_RUNTIME_DIR/hostvisor/engine.sock (not created) */
char    *hv_paths_engine_socket      (void);
/* $XDG_RUNTIME_DIR/hostvisor/engine.log: where a daemonized engine writes its messages,
 * for clients to point at when the engine went away (not created) */
char    *hv_paths_engine_log         (void);
/* $HOSTVISOR_LIBRARY if set, else $XDG_DATA_HOME/hostvisor (not created) */
char    *hv_paths_library_dir        (void);
/* mkdir -p with mode 0700 for what is created, then check the leaf is ours and 0700 */
gboolean hv_paths_ensure_private_dir (const char *path, GError **error);

G_END_DECLS
