/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-file-dialog.c: see hv-remote-file-dialog.h. Each folder is one Engine.ListDirectory
 * call; a newer one cancels the one before. */
#include "hv-remote-file-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hv-engine-client-remote.h"
#include "hv-error.h"

struct _HvRemoteFileDialog
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  GTask *task;               /* the caller's; NULL once answered */
  GCancellable *listing;     /* the ListDirectory in flight */
  char *folder;              /* the folder shown (resolved), or NULL before the first */
  char *key;                 /* the connection, for the remembered folder */
  char *typed;               /* the path typed in the entry, while it is being listed */
  HvRemoteFileMode mode;
  HvRemoteFileFilter filter;
  gulong cancel_id;

  /* template widgets */
  AdwWindowTitle *window_title;
  GtkWidget *accept_button;
  GtkWidget *up_button;
  GtkEntry *path_entry;
  GtkToggleButton *hidden_button;
  GtkLabel *error_label;
  GtkListBox *list;
  GtkWidget *name_label;
  GtkEntry *name_entry;
  GtkDropDown *filter_dropdown;
};

G_DEFINE_FINAL_TYPE (HvRemoteFileDialog, hv_remote_file_dialog, ADW_TYPE_WINDOW)

/* The last folder shown, per connection ("" for this computer), for this session. */
static GHashTable *last_folders;

static const char * const iso_suffixes[] = { ".iso", NULL };
static const char * const floppy_suffixes[] = { ".img", ".ima", ".flp", ".vfd", NULL };
static const char * const disk_suffixes[] = { ".qcow2", ".img", ".raw", ".vmdk", ".vdi", ".vhd",
                                              ".vhdx", NULL };
static const char * const appliance_suffixes[] = { ".ova", ".ovf", NULL };
static const char * const install_suffixes[] = { ".iso", ".img", ".ima", ".flp", NULL };

gboolean
hv_remote_file_filter_matches (HvRemoteFileFilter filter,
                               const char        *name)
{
  const char * const *suffixes = NULL;
  g_autofree char *lower = NULL;

  switch (filter)
    {
    case HV_REMOTE_FILTER_ANY:
      return TRUE;
    case HV_REMOTE_FILTER_ISO:
      suffixes = iso_suffixes;
      break;
    case HV_REMOTE_FILTER_FLOPPY:
      suffixes = floppy_suffixes;
      break;
    case HV_REMOTE_FILTER_DISK:
      suffixes = disk_suffixes;
      break;
    case HV_REMOTE_FILTER_APPLIANCE:
      suffixes = appliance_suffixes;
      break;
    case HV_REMOTE_FILTER_INSTALL:
      suffixes = install_suffixes;
      break;
    default:
      g_return_val_if_reached (FALSE);
    }
  lower = g_ascii_strdown (name, -1);
  for (guint i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

static const char *
filter_name (HvRemoteFileFilter filter)
{
  switch (filter)
    {
    case HV_REMOTE_FILTER_ISO:
      return _("CD/DVD Images");
    case HV_REMOTE_FILTER_FLOPPY:
      return _("Floppy Images");
    case HV_REMOTE_FILTER_DISK:
      return _("Disk Images");
    case HV_REMOTE_FILTER_APPLIANCE:
      return _("Appliances (OVA, OVF)");
    case HV_REMOTE_FILTER_INSTALL:
      return _("Disc and Floppy Images");
    case HV_REMOTE_FILTER_ANY:
    default:
      return _("All Files");
    }
}

/* The filter in use: the caller's, or any file when "All Files" is chosen. */
static HvRemoteFileFilter
current_filter (HvRemoteFileDialog *self)
{
  if (self->filter == HV_REMOTE_FILTER_ANY
      || gtk_drop_down_get_selected (self->filter_dropdown) == 1)
    return HV_REMOTE_FILTER_ANY;
  return self->filter;
}

static void
show_error (HvRemoteFileDialog *self,
            const char         *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
finish (HvRemoteFileDialog *self,
        char               *path)
{
  GTask *task = g_steal_pointer (&self->task);

  GCancellable *cancellable;

  if (task == NULL)
    {
      g_free (path);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  if (cancellable != NULL && self->cancel_id != 0)
    g_cancellable_disconnect (cancellable, self->cancel_id);
  self->cancel_id = 0;
  if (path != NULL)
    g_task_return_pointer (task, path, g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                             _("No file was chosen"));
  g_object_unref (task);
  gtk_window_destroy (GTK_WINDOW (self));
}

static const char *
row_name (GtkListBoxRow *row)
{
  return row != NULL ? g_object_get_data (G_OBJECT (row), "hv-name") : NULL;
}

static gboolean
row_is_folder (GtkListBoxRow *row)
{
  return row != NULL && GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "hv-folder"));
}

static char *
child_path (HvRemoteFileDialog *self,
            const char         *name)
{
  return g_build_filename (self->folder, name, NULL);
}

/* What Accept would choose now, or NULL (nothing yet). */
static char *
chosen_path (HvRemoteFileDialog *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list);
  const char *name;

  if (self->folder == NULL)
    return NULL;
  switch (self->mode)
    {
    case HV_REMOTE_FILE_OPEN:
      return row != NULL && !row_is_folder (row) ? child_path (self, row_name (row)) : NULL;
    case HV_REMOTE_FILE_FOLDER:
      return row != NULL ? child_path (self, row_name (row)) : g_strdup (self->folder);
    case HV_REMOTE_FILE_SAVE:
      name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
      if (*name == '\0' || strchr (name, '/') != NULL || strcmp (name, ".") == 0
          || strcmp (name, "..") == 0)
        return NULL;
      return child_path (self, name);
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
on_selection_changed (HvRemoteFileDialog *self)
{
  GtkListBoxRow *row;
  g_autofree char *path = NULL;

  if (self->list == NULL)
    return;  /* the list goes away with the dialog */
  row = gtk_list_box_get_selected_row (self->list);
  /* In a save, a chosen file gives its name (to replace it, or to start from). */
  if (row != NULL && gtk_widget_get_parent (GTK_WIDGET (row)) != GTK_WIDGET (self->list))
    row = NULL;
  if (self->mode == HV_REMOTE_FILE_SAVE && row != NULL && !row_is_folder (row)
      && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)), row_name (row)) != 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_entry), row_name (row));
      return;  /* "changed" comes back here */
    }
  path = chosen_path (self);
  gtk_widget_set_sensitive (self->accept_button,
                            path != NULL || (row != NULL && row_is_folder (row)));
}

