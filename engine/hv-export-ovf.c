/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-ovf.c: the OVF 1.0 envelope writer (see hv-export-ovf.h). libxml2's text writer
 * does the escaping: the VM's name and description are data, written as element text. */
#include "hv-export-ovf.h"
#include "hv-ovf-os.h"

#include <inttypes.h>
#include <libxml/xmlwriter.h>
#include <string.h>

#define NS_OVF "http://schemas.dmtf.org/ovf/envelope/1"
#define NS_RASD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
#define NS_VSSD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
#define NS_VBOX "http://www.virtualbox.org/ovf/machine"
#define NS_VMW "http://www.vmware.com/schema/ovf"
#define VMDK_STREAM "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"

/* CIM_ResourceAllocationSettingData.ResourceType */
enum {
  RT_PROCESSOR = 3,
  RT_MEMORY = 4,
  RT_IDE = 5,
  RT_ETHERNET = 10,
  RT_FLOPPY = 14,
  RT_CDROM = 15,
  RT_DISK = 17,
  RT_SATA = 20,
  RT_USB = 23,
};

void
hv_ovf_disk_free (HvOvfDisk *disk)
{
  g_free (disk->href);
  g_free (disk);
}

static const struct {
  const char *prefix;     /* a libosinfo short id, or its start when it ends in '*' */
  guint cim;
  const char *vbox;
  const char *description;
} os_table[] = {
  { "debian*", 96, "Debian_64", "Debian (64-bit)" },
  { "ubuntu*", 94, "Ubuntu_64", "Ubuntu (64-bit)" },
  { "fedora*", 101, "Fedora_64", "Fedora (64-bit)" },
  { "rhel*", 80, "RedHat_64", "Red Hat Enterprise Linux (64-bit)" },
  { "centos*", 107, "RedHat_64", "CentOS (64-bit)" },
  { "opensuse*", 83, "OpenSUSE_64", "openSUSE (64-bit)" },
  { "archlinux", 101, "ArchLinux_64", "Arch Linux (64-bit)" },
  { "alpinelinux*", 101, "Linux26_64", "Alpine Linux (64-bit)" },
  { "linux*", 101, "Linux26_64", "Linux (64-bit)" },
  { "freebsd*", 78, "FreeBSD_64", "FreeBSD (64-bit)" },
  { "win11", 1, "Windows11_64", "Microsoft Windows 11" },
  { "win10", 1, "Windows10_64", "Microsoft Windows 10" },
  { "win7", 105, "Windows7_64", "Microsoft Windows 7" },
  { "winxp", 67, "WindowsXP", "Microsoft Windows XP" },
  { "msdos*", 14, "DOS", "MS-DOS" },
};

void
hv_export_ovf_os_ids (const char  *os_id,
                      guint       *cim_id,
                      const char **vbox_type,
                      const char **description)
{
  const HvOvfOs *entry;

  *cim_id = 1;
  *vbox_type = "Other";
  *description = "Other";
  if (os_id == NULL || os_id[0] == '\0')
    return;
  for (guint i = 0; i < G_N_ELEMENTS (os_table); i++)
    {
      const char *p = os_table[i].prefix;
      gsize len = strlen (p);
      gboolean match = p[len - 1] == '*' ? strncmp (os_id, p, len - 1) == 0
                                          : g_str_equal (os_id, p);

      if (match)
        {
          *cim_id = os_table[i].cim;
          *vbox_type = os_table[i].vbox;
          *description = os_table[i].description;
          return;
        }
    }
  /* The families above are written as every VirtualBox version knows them; other ids (the
   * old Windows and DOS versions among them) take the import's table, read backwards. */
  entry = hv_ovf_os_for_osinfo (os_id);
  if (entry != NULL)
    {
      *cim_id = entry->cim != 0 ? entry->cim : 1;
      *vbox_type = entry->vbox != NULL ? entry->vbox : "Other";
      *description = *vbox_type;
    }
}

static void
text_element (xmlTextWriterPtr  w,
              const char       *name,
              const char       *text)
{
  xmlTextWriterWriteElement (w, BAD_CAST name, BAD_CAST text);
}

static void
attr (xmlTextWriterPtr  w,
      const char       *name,
      const char       *value)
{
  xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST value);
}

/* One hardware Item. Its rasd: elements must come in the CIM class's (alphabetical) order,
 * which VMware checks: the NULL ones are left out. */
