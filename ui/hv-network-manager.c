/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-manager.c: the Network Manager, as VirtualBox's File → Tools → Network Manager.
 *
 * Everything shown comes from the engine's Networks and NetworkSetup properties and follows
 * them. Host-only networks are created, changed and removed with CreateNetwork, ModifyNetwork
 * and RemoveNetwork; the engine refuses what it cannot do (a network in use) and its message
 * is shown. When the one-time set-up is missing a notice says what it gives, with a button
 * that runs NetworkSetup's "command" as administrator through pkexec. */
#include "hv-build-config.h"

#include "hv-network-manager.h"

#include <glib/gi18n.h>

#include "hv-engine-client-network.h"
#include "hv-error.h"
#include "hv-messages.h"
#include "hv-ui-util.h"

struct _HvNetworkManager
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  GCancellable *cancellable;
  GPtrArray *rows;               /* GtkWidget*: the rows of both groups, rebuilt on changes */
  gboolean setup_running;

  /* template widgets */
  AdwToastOverlay *toasts;
  GtkWidget *setup_group;
  GtkWidget *error_group;
  GtkLabel *error_label;
  GtkLabel *command_label;
  GtkWidget *setup_button;
  AdwPreferencesGroup *host_group;
  GtkWidget *create_button;
  AdwPreferencesGroup *internal_group;
};

G_DEFINE_FINAL_TYPE (HvNetworkManager, hv_network_manager, ADW_TYPE_WINDOW)

static HvNetworkManager *the_manager;

static void
toast (HvNetworkManager *self,
       const char       *message)
{
  AdwToast *t = adw_toast_new (message);

  adw_toast_set_timeout (t, 10);
  adw_toast_overlay_add_toast (self->toasts, t);
}

/* An error of the engine's under the notice, whole (a toast would cut it), until the next
 * change succeeds. */
static void
show_error (HvNetworkManager *self,
            const char       *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (self->error_group, message != NULL);
}

/* The engine's words for a network's refusal: its message in the user's language when it is
 * a known one, else as it is (the generic sentence for the error's code speaks of VMs). */
static char *
network_error (const GError *error)
{
  char *translated = hv_messages_translate (error->message);

  if (translated != NULL)
    return translated;
  return error->domain == HV_ERROR ? g_strdup (error->message) : hv_messages_error (error);
}

/* ---- calls ---- */

typedef struct {
  HvNetworkManager *self;
  char *what;              /* "Could not create the network “lab”" … */
  AdwMessageDialog *form;  /* the form that made the call: closed on success */
} Call;

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Call *call = data;
  g_autoptr(HvNetworkManager) self = call->self;
  g_autofree char *what = call->what;
  g_autoptr(AdwMessageDialog) form = call->form;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  g_free (call);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      g_autofree char *reason = network_error (error);
      /* Translators: what failed ("Could not remove “lab”"), then the engine's reason */
      g_autofree char *message = g_strdup_printf (_("%s: %s"), what, reason);

      if (form != NULL)
        {
          /* The form stays open with what was typed. */
          GtkLabel *label = g_object_get_data (G_OBJECT (form), "hv-error");

          hv_ui_set_error_label (label, message);
          adw_message_dialog_set_response_enabled (form, "save", TRUE);
        }
      else
        show_error (self, message);
      return;
    }
  show_error (self, NULL);
  if (form != NULL)
    gtk_window_destroy (GTK_WINDOW (form));
}

static void
engine_call (HvNetworkManager *self,
             const char       *method,
             GVariant         *parameters,
             const char       *what,
             AdwMessageDialog *form)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->what = g_strdup (what);
  call->form = form != NULL ? g_object_ref (form) : NULL;
  hv_engine_client_call (self->client, NULL, method, parameters, self->cancellable, call_done,
                         call);
}

/* ---- the create / edit form ---- */

typedef struct {
  AdwEntryRow *name;       /* NULL when editing: a network keeps its name */
  AdwEntryRow *address;
  GtkSwitch *dhcp;
  AdwEntryRow *dhcp_start;
  AdwEntryRow *dhcp_end;
  GtkLabel *error;
  char *editing;           /* the network's name when editing */
} Form;

static void
form_free (Form *form)
{
  g_free (form->editing);
  g_free (form);
}

