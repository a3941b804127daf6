/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-store.c: host-only network objects: names, addresses, DHCP ranges, the free
 * subnet for a new network, and networks.xml in the library:
 *
 *   <networks>
 *     <host-only name="hostonly0" address="192.168.64.1" prefix="24" dhcp="yes"
 *                dhcp-start="192.168.64.100" dhcp-end="192.168.64.254"/>
 *   </networks>
 *
 * read through hv_xml_parse() (no network, no DTD, no entities) and written atomically
 * with hv_file_replace_contents(), keeping networks.xml.prev. */
#include "hv-network-private.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libxml/tree.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-fileutil-private.h"
#include "hv-xml-private.h"

#define STORE_MAX_SIZE (256 * 1024)
#define MAX_NETWORKS 64

HvHostOnlyNet *
hv_host_only_net_copy (const HvHostOnlyNet *net)
{
  HvHostOnlyNet *copy = g_new0 (HvHostOnlyNet, 1);

  *copy = *net;
  copy->name = g_strdup (net->name);
  return copy;
}

void
hv_host_only_net_free (HvHostOnlyNet *net)
{
  if (net == NULL)
    return;
  g_free (net->name);
  g_free (net);
}

GPtrArray *
hv_host_only_net_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) hv_host_only_net_free);
}

gboolean
hv_network_check_name (const char *name,
                       GError    **error)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len == 0 || len > 12)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Invalid network name \"%s\": 1 to 12 characters of a-z, 0-9 and -",
                   name != NULL ? name : "");
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = name[i];

      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
        {
          g_autofree char *shown = g_utf8_make_valid (name, -1);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Invalid network name \"%s\": only a-z, 0-9 and - (not first)",
                       shown);
          return FALSE;
        }
    }
  return TRUE;
}

char *
hv_ipv4_to_string (guint32 address)
{
  return g_strdup_printf ("%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff,
                          (address >> 8) & 0xff, address & 0xff);
}

gboolean
hv_ipv4_parse (const char *text,
               guint32    *out)
{
  struct in_addr in;

  /* inet_pton accepts exactly four decimal parts, no leading zeros games. */
  if (text == NULL || inet_pton (AF_INET, text, &in) != 1)
    return FALSE;
  *out = ntohl (in.s_addr);
  return TRUE;
}

