/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-bridge.c: see hv-network-bridge.h. */
#include "hv-network-bridge.h"

#include "hv-error.h"

HvNetworkSetup *
hv_network_setup_query (void)
{
  HvNetworkSetup *setup = g_new0 (HvNetworkSetup, 1);

  setup->helper = g_strdup ("");
  setup->bridges = g_new0 (char *, 1);
  setup->command = g_strdup ("");
  return setup;
}

void
hv_network_setup_free (HvNetworkSetup *setup)
{
  if (setup == NULL)
    return;
  g_free (setup->helper);
  g_strfreev (setup->bridges);
  g_free (setup->command);
  g_free (setup);
}

char *
hv_network_host_only_bridge (const char *network)
{
  return g_strconcat ("hv-", network, NULL);
}

gboolean
hv_network_host_only_is_set_up (const char *network)
{
  return FALSE;
}

GPtrArray *
hv_network_host_interfaces (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) hv_host_interface_free);
}

void
hv_host_interface_free (HvHostInterface *iface)
{
  if (iface == NULL)
    return;
  g_free (iface->name);
  g_free (iface->kind);
  g_free (iface->reason);
  g_free (iface);
}

int
hv_network_bridge_open_tap (const char  *name,
                            GError     **error)
{
  g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
               "Bridged networking is not available yet (interface %s)", name);
  return -1;
}
