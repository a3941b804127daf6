/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-network.c: the Settings dialog's "Network" page, VirtualBox's four adapter tabs:
 * enabled, attached to (NAT, bridged, host-only, internal, not attached) and its network,
 * adapter type, MAC address, cable, and the port forwarding rules of a NAT adapter.
 *
 * Everything shown comes from the VM's Adapters property and follows it; every change goes
 * to the engine at once with Modify's "nicN…" options. While the VM runs only the cable may
 * change: the rest is insensitive and the page says why. A mode that needs a network before
 * it can be set (bridged, host-only) waits on the page until one is chosen. */
#include "hv-build-config.h"

#include "hv-settings-network.h"

#include <glib/gi18n.h>

#include "hv-engine-client-network.h"
#include "hv-messages.h"
#include "hv-network-manager.h"
#include "hv-port-forward-dialog.h"
#include "hv-ui-util.h"

/* What VirtualBox calls a new internal network. */
#define DEFAULT_INTERNAL_NETWORK "intnet"

struct _HvSettingsNetwork
{
  AdwPreferencesPage parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  GPtrArray *interfaces;         /* HvHostInterface*, from ListHostInterfaces; NULL till known */
  char *pending_mode[HV_NIC_SLOTS + 1];  /* a mode chosen that waits for its network */
  char **target_values;          /* parallel to target_row's model */
  char **target_notes;           /* why an entry cannot be chosen, "" when it can */
  guint slot;                    /* 1..4: the tab shown */
  gboolean syncing;
  gboolean mac_held;             /* the MAC field holds what the user typed */
  gboolean internal_held;
  gboolean interfaces_loading;

  /* template widgets */
  GtkToggleButton *tab1;
  GtkToggleButton *tab2;
  GtkToggleButton *tab3;
  GtkToggleButton *tab4;
  AdwPreferencesGroup *adapter_group;
  AdwActionRow *enable_row;
  GtkSwitch *enable_switch;
  AdwComboRow *mode_row;
  AdwComboRow *target_row;
  GtkWidget *manager_button;
  AdwEntryRow *internal_row;
  GtkMenuButton *internal_menu;
  AdwComboRow *model_row;
  AdwEntryRow *mac_row;
  GtkWidget *mac_button;
  AdwActionRow *cable_row;
  GtkSwitch *cable_switch;
  AdwActionRow *forward_row;
  GtkWidget *forward_button;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (HvSettingsNetwork, hv_settings_network, ADW_TYPE_PREFERENCES_PAGE)

static void sync_all (HvSettingsNetwork *self);
static void sync_adapter (HvSettingsNetwork *self);

static void
toast (HvSettingsNetwork *self,
       const char        *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    {
      AdwToast *t = adw_toast_new (message);

      adw_toast_set_timeout (t, 8);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), t);
    }
}

static GVariant *
current_adapter (HvSettingsNetwork *self)
{
  return self->item != NULL
         ? hv_adapters_lookup (hv_vm_item_get_adapters (self->item), self->slot) : NULL;
}

/* The VM runs (or starts, or stops): only the cable may change. */
static gboolean
vm_is_active (HvSettingsNetwork *self)
{
  const char *state = hv_vm_item_get_state (self->item);

  return g_strcmp0 (state, "starting") == 0 || g_strcmp0 (state, "running") == 0 ||
         g_strcmp0 (state, "paused") == 0 || g_strcmp0 (state, "stopping") == 0;
}

static char *
option (HvSettingsNetwork *self,
        const char        *suffix)
{
  return g_strdup_printf ("nic%u%s", self->slot, suffix);
}

/* ---- talking to the engine ---- */

typedef struct {
  HvSettingsNetwork *self;
  guint slot;
  gboolean mac;
} Change;

static void
modify_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Change *change = data;
  g_autoptr(HvSettingsNetwork) self = change->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  guint slot = change->slot;
  gboolean mac = change->mac;

  g_free (change);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: %u is the adapter's number (1..4), then the engine's reason */
      g_autofree char *message = g_strdup_printf (_("Could not change adapter %u: %s"), slot,
                                                  reason);

      toast (self, message);
      if (slot == self->slot)
        hv_ui_set_error_label (self->error_label, message);
      /* The fields show the adapter as it is again, but a typed MAC address stays. */
      sync_all (self);
      return;
    }
  if (slot == self->slot)
    {
      hv_ui_set_error_label (self->error_label, NULL);
      if (mac)
        self->mac_held = FALSE;
    }
  sync_all (self);
}

