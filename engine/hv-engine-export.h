/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-export.h: the Vm interface's Export and CancelOperation methods (hv-export.h),
 * for hv-engine.c, and the cancellables of the operations that CancelOperation stops. */
#pragma once

#include "hv-dbus-generated.h"
#include "hv-engine.h"
#include "hv-vm.h"

G_BEGIN_DECLS

gboolean hv_engine_vm_handle_export (HvDbusVm *skeleton, GDBusMethodInvocation *invocation,
                                     const char *format, const char *path, GVariant *options,
                                     HvEngine *engine);
gboolean hv_engine_vm_handle_cancel_operation (HvDbusVm *skeleton,
                                               GDBusMethodInvocation *invocation,
                                               HvEngine *engine);

/* A cancellable for a long operation on @vm that CancelOperation may stop (a new reference;
 * the registry holds another until hv_engine_operation_untrack()). */
GCancellable *hv_engine_operation_track   (HvVm *vm);
void          hv_engine_operation_untrack (HvVm *vm, GCancellable *cancellable);

G_END_DECLS
