/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-snapshot.c: "snapshot take|list|restore|delete|edit", "save-state",
 * "discard-state", and the snapshot members of show --json (docs/cli.md, docs/snapshots.md).
 * A snapshot is named by its name or its id; a name that several snapshots share is an error
 * that lists their ids. */
#include "hv-build-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-error.h"

/* A live snapshot or a saved state writes the guest's RAM: no short D-Bus timeout. */
#define SNAPSHOT_CALL_TIMEOUT_MS G_MAXINT

const HvCtlOption hv_ctl_snapshot_take_options[] = {
  { "description", HV_CTL_OPT_STRING, 0, 0, "TEXT", N_("A description of the snapshot") },
  { "disk-only", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("While the VM runs: the disks only, without its running state") },
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print the new snapshot as JSON") },
  { NULL }
};

const HvCtlOption hv_ctl_snapshot_list_options[] = {
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print JSON, a stable format for scripts") },
  { NULL }
};

const HvCtlOption hv_ctl_snapshot_restore_options[] = {
  { "force", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Restore also while the VM runs (its current state is lost)") },
  { NULL }
};

const HvCtlOption hv_ctl_snapshot_edit_options[] = {
  { "name", HV_CTL_OPT_STRING, 0, 0, "NAME", N_("The snapshot's new name") },
  { "description", HV_CTL_OPT_STRING, 0, 0, "TEXT", N_("The snapshot's new description") },
  { NULL }
};

static HvDbusVm *
find_vm (HvCtl      *ctl,
         HvCtlArgs  *args,
         GError    **error)
{
  HvDbusVm *vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);

  if (vm != NULL)
    g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (vm), SNAPSHOT_CALL_TIMEOUT_MS);
  return vm;
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = "";

  g_variant_lookup (dict, key, "&s", &value);
  return value;
}

/* The snapshot `what` names (an id, or a name that only one snapshot has): a new reference
 * to its dictionary. */
static GVariant *
find_snapshot (HvDbusVm    *vm,
               const char  *what,
               GError     **error)
{
  GVariant *list = hv_dbus_vm_get_snapshots (vm);
  g_autoptr(GPtrArray) named = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autofree char *shown = hv_ctl_display_short (what);
  g_autofree char *vm_name = hv_ctl_vm_display_name (vm);
  GVariantIter iter;
  GVariant *item;

  if (list != NULL)
    {
      g_variant_iter_init (&iter, list);
      while ((item = g_variant_iter_next_value (&iter)) != NULL)
        {
          if (g_str_equal (lookup_string (item, "id"), what))
            return item;
          if (g_str_equal (lookup_string (item, "name"), what))
            g_ptr_array_add (named, g_variant_ref (item));
          g_variant_unref (item);
        }
    }
  if (named->len == 1)
    return g_variant_ref (g_ptr_array_index (named, 0));
  if (named->len > 1)
    {
      g_autoptr(GString) ids = g_string_new (NULL);

      for (guint i = 0; i < named->len; i++)
        g_string_append_printf (ids, "%s%s", i > 0 ? ", " : "",
                                lookup_string (g_ptr_array_index (named, i), "id"));
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   _("VM \"%s\" has %u snapshots named \"%s\": name one by its id (%s)"),
                   vm_name, named->len, shown, ids->str);
      return NULL;
    }
  g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, _("VM \"%s\" has no snapshot \"%s\""),
               vm_name, shown);
  return NULL;
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static void
json_add_snapshot (JsonBuilder *b,
                   GVariant    *item,
                   const char  *current)
{
  gint64 created = 0;
  guint64 size = 0;
  gboolean thumbnail = FALSE;
  const char *parent = lookup_string (item, "parent");

  g_variant_lookup (item, "created", "x", &created);
  g_variant_lookup (item, "vmstate-size", "t", &size);
  g_variant_lookup (item, "thumbnail", "b", &thumbnail);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, lookup_string (item, "id"));
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, lookup_string (item, "name"));
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, lookup_string (item, "description"));
  json_builder_set_member_name (b, "parent");
  if (parent[0] != '\0')
    json_builder_add_string_value (b, parent);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, created / G_USEC_PER_SEC);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, lookup_string (item, "kind"));
  json_builder_set_member_name (b, "vm_state");
  json_builder_add_string_value (b, lookup_string (item, "vm-state"));
  json_builder_set_member_name (b, "machine_type");
  json_builder_add_string_value (b, lookup_string (item, "machine-type"));
  json_builder_set_member_name (b, "vmstate_size");
  json_builder_add_int_value (b, (gint64) size);
  json_builder_set_member_name (b, "thumbnail");
  json_builder_add_boolean_value (b, thumbnail);
  json_builder_set_member_name (b, "current");
  json_builder_add_boolean_value (b, g_str_equal (current, lookup_string (item, "id")));
  json_builder_end_object (b);
}

