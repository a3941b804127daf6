/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window's small dialogs: folders, renaming and deleting a VM, and the questions
 * before Power Off and Reset. Each asks, then makes one asynchronous engine call whose
 * error, if any, becomes a toast. */
#include <string.h>

#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-engine-client-snapshots.h"
#include "hv-messages.h"
#include "hv-window-private.h"

static void
call_engine (HvWindow   *self,
             HvVmItem   *item,
             const char *method,
             GVariant   *parameters)
{
  hv_engine_client_call (hv_window_get_client (self), item, method, parameters,
                         hv_window_get_cancellable (self), hv_window_call_done,
                         g_object_ref (self));
}

static char *
join_folder (const char *parent,
             const char *name)
{
  if (parent == NULL || parent[0] == '\0')
    return g_strdup (name);
  return g_strconcat (parent, "/", name, NULL);
}

/* ---- a dialog with one text field ---- */

typedef void (*EntryDone) (HvWindow *self, const char *context, const char *text);

typedef struct {
  HvWindow *window;
  GtkEntry *entry;
  char *context;
  EntryDone done;
} EntryDialog;

static void
entry_dialog_free (gpointer data)
{
  EntryDialog *d = data;

  g_object_unref (d->window);
  g_free (d->context);
  g_free (d);
}

static void
entry_dialog_response (AdwMessageDialog *dialog,
                       const char       *response,
                       EntryDialog      *d)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (d->entry)));

  if (g_strcmp0 (response, "ok") == 0 && text[0] != '\0')
    d->done (d->window, d->context, text);
}

static void
entry_changed (GtkEditable      *editable,
               AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "ok",
                                           gtk_editable_get_text (editable)[0] != '\0');
}

static void
entry_activate (GtkEntry         *entry,
                AdwMessageDialog *dialog)
{
  if (gtk_editable_get_text (GTK_EDITABLE (entry))[0] != '\0')
    {
      adw_message_dialog_response (dialog, "ok");
      gtk_window_close (GTK_WINDOW (dialog));
    }
}

static void
entry_dialog (HvWindow   *self,
              const char *heading,
              const char *body,
              const char *ok_label,
              const char *initial,
              const char *context,
              EntryDone   done)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  EntryDialog *d = g_new0 (EntryDialog, 1);

  d->window = g_object_ref (self);
  d->entry = GTK_ENTRY (gtk_entry_new ());
  d->context = g_strdup (context);
  d->done = done;
  gtk_editable_set_text (GTK_EDITABLE (d->entry), initial != NULL ? initial : "");
  gtk_entry_set_max_length (d->entry, HV_NAME_MAX_CHARS);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "ok", ok_label, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "ok",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "ok");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), GTK_WIDGET (d->entry));
  entry_changed (GTK_EDITABLE (d->entry), ADW_MESSAGE_DIALOG (dialog));

  g_signal_connect (d->entry, "changed", G_CALLBACK (entry_changed), dialog);
  g_signal_connect (d->entry, "activate", G_CALLBACK (entry_activate), dialog);
  g_signal_connect_data (dialog, "response", G_CALLBACK (entry_dialog_response), d,
                         (GClosureNotify) (void (*) (void)) entry_dialog_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  /* Typing replaces the name at once (grabbing the focus selects the entry's text). */
  gtk_widget_grab_focus (GTK_WIDGET (d->entry));
}

/* ---- folders ---- */

static void
new_folder_done (HvWindow   *self,
                 const char *parent,
                 const char *name)
{
  g_autofree char *path = join_folder (parent, name);

  call_engine (self, NULL, "CreateFolder", g_variant_new ("(s)", path));
}

void
hv_window_new_folder_dialog (HvWindow   *self,
                             const char *parent)
{
  g_autofree char *body = NULL;

  if (parent != NULL && parent[0] != '\0')
    /* Translators: %s is the parent folder's path */
    body = g_strdup_printf (_("The folder is created in “%s”."), parent);
  entry_dialog (self, _("New Folder"), body, _("C_reate"), NULL, parent, new_folder_done);
}

static void
rename_folder_done (HvWindow   *self,
                    const char *path,
                    const char *name)
{
  const char *slash = strrchr (path, '/');
  g_autofree char *parent = slash != NULL ? g_strndup (path, slash - path) : g_strdup ("");
  g_autofree char *new_path = join_folder (parent, name);

  if (g_strcmp0 (new_path, path) != 0)
    call_engine (self, NULL, "RenameFolder", g_variant_new ("(ss)", path, new_path));
}

void
hv_window_rename_folder_dialog (HvWindow   *self,
                                const char *path)
{
  const char *slash = strrchr (path, '/');

  entry_dialog (self, _("Rename Folder"), NULL, _("_Rename"),
                slash != NULL ? slash + 1 : path, path, rename_folder_done);
}

static void
delete_folder_response (AdwMessageDialog *dialog,
                        const char       *response,
                        HvWindow         *self)
{
  const char *path = g_object_get_data (G_OBJECT (dialog), "hv-path");

  if (g_strcmp0 (response, "delete") == 0)
    call_engine (self, NULL, "DeleteFolder", g_variant_new ("(s)", path));
}

