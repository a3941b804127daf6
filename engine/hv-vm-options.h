/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-options.h: turning the a{sv} options of CreateVm and Modify into a config. */
#pragma once

#include <glib.h>

#include "hv-config.h"
#include "hv-types.h"

G_BEGIN_DECLS

/* The largest new disk, in GiB (CreateVm's and Modify's "disk-size"). */
#define HV_VM_MAX_DISK_GIB (64 * 1024)

typedef struct {
  guint64 new_disk_gib;   /* > 0: create vm_dir/disk0.qcow2 of this size */
} HvVmOptionsPlan;

/* Build a new VM's config from its name and CreateVm options: libosinfo's
 * recommendations for "os" first, then each explicit option. Fails with
 * HV_ERROR_INVALID_ARGUMENT naming the option. */
HvVmConfig *hv_vm_options_create (const char *name, GVariant *options, HvVmOptionsPlan *plan,
                                  GError **error);

/* Apply Modify options to a copy of `config`. `running`: options that need the VM
 * powered off fail with HV_ERROR_INVALID_STATE naming the option. */
HvVmConfig *hv_vm_options_modify (const HvVmConfig *config, GVariant *options,
                                  gboolean running, GError **error);

/* Whether @options has Modify's adapter keys ("nicN", "nicN-…"); @cable_only: "nicN-cable". */
gboolean    hv_vm_options_has_nic_keys (GVariant *options, gboolean cable_only);

/* Whether QEMU could start @config on this host, by the argv builder's own rules
 * (hv_qemu_argv_check()): e.g. an ne2k_isa adapter on the q35 machine, UEFI without OVMF.
 * CreateVm and Modify call it on the new config so that such a VM is refused up front, with
 * the builder's message, not at its next start. @before: for Modify, the config before the
 * change; a problem that it had already (the same message) does not block the change.
 * @caps NULL (no QEMU found): TRUE. */
gboolean    hv_vm_options_check_startable (const HvVmConfig *config, const HvVmConfig *before,
                                           const HvQemuCaps *caps, GError **error);

/* hv-vm-options-legacy.c: the options for old guests ("profile", "cpu-model", "sound",
 * "sound-enabled", "sound-muted", "adlib", "pc-speaker", "vram", "rtc", "acpi", "hpet", "usb",
 * "tablet", "vmport", "cpu-limit", "floppy-b", "remove-floppy-b"). */
gboolean    hv_vm_options_apply_profile (HvVmConfig *config, const char *name,
                                         guint64 *disk_gib, GError **error);
gboolean    hv_vm_options_apply_hardware (HvVmConfig *config, GVariant *options, GError **error);
/* After "machine" changed from @before: a VM that became isapc (no PCI) loses USB and the
 * tablet, gets std video and its first adapter becomes an ne2k_isa (the others turned off),
 * each unless @options set it. */
void        hv_vm_options_machine_changed (HvVmConfig *config, GVariant *options,
                                           HvMachine before);
/* The profile's limits (hw.profile): memory, and @disk_gib for a new disk (0: none). */
gboolean    hv_vm_options_check_profile_limits (const HvVmConfig *config, guint64 disk_gib,
                                                GError **error);

G_END_DECLS
