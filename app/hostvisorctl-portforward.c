/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-portforward.c: a VM's network adapters as "show" prints them (Vm.Adapters),
 * and "port-forward list|add|remove". */
#include "hv-build-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-config.h"
#include "hv-error.h"

const HvCtlOption hv_ctl_port_forward_list_options[] = {
  { "nic", HV_CTL_OPT_UINT, 1, HV_MAX_NICS, "N", N_("Only adapter N (1 to 4)") },
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print JSON, a stable format for scripts") },
  { NULL }
};

const HvCtlOption hv_ctl_port_forward_add_options[] = {
  { "nic", HV_CTL_OPT_UINT, 1, HV_MAX_NICS, "N", N_("The NAT or host-only adapter (default 1)") },
  { "rule-name", HV_CTL_OPT_STRING, 0, 0, "NAME",
    N_("The rule's name: letters, digits, \".\", \"_\", \"-\" (up to 32)") },
  { "proto", HV_CTL_OPT_STRING, 0, 0, "PROTO", N_("tcp (the default) or udp") },
  { "host-ip", HV_CTL_OPT_STRING, 0, 0, "ADDRESS",
    N_("The host address to listen on (default 127.0.0.1; 0.0.0.0: every interface)") },
  { "host-port", HV_CTL_OPT_UINT, 1, 65535, "PORT", N_("The host's port") },
  { "guest-ip", HV_CTL_OPT_STRING, 0, 0, "ADDRESS",
    N_("The guest's address (default: the one its DHCP gave it)") },
  { "guest-port", HV_CTL_OPT_UINT, 1, 65535, "PORT", N_("The guest's port") },
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print the rule and its status as JSON") },
  { NULL }
};

const HvCtlOption hv_ctl_port_forward_remove_options[] = {
  { "nic", HV_CTL_OPT_UINT, 1, HV_MAX_NICS, "N",
    N_("The adapter (default: the one that has a rule of that name)") },
  { "rule-name", HV_CTL_OPT_STRING, 0, 0, "NAME", N_("The rule to remove") },
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print the adapter's remaining rules as JSON") },
  { NULL }
};

static gboolean
usage (HvCtlArgs   *args,
       GError     **error,
       const char  *message)
{
  g_set_error (error, HV_CTL_USAGE_ERROR, 0, _("%s: %s (see \"hostvisorctl %s --help\")"),
               args->command->name, message, args->command->name);
  return FALSE;
}

GVariant *
hv_ctl_port_forward_rule_build (HvCtlArgs  *args,
                                guint      *slot,
                                GError    **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char *name = hv_ctl_args_get (args, "rule-name");
  const char *proto = hv_ctl_args_get (args, "proto");
  const char *host_ip = hv_ctl_args_get (args, "host-ip");
  const char *guest_ip = hv_ctl_args_get (args, "guest-ip");
  g_autoptr(GError) local_error = NULL;

  *slot = hv_ctl_args_has (args, "nic") ? (guint) hv_ctl_args_get_uint (args, "nic") : 1;
  if (name == NULL)
    {
      usage (args, error, _("--rule-name NAME is missing"));
      return NULL;
    }
  if (!hv_ctl_args_has (args, "host-port") || !hv_ctl_args_has (args, "guest-port"))
    {
      usage (args, error, _("--host-port and --guest-port are needed"));
      return NULL;
    }
  if (!hv_config_check_forward_name (name, &local_error))
    {
      usage (args, error, local_error->message);
      return NULL;
    }
  if (proto != NULL && !g_str_equal (proto, "tcp") && !g_str_equal (proto, "udp"))
    {
      usage (args, error, _("--proto must be tcp or udp"));
      return NULL;
    }
  if (host_ip != NULL && !hv_ipv4_is_valid (host_ip))
    {
      usage (args, error, _("--host-ip must be an IPv4 address like 127.0.0.1"));
      return NULL;
    }
  if (guest_ip != NULL && guest_ip[0] != '\0' && !hv_ipv4_is_valid (guest_ip))
    {
      usage (args, error, _("--guest-ip must be an IPv4 address like 10.0.2.15"));
      return NULL;
    }

  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (name));
  g_variant_builder_add (&builder, "{sv}", "protocol", g_variant_new_string (proto ? proto : "tcp"));
  g_variant_builder_add (&builder, "{sv}", "host-address",
                         g_variant_new_string (host_ip != NULL ? host_ip : "127.0.0.1"));
  g_variant_builder_add (&builder, "{sv}", "host-port",
                         g_variant_new_uint16 ((guint16) hv_ctl_args_get_uint (args, "host-port")));
  g_variant_builder_add (&builder, "{sv}", "guest-address",
                         g_variant_new_string (guest_ip != NULL ? guest_ip : ""));
  g_variant_builder_add (&builder, "{sv}", "guest-port",
                         g_variant_new_uint16 ((guint16) hv_ctl_args_get_uint (args, "guest-port")));
  return g_variant_builder_end (&builder);
}

