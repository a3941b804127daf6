/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client-network.c: reading the engine's networks and a VM's adapters, listing the
 * host's interfaces, and the checks the network forms make as people type. */
#include "hv-build-config.h"

#include "hv-engine-client-network.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "hv-collate.h"

const char * const hv_nic_modes[] = { "nat", "bridged", "host-only", "internal", "none", NULL };
const char * const hv_nic_models[] = {
  "virtio-net", "e1000", "e1000e", "rtl8139", "pcnet", "ne2k_pci", "ne2k_isa", NULL
};

guint
hv_nic_n_modes (void)
{
  return g_strv_length ((char **) hv_nic_modes);
}

guint
hv_nic_n_models (void)
{
  return g_strv_length ((char **) hv_nic_models);
}

const char *
hv_nic_mode_label (const char *mode)
{
  if (g_strcmp0 (mode, "nat") == 0)
    return _("NAT");
  if (g_strcmp0 (mode, "bridged") == 0)
    return _("Bridged adapter");
  if (g_strcmp0 (mode, "host-only") == 0)
    return _("Host-only adapter");
  if (g_strcmp0 (mode, "internal") == 0)
    return _("Internal network");
  if (g_strcmp0 (mode, "none") == 0)
    return _("Not attached");
  return mode;
}

const char *
hv_nic_mode_short_label (const char *mode)
{
  if (g_strcmp0 (mode, "bridged") == 0)
    return _("Bridged");
  if (g_strcmp0 (mode, "host-only") == 0)
    return _("Host-only");
  if (g_strcmp0 (mode, "internal") == 0)
    return _("Internal");
  return hv_nic_mode_label (mode);
}

const char *
hv_nic_model_label (const char *model)
{
  /* The cards' own names, as guests' drivers and VirtualBox call them. */
  static const struct { const char *model, *label; } labels[] = {
    { "virtio-net", N_("Paravirtualized network (virtio-net)") },
    { "e1000", N_("Intel PRO/1000 MT Desktop (e1000)") },
    { "e1000e", N_("Intel 82574L (e1000e)") },
    { "rtl8139", N_("Realtek RTL8139 (rtl8139)") },
    { "pcnet", N_("AMD PCnet-PCI II (pcnet)") },
    { "ne2k_pci", N_("NE2000 PCI (ne2k_pci)") },
    { "ne2k_isa", N_("NE2000 ISA (ne2k_isa)") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (model, labels[i].model) == 0)
      return _(labels[i].label);
  return model;
}

/* ---- reading a{sv} values ---- */

GVariant *
hv_adapters_lookup (GVariant *adapters,
                    guint     slot)
{
  GVariantIter iter;
  GVariant *adapter;

  if (adapters == NULL || !g_variant_is_of_type (adapters, G_VARIANT_TYPE ("aa{sv}")))
    return NULL;
  g_variant_iter_init (&iter, adapters);
  while ((adapter = g_variant_iter_next_value (&iter)) != NULL)
    {
      guint32 s = 0;

      if (g_variant_lookup (adapter, "slot", "u", &s) && s == slot)
        return adapter;
      g_variant_unref (adapter);
    }
  return NULL;
}

const char *
hv_vardict_get_string (GVariant   *dict,
                       const char *key,
                       const char *fallback)
{
  const char *value = NULL;

  if (dict == NULL || !g_variant_lookup (dict, key, "&s", &value))
    return fallback;
  return value;
}

gboolean
hv_vardict_get_boolean (GVariant   *dict,
                        const char *key,
                        gboolean    fallback)
{
  gboolean value = fallback;

  if (dict != NULL)
    g_variant_lookup (dict, key, "b", &value);
  return value;
}

GVariant *
hv_engine_client_lookup_network (HvEngineClient *self,
                                 const char     *name)
{
  GVariant *networks = hv_engine_client_get_networks (self);
  GVariantIter iter;
  GVariant *network;

  if (networks == NULL || name == NULL)
    return NULL;
  g_variant_iter_init (&iter, networks);
  while ((network = g_variant_iter_next_value (&iter)) != NULL)
    {
      if (g_strcmp0 (hv_vardict_get_string (network, "name", NULL), name) == 0)
        return network;
      g_variant_unref (network);
    }
  return NULL;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return hv_collate_compare (*(const char * const *) a, *(const char * const *) b);
}

GStrv
hv_engine_client_network_names (HvEngineClient *self,
                                const char     *kind)
{
  GVariant *networks = hv_engine_client_get_networks (self);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GVariantIter iter;
  GVariant *network;

  if (networks != NULL)
    {
      g_variant_iter_init (&iter, networks);
      while ((network = g_variant_iter_next_value (&iter)) != NULL)
        {
          if (g_strcmp0 (hv_vardict_get_string (network, "kind", NULL), kind) == 0)
            g_ptr_array_add (names, g_strdup (hv_vardict_get_string (network, "name", "")));
          g_variant_unref (network);
        }
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

gboolean
hv_engine_client_network_setup_done (HvEngineClient *self)
{
  return hv_vardict_get_boolean (hv_engine_client_get_network_setup (self), "done", FALSE);
}

char *
hv_engine_client_vm_names (HvEngineClient     *self,
                           const char * const *uuids)
{
  GListModel *vms = hv_engine_client_get_vms (self);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; uuids != NULL && uuids[i] != NULL; i++)
    {
      const char *name = uuids[i];

      for (guint j = 0; j < g_list_model_get_n_items (vms); j++)
        {
          g_autoptr(HvVmItem) item = g_list_model_get_item (vms, j);

          if (g_strcmp0 (hv_vm_item_get_uuid (item), uuids[i]) == 0)
            name = hv_vm_item_get_name (item);
        }
      g_ptr_array_add (names, (char *) name);
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

/* ---- host interfaces ---- */

void
hv_host_interface_free (HvHostInterface *iface)
{
  g_free (iface->name);
  g_free (iface->kind);
  g_free (iface->reason);
  g_free (iface);
}

static int
compare_interfaces (gconstpointer a,
                    gconstpointer b)
{
  const HvHostInterface *x = *(HvHostInterface * const *) a;
  const HvHostInterface *y = *(HvHostInterface * const *) b;

  if (x->allowed != y->allowed)
    return x->allowed ? -1 : 1;
  return g_strcmp0 (x->name, y->name);
}

static void
list_interfaces_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  g_autoptr(GPtrArray) list = NULL;
  GVariantIter *iter;
  const char *name, *kind, *reason;
  gboolean allowed;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE ("(a(ssbs))")))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The engine answered with something unexpected"));
      return;
    }
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_host_interface_free);
  g_variant_get (reply, "(a(ssbs))", &iter);
  while (g_variant_iter_next (iter, "(&s&sb&s)", &name, &kind, &allowed, &reason))
    {
      HvHostInterface *iface = g_new0 (HvHostInterface, 1);

      iface->name = g_strdup (name);
      iface->kind = g_strdup (kind);
      iface->allowed = allowed;
      iface->reason = g_strdup (reason);
      g_ptr_array_add (list, iface);
    }
  g_variant_iter_free (iter);
  g_ptr_array_sort (list, compare_interfaces);
  g_task_return_pointer (task, g_steal_pointer (&list), (GDestroyNotify) g_ptr_array_unref);
}

