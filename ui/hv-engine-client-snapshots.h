/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client-snapshots.h: the app's calls for snapshots, save state and clones.
 *
 * Vm.TakeSnapshot, RestoreSnapshot, DeleteSnapshot, EditSnapshot, SaveState,
 * DiscardSavedState and Clone run as jobs in the engine and answer when done: they are called
 * without a reply timeout (QEMU's monitor is silent while it saves). A VM's snapshot
 * properties are read once when the engine's listing did not carry them; after that the
 * VM's PropertiesChanged keeps the HvVmItem current. */
#pragma once

#include "hv-engine-client.h"

G_BEGIN_DECLS

/* Reads Snapshots, CurrentSnapshot, SavedState, Operation, OperationProgress,
 * CanTakeSnapshot and CanSaveState of @item's VM into the item, unless already known. */
void        hv_snapshots_load_properties  (HvEngineClient *self,
                                           HvVmItem       *item);

/* @method on @item's Vm with no reply timeout; finish with hv_engine_client_long_call_finish
 * (the reply, or NULL with the engine's message). @parameters is consumed if floating. */
void        hv_engine_client_long_call        (HvEngineClient     *self,
                                               HvVmItem           *item,
                                               const char         *method,
                                               GVariant           *parameters,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
GVariant   *hv_engine_client_long_call_finish (HvEngineClient *self,
                                               GAsyncResult   *result,
                                               GError        **error);

/* Vm.GetSnapshotThumbnail: the PNG's bytes (at most 16 MiB). */
void        hv_engine_client_snapshot_thumbnail_async  (HvEngineClient     *self,
                                                        HvVmItem           *item,
                                                        const char         *id,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
GBytes     *hv_engine_client_snapshot_thumbnail_finish (HvEngineClient *self,
                                                        GAsyncResult   *result,
                                                        GError        **error);

/* The snapshot @id in a Snapshots value (a new reference), or NULL. */
GVariant   *hv_snapshots_lookup           (GVariant   *snapshots,
                                           const char *id);
/* "Snapshot N": the first N above every "Snapshot K" in @snapshots and above their count. */
char       *hv_snapshots_next_name        (GVariant   *snapshots);
/* A snapshot's date for people ("6 Dec 2026, 14:03"), local time. */
char       *hv_snapshots_format_date      (gint64      created_us);
/* What the VM is doing for an Operation value ("Saving…", "Restoring…"), or NULL for "". */
const char *hv_snapshots_operation_label  (const char *operation);

G_END_DECLS
