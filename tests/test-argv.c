/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-argv.c: the QEMU command line, against golden files, and the QEMU probe.
 *
 * Every tests/argv/<case>.xml is loaded with hv_vm_config_load(), turned into an argv
 * with fixed capabilities and paths, and compared with <case>.args (one argument per
 * line, see hv_qemu_argv_to_string()) or, for configs that must be refused, with
 * <case>.err (the stage that refused it, "load" or "argv", and the message).
 * HV_REGENERATE_GOLDEN=1 rewrites the golden files instead of comparing; review the diff.
 * A golden file without its .xml, or an .xml without a golden file, fails the run.
 * Cases named virtiofs-* run with a usable virtiofsd, the others without one.
 *
 * virtiofsd itself (hv-virtiofsd.c) is tested in test-virtiofsd.c. */

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hv-config.h"
#include "hv-error.h"
#include "hv-qemu-argv.h"
#include "hv-qemu-caps.h"
#include "hv-vm-machine.h"
#include "hv-virtiofsd.h"

#define TEST_UUID "0e6f3c52-8a44-4b1e-9d57-3f1c2a7b9e10"

/* Cases that need other capabilities or paths than the defaults, by name. */
static const struct {
  const char *name;
  gboolean kvm;
  gboolean no_seccomp;
  gboolean no_ovmf;
  gboolean qmp_path;   /* qmp_fd -1: QEMU creates run_dir/qmp.sock */
  gboolean no_machine_list; /* "-machine help" could not be read */
} case_overrides[] = {
  { "kvm", .kvm = TRUE },
  /* The acceleration setting against the engine's verdict (caps->kvm): auto follows it,
   * kvm needs it, tcg ignores it. accel-auto-tcg and accel-kvm-unusable have no KVM. */
  { "accel-auto-kvm", .kvm = TRUE },
  { "accel-kvm", .kvm = TRUE },
  { "accel-tcg", .kvm = TRUE },
  { "no-seccomp", .no_seccomp = TRUE },
  { "uefi-no-ovmf", .no_ovmf = TRUE },
  { "qmp-path", .qmp_path = TRUE },
  { "machine-type-unlisted", .no_machine_list = TRUE },
};

/* What "-machine help" of the fixed QEMU 7.2 lists (a part of it). */
static const char * const fixed_machine_types[] = {
  "pc-i440fx-7.2", "pc-i440fx-7.1", "pc-i440fx-2.12", "pc-q35-7.2", "pc-q35-7.1", "pc-q35-4.0.1",
  NULL
};

static gboolean
regenerating (void)
{
  return g_strcmp0 (g_getenv ("HV_REGENERATE_GOLDEN"), "1") == 0;
}

static char *
golden_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "argv", NULL);
}

static void
fixed_caps (HvQemuCaps *caps,
            const char *case_name)
{
  memset (caps, 0, sizeof *caps);
  caps->qemu_binary = (char *) "/usr/bin/qemu-system-x86_64";
  caps->version_major = 7;
  caps->version_minor = 2;
  caps->version_micro = 0;
  caps->kvm = FALSE;
  caps->seccomp = TRUE;
  caps->ovmf_code = (char *) "/usr/share/OVMF/OVMF_CODE_4M.fd";
  caps->ovmf_vars_template = (char *) "/usr/share/OVMF/OVMF_VARS_4M.fd";
  caps->virtiofsd = g_str_has_prefix (case_name, "virtiofs-") ? (char *) "/usr/libexec/virtiofsd"
                                                               : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (case_overrides); i++)
    {
      if (!g_str_equal (case_overrides[i].name, case_name))
        continue;
      caps->kvm = case_overrides[i].kvm;
      caps->seccomp = !case_overrides[i].no_seccomp;
      if (case_overrides[i].no_ovmf)
        caps->ovmf_code = caps->ovmf_vars_template = NULL;
      if (case_overrides[i].no_machine_list)
        return;
    }
  caps->machine_pc = (char *) "pc-i440fx-7.2";
  caps->machine_q35 = (char *) "pc-q35-7.2";
  caps->machine_types = (char **) fixed_machine_types;
  /* legacy-*: a host with a PulseAudio server; legacy-hook-*: the test hooks on, with a
   * comma in the WAV directory. */
  if (g_str_has_prefix (case_name, "legacy-"))
    caps->audio_backend = (char *) "pa";
  if (g_str_has_prefix (case_name, "legacy-hook-"))
    {
      caps->audio_wav_dir = (char *) "/var/tmp/hv,wav";
      caps->test_debug_exit = TRUE;
    }
}

static int
fixed_qmp_fd (const char *case_name)
{
  for (guint i = 0; i < G_N_ELEMENTS (case_overrides); i++)
    {
      if (g_str_equal (case_overrides[i].name, case_name) && case_overrides[i].qmp_path)
        return -1;
    }
  return 3;
}

/* Compare line by line so a failure names the first argument that differs. */
static void
assert_same_text (const char *file,
                  const char *expected,
                  const char *actual)
{
  g_auto(GStrv) want = g_strsplit (expected, "\n", -1);
  g_auto(GStrv) got = g_strsplit (actual, "\n", -1);
  guint i;

  for (i = 0; want[i] != NULL && got[i] != NULL; i++)
    {
      if (!g_str_equal (want[i], got[i]))
        break;
    }
  if (want[i] == NULL && got[i] == NULL)
    return;

  g_test_message ("%s differs at line %u:\n  expected: %s\n  actual:   %s\n"
                  "(run with HV_REGENERATE_GOLDEN=1 to rewrite it, then review the diff)\n"
                  "actual output:\n%s",
                  file, i + 1, want[i] != NULL ? want[i] : "(end of file)",
                  got[i] != NULL ? got[i] : "(end of output)", actual);
  g_test_fail ();
}

