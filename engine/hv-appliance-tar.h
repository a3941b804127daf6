/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-appliance-tar.h: the members of an OVA, a ustar archive, read without extracting them.
 *
 * An OVA is a plain tar of the .ovf, its disks and its manifest. Nothing here writes a file:
 * the import reads each member where it lies in the archive (an offset and a size). What a
 * hostile archive could use is refused, each with a message that names the member: anything
 * but a regular file (links, directories, devices), a name that is absolute, climbs (".."),
 * has a directory part or control characters, a name given twice, pax or GNU extension
 * headers, a size that the archive does not hold, a header whose checksum is wrong. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HV_TAR_MAX_MEMBERS 1024

typedef struct {
  char *name;       /* a plain file name, UTF-8 */
  guint64 offset;   /* of its data in the archive */
  guint64 size;
} HvTarMember;

void         hv_tar_member_free (HvTarMember *member);

/* The members of the archive @fd (opened by the caller, read with pread, never written),
 * in archive order; @shown: how messages name the archive. HV_ERROR_INVALID_ARGUMENT for a
 * hostile or malformed archive, HV_ERROR_IO when it cannot be read. */
GPtrArray   *hv_tar_list        (int fd, const char *shown, GError **error);

/* The member named @name, or NULL. */
HvTarMember *hv_tar_find        (GPtrArray *members, const char *name);

/* Whether @name may be a member's or a referenced file's name: one path component, not "."
 * or "..", no control characters, valid UTF-8, at most 255 bytes. */
gboolean     hv_tar_name_is_safe (const char *name);

G_END_DECLS
