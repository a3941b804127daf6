/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-vm-network.c: see hv-engine-vm-network.h. */
#include "hv-engine-vm-network.h"

#include "hv-error.h"
#include "hv-library.h"
#include "hv-vm-network.h"
#include "hv-vm-options.h"

static void
on_forward_added (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GError *error = NULL;
  gboolean ok = hv_vm_network_add_forward_finish (HV_VM (object), result, &error);

  hv_engine_reply (user_data, ok, error);
}

static void
on_forward_removed (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GError *error = NULL;
  gboolean ok = hv_vm_network_remove_forward_finish (HV_VM (object), result, &error);

  hv_engine_reply (user_data, ok, error);
}

/* AddPortForward's @rule: every key known and of its type. */
static HvPortForward *
rule_from_variant (GVariant  *dict,
                   GError   **error)
{
  static const struct {
    const char *key;
    const char *type;
  } keys[] = {
    { "name", "s" }, { "protocol", "s" }, { "host-address", "s" }, { "host-port", "q" },
    { "guest-address", "s" }, { "guest-port", "q" },
  };
  g_autoptr(HvPortForward) rule = hv_port_forward_new (NULL, FALSE, NULL, 0, NULL, 0);
  GVariantIter iter;
  const char *key;
  GVariant *value;
  const char *s;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          if (!g_str_equal (key, keys[i].key))
            continue;
          known = TRUE;
          if (!g_variant_is_of_type (value, G_VARIANT_TYPE (keys[i].type)))
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Port forward key \"%s\" must be of type %s", key, keys[i].type);
              return NULL;
            }
        }
      if (!known)
        {
          g_autofree char *shown = hv_config_escape_for_display (key);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Unknown port forward key \"%s\"", shown);
          return NULL;
        }
    }

  if (!g_variant_lookup (dict, "name", "&s", &s))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "A port forward needs a name");
      return NULL;
    }
  hv_set_str (&rule->name, s);
  if (g_variant_lookup (dict, "protocol", "&s", &s))
    {
      if (!g_str_equal (s, "tcp") && !g_str_equal (s, "udp"))
        {
          g_autofree char *shown = hv_config_escape_for_display (s);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Unknown protocol \"%s\" (tcp or udp)", shown);
          return NULL;
        }
      rule->udp = g_str_equal (s, "udp");
    }
  if (g_variant_lookup (dict, "host-address", "&s", &s))
    hv_set_str (&rule->host_address, s[0] != '\0' ? s : "127.0.0.1");
  if (g_variant_lookup (dict, "guest-address", "&s", &s))
    hv_set_str (&rule->guest_address, s);
  if (!g_variant_lookup (dict, "host-port", "q", &rule->host_port) ||
      !g_variant_lookup (dict, "guest-port", "q", &rule->guest_port))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "A port forward needs a host-port and a guest-port");
      return NULL;
    }
  return g_steal_pointer (&rule);
}

gboolean
hv_engine_vm_handle_add_port_forward (HvDbusVm              *skeleton,
                                      GDBusMethodInvocation *invocation,
                                      guint                  slot,
                                      GVariant              *rule_dict,
                                      HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  g_autoptr(HvPortForward) rule = NULL;
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  rule = rule_from_variant (rule_dict, &error);
  if (rule == NULL)
    {
      hv_engine_reply (invocation, FALSE, error);
      return TRUE;
    }
  hv_vm_network_add_forward_async (vm, slot, rule, NULL, on_forward_added, invocation);
  return TRUE;
}

gboolean
hv_engine_vm_handle_remove_port_forward (HvDbusVm              *skeleton,
                                         GDBusMethodInvocation *invocation,
                                         guint                  slot,
                                         const char            *name,
                                         HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);

  if (vm != NULL)
    hv_vm_network_remove_forward_async (vm, slot, name, NULL, on_forward_removed, invocation);
  return TRUE;
}

typedef struct {
  GDBusMethodInvocation *invocation;
  HvLibrary *library;
  GVariant *options;
  gboolean old_cables[HV_MAX_NICS];
  gboolean which[HV_MAX_NICS];
} LiveModify;

static void
live_modify_free (LiveModify *data)
{
  g_object_unref (data->library);
  g_variant_unref (data->options);
  g_free (data);
}

static void
on_cables_reverted (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  hv_vm_network_set_cables_finish (HV_VM (object), result, NULL);
}

static void
on_cables_set (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  LiveModify *data = user_data;
  HvVm *vm = HV_VM (object);
  GError *error = NULL;

  if (!hv_vm_network_set_cables_finish (vm, result, &error))
    hv_engine_reply (data->invocation, FALSE, error);
  else if (!hv_library_modify_vm (data->library, vm, data->options, &error))
    {
      /* Not in the config: not in QEMU either. */
      hv_vm_network_set_cables_async (vm, data->old_cables, data->which, NULL,
                                      on_cables_reverted, NULL);
      hv_engine_reply (data->invocation, FALSE, error);
    }
  else
    hv_engine_reply (data->invocation, TRUE, NULL);
  live_modify_free (data);
}

gboolean
hv_engine_vm_modify_live (HvEngine              *engine,
                          HvVm                  *vm,
                          GVariant              *options,
                          GDBusMethodInvocation *invocation)
{
  const HvVmConfig *config = hv_vm_get_config (vm);
  g_autoptr(HvVmConfig) changed = NULL;
  gboolean cables[HV_MAX_NICS] = { 0 };
  LiveModify *data;
  GError *error = NULL;

  if (config == NULL || !hv_vm_is_active (vm) || !hv_vm_options_has_nic_keys (options, TRUE))
    return FALSE;

  /* Everything checked before QEMU changes. */
  changed = hv_vm_options_modify (config, options, TRUE, &error);
  if (changed == NULL)
    {
      hv_engine_reply (invocation, FALSE, error);
      return TRUE;
    }
  data = g_new0 (LiveModify, 1);
  data->invocation = invocation;
  data->library = g_object_ref (hv_engine_get_library (engine));
  data->options = g_variant_ref (options);
  for (guint i = 0; i < HV_MAX_NICS && i < changed->nics->len; i++)
    {
      g_autofree char *key = g_strdup_printf ("nic%u-cable", i + 1);
      gboolean flag;

      if (!g_variant_lookup (options, key, "b", &flag))
        continue;
      data->which[i] = TRUE;
      cables[i] = flag;
      data->old_cables[i] = ((HvNic *) g_ptr_array_index (config->nics, i))->cable;
    }
  hv_vm_network_set_cables_async (vm, cables, data->which, NULL, on_cables_set, data);
  return TRUE;
}