static const char *
text_of (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

/* "192.168.61.1/24": an IPv4 address and a prefix of 8..30. */
static char *
check_address (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "/", 2);
  g_autofree char *problem = hv_check_ipv4 (parts[0], _("The host address"));
  char *end = NULL;
  guint64 prefix;

  if (problem != NULL)
    return g_steal_pointer (&problem);
  if (parts[1] == NULL)
    return g_strdup (_("Give the network's size after the address, as in 192.168.61.1/24"));
  prefix = g_ascii_strtoull (parts[1], &end, 10);
  if (parts[1][0] == '\0' || *end != '\0' || prefix < 8 || prefix > 30)
    return g_strdup (_("The network's size after “/” must be from 8 to 30 (24 is usual)"));
  return NULL;
}

/* The form's first problem, or NULL. Nothing typed yet in the name is not shown as an error. */
static char *
form_problem (Form *form)
{
  const char *address = text_of (form->address);

  if (form->name != NULL)
    {
      g_autofree char *problem = hv_check_network_name (text_of (form->name));

      hv_ui_mark_error (GTK_WIDGET (form->name), problem != NULL && text_of (form->name)[0]);
      if (problem != NULL)
        return g_steal_pointer (&problem);
    }
  hv_ui_mark_error (GTK_WIDGET (form->address), FALSE);
  hv_ui_mark_error (GTK_WIDGET (form->dhcp_start), FALSE);
  hv_ui_mark_error (GTK_WIDGET (form->dhcp_end), FALSE);
  if (address[0] != '\0')
    {
      g_autofree char *problem = check_address (address);

      hv_ui_mark_error (GTK_WIDGET (form->address), problem != NULL);
      if (problem != NULL)
        return g_steal_pointer (&problem);
    }
  if (gtk_switch_get_active (form->dhcp))
    {
      const char *start = text_of (form->dhcp_start);
      const char *end = text_of (form->dhcp_end);

      if ((start[0] == '\0') != (end[0] == '\0'))
        return g_strdup (_("Give both ends of the DHCP range, or neither for the default"));
      if (start[0] != '\0')
        {
          g_autofree char *problem = hv_check_ipv4 (start, _("The first DHCP address"));

          if (problem == NULL)
            problem = hv_check_ipv4 (end, _("The last DHCP address"));
          hv_ui_mark_error (GTK_WIDGET (form->dhcp_start), problem != NULL);
          hv_ui_mark_error (GTK_WIDGET (form->dhcp_end), problem != NULL);
          if (problem != NULL)
            return g_steal_pointer (&problem);
        }
    }
  return NULL;
}

static void
form_validate (AdwMessageDialog *dialog)
{
  Form *form = g_object_get_data (G_OBJECT (dialog), "hv-form");
  g_autofree char *problem = form_problem (form);
  gboolean dhcp = gtk_switch_get_active (form->dhcp);

  gtk_widget_set_sensitive (GTK_WIDGET (form->dhcp_start), dhcp);
  gtk_widget_set_sensitive (GTK_WIDGET (form->dhcp_end), dhcp);
  hv_ui_set_error_label (form->error,
                         form->name != NULL && text_of (form->name)[0] == '\0' ? NULL : problem);
  adw_message_dialog_set_response_enabled (dialog, "save", problem == NULL);
}

static void
on_form_response (AdwMessageDialog *dialog,
                  const char       *response,
                  HvNetworkManager *self)
{
  Form *form = g_object_get_data (G_OBJECT (dialog), "hv-form");
  g_autofree char *problem = NULL;
  g_autofree char *what = NULL;
  const char *name;
  GVariantDict dict;

  if (g_strcmp0 (response, "save") != 0)
    {
      gtk_window_destroy (GTK_WINDOW (dialog));
      return;
    }
  problem = form_problem (form);
  if (problem != NULL)
    {
      hv_ui_set_error_label (form->error, problem);
      return;
    }
  name = form->editing != NULL ? form->editing : text_of (form->name);
  g_variant_dict_init (&dict, NULL);
  if (text_of (form->address)[0] != '\0')
    g_variant_dict_insert (&dict, "address", "s", text_of (form->address));
  g_variant_dict_insert (&dict, "dhcp", "b", gtk_switch_get_active (form->dhcp));
  if (gtk_switch_get_active (form->dhcp) && text_of (form->dhcp_start)[0] != '\0')
    {
      g_variant_dict_insert (&dict, "dhcp-start", "s", text_of (form->dhcp_start));
      g_variant_dict_insert (&dict, "dhcp-end", "s", text_of (form->dhcp_end));
    }
  /* Translators: %s is a network's name */
  what = g_strdup_printf (form->editing != NULL ? _("Could not change “%s”")
                                                : _("Could not create “%s”"), name);
  adw_message_dialog_set_response_enabled (dialog, "save", FALSE);
  engine_call (self, form->editing != NULL ? "ModifyNetwork" : "CreateNetwork",
               g_variant_new ("(s@a{sv})", name, g_variant_dict_end (&dict)), what, dialog);
}

