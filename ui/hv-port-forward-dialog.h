/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-port-forward-dialog.h: the port forwarding rules of one adapter (NAT, or host-only
 * running isolated), as a table with add, edit and remove; applied with Vm.AddPortForward and
 * Vm.RemovePortForward, at once also while the VM runs. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_PORT_FORWARD_DIALOG (hv_port_forward_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvPortForwardDialog, hv_port_forward_dialog, HV, PORT_FORWARD_DIALOG,
                      AdwWindow)

void hv_port_forward_dialog_present (GtkWindow      *parent,
                                     HvEngineClient *client,
                                     HvVmItem       *item,
                                     guint           slot);

G_END_DECLS
