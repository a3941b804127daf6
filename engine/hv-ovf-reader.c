/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-ovf-reader.c: OVF descriptors (see hv-ovf-reader.h).
 *
 * Elements are matched by their local name: OVF 2.0 puts a device's properties in rasd:,
 * epasd: or sasd: namespaces, and writers differ in prefixes; the envelope's namespace
 * decides the version. Attributes are read in the envelope's namespace first, then without
 * one. */
#include "hv-ovf-reader.h"

#include <libxml/tree.h>
#include <string.h>

#include "hv-appliance-tar.h"
#include "hv-error.h"
#include "hv-ovf-os.h"
#include "hv-xml-private.h"

#define OVF1_NS "http://schemas.dmtf.org/ovf/envelope/1"
#define OVF2_NS "http://schemas.dmtf.org/ovf/envelope/2"
#define VBOX_NS "http://www.virtualbox.org/ovf/machine"

typedef struct {
  HvOvf *ovf;
  const char *ns;            /* the envelope's */
  const char *shown;
  GHashTable *controllers;   /* InstanceID → HvDriveBus + 1 */
  GHashTable *disks_by_id;   /* diskId → HvOvfDisk* (owned by the table until placed) */
  GPtrArray *placed;         /* the disks in hardware order */
  GPtrArray *all;            /* every disk, owned until it goes to ovf->disks */
} Reader;

static void
file_free (HvOvfFile *f)
{
  g_free (f->id);
  g_free (f->href);
  g_free (f);
}

static void
disk_free (HvOvfDisk *d)
{
  g_free (d->disk_id);
  g_free (d->href);
  g_free (d->format);
  g_free (d->bus_name);
  g_free (d);
}

static void
media_free (HvOvfMedia *m)
{
  g_free (m->href);
  g_free (m);
}

static void
nic_free (HvOvfNic *n)
{
  g_free (n->model);
  g_free (n->network);
  g_free (n);
}

void
hv_ovf_free (HvOvf *ovf)
{
  if (ovf == NULL)
    return;
  g_free (ovf->name);
  g_free (ovf->os_id);
  g_free (ovf->os_source);
  g_free (ovf->folder);
  g_free (ovf->sound);
  g_free (ovf->annotation);
  g_ptr_array_unref (ovf->files);
  g_ptr_array_unref (ovf->disks);
  g_ptr_array_unref (ovf->media);
  g_ptr_array_unref (ovf->nics);
  g_ptr_array_unref (ovf->warnings);
  g_free (ovf);
}

HvOvfFile *
hv_ovf_find_file (HvOvf      *ovf,
                  const char *href)
{
  for (guint i = 0; i < ovf->files->len; i++)
    {
      HvOvfFile *f = g_ptr_array_index (ovf->files, i);

      if (g_str_equal (f->href, href))
        return f;
    }
  return NULL;
}

static HvOvfFile *
find_file_by_id (HvOvf      *ovf,
                 const char *id)
{
  for (guint i = 0; i < ovf->files->len; i++)
    {
      HvOvfFile *f = g_ptr_array_index (ovf->files, i);

      if (g_str_equal (f->id, id))
        return f;
    }
  return NULL;
}

