/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-options-legacy.c: CreateVm's and Modify's options for old guests (issue 11): the
 * hardware profile, CPU model, sound, chipset switches, RTC, video memory, the CPU speed
 * limit and floppy B:. See hv-vm-options.h. */
#include "hv-vm-options.h"

#include <string.h>

#include "hv-error.h"
#include "hv-image-check.h"
#include "hv-profiles.h"

gboolean
hv_vm_options_apply_profile (HvVmConfig *config,
                             const char *name,
                             guint64    *disk_gib,
                             GError    **error)
{
  g_autoptr(HvProfile) profile = hv_profile_load (name, error);

  if (profile == NULL)
    return FALSE;
  hv_profile_apply (profile, config);
  if (disk_gib != NULL)
    *disk_gib = profile->disk_gib;
  return TRUE;
}

gboolean
hv_vm_options_check_profile_limits (const HvVmConfig *config,
                                    guint64           disk_gib,
                                    GError          **error)
{
  g_autoptr(HvProfile) profile = NULL;

  if (config->hw.profile == NULL)
    return TRUE;
  /* A profile that is gone (renamed, uninstalled) no longer limits anything. */
  profile = hv_profile_load (config->hw.profile, NULL);
  if (profile == NULL)
    return TRUE;
  if (config->memory_mib > profile->memory_max_mib)
    return hv_refuse (error, "%s copes with at most %" G_GUINT64_FORMAT " MiB of memory (the %s "
                      "profile's limit; see docs/legacy.md)", profile->description,
                      profile->memory_max_mib, profile->name);
  if (disk_gib > profile->disk_max_gib)
    return hv_refuse (error, "%s copes with disks of at most %" G_GUINT64_FORMAT " GiB (the %s "
                      "profile's limit; see docs/legacy.md)", profile->description,
                      profile->disk_max_gib, profile->name);
  return TRUE;
}

static gboolean
lookup_string (GVariant    *options,
               const char  *key,
               const char **out)
{
  return g_variant_lookup (options, key, "&s", out);
}

/* The switches: option key → field. */
typedef struct {
  const char *key;
  gsize offset;
} Switch;

static const Switch switches[] = {
  { "sound-enabled", G_STRUCT_OFFSET (HvHardware, sound_enabled) },
  { "sound-muted", G_STRUCT_OFFSET (HvHardware, sound_muted) },
  { "adlib", G_STRUCT_OFFSET (HvHardware, adlib) },
  { "pc-speaker", G_STRUCT_OFFSET (HvHardware, pc_speaker) },
  { "acpi", G_STRUCT_OFFSET (HvHardware, acpi) },
  { "hpet", G_STRUCT_OFFSET (HvHardware, hpet) },
  { "usb", G_STRUCT_OFFSET (HvHardware, usb) },
  { "tablet", G_STRUCT_OFFSET (HvHardware, tablet) },
  { "vmport", G_STRUCT_OFFSET (HvHardware, vmport) },
};

static gboolean
apply_cpu_limit (HvHardware  *hw,
                 const char  *value,
                 GError     **error)
{
  int shift;

  if (g_str_equal (value, "off"))
    {
      /* Once on, icount stays for the VM's life (QEMU cannot load an icount snapshot
       * without it): "off" keeps it with shift=auto, as fast as the host can go. */
      if (hw->icount)
        hw->icount_shift = HV_ICOUNT_SHIFT_AUTO;
      return TRUE;
    }
  shift = hv_cpu_limit_preset_shift (value);
  if (shift < 0)
    {
      g_autofree char *shown = hv_config_escape_for_display (value);

      return hv_refuse (error, "Unknown CPU speed limit \"%.40s\" (386, 486, pentium, pentium2 or "
                        "off)", shown);
    }
  hw->icount = TRUE;
  hw->icount_shift = shift;
  return TRUE;
}

/* floppy-b: the second floppy drive gets the image; A: must have one. */
static gboolean
apply_floppy_b (HvVmConfig  *config,
                GVariant    *options,
                GError     **error)
{
  const char *path;
  gboolean remove = FALSE;
  int index;

  if (g_variant_lookup (options, "remove-floppy-b", "b", &remove) && remove)
    {
      index = hv_config_find_removable (config, HV_DRIVE_FLOPPY, 1, NULL);
      if (index >= 0)
        g_ptr_array_remove_index (config->drives, (guint) index);
    }
  if (!lookup_string (options, "floppy-b", &path))
    return TRUE;
  if (!hv_image_check (HV_IMAGE_FLOPPY, path, error))
    return FALSE;
  index = hv_config_find_removable (config, HV_DRIVE_FLOPPY, 1, error);
  if (index == -2)
    return FALSE;
  if (index >= 0)
    {
      HvDrive *drive = g_ptr_array_index (config->drives, (guint) index);

      g_free (drive->path);
      drive->path = g_strdup (path);
    }
  else
    g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC,
                                                   HV_DISK_FORMAT_RAW, path));
  return TRUE;
}

