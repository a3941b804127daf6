/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-connection-store.h: the engines the app remembers (ssh:// addresses) and the one it
 * last used, kept in the app's settings file (ui-state.ini, group "Connections"), saved
 * atomically. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The remembered addresses, in the order they were added (never NULL). */
GStrv    hv_connection_store_list        (void);
/* The last used address, or NULL for this computer. */
char    *hv_connection_store_get_current (void);
/* Remember @current (NULL or "": this computer) as the last used, and @list as the
 * remembered ones. FALSE with @error when the file cannot be written. */
gboolean hv_connection_store_save        (const char * const *list, const char *current,
                                          GError **error);

G_END_DECLS
