/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-config.c: VM configs in their XML form on disk: round trips, the good and bad files of
 * tests/configs/ (good/ must load, bad/ must each fail with the message listed in bad_configs[]
 * below), hostile files, the schema. Data rules are in test-config-rules.c, the atomic file
 * helpers under it in test-fileutil.c. */
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

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

  return g_test_run ();
}
