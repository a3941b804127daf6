/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-preferences-window.h: the app's Preferences: where the engine keeps the library (shown,
 * with a button that opens it) and the folder new virtual machines go into by default.
 *
 * The preferences live in the app's state file ($XDG_CONFIG_HOME/hostvisor/ui-state.ini,
 * group [Preferences]) beside the sidebar's state. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_PREFERENCES_WINDOW (hv_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (HvPreferencesWindow, hv_preferences_window, HV, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* Opens the Preferences over @parent (or brings an open one forward). */
void  hv_preferences_window_present      (GtkWindow *parent, HvEngineClient *client);
/* The folder ("" for the top level) the New VM wizard starts with. */
char *hv_preferences_get_default_folder  (void);
void  hv_preferences_set_default_folder  (const char *folder);

G_END_DECLS
