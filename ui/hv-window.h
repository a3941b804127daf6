/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-window.h: the main window: the VM library in folders beside the selected VM's details.
 *
 * Actions: win.new-vm, win.demo-vm, win.new-folder(s parent), win.rename-folder(s path),
 * win.delete-folder(s path), win.search, and per selected VM vm.start, vm.stop (ACPI),
 * vm.power-off and vm.reset (both ask first), vm.pause, vm.resume, vm.show-console,
 * vm.settings, vm.rename, vm.move-to(s folder), vm.delete, each enabled from the VM's Can*
 * properties as the engine reports them. */
#pragma once

#include <adwaita.h>

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_TYPE_WINDOW (hv_window_get_type ())

G_DECLARE_FINAL_TYPE (HvWindow, hv_window, HV, WINDOW, AdwApplicationWindow)

HvWindow *hv_window_new            (AdwApplication *application, HvEngineClient *client);
/* Shows @message in a toast. */
void      hv_window_show_error     (HvWindow *self, const char *message);
/* The VM selected in the sidebar, or NULL. */
HvVmItem *hv_window_get_selected   (HvWindow *self);
/* Selects the VM with this D-Bus object path (opening its folders, clearing a search that
 * hides it), now or as soon as it is listed: a VM just created. */
void      hv_window_select_vm      (HvWindow *self, const char *object_path);
/* Opens "new VM" with @media (an ISO or floppy image) filled in; NULL for none. An .ova or
 * .ovf opens File → Import Appliance on it instead. */
void      hv_window_new_vm         (HvWindow *self, GFile *media);

G_END_DECLS
