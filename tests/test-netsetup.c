/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-netsetup.c: the engine's reading of the one-time network set-up
 * (engine/hv-network-bridge.c, hv-network-setup-argv.c) on a fake /sys/class/net: which
 * interfaces are bridges, Ethernet, Wi-Fi (phy80211 or wireless) or other, which a bridged
 * adapter may name and why not; the allow list's parsing (fail closed); the set-up's
 * command line made from Engine.Networks. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hv-network-bridge-private.h"
#include "hv-network-setup-argv.h"

static char *sysfs;

static void
make_iface (const char *name, const char *const *entries, const char *master)
{
  g_autofree char *dir = g_build_filename (sysfs, name, NULL);

  g_assert_no_errno (g_mkdir_with_parents (dir, 0755));
  for (guint i = 0; entries != NULL && entries[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, entries[i], NULL);

      g_assert_no_errno (g_mkdir_with_parents (path, 0755));
    }
  if (master != NULL)
    {
      g_autofree char *link = g_build_filename (dir, "master", NULL);
      g_autofree char *target = g_strconcat ("../", master, NULL);

      g_assert_no_errno (symlink (target, link));
    }
}

static void
setup_tree (void)
{
  sysfs = g_dir_make_tmp ("hv-sysfs-XXXXXX", NULL);
  make_iface ("lo", NULL, NULL);
  make_iface ("br0", (const char *[]) { "bridge", NULL }, NULL);
  make_iface ("lan0", (const char *[]) { "bridge", NULL }, NULL);
  make_iface ("hv-default", (const char *[]) { "bridge", NULL }, NULL);
  make_iface ("eth0", (const char *[]) { "device", NULL }, "br0");
  make_iface ("eth1", (const char *[]) { "device", NULL }, NULL);
  make_iface ("eth2", (const char *[]) { "device", NULL }, "lan0");
  make_iface ("wlan0", (const char *[]) { "device", "phy80211", NULL }, NULL);
  make_iface ("wlp2s0", (const char *[]) { "device", "wireless", NULL }, "br0");
  make_iface ("veth0", NULL, NULL);
  make_iface ("hvtap0", (const char *[]) { "tun_flags", NULL }, "br0");
}

static void
teardown_tree (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", sysfs);

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  g_clear_pointer (&sysfs, g_free);
}

static const HvHostInterface *
find (GPtrArray *list, const char *name)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (((HvHostInterface *) list->pdata[i])->name, name))
      return list->pdata[i];
  return NULL;
}

static void
test_classify (void)
{
  const char *allowed[] = { "br0", "hv-default", NULL };
  g_autoptr(GPtrArray) list = NULL;
  const HvHostInterface *iface;

  setup_tree ();
  list = hv_network_host_interfaces_at (sysfs, TRUE, allowed);
  /* lo and taps are left out; the rest sorted by name. */
  g_assert_cmpuint (list->len, ==, 9);
  g_assert_null (find (list, "lo"));
  g_assert_null (find (list, "hvtap0"));
  g_assert_cmpstr (((HvHostInterface *) list->pdata[0])->name, ==, "br0");

  iface = find (list, "br0");
  g_assert_cmpstr (iface->kind, ==, "bridge");
  g_assert_true (iface->allowed);
  g_assert_cmpstr (iface->reason, ==, "");

  iface = find (list, "lan0");
  g_assert_cmpstr (iface->kind, ==, "bridge");
  g_assert_false (iface->allowed);
  g_assert_nonnull (strstr (iface->reason, "Bridge lan0 is not allowed"));
  g_assert_nonnull (strstr (iface->reason, "--allow-bridge lan0"));

  iface = find (list, "eth0");
  g_assert_cmpstr (iface->kind, ==, "ethernet");
  g_assert_true (iface->allowed);           /* in allowed bridge br0 */

  iface = find (list, "eth1");
  g_assert_cmpstr (iface->kind, ==, "ethernet");
  g_assert_false (iface->allowed);
  g_assert_nonnull (strstr (iface->reason, "eth1 is not part of a bridge"));

  iface = find (list, "eth2");
  g_assert_false (iface->allowed);
  g_assert_nonnull (strstr (iface->reason, "part of bridge lan0, which the network set-up "
                                           "does not allow"));

  iface = find (list, "wlan0");
  g_assert_cmpstr (iface->kind, ==, "wifi");
  g_assert_false (iface->allowed);
  g_assert_nonnull (strstr (iface->reason, "wlan0 is a Wi-Fi interface"));

  /* Wi-Fi stays refused even inside an allowed bridge. */
  iface = find (list, "wlp2s0");
  g_assert_cmpstr (iface->kind, ==, "wifi");
  g_assert_false (iface->allowed);
  g_assert_nonnull (strstr (iface->reason, "wlp2s0 is a Wi-Fi interface"));

  iface = find (list, "veth0");
  g_assert_cmpstr (iface->kind, ==, "other");
  g_assert_false (iface->allowed);
  g_assert_nonnull (strstr (iface->reason, "veth0 is neither a bridge"));

  g_clear_pointer (&list, g_ptr_array_unref);
  /* Without the helper nothing is allowed, and each says to run the set-up. */
  list = hv_network_host_interfaces_at (sysfs, FALSE, allowed);
  for (guint i = 0; i < list->len; i++)
    g_assert_false (((HvHostInterface *) list->pdata[i])->allowed);
  g_assert_nonnull (strstr (find (list, "br0")->reason, "set-up is not done"));
  g_assert_nonnull (strstr (find (list, "eth0")->reason, "does not allow"));

  g_clear_pointer (&list, g_ptr_array_unref);
  list = hv_network_host_interfaces_at ("/nonexistent/sys/class/net", TRUE, allowed);
  g_assert_cmpuint (list->len, ==, 0);
  teardown_tree ();
}

