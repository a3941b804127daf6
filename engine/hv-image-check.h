/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-image-check.h: is a file the user names fit to be a VM's ISO, floppy, disk, kernel or
 * initrd, or a shared folder?
 *
 * QEMU opens these files much later, at start, and a FIFO, a device or a file under /proc
 * would hang it or feed it endless data. So every path that takes an image (CreateVm,
 * Modify, InsertMedia, the CLI before it asks the engine) refuses at once anything but a
 * regular file (or a block device where a disk is meant), and an ISO or a floppy image
 * whose contents cannot be one. Nothing here blocks: files are opened with O_NONBLOCK and
 * devices are never opened at all. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HV_IMAGE_ISO,      /* an ISO 9660 or UDF image (a hybrid ISO is one too) */
  HV_IMAGE_FLOPPY,   /* a raw floppy image of at most HV_FLOPPY_MAX_BYTES */
  HV_IMAGE_DISK,     /* a hard disk: a regular file or a block device, any format */
  HV_IMAGE_KERNEL,   /* a kernel for direct boot */
  HV_IMAGE_INITRD,   /* its initial ramdisk */
} HvImageKind;

/* The largest floppy: 2.88 MB (2880 KiB), the ED format. Smaller images of any whole
 * number of 512-byte sectors pass (GRUB's rescue floppy is not a standard size). */
#define HV_FLOPPY_MAX_BYTES (2880 * 1024)

/* "ISO", "Floppy image", "Disk image", "Kernel", "Initrd": how messages name the file. */
const char *hv_image_kind_label (HvImageKind kind);

/* TRUE when @path (absolute) is fit for @kind. Otherwise an HV_ERROR, one line that names
 * the file and says what is wrong and, for an ISO, what the file looks like instead:
 * HV_ERROR_NOT_FOUND (missing), HV_ERROR_IO (cannot be read), HV_ERROR_INVALID_ARGUMENT
 * (anything else: not absolute, not UTF-8, a directory, a FIFO or device, a kernel file
 * system such as /proc, empty, contents that do not fit). */
gboolean    hv_image_check      (HvImageKind kind, const char *path, GError **error);

/* The same for a folder to share: an existing directory, outside /proc, /sys and the
 * other kernel file systems. */
gboolean    hv_image_check_folder (const char *path, GError **error);

G_END_DECLS
