/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window's small dialogs: folders, deleting a VM, and a quick "new VM" that stands
 * in until the New VM wizard exists. Each asks, then makes one asynchronous engine call
 * whose error, if any, becomes a toast. */
#include <string.h>

#include <glib/gi18n.h>

#include "hv-config.h"
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

/* ---- quick create (until the wizard exists) ---- */

typedef struct {
  HvWindow *window;
  AdwMessageDialog *dialog;
  GtkEntry *name;
  GtkSpinButton *memory;
  GtkLabel *media_label;
  GtkFileChooserNative *chooser;
  GFile *media;
  char *os_id;
  GCancellable *cancellable;
} QuickCreate;

static void
quick_create_free (gpointer data)
{
  QuickCreate *q = data;

  g_cancellable_cancel (q->cancellable);
  g_clear_object (&q->cancellable);
  g_clear_object (&q->chooser);
  g_clear_object (&q->media);
  g_clear_object (&q->window);
  g_free (q->os_id);
  g_free (q);
}

static void
quick_create_validate (QuickCreate *q)
{
  adw_message_dialog_set_response_enabled (q->dialog, "create",
    gtk_editable_get_text (GTK_EDITABLE (q->name))[0] != '\0');
}

static void
os_defaults_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  QuickCreate *q = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) defaults = NULL;
  guint64 memory;
  const char *name;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, NULL);
  if (reply == NULL)
    return;
  g_variant_get (reply, "(@a{sv})", &defaults);
  if (g_variant_lookup (defaults, "memory", "t", &memory))
    gtk_spin_button_set_value (q->memory, (double) memory);
  if (g_variant_lookup (defaults, "name", "&s", &name) &&
      gtk_editable_get_text (GTK_EDITABLE (q->name))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (q->name), name);
}

static void
detect_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  QuickCreate *q = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;
  const char *os_id, *os_name;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  base = g_file_get_basename (q->media);
  if (reply == NULL)
    {
      /* Not knowing the OS is no reason to stop: the VM gets generic defaults. */
      text = g_strdup_printf (_("%s — operating system not recognised"), base);
      gtk_label_set_text (q->media_label, text);
      return;
    }
  g_variant_get (reply, "(&s&s)", &os_id, &os_name);
  g_free (q->os_id);
  q->os_id = os_id[0] != '\0' ? g_strdup (os_id) : NULL;
  if (q->os_id != NULL)
    {
      /* Translators: an image file name, then the OS found on it */
      text = g_strdup_printf (_("%s — %s"), base, os_name);
      hv_engine_client_call (hv_window_get_client (q->window), NULL, "GetOsDefaults",
                             g_variant_new ("(s)", q->os_id), q->cancellable, os_defaults_done,
                             q);
    }
  else
    /* Translators: an image file name on which no known OS was found */
    text = g_strdup_printf (_("%s — operating system not recognised"), base);
  gtk_label_set_text (q->media_label, text);
}

static void
quick_create_set_media (QuickCreate *q,
                        GFile       *media)
{
  g_autofree char *path = g_file_get_path (media);
  g_autofree char *base = g_file_get_basename (media);

  if (path == NULL)
    {
      hv_window_show_error (q->window, _("Only local files can be used as install media"));
      return;
    }
  g_set_object (&q->media, media);
  g_clear_pointer (&q->os_id, g_free);
  gtk_label_set_text (q->media_label, base);
  hv_engine_client_call (hv_window_get_client (q->window), NULL, "DetectMedia",
                         g_variant_new ("(s)", path), q->cancellable, detect_done, q);
}

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  QuickCreate     *q)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    quick_create_set_media (q, file);
}

