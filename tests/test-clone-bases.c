/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-clone-bases.c: the bases of linked clones (engine/hv-vm-clone.h) without QEMU: which
 * backing a config may name (hv_clone_check_backings()), and which bases the collector removes
 * (hv_clone_collect_bases()). The clones themselves: tests/integration/test-clone.sh. */

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-vm-clone.h"

#define BASE_A "0a1b2c3d-4e5f-4a6b-8c7d-000000000a0a"
#define BASE_B "0a1b2c3d-4e5f-4a6b-8c7d-000000000b0b"
#define BASE_C "0a1b2c3d-4e5f-4a6b-8c7d-000000000c0c"
#define BASE_D "0a1b2c3d-4e5f-4a6b-8c7d-000000000d0d"
#define BASE_E "0a1b2c3d-4e5f-4a6b-8c7d-000000000e0e"
#define VM_UUID "5b0e6a43-2c1d-4e8f-9a7b-0000000000c1"

static char *
make_library (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hv-clone-bases-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
write_file (const char *path,
            const char *text)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  g_assert_cmpint (system (command), ==, 0);
}

static HvVmConfig *
config_with_backing (const char *backing)
{
  HvVmConfig *config = hv_vm_config_new ("Linked");
  HvDrive *drive = hv_drive_new (HV_DRIVE_DISK, HV_DRIVE_BUS_VIRTIO, HV_DISK_FORMAT_QCOW2,
                                 "disk0.qcow2");

  drive->backing = g_strdup (backing);
  g_ptr_array_add (config->drives, drive);
  return config;
}

