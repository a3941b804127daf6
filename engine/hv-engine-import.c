/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-import.c: the import's D-Bus methods (see hv-engine-import.h). One import runs per
 * appliance path at a time; CancelImport names it by that path. */
#include "hv-engine-import.h"

#include "hv-appliance-import.h"
#include "hv-error.h"
#include "hv-library.h"

typedef struct {
  HvDbusEngine *skeleton;
  HvEngine *engine;
  GHashTable *running;     /* path → GCancellable* */
} ImportService;

static ImportService service;

typedef struct {
  GDBusMethodInvocation *invocation;
  char *path;
} Reply;

static void
on_inspected (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Reply *reply = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) summary = hv_appliance_inspect_finish (result, &error);

  if (summary == NULL)
    g_dbus_method_invocation_take_error (reply->invocation, error);
  else
    hv_dbus_engine_complete_inspect_appliance (service.skeleton, reply->invocation, summary);
  g_free (reply->path);
  g_free (reply);
}

static gboolean
handle_inspect (HvDbusEngine          *skeleton,
                GDBusMethodInvocation *invocation,
                const char            *path,
                gpointer               user_data)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->invocation = invocation;
  hv_appliance_inspect_async (path, NULL, on_inspected, reply);
  return TRUE;
}

static void
on_progress (const char *path,
             double      fraction,
             gpointer    user_data)
{
  hv_dbus_engine_emit_appliance_progress (service.skeleton, path, fraction);
}

static void
on_imported (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Reply *reply = user_data;
  g_auto(GStrv) warnings = NULL;
  GError *error = NULL;
  g_autoptr(HvVm) vm = hv_appliance_import_finish (HV_LIBRARY (object), result, &warnings,
                                                   &error);

  g_hash_table_remove (service.running, reply->path);
  if (vm == NULL)
    g_dbus_method_invocation_take_error (reply->invocation, error);
  else
    {
      g_autofree char *object_path = hv_vm_dup_object_path (vm);
      const char *none[] = { NULL };

      hv_dbus_engine_complete_import_appliance (service.skeleton, reply->invocation, object_path,
                                                warnings != NULL ? (const char * const *) warnings
                                                                 : none);
    }
  hv_engine_update_idle (service.engine);
  g_free (reply->path);
  g_free (reply);
}

/* ImportAppliance's options: "name" s, "folder" s; nothing else. */
static gboolean
parse_options (GVariant     *options,
               const char  **name,
               const char  **folder,
               GError      **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (!g_str_equal (key, "name") && !g_str_equal (key, "folder"))
        {
          g_autofree char *shown = hv_config_escape_for_display (key);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Unknown option \"%s\"", shown);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Option \"%s\" must be of type s", key);
          return FALSE;
        }
    }
  g_variant_lookup (options, "name", "&s", name);
  g_variant_lookup (options, "folder", "&s", folder);
  return TRUE;
}

static gboolean
handle_import (HvDbusEngine          *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *path,
               GVariant              *options,
               gpointer               user_data)
{
  const char *name = NULL;
  const char *folder = NULL;
  GError *error = NULL;
  GCancellable *cancellable;
  Reply *reply;

  if (!parse_options (options, &name, &folder, &error))
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  if (g_hash_table_contains (service.running, path))
    {
      g_autofree char *shown = hv_config_escape_for_display (path);

      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_BUSY,
                                             "%s is being imported already", shown);
      return TRUE;
    }
  cancellable = g_cancellable_new ();
  g_hash_table_insert (service.running, g_strdup (path), cancellable);
  reply = g_new0 (Reply, 1);
  reply->invocation = invocation;
  reply->path = g_strdup (path);
  /* options (and the strings from it) live as long as the invocation */
  hv_appliance_import_async (hv_engine_get_library (service.engine), path, name, folder,
                             cancellable, on_progress, NULL, on_imported, reply);
  return TRUE;
}

static gboolean
handle_cancel (HvDbusEngine          *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *path,
               gpointer               user_data)
{
  GCancellable *cancellable = g_hash_table_lookup (service.running, path);

  if (cancellable == NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (path);

      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_NOT_FOUND,
                                             "No import of %s is running", shown);
      return TRUE;
    }
  g_cancellable_cancel (cancellable);
  hv_dbus_engine_complete_cancel_import (skeleton, invocation);
  return TRUE;
}

void
hv_engine_import_register (HvDbusEngine *skeleton,
                           HvEngine     *engine)
{
  service.skeleton = skeleton;
  service.engine = engine;
  if (service.running == NULL)
    service.running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_signal_connect (skeleton, "handle-inspect-appliance", G_CALLBACK (handle_inspect), NULL);
  g_signal_connect (skeleton, "handle-import-appliance", G_CALLBACK (handle_import), NULL);
  g_signal_connect (skeleton, "handle-cancel-import", G_CALLBACK (handle_cancel), NULL);
}
