/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-item.h: one VM as the app sees it.
 *
 * A plain GObject that mirrors the engine's io.github.hostvisor.Vm properties with notify,
 * so list rows, the folder tree and the details pane bind to it. It is filled from the
 * engine's ListVms summary first (one round trip for the whole library), then follows its
 * Vm proxy's PropertiesChanged once the proxy is ready. Without a proxy (the view-model
 * tests) it is set directly with hv_vm_item_update(). */
#pragma once

#include <gio/gio.h>

#include "hv-dbus-generated.h"

G_BEGIN_DECLS

#define HV_TYPE_VM_ITEM (hv_vm_item_get_type ())

G_DECLARE_FINAL_TYPE (HvVmItem, hv_vm_item, HV, VM_ITEM, GObject)

HvVmItem   *hv_vm_item_new              (const char *object_path);
/* Apply an a{sv} of Vm property names ("Name", "Folder", "State", …) to the item;
 * unknown keys and values of the wrong type are ignored. */
void        hv_vm_item_update           (HvVmItem *self, GVariant *properties);
/* Follow a Vm proxy: copy its cached properties now and on every change. NULL detaches. */
void        hv_vm_item_set_proxy        (HvVmItem *self, HvDbusVm *proxy);
HvDbusVm   *hv_vm_item_get_proxy        (HvVmItem *self);

const char *hv_vm_item_get_object_path  (HvVmItem *self);
const char *hv_vm_item_get_uuid         (HvVmItem *self);
const char *hv_vm_item_get_name         (HvVmItem *self);
const char *hv_vm_item_get_folder       (HvVmItem *self);
const char *hv_vm_item_get_os_id        (HvVmItem *self);
const char *hv_vm_item_get_state        (HvVmItem *self);
const char *hv_vm_item_get_state_reason (HvVmItem *self);
const char *hv_vm_item_get_accel        (HvVmItem *self);
/* Vm.AccelReason: why it does not run on KVM ("setting", "slow"…), "" when it does. */
const char *hv_vm_item_get_accel_reason (HvVmItem *self);
guint64     hv_vm_item_get_memory_mib   (HvVmItem *self);
guint       hv_vm_item_get_cpus         (HvVmItem *self);
const char *hv_vm_item_get_firmware     (HvVmItem *self);
const char *hv_vm_item_get_config_xml   (HvVmItem *self);
const char *hv_vm_item_get_config_error (HvVmItem *self);
gboolean    hv_vm_item_get_can_start    (HvVmItem *self);
gboolean    hv_vm_item_get_can_stop     (HvVmItem *self);
gboolean    hv_vm_item_get_can_pause    (HvVmItem *self);
gboolean    hv_vm_item_get_can_resume   (HvVmItem *self);
gboolean    hv_vm_item_get_can_modify   (HvVmItem *self);
/* Vm.Adapters (aa{sv}, see the D-Bus contract), or NULL from an engine without it. */
GVariant   *hv_vm_item_get_adapters     (HvVmItem *self);
/* Snapshots and save state (see the D-Bus contract; hv-engine-client-snapshots.h reads them
 * from the engine when its listing lacks them): Vm.Snapshots (aa{sv}) or NULL,
 * CurrentSnapshot, Operation ("" for none), OperationProgress (0..1, -1: unknown),
 * SavedState, CanTakeSnapshot, CanSaveState. */
GVariant   *hv_vm_item_get_snapshots         (HvVmItem *self);
const char *hv_vm_item_get_current_snapshot  (HvVmItem *self);
const char *hv_vm_item_get_operation         (HvVmItem *self);
double      hv_vm_item_get_operation_progress (HvVmItem *self);
gboolean    hv_vm_item_get_saved_state       (HvVmItem *self);
gboolean    hv_vm_item_get_can_take_snapshot (HvVmItem *self);
gboolean    hv_vm_item_get_can_save_state    (HvVmItem *self);

/* A person's word for a State value ("Running", "Powered off"…), translated. */
const char *hv_vm_item_state_label      (const char *state);
/* A symbolic icon name for a libosinfo short id, by OS family. */
const char *hv_vm_item_os_icon_name     (const char *os_id);
/* Whether the item matches a search: every word of @needle (already case-folded) is
 * found in the name, the OS id or the folder path. */
gboolean    hv_vm_item_matches          (HvVmItem *self, const char *needle);

G_END_DECLS
