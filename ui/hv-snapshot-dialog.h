/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-snapshot-dialog.h: a snapshot's name and description, for Take Snapshot (the name
 * prefilled "Snapshot N") and for Properties (editing both). Checks them as the engine
 * does (1..64 characters of name, up to 4096 of description) and hands them to @done; the
 * caller makes the call. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HV_TYPE_SNAPSHOT_DIALOG (hv_snapshot_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvSnapshotDialog, hv_snapshot_dialog, HV, SNAPSHOT_DIALOG, AdwWindow)

#define HV_SNAPSHOT_NAME_MAX_CHARS 64
#define HV_SNAPSHOT_DESCRIPTION_MAX_CHARS 4096

typedef void (*HvSnapshotDialogDone) (const char *name,
                                      const char *description,
                                      gpointer    user_data);

/* @take: TRUE for Take Snapshot, FALSE for Properties. @vm_name: the VM's name, for the
 * title. @done runs once, when OK is pressed; @destroy frees @user_data when the dialog
 * goes. */
HvSnapshotDialog *hv_snapshot_dialog_present (GtkWindow           *parent,
                                              gboolean             take,
                                              const char          *vm_name,
                                              const char          *name,
                                              const char          *description,
                                              HvSnapshotDialogDone done,
                                              gpointer             user_data,
                                              GDestroyNotify       destroy);
/* Why a name or description is refused, or NULL when fine. */
char             *hv_snapshot_check_name        (const char *name);
char             *hv_snapshot_check_description (const char *description);

G_END_DECLS
