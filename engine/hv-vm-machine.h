/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-machine.h: pinning a VM to a versioned QEMU machine type.
 *
 * QEMU loads a saved state or a snapshot only on the machine type it was made with, and the
 * aliases "pc" and "q35" name a newer type after each QEMU upgrade. So every VM is pinned to
 * the type its alias stands for when it is made (CreateVm), or, for a VM made before pinning
 * existed, when it first starts; config->machine_type keeps it, and the argv uses it. */
#pragma once

#include "hv-config.h"
#include "hv-qemu-argv.h"
#include "hv-vm.h"

G_BEGIN_DECLS

/* Pin @config to what its machine's alias stands for in @caps, if it is not pinned yet and
 * @caps knows that (a QEMU whose "-machine help" could not be read leaves it unpinned).
 * TRUE when it set config->machine_type. */
gboolean hv_machine_type_pin (HvVmConfig *config, const HvQemuCaps *caps);

/* The start's hook: pin an unpinned VM with the caps it starts with and save its config
 * (logged in the VM's log). FALSE only when the config cannot be saved. */
gboolean hv_vm_machine_pin_on_start (HvVm *self, const HvQemuCaps *caps, GError **error);

G_END_DECLS