static void
check_golden (const char *dir,
              const char *case_name,
              const char *extension,
              const char *actual)
{
  g_autofree char *file = g_strdup_printf ("%s.%s", case_name, extension);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  const char *other_extension = g_str_equal (extension, "args") ? "err" : "args";
  g_autofree char *other = g_strdup_printf ("%s/%s.%s", dir, case_name, other_extension);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  if (regenerating ())
    {
      g_file_set_contents (path, actual, -1, &error);
      g_assert_no_error (error);
      g_unlink (other);
      return;
    }

  if (!g_file_get_contents (path, &expected, NULL, &error))
    {
      g_test_message ("%s: %s (the config %s; HV_REGENERATE_GOLDEN=1 creates the file)",
                      file, error->message,
                      g_str_equal (extension, "args") ? "builds an argv" : "is refused");
      g_test_fail ();
      return;
    }
  assert_same_text (file, expected, actual);
}

/* Load errors name the file by its full path: keep only its name, so the golden file
 * does not depend on where the source tree is. */
static char *
strip_dir (const char *message,
           const char *dir)
{
  g_autofree char *prefix = g_strconcat (dir, G_DIR_SEPARATOR_S, NULL);
  g_auto(GStrv) parts = g_strsplit (message, prefix, -1);

  return g_strjoinv ("", parts);
}

static void
test_golden_case (gconstpointer data)
{
  const char *case_name = data;
  g_autofree char *dir = golden_dir ();
  g_autofree char *xml_name = g_strdup_printf ("%s.xml", case_name);
  g_autofree char *xml_path = g_build_filename (dir, xml_name, NULL);
  g_autofree char *vm_dir = NULL;
  g_autofree char *run_dir = NULL;
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *text = NULL;
  HvQemuCaps caps;
  HvQemuPaths paths;

  config = hv_vm_config_load (xml_path, &error);
  if (config == NULL)
    {
      g_autofree char *message = strip_dir (error->message, dir);
      g_autofree char *err_text = g_strdup_printf ("load: %s\n", message);

      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
      check_golden (dir, case_name, "err", err_text);
      return;
    }

  fixed_caps (&caps, case_name);
  vm_dir = g_build_filename ("/library/vms", config->uuid, NULL);
  run_dir = g_build_filename ("/run/user/1000/hostvisor/vms", config->uuid, NULL);
  paths.vm_dir = vm_dir;
  paths.run_dir = run_dir;
  paths.qmp_fd = fixed_qmp_fd (case_name);

  argv = hv_qemu_build_argv (config, &caps, &paths, &error);
  if (argv == NULL)
    {
      g_autofree char *err_text = g_strdup_printf ("argv: %s\n", error->message);

      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
      check_golden (dir, case_name, "err", err_text);
      return;
    }

  /* Whatever the golden file says: the user's name never reaches QEMU's options. */
  for (guint i = 0; argv[i] != NULL; i++)
    g_assert_null (strstr (argv[i], config->name));
  g_assert_cmpstr (argv[0], ==, caps.qemu_binary);
  /* Nor does a share's name: its mount tag is always hvshare<N>. */
  for (guint n = 0; n < config->shares->len; n++)
    {
      const HvShare *share = g_ptr_array_index (config->shares, n);
      gboolean virtiofs = hv_qemu_share_transport (config, &caps) == HV_SHARE_TRANSPORT_VIRTIOFS;
      g_autofree char *tag = g_strdup_printf (virtiofs ? ",tag=hvshare%u" : ",mount_tag=hvshare%u",
                                              n);
      g_autofree char *named_tag = g_strdup_printf ("tag=%s", share->name);
      gboolean found = FALSE;

      for (guint i = 0; argv[i] != NULL; i++)
        {
          const char *at = strstr (argv[i], tag);

          g_assert_null (strstr (argv[i], named_tag));
          found = found || (at != NULL && (at[strlen (tag)] == '\0' || at[strlen (tag)] == ','));
          /* virtiofsd gets the host path, QEMU never does */
          if (virtiofs)
            g_assert_null (strstr (argv[i], share->path));
        }
      g_assert_true (found);
    }

  text = hv_qemu_argv_to_string ((const char * const *) argv);
  check_golden (dir, case_name, "args", text);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names of the files in tests/argv/, sorted. */
static GPtrArray *
list_dir (void)
{
  g_autofree char *dir = golden_dir ();
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (files, g_strdup (name));
  g_ptr_array_sort (files, compare_strings);
  return files;
}

static gboolean
case_file_exists (const char *case_name,
                  const char *extension)
{
  g_autofree char *dir = golden_dir ();
  g_autofree char *file = g_strdup_printf ("%s/%s.%s", dir, case_name, extension);

  return g_file_test (file, G_FILE_TEST_EXISTS);
}

static void
test_golden_files (void)
{
  g_autoptr(GPtrArray) files = list_dir ();
  guint xml_count = 0;

  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      const char *dot = strrchr (file, '.');
      g_autofree char *stem = dot != NULL ? g_strndup (file, dot - file) : g_strdup (file);

      if (g_str_has_suffix (file, ".xml"))
        {
          gboolean has_args = case_file_exists (stem, "args");
          gboolean has_err = case_file_exists (stem, "err");

          xml_count++;
          if (has_args == has_err)
            {
              g_test_message ("%s has %s golden file", file, has_args ? "both a .args and an .err"
                                                                      : "no .args or .err");
              g_test_fail ();
            }
        }
      else if (g_str_has_suffix (file, ".args") || g_str_has_suffix (file, ".err"))
        {
          if (!case_file_exists (stem, "xml"))
            {
              g_test_message ("%s is not used: there is no %s.xml", file, stem);
              g_test_fail ();
            }
        }
      else
        {
          g_test_message ("%s does not belong in tests/argv/", file);
          g_test_fail ();
        }
    }
  /* guard against an empty or missing folder passing silently */
  g_assert_cmpuint (xml_count, >=, 14);
}

