/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-collate.h: the order in which the app lists names (VMs, folders, operating systems), as
 * a person reads them: the locale's collation, case ignored, runs of digits by their value
 * ("Debian 6.0", "Debian 10", "Debian 12"; "VM 2" before "VM 10"). Where the locale is C or
 * POSIX, whose collation is byte order, accents are set aside first, so that "Émile" sorts
 * with "Emile" rather than after "Zulu". Without GTK. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A key that strcmp() orders as described; equal keys may still be different names. */
char *hv_collate_key     (const char *name);
/* <0, 0, >0 as @a sorts before, with or after @b; only equal strings compare equal. */
int   hv_collate_compare (const char *a,
                          const char *b);

G_END_DECLS
