/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-config-hardware.c: the hardware settings for old guests (issue 11): CPU model, sound,
 * chipset switches, RTC base, video memory, the CPU speed limit and the profile a VM was
 * made from; their rules, and their part of vm.xml.
 *
 * In vm.xml they are optional elements at the end of <system>, each written only when some
 * attribute differs from its default, attributes at their defaults left out:
 *   <cpu model="486"/>
 *   <sound device="sb16" enabled="true" muted="false" adlib="true" speaker="true"/>
 *   <chipset acpi="off" hpet="off" usb="off" tablet="off" vmport="off" rtc="localtime"/>
 *   <speed-limit shift="7"/>          (shift="auto": kept on, unlimited)
 *   <profile name="dos"/>
 * and <video model="std" vram="8"/>. A config written before they existed has none of them
 * and keeps its exact bytes when saved again. */
#include "hv-config.h"
#include "hv-config-private.h"

#include <string.h>

#include "hv-error.h"

static const char * const sound_names[] = {
  [HV_SOUND_NONE] = "none",
  [HV_SOUND_SB16] = "sb16",
  [HV_SOUND_ES1370] = "es1370",
  [HV_SOUND_AC97] = "ac97",
  [HV_SOUND_HDA] = "hda",
};

static const char * const rtc_names[] = {
  [HV_RTC_UTC] = "utc",
  [HV_RTC_LOCALTIME] = "localtime",
};

/* QEMU's names; "host" is passed through under KVM and becomes "max" under TCG. */
static const char * const cpu_models[] = {
  "486", "pentium", "pentium2", "pentium3", "qemu32", "qemu64", "max", "host",
};

/* The speed limit presets, measured under TCG on QEMU 7.2 (research/legacy.md §2): shift 9
 * runs about 2 M instructions a second, 7 about 7.8 M, 5 about 31 M, 3 about 125 M. */
static const struct {
  const char *name;
  int shift;
} cpu_limit_presets[] = {
  { "386", 9 },
  { "486", 7 },
  { "pentium", 5 },
  { "pentium2", 3 },
};

void
hv_hardware_init (HvHardware *hw)
{
  memset (hw, 0, sizeof *hw);
  hw->sound = HV_SOUND_NONE;
  hw->sound_enabled = TRUE;
  hw->rtc = HV_RTC_UTC;
  hw->acpi = TRUE;
  hw->hpet = TRUE;
  hw->usb = TRUE;
  hw->tablet = TRUE;
  hw->vmport = TRUE;
  hw->icount_shift = 0;
}

void
hv_hardware_copy (HvHardware       *dest,
                  const HvHardware *src)
{
  *dest = *src;
  dest->cpu_model = g_strdup (src->cpu_model);
  dest->profile = g_strdup (src->profile);
}

void
hv_hardware_clear (HvHardware *hw)
{
  g_clear_pointer (&hw->cpu_model, g_free);
  g_clear_pointer (&hw->profile, g_free);
}

static gboolean
lookup (const char * const *names,
        guint               n,
        const char         *s,
        guint              *out)
{
  for (guint i = 0; s != NULL && i < n; i++)
    {
      if (names[i] != NULL && g_str_equal (names[i], s))
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
hv_sound_device_to_string (HvSoundDevice v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (sound_names), NULL);
  return sound_names[v];
}

gboolean
hv_sound_device_from_string (const char    *s,
                             HvSoundDevice *out)
{
  guint v;

  if (!lookup (sound_names, G_N_ELEMENTS (sound_names), s, &v))
    return FALSE;
  if (out != NULL)
    *out = (HvSoundDevice) v;
  return TRUE;
}

const char *
hv_rtc_base_to_string (HvRtcBase v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (rtc_names), NULL);
  return rtc_names[v];
}

gboolean
hv_rtc_base_from_string (const char *s,
                         HvRtcBase  *out)
{
  guint v;

  if (!lookup (rtc_names, G_N_ELEMENTS (rtc_names), s, &v))
    return FALSE;
  if (out != NULL)
    *out = (HvRtcBase) v;
  return TRUE;
}

gboolean
hv_cpu_model_is_valid (const char *model)
{
  guint v;

  return lookup (cpu_models, G_N_ELEMENTS (cpu_models), model, &v);
}

gboolean
hv_profile_name_is_valid (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len < 1 || len > HV_PROFILE_NAME_MAX_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]))
        return FALSE;
    }
  return TRUE;
}

int
hv_cpu_limit_preset_shift (const char *preset)
{
  for (guint i = 0; preset != NULL && i < G_N_ELEMENTS (cpu_limit_presets); i++)
    {
      if (g_str_equal (cpu_limit_presets[i].name, preset))
        return cpu_limit_presets[i].shift;
    }
  return -2;
}

