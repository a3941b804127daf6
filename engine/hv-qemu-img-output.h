/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-img-output.h: what the engine's long qemu-img runs (clones, exports, imports) share:
 * reading `qemu-img convert -p`'s progress and its error text, and a child that dies with the
 * engine. */
#pragma once

#include <glib.h>

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

G_END_DECLS