/* A config built in code, for the checks the builder makes itself (the loader would
 * refuse most of these configs before they got here). */
static HvVmConfig *
new_config (void)
{
  HvVmConfig *config = hv_vm_config_new ("Builder test");

  g_free (config->uuid);
  config->uuid = g_strdup (TEST_UUID);
  g_ptr_array_set_size (config->nics, 0);
  return config;
}

static char **
build (const HvVmConfig *config,
       const char       *vm_dir,
       const char       *run_dir,
       GError          **error)
{
  HvQemuCaps caps;
  HvQemuPaths paths = { vm_dir, run_dir, 3 };

  fixed_caps (&caps, "");
  return hv_qemu_build_argv (config, &caps, &paths, error);
}

static char **
build_default (const HvVmConfig *config,
               GError          **error)
{
  return build (config, "/library/vms/" TEST_UUID, "/run/user/1000/hostvisor/vms/" TEST_UUID,
                error);
}

/* The value after the n-th occurrence of `option`, or NULL. */
static const char *
option_value (char       **argv,
              const char  *option,
              guint        n)
{
  for (guint i = 0; argv[i] != NULL && argv[i + 1] != NULL; i++)
    {
      if (g_str_equal (argv[i], option) && n-- == 0)
        return argv[i + 1];
    }
  return NULL;
}

static void
expect_refused (HvVmConfig *config,
                const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = build_default (config, &error);

  g_assert_null (argv);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected an error about \"%s\", got \"%s\"", fragment, error->message);
}

static void
add_drive (HvVmConfig  *config,
           HvDriveKind  kind,
           HvDriveBus   bus,
           const char  *path)
{
  HvDrive *drive = hv_drive_new (kind, bus, HV_DISK_FORMAT_RAW, path);

  drive->readonly = kind == HV_DRIVE_CDROM;
  g_ptr_array_add (config->drives, drive);
}

/* Paths with ',' and '=' in the VM and runtime directories: every comma doubled in
 * option values, none in JSON or whole-element values, and '=' never taken for a key. */
static void
test_commas_in_paths (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  const char *vm_dir = "/home/u/My,VMs=x/" TEST_UUID;
  const char *run_dir = "/run/a,b=c";

  add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_IDE, "disk,0.raw");
  config->kernel = g_strdup ("/boot/vm,linuz");
  config->cmdline = g_strdup ("console=ttyS0,115200");
  config->firmware = HV_FIRMWARE_UEFI;

  argv = build (config, vm_dir, run_dir, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (option_value (argv, "-vnc", 0), ==, "vnc=unix:/run/a,,b=c/vnc.sock");
  g_assert_cmpstr (option_value (argv, "-chardev", 0), ==,
                   "socket,id=serial0,path=/run/a,,b=c/serial.sock,server=on,wait=off");
  g_assert_cmpstr (option_value (argv, "-chardev", 2), ==,
                   "socket,id=agent,path=/run/a,,b=c/agent.sock,server=on,wait=off");
  g_assert_cmpstr (option_value (argv, "-kernel", 0), ==, "/boot/vm,linuz");
  g_assert_cmpstr (option_value (argv, "-append", 0), ==, "console=ttyS0,115200");
  /* the NVRAM and the disk image: JSON, so single commas */
  g_assert_cmpstr (option_value (argv, "-blockdev", 2), ==,
                   "{\"driver\":\"file\",\"filename\":\"/home/u/My,VMs=x/" TEST_UUID
                   "/nvram.fd\",\"node-name\":\"ovmf-vars-file\",\"read-only\":false}");
  g_assert_cmpstr (option_value (argv, "-blockdev", 4), ==,
                   "{\"driver\":\"file\",\"filename\":\"/home/u/My,VMs=x/" TEST_UUID
                   "/disk,0.raw\",\"node-name\":\"drive0-file\",\"read-only\":false}");
}

/* JSON quoting of paths with quotes, backslashes and non-ASCII text. */
static void
test_json_quoting (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO, "/srv/\"q\"\\b/é.raw");
  argv = build_default (config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (option_value (argv, "-blockdev", 0), ==,
                   "{\"driver\":\"file\",\"filename\":\"/srv/\\\"q\\\"\\\\b/é.raw\","
                   "\"node-name\":\"drive0-file\",\"read-only\":false}");
}

/* Relative image paths are resolved against the VM's directory, as text only. */
static void
test_relative_paths (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO, "disks/../a.raw");
  add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO, "/abs/b.raw");
  argv = build_default (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (option_value (argv, "-blockdev", 0),
                            "\"filename\":\"/library/vms/" TEST_UUID "/a.raw\""));
  g_assert_nonnull (strstr (option_value (argv, "-blockdev", 2), "\"filename\":\"/abs/b.raw\""));
}

static void
test_pure (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) second = NULL;

  add_drive (config, HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE, NULL);
  first = build_default (config, &error);
  g_assert_no_error (error);
  g_setenv ("HOSTVISOR_QEMU", "/nonexistent", TRUE);
  second = build_default (config, &error);
  g_unsetenv ("HOSTVISOR_QEMU");
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) first, (const char * const *) second));
}

/* The config may leave its drive and adapter arrays NULL. */
static void
test_no_arrays (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  g_clear_pointer (&config->drives, g_ptr_array_unref);
  g_clear_pointer (&config->nics, g_ptr_array_unref);
  config->firmware = HV_FIRMWARE_UEFI;
  g_free (config->boot_order);
  config->boot_order = g_strdup ("ncda");
  argv = build_default (config, &error);
  g_assert_no_error (error);
  g_assert_null (option_value (argv, "-netdev", 0));
}

