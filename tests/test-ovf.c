/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-ovf.c: the OVF reader (engine/hv-ovf-reader.c), the OS table (hv-ovf-os.c) and the
 * OVA tar reader's name rules (hv-appliance-tar.c). */
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hv-appliance-tar.h"
#include "hv-error.h"
#include "hv-osinfo.h"
#include "hv-ovf-os.h"
#include "hv-ovf-reader.h"

#define OVF1_HEAD "<?xml version=\"1.0\"?>\n<Envelope ovf:version=\"1.0\" " \
  "xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" " \
  "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" " \
  "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\" " \
  "xmlns:vbox=\"http://www.virtualbox.org/ovf/machine\">\n"

static const char vbox_ovf[] = OVF1_HEAD
  "<References><File ovf:id=\"file1\" ovf:href=\"vm-disk001.vmdk\" ovf:size=\"1234\"/>"
  "<File ovf:id=\"file2\" ovf:href=\"vm.nvram\"/></References>"
  "<DiskSection><Info>x</Info><Disk ovf:capacity=\"8\" ovf:capacityAllocationUnits=\"byte * 2^30\" "
  "ovf:diskId=\"vmdisk1\" ovf:fileRef=\"file1\" "
  "ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>"
  "<Disk ovf:capacity=\"1073741824\" ovf:diskId=\"vmdisk2\"/></DiskSection>"
  "<VirtualSystem ovf:id=\"Win box\"><Info>x</Info>"
  "<AnnotationSection><Info>x</Info><Annotation>Build server</Annotation></AnnotationSection>"
  "<EulaSection><Info>x</Info><License>Be nice</License></EulaSection>"
  "<OperatingSystemSection ovf:id=\"120\"><Info>x</Info><vbox:OSType>Windows10_64</vbox:OSType>"
  "</OperatingSystemSection>"
  "<VirtualHardwareSection><Info>x</Info>"
  "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>"
  "<rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>"
  "<Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID>"
  "<rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>4096</rasd:VirtualQuantity></Item>"
  /* the disk comes before its controller */
  "<Item><rasd:HostResource>/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>7</rasd:InstanceID>"
  "<rasd:Parent>5</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>"
  "<Item><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>AHCI</rasd:ResourceSubType>"
  "<rasd:ResourceType>20</rasd:ResourceType></Item>"
  "<Item><rasd:InstanceID>6</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>"
  "<rasd:ResourceType>6</rasd:ResourceType></Item>"
  "<Item><rasd:Connection>Bridged</rasd:Connection><rasd:InstanceID>8</rasd:InstanceID>"
  "<rasd:ResourceSubType>PCNet32</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>"
  "<Item><rasd:Connection>NAT</rasd:Connection><rasd:InstanceID>9</rasd:InstanceID>"
  "<rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>"
  "<Item><rasd:InstanceID>10</rasd:InstanceID><rasd:ResourceType>14</rasd:ResourceType></Item>"
  "<Item><rasd:InstanceID>11</rasd:InstanceID><rasd:ResourceType>16</rasd:ResourceType></Item>"
  "<Item><rasd:ElementName>usb</rasd:ElementName><rasd:InstanceID>12</rasd:InstanceID>"
  "<rasd:ResourceType>23</rasd:ResourceType></Item>"
  "<Item><rasd:ElementName>parallel0</rasd:ElementName><rasd:InstanceID>13</rasd:InstanceID>"
  "<rasd:ResourceType>22</rasd:ResourceType></Item>"
  "</VirtualHardwareSection>"
  "<vbox:Machine ovf:required=\"false\" name=\"Windows Box\"><Hardware><Firmware type=\"EFI\"/>"
  "</Hardware><Groups><Group name=\"/Work/Win\"/><Group name=\"/Other\"/></Groups></vbox:Machine>"
  "</VirtualSystem></Envelope>";

static HvOvf *
parse (const char *text,
       GError    **error)
{
  return hv_ovf_parse (text, strlen (text), "test.ovf", error);
}

