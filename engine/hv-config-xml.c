/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-config-xml.c: a VM config's XML form (vm.xml): reading, writing, load and save.
 *
 * Loading runs four gates, and a document must pass all of them:
 *   1. and 2. hv_xml_parse() (hv-xml.c): byte checks (size cap, UTF-8, no NUL) before
 *      libxml2 sees anything, then a parse with no network, no DTD (refused
 *      outright) and no entity expansion;
 *   3. a strict reader that converts the tree into an HvVmConfig and refuses
 *      unknown, missing, duplicate or misplaced elements and attributes;
 *   4. hv_vm_config_validate() (semantics), then the RelaxNG schema.
 * The reader and the semantic check come before the schema only because their
 * messages name the field and say what to write instead; libxml2's RelaxNG
 * messages ("Element system failed to validate attributes") do not. The schema
 * stays the formal contract and the last word. */
#include "hv-config.h"
#include "hv-config-private.h"

#include <libxml/tree.h>
#include <string.h>

#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-fileutil-private.h"
#include "hv-xml-private.h"

#define CONFIG_FILE_MODE 0600

/* Reading the tree */

typedef struct {
  const char *filename;
  long field_lines[HV_CONFIG_N_FIELDS];
  GArray *drive_lines;   /* long, one per <drive> */
  GArray *nic_lines;     /* long, one per <adapter> */
  GArray *share_lines;   /* long, one per <share> */
} Reader;

#define NODE_NAME(node) ((const char *) (node)->name)

