/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-folder-tree.h: the sidebar's view model, the VM library as a tree of folders.
 *
 * Built from a GListModel of HvVmItem (the engine client's list, or a plain GListStore in
 * tests) and the engine's folder list, and kept up to date by their signals: a VM whose
 * "folder" changes is re-parented, a renamed VM re-sorted, a removed one dropped. Each level
 * holds HvFolderNode objects first, then HvVmItem objects, both sorted by name the way a
 * person reads them. A folder is shown when the engine lists it (empty folders too) or when
 * a VM is in it. With a search text only matching VMs and the folders above them remain.
 *
 * A GtkTreeListModel over hv_folder_tree_get_root() with hv_folder_tree_get_children() as
 * its create function gives the sidebar's rows. Each folder's "expanded" is remembered in a
 * small key file so that the sidebar opens as the person left it. */
#pragma once

#include <gio/gio.h>

#include "hv-vm-item.h"

G_BEGIN_DECLS

#define HV_TYPE_FOLDER_NODE (hv_folder_node_get_type ())

G_DECLARE_FINAL_TYPE (HvFolderNode, hv_folder_node, HV, FOLDER_NODE, GObject)

/* "A/B" */
const char *hv_folder_node_get_path     (HvFolderNode *self);
/* "B" */
const char *hv_folder_node_get_name     (HvFolderNode *self);
/* HvFolderNode then HvVmItem objects, sorted. */
GListModel *hv_folder_node_get_children (HvFolderNode *self);
gboolean    hv_folder_node_get_expanded (HvFolderNode *self);
void        hv_folder_node_set_expanded (HvFolderNode *self, gboolean expanded);

#define HV_TYPE_FOLDER_TREE (hv_folder_tree_get_type ())

G_DECLARE_FINAL_TYPE (HvFolderTree, hv_folder_tree, HV, FOLDER_TREE, GObject)

/* @vms: a GListModel of HvVmItem. @state_file: where expand state is kept (a key file),
 * or NULL to keep it in memory only. */
HvFolderTree *hv_folder_tree_new              (GListModel *vms, const char *state_file);
/* The engine's folder list ("Lab", "Lab/Web"), empty folders included. */
void          hv_folder_tree_set_folders      (HvFolderTree *self, const char * const *folders);
/* Filters by name, OS id and folder path, case-insensitively (a folder whose path matches
 * is shown with everything in it, even when empty); "" or NULL shows everything. */
void          hv_folder_tree_set_filter       (HvFolderTree *self, const char *text);
gboolean      hv_folder_tree_is_filtering     (HvFolderTree *self);
/* The top level: HvFolderNode then HvVmItem objects. */
GListModel   *hv_folder_tree_get_root         (HvFolderTree *self);
/* A folder's node, or NULL when it is not shown. "" is the (invisible) root. */
HvFolderNode *hv_folder_tree_lookup_folder    (HvFolderTree *self, const char *path);
/* The folder node that holds @item now, or NULL when it is not shown. */
HvFolderNode *hv_folder_tree_lookup_parent    (HvFolderTree *self, HvVmItem *item);
/* For gtk_tree_list_model_new(): a new reference to a folder's children, NULL for a VM. */
GListModel   *hv_folder_tree_get_children     (gpointer item, gpointer user_data);
/* Opens every folder above @item, so that its row can be seen. */
void          hv_folder_tree_reveal           (HvFolderTree *self, HvVmItem *item);
/* Writes pending expand state now (it is otherwise written shortly after a change). */
void          hv_folder_tree_save_state       (HvFolderTree *self);

/* Folder paths in the sidebar's order: part by part, as hv-collate.h sorts names. */
int           hv_folder_compare_paths         (const char *a, const char *b);
/* A sorted copy of @paths (NULL-terminated; NULL for none), for g_strfreev(). */
char        **hv_folder_sort_paths            (const char * const *paths);

G_END_DECLS
