/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-preferences-window.h"

#include <glib/gi18n.h>

#include "hv-engine-client-remote.h"
#include "hv-folder-tree.h"

#define PREFS_GROUP "Preferences"
#define KEY_DEFAULT_FOLDER "default-folder"

struct _HvPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  char **folders;               /* parallel to folder_row's items; [0] = "" */
  char *library_path;
  gboolean syncing;

  /* template widgets */
  AdwActionRow *library_row;
  GtkLabel *library_label;
  GtkWidget *open_button;
  AdwComboRow *folder_row;
};

G_DEFINE_FINAL_TYPE (HvPreferencesWindow, hv_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* ---- the stored preferences ---- */

static char *
prefs_file (void)
{
  return g_build_filename (g_get_user_config_dir (), "hostvisor", "ui-state.ini", NULL);
}

char *
hv_preferences_get_default_folder (void)
{
  g_autofree char *path = prefs_file ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  char *folder;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    return g_strdup ("");
  folder = g_key_file_get_string (keyfile, PREFS_GROUP, KEY_DEFAULT_FOLDER, NULL);
  return folder != NULL ? folder : g_strdup ("");
}

void
hv_preferences_set_default_folder (const char *folder)
{
  g_autofree char *path = prefs_file ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();

  /* Keep the other groups (the sidebar's state lives in the same file). */
  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  g_key_file_set_string (keyfile, PREFS_GROUP, KEY_DEFAULT_FOLDER, folder != NULL ? folder : "");
  /* A preference that cannot be kept is not worth an error dialog; the next start simply
   * begins at the top level. */
  if (g_mkdir_with_parents (dir, 0700) == 0)
    g_key_file_save_to_file (keyfile, path, NULL);
}

/* ---- the window ---- */

static void
sync_library (HvPreferencesWindow *self)
{
  g_free (self->library_path);
  self->library_path = hv_engine_client_dup_library_path (self->client);
  if (self->library_path != NULL && self->library_path[0] != '\0')
    {
      g_autofree char *host = hv_engine_client_dup_host_label (self->client);
      g_autofree char *where = NULL;
      gboolean remote = hv_engine_client_get_remote (self->client) != NULL;

      /* An engine on another host: its path is there, and this computer cannot open it. */
      if (remote)
        /* Translators: a folder on another computer; %1$s is the path, %2$s the host */
        where = g_strdup_printf (_("%1$s on %2$s"), self->library_path, host);
      gtk_label_set_text (self->library_label, remote ? where : self->library_path);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->library_label),
                                   remote ? where : self->library_path);
      gtk_widget_set_sensitive (self->open_button, !remote);
      if (remote)
        {
          g_autofree char *why = g_strdup_printf (_("The library is on %s: this computer's "
                                                    "file manager cannot open it"), host);

          gtk_widget_set_tooltip_text (self->open_button, why);
        }
      else
        gtk_widget_set_tooltip_text (self->open_button, _("Open the library folder"));
    }
  else
    {
      gtk_label_set_text (self->library_label, _("Not known while the engine is away"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->library_label), NULL);
      gtk_widget_set_sensitive (self->open_button, FALSE);
    }
}

static void
sync_folders (HvPreferencesWindow *self)
{
  g_auto(GStrv) folders = hv_folder_sort_paths (hv_engine_client_get_folders (self->client));
  g_autofree char *current = hv_preferences_get_default_folder ();
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  guint selected = 0;

  for (guint i = 0; folders[i] != NULL; i++)
    if (folders[i][0] != '\0')
      g_ptr_array_add (paths, folders[i]);

  g_strfreev (self->folders);
  self->folders = g_new0 (char *, paths->len + 2);
  self->folders[0] = g_strdup ("");
  gtk_string_list_append (list, _("Top level"));
  for (guint i = 0; i < paths->len; i++)
    {
      self->folders[i + 1] = g_strdup (paths->pdata[i]);
      gtk_string_list_append (list, paths->pdata[i]);
      if (g_strcmp0 (paths->pdata[i], current) == 0)
        selected = i + 1;
    }

  self->syncing = TRUE;
  adw_combo_row_set_model (self->folder_row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (self->folder_row, selected);
  self->syncing = FALSE;
}

static void
on_folder_selected (HvPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->folder_row);

  if (self->syncing || self->folders == NULL || selected >= g_strv_length (self->folders))
    return;
  hv_preferences_set_default_folder (self->folders[selected]);
}

static void
on_open_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(HvPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Translators: %s is why no file manager opened */
      g_autofree char *text = g_strdup_printf (_("The folder could not be opened: %s"),
                                               error->message);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
    }
}

static void
on_open_clicked (HvPreferencesWindow *self)
{
  g_autofree char *uri = NULL;

  if (self->library_path == NULL)
    return;
  uri = g_filename_to_uri (self->library_path, NULL, NULL);
  if (uri != NULL)
    gtk_show_uri_full (GTK_WINDOW (self), uri, GDK_CURRENT_TIME, NULL, on_open_done,
                       g_object_ref (self));
}

static void
hv_preferences_window_dispose (GObject *object)
{
  HvPreferencesWindow *self = HV_PREFERENCES_WINDOW (object);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (hv_preferences_window_parent_class)->dispose (object);
}

static void
hv_preferences_window_finalize (GObject *object)
{
  HvPreferencesWindow *self = HV_PREFERENCES_WINDOW (object);

  g_strfreev (self->folders);
  g_free (self->library_path);

  G_OBJECT_CLASS (hv_preferences_window_parent_class)->finalize (object);
}

static void
hv_preferences_window_class_init (HvPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_preferences_window_dispose;
  object_class->finalize = hv_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HvPreferencesWindow, library_row);
  gtk_widget_class_bind_template_child (widget_class, HvPreferencesWindow, library_label);
  gtk_widget_class_bind_template_child (widget_class, HvPreferencesWindow, open_button);
  gtk_widget_class_bind_template_child (widget_class, HvPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_open_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_preferences_window_init (HvPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
hv_preferences_window_present (GtkWindow      *parent,
                               HvEngineClient *client)
{
  /* One at a time: a second Ctrl+, brings the open one forward. It is destroyed when closed
   * (an unrealized hidden window would trip GTK 4.8's AT-SPI, see hv-shortcuts-window.ui). */
  static HvPreferencesWindow *open_window;
  HvPreferencesWindow *self = open_window;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));

  if (self == NULL)
    {
      self = g_object_new (HV_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
      self->client = g_object_ref (client);
      g_signal_connect_object (client, "notify::connected", G_CALLBACK (sync_library), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::folders", G_CALLBACK (sync_folders), self,
                               G_CONNECT_SWAPPED);
      open_window = self;
      g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &open_window);
    }
  sync_library (self);
  sync_folders (self);
  gtk_window_present (GTK_WINDOW (self));
}
