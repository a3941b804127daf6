/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine.h: the engine's D-Bus face: serves the library to clients over the
 * private socket, one object per VM, and decides when the engine may exit. */
#pragma once

#include <gio/gio.h>

#include "hv-dbus-generated.h"
#include "hv-library.h"

G_BEGIN_DECLS

#define HV_TYPE_ENGINE (hv_engine_get_type ())
G_DECLARE_FINAL_TYPE (HvEngine, hv_engine, HV, ENGINE, GObject)

/* Takes the per-user engine lock (HV_ERROR_ENGINE_RUNNING when another engine holds it),
 * probes QEMU and loads the library (reattaching to running QEMUs). */
HvEngine  *hv_engine_new            (GError **error);
/* Listen on $XDG_RUNTIME_DIR/hostvisor/engine.sock. */
gboolean   hv_engine_listen         (HvEngine *self, GError **error);
HvLibrary *hv_engine_get_library    (HvEngine *self);
/* After something that kept the engine busy ended (a clone): it may go idle now. */
void       hv_engine_update_idle    (HvEngine *self);
/* Seconds without clients and without running VMs before "idle" is emitted; 0 = never. */
void       hv_engine_set_idle_timeout (HvEngine *self, guint seconds);
/* Power off every running VM, then complete (engine exit). */
void       hv_engine_shutdown_async (HvEngine *self, GAsyncReadyCallback callback,
                                     gpointer user_data);
void       hv_engine_shutdown_finish (HvEngine *self, GAsyncResult *result);

/* For the D-Bus handlers of hv-engine-*.c: the VM whose object is @skeleton, or NULL when it
 * was deleted meanwhile (the call is then answered with NotFound). */
HvVm      *hv_engine_lookup_vm      (HvEngine *self, HvDbusVm *skeleton,
                                     GDBusMethodInvocation *invocation);
/* Answers a call whose reply is empty: success when @ok, else @error (taken). */
void       hv_engine_reply          (GDBusMethodInvocation *invocation, gboolean ok,
                                     GError *error);

/* Signals: "idle" (): nothing needs the engine any more. */

G_END_DECLS
