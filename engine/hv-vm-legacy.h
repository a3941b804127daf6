/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-legacy.h: what a start of a VM with hardware for old guests says in its log. */
#pragma once

#include "hv-qemu-argv.h"
#include "hv-vm.h"

G_BEGIN_DECLS

/* At start: the audio backend its sound uses and why, the CPU speed limit, the test hooks. */
void hv_vm_legacy_log_start (HvVm *self, const HvQemuCaps *caps);
/* Test hook HOSTVISOR_TEST_DEBUG_EXIT only: when the guest ended a running QEMU through
 * isa-debug-exit (an odd exit status, no error last on QEMU's stderr), a clean power-off (state
 * poweroff, the reason naming the value the guest wrote); else NULL, the exit is the
 * caller's to describe. @stderr_tail: the end of QEMU's stderr. */
char *hv_vm_legacy_describe_exit (HvVm *self, const char *stderr_tail, HvVmState *state_out);
/* Modify: a VM of the win2000 or winxp profile that has run (QEMU's log exists: its OS may
 * be installed) keeps its CPU count and ACPI switch, as Windows picked its HAL for them at
 * setup. FALSE with @error when @changed changes them. */
gboolean hv_vm_legacy_check_locked (HvVm *self, const HvVmConfig *config,
                                    const HvVmConfig *changed, GError **error);

G_END_DECLS
