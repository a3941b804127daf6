/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-setup-argv.h: the command line of the one-time network set-up
 * (netsetup/hostvisor-net-setup, run as root by pkexec), made from the engine's host-only
 * networks. The app and hostvisorctl run it; Engine.NetworkSetup shows it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The set-up program: $HOSTVISOR_NET_SETUP, else the installed one. */
const char *hv_network_setup_program (void);

/* [program, "setup", "--network", NAME, ADDRESS/PREFIX, START-END|none, …, "--bridge", BR…]
 * for the host-only networks of @networks (Engine.Networks, aa{sv}; NULL for none) and the
 * extra host bridges @bridges to allow (NULL for none); or, when @undo,
 * [program, "undo"] (everything) or [program, "undo", "--bridge", BR…]. Networks with names
 * or addresses that the set-up would refuse are left out. */
char      **hv_network_setup_argv    (GVariant *networks, const char * const *bridges,
                                      gboolean undo);

G_END_DECLS
