/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-splice.h: two connected stream sockets joined both ways, as a TCP proxy must join them.
 * Each direction copies through a buffer of its own (large writes, so that the far side gets
 * full segments rather than a trickle of small ones), and the end of one direction is passed
 * on as a half-close (shutdown (SHUT_WR)) of the other socket: a peer that sends and then
 * waits for its answer, or that reads to the end, sees what it would see on a direct
 * connection. Both connections are closed once both directions have ended, or at once when
 * either fails. Its watches are on the global default main context (g_unix_fd_add()). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _HvSplice HvSplice;

/* Called once, when the splice has ended by itself; the splice is freed right after. */
typedef void (*HvSpliceDoneFunc) (HvSplice *splice, gpointer user_data);

/* Joins @a and @b (it takes a reference on each; their sockets must be connected).
 * @done may be NULL. */
HvSplice *hv_splice_new  (GSocketConnection *a,
                          GSocketConnection *b,
                          HvSpliceDoneFunc   done,
                          gpointer           user_data);

/* Ends the splice now, closing both connections; @done is not called. */
void      hv_splice_free (HvSplice *splice);

G_END_DECLS
