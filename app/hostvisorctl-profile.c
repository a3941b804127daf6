/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-profile.c: "profile list" and "profile show": the hardware profiles for old
 * guests. They are data files installed with Hostvisor (engine/hv-profiles.h), read here
 * directly, as the engine reads them at create. */
#include "hv-build-config.h"
#include <inttypes.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "hostvisorctl.h"
#include "hv-profiles.h"

static void
add_member (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
profile_to_json (JsonBuilder     *b,
                 const HvProfile *p)
{
  g_autofree char *summary = hv_profile_summary (p);

  json_builder_begin_object (b);
  add_member (b, "name", p->name);
  add_member (b, "description", p->description);
  add_member (b, "summary", summary);
  json_builder_set_member_name (b, "os_ids");
  json_builder_begin_array (b);
  for (guint i = 0; p->os_ids[i] != NULL; i++)
    json_builder_add_string_value (b, p->os_ids[i]);
  json_builder_end_array (b);
  add_member (b, "machine", hv_machine_to_string (p->machine));
  add_member (b, "cpu_model", p->cpu_model);
  add_int (b, "memory_mib", (gint64) p->memory_mib);
  add_int (b, "memory_max_mib", (gint64) p->memory_max_mib);
  add_int (b, "cpus", p->cpus);
  add_member (b, "video", hv_video_to_string (p->video));
  add_int (b, "vram_mib", p->vram_mib);
  add_member (b, "sound", hv_sound_device_to_string (p->sound));
  add_bool (b, "adlib", p->adlib);
  add_bool (b, "pc_speaker", p->pc_speaker);
  add_member (b, "nic_model", p->nic_model);
  add_int (b, "disk_gib", (gint64) p->disk_gib);
  add_int (b, "disk_max_gib", (gint64) p->disk_max_gib);
  add_member (b, "rtc", hv_rtc_base_to_string (p->rtc));
  add_bool (b, "acpi", p->acpi);
  add_bool (b, "hpet", p->hpet);
  add_bool (b, "usb", p->usb);
  add_bool (b, "tablet", p->tablet);
  add_bool (b, "vmport", p->vmport);
  add_member (b, "boot", p->boot_order);
  add_member (b, "cpu_limit", p->cpu_limit_shift >= 0
                              ? hv_cpu_limit_preset_name (p->cpu_limit_shift) : NULL);
  add_member (b, "acceleration", hv_acceleration_to_string (p->acceleration));
  json_builder_end_object (b);
}

static const char *
on_off (gboolean value)
{
  return value ? _("on") : _("off");
}

gboolean
hv_ctl_cmd_profile_list (HvCtl      *ctl,
                         HvCtlArgs  *args,
                         GError    **error)
{
  g_autoptr(GPtrArray) profiles = hv_profiles_list (error);

  if (profiles == NULL)
    return FALSE;
  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < profiles->len; i++)
        profile_to_json (b, g_ptr_array_index (profiles, i));
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      hv_ctl_print_json (root);
      return TRUE;
    }
  for (guint i = 0; i < profiles->len; i++)
    {
      const HvProfile *p = g_ptr_array_index (profiles, i);
      g_autofree char *summary = hv_profile_summary (p);

      g_print ("%-8s  %s: %s\n", p->name, p->description, summary);
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_profile_show (HvCtl      *ctl,
                         HvCtlArgs  *args,
                         GError    **error)
{
  g_autoptr(HvProfile) p = hv_profile_load (hv_ctl_args_positional (args, 0), error);
  g_autofree char *summary = NULL;
  g_autofree char *oses = NULL;

  if (p == NULL)
    return FALSE;
  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      profile_to_json (b, p);
      root = json_builder_get_root (b);
      hv_ctl_print_json (root);
      return TRUE;
    }
  summary = hv_profile_summary (p);
  oses = g_strjoinv (", ", p->os_ids);
  g_print (_("Profile:       %s (%s)\n"), p->name, p->description);
  g_print (_("In short:      %s\n"), summary);
  g_print (_("For OS ids:    %s\n"), oses);
  g_print (_("Machine:       %s\n"), hv_machine_to_string (p->machine));
  g_print (_("CPU model:     %s\n"), p->cpu_model != NULL ? p->cpu_model : _("default"));
  g_print (_("Memory:        %" PRIu64 " MiB (at most %" PRIu64 " MiB)\n"),
           (uint64_t) p->memory_mib, (uint64_t) p->memory_max_mib);
  g_print (_("CPUs:          %u\n"), p->cpus);
  g_print (_("Video:         %s, %u MiB\n"), hv_video_to_string (p->video), p->vram_mib);
  g_print (_("Sound:         %s, AdLib %s, PC speaker %s\n"),
           hv_sound_device_to_string (p->sound), on_off (p->adlib), on_off (p->pc_speaker));
  g_print (_("Network card:  %s\n"), p->nic_model);
  g_print (_("Disk:          %" PRIu64 " GiB (at most %" PRIu64 " GiB)\n"),
           (uint64_t) p->disk_gib, (uint64_t) p->disk_max_gib);
  g_print (_("RTC:           %s\n"), hv_rtc_base_to_string (p->rtc));
  g_print (_("ACPI %s, HPET %s, USB %s, tablet %s, vmport %s\n"), on_off (p->acpi),
           on_off (p->hpet), on_off (p->usb), on_off (p->tablet), on_off (p->vmport));
  g_print (_("Boot order:    %s\n"), p->boot_order);
  g_print (_("Speed limit:   %s\n"), p->cpu_limit_shift >= 0
           ? hv_cpu_limit_preset_name (p->cpu_limit_shift) : _("off"));
  g_print (_("Acceleration:  %s\n"), hv_acceleration_to_string (p->acceleration));
  return TRUE;
}

