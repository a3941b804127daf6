/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-system.c: the Settings dialog's "System" page, the hardware old guests care
 * about (docs/legacy.md): the machine (PC, Q35, ISA PC), the CPU model, the CPU speed limit
 * (which means running without hardware acceleration, for good), the clock's base (DOS and
 * Windows keep local time) and ACPI, HPET, USB and the USB tablet.
 *
 * The rows show the VM's config (its ConfigXml) and follow it. Each change is one Modify
 * call; the engine checks the whole config (an ISA PC cannot have USB, a tablet needs USB…)
 * and a refused change is shown with the engine's reason while the rows go back to what the
 * config holds, so nothing is half applied. While the VM runs the page cannot change. */
#include "hv-build-config.h"

#include "hv-settings-system.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-settings-modify.h"

struct _HvSettingsSystem
{
  AdwPreferencesPage parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  gboolean syncing;

  /* template widgets */
  AdwPreferencesGroup *board_group;
  AdwComboRow *machine_row;
  AdwComboRow *cpu_row;
  AdwComboRow *limit_row;
  AdwComboRow *clock_row;
  AdwPreferencesGroup *devices_group;
  GtkSwitch *acpi_switch;
  GtkSwitch *hpet_switch;
  GtkSwitch *usb_switch;
  GtkSwitch *tablet_switch;
  GtkLabel *running_label;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (HvSettingsSystem, hv_settings_system, ADW_TYPE_PREFERENCES_PAGE)

static const HvSettingsChoice machines[] = {
  { "pc", N_("Standard PC (i440FX)") },
  { "q35", N_("Modern PC (Q35)") },
  { "isapc", N_("ISA PC (no PCI)") },
};

/* "" is the engine's choice. */
static const HvSettingsChoice cpu_models[] = {
  { "", N_("Default") },
  { "486", N_("Intel 486") },
  { "pentium", N_("Intel Pentium") },
  { "pentium2", N_("Intel Pentium II") },
  { "pentium3", N_("Intel Pentium III") },
  { "qemu32", N_("Generic 32-bit (qemu32)") },
  { "qemu64", N_("Generic 64-bit (qemu64)") },
  { "max", N_("Everything QEMU emulates (max)") },
  { "host", N_("The host's CPU (needs KVM)") },
};

static const HvSettingsChoice limits[] = {
  { "off", N_("No limit") },
  { "386", N_("386 speed") },
  { "486", N_("486 speed") },
  { "pentium", N_("Pentium speed") },
  { "pentium2", N_("Pentium II speed") },
};

static const HvSettingsChoice clocks[] = {
  { "utc", N_("UTC (Linux, BSD)") },
  { "localtime", N_("Local time (DOS, Windows)") },
};

static void sync_all (HvSettingsSystem *self);

static void
resync (GtkWidget *page)
{
  sync_all (HV_SETTINGS_SYSTEM (page));
}

static void
modify_one (HvSettingsSystem *self,
            const char       *key,
            GVariant         *value,
            const char       *what)
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
sync_all (HvSettingsSystem *self)
{
  const char *xml;
  g_autoptr(HvVmConfig) config = NULL;
  const char *limit;
  gboolean active;

  if (self->item == NULL)
    return;
  xml = hv_vm_item_get_config_xml (self->item);
  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  active = hv_settings_vm_is_active (self->item);
  gtk_widget_set_sensitive (GTK_WIDGET (self->board_group), config != NULL && !active);
  gtk_widget_set_sensitive (GTK_WIDGET (self->devices_group), config != NULL && !active);
  gtk_widget_set_visible (GTK_WIDGET (self->running_label), active);
  if (config == NULL)
    return;

  self->syncing = TRUE;
  adw_combo_row_set_selected (self->machine_row,
                              hv_settings_choice_find (machines, G_N_ELEMENTS (machines),
                                                       hv_machine_to_string (config->machine),
                                                       0));
  adw_combo_row_set_selected (self->cpu_row,
                              hv_settings_choice_find (cpu_models, G_N_ELEMENTS (cpu_models),
                                                       config->hw.cpu_model != NULL
                                                       ? config->hw.cpu_model : "", 0));
  limit = config->hw.icount ? hv_cpu_limit_preset_name (config->hw.icount_shift) : NULL;
  adw_combo_row_set_selected (self->limit_row,
                              hv_settings_choice_find (limits, G_N_ELEMENTS (limits),
                                                       limit != NULL ? limit : "off", 0));
  /* Once limited, the VM stays on TCG even without a limit (docs/legacy.md). */
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->limit_row),
                               config->hw.icount
                               ? _("This VM runs without hardware acceleration (KVM), even "
                                   "with no limit: slower, but its timing stays steady.")
                               : _("A speed limit makes the VM run without hardware "
                                   "acceleration (KVM), for good."));
  adw_combo_row_set_selected (self->clock_row,
                              hv_settings_choice_find (clocks, G_N_ELEMENTS (clocks),
                                                       hv_rtc_base_to_string (config->hw.rtc),
                                                       0));
  set_switch (self->acpi_switch, config->hw.acpi);
  set_switch (self->hpet_switch, config->hw.hpet);
  set_switch (self->usb_switch, config->hw.usb);
  set_switch (self->tablet_switch, config->hw.tablet);
  self->syncing = FALSE;
}

