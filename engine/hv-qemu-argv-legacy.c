/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-argv-legacy.c: the QEMU options for old guests (see hv-qemu-argv-legacy.h).
 *
 * Facts (QEMU 7.2, checked with "info qtree" and /work/shared/research/legacy.md):
 * - isapc has ISA only: isa-ide on ide.0/ide.1, isa-fdc, i8042, isa-pcspk; its default VGA
 *   would be isa-cirrus-vga, whose snapshots abort QEMU on load, so std video is isa-vga.
 * - acpi=, hpet=, vmport= are machine properties of pc, q35 and isapc; the PC speaker plays
 *   through the machine property pcspk-audiodev= (-soundhw is deprecated).
 * - sb16's defaults are 0x220, IRQ 5, DMA 1, DMA16 5 (DSP 4.05); adlib's OPL2 answers at its
 *   iobase (0x220, so it completes the SB16) and at 0x388.
 * - -icount is TCG only; align=on holds the guest to real time. */
#include "hv-qemu-argv-legacy.h"

#include <string.h>

#include "hv-error.h"

static void
add2 (GPtrArray  *argv,
      const char *option,
      char       *value)
{
  g_ptr_array_add (argv, g_strdup (option));
  g_ptr_array_add (argv, value);
}

gboolean
hv_qemu_legacy_check_machine (const HvVmConfig *config,
                              gboolean          kvm,
                              GError          **error)
{
  if (config->hw.icount && kvm)
    return hv_refuse (error, "The CPU speed limit works only with QEMU's emulation (TCG), and "
                      "this VM is set to KVM");
  if (config->machine != HV_MACHINE_ISAPC)
    return TRUE;
  if (config->machine_type != NULL)
    return hv_refuse (error, "The isapc machine has no versioned machine types to pin");
  if (config->firmware == HV_FIRMWARE_UEFI)
    return hv_refuse (error, "The isapc machine has BIOS firmware only");
  return TRUE;
}

gboolean
hv_qemu_legacy_has_audio (const HvVmConfig *config)
{
  const HvHardware *hw = &config->hw;

  return hw->sound_enabled && (hw->sound != HV_SOUND_NONE || hw->pc_speaker);
}

gboolean
hv_qemu_legacy_wants_agent (const HvVmConfig *config)
{
  /* virtio-serial is a PCI device: isapc has none. The guest tools run on x86_64 Linux only
   * (guest-tools/README.md), and every profile is for an OS without them (DOS, Windows
   * 3.x-XP, Linux 2.x), most without any virtio driver: the port would only be an unknown
   * device in their device lists. */
  return config->machine != HV_MACHINE_ISAPC && config->hw.profile == NULL;
}

void
hv_qemu_legacy_machine_props (const HvVmConfig *config,
                              GString          *props)
{
  const HvHardware *hw = &config->hw;

  if (!hw->acpi)
    g_string_append (props, ",acpi=off");
  if (!hw->hpet)
    g_string_append (props, ",hpet=off");
  if (!hw->vmport)
    g_string_append (props, ",vmport=off");
  if (hw->pc_speaker && hv_qemu_legacy_has_audio (config))
    g_string_append (props, ",pcspk-audiodev=" HV_QEMU_AUDIODEV_ID);
}

const char *
hv_qemu_legacy_cpu_model (const HvVmConfig *config,
                          gboolean          kvm)
{
  const char *model = config->hw.cpu_model;

  if (model == NULL)
    return NULL;
  /* "host" passes the host CPU through, which only KVM can; under TCG the nearest is "max"
   * (every feature TCG emulates). */
  if (g_str_equal (model, "host") && !kvm)
    return "max";
  return model;
}

const char *
hv_qemu_legacy_audio_backend (const HvVmConfig *config,
                              const HvQemuCaps *caps)
{
  if (caps->audio_wav_dir != NULL)
    return "wav";
  if (config->hw.sound_muted || caps->audio_backend == NULL)
    return "none";
  return caps->audio_backend;
}

/* QemuOpts values end at ',' unless it is doubled. */
static char *
opt_escape (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == ',')
        g_string_append_c (out, ',');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