static gboolean
has_warning (HvOvf      *ovf,
             const char *part)
{
  for (guint i = 0; i < ovf->warnings->len; i++)
    if (strstr (g_ptr_array_index (ovf->warnings, i), part) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_vbox (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvOvf) ovf = parse (vbox_ovf, &error);
  HvOvfDisk *disk;

  g_assert_no_error (error);
  g_assert_cmpint (ovf->version, ==, 1);
  g_assert_cmpstr (ovf->name, ==, "Windows Box");
  g_assert_cmpstr (ovf->os_id, ==, "win10");
  g_assert_cmpstr (ovf->os_source, ==, "vbox:Windows10_64");
  g_assert_cmpuint (ovf->cpus, ==, 4);
  g_assert_cmpuint (ovf->memory_mib, ==, 4096);
  g_assert_cmpint (ovf->firmware, ==, HV_FIRMWARE_UEFI);
  g_assert_cmpstr (ovf->folder, ==, "Work/Win");
  g_assert_true (has_warning (ovf, "also in the VirtualBox group \"/Other\""));
  g_assert_cmpuint (ovf->disks->len, ==, 2);
  disk = g_ptr_array_index (ovf->disks, 0);
  g_assert_cmpstr (disk->href, ==, "vm-disk001.vmdk");
  g_assert_cmpstr (disk->format, ==, "vmdk");
  g_assert_cmpuint (disk->capacity, ==, G_GUINT64_CONSTANT (8) << 30);
  g_assert_cmpint (disk->bus, ==, HV_DRIVE_BUS_SATA);
  /* a disk without a file: a new empty one, attached to nothing */
  disk = g_ptr_array_index (ovf->disks, 1);
  g_assert_null (disk->href);
  g_assert_cmpuint (disk->capacity, ==, 1073741824);
  g_assert_true (has_warning (ovf, "\"vmdisk2\" is attached to no controller"));
  g_assert_true (has_warning (ovf, "SCSI controller"));
  g_assert_cmpuint (ovf->nics->len, ==, 2);
  g_assert_cmpstr (((HvOvfNic *) g_ptr_array_index (ovf->nics, 0))->model, ==, "pcnet");
  g_assert_cmpstr (((HvOvfNic *) g_ptr_array_index (ovf->nics, 1))->model, ==, "e1000");
  g_assert_true (has_warning (ovf, "network \"Bridged\""));
  g_assert_true (has_warning (ovf, "\"VmxNet3\" has no equivalent"));
  g_assert_cmpuint (ovf->media->len, ==, 2);
  g_assert_cmpint (((HvOvfMedia *) g_ptr_array_index (ovf->media, 0))->kind, ==, HV_DRIVE_FLOPPY);
  g_assert_cmpint (((HvOvfMedia *) g_ptr_array_index (ovf->media, 1))->kind, ==, HV_DRIVE_CDROM);
  g_assert_true (has_warning (ovf, "parallel port \"parallel0\""));
  g_assert_false (has_warning (ovf, "usb"));
  g_assert_cmpuint (((HvOvfFile *) g_ptr_array_index (ovf->files, 0))->size, ==, 1234);
  g_assert_cmpstr (ovf->annotation, ==, "Build server");
  g_assert_true (has_warning (ovf, "licence agreement"));
  g_assert_true (has_warning (ovf, "\"vm.nvram\" of the appliance is not used"));
}

static void
test_ovf2 (void)
{
  static const char text[] =
    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/2\" "
    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/2\" "
    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\" "
    "xmlns:sasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData\" "
    "xmlns:epasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData\" "
    "xmlns:vmw=\"http://www.vmware.com/schema/ovf\">"
    "<References><File ovf:id=\"f\" ovf:href=\"d.vhd\"/></References>"
    "<DiskSection><Disk ovf:diskId=\"d\" ovf:fileRef=\"f\" ovf:capacity=\"20\" "
    "ovf:capacityAllocationUnits=\"GigaBytes\" ovf:format=\"http://technet.microsoft.com/vhd\"/>"
    "</DiskSection><VirtualSystem ovf:id=\"sys\"><Name>Two</Name>"
    "<OperatingSystemSection ovf:id=\"94\"/>"
    "<VirtualHardwareSection>"
    "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>"
    "<StorageItem><sasd:HostResource>ovf:/disk/d</sasd:HostResource><sasd:InstanceID>2</sasd:InstanceID>"
    "<sasd:Parent>1</sasd:Parent><sasd:ResourceType>17</sasd:ResourceType></StorageItem>"
    "<EthernetPortItem><epasd:InstanceID>3</epasd:InstanceID>"
    "<epasd:ResourceSubType>E1000e</epasd:ResourceSubType></EthernetPortItem>"
    "<Item><rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits><rasd:InstanceID>4</rasd:InstanceID>"
    "<rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>"
    "<vmw:Config vmw:key=\"firmware\" vmw:value=\"efi\"/>"
    "</VirtualHardwareSection></VirtualSystem></Envelope>";
  g_autoptr(GError) error = NULL;
  g_autoptr(HvOvf) ovf = parse (text, &error);
  HvOvfDisk *disk;

  g_assert_no_error (error);
  g_assert_cmpint (ovf->version, ==, 2);
  g_assert_cmpstr (ovf->name, ==, "Two");
  g_assert_cmpstr (ovf->os_id, ==, "ubuntu22.04");
  g_assert_cmpstr (ovf->os_source, ==, "cim:94");
  g_assert_cmpuint (ovf->memory_mib, ==, 2048);
  g_assert_cmpint (ovf->firmware, ==, HV_FIRMWARE_UEFI);
  disk = g_ptr_array_index (ovf->disks, 0);
  g_assert_cmpstr (disk->format, ==, "vpc");
  g_assert_cmpuint (disk->capacity, ==, G_GUINT64_CONSTANT (20) << 30);
  g_assert_cmpint (disk->bus, ==, HV_DRIVE_BUS_IDE);
  g_assert_cmpstr (((HvOvfNic *) g_ptr_array_index (ovf->nics, 0))->model, ==, "e1000e");
  g_assert_cmpuint (ovf->warnings->len, ==, 0);
}

static void
refused (const char *text,
         const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvOvf) ovf = parse (text, &error);

  g_assert_null (ovf);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, part) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, part);
}

