/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-config.c: VM configs: data helpers, validation, the XML form on disk, and the
 * atomic file helpers under it. Test data is in tests/configs/: good/ must load,
 * bad/ must each fail with the message listed in bad_configs[] below. */
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

/* Helpers */

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hv-test-config-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
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

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Sorted names in `dir`, so that failures are reported in a stable order. */
static GPtrArray *
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

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
write_file (const char *path,
            const char *contents,
            gssize      len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

/* A config that sets every field to something other than its default. */
static HvVmConfig *
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

static void
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

static void
assert_one_line_error (const GError *error,
                       int           code,
                       const char   *fragment)
{
  g_assert_error (error, HV_ERROR, code);
  g_assert_null (strchr (error->message, '\n'));
  if (strstr (error->message, fragment) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, fragment);
}

/* Defaults and data helpers */

static void
test_defaults (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Fresh");
  g_autoptr(HvVmConfig) other = hv_vm_config_new ("Fresh");
  g_autoptr(GError) error = NULL;
  const HvNic *nic;

  g_assert_true (g_uuid_string_is_valid (config->uuid));
  g_assert_cmpstr (config->uuid, !=, other->uuid);
  for (const char *p = config->uuid; *p; p++)
    g_assert_false (g_ascii_isupper (*p));
  g_assert_cmpstr (config->name, ==, "Fresh");
  g_assert_cmpstr (config->folder, ==, "");
  g_assert_cmpstr (config->os_id, ==, "");
  g_assert_cmpstr (config->description, ==, "");
  g_assert_cmpint (config->machine, ==, HV_MACHINE_PC);
  g_assert_cmpint (config->firmware, ==, HV_FIRMWARE_BIOS);
  g_assert_cmpuint (config->memory_mib, ==, 1024);
  g_assert_cmpuint (config->cpus, ==, 1);
  g_assert_cmpint (config->video, ==, HV_VIDEO_STD);
  g_assert_cmpstr (config->boot_order, ==, "cd");
  g_assert_null (config->kernel);
  g_assert_null (config->initrd);
  g_assert_null (config->cmdline);
  g_assert_cmpuint (config->drives->len, ==, 0);
  g_assert_cmpuint (config->nics->len, ==, 1);
  g_assert_cmpint (config->clipboard_mode, ==, HV_CLIPBOARD_OFF);
  g_assert_nonnull (config->shares);
  g_assert_cmpuint (config->shares->len, ==, 0);

  nic = g_ptr_array_index (config->nics, 0);
  g_assert_cmpint (nic->mode, ==, HV_NET_NAT);
  g_assert_cmpstr (nic->model, ==, "virtio-net");
  g_assert_true (hv_mac_is_valid (nic->mac));
  g_assert_true (g_str_has_prefix (nic->mac, "52:54:00:"));

  g_assert_true (hv_vm_config_validate (config, &error));
  g_assert_no_error (error);
}

static void
test_copy (void)
{
  g_autoptr(HvVmConfig) config = make_full_config ();
  g_autoptr(HvVmConfig) copy = hv_vm_config_copy (config);
  g_autoptr(HvDrive) drive = hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                           HV_DISK_FORMAT_RAW, NULL);
  g_autoptr(HvDrive) drive_copy = hv_drive_copy (drive);
  g_autoptr(HvShare) share = hv_share_new ("docs", "/d", TRUE);
  g_autoptr(HvShare) share_copy = NULL;

  assert_config_equal (config, copy);
  /* Deep: nothing is shared. */
  g_assert_true (config->name != copy->name);
  g_assert_true (config->drives != copy->drives);
  g_assert_true (g_ptr_array_index (config->drives, 0) != g_ptr_array_index (copy->drives, 0));
  g_assert_true (g_ptr_array_index (config->nics, 0) != g_ptr_array_index (copy->nics, 0));
  g_assert_true (config->shares != copy->shares);
  g_assert_true (g_ptr_array_index (config->shares, 0) != g_ptr_array_index (copy->shares, 0));
  g_assert_true (((HvShare *) g_ptr_array_index (config->shares, 0))->path
                 != ((HvShare *) g_ptr_array_index (copy->shares, 0))->path);

  /* A new share is mounted by the agent unless told otherwise; a copy keeps every field. */
  g_assert_true (share->automount);
  share->automount = FALSE;
  share_copy = hv_share_copy (share);
  g_assert_cmpstr (share_copy->name, ==, "docs");
  g_assert_cmpstr (share_copy->path, ==, "/d");
  g_assert_true (share_copy->readonly);
  g_assert_false (share_copy->automount);

  g_assert_true (drive->readonly);
  g_assert_null (drive_copy->path);
  g_assert_true (drive_copy->readonly);
}

static void
test_enums (void)
{
  HvMachine machine;
  HvFirmware firmware;
  HvDriveKind kind;
  HvDriveBus bus;
  HvDiskFormat format;
  HvNetMode mode;
  HvVideo video;
  HvClipboardMode clipboard;
  HvShareTransport transport;

  for (int v = HV_SHARE_TRANSPORT_AUTO; v <= HV_SHARE_TRANSPORT_VIRTIOFS; v++)
    {
      g_assert_true (hv_share_transport_from_string (hv_share_transport_to_string (v),
                                                     &transport));
      g_assert_cmpint (transport, ==, v);
    }
  g_assert_cmpstr (hv_share_transport_to_string (HV_SHARE_TRANSPORT_AUTO), ==, "auto");
  g_assert_cmpstr (hv_share_transport_to_string (HV_SHARE_TRANSPORT_9P), ==, "9p");
  g_assert_cmpstr (hv_share_transport_to_string (HV_SHARE_TRANSPORT_VIRTIOFS), ==, "virtiofs");
  g_assert_false (hv_share_transport_from_string ("9P", &transport));
  g_assert_false (hv_share_transport_from_string ("virtio-fs", &transport));
  g_assert_false (hv_share_transport_from_string (NULL, &transport));

  for (int v = HV_MACHINE_PC; v <= HV_MACHINE_Q35; v++)
    {
      g_assert_true (hv_machine_from_string (hv_machine_to_string (v), &machine));
      g_assert_cmpint (machine, ==, v);
    }
  for (int v = HV_FIRMWARE_BIOS; v <= HV_FIRMWARE_UEFI; v++)
    {
      g_assert_true (hv_firmware_from_string (hv_firmware_to_string (v), &firmware));
      g_assert_cmpint (firmware, ==, v);
    }
  for (int v = HV_DRIVE_DISK; v <= HV_DRIVE_FLOPPY; v++)
    {
      g_assert_true (hv_drive_kind_from_string (hv_drive_kind_to_string (v), &kind));
      g_assert_cmpint (kind, ==, v);
    }
  for (int v = HV_DRIVE_BUS_IDE; v <= HV_DRIVE_BUS_FDC; v++)
    {
      g_assert_true (hv_drive_bus_from_string (hv_drive_bus_to_string (v), &bus));
      g_assert_cmpint (bus, ==, v);
    }
  for (int v = HV_DISK_FORMAT_RAW; v <= HV_DISK_FORMAT_QCOW2; v++)
    {
      g_assert_true (hv_disk_format_from_string (hv_disk_format_to_string (v), &format));
      g_assert_cmpint (format, ==, v);
    }
  for (int v = HV_NET_NAT; v <= HV_NET_NONE; v++)
    {
      g_assert_true (hv_net_mode_from_string (hv_net_mode_to_string (v), &mode));
      g_assert_cmpint (mode, ==, v);
    }
  for (int v = HV_VIDEO_STD; v <= HV_VIDEO_NONE; v++)
    {
      g_assert_true (hv_video_from_string (hv_video_to_string (v), &video));
      g_assert_cmpint (video, ==, v);
    }

  for (int v = HV_CLIPBOARD_OFF; v <= HV_CLIPBOARD_BOTH; v++)
    {
      g_assert_true (hv_clipboard_mode_from_string (hv_clipboard_mode_to_string (v), &clipboard));
      g_assert_cmpint (clipboard, ==, v);
    }

  g_assert_cmpstr (hv_machine_to_string (HV_MACHINE_Q35), ==, "q35");
  g_assert_cmpstr (hv_clipboard_mode_to_string (HV_CLIPBOARD_OFF), ==, "off");
  g_assert_cmpstr (hv_clipboard_mode_to_string (HV_CLIPBOARD_HOST_TO_GUEST), ==, "host-to-guest");
  g_assert_cmpstr (hv_clipboard_mode_to_string (HV_CLIPBOARD_GUEST_TO_HOST), ==, "guest-to-host");
  g_assert_cmpstr (hv_clipboard_mode_to_string (HV_CLIPBOARD_BOTH), ==, "both");
  g_assert_false (hv_clipboard_mode_from_string ("Both", &clipboard));
  g_assert_false (hv_clipboard_mode_from_string ("host_to_guest", &clipboard));
  g_assert_false (hv_clipboard_mode_from_string (NULL, &clipboard));
  g_assert_cmpstr (hv_drive_bus_to_string (HV_DRIVE_BUS_FDC), ==, "fdc");
  g_assert_cmpstr (hv_video_to_string (HV_VIDEO_CIRRUS), ==, "cirrus");
  g_assert_false (hv_machine_from_string ("PC", &machine));
  g_assert_false (hv_machine_from_string ("", &machine));
  g_assert_false (hv_machine_from_string (NULL, &machine));
  g_assert_false (hv_drive_bus_from_string ("scsi", &bus));
  g_assert_false (hv_video_from_string ("qxl", &video));

  g_assert_true (hv_nic_model_is_valid ("virtio-net"));
  g_assert_true (hv_nic_model_is_valid ("ne2k_isa"));
  g_assert_false (hv_nic_model_is_valid ("virtio"));
  g_assert_false (hv_nic_model_is_valid ("E1000"));
  g_assert_false (hv_nic_model_is_valid (NULL));
}

