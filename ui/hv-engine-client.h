/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client.h: the app's connection to hostvisord.
 *
 * Connects (starting the engine when none runs) without blocking the main loop, mirrors the
 * library as a GListModel of HvVmItem kept current by VmAdded/VmRemoved and each Vm's
 * PropertiesChanged, and the engine's folder list. When the engine goes away it emits
 * "engine-lost", marks every VM as not actionable and reconnects with a growing delay;
 * once back, the same HvVmItem objects are reused, so selections survive a restart. */
#pragma once

#include <gio/gio.h>

#include "hv-client-remote.h"
#include "hv-dbus-generated.h"
#include "hv-vm-item.h"

G_BEGIN_DECLS

#define HV_TYPE_ENGINE_CLIENT (hv_engine_client_get_type ())

G_DECLARE_FINAL_TYPE (HvEngineClient, hv_engine_client, HV, ENGINE_CLIENT, GObject)

HvEngineClient     *hv_engine_client_new               (void);
/* Connect now (and again after every loss) until disposed. */
void                hv_engine_client_start             (HvEngineClient *self);
/* Switch to the engine at @address (ssh://[user@]host[:port]; NULL or "": this computer's):
 * the VMs, folders and networks of the previous one go, an attempt still under way is
 * cancelled, and the client connects there (hv-engine-client-remote.h). FALSE with @error
 * (nothing changed) when @address is not valid. "remote-address" is notified. */
gboolean            hv_engine_client_set_remote        (HvEngineClient *self,
                                                        const char     *address,
                                                        GError        **error);
/* The remote engine's address, NULL for this computer's. */
const HvRemote     *hv_engine_client_get_remote        (HvEngineClient *self);

/* HvVmItem objects, in no particular order. */
GListModel         *hv_engine_client_get_vms           (HvEngineClient *self);
HvVmItem           *hv_engine_client_lookup            (HvEngineClient *self,
                                                        const char     *object_path);
/* TRUE once the library has been listed over the current connection. */
gboolean            hv_engine_client_get_connected     (HvEngineClient *self);
gboolean            hv_engine_client_get_kvm_available (HvEngineClient *self);
/* Engine.KvmVerdict ("probing" until known), the group to join for "no-access" (else NULL)
 * and the KVM test's figures (0 when not measured; see Engine.KvmProbe). */
const char         *hv_engine_client_get_kvm_verdict   (HvEngineClient *self);
const char         *hv_engine_client_get_kvm_group     (HvEngineClient *self);
void                hv_engine_client_get_kvm_times     (HvEngineClient *self, guint *kvm_ms,
                                                        guint *tcg_ms, gboolean *kvm_finished);
const char * const *hv_engine_client_get_folders       (HvEngineClient *self);
/* The OS's name as libosinfo gives it ("Debian 12"), or NULL while unknown; "os-names-loaded"
 * is notified once the names arrive. */
const char         *hv_engine_client_get_os_name       (HvEngineClient *self,
                                                        const char     *os_id);
/* Where the engine keeps the VM library (its LibraryPath), or NULL while not connected. */
char               *hv_engine_client_dup_library_path  (HvEngineClient *self);
/* Engine.Networks (aa{sv}) and Engine.NetworkSetup (a{sv}), NULL from an engine without
 * them; "networks" is notified when either changes. Helpers: hv-engine-client-network.h. */
GVariant           *hv_engine_client_get_networks      (HvEngineClient *self);
GVariant           *hv_engine_client_get_network_setup (HvEngineClient *self);
/* The Engine object's proxy over the current connection (borrowed), or NULL while not
 * connected: for its signals (ApplianceProgress). A new connection makes a new one. */
HvDbusEngine       *hv_engine_client_get_engine        (HvEngineClient *self);
/* Why the last connection attempt failed, or NULL. */
const char         *hv_engine_client_get_last_error    (HvEngineClient *self);

/* Call @method on @item's Vm object, or on the Engine object when @item is NULL. The
 * finish function returns the reply (NULL on error) with the D-Bus prefix stripped from
 * the error message, ready to show. @parameters is consumed if floating. */
void                hv_engine_client_call              (HvEngineClient     *self,
                                                        HvVmItem           *item,
                                                        const char         *method,
                                                        GVariant           *parameters,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
GVariant           *hv_engine_client_call_finish       (HvEngineClient *self,
                                                        GAsyncResult   *result,
                                                        GError        **error);
/* hv_engine_client_call() with its own reply timeout in milliseconds (G_MAXINT: none);
 * finish it with hv_engine_client_call_finish(). */
void                hv_engine_client_call_with_timeout (HvEngineClient     *self,
                                                        HvVmItem           *item,
                                                        const char         *method,
                                                        GVariant           *parameters,
                                                        int                 timeout_ms,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);

/* Vm.Screenshot: the PNG's bytes (at most 64 MiB). */
void                hv_engine_client_screenshot_async  (HvEngineClient     *self,
                                                        HvVmItem           *item,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
GBytes             *hv_engine_client_screenshot_finish (HvEngineClient *self,
                                                        GAsyncResult   *result,
                                                        GError        **error);

/* Vm.OpenConsole: a socket connected to the VM's VNC server; the caller owns the fd. */
void                hv_engine_client_open_console_async  (HvEngineClient     *self,
                                                          HvVmItem           *item,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
int                 hv_engine_client_open_console_finish (HvEngineClient *self,
                                                          GAsyncResult   *result,
                                                          GError        **error);

G_END_DECLS