static void warn (Reader *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
warn (Reader     *r,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (r->ovf->warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

/* ----------------------------------------------------------------------------
 * XML helpers
 */

static gboolean
is_elem (xmlNode    *node,
         const char *local)
{
  return node != NULL && node->type == XML_ELEMENT_NODE
         && strcmp ((const char *) node->name, local) == 0;
}

static xmlNode *
child (xmlNode    *parent,
       const char *local)
{
  for (xmlNode *c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
    if (is_elem (c, local))
      return c;
  return NULL;
}

/* The first element named @local below @parent, at any depth. */
static xmlNode *
descendant (xmlNode    *parent,
            const char *local)
{
  for (xmlNode *c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
    {
      xmlNode *found;

      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (is_elem (c, local))
        return c;
      if ((found = descendant (c, local)) != NULL)
        return found;
    }
  return NULL;
}

static char *
text_of (xmlNode *node)
{
  xmlChar *content;
  char *out;

  if (node == NULL)
    return NULL;
  content = xmlNodeGetContent (node);
  out = g_strstrip (g_strdup (content != NULL ? (const char *) content : ""));
  xmlFree (content);
  return out;
}

static char *
child_text (xmlNode    *parent,
            const char *local)
{
  return text_of (child (parent, local));
}

/* An attribute in the envelope's namespace, else without one. */
static char *
attr (Reader     *r,
      xmlNode    *node,
      const char *name)
{
  xmlChar *value = xmlGetNsProp (node, (const xmlChar *) name, (const xmlChar *) r->ns);
  char *out;

  if (value == NULL)
    value = xmlGetNoNsProp (node, (const xmlChar *) name);
  if (value == NULL)
    return NULL;
  out = g_strstrip (g_strdup ((const char *) value));
  xmlFree (value);
  return out;
}

/* An attribute by its local name, in any namespace (VMware's vmw:key, vmw:value). */
static char *
attr_any (xmlNode    *node,
          const char *name)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    if (strcmp ((const char *) a->name, name) == 0)
      {
        xmlChar *value = xmlNodeGetContent ((xmlNode *) a);
        char *out = g_strstrip (g_strdup (value != NULL ? (const char *) value : ""));

        xmlFree (value);
        return out;
      }
  return NULL;
}

static gboolean
parse_u64 (const char *text,
           guint64    *out)
{
  return text != NULL && text[0] != '\0'
         && g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out, NULL);
}

/* ----------------------------------------------------------------------------
 * Units
 */

guint64
hv_ovf_parse_units (const char *units)
{
  static const struct { const char *name; guint shift; } named[] = {
    { "bytes", 0 }, { "byte", 0 }, { "kilobytes", 10 }, { "kb", 10 }, { "kib", 10 },
    { "megabytes", 20 }, { "mb", 20 }, { "mib", 20 }, { "gigabytes", 30 }, { "gb", 30 },
    { "gib", 30 }, { "terabytes", 40 }, { "tb", 40 }, { "tib", 40 },
  };
  g_autofree char *s = NULL;
  g_autofree char *compact = NULL;
  guint64 mult = 1;
  char *p;

  if (units == NULL)
    return 0;
  s = g_ascii_strdown (units, -1);
  compact = g_new0 (char, strlen (s) + 1);
  p = compact;
  for (const char *q = s; *q != '\0'; q++)
    if (!g_ascii_isspace (*q))
      *p++ = *q;
  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    if (g_str_equal (compact, named[i].name))
      return G_GUINT64_CONSTANT (1) << named[i].shift;
  /* "byte * 2^20", "byte * 10^6", "byte * 1024" */
  if (!g_str_has_prefix (compact, "byte*"))
    return 0;
  p = compact + 5;
  if (strchr (p, '^') != NULL)
    {
      guint64 base, exp;
      g_auto(GStrv) parts = g_strsplit (p, "^", 2);

      if (!parse_u64 (parts[0], &base) || !parse_u64 (parts[1], &exp) || (base != 2 && base != 10)
          || exp > 50)
        return 0;
      for (guint64 i = 0; i < exp; i++)
        mult *= base;
      return mult;
    }
  return parse_u64 (p, &mult) && mult > 0 && mult <= (G_GUINT64_CONSTANT (1) << 50) ? mult : 0;
}

/* ----------------------------------------------------------------------------
 * Sections
 */

static gboolean
read_references (Reader  *r,
                 xmlNode *envelope,
                 GError **error)
{
  xmlNode *refs = child (envelope, "References");

  for (xmlNode *f = refs != NULL ? refs->children : NULL; f != NULL; f = f->next)
    {
      g_autofree char *id = NULL;
      g_autofree char *href = NULL;
      g_autofree char *size = NULL;
      g_autofree char *compression = NULL;
      g_autofree char *chunk = NULL;
      g_autofree char *shown = NULL;
      HvOvfFile *file;

      if (!is_elem (f, "File"))
        continue;
      id = attr (r, f, "id");
      href = attr (r, f, "href");
      if (id == NULL || href == NULL)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: a File of the References section has no id or href", r->shown);
          return FALSE;
        }
      shown = hv_config_escape_for_display (href);
      if (!hv_tar_name_is_safe (href))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s names the file \"%s\": only plain file names beside the descriptor "
                       "are accepted (no directories, no \"..\", no URLs): refused", r->shown,
                       shown);
          return FALSE;
        }
      compression = attr (r, f, "compression");
      chunk = attr (r, f, "chunkSize");
      if ((compression != NULL && compression[0] != '\0' && !g_str_equal (compression, "identity"))
          || chunk != NULL)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the file \"%s\" is stored %s, which Hostvisor does not read",
                       r->shown, shown, chunk != NULL ? "in chunks" : "compressed");
          return FALSE;
        }
      if (find_file_by_id (r->ovf, id) != NULL || hv_ovf_find_file (r->ovf, href) != NULL)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the file \"%s\" is listed twice", r->shown, shown);
          return FALSE;
        }
      file = g_new0 (HvOvfFile, 1);
      file->id = g_steal_pointer (&id);
      file->href = g_steal_pointer (&href);
      size = attr (r, f, "size");
      file->has_size = parse_u64 (size, &file->size);
      g_ptr_array_add (r->ovf->files, file);
    }
  return TRUE;
}