static GtkWidget *
new_row (const char *name,
         const char *kind,
         guint64     size,
         gint64      mtime)
{
  gboolean folder = g_strcmp0 (kind, "directory") == 0;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name (folder ? "folder-symbolic"
                                                         : "text-x-generic-symbolic");
  GtkWidget *label = gtk_label_new (name);
  GtkWidget *size_label;
  GtkWidget *date_label;
  g_autofree char *size_text = NULL;
  g_autofree char *date_text = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (mtime);
  g_autofree char *accessible = NULL;

  if (g_strcmp0 (kind, "file") == 0)
    size_text = g_format_size (size);
  else
    size_text = g_strdup ("");
  date_text = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M") : g_strdup ("");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (label, TRUE);
  size_label = gtk_label_new (size_text);
  gtk_label_set_xalign (GTK_LABEL (size_label), 1);
  gtk_label_set_width_chars (GTK_LABEL (size_label), 9);
  gtk_widget_add_css_class (size_label, "dim-label");
  date_label = gtk_label_new (date_text);
  gtk_widget_add_css_class (date_label, "dim-label");
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), size_label);
  gtk_box_append (GTK_BOX (box), date_label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  /* Translators: the accessible name of a folder in the remote file chooser */
  accessible = folder ? g_strdup_printf (_("%s (folder)"), name) : g_strdup (name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  g_object_set_data_full (G_OBJECT (row), "hv-name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (row), "hv-folder", GINT_TO_POINTER (folder));
  return row;
}

static void
fill (HvRemoteFileDialog *self,
      GVariant           *entries)
{
  HvRemoteFileFilter filter = current_filter (self);
  GtkWidget *child;
  GVariantIter iter;
  const char *name;
  const char *kind;
  guint64 size;
  gint64 mtime;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  /* Folders first, then (unless only folders are wanted) the files the filter keeps. */
  for (int pass = 0; pass < 2; pass++)
    {
      g_variant_iter_init (&iter, entries);
      while (g_variant_iter_next (&iter, "(&s&stx)", &name, &kind, &size, &mtime))
        {
          gboolean folder = strcmp (kind, "directory") == 0;

          if (pass == 0 ? !folder : folder)
            continue;
          if (pass == 1 && (self->mode == HV_REMOTE_FILE_FOLDER || strcmp (kind, "file") != 0
                            || !hv_remote_file_filter_matches (filter, name)))
            continue;
          gtk_list_box_append (self->list, new_row (name, kind, size, mtime));
        }
    }
}

static void list_folder (HvRemoteFileDialog *self, const char *path);

static void
on_listed (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(HvRemoteFileDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (object), result,
                                                            &error);
  g_autoptr(GVariant) entries = NULL;
  const char *resolved;

  if (reply == NULL)
    {
      g_autofree char *typed = g_steal_pointer (&self->typed);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->task == NULL)
        return;
      gtk_widget_set_sensitive (GTK_WIDGET (self->list), TRUE);
      /* A file's path typed where a file is wanted (the engine said: not a folder): chosen,
       * as GTK's chooser does; the engine checks it again where it is used. */
      if (typed != NULL && self->mode == HV_REMOTE_FILE_OPEN
          && g_error_matches (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT))
        {
          finish (self, g_steal_pointer (&typed));
          return;
        }
      show_error (self, error->message);
      /* Back to what is shown, so that the entry says where the list is. */
      if (self->folder != NULL)
        gtk_editable_set_text (GTK_EDITABLE (self->path_entry), self->folder);
      return;
    }
  g_variant_get (reply, "(&s@a(sstx))", &resolved, &entries);
  g_clear_pointer (&self->typed, g_free);
  show_error (self, NULL);
  g_free (self->folder);
  self->folder = g_strdup (resolved);
  g_hash_table_replace (last_folders, g_strdup (self->key), g_strdup (resolved));
  gtk_editable_set_text (GTK_EDITABLE (self->path_entry), resolved);
  gtk_widget_set_sensitive (self->up_button, strcmp (resolved, "/") != 0);
  g_object_set_data_full (G_OBJECT (self), "hv-entries", g_variant_ref (entries),
                          (GDestroyNotify) g_variant_unref);
  fill (self, entries);
  gtk_widget_set_sensitive (GTK_WIDGET (self->list), TRUE);
  on_selection_changed (self);
}

static void
list_folder (HvRemoteFileDialog *self,
             const char         *path)
{
  if (self->listing != NULL)
    {
      g_cancellable_cancel (self->listing);
      g_object_unref (self->listing);
    }
  g_clear_pointer (&self->typed, g_free);
  /* Insensitive until the new folder is shown: a click under way (the second of a
   * double-click's) is dropped, not applied to rows that are about to go. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->list), FALSE);
  self->listing = g_cancellable_new ();
  hv_engine_client_call (self->client, NULL, "ListDirectory",
                         g_variant_new_parsed ("(%s, {'hidden': <%b>})", path,
                                               gtk_toggle_button_get_active (self->hidden_button)),
                         self->listing, on_listed, g_object_ref (self));
}

static void
on_cancel_clicked (HvRemoteFileDialog *self)
{
  finish (self, NULL);
}

static void
on_accept_clicked (HvRemoteFileDialog *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list);
  g_autofree char *path = NULL;

  /* A folder chosen where a file is wanted: open it. */
  if (self->mode != HV_REMOTE_FILE_FOLDER && row != NULL && row_is_folder (row))
    {
      path = child_path (self, row_name (row));
      list_folder (self, path);
      return;
    }
  path = chosen_path (self);
  if (path != NULL)
    finish (self, g_steal_pointer (&path));
}

static void
on_row_activated (HvRemoteFileDialog *self,
                  GtkListBoxRow      *row)
{
  g_autofree char *path = child_path (self, row_name (row));

  if (row_is_folder (row))
    list_folder (self, path);
  else if (self->mode == HV_REMOTE_FILE_OPEN)
    finish (self, g_steal_pointer (&path));
}

static void
on_home_clicked (HvRemoteFileDialog *self)
{
  list_folder (self, "");
}

static void
on_up_clicked (HvRemoteFileDialog *self)
{
  g_autofree char *parent = NULL;

  if (self->folder == NULL)
    return;
  parent = g_path_get_dirname (self->folder);
  list_folder (self, parent);
}

static void
on_path_activate (HvRemoteFileDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->path_entry));

  if (!g_path_is_absolute (text))
    {
      show_error (self, _("Type an absolute path, one that starts with “/”."));
      return;
    }
  list_folder (self, text);
  self->typed = g_strdup (text);
}

