/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-guest.c: the Settings dialog's "Guest" page: the guest tools (their state,
 * "Insert Guest Tools CD"), the shared clipboard's mode and the shared folders. Everything
 * shown comes from the VM's D-Bus properties and follows their changes. */
#include "hv-build-config.h"

#include "hv-settings-guest.h"

#include <glib/gi18n.h>

#include "hv-messages.h"
#include "hv-remote-files.h"

struct _HvSettingsGuest
{
  AdwPreferencesPage parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  HvDbusVm *proxy;
  GCancellable *cancellable;
  GtkFileChooserNative *chooser;
  GPtrArray *share_rows;        /* GtkWidget*, in shares_group */

  /* borrowed */
  AdwActionRow *agent_row;
  AdwComboRow *clipboard_row;
  AdwPreferencesGroup *shares_group;
  GtkWidget *add_button;        /* the buttons' box */
  GtkWidget *add_row;           /* the last row of shares_group, holding add_button */
  gboolean syncing;
};

G_DEFINE_FINAL_TYPE (HvSettingsGuest, hv_settings_guest, ADW_TYPE_PREFERENCES_PAGE)

static const char * const clipboard_modes[] = { "off", "host-to-guest", "guest-to-host", "both" };

static void
toast (HvSettingsGuest *self,
       const char      *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (message));
}

typedef struct {
  HvSettingsGuest *self;
  char *done_message;     /* said when the call succeeds; NULL: the page's change says it */
} Call;

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Call *call = data;
  g_autoptr(HvSettingsGuest) self = call->self;
  g_autofree char *done_message = call->done_message;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  g_free (call);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = hv_messages_error (error);
      toast (self, message);
    }
  else if (reply != NULL && done_message != NULL)
    toast (self, done_message);
}

static void
call_with_message (HvSettingsGuest *self,
                   const char      *method,
                   GVariant        *parameters,
                   const char      *done_message)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->done_message = g_strdup (done_message);
  hv_engine_client_call (self->client, self->item, method, parameters, self->cancellable,
                         on_call_done, call);
}

static void
call (HvSettingsGuest *self,
      const char      *method,
      GVariant        *parameters)
{
  call_with_message (self, method, parameters, NULL);
}

/* The engine says when folders may change: while the VM is off, and while it runs with
 * virtiofs shares (which it adds to and removes from the running guest). */
static gboolean
can_change_shares (HvSettingsGuest *self)
{
  return hv_dbus_vm_get_can_change_shares (self->proxy);
}

/* ---- sync from the VM's properties ---- */

static const char *
share_state_of (HvSettingsGuest *self,
                const char      *name,
                const char     **detail)
{
  GVariant *status = hv_dbus_vm_get_share_status (self->proxy);
  GVariantIter iter;
  const char *s_name, *s_state, *s_detail;

  *detail = NULL;
  if (status == NULL)
    return NULL;
  g_variant_iter_init (&iter, status);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &s_name, &s_state, &s_detail))
    if (g_str_equal (s_name, name))
      {
        *detail = s_detail;
        return s_state;
      }
  return NULL;
}

static void
on_remove_share (GtkButton       *button,
                 HvSettingsGuest *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "hv-share");

  call (self, "RemoveShare", g_variant_new ("(s)", name));
}

