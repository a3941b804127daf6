/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-clone.c: Vm.Clone on D-Bus: its options checked, then hv_vm_clone_async(). */
#include "hv-engine-clone.h"

#include "hv-engine-export.h"
#include "hv-error.h"
#include "hv-library.h"
#include "hv-vm-clone.h"

typedef struct {
  GDBusMethodInvocation *invocation;
  HvDbusVm *skeleton;
  HvEngine *engine;
  HvVm *source;
  GCancellable *cancellable;  /* CancelOperation's (hv-engine-export.c) */
} CloneReply;

static void
on_clone_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  CloneReply *reply = user_data;
  GError *error = NULL;
  g_autoptr(HvVm) vm = hv_vm_clone_finish (HV_LIBRARY (object), result, &error);
  g_autofree char *path = NULL;

  if (vm == NULL)
    g_dbus_method_invocation_take_error (reply->invocation, error);
  else
    {
      path = hv_vm_dup_object_path (vm);
      hv_dbus_vm_complete_clone (reply->skeleton, reply->invocation, path);
    }
  /* The clone kept the engine from exiting while idle: it may now. */
  hv_engine_update_idle (reply->engine);
  hv_engine_operation_untrack (reply->source, reply->cancellable);
  g_object_unref (reply->cancellable);
  g_object_unref (reply->source);
  g_object_unref (reply->engine);
  g_object_unref (reply->skeleton);
  g_free (reply);
}

/* Clone's options: "snapshot" s, "linked" b, "keep-macs" b, "folder" s; nothing else. */
static gboolean
parse_options (GVariant        *options,
               HvCloneOptions  *out,
               GError         **error)
{
  static const struct { const char *key; const char *type; } known[] = {
    { "snapshot", "s" }, { "linked", "b" }, { "keep-macs", "b" }, { "folder", "s" },
  };
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;
      guint i;

      for (i = 0; i < G_N_ELEMENTS (known); i++)
        if (g_str_equal (key, known[i].key))
          break;
      if (i == G_N_ELEMENTS (known))
        {
          g_autofree char *shown = hv_config_escape_for_display (key);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Unknown option \"%s\"",
                       shown);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (known[i].type)))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Option \"%s\" must be of type %s", key, known[i].type);
          return FALSE;
        }
    }
  g_variant_lookup (options, "snapshot", "&s", &out->snapshot_id);
  g_variant_lookup (options, "linked", "b", &out->linked);
  g_variant_lookup (options, "keep-macs", "b", &out->keep_macs);
  g_variant_lookup (options, "folder", "&s", &out->folder);
  return TRUE;
}

gboolean
hv_engine_vm_handle_clone (HvDbusVm              *skeleton,
                           GDBusMethodInvocation *invocation,
                           const char            *name,
                           GVariant              *options,
                           HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  HvCloneOptions parsed = { NULL, };
  GError *error = NULL;
  CloneReply *reply;

  if (vm == NULL)
    return TRUE;
  if (!parse_options (options, &parsed, &error))
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  reply = g_new0 (CloneReply, 1);
  reply->invocation = invocation;
  reply->skeleton = g_object_ref (skeleton);
  reply->engine = g_object_ref (engine);
  reply->source = g_object_ref (vm);
  reply->cancellable = hv_engine_operation_track (vm);
  /* options (and the strings parsed from it) live as long as the invocation */
  hv_vm_clone_async (hv_engine_get_library (engine), vm, name, &parsed, reply->cancellable,
                     on_clone_done, reply);
  return TRUE;
}