static void
on_hidden_toggled (HvRemoteFileDialog *self)
{
  if (self->folder != NULL)
    list_folder (self, self->folder);
}

static void
on_filter_changed (HvRemoteFileDialog *self)
{
  GVariant *entries = g_object_get_data (G_OBJECT (self), "hv-entries");

  if (entries != NULL && self->list != NULL)
    {
      fill (self, entries);
      on_selection_changed (self);
    }
}

static gboolean
on_close_request (GtkWindow *window)
{
  HvRemoteFileDialog *self = HV_REMOTE_FILE_DIALOG (window);

  if (self->task != NULL)
    {
      finish (self, NULL);
      return TRUE;  /* finish() destroyed it */
    }
  return FALSE;
}

static void
hv_remote_file_dialog_dispose (GObject *object)
{
  HvRemoteFileDialog *self = HV_REMOTE_FILE_DIALOG (object);

  if (self->listing != NULL)
    g_cancellable_cancel (self->listing);
  g_clear_object (&self->listing);
  if (self->task != NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (self->task);

      if (cancellable != NULL && self->cancel_id != 0)
        g_cancellable_disconnect (cancellable, self->cancel_id);
      self->cancel_id = 0;
      g_task_return_new_error (self->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                               _("No file was chosen"));
      g_clear_object (&self->task);
    }
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_REMOTE_FILE_DIALOG);
  G_OBJECT_CLASS (hv_remote_file_dialog_parent_class)->dispose (object);
}

