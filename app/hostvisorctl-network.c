/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-network.c: `network list|create|modify|remove`: the engine's host-only
 * networks (and the internal networks VMs use), through Engine.Networks and
 * CreateNetwork/ModifyNetwork/RemoveNetwork. `network setup` is in hostvisorctl-netsetup.c. */
#include "hv-build-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hostvisorctl.h"

const HvCtlOption hv_ctl_network_options[] = {
  { "address", HV_CTL_OPT_STRING, 0, 0, "A.B.C.D/P",
    N_("The host's address on the network with its prefix (default: a free /24)") },
  { "dhcp", HV_CTL_OPT_STRING, 0, 0, "on|off", N_("The network's DHCP server (default: on)") },
  { "dhcp-range", HV_CTL_OPT_STRING, 0, 0, "A-B",
    N_("The addresses DHCP hands out (default: .100 to .254)") },
  { NULL }
};

/* The a{sv} of CreateNetwork/ModifyNetwork from --address, --dhcp, --dhcp-range. */
static GVariant *
build_options (HvCtlArgs  *args,
               GError    **error)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  if (hv_ctl_args_has (args, "address"))
    g_variant_builder_add (&b, "{sv}", "address",
                           g_variant_new_string (hv_ctl_args_get (args, "address")));
  if (hv_ctl_args_has (args, "dhcp"))
    {
      const char *dhcp = hv_ctl_args_get (args, "dhcp");

      if (!g_str_equal (dhcp, "on") && !g_str_equal (dhcp, "off"))
        {
          g_autofree char *shown = hv_ctl_display_short (dhcp);

          g_variant_builder_clear (&b);
          g_set_error (error, HV_CTL_USAGE_ERROR, 0, _("--dhcp takes on or off, not \"%s\""),
                       shown);
          return NULL;
        }
      g_variant_builder_add (&b, "{sv}", "dhcp", g_variant_new_boolean (g_str_equal (dhcp, "on")));
    }
  if (hv_ctl_args_has (args, "dhcp-range"))
    {
      const char *range = hv_ctl_args_get (args, "dhcp-range");
      g_auto(GStrv) ends = g_strsplit (range, "-", 2);

      if (ends[0] == NULL || ends[1] == NULL || ends[0][0] == '\0' || ends[1][0] == '\0')
        {
          g_autofree char *shown = hv_ctl_display_short (range);

          g_variant_builder_clear (&b);
          g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                       _("--dhcp-range takes FIRST-LAST, e.g. 192.168.64.100-192.168.64.200, "
                         "not \"%s\""), shown);
          return NULL;
        }
      g_variant_builder_add (&b, "{sv}", "dhcp-start", g_variant_new_string (g_strstrip (ends[0])));
      g_variant_builder_add (&b, "{sv}", "dhcp-end", g_variant_new_string (g_strstrip (ends[1])));
    }
  return g_variant_builder_end (&b);
}

static const char *
lookup_string (GVariant *net, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (net, key, "&s", &value))
    return "";
  return value;
}

static void
print_json (GVariant *networks)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  GVariantIter iter;
  GVariant *net;

  json_builder_begin_array (builder);
  g_variant_iter_init (&iter, networks);
  while ((net = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) owned = net;
      g_autoptr(GVariant) vms = g_variant_lookup_value (net, "vms", G_VARIANT_TYPE ("as"));
      gboolean host_only = g_str_equal (lookup_string (net, "kind"), "host-only");
      gboolean dhcp = FALSE;
      guint32 prefix = 0;

      g_variant_lookup (net, "dhcp", "b", &dhcp);
      g_variant_lookup (net, "prefix", "u", &prefix);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, lookup_string (net, "name"));
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, lookup_string (net, "kind"));
      if (host_only)
        {
          json_builder_set_member_name (builder, "address");
          json_builder_add_string_value (builder, lookup_string (net, "address"));
          json_builder_set_member_name (builder, "prefix");
          json_builder_add_int_value (builder, prefix);
          json_builder_set_member_name (builder, "dhcp_start");
          json_builder_add_string_value (builder, lookup_string (net, "dhcp-start"));
          json_builder_set_member_name (builder, "dhcp_end");
          json_builder_add_string_value (builder, lookup_string (net, "dhcp-end"));
          json_builder_set_member_name (builder, "network_mode");
          json_builder_add_string_value (builder, lookup_string (net, "network-mode"));
        }
      json_builder_set_member_name (builder, "dhcp");
      json_builder_add_boolean_value (builder, dhcp);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, lookup_string (net, "state"));
      json_builder_set_member_name (builder, "vms");
      json_builder_begin_array (builder);
      for (gsize i = 0; vms != NULL && i < g_variant_n_children (vms); i++)
        {
          const char *uuid = NULL;

          g_variant_get_child (vms, i, "&s", &uuid);
          json_builder_add_string_value (builder, uuid);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  hv_ctl_print_json (root);
}