static void
sync_shares (HvSettingsGuest *self)
{
  GVariant *shares = hv_dbus_vm_get_shares (self->proxy);
  gboolean can_change = can_change_shares (self);
  gboolean off = hv_vm_item_get_can_modify (self->item);
  GVariantIter iter;
  const char *name, *path;
  gboolean readonly, automount;

  for (guint i = 0; i < self->share_rows->len; i++)
    adw_preferences_group_remove (self->shares_group, g_ptr_array_index (self->share_rows, i));
  g_ptr_array_set_size (self->share_rows, 0);

  if (shares != NULL)
    {
      g_variant_iter_init (&iter, shares);
      while (g_variant_iter_next (&iter, "(&s&sbb)", &name, &path, &readonly, &automount))
        {
          GtkWidget *row = adw_action_row_new ();
          GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
          GtkWidget *path_label = gtk_label_new (path);
          const char *detail = NULL;
          const char *state = share_state_of (self, name, &detail);
          g_autofree char *subtitle = NULL;
          g_autofree char *title = g_markup_escape_text (name, -1);
          g_autofree char *escaped_detail = g_markup_escape_text (detail != NULL ? detail : "",
                                                                  -1);

          /* The host path beside the name: a long one loses its middle, not its end (the
           * folder's own name), and shows whole in its tooltip. */
          if (state != NULL && g_str_equal (state, "mounted"))
            /* Translators: where the guest has a shared folder */
            subtitle = g_strdup_printf (_("In the guest at %s"), escaped_detail);
          else if (state != NULL && g_str_equal (state, "failed"))
            /* Translators: %s is the guest's reason (not translated) */
            subtitle = g_strdup_printf (_("The guest could not mount it: %s"), escaped_detail);
          if (readonly)
            {
              g_autofree char *with_ro = subtitle != NULL
                ? g_strdup_printf (_("%s (read-only)"), subtitle) : g_strdup (_("Read-only"));
              g_free (subtitle);
              subtitle = g_steal_pointer (&with_ro);
            }

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
          if (subtitle != NULL)
            adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          gtk_label_set_ellipsize (GTK_LABEL (path_label), PANGO_ELLIPSIZE_MIDDLE);
          gtk_label_set_max_width_chars (GTK_LABEL (path_label), 40);
          gtk_label_set_xalign (GTK_LABEL (path_label), 1.0);
          gtk_widget_set_hexpand (path_label, TRUE);
          gtk_widget_set_tooltip_text (path_label, path);
          gtk_widget_add_css_class (path_label, "dim-label");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), path_label);
          gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (remove, "flat");
          gtk_widget_set_tooltip_text (remove, _("Stop sharing this folder"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Stop sharing this folder"), -1);
          gtk_widget_set_sensitive (remove, can_change);
          g_object_set_data_full (G_OBJECT (remove), "hv-share", g_strdup (name), g_free);
          g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_share), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
          adw_preferences_group_add (self->shares_group, row);
          g_ptr_array_add (self->share_rows, row);
        }
    }

  /* The "share a folder" row stays last. */
  g_object_ref (self->add_row);
  adw_preferences_group_remove (self->shares_group, self->add_row);
  adw_preferences_group_add (self->shares_group, self->add_row);
  g_object_unref (self->add_row);
  gtk_widget_set_sensitive (self->add_button, can_change);
  if (off || !can_change)
    adw_preferences_group_set_description (self->shares_group,
                                           can_change ? _("Host folders the guest tools mount at "
                                                          "/media/hostvisor/NAME")
                                                      : _("Power off the VM to add or remove "
                                                          "folders"));
  else
    adw_preferences_group_set_description (self->shares_group,
                                           _("Host folders the guest tools mount at "
                                             "/media/hostvisor/NAME; changes reach the running "
                                             "guest at once"));
}

static void
sync_all (HvSettingsGuest *self)
{
  const char *mode = hv_dbus_vm_get_clipboard_mode (self->proxy);

  self->syncing = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (clipboard_modes); i++)
    if (g_strcmp0 (mode, clipboard_modes[i]) == 0)
      adw_combo_row_set_selected (self->clipboard_row, i);
  self->syncing = FALSE;

  if (hv_dbus_vm_get_agent_connected (self->proxy))
    {
      g_autofree char *text = g_strdup_printf (_("Connected: %s"),
                                               hv_dbus_vm_get_agent_version (self->proxy));
      adw_action_row_set_subtitle (self->agent_row, text);
    }
  else
    adw_action_row_set_subtitle (self->agent_row,
                                 _("Not connected. Insert the guest tools CD and run "
                                   "install.sh from it in the guest"));
  sync_shares (self);
}

/* ---- user actions ---- */

static void
on_clipboard_selected (HvSettingsGuest *self)
{
  guint i = adw_combo_row_get_selected (self->clipboard_row);
  GVariantDict dict;

  if (self->syncing || i >= G_N_ELEMENTS (clipboard_modes) ||
      g_strcmp0 (clipboard_modes[i], hv_dbus_vm_get_clipboard_mode (self->proxy)) == 0)
    return;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "clipboard", "s", clipboard_modes[i]);
  call (self, "Modify", g_variant_new ("(@a{sv})", g_variant_dict_end (&dict)));
}

static void
on_insert_tools (HvSettingsGuest *self)
{
  /* The guest shows nothing by itself: say that the disc went in. (What to run from it is
   * the row's subtitle; a toast is one short line.) */
  call_with_message (self, "InsertGuestTools", NULL, _("The guest tools CD is in the drive"));
}

/* The share's name: the folder's own, made fit for one (the engine checks it again). */
static char *
share_name (const char *path)
{
  char *name = g_path_get_basename (path);

  for (char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      *p = '_';
  if (name[0] == '.' || name[0] == '-')
    name[0] = '_';
  return name;
}

static void
remote_folder_chosen (GtkWidget  *widget,
                      const char *path,
                      gpointer    data)
{
  g_autofree char *name = share_name (path);

  call (HV_SETTINGS_GUEST (widget), "AddShare",
        g_variant_new ("(ssb)", name, path, GPOINTER_TO_INT (data)));
}

static void
on_folder_chosen (GtkNativeDialog *chooser,
                  int              response,
                  HvSettingsGuest *self)
{
  g_autoptr(GFile) folder = NULL;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  gboolean readonly = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "hv-readonly"));

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (folder == NULL || (path = g_file_get_path (folder)) == NULL)
    return;

  name = share_name (path);
  call (self, "AddShare", g_variant_new ("(ssb)", name, path, readonly));
}

