/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-snapshots.h: the Vm interface's snapshot and saved-state methods (TakeSnapshot,
 * RestoreSnapshot, DeleteSnapshot, EditSnapshot, GetSnapshotThumbnail, SaveState,
 * DiscardSavedState), for hv-engine.c's method table. */
#pragma once

#include <gio/gunixfdlist.h>

#include "hv-dbus-generated.h"
#include "hv-engine.h"

G_BEGIN_DECLS

gboolean hv_engine_vm_handle_take_snapshot    (HvDbusVm *skeleton,
                                               GDBusMethodInvocation *invocation,
                                               const char *name, const char *description,
                                               GVariant *options, HvEngine *engine);
gboolean hv_engine_vm_handle_restore_snapshot (HvDbusVm *skeleton,
                                               GDBusMethodInvocation *invocation,
                                               const char *id, GVariant *options,
                                               HvEngine *engine);
gboolean hv_engine_vm_handle_delete_snapshot  (HvDbusVm *skeleton,
                                               GDBusMethodInvocation *invocation,
                                               const char *id, HvEngine *engine);
gboolean hv_engine_vm_handle_edit_snapshot    (HvDbusVm *skeleton,
                                               GDBusMethodInvocation *invocation,
                                               const char *id, const char *name,
                                               const char *description, HvEngine *engine);
gboolean hv_engine_vm_handle_get_snapshot_thumbnail (HvDbusVm *skeleton,
                                                     GDBusMethodInvocation *invocation,
                                                     GUnixFDList *fd_list, const char *id,
                                                     HvEngine *engine);
gboolean hv_engine_vm_handle_save_state       (HvDbusVm *skeleton,
                                               GDBusMethodInvocation *invocation,
                                               HvEngine *engine);
gboolean hv_engine_vm_handle_discard_saved_state (HvDbusVm *skeleton,
                                                  GDBusMethodInvocation *invocation,
                                                  HvEngine *engine);

G_END_DECLS
