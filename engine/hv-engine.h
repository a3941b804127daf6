/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine.h: the engine's D-Bus face: serves the library to clients over the
 * private socket, one object per VM, and decides when the engine may exit. */
#pragma once

#include <gio/gio.h>

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

/* Signals: "idle" (): nothing needs the engine any more. */

G_END_DECLS