typedef struct {
  const char *address;
  const char *address_on_parent;
  const char *allocation_units;
  const char *automatic_allocation;
  const char *caption;
  const char *connection;
  const char *description;
  const char *element_name;
  const char *host_resource;
  guint instance_id;
  guint parent;          /* 0: none */
  const char *subtype;
  guint type;
  guint64 quantity;      /* 0: none */
} Item;

static void
write_item (xmlTextWriterPtr  w,
            const Item       *item)
{
  char number[32];

  xmlTextWriterStartElement (w, BAD_CAST "Item");
#define RASD(field, name) \
  if (item->field != NULL) text_element (w, "rasd:" name, item->field)
  RASD (address, "Address");
  RASD (address_on_parent, "AddressOnParent");
  RASD (allocation_units, "AllocationUnits");
  RASD (automatic_allocation, "AutomaticAllocation");
  RASD (caption, "Caption");
  RASD (connection, "Connection");
  RASD (description, "Description");
  RASD (element_name, "ElementName");
  RASD (host_resource, "HostResource");
  g_snprintf (number, sizeof number, "%u", item->instance_id);
  text_element (w, "rasd:InstanceID", number);
  if (item->parent != 0)
    {
      g_snprintf (number, sizeof number, "%u", item->parent);
      text_element (w, "rasd:Parent", number);
    }
  RASD (subtype, "ResourceSubType");
#undef RASD
  g_snprintf (number, sizeof number, "%u", item->type);
  text_element (w, "rasd:ResourceType", number);
  if (item->quantity != 0)
    {
      g_snprintf (number, sizeof number, "%" G_GUINT64_FORMAT, item->quantity);
      text_element (w, "rasd:VirtualQuantity", number);
    }
  xmlTextWriterEndElement (w);
}

static const char *
network_name (HvNetMode mode)
{
  switch (mode)
    {
    case HV_NET_BRIDGED:
      return "Bridged";
    case HV_NET_HOST_ONLY:
      return "HostOnly";
    case HV_NET_INTERNAL:
      return "Internal";
    case HV_NET_NAT:
    case HV_NET_NONE:
    default:
      return "NAT";
    }
}

/* The VM's adapter model as an OVF ResourceSubType: E1000 and PCNet32 are what every
 * importer knows; VirtIO has no OVF 1.0 name that they share, so it becomes E1000 too. */
static const char *
nic_subtype (const char *model,
             gboolean   *changed)
{
  *changed = FALSE;
  if (g_strcmp0 (model, "e1000") == 0 || g_strcmp0 (model, "e1000e") == 0)
    return "E1000";
  if (g_strcmp0 (model, "pcnet") == 0)
    return "PCNet32";
  *changed = TRUE;
  return "E1000";
}

