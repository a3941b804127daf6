/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-image-check.c: engine/hv-image-check.c on real files: made-up ISO, UDF and floppy
 * images, FIFOs, devices, /proc and /sys, and what the messages say about each. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-image-check.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* A file of @size zero bytes with @n patches: (offset, bytes, length). */
static char *
make_file (const char *name,
           gsize       size,
           ...)
{
  g_autofree char *data = g_malloc0 (size);
  char *path = tmp_path (name);
  g_autoptr(GError) error = NULL;
  va_list ap;
  gsize offset;

  va_start (ap, size);
  while ((offset = va_arg (ap, gsize)) != (gsize) -1)
    {
      const char *bytes = va_arg (ap, const char *);
      gsize len = va_arg (ap, gsize);

      g_assert_cmpuint (offset + len, <=, size);
      memcpy (data + offset, bytes, len);
    }
  va_end (ap);
  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
  return path;
}

#define END ((gsize) -1)

static void
assert_refused (HvImageKind  kind,
                const char  *path,
                int          code,
                const char  *fragment)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (hv_image_check (kind, path, &error));
  g_assert_error (error, HV_ERROR, code);
  g_assert_null (strchr (error->message, '\n'));
  if (strstr (error->message, fragment) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, fragment);
}

static void
assert_accepted (HvImageKind  kind,
                 const char  *path)
{
  g_autoptr(GError) error = NULL;

  if (!hv_image_check (kind, path, &error))
    g_error ("%s refused: %s", path, error->message);
}

static void
test_iso (void)
{
  g_autofree char *iso9660 = make_file ("plain.iso", 40960,
                                        (gsize) 32768, "\x01" "CD001\x01", (gsize) 7, END);
  /* UDF only: the recognition sequence from sector 16, BEA01 then NSR03. */
  g_autofree char *udf = make_file ("udf.iso", 65536, (gsize) 32768, "\x00" "BEA01\x01", (gsize) 7,
                                    (gsize) 34816, "\x00" "NSR03\x01", (gsize) 7, END);
  /* A hybrid ISO: an MBR with a boot signature, and ISO 9660 at its place. */
  g_autofree char *hybrid = make_file ("hybrid.iso", 40960, (gsize) 510, "\x55\xaa", (gsize) 2,
                                       (gsize) 32768, "\x01" "CD001\x01", (gsize) 7, END);
  g_autofree char *qcow2 = make_file ("disk.qcow2", 65536, (gsize) 0, "QFI\xfb", (gsize) 4, END);
  g_autofree char *zeros = make_file ("zeros.iso", 65536, END);
  g_autofree char *small = make_file ("small.iso", 1000, END);
  g_autofree char *text = tmp_path ("notes.iso");
  g_autofree char *cd_id_late = make_file ("late.iso", 65536, (gsize) 34816, "\x01" "CD001",
                                           (gsize) 6, END);

  g_assert_true (g_file_set_contents (text, "just some notes\n", -1, NULL));

  assert_accepted (HV_IMAGE_ISO, iso9660);
  assert_accepted (HV_IMAGE_ISO, udf);
  assert_accepted (HV_IMAGE_ISO, hybrid);
  if (g_file_test ("/usr/lib/grub-rescue/grub-rescue-cdrom.iso", G_FILE_TEST_EXISTS))
    assert_accepted (HV_IMAGE_ISO, "/usr/lib/grub-rescue/grub-rescue-cdrom.iso");

  /* What was found instead is named. */
  assert_refused (HV_IMAGE_ISO, qcow2, HV_ERROR_INVALID_ARGUMENT,
                  "no ISO 9660 or UDF volume descriptor at byte 32768; "
                  "it holds a qcow2 disk image");
  assert_refused (HV_IMAGE_ISO, zeros, HV_ERROR_INVALID_ARGUMENT, "it holds zero bytes");
  assert_refused (HV_IMAGE_ISO, small, HV_ERROR_INVALID_ARGUMENT, "1000 bytes, too few");
  assert_refused (HV_IMAGE_ISO, text, HV_ERROR_INVALID_ARGUMENT, "it holds text");
  /* ISO 9660 starts at sector 16 or not at all. */
  assert_refused (HV_IMAGE_ISO, cd_id_late, HV_ERROR_INVALID_ARGUMENT, "not a CD/DVD image");

  /* Other kinds do not look inside. */
  assert_accepted (HV_IMAGE_KERNEL, text);
  assert_accepted (HV_IMAGE_INITRD, qcow2);
  assert_accepted (HV_IMAGE_DISK, zeros);
}