/* Modify with the options in @dict (nicN… keys), for the adapter shown. */
static void
modify (HvSettingsNetwork *self,
        GVariantDict      *dict,
        gboolean           mac)
{
  Change *change = g_new0 (Change, 1);

  change->self = g_object_ref (self);
  change->slot = self->slot;
  change->mac = mac;
  hv_engine_client_call (self->client, self->item, "Modify",
                         g_variant_new ("(@a{sv})", g_variant_dict_end (dict)),
                         self->cancellable, modify_done, change);
}

static void
modify_one (HvSettingsNetwork *self,
            const char        *suffix,
            GVariant          *value)
{
  g_autofree char *key = option (self, suffix);
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, key, value);
  modify (self, &dict, FALSE);
}

/* The mode with its network: both in one Modify, so the adapter is never half set. */
static void
modify_mode (HvSettingsNetwork *self,
             const char        *mode,
             const char        *target)
{
  g_autofree char *mode_key = option (self, "");
  g_autofree char *target_key = option (self, "-target");
  GVariantDict dict;

  g_clear_pointer (&self->pending_mode[self->slot], g_free);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, mode_key, "s", mode);
  if (target != NULL)
    g_variant_dict_insert (&dict, target_key, "s", target);
  modify (self, &dict, FALSE);
}

/* ---- the host's interfaces (for bridged adapters) ---- */

static void
interfaces_listed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(HvSettingsNetwork) self = data;
  g_autoptr(GError) error = NULL;
  GPtrArray *list = hv_engine_client_list_host_interfaces_finish (HV_ENGINE_CLIENT (source),
                                                                  result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->interfaces_loading = FALSE;
  g_clear_pointer (&self->interfaces, g_ptr_array_unref);
  /* An engine without ListHostInterfaces: no interfaces to offer; the page says so. */
  self->interfaces = list != NULL ? list
                     : g_ptr_array_new_with_free_func ((GDestroyNotify) hv_host_interface_free);
  sync_all (self);
}

static void
load_interfaces (HvSettingsNetwork *self)
{
  if (self->interfaces_loading)
    return;
  self->interfaces_loading = TRUE;
  hv_engine_client_list_host_interfaces_async (self->client, self->cancellable,
                                               interfaces_listed, g_object_ref (self));
}

/* ---- the Name row's list ---- */

static const char *
interface_kind_label (const char *kind)
{
  if (g_strcmp0 (kind, "bridge") == 0)
    return _("Bridge");
  if (g_strcmp0 (kind, "ethernet") == 0)
    return _("Ethernet");
  if (g_strcmp0 (kind, "wifi") == 0)
    return _("Wi-Fi");
  return _("Other interface");
}

/* An entry of the Name list: its name, and below it what it is or why it cannot be chosen. */
static void
target_item_setup (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   HvSettingsNetwork        *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *note = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_xalign (GTK_LABEL (note), 0);
  gtk_label_set_wrap (GTK_LABEL (note), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (note), 40);
  gtk_widget_add_css_class (note, "dim-label");
  gtk_widget_add_css_class (note, "caption");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), note);
  gtk_list_item_set_child (list_item, box);
}

static void
target_item_bind (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  HvSettingsNetwork        *self)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *name = gtk_widget_get_first_child (box);
  GtkWidget *note = gtk_widget_get_next_sibling (name);
  GtkStringObject *item = gtk_list_item_get_item (list_item);
  guint position = gtk_list_item_get_position (list_item);
  const char *text = NULL;
  gboolean allowed = TRUE;

  if (self->target_notes != NULL && position < g_strv_length (self->target_notes))
    {
      text = self->target_notes[position];
      allowed = text[0] != '!';
      if (!allowed)
        text++;
    }
  gtk_label_set_text (GTK_LABEL (name), gtk_string_object_get_string (item));
  gtk_label_set_text (GTK_LABEL (note), text != NULL ? text : "");
  gtk_widget_set_visible (note, text != NULL && text[0] != '\0');
  /* What cannot be chosen is shown with its reason, and cannot be picked. */
  gtk_widget_set_sensitive (box, allowed);
  gtk_list_item_set_activatable (list_item, allowed);
  gtk_list_item_set_selectable (list_item, allowed);
}