static void
test_names (void)
{
  const char *good[] = { "br0", "hv-default", "a", "eth0.100", "br_lan", "abcdefghijklmno" };
  const char *bad[] = { "", ".", "..", "a/b", "-br", ".br", "abcdefghijklmnop", "br 0",
                        "br:0", "br\n0", "br\xc3\xa4" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (hv_network_interface_name_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (hv_network_interface_name_valid (bad[i]));
  g_assert_false (hv_network_interface_name_valid (NULL));
}

static void
test_allow_list (void)
{
  g_auto(GStrv) good = hv_network_allow_list_parse ("# comment\nbr0\n\nhv-default\n");
  g_auto(GStrv) bad = hv_network_allow_list_parse ("br0\n../etc\nhv-default\n");
  g_auto(GStrv) empty = hv_network_allow_list_parse ("");

  g_assert_cmpuint (g_strv_length (good), ==, 2);
  g_assert_cmpstr (good[0], ==, "br0");
  g_assert_cmpstr (good[1], ==, "hv-default");
  g_assert_cmpuint (g_strv_length (bad), ==, 0);   /* fail closed, as the helper does */
  g_assert_cmpuint (g_strv_length (empty), ==, 0);
}

static GVariant *
network (const char *name, const char *kind, const char *address, guint32 prefix,
         gboolean dhcp, const char *start, const char *end)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);
  g_variant_dict_insert (&dict, "kind", "s", kind);
  if (address != NULL)
    {
      g_variant_dict_insert (&dict, "address", "s", address);
      g_variant_dict_insert (&dict, "prefix", "u", prefix);
    }
  g_variant_dict_insert (&dict, "dhcp", "b", dhcp);
  g_variant_dict_insert (&dict, "dhcp-start", "s", start);
  g_variant_dict_insert (&dict, "dhcp-end", "s", end);
  return g_variant_dict_end (&dict);
}

static void
test_setup_argv (void)
{
  GVariantBuilder builder;
  g_autoptr(GVariant) networks = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) undo = NULL;
  g_auto(GStrv) undo_br = NULL;
  g_autofree char *joined = NULL;
  const char *bridges[] = { "br0", "hv-x", "../x", NULL };

  g_setenv ("HOSTVISOR_NET_SETUP", "/x/hostvisor-net-setup", TRUE);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_builder_add_value (&builder, network ("default", "host-only", "192.168.60.1", 24,
                                                  TRUE, "192.168.60.100", "192.168.60.254"));
  g_variant_builder_add_value (&builder, network ("lab", "host-only", "10.9.0.1", 16, FALSE,
                                                  "", ""));
  g_variant_builder_add_value (&builder, network ("intnet", "internal", NULL, 0, FALSE, "", ""));
  g_variant_builder_add_value (&builder, network ("Bad/Name", "host-only", "10.8.0.1", 24,
                                                  FALSE, "", ""));
  g_variant_builder_add_value (&builder, network ("evil", "host-only", "1.2.3.4 --bridge x",
                                                  24, FALSE, "", ""));
  networks = g_variant_ref_sink (g_variant_builder_end (&builder));

  argv = hv_network_setup_argv (networks, bridges, FALSE);
  joined = g_strjoinv (" ", argv);
  g_assert_cmpstr (joined, ==, "/x/hostvisor-net-setup setup "
                   "--network default 192.168.60.1/24 192.168.60.100-192.168.60.254 "
                   "--network lab 10.9.0.1/16 none --bridge br0");
  undo = hv_network_setup_argv (networks, NULL, TRUE);
  g_assert_cmpuint (g_strv_length (undo), ==, 2);
  g_assert_cmpstr (undo[1], ==, "undo");
  undo_br = hv_network_setup_argv (NULL, bridges, TRUE);
  g_assert_cmpuint (g_strv_length (undo_br), ==, 4);
  g_assert_cmpstr (undo_br[3], ==, "br0");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/netsetup/classify", test_classify);
  g_test_add_func ("/netsetup/names", test_names);
  g_test_add_func ("/netsetup/allow-list", test_allow_list);
  g_test_add_func ("/netsetup/setup-argv", test_setup_argv);
  return g_test_run ();
}