static void
test_refused (void)
{
  g_autoptr(HvVmConfig) config = NULL;

  config = new_config ();
  add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_SATA, "a.raw");
  expect_refused (config, "drive 1: the sata bus needs the q35 machine");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  add_drive (config, HV_DRIVE_CDROM, HV_DRIVE_BUS_VIRTIO, "a.iso");
  expect_refused (config, "drive 1: a CD-ROM cannot be on the virtio bus");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  add_drive (config, HV_DRIVE_FLOPPY, HV_DRIVE_BUS_IDE, "a.img");
  expect_refused (config, "drive 1: floppy drives, and only they, go on the fdc bus");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_IDE, NULL);
  expect_refused (config, "drive 1: a disk needs an image file");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *path = g_strdup_printf ("d%u.raw", i);
      add_drive (config, HV_DRIVE_DISK, HV_DRIVE_BUS_IDE, path);
    }
  expect_refused (config, "drive 5: the pc machine has only 4 IDE units");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  config->machine = HV_MACHINE_Q35;
  for (guint i = 0; i < 7; i++)
    add_drive (config, HV_DRIVE_CDROM, HV_DRIVE_BUS_SATA, NULL);
  expect_refused (config, "drive 7: the q35 machine has only 6 SATA ports");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  for (guint i = 0; i < 3; i++)
    add_drive (config, HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC, NULL);
  expect_refused (config, "drive 3: there are at most 2 floppy drives");
  g_clear_pointer (&config, hv_vm_config_free);

  /* option injection through the MAC address */
  config = new_config ();
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "e1000", "52:54:00:12:34:56,x=y"));
  expect_refused (config, "adapter 1: the MAC address is not valid");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "e1000,x=y", "52:54:00:12:34:56"));
  expect_refused (config, "adapter 1: unknown model");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "ne2k_isa", "52:54:00:12:34:56"));
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "ne2k_isa", "52:54:00:12:34:57"));
  expect_refused (config, "adapter 2: only one ne2k_isa adapter fits");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  g_free (config->uuid);
  config->uuid = g_strdup ("x,y=z");
  expect_refused (config, "UUID is not valid");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  g_free (config->boot_order);
  config->boot_order = g_strdup ("c,d");
  expect_refused (config, "may only hold the letters");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  g_free (config->boot_order);
  config->boot_order = g_strdup ("cdc");
  expect_refused (config, "names 'c' twice");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  config->initrd = g_strdup ("/boot/initrd");
  expect_refused (config, "needs a kernel");
  g_clear_pointer (&config, hv_vm_config_free);

  config = new_config ();
  config->memory_mib = 0;
  expect_refused (config, "memory size 0 MiB is out of range");
  g_clear_pointer (&config, hv_vm_config_free);
}

static void
add_share (HvVmConfig *config,
           const char *name,
           const char *path,
           gboolean    readonly)
{
  g_ptr_array_add (config->shares, hv_share_new (name, path, readonly));
}

/* Shares: one -fsdev and one virtio-9p device each, in config order, ids from the index,
 * commas in paths doubled, and the user's share names nowhere. */
static void
test_shares (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;

  add_share (config, "zeta", "/srv/z", FALSE);
  add_share (config, "alpha", "/srv/a,b", TRUE);
  argv = build_default (config, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (option_value (argv, "-fsdev", 0), ==,
                   "local,id=fs0,path=/srv/z,security_model=mapped-xattr");
  g_assert_cmpstr (option_value (argv, "-fsdev", 1), ==,
                   "local,id=fs1,path=/srv/a,,b,security_model=mapped-xattr,readonly=on");
  g_assert_null (option_value (argv, "-fsdev", 2));
  g_assert_cmpstr (option_value (argv, "-device", 0), ==,
                   "virtio-9p-pci,id=share0,fsdev=fs0,mount_tag=hvshare0");
  g_assert_cmpstr (option_value (argv, "-device", 1), ==,
                   "virtio-9p-pci,id=share1,fsdev=fs1,mount_tag=hvshare1");
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_assert_null (strstr (argv[i], "zeta"));
      g_assert_null (strstr (argv[i], "alpha"));
    }

  /* No shares, or a NULL array: no 9p at all. */
  g_clear_pointer (&argv, g_strfreev);
  g_clear_pointer (&config->shares, g_ptr_array_unref);
  argv = build_default (config, &error);
  g_assert_no_error (error);
  g_assert_null (option_value (argv, "-fsdev", 0));
}

/* The builder checks share paths itself: they become option text. */
static void
test_shares_refused (void)
{
  static const char * const bad_paths[] = {
    "relative/dir", "", "/a\nb", "/tab\there", "/bad\xff" "utf8", "/del\x7f",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad_paths); i++)
    {
      g_autoptr(HvVmConfig) config = new_config ();

      add_share (config, "ok", "/fine", FALSE);
      add_share (config, "docs", bad_paths[i], FALSE);
      expect_refused (config, "shared folder 2: the path must be an absolute path");
    }

  {
    g_autoptr(HvVmConfig) config = new_config ();

    add_share (config, "docs", NULL, FALSE);
    expect_refused (config, "shared folder 1: the path must be an absolute path");
  }
  {
    g_autoptr(HvVmConfig) config = new_config ();

    g_ptr_array_add (config->shares, NULL);
    expect_refused (config, "shared folder 1 is missing");
  }
  {
    g_autoptr(HvVmConfig) config = new_config ();

    for (guint i = 0; i <= HV_MAX_SHARES; i++)
      add_share (config, "s", "/s", FALSE);
    expect_refused (config, "more than 16 shared folders");
  }
}