static AdwEntryRow *
form_entry (GtkWidget        *list,
            const char       *title,
            const char       *text,
            AdwMessageDialog *dialog)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
  g_signal_connect_swapped (row, "changed", G_CALLBACK (form_validate), dialog);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return ADW_ENTRY_ROW (row);
}

/* The form for a new network (@network NULL) or for changing @network. */
static void
open_form (HvNetworkManager *self,
           GVariant         *network)
{
  const char *name = hv_vardict_get_string (network, "name", NULL);
  g_autofree char *heading = name != NULL
    /* Translators: %s is a host-only network's name */
    ? g_strdup_printf (_("Network “%s”"), name) : g_strdup (_("New Host-only Network"));
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                                         heading, NULL));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *dhcp_row = adw_action_row_new ();
  GtkWidget *error = gtk_label_new (NULL);
  Form *form = g_new0 (Form, 1);
  g_autofree char *address = NULL;
  guint32 prefix = 24;
  gboolean dhcp = TRUE;

  if (network != NULL)
    {
      g_variant_lookup (network, "prefix", "u", &prefix);
      g_variant_lookup (network, "dhcp", "b", &dhcp);
      address = g_strdup_printf ("%s/%u", hv_vardict_get_string (network, "address", ""),
                                 prefix);
    }
  adw_message_dialog_set_body (dialog, network != NULL
                               ? _("The network must be down (no VM on it running) to change.")
                               : _("Leave the address empty for the next free network that "
                                   "collides with no network of this computer."));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  g_object_set_data_full (G_OBJECT (dialog), "hv-form", form, (GDestroyNotify) form_free);
  g_object_set_data (G_OBJECT (dialog), "hv-error", error);
  if (network == NULL)
    form->name = form_entry (list, _("Name (a to z, 0 to 9, “-”; at most 12)"), NULL, dialog);
  else
    form->editing = g_strdup (name);
  form->address = form_entry (list, _("Host address and size (192.168.61.1/24)"), address,
                              dialog);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (dhcp_row), _("DHCP server"));
  form->dhcp = GTK_SWITCH (gtk_switch_new ());
  gtk_switch_set_active (form->dhcp, dhcp);
  gtk_widget_set_valign (GTK_WIDGET (form->dhcp), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (form->dhcp), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("DHCP server"), -1);
  g_signal_connect_swapped (form->dhcp, "notify::active", G_CALLBACK (form_validate), dialog);
  adw_action_row_add_suffix (ADW_ACTION_ROW (dhcp_row), GTK_WIDGET (form->dhcp));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (dhcp_row), GTK_WIDGET (form->dhcp));
  gtk_list_box_append (GTK_LIST_BOX (list), dhcp_row);
  form->dhcp_start = form_entry (list, _("First DHCP address (empty: .100)"),
                                 hv_vardict_get_string (network, "dhcp-start", NULL), dialog);
  form->dhcp_end = form_entry (list, _("Last DHCP address (empty: .254)"),
                               hv_vardict_get_string (network, "dhcp-end", NULL), dialog);
  form->error = GTK_LABEL (error);
  gtk_label_set_wrap (form->error, TRUE);
  gtk_label_set_xalign (form->error, 0);
  gtk_widget_add_css_class (error, "error");
  gtk_widget_set_visible (error, FALSE);
  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (GTK_BOX (box), error);
  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "save", network != NULL ? _("_Save") : _("C_reate"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  /* The form answers itself: it stays open until the engine has said yes. */
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_form_response), self, 0);
  form_validate (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- from the engine to the window ---- */

static void
on_edit_clicked (GtkButton        *button,
                 HvNetworkManager *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "hv-network");
  g_autoptr(GVariant) network = hv_engine_client_lookup_network (self->client, name);

  if (network != NULL)
    open_form (self, network);
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    HvNetworkManager *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "hv-network");
  g_autofree char *what = NULL;

  if (g_strcmp0 (response, "remove") != 0)
    return;
  /* Translators: %s is a network's name */
  what = g_strdup_printf (_("Could not remove “%s”"), name);
  /* The engine refuses while a VM's adapter names it, and says which. */
  engine_call (self, "RemoveNetwork", g_variant_new ("(s)", name), what, NULL);
}