static void
test_refused (void)
{
  g_autofree char *climb = NULL;
  g_autofree char *huge = NULL;
  g_autofree char *fmt = NULL;

  refused ("<?xml version=\"1.0\"?><!DOCTYPE Envelope [<!ENTITY x \"y\">]><Envelope/>", "DOCTYPE");
  refused ("<Envelope xmlns=\"urn:other\"/>", "not an OVF descriptor");
  refused ("not xml", "test.ovf");
  refused (OVF1_HEAD "<VirtualSystemCollection/></Envelope>", "several virtual machines");
  {
    g_auto(GStrv) parts = g_strsplit (vbox_ovf, "vm-disk001.vmdk", 2);
    climb = g_strjoin ("../vm-disk001.vmdk", parts[0], parts[1], NULL);
  }
  refused (climb, "only plain file names");
  {
    g_auto(GStrv) parts = g_strsplit (vbox_ovf, "ovf:capacity=\"8\"", 2);
    huge = g_strjoin ("ovf:capacity=\"1048576\"", parts[0], parts[1], NULL);
  }
  refused (huge, "at most 64 TiB");
  {
    g_auto(GStrv) parts = g_strsplit (vbox_ovf, "vmdk.html#streamOptimized", 2);
    fmt = g_strjoin ("unknown-format", parts[0], parts[1], NULL);
  }
  refused (fmt, "does not know");
}

static void
test_units (void)
{
  g_assert_cmpuint (hv_ovf_parse_units ("byte"), ==, 1);
  g_assert_cmpuint (hv_ovf_parse_units ("byte * 2^20"), ==, 1 << 20);
  g_assert_cmpuint (hv_ovf_parse_units ("byte*2^30"), ==, 1 << 30);
  g_assert_cmpuint (hv_ovf_parse_units ("byte * 10^6"), ==, 1000000);
  g_assert_cmpuint (hv_ovf_parse_units ("byte * 1024"), ==, 1024);
  g_assert_cmpuint (hv_ovf_parse_units ("MegaBytes"), ==, 1 << 20);
  g_assert_cmpuint (hv_ovf_parse_units ("GigaBytes"), ==, 1 << 30);
  g_assert_cmpuint (hv_ovf_parse_units ("furlongs"), ==, 0);
  g_assert_cmpuint (hv_ovf_parse_units ("byte * 2^99"), ==, 0);
}

