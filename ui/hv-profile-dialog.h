/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-profile-dialog.h: the New VM wizard's "Hardware Details": every field of a hardware
 * profile (engine/hv-profiles.h) in a dialog, in words. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HV_TYPE_PROFILE_DIALOG (hv_profile_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HvProfileDialog, hv_profile_dialog, HV, PROFILE_DIALOG, AdwWindow)

/* NULL (with @error) when the profile @name cannot be read. */
GtkWidget *hv_profile_dialog_new (GtkWindow *parent, const char *name, GError **error);

G_END_DECLS
