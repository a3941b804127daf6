/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-appliance-private.h: what hv-appliance-open.c (the checks) gives hv-appliance-import.c
 * (the conversion). */
#pragma once

#include <gio/gio.h>

#include "hv-appliance-import.h"
#include "hv-ovf-reader.h"

G_BEGIN_DECLS

typedef struct {
  char *path;          /* the .ova or .ovf, absolute */
  char *shown;         /* its name for messages */
  gboolean is_ova;
  int fd;              /* the OVA, or -1 */
  char *dir;           /* the .ovf's directory */
  char *descriptor;    /* the descriptor's file name */
  GPtrArray *members;  /* HvTarMember* of the OVA */
  HvOvf *ovf;
  GPtrArray *warnings; /* char* */
  GPtrArray *virtual_sizes; /* guint64* per disk: what qemu-img info read (0: a new disk) */
} Appliance;

/* Where one file of the appliance lies: in @file (the OVA, or the file itself) from @offset. */
typedef struct {
  const char *file;
  guint64 offset;
  guint64 size;
} Source;

void       hv_appliance_free  (Appliance *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Appliance, hv_appliance_free)

/* Opens @path and makes every check (see hv-appliance-import.h). */
Appliance *hv_appliance_open  (const char *path, GCancellable *cancellable, GError **error);
/* g_task_run_in_thread()'s function: hv_appliance_open() of the task data (the path). */
void       hv_appliance_open_in_thread  (GTask *task, gpointer source, gpointer task_data,
                            GCancellable *cancellable);
/* Where the file @name of the appliance lies; a directory package's file: *@path_out is its
 * path, which the caller puts in out->file. */
gboolean   hv_appliance_source_of       (Appliance *app, const char *name, Source *out, char **path_out,
                            GError **error);
/* qemu-img reads a source through a descriptor that the engine opened and checked (no link
 * followed, a regular file as large as it was): a file swapped after the checks is never
 * read. It is the child's descriptor 3, which QEMU opens as /dev/fd/3. */
#define HV_APPLIANCE_SOURCE_FD 3
#define HV_APPLIANCE_SOURCE_FD_PATH "/dev/fd/3"
/* @src's file opened for a qemu-img child (see HV_APPLIANCE_SOURCE_FD), or -1. */
int        hv_appliance_open_checked    (const Source *src, GError **error);
/* qemu-img's json: filename for @src read as @format through HV_APPLIANCE_SOURCE_FD_PATH
 * (offset and size in it), never with a backing file. */
char      *hv_appliance_source_json     (const Source *src, const char *format);

G_END_DECLS