static void
choose_folder (HvSettingsGuest *self,
               gboolean         readonly)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->chooser != NULL
      || hv_remote_files_choose (self->client, GTK_WIDGET (self),
                                 readonly ? _("Share a Folder Read-Only") : _("Share a Folder"),
                                 HV_REMOTE_FILE_FOLDER, HV_REMOTE_FILTER_ANY, NULL,
                                 remote_folder_chosen, GINT_TO_POINTER (readonly), NULL))
    return;
  self->chooser = gtk_file_chooser_native_new (readonly ? _("Share a Folder Read-Only")
                                                        : _("Share a Folder"),
                                               GTK_WINDOW (root),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Share"), _("_Cancel"));
  g_object_set_data (G_OBJECT (self->chooser), "hv-readonly", GINT_TO_POINTER (readonly));
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_folder_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_add_clicked (HvSettingsGuest *self)
{
  choose_folder (self, FALSE);
}

static void
on_add_readonly_clicked (HvSettingsGuest *self)
{
  choose_folder (self, TRUE);
}

/* ---- object ---- */

static void
hv_settings_guest_dispose (GObject *object)
{
  HvSettingsGuest *self = HV_SETTINGS_GUEST (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->proxy);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->share_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (hv_settings_guest_parent_class)->dispose (object);
}

static void
hv_settings_guest_class_init (HvSettingsGuestClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hv_settings_guest_dispose;
}

static void
hv_settings_guest_init (HvSettingsGuest *self)
{
  self->cancellable = g_cancellable_new ();
  self->share_rows = g_ptr_array_new ();
}

GtkWidget *
hv_settings_guest_new (HvEngineClient *client,
                       HvVmItem       *item)
{
  HvSettingsGuest *self;
  AdwPreferencesGroup *group;
  GtkWidget *button, *box;
  g_autoptr(GtkStringList) modes = NULL;

  g_return_val_if_fail (hv_vm_item_get_proxy (item) != NULL, NULL);

  self = g_object_new (HV_TYPE_SETTINGS_GUEST,
                       "title", _("Guest"),
                       "icon-name", "applications-utilities-symbolic", NULL);
  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  self->proxy = g_object_ref (hv_vm_item_get_proxy (item));

  /* Guest tools */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Guest Tools"));
  self->agent_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->agent_row), _("Guest tools"));
  button = gtk_button_new_with_mnemonic (_("_Insert Guest Tools CD"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_insert_tools), self);
  adw_action_row_add_suffix (self->agent_row, button);
  adw_preferences_group_add (group, GTK_WIDGET (self->agent_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  /* Clipboard */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Shared Clipboard"));
  modes = gtk_string_list_new ((const char * const[]) {
    _("Off"), _("Host to guest"), _("Guest to host"), _("Both directions"), NULL });
  self->clipboard_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->clipboard_row), _("Clipboard"));
  adw_combo_row_set_model (self->clipboard_row, G_LIST_MODEL (modes));
  /* The value as the subtitle: it wraps rather than being cut ("Both directions", German). */
  adw_combo_row_set_use_subtitle (self->clipboard_row, TRUE);
  g_signal_connect_swapped (self->clipboard_row, "notify::selected",
                            G_CALLBACK (on_clipboard_selected), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->clipboard_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  /* Shared folders */
  self->shares_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->shares_group, _("Shared Folders"));
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  self->add_button = box;
  button = gtk_button_new_with_mnemonic (_("_Add…"));
  gtk_widget_set_tooltip_text (button, _("Share a host folder with the guest"));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_add_clicked), self);
  gtk_box_append (GTK_BOX (box), button);
  button = gtk_button_new_with_mnemonic (_("Add _Read-Only…"));
  gtk_widget_set_tooltip_text (button, _("Share a host folder the guest may not write to"));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_add_readonly_clicked), self);
  gtk_box_append (GTK_BOX (box), button);
  /* In a row of their own, not in the group's header, where they would squeeze the title
   * and the description into a narrow column (in German, "Freigegebene …"). */
  self->add_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->add_row), _("Share a folder"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->add_row), box);
  adw_preferences_group_add (self->shares_group, self->add_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->shares_group);

  g_signal_connect_swapped (self->proxy, "notify::clipboard-mode", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (self->proxy, "notify::shares", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (self->proxy, "notify::share-status", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (self->proxy, "notify::agent-connected", G_CALLBACK (sync_all), self);
  g_signal_connect_swapped (self->proxy, "notify::can-change-shares", G_CALLBACK (sync_all),
                            self);
  g_signal_connect_swapped (self->item, "notify::state", G_CALLBACK (sync_all), self);
  sync_all (self);
  return GTK_WIDGET (self);
}