void
hv_ctl_json_add_snapshot_state (JsonBuilder *b,
                                HvDbusVm    *vm)
{
  const char *current = hv_dbus_vm_get_current_snapshot (vm);
  const char *operation = hv_dbus_vm_get_operation (vm);

  json_builder_set_member_name (b, "saved-state");
  json_builder_add_boolean_value (b, hv_dbus_vm_get_saved_state (vm));
  json_builder_set_member_name (b, "current_snapshot");
  if (current != NULL && current[0] != '\0')
    json_builder_add_string_value (b, current);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "operation");
  if (operation != NULL && operation[0] != '\0')
    json_builder_add_string_value (b, operation);
  else
    json_builder_add_null_value (b);
}

/* One line per snapshot, indented by depth; "Current state" under the current one. */
static void
print_tree (GVariant   *list,
            const char *parent,
            const char *current,
            guint       depth)
{
  GVariantIter iter;
  GVariant *item;

  g_variant_iter_init (&iter, list);
  while ((item = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) owned = item;
      const char *id = lookup_string (item, "id");
      g_autofree char *name = NULL;
      g_autofree char *when = NULL;
      gint64 created = 0;

      if (!g_str_equal (lookup_string (item, "parent"), parent))
        continue;
      g_variant_lookup (item, "created", "x", &created);
      name = hv_ctl_display (lookup_string (item, "name"));
      when = format_time (created);
      g_print ("%*s%s  %s  %s  %s\n", (int) depth * 2, "", name, when,
               g_str_equal (lookup_string (item, "kind"), "live") ? _("live") : _("disks"), id);
      if (depth < 250)
        print_tree (list, id, current, depth + 1);
      if (g_str_equal (id, current))
        g_print ("%*s%s\n", (int) (depth + 1) * 2, "", _("* Current state"));
    }
}

gboolean
hv_ctl_cmd_snapshot_list (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autoptr(HvDbusVm) vm = find_vm (ctl, args, error);
  GVariant *list;
  const char *current;

  if (vm == NULL)
    return FALSE;
  list = hv_dbus_vm_get_snapshots (vm);
  current = hv_dbus_vm_get_current_snapshot (vm);
  if (current == NULL)
    current = "";
  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      GVariantIter iter;
      GVariant *item;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "current");
      if (current[0] != '\0')
        json_builder_add_string_value (b, current);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "snapshots");
      json_builder_begin_array (b);
      if (list != NULL)
        {
          g_variant_iter_init (&iter, list);
          while ((item = g_variant_iter_next_value (&iter)) != NULL)
            {
              json_add_snapshot (b, item, current);
              g_variant_unref (item);
            }
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      hv_ctl_print_json (root);
      return TRUE;
    }
  if (list == NULL || g_variant_n_children (list) == 0)
    {
      g_print ("%s\n", _("No snapshots"));
      return TRUE;
    }
  print_tree (list, "", current, 0);
  if (current[0] == '\0')
    g_print ("%s\n", _("* Current state"));
  return TRUE;
}

