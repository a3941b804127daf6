/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-read-png.h: Vm.ReadScreenshot and Vm.ReadSnapshotThumbnail, for hv-engine.c's
 * method table: the PNGs of Screenshot and GetSnapshotThumbnail as bytes, for clients whose
 * connection cannot pass file descriptors (an engine reached over SSH; docs/remote.md). */
#pragma once

#include "hv-dbus-generated.h"
#include "hv-engine.h"

G_BEGIN_DECLS

/* The most a PNG read this way may have (the contract's limit). */
#define HV_READ_PNG_MAX_BYTES (32 * 1024 * 1024)

gboolean hv_engine_vm_handle_read_screenshot          (HvDbusVm *skeleton,
                                                       GDBusMethodInvocation *invocation,
                                                       HvEngine *engine);
gboolean hv_engine_vm_handle_read_snapshot_thumbnail  (HvDbusVm *skeleton,
                                                       GDBusMethodInvocation *invocation,
                                                       const char *id, HvEngine *engine);

G_END_DECLS
