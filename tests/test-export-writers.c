/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The export's writers without a VM: the ustar writer's headers, member names and record
 * padding (hv-export-tar.c), the OVF descriptor and the libvirt domain with names that XML
 * must escape, their warnings, and the OS table (hv-export-ovf.c, hv-export-libvirt.c). */
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>

#include "hv-config.h"
#include "hv-export-libvirt.h"
#include "hv-export-ovf.h"
#include "hv-export-tar.h"

#define HOSTILE "a<b>&\"c' ]]> é"

static void
test_tar_names (void)
{
  g_assert_true (hv_export_tar_name_is_valid ("vm.ovf"));
  g_assert_true (hv_export_tar_name_is_valid ("vm_1-disk1.vmdk"));
  g_assert_false (hv_export_tar_name_is_valid (""));
  g_assert_false (hv_export_tar_name_is_valid ("../x"));
  g_assert_false (hv_export_tar_name_is_valid ("a/b"));
  g_assert_false (hv_export_tar_name_is_valid (".hidden"));
  g_assert_false (hv_export_tar_name_is_valid ("-x"));
  g_assert_false (hv_export_tar_name_is_valid ("a b"));
  g_assert_false (hv_export_tar_name_is_valid ("é"));
}

static guint
header_sum (const guchar *h)
{
  guint sum = 0;

  for (guint i = 0; i < 512; i++)
    sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum;
}

static void
test_tar_write (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-export-tar-XXXXXX", NULL);
  g_autofree char *a = g_build_filename (dir, "a", NULL);
  g_autofree char *b = g_build_filename (dir, "b", NULL);
  g_autofree char *tar = g_build_filename (dir, "out.ova", NULL);
  const char *files[] = { a, b, NULL };
  const char *names[] = { "first.ovf", "second.vmdk", NULL };
  const char *bad_names[] = { "first.ovf", "../x", NULL };
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true (g_file_set_contents (a, "hello", 5, NULL));
  g_assert_true (g_file_set_contents (b, "", 0, NULL));
  g_assert_false (hv_export_tar_write (tar, files, bad_names, NULL, NULL, NULL, &error));
  g_assert_false (g_file_test (tar, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  g_assert_true (hv_export_tar_write (tar, files, names, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (tar, &contents, &len, NULL));
  g_assert_cmpuint (len % 10240, ==, 0);
  /* first member: header, 5 bytes padded to a block */
  g_assert_cmpstr (contents, ==, "first.ovf");
  g_assert_cmpint (memcmp (contents + 257, "ustar\0" "00", 8), ==, 0);
  g_assert_cmpstr (contents + 124, ==, "00000000005");
  g_assert_cmpuint (strtoul (contents + 148, NULL, 8), ==, header_sum ((guchar *) contents));
  g_assert_cmpint (contents[156], ==, '0');
  g_assert_cmpint (memcmp (contents + 512, "hello", 5), ==, 0);
  /* second member, empty: its header right after */
  g_assert_cmpstr (contents + 1024, ==, "second.vmdk");
  g_assert_cmpstr (contents + 1024 + 124, ==, "00000000000");
  g_assert_cmpuint (strtoul (contents + 1024 + 148, NULL, 8), ==,
                    header_sum ((guchar *) contents + 1024));
  /* then the end: zero blocks */
  for (gsize i = 1536; i < len; i++)
    g_assert_cmpint (contents[i], ==, 0);

  /* never over an existing file */
  g_assert_false (hv_export_tar_write (tar, files, names, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_unlink (a);
  g_unlink (b);
  g_unlink (tar);
  g_rmdir (dir);
}

static void
test_os_ids (void)
{
  guint cim;
  const char *vbox, *description;

  hv_export_ovf_os_ids ("debian12", &cim, &vbox, &description);
  g_assert_cmpuint (cim, ==, 96);
  g_assert_cmpstr (vbox, ==, "Debian_64");
  hv_export_ovf_os_ids ("win10", &cim, &vbox, &description);
  g_assert_cmpstr (vbox, ==, "Windows10_64");
  /* Not in the export's families: from the import's table. */
  hv_export_ovf_os_ids ("win98", &cim, &vbox, &description);
  g_assert_cmpstr (vbox, ==, "Windows98");
  hv_export_ovf_os_ids ("win100", &cim, &vbox, &description);
  g_assert_cmpstr (vbox, ==, "Other");
  hv_export_ovf_os_ids ("", &cim, &vbox, &description);
  g_assert_cmpuint (cim, ==, 1);
  hv_export_ovf_os_ids (NULL, &cim, &vbox, &description);
  g_assert_cmpstr (vbox, ==, "Other");
}

/* The text of the first node @xpath finds in @xml (parsed without network or entities). */
static char *
xpath_text (const char *xml,
            const char *xpath)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "test.xml", NULL, XML_PARSE_NONET);
  xmlXPathContextPtr ctx;
  xmlXPathObjectPtr result;
  char *text = NULL;

  g_assert_nonnull (doc);
  ctx = xmlXPathNewContext (doc);
  result = xmlXPathEvalExpression (BAD_CAST xpath, ctx);
  if (result != NULL && result->nodesetval != NULL && result->nodesetval->nodeNr > 0)
    {
      xmlChar *content = xmlNodeGetContent (result->nodesetval->nodeTab[0]);

      text = g_strdup ((const char *) content);
      xmlFree (content);
    }
  xmlXPathFreeObject (result);
  xmlXPathFreeContext (ctx);
  xmlFreeDoc (doc);
  return text;
}

static gboolean
has_warning (GPtrArray  *warnings,
             const char *part)
{
  for (guint i = 0; i < warnings->len; i++)
    if (strstr (g_ptr_array_index (warnings, i), part) != NULL)
      return TRUE;
  return FALSE;
}

static HvVmConfig *
hostile_config (void)
{
  HvVmConfig *config = hv_vm_config_new (HOSTILE);

  g_free (config->description);
  config->description = g_strdup ("<!ENTITY x SYSTEM \"file:///etc/passwd\">&x; ]]>");
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO,
                                                 HV_DISK_FORMAT_QCOW2, "disk.qcow2"));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                 HV_DISK_FORMAT_RAW, "/x/cd.iso"));
  return config;
}