/* Every libosinfo id in the table is one that this engine's database knows. */
static void
test_os_table (void)
{
  guint n;
  const HvOvfOs *table = hv_ovf_os_table (&n);

  g_assert_cmpuint (n, >, 40);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvOsDefaults) d = hv_osinfo_get_defaults (table[i].osinfo, &error);

      if (d == NULL)
        g_error ("%s (%s): %s", table[i].osinfo, table[i].vbox, error->message);
    }
  g_assert_cmpstr (hv_ovf_os_from_vbox ("Debian_64"), ==, "debian12");
  g_assert_cmpstr (hv_ovf_os_from_vbox ("windowsxp"), ==, "winxp");
  g_assert_null (hv_ovf_os_from_vbox ("Haiku_64"));
  g_assert_cmpstr (hv_ovf_os_from_cim (96), ==, "debian12");
  g_assert_cmpstr (hv_ovf_os_from_cim (67), ==, "winxp");
  g_assert_null (hv_ovf_os_from_cim (1));
  g_assert_null (hv_ovf_os_from_cim (0));
  g_assert_cmpuint (hv_ovf_os_for_osinfo ("debian12")->cim, ==, 96);
  g_assert_cmpstr (hv_ovf_os_for_osinfo ("win10")->vbox, ==, "Windows10_64");
}

static void
test_tar_names (void)
{
  g_assert_true (hv_tar_name_is_safe ("vm.ovf"));
  g_assert_true (hv_tar_name_is_safe ("vm disk-001.vmdk"));
  g_assert_false (hv_tar_name_is_safe (""));
  g_assert_false (hv_tar_name_is_safe (".."));
  g_assert_false (hv_tar_name_is_safe ("."));
  g_assert_false (hv_tar_name_is_safe ("../x"));
  g_assert_false (hv_tar_name_is_safe ("/etc/passwd"));
  g_assert_false (hv_tar_name_is_safe ("a/b"));
  g_assert_false (hv_tar_name_is_safe ("a\\b"));
  g_assert_false (hv_tar_name_is_safe ("a\nb"));
  g_assert_false (hv_tar_name_is_safe ("\xff"));
}


/* A ustar header for @name of @size bytes, type @type, its checksum right (unless @bad_sum). */
static void
put_header (GByteArray *tar,
            const char *name,
            guint64     size,
            char        type,
            gboolean    base256,
            gboolean    bad_sum)
{
  guchar h[512] = { 0 };
  guint sum = 0;

  strncpy ((char *) h, name, 100);
  memcpy (h + 100, "0000644", 7);
  if (base256)
    {
      h[124] = 0x80;
      for (int i = 0; i < 8; i++)
        h[135 - i] = (size >> (8 * i)) & 0xff;
    }
  else
    g_snprintf ((char *) h + 124, 12, "%011" G_GINT64_MODIFIER "o", size);
  h[156] = type;
  memcpy (h + 257, "ustar\0" "00", 8);
  memset (h + 148, ' ', 8);
  for (int i = 0; i < 512; i++)
    sum += h[i];
  g_snprintf ((char *) h + 148, 8, "%06o", sum + (bad_sum ? 1 : 0));
  g_byte_array_append (tar, h, 512);
}

static void
put_data (GByteArray *tar,
          gsize       size)
{
  guchar zero[512] = { 0 };

  for (gsize i = 0; i < size; i++)
    g_byte_array_append (tar, (const guchar *) "x", 1);
  if (size % 512 != 0)
    g_byte_array_append (tar, zero, 512 - size % 512);
}

static GPtrArray *
list (GByteArray  *tar,
      gboolean     end_blocks,
      GError     **error)
{
  g_autofree char *path = NULL;
  guchar zero[1024] = { 0 };
  GPtrArray *members;
  int fd = g_file_open_tmp ("test-ovf-XXXXXX.ova", &path, NULL);

  g_assert_cmpint (fd, >=, 0);
  if (end_blocks)
    g_byte_array_append (tar, zero, sizeof zero);
  g_assert_cmpint (write (fd, tar->data, tar->len), ==, tar->len);
  members = hv_tar_list (fd, "t.ova", error);
  close (fd);
  g_unlink (path);
  return members;
}

