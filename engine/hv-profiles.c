/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-profiles.c: hardware profiles for old guests (see hv-profiles.h). */
#include "hv-build-config.h"

#include "hv-profiles.h"

#include <string.h>

#include "hv-error.h"

#define PROFILE_SUFFIX ".profile"
#define MAX_PROFILES 64

void
hv_profile_free (HvProfile *profile)
{
  if (profile == NULL)
    return;
  g_free (profile->name);
  g_free (profile->description);
  g_strfreev (profile->os_ids);
  g_free (profile->cpu_model);
  g_free (profile->nic_model);
  g_free (profile->boot_order);
  g_free (profile);
}

char *
hv_profiles_dir (void)
{
  const char *env = g_getenv ("HOSTVISOR_PROFILE_DIR");
  g_autofree char *installed = g_build_filename (HV_PKGDATADIR, "profiles", NULL);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return g_build_filename (HV_SOURCE_RESOURCES_DIR, "profiles", NULL);
}

static const char * const profile_keys[] = { "Description", "OsIds", NULL };
static const char * const hardware_keys[] = {
  "Machine", "CpuModel", "MemoryMib", "MemoryMaxMib", "Cpus", "Video", "VramMib", "Sound",
  "AdLib", "PcSpeaker", "NicModel", "DiskGib", "DiskMaxGib", "Rtc", "Acpi", "Hpet", "Usb",
  "Tablet", "Vmport", "Boot", "CpuLimit", "Acceleration", NULL
};

typedef struct {
  GKeyFile *file;
  const char *name;
  GError **error;
  gboolean ok;
} Reader;

static void G_GNUC_PRINTF (3, 4)
bad (Reader     *r,
     const char *key,
     const char *format,
     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (!r->ok)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, HV_ERROR, HV_ERROR_INVALID_CONFIG, "profile %s: %s: %s", r->name,
               key, message);
  r->ok = FALSE;
}

static char *
get_string (Reader     *r,
            const char *key)
{
  g_autoptr(GError) local = NULL;
  char *value;

  if (!r->ok)
    return NULL;
  value = g_key_file_get_string (r->file, "Hardware", key, &local);
  if (value == NULL)
    bad (r, key, "missing");
  return value;
}

static guint64
get_number (Reader     *r,
            const char *key,
            guint64     min,
            guint64     max)
{
  g_autofree char *text = get_string (r, key);
  guint64 v = 0;

  if (text == NULL)
    return min;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &v, NULL))
    bad (r, key, "\"%s\" is not a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
         text, min, max);
  return v;
}

static gboolean
get_switch (Reader     *r,
            const char *key)
{
  g_autofree char *text = get_string (r, key);

  if (text == NULL)
    return FALSE;
  if (g_str_equal (text, "on") || g_str_equal (text, "true"))
    return TRUE;
  if (!g_str_equal (text, "off") && !g_str_equal (text, "false"))
    bad (r, key, "\"%s\" is not on or off", text);
  return FALSE;
}

static gboolean
check_keys (Reader              *r,
            const char          *group,
            const char * const  *known)
{
  g_auto(GStrv) keys = g_key_file_get_keys (r->file, group, NULL, NULL);

  if (keys == NULL)
    {
      bad (r, group, "the group is missing");
      return FALSE;
    }
  for (guint i = 0; keys[i] != NULL; i++)
    {
      if (!g_strv_contains (known, keys[i]))
        {
          bad (r, keys[i], "unknown key in [%s]", group);
          return FALSE;
        }
    }
  return TRUE;
}