/* The Adapter type list: the cards' whole names, not cut. */
static void
plain_item_setup (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  HvSettingsNetwork        *self)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (list_item, label);
}

static void
plain_item_bind (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 HvSettingsNetwork        *self)
{
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (list_item)),
                      gtk_string_object_get_string (gtk_list_item_get_item (list_item)));
}

/* Fill the Name row for @mode; @current is the adapter's network. Notes that start with "!"
 * mark entries that cannot be chosen. Returns the position of @current or of the first
 * entry that can be chosen. */
static void
fill_targets (HvSettingsNetwork *self,
              const char        *mode,
              const char        *current)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) notes = g_strv_builder_new ();
  guint selected = GTK_INVALID_LIST_POSITION;
  guint n = 0;

  if (g_strcmp0 (mode, "bridged") == 0)
    {
      for (guint i = 0; self->interfaces != NULL && i < self->interfaces->len; i++, n++)
        {
          HvHostInterface *iface = self->interfaces->pdata[i];
          g_autofree char *note = NULL;

          if (iface->allowed)
            note = g_strdup (interface_kind_label (iface->kind));
          else
            /* "!" marks an entry that cannot be chosen (see target_item_bind) */
            note = g_strdup_printf ("!%s: %s", interface_kind_label (iface->kind),
                                    iface->reason != NULL && iface->reason[0] != '\0'
                                    ? iface->reason : _("not allowed"));
          gtk_string_list_append (list, iface->name);
          g_strv_builder_add (values, iface->name);
          g_strv_builder_add (notes, note);
          if (g_strcmp0 (iface->name, current) == 0)
            selected = n;
        }
    }
  else if (g_strcmp0 (mode, "host-only") == 0)
    {
      g_auto(GStrv) names = hv_engine_client_network_names (self->client, "host-only");

      for (guint i = 0; names[i] != NULL; i++, n++)
        {
          g_autoptr(GVariant) network = hv_engine_client_lookup_network (self->client, names[i]);
          guint32 prefix = 24;
          g_autofree char *note = NULL;

          if (network != NULL)
            g_variant_lookup (network, "prefix", "u", &prefix);
          note = g_strdup_printf ("%s/%u", hv_vardict_get_string (network, "address", "?"),
                                  prefix);
          gtk_string_list_append (list, names[i]);
          g_strv_builder_add (values, names[i]);
          g_strv_builder_add (notes, note);
          if (g_strcmp0 (names[i], current) == 0)
            selected = n;
        }
    }
  if (selected == GTK_INVALID_LIST_POSITION && current != NULL && current[0] != '\0')
    {
      /* The adapter names something that is not there (any more): still shown. */
      g_autofree char *missing = g_strconcat ("!", _("Not found on this computer"), NULL);

      gtk_string_list_append (list, current);
      g_strv_builder_add (values, current);
      g_strv_builder_add (notes, g_strcmp0 (mode, "bridged") == 0 && self->interfaces == NULL
                                 ? "" : missing);
      selected = n++;
    }

  g_strfreev (self->target_values);
  self->target_values = g_strv_builder_end (values);
  g_strfreev (self->target_notes);
  self->target_notes = g_strv_builder_end (notes);
  adw_combo_row_set_model (self->target_row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (self->target_row, selected);
}

/* The first network the mode could use, or NULL. */
static char *
first_target (HvSettingsNetwork *self,
              const char        *mode)
{
  if (g_strcmp0 (mode, "bridged") == 0)
    {
      for (guint i = 0; self->interfaces != NULL && i < self->interfaces->len; i++)
        {
          HvHostInterface *iface = self->interfaces->pdata[i];

          if (iface->allowed)
            return g_strdup (iface->name);
        }
      return NULL;
    }
  if (g_strcmp0 (mode, "host-only") == 0)
    {
      g_auto(GStrv) names = hv_engine_client_network_names (self->client, "host-only");

      return g_strdup (names[0]);
    }
  if (g_strcmp0 (mode, "internal") == 0)
    {
      g_auto(GStrv) names = hv_engine_client_network_names (self->client, "internal");

      return g_strdup (names[0] != NULL ? names[0] : DEFAULT_INTERNAL_NETWORK);
    }
  return NULL;
}

static void
on_internal_pick (GtkButton         *button,
                  HvSettingsNetwork *self)
{
  const char *name = gtk_button_get_label (button);

  gtk_menu_button_popdown (self->internal_menu);
  self->internal_held = FALSE;
  modify_mode (self, "internal", name);
}