static void
on_remove_clicked (GtkButton        *button,
                   HvNetworkManager *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "hv-network");
  AdwMessageDialog *dialog =
    ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL));

  /* Translators: %s is a host-only network's name */
  adw_message_dialog_format_heading (dialog, _("Remove “%s”?"), name);
  adw_message_dialog_set_body (dialog, _("Its addresses and DHCP settings are forgotten. A "
                                         "network that a VM's adapter names cannot be "
                                         "removed."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hv-network", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
row_button (HvNetworkManager *self,
            const char       *icon,
            const char       *label_format,
            const char       *name,
            GCallback         callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);
  g_autofree char *label = g_strdup_printf (label_format, name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
  g_object_set_data_full (G_OBJECT (button), "hv-network", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static char *
host_only_subtitle (HvNetworkManager *self,
                    GVariant         *network)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree const char **uuids = NULL;
  g_autofree char *vms = NULL;
  guint32 prefix = 24;
  const char *mode = hv_vardict_get_string (network, "network-mode", "");

  g_variant_lookup (network, "prefix", "u", &prefix);
  g_variant_lookup (network, "vms", "^a&s", &uuids);
  g_string_append_printf (text, "%s/%u", hv_vardict_get_string (network, "address", "?"),
                          prefix);
  if (hv_vardict_get_boolean (network, "dhcp", FALSE))
    /* Translators: a DHCP server's range of addresses */
    g_string_append_printf (text, _(" · DHCP %s – %s"),
                            hv_vardict_get_string (network, "dhcp-start", "?"),
                            hv_vardict_get_string (network, "dhcp-end", "?"));
  else
    g_string_append (text, _(" · no DHCP"));
  g_string_append (text, g_strcmp0 (hv_vardict_get_string (network, "state", ""), "up") == 0
                         ? _(" · up") : _(" · down"));
  if (g_strcmp0 (mode, "host") == 0)
    g_string_append (text, _("\nMode: host (this computer reaches guests at their addresses)"));
  else if (g_strcmp0 (mode, "isolated") == 0)
    g_string_append (text, _("\nMode: isolated (this computer reaches guests only through "
                             "forwarded ports on 127.0.0.1)"));
  vms = hv_engine_client_vm_names (self->client, uuids);
  if (vms[0] != '\0')
    /* Translators: the names of the VMs whose adapters use a network */
    g_string_append_printf (text, _("\nUsed by %s"), vms);
  else
    g_string_append (text, _("\nNo VM uses it"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
add_row (HvNetworkManager    *self,
         AdwPreferencesGroup *group,
         GtkWidget           *row)
{
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);
}

static void
sync_all (HvNetworkManager *self)
{
  GVariant *networks = hv_engine_client_get_networks (self->client);
  GVariant *setup = hv_engine_client_get_network_setup (self->client);
  g_auto(GStrv) host_only = hv_engine_client_network_names (self->client, "host-only");
  g_auto(GStrv) internal = hv_engine_client_network_names (self->client, "internal");
  const char *command = hv_vardict_get_string (setup, "command", "");

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = self->rows->pdata[i];

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (
        gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP)), row);
    }
  g_ptr_array_set_size (self->rows, 0);

  /* The set-up: offered while the engine says it is not done (not when it does not say). */
  gtk_widget_set_visible (self->setup_group,
                          setup != NULL && !hv_engine_client_network_setup_done (self->client));
  if (command[0] != '\0')
    {
      /* Translators: %s is a shell command */
      g_autofree char *text = g_strdup_printf (_("Or run as administrator: %s"), command);

      gtk_label_set_text (self->command_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->command_label), command[0] != '\0');
  gtk_widget_set_sensitive (self->setup_button, command[0] != '\0' && !self->setup_running);

  gtk_widget_set_sensitive (self->create_button, networks != NULL);
  for (guint i = 0; host_only[i] != NULL; i++)
    {
      g_autoptr(GVariant) network = hv_engine_client_lookup_network (self->client, host_only[i]);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *subtitle = host_only_subtitle (self, network);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), host_only[i]);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      /* Translators: %s is a network's name, for a button's accessible name */
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 row_button (self, "document-edit-symbolic", _("Edit %s"),
                                             host_only[i], G_CALLBACK (on_edit_clicked)));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 row_button (self, "user-trash-symbolic", _("Remove %s"),
                                             host_only[i], G_CALLBACK (on_remove_clicked)));
      add_row (self, self->host_group, row);
    }
  if (host_only[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     networks == NULL
                                     ? _("The engine does not report networks")
                                     : _("No host-only networks yet"));
      gtk_widget_add_css_class (row, "dim-label");
      add_row (self, self->host_group, row);
    }

  for (guint i = 0; internal[i] != NULL; i++)
    {
      g_autoptr(GVariant) network = hv_engine_client_lookup_network (self->client, internal[i]);
      GtkWidget *row = adw_action_row_new ();
      g_autofree const char **uuids = NULL;
      g_autofree char *vms = NULL;
      g_autofree char *subtitle = NULL;

      g_variant_lookup (network, "vms", "^a&s", &uuids);
      vms = hv_engine_client_vm_names (self->client, uuids);
      subtitle = g_strdup_printf (_("Used by %s"), vms);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), internal[i]);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      add_row (self, self->internal_group, row);
    }
  if (internal[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("No VM's adapter is on an internal network"));
      gtk_widget_add_css_class (row, "dim-label");
      add_row (self, self->internal_group, row);
    }
}