HvProfile *
hv_profile_parse (const char  *name,
                  const char  *data,
                  gsize        len,
                  GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(HvProfile) p = g_new0 (HvProfile, 1);
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) groups = NULL;
  g_autofree char *text = NULL;
  Reader r = { file, name, error, TRUE };

  if (!hv_profile_name_is_valid (name))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "A profile name is 1 to %d lower-case letters and digits",
                   HV_PROFILE_NAME_MAX_LEN);
      return NULL;
    }
  if (len > HV_PROFILE_MAX_SIZE || !g_key_file_load_from_data (file, data, len, G_KEY_FILE_NONE,
                                                               &local))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG, "profile %s: %s", name,
                   local != NULL ? local->message : "the file is too large");
      return NULL;
    }
  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      if (!g_str_equal (groups[i], "Profile") && !g_str_equal (groups[i], "Hardware"))
        bad (&r, groups[i], "unknown group");
    }
  if (!r.ok || !check_keys (&r, "Profile", profile_keys)
      || !check_keys (&r, "Hardware", hardware_keys))
    return NULL;

  p->name = g_strdup (name);
  p->description = g_key_file_get_string (file, "Profile", "Description", NULL);
  if (p->description == NULL || p->description[0] == '\0')
    bad (&r, "Description", "missing");
  p->os_ids = g_key_file_get_string_list (file, "Profile", "OsIds", NULL, NULL);
  if (p->os_ids == NULL)
    p->os_ids = g_new0 (char *, 1);

  text = get_string (&r, "Machine");
  if (text != NULL && !hv_machine_from_string (text, &p->machine))
    bad (&r, "Machine", "\"%s\" is not pc, q35 or isapc", text);
  g_clear_pointer (&text, g_free);

  p->cpu_model = get_string (&r, "CpuModel");
  if (p->cpu_model != NULL && !hv_cpu_model_is_valid (p->cpu_model))
    bad (&r, "CpuModel", "\"%s\" is not a known model", p->cpu_model);

  p->memory_mib = get_number (&r, "MemoryMib", HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB);
  p->memory_max_mib = get_number (&r, "MemoryMaxMib", HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB);
  if (r.ok && p->memory_mib > p->memory_max_mib)
    bad (&r, "MemoryMib", "more than MemoryMaxMib");
  p->cpus = (guint) get_number (&r, "Cpus", 1, HV_CPUS_MAX);

  text = get_string (&r, "Video");
  if (text != NULL && !hv_video_from_string (text, &p->video))
    bad (&r, "Video", "\"%s\" is not std, cirrus, virtio or none", text);
  g_clear_pointer (&text, g_free);
  p->vram_mib = (guint) get_number (&r, "VramMib", 0, 256);

  text = get_string (&r, "Sound");
  if (text != NULL && !hv_sound_device_from_string (text, &p->sound))
    bad (&r, "Sound", "\"%s\" is not none, sb16, es1370, ac97 or hda", text);
  g_clear_pointer (&text, g_free);
  p->adlib = get_switch (&r, "AdLib");
  p->pc_speaker = get_switch (&r, "PcSpeaker");

  p->nic_model = get_string (&r, "NicModel");
  if (p->nic_model != NULL && !g_str_equal (p->nic_model, "none")
      && !hv_nic_model_is_valid (p->nic_model))
    bad (&r, "NicModel", "\"%s\" is not a known network card", p->nic_model);

  p->disk_gib = get_number (&r, "DiskGib", 1, 65536);
  p->disk_max_gib = get_number (&r, "DiskMaxGib", 1, 65536);
  if (r.ok && p->disk_gib > p->disk_max_gib)
    bad (&r, "DiskGib", "more than DiskMaxGib");

  text = get_string (&r, "Rtc");
  if (text != NULL && !hv_rtc_base_from_string (text, &p->rtc))
    bad (&r, "Rtc", "\"%s\" is not utc or localtime", text);
  g_clear_pointer (&text, g_free);
  p->acpi = get_switch (&r, "Acpi");
  p->hpet = get_switch (&r, "Hpet");
  p->usb = get_switch (&r, "Usb");
  p->tablet = get_switch (&r, "Tablet");
  p->vmport = get_switch (&r, "Vmport");

  p->boot_order = get_string (&r, "Boot");
  if (p->boot_order != NULL && (p->boot_order[0] == '\0' || strlen (p->boot_order) > 4
                                || strspn (p->boot_order, "acdn") != strlen (p->boot_order)))
    bad (&r, "Boot", "\"%s\" is not a boot order of the letters a, c, d, n", p->boot_order);

  text = get_string (&r, "CpuLimit");
  p->cpu_limit_shift = -1;
  if (text != NULL && !g_str_equal (text, "off"))
    {
      p->cpu_limit_shift = hv_cpu_limit_preset_shift (text);
      if (p->cpu_limit_shift < 0)
        bad (&r, "CpuLimit", "\"%s\" is not off, 386, 486, pentium or pentium2", text);
    }
  g_clear_pointer (&text, g_free);

  p->acceleration = HV_ACCELERATION_AUTO;
  if (r.ok && g_key_file_has_key (file, "Hardware", "Acceleration", NULL))
    {
      text = get_string (&r, "Acceleration");
      if (text != NULL && !hv_acceleration_from_string (text, &p->acceleration))
        bad (&r, "Acceleration", "\"%s\" is not auto, kvm or tcg", text);
    }

  if (!r.ok)
    return NULL;
  return g_steal_pointer (&p);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
list_names (GError **error)
{
  g_autofree char *dir_path = hv_profiles_dir ();
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  if (dir == NULL)
    return NULL;
  while ((entry = g_dir_read_name (dir)) != NULL && names->len < MAX_PROFILES)
    {
      g_autofree char *name = NULL;

      if (!g_str_has_suffix (entry, PROFILE_SUFFIX))
        continue;
      name = g_strndup (entry, strlen (entry) - strlen (PROFILE_SUFFIX));
      if (hv_profile_name_is_valid (name))
        g_ptr_array_add (names, g_steal_pointer (&name));
    }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

HvProfile *
hv_profile_load (const char  *name,
                 GError     **error)
{
  g_autofree char *dir = hv_profiles_dir ();
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!hv_profile_name_is_valid (name))
    {
      g_autofree char *shown = hv_config_escape_for_display (name != NULL ? name : "");

      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unknown profile \"%.40s\" (\"hostvisorctl profile list\" lists them)",
                   shown);
      return NULL;
    }
  file_name = g_strconcat (name, PROFILE_SUFFIX, NULL);
  path = g_build_filename (dir, file_name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   "Unknown profile \"%s\" (\"hostvisorctl profile list\" lists them)", name);
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return hv_profile_parse (name, data, len, error);
}

