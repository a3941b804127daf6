/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-clone.h: the Vm interface's Clone method (hv-vm-clone.h), for hv-engine.c. */
#pragma once

#include "hv-dbus-generated.h"
#include "hv-engine.h"

G_BEGIN_DECLS

gboolean hv_engine_vm_handle_clone (HvDbusVm *skeleton, GDBusMethodInvocation *invocation,
                                    const char *name, GVariant *options, HvEngine *engine);

G_END_DECLS
