/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-profiles.c: hardware for old guests: the profiles in resources/profiles (each loads,
 * makes a valid config that QEMU's argv builder accepts, and is picked for its OS ids), the
 * profile parser's refusals, the hardware part of vm.xml (round trip, old configs unchanged),
 * the create/modify options, the audio backend choice and floppy drive B:. */
#include "hv-config.h"
#include "hv-config-private.h"
#include "hv-error.h"
#include "hv-profiles.h"
#include "hv-qemu-argv.h"
#include "hv-qemu-caps.h"
#include "hv-vm-options.h"

#include <glib/gstdio.h>
#include <string.h>

static const char * const expected_profiles[] = {
  "dos", "linux2", "win2000", "win3x", "win95", "win98", "winme", "winxp", NULL
};

static void
fixed_caps (HvQemuCaps *caps)
{
  static const char * const types[] = { "pc-i440fx-7.2", "pc-q35-7.2", NULL };

  memset (caps, 0, sizeof *caps);
  caps->qemu_binary = (char *) "/usr/bin/qemu-system-x86_64";
  caps->version_major = 7;
  caps->version_minor = 2;
  caps->seccomp = TRUE;
  caps->machine_pc = (char *) "pc-i440fx-7.2";
  caps->machine_q35 = (char *) "pc-q35-7.2";
  caps->machine_types = (char **) types;
  caps->audio_backend = (char *) "pa";
}

static char *
argv_text (const HvVmConfig *config)
{
  HvQemuCaps caps;
  HvQemuPaths paths = { "/library/vms/x", "/run/x", 3 };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  fixed_caps (&caps);
  argv = hv_qemu_build_argv (config, &caps, &paths, &error);
  g_assert_no_error (error);
  return g_strjoinv (" ", argv);
}

static void
test_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = hv_profiles_list (&error);

  g_assert_no_error (error);
  g_assert_cmpuint (profiles->len, ==, g_strv_length ((char **) expected_profiles));
  for (guint i = 0; i < profiles->len; i++)
    {
      const HvProfile *p = g_ptr_array_index (profiles, i);

      g_assert_cmpstr (p->name, ==, expected_profiles[i]);
      g_assert_nonnull (p->description);
      g_assert_cmpuint (g_strv_length (p->os_ids), >, 0);
      g_assert_cmpuint (p->memory_mib, <=, p->memory_max_mib);
    }
}

/* Each profile on a fresh VM (with a disk, a CD-ROM and a floppy) validates and builds. */
static void
test_each_profile_builds (void)
{
  for (guint i = 0; expected_profiles[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvProfile) p = hv_profile_load (expected_profiles[i], &error);
      g_autoptr(HvVmConfig) config = hv_vm_config_new ("Old");
      g_autofree char *text = NULL;
      g_autofree char *xml = NULL;
      HvDrive *cd;

      g_assert_no_error (error);
      g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_IDE,
                                                     HV_DISK_FORMAT_QCOW2, "disk0.qcow2"));
      cd = hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE, HV_DISK_FORMAT_RAW, NULL);
      cd->readonly = TRUE;
      g_ptr_array_add (config->drives, cd);
      g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC,
                                                     HV_DISK_FORMAT_RAW, "/images/a.img"));
      hv_profile_apply (p, config);
      if (!hv_vm_config_validate (config, &error))
        g_error ("profile %s: %s", p->name, error->message);
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
      g_assert_nonnull (strstr (xml, "<profile name=\""));
      text = argv_text (config);
      g_assert_nonnull (strstr (text, p->machine == HV_MACHINE_ISAPC ? "-machine isapc,"
                                                                    : "-machine pc,"));
      if (p->cpu_model != NULL)
        {
          g_autofree char *cpu = g_strdup_printf ("-cpu %s ", p->cpu_model);

          g_assert_nonnull (strstr (text, cpu));
        }
      if (p->sound == HV_SOUND_SB16)
        g_assert_nonnull (strstr (text, "sb16,id=sound0,iobase=0x220,irq=5,dma=1,dma16=5"));
      if (p->adlib)
        g_assert_nonnull (strstr (text, "adlib,id=adlib0"));
      if (p->pc_speaker)
        g_assert_nonnull (strstr (text, "pcspk-audiodev=snd0"));
      if (p->rtc == HV_RTC_LOCALTIME)
        g_assert_nonnull (strstr (text, "-rtc base=localtime"));
      /* Old guests never get the tablet without USB, nor PCI devices on isapc. */
      if (!p->tablet)
        g_assert_null (strstr (text, "usb-tablet"));
      if (p->machine == HV_MACHINE_ISAPC)
        {
          g_assert_null (strstr (text, "-pci"));
          g_assert_nonnull (strstr (text, "isa-vga"));
          g_assert_nonnull (strstr (text, "ne2k_isa"));
        }
    }
}