/* The internal networks other VMs use, to pick from. */
static void
fill_internal_menu (HvSettingsNetwork *self)
{
  g_auto(GStrv) names = hv_engine_client_network_names (self->client, "internal");
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *popover = gtk_popover_new ();

  for (guint i = 0; names[i] != NULL; i++)
    {
      GtkWidget *button = gtk_button_new_with_label (names[i]);

      gtk_widget_add_css_class (button, "flat");
      g_signal_connect (button, "clicked", G_CALLBACK (on_internal_pick), self);
      gtk_box_append (GTK_BOX (box), button);
    }
  if (names[0] == NULL)
    {
      GtkWidget *label = gtk_label_new (_("No internal networks are in use. Type a name to "
                                          "make one."));

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
      gtk_box_append (GTK_BOX (box), label);
    }
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (self->internal_menu, popover);
}

/* ---- from the VM to the widgets ---- */

static guint
index_of (const char * const *values,
          const char         *value)
{
  for (guint i = 0; values[i] != NULL; i++)
    if (g_strcmp0 (values[i], value) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static char *
forwards_summary (GVariant *adapter)
{
  g_autoptr(GVariant) forwards = adapter != NULL
    ? g_variant_lookup_value (adapter, "forwards", G_VARIANT_TYPE ("a(sssqsq)")) : NULL;
  gsize n = forwards != NULL ? g_variant_n_children (forwards) : 0;

  if (n == 0)
    return g_strdup (_("No rules"));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u rule", "%u rules", n), (guint) n);
}

static void
sync_all (HvSettingsNetwork *self)
{
  /* Not yet: the template's first tab toggles while the page is made. */
  if (self->item == NULL)
    return;
  sync_adapter (self);
}

static void
sync_adapter (HvSettingsNetwork *self)
{
  GVariant *adapters = hv_vm_item_get_adapters (self->item);
  g_autoptr(GVariant) adapter = current_adapter (self);
  gboolean known = adapters != NULL;
  gboolean exists = adapter != NULL;
  gboolean enabled = exists && hv_vardict_get_boolean (adapter, "enabled", TRUE);
  gboolean active = vm_is_active (self);
  /* The engine says when the config may change (not while it runs, nor while unreachable). */
  gboolean editable = known && enabled && !active && hv_vm_item_get_can_modify (self->item);
  const char *engine_mode = hv_vardict_get_string (adapter, "mode", "nat");
  const char *mode = self->pending_mode[self->slot] != NULL ? self->pending_mode[self->slot]
                                                            : engine_mode;
  const char *target = hv_vardict_get_string (adapter, "target", "");
  const char *model = hv_vardict_get_string (adapter, "model", "virtio-net");
  const char *mac = hv_vardict_get_string (adapter, "mac", "");
  gboolean bridged = g_strcmp0 (mode, "bridged") == 0;
  gboolean host_only = g_strcmp0 (mode, "host-only") == 0;
  gboolean internal = g_strcmp0 (mode, "internal") == 0;
  gboolean nat = g_strcmp0 (mode, "nat") == 0;
  gboolean pending = self->pending_mode[self->slot] != NULL;
  g_autoptr(GVariant) network = host_only ? hv_engine_client_lookup_network (self->client, target)
                                          : NULL;
  const char *network_mode = hv_vardict_get_string (adapter, "network-mode",
                                                    hv_vardict_get_string (network,
                                                                           "network-mode", ""));
  g_autofree char *summary = NULL;
  const char *description;

  self->syncing = TRUE;

  if (!known)
    description = _("The engine does not report this VM's network adapters.");
  else if (active)
    description = _("The VM is running: only the cable can be connected or disconnected now. "
                    "Power off the VM to change the rest.");
  else if (!exists)
    description = _("This adapter is not set up. Enable it to give the VM another network "
                    "card.");
  else
    description = NULL;
  adw_preferences_group_set_description (self->adapter_group, description);

  gtk_switch_set_active (self->enable_switch, enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->enable_row),
                            known && !active && hv_vm_item_get_can_modify (self->item));

  adw_combo_row_set_selected (self->mode_row, index_of (hv_nic_modes, mode));
  gtk_widget_set_sensitive (GTK_WIDGET (self->mode_row), editable);

  /* Name: bridged and host-only pick from a list; internal takes a typed name. */
  gtk_widget_set_visible (GTK_WIDGET (self->target_row), bridged || host_only);
  gtk_widget_set_visible (GTK_WIDGET (self->internal_row), internal);
  gtk_widget_set_visible (self->manager_button, host_only);
  if (bridged && self->interfaces == NULL)
    load_interfaces (self);
  if (bridged || host_only)
    {
      const char *subtitle = NULL;

      fill_targets (self, mode, pending ? NULL : target);
      if (pending && bridged && self->interfaces != NULL)
        subtitle = _("No interface of this computer can be bridged yet: a host bridge must "
                     "exist and be allowed by the one-time set-up (see each interface)");
      else if (pending && bridged)
        subtitle = _("Looking for the computer's interfaces…");
      else if (pending)
        subtitle = _("Choose a network; create one with the Network Manager");
      else if (host_only && g_strcmp0 (network_mode, "isolated") == 0)
        subtitle = _("Runs isolated: the host reaches the guest only through forwarded ports on "
                     "127.0.0.1");
      else if (host_only && g_strcmp0 (network_mode, "host") == 0)
        subtitle = _("The host reaches the guest at its address on this network");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->target_row),
                                   subtitle != NULL ? subtitle : "");
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->target_row), editable);
  if (internal)
    {
      if (!self->internal_held)
        gtk_editable_set_text (GTK_EDITABLE (self->internal_row),
                               g_strcmp0 (engine_mode, "internal") == 0 ? target : "");
      fill_internal_menu (self);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->internal_row), editable);

  adw_combo_row_set_selected (self->model_row, index_of (hv_nic_models, model));
  gtk_widget_set_sensitive (GTK_WIDGET (self->model_row), editable);

  if (!self->mac_held)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->mac_row), mac);
      hv_ui_mark_error (GTK_WIDGET (self->mac_row), FALSE);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->mac_row), editable);

  /* The cable is the one thing that changes while the VM runs (set_link). */
  gtk_switch_set_active (self->cable_switch, hv_vardict_get_boolean (adapter, "cable", TRUE));
  gtk_widget_set_sensitive (GTK_WIDGET (self->cable_row), known && enabled);
  if (active && enabled)
    {
      const char *link = hv_vardict_get_string (adapter, "link", "");

      adw_action_row_set_subtitle (self->cable_row,
                                   g_strcmp0 (link, "up") == 0 ? _("The guest's link is up")
                                   : g_strcmp0 (link, "down") == 0 ? _("The guest's link is down")
                                   : "");
    }
  else
    adw_action_row_set_subtitle (self->cable_row, "");

  /* Port forwarding: NAT, and host-only while its network runs isolated (the engine then
   * forwards the ports itself). Rules change while the VM runs too. */
  gtk_widget_set_visible (GTK_WIDGET (self->forward_row), nat || host_only);
  summary = forwards_summary (adapter);
  if (host_only && g_strcmp0 (network_mode, "host") == 0)
    {
      adw_action_row_set_subtitle (self->forward_row,
                                   _("Not needed: the host reaches the guest at its address"));
      gtk_widget_set_sensitive (self->forward_button, FALSE);
    }
  else
    {
      adw_action_row_set_subtitle (self->forward_row, summary);
      gtk_widget_set_sensitive (self->forward_button,
                                known && enabled && !pending &&
                                g_strcmp0 (engine_mode, mode) == 0);
    }

  self->syncing = FALSE;
}