gboolean
hv_ctl_cmd_network_list (HvCtl      *ctl,
                         HvCtlArgs  *args,
                         GError    **error)
{
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, TRUE, error);
  GVariant *networks;
  GVariantIter iter;
  GVariant *net;
  gboolean any_isolated = FALSE;

  if (engine == NULL)
    return FALSE;
  networks = hv_dbus_engine_get_networks (engine);
  if (networks == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("The engine does not list networks (is it an older version?)"));
      return FALSE;
    }
  if (hv_ctl_args_has (args, "json"))
    {
      print_json (networks);
      return TRUE;
    }

  g_print ("%-14s %-10s %-18s %-32s %-5s %s\n", _("NAME"), _("KIND"), _("ADDRESS"), _("DHCP"),
           _("STATE"), _("MODE"));
  g_variant_iter_init (&iter, networks);
  while ((net = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) owned = net;
      g_autofree char *name = hv_ctl_display_short (lookup_string (net, "name"));
      g_autofree char *address = NULL;
      g_autofree char *dhcp_text = NULL;
      const char *mode = lookup_string (net, "network-mode");
      gboolean host_only = g_str_equal (lookup_string (net, "kind"), "host-only");
      gboolean dhcp = FALSE;
      guint32 prefix = 0;

      g_variant_lookup (net, "dhcp", "b", &dhcp);
      g_variant_lookup (net, "prefix", "u", &prefix);
      address = host_only ? g_strdup_printf ("%s/%u", lookup_string (net, "address"), prefix)
                          : g_strdup ("-");
      dhcp_text = !host_only ? g_strdup ("-")
                  : dhcp ? g_strdup_printf ("%s-%s", lookup_string (net, "dhcp-start"),
                                            lookup_string (net, "dhcp-end"))
                  : g_strdup (_("off"));
      any_isolated |= host_only && g_str_equal (mode, "isolated");
      g_print ("%-14s %-10s %-18s %-32s %-5s %s\n", name, lookup_string (net, "kind"), address,
               dhcp_text, lookup_string (net, "state"), host_only ? mode : "-");
    }
  if (any_isolated)
    g_print ("\n%s\n",
             _("\"isolated\": the network runs inside Hostvisor without a host interface; "
               "the host reaches its guests\nonly through forwarded ports "
               "(hostvisorctl port-forward). For an interface on the host, run:\n"
               "  hostvisorctl network setup"));
  return TRUE;
}

gboolean
hv_ctl_cmd_network_create (HvCtl      *ctl,
                           HvCtlArgs  *args,
                           GError    **error)
{
  g_autoptr(GVariant) options = build_options (args, error);
  HvDbusEngine *engine;

  if (options == NULL)
    return FALSE;
  g_variant_ref_sink (options);
  engine = hv_ctl_get_engine (ctl, FALSE, error);
  return engine != NULL
         && hv_dbus_engine_call_create_network_sync (engine, hv_ctl_args_positional (args, 0),
                                                     options, NULL, error);
}

gboolean
hv_ctl_cmd_network_modify (HvCtl      *ctl,
                           HvCtlArgs  *args,
                           GError    **error)
{
  g_autoptr(GVariant) options = build_options (args, error);
  HvDbusEngine *engine;

  if (options == NULL)
    return FALSE;
  g_variant_ref_sink (options);
  if (g_variant_n_children (options) == 0)
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("nothing to change: give --address, --dhcp or --dhcp-range"));
      return FALSE;
    }
  engine = hv_ctl_get_engine (ctl, FALSE, error);
  return engine != NULL
         && hv_dbus_engine_call_modify_network_sync (engine, hv_ctl_args_positional (args, 0),
                                                     options, NULL, error);
}

gboolean
hv_ctl_cmd_network_remove (HvCtl      *ctl,
                           HvCtlArgs  *args,
                           GError    **error)
{
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);

  return engine != NULL
         && hv_dbus_engine_call_remove_network_sync (engine, hv_ctl_args_positional (args, 0),
                                                     NULL, error);
}