/* ---- user actions ---- */

static void
on_machine_selected (HvSettingsSystem *self)
{
  guint i = adw_combo_row_get_selected (self->machine_row);

  if (!self->syncing && i < G_N_ELEMENTS (machines))
    modify_one (self, "machine", g_variant_new_string (machines[i].value), _("the machine"));
}

static void
on_cpu_selected (HvSettingsSystem *self)
{
  guint i = adw_combo_row_get_selected (self->cpu_row);

  if (!self->syncing && i < G_N_ELEMENTS (cpu_models))
    modify_one (self, "cpu-model", g_variant_new_string (cpu_models[i].value),
                _("the CPU model"));
}

static void
on_limit_selected (HvSettingsSystem *self)
{
  guint i = adw_combo_row_get_selected (self->limit_row);

  if (!self->syncing && i < G_N_ELEMENTS (limits))
    modify_one (self, "cpu-limit", g_variant_new_string (limits[i].value),
                _("the CPU speed limit"));
}

static void
on_clock_selected (HvSettingsSystem *self)
{
  guint i = adw_combo_row_get_selected (self->clock_row);

  if (!self->syncing && i < G_N_ELEMENTS (clocks))
    modify_one (self, "rtc", g_variant_new_string (clocks[i].value), _("the clock"));
}

static void
on_switch_changed (HvSettingsSystem *self,
                   GParamSpec       *pspec,
                   GtkSwitch        *sw)
{
  gboolean on = gtk_switch_get_active (sw);

  if (self->syncing || self->item == NULL)
    return;
  if (sw == self->acpi_switch)
    modify_one (self, "acpi", g_variant_new_boolean (on), _("ACPI"));
  else if (sw == self->hpet_switch)
    modify_one (self, "hpet", g_variant_new_boolean (on), _("the HPET"));
  else if (sw == self->usb_switch)
    modify_one (self, "usb", g_variant_new_boolean (on), _("USB"));
  else if (sw == self->tablet_switch)
    modify_one (self, "tablet", g_variant_new_boolean (on), _("the USB tablet"));
}

/* ---- the widget ---- */

static void
hv_settings_system_dispose (GObject *object)
{
  HvSettingsSystem *self = HV_SETTINGS_SYSTEM (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SETTINGS_SYSTEM);
  G_OBJECT_CLASS (hv_settings_system_parent_class)->dispose (object);
}

static void
hv_settings_system_finalize (GObject *object)
{
  HvSettingsSystem *self = HV_SETTINGS_SYSTEM (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (hv_settings_system_parent_class)->finalize (object);
}

static void
hv_settings_system_class_init (HvSettingsSystemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_settings_system_dispose;
  object_class->finalize = hv_settings_system_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-settings-system.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, board_group);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, machine_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, cpu_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, limit_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, clock_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, devices_group);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, acpi_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, hpet_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, usb_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, tablet_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, running_label);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsSystem, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_machine_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_cpu_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_limit_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_clock_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_changed);
}

static void
hv_settings_system_init (HvSettingsSystem *self)
{
  self->cancellable = g_cancellable_new ();
  self->syncing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  hv_settings_fill_combo (self->machine_row, machines, G_N_ELEMENTS (machines));
  hv_settings_fill_combo (self->cpu_row, cpu_models, G_N_ELEMENTS (cpu_models));
  hv_settings_fill_combo (self->limit_row, limits, G_N_ELEMENTS (limits));
  hv_settings_fill_combo (self->clock_row, clocks, G_N_ELEMENTS (clocks));
  self->syncing = FALSE;
}

GtkWidget *
hv_settings_system_new (HvEngineClient *client,
                        HvVmItem       *item)
{
  HvSettingsSystem *self = g_object_new (HV_TYPE_SETTINGS_SYSTEM, NULL);

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  g_signal_connect_swapped (item, "notify::config-xml", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (item, "notify::can-modify", G_CALLBACK (sync_all), self);
  sync_all (self);
  return GTK_WIDGET (self);
}
