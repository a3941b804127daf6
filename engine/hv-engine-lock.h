/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-lock.h: the library's own engine lock. The per-user lock in the runtime
 * directory ($XDG_RUNTIME_DIR/hostvisor/engine.lock) keeps two engines of one session apart,
 * but two sessions can have different runtime directories for one library (an ssh login
 * without XDG_RUNTIME_DIR, where GLib falls back to ~/.cache). So the engine also holds
 * LIBRARY/engine.lock, flock'ed for its whole life, with its process id in it: a second
 * engine on the same library, whatever its runtime directory, refuses to start and says
 * which process holds the library. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Creates @library_dir (0700) if needed and locks LIBRARY_DIR/engine.lock: the descriptor to
 * keep open for the engine's life (closing it releases the lock), or -1 with @error:
 * HV_ERROR_BUSY naming the process that holds it (hostvisord then exits with status 4 and
 * hands the message to the client that started it, which does not retry), HV_ERROR_IO else. */
int hv_engine_lock_library (const char *library_dir, GError **error);

G_END_DECLS
