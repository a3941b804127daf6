/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-export.c: Vm.Export and Vm.CancelOperation on D-Bus. Export's options are
 * checked here, then hv_vm_export_async() runs it; CancelOperation cancels what
 * hv_engine_operation_track() registered for the VM (an export, a clone). */
#include "hv-engine-export.h"

#include "hv-error.h"
#include "hv-export.h"
#include "hv-library.h"

/* HvVm* (not a reference: the entry goes when the operation ends) → GCancellable* */
static GHashTable *operations;

GCancellable *
hv_engine_operation_track (HvVm *vm)
{
  GCancellable *cancellable = g_cancellable_new ();

  if (operations == NULL)
    operations = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  /* A second operation is refused by the VM (Busy): the first one's entry stays. */
  if (!g_hash_table_contains (operations, vm))
    g_hash_table_insert (operations, vm, g_object_ref (cancellable));
  return cancellable;
}

void
hv_engine_operation_untrack (HvVm         *vm,
                             GCancellable *cancellable)
{
  if (operations != NULL && g_hash_table_lookup (operations, vm) == cancellable)
    g_hash_table_remove (operations, vm);
}

typedef struct {
  GDBusMethodInvocation *invocation;
  HvDbusVm *skeleton;
  HvEngine *engine;
  HvVm *vm;
  GCancellable *cancellable;
} ExportReply;

static void
on_export_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExportReply *reply = user_data;
  GError *error = NULL;
  g_auto(GStrv) warnings = hv_vm_export_finish (HV_VM (object), result, &error);

  hv_engine_operation_untrack (reply->vm, reply->cancellable);
  if (warnings == NULL)
    g_dbus_method_invocation_take_error (reply->invocation, error);
  else
    hv_dbus_vm_complete_export (reply->skeleton, reply->invocation,
                                (const char * const *) warnings);
  /* The export kept the engine from exiting while idle: it may now. */
  hv_engine_update_idle (reply->engine);
  g_object_unref (reply->cancellable);
  g_object_unref (reply->vm);
  g_object_unref (reply->engine);
  g_object_unref (reply->skeleton);
  g_free (reply);
}

/* Export's options: "snapshot" s; nothing else. */
static gboolean
parse_options (GVariant     *options,
               const char  **snapshot,
               GError      **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (!g_str_equal (key, "snapshot"))
        {
          g_autofree char *shown = hv_config_escape_for_display (key);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Unknown option \"%s\"",
                       shown);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Option \"snapshot\" must be of type s");
          return FALSE;
        }
    }
  g_variant_lookup (options, "snapshot", "&s", snapshot);
  return TRUE;
}

gboolean
hv_engine_vm_handle_export (HvDbusVm              *skeleton,
                            GDBusMethodInvocation *invocation,
                            const char            *format,
                            const char            *path,
                            GVariant              *options,
                            HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  const char *snapshot = NULL;
  HvExportFormat parsed;
  GError *error = NULL;
  ExportReply *reply;

  if (vm == NULL)
    return TRUE;
  if (!hv_export_format_from_string (format, &parsed))
    {
      g_autofree char *shown = hv_config_escape_for_display (format);

      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                             "Unknown export format \"%s\" (ova, ovf or "
                                             "libvirt)", shown);
      return TRUE;
    }
  if (!parse_options (options, &snapshot, &error))
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  reply = g_new0 (ExportReply, 1);
  reply->invocation = invocation;
  reply->skeleton = g_object_ref (skeleton);
  reply->engine = g_object_ref (engine);
  reply->vm = g_object_ref (vm);
  reply->cancellable = hv_engine_operation_track (vm);
  /* options (and the string parsed from it) live as long as the invocation */
  hv_vm_export_async (vm, parsed, path, snapshot, reply->cancellable, on_export_done, reply);
  return TRUE;
}

gboolean
hv_engine_vm_handle_cancel_operation (HvDbusVm              *skeleton,
                                      GDBusMethodInvocation *invocation,
                                      HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  GCancellable *cancellable;

  if (vm == NULL)
    return TRUE;
  cancellable = operations != NULL ? g_hash_table_lookup (operations, vm) : NULL;
  if (cancellable == NULL || g_strcmp0 (hv_dbus_vm_get_operation (skeleton), "") == 0)
    {
      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_INVALID_STATE,
                                             "No operation that can be cancelled runs on this "
                                             "VM");
      return TRUE;
    }
  hv_vm_log (vm, "cancelling the operation \"%s\"", hv_dbus_vm_get_operation (skeleton));
  g_cancellable_cancel (cancellable);
  hv_dbus_vm_complete_cancel_operation (skeleton, invocation);
  return TRUE;
}