/* Adapters: addresses, rule names, targets, and Modify's nicN options. */
static void
test_nic_rules (void)
{
  static const char * const good_ipv4[] = { "127.0.0.1", "0.0.0.0", "10.0.2.15",
                                            "255.255.255.255", "1.2.3.4" };
  static const char * const bad_ipv4[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
                                           "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d",
                                           "1.2.3.1234", "::1", "1.2.3.-4" };
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("nics");
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(HvPortForward) rule = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict dict;
  const HvNic *nic;

  for (guint i = 0; i < G_N_ELEMENTS (good_ipv4); i++)
    g_assert_true (hv_ipv4_is_valid (good_ipv4[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad_ipv4); i++)
    if (hv_ipv4_is_valid (bad_ipv4[i]))
      g_error ("\"%s\" taken for an IPv4 address", bad_ipv4[i]);
  g_assert_false (hv_ipv4_is_valid (NULL));

  g_assert_true (hv_config_check_forward_name ("ssh.v2_a-b", NULL));
  g_assert_true (hv_config_check_forward_name ("01234567890123456789012345678901", NULL));
  g_assert_false (hv_config_check_forward_name ("012345678901234567890123456789012", NULL));
  g_assert_false (hv_config_check_forward_name ("", NULL));
  g_assert_false (hv_config_check_forward_name ("a/b", NULL));
  g_assert_false (hv_config_check_forward_name ("é", NULL));

  g_assert_true (hv_config_check_net_target (HV_NET_INTERNAL, "lab-1", NULL));
  g_assert_false (hv_config_check_net_target (HV_NET_INTERNAL, "-lab", NULL));
  g_assert_false (hv_config_check_net_target (HV_NET_HOST_ONLY, "thirteen-char", NULL));
  g_assert_false (hv_config_check_net_target (HV_NET_HOST_ONLY, NULL, NULL));
  g_assert_true (hv_config_check_net_target (HV_NET_BRIDGED, "enp0s31f6.100", NULL));
  g_assert_false (hv_config_check_net_target (HV_NET_BRIDGED, "..", NULL));
  g_assert_false (hv_config_check_net_target (HV_NET_BRIDGED, "br0;reboot", NULL));
  g_assert_true (hv_config_check_net_target (HV_NET_NAT, NULL, NULL));

  rule = hv_port_forward_new ("web", FALSE, NULL, 8080, NULL, 80);
  g_assert_cmpstr (rule->host_address, ==, "127.0.0.1");
  g_assert_cmpstr (rule->guest_address, ==, "");
  g_assert_true (hv_port_forward_check (rule, NULL));
  rule->guest_port = 0;
  g_assert_false (hv_port_forward_check (rule, &error));
  g_assert_nonnull (strstr (error->message, "the guest port must be 1 to 65535"));
  g_clear_error (&error);

  /* Modify: adapter 3 made (2 made disabled before it), settings, "auto" MAC. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "nic3", "s", "internal");
  g_variant_dict_insert (&dict, "nic3-target", "s", "lab");
  g_variant_dict_insert (&dict, "nic3-cable", "b", FALSE);
  g_variant_dict_insert (&dict, "nic1-mac", "s", "auto");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changed->nics->len, ==, 3);
  nic = g_ptr_array_index (changed->nics, 1);
  g_assert_false (nic->enabled);
  nic = g_ptr_array_index (changed->nics, 2);
  g_assert_true (nic->enabled);
  g_assert_cmpint (nic->mode, ==, HV_NET_INTERNAL);
  g_assert_cmpstr (nic->target, ==, "lab");
  g_assert_false (nic->cable);
  g_assert_cmpstr (((HvNic *) g_ptr_array_index (changed->nics, 0))->mac, !=,
                   ((HvNic *) g_ptr_array_index (config->nics, 0))->mac);
  g_clear_pointer (&options, g_variant_unref);

  /* While running only the cable may change. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "nic1-cable", "b", FALSE);
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_clear_pointer (&changed, hv_vm_config_free);
  changed = hv_vm_options_modify (config, options, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (((HvNic *) g_ptr_array_index (changed->nics, 0))->cable);
  g_clear_pointer (&options, g_variant_unref);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "nic1-model", "s", "e1000");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_null (hv_vm_options_modify (config, options, TRUE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "only nic1-cable changes while it runs"));
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);

  /* Settings for an adapter that does not exist; a key of the wrong type. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "nic4-model", "s", "e1000");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_null (hv_vm_options_modify (config, options, FALSE, &error));
  g_assert_nonnull (strstr (error->message, "has no adapter 4"));
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "nic1-cable", "s", "off");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_null (hv_vm_options_modify (config, options, FALSE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static void
test_mac (void)
{
  g_autofree char *a = hv_mac_generate ();
  g_autofree char *b = hv_mac_generate ();
  g_autofree char *c = hv_mac_generate ();

  g_assert_true (hv_mac_is_valid ("52:54:00:12:34:56"));
  g_assert_true (hv_mac_is_valid ("52:54:00:AB:cd:Ef"));
  g_assert_true (hv_mac_is_valid ("02:00:00:00:00:00"));
  g_assert_false (hv_mac_is_valid (NULL));
  g_assert_false (hv_mac_is_valid (""));
  g_assert_false (hv_mac_is_valid ("52:54:00:12:34"));
  g_assert_false (hv_mac_is_valid ("52:54:00:12:34:56:78"));
  g_assert_false (hv_mac_is_valid ("52-54-00-12-34-56"));
  g_assert_false (hv_mac_is_valid ("52:54:00:12:34:5g"));
  g_assert_false (hv_mac_is_valid ("5:254:00:12:34:56"));
  g_assert_false (hv_mac_is_valid ("01:00:5e:00:00:01"));  /* multicast */
  g_assert_false (hv_mac_is_valid ("ff:ff:ff:ff:ff:ff"));  /* broadcast */
  g_assert_false (hv_mac_is_valid ("00:00:00:00:00:00"));

  g_assert_true (hv_mac_is_valid (a));
  g_assert_true (g_str_has_prefix (a, "52:54:00:"));
  g_assert_cmpuint (strlen (a), ==, 17);
  /* Three random 24-bit suffixes are all equal with probability 2^-48. */
  g_assert_true (!g_str_equal (a, b) || !g_str_equal (b, c));
}

/* Names and folders */

static void
test_names (void)
{
  static const char * const good[] = {
    "a", "Win 98", "a,b=c", "日本語", "x..y", "..", "Ubuntu (22.04) \"LTS\" 'x' #1 & <2>",
    "ab\\cd", "emoji 🙂", "x-_.~!@$%^*()[]{};:?", NULL,
  };
  static const struct { const char *name; const char *fragment; } bad[] = {
    { "", "name is empty" },
    { " x", "starts or ends with white space" },
    { "x ", "starts or ends with white space" },
    { "\tx", "control character" },
    { "x\u3000", "starts or ends with white space" },  /* ideographic space */
    { "a\nb", "control character" },
    { "a\tb", "control character" },
    { "a\rb", "control character" },
    { "a\x7f" "b", "control character" },
    { "a\u2028b", "control character" },
    { "../x", "contains '/'" },
    { "a/b", "contains '/'" },
    { "\xff\xfe", "not valid UTF-8" },
    { "caf\xe9", "not valid UTF-8" },
    { "a\xef\xbf\xbe", "cannot be stored" },  /* U+FFFE, not an XML character */
  };
  g_autofree char *max = g_strnfill (HV_NAME_MAX_CHARS, 'x');
  g_autofree char *too_long = g_strnfill (HV_NAME_MAX_CHARS + 1, 'x');
  g_autoptr(GString) max_cjk = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; good[i] != NULL; i++)
    {
      if (!hv_config_check_name (good[i], &error))
        g_error ("name \"%s\" refused: %s", good[i], error->message);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (hv_config_check_name (bad[i].name, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, bad[i].fragment);
      g_clear_error (&error);
    }

  g_assert_false (hv_config_check_name (NULL, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* The limit counts characters, not bytes. */
  g_assert_true (hv_config_check_name (max, NULL));
  g_assert_false (hv_config_check_name (too_long, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "longer than 64 characters");
  g_clear_error (&error);
  for (guint i = 0; i < HV_NAME_MAX_CHARS; i++)
    g_string_append (max_cjk, "語");
  g_assert_true (hv_config_check_name (max_cjk->str, NULL));
  g_string_append (max_cjk, "語");
  g_assert_false (hv_config_check_name (max_cjk->str, NULL));

  /* The message shows the name escaped, so that it stays on one line. */
  g_assert_false (hv_config_check_name ("bad\nname", &error));
  g_assert_nonnull (strstr (error->message, "\"bad\\nname\""));
}

/* Rules for names given now (create, rename): on top of the stored rules, no UUIDs and no
 * characters that hide or fake what a name reads as. Configs with such names still load. */
static void
test_new_names (void)
{
  static const char * const good[] = {
    "a", "Win 98", "a,b=c", "日本語", "emoji 🙂", "x-_.~!@$%^*()[]{};:?", "Ünïcødé 日本",
    "0f0e0d0c-0b0a-4908-8706-05040302010",     /* one digit short of a UUID */
    "0f0e0d0c-0b0a-4908-8706-050403020100 x",  /* a UUID and more */
    "עברית", "العربية",                          /* right-to-left scripts are fine */
    NULL,
  };
  static const struct { const char *name; const char *fragment; const char *shown; } bad[] = {
    { "0f0e0d0c-0b0a-4908-8706-050403020100", "is a UUID", NULL },
    { "0F0E0D0C-0B0A-4908-8706-050403020100", "is a UUID", NULL },
    { "abc\u202egnp.exe", "invisible formatting character (U+202E)", "abc\\u202egnp.exe" },
    { "a\u200bb", "(U+200B)", "a\\u200bb" },      /* zero-width space */
    { "a\u200db", "(U+200D)", "a\\u200db" },      /* zero-width joiner */
    { "\ufeffx", "(U+FEFF)", "\\ufeffx" },        /* BOM */
    { "a\u2066b\u2069", "(U+2066)", NULL },         /* left-to-right isolate */
    { "a\u202ab", "(U+202A)", NULL },               /* left-to-right embedding */
    { "a\u00adb", "(U+00AD)", NULL },               /* soft hyphen, invisible too */
    { "a\ue000", "private-use character (U+E000)", NULL },
    { "a\U000F0000", "private-use character (U+F0000)", NULL },
    { "a\u0378", "has not assigned (U+0378)", NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) huge = g_string_new (NULL);

  for (guint i = 0; good[i] != NULL; i++)
    if (!hv_config_check_new_name (good[i], &error))
      g_error ("new name \"%s\" refused: %s", good[i], error->message);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(HvVmConfig) config = hv_vm_config_new (bad[i].name);
      g_autofree char *xml = NULL;
      g_autoptr(HvVmConfig) back = NULL;

      /* A config may have it (named before the rules, or by hand)… */
      g_assert_true (hv_config_check_name (bad[i].name, NULL));
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
      back = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back->name, ==, bad[i].name);

      /* …but it is not given to a VM now, and the message shows the invisible character. */
      g_assert_false (hv_config_check_new_name (bad[i].name, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, bad[i].fragment);
      if (bad[i].shown != NULL)
        assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, bad[i].shown);
      for (const char *p = error->message; *p != '\0'; p = g_utf8_next_char (p))
        g_assert_cmpint (g_unichar_type (g_utf8_get_char (p)), !=, G_UNICODE_FORMAT);
      g_clear_error (&error);
    }

  /* The stored rules come first, and apply to new names too. */
  g_assert_false (hv_config_check_new_name ("a/b", &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "contains '/'");
  g_clear_error (&error);

  /* A name of 10 KiB is not quoted whole, by either check. */
  for (guint i = 0; i < 10240; i++)
    g_string_append_c (huge, 'x');
  g_assert_false (hv_config_check_name (huge->str, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "longer than 64 characters");
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "xxx…\"");
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_clear_error (&error);
  g_string_truncate (huge, 0);
  for (guint i = 0; i < 2000; i++)
    g_string_append (huge, "\xff");
  g_assert_false (hv_config_check_new_name (huge->str, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "not valid UTF-8");
  g_assert_cmpuint (strlen (error->message), <, 300);
  g_clear_error (&error);
}

/* CreateVm and a rename take the rules for new names; a VM that has an old name keeps it. */
static void
test_options_names (void)
{
  g_autoptr(HvVmConfig) legacy = hv_vm_config_new ("abc\u202egnp.exe");
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GVariant) empty = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  HvVmOptionsPlan plan;
  GVariantDict dict;

  config = hv_vm_options_create ("6d2d2c1e-8a44-4f4e-9a55-0c8d7f4b2a10", empty, &plan, &error);
  g_assert_null (config);
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "is a UUID");
  g_clear_error (&error);

  /* Renamed to a bad new name: refused. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", "x\u200by");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_null (hv_vm_options_modify (legacy, options, FALSE, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "U+200B");
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);

  /* Other changes, and "renaming" to the name it has, leave an old name alone. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", legacy->name);
  g_variant_dict_insert (&dict, "memory", "t", (guint64) 256);
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (legacy, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed->name, ==, legacy->name);
  g_assert_cmpuint (changed->memory_mib, ==, 256);
  g_clear_pointer (&options, g_variant_unref);
  g_clear_pointer (&changed, hv_vm_config_free);

  /* An unknown OS points to the list of known ones, at create and modify. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "os", "s", "nosuchos");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_null (hv_vm_options_create ("x", options, &plan, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "hostvisorctl os-list");
  g_assert_null (strstr (error->message, "osinfo-query"));
  g_clear_error (&error);
  g_assert_null (hv_vm_options_modify (legacy, options, FALSE, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "Unknown OS \"nosuchos\"");
}

/* What the argv builder would refuse at start is refused by CreateVm and Modify, with its
 * message; a problem the VM had before a change does not block the change. */
/* Clients never set or change a drive's backing (linked clones: only the engine does). */
static void
test_options_backing (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Clone");
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GError) error = NULL;
  const char *keys[] = { "backing", "disk-backing", "drive0-backing" };
  HvVmOptionsPlan plan = { 0, };
  HvDrive *disk = hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO, HV_DISK_FORMAT_QCOW2,
                                "disk0.qcow2");

  disk->backing = g_strdup ("/lib/bases/b.qcow2");
  g_ptr_array_add (config->drives, disk);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GVariantDict dict;
      g_autoptr(GVariant) options = NULL;

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, keys[i], "s", "/etc/passwd");
      options = g_variant_ref_sink (g_variant_dict_end (&dict));
      g_assert_null (hv_vm_options_modify (config, options, FALSE, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "set only by the engine");
      g_clear_error (&error);
      g_assert_null (hv_vm_options_create ("New", options, &plan, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "set only by the engine");
      g_clear_error (&error);
    }

  /* Other changes keep it. */
  {
    GVariantDict dict;
    g_autoptr(GVariant) options = NULL;

    g_variant_dict_init (&dict, NULL);
    g_variant_dict_insert (&dict, "memory", "t", (guint64) 256);
    options = g_variant_ref_sink (g_variant_dict_end (&dict));
    changed = hv_vm_options_modify (config, options, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (((HvDrive *) g_ptr_array_index (changed->drives, 0))->backing, ==,
                     "/lib/bases/b.qcow2");
  }

  /* Another image for the disk: the base is no backing of it. */
  {
    GVariantDict dict;
    g_autoptr(GVariant) options = NULL;
    g_autoptr(HvVmConfig) other = NULL;
    g_autofree char *image = NULL;
    int fd = g_file_open_tmp ("hv-other-XXXXXX.qcow2", &image, &error);

    g_assert_no_error (error);
    g_assert_cmpint (write (fd, "QFI\xfb", 4), ==, 4);
    close (fd);
    g_variant_dict_init (&dict, NULL);
    g_variant_dict_insert (&dict, "disk", "s", image);
    g_variant_dict_insert (&dict, "disk-format", "s", "qcow2");
    options = g_variant_ref_sink (g_variant_dict_end (&dict));
    other = hv_vm_options_modify (config, options, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (((HvDrive *) g_ptr_array_index (other->drives, 0))->path, ==, image);
    g_assert_null (((HvDrive *) g_ptr_array_index (other->drives, 0))->backing);
    g_unlink (image);
  }
}

static void
test_options_startable (void)
{
  HvQemuCaps caps = {
    .qemu_binary = (char *) "/usr/bin/qemu-system-x86_64",
    .version_major = 7,
    .version_minor = 2,
    .seccomp = TRUE,
  };
  g_autoptr(HvVmConfig) pc = hv_vm_config_new ("Old PC");
  g_autoptr(HvVmConfig) q35 = NULL;
  g_autoptr(HvVmConfig) uefi = NULL;
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict dict;

  pc->machine = HV_MACHINE_PC;
  hv_set_str (&((HvNic *) g_ptr_array_index (pc->nics, 0))->model, "ne2k_isa");
  g_assert_true (hv_vm_options_check_startable (pc, NULL, &caps, &error));
  g_assert_no_error (error);
  g_assert_true (hv_qemu_argv_check (pc, &caps, NULL));

  /* ne2k_isa on q35: the builder's own message, from modify as from create. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "machine", "s", "q35");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  q35 = hv_vm_options_modify (pc, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (hv_vm_options_check_startable (q35, pc, &caps, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "ne2k_isa model needs the pc machine");
  g_clear_error (&error);
  g_assert_false (hv_vm_options_check_startable (q35, NULL, &caps, &error));
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);

  /* Without a QEMU there is nothing to ask. */
  g_assert_true (hv_vm_options_check_startable (q35, NULL, NULL, NULL));

  /* UEFI where OVMF is missing: refused as a change, but once the VM has it (the host lost
   * OVMF), other changes go through. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "firmware", "s", "uefi");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  uefi = hv_vm_options_modify (pc, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (hv_vm_options_check_startable (uefi, pc, &caps, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "OVMF");
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "memory", "t", (guint64) 512);
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (uefi, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (hv_vm_options_check_startable (changed, uefi, &caps, &error));
  g_assert_no_error (error);
}

static void
test_folders (void)
{
  static const char * const good[] = {
    "", "Lab", "Lab/Web", "a,b/c=d/日本語", "x..y/...", "A/B/C/D/E/F/G/H/I/J/K/L/M/N/O/P", NULL,
  };
  static const struct { const char *folder; const char *fragment; } bad[] = {
    { "/Lab", "empty part" },
    { "Lab/", "empty part" },
    { "Lab//Web", "empty part" },
    { "/", "empty part" },
    { "Lab/..", "\".\" or \"..\"" },
    { "../Lab", "\".\" or \"..\"" },
    { "./Lab", "\".\" or \"..\"" },
    { "Lab/ Web", "the part \" Web\" starts or ends with white space" },
    { "Lab/Web ", "white space" },
    { "Lab\n/Web", "control character" },
    { "Lab/\xff", "not valid UTF-8" },
    { "A/B/C/D/E/F/G/H/I/J/K/L/M/N/O/P/Q", "deeper than 16 levels" },
  };
  g_autofree char *long_part = g_strnfill (HV_NAME_MAX_CHARS + 1, 'x');
  g_autoptr(GString) long_folder = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; good[i] != NULL; i++)
    {
      if (!hv_config_check_folder (good[i], &error))
        g_error ("folder \"%s\" refused: %s", good[i], error->message);
    }
  g_assert_true (hv_config_check_folder (NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (hv_config_check_folder (bad[i].folder, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, bad[i].fragment);
      g_clear_error (&error);
    }

  g_assert_false (hv_config_check_folder (long_part, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "longer than 64 characters");
  g_clear_error (&error);

  /* 4 parts of 64 characters and 3 slashes: 259 > 255. */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *part = g_strnfill (HV_NAME_MAX_CHARS, 'a' + i);

      if (i > 0)
        g_string_append_c (long_folder, '/');
      g_string_append (long_folder, part);
    }
  g_assert_false (hv_config_check_folder (long_folder->str, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "longer than 255 characters");
}

static void
test_share_names (void)
{
  static const char * const good[] = {
    "a", "Z", "0", "_", "docs", "My.Documents", "a-b_c.d", "x..", "_hidden", "2024-backup",
    "v1.2", NULL,
  };
  static const struct { const char *name; const char *fragment; } bad[] = {
    { "", "share name is empty" },
    { "../x", "share name \"../x\" may only use the letters A-Z and a-z, digits, '.', '_'" },
    { "..", "share name \"..\" may not start with '.' or '-'" },
    { ".", "may not start with '.' or '-'" },
    { ".hidden", "share name \".hidden\" may not start with '.' or '-'" },
    { "-o", "may not start with '.' or '-'" },
    { "a/b", "share name \"a/b\" may only use" },
    { "a\\b", "may only use" },
    { "a b", "may only use" },
    { "a,b", "may only use" },
    { "a=b", "may only use" },
    { "a:b", "may only use" },
    { "a\nb", "share name \"a\\nb\" may only use" },
    { "Müsik", "may only use" },
    { "\xff", "share name \"\\xff\" may only use" },
  };
  g_autofree char *max = g_strnfill (HV_SHARE_NAME_MAX_CHARS, 'x');
  g_autofree char *too_long = g_strnfill (HV_SHARE_NAME_MAX_CHARS + 1, 'x');
  g_autoptr(GError) error = NULL;

  for (guint i = 0; good[i] != NULL; i++)
    {
      if (!hv_config_check_share_name (good[i], &error))
        g_error ("share name \"%s\" refused: %s", good[i], error->message);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (hv_config_check_share_name (bad[i].name, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, bad[i].fragment);
      g_clear_error (&error);
    }

  g_assert_false (hv_config_check_share_name (NULL, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "share name is empty");
  g_clear_error (&error);

  g_assert_true (hv_config_check_share_name (max, NULL));
  g_assert_false (hv_config_check_share_name (too_long, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "is longer than 64 characters");
}

static void
test_escape (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "plain", "plain" },
    { "日本語", "日本語" },
    { "a\nb\tc\rd", "a\\nb\\tc\\rd" },
    { "q\"b\\s", "q\\\"b\\\\s" },
    { "\x01\x1f\x7f", "\\x01\\x1f\\x7f" },
    { "bad\xff" "byte", "bad\\xffbyte" },
    { "\xc2\x85", "\\u0085" },
    { "\xe2\x80\xa8", "\\u2028" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = hv_config_escape_for_display (cases[i].in);

      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

/* Semantic validation */

typedef void (*Mutation) (HvVmConfig *config);

static void
mut_memory_low (HvVmConfig *c)
{
  c->memory_mib = HV_MEMORY_MIN_MIB - 1;
}

static void
mut_memory_high (HvVmConfig *c)
{
  c->memory_mib = (guint64) HV_MEMORY_MAX_MIB + 1;
}

static void
mut_cpus_zero (HvVmConfig *c)
{
  c->cpus = 0;
}

static void
mut_cpus_high (HvVmConfig *c)
{
  c->cpus = HV_CPUS_MAX + 1;
}

static void
mut_uuid_upper (HvVmConfig *c)
{
  g_free (c->uuid);
  c->uuid = g_strdup ("0F0E0D0C-0B0A-4908-8706-050403020100");
}

static void
mut_uuid_null (HvVmConfig *c)
{
  g_clear_pointer (&c->uuid, g_free);
}

static void
mut_name_newline (HvVmConfig *c)
{
  g_free (c->name);
  c->name = g_strdup ("two\nlines");
}

static void
mut_folder_dotdot (HvVmConfig *c)
{
  g_free (c->folder);
  c->folder = g_strdup ("..");
}

static void
mut_os_id (HvVmConfig *c)
{
  g_free (c->os_id);
  c->os_id = g_strdup ("debian 12");
}

static void
mut_description_control (HvVmConfig *c)
{
  g_free (c->description);
  c->description = g_strdup ("bell \a here");
}

static void
mut_boot_empty (HvVmConfig *c)
{
  g_free (c->boot_order);
  c->boot_order = g_strdup ("");
}

static void
mut_boot_letter (HvVmConfig *c)
{
  g_free (c->boot_order);
  c->boot_order = g_strdup ("cz");
}

static void
mut_initrd_without_kernel (HvVmConfig *c)
{
  g_clear_pointer (&c->kernel, g_free);
}

static void
mut_kernel_relative (HvVmConfig *c)
{
  g_free (c->kernel);
  c->kernel = g_strdup ("boot/vmlinuz");
}

static void
mut_cmdline_long (HvVmConfig *c)
{
  g_free (c->cmdline);
  c->cmdline = g_strnfill (HV_CMDLINE_MAX + 1, 'x');
}

static void
mut_cmdline_newline (HvVmConfig *c)
{
  g_free (c->cmdline);
  c->cmdline = g_strdup ("a\nb");
}

static HvDrive *
drive_at (HvVmConfig *c,
          guint       i)
{
  return g_ptr_array_index (c->drives, i);
}

static void
mut_floppy_on_ide (HvVmConfig *c)
{
  drive_at (c, 4)->bus = HV_DRIVE_BUS_IDE;
}

static void
mut_disk_on_fdc (HvVmConfig *c)
{
  drive_at (c, 0)->bus = HV_DRIVE_BUS_FDC;
}

static void
mut_sata_on_pc (HvVmConfig *c)
{
  c->machine = HV_MACHINE_PC;
}

static void
mut_cdrom_on_virtio (HvVmConfig *c)
{
  drive_at (c, 2)->bus = HV_DRIVE_BUS_VIRTIO;
}

static void
mut_cdrom_writable (HvVmConfig *c)
{
  drive_at (c, 3)->readonly = FALSE;
}

static void
mut_disk_no_path (HvVmConfig *c)
{
  g_clear_pointer (&drive_at (c, 0)->path, g_free);
}

static void
mut_empty_path (HvVmConfig *c)
{
  g_free (drive_at (c, 0)->path);
  drive_at (c, 0)->path = g_strdup ("");
}

static void
mut_shared_disk (HvVmConfig *c)
{
  g_free (drive_at (c, 1)->path);
  drive_at (c, 1)->path = g_strdup ("disk0.qcow2");
}

static void
mut_too_many_drives (HvVmConfig *c)
{
  while (c->drives->len <= HV_MAX_DRIVES)
    {
      g_autofree char *path = g_strdup_printf ("d%u.img", c->drives->len);

      g_ptr_array_add (c->drives, hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO,
                                                HV_DISK_FORMAT_RAW, path));
    }
}

static void
mut_three_floppies (HvVmConfig *c)
{
  g_ptr_array_add (c->drives, hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC,
                                            HV_DISK_FORMAT_RAW, "f2.img"));
  g_ptr_array_add (c->drives, hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC,
                                            HV_DISK_FORMAT_RAW, "f3.img"));
}

static void
mut_seven_ahci (HvVmConfig *c)
{
  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (c->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_SATA,
                                              HV_DISK_FORMAT_RAW, NULL));
}

static void
mut_bad_model (HvVmConfig *c)
{
  HvNic *nic = g_ptr_array_index (c->nics, 0);

  g_free (nic->model);
  nic->model = g_strdup ("virtio");
}

static void
mut_bad_mac (HvVmConfig *c)
{
  HvNic *nic = g_ptr_array_index (c->nics, 1);

  g_free (nic->mac);
  nic->mac = g_strdup ("52:54:00:zz:00:00");
}

static void
mut_duplicate_mac (HvVmConfig *c)
{
  HvNic *nic = g_ptr_array_index (c->nics, 2);

  g_free (nic->mac);
  nic->mac = g_strdup ("52:54:00:AA:BB:CC");
}

static void
mut_too_many_nics (HvVmConfig *c)
{
  g_ptr_array_add (c->nics, hv_nic_new (HV_NET_NAT, "e1000", "52:54:00:00:00:03"));
  g_ptr_array_add (c->nics, hv_nic_new (HV_NET_NAT, "e1000", "52:54:00:00:00:04"));
}

static HvShare *
share_at (HvVmConfig *c,
          guint       i)
{
  return g_ptr_array_index (c->shares, i);
}

static void
mut_share_duplicate (HvVmConfig *c)
{
  g_ptr_array_add (c->shares, hv_share_new ("Documents", "/other", TRUE));
}

static void
mut_share_duplicate_case (HvVmConfig *c)
{
  g_ptr_array_add (c->shares, hv_share_new ("MUSIC.v2_OLD-backup", "/other", TRUE));
}

static void
mut_share_name_dotdot (HvVmConfig *c)
{
  g_free (share_at (c, 1)->name);
  share_at (c, 1)->name = g_strdup ("../x");
}

static void
mut_share_name_hidden (HvVmConfig *c)
{
  g_free (share_at (c, 0)->name);
  share_at (c, 0)->name = g_strdup (".hidden");
}

static void
mut_share_name_null (HvVmConfig *c)
{
  g_clear_pointer (&share_at (c, 2)->name, g_free);
}

static void
mut_share_path_relative (HvVmConfig *c)
{
  g_free (share_at (c, 0)->path);
  share_at (c, 0)->path = g_strdup ("Documents");
}

static void
mut_share_path_null (HvVmConfig *c)
{
  g_clear_pointer (&share_at (c, 1)->path, g_free);
}

static void
mut_share_path_empty (HvVmConfig *c)
{
  g_free (share_at (c, 1)->path);
  share_at (c, 1)->path = g_strdup ("");
}

static void
mut_share_path_newline (HvVmConfig *c)
{
  g_free (share_at (c, 0)->path);
  share_at (c, 0)->path = g_strdup ("/home/u/a\nb");
}

static void
mut_share_path_utf8 (HvVmConfig *c)
{
  g_free (share_at (c, 0)->path);
  share_at (c, 0)->path = g_strdup ("/home/u/caf\xe9");
}

static void
mut_share_missing (HvVmConfig *c)
{
  g_ptr_array_add (c->shares, NULL);
}

static void
mut_too_many_shares (HvVmConfig *c)
{
  while (c->shares->len <= HV_MAX_SHARES)
    {
      g_autofree char *name = g_strdup_printf ("s%u", c->shares->len);

      g_ptr_array_add (c->shares, hv_share_new (name, "/srv/s", FALSE));
    }
}

static void
mut_clipboard_unknown (HvVmConfig *c)
{
  c->clipboard_mode = (HvClipboardMode) (HV_CLIPBOARD_BOTH + 1);
}

static void
mut_share_transport_unknown (HvVmConfig *c)
{
  c->share_transport = (HvShareTransport) (HV_SHARE_TRANSPORT_VIRTIOFS + 1);
}

static void
test_validate (void)
{
  static const struct { Mutation mutate; const char *fragment; } cases[] = {
    { mut_memory_low, "memory 3 MiB is out of range (4 to 1048576 MiB)" },
    { mut_memory_high, "memory 1048577 MiB is out of range" },
    { mut_cpus_zero, "cpus 0 is out of range (1 to 255)" },
    { mut_cpus_high, "cpus 256 is out of range" },
    { mut_uuid_upper, "must be written in lower case" },
    { mut_uuid_null, "uuid is missing" },
    { mut_name_newline, "name \"two\\nlines\" contains a control character" },
    { mut_folder_dotdot, "folder \"..\" has a part \".\" or \"..\"" },
    { mut_os_id, "os \"debian 12\" is not a libosinfo short id" },
    { mut_description_control, "description contains a character that cannot be stored" },
    { mut_boot_empty, "boot order is empty" },
    { mut_boot_letter, "boot order \"cz\" may only use the letters" },
    { mut_initrd_without_kernel, "initrd or command line is set but no kernel" },
    { mut_kernel_relative, "kernel path \"boot/vmlinuz\" is not an absolute path" },
    { mut_cmdline_long, "kernel command line is longer than 4096 bytes" },
    { mut_cmdline_newline, "kernel command line contains a control character" },
    { mut_floppy_on_ide, "drive 5: a floppy drive must use the fdc bus, not ide" },
    { mut_disk_on_fdc, "drive 1: the fdc bus is only for floppy drives" },
    { mut_sata_on_pc, "drive 2: the sata bus needs the q35 machine (this VM uses pc)" },
    { mut_cdrom_on_virtio, "drive 3: a cdrom drive cannot use the virtio bus" },
    { mut_cdrom_writable, "drive 4: a cdrom drive is always read-only" },
    { mut_disk_no_path, "drive 1: a disk drive needs a path" },
    { mut_empty_path, "drive 1: path \"\" is empty" },
    { mut_shared_disk, "drive 2: the image \"disk0.qcow2\" is already used by drive 1" },
    { mut_too_many_drives, "too many drives (17; the limit is 16)" },
    { mut_three_floppies, "drive 7: too many floppy drives (the limit is 2)" },
    { mut_seven_ahci, "drive 9: too many ide and sata drives (the q35 machine has 6 ports)" },
    { mut_bad_model, "adapter 1: unknown model \"virtio\"" },
    { mut_bad_mac, "adapter 2: \"52:54:00:zz:00:00\" is not a MAC address" },
    { mut_duplicate_mac, "adapter 3: MAC address 52:54:00:AA:BB:CC is already used by adapter 1" },
    { mut_too_many_nics, "too many network adapters (5; the limit is 4)" },
    { mut_share_duplicate, "share 4: the name \"Documents\" is already used by share 1" },
    { mut_share_duplicate_case, "share 4: the name \"MUSIC.v2_OLD-backup\" is already used by "
                                "share 2" },
    { mut_share_name_dotdot, "share 2: share name \"../x\" may only use the letters" },
    { mut_share_name_hidden, "share 1: share name \".hidden\" may not start with '.' or '-'" },
    { mut_share_name_null, "share 3: share name is empty" },
    { mut_share_path_relative, "share 1: path \"Documents\" is not an absolute path" },
    { mut_share_path_null, "share 2: path is missing" },
    { mut_share_path_empty, "share 2: path \"\" is empty" },
    { mut_share_path_newline, "share 1: path \"/home/u/a\\nb\" contains a control character" },
    { mut_share_path_utf8, "share 1: path \"/home/u/caf\\xe9\" is not valid UTF-8" },
    { mut_share_missing, "share 4 is missing" },
    { mut_too_many_shares, "too many shared folders (17; the limit is 16)" },
    { mut_clipboard_unknown, "clipboard mode 4 is not a known mode" },
    { mut_share_transport_unknown, "share transport 3 is not a known transport" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HvVmConfig) config = make_full_config ();
      g_autoptr(GError) error = NULL;
      g_autofree char *xml = NULL;

      g_assert_true (hv_vm_config_validate (config, NULL));
      cases[i].mutate (config);
      g_assert_false (hv_vm_config_validate (config, &error));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, cases[i].fragment);
      g_clear_error (&error);

      /* Nothing invalid is ever serialized. */
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_null (xml);
      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_validate_limits (void)
{
  g_autoptr(HvVmConfig) config = make_full_config ();

  /* The edges of each range are allowed. */
  config->memory_mib = HV_MEMORY_MIN_MIB;
  config->cpus = HV_CPUS_MAX;
  g_assert_true (hv_vm_config_validate (config, NULL));
  config->memory_mib = HV_MEMORY_MAX_MIB;
  config->cpus = 1;
  g_assert_true (hv_vm_config_validate (config, NULL));

  /* A pc machine has four IDE units; q35 six AHCI ports for ide and sata together. */
  g_ptr_array_set_size (config->drives, 0);
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                   HV_DISK_FORMAT_RAW, NULL));
  config->machine = HV_MACHINE_PC;
  g_assert_true (hv_vm_config_validate (config, NULL));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                 HV_DISK_FORMAT_RAW, NULL));
  g_assert_false (hv_vm_config_validate (config, NULL));
  config->machine = HV_MACHINE_Q35;
  g_assert_true (hv_vm_config_validate (config, NULL));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_SATA,
                                                 HV_DISK_FORMAT_RAW, NULL));
  g_assert_true (hv_vm_config_validate (config, NULL));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_SATA,
                                                 HV_DISK_FORMAT_RAW, NULL));
  g_assert_false (hv_vm_config_validate (config, NULL));

  /* Two read-only drives may share an image; empty NIC and drive lists are fine. */
  g_ptr_array_set_size (config->drives, 0);
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                 HV_DISK_FORMAT_RAW, "/a.iso"));
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                 HV_DISK_FORMAT_RAW, "/a.iso"));
  g_ptr_array_set_size (config->nics, 0);
  g_assert_true (hv_vm_config_validate (config, NULL));

  /* Up to 16 shares; a path need not exist, and two shares may show one folder. */
  g_ptr_array_set_size (config->shares, 0);
  for (guint i = 0; i < HV_MAX_SHARES; i++)
    {
      g_autofree char *name = g_strdup_printf ("share%u", i);

      g_ptr_array_add (config->shares, hv_share_new (name, "/nonexistent/folder", i % 2));
    }
  g_assert_true (hv_vm_config_validate (config, NULL));

  /* A config may leave its share array NULL: no shares. */
  g_clear_pointer (&config->shares, g_ptr_array_unref);
  g_assert_true (hv_vm_config_validate (config, NULL));
}