static gboolean reader_fail (Reader *reader, xmlNode *node, GError **error,
                             const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
reader_fail (Reader      *reader,
             xmlNode     *node,
             GError     **error,
             const char  *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  hv_xml_set_error (error, reader->filename, node != NULL ? xmlGetLineNo (node) : 0,
                    "%s", message);
  return FALSE;
}

static gboolean
is_blank (const xmlChar *text)
{
  for (const xmlChar *p = text; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      return FALSE;
  return TRUE;
}

/* libxml2 gives a text node the line where the text ends; point at its first
 * non-blank character instead. */
static long
text_line (xmlNode *node)
{
  const char *text = (const char *) node->content;
  long line = xmlGetLineNo (node);

  while (text != NULL && *text != '\0' && g_ascii_isspace (*text))
    text++;
  for (; text != NULL && *text != '\0'; text++)
    if (*text == '\n')
      line--;
  return MAX (line, 1);
}

/* Children other than elements: comments and processing instructions are fine
 * anywhere; text only in leaf elements, white space anywhere. */
static gboolean
check_children (Reader    *reader,
                xmlNode   *parent,
                gboolean   leaf,
                GError   **error)
{
  for (xmlNode *child = parent->children; child != NULL; child = child->next)
    {
      switch (child->type)
        {
        case XML_ELEMENT_NODE:
          if (leaf)
            return reader_fail (reader, child, error, "<%s> may not contain elements, found <%s>",
                                NODE_NAME (parent), NODE_NAME (child));
          if (child->ns != NULL && child->ns->prefix != NULL)
            return reader_fail (reader, child, error, "unknown element <%s:%s> in <%s>",
                                (const char *) child->ns->prefix, NODE_NAME (child),
                                NODE_NAME (parent));
          if (child->ns != NULL)
            return reader_fail (reader, child, error,
                                "<%s> in <%s> must not be in an XML namespace",
                                NODE_NAME (child), NODE_NAME (parent));
          break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (!leaf && !is_blank (child->content))
            {
              hv_xml_set_error (error, reader->filename, text_line (child),
                                "unexpected text in <%s>", NODE_NAME (parent));
              return FALSE;
            }
          break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
          break;
        default:
          return reader_fail (reader, child, error, "unexpected content in <%s>",
                              NODE_NAME (parent));
        }
    }

  return TRUE;
}

/* Attributes: each present one must be in `allowed` (NULL-terminated). */
static gboolean
check_attributes (Reader             *reader,
                  xmlNode            *node,
                  const char * const *allowed,
                  GError            **error)
{
  for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next)
    {
      if (attr->ns != NULL || !g_strv_contains (allowed, (const char *) attr->name))
        return reader_fail (reader, node, error, "unknown attribute %s%s%s on <%s>",
                            attr->ns != NULL ? (const char *) attr->ns->prefix : "",
                            attr->ns != NULL ? ":" : "", (const char *) attr->name,
                            NODE_NAME (node));
    }

  return TRUE;
}

/* An attribute's value, or NULL. Fails only when a required one is missing. */
static gboolean
get_attribute (Reader      *reader,
               xmlNode     *node,
               const char  *name,
               const char  *expected,
               char       **out,
               GError     **error)
{
  xmlChar *value = xmlGetNoNsProp (node, (const xmlChar *) name);

  *out = NULL;
  if (value == NULL)
    {
      if (expected == NULL)
        return TRUE;
      return reader_fail (reader, node, error, "<%s> has no %s attribute (use %s)",
                          NODE_NAME (node), name, expected);
    }

  *out = g_strdup ((const char *) value);
  xmlFree (value);
  return TRUE;
}

static gboolean
bad_value (Reader      *reader,
           xmlNode     *node,
           const char  *attribute,
           const char  *value,
           const char  *expected,
           GError     **error)
{
  g_autofree char *shown = hv_config_escape_for_display (value);

  return reader_fail (reader, node, error, "%s=\"%s\" on <%s> is not valid (use %s)",
                      attribute, shown, NODE_NAME (node), expected);
}

/* Reads a required enumerated attribute through one of the hv_*_from_string() functions. */
#define READ_ENUM(reader, node, attr, from_string, expected, out, error)                   \
  G_STMT_START {                                                                         \
    g_autofree char *value_ = NULL;                                                      \
    if (!get_attribute (reader, node, attr, expected, &value_, error))                   \
      return FALSE;                                                                      \
    if (!from_string (value_, out))                                                      \
      return bad_value (reader, node, attr, value_, expected, error);                    \
  } G_STMT_END

static char *
get_text (xmlNode *node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char *text = g_strdup (content != NULL ? (const char *) content : "");

  xmlFree (content);
  return text;
}

/* A whole number in decimal; the range itself is checked by hv_vm_config_validate(). */
static gboolean
read_number (Reader      *reader,
             xmlNode     *node,
             guint64      max,
             guint64      lowest,
             guint64      highest,
             const char  *unit,
             guint64     *out,
             GError     **error)
{
  g_autofree char *text = get_text (node);
  g_autofree char *shown = NULL;
  g_autofree char *range = g_strdup_printf ("%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT "%s",
                                            lowest, highest, unit);
  const char *p = g_strstrip (text);
  guint64 value = 0;
  gboolean negative = (*p == '-');

  if (negative)
    p++;
  if (*p == '\0')
    goto invalid;
  for (; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        goto invalid;
      if (value > (max - (guint64) (*p - '0')) / 10)
        goto out_of_range;
      value = value * 10 + (guint64) (*p - '0');
    }
  if (negative && value != 0)
    goto out_of_range;

  *out = value;
  return TRUE;

invalid:
  shown = hv_config_escape_for_display (text);
  return reader_fail (reader, node, error, "<%s> \"%s\" is not a whole number (use %s)",
                      NODE_NAME (node), shown, range);
out_of_range:
  shown = hv_config_escape_for_display (text);
  return reader_fail (reader, node, error, "%s %s is out of range (%s)",
                      NODE_NAME (node), shown, range);
}

typedef struct {
  const char *name;
  gboolean required;
} Slot;

/* Matches the element children of `parent` against `slots`, in order: each at most
 * once, required ones present, nothing else. found[i] gets slot i's element or NULL. */
static gboolean
match_children (Reader      *reader,
                xmlNode     *parent,
                const Slot  *slots,
                guint        n_slots,
                xmlNode    **found,
                GError     **error)
{
  int last = -1;

  if (!check_children (reader, parent, FALSE, error))
    return FALSE;

  memset (found, 0, n_slots * sizeof *found);
  for (xmlNode *child = xmlFirstElementChild (parent); child; child = xmlNextElementSibling (child))
    {
      int slot = -1;

      for (guint i = 0; i < n_slots && slot < 0; i++)
        if (g_str_equal (slots[i].name, NODE_NAME (child)))
          slot = (int) i;

      if (slot < 0)
        return reader_fail (reader, child, error, "unknown element <%s> in <%s>",
                            NODE_NAME (child), NODE_NAME (parent));
      if (found[slot] != NULL)
        return reader_fail (reader, child, error, "<%s> appears twice in <%s>",
                            NODE_NAME (child), NODE_NAME (parent));
      if (slot < last)
        return reader_fail (reader, child, error, "<%s> must come before <%s>",
                            NODE_NAME (child), slots[last].name);
      found[slot] = child;
      last = slot;
    }

  for (guint i = 0; i < n_slots; i++)
    if (slots[i].required && found[i] == NULL)
      return reader_fail (reader, parent, error, "<%s> has no <%s>",
                          NODE_NAME (parent), slots[i].name);

  return TRUE;
}

static gboolean
read_leaf (Reader             *reader,
           xmlNode            *node,
           const char * const *attributes,
           HvConfigField       field,
           GError            **error)
{
  if (field != HV_CONFIG_FIELD_NONE)
    reader->field_lines[field] = xmlGetLineNo (node);
  return check_children (reader, node, TRUE, error)
         && check_attributes (reader, node, attributes, error);
}

/* A leaf that must hold no text: <video/>, <boot/>, <drive/>… */
static gboolean
read_empty (Reader             *reader,
            xmlNode            *node,
            const char * const *attributes,
            HvConfigField       field,
            GError            **error)
{
  g_autofree char *text = NULL;

  if (!read_leaf (reader, node, attributes, field, error))
    return FALSE;
  text = get_text (node);
  if (!is_blank ((const xmlChar *) text))
    return reader_fail (reader, node, error, "<%s> must be empty", NODE_NAME (node));
  return TRUE;
}

static gboolean
read_text_element (Reader         *reader,
                   xmlNode        *node,
                   HvConfigField   field,
                   char          **out,
                   GError        **error)
{
  static const char * const none[] = { NULL };

  if (node == NULL)
    {
      g_free (*out);
      *out = g_strdup ("");
      return TRUE;
    }
  if (!read_leaf (reader, node, none, field, error))
    return FALSE;
  g_free (*out);
  *out = get_text (node);
  return TRUE;
}

/* One of <system>'s hardware elements (hv-config-hardware.c): empty, known attributes. */
static gboolean
read_hardware (Reader      *reader,
               xmlNode     *node,
               HvHardware  *hw,
               GError     **error)
{
  const char * const *attrs = hv_hardware_xml_attributes (NODE_NAME (node));

  if (attrs == NULL || !read_empty (reader, node, attrs, HV_CONFIG_FIELD_NONE, error))
    return attrs == NULL ? reader_fail (reader, node, error, "unknown element <%s>",
                                        NODE_NAME (node)) : FALSE;
  for (guint i = 0; attrs[i] != NULL; i++)
    {
      g_autofree char *value = NULL;
      const char *expected = NULL;

      if (!get_attribute (reader, node, attrs[i], NULL, &value, error))
        return FALSE;
      if (value != NULL && !hv_hardware_xml_set (hw, NODE_NAME (node), attrs[i], value,
                                                 &expected))
        return bad_value (reader, node, attrs[i], value, expected, error);
    }
  return TRUE;
}

static gboolean
read_system (Reader      *reader,
             xmlNode     *system,
             HvVmConfig  *config,
             GError     **error)
{
  static const Slot slots[] = {
    { "memory", TRUE }, { "cpus", TRUE }, { "video", TRUE }, { "boot", TRUE },
    { "acceleration", FALSE },
    /* hv-config-hardware.c */
    { "cpu", FALSE }, { "sound", FALSE }, { "chipset", FALSE }, { "speed-limit", FALSE },
    { "profile", FALSE },
  };
  static const char * const system_attrs[] = { "machine", "machine-type", "firmware", NULL };
  static const char * const memory_attrs[] = { "unit", NULL };
  static const char * const no_attrs[] = { NULL };
  static const char * const video_attrs[] = { "model", "vram", NULL };
  g_autofree char *vram = NULL;
  static const char * const boot_attrs[] = { "order", NULL };
  static const char * const acceleration_attrs[] = { "mode", NULL };
  xmlNode *found[G_N_ELEMENTS (slots)];
  g_autofree char *unit = NULL;
  guint64 cpus = 0;

  reader->field_lines[HV_CONFIG_FIELD_SYSTEM] = xmlGetLineNo (system);
  if (!check_attributes (reader, system, system_attrs, error)
      || !match_children (reader, system, slots, G_N_ELEMENTS (slots), found, error))
    return FALSE;
  READ_ENUM (reader, system, "machine", hv_machine_from_string, "pc, q35 or isapc",
             &config->machine, error);
  /* Configs written before pinning existed have none: not pinned. */
  g_clear_pointer (&config->machine_type, g_free);
  if (!get_attribute (reader, system, "machine-type", NULL, &config->machine_type, error))
    return FALSE;
  if (config->machine_type != NULL
      && !hv_machine_type_check (config->machine, config->machine_type, NULL))
    return bad_value (reader, system, "machine-type", config->machine_type,
                      config->machine == HV_MACHINE_ISAPC
                      ? "no machine-type: the isapc machine is never pinned"
                      : config->machine == HV_MACHINE_Q35
                      ? "pc-q35-X.Y for the q35 machine, e.g. pc-q35-7.2"
                      : "pc-i440fx-X.Y for the pc machine, e.g. pc-i440fx-7.2", error);
  READ_ENUM (reader, system, "firmware", hv_firmware_from_string, "bios or uefi",
             &config->firmware, error);

  if (!read_leaf (reader, found[0], memory_attrs, HV_CONFIG_FIELD_MEMORY, error)
      || !get_attribute (reader, found[0], "unit", NULL, &unit, error))
    return FALSE;
  if (unit != NULL && !g_str_equal (unit, "MiB"))
    return bad_value (reader, found[0], "unit", unit, "MiB", error);
  if (!read_number (reader, found[0], G_MAXUINT64, HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB, " MiB",
                    &config->memory_mib, error))
    return FALSE;

  if (!read_leaf (reader, found[1], no_attrs, HV_CONFIG_FIELD_CPUS, error)
      || !read_number (reader, found[1], G_MAXUINT, 1, HV_CPUS_MAX, "", &cpus, error))
    return FALSE;
  config->cpus = (guint) cpus;

  if (!read_empty (reader, found[2], video_attrs, HV_CONFIG_FIELD_VIDEO, error))
    return FALSE;
  READ_ENUM (reader, found[2], "model", hv_video_from_string, "std, cirrus, virtio or none",
             &config->video, error);
  if (!get_attribute (reader, found[2], "vram", NULL, &vram, error))
    return FALSE;
  if (vram != NULL)
    {
      const char *expected = NULL;

      if (!hv_hardware_xml_set (&config->hw, "video", "vram", vram, &expected))
        return bad_value (reader, found[2], "vram", vram, expected, error);
    }

  if (!read_empty (reader, found[3], boot_attrs, HV_CONFIG_FIELD_BOOT, error))
    return FALSE;
  g_clear_pointer (&config->boot_order, g_free);
  if (!get_attribute (reader, found[3], "order", "letters from c, d, a, n",
                      &config->boot_order, error))
    return FALSE;

  /* Configs written before the setting existed have none: auto. */
  config->acceleration = HV_ACCELERATION_AUTO;
  if (found[4] != NULL)
    {
      if (!read_empty (reader, found[4], acceleration_attrs, HV_CONFIG_FIELD_ACCELERATION, error))
        return FALSE;
      READ_ENUM (reader, found[4], "mode", hv_acceleration_from_string, "auto, kvm or tcg",
                 &config->acceleration, error);
    }

  /* Configs written before the hardware settings existed have none: their defaults. */
  for (guint i = 5; i < G_N_ELEMENTS (slots); i++)
    {
      if (found[i] != NULL && !read_hardware (reader, found[i], &config->hw, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_kernel (Reader      *reader,
             xmlNode     *kernel,
             HvVmConfig  *config,
             GError     **error)
{
  static const char * const attrs[] = { "path", "initrd", "cmdline", NULL };

  return read_empty (reader, kernel, attrs, HV_CONFIG_FIELD_KERNEL, error)
         && get_attribute (reader, kernel, "path", "an absolute path", &config->kernel, error)
         && get_attribute (reader, kernel, "initrd", NULL, &config->initrd, error)
         && get_attribute (reader, kernel, "cmdline", NULL, &config->cmdline, error);
}

static gboolean
read_boolean (Reader      *reader,
              xmlNode     *node,
              const char  *name,
              gboolean    *inout,
              GError     **error)
{
  g_autofree char *value = NULL;

  if (!get_attribute (reader, node, name, NULL, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (g_str_equal (value, "true"))
    *inout = TRUE;
  else if (g_str_equal (value, "false"))
    *inout = FALSE;
  else
    return bad_value (reader, node, name, value, "true or false", error);
  return TRUE;
}

static gboolean
read_drive (Reader      *reader,
            xmlNode     *node,
            HvVmConfig  *config,
            GError     **error)
{
  static const char * const attrs[] = { "type", "bus", "format", "path", "readonly", "backing",
                                        NULL };
  g_autoptr(HvDrive) drive = g_new0 (HvDrive, 1);
  long line = xmlGetLineNo (node);

  g_array_append_val (reader->drive_lines, line);
  if (!read_empty (reader, node, attrs, HV_CONFIG_FIELD_NONE, error))
    return FALSE;
  READ_ENUM (reader, node, "type", hv_drive_kind_from_string, "disk, cdrom or floppy",
             &drive->kind, error);
  READ_ENUM (reader, node, "bus", hv_drive_bus_from_string, "ide, sata, virtio or fdc",
             &drive->bus, error);
  READ_ENUM (reader, node, "format", hv_disk_format_from_string, "raw or qcow2",
             &drive->format, error);
  drive->readonly = (drive->kind == HV_DRIVE_CDROM);
  if (!get_attribute (reader, node, "path", NULL, &drive->path, error)
      || !read_boolean (reader, node, "readonly", &drive->readonly, error)
      || !get_attribute (reader, node, "backing", NULL, &drive->backing, error))
    return FALSE;

  g_ptr_array_add (config->drives, g_steal_pointer (&drive));
  return TRUE;
}

static gboolean
read_port (Reader      *reader,
           xmlNode     *node,
           const char  *name,
           guint16     *out,
           GError     **error)
{
  g_autofree char *value = NULL;
  guint64 port = 0;

  if (!get_attribute (reader, node, name, "a port number from 1 to 65535", &value, error))
    return FALSE;
  if (!g_ascii_string_to_unsigned (value, 10, 1, 65535, &port, NULL))
    return bad_value (reader, node, name, value, "a port number from 1 to 65535", error);
  *out = (guint16) port;
  return TRUE;
}

/* <forward name= protocol= host-address= host-port= guest-address= guest-port=/> */
static gboolean
read_forward (Reader      *reader,
              xmlNode     *node,
              HvNic       *nic,
              GError     **error)
{
  static const char * const attrs[] = { "name", "protocol", "host-address", "host-port",
                                        "guest-address", "guest-port", NULL };
  g_autoptr(HvPortForward) rule = hv_port_forward_new (NULL, FALSE, NULL, 0, NULL, 0);
  g_autofree char *protocol = NULL;
  g_autofree char *host_address = NULL;
  g_autofree char *guest_address = NULL;

  if (!read_empty (reader, node, attrs, HV_CONFIG_FIELD_NONE, error)
      || !get_attribute (reader, node, "name", "a rule name like ssh", &rule->name, error)
      || !get_attribute (reader, node, "protocol", NULL, &protocol, error)
      || !get_attribute (reader, node, "host-address", NULL, &host_address, error)
      || !read_port (reader, node, "host-port", &rule->host_port, error)
      || !get_attribute (reader, node, "guest-address", NULL, &guest_address, error)
      || !read_port (reader, node, "guest-port", &rule->guest_port, error))
    return FALSE;
  if (protocol != NULL && !g_str_equal (protocol, "tcp") && !g_str_equal (protocol, "udp"))
    return bad_value (reader, node, "protocol", protocol, "tcp or udp", error);
  rule->udp = protocol != NULL && g_str_equal (protocol, "udp");
  if (host_address != NULL)
    hv_set_str (&rule->host_address, host_address);
  if (guest_address != NULL)
    hv_set_str (&rule->guest_address, guest_address);
  g_ptr_array_add (nic->forwards, g_steal_pointer (&rule));
  return TRUE;
}

static gboolean
read_adapter (Reader      *reader,
              xmlNode     *node,
              HvVmConfig  *config,
              GError     **error)
{
  static const char * const attrs[] = { "mode", "model", "mac", "enabled", "target", "cable",
                                        NULL };
  g_autoptr(HvNic) nic = hv_nic_new (HV_NET_NAT, NULL, NULL);
  long line = xmlGetLineNo (node);

  g_array_append_val (reader->nic_lines, line);
  /* Adapters written before port forwards existed are empty elements. */
  if (!check_children (reader, node, FALSE, error)
      || !check_attributes (reader, node, attrs, error))
    return FALSE;
  READ_ENUM (reader, node, "mode", hv_net_mode_from_string,
             "nat, bridged, host-only, internal or none", &nic->mode, error);
  if (!get_attribute (reader, node, "model", "virtio-net, e1000, e1000e, rtl8139, pcnet, "
                      "ne2k_pci or ne2k_isa", &nic->model, error)
      || !get_attribute (reader, node, "mac", "six hex pairs like 52:54:00:12:34:56",
                         &nic->mac, error)
      || !read_boolean (reader, node, "enabled", &nic->enabled, error)
      || !get_attribute (reader, node, "target", NULL, &nic->target, error)
      || !read_boolean (reader, node, "cable", &nic->cable, error))
    return FALSE;

  for (xmlNode *child = xmlFirstElementChild (node); child; child = xmlNextElementSibling (child))
    {
      if (!g_str_equal (NODE_NAME (child), "forward"))
        return reader_fail (reader, child, error, "unknown element <%s> in <adapter> "
                            "(only <forward>)", NODE_NAME (child));
      if (!read_forward (reader, child, nic, error))
        return FALSE;
    }

  g_ptr_array_add (config->nics, g_steal_pointer (&nic));
  return TRUE;
}

static gboolean
read_share (Reader      *reader,
            xmlNode     *node,
            HvVmConfig  *config,
            GError     **error)
{
  static const char * const attrs[] = { "name", "path", "readonly", "automount", NULL };
  g_autoptr(HvShare) share = hv_share_new (NULL, NULL, FALSE);
  long line = xmlGetLineNo (node);

  g_array_append_val (reader->share_lines, line);
  if (!read_empty (reader, node, attrs, HV_CONFIG_FIELD_NONE, error)
      || !get_attribute (reader, node, "name", "a folder name like Documents", &share->name,
                         error)
      || !get_attribute (reader, node, "path", "the absolute path of a host folder",
                         &share->path, error)
      || !read_boolean (reader, node, "readonly", &share->readonly, error)
      || !read_boolean (reader, node, "automount", &share->automount, error))
    return FALSE;

  g_ptr_array_add (config->shares, g_steal_pointer (&share));
  return TRUE;
}

/* <storage>, <network> and <shares>: a list of one kind of element, with the attributes
 * `list_attrs` (NULL: none) that the caller reads. */
static gboolean
read_list (Reader             *reader,
           xmlNode            *list,
           HvConfigField       field,
           const char * const *list_attrs,
           const char         *item_name,
           gboolean          (*read_item) (Reader *, xmlNode *, HvVmConfig *, GError **),
           HvVmConfig         *config,
           GError            **error)
{
  static const char * const none[] = { NULL };

  if (list == NULL)
    return TRUE;

  reader->field_lines[field] = xmlGetLineNo (list);
  if (!check_attributes (reader, list, list_attrs != NULL ? list_attrs : none, error)
      || !check_children (reader, list, FALSE, error))
    return FALSE;

  for (xmlNode *child = xmlFirstElementChild (list); child; child = xmlNextElementSibling (child))
    {
      if (!g_str_equal (NODE_NAME (child), item_name))
        return reader_fail (reader, child, error, "unknown element <%s> in <%s> (only <%s>)",
                            NODE_NAME (child), NODE_NAME (list), item_name);
      if (!read_item (reader, child, config, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
read_guest (Reader      *reader,
            xmlNode     *guest,
            HvVmConfig  *config,
            GError     **error)
{
  static const Slot slots[] = { { "clipboard", FALSE }, { "shares", FALSE } };
  static const char * const no_attrs[] = { NULL };
  static const char * const clipboard_attrs[] = { "mode", NULL };
  static const char * const shares_attrs[] = { "transport", NULL };
  xmlNode *found[G_N_ELEMENTS (slots)];

  reader->field_lines[HV_CONFIG_FIELD_GUEST] = xmlGetLineNo (guest);
  if (!check_attributes (reader, guest, no_attrs, error)
      || !match_children (reader, guest, slots, G_N_ELEMENTS (slots), found, error))
    return FALSE;

  if (found[0] != NULL)
    {
      if (!read_empty (reader, found[0], clipboard_attrs, HV_CONFIG_FIELD_CLIPBOARD, error))
        return FALSE;
      READ_ENUM (reader, found[0], "mode", hv_clipboard_mode_from_string,
                 "off, host-to-guest, guest-to-host or both", &config->clipboard_mode, error);
    }

  if (found[1] != NULL)
    {
      g_autofree char *transport = NULL;

      if (!get_attribute (reader, found[1], "transport", NULL, &transport, error))
        return FALSE;
      if (transport != NULL && !hv_share_transport_from_string (transport,
                                                                &config->share_transport))
        return bad_value (reader, found[1], "transport", transport, "auto, 9p or virtiofs",
                          error);
    }
  return read_list (reader, found[1], HV_CONFIG_FIELD_SHARES, shares_attrs, "share", read_share,
                    config, error);
}

static HvVmConfig *
read_config (Reader      *reader,
             xmlDoc      *doc,
             GError     **error)
{
  enum { UUID, NAME, FOLDER, OS, DESCRIPTION, SYSTEM, KERNEL, STORAGE, NETWORK, GUEST };
  static const Slot slots[] = {
    [UUID] = { "uuid", TRUE },
    [NAME] = { "name", TRUE },
    [FOLDER] = { "folder", FALSE },
    [OS] = { "os", FALSE },
    [DESCRIPTION] = { "description", FALSE },
    [SYSTEM] = { "system", TRUE },
    [KERNEL] = { "kernel", FALSE },
    [STORAGE] = { "storage", FALSE },
    [NETWORK] = { "network", FALSE },
    [GUEST] = { "guest", FALSE },
  };
  static const char * const root_attrs[] = { "version", NULL };
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("");
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *found[G_N_ELEMENTS (slots)];
  g_autofree char *version = NULL;

  if (root == NULL || !g_str_equal (NODE_NAME (root), "hostvisor-vm"))
    {
      reader_fail (reader, root, error,
                   "not a Hostvisor VM config: the root element is <%s>, not <hostvisor-vm>",
                   root != NULL ? NODE_NAME (root) : "");
      return NULL;
    }
  if (root->ns != NULL)
    {
      reader_fail (reader, root, error, "<hostvisor-vm> must not be in an XML namespace");
      return NULL;
    }

  if (!check_attributes (reader, root, root_attrs, error)
      || !get_attribute (reader, root, "version", "version=\"1\"", &version, error))
    return NULL;
  if (!g_str_equal (version, "1"))
    {
      g_autofree char *shown = hv_config_escape_for_display (version);

      reader_fail (reader, root, error,
                   "unsupported config version \"%s\" (this Hostvisor reads version 1)", shown);
      return NULL;
    }

  if (!match_children (reader, root, slots, G_N_ELEMENTS (slots), found, error))
    return NULL;

  /* The defaults of hv_vm_config_new() that the file must state or leave empty. */
  g_ptr_array_set_size (config->nics, 0);

  if (!read_text_element (reader, found[UUID], HV_CONFIG_FIELD_UUID, &config->uuid, error)
      || !read_text_element (reader, found[NAME], HV_CONFIG_FIELD_NAME, &config->name, error)
      || !read_text_element (reader, found[FOLDER], HV_CONFIG_FIELD_FOLDER, &config->folder,
                             error)
      || !read_text_element (reader, found[OS], HV_CONFIG_FIELD_OS, &config->os_id, error)
      || !read_text_element (reader, found[DESCRIPTION], HV_CONFIG_FIELD_DESCRIPTION,
                             &config->description, error)
      || !read_system (reader, found[SYSTEM], config, error)
      || (found[KERNEL] != NULL && !read_kernel (reader, found[KERNEL], config, error))
      || !read_list (reader, found[STORAGE], HV_CONFIG_FIELD_STORAGE, NULL, "drive", read_drive,
                     config, error)
      || !read_list (reader, found[NETWORK], HV_CONFIG_FIELD_NETWORK, NULL, "adapter",
                     read_adapter, config, error)
      || (found[GUEST] != NULL && !read_guest (reader, found[GUEST], config, error)))
    return NULL;

  return g_steal_pointer (&config);
}

/* The line to blame for a semantic error. */
static long
reader_line_for (Reader                 *reader,
                 const HvConfigLocation *where)
{
  long line = 0;

  if (where->field == HV_CONFIG_FIELD_DRIVE)
    line = where->index < reader->drive_lines->len
           ? g_array_index (reader->drive_lines, long, where->index)
           : reader->field_lines[HV_CONFIG_FIELD_STORAGE];
  else if (where->field == HV_CONFIG_FIELD_NIC)
    line = where->index < reader->nic_lines->len
           ? g_array_index (reader->nic_lines, long, where->index)
           : reader->field_lines[HV_CONFIG_FIELD_NETWORK];
  else if (where->field == HV_CONFIG_FIELD_SHARE)
    line = where->index < reader->share_lines->len
           ? g_array_index (reader->share_lines, long, where->index)
           : reader->field_lines[HV_CONFIG_FIELD_SHARES];
  else
    line = reader->field_lines[where->field];

  return line > 0 ? line : reader->field_lines[HV_CONFIG_FIELD_NONE];
}

HvVmConfig *
hv_vm_config_from_xml (const char  *data,
                       gsize        len,
                       const char  *filename,
                       GError     **error)
{
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) local_error = NULL;
  HvConfigLocation where;
  Reader reader = { 0 };
  xmlDoc *doc;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (filename == NULL)
    filename = "(config)";

  if ((doc = hv_xml_parse (data != NULL ? data : "", len, filename, error)) == NULL)
    return NULL;

  reader.filename = filename;
  reader.drive_lines = g_array_new (FALSE, FALSE, sizeof (long));
  reader.nic_lines = g_array_new (FALSE, FALSE, sizeof (long));
  reader.share_lines = g_array_new (FALSE, FALSE, sizeof (long));
  reader.field_lines[HV_CONFIG_FIELD_NONE] = xmlDocGetRootElement (doc) != NULL
                                             ? xmlGetLineNo (xmlDocGetRootElement (doc)) : 0;

  config = read_config (&reader, doc, error);
  if (config != NULL && !hv_vm_config_validate_at (config, &where, &local_error))
    {
      hv_xml_set_error (error, filename, reader_line_for (&reader, &where), "%s",
                        local_error->message);
      g_clear_pointer (&config, hv_vm_config_free);
    }
  if (config != NULL && !hv_xml_validate_vm_schema (doc, filename, error))
    g_clear_pointer (&config, hv_vm_config_free);

  g_array_unref (reader.drive_lines);
  g_array_unref (reader.nic_lines);
  g_array_unref (reader.share_lines);
  xmlFreeDoc (doc);
  return g_steal_pointer (&config);
}

HvVmConfig *
hv_vm_config_load (const char  *path,
                   GError     **error)
{
  g_autofree char *data = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean too_large = FALSE;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Never through a link, neither vm.xml nor the VM's directory: a link in the library
   * could make the engine read (and show) any file the user can read. */
  if (!hv_file_read_capped_full (path, HV_CONFIG_MAX_SIZE,
                                 HV_FILE_READ_NOFOLLOW | HV_FILE_READ_NOFOLLOW_DIR, &data, &len,
                                 &too_large, &reason, &local_error))
    {
      /* A huge vm.xml is a broken config, not a disk problem. */
      if (too_large)
        hv_xml_set_error (error, path, 0, "the file is too large (the limit is %d bytes)",
                          HV_CONFIG_MAX_SIZE);
      else
        hv_file_set_error (error, local_error->code, path, "%s", reason);
      return NULL;
    }

  return hv_vm_config_from_xml (data, len, path, error);
}

/* Writing */

static void
append_escaped (GString    *out,
                const char *text,
                gboolean    attribute)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        /* A parser turns a raw CR into LF, and raw white space in attributes into spaces. */
        case '\r': g_string_append (out, "&#13;"); break;
        case '"': g_string_append (out, attribute ? "&quot;" : "\""); break;
        case '\n': g_string_append (out, attribute ? "&#10;" : "\n"); break;
        case '\t': g_string_append (out, attribute ? "&#9;" : "\t"); break;
        default: g_string_append_c (out, *p);
        }
    }
}

static void
append_attribute (GString    *out,
                  const char *name,
                  const char *value)
{
  if (value == NULL)
    return;
  g_string_append_printf (out, " %s=\"", name);
  append_escaped (out, value, TRUE);
  g_string_append_c (out, '"');
}

static void
append_text_element (GString    *out,
                     const char *name,
                     const char *value,
                     gboolean    optional)
{
  if (optional && (value == NULL || *value == '\0'))
    return;
  g_string_append_printf (out, "  <%s>", name);
  append_escaped (out, value != NULL ? value : "", FALSE);
  g_string_append_printf (out, "</%s>\n", name);
}

static char *
serialize (const HvVmConfig *config)
{
  GString *out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<hostvisor-vm version=\"1\">\n");
  guint n_drives = config->drives != NULL ? config->drives->len : 0;
  guint n_nics = config->nics != NULL ? config->nics->len : 0;
  guint n_shares = config->shares != NULL ? config->shares->len : 0;

  append_text_element (out, "uuid", config->uuid, FALSE);
  append_text_element (out, "name", config->name, FALSE);
  append_text_element (out, "folder", config->folder, TRUE);
  append_text_element (out, "os", config->os_id, TRUE);
  append_text_element (out, "description", config->description, TRUE);

  g_string_append (out, "  <system");
  append_attribute (out, "machine", hv_machine_to_string (config->machine));
  /* Left out when not pinned, so configs written before pinning keep their bytes. */
  if (config->machine_type != NULL)
    append_attribute (out, "machine-type", config->machine_type);
  append_attribute (out, "firmware", hv_firmware_to_string (config->firmware));
  g_string_append_printf (out, ">\n"
                          "    <memory unit=\"MiB\">%" G_GUINT64_FORMAT "</memory>\n"
                          "    <cpus>%u</cpus>\n",
                          config->memory_mib, config->cpus);
  g_string_append (out, "    <video");
  append_attribute (out, "model", hv_video_to_string (config->video));
  if (config->hw.vram_mib != 0)
    g_string_append_printf (out, " vram=\"%u\"", config->hw.vram_mib);
  g_string_append (out, "/>\n    <boot");
  append_attribute (out, "order", config->boot_order);
  g_string_append (out, "/>\n");
  /* Left out at its default, so configs written before the setting keep their bytes. */
  if (config->acceleration != HV_ACCELERATION_AUTO)
    {
      g_string_append (out, "    <acceleration");
      append_attribute (out, "mode", hv_acceleration_to_string (config->acceleration));
      g_string_append (out, "/>\n");
    }
  hv_hardware_xml_append (out, &config->hw);
  g_string_append (out, "  </system>\n");

  if (config->kernel != NULL)
    {
      g_string_append (out, "  <kernel");
      append_attribute (out, "path", config->kernel);
      append_attribute (out, "initrd", config->initrd);
      append_attribute (out, "cmdline", config->cmdline);
      g_string_append (out, "/>\n");
    }

  g_string_append (out, n_drives > 0 ? "  <storage>\n" : "  <storage/>\n");
  for (guint i = 0; i < n_drives; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);

      g_string_append (out, "    <drive");
      append_attribute (out, "type", hv_drive_kind_to_string (drive->kind));
      append_attribute (out, "bus", hv_drive_bus_to_string (drive->bus));
      append_attribute (out, "format", hv_disk_format_to_string (drive->format));
      append_attribute (out, "path", drive->path);
      append_attribute (out, "readonly", drive->readonly ? "true" : "false");
      append_attribute (out, "backing", drive->backing);
      g_string_append (out, "/>\n");
    }
  if (n_drives > 0)
    g_string_append (out, "  </storage>\n");

  g_string_append (out, n_nics > 0 ? "  <network>\n" : "  <network/>\n");
  for (guint i = 0; i < n_nics; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);

      g_string_append (out, "    <adapter");
      append_attribute (out, "mode", hv_net_mode_to_string (nic->mode));
      append_attribute (out, "model", nic->model);
      append_attribute (out, "mac", nic->mac);
      /* Left out at their defaults, so older configs keep their bytes. */
      if (!nic->enabled)
        append_attribute (out, "enabled", "false");
      if (nic->target != NULL && nic->target[0] != '\0')
        append_attribute (out, "target", nic->target);
      if (!nic->cable)
        append_attribute (out, "cable", "false");
      if (nic->forwards == NULL || nic->forwards->len == 0)
        {
          g_string_append (out, "/>\n");
          continue;
        }
      g_string_append (out, ">\n");
      for (guint r = 0; r < nic->forwards->len; r++)
        {
          const HvPortForward *rule = g_ptr_array_index (nic->forwards, r);
          g_autofree char *host_port = g_strdup_printf ("%u", rule->host_port);
          g_autofree char *guest_port = g_strdup_printf ("%u", rule->guest_port);

          g_string_append (out, "      <forward");
          append_attribute (out, "name", rule->name);
          append_attribute (out, "protocol", rule->udp ? "udp" : "tcp");
          append_attribute (out, "host-address", rule->host_address);
          append_attribute (out, "host-port", host_port);
          append_attribute (out, "guest-address", rule->guest_address);
          append_attribute (out, "guest-port", guest_port);
          g_string_append (out, "/>\n");
        }
      g_string_append (out, "    </adapter>\n");
    }
  if (n_nics > 0)
    g_string_append (out, "  </network>\n");

  /* Left out entirely at its defaults, so configs written before shared folders,
   * clipboard modes and share transports existed keep their exact bytes. */
  if (config->clipboard_mode != HV_CLIPBOARD_OFF || n_shares > 0 ||
      config->share_transport != HV_SHARE_TRANSPORT_AUTO)
    {
      g_string_append (out, "  <guest>\n    <clipboard");
      append_attribute (out, "mode", hv_clipboard_mode_to_string (config->clipboard_mode));
      g_string_append (out, "/>\n");
      if (n_shares > 0 || config->share_transport != HV_SHARE_TRANSPORT_AUTO)
        {
          g_string_append (out, "    <shares");
          if (config->share_transport != HV_SHARE_TRANSPORT_AUTO)
            append_attribute (out, "transport",
                              hv_share_transport_to_string (config->share_transport));
          g_string_append (out, n_shares > 0 ? ">\n" : "/>\n");
        }
      for (guint i = 0; i < n_shares; i++)
        {
          const HvShare *share = g_ptr_array_index (config->shares, i);

          g_string_append (out, "      <share");
          append_attribute (out, "name", share->name);
          append_attribute (out, "path", share->path);
          append_attribute (out, "readonly", share->readonly ? "true" : "false");
          append_attribute (out, "automount", share->automount ? "true" : "false");
          g_string_append (out, "/>\n");
        }
      if (n_shares > 0)
        g_string_append (out, "    </shares>\n");
      g_string_append (out, "  </guest>\n");
    }

  g_string_append (out, "</hostvisor-vm>\n");
  return g_string_free (out, FALSE);
}

char *
hv_vm_config_to_xml (const HvVmConfig  *config,
                     GError           **error)
{
  g_autofree char *xml = NULL;
  g_autoptr(HvVmConfig) check = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!hv_vm_config_validate (config, error))
    return NULL;

  xml = serialize (config);
  len = strlen (xml);
  if (len > HV_CONFIG_MAX_SIZE)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "the config would be %" G_GSIZE_FORMAT " bytes, more than the limit of %d "
                   "(shorten the description)", len, HV_CONFIG_MAX_SIZE);
      return NULL;
    }

  /* Read it back through every gate, the schema included: never write a file that
   * the next load would refuse. */
  check = hv_vm_config_from_xml (xml, len, "(generated config)", &local_error);
  if (check == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                   "Internal error: the generated config does not read back: %s",
                   local_error->message);
      return NULL;
    }

  return g_steal_pointer (&xml);
}

gboolean
hv_vm_config_save (const HvVmConfig  *config,
                   const char        *path,
                   GError           **error)
{
  g_autofree char *xml = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((xml = hv_vm_config_to_xml (config, error)) == NULL)
    return FALSE;

  return hv_file_replace_contents (path, xml, strlen (xml), CONFIG_FILE_MODE, TRUE, error);
}