static void
print_line (const char *label,
            const char *value)
{
  g_autofree char *with_colon = g_strdup_printf ("%s:", label);

  g_print ("%-15s %s\n", with_colon, value);
}

void
hv_ctl_print_hardware (const HvVmConfig *config)
{
  const HvHardware *hw = &config->hw;
  g_autofree char *sound = NULL;
  g_autofree char *chipset = NULL;
  g_autofree char *limit = NULL;

  if (hw->profile != NULL)
    print_line (_("Profile"), hw->profile);
  print_line (_("CPU model"), hw->cpu_model != NULL ? hw->cpu_model : _("default"));
  if (hw->vram_mib > 0)
    {
      g_autofree char *vram = g_strdup_printf ("%u MiB", hw->vram_mib);

      print_line (_("Video memory"), vram);
    }
  sound = g_strdup_printf ("%s%s%s%s%s", hv_sound_device_to_string (hw->sound),
                           hw->adlib ? _(" + AdLib") : "",
                           hw->pc_speaker ? _(", PC speaker") : "",
                           hw->sound_enabled ? "" : _(" (turned off)"),
                           hw->sound_muted ? _(" (muted)") : "");
  print_line (_("Sound"), sound);
  chipset = g_strdup_printf (_("ACPI %s, HPET %s, USB %s, tablet %s, vmport %s, RTC %s"),
                             on_off (hw->acpi), on_off (hw->hpet), on_off (hw->usb),
                             on_off (hw->tablet), on_off (hw->vmport),
                             hv_rtc_base_to_string (hw->rtc));
  print_line (_("Chipset"), chipset);
  if (!hw->icount)
    limit = g_strdup (_("off"));
  else if (hw->icount_shift == HV_ICOUNT_SHIFT_AUTO)
    limit = g_strdup (_("off (icount kept: the VM stays on TCG)"));
  else if (hv_cpu_limit_preset_name (hw->icount_shift) != NULL)
    limit = g_strdup_printf (_("%s (icount shift %d, TCG only)"),
                             hv_cpu_limit_preset_name (hw->icount_shift), hw->icount_shift);
  else
    limit = g_strdup_printf (_("icount shift %d (TCG only)"), hw->icount_shift);
  print_line (_("Speed limit"), limit);
}

void
hv_ctl_json_add_hardware (JsonBuilder      *b,
                          const HvVmConfig *config)
{
  const HvHardware *hw = config != NULL ? &config->hw : NULL;

  if (hw == NULL)
    {
      static const char * const names[] = { "profile", "cpu_model", "vram_mib", "sound",
                                            "cpu_limit_shift", "chipset", NULL };

      for (guint i = 0; names[i] != NULL; i++)
        add_member (b, names[i], NULL);
      return;
    }
  add_member (b, "profile", hw->profile);
  add_member (b, "cpu_model", hw->cpu_model);
  add_int (b, "vram_mib", hw->vram_mib);
  json_builder_set_member_name (b, "sound");
  json_builder_begin_object (b);
  add_member (b, "device", hv_sound_device_to_string (hw->sound));
  add_bool (b, "enabled", hw->sound_enabled);
  add_bool (b, "muted", hw->sound_muted);
  add_bool (b, "adlib", hw->adlib);
  add_bool (b, "pc_speaker", hw->pc_speaker);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "cpu_limit_shift");
  if (!hw->icount)
    json_builder_add_null_value (b);
  else if (hw->icount_shift == HV_ICOUNT_SHIFT_AUTO)
    json_builder_add_string_value (b, "auto");
  else
    json_builder_add_int_value (b, hw->icount_shift);
  json_builder_set_member_name (b, "chipset");
  json_builder_begin_object (b);
  add_bool (b, "acpi", hw->acpi);
  add_bool (b, "hpet", hw->hpet);
  add_bool (b, "usb", hw->usb);
  add_bool (b, "tablet", hw->tablet);
  add_bool (b, "vmport", hw->vmport);
  add_member (b, "rtc", hv_rtc_base_to_string (hw->rtc));
  json_builder_end_object (b);
}