/* The XML form */

static void
test_round_trip (void)
{
  g_autoptr(HvVmConfig) config = make_full_config ();
  g_autoptr(HvVmConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *again = NULL;

  xml = hv_vm_config_to_xml (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (xml);

  back = hv_vm_config_from_xml (xml, strlen (xml), "round-trip.xml", &error);
  g_assert_no_error (error);
  assert_config_equal (config, back);

  /* Stable: the same config always gives the same bytes. */
  again = hv_vm_config_to_xml (back, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, again);

  /* Two-space indentation, one element per line, relative paths kept as written. */
  g_assert_true (g_str_has_prefix (xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                        "<hostvisor-vm version=\"1\">\n"
                                        "  <uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid>\n"));
  g_assert_nonnull (strstr (xml, "\n  <system machine=\"q35\" firmware=\"uefi\">\n"
                                 "    <memory unit=\"MiB\">8192</memory>\n"
                                 "    <cpus>8</cpus>\n"));
  g_assert_nonnull (strstr (xml, "\n    <drive type=\"disk\" bus=\"virtio\" format=\"qcow2\" "
                                 "path=\"disk0.qcow2\" readonly=\"false\"/>\n"));
  g_assert_nonnull (strstr (xml, "path=\"../isos/日本.iso\""));
  g_assert_true (g_str_has_suffix (xml, "  </network>\n"
                                        "  <guest>\n"
                                        "    <clipboard mode=\"guest-to-host\"/>\n"
                                        "    <shares>\n"
                                        "      <share name=\"Documents\" "
                                        "path=\"/home/u/Documents\" "
                                        "readonly=\"false\" automount=\"true\"/>\n"
                                        "      <share name=\"music.v2_old-backup\" "
                                        "path=\"/srv/a,b=c/&quot;Mü &amp; &lt;sic&gt;&quot;\" "
                                        "readonly=\"true\" automount=\"false\"/>\n"
                                        "      <share name=\"_9\" path=\"/\" readonly=\"false\" "
                                        "automount=\"true\"/>\n"
                                        "    </shares>\n"
                                        "  </guest>\n"
                                        "</hostvisor-vm>\n"));
}

/* Each clipboard mode, with and without shares: <guest> is written unless both are at
 * their defaults, and always reads back the same. */
static void
test_round_trip_guest (void)
{
  for (int mode = HV_CLIPBOARD_OFF; mode <= HV_CLIPBOARD_BOTH; mode++)
    {
      for (int with_shares = 0; with_shares <= 1; with_shares++)
        {
          g_autoptr(HvVmConfig) config = hv_vm_config_new ("Guest");
          g_autoptr(HvVmConfig) back = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *xml = NULL;
          g_autofree char *expected = g_strdup_printf ("<clipboard mode=\"%s\"/>",
                                                       hv_clipboard_mode_to_string (mode));

          config->clipboard_mode = mode;
          if (with_shares)
            {
              HvShare *share = hv_share_new ("ro", "/srv/ro", TRUE);

              share->automount = FALSE;
              g_ptr_array_add (config->shares, hv_share_new ("rw", "/srv/rw", FALSE));
              g_ptr_array_add (config->shares, share);
            }

          xml = hv_vm_config_to_xml (config, &error);
          g_assert_no_error (error);
          if (mode == HV_CLIPBOARD_OFF && !with_shares)
            {
              g_assert_null (strstr (xml, "<guest"));
              g_assert_null (strstr (xml, "<clipboard"));
            }
          else
            {
              g_assert_nonnull (strstr (xml, "\n  </network>\n  <guest>\n    "));
              g_assert_nonnull (strstr (xml, expected));
            }
          g_assert_true ((strstr (xml, "<shares>") != NULL) == with_shares);

          back = hv_vm_config_from_xml (xml, strlen (xml), "guest.xml", &error);
          g_assert_no_error (error);
          assert_config_equal (config, back);
          g_assert_cmpint (back->clipboard_mode, ==, mode);
        }
    }
}

/* The share transport: left out at "auto" (so older configs keep their bytes), else an
 * attribute of <shares>, written even without shares. */
static void
test_round_trip_transport (void)
{
  for (int transport = HV_SHARE_TRANSPORT_AUTO; transport <= HV_SHARE_TRANSPORT_VIRTIOFS;
       transport++)
    {
      for (int with_shares = 0; with_shares <= 1; with_shares++)
        {
          g_autoptr(HvVmConfig) config = hv_vm_config_new ("Transport");
          g_autoptr(HvVmConfig) back = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *xml = NULL;
          g_autofree char *attribute = g_strdup_printf (
            "<shares transport=\"%s\"%s>", hv_share_transport_to_string (transport),
            with_shares ? "" : "/");

          config->share_transport = transport;
          if (with_shares)
            g_ptr_array_add (config->shares, hv_share_new ("rw", "/srv/rw", FALSE));
          xml = hv_vm_config_to_xml (config, &error);
          g_assert_no_error (error);
          if (transport == HV_SHARE_TRANSPORT_AUTO)
            {
              g_assert_null (strstr (xml, "transport="));
              g_assert_true ((strstr (xml, "<guest>") != NULL) == with_shares);
            }
          else
            g_assert_nonnull (strstr (xml, attribute));

          back = hv_vm_config_from_xml (xml, strlen (xml), "transport.xml", &error);
          g_assert_no_error (error);
          assert_config_equal (config, back);
          g_assert_cmpint (back->share_transport, ==, transport);
        }
    }
}

/* The accelerator: left out at "auto" (configs written before it keep their bytes and
 * mean auto), else <acceleration mode=…/> as the last element of <system>. */
static void
test_round_trip_acceleration (void)
{
  for (int accel = HV_ACCELERATION_AUTO; accel <= HV_ACCELERATION_TCG; accel++)
    {
      g_autoptr(HvVmConfig) config = hv_vm_config_new ("Accel");
      g_autoptr(HvVmConfig) back = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *xml = NULL;
      g_autofree char *element = g_strdup_printf ("<acceleration mode=\"%s\"/>\n  </system>",
                                                  hv_acceleration_to_string (accel));

      config->acceleration = accel;
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
      if (accel == HV_ACCELERATION_AUTO)
        g_assert_null (strstr (xml, "<acceleration"));
      else
        g_assert_nonnull (strstr (xml, element));

      back = hv_vm_config_from_xml (xml, strlen (xml), "accel.xml", &error);
      g_assert_no_error (error);
      assert_config_equal (config, back);
      g_assert_cmpint (back->acceleration, ==, accel);
    }

  /* "auto" written out by hand reads as auto and is left out again on save. */
  {
    const char *xml =
      "<hostvisor-vm version=\"1\"><uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid>"
      "<name>A</name><system machine=\"pc\" firmware=\"bios\"><memory>64</memory>"
      "<cpus>1</cpus><video model=\"std\"/><boot order=\"c\"/>"
      "<acceleration mode=\"auto\"/></system></hostvisor-vm>";
    g_autoptr(GError) error = NULL;
    g_autoptr(HvVmConfig) config = hv_vm_config_from_xml (xml, strlen (xml), "a.xml", &error);
    g_autofree char *again = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (config->acceleration, ==, HV_ACCELERATION_AUTO);
    again = hv_vm_config_to_xml (config, &error);
    g_assert_no_error (error);
    g_assert_null (strstr (again, "<acceleration"));
  }
}

/* CreateVm's and Modify's "acceleration": checked, and only while the VM is off. */
static void
test_options_acceleration (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Options");
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GError) error = NULL;
  HvVmOptionsPlan plan;
  GVariantDict dict;
  g_autoptr(GVariant) options = NULL;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "acceleration", "s", "tcg");
  g_variant_dict_insert (&dict, "no-disk", "b", TRUE);
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_create ("New", options, &plan, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed->acceleration, ==, HV_ACCELERATION_TCG);
  g_clear_pointer (&changed, hv_vm_config_free);
  g_clear_pointer (&options, g_variant_unref);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "acceleration", "s", "kvm");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed->acceleration, ==, HV_ACCELERATION_KVM);
  g_assert_cmpint (config->acceleration, ==, HV_ACCELERATION_AUTO);
  g_clear_pointer (&changed, hv_vm_config_free);

  changed = hv_vm_options_modify (config, options, TRUE, &error);
  g_assert_null (changed);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "acceleration"));
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "acceleration", "s", "hvf");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, options, FALSE, &error);
  g_assert_null (changed);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "auto, kvm or tcg"));
}