/* The transport rule: virtiofs only with a usable virtiofsd, and "auto" only on q35. */
static void
test_share_transport (void)
{
  static const struct {
    HvMachine machine;
    HvShareTransport setting;
    gboolean have_virtiofsd;
    HvShareTransport expected;
  } cases[] = {
    { HV_MACHINE_Q35, HV_SHARE_TRANSPORT_AUTO, TRUE, HV_SHARE_TRANSPORT_VIRTIOFS },
    { HV_MACHINE_Q35, HV_SHARE_TRANSPORT_AUTO, FALSE, HV_SHARE_TRANSPORT_9P },
    { HV_MACHINE_PC, HV_SHARE_TRANSPORT_AUTO, TRUE, HV_SHARE_TRANSPORT_9P },
    { HV_MACHINE_PC, HV_SHARE_TRANSPORT_VIRTIOFS, TRUE, HV_SHARE_TRANSPORT_VIRTIOFS },
    { HV_MACHINE_PC, HV_SHARE_TRANSPORT_VIRTIOFS, FALSE, HV_SHARE_TRANSPORT_9P },
    { HV_MACHINE_Q35, HV_SHARE_TRANSPORT_VIRTIOFS, FALSE, HV_SHARE_TRANSPORT_9P },
    { HV_MACHINE_Q35, HV_SHARE_TRANSPORT_9P, TRUE, HV_SHARE_TRANSPORT_9P },
    { HV_MACHINE_PC, HV_SHARE_TRANSPORT_9P, FALSE, HV_SHARE_TRANSPORT_9P },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HvVmConfig) config = new_config ();
      HvQemuCaps caps;

      fixed_caps (&caps, cases[i].have_virtiofsd ? "virtiofs-rule" : "");
      config->machine = cases[i].machine;
      config->share_transport = cases[i].setting;
      g_assert_cmpint (hv_qemu_share_transport (config, &caps), ==, cases[i].expected);
    }
}

static guint
count_option_values (char       **argv,
                     const char  *option,
                     const char  *prefix)
{
  guint n = 0;

  for (guint i = 0; argv[i] != NULL && argv[i + 1] != NULL; i++)
    n += g_str_equal (argv[i], option) && g_str_has_prefix (argv[i + 1], prefix);
  return n;
}

/* virtiofs: shared RAM of the right size, the devices from hv_qemu_virtiofs_device_props(),
 * on q35 one hot-plug port per possible share; no 9p, and nothing of the host path. */
static void
test_virtiofs (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) props = NULL;
  g_autofree char *sock = NULL;
  HvQemuCaps caps;
  HvQemuPaths paths = { "/library/vms/" TEST_UUID, "/run/user/1000/hostvisor/vms/" TEST_UUID, 3 };

  fixed_caps (&caps, "virtiofs-test");
  config->share_transport = HV_SHARE_TRANSPORT_VIRTIOFS;
  config->memory_mib = 768;
  add_share (config, "zeta", "/srv/z", FALSE);
  add_share (config, "alpha", "/srv/a", TRUE);

  /* pc: on pci.0, no ports */
  argv = hv_qemu_build_argv (config, &caps, &paths, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (option_value (argv, "-machine", 0), ==, "pc,accel=tcg,memory-backend=ram");
  g_assert_cmpstr (option_value (argv, "-object", 0), ==,
                   "memory-backend-memfd,id=ram,size=768M,share=on");
  g_assert_cmpstr (option_value (argv, "-m", 0), ==, "768");
  g_assert_null (option_value (argv, "-fsdev", 0));
  g_assert_cmpuint (count_option_values (argv, "-device", "pcie-root-port"), ==, 0);
  g_assert_cmpstr (option_value (argv, "-chardev", 0), ==,
                   "socket,id=vfs0,path=/run/user/1000/hostvisor/vms/" TEST_UUID "/vfs0.sock");
  g_assert_cmpstr (option_value (argv, "-device", 0), ==,
                   "vhost-user-fs-pci,id=share0,chardev=vfs0,tag=hvshare0");
  g_assert_cmpstr (option_value (argv, "-device", 1), ==,
                   "vhost-user-fs-pci,id=share1,chardev=vfs1,tag=hvshare1");
  props = hv_qemu_virtiofs_device_props (config, 1);
  g_assert_cmpuint (g_strv_length (props), ==, 8);
  g_assert_cmpstr (props[0], ==, "driver");
  g_assert_cmpstr (props[1], ==, "vhost-user-fs-pci");
  sock = hv_qemu_virtiofs_socket_path (paths.run_dir, 1);
  g_assert_cmpstr (sock, ==, "/run/user/1000/hostvisor/vms/" TEST_UUID "/vfs1.sock");
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_assert_null (strstr (argv[i], "/srv/"));
      g_assert_null (strstr (argv[i], "zeta"));
      g_assert_null (strstr (argv[i], "alpha"));
    }

  /* q35: each device in its own port, and all 16 ports there for later */
  g_clear_pointer (&argv, g_strfreev);
  g_clear_pointer (&props, g_strfreev);
  config->machine = HV_MACHINE_Q35;
  argv = hv_qemu_build_argv (config, &caps, &paths, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_option_values (argv, "-device", "pcie-root-port,"), ==, HV_MAX_SHARES);
  g_assert_cmpstr (option_value (argv, "-device", 0), ==,
                   "pcie-root-port,id=hvport0,bus=pcie.0,chassis=1,addr=0x1c.0,"
                   "multifunction=on,io-reserve=0");
  g_assert_cmpstr (option_value (argv, "-device", 15), ==,
                   "pcie-root-port,id=hvport15,bus=pcie.0,chassis=16,addr=0x1d.7,io-reserve=0");
  g_assert_cmpuint (count_option_values (argv, "-device",
                                         "vhost-user-fs-pci,id=share1,chardev=vfs1,tag=hvshare1,"
                                         "bus=hvport1"), ==, 1);
  props = hv_qemu_virtiofs_device_props (config, 7);
  g_assert_cmpuint (g_strv_length (props), ==, 10);
  g_assert_cmpstr (props[8], ==, "bus");
  g_assert_cmpstr (props[9], ==, "hvport7");

  /* no virtiofsd: 9p after all, and none of the above */
  g_clear_pointer (&argv, g_strfreev);
  caps.virtiofsd = NULL;
  argv = hv_qemu_build_argv (config, &caps, &paths, &error);
  g_assert_no_error (error);
  g_assert_null (option_value (argv, "-object", 0));
  g_assert_cmpstr (option_value (argv, "-machine", 0), ==, "q35,accel=tcg");
  g_assert_cmpuint (count_option_values (argv, "-device", "pcie-root-port"), ==, 0);
  g_assert_cmpstr (option_value (argv, "-fsdev", 1), ==,
                   "local,id=fs1,path=/srv/a,security_model=mapped-xattr,readonly=on");
}