const char *
hv_cpu_limit_preset_name (int shift)
{
  for (guint i = 0; i < G_N_ELEMENTS (cpu_limit_presets); i++)
    {
      if (cpu_limit_presets[i].shift == shift)
        return cpu_limit_presets[i].name;
    }
  return NULL;
}

static gboolean
is_power_of_two (guint v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

/* The isapc machine has an ISA bus only: no PCI, so no USB, no PCI cards, no virtio. */
static gboolean
validate_isapc (const HvVmConfig *config,
                GError          **error)
{
  const HvHardware *hw = &config->hw;

  if (config->firmware == HV_FIRMWARE_UEFI)
    return hv_refuse (error, "The isapc machine has BIOS firmware only; use firmware bios, or "
                      "the pc or q35 machine for UEFI");
  if (hw->usb)
    return hv_refuse (error, "The isapc machine has no PCI bus and so no USB; turn USB off "
                      "(--usb off), or use the pc machine");
  if (config->video == HV_VIDEO_VIRTIO)
    return hv_refuse (error, "The isapc machine has no PCI bus for virtio video; use std");
  if (config->video == HV_VIDEO_CIRRUS)
    return hv_refuse (error, "On the isapc machine use std video: QEMU 7.2's ISA Cirrus card "
                      "makes QEMU abort when a snapshot is restored");
  if (hw->sound != HV_SOUND_NONE && hw->sound != HV_SOUND_SB16)
    return hv_refuse (error, "The %s sound card is a PCI card, and the isapc machine has no PCI "
                      "bus; use sb16 (or the pc machine)", hv_sound_device_to_string (hw->sound));
  for (guint i = 0; config->drives != NULL && i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);

      if (drive != NULL && drive->bus == HV_DRIVE_BUS_VIRTIO)
        return hv_refuse (error, "drive %u: the isapc machine has no PCI bus for virtio "
                          "disks; use ide", i + 1);
    }
  for (guint i = 0; config->nics != NULL && i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);

      if (nic != NULL && nic->enabled && g_strcmp0 (nic->model, "ne2k_isa") != 0)
        return hv_refuse (error, "adapter %u: the isapc machine has no PCI bus, so its only "
                          "network card is ne2k_isa (or turn the adapter off)", i + 1);
    }
  if (config->shares != NULL && config->shares->len > 0)
    return hv_refuse (error, "The isapc machine has no PCI bus for shared folders");
  return TRUE;
}

gboolean
hv_hardware_validate (const HvVmConfig *config,
                      GError          **error)
{
  const HvHardware *hw = &config->hw;

  if ((guint) hw->sound > HV_SOUND_HDA || (guint) hw->rtc > HV_RTC_LOCALTIME)
    return hv_refuse (error, "Unknown sound device or RTC base");
  if (hw->cpu_model != NULL && !hv_cpu_model_is_valid (hw->cpu_model))
    {
      g_autofree char *shown = hv_config_escape_for_display (hw->cpu_model);

      return hv_refuse (error, "Unknown CPU model \"%.40s\" (486, pentium, pentium2, pentium3, "
                        "qemu32, qemu64, max or host)", shown);
    }
  if (hw->profile != NULL && !hv_profile_name_is_valid (hw->profile))
    return hv_refuse (error, "A profile name is 1 to %d lower-case letters and digits",
                      HV_PROFILE_NAME_MAX_LEN);
  if (hw->icount_shift != HV_ICOUNT_SHIFT_AUTO
      && (hw->icount_shift < 0 || hw->icount_shift > HV_ICOUNT_SHIFT_MAX))
    return hv_refuse (error, "The CPU speed limit's shift %d is out of range (0 to %d)",
                      hw->icount_shift, HV_ICOUNT_SHIFT_MAX);
  if (hw->icount && config->acceleration == HV_ACCELERATION_KVM)
    return hv_refuse (error, "The CPU speed limit works only with QEMU's emulation (TCG), and "
                      "this VM is set to KVM; set acceleration to auto or tcg, or leave the "
                      "speed limit off");

  if (hw->tablet && !hw->usb)
    return hv_refuse (error, "A USB tablet needs USB: turn USB on (--usb on) or use the PS/2 "
                      "mouse (--tablet off)");

  if (config->machine == HV_MACHINE_Q35 && hw->sound == HV_SOUND_SB16)
    return hv_refuse (error, "The Sound Blaster 16 is an ISA card for old guests, which the q35 "
                      "machine is not made for; use hda or ac97 on q35, or the pc or isapc "
                      "machine for sb16");
  if (config->machine == HV_MACHINE_Q35 && (hw->adlib || hw->pc_speaker))
    return hv_refuse (error, "The AdLib and the PC speaker are for old guests on the pc or isapc "
                      "machine, not q35");
  if (hw->adlib && hw->sound != HV_SOUND_SB16)
    return hv_refuse (error, "The AdLib (OPL2) comes with the sb16 sound card");

  switch (config->video)
    {
    case HV_VIDEO_STD:
      if (hw->vram_mib != 0 && (!is_power_of_two (hw->vram_mib) || hw->vram_mib > 256))
        return hv_refuse (error, "std video memory is a power of two from 1 to 256 MiB, not %u",
                          hw->vram_mib);
      break;
    case HV_VIDEO_CIRRUS:
      if (hw->vram_mib != 0 && hw->vram_mib != 4 && hw->vram_mib != 8 && hw->vram_mib != 16)
        return hv_refuse (error, "Cirrus video memory is 4, 8 or 16 MiB, not %u", hw->vram_mib);
      break;
    default:
      if (hw->vram_mib != 0)
        return hv_refuse (error, "Only std and cirrus video take a video memory size");
      break;
    }

  if (config->machine == HV_MACHINE_ISAPC)
    return validate_isapc (config, error);
  return TRUE;
}

