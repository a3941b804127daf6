/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-profile-dialog.c: see hv-profile-dialog.h. One row per field of the profile file
 * (resources/profiles/NAME.profile, docs/legacy.md "Profile files"), its value in words and
 * the engine's own name of it where there is one; Escape closes it. */
#include "hv-build-config.h"
#include <inttypes.h>

#include "hv-profile-dialog.h"

#include <glib/gi18n.h>

#include "hv-profiles.h"
#include "hv-wizard-legacy.h"

struct _HvProfileDialog
{
  AdwWindow parent_instance;

  AdwPreferencesGroup *group;
};

G_DEFINE_FINAL_TYPE (HvProfileDialog, hv_profile_dialog, ADW_TYPE_WINDOW)

static void
add_row (HvProfileDialog *self,
         const char      *title,
         const char      *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  /* Read whole by a screen reader: "Sound card: Sound Blaster 16 (sb16)". */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  value, -1);
  gtk_widget_set_focusable (row, TRUE);
  adw_preferences_group_add (self->group, row);
}

static const char *
on_off (gboolean value)
{
  return value ? _("On") : _("Off");
}

static const char *
machine_words (HvMachine machine)
{
  switch (machine)
    {
    case HV_MACHINE_ISAPC:
      return _("ISA PC without PCI (isapc)");
    case HV_MACHINE_Q35:
      return _("Modern PC (Q35)");
    case HV_MACHINE_PC:
    default:
      return _("Standard PC (i440FX)");
    }
}

static const char *
sound_words (HvSoundDevice sound)
{
  switch (sound)
    {
    case HV_SOUND_SB16:
      return _("Sound Blaster 16 (sb16)");
    case HV_SOUND_ES1370:
      return _("Ensoniq AudioPCI (es1370)");
    case HV_SOUND_AC97:
      return _("AC’97 (ac97)");
    case HV_SOUND_HDA:
      return _("HD Audio (hda)");
    case HV_SOUND_NONE:
    default:
      return _("None");
    }
}

static const char *
acceleration_words (HvAcceleration acceleration)
{
  switch (acceleration)
    {
    case HV_ACCELERATION_KVM:
      return _("KVM only");
    case HV_ACCELERATION_TCG:
      return _("QEMU’s emulation (TCG)");
    case HV_ACCELERATION_AUTO:
    default:
      return _("KVM where it works, else emulation");
    }
}

static char *
boot_words (const char *order)
{
  GString *out = g_string_new (NULL);

  for (const char *c = order; c != NULL && *c != '\0'; c++)
    {
      const char *word = *c == 'a' ? _("floppy A:") : *c == 'c' ? _("hard disk")
                         : *c == 'd' ? _("CD/DVD") : *c == 'n' ? _("network") : NULL;

      if (word == NULL)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, word);
    }
  if (out->len == 0)
    g_string_append (out, _("The engine’s default"));
  return g_string_free (out, FALSE);
}

static void
fill (HvProfileDialog *self,
      const HvProfile *p)
{
  g_autofree char *os_ids = p->os_ids != NULL ? g_strjoinv (", ", p->os_ids) : g_strdup ("");
  g_autofree char *memory = NULL, *memory_max = NULL, *cpus = NULL, *video = NULL;
  g_autofree char *disk = NULL, *disk_max = NULL, *boot = boot_words (p->boot_order);
  g_autofree char *limit = NULL;
  g_autofree char *summary = hv_wizard_legacy_words (p->name, NULL, NULL, NULL);

  adw_preferences_group_set_title (self->group, p->description != NULL ? p->description
                                                                         : p->name);
  adw_preferences_group_set_description (self->group, summary);
  add_row (self, _("Profile"), p->name);
  add_row (self, _("Operating systems"), os_ids);
  add_row (self, _("Machine"), machine_words (p->machine));
  add_row (self, _("CPU model"), p->cpu_model != NULL ? p->cpu_model : _("The engine’s choice"));
  /* Translators: memory in megabytes */
  memory = g_strdup_printf (_("%" PRIu64 " MB"), (uint64_t) p->memory_mib);
  add_row (self, _("Memory"), memory);
  if (p->memory_max_mib > 0)
    {
      memory_max = g_strdup_printf (_("%" PRIu64 " MB"), (uint64_t) p->memory_max_mib);
      add_row (self, _("Most memory"), memory_max);
    }
  cpus = g_strdup_printf ("%u", p->cpus);
  add_row (self, _("Processors"), cpus);
  if (p->vram_mib > 0)
    /* Translators: a video card and its memory: "std, 16 MB" */
    video = g_strdup_printf (_("%s, %u MB"), hv_video_to_string (p->video), p->vram_mib);
  else
    video = g_strdup (hv_video_to_string (p->video));
  add_row (self, _("Video"), video);
  add_row (self, _("Sound card"), sound_words (p->sound));
  add_row (self, _("AdLib (OPL2)"), on_off (p->adlib));
  add_row (self, _("PC speaker"), on_off (p->pc_speaker));
  add_row (self, _("Network card"), p->nic_model != NULL && g_strcmp0 (p->nic_model, "none")
                                    != 0 ? p->nic_model : _("None"));
  /* Translators: a disk size in gigabytes */
  disk = g_strdup_printf (_("%" PRIu64 " GB"), (uint64_t) p->disk_gib);
  add_row (self, _("Disk"), disk);
  if (p->disk_max_gib > 0)
    {
      disk_max = g_strdup_printf (_("%" PRIu64 " GB"), (uint64_t) p->disk_max_gib);
      add_row (self, _("Largest disk"), disk_max);
    }
  add_row (self, _("Hardware clock"), p->rtc == HV_RTC_LOCALTIME ? _("Local time")
                                                                 : _("UTC"));
  add_row (self, _("ACPI"), on_off (p->acpi));
  add_row (self, _("HPET"), on_off (p->hpet));
  add_row (self, _("USB controller"), on_off (p->usb));
  add_row (self, _("USB tablet"), p->tablet ? _("On (absolute pointer)")
                                            : _("Off (PS/2 mouse: the console captures it)"));
  add_row (self, _("VMware mouse port (vmport)"), on_off (p->vmport));
  add_row (self, _("Boot order"), boot);
  if (p->cpu_limit_shift >= 0)
    /* Translators: %s is a speed preset ("486") */
    limit = g_strdup_printf (_("%s speed (emulation only)"),
                             hv_cpu_limit_preset_name (p->cpu_limit_shift));
  add_row (self, _("CPU speed limit"), limit != NULL ? limit : _("No limit"));
  add_row (self, _("Acceleration"), acceleration_words (p->acceleration));
}

static void
hv_profile_dialog_class_init (HvProfileDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-profile-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvProfileDialog, group);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_profile_dialog_init (HvProfileDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
hv_profile_dialog_new (GtkWindow   *parent,
                       const char  *name,
                       GError     **error)
{
  g_autoptr(HvProfile) profile = hv_profile_load (name, error);
  HvProfileDialog *self;

  if (profile == NULL)
    return NULL;
  self = g_object_new (HV_TYPE_PROFILE_DIALOG, "transient-for", parent, NULL);
  fill (self, profile);
  return GTK_WIDGET (self);
}
