/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-ovf-reader.h: an OVF descriptor (OVF 1.0 or 2.0, as VirtualBox and VMware write them)
 * read into plain data, with a warning for each thing that Hostvisor cannot map.
 *
 * The XML goes through hv_xml_parse() (hv-xml-private.h): no network, no DTD, no entities
 * (a DOCTYPE is refused), at most HV_CONFIG_MAX_SIZE bytes. Only one VirtualSystem is
 * read; a VirtualSystemCollection is refused. Nothing here touches a file: the import
 * (hv-appliance-import.c) checks the files that the descriptor names. */
#pragma once

#include <glib.h>

#include "hv-config.h"

G_BEGIN_DECLS

/* A disk's largest capacity that an import accepts, in bytes (64 TiB). */
#define HV_OVF_MAX_CAPACITY (G_GUINT64_CONSTANT (64) << 40)

typedef struct {
  char *id;          /* References/File ovf:id */
  char *href;        /* a plain file name beside the .ovf (hv_tar_name_is_safe()) */
  guint64 size;      /* ovf:size, 0 when not given */
  gboolean has_size;
} HvOvfFile;

typedef struct {
  char *disk_id;     /* DiskSection/Disk ovf:diskId */
  char *href;        /* its file's name; never NULL (a disk without a file is refused) */
  char *format;      /* qemu-img's driver: "vmdk", "vdi", "vpc", "qcow2" or "raw" */
  guint64 capacity;  /* bytes */
  HvDriveBus bus;    /* from its controller */
  char *bus_name;    /* "ide", "sata", "virtio" (as InspectAppliance says it) */
} HvOvfDisk;

typedef struct {
  HvDriveKind kind;  /* HV_DRIVE_CDROM or HV_DRIVE_FLOPPY */
  char *href;        /* an image in the package, or NULL for an empty drive */
} HvOvfMedia;

typedef struct {
  char *model;       /* a Hostvisor model: "e1000", "virtio-net", "pcnet", ... */
  char *network;     /* the OVF's network name ("NAT", "Bridged"...), may be "" */
} HvOvfNic;

typedef struct {
  int version;            /* 1 or 2 */
  char *name;             /* the VM's name as the appliance gives it (not yet checked) */
  char *os_id;            /* libosinfo id, "" when unknown */
  char *os_source;        /* "vbox:Debian_64", "cim:96" or "" */
  guint64 memory_mib;     /* 0: not given */
  guint cpus;             /* 0: not given */
  HvFirmware firmware;
  char *folder;           /* "" or "A/B" (VirtualBox's first group) */
  char *sound;            /* a Hostvisor sound device name, or NULL */
  char *annotation;       /* AnnotationSection's text, "" when none */
  GPtrArray *files;       /* HvOvfFile* */
  GPtrArray *disks;       /* HvOvfDisk*, in the order of the hardware section */
  GPtrArray *media;       /* HvOvfMedia* */
  GPtrArray *nics;        /* HvOvfNic*, at most HV_MAX_NICS */
  GPtrArray *warnings;    /* char*: what is left out or changed, in words */
} HvOvf;

void   hv_ovf_free  (HvOvf *ovf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvOvf, hv_ovf_free)

/* Reads the descriptor @data (@len bytes); @shown names it in messages. Errors:
 * HV_ERROR_INVALID_ARGUMENT, one line that says what is wrong (not XML, a DOCTYPE or entity,
 * not an OVF envelope, a disk without a file or with an unknown format, a capacity over
 * HV_OVF_MAX_CAPACITY, a file name with a directory part...). */
HvOvf *hv_ovf_parse (const char *data, gsize len, const char *shown, GError **error);

/* The file of the References section named @href, or NULL. */
HvOvfFile *hv_ovf_find_file (HvOvf *ovf, const char *href);

/* A multiplier for OVF's allocation units ("byte", "byte * 2^20", "MegaBytes", "KB", ...);
 * 0 when @units cannot be read. For tests too. */
guint64 hv_ovf_parse_units (const char *units);

G_END_DECLS
