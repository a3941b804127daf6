/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-netsetup.c: `network setup [--undo|--status]` and `network interfaces`: the
 * one-time privileged network set-up (netsetup/hostvisor-net-setup, run as root through
 * pkexec) made from the engine's host-only networks, its state (Engine.NetworkSetup) and
 * the host interfaces a bridged adapter may name (Engine.ListHostInterfaces). */
#include "hv-build-config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-error.h"
#include "hv-network-setup-argv.h"

const HvCtlOption hv_ctl_network_setup_options[] = {
  { "allow-bridge", HV_CTL_OPT_STRING, 0, 0, "BR[,BR]",
    N_("Also allow bridged adapters on these existing host bridges") },
  { "undo", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Undo the set-up (with --allow-bridge: only stop allowing those bridges)") },
  { "status", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Say whether the set-up is done; change nothing") },
  { "dry-run", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print the command instead of running it") },
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print JSON (with --status)") },
  { NULL }
};

static char *
find_program (const char *program)
{
  return g_find_program_in_path (program);
}

static void
add_strv (JsonBuilder        *builder,
          const char         *member,
          const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static char *
join_or_none (const char * const *values)
{
  return values != NULL && values[0] != NULL ? g_strjoinv (", ", (char **) values)
                                             : g_strdup (_("none"));
}

static gboolean
print_status (HvDbusEngine *engine,
              gboolean      json,
              GError      **error)
{
  GVariant *setup = hv_dbus_engine_get_network_setup (engine);
  gboolean done = FALSE;
  const char *helper = "", *command = "";
  g_autofree const char **bridges = NULL;
  g_autofree const char **missing = NULL;
  g_autofree char *bridges_text = NULL;
  g_autofree char *missing_text = NULL;

  if (setup == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "The engine does not report the network set-up (an older engine?)");
      return FALSE;
    }
  g_variant_lookup (setup, "done", "b", &done);
  g_variant_lookup (setup, "helper", "&s", &helper);
  g_variant_lookup (setup, "command", "&s", &command);
  g_variant_lookup (setup, "bridges", "^a&s", &bridges);
  g_variant_lookup (setup, "missing", "^a&s", &missing);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "done");
      json_builder_add_boolean_value (builder, done);
      json_builder_set_member_name (builder, "helper");
      json_builder_add_string_value (builder, helper);
      add_strv (builder, "bridges", bridges);
      add_strv (builder, "missing", missing);
      json_builder_set_member_name (builder, "command");
      json_builder_add_string_value (builder, command);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      hv_ctl_print_json (root);
      return TRUE;
    }

  bridges_text = join_or_none (bridges);
  missing_text = join_or_none (missing);
  g_print (_("Set-up:          %s\n"), done ? _("done") : _("not done"));
  g_print (_("Bridge helper:   %s\n"), *helper != '\0' ? helper : _("not set up (not setuid root)"));
  g_print (_("Allowed bridges: %s\n"), bridges_text);
  if (missing != NULL && missing[0] != NULL)
    {
      g_print (_("Without their host bridge: %s\n"), missing_text);
      g_print (_("  These host-only networks run isolated: the host reaches their guests only\n"
                 "  through forwarded ports on 127.0.0.1.\n"));
    }
  if (!done || (missing != NULL && missing[0] != NULL))
    g_print (_("To do it:        hostvisorctl network setup\n"
               "                 (runs %s)\n"), command);
  return TRUE;
}

/* "br0,br1" → its names, each checked as the helper would. */
static char **
split_bridges (const char  *text,
               GError     **error)
{
  g_auto(GStrv) names = g_strsplit (text != NULL ? text : "", ",", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *name = g_strstrip (names[i]);
      size_t len = strlen (name);
      gboolean ok = len > 0 && len <= 15 && name[0] != '-' && name[0] != '.'
                    && !g_str_has_prefix (name, "hv-")
                    && strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789_.-") == len;

      if (!ok)
        {
          g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                       _("--allow-bridge: \"%s\" is not a host bridge name (hv-… bridges "
                         "belong to host-only networks)"), name);
          return NULL;
        }
      g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

gboolean
hv_ctl_cmd_network_setup (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  gboolean undo = hv_ctl_args_has (args, "undo");
  gboolean status_only = hv_ctl_args_has (args, "status");
  HvDbusEngine *engine;
  g_auto(GStrv) bridges = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GStrvBuilder) full = g_strv_builder_new ();
  g_auto(GStrv) run = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *pkexec = NULL;
  int wait_status = 0;

  if (undo && status_only)
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0, _("--undo and --status do not go together"));
      return FALSE;
    }
  if (status_only && (hv_ctl_args_has (args, "allow-bridge") || hv_ctl_args_has (args, "dry-run")))
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("--status changes nothing: --allow-bridge and --dry-run do not go with it"));
      return FALSE;
    }
  if (hv_ctl_args_has (args, "json") && !status_only)
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0, _("--json goes with --status"));
      return FALSE;
    }
  /* The set-up changes this computer as root: over SSH it would change the wrong one. */
  if (ctl->remote != NULL && !status_only)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   _("the network set-up is done on the host itself: run \"hostvisorctl network "
                     "setup\" there"));
      return FALSE;
    }
  if (hv_ctl_args_has (args, "allow-bridge"))
    {
      bridges = split_bridges (hv_ctl_args_get (args, "allow-bridge"), error);
      if (bridges == NULL)
        return FALSE;
    }

  engine = hv_ctl_get_engine (ctl, TRUE, error);
  if (engine == NULL)
    return FALSE;
  if (status_only)
    return print_status (engine, hv_ctl_args_has (args, "json"), error);

  argv = hv_network_setup_argv (hv_dbus_engine_get_networks (engine),
                                (const char * const *) bridges, undo);
  if (getuid () != 0)
    g_strv_builder_add (full, "pkexec");
  g_strv_builder_addv (full, (const char **) argv);
  run = g_strv_builder_end (full);
  shown = g_strjoinv (" ", run);
  if (hv_ctl_args_has (args, "dry-run"))
    {
      g_print ("%s\n", shown);
      return TRUE;
    }
  pkexec = getuid () != 0 ? find_program ("pkexec") : NULL;
  if (getuid () != 0 && pkexec == NULL)
    {
      g_autofree char *direct = g_strjoinv (" ", argv);

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   _("pkexec is not installed (package pkexec or policykit-1): run the set-up "
                     "as root instead: sudo %s"), direct);
      return FALSE;
    }
  if (!g_spawn_sync (NULL, run, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN,
                     NULL, NULL, NULL, NULL, &wait_status, error))
    {
      g_prefix_error (error, _("Cannot run the network set-up (%s): "), shown);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (wait_status, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                   _("The network set-up failed (%s): nothing was changed by the step that "
                     "failed; see its message above"), shown);
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_network_interfaces (HvCtl      *ctl,
                               HvCtlArgs  *args,
                               GError    **error)
{
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);
  g_autoptr(GVariant) interfaces = NULL;
  GVariantIter iter;
  const char *name, *kind, *reason;
  gboolean allowed;

  if (engine == NULL
      || !hv_dbus_engine_call_list_host_interfaces_sync (engine, &interfaces, NULL, error))
    return FALSE;

  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      g_variant_iter_init (&iter, interfaces);
      while (g_variant_iter_next (&iter, "(&s&sb&s)", &name, &kind, &allowed, &reason))
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, name);
          json_builder_set_member_name (builder, "kind");
          json_builder_add_string_value (builder, kind);
          json_builder_set_member_name (builder, "allowed");
          json_builder_add_boolean_value (builder, allowed);
          json_builder_set_member_name (builder, "reason");
          json_builder_add_string_value (builder, reason);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      hv_ctl_print_json (root);
      return TRUE;
    }

  g_variant_iter_init (&iter, interfaces);
  while (g_variant_iter_next (&iter, "(&s&sb&s)", &name, &kind, &allowed, &reason))
    g_print ("%-15s %-8s %s\n", name, kind, allowed ? _("allowed") : reason);
  return TRUE;
}