gboolean
hv_vm_options_apply_hardware (HvVmConfig  *config,
                              GVariant    *options,
                              GError     **error)
{
  HvHardware *hw = &config->hw;
  const char *s;
  guint32 u32;
  gboolean flag;

  if (lookup_string (options, "cpu-model", &s))
    {
      if (s[0] != '\0' && !hv_cpu_model_is_valid (s))
        {
          g_autofree char *shown = hv_config_escape_for_display (s);

          return hv_refuse (error, "Unknown CPU model \"%.40s\" (486, pentium, pentium2, "
                            "pentium3, qemu32, qemu64, max, host, or \"\" for the default)",
                            shown);
        }
      g_free (hw->cpu_model);
      hw->cpu_model = s[0] != '\0' ? g_strdup (s) : NULL;
    }
  if (lookup_string (options, "sound", &s))
    {
      if (!hv_sound_device_from_string (s, &hw->sound))
        {
          g_autofree char *shown = hv_config_escape_for_display (s);

          return hv_refuse (error, "Unknown sound card \"%.40s\" (sb16, es1370, ac97, hda or "
                            "none)", shown);
        }
      /* The AdLib belongs to the Sound Blaster: it comes and goes with it unless the
       * options say otherwise. */
      if (!g_variant_lookup (options, "adlib", "b", &flag))
        hw->adlib = hw->sound == HV_SOUND_SB16;
    }
  for (guint i = 0; i < G_N_ELEMENTS (switches); i++)
    {
      if (g_variant_lookup (options, switches[i].key, "b", &flag))
        G_STRUCT_MEMBER (gboolean, hw, switches[i].offset) = flag;
    }
  /* Without USB there is no tablet: turning USB off takes the tablet with it unless the
   * options name the tablet too (and then validation says what is wrong). */
  if (g_variant_lookup (options, "usb", "b", &flag) && !flag
      && !g_variant_lookup (options, "tablet", "b", &flag))
    hw->tablet = FALSE;
  if (lookup_string (options, "rtc", &s) && !hv_rtc_base_from_string (s, &hw->rtc))
    return hv_refuse (error, "Unknown RTC base (utc or localtime)");
  if (g_variant_lookup (options, "vram", "u", &u32))
    {
      if (u32 > 256)
        return hv_refuse (error, "Video memory is at most 256 MiB");
      hw->vram_mib = u32;
    }
  if (lookup_string (options, "cpu-limit", &s) && !apply_cpu_limit (hw, s, error))
    return FALSE;
  return apply_floppy_b (config, options, error);
}

void
hv_vm_options_machine_changed (HvVmConfig *config,
                               GVariant   *options,
                               HvMachine   before)
{
  gboolean flag;

  if (config->machine != HV_MACHINE_ISAPC || before == HV_MACHINE_ISAPC)
    return;
  /* isapc has no PCI: no USB, so no tablet; std video as isa-vga; one ISA network card.
   * Whatever the options name themselves stays as they say (and is refused if it cannot
   * work). */
  if (!g_variant_lookup (options, "usb", "b", &flag))
    config->hw.usb = FALSE;
  if (!g_variant_lookup (options, "tablet", "b", &flag))
    config->hw.tablet = FALSE;
  if (!g_variant_lookup (options, "video", "&s", NULL) && config->video != HV_VIDEO_NONE)
    config->video = HV_VIDEO_STD;
  if (!g_variant_lookup (options, "nic-model", "&s", NULL))
    {
      gboolean first = TRUE;

      for (guint i = 0; config->nics != NULL && i < config->nics->len; i++)
        {
          HvNic *nic = g_ptr_array_index (config->nics, i);

          if (!nic->enabled)
            continue;
          if (first)
            {
              g_free (nic->model);
              nic->model = g_strdup ("ne2k_isa");
              first = FALSE;
            }
          else
            nic->enabled = FALSE;   /* only one NE2000 fits at 0x300 */
        }
    }
}