void
hv_window_delete_folder_dialog (HvWindow   *self,
                                const char *path)
{
  /* Translators: %s is a folder's name */
  g_autofree char *heading = g_strdup_printf (_("Delete Folder “%s”?"), path);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
    _("Its subfolders are deleted too. The virtual machines in them are kept and move to the "
      "folder above."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hv-path", g_strdup (path), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_folder_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- deleting a VM ---- */

static void
delete_vm_response (AdwMessageDialog *dialog,
                    const char       *response,
                    HvWindow         *self)
{
  HvVmItem *item = g_object_get_data (G_OBJECT (dialog), "hv-item");
  GtkCheckButton *keep = g_object_get_data (G_OBJECT (dialog), "hv-keep");

  if (g_strcmp0 (response, "delete") == 0)
    call_engine (self, item, "Delete",
                 g_variant_new ("(b)", gtk_check_button_get_active (keep)));
}

void
hv_window_delete_vm_dialog (HvWindow *self,
                            HvVmItem *item)
{
  /* Translators: %s is a VM's name */
  g_autofree char *heading = g_strdup_printf (_("Delete “%s”?"), hv_vm_item_get_name (item));
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
    _("The virtual machine is powered off if it runs, and removed from the library."));
  GtkWidget *keep = gtk_check_button_new_with_mnemonic (
    _("_Keep its files (disks and configuration) on disk"));

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), keep);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hv-item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "hv-keep", keep);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_vm_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- renaming a VM ---- */

static void
rename_vm_done (HvWindow   *self,
                const char *object_path,
                const char *name)
{
  HvVmItem *item = hv_engine_client_lookup (hv_window_get_client (self), object_path);
  GVariantDict dict;

  /* Gone meanwhile, or the same name: nothing to do. */
  if (item == NULL || g_strcmp0 (name, hv_vm_item_get_name (item)) == 0)
    return;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);
  call_engine (self, item, "Modify", g_variant_new ("(@a{sv})", g_variant_dict_end (&dict)));
}

void
hv_window_rename_vm_dialog (HvWindow *self,
                            HvVmItem *item)
{
  /* Translators: %s is a VM's name */
  g_autofree char *heading = g_strdup_printf (_("Rename “%s”"), hv_vm_item_get_name (item));

  /* By object path, not by reference: the VM may be deleted while the dialog is open. */
  entry_dialog (self, heading, NULL, _("_Rename"), hv_vm_item_get_name (item),
                hv_vm_item_get_object_path (item), rename_vm_done);
}

/* ---- power off and reset ---- */

static void
confirm_power_response (AdwMessageDialog *dialog,
                        const char       *response,
                        HvWindow         *self)
{
  HvVmItem *item = g_object_get_data (G_OBJECT (dialog), "hv-item");
  const char *method = g_object_get_data (G_OBJECT (dialog), "hv-method");

  if (g_strcmp0 (response, "confirm") == 0)
    call_engine (self, item, method, NULL);
}

void
hv_window_confirm_power_dialog (HvWindow   *self,
                                HvVmItem   *item,
                                const char *method)
{
  gboolean reset = g_strcmp0 (method, "Reset") == 0;
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (reset)
    /* Translators: %s is a VM's name */
    heading = g_strdup_printf (_("Reset “%s”?"), hv_vm_item_get_name (item));
  else
    /* Translators: %s is a VM's name */
    heading = g_strdup_printf (_("Power Off “%s”?"), hv_vm_item_get_name (item));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
    reset ? _("The virtual machine restarts at once, as if its reset button were pressed. "
              "Unsaved data in the guest is lost.")
          : _("The virtual machine stops at once, as if its power cord were pulled. Unsaved "
              "data in the guest is lost. To let the guest close its programs first, use "
              "Shut Down."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "confirm", reset ? _("_Reset") : _("_Power Off"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "confirm",
                                              ADW_RESPONSE_DESTRUCTIVE);
  /* Enter keeps the guest running: the safe answer is the default. */
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hv-item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "hv-method", (gpointer) (reset ? "Reset" : "PowerOff"));
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_power_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- save state ---- */

void
hv_window_long_call_done (GObject      *source,
                          GAsyncResult *result,
                          gpointer      data)
{
  g_autoptr(HvWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = hv_engine_client_long_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = hv_messages_error (error);
      hv_window_show_error (self, message);
    }
}

static void
discard_state_response (AdwMessageDialog *dialog,
                        const char       *response,
                        HvWindow         *self)
{
  HvVmItem *item = g_object_get_data (G_OBJECT (dialog), "hv-item");

  if (g_strcmp0 (response, "discard") == 0)
    hv_engine_client_long_call (hv_window_get_client (self), item, "DiscardSavedState", NULL,
                                hv_window_get_cancellable (self), hv_window_long_call_done,
                                g_object_ref (self));
}

void
hv_window_discard_state_dialog (HvWindow *self,
                                HvVmItem *item)
{
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  /* Translators: %s is a VM's name */
  heading = g_strdup_printf (_("Discard the Saved State of “%s”?"), hv_vm_item_get_name (item));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
    _("The next start boots the virtual machine afresh, as after pulling its power cord. "
      "Unsaved data in the guest is lost."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "discard", _("_Discard"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hv-item", g_object_ref (item), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_state_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