static const char *
format_from_uri (const char *uri)
{
  g_autofree char *lower = g_ascii_strdown (uri, -1);

  if (strstr (lower, "vmdk") != NULL)
    return "vmdk";
  if (strstr (lower, "vdi") != NULL)
    return "vdi";
  if (strstr (lower, "vhdx") != NULL)
    return "vhdx";
  if (strstr (lower, "vhd") != NULL)
    return "vpc";
  if (strstr (lower, "qcow") != NULL)
    return "qcow2";
  if (strstr (lower, "raw") != NULL)
    return "raw";
  return NULL;
}

static gboolean
read_disks (Reader  *r,
            xmlNode *envelope,
            GError **error)
{
  xmlNode *section = child (envelope, "DiskSection");

  for (xmlNode *d = section != NULL ? section->children : NULL; d != NULL; d = d->next)
    {
      g_autofree char *id = NULL;
      g_autofree char *file_ref = NULL;
      g_autofree char *capacity = NULL;
      g_autofree char *units = NULL;
      g_autofree char *format = NULL;
      g_autofree char *shown = NULL;
      const char *driver;
      guint64 value, mult;
      HvOvfDisk *disk;

      if (!is_elem (d, "Disk"))
        continue;
      id = attr (r, d, "diskId");
      if (id == NULL || id[0] == '\0' || g_hash_table_contains (r->disks_by_id, id))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: a Disk has no diskId, or one that another has", r->shown);
          return FALSE;
        }
      shown = hv_config_escape_for_display (id);
      capacity = attr (r, d, "capacity");
      units = attr (r, d, "capacityAllocationUnits");
      mult = units != NULL ? hv_ovf_parse_units (units) : 1;
      if (!parse_u64 (capacity, &value) || mult == 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" has no capacity that Hostvisor can read", r->shown,
                       shown);
          return FALSE;
        }
      if (value > HV_OVF_MAX_CAPACITY / mult || value * mult == 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" declares a capacity of %s × %" G_GUINT64_FORMAT
                       " bytes: it must be more than 0 and at most 64 TiB", r->shown, shown,
                       capacity, mult);
          return FALSE;
        }
      disk = g_new0 (HvOvfDisk, 1);
      disk->disk_id = g_steal_pointer (&id);
      disk->capacity = value * mult;
      disk->bus = HV_DRIVE_BUS_SATA;
      g_hash_table_insert (r->disks_by_id, disk->disk_id, disk);
      g_ptr_array_add (r->all, disk);

      file_ref = attr (r, d, "fileRef");
      if (file_ref != NULL && file_ref[0] != '\0')
        {
          HvOvfFile *file = find_file_by_id (r->ovf, file_ref);

          if (file == NULL)
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "%s: the disk \"%s\" names a file that the References section does "
                           "not list", r->shown, shown);
              return FALSE;
            }
          format = attr (r, d, "format");
          driver = format != NULL ? format_from_uri (format) : NULL;
          if (driver == NULL)
            {
              g_autofree char *fshown = hv_config_escape_for_display (format != NULL ? format : "");

              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "%s: the disk \"%s\" has a format that Hostvisor does not know (\"%s\"; "
                           "it reads VMDK, VDI, VHD, VHDX, qcow2 and raw)", r->shown, shown,
                           fshown);
              return FALSE;
            }
          disk->href = g_strdup (file->href);
          disk->format = g_strdup (driver);
        }
      else
        disk->format = g_strdup ("qcow2");   /* an empty disk, made new */
    }
  return TRUE;
}