guint32
hv_ipv4_netmask (guint prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static gboolean
overlaps (guint32 a, guint a_prefix, guint32 b, guint b_prefix)
{
  guint prefix = MIN (a_prefix, b_prefix);
  guint32 mask = hv_ipv4_netmask (prefix);

  return (a & mask) == (b & mask);
}

void
hv_host_only_net_default_range (HvHostOnlyNet *net)
{
  guint32 mask = hv_ipv4_netmask (net->prefix);
  guint32 base = net->address & mask;
  guint32 broadcast = base | ~mask;

  if (net->prefix <= 24)
    {
      /* .100 to .254 of the host's own /24 within the network */
      guint32 block = net->address & 0xffffff00u;

      net->dhcp_start = block | 100;
      net->dhcp_end = block | 254;
      if (net->address >= net->dhcp_start && net->address <= net->dhcp_end)
        net->dhcp_start = block | 2, net->dhcp_end = block | 99;
      if (net->address >= net->dhcp_start && net->address <= net->dhcp_end)
        net->dhcp_start = block | 100, net->dhcp_end = block | 254;
    }
  else
    {
      net->dhcp_start = net->address + 1 < broadcast ? net->address + 1 : base + 1;
      net->dhcp_end = net->address + 1 < broadcast ? broadcast - 1 : net->address - 1;
    }
}

static gboolean
check_net (const HvHostOnlyNet *net,
           GPtrArray           *taken,
           GError             **error)
{
  guint32 mask = hv_ipv4_netmask (net->prefix);
  guint32 base = net->address & mask;
  guint32 broadcast = base | ~mask;
  g_autofree char *addr = hv_ipv4_to_string (net->address);

  if (net->prefix < 8 || net->prefix > 30)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Network \"%s\": the prefix must be 8 to 30, not %u", net->name, net->prefix);
      return FALSE;
    }
  if (net->address == base || net->address == broadcast)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Network \"%s\": %s/%u is the subnet's %s address, not a host's", net->name,
                   addr, net->prefix, net->address == base ? "network" : "broadcast");
      return FALSE;
    }
  if ((net->address >> 24) == 127 || (net->address >> 28) >= 14 || (net->address >> 24) == 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Network \"%s\": %s is not an address for a network of VMs "
                   "(loopback, multicast or reserved)", net->name, addr);
      return FALSE;
    }
  /* The range is checked with DHCP off too: it is kept for when it is on again. */
    {
      g_autofree char *start = hv_ipv4_to_string (net->dhcp_start);
      g_autofree char *end = hv_ipv4_to_string (net->dhcp_end);

      if ((net->dhcp_start & mask) != base || (net->dhcp_end & mask) != base
          || net->dhcp_start == base || net->dhcp_end == broadcast
          || net->dhcp_start > net->dhcp_end)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Network \"%s\": the DHCP range %s-%s is not a range of hosts in "
                       "%s/%u", net->name, start, end, addr, net->prefix);
          return FALSE;
        }
      if (net->address >= net->dhcp_start && net->address <= net->dhcp_end)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Network \"%s\": the DHCP range %s-%s holds the host's address %s",
                       net->name, start, end, addr);
          return FALSE;
        }
    }
  for (guint i = 0; taken != NULL && i < taken->len; i++)
    {
      const HvHostOnlyNet *other = g_ptr_array_index (taken, i);

      if (g_strcmp0 (other->name, net->name) != 0
          && overlaps (net->address, net->prefix, other->address, other->prefix))
        {
          g_autofree char *other_addr = hv_ipv4_to_string (other->address);

          g_set_error (error, HV_ERROR, HV_ERROR_EXISTS,
                       "Network \"%s\": %s/%u overlaps network \"%s\" (%s/%u)", net->name,
                       addr, net->prefix, other->name, other_addr, other->prefix);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_cidr (const char *text,
            guint32    *address,
            guint      *prefix)
{
  g_auto(GStrv) parts = g_strsplit (text, "/", 2);
  guint64 value = 24;

  if (!hv_ipv4_parse (parts[0], address))
    return FALSE;
  if (parts[1] != NULL
      && !g_ascii_string_to_unsigned (parts[1], 10, 0, 32, &value, NULL))
    return FALSE;
  *prefix = (guint) value;
  return TRUE;
}

gboolean
hv_host_only_net_apply (HvHostOnlyNet *net,
                        GVariant      *options,
                        GPtrArray     *taken,
                        GError       **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;
  gboolean new_address = FALSE, new_start = FALSE, new_end = FALSE;
  HvHostOnlyNet result = *net;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;
      const char *type = g_variant_get_type_string (value);
      gboolean is_string = g_str_equal (type, "s");
      const char *text = is_string ? g_variant_get_string (value, NULL) : NULL;

      if (g_str_equal (key, "address") && is_string)
        {
          if (!parse_cidr (text, &result.address, &result.prefix))
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Invalid network address \"%s\": an IPv4 address with its "
                           "prefix, e.g. 192.168.64.1/24", text);
              return FALSE;
            }
          new_address = TRUE;
        }
      else if (g_str_equal (key, "dhcp") && g_str_equal (type, "b"))
        result.dhcp = g_variant_get_boolean (value);
      else if ((g_str_equal (key, "dhcp-start") || g_str_equal (key, "dhcp-end")) && is_string)
        {
          gboolean start = g_str_equal (key, "dhcp-start");

          if (!hv_ipv4_parse (text, start ? &result.dhcp_start : &result.dhcp_end))
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Invalid %s \"%s\": an IPv4 address", key, text);
              return FALSE;
            }
          *(start ? &new_start : &new_end) = TRUE;
        }
      else if (g_str_equal (key, "dhcp"))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Network option \"dhcp\" takes a boolean (b), not %s", type);
          return FALSE;
        }
      else if (g_str_equal (key, "address") || g_str_equal (key, "dhcp-start")
               || g_str_equal (key, "dhcp-end"))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Network option \"%s\" takes a string (s), not %s", key, type);
          return FALSE;
        }
      else
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Unknown network option \"%s\"", key);
          return FALSE;
        }
    }

  if (new_address && !(new_start && new_end))
    {
      HvHostOnlyNet range = result;

      hv_host_only_net_default_range (&range);
      if (!new_start)
        result.dhcp_start = range.dhcp_start;
      if (!new_end)
        result.dhcp_end = range.dhcp_end;
    }
  if (!check_net (&result, taken, error))
    return FALSE;
  *net = result;
  return TRUE;
}

/* The host's IPv4 routes (/proc/net/route) and addresses: a subnet that overlaps one is
 * not free. The default route is not a conflict. */