static void
hv_remote_file_dialog_finalize (GObject *object)
{
  HvRemoteFileDialog *self = HV_REMOTE_FILE_DIALOG (object);

  g_free (self->folder);
  g_free (self->key);
  g_free (self->typed);
  G_OBJECT_CLASS (hv_remote_file_dialog_parent_class)->finalize (object);
}

static void
hv_remote_file_dialog_class_init (HvRemoteFileDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hv_remote_file_dialog_dispose;
  object_class->finalize = hv_remote_file_dialog_finalize;
  window_class->close_request = on_close_request;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-remote-file-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, accept_button);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, up_button);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, path_entry);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, hidden_button);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, list);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, name_label);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, HvRemoteFileDialog, filter_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_accept_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_home_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_up_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_path_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_hidden_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
}

static void
hv_remote_file_dialog_init (HvRemoteFileDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
on_caller_cancelled (GCancellable       *cancellable,
                     HvRemoteFileDialog *self)
{
  /* From the main loop: the cancellables the app cancels are cancelled there. */
  self->cancel_id = 0;
  finish (self, NULL);
}

void
hv_remote_file_dialog_choose (HvEngineClient     *client,
                              GtkWindow          *parent,
                              const char         *title,
                              HvRemoteFileMode    mode,
                              HvRemoteFileFilter  filter,
                              const char         *initial_path,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  HvRemoteFileDialog *self = g_object_new (HV_TYPE_REMOTE_FILE_DIALOG, NULL);
  const HvRemote *remote = hv_engine_client_get_remote (client);
  g_autofree char *host = hv_engine_client_dup_host_label (client);
  g_autofree char *subtitle = NULL;
  g_autofree char *start = NULL;
  g_autoptr(GtkStringList) filters = NULL;
  const char *remembered;

  if (last_folders == NULL)
    last_folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->client = g_object_ref (client);
  self->mode = mode;
  self->filter = mode == HV_REMOTE_FILE_FOLDER ? HV_REMOTE_FILTER_ANY : filter;
  self->key = g_strdup (remote != NULL ? remote->address : "");
  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, hv_remote_file_dialog_choose);

  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (self), parent);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_title (self->window_title, title);
  /* Translators: %s is the host whose files are shown ("me@server.example") */
  subtitle = g_strdup_printf (_("Files on %s"), host);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_button_set_label (GTK_BUTTON (self->accept_button),
                        mode == HV_REMOTE_FILE_SAVE ? _("_Save")
                        : mode == HV_REMOTE_FILE_FOLDER ? _("_Choose") : _("_Open"));
  gtk_widget_set_visible (self->name_label, mode == HV_REMOTE_FILE_SAVE);
  gtk_widget_set_visible (GTK_WIDGET (self->name_entry), mode == HV_REMOTE_FILE_SAVE);
  filters = gtk_string_list_new (NULL);
  if (self->filter != HV_REMOTE_FILTER_ANY)
    gtk_string_list_append (filters, filter_name (self->filter));
  gtk_string_list_append (filters, filter_name (HV_REMOTE_FILTER_ANY));
  gtk_drop_down_set_model (self->filter_dropdown, G_LIST_MODEL (filters));
  gtk_widget_set_visible (GTK_WIDGET (self->filter_dropdown), mode != HV_REMOTE_FILE_FOLDER);
  gtk_widget_set_sensitive (self->accept_button, FALSE);

  if (mode == HV_REMOTE_FILE_SAVE && initial_path != NULL && *initial_path != '\0')
    {
      g_autofree char *base = g_path_get_basename (initial_path);

      start = g_path_get_dirname (initial_path);
      gtk_editable_set_text (GTK_EDITABLE (self->name_entry), base);
    }
  else if (initial_path != NULL && g_path_is_absolute (initial_path))
    start = g_strdup (initial_path);
  if (start == NULL || !g_path_is_absolute (start))
    {
      remembered = g_hash_table_lookup (last_folders, self->key);
      g_free (start);
      start = g_strdup (remembered != NULL ? remembered : "");
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      finish (self, NULL);
      return;
    }
  if (cancellable != NULL)
    self->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                             self, NULL);
  gtk_window_present (GTK_WINDOW (self));
  list_folder (self, start);
}

char *
hv_remote_file_dialog_choose_finish (GAsyncResult *result,
                                     GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