/* "auto" on the pc machine, which old-OS profiles use, changes nothing in its command line,
 * whether or not virtiofsd is there. */
static void
test_virtiofs_pc_auto_unchanged (void)
{
  g_autofree char *dir = golden_dir ();
  g_autofree char *a = g_build_filename (dir, "share-one.args", NULL);
  g_autofree char *b = g_build_filename (dir, "virtiofs-pc-auto.args", NULL);
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;

  g_assert_true (g_file_get_contents (a, &text_a, NULL, NULL));
  g_assert_true (g_file_get_contents (b, &text_b, NULL, NULL));
  g_assert_cmpstr (text_a, ==, text_b);
}

static void
test_socket_path_too_long (void)
{
  g_autoptr(HvVmConfig) config = new_config ();
  g_autoptr(GError) error = NULL;
  g_autofree char *run_dir = g_strnfill (100, 'r');
  g_autofree char *abs_run_dir = g_strconcat ("/", run_dir, NULL);
  g_auto(GStrv) argv = build (config, "/library/vms/" TEST_UUID, abs_run_dir, &error);

  g_assert_null (argv);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "too long for a UNIX socket"));
}

static void
test_to_string (void)
{
  const char * const argv[] = { "/usr/bin/qemu", "a b", "back\\slash", "new\nline",
                                "tab\there", "é", "", NULL };
  g_autofree char *text = hv_qemu_argv_to_string (argv);

  g_assert_cmpstr (text, ==, "/usr/bin/qemu\na b\nback\\\\slash\nnew\\nline\ntab\\x09here\n"
                             "é\n\n");
}

static void
test_caps_copy (void)
{
  HvQemuCaps caps;
  g_autoptr(HvQemuCaps) copy = NULL;

  fixed_caps (&caps, "kvm");
  copy = hv_qemu_caps_copy (&caps);
  g_assert_true (copy->qemu_binary != caps.qemu_binary);
  g_assert_cmpstr (copy->qemu_binary, ==, caps.qemu_binary);
  g_assert_cmpstr (copy->ovmf_code, ==, caps.ovmf_code);
  g_assert_cmpstr (copy->ovmf_vars_template, ==, caps.ovmf_vars_template);
  g_assert_true (copy->kvm);
  g_assert_true (copy->seccomp);
  g_assert_cmpuint (copy->version_major, ==, 7);
  g_assert_cmpuint (copy->version_minor, ==, 2);
  g_assert_cmpstr (copy->machine_pc, ==, "pc-i440fx-7.2");
  g_assert_cmpstr (copy->machine_q35, ==, "pc-q35-7.2");
  g_assert_true (copy->machine_q35 != caps.machine_q35);
  g_assert_true (copy->machine_types != caps.machine_types);
  g_assert_cmpstrv (copy->machine_types, caps.machine_types);
}

/* "-machine help" as QEMU 7.2 prints it (shortened), with lines of other kinds. */
static const char machine_help_72[] =
  "Supported machines are:\n"
  "microvm              microvm (i386)\n"
  "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)\n"
  "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)\n"
  "pc-i440fx-7.1        Standard PC (i440FX + PIIX, 1996)\n"
  "pc-i440fx-1.4        Standard PC (i440FX + PIIX, 1996) (deprecated)\n"
  "q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)\n"
  "pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n"
  "pc-q35-4.0.1         Standard PC (Q35 + ICH9, 2009)\n"
  "isapc                ISA-only PC\n"
  "none                 empty machine\n"
  "x-remote             Experimental remote machine\n";

static void
test_caps_parse_machines (void)
{
  HvQemuCaps caps = { 0 };
  const char * const expected[] = {
    "pc-i440fx-7.2", "pc-i440fx-7.1", "pc-i440fx-1.4", "pc-q35-7.2", "pc-q35-4.0.1", NULL
  };

  g_assert_true (hv_qemu_caps_parse_machines (&caps, machine_help_72));
  g_assert_cmpstr (caps.machine_pc, ==, "pc-i440fx-7.2");
  g_assert_cmpstr (caps.machine_q35, ==, "pc-q35-7.2");
  g_assert_cmpstrv (caps.machine_types, expected);
  g_assert_cmpstr (hv_qemu_caps_machine_alias (&caps, HV_MACHINE_PC), ==, "pc-i440fx-7.2");
  g_assert_cmpstr (hv_qemu_caps_machine_alias (&caps, HV_MACHINE_Q35), ==, "pc-q35-7.2");
  g_assert_true (hv_qemu_caps_knows_machine_types (&caps));
  g_assert_true (hv_qemu_caps_has_machine_type (&caps, "pc-q35-4.0.1"));
  g_assert_false (hv_qemu_caps_has_machine_type (&caps, "pc-q35-7.1"));
  g_assert_false (hv_qemu_caps_has_machine_type (&caps, "q35"));
  g_assert_false (hv_qemu_caps_has_machine_type (&caps, "isapc"));
  g_clear_pointer (&caps.machine_pc, g_free);
  g_clear_pointer (&caps.machine_q35, g_free);
  g_clear_pointer (&caps.machine_types, g_strfreev);

  /* An alias is only taken when it names a listed type of its own kind. */
  g_assert_true (hv_qemu_caps_parse_machines (&caps,
      "pc                   Standard PC (alias of pc-q35-7.2)\n"
      "q35                  Standard PC (alias of pc-q35-9.0)\n"
      "pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n"
      "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996)"));
  g_assert_null (caps.machine_pc);
  g_assert_null (caps.machine_q35);
  g_assert_true (hv_qemu_caps_has_machine_type (&caps, "pc-i440fx-7.2"));
  g_clear_pointer (&caps.machine_types, g_strfreev);

  /* No versioned type at all: nothing is known, nothing changes. */
  g_assert_false (hv_qemu_caps_parse_machines (&caps, "qemu: unknown option\n"));
  g_assert_false (hv_qemu_caps_parse_machines (&caps, ""));
  g_assert_false (hv_qemu_caps_parse_machines (&caps, NULL));
  g_assert_false (hv_qemu_caps_knows_machine_types (&caps));
  g_assert_null (caps.machine_pc);
  g_assert_false (hv_qemu_caps_has_machine_type (&caps, "pc-q35-7.2"));
}

