/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-appliance-import.h: OVF/OVA import (Engine.InspectAppliance and ImportAppliance).
 *
 * An appliance is an OVA (a tar, hv-appliance-tar.h) or an .ovf with its files beside it.
 * Opening it checks everything before anything is written: the archive, the descriptor
 * (hv-ovf-reader.h), each file's declared size against the real one, the manifest's SHA-1 or
 * SHA-256 sums, and each disk's header (read by Hostvisor itself, then by qemu-img info with
 * the format the descriptor names, never probed): a VMDK that is a descriptor file or names
 * a parent, a qcow2 with a backing or external data file, is refused. The files are read
 * where they lie (an OVA's members at their offset): nothing is extracted.
 *
 * The import then converts each disk to qcow2 (qemu-img convert -p, the progress reported)
 * into a ".new-XXXXXX" directory of the library's vms/ directory and registers the VM from
 * there (hv_library_register_vm(), which the CreateVm path uses too): a failed or cancelled
 * import removes that directory, and one cut short by a dying engine leaves only ".new-*",
 * which the next engine removes. */
#pragma once

#include <gio/gio.h>

#include "hv-library.h"

G_BEGIN_DECLS

/* The summary of InspectAppliance (its a{sv}, see the D-Bus contract), made in a thread.
 * Errors: HV_ERROR_NOT_FOUND (no such file), HV_ERROR_INVALID_ARGUMENT (a malformed or
 * hostile appliance, the message says which), HV_ERROR_IO. */
void      hv_appliance_inspect_async  (const char *path, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
GVariant *hv_appliance_inspect_finish (GAsyncResult *result, GError **error);

/* Progress of an import: @fraction 0..1, -1 while it checks the files. */
typedef void (*HvApplianceProgressFunc) (const char *path, double fraction, gpointer user_data);

/* ImportAppliance: @name NULL or "": the appliance's own, made valid and unique; @folder
 * NULL: the appliance's (VirtualBox's group), else this one ("" the top level). */
void      hv_appliance_import_async   (HvLibrary *library, const char *path, const char *name,
                                       const char *folder, GCancellable *cancellable,
                                       HvApplianceProgressFunc progress, gpointer progress_data,
                                       GAsyncReadyCallback callback, gpointer user_data);
/* The new VM (a new reference) and, in @warnings, what was left out. A cancelled import:
 * HV_ERROR_FAILED "The import was cancelled". */
HvVm     *hv_appliance_import_finish  (HvLibrary *library, GAsyncResult *result,
                                       char ***warnings, GError **error);

/* Imports running now (the engine does not exit while one runs). */
guint     hv_appliance_import_n_running (void);

G_END_DECLS