static void
test_for_os (void)
{
  static const struct {
    const char *os;
    const char *profile;
  } cases[] = {
    { "msdos6.22", "dos" }, { "freedos1.2", "dos" }, { "win3.1", "win3x" },
    { "win95", "win95" }, { "win98", "win98" }, { "winme", "winme" }, { "win2k", "win2000" },
    { "winxp", "winxp" }, { "rhl5.2", "linux2" }, { "debian2.2", "linux2" },
    { "debian12", NULL }, { "win10", NULL }, { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = hv_profile_for_os (cases[i].os);

      g_assert_cmpstr (name, ==, cases[i].profile);
    }
}

static void
test_parse_refused (void)
{
  static const char good[] =
    "[Profile]\nDescription=T\nOsIds=x;\n[Hardware]\nMachine=pc\nCpuModel=pentium\n"
    "MemoryMib=64\nMemoryMaxMib=512\nCpus=1\nVideo=std\nVramMib=8\nSound=sb16\nAdLib=true\n"
    "PcSpeaker=true\nNicModel=pcnet\nDiskGib=2\nDiskMaxGib=8\nRtc=localtime\nAcpi=on\n"
    "Hpet=off\nUsb=on\nTablet=off\nVmport=on\nBoot=cda\nCpuLimit=486\n";
  static const struct {
    const char *from;
    const char *to;
    const char *message;
  } cases[] = {
    { "Machine=pc", "Machine=microvm", "Machine: \"microvm\" is not pc, q35 or isapc" },
    { "CpuModel=pentium", "CpuModel=z80", "CpuModel: \"z80\" is not a known model" },
    { "MemoryMib=64", "MemoryMib=1024", "MemoryMib: more than MemoryMaxMib" },
    { "Sound=sb16", "Sound=gus", "Sound: \"gus\" is not none" },
    { "AdLib=true", "AdLib=maybe", "AdLib: \"maybe\" is not on or off" },
    { "NicModel=pcnet", "NicModel=3c509", "NicModel: \"3c509\" is not a known network card" },
    { "Boot=cda", "Boot=cdx", "Boot: \"cdx\" is not a boot order" },
    { "CpuLimit=486", "CpuLimit=z80", "CpuLimit: \"z80\" is not off, 386, 486" },
    { "Vmport=on\n", "Vmport=on\nColour=red\n", "Colour: unknown key in [Hardware]" },
    { "Rtc=localtime\n", "", "Rtc: missing" },
    { "[Profile]", "[Extra]\nA=b\n[Profile]", "Extra: unknown group" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(HvProfile) p = hv_profile_parse ("test", good, strlen (good), &error);

  g_assert_no_error (error);
  g_assert_cmpint (p->cpu_limit_shift, ==, 7);
  g_assert_null (hv_profile_parse ("Bad Name", good, strlen (good), NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) text = g_string_new (good);
      g_autoptr(GError) local = NULL;
      g_autoptr(HvProfile) bad = NULL;

      g_assert_cmpint (g_string_replace (text, cases[i].from, cases[i].to, 1), ==, 1);
      bad = hv_profile_parse ("test", text->str, text->len, &local);
      g_assert_null (bad);
      g_assert_error (local, HV_ERROR, HV_ERROR_INVALID_CONFIG);
      if (strstr (local->message, cases[i].message) == NULL)
        g_error ("\"%s\" does not contain \"%s\"", local->message, cases[i].message);
    }
}

/* Every field away from its default survives vm.xml; a config without them keeps its bytes. */
static void
test_xml_round_trip (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Round");
  g_autoptr(HvVmConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *again = NULL;
  g_autofree char *plain = NULL;
  g_autoptr(HvVmConfig) plain_config = hv_vm_config_new ("Plain");

  config->hw.cpu_model = g_strdup ("pentium2");
  config->hw.sound = HV_SOUND_SB16;
  config->hw.sound_enabled = FALSE;
  config->hw.sound_muted = TRUE;
  config->hw.adlib = TRUE;
  config->hw.pc_speaker = TRUE;
  config->hw.vram_mib = 16;
  config->hw.rtc = HV_RTC_LOCALTIME;
  config->hw.acpi = FALSE;
  config->hw.hpet = FALSE;
  config->hw.usb = TRUE;
  config->hw.tablet = FALSE;
  config->hw.vmport = FALSE;
  config->hw.icount = TRUE;
  config->hw.icount_shift = 9;
  config->hw.profile = g_strdup ("win98");

  xml = hv_vm_config_to_xml (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "    <video model=\"std\" vram=\"16\"/>\n"));
  g_assert_nonnull (strstr (xml, "    <cpu model=\"pentium2\"/>\n"
                                 "    <sound device=\"sb16\" enabled=\"false\" muted=\"true\" "
                                 "adlib=\"true\" speaker=\"true\"/>\n"
                                 "    <chipset acpi=\"off\" hpet=\"off\" tablet=\"off\" "
                                 "vmport=\"off\" rtc=\"localtime\"/>\n"
                                 "    <speed-limit shift=\"9\"/>\n"
                                 "    <profile name=\"win98\"/>\n  </system>\n"));
  back = hv_vm_config_from_xml (xml, strlen (xml), "round.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->hw.cpu_model, ==, "pentium2");
  g_assert_cmpint (back->hw.sound, ==, HV_SOUND_SB16);
  g_assert_false (back->hw.sound_enabled);
  g_assert_true (back->hw.sound_muted && back->hw.adlib && back->hw.pc_speaker);
  g_assert_cmpuint (back->hw.vram_mib, ==, 16);
  g_assert_cmpint (back->hw.rtc, ==, HV_RTC_LOCALTIME);
  g_assert_false (back->hw.acpi || back->hw.hpet || back->hw.tablet || back->hw.vmport);
  g_assert_true (back->hw.usb && back->hw.icount);
  g_assert_cmpint (back->hw.icount_shift, ==, 9);
  g_assert_cmpstr (back->hw.profile, ==, "win98");
  again = hv_vm_config_to_xml (back, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, again);

  /* The defaults write nothing new. */
  plain = hv_vm_config_to_xml (plain_config, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (plain, "<cpu "));
  g_assert_null (strstr (plain, "<sound"));
  g_assert_null (strstr (plain, "<chipset"));
  g_assert_null (strstr (plain, "<speed-limit"));
  g_assert_null (strstr (plain, "vram="));
}

/* Bad hardware values in vm.xml are refused with the line and what to write. */
static void
test_xml_refused (void)
{
  static const struct {
    const char *element;
    const char *message;
  } cases[] = {
    { "<chipset usb=\"maybe\"/>", "usb=\"maybe\" on <chipset> is not valid (use on or off)" },
    { "<sound device=\"sb16\" adlib=\"on\"/>",
      "adlib=\"on\" on <sound> is not valid (use true or false)" },
    { "<sound device=\"gus\"/>", "device=\"gus\" on <sound> is not valid" },
    { "<cpu model=\"z80\"/>", "model=\"z80\" on <cpu> is not valid" },
    { "<speed-limit shift=\"11\"/>", "shift=\"11\" on <speed-limit> is not valid" },
    { "<profile name=\"../x\"/>", "name=\"../x\" on <profile> is not valid" },
    { "<chipset colour=\"red\"/>", "unknown attribute colour on <chipset>" },
    { "<sound device=\"sb16\"/><cpu model=\"486\"/>", "<cpu> must come before <sound>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = g_strdup_printf (
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hostvisor-vm version=\"1\">\n"
        "  <uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid>\n  <name>X</name>\n"
        "  <system machine=\"pc\" firmware=\"bios\">\n"
        "    <memory unit=\"MiB\">64</memory>\n    <cpus>1</cpus>\n"
        "    <video model=\"std\"/>\n    <boot order=\"c\"/>\n    %s\n  </system>\n"
        "</hostvisor-vm>\n", cases[i].element);
      g_autoptr(GError) error = NULL;
      g_autoptr(HvVmConfig) config = hv_vm_config_from_xml (xml, strlen (xml), "x.xml", &error);

      g_assert_null (config);
      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
      if (strstr (error->message, cases[i].message) == NULL || !g_str_has_prefix (error->message,
                                                                                "x.xml:10:"))
        g_error ("\"%s\" is not x.xml:10: … \"%s\"", error->message, cases[i].message);
    }
}

/* Every config of tests/configs/good loads and saves to the same bytes. */
static void
test_old_configs_unchanged (void)
{
  g_autofree char *dir_path = g_test_build_filename (G_TEST_DIST, "configs", "good", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *data = NULL;
      g_autofree char *xml = NULL;
      g_autoptr(HvVmConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_str_equal (name, "canonical.xml") && !g_str_equal (name, "minimal.xml")
          && !g_str_equal (name, "legacy-pc.xml"))
        continue;
      g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
      config = hv_vm_config_load (path, &error);
      g_assert_no_error (error);
      xml = hv_vm_config_to_xml (config, &error);
      g_assert_no_error (error);
      if (g_str_equal (name, "canonical.xml"))
        g_assert_cmpstr (xml, ==, data);
      g_assert_null (strstr (xml, "<sound"));
      g_assert_null (strstr (xml, "<chipset"));
      n++;
    }
  g_assert_cmpuint (n, ==, 3);
}

static char *
make_floppy (const char *dir,
             const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *zeros = g_malloc0 (1474560);

  g_assert_true (g_file_set_contents (path, zeros, 1474560, NULL));
  return g_steal_pointer (&path);
}

static GVariant *
options (const char *first_key,
         ...)
{
  GVariantBuilder b;
  va_list args;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    g_variant_builder_add (&b, "{sv}", key, va_arg (args, GVariant *));
  va_end (args);
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static void
test_options (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-profiles-XXXXXX", NULL);
  g_autofree char *a = make_floppy (dir, "a.img");
  g_autofree char *b = make_floppy (dir, "b.img");
  g_autoptr(GVariant) create = NULL;
  g_autoptr(GVariant) change = NULL;
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(HvVmConfig) changed = NULL;
  g_autoptr(GError) error = NULL;
  HvVmOptionsPlan plan;
  int index;

  /* The contract of issue 11: --profile dos --floppy PATH --no-disk. */
  create = options ("profile", g_variant_new_string ("dos"), "floppy", g_variant_new_string (a),
                    "no-disk", g_variant_new_boolean (TRUE), NULL);
  config = hv_vm_options_create ("DOS", create, &plan, &error);
  g_assert_no_error (error);
  g_assert_cmpint (config->machine, ==, HV_MACHINE_ISAPC);
  g_assert_null (config->machine_type);
  g_assert_cmpstr (config->hw.cpu_model, ==, "486");
  g_assert_cmpuint (config->memory_mib, ==, 16);
  g_assert_cmpint (config->hw.sound, ==, HV_SOUND_SB16);
  g_assert_cmpstr (config->boot_order, ==, "acd");
  g_assert_cmpstr (((HvNic *) g_ptr_array_index (config->nics, 0))->model, ==, "ne2k_isa");
  g_assert_cmpuint (plan.new_disk_gib, ==, 0);

  /* Per field overrides, B:, the speed limit. */
  change = options ("floppy-b", g_variant_new_string (b), "cpu-limit", g_variant_new_string ("486"),
                    "sound-muted", g_variant_new_boolean (TRUE), NULL);
  changed = hv_vm_options_modify (config, change, FALSE, &error);
  g_assert_no_error (error);
  index = hv_config_find_removable (changed, HV_DRIVE_FLOPPY, 1, NULL);
  g_assert_cmpint (index, >=, 0);
  g_assert_cmpstr (((HvDrive *) g_ptr_array_index (changed->drives, index))->path, ==, b);
  g_assert_true (changed->hw.icount && changed->hw.sound_muted);
  g_assert_cmpint (changed->hw.icount_shift, ==, 7);
  g_clear_pointer (&change, g_variant_unref);
  g_clear_pointer (&config, hv_vm_config_free);

  /* "off" keeps icount (QEMU cannot load an icount snapshot without it). */
  change = options ("cpu-limit", g_variant_new_string ("off"), NULL);
  config = hv_vm_options_modify (changed, change, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (config->hw.icount);
  g_assert_cmpint (config->hw.icount_shift, ==, HV_ICOUNT_SHIFT_AUTO);
  g_clear_pointer (&change, g_variant_unref);

  /* Bad combinations fail at modify, naming what to change. */
  {
    static const char *bad[][3] = {
      { "sound", "es1370", "PCI card" },
      { "machine", "q35", "Sound Blaster 16 is an ISA card" },
      { "firmware", "uefi", "BIOS firmware only" },
      { "video", "cirrus", "use std video" },
      { "cpu-model", "z80", "Unknown CPU model" },
      { "cpu-limit", "turbo", "Unknown CPU speed limit" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GVariant) o = options (bad[i][0], g_variant_new_string (bad[i][1]), NULL);
        g_autoptr(GError) local = NULL;
        g_autoptr(HvVmConfig) refused = hv_vm_options_modify (config, o, FALSE, &local);

        g_assert_null (refused);
        if (local == NULL || strstr (local->message, bad[i][2]) == NULL)
          g_error ("%s=%s: \"%s\" lacks \"%s\"", bad[i][0], bad[i][1],
                   local != NULL ? local->message : "(no error)", bad[i][2]);
      }
  }
  {
    g_autoptr(GVariant) o = options ("memory", g_variant_new_uint64 (128), NULL);
    g_autoptr(GError) local = NULL;

    g_assert_null (hv_vm_options_modify (config, o, FALSE, &local));
    g_assert_nonnull (strstr (local->message, "at most 64 MiB"));
  }

  /* --os win98 picks the win98 profile; --usb off takes the tablet along. */
  g_clear_pointer (&create, g_variant_unref);
  g_clear_pointer (&changed, hv_vm_config_free);
  create = options ("os", g_variant_new_string ("win98"), "no-disk", g_variant_new_boolean (TRUE),
                    "sound", g_variant_new_string ("es1370"), NULL);
  changed = hv_vm_options_create ("Win98", create, &plan, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed->hw.profile, ==, "win98");
  g_assert_cmpstr (changed->hw.cpu_model, ==, "pentium2");
  g_assert_cmpint (changed->hw.sound, ==, HV_SOUND_ES1370);
  g_assert_false (changed->hw.adlib);
  g_clear_pointer (&config, hv_vm_config_free);
  change = options ("usb", g_variant_new_boolean (FALSE), NULL);
  config = hv_vm_options_modify (changed, change, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (config->hw.usb || config->hw.tablet);

  /* --machine isapc alone makes a startable VM: no USB, std video, an ne2k_isa. */
  g_clear_pointer (&create, g_variant_unref);
  g_clear_pointer (&changed, hv_vm_config_free);
  create = options ("machine", g_variant_new_string ("isapc"), "no-disk",
                    g_variant_new_boolean (TRUE), "video", g_variant_new_string ("std"), NULL);
  changed = hv_vm_options_create ("ISA", create, &plan, &error);
  g_assert_no_error (error);
  g_assert_false (changed->hw.usb || changed->hw.tablet);
  g_assert_cmpstr (((HvNic *) g_ptr_array_index (changed->nics, 0))->model, ==, "ne2k_isa");
  g_clear_pointer (&create, g_variant_unref);
  create = options ("machine", g_variant_new_string ("isapc"), "no-disk",
                    g_variant_new_boolean (TRUE), "nic-model", g_variant_new_string ("e1000"),
                    NULL);
  g_assert_null (hv_vm_options_create ("ISA2", create, &plan, &error));
  g_assert_nonnull (strstr (error->message, "only network card is ne2k_isa"));
  g_clear_error (&error);

  g_remove (a);
  g_remove (b);
  g_rmdir (dir);
}

static void
test_audio_choice (void)
{
  g_autoptr(HvQemuCaps) caps = g_new0 (HvQemuCaps, 1);
  const char *help = "Available audio drivers:\nnone\nalsa\ndbus\noss\npa\nsdl\nwav\n";

  g_assert_false (hv_qemu_caps_parse_audio_drivers (caps, "garbage"));
  g_assert_true (hv_qemu_caps_parse_audio_drivers (caps, help));
  g_assert_cmpuint (g_strv_length (caps->audio_drivers), ==, 7);
  hv_qemu_caps_choose_audio (caps, TRUE, TRUE);
  g_assert_cmpstr (caps->audio_backend, ==, "pa");
  hv_qemu_caps_choose_audio (caps, FALSE, TRUE);
  g_assert_cmpstr (caps->audio_backend, ==, "alsa");
  hv_qemu_caps_choose_audio (caps, FALSE, FALSE);
  g_assert_cmpstr (caps->audio_backend, ==, "none");
  /* Without qemu-system-gui there is no pa, whatever server answers. */
  g_assert_true (hv_qemu_caps_parse_audio_drivers (caps, "Available audio drivers:\nnone\n"
                                                   "alsa\nwav\n"));
  hv_qemu_caps_choose_audio (caps, TRUE, TRUE);
  g_assert_cmpstr (caps->audio_backend, ==, "alsa");
  g_assert_nonnull (strstr (caps->audio_reason, "qemu-system-gui"));
}

static void
test_floppy_b (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("B");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (hv_config_find_removable (config, HV_DRIVE_FLOPPY, 0, NULL), ==, -1);
  g_assert_cmpint (hv_config_find_removable (config, HV_DRIVE_FLOPPY, 1, &error), ==, -2);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC,
                                                 HV_DISK_FORMAT_RAW, "/a.img"));
  g_assert_cmpint (hv_config_find_removable (config, HV_DRIVE_FLOPPY, 0, NULL), ==, 0);
  g_assert_cmpint (hv_config_find_removable (config, HV_DRIVE_FLOPPY, 1, NULL), ==, -1);
}

int
main (int    argc,
      char **argv)
{
  const char *schema = g_getenv ("HOSTVISOR_SCHEMA_DIR");

  g_test_init (&argc, &argv, NULL);
  if (schema != NULL)
    {
      g_autofree char *dir = g_build_filename (schema, "profiles", NULL);

      g_setenv ("HOSTVISOR_PROFILE_DIR", dir, TRUE);
    }

  g_test_add_func ("/profiles/list", test_list);
  g_test_add_func ("/profiles/each-builds", test_each_profile_builds);
  g_test_add_func ("/profiles/for-os", test_for_os);
  g_test_add_func ("/profiles/parse-refused", test_parse_refused);
  g_test_add_func ("/hardware/xml-round-trip", test_xml_round_trip);
  g_test_add_func ("/hardware/xml-refused", test_xml_refused);
  g_test_add_func ("/hardware/old-configs-unchanged", test_old_configs_unchanged);
  g_test_add_func ("/hardware/options", test_options);
  g_test_add_func ("/hardware/audio-choice", test_audio_choice);
  g_test_add_func ("/hardware/floppy-b", test_floppy_b);
  return g_test_run ();
}
