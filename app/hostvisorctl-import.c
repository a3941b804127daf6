/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-import.c: import FILE [--name N] [--folder A/B] [--dry-run] [--json]
 * (Engine.InspectAppliance, ImportAppliance, ApplianceProgress). */
#include "hv-build-config.h"

#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"

const HvCtlOption hv_ctl_import_options[] = {
  { "name", HV_CTL_OPT_STRING, 0, 0, "NAME",
    N_("The new VM's name (default: the appliance's, made unique)") },
  { "folder", HV_CTL_OPT_STRING, 0, 0, "A/B",
    N_("The new VM's folder (default: the appliance's VirtualBox group; \"\" or / for the top "
       "level)") },
  { "dry-run", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Only say what the import would create and what it leaves out") },
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print JSON") },
  { NULL }
};

typedef struct {
  GMainLoop *loop;
  GAsyncResult *result;
  const char *path;
  int shown;               /* the percentage on the terminal, -1 for none yet */
} ImportWait;

static void
on_progress (HvDbusEngine *engine,
             const char   *path,
             double        fraction,
             gpointer      user_data)
{
  ImportWait *wait = user_data;
  int percent;

  if (g_strcmp0 (path, wait->path) != 0)
    return;
  if (fraction < 0)
    {
      if (wait->shown != -2)
        g_printerr ("\r%s", _("Checking the appliance…"));
      wait->shown = -2;
      return;
    }
  percent = (int) (CLAMP (fraction, 0, 1) * 100);
  if (percent == wait->shown)
    return;
  wait->shown = percent;
  g_printerr ("\r%-40s\r%s %3d%%", "", _("Importing…"), percent);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ImportWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static void
print_summary (GVariant *summary)
{
  const char *name = "", *os = "", *os_source = "", *firmware = "", *folder = "";
  guint64 memory = 0;
  guint32 cpus = 0;
  g_autoptr(GVariant) disks = NULL;
  g_autoptr(GVariant) media = NULL;
  g_autoptr(GVariant) nics = NULL;
  g_autofree const char **warnings = NULL;
  GVariantIter iter;
  GVariant *entry;

  g_variant_lookup (summary, "name", "&s", &name);
  g_variant_lookup (summary, "os", "&s", &os);
  g_variant_lookup (summary, "os-source", "&s", &os_source);
  g_variant_lookup (summary, "firmware", "&s", &firmware);
  g_variant_lookup (summary, "folder", "&s", &folder);
  g_variant_lookup (summary, "memory-mib", "t", &memory);
  g_variant_lookup (summary, "cpus", "u", &cpus);
  g_print ("%-10s %s\n", _("Name:"), name);
  g_print ("%-10s %s%s%s%s\n", _("OS:"), os[0] != '\0' ? os : _("unknown"),
           os_source[0] != '\0' ? " (" : "", os_source, os_source[0] != '\0' ? ")" : "");
  g_print ("%-10s %" G_GUINT64_FORMAT " MiB\n", _("Memory:"), memory);
  g_print ("%-10s %u\n", _("CPUs:"), cpus);
  g_print ("%-10s %s\n", _("Firmware:"), firmware);
  g_print ("%-10s %s\n", _("Folder:"), folder[0] != '\0' ? folder : "/");
  disks = g_variant_lookup_value (summary, "disks", G_VARIANT_TYPE ("aa{sv}"));
  if (disks != NULL)
    {
      g_variant_iter_init (&iter, disks);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *file = "", *format = "", *bus = "";
          guint64 capacity = 0;

          g_variant_lookup (entry, "file", "&s", &file);
          g_variant_lookup (entry, "format", "&s", &format);
          g_variant_lookup (entry, "bus", "&s", &bus);
          g_variant_lookup (entry, "capacity", "t", &capacity);
          g_print ("%-10s %s (%s, %" G_GUINT64_FORMAT " MiB, %s)\n", _("Disk:"),
                   file[0] != '\0' ? file : _("new, empty"), format, capacity >> 20, bus);
        }
    }
  media = g_variant_lookup_value (summary, "media", G_VARIANT_TYPE ("aa{sv}"));
  if (media != NULL)
    {
      g_variant_iter_init (&iter, media);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *kind = "";

          g_variant_lookup (entry, "kind", "&s", &kind);
          g_print ("%-10s %s\n", _("Drive:"), kind);
        }
    }
  nics = g_variant_lookup_value (summary, "nics", G_VARIANT_TYPE ("aa{sv}"));
  if (nics != NULL)
    {
      g_variant_iter_init (&iter, nics);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *model = "", *network = "";

          g_variant_lookup (entry, "model", "&s", &model);
          g_variant_lookup (entry, "network", "&s", &network);
          g_print ("%-10s %s (%s)\n", _("Adapter:"), model, network);
        }
    }
  if (g_variant_lookup (summary, "warnings", "^a&s", &warnings))
    for (guint i = 0; warnings[i] != NULL; i++)
      g_print ("%-10s %s\n", _("Left out:"), warnings[i]);
}

