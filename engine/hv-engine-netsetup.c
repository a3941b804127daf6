/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-netsetup.c: see hv-engine-netsetup.h.
 *
 * NetworkSetup is read from the system (hv_network_setup_query()) when the engine starts,
 * when a file in the set-up's directory changes (the set-up writes its allow list last),
 * when Engine.Networks changes (which host-only networks lack their bridge), at each
 * ListHostInterfaces call, and every REFRESH_S seconds (a bridge can go without any file
 * changing, and a directory that did not exist is watched only by polling). It is set only when it changed, so that clients see a signal
 * only for a real change. */
#include "hv-engine-netsetup.h"

#include <string.h>

#include "hv-build-config.h"
#include "hv-network-bridge.h"
#include "hv-network-setup-argv.h"

#define REFRESH_S 3

typedef struct {
  HvDbusEngine *skeleton;   /* unowned: this struct is its data */
  GFileMonitor *monitor;
  guint timer_id;
} NetSetup;

static void
net_setup_free (NetSetup *ns)
{
  if (ns->monitor != NULL)
    g_signal_handlers_disconnect_by_data (ns->monitor, ns);
  g_clear_object (&ns->monitor);
  g_clear_handle_id (&ns->timer_id, g_source_remove);
  g_free (ns);
}

static char *
command_line (char **argv)
{
  GString *line = g_string_new ("pkexec");

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);

      g_string_append_c (line, ' ');
      /* Plain words stay plain: "192.168.60.1/24" reads better than '192.168.60.1/24'. */
      g_string_append (line, strspn (argv[i], "abcdefghijklmnopqrstuvwxyz0123456789-_./")
                               == strlen (argv[i]) && argv[i][0] != '\0'
                             ? argv[i] : quoted);
    }
  return g_string_free (line, FALSE);
}

static void
refresh (NetSetup *ns)
{
  g_autoptr(HvNetworkSetup) setup = hv_network_setup_query ();
  GVariant *networks = hv_dbus_engine_get_networks (ns->skeleton);
  g_autoptr(GStrvBuilder) missing = g_strv_builder_new ();
  g_auto(GStrv) missing_v = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *command = NULL;
  g_autoptr(GVariant) value = NULL;
  GVariant *old;
  GVariantDict dict;

  if (networks != NULL && g_variant_is_of_type (networks, G_VARIANT_TYPE ("aa{sv}")))
    for (gsize i = 0; i < g_variant_n_children (networks); i++)
      {
        g_autoptr(GVariant) network = g_variant_get_child_value (networks, i);
        const char *name = NULL, *kind = NULL;

        if (g_variant_lookup (network, "name", "&s", &name)
            && g_variant_lookup (network, "kind", "&s", &kind)
            && g_str_equal (kind, "host-only") && !hv_network_host_only_is_set_up (name))
          g_strv_builder_add (missing, name);
      }
  missing_v = g_strv_builder_end (missing);
  argv = hv_network_setup_argv (networks, NULL, FALSE);
  command = command_line (argv);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "done", "b", setup->done);
  g_variant_dict_insert (&dict, "helper", "s", setup->helper);
  g_variant_dict_insert_value (&dict, "bridges",
                               g_variant_new_strv ((const char * const *) setup->bridges, -1));
  g_variant_dict_insert_value (&dict, "missing",
                               g_variant_new_strv ((const char * const *) missing_v, -1));
  g_variant_dict_insert (&dict, "command", "s", command);
  value = g_variant_ref_sink (g_variant_dict_end (&dict));

  old = hv_dbus_engine_get_network_setup (ns->skeleton);
  if (old == NULL || !g_variant_equal (old, value))
    hv_dbus_engine_set_network_setup (ns->skeleton, value);
}

static void
on_changed (GFileMonitor      *monitor,
            GFile             *file,
            GFile             *other,
            GFileMonitorEvent  event,
            NetSetup          *ns)
{
  refresh (ns);
}

static gboolean
on_timer (gpointer data)
{
  refresh (data);
  return G_SOURCE_CONTINUE;
}

static void
on_networks (GObject    *object,
             GParamSpec *pspec,
             NetSetup   *ns)
{
  refresh (ns);
}

static gboolean
handle_list_host_interfaces (HvDbusEngine          *skeleton,
                             GDBusMethodInvocation *invocation,
                             NetSetup              *ns)
{
  g_autoptr(GPtrArray) interfaces = hv_network_host_interfaces ();
  GVariantBuilder builder;

  refresh (ns);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssbs)"));
  for (guint i = 0; i < interfaces->len; i++)
    {
      HvHostInterface *iface = interfaces->pdata[i];

      g_variant_builder_add (&builder, "(ssbs)", iface->name, iface->kind, iface->allowed,
                             iface->reason);
    }
  hv_dbus_engine_complete_list_host_interfaces (skeleton, invocation,
                                                g_variant_builder_end (&builder));
  return TRUE;
}

void
hv_engine_netsetup_init (HvDbusEngine *skeleton)
{
  NetSetup *ns = g_new0 (NetSetup, 1);
  g_autoptr(GFile) dir = g_file_new_for_path (HV_NETSETUP_CONFDIR);

  ns->skeleton = skeleton;
  g_object_set_data_full (G_OBJECT (skeleton), "hv-netsetup", ns,
                          (GDestroyNotify) net_setup_free);
  /* Watched even while missing: the set-up creates it. */
  ns->monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_NONE, NULL, NULL);
  if (ns->monitor != NULL)
    g_signal_connect (ns->monitor, "changed", G_CALLBACK (on_changed), ns);
  g_signal_connect (skeleton, "notify::networks", G_CALLBACK (on_networks), ns);
  ns->timer_id = g_timeout_add_seconds (REFRESH_S, on_timer, ns);
  g_signal_connect (skeleton, "handle-list-host-interfaces",
                    G_CALLBACK (handle_list_host_interfaces), ns);
  refresh (ns);
}
