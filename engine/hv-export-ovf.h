/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-ovf.h: the OVF 1.0 descriptor of an exported VM (docs/import-export.md, Export).
 *
 * The envelope follows DSP0243 1.0 as VirtualBox, VMware and Proxmox's `qm importovf` read
 * it: References, DiskSection (capacities in bytes), NetworkSection, one VirtualSystem with
 * an OperatingSystemSection (the CIM id and VirtualBox's vbox:OSType) and a
 * VirtualHardwareSection (CPUs, memory, IDE/SATA controllers, disks, CD-ROM and floppy
 * drives, network adapters, USB). What OVF 1.0 cannot carry goes into the warnings. */
#pragma once

#include <glib.h>

#include "hv-config.h"

G_BEGIN_DECLS

typedef struct {
  guint drive_index;   /* the drive of the config it is */
  char *href;          /* its file in the package (a member name, hv_export_tar_name_is_valid()) */
  guint64 file_size;   /* bytes of that file */
  guint64 capacity;    /* the disk's virtual size in bytes */
} HvOvfDisk;

void        hv_ovf_disk_free     (HvOvfDisk *disk);

/* The descriptor for @config with @disks (HvOvfDisk*, in drive order; every drive of kind
 * disk that has an image). Appends to @warnings (char*) what is left out or changed. */
char       *hv_export_ovf_write  (const HvVmConfig *config, GPtrArray *disks,
                                  GPtrArray *warnings);

/* The small table libosinfo id → CIM OperatingSystemSection id and vbox:OSType (a copy of
 * a few entries of the import side's table, engine/hv-ovf-os.c on its branch, until both
 * use one). Unknown ids give 1 ("Other") and "Other". */
void        hv_export_ovf_os_ids (const char *os_id, guint *cim_id, const char **vbox_type,
                                  const char **description);

G_END_DECLS
