/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-legacy.h: what a start of a VM with hardware for old guests says in its log. */
#pragma once

#include "hv-qemu-argv.h"
#include "hv-vm.h"

G_BEGIN_DECLS

/* At start: the audio backend its sound uses and why, the CPU speed limit, the test hooks. */
void hv_vm_legacy_log_start (HvVm *self, const HvQemuCaps *caps);

G_END_DECLS
