/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-objects.c: the host-only networks as objects (Engine.Networks, CreateNetwork,
 * ModifyNetwork, RemoveNetwork): listing them with the internal networks in use, and
 * changing networks.xml. See hv-network.h. */
#include "hv-network.h"

#include <string.h>

#include "hv-error.h"
#include "hv-network-private.h"

/* ---- The list ---------------------------------------------------------------------- */

static GVariant *
vms_using (GPtrArray  *uses,
           HvNetMode   mode,
           const char *name)
{
  g_autoptr(GPtrArray) uuids = g_ptr_array_new ();

  for (guint i = 0; i < uses->len; i++)
    {
      HvNetworkUse *use = g_ptr_array_index (uses, i);
      gboolean seen = FALSE;

      if (use->mode != mode || g_strcmp0 (use->target, name) != 0)
        continue;
      for (guint j = 0; j < uuids->len && !seen; j++)
        seen = g_str_equal (g_ptr_array_index (uuids, j), use->vm_uuid);
      if (!seen)
        g_ptr_array_add (uuids, use->vm_uuid);
    }
  return g_variant_new_strv ((const char * const *) uuids->pdata, uuids->len);
}

GVariant *
hv_networks_describe (HvNetworks *self)
{
  g_autoptr(GPtrArray) uses = hv_networks_get_uses (self);
  g_autoptr(GPtrArray) internals = g_ptr_array_new_with_free_func (g_free);
  GVariantBuilder list;
  GHashTableIter iter;
  Run *run;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < self->host_only->len; i++)
    {
      HvHostOnlyNet *net = g_ptr_array_index (self->host_only, i);
      g_autofree char *key = hv_networks_run_key (HV_NET_HOST_ONLY, net->name);
      g_autofree char *address = hv_ipv4_to_string (net->address);
      g_autofree char *start = hv_ipv4_to_string (net->dhcp_start);
      g_autofree char *end = hv_ipv4_to_string (net->dhcp_end);
      GVariantBuilder b;

      g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string (net->name));
      g_variant_builder_add (&b, "{sv}", "kind", g_variant_new_string ("host-only"));
      g_variant_builder_add (&b, "{sv}", "address", g_variant_new_string (address));
      g_variant_builder_add (&b, "{sv}", "prefix", g_variant_new_uint32 (net->prefix));
      g_variant_builder_add (&b, "{sv}", "dhcp", g_variant_new_boolean (net->dhcp));
      g_variant_builder_add (&b, "{sv}", "dhcp-start", g_variant_new_string (start));
      g_variant_builder_add (&b, "{sv}", "dhcp-end", g_variant_new_string (end));
      g_variant_builder_add (&b, "{sv}", "state",
                             g_variant_new_string (g_hash_table_contains (self->runs, key)
                                                   ? "up" : "down"));
      g_variant_builder_add (&b, "{sv}", "network-mode",
                             g_variant_new_string (hv_networks_host_only_mode (self, net->name)));
      g_variant_builder_add (&b, "{sv}", "vms", vms_using (uses, HV_NET_HOST_ONLY, net->name));
      g_variant_builder_add (&list, "a{sv}", &b);
    }

  /* Internal networks: those VMs name, and those up (a VM renamed its adapter's network
   * while running). */
  for (guint i = 0; i < uses->len; i++)
    {
      HvNetworkUse *use = g_ptr_array_index (uses, i);

      if (use->mode == HV_NET_INTERNAL && use->target != NULL
          && !g_ptr_array_find_with_equal_func (internals, use->target, g_str_equal, NULL))
        g_ptr_array_add (internals, g_strdup (use->target));
    }
  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &run))
    if (run->kind == HV_NET_INTERNAL
        && !g_ptr_array_find_with_equal_func (internals, run->name, g_str_equal, NULL))
      g_ptr_array_add (internals, g_strdup (run->name));
  g_ptr_array_sort (internals, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < internals->len; i++)
    {
      const char *name = g_ptr_array_index (internals, i);
      g_autofree char *key = hv_networks_run_key (HV_NET_INTERNAL, name);
      GVariantBuilder b;

      g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string (name));
      g_variant_builder_add (&b, "{sv}", "kind", g_variant_new_string ("internal"));
      g_variant_builder_add (&b, "{sv}", "dhcp", g_variant_new_boolean (FALSE));
      g_variant_builder_add (&b, "{sv}", "state",
                             g_variant_new_string (g_hash_table_contains (self->runs, key)
                                                   ? "up" : "down"));
      g_variant_builder_add (&b, "{sv}", "vms", vms_using (uses, HV_NET_INTERNAL, name));
      g_variant_builder_add (&list, "a{sv}", &b);
    }
  return g_variant_builder_end (&list);
}