build_audio (const HvVmConfig *config,
             const HvQemuCaps *caps,
             GPtrArray        *argv,
             GError          **error)
{
  const char *backend = hv_qemu_legacy_audio_backend (config, caps);

  if (!hv_qemu_legacy_has_audio (config))
    return TRUE;

  if (g_str_equal (backend, "wav"))
    {
      /* The test hook: the recording is named after the VM's UUID, never its name. */
      g_autofree char *name = g_strdup_printf ("%s.wav", config->uuid);
      g_autofree char *path = g_build_filename (caps->audio_wav_dir, name, NULL);
      g_autofree char *escaped = NULL;

      if (!g_path_is_absolute (path) || !g_utf8_validate (path, -1, NULL)
          || strpbrk (path, "\n\r") != NULL)
        return hv_refuse (error, "HOSTVISOR_AUDIO_WAV_DIR must be an absolute path on one line");
      escaped = opt_escape (path);
      add2 (argv, "-audiodev", g_strdup_printf ("wav,id=" HV_QEMU_AUDIODEV_ID ",path=%s",
                                                escaped));
    }
  else if (g_str_equal (backend, "pa") || g_str_equal (backend, "alsa")
           || g_str_equal (backend, "none"))
    {
      add2 (argv, "-audiodev", g_strdup_printf ("%s,id=" HV_QEMU_AUDIODEV_ID, backend));
    }
  else
    return hv_refuse (error, "Unknown audio backend \"%s\"", backend);

  switch (config->hw.sound)
    {
    case HV_SOUND_SB16:
      add2 (argv, "-device", g_strdup ("sb16,id=sound0,iobase=0x220,irq=5,dma=1,dma16=5,"
                                       "audiodev=" HV_QEMU_AUDIODEV_ID));
      break;
    case HV_SOUND_ES1370:
      add2 (argv, "-device", g_strdup ("ES1370,id=sound0,audiodev=" HV_QEMU_AUDIODEV_ID));
      break;
    case HV_SOUND_AC97:
      add2 (argv, "-device", g_strdup ("AC97,id=sound0,audiodev=" HV_QEMU_AUDIODEV_ID));
      break;
    case HV_SOUND_HDA:
      add2 (argv, "-device", g_strdup ("intel-hda,id=sound0"));
      add2 (argv, "-device", g_strdup ("hda-duplex,id=sound0-codec0,bus=sound0.0,"
                                       "audiodev=" HV_QEMU_AUDIODEV_ID));
      break;
    case HV_SOUND_NONE:
    default:
      break;
    }
  if (config->hw.adlib && config->hw.sound == HV_SOUND_SB16)
    add2 (argv, "-device", g_strdup ("adlib,id=adlib0,iobase=0x220,"
                                     "audiodev=" HV_QEMU_AUDIODEV_ID));
  return TRUE;
}

gboolean
hv_qemu_legacy_build (const HvVmConfig *config,
                      const HvQemuCaps *caps,
                      gboolean          kvm,
                      GPtrArray        *argv,
                      GError          **error)
{
  const HvHardware *hw = &config->hw;

  if (hw->rtc == HV_RTC_LOCALTIME)
    add2 (argv, "-rtc", g_strdup ("base=localtime"));

  if (hw->icount)
    {
      if (kvm)
        return hv_refuse (error, "The CPU speed limit works only with QEMU's emulation (TCG)");
      /* Kept for the VM's life once on: QEMU cannot load an icount snapshot without icount.
       * "auto" is the limit turned off again: icount stays, the guest runs as fast as it
       * can. */
      if (hw->icount_shift == HV_ICOUNT_SHIFT_AUTO)
        add2 (argv, "-icount", g_strdup ("shift=auto"));
      else if (hw->icount_shift >= 0 && hw->icount_shift <= HV_ICOUNT_SHIFT_MAX)
        add2 (argv, "-icount", g_strdup_printf ("shift=%d,align=on", hw->icount_shift));
      else
        return hv_refuse (error, "The CPU speed limit's shift %d is out of range",
                          hw->icount_shift);
    }

  if (!build_audio (config, caps, argv, error))
    return FALSE;

  /* Test hook only (HOSTVISOR_TEST_DEBUG_EXIT=1): a guest writes to port 0xf4 and QEMU exits
   * with status (value << 1) | 1. No profile adds it. */
  if (caps->test_debug_exit)
    add2 (argv, "-device", g_strdup ("isa-debug-exit,iobase=0xf4,iosize=0x04"));
  return TRUE;
}