static void
choose_media (GtkButton   *button,
              QuickCreate *q)
{
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (q->chooser == NULL)
    {
      q->chooser = gtk_file_chooser_native_new (_("Choose an Install Medium"),
                                                GTK_WINDOW (q->dialog),
                                                GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                                _("_Cancel"));
      gtk_file_filter_set_name (images, _("Disc and floppy images"));
      gtk_file_filter_add_suffix (images, "iso");
      gtk_file_filter_add_suffix (images, "img");
      gtk_file_filter_add_mime_type (images, "application/x-cd-image");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (q->chooser), images);
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (q->chooser), all);
      g_signal_connect (q->chooser, "response", G_CALLBACK (chooser_response), q);
    }
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (q->chooser));
}

static void
quick_create_response (AdwMessageDialog *dialog,
                       const char       *response,
                       QuickCreate      *q)
{
  GVariantDict options;
  g_autofree char *path = NULL;

  if (g_strcmp0 (response, "create") != 0)
    return;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory", "t",
                         (guint64) gtk_spin_button_get_value_as_int (q->memory));
  if (q->os_id != NULL)
    g_variant_dict_insert (&options, "os", "s", q->os_id);
  if (q->media != NULL)
    {
      path = g_file_get_path (q->media);
      /* Floppy images go in the floppy drive; everything else is a CD. */
      g_variant_dict_insert (&options, g_str_has_suffix (path, ".img") ? "floppy" : "iso",
                             "s", path);
    }
  call_engine (q->window, NULL, "CreateVm",
               g_variant_new ("(s@a{sv})", gtk_editable_get_text (GTK_EDITABLE (q->name)),
                              g_variant_dict_end (&options)));
}

void
hv_window_quick_create_dialog (HvWindow *self,
                               GFile    *media)
{
  QuickCreate *q = g_new0 (QuickCreate, 1);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("New Virtual Machine"),
    _("Give it a name and an install medium. The operating system on the medium is "
      "recognised and sets the defaults."));
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *label, *button;

  q->window = g_object_ref (self);
  q->dialog = ADW_MESSAGE_DIALOG (dialog);
  q->cancellable = g_cancellable_new ();
  q->name = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_max_length (q->name, HV_NAME_MAX_CHARS);
  gtk_widget_set_hexpand (GTK_WIDGET (q->name), TRUE);
  q->memory = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (HV_MEMORY_MIN_MIB, 65536, 64));
  gtk_spin_button_set_value (q->memory, 1024);
  q->media_label = GTK_LABEL (gtk_label_new (_("None")));
  gtk_label_set_ellipsize (q->media_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (q->media_label, 0);

  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  label = gtk_label_new_with_mnemonic (_("_Name"));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (q->name));
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_grid_attach (GTK_GRID (grid), label, 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (q->name), 1, 0, 2, 1);
  label = gtk_label_new_with_mnemonic (_("_Memory (MiB)"));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (q->memory));
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_grid_attach (GTK_GRID (grid), label, 0, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (q->memory), 1, 1, 2, 1);
  label = gtk_label_new (_("Install medium"));
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_grid_attach (GTK_GRID (grid), label, 0, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (q->media_label), 1, 2, 1, 1);
  button = gtk_button_new_with_mnemonic (_("C_hoose…"));
  g_signal_connect (button, "clicked", G_CALLBACK (choose_media), q);
  gtk_grid_attach (GTK_GRID (grid), button, 2, 2, 1, 1);

  adw_message_dialog_set_extra_child (q->dialog, grid);
  adw_message_dialog_add_responses (q->dialog, "cancel", _("_Cancel"),
                                    "create", _("C_reate"), NULL);
  adw_message_dialog_set_response_appearance (q->dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (q->dialog, "create");
  adw_message_dialog_set_close_response (q->dialog, "cancel");
  g_signal_connect_swapped (q->name, "changed", G_CALLBACK (quick_create_validate), q);
  quick_create_validate (q);
  g_signal_connect_data (dialog, "response", G_CALLBACK (quick_create_response), q,
                         (GClosureNotify) (void (*) (void)) quick_create_free, 0);

  if (media != NULL)
    quick_create_set_media (q, media);
  gtk_window_present (GTK_WINDOW (dialog));
}