int
hv_config_find_removable (const HvVmConfig *config,
                          HvDriveKind       kind,
                          guint             unit,
                          GError          **error)
{
  guint seen = 0;

  for (guint i = 0; config->drives != NULL && i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);

      if (drive->kind == kind && seen++ == unit)
        return (int) i;
    }
  if (seen == unit)
    return -1;
  hv_refuse (error, kind == HV_DRIVE_FLOPPY
             ? "There is no floppy in drive A:, so there can be no drive B:; insert a floppy into "
               "A: first"
             : "There is no such drive");
  return -2;
}

/* The XML form (called by hv-config-xml.c, which checks elements and reports lines). */

static const char * const cpu_attrs[] = { "model", NULL };
static const char * const sound_attrs[] = { "device", "enabled", "muted", "adlib", "speaker",
                                            NULL };
static const char * const chipset_attrs[] = { "acpi", "hpet", "usb", "tablet", "vmport", "rtc",
                                              NULL };
static const char * const speed_attrs[] = { "shift", NULL };
static const char * const profile_attrs[] = { "name", NULL };

const char * const *
hv_hardware_xml_attributes (const char *element)
{
  if (g_str_equal (element, "cpu"))
    return cpu_attrs;
  if (g_str_equal (element, "sound"))
    return sound_attrs;
  if (g_str_equal (element, "chipset"))
    return chipset_attrs;
  if (g_str_equal (element, "speed-limit"))
    return speed_attrs;
  if (g_str_equal (element, "profile"))
    return profile_attrs;
  return NULL;
}