/* The pinned machine type: "pc-i440fx-X.Y" for pc, "pc-q35-X.Y" for q35, nothing else. */
static void
test_machine_type_check (void)
{
  static const struct { HvMachine machine; const char *type; } good[] = {
    { HV_MACHINE_PC, "pc-i440fx-7.2" }, { HV_MACHINE_PC, "pc-i440fx-2.12" },
    { HV_MACHINE_Q35, "pc-q35-7.2" }, { HV_MACHINE_Q35, "pc-q35-4.0.1" },
    { HV_MACHINE_Q35, "pc-q35-10.0" }, { HV_MACHINE_PC, "pc-i440fx-123.456" },
  };
  static const struct { HvMachine machine; const char *type; } bad[] = {
    { HV_MACHINE_Q35, "pc-i440fx-7.2" }, { HV_MACHINE_PC, "pc-q35-7.2" },
    { HV_MACHINE_PC, "pc" }, { HV_MACHINE_Q35, "q35" }, { HV_MACHINE_Q35, "" },
    { HV_MACHINE_Q35, "pc-q35-7" }, { HV_MACHINE_Q35, "pc-q35-7." },
    { HV_MACHINE_Q35, "pc-q35-.2" }, { HV_MACHINE_Q35, "pc-q35-7.2.1.1" },
    { HV_MACHINE_Q35, "pc-q35-7.2,accel=kvm" }, { HV_MACHINE_Q35, "pc-q35-7.2 " },
    { HV_MACHINE_Q35, "pc-q35-1234.0" }, { HV_MACHINE_PC, "pc-i440fx-7.2\n" },
    { HV_MACHINE_Q35, "PC-Q35-7.2" }, { HV_MACHINE_PC, "pc-i440fx-７.2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      if (!hv_machine_type_check (good[i].machine, good[i].type, &error))
        g_error ("%s refused: %s", good[i].type, error->message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      if (hv_machine_type_check (bad[i].machine, bad[i].type, &error))
        g_error ("\"%s\" taken for the %s machine", bad[i].type,
                 hv_machine_to_string (bad[i].machine));
      assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT, "is not valid for the");
    }

  /* The semantic check says so too, for a config made in code. */
  {
    g_autoptr(HvVmConfig) config = hv_vm_config_new ("Pinned");
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;

    config->machine = HV_MACHINE_Q35;
    config->machine_type = g_strdup ("pc-i440fx-7.2");
    g_assert_false (hv_vm_config_validate (config, &error));
    assert_one_line_error (error, HV_ERROR_INVALID_ARGUMENT,
                           "machine type \"pc-i440fx-7.2\" is not valid for the q35 machine");
    g_clear_error (&error);
    xml = hv_vm_config_to_xml (config, &error);
    g_assert_null (xml);
    g_assert_nonnull (error);
  }
}

/* A pinned config keeps its type through load and save, byte for byte; an unpinned one
 * (every config written before pinning existed) has none and gets no attribute. */
static void
test_machine_type_round_trip (void)
{
  g_autofree char *pinned_path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                        "machine-type-pinned.xml", NULL);
  g_autofree char *old_path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                     "canonical.xml", NULL);
  g_autofree char *pinned_text = read_file (pinned_path);
  g_autofree char *old_text = read_file (old_path);
  g_autoptr(HvVmConfig) pinned = NULL;
  g_autoptr(HvVmConfig) old = NULL;
  g_autoptr(HvVmConfig) pc = hv_vm_config_new ("Pc");
  g_autoptr(HvVmConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  pinned = hv_vm_config_load (pinned_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pinned->machine, ==, HV_MACHINE_Q35);
  g_assert_cmpstr (pinned->machine_type, ==, "pc-q35-7.2");
  xml = hv_vm_config_to_xml (pinned, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, pinned_text);
  g_clear_pointer (&xml, g_free);

  old = hv_vm_config_load (old_path, &error);
  g_assert_no_error (error);
  g_assert_null (old->machine_type);
  xml = hv_vm_config_to_xml (old, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (xml, "machine-type"));
  g_assert_cmpstr (xml, ==, old_text);
  g_clear_pointer (&xml, g_free);

  /* Written right after machine=, read back the same; a copy has its own string. */
  pc->machine_type = g_strdup ("pc-i440fx-7.2");
  xml = hv_vm_config_to_xml (pc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<system machine=\"pc\" machine-type=\"pc-i440fx-7.2\" "
                                 "firmware=\"bios\">"));
  back = hv_vm_config_from_xml (xml, strlen (xml), "pc.xml", &error);
  g_assert_no_error (error);
  assert_config_equal (pc, back);
  g_clear_pointer (&back, hv_vm_config_free);
  back = hv_vm_config_copy (pc);
  g_assert_cmpstr (back->machine_type, ==, pc->machine_type);
  g_assert_true (back->machine_type != pc->machine_type);
}