static char *
item_text (xmlNode    *item,
           const char *local)
{
  return child_text (item, local);
}

static guint
item_type (xmlNode *item)
{
  g_autofree char *t = item_text (item, "ResourceType");
  guint64 v = 0;

  return parse_u64 (t, &v) && v < 65536 ? (guint) v : 0;
}

static const char *
bus_name (HvDriveBus bus)
{
  switch (bus)
    {
    case HV_DRIVE_BUS_IDE: return "ide";
    case HV_DRIVE_BUS_VIRTIO: return "virtio";
    case HV_DRIVE_BUS_FDC: return "fdc";
    case HV_DRIVE_BUS_SATA:
    default: return "sata";
    }
}

static char *
item_label (xmlNode *item)
{
  g_autofree char *name = item_text (item, "ElementName");
  g_autofree char *id = item_text (item, "InstanceID");

  if (name == NULL || name[0] == '\0')
    name = item_text (item, "Caption");
  return hv_config_escape_for_display (name != NULL && name[0] != '\0' ? name
                                       : id != NULL ? id : "?");
}

static void
read_controller (Reader  *r,
                 xmlNode *item,
                 guint    type)
{
  g_autofree char *id = item_text (item, "InstanceID");
  g_autofree char *sub = item_text (item, "ResourceSubType");
  g_autofree char *lower = g_ascii_strdown (sub != NULL ? sub : "", -1);
  g_autofree char *label = item_label (item);
  HvDriveBus bus;

  if (id == NULL)
    return;
  if (type == 5)
    bus = HV_DRIVE_BUS_IDE;
  else if (strstr (lower, "virtio") != NULL)
    bus = HV_DRIVE_BUS_VIRTIO;
  else if (type == 20 && (strstr (lower, "ahci") != NULL || strstr (lower, "sata") != NULL))
    bus = HV_DRIVE_BUS_SATA;
  else
    {
      bus = HV_DRIVE_BUS_SATA;
      warn (r, "The %s controller \"%s\" (%s) has no equivalent: its disks go on SATA (IDE on "
            "the pc machine); the guest needs a driver for it", type == 6 ? "SCSI" : "storage",
            label, lower[0] != '\0' ? lower : "no model given");
    }
  g_hash_table_insert (r->controllers, g_strdup (id), GINT_TO_POINTER (bus + 1));
}

static HvDriveBus
parent_bus (Reader  *r,
            xmlNode *item)
{
  g_autofree char *parent = item_text (item, "Parent");
  gpointer value = parent != NULL ? g_hash_table_lookup (r->controllers, parent) : NULL;

  return value != NULL ? (HvDriveBus) (GPOINTER_TO_INT (value) - 1) : HV_DRIVE_BUS_SATA;
}

/* "ovf:/disk/ID", "/disk/ID" → ID; the same for "file". */
static const char *
host_resource_id (const char *resource,
                  const char *kind)
{
  g_autofree char *marker = g_strdup_printf ("/%s/", kind);
  const char *p = resource != NULL ? strstr (resource, marker) : NULL;

  return p != NULL ? p + strlen (marker) : NULL;
}

static gboolean
read_disk_item (Reader  *r,
                xmlNode *item,
                GError **error)
{
  g_autofree char *resource = item_text (item, "HostResource");
  const char *id = host_resource_id (resource, "disk");
  g_autofree char *shown = hv_config_escape_for_display (resource != NULL ? resource : "");
  HvOvfDisk *disk = id != NULL ? g_hash_table_lookup (r->disks_by_id, id) : NULL;

  if (disk == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: a disk drive names \"%s\", which is no disk of the DiskSection",
                   r->shown, shown);
      return FALSE;
    }
  if (g_ptr_array_find (r->placed, disk, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the disk \"%s\" is attached twice", r->shown, shown);
      return FALSE;
    }
  disk->bus = parent_bus (r, item);
  g_ptr_array_add (r->placed, disk);
  return TRUE;
}