static void
warn (GPtrArray  *warnings,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
warn (GPtrArray  *warnings,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

/* What the OVF leaves out or changes, in words. */
static void
collect_warnings (const HvVmConfig *config,
                  GPtrArray        *warnings)
{
  if (config->firmware == HV_FIRMWARE_UEFI)
    warn (warnings, ("The VM boots with UEFI, which OVF 1.0 cannot say for every importer: "
                      "VMware reads it (vmw:Config firmware=efi), in VirtualBox and Proxmox "
                      "set EFI after the import"));
  if (config->kernel != NULL)
    warn (warnings, ("Direct kernel boot (kernel, initrd, command line) is not exported: the "
                      "imported VM boots from its disks"));
  if (config->shares->len > 0)
    warn (warnings, ("Shared folders are not exported"));
  if (config->clipboard_mode != HV_CLIPBOARD_OFF)
    warn (warnings, ("Clipboard sharing is not exported"));
  if (config->hw.sound != HV_SOUND_NONE)
    warn (warnings, ("The sound card (%s) is not exported"),
          config->hw.sound == HV_SOUND_SB16 ? "sb16" : config->hw.sound == HV_SOUND_ES1370
          ? "es1370" : config->hw.sound == HV_SOUND_AC97 ? "ac97" : "hda");
  if (config->hw.usb && config->hw.tablet)
    warn (warnings, ("The USB tablet is not exported (the importer picks the pointing device)"));
  if (config->hw.cpu_model != NULL)
    warn (warnings, ("The CPU model (%s) is not exported"), config->hw.cpu_model);
  if (config->hw.icount)
    warn (warnings, ("The CPU speed limit is not exported"));
  if (config->machine == HV_MACHINE_ISAPC)
    warn (warnings, ("An ISA-only PC (isapc) has no OVF form: the package describes a PC with "
                      "PCI"));
  if (config->video != HV_VIDEO_STD && config->video != HV_VIDEO_NONE)
    warn (warnings, ("The graphics card model is not exported (the importer picks its own)"));
}

/* Whether @drive sits on the SATA (AHCI) controller in the OVF: SATA and virtio disks, and on
 * q35 the "ide" drives too (q35's IDE is its AHCI controller, as in the VM). */
static gboolean
on_sata (const HvVmConfig *config,
         const HvDrive    *drive)
{
  return drive->bus == HV_DRIVE_BUS_SATA || drive->bus == HV_DRIVE_BUS_VIRTIO
         || (drive->bus == HV_DRIVE_BUS_IDE && config->machine == HV_MACHINE_Q35);
}

static char *
number_text (guint64 value)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

char *
hv_export_ovf_write (const HvVmConfig *config,
                     GPtrArray        *disks,
                     GPtrArray        *warnings)
{
  xmlBufferPtr buffer = xmlBufferCreate ();
  xmlTextWriterPtr w = xmlNewTextWriterMemory (buffer, 0);
  guint cim_id;
  const char *vbox_type;
  const char *os_description;
  guint instance = 0;
  guint ide_controller[2] = { 0, 0 };
  guint sata_controller = 0;
  guint ide_used = 0;
  guint sata_used = 0;
  char cim_text[16];
  g_autoptr(GHashTable) networks = g_hash_table_new (g_str_hash, g_str_equal);
  char *result;

  collect_warnings (config, warnings);
  xmlTextWriterSetIndent (w, 1);
  xmlTextWriterSetIndentString (w, BAD_CAST "  ");
  xmlTextWriterStartDocument (w, "1.0", "UTF-8", NULL);
  xmlTextWriterStartElement (w, BAD_CAST "Envelope");
  attr (w, "ovf:version", "1.0");
  attr (w, "xml:lang", "en-US");
  attr (w, "xmlns", NS_OVF);
  attr (w, "xmlns:ovf", NS_OVF);
  attr (w, "xmlns:rasd", NS_RASD);
  attr (w, "xmlns:vssd", NS_VSSD);
  attr (w, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
  attr (w, "xmlns:vbox", NS_VBOX);
  attr (w, "xmlns:vmw", NS_VMW);

  /* References: the disk files */
  xmlTextWriterStartElement (w, BAD_CAST "References");
  for (guint i = 0; i < disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (disks, i);
      g_autofree char *id = g_strdup_printf ("file%u", i + 1);
      g_autofree char *size = number_text (disk->file_size);

      xmlTextWriterStartElement (w, BAD_CAST "File");
      attr (w, "ovf:id", id);
      attr (w, "ovf:href", disk->href);
      attr (w, "ovf:size", size);
      xmlTextWriterEndElement (w);
    }
  xmlTextWriterEndElement (w);

  /* DiskSection */
  xmlTextWriterStartElement (w, BAD_CAST "DiskSection");
  text_element (w, "Info", "List of the virtual disks used in the package");
  for (guint i = 0; i < disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (disks, i);
      g_autofree char *id = g_strdup_printf ("vmdisk%u", i + 1);
      g_autofree char *file = g_strdup_printf ("file%u", i + 1);
      g_autofree char *capacity = number_text (disk->capacity);

      xmlTextWriterStartElement (w, BAD_CAST "Disk");
      attr (w, "ovf:capacity", capacity);
      attr (w, "ovf:capacityAllocationUnits", "byte");
      attr (w, "ovf:diskId", id);
      attr (w, "ovf:fileRef", file);
      attr (w, "ovf:format", VMDK_STREAM);
      xmlTextWriterEndElement (w);
    }
  xmlTextWriterEndElement (w);

  /* NetworkSection: one logical network per kind of attachment used */
  xmlTextWriterStartElement (w, BAD_CAST "NetworkSection");
  text_element (w, "Info", "Logical networks used in the package");
  for (guint i = 0; i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);
      const char *name = network_name (nic->mode);

      if (!nic->enabled || g_hash_table_contains (networks, name))
        continue;
      g_hash_table_add (networks, (gpointer) name);
      xmlTextWriterStartElement (w, BAD_CAST "Network");
      attr (w, "ovf:name", name);
      text_element (w, "Description", "Logical network used by this appliance.");
      xmlTextWriterEndElement (w);
    }
  xmlTextWriterEndElement (w);

  xmlTextWriterStartElement (w, BAD_CAST "VirtualSystem");
  attr (w, "ovf:id", config->name);
  text_element (w, "Info", "A virtual machine");
  text_element (w, "Name", config->name);

  if (config->description != NULL && config->description[0] != '\0')
    {
      xmlTextWriterStartElement (w, BAD_CAST "AnnotationSection");
      text_element (w, "Info", "A human-readable annotation");
      text_element (w, "Annotation", config->description);
      xmlTextWriterEndElement (w);
    }

  hv_export_ovf_os_ids (config->os_id, &cim_id, &vbox_type, &os_description);
  g_snprintf (cim_text, sizeof cim_text, "%u", cim_id);
  xmlTextWriterStartElement (w, BAD_CAST "OperatingSystemSection");
  attr (w, "ovf:id", cim_text);
  text_element (w, "Info", "The kind of installed guest operating system");
  text_element (w, "Description", os_description);
  xmlTextWriterStartElement (w, BAD_CAST "vbox:OSType");
  attr (w, "ovf:required", "false");
  xmlTextWriterWriteString (w, BAD_CAST vbox_type);
  xmlTextWriterEndElement (w);
  xmlTextWriterEndElement (w);

  xmlTextWriterStartElement (w, BAD_CAST "VirtualHardwareSection");
  text_element (w, "Info", "Virtual hardware requirements for a virtual machine");
  xmlTextWriterStartElement (w, BAD_CAST "System");
  text_element (w, "vssd:ElementName", "Virtual Hardware Family");
  text_element (w, "vssd:InstanceID", "0");
  text_element (w, "vssd:VirtualSystemIdentifier", config->name);
  text_element (w, "vssd:VirtualSystemType", "vmx-07");
  xmlTextWriterEndElement (w);

  {
    g_autofree char *caption = g_strdup_printf ("%u virtual CPU", config->cpus);
    Item cpu = { .allocation_units = "hertz * 10^6", .caption = caption,
                 .description = "Number of virtual CPUs", .element_name = caption,
                 .instance_id = ++instance, .type = RT_PROCESSOR, .quantity = config->cpus };
    g_autofree char *mem_caption = g_strdup_printf ("%" PRIu64 " MB of memory",
                                                    config->memory_mib);
    Item memory = { .allocation_units = "byte * 2^20", .caption = mem_caption,
                    .description = "Memory Size", .element_name = mem_caption,
                    .instance_id = ++instance, .type = RT_MEMORY,
                    .quantity = config->memory_mib };

    write_item (w, &cpu);
    write_item (w, &memory);
  }

  /* Controllers: IDE for IDE drives (two, as a PC has, when more than two units are used),
   * SATA (AHCI) for SATA and virtio disks (OVF has no name for virtio) and q35's drives. */
  for (guint i = 0; i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);

      if (drive->kind == HV_DRIVE_FLOPPY)
        continue;
      if (on_sata (config, drive))
        sata_used++;
      else if (drive->bus == HV_DRIVE_BUS_IDE)
        ide_used++;
    }
  for (guint c = 0; c < 2 && c * 2 < ide_used; c++)
    {
      char address[4];
      Item ide = { .caption = c == 0 ? "ideController0" : "ideController1",
                   .description = "IDE Controller", .subtype = "PIIX4", .type = RT_IDE };

      g_snprintf (address, sizeof address, "%u", c);
      ide.address = address;
      ide.element_name = ide.caption;
      ide.instance_id = ide_controller[c] = ++instance;
      write_item (w, &ide);
    }
  if (sata_used > 0)
    {
      Item sata = { .address = "0", .caption = "sataController0",
                    .description = "SATA Controller", .element_name = "sataController0",
                    .subtype = "AHCI", .type = RT_SATA };

      sata.instance_id = sata_controller = ++instance;
      write_item (w, &sata);
    }
  if (config->hw.usb)
    {
      Item usb = { .address = "0", .caption = "usb", .description = "USB Controller",
                   .element_name = "usb", .subtype = "OHCI", .type = RT_USB };

      usb.instance_id = ++instance;
      write_item (w, &usb);
    }

  {
    guint ide_unit = 0;
    guint sata_unit = 0;
    guint disk_n = 0;
    guint floppy_n = 0;

    for (guint i = 0; i < config->drives->len; i++)
      {
        const HvDrive *drive = g_ptr_array_index (config->drives, i);
        g_autofree char *address = NULL;
        g_autofree char *host = NULL;
        HvOvfDisk *disk = NULL;
        Item item = { NULL, };

        for (guint d = 0; d < disks->len; d++)
          if (((HvOvfDisk *) g_ptr_array_index (disks, d))->drive_index == i)
            {
              disk = g_ptr_array_index (disks, d);
              host = g_strdup_printf ("ovf:/disk/vmdisk%u", d + 1);
            }
        if (drive->kind == HV_DRIVE_FLOPPY)
          {
            Item floppy = { .automatic_allocation = "false", .caption = "floppy",
                            .description = "Floppy Drive", .element_name = "floppy",
                            .type = RT_FLOPPY };

            g_autofree char *a = g_strdup_printf ("%u", floppy_n++);
            floppy.address_on_parent = a;
            floppy.instance_id = ++instance;
            write_item (w, &floppy);
            if (drive->path != NULL)
              warn (warnings, ("Drive %u: the floppy image is not exported (the drive is)"),
                    i + 1);
            continue;
          }
        if (!on_sata (config, drive))
          {
            guint unit = ide_unit++;

            item.parent = ide_controller[MIN (unit / 2, 1)];
            address = g_strdup_printf ("%u", unit % 2);
          }
        else
          {
            item.parent = sata_controller;
            address = g_strdup_printf ("%u", sata_unit++);
            if (drive->bus == HV_DRIVE_BUS_VIRTIO)
              warn (warnings, ("Drive %u: a virtio disk, exported on the SATA controller"),
                    i + 1);
          }
        item.address_on_parent = address;
        item.instance_id = ++instance;
        if (drive->kind == HV_DRIVE_CDROM)
          {
            item.automatic_allocation = "true";
            item.caption = "cdrom";
            item.description = "CD-ROM Drive";
            item.element_name = "cdrom";
            item.type = RT_CDROM;
            if (drive->path != NULL)
              warn (warnings, ("Drive %u: the CD-ROM's medium is not exported (the drive is)"),
                    i + 1);
          }
        else if (disk != NULL)
          {
            g_autofree char *name = g_strdup_printf ("disk%u", ++disk_n);

            item.caption = name;
            item.description = "Disk Image";
            item.element_name = name;
            item.host_resource = host;
            item.type = RT_DISK;
            write_item (w, &item);
            continue;
          }
        else
          continue;
        write_item (w, &item);
      }
  }

  for (guint i = 0, n = 0; i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);
      g_autofree char *caption = NULL;
      gboolean changed;
      Item item = { .automatic_allocation = nic->cable ? "true" : "false",
                    .description = "Ethernet adapter", .type = RT_ETHERNET };

      if (!nic->enabled)
        continue;
      caption = g_strdup_printf ("Ethernet adapter %u", ++n);
      item.caption = caption;
      item.element_name = caption;
      item.connection = network_name (nic->mode);
      item.subtype = nic_subtype (nic->model, &changed);
      item.instance_id = ++instance;
      write_item (w, &item);
      if (changed)
        warn (warnings, ("Network adapter %u: the %s model is exported as an E1000"), i + 1,
              nic->model);
      if (nic->forwards->len > 0)
        warn (warnings, ("Network adapter %u: its port forwards are not exported"), i + 1);
      if (nic->mode == HV_NET_HOST_ONLY || nic->mode == HV_NET_INTERNAL
          || nic->mode == HV_NET_BRIDGED)
        warn (warnings, ("Network adapter %u: attach it to a network of the importing host "
                          "(its network here is this host's)"), i + 1);
    }

  if (config->firmware == HV_FIRMWARE_UEFI)
    {
      xmlTextWriterStartElement (w, BAD_CAST "vmw:Config");
      attr (w, "ovf:required", "false");
      attr (w, "vmw:key", "firmware");
      attr (w, "vmw:value", "efi");
      xmlTextWriterEndElement (w);
    }

  xmlTextWriterEndElement (w);   /* VirtualHardwareSection */
  xmlTextWriterEndElement (w);   /* VirtualSystem */
  xmlTextWriterEndElement (w);   /* Envelope */
  xmlTextWriterEndDocument (w);
  xmlFreeTextWriter (w);
  result = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  return result;
}
