/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-libvirt.h: an exported VM's libvirt domain XML (docs/import-export.md, Export).
 *
 * The domain is written for a user's session (qemu:///session): user-mode networking, a
 * serial console on a pty, VNC on localhost only. It names its files by absolute paths in
 * the export's directory, as libvirt wants them: a moved export needs them edited. */
#pragma once

#include <glib.h>

#include "hv-config.h"

G_BEGIN_DECLS

typedef struct {
  const char *dir;            /* the export's final directory (absolute) */
  char **drive_files;         /* per drive of the config: its file name in @dir, or NULL */
  const char *kernel_file;    /* file names in @dir, or NULL */
  const char *initrd_file;
  const char *nvram_file;     /* the VM's UEFI variables copied into @dir, or NULL */
  guint64 nvram_size;         /* its size: says which OVMF build it belongs to */
  gboolean kvm;               /* domain type 'kvm' (else 'qemu': TCG) */
} HvLibvirtExport;

/* The domain XML. Appends to @warnings (char*) what is left out or changed. */
char *hv_export_libvirt_domain (const HvVmConfig *config, const HvLibvirtExport *export,
                                GPtrArray *warnings);

G_END_DECLS