static void
test_floppy (void)
{
  g_autofree char *f144 = make_file ("a.img", 1474560, (gsize) 510, "\x55\xaa", (gsize) 2, END);
  g_autofree char *f288 = make_file ("ed.img", HV_FLOPPY_MAX_BYTES, END);
  g_autofree char *odd = make_file ("odd.img", 1296384, END);   /* GRUB's rescue floppy */
  g_autofree char *big = make_file ("big.img", HV_FLOPPY_MAX_BYTES + 512, END);
  g_autofree char *cd = make_file ("cd.img", 3 * 1024 * 1024, (gsize) 32768,
                                   "\x01" "CD001\x01", (gsize) 7, END);
  g_autofree char *ragged = make_file ("ragged.img", 1000, END);

  assert_accepted (HV_IMAGE_FLOPPY, f144);
  assert_accepted (HV_IMAGE_FLOPPY, f288);
  assert_accepted (HV_IMAGE_FLOPPY, odd);
  assert_refused (HV_IMAGE_FLOPPY, big, HV_ERROR_INVALID_ARGUMENT, "more than a floppy's 2949120");
  assert_refused (HV_IMAGE_FLOPPY, cd, HV_ERROR_INVALID_ARGUMENT, "give it as an ISO");
  assert_refused (HV_IMAGE_FLOPPY, ragged, HV_ERROR_INVALID_ARGUMENT,
                  "not a whole number of 512-byte sectors");
}

/* Nothing but regular files (and block devices for disks), and never a file that the kernel
 * makes up: none of these may block or be read for long. */
static void
test_file_types (void)
{
  g_autofree char *fifo = tmp_path ("fifo");
  g_autofree char *link_to_fifo = tmp_path ("link-to-fifo");
  g_autofree char *empty = tmp_path ("empty.iso");
  g_autofree char *missing = tmp_path ("missing.iso");
  const HvImageKind kinds[] = {
    HV_IMAGE_ISO, HV_IMAGE_FLOPPY, HV_IMAGE_DISK, HV_IMAGE_KERNEL, HV_IMAGE_INITRD,
  };

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (symlink (fifo, link_to_fifo), ==, 0);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      const char *label = hv_image_kind_label (kinds[i]);

      assert_refused (kinds[i], fifo, HV_ERROR_INVALID_ARGUMENT, "is a FIFO (named pipe)");
      assert_refused (kinds[i], link_to_fifo, HV_ERROR_INVALID_ARGUMENT, "FIFO");
      assert_refused (kinds[i], "/dev/null", HV_ERROR_INVALID_ARGUMENT,
                      "is a character device, not a regular file");
      assert_refused (kinds[i], "/dev/zero", HV_ERROR_INVALID_ARGUMENT, "character device");
      assert_refused (kinds[i], "/proc/self/status", HV_ERROR_INVALID_ARGUMENT, "/proc");
      assert_refused (kinds[i], "/proc/cpuinfo", HV_ERROR_INVALID_ARGUMENT, "/proc");
      if (g_file_test ("/sys/kernel/uevent_seqnum", G_FILE_TEST_IS_REGULAR))
        assert_refused (kinds[i], "/sys/kernel/uevent_seqnum", HV_ERROR_INVALID_ARGUMENT,
                        "sysfs");
      assert_refused (kinds[i], tmpdir, HV_ERROR_INVALID_ARGUMENT, "is a directory");
      assert_refused (kinds[i], empty, HV_ERROR_INVALID_ARGUMENT, "is empty");
      assert_refused (kinds[i], missing, HV_ERROR_NOT_FOUND, "not found");
      assert_refused (kinds[i], "relative.iso", HV_ERROR_INVALID_ARGUMENT, "must be absolute");
      assert_refused (kinds[i], "/tmp/\xff.iso", HV_ERROR_INVALID_ARGUMENT, "not valid UTF-8");
      assert_refused (kinds[i], "", HV_ERROR_INVALID_ARGUMENT, "no file name");
      /* The message starts with what the file was to be. */
      {
        g_autoptr(GError) error = NULL;

        g_assert_false (hv_image_check (kinds[i], fifo, &error));
        g_assert_true (g_str_has_prefix (error->message, label));
      }
    }
  assert_refused (HV_IMAGE_DISK, fifo, HV_ERROR_INVALID_ARGUMENT,
                  "not a regular file or a block device");
}

