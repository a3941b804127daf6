/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-wizard-legacy.c: see hv-wizard-legacy.h. */
#include "hv-build-config.h"
#include <inttypes.h>

#include "hv-wizard-legacy.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-profiles.h"

gboolean
hv_wizard_legacy_is_floppy_size (guint64 size)
{
  return size == 737280 || size == 1474560 || size == 2949120;
}

char *
hv_wizard_legacy_profile (const char *os_id,
                          guint64     floppy_size)
{
  if (os_id != NULL && os_id[0] != '\0')
    return hv_profile_for_os (os_id);
  if (hv_wizard_legacy_is_floppy_size (floppy_size))
    return g_strdup ("dos");
  return NULL;
}

static const char *
cpu_words (const char *model)
{
  static const struct { const char *model, *words; } cpus[] = {
    { "486", N_("486") }, { "pentium", N_("Pentium") }, { "pentium2", N_("Pentium II") },
    { "pentium3", N_("Pentium III") }, { "qemu32", N_("32-bit CPU") },
    { "qemu64", N_("64-bit CPU") }, { "max", N_("modern CPU") }, { "host", N_("host CPU") },
  };

  for (guint i = 0; model != NULL && i < G_N_ELEMENTS (cpus); i++)
    {
      if (g_strcmp0 (cpus[i].model, model) == 0)
        return _(cpus[i].words);
    }
  return _("default CPU");
}

static const char *
sound_words (HvSoundDevice sound)
{
  switch (sound)
    {
    case HV_SOUND_SB16:
      return _("Sound Blaster 16");
    case HV_SOUND_ES1370:
      return _("Sound Blaster PCI (ES1370)");
    case HV_SOUND_AC97:
      return _("AC'97 sound");
    case HV_SOUND_HDA:
      return _("HD Audio");
    case HV_SOUND_NONE:
    default:
      return NULL;
    }
}

static const char *
nic_words (const char *model)
{
  if (model == NULL || g_strcmp0 (model, "none") == 0)
    return NULL;
  if (g_str_has_prefix (model, "ne2k"))
    return _("NE2000");
  if (g_strcmp0 (model, "pcnet") == 0)
    return _("AMD PCnet");
  if (g_strcmp0 (model, "rtl8139") == 0)
    return _("Realtek 8139");
  if (g_str_has_prefix (model, "e1000"))
    return _("Intel PRO/1000");
  return model;
}

char *
hv_wizard_legacy_words (const char *name,
                        guint64    *memory_mib,
                        guint      *cpus,
                        guint64    *disk_gib)
{
  g_autoptr(HvProfile) p = name != NULL ? hv_profile_load (name, NULL) : NULL;
  GString *out;
  const char *part;

  if (p == NULL)
    return NULL;
  if (memory_mib != NULL)
    *memory_mib = p->memory_mib;
  if (cpus != NULL)
    *cpus = p->cpus;
  if (disk_gib != NULL)
    *disk_gib = p->disk_gib;
  out = g_string_new (cpu_words (p->cpu_model));
  /* Translators: memory in megabytes */
  g_string_append_printf (out, _(", %" PRIu64 " MB"), (uint64_t) p->memory_mib);
  if ((part = sound_words (p->sound)) != NULL)
    g_string_append_printf (out, ", %s", part);
  if ((part = nic_words (p->nic_model)) != NULL)
    g_string_append_printf (out, ", %s", part);
  if (p->boot_order != NULL && strchr (p->boot_order, 'a') != NULL)
    g_string_append_printf (out, ", %s", _("floppy A:"));
  if (p->cpu_limit_shift >= 0)
    /* Translators: %s is a CPU speed limit preset ("486") */
    g_string_append_printf (out, _(", limited to %s speed"),
                            hv_cpu_limit_preset_name (p->cpu_limit_shift));
  return g_string_free (out, FALSE);
}

static gboolean
is_win9x (const char *name)
{
  return g_strcmp0 (name, "win95") == 0 || g_strcmp0 (name, "win98") == 0 ||
         g_strcmp0 (name, "winme") == 0;
}

char *
hv_wizard_legacy_cpu_warning (const char *name,
                              gboolean    kvm)
{
  g_autoptr(HvProfile) p = is_win9x (name) ? hv_profile_load (name, NULL) : NULL;

  if (p == NULL)
    return NULL;
  /* docs/legacy.md, "Known traps" */
  if (p->acceleration == HV_ACCELERATION_TCG)
    return g_strdup (_("Windows 95 stops with “Windows protection error” while "
                       "initializing IOS on CPUs faster than about 2 GHz, so this VM runs on "
                       "QEMU’s emulation (slower) instead of KVM. To run it on KVM, patch "
                       "the installed Windows with FIX95CPU or patcher9x first, then switch "
                       "Acceleration in Settings."));
  if (kvm)
    return g_strdup (_("Windows 98 and ME can crash under KVM on recent CPUs (AMD Zen 2 and "
                       "later, Intel 11th generation and later: a TLB bug), and the first "
                       "edition of 98 shows “Windows protection error” on fast CPUs. "
                       "The known fix is patcher9x; otherwise set Acceleration to emulation "
                       "in Settings → System."));
  return NULL;
}

char *
hv_wizard_legacy_memory_warning (const char *name,
                                 guint64     memory_mib)
{
  if (!is_win9x (name) || memory_mib <= 512)
    return NULL;
  return g_strdup (_("Windows 95, 98 and ME cannot use more than 512 MB: the disk cache "
                     "(VCACHE) runs out of address space and Windows stops at start "
                     "(Microsoft KB253912). The profile allows 512 MB at most. With more, "
                     "the known fixes are MaxFileCache and MaxPhysPage=30000 in SYSTEM.INI."));
}