void
hv_engine_client_list_host_interfaces_async (HvEngineClient     *self,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_engine_client_list_host_interfaces_async);
  hv_engine_client_call (self, NULL, "ListHostInterfaces", NULL, cancellable,
                         list_interfaces_done, task);
}

GPtrArray *
hv_engine_client_list_host_interfaces_finish (HvEngineClient *self,
                                              GAsyncResult   *result,
                                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- checks ---- */

char *
hv_check_ipv4 (const char *text,
               const char *what)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL || text[0] == '\0')
    /* Translators: %s names the field ("The host address") */
    return g_strdup_printf (_("%s is empty"), what);
  parts = g_strsplit (text, ".", -1);
  if (g_strv_length (parts) == 4)
    {
      gboolean good = TRUE;

      for (guint i = 0; i < 4 && good; i++)
        {
          char *end = NULL;
          guint64 v = g_ascii_strtoull (parts[i], &end, 10);

          good = parts[i][0] != '\0' && strlen (parts[i]) <= 3 && *end == '\0' &&
                 g_ascii_isdigit (parts[i][0]) && v <= 255;
        }
      if (good)
        return NULL;
    }
  /* Translators: %s names the field; then the text typed */
  return g_strdup_printf (_("%s “%s” is not an IPv4 address such as 127.0.0.1"), what, text);
}

char *
hv_check_port (const char *text,
               const char *what,
               guint16    *port_out)
{
  char *end = NULL;
  guint64 v;

  if (text == NULL || text[0] == '\0')
    return g_strdup_printf (_("%s is empty"), what);
  v = g_ascii_strtoull (text, &end, 10);
  if (!g_ascii_isdigit (text[0]) || *end != '\0' || v < 1 || v > 65535)
    /* Translators: %s names the field ("The host port"); then the text typed */
    return g_strdup_printf (_("%s must be a number from 1 to 65535, not “%s”"), what, text);
  if (port_out != NULL)
    *port_out = (guint16) v;
  return NULL;
}

char *
hv_check_mac (const char *text)
{
  guint64 first;

  if (text == NULL || strlen (text) != 17)
    goto bad;
  for (guint i = 0; i < 17; i++)
    if (i % 3 == 2 ? text[i] != ':' : !g_ascii_isxdigit (text[i]))
      goto bad;
  first = g_ascii_strtoull (text, NULL, 16);
  if (first & 1)
    return g_strdup (_("A MAC address whose first byte is odd is a multicast address: an "
                       "adapter cannot have it"));
  return NULL;

bad:
  /* Translators: %s is what was typed */
  return g_strdup_printf (_("“%s” is not a MAC address such as 52:54:00:12:34:56"),
                          text != NULL ? text : "");
}

char *
hv_check_network_name (const char *text)
{
  if (text == NULL || text[0] == '\0')
    return g_strdup (_("The network needs a name"));
  if (g_utf8_strlen (text, -1) > 12)
    return g_strdup (_("A network name has at most 12 characters"));
  if (text[0] == '-')
    return g_strdup (_("A network name cannot start with “-”"));
  for (const char *p = text; *p != '\0'; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-'))
      return g_strdup (_("A network name has only small letters a to z, digits and “-”"));
  return NULL;
}

char *
hv_check_forward_name (const char *text)
{
  if (text == NULL || text[0] == '\0')
    return g_strdup (_("The rule needs a name"));
  if (strlen (text) > 32)
    return g_strdup (_("A rule name has at most 32 characters"));
  for (const char *p = text; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || *p == '.' || *p == '_' || *p == '-'))
      return g_strdup (_("A rule name has only letters, digits, “.”, “_” and “-”"));
  return NULL;
}
