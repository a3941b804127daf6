/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-speed-menu.c: the console's CPU speed selector (see hv-speed-menu.h).
 *
 * Shown only for a VM with a speed limit (<speed-limit> in its config: icount, which stays for
 * the VM's life once on). The presets are the engine's (hv_cpu_limit_preset_shift(); "off"
 * keeps icount with shift=auto). QEMU 7.2 cannot change an icount shift while it runs and the
 * engine refuses cpu-limit on a running VM, so the popover says so and its button restarts the
 * VM at the chosen speed: PowerOff, then (once the VM is off) Modify cpu-limit, then Start.
 * Start is called even when Modify failed, so the VM comes back as it was; the engine's
 * reason is shown. */
#include "hv-build-config.h"

#include "hv-speed-menu.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-messages.h"
#include "hv-ui-util.h"

struct _HvSpeedMenu
{
  GtkWidget parent_instance;

  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  char *current;          /* the preset in the config, "off" for shift=auto */
  char *wanted;           /* during a restart */
  gulong state_id;        /* waiting for the VM to be off */
  gboolean restarting;

  GtkWidget *button;
  GtkWidget *popover;
  GtkBox *choices;
  GtkWidget *apply;
  GtkLabel *error_label;
  GtkWidget *checks[5];
};

G_DEFINE_FINAL_TYPE (HvSpeedMenu, hv_speed_menu, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_RESTARTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct {
  const char *value;      /* cpu-limit */
  const char *label;      /* N_() */
  const char *short_label; /* N_(): on the header's button */
} presets[] = {
  { "off", N_("No limit"), N_("Full speed") },
  { "386", N_("386 speed"), N_("386") },
  { "486", N_("486 speed"), N_("486") },
  { "pentium", N_("Pentium speed"), N_("Pentium") },
  { "pentium2", N_("Pentium II speed"), N_("Pentium II") },
};

G_STATIC_ASSERT (G_N_ELEMENTS (presets) == 5);

static int
selected (HvSpeedMenu *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->checks[i])))
      return i;
  return -1;
}

static void
update_apply (HvSpeedMenu *self)
{
  int i = selected (self);

  gtk_widget_set_sensitive (self->apply, !self->restarting && i >= 0 &&
                                         g_strcmp0 (presets[i].value, self->current) != 0);
}

static void
sync_from_config (HvSpeedMenu *self)
{
  const char *xml = hv_vm_item_get_config_xml (self->item);
  g_autoptr(HvVmConfig) config = NULL;
  const char *name = NULL;
  g_autofree char *text = NULL;

  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  gtk_widget_set_visible (GTK_WIDGET (self), config != NULL && config->hw.icount);
  if (config == NULL || !config->hw.icount)
    return;
  if (config->hw.icount_shift == HV_ICOUNT_SHIFT_AUTO)
    name = "off";
  else
    name = hv_cpu_limit_preset_name (config->hw.icount_shift);
  g_free (self->current);
  self->current = g_strdup (name);
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      if (g_strcmp0 (presets[i].value, name) != 0)
        continue;
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->checks[i]), TRUE);
      /* Translators: the console's speed button; %s is a preset ("486", "Full speed") */
      text = g_strdup_printf (_("Speed: %s"), _(presets[i].short_label));
    }
  if (text == NULL)
    {
      /* A shift no preset has (set by hand in vm.xml): said as it is. */
      text = g_strdup_printf (_("Speed: shift %d"), config->hw.icount_shift);
    }
  gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button), text);
  /* Read as shown: the current speed is the button's name. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  update_apply (self);
}

static void
finish (HvSpeedMenu *self,
        GError      *error)
{
  /* Disposed meanwhile: nothing to show any more. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: the engine's reason follows */
      g_autofree char *message = g_strdup_printf (_("Could not change the speed: %s"), reason);

      hv_ui_set_error_label (self->error_label, message);
    }
  else if (error == NULL)
    hv_ui_set_error_label (self->error_label, NULL);
  g_clear_pointer (&self->wanted, g_free);
  self->restarting = FALSE;
  update_apply (self);
  /* The console view closes now if the VM did not come back. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTARTING]);
}

static void
start_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(HvSpeedMenu) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  GError *earlier = g_object_steal_data (G_OBJECT (self), "hv-modify-error");

  if (reply != NULL && earlier != NULL)
    finish (self, earlier);
  else
    finish (self, error);
  g_clear_error (&earlier);
}

static void
modify_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvSpeedMenu) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Started again either way; a refused speed is said once the VM runs. */
  if (reply == NULL)
    g_object_set_data_full (G_OBJECT (self), "hv-modify-error", g_steal_pointer (&error),
                            (GDestroyNotify) g_error_free);
  hv_engine_client_call (self->client, self->item, "Start", NULL, self->cancellable,
                         start_done, g_object_ref (self));
}