gboolean
hv_ctl_cmd_import (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autofree char *path = g_canonicalize_filename (hv_ctl_args_positional (args, 0), NULL);
  g_autofree char *folder = NULL;
  g_autofree char *vm_path = NULL;
  g_auto(GStrv) warnings = NULL;
  g_autoptr(HvDbusVm) vm = NULL;
  gboolean json = hv_ctl_args_has (args, "json");
  HvDbusEngine *engine;
  GVariantDict dict;

  engine = hv_ctl_get_engine (ctl, FALSE, error);
  if (engine == NULL)
    return FALSE;
  /* Reading and checking a large appliance (its checksums) takes a while: no timeout. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (engine), G_MAXINT);

  if (hv_ctl_args_has (args, "dry-run"))
    {
      g_autoptr(GVariant) summary = NULL;

      if (hv_ctl_args_has (args, "name") || hv_ctl_args_has (args, "folder"))
        {
          g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                       _("import: --dry-run shows the appliance as it is; --name and --folder "
                         "apply to an import"));
          return FALSE;
        }
      if (!hv_dbus_engine_call_inspect_appliance_sync (engine, path, &summary, NULL, error))
        return FALSE;
      if (json)
        {
          g_autoptr(JsonNode) root = json_gvariant_serialize (summary);

          hv_ctl_print_json (root);
        }
      else
        print_summary (summary);
      return TRUE;
    }

  g_variant_dict_init (&dict, NULL);
  if (hv_ctl_args_has (args, "name"))
    g_variant_dict_insert (&dict, "name", "s", hv_ctl_args_get (args, "name"));
  if (hv_ctl_args_has (args, "folder"))
    {
      folder = hv_ctl_normalize_folder (hv_ctl_args_get (args, "folder"));
      g_variant_dict_insert (&dict, "folder", "s", folder);
    }
  if (isatty (STDERR_FILENO))
    {
      g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
      ImportWait wait = { loop, NULL, path, -1 };
      gulong id = g_signal_connect (engine, "appliance-progress", G_CALLBACK (on_progress),
                                    &wait);
      gboolean ok;

      hv_dbus_engine_call_import_appliance (engine, path, g_variant_dict_end (&dict), NULL,
                                            on_done, &wait);
      g_main_loop_run (loop);
      g_signal_handler_disconnect (engine, id);
      if (wait.shown != -1)
        g_printerr ("\r%-40s\r", "");
      ok = hv_dbus_engine_call_import_appliance_finish (engine, &vm_path, &warnings, wait.result,
                                                        error);
      g_object_unref (wait.result);
      if (!ok)
        return FALSE;
    }
  else if (!hv_dbus_engine_call_import_appliance_sync (engine, path, g_variant_dict_end (&dict),
                                                       &vm_path, &warnings, NULL, error))
    return FALSE;

  vm = hv_ctl_get_vm_by_path (ctl, vm_path, error);
  if (vm == NULL)
    return FALSE;
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "uuid");
      json_builder_add_string_value (b, hv_dbus_vm_get_uuid (vm));
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, hv_dbus_vm_get_name (vm));
      json_builder_set_member_name (b, "warnings");
      json_builder_begin_array (b);
      for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
        json_builder_add_string_value (b, warnings[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      hv_ctl_print_json (root);
      return TRUE;
    }
  for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
    g_printerr (_("warning: %s\n"), warnings[i]);
  g_print ("%s\n", hv_dbus_vm_get_uuid (vm));
  return TRUE;
}
