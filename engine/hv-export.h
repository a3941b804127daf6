/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export.h: Vm.Export: a VM (its current state, or one of its snapshots) written out for
 * another hypervisor as an OVA, an OVF with its files, or a libvirt domain directory
 * (docs/import-export.md, Export).
 *
 * Runs as the VM's Operation "export": the disks are converted by qemu-img (GSubprocess,
 * the main loop goes on), then the descriptor, the manifest and the archive are written in
 * a thread. Everything is made in a hidden directory beside the target
 * (".hv-export-XXXXXX") and moved into place at the end, so that a failed or cancelled
 * export leaves nothing at the path. */
#pragma once

#include <gio/gio.h>

#include "hv-vm.h"

G_BEGIN_DECLS

typedef enum {
  HV_EXPORT_OVA,
  HV_EXPORT_OVF,
  HV_EXPORT_LIBVIRT,
} HvExportFormat;

gboolean  hv_export_format_from_string (const char *text, HvExportFormat *out);

/* @path: absolute; @snapshot_id: NULL or "" for the current state (the VM powered off).
 * Errors: HV_ERROR_INVALID_ARGUMENT (format, path, snapshot id), HV_ERROR_EXISTS (something
 * is at the path already), HV_ERROR_NOT_FOUND (no such snapshot or directory),
 * HV_ERROR_INVALID_STATE (the current state of a VM that runs), HV_ERROR_BUSY (another
 * operation), HV_ERROR_NOT_SUPPORTED (qemu-img missing, an image that cannot be read),
 * HV_ERROR_FAILED ("cancelled"), HV_ERROR_IO. */
void      hv_vm_export_async   (HvVm *vm, HvExportFormat format, const char *path,
                                const char *snapshot_id, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/* The warnings: what the format could not carry (a NULL-terminated array, maybe empty). */
char    **hv_vm_export_finish  (HvVm *vm, GAsyncResult *result, GError **error);

/* Exports running now (the engine does not exit meanwhile). */
guint     hv_vm_export_n_running (void);
/* At load: removes the work directory an export that did not end (engine killed) left. */
void      hv_vm_export_clean_leftovers (HvVm *vm);

G_END_DECLS