static void
assert_refused (const char *library,
                const char *backing,
                gboolean    at_start,
                const char *fragment)
{
  g_autofree char *vm_dir = g_build_filename (library, "vms", VM_UUID, NULL);
  g_autoptr(HvVmConfig) config = config_with_backing (backing);
  g_autoptr(GError) error = NULL;

  g_assert_false (hv_clone_check_backings (config, vm_dir, at_start, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
  if (strstr (error->message, fragment) == NULL)
    g_error ("backing %s: \"%s\" does not say \"%s\"", backing, error->message, fragment);
}

static void
test_check_backings (void)
{
  g_autofree char *library = make_library ();
  g_autofree char *vm_dir = g_build_filename (library, "vms", VM_UUID, NULL);
  g_autofree char *base = g_build_filename (library, "bases", BASE_A ".qcow2", NULL);
  g_autofree char *link = g_build_filename (library, "bases", BASE_B ".qcow2", NULL);
  g_autofree char *missing = g_build_filename (library, "bases", BASE_C ".qcow2", NULL);
  g_autofree char *upper = g_build_filename (library, "bases",
                                             "0A1B2C3D-4E5F-4A6B-8C7D-000000000A0A.qcow2", NULL);
  g_autofree char *dotdot = g_build_filename (library, "bases", "..", "bases",
                                              BASE_A ".qcow2", NULL);
  g_autofree char *other_dir = g_build_filename (library, "vms", BASE_A ".qcow2", NULL);
  g_autofree char *not_qcow2 = g_build_filename (library, "bases", BASE_A ".img", NULL);
  g_autoptr(HvVmConfig) good = config_with_backing (base);
  g_autoptr(HvVmConfig) none = hv_vm_config_new ("Plain");
  g_autoptr(GError) error = NULL;

  write_file (base, "base");
  g_assert_cmpint (symlink (base, link), ==, 0);

  /* No backing at all, and the engine's own base, at load and at start. */
  g_assert_true (hv_clone_check_backings (none, vm_dir, TRUE, &error));
  g_assert_true (hv_clone_check_backings (good, vm_dir, FALSE, &error));
  g_assert_true (hv_clone_check_backings (good, vm_dir, TRUE, &error));
  g_assert_no_error (error);

  /* Anything else is not the engine's. */
  assert_refused (library, "/etc/passwd", FALSE, "was not made by Hostvisor");
  assert_refused (library, upper, FALSE, "was not made by Hostvisor");
  assert_refused (library, dotdot, FALSE, "was not made by Hostvisor");
  assert_refused (library, other_dir, FALSE, "was not made by Hostvisor");
  assert_refused (library, not_qcow2, FALSE, "was not made by Hostvisor");
  /* At start the file must be there, and be a file. */
  assert_refused (library, missing, TRUE, "is missing");
  assert_refused (library, link, TRUE, "is not a regular file");
  {
    g_autoptr(HvVmConfig) config = config_with_backing (missing);

    g_assert_true (hv_clone_check_backings (config, vm_dir, FALSE, NULL));
  }

  remove_tree (library);
}

static void
test_collect (void)
{
  g_autofree char *library = make_library ();
  g_autofree char *bases = g_build_filename (library, "bases", NULL);
  const char *names[] = { BASE_A, BASE_B, BASE_C, BASE_D, BASE_E };
  g_autofree char *vm1 = g_build_filename (library, "vms", VM_UUID, "vm.xml", NULL);
  g_autofree char *kept = g_build_filename (library, "vms", BASE_E, "vm.xml.deleted", NULL);
  g_autofree char *snap = g_build_filename (library, "vms", BASE_D, "snapshots",
                                            "7f1e2d3c-4b5a-4968-8776-655443322110", "vm.xml",
                                            NULL);
  g_autofree char *cloning = g_build_filename (library, "vms", ".new-AbC123", "vm.xml", NULL);
  g_autofree char *temp = g_build_filename (bases, ".new-" BASE_A ".qcow2", NULL);
  g_autofree char *origin_a = g_build_filename (bases, BASE_A ".qcow2.origin", NULL);
  g_autofree char *origin_c = g_build_filename (bases, BASE_C ".qcow2.origin", NULL);
  g_autofree char *orphan = g_build_filename (bases, "1a1b2c3d-4e5f-4a6b-8c7d-000000000f0f"
                                              ".qcow2.origin", NULL);
  g_autofree char *stranger = g_build_filename (bases, "notes.txt", NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_strconcat (names[i], ".qcow2", NULL);
      g_autofree char *path = g_build_filename (bases, name, NULL);

      write_file (path, "base");
    }
  write_file (temp, "half");
  write_file (origin_a, "x hv-y 0\n");
  write_file (origin_c, "x hv-y 1\n");
  write_file (orphan, "x hv-y 2\n");
  write_file (stranger, "not a base");

  /* A: a VM's config; B: a config that no longer loads names it all the same; D: a snapshot's
   * config; E: a config kept by "delete --keep-files"; C: only a clone in progress (".new-*"),
   * which names nothing yet. */
  text = g_strdup_printf ("<drive backing=\"%s/" BASE_A ".qcow2\"/>", bases);
  write_file (vm1, text);
  g_free (text);
  text = g_strdup_printf ("garbage <<< %s/" BASE_B ".qcow2", bases);
  {
    g_autofree char *broken = g_build_filename (library, "vms", BASE_B, "vm.xml", NULL);

    write_file (broken, text);
  }
  g_free (text);
  text = g_strdup_printf ("<drive backing=\"%s/" BASE_D ".qcow2\"/>", bases);
  write_file (snap, text);
  g_free (text);
  text = g_strdup_printf ("<drive backing=\"%s/" BASE_E ".qcow2\"/>", bases);
  write_file (kept, text);
  g_free (text);
  text = g_strdup_printf ("<drive backing=\"%s/" BASE_C ".qcow2\"/>", bases);
  write_file (cloning, text);

  hv_clone_collect_bases (library, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_strconcat (names[i], ".qcow2", NULL);
      g_autofree char *path = g_build_filename (bases, name, NULL);

      g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, i != 2);
    }
  g_assert_true (g_file_test (origin_a, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (origin_c, G_FILE_TEST_EXISTS));   /* went with its base */
  g_assert_false (g_file_test (orphan, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (temp, G_FILE_TEST_EXISTS));       /* maybe being written now */
  g_assert_true (g_file_test (stranger, G_FILE_TEST_EXISTS));   /* not ours: left alone */

  /* At engine start nothing is being written: half-made exports go. */
  hv_clone_collect_bases (library, TRUE);
  g_assert_false (g_file_test (temp, G_FILE_TEST_EXISTS));

  /* The last config that names a base goes: so does the base. */
  g_assert_cmpint (g_unlink (vm1), ==, 0);
  hv_clone_collect_bases (library, FALSE);
  {
    g_autofree char *a = g_build_filename (bases, BASE_A ".qcow2", NULL);

    g_assert_false (g_file_test (a, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (origin_a, G_FILE_TEST_EXISTS));
  }

  /* Without a readable vms/ nothing is known: everything stays. */
  {
    g_autofree char *vms = g_build_filename (library, "vms", NULL);
    g_autofree char *b = g_build_filename (bases, BASE_B ".qcow2", NULL);

    remove_tree (vms);
    hv_clone_collect_bases (library, FALSE);
    g_assert_true (g_file_test (b, G_FILE_TEST_EXISTS));
  }

  remove_tree (library);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/clone/check-backings", test_check_backings);
  g_test_add_func ("/clone/collect-bases", test_collect);
  return g_test_run ();
}