static gboolean
host_uses (guint32 address,
           guint   prefix)
{
  g_autofree char *routes = NULL;
  struct ifaddrs *addrs = NULL;
  gboolean used = FALSE;

  if (g_file_get_contents ("/proc/net/route", &routes, NULL, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (routes, "\n", -1);

      for (guint i = 1; lines[i] != NULL && !used; i++)
        {
          char iface[64];
          unsigned int dest, gateway, flags, refcnt, use, metric, mask;

          if (sscanf (lines[i], "%63s %x %x %x %u %u %u %x", iface, &dest, &gateway, &flags,
                      &refcnt, &use, &metric, &mask) != 8)
            continue;
          dest = ntohl (dest);
          mask = ntohl (mask);
          if (mask == 0)
            continue;
          used = overlaps (address, prefix, dest, (guint) __builtin_popcount (mask));
        }
    }
  if (!used && getifaddrs (&addrs) == 0)
    {
      for (struct ifaddrs *a = addrs; a != NULL && !used; a = a->ifa_next)
        if (a->ifa_addr != NULL && a->ifa_addr->sa_family == AF_INET)
          used = overlaps (address, prefix,
                           ntohl (((struct sockaddr_in *) a->ifa_addr)->sin_addr.s_addr), 32);
      freeifaddrs (addrs);
    }
  return used;
}

guint32
hv_network_pick_free_subnet (GPtrArray *taken)
{
  for (guint third = 64; third <= 254; third++)
    {
      guint32 base = (192u << 24) | (168u << 16) | (third << 8);
      gboolean free = !overlaps (base, 24, (192u << 24) | (168u << 16) | (56u << 8), 21)
                      && !overlaps (base, 24, (192u << 24) | (168u << 16) | (122u << 8), 24);

      for (guint i = 0; free && taken != NULL && i < taken->len; i++)
        {
          const HvHostOnlyNet *other = g_ptr_array_index (taken, i);

          free = !overlaps (base, 24, other->address, other->prefix);
        }
      if (free && !host_uses (base, 24))
        return base | 1;
    }
  return 0;
}

/* ---- networks.xml ------------------------------------------------------------------- */

static char *
get_attr (xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetProp (node, (const xmlChar *) name);
  char *copy = value != NULL ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return copy;
}

static HvHostOnlyNet *
read_network (xmlNode    *node,
              const char *filename,
              GPtrArray  *nets,
              GError    **error)
{
  static const char * const known[] = { "name", "address", "prefix", "dhcp", "dhcp-start",
                                        "dhcp-end", NULL };
  g_autoptr(HvHostOnlyNet) net = g_new0 (HvHostOnlyNet, 1);
  g_autofree char *address = get_attr (node, "address");
  g_autofree char *prefix = get_attr (node, "prefix");
  g_autofree char *dhcp = get_attr (node, "dhcp");
  g_autofree char *start = get_attr (node, "dhcp-start");
  g_autofree char *end = get_attr (node, "dhcp-end");
  g_autoptr(GError) local = NULL;
  guint64 prefix_value = 0;
  long line = xmlGetLineNo (node);

  for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next)
    if (!g_strv_contains (known, (const char *) attr->name))
      {
        hv_xml_set_error (error, filename, line, "unknown attribute \"%s\"",
                          (const char *) attr->name);
        return NULL;
      }
  net->name = get_attr (node, "name");
  if (!hv_network_check_name (net->name, &local))
    {
      hv_xml_set_error (error, filename, line, "%s", local->message);
      return NULL;
    }
  for (guint i = 0; i < nets->len; i++)
    if (g_str_equal (((HvHostOnlyNet *) g_ptr_array_index (nets, i))->name, net->name))
      {
        hv_xml_set_error (error, filename, line, "network \"%s\" is listed twice", net->name);
        return NULL;
      }
  if (!hv_ipv4_parse (address, &net->address)
      || prefix == NULL || !g_ascii_string_to_unsigned (prefix, 10, 8, 30, &prefix_value, NULL)
      || (g_strcmp0 (dhcp, "yes") != 0 && g_strcmp0 (dhcp, "no") != 0)
      || !hv_ipv4_parse (start, &net->dhcp_start) || !hv_ipv4_parse (end, &net->dhcp_end))
    {
      hv_xml_set_error (error, filename, line,
                        "network \"%s\" needs address, prefix (8..30), dhcp (yes or no), "
                        "dhcp-start and dhcp-end", net->name);
      return NULL;
    }
  net->prefix = (guint) prefix_value;
  net->dhcp = g_str_equal (dhcp, "yes");
  if (!check_net (net, nets, &local))
    {
      hv_xml_set_error (error, filename, line, "%s", local->message);
      return NULL;
    }
  return g_steal_pointer (&net);
}