gboolean
hv_ctl_cmd_snapshot_take (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autoptr(HvDbusVm) vm = find_vm (ctl, args, error);
  const char *name = hv_ctl_args_positional (args, 1);
  const char *description = hv_ctl_args_get (args, "description");
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *id = NULL;

  if (vm == NULL)
    return FALSE;
  if (hv_ctl_args_has (args, "disk-only"))
    g_variant_builder_add (&options, "{sv}", "disk-only", g_variant_new_boolean (TRUE));
  if (!hv_dbus_vm_call_take_snapshot_sync (vm, name != NULL ? name : "",
                                           description != NULL ? description : "",
                                           g_variant_builder_end (&options), &id, NULL, error))
    return FALSE;
  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(GVariant) item = NULL;

      if (!hv_ctl_vm_refresh (vm, error) || (item = find_snapshot (vm, id, error)) == NULL)
        return FALSE;
      {
        g_autoptr(JsonBuilder) b = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;

        json_add_snapshot (b, item, hv_dbus_vm_get_current_snapshot (vm));
        root = json_builder_get_root (b);
        hv_ctl_print_json (root);
      }
      return TRUE;
    }
  g_print ("%s\n", id);
  return TRUE;
}

/* The snapshot named by positional 1: its id (free it). */
static char *
snapshot_id (HvDbusVm   *vm,
             HvCtlArgs  *args,
             GError    **error)
{
  g_autoptr(GVariant) item = find_snapshot (vm, hv_ctl_args_positional (args, 1), error);

  return item != NULL ? g_strdup (lookup_string (item, "id")) : NULL;
}

gboolean
hv_ctl_cmd_snapshot_restore (HvCtl      *ctl,
                             HvCtlArgs  *args,
                             GError    **error)
{
  g_autoptr(HvDbusVm) vm = find_vm (ctl, args, error);
  g_autofree char *id = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (vm == NULL || (id = snapshot_id (vm, args, error)) == NULL)
    return FALSE;
  if (hv_ctl_args_has (args, "force"))
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  return hv_dbus_vm_call_restore_snapshot_sync (vm, id, g_variant_builder_end (&options), NULL,
                                                error);
}

gboolean
hv_ctl_cmd_snapshot_delete (HvCtl      *ctl,
                            HvCtlArgs  *args,
                            GError    **error)
{
  g_autoptr(HvDbusVm) vm = find_vm (ctl, args, error);
  g_autofree char *id = NULL;

  if (vm == NULL || (id = snapshot_id (vm, args, error)) == NULL)
    return FALSE;
  return hv_dbus_vm_call_delete_snapshot_sync (vm, id, NULL, error);
}

gboolean
hv_ctl_cmd_snapshot_edit (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autoptr(GVariant) item = NULL;
  const char *name = hv_ctl_args_get (args, "name");
  const char *description = hv_ctl_args_get (args, "description");

  if (name == NULL && description == NULL)
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("snapshot edit: nothing to change (see \"hostvisorctl snapshot edit "
                     "--help\")"));
      return FALSE;
    }
  vm = find_vm (ctl, args, error);
  if (vm == NULL || (item = find_snapshot (vm, hv_ctl_args_positional (args, 1), error)) == NULL)
    return FALSE;
  return hv_dbus_vm_call_edit_snapshot_sync (vm, lookup_string (item, "id"),
                                             name != NULL ? name : lookup_string (item, "name"),
                                             description != NULL ? description
                                                                 : lookup_string (item,
                                                                                  "description"),
                                             NULL, error);
}

gboolean
hv_ctl_cmd_save_state (HvCtl      *ctl,
                       HvCtlArgs  *args,
                       GError    **error)
{
  g_autoptr(HvDbusVm) vm = find_vm (ctl, args, error);
  g_autofree char *name = NULL;

  if (vm == NULL || !hv_dbus_vm_call_save_state_sync (vm, NULL, error))
    return FALSE;
  name = hv_ctl_vm_display_name (vm);
  g_print (_("VM \"%s\": state saved; \"start\" resumes it\n"), name);
  return TRUE;
}

gboolean
hv_ctl_cmd_discard_state (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autoptr(HvDbusVm) vm = find_vm (ctl, args, error);

  return vm != NULL && hv_dbus_vm_call_discard_saved_state_sync (vm, NULL, error);
}