/* Modify's "machine": another machine drops the pin (the library pins it anew), the same
 * machine keeps it. */
static void
test_options_machine_type (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Options");
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict dict;
  g_autoptr(GVariant) same = NULL;
  g_autoptr(GVariant) other = NULL;

  config->machine_type = g_strdup ("pc-i440fx-7.2");
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "machine", "s", "pc");
  same = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, same, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed->machine_type, ==, "pc-i440fx-7.2");
  g_clear_pointer (&changed, hv_vm_config_free);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "machine", "s", "q35");
  other = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, other, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed->machine, ==, HV_MACHINE_Q35);
  g_assert_null (changed->machine_type);
  g_assert_cmpstr (config->machine_type, ==, "pc-i440fx-7.2");
}

/* Modify's "share-transport": checked, and only while the VM is off. */
static void
test_options_share_transport (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Options");
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict dict;
  g_autoptr(GVariant) options = NULL;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "share-transport", "s", "virtiofs");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, options, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed->share_transport, ==, HV_SHARE_TRANSPORT_VIRTIOFS);
  g_assert_cmpint (config->share_transport, ==, HV_SHARE_TRANSPORT_AUTO);
  g_clear_pointer (&changed, hv_vm_config_free);

  changed = hv_vm_options_modify (config, options, TRUE, &error);
  g_assert_null (changed);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "share-transport"));
  g_clear_error (&error);
  g_clear_pointer (&options, g_variant_unref);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "share-transport", "s", "nfs");
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  changed = hv_vm_options_modify (config, options, FALSE, &error);
  g_assert_null (changed);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "auto, 9p or virtiofs"));
}

static void
test_round_trip_minimal (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Bare");
  g_autoptr(HvVmConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  g_ptr_array_set_size (config->nics, 0);
  xml = hv_vm_config_to_xml (config, &error);
  g_assert_no_error (error);
  /* Empty optional fields are left out, empty lists are written empty. */
  g_assert_null (strstr (xml, "<folder>"));
  g_assert_null (strstr (xml, "<os>"));
  g_assert_null (strstr (xml, "<description>"));
  g_assert_null (strstr (xml, "<kernel"));
  g_assert_null (strstr (xml, "<guest"));
  g_assert_nonnull (strstr (xml, "\n  <storage/>\n  <network/>\n</hostvisor-vm>\n"));

  back = hv_vm_config_from_xml (xml, strlen (xml), "bare.xml", &error);
  g_assert_no_error (error);
  assert_config_equal (config, back);
}

static void
test_good_configs (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "configs", "good", NULL);
  g_autoptr(GPtrArray) names = list_dir (dir);

  g_assert_cmpuint (names->len, >=, 4);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_autoptr(HvVmConfig) config = NULL;
      g_autoptr(HvVmConfig) back = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *xml = NULL;

      g_test_message ("loading %s", path);
      config = hv_vm_config_load (path, &error);
      if (config == NULL)
        g_error ("%s does not load: %s", path, error->message);

      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
      back = hv_vm_config_from_xml (xml, strlen (xml), path, &error);
      g_assert_no_error (error);
      assert_config_equal (config, back);
    }
}

/* A linked clone's drive keeps its backing (set by the engine) through a load and a save,
 * byte for byte; a config without one never gains the attribute. */
static void
test_linked_clone (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                 "linked-clone.xml", NULL);
  g_autofree char *expected = read_file (path);
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(HvVmConfig) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *plain = NULL;
  HvDrive *drive;

  config = hv_vm_config_load (path, &error);
  g_assert_no_error (error);
  drive = g_ptr_array_index (config->drives, 0);
  g_assert_cmpstr (drive->backing, ==,
                   "/home/u/.local/share/hostvisor/bases/1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b.qcow2");
  g_assert_null (((HvDrive *) g_ptr_array_index (config->drives, 1))->backing);
  xml = hv_vm_config_to_xml (config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, expected);

  copy = hv_vm_config_copy (config);
  assert_config_equal (config, copy);
  g_assert_true (((HvDrive *) g_ptr_array_index (copy->drives, 0))->backing != drive->backing);

  g_clear_pointer (&drive->backing, g_free);
  plain = hv_vm_config_to_xml (config, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (plain, "backing"));
}

/* canonical.xml is written exactly as the serializer writes it. */
static void
test_canonical (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good", "canonical.xml",
                                                 NULL);
  g_autofree char *expected = read_file (path);
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  const HvDrive *drive;

  config = hv_vm_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->name, ==, "Web server, \"staging\" & more");
  g_assert_cmpstr (config->description, ==,
                   "Two lines <here>:\n\tindented with a tab\r\nand a CR above.");
  g_assert_cmpstr (config->cmdline, ==, "console=ttyS0 root=\"LABEL=a b\" &x");
  drive = g_ptr_array_index (config->drives, 2);
  g_assert_null (drive->path);
  g_assert_cmpint (drive->kind, ==, HV_DRIVE_CDROM);

  xml = hv_vm_config_to_xml (config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, expected);
}