static void
read_media_item (Reader  *r,
                 xmlNode *item,
                 guint    type)
{
  g_autofree char *resource = item_text (item, "HostResource");
  const char *file_id = host_resource_id (resource, "file");
  HvOvfMedia *media = g_new0 (HvOvfMedia, 1);

  media->kind = type == 14 ? HV_DRIVE_FLOPPY : HV_DRIVE_CDROM;
  if (file_id != NULL)
    {
      HvOvfFile *file = find_file_by_id (r->ovf, file_id);

      if (file != NULL)
        media->href = g_strdup (file->href);
    }
  else if (resource != NULL && resource[0] != '\0')
    {
      g_autofree char *shown = hv_config_escape_for_display (resource);

      warn (r, "The %s drive's medium \"%s\" is outside the appliance: the drive is left empty",
            type == 14 ? "floppy" : "CD/DVD", shown);
    }
  g_ptr_array_add (r->ovf->media, media);
}

static void
read_nic_item (Reader  *r,
               xmlNode *item)
{
  g_autofree char *sub = item_text (item, "ResourceSubType");
  g_autofree char *lower = g_ascii_strdown (sub != NULL ? sub : "", -1);
  g_autofree char *connection = item_text (item, "Connection");
  g_autofree char *shown = NULL;
  guint n = r->ovf->nics->len + 1;
  HvOvfNic *nic;
  const char *model = NULL;

  if (r->ovf->nics->len >= HV_MAX_NICS)
    {
      g_autofree char *label = item_label (item);

      warn (r, "The network adapter \"%s\" is left out: a VM has at most %d", label, HV_MAX_NICS);
      return;
    }
  if (g_str_equal (lower, "e1000e"))
    model = "e1000e";
  else if (g_str_has_prefix (lower, "e1000") || g_str_equal (lower, "virtuale1000")
           || strstr (lower, "8254") != NULL)
    model = "e1000";
  else if (strstr (lower, "pcnet") != NULL || strstr (lower, "79c97") != NULL)
    model = "pcnet";
  else if (strstr (lower, "virtio") != NULL)
    model = "virtio-net";
  else if (strstr (lower, "8139") != NULL)
    model = "rtl8139";
  else if (strstr (lower, "ne2k") != NULL || strstr (lower, "ne2000") != NULL)
    model = "ne2k_pci";
  if (model == NULL)
    {
      model = "e1000";
      shown = hv_config_escape_for_display (sub != NULL ? sub : "");
      if (sub != NULL && sub[0] != '\0')
        warn (r, "Network adapter %u: the model \"%s\" has no equivalent; it becomes an e1000", n,
              shown);
    }
  if (connection != NULL && connection[0] != '\0' && g_ascii_strcasecmp (connection, "NAT") != 0)
    {
      g_autofree char *cshown = hv_config_escape_for_display (connection);

      warn (r, "Network adapter %u was on the network \"%s\"; it is on NAT now (change it in "
            "the VM's settings)", n, cshown);
    }
  nic = g_new0 (HvOvfNic, 1);
  nic->model = g_strdup (model);
  nic->network = g_strdup (connection != NULL ? connection : "");
  g_ptr_array_add (r->ovf->nics, nic);
}

static void
read_sound_item (Reader  *r,
                 xmlNode *item)
{
  g_autofree char *sub = item_text (item, "ResourceSubType");
  g_autofree char *lower = g_ascii_strdown (sub != NULL ? sub : "", -1);
  const char *sound = NULL;

  if (strstr (lower, "1370") != NULL || strstr (lower, "1371") != NULL)
    sound = "es1370";
  else if (strstr (lower, "sb16") != NULL)
    sound = "sb16";
  else if (strstr (lower, "hda") != NULL)
    sound = "hda";
  else if (strstr (lower, "ac97") != NULL)
    sound = "ac97";
  if (sound == NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (sub != NULL ? sub : "");

      warn (r, "The sound card \"%s\" has no equivalent: the VM has none", shown);
      return;
    }
  g_free (r->ovf->sound);
  r->ovf->sound = g_strdup (sound);
}

