/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-sound.c: the Settings dialog's "Sound" page: the sound card (Sound Blaster 16,
 * Ensoniq AudioPCI, AC'97, HD Audio or none), whether it is fitted, whether the host hears
 * it (muted: the guest keeps its card), the AdLib beside a Sound Blaster 16 and the PC
 * speaker (docs/legacy.md).
 *
 * As the System page (hv-settings-system.c): the rows follow the VM's config, each change is
 * one Modify call and a refused one (a Sound Blaster 16 on the Q35 machine, a PCI card on an
 * ISA PC…) shows the engine's reason while the rows go back to the config. */
#include "hv-build-config.h"

#include "hv-settings-sound.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-settings-modify.h"

struct _HvSettingsSound
{
  AdwPreferencesPage parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  gboolean syncing;

  /* template widgets */
  AdwPreferencesGroup *sound_group;
  GtkSwitch *enabled_switch;
  AdwComboRow *device_row;
  GtkSwitch *muted_switch;
  GtkSwitch *adlib_switch;
  GtkSwitch *speaker_switch;
  GtkLabel *running_label;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (HvSettingsSound, hv_settings_sound, ADW_TYPE_PREFERENCES_PAGE)

static const HvSettingsChoice devices[] = {
  { "none", N_("None") },
  { "sb16", N_("Sound Blaster 16 (ISA)") },
  { "es1370", N_("Ensoniq AudioPCI (ES1370)") },
  { "ac97", N_("Intel AC'97") },
  { "hda", N_("Intel HD Audio") },
};

static void sync_all (HvSettingsSound *self);

static void
resync (GtkWidget *page)
{
  sync_all (HV_SETTINGS_SOUND (page));
}

static void
modify_one (HvSettingsSound *self,
            const char      *key,
            GVariant        *value,
            const char      *what)
{
  hv_settings_modify_one (GTK_WIDGET (self), self->client, self->item, key, value,
                          self->cancellable, what, self->error_label, resync);
}

static void
set_switch (GtkSwitch *sw,
            gboolean   active)
{
  if (gtk_switch_get_active (sw) != active)
    gtk_switch_set_active (sw, active);
}

static void
sync_all (HvSettingsSound *self)
{
  const char *xml;
  g_autoptr(HvVmConfig) config = NULL;
  gboolean active, card;

  if (self->item == NULL)
    return;
  xml = hv_vm_item_get_config_xml (self->item);
  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  active = hv_settings_vm_is_active (self->item);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sound_group), config != NULL && !active);
  gtk_widget_set_visible (GTK_WIDGET (self->running_label), active);
  if (config == NULL)
    return;

  self->syncing = TRUE;
  card = config->hw.sound != HV_SOUND_NONE;
  adw_combo_row_set_selected (self->device_row,
                              hv_settings_choice_find (devices, G_N_ELEMENTS (devices),
                                                       hv_sound_device_to_string (config->hw.sound),
                                                       0));
  set_switch (self->enabled_switch, card && config->hw.sound_enabled);
  set_switch (self->muted_switch, config->hw.sound_muted);
  set_switch (self->adlib_switch, config->hw.adlib);
  set_switch (self->speaker_switch, config->hw.pc_speaker);
  /* Without a card there is nothing to switch on, mute or pair an AdLib with. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->enabled_switch), card);
  gtk_widget_set_sensitive (GTK_WIDGET (self->muted_switch), card);
  gtk_widget_set_sensitive (GTK_WIDGET (self->adlib_switch),
                            config->hw.sound == HV_SOUND_SB16 || config->hw.adlib);
  self->syncing = FALSE;
}

/* ---- user actions ---- */

static void
on_device_selected (HvSettingsSound *self)
{
  guint i = adw_combo_row_get_selected (self->device_row);

  if (!self->syncing && self->item != NULL && i < G_N_ELEMENTS (devices))
    modify_one (self, "sound", g_variant_new_string (devices[i].value), _("the sound card"));
}

static void
on_switch_changed (HvSettingsSound *self,
                   GParamSpec      *pspec,
                   GtkSwitch       *sw)
{
  gboolean on = gtk_switch_get_active (sw);

  if (self->syncing || self->item == NULL)
    return;
  if (sw == self->enabled_switch)
    modify_one (self, "sound-enabled", g_variant_new_boolean (on), _("the sound card"));
  else if (sw == self->muted_switch)
    modify_one (self, "sound-muted", g_variant_new_boolean (on), _("the sound"));
  else if (sw == self->adlib_switch)
    modify_one (self, "adlib", g_variant_new_boolean (on), _("the AdLib"));
  else if (sw == self->speaker_switch)
    modify_one (self, "pc-speaker", g_variant_new_boolean (on), _("the PC speaker"));
}

/* ---- the widget ---- */

static void
hv_settings_sound_dispose (GObject *object)
{
  HvSettingsSound *self = HV_SETTINGS_SOUND (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SETTINGS_SOUND);
  G_OBJECT_CLASS (hv_settings_sound_parent_class)->dispose (object);
}

static void
hv_settings_sound_finalize (GObject *object)
{
  HvSettingsSound *self = HV_SETTINGS_SOUND (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (hv_settings_sound_parent_class)->finalize (object);
}

static void
hv_settings_sound_class_init (HvSettingsSoundClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_settings_sound_dispose;
  object_class->finalize = hv_settings_sound_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-settings-sound.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, sound_group);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, device_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, muted_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, adlib_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, speaker_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, running_label);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSound, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_device_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_changed);
}

static void
hv_settings_sound_init (HvSettingsSound *self)
{
  self->cancellable = g_cancellable_new ();
  self->syncing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  hv_settings_fill_combo (self->device_row, devices, G_N_ELEMENTS (devices));
  self->syncing = FALSE;
}

GtkWidget *
hv_settings_sound_new (HvEngineClient *client,
                       HvVmItem       *item)
{
  HvSettingsSound *self = g_object_new (HV_TYPE_SETTINGS_SOUND, NULL);

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  g_signal_connect_swapped (item, "notify::config-xml", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (item, "notify::can-modify", G_CALLBACK (sync_all), self);
  sync_all (self);
  return GTK_WIDGET (self);
}