GPtrArray *
hv_profiles_list (GError **error)
{
  g_autoptr(GPtrArray) names = list_names (error);
  g_autoptr(GPtrArray) profiles = NULL;

  if (names == NULL)
    return NULL;
  profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_profile_free);
  for (guint i = 0; i < names->len; i++)
    {
      HvProfile *p = hv_profile_load (g_ptr_array_index (names, i), error);

      if (p == NULL)
        return NULL;
      g_ptr_array_add (profiles, p);
    }
  return g_steal_pointer (&profiles);
}

char *
hv_profile_for_os (const char *os_id)
{
  g_autoptr(GPtrArray) profiles = NULL;

  if (os_id == NULL || os_id[0] == '\0')
    return NULL;
  profiles = hv_profiles_list (NULL);
  for (guint i = 0; profiles != NULL && i < profiles->len; i++)
    {
      const HvProfile *p = g_ptr_array_index (profiles, i);

      if (g_strv_contains ((const char * const *) p->os_ids, os_id))
        return g_strdup (p->name);
    }
  return NULL;
}

void
hv_profile_apply (const HvProfile *p,
                  HvVmConfig      *config)
{
  HvHardware *hw = &config->hw;

  if (config->machine != p->machine)
    g_clear_pointer (&config->machine_type, g_free);
  config->machine = p->machine;
  g_free (hw->cpu_model);
  hw->cpu_model = g_strdup (p->cpu_model);
  config->memory_mib = p->memory_mib;
  config->cpus = p->cpus;
  config->video = p->video;
  hw->vram_mib = p->vram_mib;
  hw->sound = p->sound;
  hw->sound_enabled = TRUE;
  hw->adlib = p->adlib;
  hw->pc_speaker = p->pc_speaker;
  for (guint i = 0; config->nics != NULL && i < config->nics->len; i++)
    {
      HvNic *nic = g_ptr_array_index (config->nics, i);

      if (g_str_equal (p->nic_model, "none"))
        nic->enabled = FALSE;
      else
        {
          g_free (nic->model);
          nic->model = g_strdup (p->nic_model);
        }
    }
  hw->rtc = p->rtc;
  hw->acpi = p->acpi;
  hw->hpet = p->hpet;
  hw->usb = p->usb;
  hw->tablet = p->tablet;
  hw->vmport = p->vmport;
  g_free (config->boot_order);
  config->boot_order = g_strdup (p->boot_order);
  if (p->cpu_limit_shift >= 0)
    {
      hw->icount = TRUE;
      hw->icount_shift = p->cpu_limit_shift;
    }
  config->acceleration = p->acceleration;
  g_free (hw->profile);
  hw->profile = g_strdup (p->name);
  /* Old guests have no firmware but the BIOS, and isapc has nothing else. */
  config->firmware = HV_FIRMWARE_BIOS;
}

static const char *
sound_words (HvSoundDevice sound)
{
  switch (sound)
    {
    case HV_SOUND_SB16:
      return "Sound Blaster 16";
    case HV_SOUND_ES1370:
      return "Ensoniq ES1370";
    case HV_SOUND_AC97:
      return "AC'97";
    case HV_SOUND_HDA:
      return "HD Audio";
    case HV_SOUND_NONE:
    default:
      return "no sound";
    }
}

static const char *
nic_words (const char *model)
{
  if (g_str_equal (model, "ne2k_isa"))
    return "NE2000 (ISA)";
  if (g_str_equal (model, "ne2k_pci"))
    return "NE2000 (PCI)";
  if (g_str_equal (model, "pcnet"))
    return "AMD PCnet";
  if (g_str_equal (model, "rtl8139"))
    return "Realtek 8139";
  if (g_str_equal (model, "none"))
    return "no network";
  return model;
}

char *
hv_profile_summary (const HvProfile *p)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "%s, %s, %" G_GUINT64_FORMAT " MB, %s VGA",
                          p->machine == HV_MACHINE_ISAPC ? "ISA PC" : "PC (i440FX)",
                          p->cpu_model != NULL ? p->cpu_model : "default CPU", p->memory_mib,
                          hv_video_to_string (p->video));
  if (p->vram_mib > 0)
    g_string_append_printf (out, " %u MB", p->vram_mib);
  g_string_append_printf (out, ", %s", sound_words (p->sound));
  if (p->adlib)
    g_string_append (out, " + AdLib");
  g_string_append_printf (out, ", %s", nic_words (p->nic_model));
  g_string_append (out, p->tablet ? ", USB tablet" : ", PS/2 mouse");
  if (p->cpu_limit_shift >= 0)
    g_string_append_printf (out, ", speed limit %s",
                            hv_cpu_limit_preset_name (p->cpu_limit_shift));
  return g_string_free (out, FALSE);
}
