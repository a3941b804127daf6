/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-sidebar-row.h: one row of the main window's sidebar: a folder (HvFolderNode) or a VM
 * (HvVmItem), with its expander, icon, name and state, its context menu and drag and drop.
 *
 * A list item factory makes one per visible row and binds it to a GtkTreeListRow over and
 * over as the list scrolls and re-sorts. While bound the row holds references to the list
 * row and to its item, so that everything it connected to the item is disconnected from
 * that same item on unbind, whatever the tree did to the list row meanwhile.
 *
 * The row acts through actions it finds up the widget tree: list.select-item (the list
 * view's), vm.* on the selected VM, win.new-folder/rename-folder/delete-folder(s path) and
 * vm.move-to(s folder). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HV_TYPE_SIDEBAR_ROW (hv_sidebar_row_get_type ())

G_DECLARE_FINAL_TYPE (HvSidebarRow, hv_sidebar_row, HV, SIDEBAR_ROW, GtkWidget)

GtkWidget *hv_sidebar_row_new    (void);
/* @row: a GtkTreeListRow whose item is an HvFolderNode or an HvVmItem; NULL unbinds. */
void       hv_sidebar_row_bind   (HvSidebarRow *self, GtkTreeListRow *row);
/* Opens the row's context menu, as a right click does (for Shift+F10 and the Menu key). */
void       hv_sidebar_row_popup_menu (HvSidebarRow *self);
/* The bound item (an HvFolderNode or an HvVmItem), or NULL. */
GObject   *hv_sidebar_row_get_item (HvSidebarRow *self);

G_END_DECLS
