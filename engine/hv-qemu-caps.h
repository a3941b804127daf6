/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-caps.h: probing the host's QEMU, and the object that proves its KVM. */
#pragma once

#include <gio/gio.h>

#include "hv-qemu-argv.h"

G_BEGIN_DECLS

/* Find qemu-system-x86_64 ($HOSTVISOR_QEMU overrides, else PATH), read its version,
 * check whether -sandbox is supported, and find OVMF and virtiofsd (hv_virtiofsd_find()).
 * Makes caps->kvm_probe, which learns the KVM verdict when asked (hv-kvm-probe.h:
 * $HOSTVISOR_NO_KVM=1 turns KVM off, $HOSTVISOR_KVM_DEVICE replaces /dev/kvm); caps->kvm
 * stays FALSE until a VM's start sets it from that verdict. Runs QEMU briefly; call once. */
HvQemuCaps *hv_qemu_caps_probe (GError **error);

/* Read "-machine help" output into caps->machine_types, machine_pc and machine_q35 (the
 * versioned types behind the aliases "pc" and "q35"). FALSE, changing nothing, when the text
 * lists no pc-i440fx-* or pc-q35-* type. */
gboolean hv_qemu_caps_parse_machines (HvQemuCaps *caps, const char *help_text);

/* Read "-audiodev help" output into caps->audio_drivers. FALSE when it is not that text. */
gboolean hv_qemu_caps_parse_audio_drivers (HvQemuCaps *caps, const char *help_text);
/* Choose caps->audio_backend and audio_reason: pa when QEMU has it and @pulse_server, else
 * alsa when QEMU has it and @sound_card, else none. */
void     hv_qemu_caps_choose_audio (HvQemuCaps *caps, gboolean pulse_server,
                                    gboolean sound_card);

G_END_DECLS
