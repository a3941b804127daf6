/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-argv-legacy.h: the parts of the QEMU command line for old guests (issue 11),
 * used by hv-qemu-argv.c: machine properties, the CPU model, sound, RTC base, the CPU speed
 * limit and the test hooks. Pure functions of the config and the caps, like the rest of
 * the argv. */
#pragma once

#include <glib.h>

#include "hv-config.h"
#include "hv-qemu-argv.h"

G_BEGIN_DECLS

/* The audiodev all the VM's sound devices share. */
#define HV_QEMU_AUDIODEV_ID "snd0"

/* What cannot be built on this machine/accelerator: isapc with UEFI, or pinned; the speed
 * limit under KVM. */
gboolean    hv_qemu_legacy_check_machine  (const HvVmConfig *config, gboolean kvm,
                                           GError **error);
/* ",acpi=off,hpet=off,vmport=off,pcspk-audiodev=snd0" as the config asks; "" for a VM with
 * the defaults. */
void        hv_qemu_legacy_machine_props  (const HvVmConfig *config, GString *props);
/* The -cpu value: NULL for the engine's default choice. */
const char *hv_qemu_legacy_cpu_model      (const HvVmConfig *config, gboolean kvm);
/* Whether the VM gets an audiodev (a sound card or the PC speaker, sound enabled). */
gboolean    hv_qemu_legacy_has_audio      (const HvVmConfig *config);
/* Whether the VM gets the guest agent's virtio-serial port: not on isapc (no PCI), not for a
 * VM made from a hardware profile (old OSes, none of which the guest tools run on). */
gboolean    hv_qemu_legacy_wants_agent    (const HvVmConfig *config);
/* The audio backend the VM's audiodev uses: "wav" (the test hook caps->audio_wav_dir),
 * "none" when muted, else caps->audio_backend ("pa", "alsa" or "none"). */
const char *hv_qemu_legacy_audio_backend  (const HvVmConfig *config, const HvQemuCaps *caps);
/* -rtc, -icount, -audiodev and the sound devices, and the test hook isa-debug-exit. */
gboolean    hv_qemu_legacy_build          (const HvVmConfig *config, const HvQemuCaps *caps,
                                           gboolean kvm, GPtrArray *argv, GError **error);

G_END_DECLS