/* ── Vm.Adapters ───────────────────────────────────────────────────────────────────────── */

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

static gboolean
lookup_boolean (GVariant   *dict,
                const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (dict, key, "b", &value);
  return value;
}

static void
json_add_string_or_null (JsonBuilder *builder,
                         const char  *key,
                         const char  *value)
{
  json_builder_set_member_name (builder, key);
  if (value != NULL && value[0] != '\0')
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* One rule as JSON, with its status while the VM runs. */
static void
json_add_forward (JsonBuilder *builder,
                  guint        slot,
                  const char  *name,
                  const char  *proto,
                  const char  *host_ip,
                  guint16      host_port,
                  const char  *guest_ip,
                  guint16      guest_port,
                  GVariant    *status)
{
  const char *state = NULL;

  if (status != NULL)
    g_variant_lookup (status, name, "&s", &state);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "nic");
  json_builder_add_int_value (builder, slot);
  json_add_string_or_null (builder, "name", name);
  json_add_string_or_null (builder, "protocol", proto);
  json_add_string_or_null (builder, "host_ip", host_ip);
  json_builder_set_member_name (builder, "host_port");
  json_builder_add_int_value (builder, host_port);
  json_add_string_or_null (builder, "guest_ip", guest_ip);
  json_builder_set_member_name (builder, "guest_port");
  json_builder_add_int_value (builder, guest_port);
  json_add_string_or_null (builder, "status", state);
  json_builder_end_object (builder);
}

/* The rules of adapter @dict (all adapters' rules when @only is 0, else adapter @only's). */
static void
json_add_forwards (JsonBuilder *builder,
                   GVariant    *dict)
{
  g_autoptr(GVariant) forwards = g_variant_lookup_value (dict, "forwards",
                                                         G_VARIANT_TYPE ("a(sssqsq)"));
  g_autoptr(GVariant) status = g_variant_lookup_value (dict, "forward-status",
                                                       G_VARIANT_TYPE ("a{ss}"));
  guint32 slot = 0;
  GVariantIter iter;
  const char *name, *proto, *host_ip, *guest_ip;
  guint16 host_port, guest_port;

  g_variant_lookup (dict, "slot", "u", &slot);
  if (forwards == NULL)
    return;
  g_variant_iter_init (&iter, forwards);
  while (g_variant_iter_next (&iter, "(&s&s&sq&sq)", &name, &proto, &host_ip, &host_port,
                              &guest_ip, &guest_port))
    json_add_forward (builder, slot, name, proto, host_ip, host_port, guest_ip, guest_port,
                      status);
}

