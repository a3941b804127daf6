/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-image-check.c: refusing files that cannot be a VM's image (see hv-image-check.h). */
#include "hv-image-check.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "hv-config.h"
#include "hv-error.h"

/* ISO 9660 and UDF (ECMA-167) both start with volume descriptors of 2048 bytes at sector 16;
 * each has a five-letter identifier at byte 1. UDF's recognition sequence is "BEA01",
 * "NSR02" or "NSR03", "TEA01", possibly after ISO 9660's own descriptors ("CD001"), so a
 * few sectors are read. */
#define VOLUME_DESCRIPTORS_OFFSET 32768
#define VOLUME_DESCRIPTOR_SIZE 2048
#define VOLUME_DESCRIPTORS_READ 16

/* How much of a file's start describe_contents() looks at. */
#define HEAD_SIZE 4096

const char *
hv_image_kind_label (HvImageKind kind)
{
  switch (kind)
    {
    case HV_IMAGE_ISO: return "ISO";
    case HV_IMAGE_FLOPPY: return "Floppy image";
    case HV_IMAGE_DISK: return "Disk image";
    case HV_IMAGE_KERNEL: return "Kernel";
    case HV_IMAGE_INITRD: return "Initrd";
    default: return "Image";
    }
}

static const char *
file_type_name (mode_t mode)
{
  if (S_ISFIFO (mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISDIR (mode))
    return "a directory";
  return "not a regular file";
}

/* The kernel's own file systems: their files are made up as they are read (endless, or
 * changing, or with side effects), never images. NULL for an ordinary file system. */
static const char *
kernel_file_system (int fd)
{
  struct statfs sfs;

  if (fstatfs (fd, &sfs) != 0)
    return NULL;
  switch ((unsigned long) sfs.f_type)
    {
    case PROC_SUPER_MAGIC: return "/proc";
    case SYSFS_MAGIC: return "sysfs (/sys)";
    case DEBUGFS_MAGIC: return "debugfs";
    case TRACEFS_MAGIC: return "tracefs";
    case SECURITYFS_MAGIC: return "securityfs";
    case CGROUP_SUPER_MAGIC: return "cgroupfs";
    case CGROUP2_SUPER_MAGIC: return "cgroup2fs";
    case BPF_FS_MAGIC: return "bpffs";
    case EFIVARFS_MAGIC: return "efivarfs";
    default: return NULL;
    }
}

static gboolean
has_at (const guint8 *data,
        gsize         len,
        gsize         offset,
        const char   *magic,
        gsize         magic_len)
{
  return len >= offset + magic_len && memcmp (data + offset, magic, magic_len) == 0;
}

/* What the first bytes of a file look like, for a message that says what was found
 * instead of an image: "text", "a qcow2 disk image"… */
static const char *
describe_contents (const guint8 *data,
                   gsize         len)
{
  static const struct { gsize offset; const char *magic; gsize magic_len; const char *what; }
  magics[] = {
    { 0, "QFI\xfb", 4, "a qcow2 disk image" },
    { 0, "KDMV", 4, "a VMDK disk image" },
    { 0, "conectix", 8, "a VHD disk image" },
    { 0, "vhdxfile", 8, "a VHDX disk image" },
    { 64, "\x7f\x10\xda\xbe", 4, "a VDI disk image" },
    { 0, "\x7f" "ELF", 4, "an ELF program" },
    { 0, "\x1f\x8b", 2, "gzip data" },
    { 0, "\xfd" "7zXZ", 5, "xz data" },
    { 0, "BZh", 3, "bzip2 data" },
    { 0, "\x28\xb5\x2f\xfd", 4, "zstd data" },
    { 0, "PK\x03\x04", 4, "a ZIP archive" },
    { 0, "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
    { 257, "ustar", 5, "a tar archive" },
    { 0, "%PDF", 4, "a PDF document" },
    { 0, "\x89PNG", 4, "a PNG image" },
    { 0, "\xff\xd8\xff", 3, "a JPEG image" },
    { 0, "koly", 4, "an Apple disk image" },
    { 0x202, "HdrS", 4, "a Linux kernel" },
    { 0, "MZ", 2, "a Windows or EFI program" },
    { 0, "070701", 6, "a cpio archive (an initramfs?)" },
    { 0, "<?xml", 5, "an XML document" },
  };
  gsize n = MIN (len, 512);
  const char *valid_end = NULL;
  gboolean zero = TRUE;
  gboolean text = TRUE;

  if (len == 0)
    return "an empty file";
  for (guint i = 0; i < G_N_ELEMENTS (magics); i++)
    if (has_at (data, len, magics[i].offset, magics[i].magic, magics[i].magic_len))
      return magics[i].what;
  if (has_at (data, len, 510, "\x55\xaa", 2))
    return "a disk or floppy image with a boot sector";

  for (gsize i = 0; i < n; i++)
    {
      zero &= data[i] == 0;
      text &= data[i] == '\t' || data[i] == '\n' || data[i] == '\r' ||
              (data[i] >= 0x20 && data[i] != 0x7f);
    }
  if (zero)
    return "zero bytes";
  /* UTF-8 up to the end of what was looked at, where a character may be cut in two. */
  g_utf8_validate ((const char *) data, (gssize) n, &valid_end);
  if (text && valid_end + 4 > (const char *) data + n)
    return "text";
  return "data of an unknown kind";
}

/* Reads up to @len bytes at @offset; short only at the end of the file. */
static gssize
read_at (int     fd,
         void   *buffer,
         gsize   len,
         goffset offset)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pread (fd, (char *) buffer + done, len - done, offset + (goffset) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}

static gboolean
io_error (GError     **error,
          const char  *what,
          const char  *shown,
          int          saved_errno)
{
  g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s %s cannot be read: %s", what, shown,
               g_strerror (saved_errno));
  return FALSE;
}

static gboolean
check_iso (int          fd,
           goffset      size,
           const char  *shown,
           GError     **error)
{
  guint8 head[HEAD_SIZE];
  g_autofree guint8 *descriptors = g_malloc (VOLUME_DESCRIPTORS_READ * VOLUME_DESCRIPTOR_SIZE);
  gssize head_len, len;

  head_len = read_at (fd, head, sizeof head, 0);
  len = read_at (fd, descriptors, VOLUME_DESCRIPTORS_READ * VOLUME_DESCRIPTOR_SIZE,
                 VOLUME_DESCRIPTORS_OFFSET);
  if (head_len < 0 || len < 0)
    return io_error (error, "ISO", shown, errno);

  for (gssize at = 0; at + 6 <= len; at += VOLUME_DESCRIPTOR_SIZE)
    {
      const guint8 *id = descriptors + at + 1;

      /* ISO 9660's primary (or any) descriptor comes first; UDF's may follow it. */
      if ((at == 0 && memcmp (id, "CD001", 5) == 0) ||
          memcmp (id, "BEA01", 5) == 0 || memcmp (id, "NSR02", 5) == 0 ||
          memcmp (id, "NSR03", 5) == 0)
        return TRUE;
    }

  if (size < VOLUME_DESCRIPTORS_OFFSET + VOLUME_DESCRIPTOR_SIZE)
    g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                 "ISO %s is not a CD/DVD image: it has %" G_GINT64_FORMAT " bytes, too few for "
                 "one; it holds %s", shown, (gint64) size,
                 describe_contents (head, (gsize) head_len));
  else
    g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                 "ISO %s is not a CD/DVD image: it has no ISO 9660 or UDF volume descriptor at "
                 "byte 32768; it holds %s", shown, describe_contents (head, (gsize) head_len));
  return FALSE;
}