static void
on_changed (HvSettingsNetwork *self)
{
  sync_all (self);
}

/* ---- user actions ---- */

static void
on_tab_toggled (HvSettingsNetwork *self,
                GtkToggleButton   *tab)
{
  GtkToggleButton *tabs[] = { self->tab1, self->tab2, self->tab3, self->tab4 };

  if (!gtk_toggle_button_get_active (tab))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (tabs); i++)
    if (tabs[i] == tab)
      self->slot = i + 1;
  self->mac_held = FALSE;
  self->internal_held = FALSE;
  hv_ui_set_error_label (self->error_label, NULL);
  sync_all (self);
}

static void
on_enable_changed (HvSettingsNetwork *self)
{
  gboolean on = gtk_switch_get_active (self->enable_switch);
  g_autoptr(GVariant) adapter = NULL;

  if (self->syncing)
    return;
  adapter = current_adapter (self);
  if (adapter == NULL)
    {
      /* A new adapter: NAT, as a new VM's first one. */
      if (on)
        modify_mode (self, "nat", NULL);
      return;
    }
  modify_one (self, "-enabled", g_variant_new_boolean (on));
}

static void
on_mode_selected (HvSettingsNetwork *self)
{
  guint i = adw_combo_row_get_selected (self->mode_row);
  g_autoptr(GVariant) adapter = current_adapter (self);
  const char *engine_mode = hv_vardict_get_string (adapter, "mode", "nat");
  const char *mode;
  g_autofree char *target = NULL;

  if (self->syncing || i >= hv_nic_n_modes ())
    return;
  mode = hv_nic_modes[i];
  hv_ui_set_error_label (self->error_label, NULL);
  if (g_strcmp0 (mode, engine_mode) == 0)
    {
      g_clear_pointer (&self->pending_mode[self->slot], g_free);
      sync_all (self);
      return;
    }
  if (g_strcmp0 (mode, "nat") == 0 || g_strcmp0 (mode, "none") == 0)
    {
      modify_mode (self, mode, NULL);
      return;
    }
  target = first_target (self, mode);
  if (target == NULL)
    {
      /* Nothing to attach to yet: the mode waits here for a network. */
      g_free (self->pending_mode[self->slot]);
      self->pending_mode[self->slot] = g_strdup (mode);
      sync_all (self);
      return;
    }
  self->internal_held = FALSE;
  modify_mode (self, mode, target);
}

