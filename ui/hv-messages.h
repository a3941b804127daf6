/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-messages.h: the engine's words in the user's language, without GTK.
 *
 * The engine is one process for every client of the user, started by whichever came first,
 * so it speaks English; its errors carry HV_ERROR codes and its state reasons are a small
 * fixed set. The app turns both into sentences of its own here: a known message becomes its
 * translation with the names and numbers it held, an unknown one a translated sentence for
 * its code with the engine's text after it. A reason that only repeats the state
 * ("Powered off — powered off") is dropped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The engine's StateReason for @state as a phrase in the user's language, or NULL when there
 * is none or it says no more than the state itself. */
char *hv_messages_state_reason (const char *state,
                                const char *reason);
/* An error from an engine call (or from reaching the engine) as a sentence in the user's
 * language. */
char *hv_messages_error        (const GError *error);
/* The engine's message text alone (as from a GError of unknown origin): its translation when
 * it is a known message, else NULL. */
char *hv_messages_translate    (const char *message);

G_END_DECLS
