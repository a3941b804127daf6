/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-config-util.c: the helpers of test-config-util.h. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "hv-config.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-qemu-argv.h"
#include "hv-fileutil-private.h"
#include "hv-vm-options.h"
#include "test-config-util.h"


char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hv-test-config-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        rm_rf (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Sorted names in `dir`, so that failures are reported in a stable order. */
GPtrArray *
list_dir (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

void
write_file (const char *path,
            const char *contents,
            gssize      len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

/* A config that sets every field to something other than its default. */
HvVmConfig *
make_full_config (void)
{
  HvVmConfig *config = hv_vm_config_new ("Full \"test\" <VM> & co, a=b");
  HvDrive *drive;
  HvShare *share;

  g_free (config->uuid);
  config->uuid = g_strdup ("0f0e0d0c-0b0a-4908-8706-050403020100");
  g_free (config->folder);
  config->folder = g_strdup ("Lab/Web servers");
  g_free (config->os_id);
  config->os_id = g_strdup ("fedora-rawhide");
  g_free (config->description);
  config->description = g_strdup ("  leading spaces\n\ttab & <markup>\r\n"
                                   "CRLF \"quotes\" 'single' ");
  config->machine = HV_MACHINE_Q35;
  config->firmware = HV_FIRMWARE_UEFI;
  config->memory_mib = 8192;
  config->cpus = 8;
  config->video = HV_VIDEO_VIRTIO;
  g_free (config->boot_order);
  config->boot_order = g_strdup ("ndca");
  config->kernel = g_strdup ("/boot/vmlinuz-6.1");
  config->initrd = g_strdup ("/boot/initrd.img-6.1");
  config->cmdline = g_strdup ("console=ttyS0 quiet init=\"/bin/sh\" a&b<c>");

  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO,
                                                 HV_DISK_FORMAT_QCOW2, "disk0.qcow2"));
  drive = hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_SATA, HV_DISK_FORMAT_RAW,
                        "/srv/images/data, \"shared\".img");
  drive->readonly = TRUE;
  g_ptr_array_add (config->drives, drive);
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                 HV_DISK_FORMAT_RAW, NULL));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_SATA,
                                                 HV_DISK_FORMAT_QCOW2, "../isos/日本.iso"));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC,
                                                 HV_DISK_FORMAT_RAW, "floppy.img"));

  g_ptr_array_set_size (config->nics, 0);
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "e1000e", "52:54:00:aa:bb:cc"));
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NONE, "rtl8139", "02:00:00:00:00:01"));
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "ne2k_isa", "52:54:00:00:00:02"));

  config->clipboard_mode = HV_CLIPBOARD_GUEST_TO_HOST;
  g_ptr_array_add (config->shares, hv_share_new ("Documents", "/home/u/Documents", FALSE));
  share = hv_share_new ("music.v2_old-backup", "/srv/a,b=c/\"Mü & <sic>\"", TRUE);
  share->automount = FALSE;
  g_ptr_array_add (config->shares, share);
  g_ptr_array_add (config->shares, hv_share_new ("_9", "/", FALSE));
  return config;
}

void
assert_config_equal (const HvVmConfig *a,
                     const HvVmConfig *b)
{
  g_assert_cmpstr (a->uuid, ==, b->uuid);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->folder, ==, b->folder);
  g_assert_cmpstr (a->os_id, ==, b->os_id);
  g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpint (a->machine, ==, b->machine);
  g_assert_cmpstr (a->machine_type, ==, b->machine_type);
  g_assert_cmpint (a->firmware, ==, b->firmware);
  g_assert_cmpuint (a->memory_mib, ==, b->memory_mib);
  g_assert_cmpuint (a->cpus, ==, b->cpus);
  g_assert_cmpint (a->video, ==, b->video);
  g_assert_cmpstr (a->boot_order, ==, b->boot_order);
  g_assert_cmpint (a->acceleration, ==, b->acceleration);
  g_assert_cmpstr (a->kernel, ==, b->kernel);
  g_assert_cmpstr (a->initrd, ==, b->initrd);
  g_assert_cmpstr (a->cmdline, ==, b->cmdline);

  g_assert_cmpuint (a->drives->len, ==, b->drives->len);
  for (guint i = 0; i < a->drives->len; i++)
    {
      const HvDrive *da = g_ptr_array_index (a->drives, i);
      const HvDrive *db = g_ptr_array_index (b->drives, i);

      g_assert_cmpint (da->kind, ==, db->kind);
      g_assert_cmpint (da->bus, ==, db->bus);
      g_assert_cmpint (da->format, ==, db->format);
      g_assert_cmpstr (da->path, ==, db->path);
      g_assert_cmpint (da->readonly, ==, db->readonly);
      g_assert_cmpstr (da->backing, ==, db->backing);
    }

  g_assert_cmpuint (a->nics->len, ==, b->nics->len);
  for (guint i = 0; i < a->nics->len; i++)
    {
      const HvNic *na = g_ptr_array_index (a->nics, i);
      const HvNic *nb = g_ptr_array_index (b->nics, i);

      g_assert_cmpint (na->mode, ==, nb->mode);
      g_assert_cmpstr (na->model, ==, nb->model);
      g_assert_cmpstr (na->mac, ==, nb->mac);
    }

  g_assert_cmpint (a->clipboard_mode, ==, b->clipboard_mode);
  g_assert_cmpint (a->share_transport, ==, b->share_transport);
  g_assert_cmpuint (a->shares->len, ==, b->shares->len);
  for (guint i = 0; i < a->shares->len; i++)
    {
      const HvShare *sa = g_ptr_array_index (a->shares, i);
      const HvShare *sb = g_ptr_array_index (b->shares, i);

      g_assert_cmpstr (sa->name, ==, sb->name);
      g_assert_cmpstr (sa->path, ==, sb->path);
      g_assert_cmpint (sa->readonly, ==, sb->readonly);
      g_assert_cmpint (sa->automount, ==, sb->automount);
    }
}

void
assert_one_line_error (const GError *error,
                       int           code,
                       const char   *fragment)
{
  g_assert_error (error, HV_ERROR, code);
  g_assert_null (strchr (error->message, '\n'));
  if (strstr (error->message, fragment) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, fragment);
}
