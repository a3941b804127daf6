/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-snapshots.c: see hv-engine-snapshots.h. The work is hv-vm-snapshots.c's; this
 * file checks the arguments and answers the calls. */
#include "hv-engine-snapshots.h"

#include <unistd.h>

#include "hv-error.h"
#include "hv-library.h"
#include "hv-vm-snapshots.h"

/* Only known keys of the right type: a typo must not turn "force" into a silent no. */
static gboolean
check_options (GVariant           *options,
               const char * const *keys,
               GError            **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (!g_strv_contains (keys, key) || !g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Unknown option \"%s\"", key);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_id (const char             *id,
          GDBusMethodInvocation  *invocation)
{
  if (g_uuid_string_is_valid (id))
    return TRUE;
  g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                         "Not a snapshot id");
  return FALSE;
}

static void
on_taken (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  GError *error = NULL;
  g_autofree char *id = hv_vm_take_snapshot_finish (HV_VM (object), result, &error);

  if (id == NULL)
    g_dbus_method_invocation_take_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", id));
}

gboolean
hv_engine_vm_handle_take_snapshot (HvDbusVm              *skeleton,
                                   GDBusMethodInvocation *invocation,
                                   const char            *name,
                                   const char            *description,
                                   GVariant              *options,
                                   HvEngine              *engine)
{
  static const char * const keys[] = { "disk-only", NULL };
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  gboolean disk_only = FALSE;
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  if (!check_options (options, keys, &error))
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  g_variant_lookup (options, "disk-only", "b", &disk_only);
  hv_vm_take_snapshot_async (vm, name, description, disk_only, NULL, on_taken, invocation);
  return TRUE;
}

static void
on_restored (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  gboolean ok = hv_vm_restore_snapshot_finish (HV_VM (object), result, &error);

  hv_engine_reply (user_data, ok, error);
}

gboolean
hv_engine_vm_handle_restore_snapshot (HvDbusVm              *skeleton,
                                      GDBusMethodInvocation *invocation,
                                      const char            *id,
                                      GVariant              *options,
                                      HvEngine              *engine)
{
  static const char * const keys[] = { "force", NULL };
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  gboolean force = FALSE;
  GError *error = NULL;

  if (vm == NULL || !check_id (id, invocation))
    return TRUE;
  if (!check_options (options, keys, &error))
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  g_variant_lookup (options, "force", "b", &force);
  hv_vm_restore_snapshot_async (vm, id, force, NULL, on_restored, invocation);
  return TRUE;
}

static void
on_deleted (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  gboolean ok = hv_vm_delete_snapshot_finish (HV_VM (object), result, &error);

  hv_engine_reply (user_data, ok, error);
}

gboolean
hv_engine_vm_handle_delete_snapshot (HvDbusVm              *skeleton,
                                     GDBusMethodInvocation *invocation,
                                     const char            *id,
                                     HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);

  if (vm != NULL && check_id (id, invocation))
    hv_vm_delete_snapshot_async (vm, id, NULL, on_deleted, invocation);
  return TRUE;
}

gboolean
hv_engine_vm_handle_edit_snapshot (HvDbusVm              *skeleton,
                                   GDBusMethodInvocation *invocation,
                                   const char            *id,
                                   const char            *name,
                                   const char            *description,
                                   HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  GError *error = NULL;
  gboolean ok;

  if (vm == NULL || !check_id (id, invocation))
    return TRUE;
  ok = hv_vm_edit_snapshot (vm, id, name, description, &error);
  hv_engine_reply (invocation, ok, error);
  return TRUE;
}

gboolean
hv_engine_vm_handle_get_snapshot_thumbnail (HvDbusVm              *skeleton,
                                            GDBusMethodInvocation *invocation,
                                            GUnixFDList           *fd_list,
                                            const char            *id,
                                            HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  g_autoptr(GUnixFDList) out = NULL;
  GError *error = NULL;
  int fd, index;

  if (vm == NULL || !check_id (id, invocation))
    return TRUE;
  fd = hv_vm_snapshot_thumbnail (vm, id, &error);
  if (fd < 0)
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  out = g_unix_fd_list_new ();
  index = g_unix_fd_list_append (out, fd, &error);
  close (fd);
  if (index < 0)
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  g_dbus_method_invocation_return_value_with_unix_fd_list (invocation,
                                                           g_variant_new ("(h)", index), out);
  return TRUE;
}

static void
on_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  gboolean ok = hv_vm_save_state_finish (HV_VM (object), result, &error);

  hv_engine_reply (user_data, ok, error);
}

gboolean
hv_engine_vm_handle_save_state (HvDbusVm              *skeleton,
                                GDBusMethodInvocation *invocation,
                                HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);

  if (vm != NULL)
    hv_vm_save_state_async (vm, NULL, on_saved, invocation);
  return TRUE;
}

static void
on_discarded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  gboolean ok = hv_vm_discard_saved_state_finish (HV_VM (object), result, &error);

  hv_engine_reply (user_data, ok, error);
}

gboolean
hv_engine_vm_handle_discard_saved_state (HvDbusVm              *skeleton,
                                         GDBusMethodInvocation *invocation,
                                         HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);

  if (vm != NULL)
    hv_vm_discard_saved_state_async (vm, NULL, on_discarded, invocation);
  return TRUE;
}
