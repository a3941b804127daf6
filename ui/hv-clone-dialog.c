/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-clone-dialog.h"

#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-engine-client-snapshots.h"
#include "hv-messages.h"
#include "hv-window-private.h"

struct _HvCloneDialog
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  GPtrArray *state_ids;      /* char*: "" (current state), then the snapshots' ids */
  GPtrArray *folders;        /* char*: "" (top level), then every folder */
  gboolean cloning;

  /* template widgets */
  GtkWidget *clone_button;
  GtkSpinner *spinner;
  GtkLabel *intro_label;
  GtkWidget *form;
  AdwEntryRow *name_row;
  AdwComboRow *state_row;
  AdwComboRow *type_row;
  AdwComboRow *mac_row;
  AdwComboRow *folder_row;
  GtkLabel *type_label;
  GtkLabel *problem_label;
};

G_DEFINE_FINAL_TYPE (HvCloneDialog, hv_clone_dialog, ADW_TYPE_WINDOW)

static void
show_problem (HvCloneDialog *self,
              const char    *problem)
{
  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
}

static gboolean
validate (HvCloneDialog *self)
{
  g_autoptr(GError) error = NULL;
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean ok = hv_config_check_new_name (name, &error);
  gboolean linked = adw_combo_row_get_selected (self->type_row) == 1;

  gtk_label_set_text (self->type_label,
                      linked ? _("A linked clone shares the source's disks as they are in the "
                                 "chosen state, read-only, and writes only its changes: it is "
                                 "made at once and takes little space. The shared image is kept "
                                 "as long as a clone uses it.")
                             : _("A full clone has copies of all the disks: it takes as much "
                                 "space as the source and does not depend on it."));
  show_problem (self, ok ? NULL : error->message);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  gtk_widget_set_sensitive (self->clone_button, ok && !self->cloning);
  return ok;
}

static void
on_changed (HvCloneDialog *self)
{
  if (!self->cloning)
    validate (self);
}

static void
on_cancel_clicked (HvCloneDialog *self)
{
  /* A clone on its way goes on in the engine: closing only stops waiting for it. */
  gtk_window_close (GTK_WINDOW (self));
}

static void
set_cloning (HvCloneDialog *self,
             gboolean       cloning)
{
  self->cloning = cloning;
  gtk_widget_set_sensitive (self->form, !cloning);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), cloning);
  if (cloning)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  gtk_widget_set_sensitive (self->clone_button, !cloning);
}

static void
clone_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(HvCloneDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_long_call_finish (HV_ENGINE_CLIENT (source),
                                                                 result, &error);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  const char *path;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_cloning (self, FALSE);
  if (reply == NULL)
    {
      g_autofree char *message = hv_messages_error (error);

      show_problem (self, message);
      /* Closed while it cloned: the window says it. */
      if (!gtk_widget_get_visible (GTK_WIDGET (self)) && HV_IS_WINDOW (parent))
        hv_window_show_error (HV_WINDOW (parent), message);
      return;
    }
  g_variant_get (reply, "(&o)", &path);
  if (HV_IS_WINDOW (parent))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” was cloned"),
                                                  hv_vm_item_get_name (self->item));
      hv_window_show_message (HV_WINDOW (parent), message);
      hv_window_select_vm (HV_WINDOW (parent), path);
    }
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_clone_clicked (HvCloneDialog *self)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  guint state = adw_combo_row_get_selected (self->state_row);
  guint folder = adw_combo_row_get_selected (self->folder_row);

  if (self->cloning || !validate (self))
    return;
  if (state != GTK_INVALID_LIST_POSITION && state < self->state_ids->len &&
      ((char *) self->state_ids->pdata[state])[0] != '\0')
    g_variant_builder_add (&options, "{sv}", "snapshot",
                           g_variant_new_string (self->state_ids->pdata[state]));
  if (adw_combo_row_get_selected (self->type_row) == 1)
    g_variant_builder_add (&options, "{sv}", "linked", g_variant_new_boolean (TRUE));
  if (adw_combo_row_get_selected (self->mac_row) == 1)
    g_variant_builder_add (&options, "{sv}", "keep-macs", g_variant_new_boolean (TRUE));
  if (folder != GTK_INVALID_LIST_POSITION && folder < self->folders->len)
    g_variant_builder_add (&options, "{sv}", "folder",
                           g_variant_new_string (self->folders->pdata[folder]));
  set_cloning (self, TRUE);
  show_problem (self, NULL);
  hv_engine_client_long_call (self->client, self->item, "Clone",
                              g_variant_new ("(s@a{sv})",
                                             gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                             g_variant_builder_end (&options)),
                              self->cancellable, clone_done, g_object_ref (self));
}