static gboolean
read_hardware (Reader  *r,
               xmlNode *system,
               GError **error)
{
  xmlNode *hw = child (system, "VirtualHardwareSection");

  if (hw == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the virtual system has no VirtualHardwareSection", r->shown);
      return FALSE;
    }
  /* Controllers first: an item may come before its controller. */
  for (xmlNode *item = hw->children; item != NULL; item = item->next)
    {
      guint type;

      if (!is_elem (item, "Item") && !is_elem (item, "StorageItem"))
        continue;
      type = item_type (item);
      if (type == 5 || type == 6 || type == 20)
        read_controller (r, item, type);
    }
  for (xmlNode *item = hw->children; item != NULL; item = item->next)
    {
      g_autofree char *quantity = NULL;
      g_autofree char *units = NULL;
      guint64 value = 0;
      guint type;

      if (is_elem (item, "Config"))
        {
          g_autofree char *key = attr_any (item, "key");
          g_autofree char *val = attr_any (item, "value");

          /* VMware's firmware choice: <vmw:Config vmw:key="firmware" vmw:value="efi"/> */
          if (g_strcmp0 (key, "firmware") == 0 && val != NULL
              && g_ascii_strncasecmp (val, "efi", 3) == 0)
            r->ovf->firmware = HV_FIRMWARE_UEFI;
          continue;
        }
      if (!is_elem (item, "Item") && !is_elem (item, "StorageItem")
          && !is_elem (item, "EthernetPortItem"))
        continue;
      type = is_elem (item, "EthernetPortItem") ? 10 : item_type (item);
      quantity = item_text (item, "VirtualQuantity");
      switch (type)
        {
        case 3:
          if (parse_u64 (quantity, &value) && value > 0 && value <= G_MAXUINT)
            r->ovf->cpus = (guint) value;
          break;
        case 4:
          {
            guint64 mult;

            units = item_text (item, "AllocationUnits");
            if (units == NULL)
              units = item_text (item, "VirtualQuantityUnits");
            mult = units != NULL ? hv_ovf_parse_units (units) : (1 << 20);
            if (!parse_u64 (quantity, &value) || mult == 0 || value > G_MAXUINT64 / mult)
              {
                g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                             "%s: the memory size cannot be read", r->shown);
                return FALSE;
              }
            r->ovf->memory_mib = (value * mult) >> 20;
          }
          break;
        case 5: case 6: case 20:
          break;
        case 10:
          read_nic_item (r, item);
          break;
        case 14: case 15: case 16:
          read_media_item (r, item, type);
          break;
        case 17:
          if (!read_disk_item (r, item, error))
            return FALSE;
          break;
        case 23: case 24:
          /* USB and the graphics card: every VM has them (USB on, std video) */
          break;
        case 35:
          read_sound_item (r, item);
          break;
        default:
          {
            g_autofree char *label = item_label (item);
            const char *what = type == 21 ? "serial port" : type == 22 ? "parallel port"
                               : "device";

            warn (r, "The %s \"%s\" (resource type %u) is left out", what, label, type);
          }
        }
    }
  return TRUE;
}

static void
read_os (Reader  *r,
         xmlNode *system)
{
  xmlNode *section = child (system, "OperatingSystemSection");
  g_autofree char *cim_text = NULL;
  g_autofree char *vbox = NULL;
  const char *osinfo = NULL;
  guint64 cim = 0;

  if (section == NULL)
    return;
  cim_text = attr (r, section, "id");
  parse_u64 (cim_text, &cim);
  for (xmlNode *c = section->children; c != NULL; c = c->next)
    if (is_elem (c, "OSType") && c->ns != NULL
        && g_strcmp0 ((const char *) c->ns->href, VBOX_NS) == 0)
      vbox = text_of (c);
  if (vbox != NULL && vbox[0] != '\0')
    {
      g_free (r->ovf->os_source);
      r->ovf->os_source = g_strconcat ("vbox:", vbox, NULL);
      osinfo = hv_ovf_os_from_vbox (vbox);
    }
  if (osinfo == NULL && cim > 0 && cim < 65536)
    {
      if (vbox == NULL || vbox[0] == '\0')
        {
          g_free (r->ovf->os_source);
          r->ovf->os_source = g_strdup_printf ("cim:%" G_GUINT64_FORMAT, cim);
        }
      osinfo = hv_ovf_os_from_cim ((guint) cim);
    }
  if (osinfo != NULL)
    {
      g_free (r->ovf->os_id);
      r->ovf->os_id = g_strdup (osinfo);
    }
  else if (r->ovf->os_source[0] != '\0' && cim != 1 && cim != 0 && cim != 102)
    {
      g_autofree char *shown = hv_config_escape_for_display (r->ovf->os_source);

      warn (r, "The OS type \"%s\" has no equivalent here: the VM has no OS type", shown);
    }
  else if (vbox != NULL && vbox[0] != '\0' && !g_str_has_prefix (vbox, "Other"))
    {
      g_autofree char *shown = hv_config_escape_for_display (r->ovf->os_source);

      warn (r, "The OS type \"%s\" has no equivalent here: the VM has no OS type", shown);
    }
}

