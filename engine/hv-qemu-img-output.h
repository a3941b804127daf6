/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-img-output.h: what the engine's long qemu-img runs (clones, exports, imports) share:
 * reading `qemu-img convert -p`'s progress and its error text, a child that dies with the
 * engine, and the run itself. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The last "(NN.NN/100%)" that qemu-img -p wrote in @text, as 0..1 in @out; FALSE if none. */
gboolean hv_qemu_img_parse_progress (const char *text,
                                     double     *out);
/* What qemu-img said, without its progress lines (the last 400 bytes at most), for an error
 * message; "qemu-img failed" when it said nothing. */
char    *hv_qemu_img_message        (const char *output);
/* A GSpawnChildSetupFunc: the child gets SIGKILL when the engine dies, so that a qemu-img left
 * behind never writes into what the next engine removes. */
void     hv_child_die_with_parent   (gpointer    user_data);

/* Called with 0..1 as `qemu-img … -p` writes its progress. */
typedef void (*HvQemuImgProgress) (double fraction, gpointer user_data);

/* Runs @argv (a qemu-img command; stdout and stderr read together, the child dying with the
 * engine). @source_fd, when >= 0, is handed to the child as its descriptor @child_fd (taken).
 * @progress (may be NULL) hears each progress line. Completes once the child has exited:
 * TRUE when it exited with 0; G_IO_ERROR_CANCELLED when @cancellable was cancelled (the child
 * is killed at once); HV_ERROR_IO with qemu-img's own words (hv_qemu_img_message) when it
 * failed; the spawn's error when it could not run. */
void     hv_qemu_img_run_async      (const char * const *argv, int source_fd, int child_fd,
                                     HvQemuImgProgress progress, gpointer progress_data,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean hv_qemu_img_run_finish     (GAsyncResult *result, GError **error);

G_END_DECLS