static void
hv_clone_dialog_dispose (GObject *object)
{
  HvCloneDialog *self = HV_CLONE_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_CLONE_DIALOG);

  G_OBJECT_CLASS (hv_clone_dialog_parent_class)->dispose (object);
}

static void
hv_clone_dialog_finalize (GObject *object)
{
  HvCloneDialog *self = HV_CLONE_DIALOG (object);

  g_ptr_array_unref (self->state_ids);
  g_ptr_array_unref (self->folders);

  G_OBJECT_CLASS (hv_clone_dialog_parent_class)->finalize (object);
}

static void
hv_clone_dialog_class_init (HvCloneDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_clone_dialog_dispose;
  object_class->finalize = hv_clone_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-clone-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, clone_button);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, form);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, state_row);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, type_row);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, mac_row);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, type_label);
  gtk_widget_class_bind_template_child (widget_class, HvCloneDialog, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_clone_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_clone_dialog_init (HvCloneDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->state_ids = g_ptr_array_new_with_free_func (g_free);
  self->folders = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* "Current state", then each snapshot as "NAME (date)", in the tree's order. */
static void
fill_states (HvCloneDialog *self,
             const char    *snapshot_id)
{
  GVariant *snapshots = hv_vm_item_get_snapshots (self->item);
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  guint selected = 0;
  GVariantIter iter;
  GVariant *dict;

  gtk_string_list_append (labels, _("Current state"));
  g_ptr_array_add (self->state_ids, g_strdup (""));
  if (snapshots != NULL && g_variant_is_of_type (snapshots, G_VARIANT_TYPE ("aa{sv}")))
    {
      g_variant_iter_init (&iter, snapshots);
      while ((dict = g_variant_iter_next_value (&iter)) != NULL)
        {
          const char *id = "", *name = "";
          gint64 created = 0;
          g_autofree char *date = NULL;
          g_autofree char *label = NULL;

          g_variant_lookup (dict, "id", "&s", &id);
          g_variant_lookup (dict, "name", "&s", &name);
          g_variant_lookup (dict, "created", "x", &created);
          date = hv_snapshots_format_date (created);
          /* Translators: a snapshot in the clone dialog's "From": its name (its date) */
          label = g_strdup_printf (_("Snapshot “%s” (%s)"), name, date);
          if (g_strcmp0 (id, snapshot_id) == 0)
            selected = self->state_ids->len;
          gtk_string_list_append (labels, label);
          g_ptr_array_add (self->state_ids, g_strdup (id));
          g_variant_unref (dict);
        }
    }
  adw_combo_row_set_model (self->state_row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (self->state_row, selected);
}

static void
fill_folders (HvCloneDialog *self,
              GtkWindow     *parent)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_auto(GStrv) folders = HV_IS_WINDOW (parent) ? hv_window_list_folders (HV_WINDOW (parent))
                                                : NULL;
  const char *current = hv_vm_item_get_folder (self->item);
  guint selected = 0;

  gtk_string_list_append (labels, _("Top level"));
  g_ptr_array_add (self->folders, g_strdup (""));
  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    {
      if (g_strcmp0 (folders[i], current) == 0)
        selected = self->folders->len;
      gtk_string_list_append (labels, folders[i]);
      g_ptr_array_add (self->folders, g_strdup (folders[i]));
    }
  /* The source's folder, even one the list does not have (yet). */
  if (selected == 0 && current != NULL && current[0] != '\0')
    {
      selected = self->folders->len;
      gtk_string_list_append (labels, current);
      g_ptr_array_add (self->folders, g_strdup (current));
    }
  adw_combo_row_set_model (self->folder_row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (self->folder_row, selected);
}

void
hv_clone_dialog_present (GtkWindow      *parent,
                         HvEngineClient *client,
                         HvVmItem       *item,
                         const char     *snapshot_id)
{
  HvCloneDialog *self;
  g_autofree char *name = NULL;
  g_autofree char *intro = NULL;
  const char *source;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));
  g_return_if_fail (HV_IS_VM_ITEM (item));

  self = g_object_new (HV_TYPE_CLONE_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  source = hv_vm_item_get_name (item);
  /* Translators: %s is the VM's name; the default name of its clone */
  name = g_strdup_printf (_("%s Clone"), source);
  /* Names have at most 64 characters: a long source name gives a shorter default. */
  if (g_utf8_strlen (name, -1) > HV_NAME_MAX_CHARS)
    {
      char *end = g_utf8_offset_to_pointer (name, HV_NAME_MAX_CHARS);

      *end = '\0';
      g_strchomp (name);
    }
  /* Translators: %s is the VM's name */
  intro = g_strdup_printf (_("A new virtual machine from “%s”, with its own UUID and settings "
                             "copied from the chosen state."), source);
  gtk_label_set_text (self->intro_label, intro);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  fill_states (self, snapshot_id);
  fill_folders (self, parent);
  validate (self);
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}
