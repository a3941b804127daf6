/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-caps.h: probing the host's QEMU and /dev/kvm. */
#pragma once

#include <gio/gio.h>

#include "hv-qemu-argv.h"

G_BEGIN_DECLS

/* Find qemu-system-x86_64 ($HOSTVISOR_QEMU overrides, else PATH), read its version,
 * check whether -sandbox is supported, whether /dev/kvm can be opened read-write
 * ($HOSTVISOR_NO_KVM=1 forces TCG), and find OVMF and virtiofsd (hv_virtiofsd_find()).
 * Runs QEMU briefly; call once. */
HvQemuCaps *hv_qemu_caps_probe (GError **error);

G_END_DECLS
