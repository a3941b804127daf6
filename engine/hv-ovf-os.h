/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-ovf-os.h: OS types in OVF descriptors and libosinfo ids.
 *
 * An OVF names its OS twice at most: the CIM OperatingSystem type (OperatingSystemSection's
 * ovf:id, a number of DMTF's CIM_OperatingSystem.OSType) and, from VirtualBox, vbox:OSType
 * ("Debian_64"). The table maps both to the libosinfo short ids that this engine's database
 * knows (tests/test-ovf.c checks each one), and back for the export. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *vbox;     /* VirtualBox's OS type id, or NULL */
  guint cim;            /* CIM_OperatingSystem.OSType, 0: none */
  const char *osinfo;   /* libosinfo short id */
} HvOvfOs;

/* The libosinfo id for a vbox:OSType (case-insensitive), or NULL. */
const char    *hv_ovf_os_from_vbox (const char *vbox_type);
/* The libosinfo id for a CIM OS type, or NULL (1 "Other", 0 "Unknown" and types without an
 * equivalent). */
const char    *hv_ovf_os_from_cim  (guint cim);
/* For the export: the entry for a libosinfo id (its first), or NULL. */
const HvOvfOs *hv_ovf_os_for_osinfo (const char *osinfo_id);
/* Every entry, for tests; @n_entries gets their number. */
const HvOvfOs *hv_ovf_os_table      (guint *n_entries);

G_END_DECLS