static void
on_networks_changed (HvNetworkManager *self)
{
  sync_all (self);
}

/* ---- the one-time set-up ---- */

static void
setup_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(HvNetworkManager) self = data;
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->setup_running = FALSE;
  if (error != NULL)
    {
      /* pkexec says 126 when the person cancelled, 127 when not authorized. */
      g_autofree char *message = g_strdup_printf (_("The set-up did not complete: %s"),
                                                  error->message);
      toast (self, message);
    }
  else
    toast (self, _("The set-up is done. Host-only networks reach this computer from their "
                   "next start."));
  sync_all (self);
}

static void
on_setup_clicked (HvNetworkManager *self)
{
  const char *command = hv_vardict_get_string (hv_engine_client_get_network_setup (self->client),
                                               "command", "");
  g_auto(GStrv) argv = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) full = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  if (command[0] == '\0' || self->setup_running)
    return;
  if (!g_shell_parse_argv (command, NULL, &argv, &error))
    {
      toast (self, error->message);
      return;
    }
  /* As administrator: pkexec asks for the password (polkit), unless the command does. */
  if (g_strcmp0 (argv[0], "pkexec") != 0)
    g_strv_builder_add (builder, "pkexec");
  g_strv_builder_addv (builder, (const char **) argv);
  full = g_strv_builder_end (builder);
  process = g_subprocess_newv ((const char * const *) full, G_SUBPROCESS_FLAGS_NONE, &error);
  if (process == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The set-up did not start: %s"),
                                                  error->message);
      toast (self, message);
      return;
    }
  self->setup_running = TRUE;
  gtk_widget_set_sensitive (self->setup_button, FALSE);
  g_subprocess_wait_check_async (process, self->cancellable, setup_done, g_object_ref (self));
}

/* ---- object ---- */

static void
on_create_clicked (HvNetworkManager *self)
{
  open_form (self, NULL);
}

static void
hv_network_manager_dispose (GObject *object)
{
  HvNetworkManager *self = HV_NETWORK_MANAGER (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  if (the_manager == self)
    the_manager = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_NETWORK_MANAGER);
  G_OBJECT_CLASS (hv_network_manager_parent_class)->dispose (object);
}

static void
hv_network_manager_finalize (GObject *object)
{
  HvNetworkManager *self = HV_NETWORK_MANAGER (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (hv_network_manager_parent_class)->finalize (object);
}

static void
hv_network_manager_class_init (HvNetworkManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_network_manager_dispose;
  object_class->finalize = hv_network_manager_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-network-manager.ui");
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, toasts);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, setup_group);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, error_group);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, error_label);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, command_label);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, setup_button);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, host_group);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, create_button);
  gtk_widget_class_bind_template_child (widget_class, HvNetworkManager, internal_group);
  gtk_widget_class_bind_template_callback (widget_class, on_setup_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
}

static void
hv_network_manager_init (HvNetworkManager *self)
{
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
hv_network_manager_present (GtkWindow      *parent,
                            HvEngineClient *client)
{
  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));

  if (the_manager == NULL)
    {
      the_manager = g_object_new (HV_TYPE_NETWORK_MANAGER, NULL);
      the_manager->client = g_object_ref (client);
      g_signal_connect_swapped (client, "notify::networks", G_CALLBACK (on_networks_changed),
                                the_manager);
      /* VMs' names in "Used by" follow renames through the list's changes. */
      g_signal_connect_object (hv_engine_client_get_vms (client), "items-changed",
                               G_CALLBACK (on_networks_changed), the_manager,
                               G_CONNECT_SWAPPED);
      sync_all (the_manager);
    }
  /* Over a modal window (Settings) it must be modal too, to take input. */
  gtk_window_set_transient_for (GTK_WINDOW (the_manager), parent);
  gtk_window_set_modal (GTK_WINDOW (the_manager),
                        parent != NULL && gtk_window_get_modal (parent));
  if (parent != NULL)
    gtk_window_set_application (GTK_WINDOW (the_manager),
                                gtk_window_get_application (parent));
  gtk_window_present (GTK_WINDOW (the_manager));
}
