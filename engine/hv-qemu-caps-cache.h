/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-caps-cache.h: QEMU's answers to the engine's probes, kept between engine starts.
 *
 * Each engine start ran QEMU four times (about 0.8 s here) to learn what the same binary said
 * the time before. The answers are kept in $XDG_RUNTIME_DIR/hostvisor/qemu-caps.cache under a
 * key made of the binary's path, device, inode, size, mtime and ctime, the same of QEMU's
 * module directories, and the boot id; any change, or another boot, probes afresh. Only the
 * raw answers are kept (output and exit status): everything the engine derives from them
 * (the audio backend, the test hooks) is decided at every start. $HOSTVISOR_NO_CAPS_CACHE=1
 * turns it off. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HvQemuCapsCache HvQemuCapsCache;

HvQemuCapsCache *hv_qemu_caps_cache_open   (const char *qemu_binary);
/* The kept answer to `probe` (a name: "version", "machines"…): TRUE with `out` (free it)
 * and `status`. */
gboolean         hv_qemu_caps_cache_lookup (HvQemuCapsCache *cache, const char *probe,
                                            char **out, int *status);
void             hv_qemu_caps_cache_store  (HvQemuCapsCache *cache, const char *probe,
                                            const char *out, int status);
/* Writes the file when something new was stored (atomically), and frees the cache. */
void             hv_qemu_caps_cache_close  (HvQemuCapsCache *cache);

G_END_DECLS