/* <sound>'s switches are "true"/"false" (as <drive readonly=>), <chipset>'s "on"/"off". */
static gboolean
set_switch (const char  *value,
            gboolean    *out,
            gboolean     on_off,
            const char **expected)
{
  const char *on = on_off ? "on" : "true";
  const char *off = on_off ? "off" : "false";

  *expected = on_off ? "on or off" : "true or false";
  if (g_str_equal (value, on))
    *out = TRUE;
  else if (g_str_equal (value, off))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_small_number (const char *value,
                    guint       max,
                    guint      *out)
{
  guint64 v;

  if (value[0] == '\0' || strspn (value, "0123456789") != strlen (value) || strlen (value) > 4)
    return FALSE;
  v = g_ascii_strtoull (value, NULL, 10);
  if (v > max)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

gboolean
hv_hardware_xml_set (HvHardware  *hw,
                     const char  *element,
                     const char  *attribute,
                     const char  *value,
                     const char **expected)
{
  guint n;

  if (g_str_equal (element, "video") && g_str_equal (attribute, "vram"))
    {
      *expected = "a size in MiB from 1 to 256";
      if (!parse_small_number (value, 256, &n) || n == 0)
        return FALSE;
      hw->vram_mib = n;
      return TRUE;
    }
  if (g_str_equal (element, "cpu"))
    {
      *expected = "486, pentium, pentium2, pentium3, qemu32, qemu64, max or host";
      if (!hv_cpu_model_is_valid (value))
        return FALSE;
      g_free (hw->cpu_model);
      hw->cpu_model = g_strdup (value);
      return TRUE;
    }
  if (g_str_equal (element, "sound"))
    {
      if (g_str_equal (attribute, "device"))
        {
          *expected = "none, sb16, es1370, ac97 or hda";
          return hv_sound_device_from_string (value, &hw->sound);
        }
      if (g_str_equal (attribute, "enabled"))
        return set_switch (value, &hw->sound_enabled, FALSE, expected);
      if (g_str_equal (attribute, "muted"))
        return set_switch (value, &hw->sound_muted, FALSE, expected);
      if (g_str_equal (attribute, "adlib"))
        return set_switch (value, &hw->adlib, FALSE, expected);
      if (g_str_equal (attribute, "speaker"))
        return set_switch (value, &hw->pc_speaker, FALSE, expected);
    }
  if (g_str_equal (element, "chipset"))
    {
      if (g_str_equal (attribute, "rtc"))
        {
          *expected = "utc or localtime";
          return hv_rtc_base_from_string (value, &hw->rtc);
        }
      if (g_str_equal (attribute, "acpi"))
        return set_switch (value, &hw->acpi, TRUE, expected);
      if (g_str_equal (attribute, "hpet"))
        return set_switch (value, &hw->hpet, TRUE, expected);
      if (g_str_equal (attribute, "usb"))
        return set_switch (value, &hw->usb, TRUE, expected);
      if (g_str_equal (attribute, "tablet"))
        return set_switch (value, &hw->tablet, TRUE, expected);
      if (g_str_equal (attribute, "vmport"))
        return set_switch (value, &hw->vmport, TRUE, expected);
    }
  if (g_str_equal (element, "speed-limit") && g_str_equal (attribute, "shift"))
    {
      *expected = "auto or a number from 0 to 10";
      if (g_str_equal (value, "auto"))
        hw->icount_shift = HV_ICOUNT_SHIFT_AUTO;
      else if (parse_small_number (value, HV_ICOUNT_SHIFT_MAX, &n))
        hw->icount_shift = (int) n;
      else
        return FALSE;
      hw->icount = TRUE;
      return TRUE;
    }
  if (g_str_equal (element, "profile") && g_str_equal (attribute, "name"))
    {
      *expected = "1 to 32 lower-case letters and digits";
      if (!hv_profile_name_is_valid (value))
        return FALSE;
      g_free (hw->profile);
      hw->profile = g_strdup (value);
      return TRUE;
    }
  *expected = "nothing (unknown attribute)";
  return FALSE;
}

/* Every value written here is one of the known words or a number (checked on the way in),
 * so none needs XML escaping. */
static void
attr (GString    *out,
      const char *name,
      const char *value)
{
  g_string_append_printf (out, " %s=\"%s\"", name, value);
}

void
hv_hardware_xml_append (GString          *out,
                        const HvHardware *hw)
{
  if (hw->cpu_model != NULL)
    g_string_append_printf (out, "    <cpu model=\"%s\"/>\n", hw->cpu_model);

  if (hw->sound != HV_SOUND_NONE || !hw->sound_enabled || hw->sound_muted || hw->adlib
      || hw->pc_speaker)
    {
      g_string_append (out, "    <sound");
      attr (out, "device", hv_sound_device_to_string (hw->sound));
      if (!hw->sound_enabled)
        attr (out, "enabled", "false");
      if (hw->sound_muted)
        attr (out, "muted", "true");
      if (hw->adlib)
        attr (out, "adlib", "true");
      if (hw->pc_speaker)
        attr (out, "speaker", "true");
      g_string_append (out, "/>\n");
    }

  if (!hw->acpi || !hw->hpet || !hw->usb || !hw->tablet || !hw->vmport
      || hw->rtc != HV_RTC_UTC)
    {
      g_string_append (out, "    <chipset");
      if (!hw->acpi)
        attr (out, "acpi", "off");
      if (!hw->hpet)
        attr (out, "hpet", "off");
      if (!hw->usb)
        attr (out, "usb", "off");
      if (!hw->tablet)
        attr (out, "tablet", "off");
      if (!hw->vmport)
        attr (out, "vmport", "off");
      if (hw->rtc != HV_RTC_UTC)
        attr (out, "rtc", hv_rtc_base_to_string (hw->rtc));
      g_string_append (out, "/>\n");
    }

  if (hw->icount)
    {
      if (hw->icount_shift == HV_ICOUNT_SHIFT_AUTO)
        g_string_append (out, "    <speed-limit shift=\"auto\"/>\n");
      else
        g_string_append_printf (out, "    <speed-limit shift=\"%d\"/>\n", hw->icount_shift);
    }

  if (hw->profile != NULL)
    g_string_append_printf (out, "    <profile name=\"%s\"/>\n", hw->profile);
}
