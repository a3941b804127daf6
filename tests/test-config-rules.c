/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-config-rules.c: VM configs as data: defaults, copies, enums, names and folders,
 * adapters, the options of CreateVm and Modify, and semantic validation. */
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

int
main (int    argc,
      char **argv)
{
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
  g_test_add_func ("/config/nic-rules", test_nic_rules);

  return g_test_run ();
}