static void
test_hand_edited (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                 "hand-edited.xml", NULL);
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = hv_vm_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->name, ==, "日本語 VM (テスト), a=b");
  g_assert_cmpstr (config->folder, ==, "Lab/Ünïcode/x..y");
  g_assert_cmpstr (config->os_id, ==, "");
  g_assert_cmpstr (config->description, ==, "Uses <CDATA> & friends.");
  g_assert_cmpuint (config->memory_mib, ==, 2048);
  g_assert_cmpuint (config->cpus, ==, 2);
  g_assert_cmpint (config->video, ==, HV_VIDEO_CIRRUS);
  g_assert_cmpuint (config->drives->len, ==, 0);
  g_assert_cmpuint (config->nics->len, ==, 0);
  g_assert_cmpint (config->clipboard_mode, ==, HV_CLIPBOARD_OFF);
  g_assert_cmpuint (config->shares->len, ==, 0);
}

/* A hand-written <guest>: attributes left out take their defaults. */
static void
test_guest_element (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good", "shares.xml",
                                                 NULL);
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  const HvShare *share;

  config = hv_vm_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (config->clipboard_mode, ==, HV_CLIPBOARD_HOST_TO_GUEST);
  g_assert_cmpint (config->share_transport, ==, HV_SHARE_TRANSPORT_AUTO);
  g_assert_cmpuint (config->shares->len, ==, 3);

  share = g_ptr_array_index (config->shares, 0);
  g_assert_cmpstr (share->name, ==, "docs");
  g_assert_cmpstr (share->path, ==, "/home/user/Documents");
  g_assert_false (share->readonly);
  g_assert_true (share->automount);

  share = g_ptr_array_index (config->shares, 1);
  g_assert_cmpstr (share->name, ==, "Photos_2024");
  g_assert_cmpstr (share->path, ==, "/media/usb disk/Photos, 2024");
  g_assert_true (share->readonly);
  g_assert_false (share->automount);

  share = g_ptr_array_index (config->shares, 2);
  g_assert_cmpstr (share->name, ==, "src");
  g_assert_cmpstr (share->path, ==, "/home/user/src/../src");
  g_assert_false (share->readonly);
  g_assert_true (share->automount);

  {
    g_autofree char *vfs_path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                       "shares-virtiofs.xml", NULL);
    g_autoptr(HvVmConfig) vfs = hv_vm_config_load (vfs_path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (vfs->share_transport, ==, HV_SHARE_TRANSPORT_VIRTIOFS);
    g_assert_cmpuint (vfs->shares->len, ==, 2);
  }

  /* <guest> with neither part: clipboard off, no shares. */
  {
    static const char xml[] =
      "<hostvisor-vm version=\"1\"><uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid>"
      "<name>g</name><system machine=\"pc\" firmware=\"bios\"><memory>64</memory>"
      "<cpus>1</cpus><video model=\"std\"/><boot order=\"c\"/></system>"
      "<guest><shares/></guest></hostvisor-vm>";
    g_autoptr(HvVmConfig) bare = hv_vm_config_from_xml (xml, strlen (xml), "bare.xml", &error);

    g_assert_no_error (error);
    g_assert_cmpint (bare->clipboard_mode, ==, HV_CLIPBOARD_OFF);
    g_assert_cmpuint (bare->shares->len, ==, 0);
  }
}

/* Each file in tests/configs/bad/ with the line and text its error must have
 * (line 0: the message has no line, or it is not worth pinning down). */
static const struct {
  const char *file;
  int line;
  const char *fragment;
} bad_configs[] = {
  { "acceleration-before-boot.xml", 10, "<boot> must come before <acceleration>" },
  { "acceleration-unknown.xml", 10,
    "mode=\"hax\" on <acceleration> is not valid (use auto, kvm or tcg)" },
  { "bad-boot-order.xml", 9, "boot order \"dx\" may only use the letters c (disk)" },
  { "bad-format.xml", 12, "format=\"vmdk\" on <drive> is not valid (use raw or qcow2)" },
  { "bad-mac.xml", 16, "adapter 1: \"52:54:00:12:34\" is not a MAC address" },
  { "bad-machine.xml", 5, "machine=\"microvm\" on <system> is not valid (use pc, q35 or isapc)" },
  { "machine-type-injected.xml", 5,
    "machine-type=\"pc-i440fx-7.2,accel=kvm\" on <system> is not valid (use pc-i440fx-X.Y "
    "for the pc machine" },
  { "machine-type-wrong-kind.xml", 5,
    "machine-type=\"pc-i440fx-7.2\" on <system> is not valid (use pc-q35-X.Y for the q35 "
    "machine, e.g. pc-q35-7.2)" },
  { "bad-net-mode.xml", 16, "mode=\"vde\" on <adapter> is not valid (use nat, bridged, host-only, internal or none)" },
  { "nic-bridged-no-target.xml", 16, "adapter 1: attached to bridged, it needs a target" },
  { "nic-internal-bad-target.xml", 16, "adapter 1: \"Big_Net\" is not a network name" },
  { "nic-forward-bad-name.xml", 16, "adapter 1: \"has space\" is not a port forward name" },
  { "nic-forward-same-name.xml", 16, "adapter 1: there are two port forwards named \"web\"" },
  { "nic-forward-port-zero.xml", 17, "host-port=\"0\" on <forward> is not valid (use a port number from 1 to 65535)" },
  { "nic-forward-bad-address.xml", 16, "the host address \"1.2.3\" is not an IPv4 address" },
  { "nic-forward-bad-protocol.xml", 17, "protocol=\"sctp\" on <forward> is not valid (use tcp or udp)" },
  { "nic-cable-maybe.xml", 16, "cable=\"maybe\" on <adapter> is not valid (use true or false)" },
  { "nic-unknown-child.xml", 17, "unknown element <rule> in <adapter> (only <forward>)" },
  { "bad-nic-model.xml", 16, "adapter 1: unknown model \"virtio\" (use virtio-net, e1000" },
  { "bad-os.xml", 5, "os \"debian 12; rm\" is not a libosinfo short id" },
  { "bad-uuid.xml", 3, "uuid \"0f0e0d0c-0b0x-4908-8706-050403020100\" is not a UUID" },
  { "bad-video.xml", 8, "model=\"qxl\" on <video> is not valid (use std, cirrus, virtio or none)" },
  { "billion-laughs.xml", 2, "DTDs are not allowed" },
  { "cdrom-on-virtio.xml", 13, "drive 2: a cdrom drive cannot use the virtio bus" },
  { "cdrom-writable.xml", 13, "drive 2: a cdrom drive is always read-only" },
  { "cpus-negative.xml", 7, "cpus -1 is out of range (1 to 255)" },
  { "cpus-overflow.xml", 7, "cpus 4294967296 is out of range (1 to 255)" },
  { "cpus-too-many.xml", 7, "cpus 256 is out of range (1 to 255)" },
  { "disk-on-fdc.xml", 12, "drive 1: the fdc bus is only for floppy drives, not disk" },
  { "disk-without-path.xml", 12, "drive 1: a disk drive needs a path" },
  { "duplicate-mac.xml", 17, "adapter 2: MAC address 52:54:00:12:34:56 is already used" },
  { "duplicate-name.xml", 5, "<name> appears twice in <hostvisor-vm>" },
  { "duplicate-system.xml", 11, "<system> appears twice in <hostvisor-vm>" },
  { "element-in-name.xml", 4, "<name> may not contain elements, found <b>" },
  { "embedded-nul.xml", 4, "the file contains a NUL byte" },
  { "empty-path.xml", 12, "drive 1: path \"\" is empty" },
  { "empty.xml", 1, "the file is empty" },
  { "external-dtd.xml", 2, "DTDs are not allowed" },
  { "floppy-on-ide.xml", 13, "drive 2: a floppy drive must use the fdc bus, not ide" },
  { "folder-dotdot.xml", 5, "folder \"Lab/../etc\" has a part \".\" or \"..\"" },
  { "folder-slash.xml", 5, "folder \"/Lab\" has an empty part" },
  { "internal-dtd.xml", 2, "DTDs are not allowed" },
  { "kernel-in-wrong-place.xml", 15, "<kernel> must come before <storage>" },
  { "latin1-declared.xml", 4, "not valid UTF-8 text (byte 0xe9)" },
  { "memory-abc.xml", 6, "<memory> \"abc\" is not a whole number (use 4 to 1048576 MiB)" },
  { "memory-fraction.xml", 6, "<memory> \"1.5\" is not a whole number" },
  { "memory-huge.xml", 6, "memory 99999999999999999999 is out of range (4 to 1048576 MiB)" },
  { "memory-negative.xml", 6, "memory -5 is out of range" },
  { "memory-unit.xml", 6, "unit=\"GB\" on <memory> is not valid (use MiB)" },
  { "memory-zero.xml", 6, "memory 0 MiB is out of range (4 to 1048576 MiB)" },
  { "missing-cpus.xml", 5, "<system> has no <cpus>" },
  { "missing-uuid.xml", 2, "<hostvisor-vm> has no <uuid>" },
  { "multicast-mac.xml", 16, "adapter 1: 01:00:5e:00:00:01 cannot be an adapter's address" },
  { "name-empty.xml", 4, "name is empty" },
  { "name-leading-space.xml", 4, "name \" Bad\" starts or ends with white space" },
  { "name-newline.xml", 4, "name \"Bad\\nName\" contains a control character" },
  { "name-slash.xml", 4, "name \"../x\" contains '/'" },
  { "name-too-long.xml", 4, "is longer than 64 characters" },
  { "namespace.xml", 2, "<hostvisor-vm> must not be in an XML namespace" },
  { "no-version.xml", 2, "<hostvisor-vm> has no version attribute" },
  { "non-utf8.xml", 4, "not valid UTF-8 text (byte 0xe9)" },
  { "only-comment.xml", 3, "not well-formed XML" },
  { "parameter-entity.xml", 2, "DTDs are not allowed" },
  { "path-newline.xml", 12, "drive 1: path \"disk0\\n.qcow2\" contains a control character" },
  { "readonly-yes.xml", 12, "readonly=\"yes\" on <drive> is not valid (use true or false)" },
  { "relative-kernel.xml", 11, "kernel path \"vmlinuz\" is not an absolute path" },
  { "repeated-boot-order.xml", 9, "boot order \"dcd\" names 'd' twice" },
  { "sata-on-pc.xml", 12, "drive 1: the sata bus needs the q35 machine (this VM uses pc)" },
  { "backing-on-cdrom.xml", 13,
    "drive 2: only a writable qcow2 disk can have a backing image" },
  { "backing-relative.xml", 12, "drive 1: backing \"bases/b.qcow2\" is not an absolute path" },
  { "shared-disk.xml", 14, "drive 3: the image \"disk0.qcow2\" is already used by drive 1" },
  { "text-in-drive.xml", 13, "<drive> must be empty" },
  { "text-in-system.xml", 8, "unexpected text in <system>" },
  { "three-floppies.xml", 16, "drive 5: too many floppy drives (the limit is 2)" },
  { "too-many-adapters.xml", 20, "too many network adapters (5; the limit is 4)" },
  { "too-many-ide.xml", 16, "drive 5: too many ide drives (the pc machine has 4 IDE units)" },
  { "truncated.xml", 13, "not well-formed XML (the file ends too early; is it cut short?)" },
  { "two-roots.xml", 19, "not well-formed XML: Extra content at the end of the document" },
  { "undefined-entity.xml", 4, "not well-formed XML: Entity 'bad' not defined" },
  { "unknown-attribute.xml", 12, "unknown attribute cache on <drive>" },
  { "unknown-element.xml", 5, "unknown element <color> in <hostvisor-vm>" },
  { "unknown-system-element.xml", 8, "unknown element <joystick> in <system>" },
  { "uppercase-uuid.xml", 3, "must be written in lower case" },
  { "utf16.xml", 1, "the file contains a NUL byte" },
  { "wrong-order.xml", 4, "<uuid> must come before <name>" },
  { "wrong-root.xml", 2, "not a Hostvisor VM config: the root element is <domain>" },
  { "wrong-version.xml", 2, "unsupported config version \"2\" (this Hostvisor reads version 1)" },
  { "xinclude.xml", 5, "unknown element <xi:include> in <hostvisor-vm>" },
  { "xxe.xml", 2, "DTDs are not allowed" },
  /* <guest>: the clipboard and shared folders */
  { "clipboard-after-shares.xml", 13, "<clipboard> must come before <shares>" },
  { "clipboard-unknown-mode.xml", 15, "mode=\"bidirectional\" on <clipboard> is not valid "
                                      "(use off, host-to-guest, guest-to-host or both)" },
  { "guest-before-network.xml", 14, "<network> must come before <guest>" },
  { "share-duplicate-name.xml", 19, "share 3: the name \"Docs\" is already used by share 1" },
  { "share-name-dotdot.xml", 16, "share 1: share name \"../x\" may only use the letters A-Z" },
  { "share-name-hidden.xml", 17, "share 2: share name \".hidden\" may not start with '.' or '-'" },
  { "share-name-slash.xml", 16, "share 1: share name \"a/b\" may only use the letters A-Z" },
  { "share-no-path.xml", 16, "<share> has no path attribute (use the absolute path of a host" },
  { "share-path-newline.xml", 16, "share 1: path \"/home/u/a\\nb\" contains a control character" },
  { "share-readonly-yes.xml", 16, "readonly=\"yes\" on <share> is not valid (use true or false)" },
  { "share-relative-path.xml", 16, "share 1: path \"Documents\" is not an absolute path" },
  { "too-many-shares.xml", 32, "too many shared folders (17; the limit is 16)" },
  { "share-transport-unknown.xml", 15, "transport=\"virtio-fs\" on <shares> is not valid "
                                       "(use auto, 9p or virtiofs)" },
  { "share-transport-on-share.xml", 17, "unknown attribute transport on <share>" },
};