GPtrArray *
hv_network_store_load (const char *path,
                       gboolean   *out_missing,
                       GError    **error)
{
  g_autoptr(GPtrArray) nets = hv_host_only_net_array_new ();
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  xmlDoc *doc;
  xmlNode *root;

  *out_missing = FALSE;
  /* Never through a link, never a FIFO: a library file is untrusted. */
  if (!hv_file_read_capped_full (path, STORE_MAX_SIZE, HV_FILE_READ_NOFOLLOW, &data, &len, NULL,
                                 NULL, &local))
    {
      if (g_error_matches (local, HV_ERROR, HV_ERROR_NOT_FOUND))
        {
          *out_missing = TRUE;
          return g_steal_pointer (&nets);
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  doc = hv_xml_parse (data, len, path, error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (root == NULL || !xmlStrEqual (root->name, (const xmlChar *) "networks"))
    {
      hv_xml_set_error (error, path, root != NULL ? xmlGetLineNo (root) : 0,
                        "the root element must be <networks>");
      xmlFreeDoc (doc);
      return NULL;
    }
  for (xmlNode *node = root->children; node != NULL; node = node->next)
    {
      HvHostOnlyNet *net;

      if (node->type != XML_ELEMENT_NODE)
        continue;
      if (!xmlStrEqual (node->name, (const xmlChar *) "host-only"))
        {
          hv_xml_set_error (error, path, xmlGetLineNo (node), "unexpected element <%s>",
                            (const char *) node->name);
          xmlFreeDoc (doc);
          return NULL;
        }
      if (nets->len >= MAX_NETWORKS)
        {
          hv_xml_set_error (error, path, xmlGetLineNo (node), "more than %d networks",
                            MAX_NETWORKS);
          xmlFreeDoc (doc);
          return NULL;
        }
      net = read_network (node, path, nets, error);
      if (net == NULL)
        {
          xmlFreeDoc (doc);
          return NULL;
        }
      g_ptr_array_add (nets, net);
    }
  xmlFreeDoc (doc);
  return g_steal_pointer (&nets);
}

gboolean
hv_network_store_save (const char *path,
                       GPtrArray  *nets,
                       GError    **error)
{
  g_autoptr(GString) out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

  g_string_append (out, nets->len > 0 ? "<networks>\n" : "<networks/>\n");
  for (guint i = 0; i < nets->len; i++)
    {
      const HvHostOnlyNet *net = g_ptr_array_index (nets, i);
      g_autofree char *address = hv_ipv4_to_string (net->address);
      g_autofree char *start = hv_ipv4_to_string (net->dhcp_start);
      g_autofree char *end = hv_ipv4_to_string (net->dhcp_end);

      /* Names are [a-z0-9-]: nothing to escape. */
      g_string_append_printf (out, "  <host-only name=\"%s\" address=\"%s\" prefix=\"%u\" "
                              "dhcp=\"%s\" dhcp-start=\"%s\" dhcp-end=\"%s\"/>\n", net->name,
                              address, net->prefix, net->dhcp ? "yes" : "no", start, end);
    }
  if (nets->len > 0)
    g_string_append (out, "</networks>\n");
  return hv_file_replace_contents (path, out->str, out->len, 0600, TRUE, error);
}

/* ---- dnsmasq's lease file ------------------------------------------------------------ */

typedef struct {
  gint64 expiry;
  char *address;
} Lease;

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const Lease *la = *(Lease * const *) a, *lb = *(Lease * const *) b;

  return la->expiry < lb->expiry ? 1 : la->expiry > lb->expiry ? -1 : 0;
}

static void
lease_free (Lease *lease)
{
  g_free (lease->address);
  g_free (lease);
}

char **
hv_network_leases_lookup (const char *text,
                          const char *mac)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  g_autoptr(GPtrArray) leases = g_ptr_array_new_with_free_func ((GDestroyNotify) lease_free);
  GPtrArray *out = g_ptr_array_new ();

  /* "EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID", one lease a line */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (lines[i], " \t", 5);
      guint32 unused;
      gint64 expiry;
      Lease *lease;

      if (g_strv_length (fields) < 3 || g_ascii_strcasecmp (fields[1], mac) != 0
          || !hv_ipv4_parse (fields[2], &unused))
        continue;
      expiry = g_ascii_strtoll (fields[0], NULL, 10);
      lease = g_new0 (Lease, 1);
      lease->expiry = expiry;
      lease->address = g_strdup (fields[2]);
      g_ptr_array_add (leases, lease);
    }
  g_ptr_array_sort (leases, newest_first);
  for (guint i = 0; i < leases->len; i++)
    {
      const char *address = ((Lease *) g_ptr_array_index (leases, i))->address;
      gboolean seen = FALSE;

      for (guint j = 0; j < out->len && !seen; j++)
        seen = g_str_equal (g_ptr_array_index (out, j), address);
      if (!seen)
        g_ptr_array_add (out, g_strdup (address));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}