static void
on_target_selected (HvSettingsNetwork *self)
{
  guint i = adw_combo_row_get_selected (self->target_row);
  guint n = self->target_values != NULL ? g_strv_length (self->target_values) : 0;
  guint mode_i = adw_combo_row_get_selected (self->mode_row);
  g_autoptr(GVariant) adapter = current_adapter (self);
  const char *mode;

  if (self->syncing || i >= n || mode_i >= hv_nic_n_modes ())
    return;
  mode = hv_nic_modes[mode_i];
  if (self->target_notes[i][0] == '!')
    {
      /* Cannot be chosen: say why, and show the adapter as it is. */
      hv_ui_set_error_label (self->error_label, self->target_notes[i] + 1);
      sync_all (self);
      return;
    }
  if (g_strcmp0 (mode, hv_vardict_get_string (adapter, "mode", NULL)) == 0 &&
      g_strcmp0 (self->target_values[i], hv_vardict_get_string (adapter, "target", NULL)) == 0)
    return;
  modify_mode (self, mode, self->target_values[i]);
}

static void
on_internal_changed (HvSettingsNetwork *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->internal_row));
  g_autofree char *problem = NULL;

  if (self->syncing)
    return;
  self->internal_held = TRUE;
  problem = text[0] != '\0' ? hv_check_network_name (text) : NULL;
  hv_ui_set_error_label (self->error_label, problem);
  hv_ui_mark_error (GTK_WIDGET (self->internal_row), problem != NULL);
}

static void
on_internal_apply (HvSettingsNetwork *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->internal_row));
  g_autofree char *problem = hv_check_network_name (text);

  hv_ui_set_error_label (self->error_label, problem);
  hv_ui_mark_error (GTK_WIDGET (self->internal_row), problem != NULL);
  if (problem != NULL)
    return;
  self->internal_held = FALSE;
  modify_mode (self, "internal", text);
}

static void
on_model_selected (HvSettingsNetwork *self)
{
  guint i = adw_combo_row_get_selected (self->model_row);
  g_autoptr(GVariant) adapter = current_adapter (self);

  if (self->syncing || i >= hv_nic_n_models () ||
      g_strcmp0 (hv_nic_models[i], hv_vardict_get_string (adapter, "model", NULL)) == 0)
    return;
  modify_one (self, "-model", g_variant_new_string (hv_nic_models[i]));
}

static void
on_mac_changed (HvSettingsNetwork *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->mac_row));
  g_autofree char *problem = NULL;
  g_autoptr(GVariant) adapter = NULL;

  if (self->syncing)
    return;
  adapter = current_adapter (self);
  self->mac_held = g_ascii_strcasecmp (text, hv_vardict_get_string (adapter, "mac", "")) != 0;
  problem = self->mac_held ? hv_check_mac (text) : NULL;
  hv_ui_set_error_label (self->error_label, problem);
  hv_ui_mark_error (GTK_WIDGET (self->mac_row), problem != NULL);
}