/* CreateVm and the first start pin a VM to what its alias stands for, once. */
static void
test_machine_type_pin (void)
{
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("Pin");
  HvQemuCaps caps;

  fixed_caps (&caps, "");
  g_assert_true (hv_machine_type_pin (config, &caps));
  g_assert_cmpstr (config->machine_type, ==, "pc-i440fx-7.2");
  g_assert_true (hv_vm_config_validate (config, NULL));
  /* Pinned already: a newer QEMU changes nothing. */
  caps.machine_pc = (char *) "pc-i440fx-8.2";
  g_assert_false (hv_machine_type_pin (config, &caps));
  g_assert_cmpstr (config->machine_type, ==, "pc-i440fx-7.2");

  g_clear_pointer (&config->machine_type, g_free);
  config->machine = HV_MACHINE_Q35;
  g_assert_true (hv_machine_type_pin (config, &caps));
  g_assert_cmpstr (config->machine_type, ==, "pc-q35-7.2");

  /* A QEMU whose machine types are not known leaves it unpinned. */
  g_clear_pointer (&config->machine_type, g_free);
  fixed_caps (&caps, "machine-type-unlisted");
  g_assert_false (hv_machine_type_pin (config, &caps));
  g_assert_null (config->machine_type);
  g_assert_false (hv_machine_type_pin (config, NULL));

  /* The builder checks the type itself: it goes into option text. */
  {
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) argv = NULL;

    config->machine_type = g_strdup ("pc-q35-7.2,accel=kvm");
    argv = build_default (config, &error);
    g_assert_null (argv);
    g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "is not valid for the q35 machine"));
    g_clear_error (&error);
    g_free (config->machine_type);
    config->machine_type = g_strdup ("pc-i440fx-7.2");
    argv = build_default (config, &error);
    g_assert_null (argv);
    g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  }
}

