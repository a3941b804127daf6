/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-vm-network.h: the Vm interface's network methods (AddPortForward,
 * RemovePortForward, and Modify's "nicN-cable" while the VM runs), for hv-engine.c. */
#pragma once

#include "hv-dbus-generated.h"
#include "hv-engine.h"
#include "hv-vm.h"

G_BEGIN_DECLS

gboolean hv_engine_vm_handle_add_port_forward    (HvDbusVm *skeleton,
                                                  GDBusMethodInvocation *invocation,
                                                  guint slot, GVariant *rule, HvEngine *engine);
gboolean hv_engine_vm_handle_remove_port_forward (HvDbusVm *skeleton,
                                                  GDBusMethodInvocation *invocation,
                                                  guint slot, const char *name,
                                                  HvEngine *engine);
/* Modify of a running VM with "nicN-cable": the links change first, then the config. TRUE when
 * it took the call (and will answer it); FALSE: hv-engine.c goes on as usual. */
gboolean hv_engine_vm_modify_live                (HvEngine *engine, HvVm *vm, GVariant *options,
                                                  GDBusMethodInvocation *invocation);

G_END_DECLS