void
hv_ctl_json_add_adapters (JsonBuilder *builder,
                          HvDbusVm    *vm)
{
  GVariant *adapters = hv_dbus_vm_get_adapters (vm);
  GVariantIter iter;
  GVariant *dict;

  json_builder_set_member_name (builder, "adapters");
  json_builder_begin_array (builder);
  if (adapters != NULL)
    {
      g_variant_iter_init (&iter, adapters);
      while ((dict = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = dict;
          g_autoptr(GVariant) addresses = g_variant_lookup_value (dict, "addresses",
                                                                  G_VARIANT_TYPE ("as"));
          guint32 slot = 0;

          g_variant_lookup (dict, "slot", "u", &slot);
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "slot");
          json_builder_add_int_value (builder, slot);
          json_builder_set_member_name (builder, "enabled");
          json_builder_add_boolean_value (builder, lookup_boolean (dict, "enabled"));
          json_add_string_or_null (builder, "mode", lookup_string (dict, "mode"));
          json_add_string_or_null (builder, "target", lookup_string (dict, "target"));
          json_add_string_or_null (builder, "model", lookup_string (dict, "model"));
          json_add_string_or_null (builder, "mac", lookup_string (dict, "mac"));
          json_builder_set_member_name (builder, "cable");
          json_builder_add_boolean_value (builder, lookup_boolean (dict, "cable"));
          json_add_string_or_null (builder, "link", lookup_string (dict, "link"));
          json_add_string_or_null (builder, "network_mode", lookup_string (dict, "network-mode"));
          json_builder_set_member_name (builder, "addresses");
          json_builder_begin_array (builder);
          for (gsize i = 0; addresses != NULL && i < g_variant_n_children (addresses); i++)
            {
              const char *address;

              g_variant_get_child (addresses, i, "&s", &address);
              json_builder_add_string_value (builder, address);
            }
          json_builder_end_array (builder);
          json_builder_set_member_name (builder, "forwards");
          json_builder_begin_array (builder);
          json_add_forwards (builder, dict);
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
}

static char *
forward_text (JsonObject *rule)
{
  const char *guest_ip = json_object_get_string_member_with_default (rule, "guest_ip", NULL);
  const char *status = json_object_get_string_member_with_default (rule, "status", NULL);
  g_autofree char *name = hv_ctl_display (json_object_get_string_member (rule, "name"));

  return g_strdup_printf ("%s: %s %s:%" G_GINT64_FORMAT " → %s:%" G_GINT64_FORMAT "%s%s%s",
                          name, json_object_get_string_member (rule, "protocol"),
                          json_object_get_string_member (rule, "host_ip"),
                          json_object_get_int_member (rule, "host_port"),
                          guest_ip != NULL ? guest_ip : _("(guest)"),
                          json_object_get_int_member (rule, "guest_port"),
                          status != NULL ? " (" : "", status != NULL ? status : "",
                          status != NULL ? ")" : "");
}

static JsonNode *
adapters_json (HvDbusVm *vm)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  hv_ctl_json_add_adapters (builder, vm);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
hv_ctl_print_adapters (HvDbusVm *vm)
{
  g_autoptr(JsonNode) root = adapters_json (vm);
  JsonArray *list = json_object_get_array_member (json_node_get_object (root), "adapters");

  g_print ("%s\n", _("Network adapters:"));
  if (json_array_get_length (list) == 0)
    g_print ("  %s\n", _("none"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *nic = json_array_get_object_element (list, i);
      const char *target = json_object_get_string_member_with_default (nic, "target", NULL);
      const char *link = json_object_get_string_member_with_default (nic, "link", NULL);
      const char *net_mode = json_object_get_string_member_with_default (nic, "network_mode",
                                                                         NULL);
      JsonArray *addresses = json_object_get_array_member (nic, "addresses");
      JsonArray *forwards = json_object_get_array_member (nic, "forwards");
      g_autofree char *shown_target = target != NULL ? hv_ctl_display (target) : NULL;
      const char *mode = json_object_get_string_member (nic, "mode");
      g_autofree char *shown_mode = shown_target != NULL
                                    ? g_strdup_printf ("%s \"%s\"", mode, shown_target)
                                    : g_strdup (mode);
      GString *state = g_string_new (NULL);

      if (!json_object_get_boolean_member (nic, "enabled"))
        g_string_append (state, _("disabled"));
      else if (g_str_equal (mode, "none"))
        {
          g_string_append (state, _("not attached"));
          if (link != NULL)
            g_string_append_printf (state, _(", link %s"), link);
        }
      else
        {
          g_string_append (state, json_object_get_boolean_member (nic, "cable")
                                  ? _("cable connected") : _("cable unplugged"));
          if (link != NULL)
            g_string_append_printf (state, _(", link %s"), link);
          if (net_mode != NULL)
            g_string_append_printf (state, _(", network %s"), net_mode);
        }
      g_print ("  %" G_GINT64_FORMAT ". %-22s %-10s %s  %s\n",
               json_object_get_int_member (nic, "slot"), shown_mode,
               json_object_get_string_member (nic, "model"),
               json_object_get_string_member (nic, "mac"), state->str);
      g_string_free (state, TRUE);
      if (json_array_get_length (addresses) > 0)
        {
          GString *joined = g_string_new (NULL);

          for (guint a = 0; a < json_array_get_length (addresses); a++)
            g_string_append_printf (joined, "%s%s", a > 0 ? ", " : "",
                                    json_array_get_string_element (addresses, a));
          g_print ("     %s %s\n", _("addresses:"), joined->str);
          g_string_free (joined, TRUE);
        }
      for (guint r = 0; r < json_array_get_length (forwards); r++)
        {
          g_autofree char *text = forward_text (json_array_get_object_element (forwards, r));
          g_print ("     %s %s\n", _("port forward"), text);
        }
    }
}

/* ── port-forward list|add|remove ──────────────────────────────────────────────────────── */

/* The rules of adapter @slot (0: every adapter) as a JSON array. */
static JsonArray *
collect_forwards (HvDbusVm *vm,
                  guint     slot)
{
  g_autoptr(JsonNode) root = adapters_json (vm);
  JsonArray *list = json_object_get_array_member (json_node_get_object (root), "adapters");
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *nic = json_array_get_object_element (list, i);
      JsonArray *forwards = json_object_get_array_member (nic, "forwards");

      if (slot != 0 && json_object_get_int_member (nic, "slot") != slot)
        continue;
      for (guint r = 0; r < json_array_get_length (forwards); r++)
        json_array_add_element (out, json_node_copy (json_array_get_element (forwards, r)));
    }
  return out;
}

static void
print_forwards (JsonArray *forwards,
                gboolean   json)
{
  if (json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (node, forwards);
      hv_ctl_print_json (node);
      return;
    }
  if (json_array_get_length (forwards) == 0)
    g_print ("%s\n", _("No port forwards."));
  for (guint r = 0; r < json_array_get_length (forwards); r++)
    {
      JsonObject *rule = json_array_get_object_element (forwards, r);
      g_autofree char *text = forward_text (rule);

      /* Adapters are 1..4: an int, so that xgettext sees the whole string. */
      g_print (_("adapter %d: %s\n"), (int) json_object_get_int_member (rule, "nic"), text);
    }
}

gboolean
hv_ctl_cmd_port_forward_list (HvCtl      *ctl,
                              HvCtlArgs  *args,
                              GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autoptr(JsonArray) forwards = NULL;

  if (vm == NULL)
    return FALSE;
  forwards = collect_forwards (vm, hv_ctl_args_has (args, "nic")
                                   ? (guint) hv_ctl_args_get_uint (args, "nic") : 0);
  print_forwards (forwards, hv_ctl_args_has (args, "json"));
  return TRUE;
}

gboolean
hv_ctl_cmd_port_forward_add (HvCtl      *ctl,
                             HvCtlArgs  *args,
                             GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autoptr(GVariant) rule = NULL;
  g_autoptr(JsonArray) forwards = NULL;
  g_autoptr(JsonArray) added = json_array_new ();
  const char *name = hv_ctl_args_get (args, "rule-name");
  guint slot;

  rule = hv_ctl_port_forward_rule_build (args, &slot, error);
  if (rule == NULL)
    return FALSE;
  g_variant_ref_sink (rule);
  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL || !hv_dbus_vm_call_add_port_forward_sync (vm, slot, rule, NULL, error) ||
      !hv_ctl_vm_refresh (vm, error))
    return FALSE;

  forwards = collect_forwards (vm, slot);
  for (guint r = 0; r < json_array_get_length (forwards); r++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (forwards, r),
                                                  "name"), name) == 0)
      json_array_add_element (added, json_node_copy (json_array_get_element (forwards, r)));
  if (hv_ctl_args_has (args, "json") && json_array_get_length (added) > 0)
    {
      g_autoptr(JsonNode) node = json_node_copy (json_array_get_element (added, 0));
      hv_ctl_print_json (node);
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_port_forward_remove (HvCtl      *ctl,
                                HvCtlArgs  *args,
                                GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  const char *name = hv_ctl_args_get (args, "rule-name");
  guint slot = hv_ctl_args_has (args, "nic") ? (guint) hv_ctl_args_get_uint (args, "nic") : 0;

  if (name == NULL)
    return usage (args, error, _("--rule-name NAME is missing"));
  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;
  if (slot == 0)
    {
      g_autoptr(JsonArray) forwards = collect_forwards (vm, 0);

      /* The adapter that has a rule of that name; with two, the user must say which. */
      for (guint r = 0; r < json_array_get_length (forwards); r++)
        {
          JsonObject *rule = json_array_get_object_element (forwards, r);

          if (g_strcmp0 (json_object_get_string_member (rule, "name"), name) != 0)
            continue;
          if (slot != 0)
            return usage (args, error, _("two adapters have a rule of that name: give --nic N"));
          slot = (guint) json_object_get_int_member (rule, "nic");
        }
      if (slot == 0)
        slot = 1;   /* the engine says that there is no such rule */
    }
  if (!hv_dbus_vm_call_remove_port_forward_sync (vm, slot, name, NULL, error))
    return FALSE;
  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonArray) forwards = NULL;

      if (!hv_ctl_vm_refresh (vm, error))
        return FALSE;
      forwards = collect_forwards (vm, slot);
      print_forwards (forwards, TRUE);
    }
  return TRUE;
}