/* A stand-in QEMU: a shell script in a temporary folder. */
static char *
write_fake_qemu (const char *dir,
                 const char *script)
{
  g_autofree char *path = g_build_filename (dir, "fake-qemu", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, script, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return g_steal_pointer (&path);
}

static void
test_caps_probe_fake (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hv-test-caps-XXXXXX", &error);
  g_autofree char *qemu = NULL;
  g_autoptr(HvQemuCaps) caps = NULL;

  g_assert_no_error (error);
  /* a QEMU built without seccomp: --version works, -sandbox fails */
  qemu = write_fake_qemu (dir,
                          "#!/bin/sh\n"
                          "case \"$1\" in\n"
                          "--version) echo 'QEMU emulator version 9.1.3 (test)'; exit 0;;\n"
                          "-machine) [ \"$2\" = help ] || exit 2\n"
                          "  echo 'Supported machines are:'\n"
                          "  echo 'pc    Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-9.1)'\n"
                          "  echo 'pc-i440fx-9.1   Standard PC (i440FX + PIIX, 1996) (default)'\n"
                          "  echo 'q35   Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-9.1)'\n"
                          "  echo 'pc-q35-9.1   Standard PC (Q35 + ICH9, 2009)'\n"
                          "  echo 'pc-q35-9.0   Standard PC (Q35 + ICH9, 2009)'; exit 0;;\n"
                          "-sandbox) echo '-sandbox is disabled at compile time' >&2; exit 1;;\n"
                          "esac\n"
                          "exit 2\n");
  g_setenv ("HOSTVISOR_QEMU", qemu, TRUE);
  g_setenv ("HOSTVISOR_NO_KVM", "1", TRUE);
  caps = hv_qemu_caps_probe (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (caps->qemu_binary, ==, qemu);
  g_assert_cmpuint (caps->version_major, ==, 9);
  g_assert_cmpuint (caps->version_minor, ==, 1);
  g_assert_cmpuint (caps->version_micro, ==, 3);
  g_assert_false (caps->seccomp);
  g_assert_false (caps->kvm);
  g_assert_cmpstr (caps->machine_pc, ==, "pc-i440fx-9.1");
  g_assert_cmpstr (caps->machine_q35, ==, "pc-q35-9.1");
  g_assert_true (hv_qemu_caps_has_machine_type (caps, "pc-q35-9.0"));
  g_clear_pointer (&caps, hv_qemu_caps_free);

  /* one whose "-machine help" fails: still usable, machine types not known */
  g_free (qemu);
  qemu = write_fake_qemu (dir,
                          "#!/bin/sh\n"
                          "case \"$1\" in\n"
                          "--version) echo 'QEMU emulator version 7.2.0 (test)'; exit 0;;\n"
                          "esac\n"
                          "exit 2\n");
  caps = hv_qemu_caps_probe (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (caps->version_major, ==, 7);
  g_assert_false (hv_qemu_caps_knows_machine_types (caps));
  g_assert_null (caps->machine_pc);
  g_assert_null (caps->machine_q35);
  g_clear_pointer (&caps, hv_qemu_caps_free);

  /* something that is not QEMU */
  g_free (qemu);
  qemu = write_fake_qemu (dir, "#!/bin/sh\necho hello\n");
  caps = hv_qemu_caps_probe (&error);
  g_assert_null (caps);
  g_assert_error (error, HV_ERROR, HV_ERROR_QEMU_FAILED);
  g_clear_error (&error);

  g_setenv ("HOSTVISOR_QEMU", "/nonexistent/qemu-system-x86_64", TRUE);
  caps = hv_qemu_caps_probe (&error);
  g_assert_null (caps);
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_unsetenv ("HOSTVISOR_QEMU");
  g_unsetenv ("HOSTVISOR_NO_KVM");
  g_unlink (qemu);
  g_rmdir (dir);
}

/* A QEMU that hangs must not hang the probe (takes the probe's time limit, 15 s). */
static void
test_caps_probe_hang (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *qemu = NULL;
  g_autoptr(HvQemuCaps) caps = NULL;
  gint64 start;

  if (!g_test_slow ())
    {
      g_test_skip ("waits for the probe's time limit; run with -m slow");
      return;
    }
  dir = g_dir_make_tmp ("hv-test-caps-XXXXXX", &error);
  g_assert_no_error (error);
  qemu = write_fake_qemu (dir, "#!/bin/sh\nexec sleep 600\n");
  g_setenv ("HOSTVISOR_QEMU", qemu, TRUE);
  start = g_get_monotonic_time ();
  caps = hv_qemu_caps_probe (&error);
  g_assert_null (caps);
  g_assert_error (error, HV_ERROR, HV_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);
  g_unsetenv ("HOSTVISOR_QEMU");
  g_unlink (qemu);
  g_rmdir (dir);
}

/* The real QEMU of this host, when there is one. */
static void
test_caps_probe_real (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvQemuCaps) caps = NULL;
  g_autofree char *found = g_find_program_in_path ("qemu-system-x86_64");

  if (found == NULL)
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }
  g_setenv ("HOSTVISOR_NO_KVM", "1", TRUE);
  caps = hv_qemu_caps_probe (&error);
  g_unsetenv ("HOSTVISOR_NO_KVM");
  g_assert_no_error (error);
  g_assert_true (g_path_is_absolute (caps->qemu_binary));
  g_assert_cmpuint (caps->version_major, >=, 7);
  g_assert_false (caps->kvm);
  g_assert_true ((caps->ovmf_code == NULL) == (caps->ovmf_vars_template == NULL));
  if (g_file_test ("/usr/share/OVMF/OVMF_CODE_4M.fd", G_FILE_TEST_EXISTS) &&
      g_file_test ("/usr/share/OVMF/OVMF_VARS_4M.fd", G_FILE_TEST_EXISTS))
    g_assert_cmpstr (caps->ovmf_code, ==, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  /* Each alias stands for a versioned type of its kind that the list has. */
  g_assert_true (hv_machine_type_check (HV_MACHINE_PC, caps->machine_pc, NULL));
  g_assert_true (hv_machine_type_check (HV_MACHINE_Q35, caps->machine_q35, NULL));
  g_assert_true (hv_qemu_caps_has_machine_type (caps, caps->machine_pc));
  g_assert_true (hv_qemu_caps_has_machine_type (caps, caps->machine_q35));
  g_test_message ("pc is %s, q35 is %s", caps->machine_pc, caps->machine_q35);
  g_test_message ("QEMU %u.%u.%u at %s, seccomp %s", caps->version_major, caps->version_minor,
                  caps->version_micro, caps->qemu_binary, caps->seccomp ? "yes" : "no");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = NULL;

  g_test_init (&argc, &argv, NULL);
  /* As hostvisord does: a fake QEMU that exits without reading the probe's QMP input on its
   * stdin must give the probe EPIPE, not kill the test. */
  signal (SIGPIPE, SIG_IGN);

  files = list_dir ();
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *test_path = NULL;
      char *stem;

      if (!g_str_has_suffix (file, ".xml"))
        continue;
      stem = g_strndup (file, strlen (file) - strlen (".xml"));
      test_path = g_strdup_printf ("/argv/golden/%s", stem);
      g_test_add_data_func_full (test_path, stem, test_golden_case, g_free);
    }
  /* A suite's own tests run before its sub-suites, so this runs after every case (which,
   * in regenerate mode, have just created the missing golden files). */
  g_test_add_func ("/argv/golden-check/files", test_golden_files);

  g_test_add_func ("/argv/commas-in-paths", test_commas_in_paths);
  g_test_add_func ("/argv/json-quoting", test_json_quoting);
  g_test_add_func ("/argv/relative-paths", test_relative_paths);
  g_test_add_func ("/argv/pure", test_pure);
  g_test_add_func ("/argv/no-arrays", test_no_arrays);
  g_test_add_func ("/argv/refused", test_refused);
  g_test_add_func ("/argv/shares", test_shares);
  g_test_add_func ("/argv/shares-refused", test_shares_refused);
  g_test_add_func ("/argv/share-transport", test_share_transport);
  g_test_add_func ("/argv/virtiofs", test_virtiofs);
  g_test_add_func ("/argv/virtiofs-pc-auto-unchanged", test_virtiofs_pc_auto_unchanged);
  g_test_add_func ("/argv/socket-path-too-long", test_socket_path_too_long);
  g_test_add_func ("/argv/to-string", test_to_string);
  g_test_add_func ("/caps/copy", test_caps_copy);
  g_test_add_func ("/caps/parse-machines", test_caps_parse_machines);
  g_test_add_func ("/caps/machine-type-pin", test_machine_type_pin);
  g_test_add_func ("/caps/probe-fake", test_caps_probe_fake);
  g_test_add_func ("/caps/probe-hang", test_caps_probe_hang);
  g_test_add_func ("/caps/probe-real", test_caps_probe_real);

  return g_test_run ();
}
