/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-modify.c: see hv-settings-modify.h. */
#include "hv-build-config.h"

#include "hv-settings-modify.h"

#include <glib/gi18n.h>

#include "hv-messages.h"
#include "hv-ui-util.h"

typedef struct {
  GtkWidget *page;
  GtkLabel *error_label;
  char *what;
  HvSettingsResync resync;
} Request;

static void
toast (GtkWidget  *page,
       const char *message)
{
  GtkRoot *root = gtk_widget_get_root (page);

  if (ADW_IS_PREFERENCES_WINDOW (root))
    {
      AdwToast *t = adw_toast_new (message);

      adw_toast_set_timeout (t, 8);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), t);
    }
}

static void
modify_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Request *req = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (reply == NULL)
        {
          g_autofree char *reason = hv_messages_error (error);
          /* Translators: what was being changed ("the machine"), then the engine's reason */
          g_autofree char *message = g_strdup_printf (_("Could not change %s: %s"), req->what,
                                                      reason);

          toast (req->page, message);
          hv_ui_set_error_label (req->error_label, message);
        }
      else
        hv_ui_set_error_label (req->error_label, NULL);
      /* The rows show the config as it is: a refused change is undone on the page too. */
      req->resync (req->page);
    }
  g_object_unref (req->page);
  g_object_unref (req->error_label);
  g_free (req->what);
  g_free (req);
}

void
hv_settings_modify (GtkWidget        *page,
                    HvEngineClient   *client,
                    HvVmItem         *item,
                    GVariant         *options,
                    GCancellable     *cancellable,
                    const char       *what,
                    GtkLabel         *error_label,
                    HvSettingsResync  resync)
{
  Request *req = g_new0 (Request, 1);

  req->page = g_object_ref (page);
  req->error_label = g_object_ref (error_label);
  req->what = g_strdup (what);
  req->resync = resync;
  hv_engine_client_call (client, item, "Modify", g_variant_new ("(@a{sv})", options),
                         cancellable, modify_done, req);
}

void
hv_settings_modify_one (GtkWidget        *page,
                        HvEngineClient   *client,
                        HvVmItem         *item,
                        const char       *key,
                        GVariant         *value,
                        GCancellable     *cancellable,
                        const char       *what,
                        GtkLabel         *error_label,
                        HvSettingsResync  resync)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, key, value);
  hv_settings_modify (page, client, item, g_variant_dict_end (&dict), cancellable, what,
                      error_label, resync);
}

void
hv_settings_fill_combo (AdwComboRow            *row,
                        const HvSettingsChoice *choices,
                        guint                   n_choices)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);

  for (guint i = 0; i < n_choices; i++)
    gtk_string_list_append (list, _(choices[i].label));
  adw_combo_row_set_model (row, G_LIST_MODEL (list));
}

guint
hv_settings_choice_find (const HvSettingsChoice *choices,
                         guint                   n_choices,
                         const char             *value,
                         guint                   fallback)
{
  for (guint i = 0; value != NULL && i < n_choices; i++)
    {
      if (g_strcmp0 (choices[i].value, value) == 0)
        return i;
    }
  return fallback;
}

gboolean
hv_settings_vm_is_active (HvVmItem *item)
{
  const char *state = hv_vm_item_get_state (item);

  return g_strcmp0 (state, "starting") == 0 || g_strcmp0 (state, "running") == 0 ||
         g_strcmp0 (state, "paused") == 0 || g_strcmp0 (state, "stopping") == 0;
}