/* A hard disk may be a block device; nothing else may. */
static void
test_block_device (void)
{
  static const char * const candidates[] = {
    "/dev/loop0", "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/ram0", NULL,
  };
  const char *device = NULL;
  struct stat st;

  for (guint i = 0; candidates[i] != NULL && device == NULL; i++)
    if (stat (candidates[i], &st) == 0 && S_ISBLK (st.st_mode) && access (candidates[i], R_OK) == 0)
      device = candidates[i];
  if (device == NULL)
    {
      g_test_skip ("no readable block device here");
      return;
    }
  assert_accepted (HV_IMAGE_DISK, device);
  assert_refused (HV_IMAGE_ISO, device, HV_ERROR_INVALID_ARGUMENT, "is a block device");
  assert_refused (HV_IMAGE_FLOPPY, device, HV_ERROR_INVALID_ARGUMENT, "is a block device");
  assert_refused (HV_IMAGE_KERNEL, device, HV_ERROR_INVALID_ARGUMENT, "is a block device");
}

static void
test_unreadable (void)
{
  g_autofree char *path = make_file ("secret.iso", 40960, (gsize) 32768, "\x01" "CD001\x01",
                                     (gsize) 7, END);

  if (geteuid () == 0)
    {
      g_test_skip ("root reads every file");
      return;
    }
  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  assert_refused (HV_IMAGE_ISO, path, HV_ERROR_IO, "cannot be read");
}

static void
test_folder (void)
{
  g_autofree char *file = make_file ("file.txt", 10, END);
  g_autofree char *fifo = tmp_path ("folder-fifo");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_true (hv_image_check_folder (tmpdir, &error));
  g_assert_no_error (error);

  g_assert_false (hv_image_check_folder (file, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "is a file, not a folder"));
  g_clear_error (&error);
  g_assert_false (hv_image_check_folder (fifo, &error));
  g_assert_nonnull (strstr (error->message, "FIFO"));
  g_clear_error (&error);
  g_assert_false (hv_image_check_folder ("/proc/self", &error));
  g_assert_nonnull (strstr (error->message, "/proc"));
  g_clear_error (&error);
  g_assert_false (hv_image_check_folder ("/sys/kernel", &error));
  g_assert_nonnull (strstr (error->message, "sysfs"));
  g_clear_error (&error);
  g_assert_false (hv_image_check_folder ("/nonexistent/folder", &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Folder not found"));
  g_clear_error (&error);
  g_assert_false (hv_image_check_folder ("/tmp/\xff", &error));
  g_assert_nonnull (strstr (error->message, "not valid UTF-8"));
}

static void
remove_tmpdir (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = tmp_path (name);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("hv-test-image-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/image-check/iso", test_iso);
  g_test_add_func ("/image-check/floppy", test_floppy);
  g_test_add_func ("/image-check/file-types", test_file_types);
  g_test_add_func ("/image-check/block-device", test_block_device);
  g_test_add_func ("/image-check/unreadable", test_unreadable);
  g_test_add_func ("/image-check/folder", test_folder);
  status = g_test_run ();

  remove_tmpdir ();
  g_free (tmpdir);
  return status;
}