char **
hv_networks_dup_host_only_names (HvNetworks *self)
{
  GStrvBuilder *b = g_strv_builder_new ();
  char **names;

  for (guint i = 0; i < self->host_only->len; i++)
    g_strv_builder_add (b, ((HvHostOnlyNet *) g_ptr_array_index (self->host_only, i))->name);
  names = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return names;
}

/* ---- Create, modify, remove ---------------------------------------------------------- */

static gboolean
save_with (HvNetworks    *self,
           HvHostOnlyNet *replaced,
           guint          index,
           gboolean       remove,
           HvHostOnlyNet *added,
           GError       **error)
{
  g_autoptr(GPtrArray) next = hv_host_only_net_array_new ();

  if (self->store_error != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                   "Host-only networks cannot change until networks.xml is mended or removed: %s",
                   self->store_error);
      return FALSE;
    }
  for (guint i = 0; i < self->host_only->len; i++)
    {
      if (replaced != NULL && i == index)
        {
          if (!remove)
            g_ptr_array_add (next, hv_host_only_net_copy (replaced));
        }
      else
        g_ptr_array_add (next, hv_host_only_net_copy (g_ptr_array_index (self->host_only, i)));
    }
  if (added != NULL)
    g_ptr_array_add (next, hv_host_only_net_copy (added));
  if (!hv_network_store_save (self->store_path, next, error))
    return FALSE;
  g_ptr_array_set_size (self->host_only, 0);
  g_ptr_array_extend_and_steal (self->host_only, g_steal_pointer (&next));
  hv_networks_emit_changed (self);
  return TRUE;
}

gboolean
hv_networks_create (HvNetworks  *self,
                    const char  *name,
                    GVariant    *options,
                    GError     **error)
{
  g_autoptr(HvHostOnlyNet) net = NULL;

  if (!hv_network_check_name (name, error))
    return FALSE;
  if (hv_networks_find_host_only (self, name, NULL) != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_EXISTS, "A network named \"%s\" already exists",
                   name);
      return FALSE;
    }
  net = g_new0 (HvHostOnlyNet, 1);
  net->name = g_strdup (name);
  net->prefix = 24;
  net->dhcp = TRUE;
  if (!g_variant_lookup (options, "address", "&s", NULL))
    {
      net->address = hv_network_pick_free_subnet (self->host_only);
      if (net->address == 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                       "Network \"%s\": no free /24 in 192.168.64.0-192.168.254.0; give it an "
                       "address", name);
          return FALSE;
        }
      hv_host_only_net_default_range (net);
    }
  else
    net->address = (10u << 24) | 1;   /* replaced by the option */
  if (!hv_host_only_net_apply (net, options, self->host_only, error))
    return FALSE;
  return save_with (self, NULL, 0, FALSE, net, error);
}

gboolean
hv_networks_modify (HvNetworks  *self,
                    const char  *name,
                    GVariant    *options,
                    GError     **error)
{
  g_autofree char *key = hv_networks_run_key (HV_NET_HOST_ONLY, name);
  g_autoptr(HvHostOnlyNet) copy = NULL;
  HvHostOnlyNet *net;
  guint index = 0;

  net = hv_networks_find_host_only (self, name, &index);
  if (net == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No host-only network named \"%s\"",
                   name);
      return FALSE;
    }
  if (g_hash_table_contains (self->runs, key))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Network \"%s\" is up: stop its VMs before changing it", name);
      return FALSE;
    }
  copy = hv_host_only_net_copy (net);
  if (!hv_host_only_net_apply (copy, options, self->host_only, error))
    return FALSE;
  return save_with (self, copy, index, FALSE, NULL, error);
}

gboolean
hv_networks_remove (HvNetworks  *self,
                    const char  *name,
                    GError     **error)
{
  g_autoptr(GPtrArray) uses = hv_networks_get_uses (self);
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *key = hv_networks_run_key (HV_NET_HOST_ONLY, name);
  HvHostOnlyNet *net;
  guint index = 0;

  net = hv_networks_find_host_only (self, name, &index);
  if (net == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No host-only network named \"%s\"",
                   name);
      return FALSE;
    }
  for (guint i = 0; i < uses->len; i++)
    {
      HvNetworkUse *use = g_ptr_array_index (uses, i);

      if (use->mode == HV_NET_HOST_ONLY && g_strcmp0 (use->target, name) == 0
          && strstr (names->str, use->vm_name) == NULL)
        g_string_append_printf (names, "%s\"%s\"", names->len > 0 ? ", " : "", use->vm_name);
    }
  if (names->len > 0 || g_hash_table_contains (self->runs, key))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Network \"%s\" is in use by %s: attach their adapters elsewhere first",
                   name, names->len > 0 ? names->str : "a running VM");
      return FALSE;
    }
  return save_with (self, net, index, TRUE, NULL, error);
}