/* VirtualBox's own description of the machine: the firmware and the groups. */
static void
read_vbox_machine (Reader  *r,
                   xmlNode *machine)
{
  xmlNode *firmware = descendant (machine, "Firmware");
  xmlNode *groups = descendant (machine, "Groups");
  g_autofree char *name = attr_any (machine, "name");
  guint n_groups = 0;

  if (name != NULL && name[0] != '\0')
    {
      g_free (r->ovf->name);
      r->ovf->name = g_steal_pointer (&name);
    }
  if (firmware != NULL)
    {
      g_autofree char *type = attr_any (firmware, "type");

      if (type != NULL && g_ascii_strncasecmp (type, "EFI", 3) == 0)
        r->ovf->firmware = HV_FIRMWARE_UEFI;
    }
  for (xmlNode *g = groups != NULL ? groups->children : NULL; g != NULL; g = g->next)
    {
      g_autofree char *group = NULL;
      g_autofree char *folder = NULL;
      g_autoptr(GError) local = NULL;

      if (!is_elem (g, "Group"))
        continue;
      group = attr_any (g, "name");
      if (group == NULL)
        continue;
      if (n_groups++ > 0)
        {
          g_autofree char *shown = hv_config_escape_for_display (group);

          warn (r, "The VM is also in the VirtualBox group \"%s\"; a VM is in one folder only",
                shown);
          continue;
        }
      folder = g_strdup (group[0] == '/' ? group + 1 : group);
      while (g_str_has_suffix (folder, "/"))
        folder[strlen (folder) - 1] = '\0';
      if (folder[0] != '\0' && !hv_config_check_folder (folder, &local))
        {
          g_autofree char *shown = hv_config_escape_for_display (group);

          warn (r, "The VirtualBox group \"%s\" cannot be a folder (%s): the VM goes to the top "
                "level", shown, local->message);
          continue;
        }
      g_free (r->ovf->folder);
      r->ovf->folder = g_steal_pointer (&folder);
    }
}

