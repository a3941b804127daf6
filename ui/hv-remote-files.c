/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-files.c: see hv-remote-files.h. */
#include "hv-remote-files.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "hv-engine-client-remote.h"

typedef struct
{
  GtkWidget *widget;        /* owned */
  HvRemoteFilesChosen chosen;
  gpointer data;
  GDestroyNotify data_free;
} Choice;

static void
on_chosen (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Choice *choice = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = hv_remote_file_dialog_choose_finish (result, &error);

  /* A widget that left its window meanwhile (its dialog closed) has nothing to do with it. */
  if (path != NULL && gtk_widget_get_root (choice->widget) != NULL)
    choice->chosen (choice->widget, path, choice->data);
  g_object_unref (choice->widget);
  if (choice->data_free != NULL)
    choice->data_free (choice->data);
  g_free (choice);
}

static void
on_folder_listed (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *path = g_task_get_task_data (task);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (object), result,
                                                            &error);
  g_autoptr(GVariant) entries = NULL;
  GVariantIter iter;
  const char *name;
  const char *kind;
  guint64 size;
  gint64 mtime;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_variant_get (reply, "(&s@a(sstx))", NULL, &entries);
  g_variant_iter_init (&iter, entries);
  while (g_variant_iter_next (&iter, "(&s&stx)", &name, &kind, &size, &mtime))
    if (strcmp (name, base) == 0 && strcmp (kind, "file") == 0)
      {
        guint64 *result_size = g_new (guint64, 1);

        *result_size = size;
        g_task_return_pointer (task, result_size, g_free);
        return;
      }
  /* Translators: %s is a path on the host whose VMs the window shows */
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s is not a file there"),
                           path);
}

void
hv_remote_files_query_size (HvEngineClient     *client,
                            const char         *path,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *folder = g_path_get_dirname (path);

  g_task_set_source_tag (task, hv_remote_files_query_size);
  g_task_set_task_data (task, g_strdup (path), g_free);
  hv_engine_client_call (client, NULL, "ListDirectory",
                         g_variant_new_parsed ("(%s, {'hidden': <true>})", folder),
                         cancellable, on_folder_listed, task);
}

gboolean
hv_remote_files_query_size_finish (GAsyncResult *result,
                                   guint64      *size,
                                   GError      **error)
{
  g_autofree guint64 *value = g_task_propagate_pointer (G_TASK (result), error);

  if (value == NULL)
    return FALSE;
  if (size != NULL)
    *size = *value;
  return TRUE;
}

static void
on_home_listed (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (object), result,
                                                            &error);
  char *home = NULL;

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_variant_get (reply, "(sa(sstx))", &home, NULL);
  g_task_return_pointer (task, home, g_free);
}

void
hv_remote_files_query_home (HvEngineClient     *client,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_remote_files_query_home);
  /* A folder's names are all it lists: a home's are few; hidden ones are left out. */
  hv_engine_client_call (client, NULL, "ListDirectory",
                         g_variant_new_parsed ("(%s, @a{sv} {})", ""), cancellable,
                         on_home_listed, task);
}

char *
hv_remote_files_query_home_finish (GAsyncResult *result,
                                   GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hv_remote_files_is_remote (HvEngineClient *client)
{
  return client != NULL && hv_engine_client_get_remote (client) != NULL;
}

gboolean
hv_remote_files_choose (HvEngineClient     *client,
                        GtkWidget          *widget,
                        const char         *title,
                        HvRemoteFileMode    mode,
                        HvRemoteFileFilter  filter,
                        const char         *initial_path,
                        HvRemoteFilesChosen chosen,
                        gpointer            data,
                        GDestroyNotify      data_free)
{
  GtkRoot *root;
  Choice *choice;

  if (!hv_remote_files_is_remote (client))
    {
      if (data_free != NULL)
        data_free (data);
      return FALSE;
    }
  root = gtk_widget_get_root (widget);
  choice = g_new0 (Choice, 1);
  choice->widget = g_object_ref (widget);
  choice->chosen = chosen;
  choice->data = data;
  choice->data_free = data_free;
  hv_remote_file_dialog_choose (client, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, title,
                                mode, filter, initial_path, NULL, on_chosen, choice);
  return TRUE;
}

gboolean
hv_remote_files_refuse (HvEngineClient *client,
                        GtkWidget      *widget)
{
  const HvRemote *remote = client != NULL ? hv_engine_client_get_remote (client) : NULL;
  g_autofree char *host = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkRoot *root;
  GtkWidget *dialog;

  if (remote == NULL)
    return FALSE;
  host = hv_engine_client_dup_host_label (client);
  root = widget != NULL ? gtk_widget_get_root (widget) : NULL;
  /* Translators: %s is the host whose VMs the window shows ("me@server.example") */
  heading = g_strdup_printf (_("The Files Are on %s"), host);
  body = g_strdup_printf (
    /* Translators: %1$s is a host, %2$s its ssh:// address */
    _("These virtual machines run on %1$s, which cannot read the files of this computer, "
      "and a file chosen here would name a file there that may not exist. Give a path on "
      "%1$s with the command line, for example “hostvisorctl --connect %2$s media insert NAME "
      "/path/there/disc.iso” (docs/remote.md), or switch to This Computer."),
    host, remote->address);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}
