/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-network.c: the pure parts of the engine's networks: dnsmasq's configuration against
 * golden files (tests/network/NAME.conf; HV_UPDATE_GOLDEN=1 rewrites them), network names,
 * options and their errors, networks.xml (round trip and hostile files), the free subnet,
 * dnsmasq's lease file. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hv-error.h"
#include "hv-network-dnsmasq.h"
#include "hv-network-private.h"

static char *tmp_dir;

static void
check_golden (const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "network", name, NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (text);
  if (g_getenv ("HV_UPDATE_GOLDEN") != NULL)
    {
      g_assert_true (g_file_set_contents (path, text, -1, &error));
      return;
    }
  g_assert_true (g_file_get_contents (path, &expected, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, expected);
}

static void
test_dnsmasq_golden (void)
{
  HvDnsmasqConfig dhcp = {
    .network = "hostonly0", .interface = "hvbr0", .address = "192.168.64.1", .prefix = 24,
    .dhcp_start = "192.168.64.100", .dhcp_end = "192.168.64.254", .lease_max = 155,
    .lease_file = "/run/user/1000/hostvisor/networks/hostonly0/leases",
  };
  HvDnsmasqConfig no_dhcp = {
    .network = "lab", .interface = "hvbr0", .address = "10.20.0.1", .prefix = 16,
    .lease_file = "/run/user/1000/hostvisor/networks/lab/leases",
  };
  HvDnsmasqConfig small = {
    .network = "tiny", .interface = "hv-tiny", .address = "172.30.5.17", .prefix = 28,
    .dhcp_start = "172.30.5.18", .dhcp_end = "172.30.5.30", .lease_max = 13,
    .lease_file = "/tmp/l",
  };
  g_autofree char *a = hv_network_dnsmasq_config (&dhcp);
  g_autofree char *b = hv_network_dnsmasq_config (&no_dhcp);
  g_autofree char *c = hv_network_dnsmasq_config (&small);

  check_golden ("isolated-dhcp.conf", a);
  check_golden ("isolated-no-dhcp.conf", b);
  check_golden ("isolated-small.conf", c);
  /* The recipe's essentials, stated once more in words. */
  g_assert_nonnull (strstr (a, "\ndhcp-option=3\n"));
  g_assert_nonnull (strstr (a, "\nno-resolv\n"));
  g_assert_nonnull (strstr (a, "\nbind-dynamic\n"));
  g_assert_nonnull (strstr (a, "\ninterface=hvbr0\n"));
  g_assert_nonnull (strstr (a, "\nexcept-interface=lo\n"));
  g_assert_nonnull (strstr (a, "\ndhcp-authoritative\n"));
  g_assert_nonnull (strstr (a, "\ndhcp-lease-max=155\n"));
  g_assert_null (strstr (a, "server="));
  g_assert_null (strstr (b, "dhcp-range"));
}

static void
test_dnsmasq_refuses (void)
{
  HvDnsmasqConfig bad = {
    .network = "x", .interface = "hvbr0\ndhcp-script=/bin/sh", .address = "10.0.0.1",
    .prefix = 24, .lease_file = "/tmp/l",
  };

  g_assert_null (hv_network_dnsmasq_config (&bad));
  bad.interface = "hvbr0";
  bad.lease_file = "/tmp/#x";
  g_assert_null (hv_network_dnsmasq_config (&bad));
  bad.lease_file = "/tmp/l";
  bad.prefix = 31;
  g_assert_null (hv_network_dnsmasq_config (&bad));
  bad.prefix = 24;
  bad.dhcp_start = "10.0.0.5";
  g_assert_null (hv_network_dnsmasq_config (&bad));   /* a start without an end */
}

static void
test_names (void)
{
  const char *good[] = { "a", "hostonly0", "lab-2", "abcdefghijkl", NULL };
  const char *bad[] = { "", "-lab", "Lab", "abcdefghijklm", "a b", "a/b", "a.b", "ä", NULL };

  for (guint i = 0; good[i] != NULL; i++)
    g_assert_true (hv_network_check_name (good[i], NULL));
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (hv_network_check_name (bad[i], &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
    }
}

static gboolean
apply (HvHostOnlyNet *net, const char *options, GPtrArray *taken, GError **error)
{
  g_autoptr(GVariant) v = g_variant_ref_sink (g_variant_new_parsed (options));

  return hv_host_only_net_apply (net, v, taken, error);
}

static void
test_options (void)
{
  g_autoptr(HvHostOnlyNet) net = g_new0 (HvHostOnlyNet, 1);
  g_autoptr(GPtrArray) taken = hv_host_only_net_array_new ();
  struct { const char *options; int code; const char *words; } bad[] = {
    { "{'address': <'192.168.57.0/24'>}", HV_ERROR_INVALID_ARGUMENT, "network address" },
    { "{'address': <'192.168.57.255/24'>}", HV_ERROR_INVALID_ARGUMENT, "broadcast" },
    { "{'address': <'192.168.57.1/31'>}", HV_ERROR_INVALID_ARGUMENT, "prefix" },
    { "{'address': <'192.168.57.1/33'>}", HV_ERROR_INVALID_ARGUMENT, "e.g. 192.168.64.1/24" },
    { "{'address': <'127.0.0.1/8'>}", HV_ERROR_INVALID_ARGUMENT, "loopback" },
    { "{'address': <'300.1.1.1/24'>}", HV_ERROR_INVALID_ARGUMENT, "300.1.1.1" },
    { "{'address': <'10.1.2.1/24'>}", HV_ERROR_EXISTS, "overlaps network \"other\"" },
    { "{'dhcp-start': <'192.168.57.1'>}", HV_ERROR_INVALID_ARGUMENT, "holds the host's address" },
    { "{'dhcp-start': <'192.168.58.10'>}", HV_ERROR_INVALID_ARGUMENT, "not a range of hosts" },
    { "{'dhcp-start': <'192.168.57.200'>, 'dhcp-end': <'192.168.57.100'>}",
      HV_ERROR_INVALID_ARGUMENT, "not a range" },
    { "{'dhcp-end': <'nonsense'>}", HV_ERROR_INVALID_ARGUMENT, "Invalid dhcp-end" },
    { "{'dhcp': <'yes'>}", HV_ERROR_INVALID_ARGUMENT, "\"dhcp\" takes a boolean (b), not s" },
    { "{'address': <24>}", HV_ERROR_INVALID_ARGUMENT, "\"address\" takes a string (s), not i" },
    { "{'mtu': <1500>}", HV_ERROR_INVALID_ARGUMENT, "Unknown network option \"mtu\"" },
  };
  HvHostOnlyNet *other = g_new0 (HvHostOnlyNet, 1);
  g_autoptr(GError) error = NULL;

  other->name = g_strdup ("other");
  g_assert_true (hv_ipv4_parse ("10.1.0.1", &other->address));
  other->prefix = 16;
  g_ptr_array_add (taken, other);

  net->name = g_strdup ("net");
  g_assert_true (apply (net, "{'address': <'192.168.57.1/24'>}", taken, &error));
  g_assert_no_error (error);
  {
    g_autofree char *s = hv_ipv4_to_string (net->dhcp_start);
    g_autofree char *e = hv_ipv4_to_string (net->dhcp_end);

    g_assert_cmpstr (s, ==, "192.168.57.100");
    g_assert_cmpstr (e, ==, "192.168.57.254");
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      HvHostOnlyNet before = *net;

      if (apply (net, bad[i].options, taken, &error))
        g_error ("accepted: %s", bad[i].options);
      g_assert_error (error, HV_ERROR, bad[i].code);
      if (strstr (error->message, bad[i].words) == NULL)
        g_error ("%s: \"%s\" lacks \"%s\"", bad[i].options, error->message, bad[i].words);
      g_clear_error (&error);
      /* Nothing changed by a refused change. */
      g_assert_cmpuint (net->address, ==, before.address);
      g_assert_cmpuint (net->dhcp_start, ==, before.dhcp_start);
    }
  g_assert_true (apply (net, "{'dhcp': <false>, 'dhcp-start': <'192.168.57.10'>, "
                        "'dhcp-end': <'192.168.57.20'>}", taken, &error));
  g_assert_false (net->dhcp);
  /* A small network gets a range that fits it. */
  g_assert_true (apply (net, "{'address': <'172.30.5.17/28'>}", taken, &error));
  {
    g_autofree char *s = hv_ipv4_to_string (net->dhcp_start);
    g_autofree char *e = hv_ipv4_to_string (net->dhcp_end);

    g_assert_cmpstr (s, ==, "172.30.5.18");
    g_assert_cmpstr (e, ==, "172.30.5.30");
  }
}

static void
test_free_subnet (void)
{
  g_autoptr(GPtrArray) taken = hv_host_only_net_array_new ();
  guint32 first = hv_network_pick_free_subnet (taken);
  guint32 third = (first >> 8) & 0xff;

  g_assert_cmpuint (first, !=, 0);
  g_assert_cmpuint (first >> 16, ==, (192u << 8) | 168u);
  g_assert_cmpuint (first & 0xff, ==, 1);
  /* Neither VirtualBox's 192.168.56.0/21 nor libvirt's 192.168.122.0/24. */
  g_assert_true (third < 56 || third > 63);
  g_assert_cmpuint (third, !=, 122);

  /* Taken ones are skipped, libvirt's too, whatever the order. */
  for (guint i = 0; i < 80; i++)
    {
      HvHostOnlyNet *n = g_new0 (HvHostOnlyNet, 1);
      guint32 next = hv_network_pick_free_subnet (taken);
      guint t = (next >> 8) & 0xff;

      g_assert_cmpuint (next, !=, 0);
      g_assert_true ((t < 56 || t > 63) && t != 122);
      n->name = g_strdup_printf ("n%u", i);
      n->address = next;
      n->prefix = 24;
      g_ptr_array_add (taken, n);
    }
  /* No route of this host is chosen: every /24 with a host route or address is skipped,
   * checked against the host's own addresses. */
  {
    g_autofree char *out = NULL;

    if (g_spawn_command_line_sync ("ip -4 -o addr show", &out, NULL, NULL, NULL))
      {
        g_autofree char *net = g_strdup_printf (" %u.%u.%u.", first >> 24, (first >> 16) & 0xff,
                                                (first >> 8) & 0xff);
        g_assert_null (strstr (out, net));
      }
  }
}

static void
test_store (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "networks.xml", NULL);
  g_autoptr(GPtrArray) nets = hv_host_only_net_array_new ();
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  HvHostOnlyNet *a = g_new0 (HvHostOnlyNet, 1);
  gboolean missing = FALSE;

  back = hv_network_store_load (path, &missing, &error);
  g_assert_no_error (error);
  g_assert_true (missing);
  g_assert_cmpuint (back->len, ==, 0);
  g_clear_pointer (&back, g_ptr_array_unref);

  a->name = g_strdup ("hostonly0");
  hv_ipv4_parse ("192.168.64.1", &a->address);
  a->prefix = 24;
  a->dhcp = TRUE;
  hv_host_only_net_default_range (a);
  g_ptr_array_add (nets, a);
  g_assert_true (hv_network_store_save (path, nets, &error));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<networks>\n"
                   "  <host-only name=\"hostonly0\" address=\"192.168.64.1\" prefix=\"24\" "
                   "dhcp=\"yes\" dhcp-start=\"192.168.64.100\" dhcp-end=\"192.168.64.254\"/>\n"
                   "</networks>\n");
  back = hv_network_store_load (path, &missing, &error);
  g_assert_no_error (error);
  g_assert_false (missing);
  g_assert_cmpuint (back->len, ==, 1);
  g_assert_cmpstr (((HvHostOnlyNet *) back->pdata[0])->name, ==, "hostonly0");
  g_assert_cmpuint (((HvHostOnlyNet *) back->pdata[0])->dhcp_end, ==, a->dhcp_end);
}