static gboolean
check_floppy (int          fd,
              goffset      size,
              const char  *shown,
              GError     **error)
{
  if (size > HV_FLOPPY_MAX_BYTES)
    {
      guint8 head[HEAD_SIZE];
      guint8 id[6] = { 0 };
      gssize head_len = read_at (fd, head, sizeof head, 0);
      const char *what;

      /* A CD image given as a floppy is the likely mistake: say so. */
      if (read_at (fd, id, sizeof id, VOLUME_DESCRIPTORS_OFFSET) == sizeof id &&
          memcmp (id + 1, "CD001", 5) == 0)
        what = "a CD/DVD image; give it as an ISO";
      else
        what = head_len >= 0 ? describe_contents (head, (gsize) head_len) : "data";
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Floppy image %s has %" G_GINT64_FORMAT " bytes, more than a floppy's "
                   "%d (2.88 MB); it holds %s", shown, (gint64) size, HV_FLOPPY_MAX_BYTES, what);
      return FALSE;
    }
  if (size % 512 != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Floppy image %s has %" G_GINT64_FORMAT " bytes, not a whole number of "
                   "512-byte sectors", shown, (gint64) size);
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_image_check (HvImageKind  kind,
                const char  *path,
                GError     **error)
{
  const char *what = hv_image_kind_label (kind);
  g_autofree char *shown = NULL;
  const char *kernel_fs;
  struct stat st;
  gboolean ok = TRUE;
  int fd;

  if (path == NULL || path[0] == '\0')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "%s: no file name given", what);
      return FALSE;
    }
  shown = hv_config_escape_for_display (path);
  if (!g_utf8_validate (path, -1, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s %s: the file name is not valid UTF-8; Hostvisor stores paths as UTF-8, "
                   "so rename the file or link it under a UTF-8 name", what, shown);
      return FALSE;
    }
  if (!g_path_is_absolute (path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s path must be absolute: \"%s\"", what, shown);
      return FALSE;
    }

  /* stat() first, so that a device is never opened (opening one may have effects). */
  if (stat (path, &st) != 0)
    {
      int saved = errno;

      if (saved == ENOENT || saved == ENOTDIR)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "%s not found: %s", what, shown);
          return FALSE;
        }
      return io_error (error, what, shown, saved);
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s %s is a directory, not a file", what, shown);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode) && !(kind == HV_IMAGE_DISK && S_ISBLK (st.st_mode)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s %s is %s, not a regular file%s", what, shown, file_type_name (st.st_mode),
                   kind == HV_IMAGE_DISK ? " or a block device" : "");
      return FALSE;
    }

  /* O_NONBLOCK: should the file have become a FIFO since stat(), open() still returns. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return io_error (error, what, shown, errno);
  if (fstat (fd, &st) != 0)
    {
      int saved = errno;

      close (fd);
      return io_error (error, what, shown, saved);
    }

  if (!S_ISREG (st.st_mode) && !(kind == HV_IMAGE_DISK && S_ISBLK (st.st_mode)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s %s is %s, not a regular file", what, shown, file_type_name (st.st_mode));
      ok = FALSE;
    }
  else if ((kernel_fs = kernel_file_system (fd)) != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s %s is in %s, where the kernel makes files up as they are read; "
                   "it cannot be an image", what, shown, kernel_fs);
      ok = FALSE;
    }
  else if (S_ISREG (st.st_mode) && st.st_size == 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "%s %s is empty", what, shown);
      ok = FALSE;
    }
  else if (kind == HV_IMAGE_ISO)
    ok = check_iso (fd, st.st_size, shown, error);
  else if (kind == HV_IMAGE_FLOPPY)
    ok = check_floppy (fd, st.st_size, shown, error);

  close (fd);
  return ok;
}

gboolean
hv_image_check_folder (const char  *path,
                       GError     **error)
{
  g_autofree char *shown = NULL;
  const char *kernel_fs;
  struct stat st;
  int fd;

  if (path == NULL || path[0] == '\0')
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Shared folder: no folder given");
      return FALSE;
    }
  shown = hv_config_escape_for_display (path);
  if (!g_utf8_validate (path, -1, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Folder %s: its name is not valid UTF-8; Hostvisor stores paths as UTF-8, "
                   "so rename the folder or link it under a UTF-8 name", shown);
      return FALSE;
    }
  if (!g_path_is_absolute (path) || stat (path, &st) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "Folder not found: %s", shown);
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "%s is %s, not a folder", shown,
                   S_ISREG (st.st_mode) ? "a file" : file_type_name (st.st_mode));
      return FALSE;
    }

  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Folder %s cannot be opened: %s", shown,
                   g_strerror (saved));
      return FALSE;
    }
  kernel_fs = kernel_file_system (fd);
  close (fd);
  if (kernel_fs != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Folder %s is in %s, the kernel's own file system; it cannot be shared",
                   shown, kernel_fs);
      return FALSE;
    }
  return TRUE;
}