HvOvf *
hv_ovf_parse (const char  *data,
              gsize        len,
              const char  *shown,
              GError     **error)
{
  g_autoptr(HvOvf) ovf = g_new0 (HvOvf, 1);
  g_autoptr(GError) local = NULL;
  g_autoptr(GHashTable) controllers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                              NULL);
  g_autoptr(GHashTable) disks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  g_autoptr(GPtrArray) placed = g_ptr_array_new ();
  g_autoptr(GPtrArray) all_disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_free);
  Reader r = { ovf, NULL, shown, controllers, disks, placed, all_disks };
  xmlDoc *doc;
  xmlNode *envelope, *system, *name_node;
  gboolean ok = FALSE;

  ovf->name = g_strdup ("");
  ovf->os_id = g_strdup ("");
  ovf->os_source = g_strdup ("");
  ovf->folder = g_strdup ("");
  ovf->annotation = g_strdup ("");
  ovf->files = g_ptr_array_new_with_free_func ((GDestroyNotify) file_free);
  ovf->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_free);
  ovf->media = g_ptr_array_new_with_free_func ((GDestroyNotify) media_free);
  ovf->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) nic_free);
  ovf->warnings = g_ptr_array_new_with_free_func (g_free);

  doc = hv_xml_parse (data, len, shown, &local);
  if (doc == NULL)
    {
      /* The contract's error for a malformed or hostile appliance. */
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "%s", local->message);
      return NULL;
    }
  envelope = xmlDocGetRootElement (doc);
  if (!is_elem (envelope, "Envelope") || envelope->ns == NULL
      || (strcmp ((const char *) envelope->ns->href, OVF1_NS) != 0
          && strcmp ((const char *) envelope->ns->href, OVF2_NS) != 0))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s is not an OVF descriptor (no Envelope of OVF 1.0 or 2.0)", shown);
      goto out;
    }
  r.ns = (const char *) envelope->ns->href;
  ovf->version = g_str_equal (r.ns, OVF1_NS) ? 1 : 2;
  if (child (envelope, "VirtualSystemCollection") != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s holds several virtual machines (a VirtualSystemCollection): import "
                   "them one by one", shown);
      goto out;
    }
  system = child (envelope, "VirtualSystem");
  if (system == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s has no VirtualSystem", shown);
      goto out;
    }
  if (!read_references (&r, envelope, error) || !read_disks (&r, envelope, error))
    goto out;
  g_free (ovf->name);
  ovf->name = attr (&r, system, "id");
  name_node = child (system, "Name");
  if (name_node != NULL)
    {
      g_free (ovf->name);
      ovf->name = text_of (name_node);
    }
  read_os (&r, system);
  if (!read_hardware (&r, system, error))
    goto out;
  for (xmlNode *c = system->children; c != NULL; c = c->next)
    if (is_elem (c, "Machine") && c->ns != NULL
        && g_strcmp0 ((const char *) c->ns->href, VBOX_NS) == 0)
      read_vbox_machine (&r, c);
    else if (is_elem (c, "AnnotationSection"))
      {
        g_free (ovf->annotation);
        ovf->annotation = child_text (c, "Annotation");
        if (ovf->annotation == NULL)
          ovf->annotation = g_strdup ("");
        /* a description, not a document: at most 4096 characters */
        if (g_utf8_strlen (ovf->annotation, -1) > 4096)
          *g_utf8_offset_to_pointer (ovf->annotation, 4096) = '\0';
      }
    else if (is_elem (c, "EulaSection"))
      warn (&r, "The appliance has a licence agreement (EulaSection): read it in the descriptor");
    else if (is_elem (c, "ProductSection") && descendant (c, "Property") != NULL)
      warn (&r, "The appliance's properties (ProductSection) are not used");
  if (ovf->name == NULL)
    ovf->name = g_strdup ("");

  /* The disks in hardware order, then those that no drive names. */
  for (guint i = 0; i < placed->len; i++)
    {
      guint index;

      g_ptr_array_find (all_disks, g_ptr_array_index (placed, i), &index);
      g_ptr_array_add (ovf->disks, g_ptr_array_steal_index (all_disks, index));
    }
  while (all_disks->len > 0)
    {
      HvOvfDisk *disk = g_ptr_array_steal_index (all_disks, 0);
      g_autofree char *id_shown = hv_config_escape_for_display (disk->disk_id);

      warn (&r, "The disk \"%s\" is attached to no controller: it is imported on SATA", id_shown);
      g_ptr_array_add (ovf->disks, disk);
    }
  for (guint i = 0; i < ovf->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (ovf->disks, i);

      disk->bus_name = g_strdup (bus_name (disk->bus));
    }
  /* Files that nothing uses (VirtualBox's NVRAM of a UEFI VM, say) are said, not dropped. */
  for (guint i = 0; i < ovf->files->len; i++)
    {
      HvOvfFile *f = g_ptr_array_index (ovf->files, i);
      gboolean used = FALSE;

      for (guint j = 0; j < ovf->disks->len && !used; j++)
        used = g_strcmp0 (((HvOvfDisk *) g_ptr_array_index (ovf->disks, j))->href, f->href) == 0;
      for (guint j = 0; j < ovf->media->len && !used; j++)
        used = g_strcmp0 (((HvOvfMedia *) g_ptr_array_index (ovf->media, j))->href, f->href) == 0;
      if (!used)
        {
          g_autofree char *href_shown = hv_config_escape_for_display (f->href);

          warn (&r, "The file \"%s\" of the appliance is not used by any drive: it is left out",
                href_shown);
        }
    }
  ok = TRUE;
out:
  xmlFreeDoc (doc);
  return ok ? g_steal_pointer (&ovf) : NULL;
}