static void
test_ovf (void)
{
  g_autoptr(HvVmConfig) config = hostile_config ();
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_ovf_disk_free);
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  HvOvfDisk *disk = g_new0 (HvOvfDisk, 1);
  g_autofree char *ovf = NULL;
  g_autofree char *name = NULL;
  g_autofree char *annotation = NULL;
  g_autofree char *capacity = NULL;

  disk->drive_index = 0;
  disk->href = g_strdup ("vm-disk1.vmdk");
  disk->file_size = 123;
  disk->capacity = 1 << 30;
  g_ptr_array_add (disks, disk);
  ovf = hv_export_ovf_write (config, disks, warnings);
  name = xpath_text (ovf, "//*[local-name()='VirtualSystem']/*[local-name()='Name']");
  g_assert_cmpstr (name, ==, HOSTILE);
  annotation = xpath_text (ovf, "//*[local-name()='Annotation']");
  g_assert_cmpstr (annotation, ==, config->description);
  capacity = xpath_text (ovf, "//*[local-name()='Disk']/@*[local-name()='capacity']");
  g_assert_cmpstr (capacity, ==, "1073741824");
  g_assert_true (has_warning (warnings, "virtio disk, exported on the SATA controller"));
  g_assert_true (has_warning (warnings, "virtio-net model is exported as an E1000"));
  g_assert_true (has_warning (warnings, "CD-ROM's medium is not exported"));
}

/* A PC with three IDE units: two IDE controllers, the third unit on the second, as unit 0. */
static void
test_ovf_ide (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("ide");
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_ovf_disk_free);
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ovf = NULL;
  g_autofree char *second = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *address = NULL;

  for (guint i = 0; i < 3; i++)
    {
      HvOvfDisk *disk = g_new0 (HvOvfDisk, 1);

      g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_IDE,
                                                     HV_DISK_FORMAT_QCOW2, "d.qcow2"));
      disk->drive_index = i;
      disk->href = g_strdup_printf ("vm-disk%u.vmdk", i + 1);
      g_ptr_array_add (disks, disk);
    }
  ovf = hv_export_ovf_write (config, disks, warnings);
  second = xpath_text (ovf, "//*[local-name()='Item'][*[local-name()='ResourceType']='5']"
                            "[*[local-name()='Address']='1']/*[local-name()='InstanceID']");
  g_assert_nonnull (second);
  parent = xpath_text (ovf, "//*[local-name()='Item'][*[local-name()='HostResource']="
                            "'ovf:/disk/vmdisk3']/*[local-name()='Parent']");
  g_assert_cmpstr (parent, ==, second);
  address = xpath_text (ovf, "//*[local-name()='Item'][*[local-name()='HostResource']="
                             "'ovf:/disk/vmdisk3']/*[local-name()='AddressOnParent']");
  g_assert_cmpstr (address, ==, "0");
}

static void
test_libvirt (void)
{
  g_autoptr(HvVmConfig) config = hostile_config ();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  char *files[] = { (char *) "disk1.qcow2", NULL, NULL };
  HvLibvirtExport export = { "/exports/a dir", files, NULL, NULL, NULL, 0, FALSE };
  g_autofree char *xml = NULL;
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;
  g_autofree char *source = NULL;
  g_autofree char *cd_source = NULL;
  g_autofree char *machine = NULL;

  config->machine_type = g_strdup ("pc-i440fx-7.2");
  xml = hv_export_libvirt_domain (config, &export, warnings);
  name = xpath_text (xml, "/domain/name");
  g_assert_cmpstr (name, ==, HOSTILE);
  type = xpath_text (xml, "/domain/@type");
  g_assert_cmpstr (type, ==, "qemu");
  machine = xpath_text (xml, "/domain/os/type/@machine");
  g_assert_cmpstr (machine, ==, "pc-i440fx-7.2");
  source = xpath_text (xml, "/domain/devices/disk[@device='disk']/source/@file");
  g_assert_cmpstr (source, ==, "/exports/a dir/disk1.qcow2");
  cd_source = xpath_text (xml, "/domain/devices/disk[@device='cdrom']/source/@file");
  g_assert_null (cd_source);
  g_assert_true (has_warning (warnings, "CD-ROM's medium is not exported"));
  g_clear_pointer (&type, g_free);
  export.kvm = TRUE;
  g_free (xml);
  xml = hv_export_libvirt_domain (config, &export, warnings);
  type = xpath_text (xml, "/domain/@type");
  g_assert_cmpstr (type, ==, "kvm");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/export/tar/names", test_tar_names);
  g_test_add_func ("/export/tar/write", test_tar_write);
  g_test_add_func ("/export/ovf/os-ids", test_os_ids);
  g_test_add_func ("/export/ovf/escaping", test_ovf);
  g_test_add_func ("/export/ovf/ide", test_ovf_ide);
  g_test_add_func ("/export/libvirt/escaping", test_libvirt);
  return g_test_run ();
}