static void
tar_refused (GByteArray *tar,
             const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) members = list (tar, TRUE, &error);

  g_assert_null (members);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, part) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, part);
  g_byte_array_unref (tar);
}

static void
test_tar (void)
{
  g_autoptr(GByteArray) good = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) members = NULL;
  GByteArray *t;
  HvTarMember *m;

  put_header (good, "./vm.ovf", 10, '0', FALSE, FALSE);
  put_data (good, 10);
  put_header (good, "vm-disk1.vmdk", 600, '\0', TRUE, FALSE);   /* GNU base-256 size */
  put_data (good, 600);
  members = list (good, FALSE, &error);   /* no end blocks: tolerated */
  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, 2);
  m = g_ptr_array_index (members, 0);
  g_assert_cmpstr (m->name, ==, "vm.ovf");
  g_assert_cmpuint (m->offset, ==, 512);
  g_assert_cmpuint (m->size, ==, 10);
  m = hv_tar_find (members, "vm-disk1.vmdk");
  g_assert_nonnull (m);
  g_assert_cmpuint (m->offset, ==, 1536);
  g_assert_cmpuint (m->size, ==, 600);

  t = g_byte_array_new ();
  put_header (t, "a.ovf", 10, '0', FALSE, TRUE);
  put_data (t, 10);
  tar_refused (t, "wrong checksum");
  t = g_byte_array_new ();
  put_header (t, "a.ovf", 100000, '0', FALSE, FALSE);
  put_data (t, 10);
  tar_refused (t, "declares 100000 bytes");
  t = g_byte_array_new ();
  put_header (t, "a.ovf", (G_GUINT64_CONSTANT (1) << 62), '0', TRUE, FALSE);
  tar_refused (t, "declares");
  t = g_byte_array_new ();
  put_header (t, "../a.ovf", 0, '0', FALSE, FALSE);
  tar_refused (t, "climbs out");
  t = g_byte_array_new ();
  put_header (t, "dir/../../a.ovf", 0, '0', FALSE, FALSE);
  tar_refused (t, "climbs out");
  t = g_byte_array_new ();
  put_header (t, "/etc/a.ovf", 0, '0', FALSE, FALSE);
  tar_refused (t, "absolute name");
  t = g_byte_array_new ();
  put_header (t, "dir/a.ovf", 0, '0', FALSE, FALSE);
  tar_refused (t, "not a plain file name");
  t = g_byte_array_new ();
  put_header (t, "a.ovf", 0, '2', FALSE, FALSE);
  tar_refused (t, "is a link");
  t = g_byte_array_new ();
  put_header (t, "a.ovf", 0, '1', FALSE, FALSE);
  tar_refused (t, "is a link");
  t = g_byte_array_new ();
  put_header (t, "dev", 0, '3', FALSE, FALSE);
  tar_refused (t, "not a regular file");
  t = g_byte_array_new ();
  put_header (t, "dir", 0, '5', FALSE, FALSE);
  tar_refused (t, "not a regular file");
  t = g_byte_array_new ();
  put_header (t, "pax", 0, 'x', FALSE, FALSE);
  tar_refused (t, "extended");
  t = g_byte_array_new ();
  put_header (t, "a.ovf", 1, '0', FALSE, FALSE);
  put_data (t, 1);
  put_header (t, "a.ovf", 1, '0', FALSE, FALSE);
  put_data (t, 1);
  tar_refused (t, "twice");
  t = g_byte_array_new ();
  g_byte_array_append (t, (const guchar *) "not a tar", 9);
  put_data (t, 503);
  tar_refused (t, "ustar");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ovf/virtualbox", test_vbox);
  g_test_add_func ("/ovf/ovf2-vmware", test_ovf2);
  g_test_add_func ("/ovf/refused", test_refused);
  g_test_add_func ("/ovf/units", test_units);
  g_test_add_func ("/ovf/os-table", test_os_table);
  g_test_add_func ("/ovf/tar-names", test_tar_names);
  g_test_add_func ("/ovf/tar", test_tar);
  return g_test_run ();
}