static gboolean
vm_is_off (HvSpeedMenu *self)
{
  const char *state = hv_vm_item_get_state (self->item);

  return g_strcmp0 (state, "poweroff") == 0 || g_strcmp0 (state, "aborted") == 0;
}

static void
modify_when_off (HvSpeedMenu *self)
{
  g_autoptr(GVariantBuilder) options = NULL;

  if (!vm_is_off (self) || self->wanted == NULL)
    return;
  g_clear_signal_handler (&self->state_id, self->item);
  options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (options, "{sv}", "cpu-limit", g_variant_new_string (self->wanted));
  hv_engine_client_call (self->client, self->item, "Modify",
                         g_variant_new ("(a{sv})", options), self->cancellable, modify_done,
                         g_object_ref (self));
}

static void
power_off_done (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(HvSpeedMenu) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  if (reply == NULL)
    {
      g_clear_signal_handler (&self->state_id, self->item);
      finish (self, error);
      return;
    }
  modify_when_off (self);
}

static void
on_apply_clicked (HvSpeedMenu *self)
{
  int i = selected (self);

  if (i < 0 || self->restarting)
    return;
  self->restarting = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTARTING]);
  self->wanted = g_strdup (presets[i].value);
  hv_ui_set_error_label (self->error_label, NULL);
  update_apply (self);
  gtk_popover_popdown (GTK_POPOVER (self->popover));
  self->state_id = g_signal_connect_swapped (self->item, "notify::state",
                                             G_CALLBACK (modify_when_off), self);
  hv_engine_client_call (self->client, self->item, "PowerOff", NULL, self->cancellable,
                         power_off_done, g_object_ref (self));
}

/* GTK 4.8 has no radio role for a toggle button of its own: each preset is a toggle button
 * with the radio role and its "checked" state kept up to date, so that a screen reader says
 * which speed is chosen (and AT-SPI can press it). */
static void
on_check_toggled (GtkToggleButton *button,
                  HvSpeedMenu     *self)
{
  gtk_accessible_update_state (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_STATE_CHECKED,
                               gtk_toggle_button_get_active (button)
                               ? GTK_ACCESSIBLE_TRISTATE_TRUE : GTK_ACCESSIBLE_TRISTATE_FALSE,
                               -1);
  update_apply (self);
}

gboolean
hv_speed_menu_get_restarting (HvSpeedMenu *self)
{
  g_return_val_if_fail (HV_IS_SPEED_MENU (self), FALSE);

  return self->restarting;
}

static void
hv_speed_menu_dispose (GObject *object)
{
  HvSpeedMenu *self = HV_SPEED_MENU (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  self->state_id = 0;
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->current, g_free);
  g_clear_pointer (&self->wanted, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SPEED_MENU);
  G_OBJECT_CLASS (hv_speed_menu_parent_class)->dispose (object);
}

static void
hv_speed_menu_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HvSpeedMenu *self = HV_SPEED_MENU (object);

  switch (prop_id)
    {
    case PROP_RESTARTING:
      g_value_set_boolean (value, self->restarting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_speed_menu_class_init (HvSpeedMenuClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = hv_speed_menu_dispose;
  G_OBJECT_CLASS (klass)->get_property = hv_speed_menu_get_property;
  properties[PROP_RESTARTING] =
    g_param_spec_boolean ("restarting", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-speed-menu.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSpeedMenu, button);
  gtk_widget_class_bind_template_child (widget_class, HvSpeedMenu, popover);
  gtk_widget_class_bind_template_child (widget_class, HvSpeedMenu, choices);
  gtk_widget_class_bind_template_child (widget_class, HvSpeedMenu, apply);
  gtk_widget_class_bind_template_child (widget_class, HvSpeedMenu, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_apply_clicked);
}

static void
hv_speed_menu_init (HvSpeedMenu *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      self->checks[i] = g_object_new (GTK_TYPE_TOGGLE_BUTTON, "label", _(presets[i].label),
                                      "accessible-role", GTK_ACCESSIBLE_ROLE_RADIO, NULL);
      gtk_widget_add_css_class (self->checks[i], "flat");
      gtk_accessible_update_state (GTK_ACCESSIBLE (self->checks[i]),
                                   GTK_ACCESSIBLE_STATE_CHECKED, GTK_ACCESSIBLE_TRISTATE_FALSE,
                                   -1);
      if (i > 0)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (self->checks[i]),
                                     GTK_TOGGLE_BUTTON (self->checks[0]));
      g_signal_connect (self->checks[i], "toggled", G_CALLBACK (on_check_toggled), self);
      gtk_box_append (self->choices, self->checks[i]);
    }
}

GtkWidget *
hv_speed_menu_new (HvEngineClient *client,
                   HvVmItem       *item)
{
  HvSpeedMenu *self = g_object_new (HV_TYPE_SPEED_MENU, NULL);

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  g_signal_connect_swapped (item, "notify::config-xml", G_CALLBACK (sync_from_config), self);
  sync_from_config (self);
  return GTK_WIDGET (self);
}
