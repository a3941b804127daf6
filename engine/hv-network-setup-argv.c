/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-setup-argv.c: see hv-network-setup-argv.h. */
#include "hv-network-setup-argv.h"

#include <string.h>

#include "hv-build-config.h"
#include "hv-network-bridge-private.h"

const char *
hv_network_setup_program (void)
{
  const char *env = g_getenv ("HOSTVISOR_NET_SETUP");

  return env != NULL && *env != '\0' ? env : HV_NET_SETUP;
}

static gboolean
network_name_valid (const char *name)
{
  size_t len = strlen (name);

  if (len == 0 || len > 12 || name[0] == '-')
    return FALSE;
  for (size_t i = 0; i < len; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]) && name[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
ipv4_valid (const char *text)
{
  return text != NULL && *text != '\0' && strspn (text, "0123456789.") == strlen (text)
         && g_hostname_is_ip_address (text);
}

static void
add_network (GStrvBuilder *builder,
             GVariant     *network)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (network);
  const char *name = NULL, *kind = NULL, *address = NULL, *start = NULL, *end = NULL;
  guint32 prefix = 0;
  gboolean dhcp = TRUE;
  g_autofree char *cidr = NULL;
  g_autofree char *range = NULL;

  if (!g_variant_dict_lookup (&dict, "name", "&s", &name)
      || !g_variant_dict_lookup (&dict, "kind", "&s", &kind) || !g_str_equal (kind, "host-only")
      || !g_variant_dict_lookup (&dict, "address", "&s", &address)
      || !g_variant_dict_lookup (&dict, "prefix", "u", &prefix))
    return;
  g_variant_dict_lookup (&dict, "dhcp", "b", &dhcp);
  g_variant_dict_lookup (&dict, "dhcp-start", "&s", &start);
  g_variant_dict_lookup (&dict, "dhcp-end", "&s", &end);
  if (!network_name_valid (name) || !ipv4_valid (address) || prefix < 8 || prefix > 30)
    return;
  if (dhcp && (!ipv4_valid (start) || !ipv4_valid (end)))
    return;
  g_strv_builder_add (builder, "--network");
  g_strv_builder_add (builder, name);
  cidr = g_strdup_printf ("%s/%u", address, prefix);
  range = dhcp ? g_strdup_printf ("%s-%s", start, end) : g_strdup ("none");
  g_strv_builder_add (builder, cidr);
  g_strv_builder_add (builder, range);
}

char **
hv_network_setup_argv (GVariant           *networks,
                       const char * const *bridges,
                       gboolean            undo)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add (builder, hv_network_setup_program ());
  g_strv_builder_add (builder, undo ? "undo" : "setup");
  if (!undo && networks != NULL && g_variant_is_of_type (networks, G_VARIANT_TYPE ("aa{sv}")))
    for (gsize i = 0; i < g_variant_n_children (networks); i++)
      {
        g_autoptr(GVariant) network = g_variant_get_child_value (networks, i);

        add_network (builder, network);
      }
  for (guint i = 0; bridges != NULL && bridges[i] != NULL; i++)
    if (hv_network_interface_name_valid (bridges[i]) && !g_str_has_prefix (bridges[i], "hv-"))
      {
        g_strv_builder_add (builder, "--bridge");
        g_strv_builder_add (builder, bridges[i]);
      }
  return g_strv_builder_end (builder);
}