static void
test_store_hostile (void)
{
  struct { const char *xml; const char *words; } bad[] = {
    { "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n"
      "<networks><host-only name=\"&e;\"/></networks>", "" },
    { "<networks><host-only name=\"a\" address=\"10.0.0.1\" prefix=\"24\" dhcp=\"yes\" "
      "dhcp-start=\"10.0.0.100\" dhcp-end=\"10.0.0.254\" evil=\"1\"/></networks>",
      "unknown attribute \"evil\"" },
    { "<networks><host-only name=\"A\"/></networks>", "Invalid network name" },
    { "<networks><bridge name=\"a\"/></networks>", "unexpected element <bridge>" },
    { "<nets/>", "root element" },
    { "<networks><host-only name=\"a\" address=\"10.0.0.1\" prefix=\"24\" dhcp=\"yes\" "
      "dhcp-start=\"10.0.0.100\" dhcp-end=\"10.0.0.254\"/>\n<host-only name=\"a\" "
      "address=\"10.1.0.1\" prefix=\"24\" dhcp=\"yes\" dhcp-start=\"10.1.0.100\" "
      "dhcp-end=\"10.1.0.254\"/></networks>", ":2: network \"a\" is listed twice" },
    { "<networks><host-only name=\"a\" address=\"10.0.0.1\" prefix=\"24\" dhcp=\"yes\" "
      "dhcp-start=\"10.0.0.100\" dhcp-end=\"10.0.0.254\"/><host-only name=\"b\" "
      "address=\"10.0.0.2\" prefix=\"16\" dhcp=\"no\" dhcp-start=\"10.0.0.100\" "
      "dhcp-end=\"10.0.0.254\"/></networks>", "overlaps" },
    { "<networks><host-only name=\"a\" address=\"10.0.0.1\" prefix=\"24\" dhcp=\"maybe\" "
      "dhcp-start=\"10.0.0.100\" dhcp-end=\"10.0.0.254\"/></networks>", "dhcp (yes or no)" },
    { "<networks><host-only", "" },
    { "", "" },
  };
  g_autofree char *path = g_build_filename (tmp_dir, "bad.xml", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) nets = NULL;
      gboolean missing = FALSE;

      g_assert_true (g_file_set_contents (path, bad[i].xml, -1, NULL));
      nets = hv_network_store_load (path, &missing, &error);
      g_assert_null (nets);
      g_assert_nonnull (error);
      g_assert_true (error->domain == HV_ERROR);
      if (strstr (error->message, bad[i].words) == NULL || strchr (error->message, '\n'))
        g_error ("case %u: \"%s\" lacks \"%s\"", i, error->message, bad[i].words);
    }
}

