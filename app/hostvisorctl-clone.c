/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-clone.c: clone NAME NEW [--snapshot SNAP] [--linked] [--keep-macs]
 * [--folder A/B] (Vm.Clone). */
#include "hv-build-config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"

const HvCtlOption hv_ctl_clone_options[] = {
  { "snapshot", HV_CTL_OPT_STRING, 0, 0, "SNAP",
    N_("Clone this snapshot (its name or id) instead of the current state") },
  { "linked", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Share the cloned state read-only: the clone's disks keep only its changes") },
  { "keep-macs", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Keep the network adapters' MAC addresses (default: new ones)") },
  { "folder", HV_CTL_OPT_STRING, 0, 0, "A/B",
    N_("The new VM's folder (default: the source's; \"\" or / for the top level)") },
  { NULL }
};

static gboolean
is_snapshot_id (const char *text)
{
  return strlen (text) == 36 && g_uuid_string_is_valid (text)
         && strspn (text, "0123456789abcdef-") == 36;
}

/* SNAP as the user wrote it → a snapshot id: the id of the snapshot with that id, or the one
 * with that name (a name that several have is refused, with their ids). A VM whose engine
 * lists no snapshots (Snapshots unknown) takes an id as it is. */
char *
hv_ctl_resolve_snapshot (HvDbusVm    *vm,
                         const char  *command,
                         const char  *snap,
                         GError     **error)
{
  GVariant *list = hv_dbus_vm_get_snapshots (vm);
  g_autoptr(GString) same_name = g_string_new (NULL);
  g_autofree char *found = NULL;
  g_autofree char *shown = hv_ctl_display (snap);
  guint n_same = 0;
  GVariantIter iter;
  GVariant *entry;

  if (list != NULL)
    {
      g_variant_iter_init (&iter, list);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *id = NULL;
          const char *name = NULL;

          g_variant_lookup (entry, "id", "&s", &id);
          g_variant_lookup (entry, "name", "&s", &name);
          if (id == NULL)
            continue;
          if (g_str_equal (id, snap))
            return g_strdup (id);
          if (name != NULL && g_str_equal (name, snap))
            {
              n_same++;
              g_string_append_printf (same_name, "%s%s", same_name->len > 0 ? ", " : "", id);
              g_free (found);
              found = g_strdup (id);
            }
        }
    }
  if (n_same == 1)
    return g_steal_pointer (&found);
  if (n_same > 1)
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("%s: %u snapshots are named \"%s\": give one's id (%s)"), command, n_same, shown,
                   same_name->str);
      return NULL;
    }
  if (is_snapshot_id (snap))
    return g_strdup (snap);   /* the engine says whether it exists */
  g_set_error (error, HV_CTL_USAGE_ERROR, 0, _("%s: the VM has no snapshot named \"%s\""),
               command, shown);
  return NULL;
}

typedef struct {
  GMainLoop *loop;
  HvDbusVm *vm;
  GAsyncResult *result;
  int shown;              /* the percentage on the terminal, -1 for none yet */
} CloneWait;

static void
show_progress (CloneWait *wait)
{
  const char *operation = hv_dbus_vm_get_operation (wait->vm);
  double progress = hv_dbus_vm_get_operation_progress (wait->vm);
  int percent;

  if (g_strcmp0 (operation, "clone") != 0 || progress < 0)
    return;
  percent = (int) (CLAMP (progress, 0, 1) * 100);
  if (percent == wait->shown)
    return;
  wait->shown = percent;
  g_printerr ("\r%s %3d%%", _("Cloning…"), percent);
}

static void
on_clone_properties_changed (GDBusProxy *proxy,
                             GVariant   *changed,
                             GStrv       invalidated,
                             gpointer    user_data)
{
  show_progress (user_data);
}

static void
on_clone_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CloneWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

/* Clone, with the source's OperationProgress on the terminal while the engine copies. */
static gboolean
clone_with_progress (HvDbusVm     *vm,
                     const char   *name,
                     GVariant     *options,
                     char        **path,
                     GError      **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  CloneWait wait = { loop, vm, NULL, -1 };
  gulong changed_id;
  gboolean ok;

  changed_id = g_signal_connect (vm, "g-properties-changed",
                                 G_CALLBACK (on_clone_properties_changed), &wait);
  hv_dbus_vm_call_clone (vm, name, options, NULL, on_clone_done, &wait);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (vm, changed_id);
  if (wait.shown >= 0)
    g_printerr ("\r%*s\r", 40, "");
  ok = hv_dbus_vm_call_clone_finish (vm, path, wait.result, error);
  g_object_unref (wait.result);
  return ok;
}

gboolean
hv_ctl_cmd_clone (HvCtl      *ctl,
                  HvCtlArgs  *args,
                  GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autoptr(HvDbusVm) clone = NULL;
  g_autofree char *snapshot = NULL;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  GVariantDict dict;

  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;

  g_variant_dict_init (&dict, NULL);
  if (hv_ctl_args_has (args, "snapshot"))
    {
      snapshot = hv_ctl_resolve_snapshot (vm, "clone", hv_ctl_args_get (args, "snapshot"), error);
      if (snapshot == NULL)
        {
          g_variant_dict_clear (&dict);
          return FALSE;
        }
      g_variant_dict_insert (&dict, "snapshot", "s", snapshot);
    }
  if (hv_ctl_args_has (args, "linked"))
    g_variant_dict_insert (&dict, "linked", "b", TRUE);
  if (hv_ctl_args_has (args, "keep-macs"))
    g_variant_dict_insert (&dict, "keep-macs", "b", TRUE);
  if (hv_ctl_args_has (args, "folder"))
    {
      folder = hv_ctl_normalize_folder (hv_ctl_args_get (args, "folder"));
      g_variant_dict_insert (&dict, "folder", "s", folder);
    }

  /* Copying disks takes as long as it takes: no D-Bus timeout. On a terminal the progress
   * shows on stderr; stdout gets only the UUID. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (vm), G_MAXINT);
  if (isatty (STDERR_FILENO))
    {
      if (!clone_with_progress (vm, hv_ctl_args_positional (args, 1), g_variant_dict_end (&dict),
                                &path, error))
        return FALSE;
    }
  else if (!hv_dbus_vm_call_clone_sync (vm, hv_ctl_args_positional (args, 1),
                                        g_variant_dict_end (&dict), &path, NULL, error))
    return FALSE;
  clone = hv_ctl_get_vm_by_path (ctl, path, error);
  if (clone == NULL)
    return FALSE;
  g_print ("%s\n", hv_dbus_vm_get_uuid (clone));
  return TRUE;
}