static void
test_bad_configs (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "configs", "bad", NULL);
  g_autoptr(GPtrArray) names = list_dir (dir);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (names->len, >=, 15);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *prefix = NULL;
      g_autoptr(HvVmConfig) config = NULL;
      g_autoptr(GError) error = NULL;
      guint row;

      for (row = 0; row < G_N_ELEMENTS (bad_configs); row++)
        if (g_str_equal (bad_configs[row].file, name))
          break;
      if (row == G_N_ELEMENTS (bad_configs))
        g_error ("%s has no row in bad_configs[]: add the error it must give", name);
      g_hash_table_add (seen, (gpointer) bad_configs[row].file);

      config = hv_vm_config_load (path, &error);
      if (config != NULL)
        g_error ("%s loaded, but it must be refused", path);
      g_test_message ("%s", error->message);
      assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, bad_configs[row].fragment);

      prefix = bad_configs[row].line > 0 ? g_strdup_printf ("%s:%d: ", path, bad_configs[row].line)
                                         : g_strdup_printf ("%s:", path);
      if (!g_str_has_prefix (error->message, prefix))
        g_error ("\"%s\" does not start with \"%s\"", error->message, prefix);

      /* Nothing from a file the config tried to pull in may leak into the message. */
      g_assert_null (strstr (error->message, "root:"));
    }

  for (guint row = 0; row < G_N_ELEMENTS (bad_configs); row++)
    if (!g_hash_table_contains (seen, bad_configs[row].file))
      g_error ("bad_configs[] lists %s, which is not in %s", bad_configs[row].file, dir);
}

static void
test_too_large (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "huge.xml", NULL);
  g_autoptr(GString) big = g_string_new ("<?xml version=\"1.0\"?>\n<hostvisor-vm version=\"1\">\n"
                                         "<!--");
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  while (big->len < 2 * 1024 * 1024)
    g_string_append (big, " padding padding padding padding padding padding padding\n");
  g_string_append (big, "-->\n</hostvisor-vm>\n");
  write_file (path, big->str, big->len);

  config = hv_vm_config_load (path, &error);
  g_assert_null (config);
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "the file is too large");
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);

  config = hv_vm_config_from_xml (big->str, big->len, "huge.xml", &error);
  g_assert_null (config);
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "huge.xml: the file is too large");
  g_clear_error (&error);

  /* One byte over the limit is already too much. */
  config = hv_vm_config_from_xml (big->str, HV_CONFIG_MAX_SIZE + 1, "edge.xml", &error);
  g_assert_null (config);
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "too large");

  rm_rf (dir);
}

static void
test_load_missing (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "nothing-here.xml", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (hv_vm_config_load (path, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  /* A directory is not a config either, and must not be read as one. */
  g_assert_null (hv_vm_config_load (dir, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);

  rm_rf (dir);
}

static void
test_from_xml_odd_input (void)
{
  static const char nul_inside[] = "<?xml version=\"1.0\"?>\n"
                                   "<hostvisor-vm version=\"1\">\0</hostvisor-vm>";
  g_autoptr(GString) deep = g_string_new ("<hostvisor-vm version=\"1\">");
  g_autoptr(GError) error = NULL;

  g_assert_null (hv_vm_config_from_xml (nul_inside, sizeof nul_inside - 1, "nul.xml", &error));
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "nul.xml:2: the file contains a NUL byte");
  g_clear_error (&error);

  g_assert_null (hv_vm_config_from_xml (NULL, 0, NULL, &error));
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "the file is empty");
  g_clear_error (&error);

  /* Not NUL-terminated: only `len` bytes may be read. */
  g_assert_null (hv_vm_config_from_xml ("<hostvisor-vm version=\"1\"/>garbage", 27, "x.xml",
                                        &error));
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "x.xml:1: <hostvisor-vm> has no <uuid>");
  g_clear_error (&error);

  /* Deeper than libxml2 parses without XML_PARSE_HUGE. */
  for (guint i = 0; i < 5000; i++)
    g_string_append (deep, "<x>");
  g_assert_null (hv_vm_config_from_xml (deep->str, deep->len, "deep.xml", &error));
  assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, "deep.xml:1: ");
}

/* Hostile files in the library: a vm.xml that is a link (to a secret, dangling, looping),
 * a FIFO, a VM directory that is a link. Each is refused with a one-line reason, without
 * blocking and without reading through the link. */
static void
test_load_hostile_files (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *secret = g_build_filename (dir, "secret.xml", NULL);
  g_autofree char *vm_dir = g_build_filename (dir, "vm", NULL);
  g_autofree char *link_dir = g_build_filename (dir, "linked-vm", NULL);
  g_autofree char *good = g_test_build_filename (G_TEST_DIST, "configs", "good", "canonical.xml",
                                                 NULL);
  g_autofree char *good_text = read_file (good);
  const struct {
    const char *name;
    const char *target;   /* a symlink to this, or NULL */
    const char *fragment;
  } cases[] = {
    { "link.xml", "secret.xml", "is a symbolic link, which Hostvisor does not follow here" },
    { "dangling.xml", "nowhere.xml", "is a symbolic link" },
    { "loop.xml", "loop.xml", "is a symbolic link" },
    { "fifo.xml", NULL, "is not a regular file (it is a FIFO)" },
  };

  /* A config that would load, marked so that reading it through a link would show. */
  write_file (secret, good_text, -1);
  g_assert_cmpint (g_mkdir (vm_dir, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (vm_dir, cases[i].name, NULL);
      g_autoptr(GError) error = NULL;

      if (cases[i].target != NULL)
        g_assert_cmpint (symlink (cases[i].target, path), ==, 0);
      else
        g_assert_cmpint (mkfifo (path, 0600), ==, 0);
      g_assert_null (hv_vm_config_load (path, &error));
      assert_one_line_error (error, HV_ERROR_IO, cases[i].fragment);
      g_assert_true (g_str_has_prefix (error->message, path));
    }

  /* The VM's directory itself is a link to a directory with a good vm.xml in it. */
  {
    g_autofree char *real_dir = g_build_filename (dir, "real", NULL);
    g_autofree char *real = g_build_filename (real_dir, "vm.xml", NULL);
    g_autofree char *through = g_build_filename (link_dir, "vm.xml", NULL);
    g_autoptr(HvVmConfig) config = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint (g_mkdir (real_dir, 0700), ==, 0);
    write_file (real, good_text, -1);
    config = hv_vm_config_load (real, &error);
    g_assert_no_error (error);
    g_assert_nonnull (config);

    g_assert_cmpint (symlink ("real", link_dir), ==, 0);
    g_assert_null (hv_vm_config_load (through, &error));
    assert_one_line_error (error, HV_ERROR_IO, "is in a directory that is a symbolic link");
  }

  rm_rf (dir);
}

/* Config errors are one line that quotes little of the file: control characters and
 * invisible formatting characters escaped, long quotes cut. */
static void
test_error_one_line (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good", "canonical.xml",
                                                 NULL);
  g_autofree char *data = read_file (path);
  g_autofree char *long_word = g_strnfill (300, 'A');
  const struct {
    const char *from;
    const char *to;
    const char *fragment;
  } cases[] = {
    { "<cpus>4", "<cpus>4\n\n%s",
      "\"4\\n\\n" "AAAAAAAAAAAAAAAAAAAAAAAAAA…\" is not a whole number" },
    { "<cpus>4", "<cpus>\xe2\x80\xae%s", "\"\\u202e" "AAAAAAAAAAAAAAAAAAAAAAAAA…\" is not a" },
    { "</folder>", "</%s>", "tag mismatch: folder line 5 and AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…" },
    { "<cpus>", "<cpus %s=\"1\">", "unknown attribute AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA… on" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *replacement = g_strdup_printf (cases[i].to, long_word);
      g_auto(GStrv) parts = g_strsplit (data, cases[i].from, 2);
      g_autofree char *changed = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpuint (g_strv_length (parts), ==, 2);
      changed = g_strconcat (parts[0], replacement, parts[1], NULL);
      g_assert_null (hv_vm_config_from_xml (changed, strlen (changed), "vm.xml", &error));
      assert_one_line_error (error, HV_ERROR_INVALID_CONFIG, cases[i].fragment);
      g_assert_cmpuint (strlen (error->message), <, 200);
      g_assert_true (g_str_has_prefix (error->message, "vm.xml:"));
    }
}

/* Every prefix of a valid file, and random byte changes: never a crash, always either
 * a config that validates or HV_ERROR_INVALID_CONFIG. */
static void
test_fuzz (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good", "canonical.xml",
                                                 NULL);
  g_autofree char *data = read_file (path);
  gsize len = strlen (data);
  guint loaded = 0;

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvVmConfig) config = hv_vm_config_from_xml (data, cut, "cut.xml", &error);

      /* Only the final newline may be missing. */
      if (cut < len - 1)
        {
          g_assert_null (config);
          g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
          g_assert_true (g_str_has_prefix (error->message, "cut.xml:"));
        }
    }

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *copy = g_memdup2 (data, len + 1);
      g_autoptr(GError) error = NULL;
      g_autoptr(HvVmConfig) config = NULL;
      guint n_changes = g_test_rand_int_range (1, 4);

      for (guint j = 0; j < n_changes; j++)
        copy[g_test_rand_int_range (0, (gint32) len)] = (char) g_test_rand_int_range (0, 256);

      config = hv_vm_config_from_xml (copy, len, "fuzz.xml", &error);
      if (config != NULL)
        {
          g_assert_no_error (error);
          g_assert_true (hv_vm_config_validate (config, NULL));
          loaded++;
        }
      else
        {
          g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
          g_assert_null (strchr (error->message, '\n'));
        }
    }
  g_test_message ("%u of 3000 mutated configs still loaded", loaded);
}

/* The schema runs on every load: a stricter schema (only the name "Strict") refuses
 * a config that the reader and the semantic checks accept. */
static void
test_schema_enforced (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *schema_dir = g_test_build_filename (G_TEST_DIST, "configs",
                                                           "strict-schema", NULL);
      g_autoptr(HvVmConfig) config = hv_vm_config_new ("Strict");
      g_autoptr(HvVmConfig) back = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *xml = NULL;

      g_setenv ("HOSTVISOR_SCHEMA_DIR", schema_dir, TRUE);

      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
      back = hv_vm_config_from_xml (xml, strlen (xml), "strict.xml", &error);
      g_assert_no_error (error);

      g_free (config->name);
      config->name = g_strdup ("Loose");
      g_clear_pointer (&xml, g_free);
      /* to_xml reads its output back through the schema too. */
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_null (xml);
      g_assert_error (error, HV_ERROR, HV_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "does not match the VM config schema"));
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

static void
test_schema_missing (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = make_tmpdir ();
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                     "minimal.xml", NULL);
      g_autoptr(GError) error = NULL;

      g_setenv ("HOSTVISOR_SCHEMA_DIR", dir, TRUE);
      g_assert_null (hv_vm_config_load (path, &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "Cannot load the VM config schema"));
      rm_rf (dir);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("");
}

/* libxml2 prints its errors to stderr unless told otherwise: nothing may get there. */
static void
test_quiet (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "configs", "bad", NULL);
      g_autoptr(GPtrArray) names = list_dir (dir);
      g_autoptr(GString) deep = g_string_new ("<hostvisor-vm version=\"1\">");

      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
          g_autoptr(GError) error = NULL;

          g_assert_null (hv_vm_config_load (path, &error));
        }
      for (guint i = 0; i < 1000; i++)
        g_string_append (deep, "<x>");
      g_assert_null (hv_vm_config_from_xml (deep->str, deep->len, "deep.xml", NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("");
}

static gpointer
load_many (gpointer data)
{
  const char *path = data;

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvVmConfig) config = hv_vm_config_load (path, &error);
      g_autofree char *xml = NULL;

      g_assert_no_error (error);
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
    }
  return NULL;
}

