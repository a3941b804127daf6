/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-settings-modify.h: what the Settings dialog's System and Sound pages share: one Modify
 * call whose error is shown (a toast and the page's error label), then the page is synced
 * again from the VM's config, so a refused change leaves nothing half applied; and combo
 * rows filled from a table of values with their labels. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

typedef struct {
  const char *value;   /* what the engine takes */
  const char *label;   /* N_() */
} HvSettingsChoice;

typedef void (*HvSettingsResync) (GtkWidget *page);

/* Modify @item with @options (a{sv}, consumed if floating); @what names the change in the
 * error ("the machine"). @error_label shows the engine's reason until the next success. */
void  hv_settings_modify      (GtkWidget        *page,
                               HvEngineClient   *client,
                               HvVmItem         *item,
                               GVariant         *options,
                               GCancellable     *cancellable,
                               const char       *what,
                               GtkLabel         *error_label,
                               HvSettingsResync  resync);
/* One option. */
void  hv_settings_modify_one  (GtkWidget        *page,
                               HvEngineClient   *client,
                               HvVmItem         *item,
                               const char       *key,
                               GVariant         *value,
                               GCancellable     *cancellable,
                               const char       *what,
                               GtkLabel         *error_label,
                               HvSettingsResync  resync);
/* The choices' translated labels as @row's model. */
void  hv_settings_fill_combo  (AdwComboRow            *row,
                               const HvSettingsChoice *choices,
                               guint                   n_choices);
/* The position of @value in @choices, or @fallback. */
guint hv_settings_choice_find (const HvSettingsChoice *choices,
                               guint                   n_choices,
                               const char             *value,
                               guint                   fallback);
/* The VM runs (or starts, pauses, stops): its hardware cannot change. */
gboolean hv_settings_vm_is_active (HvVmItem *item);

G_END_DECLS
