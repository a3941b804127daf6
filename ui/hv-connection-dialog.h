/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-connection-dialog.h: "Connect to Another Computer": an ssh://[user@]host[:port]
 * address, checked as it is typed (hv_remote_parse(); the reason shown under the entry). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HV_TYPE_CONNECTION_DIALOG (hv_connection_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvConnectionDialog, hv_connection_dialog, HV, CONNECTION_DIALOG, AdwWindow)

/* Called with the valid address and @owner when the person presses Connect (the dialog then
 * closes); not called when @owner is gone by then. */
typedef void (*HvConnectionChosen) (const char *address, GObject *owner);

void hv_connection_dialog_present (GtkWindow *parent, GObject *owner,
                                   HvConnectionChosen chosen);

G_END_DECLS