/* The schema is compiled on first use: several threads may race to it, then share it. */
static void
test_threads (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "configs", "good",
                                                     "canonical.xml", NULL);
      GThread *threads[4];

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("load", load_many, path);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        g_thread_join (threads[i]);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

static void
test_save_load (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "vm.xml", NULL);
  g_autofree char *prev = g_build_filename (dir, "vm.xml.prev", NULL);
  g_autoptr(HvVmConfig) config = make_full_config ();
  g_autoptr(HvVmConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *prev_contents = NULL;
  struct stat st;

  g_assert_true (hv_vm_config_save (config, path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (prev, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  first = read_file (path);

  loaded = hv_vm_config_load (path, &error);
  g_assert_no_error (error);
  assert_config_equal (config, loaded);

  /* A second save keeps the first file as .prev. */
  config->memory_mib = 512;
  g_assert_true (hv_vm_config_save (config, path, &error));
  g_assert_no_error (error);
  second = read_file (path);
  prev_contents = read_file (prev);
  g_assert_cmpstr (prev_contents, ==, first);
  g_assert_cmpstr (second, !=, first);
  g_clear_pointer (&loaded, hv_vm_config_free);
  loaded = hv_vm_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->memory_mib, ==, 512);

  /* A third replaces the older .prev. */
  config->cpus = 2;
  g_assert_true (hv_vm_config_save (config, path, &error));
  g_clear_pointer (&prev_contents, g_free);
  prev_contents = read_file (prev);
  g_assert_cmpstr (prev_contents, ==, second);

  /* An invalid config is not saved, and the file on disk is left alone. */
  config->cpus = 0;
  g_assert_false (hv_vm_config_save (config, path, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&prev_contents, g_free);
  prev_contents = read_file (prev);
  g_assert_cmpstr (prev_contents, ==, second);

  /* No temporary files left behind. */
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "vm.xml");
  g_assert_cmpstr (g_ptr_array_index (names, 1), ==, "vm.xml.prev");

  rm_rf (dir);
}

/* File helpers */

static void
test_replace_contents (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "file.txt", NULL);
  g_autofree char *prev = g_build_filename (dir, "file.txt.prev", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  struct stat st;

  g_assert_true (hv_file_replace_contents (path, "one", 3, 0640, TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (prev, G_FILE_TEST_EXISTS));
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "one");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640 & ~0022);

  g_assert_true (hv_file_replace_contents (path, "two", 3, 0600, TRUE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  contents = read_file (prev);
  g_assert_cmpstr (contents, ==, "one");

  /* Without keep_previous the old .prev stays as it was. */
  g_assert_true (hv_file_replace_contents (path, "", 0, 0600, FALSE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "");
  g_clear_pointer (&contents, g_free);
  contents = read_file (prev);
  g_assert_cmpstr (contents, ==, "one");

  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 2);

  rm_rf (dir);
}

static void
test_replace_failures (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "file.txt", NULL);
  g_autofree char *blocker = g_build_filename (dir, "blocker", NULL);
  g_autofree char *inside = g_build_filename (blocker, "keep", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;

  g_assert_false (hv_file_replace_contents (missing, "x", 1, 0600, TRUE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "no-such-dir"));
  g_clear_error (&error);

  /* The target is a non-empty directory: the rename fails, and everything that was
   * there stays, with no temporary file left. */
  g_assert_cmpint (g_mkdir (blocker, 0700), ==, 0);
  write_file (inside, "precious", -1);
  for (int keep = 0; keep <= 1; keep++)
    {
      g_assert_false (hv_file_replace_contents (blocker, "x", 1, 0600, keep, &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_IO);
      g_assert_nonnull (strstr (error->message, blocker));
      g_clear_error (&error);
    }
  g_assert_true (g_file_test (blocker, G_FILE_TEST_IS_DIR));
  contents = read_file (inside);
  g_assert_cmpstr (contents, ==, "precious");

  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "blocker");

  rm_rf (dir);
}

/* A link or a FIFO where the file should be is refused, neither replaced nor written
 * through; a failed write names the file, not the hidden temporary. */
static void
test_replace_refuses_links (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *link = g_build_filename (dir, "vm.xml", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.xml", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *read_back = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  write_file (target, "precious", -1);
  g_assert_cmpint (symlink ("target", link), ==, 0);
  g_assert_false (hv_file_replace_contents (link, "new", 3, 0600, TRUE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "it is a symbolic link"));
  g_clear_error (&error);
  read_back = g_file_read_link (link, NULL);
  g_assert_cmpstr (read_back, ==, "target");
  contents = read_file (target);
  g_assert_cmpstr (contents, ==, "precious");

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (hv_file_replace_contents (fifo, "new", 3, 0600, FALSE, &error));
  g_assert_nonnull (strstr (error->message, "it is a FIFO"));
  g_clear_error (&error);
  g_assert_cmpint (lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));

  rm_rf (dir);
}

/* A write that fails for want of room (here the file size limit, which fails the same
 * way as a full disk) names the file being saved. */
static void
test_replace_error_names_file (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "vm.xml", NULL);
  g_autofree char *big = g_strnfill (64 * 1024, 'x');
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit saved, small = { 4096, 4096 };
  void (*saved_handler) (int);
  gboolean ok;

  write_file (path, "old", -1);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  small.rlim_max = saved.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  ok = hv_file_replace_contents (path, big, strlen (big), 0600, TRUE, &error);
  setrlimit (RLIMIT_FSIZE, &saved);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  if (!g_str_has_prefix (error->message, "Cannot write ") ||
      strstr (error->message, path) == NULL || strstr (error->message, ".vm.xml.") != NULL)
    g_error ("unexpected message: %s", error->message);

  /* The old file stays, and no temporary is left. */
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "vm.xml");
  rm_rf (dir);
}

static void
test_remove_stale_temps (void)
{
  g_autofree char *dir = make_tmpdir ();
  const char * const bases[] = { "vm.xml", "library.ini", NULL };
  const char * const stale[] = { ".vm.xml.Ab3dE9", ".vm.xml.Ab3dE9-prev", ".library.ini.zzzzzz" };
  const char * const kept[] = { "vm.xml", "vm.xml.prev", ".vm.xml.short", ".vm.xml.Ab3dE9-x",
                                ".other.xml.Ab3dE9", ".vm.xml.Ab3_E9", "vm.xml.Ab3dE9" };
  g_autofree char *link = g_build_filename (dir, ".vm.xml.LINK00", NULL);
  g_autofree char *subdir = g_build_filename (dir, ".vm.xml.DIR000", NULL);
  g_autofree char *fresh = g_build_filename (dir, ".vm.xml.NEW000", NULL);
  g_autoptr(GPtrArray) names = NULL;
  struct utimbuf old_time = { 1000000000, 1000000000 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < G_N_ELEMENTS (stale); i++)
    {
      g_autofree char *path = g_build_filename (dir, stale[i], NULL);
      write_file (path, "x", -1);
      g_assert_cmpint (utime (path, &old_time), ==, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = g_build_filename (dir, kept[i], NULL);
      write_file (path, "x", -1);
      g_assert_cmpint (utime (path, &old_time), ==, 0);
    }
  g_assert_cmpint (symlink ("vm.xml", link), ==, 0);
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  write_file (fresh, "being written", -1);

  /* `fresh` is newer than the cut-off: a file being written now is never touched. */
  g_assert_cmpuint (hv_file_remove_stale_temps (dir, bases, now - 60), ==, G_N_ELEMENTS (stale));
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (kept) + 3);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    g_assert_true (g_ptr_array_find_with_equal_func (names, kept[i], g_str_equal, NULL));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (subdir, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_IS_REGULAR));
  rm_rf (dir);
}

static void
test_read_capped (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "data", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *sparse = g_build_filename (dir, "sparse", NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  write_file (path, "0123456789", 10);
  write_file (empty, "", 0);
  write_file (sparse, "", 0);

  g_assert_true (hv_file_read_capped (path, 10, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 10);
  g_assert_cmpmem (contents, 11, "0123456789", 11);  /* NUL-terminated */
  g_clear_pointer (&contents, g_free);

  /* Refused from its size alone, which the message reports. */
  g_assert_false (hv_file_read_capped (path, 9, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is too large (10 bytes; the limit is 9)"));
  g_assert_null (contents);
  g_clear_error (&error);

  /* A sparse 8 GiB file is refused without reading (or allocating) any of it. */
  g_assert_cmpint (truncate (sparse, G_GINT64_CONSTANT (8) << 30), ==, 0);
  g_assert_false (hv_file_read_capped (sparse, 1024 * 1024, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is too large (8589934592 bytes"));
  g_clear_error (&error);

  g_assert_true (hv_file_read_capped (empty, 0, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpstr (contents, ==, "");
  g_clear_pointer (&contents, g_free);

  g_assert_false (hv_file_read_capped (missing, 100, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (hv_file_read_capped (dir, 100, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_clear_error (&error);

  /* A FIFO with no writer must be refused, not waited on. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (hv_file_read_capped (fifo, 100, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  /* /proc files report size 0 but have contents: the cap still holds. */
  if (g_file_test ("/proc/self/status", G_FILE_TEST_EXISTS))
    {
      g_assert_true (hv_file_read_capped ("/proc/self/status", 1024 * 1024, &contents, &len,
                                          &error));
      g_assert_no_error (error);
      g_assert_cmpuint (len, >, 0);
      g_assert_cmpuint (strlen (contents), ==, len);
      g_clear_pointer (&contents, g_free);

      g_assert_false (hv_file_read_capped ("/proc/self/status", 16, &contents, &len, &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_IO);
      g_assert_nonnull (strstr (error->message, "too large"));
      g_assert_null (contents);
      g_clear_error (&error);
    }

  rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  /* Predictable file modes in test_replace_contents. */
  umask (0022);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/copy", test_copy);
  g_test_add_func ("/config/enums", test_enums);
  g_test_add_func ("/config/mac", test_mac);
  g_test_add_func ("/config/names", test_names);
  g_test_add_func ("/config/new-names", test_new_names);
  g_test_add_func ("/config/options/names", test_options_names);
  g_test_add_func ("/config/options/startable", test_options_startable);
  g_test_add_func ("/config/options/backing", test_options_backing);
  g_test_add_func ("/config/folders", test_folders);
  g_test_add_func ("/config/share-names", test_share_names);
  g_test_add_func ("/config/escape", test_escape);
  g_test_add_func ("/config/validate", test_validate);
  g_test_add_func ("/config/validate-limits", test_validate_limits);
  g_test_add_func ("/config/xml/round-trip", test_round_trip);
  g_test_add_func ("/config/xml/round-trip-minimal", test_round_trip_minimal);
  g_test_add_func ("/config/xml/round-trip-guest", test_round_trip_guest);
  g_test_add_func ("/config/xml/round-trip-transport", test_round_trip_transport);
  g_test_add_func ("/config/options/share-transport", test_options_share_transport);
  g_test_add_func ("/config/xml/round-trip-acceleration", test_round_trip_acceleration);
  g_test_add_func ("/config/options/acceleration", test_options_acceleration);
  g_test_add_func ("/config/xml/good", test_good_configs);
  g_test_add_func ("/config/xml/canonical", test_canonical);
  g_test_add_func ("/config/machine-type/check", test_machine_type_check);
  g_test_add_func ("/config/machine-type/round-trip", test_machine_type_round_trip);
  g_test_add_func ("/config/machine-type/options", test_options_machine_type);
  g_test_add_func ("/config/xml/linked-clone", test_linked_clone);
  g_test_add_func ("/config/xml/hand-edited", test_hand_edited);
  g_test_add_func ("/config/xml/guest-element", test_guest_element);
  g_test_add_func ("/config/xml/bad", test_bad_configs);
  g_test_add_func ("/config/xml/too-large", test_too_large);
  g_test_add_func ("/config/xml/load-missing", test_load_missing);
  g_test_add_func ("/config/xml/load-hostile-files", test_load_hostile_files);
  g_test_add_func ("/config/xml/error-one-line", test_error_one_line);
  g_test_add_func ("/config/xml/odd-input", test_from_xml_odd_input);
  g_test_add_func ("/config/xml/fuzz", test_fuzz);
  g_test_add_func ("/config/xml/schema-enforced", test_schema_enforced);
  g_test_add_func ("/config/xml/schema-missing", test_schema_missing);
  g_test_add_func ("/config/xml/quiet", test_quiet);
  g_test_add_func ("/config/xml/threads", test_threads);
  g_test_add_func ("/config/xml/save-load", test_save_load);
  g_test_add_func ("/config/nic-rules", test_nic_rules);
  g_test_add_func ("/fileutil/replace", test_replace_contents);
  g_test_add_func ("/fileutil/replace-failures", test_replace_failures);
  g_test_add_func ("/fileutil/read-capped", test_read_capped);
  g_test_add_func ("/fileutil/replace-refuses-links", test_replace_refuses_links);
  g_test_add_func ("/fileutil/replace-error-names-file", test_replace_error_names_file);
  g_test_add_func ("/fileutil/remove-stale-temps", test_remove_stale_temps);

  return g_test_run ();
}