static void
test_leases (void)
{
  const char *text =
    "1733500000 52:54:00:aa:bb:01 192.168.64.120 guest1 01:52:54:00:aa:bb:01\n"
    "1733509999 52:54:00:AA:BB:01 192.168.64.130 * *\n"
    "1733505000 52:54:00:aa:bb:02 192.168.64.140 guest2 *\n"
    "garbage line\n"
    "1733509999 52:54:00:aa:bb:03 not-an-address * *\n";
  g_auto(GStrv) one = hv_network_leases_lookup (text, "52:54:00:aa:bb:01");
  g_auto(GStrv) two = hv_network_leases_lookup (text, "52:54:00:AA:BB:02");
  g_auto(GStrv) three = hv_network_leases_lookup (text, "52:54:00:aa:bb:03");
  g_auto(GStrv) none = hv_network_leases_lookup (NULL, "52:54:00:aa:bb:01");

  g_assert_cmpuint (g_strv_length (one), ==, 2);
  g_assert_cmpstr (one[0], ==, "192.168.64.130");   /* newest first */
  g_assert_cmpstr (one[1], ==, "192.168.64.120");
  g_assert_cmpuint (g_strv_length (two), ==, 1);
  g_assert_cmpstr (two[0], ==, "192.168.64.140");
  g_assert_cmpuint (g_strv_length (three), ==, 0);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hv-network-XXXXXX", NULL);
  g_test_add_func ("/network/dnsmasq/golden", test_dnsmasq_golden);
  g_test_add_func ("/network/dnsmasq/refuses", test_dnsmasq_refuses);
  g_test_add_func ("/network/names", test_names);
  g_test_add_func ("/network/options", test_options);
  g_test_add_func ("/network/free-subnet", test_free_subnet);
  g_test_add_func ("/network/store", test_store);
  g_test_add_func ("/network/store-hostile", test_store_hostile);
  g_test_add_func ("/network/leases", test_leases);
  rc = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp_dir);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return rc;
}
