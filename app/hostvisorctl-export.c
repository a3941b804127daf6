/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-export.c: export NAME FILE.ova|FILE.ovf|--libvirt DIR [--snapshot SNAP]
 * (Vm.Export) and cancel NAME (Vm.CancelOperation). */
#include "hv-build-config.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"

const HvCtlOption hv_ctl_export_options[] = {
  { "libvirt", HV_CTL_OPT_PATH, 0, 0, "DIR",
    N_("Write a libvirt domain (DIR/domain.xml and the disks) into the new directory DIR") },
  { "snapshot", HV_CTL_OPT_STRING, 0, 0, "SNAP",
    N_("Export this snapshot (its name or id) instead of the current state") },
  { NULL }
};

typedef struct {
  GMainLoop *loop;
  HvDbusVm *vm;
  GAsyncResult *result;
  gboolean tty;
  int shown;              /* the percentage on the terminal, -1 for none yet */
} ExportWait;

static void
on_properties_changed (GDBusProxy *proxy,
                       GVariant   *changed,
                       GStrv       invalidated,
                       gpointer    user_data)
{
  ExportWait *wait = user_data;
  double progress = hv_dbus_vm_get_operation_progress (wait->vm);
  int percent;

  if (!wait->tty || g_strcmp0 (hv_dbus_vm_get_operation (wait->vm), "export") != 0
      || progress < 0)
    return;
  percent = (int) (CLAMP (progress, 0, 1) * 100);
  if (percent == wait->shown)
    return;
  wait->shown = percent;
  g_printerr ("\r%s %3d%%", _("Exporting…"), percent);
}

static void
on_export_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExportWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

/* Ctrl-C or a TERM: the engine cancels the export (and removes what it wrote); the reply
 * then ends the wait. */
static gboolean
on_signal (gpointer user_data)
{
  ExportWait *wait = user_data;

  hv_dbus_vm_call_cancel_operation (wait->vm, NULL, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

gboolean
hv_ctl_cmd_export (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *snapshot = NULL;
  g_auto(GStrv) warnings = NULL;
  g_autofree char *absolute = NULL;
  const char *target = hv_ctl_args_positional (args, 1);
  const char *format;
  ExportWait wait = { loop, NULL, NULL, isatty (STDERR_FILENO), -1 };
  GVariantDict dict;
  gulong changed_id;
  guint int_id, term_id;
  gboolean ok;

  if (hv_ctl_args_has (args, "libvirt"))
    {
      if (target != NULL)
        {
          g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                       _("export: give either FILE.ova, FILE.ovf or --libvirt DIR"));
          return FALSE;
        }
      target = hv_ctl_args_get (args, "libvirt");
      format = "libvirt";
    }
  else if (target != NULL && g_str_has_suffix (target, ".ova"))
    format = "ova";
  else if (target != NULL && g_str_has_suffix (target, ".ovf"))
    format = "ovf";
  else
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("export: the target is FILE.ova, FILE.ovf or --libvirt DIR"));
      return FALSE;
    }
  /* The engine writes it: relative to this directory, not the engine's. */
  absolute = g_canonicalize_filename (target, NULL);
  target = absolute;

  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;
  g_variant_dict_init (&dict, NULL);
  if (hv_ctl_args_has (args, "snapshot"))
    {
      snapshot = hv_ctl_resolve_snapshot (vm, "export", hv_ctl_args_get (args, "snapshot"), error);
      if (snapshot == NULL)
        {
          g_variant_dict_clear (&dict);
          return FALSE;
        }
      g_variant_dict_insert (&dict, "snapshot", "s", snapshot);
    }

  /* Converting disks takes as long as it takes: no D-Bus timeout. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (vm), G_MAXINT);
  wait.vm = vm;
  changed_id = g_signal_connect (vm, "g-properties-changed", G_CALLBACK (on_properties_changed),
                                 &wait);
  int_id = g_unix_signal_add (SIGINT, on_signal, &wait);
  term_id = g_unix_signal_add (SIGTERM, on_signal, &wait);
  hv_dbus_vm_call_export (vm, format, target, g_variant_dict_end (&dict), NULL, on_export_done,
                          &wait);
  g_main_loop_run (loop);
  g_source_remove (int_id);
  g_source_remove (term_id);
  g_signal_handler_disconnect (vm, changed_id);
  if (wait.shown >= 0)
    g_printerr ("\r%*s\r", 40, "");
  ok = hv_dbus_vm_call_export_finish (vm, &warnings, wait.result, error);
  g_object_unref (wait.result);
  if (!ok)
    return FALSE;
  for (guint i = 0; warnings[i] != NULL; i++)
    {
      g_autofree char *shown = hv_ctl_display (warnings[i]);

      g_printerr (_("warning: %s\n"), shown);
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_cancel (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);

  return vm != NULL && hv_dbus_vm_call_cancel_operation_sync (vm, NULL, error);
}
