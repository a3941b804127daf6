/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-osinfo.h: what libosinfo knows about an OS: the defaults of a new VM. */
#pragma once

#include <glib.h>

#include "hv-config.h"

G_BEGIN_DECLS

typedef struct {
  char *os_id;          /* libosinfo short id, e.g. "debian12" */
  char *name;           /* human name, e.g. "Debian 12" */
  guint64 memory_mib;   /* recommended (else minimum) RAM */
  guint cpus;           /* recommended (else minimum) CPUs, at least 1 */
  guint64 disk_gib;     /* recommended (else minimum) storage, at least 1 */
  HvMachine machine;    /* q35 for modern OSes; pc for DOS, Windows 9x/XP, old Linux */
  HvFirmware firmware;  /* BIOS unless the OS needs UEFI */
  HvDriveBus disk_bus;  /* virtio where the OS has drivers, else ide */
  char *nic_model;      /* virtio-net where supported, else e1000, pcnet, ne2k... */
  HvVideo video;
} HvOsDefaults;

void hv_os_defaults_free (HvOsDefaults *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvOsDefaults, hv_os_defaults_free)

/* Look up `os_id` in the osinfo database. Unknown ids: HV_ERROR_NOT_FOUND.
 * Loads the database once per process. */
HvOsDefaults *hv_osinfo_get_defaults (const char *os_id, GError **error);

/* Detect the OS on an install medium (ISO or floppy image); NULL with no error when
 * nothing was recognised. */
char *hv_osinfo_detect_media (const char *path, GError **error);

/* Every OS in the database as a GVariant of type a(sss): short id, name, vendor,
 * sorted by name. For the wizard's OS list. */
GVariant *hv_osinfo_list_oses (void);

G_END_DECLS