static void
on_mac_apply (HvSettingsNetwork *self)
{
  g_autofree char *text = g_ascii_strdown (gtk_editable_get_text (GTK_EDITABLE (self->mac_row)),
                                           -1);
  g_autofree char *problem = hv_check_mac (text);
  g_autofree char *key = option (self, "-mac");
  GVariantDict dict;

  hv_ui_set_error_label (self->error_label, problem);
  hv_ui_mark_error (GTK_WIDGET (self->mac_row), problem != NULL);
  if (problem != NULL)
    return;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, key, "s", text);
  modify (self, &dict, TRUE);
}

static void
on_mac_regenerate (HvSettingsNetwork *self)
{
  g_autofree char *key = option (self, "-mac");
  GVariantDict dict;

  /* The engine makes it, unique within the library. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, key, "s", "auto");
  modify (self, &dict, TRUE);
}

static void
on_cable_changed (HvSettingsNetwork *self)
{
  if (self->syncing)
    return;
  modify_one (self, "-cable", g_variant_new_boolean (gtk_switch_get_active (self->cable_switch)));
}

static void
on_forward_clicked (HvSettingsNetwork *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  hv_port_forward_dialog_present (GTK_WINDOW (root), self->client, self->item, self->slot);
}

static void
on_manager_clicked (HvSettingsNetwork *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  hv_network_manager_present (GTK_WINDOW (root), self->client);
}

/* ---- object ---- */

static void
hv_settings_network_dispose (GObject *object)
{
  HvSettingsNetwork *self = HV_SETTINGS_NETWORK (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SETTINGS_NETWORK);
  G_OBJECT_CLASS (hv_settings_network_parent_class)->dispose (object);
}

static void
hv_settings_network_finalize (GObject *object)
{
  HvSettingsNetwork *self = HV_SETTINGS_NETWORK (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->interfaces, g_ptr_array_unref);
  for (guint i = 0; i <= HV_NIC_SLOTS; i++)
    g_free (self->pending_mode[i]);
  g_strfreev (self->target_values);
  g_strfreev (self->target_notes);
  G_OBJECT_CLASS (hv_settings_network_parent_class)->finalize (object);
}

static void
hv_settings_network_class_init (HvSettingsNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_settings_network_dispose;
  object_class->finalize = hv_settings_network_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-settings-network.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, tab1);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, tab2);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, tab3);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, tab4);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, adapter_group);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, enable_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, enable_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, mode_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, target_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, manager_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, internal_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, internal_menu);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, model_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, mac_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, mac_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, cable_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, cable_switch);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, forward_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, forward_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsNetwork, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_tab_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_enable_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_target_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_manager_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_internal_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_internal_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_model_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_mac_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mac_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_mac_regenerate);
  gtk_widget_class_bind_template_callback (widget_class, on_cable_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_forward_clicked);
}

static void
hv_settings_network_init (HvSettingsNetwork *self)
{
  g_autoptr(GtkStringList) modes = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) models = gtk_string_list_new (NULL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->cancellable = g_cancellable_new ();
  self->slot = 1;
  self->syncing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint i = 0; hv_nic_modes[i] != NULL; i++)
    gtk_string_list_append (modes, hv_nic_mode_label (hv_nic_modes[i]));
  adw_combo_row_set_model (self->mode_row, G_LIST_MODEL (modes));
  for (guint i = 0; hv_nic_models[i] != NULL; i++)
    gtk_string_list_append (models, hv_nic_model_label (hv_nic_models[i]));
  adw_combo_row_set_model (self->model_row, G_LIST_MODEL (models));
  g_signal_connect (factory, "setup", G_CALLBACK (target_item_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (target_item_bind), self);
  adw_combo_row_set_list_factory (self->target_row, factory);
  g_clear_object (&factory);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (plain_item_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (plain_item_bind), self);
  adw_combo_row_set_list_factory (self->model_row, factory);
  self->syncing = FALSE;
}

GtkWidget *
hv_settings_network_new (HvEngineClient *client,
                         HvVmItem       *item)
{
  HvSettingsNetwork *self = g_object_new (HV_TYPE_SETTINGS_NETWORK, NULL);

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  g_signal_connect_swapped (item, "notify::adapters", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (item, "notify::can-modify", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (client, "notify::networks", G_CALLBACK (on_changed), self);
  sync_all (self);
  return GTK_WIDGET (self);
}
