/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-folder-tree.h"

#include <stdlib.h>
#include <string.h>

#include "hv-collate.h"

#define STATE_GROUP "Sidebar"
#define STATE_KEY "collapsed-folders"
#define SAVE_DELAY_MS 500

/* ---- HvFolderNode ---- */

struct _HvFolderNode
{
  GObject parent_instance;

  /* owned */
  char *path;
  char *name;
  char *sort_key;
  GListStore *children;
  gboolean expanded;
};

G_DEFINE_FINAL_TYPE (HvFolderNode, hv_folder_node, G_TYPE_OBJECT)

enum {
  NODE_PROP_0,
  NODE_PROP_PATH,
  NODE_PROP_NAME,
  NODE_PROP_EXPANDED,
  NODE_N_PROPS
};

static GParamSpec *node_properties[NODE_N_PROPS];

static void
hv_folder_node_finalize (GObject *object)
{
  HvFolderNode *self = HV_FOLDER_NODE (object);

  g_free (self->path);
  g_free (self->name);
  g_free (self->sort_key);
  g_clear_object (&self->children);

  G_OBJECT_CLASS (hv_folder_node_parent_class)->finalize (object);
}

static void
hv_folder_node_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HvFolderNode *self = HV_FOLDER_NODE (object);

  switch (prop_id)
    {
    case NODE_PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case NODE_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case NODE_PROP_EXPANDED:
      g_value_set_boolean (value, self->expanded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_folder_node_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  HvFolderNode *self = HV_FOLDER_NODE (object);

  switch (prop_id)
    {
    case NODE_PROP_EXPANDED:
      hv_folder_node_set_expanded (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_folder_node_class_init (HvFolderNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hv_folder_node_finalize;
  object_class->get_property = hv_folder_node_get_property;
  object_class->set_property = hv_folder_node_set_property;

  node_properties[NODE_PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  node_properties[NODE_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  node_properties[NODE_PROP_EXPANDED] =
    g_param_spec_boolean ("expanded", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, NODE_N_PROPS, node_properties);
}

static void
hv_folder_node_init (HvFolderNode *self)
{
  self->children = g_list_store_new (G_TYPE_OBJECT);
  self->expanded = TRUE;
}

static char *
make_sort_key (const char *name)
{
  return hv_collate_key (name);
}

static HvFolderNode *
hv_folder_node_new (const char *path,
                    gboolean    expanded)
{
  HvFolderNode *self = g_object_new (HV_TYPE_FOLDER_NODE, NULL);
  const char *slash = strrchr (path, '/');

  self->path = g_strdup (path);
  self->name = g_strdup (slash != NULL ? slash + 1 : path);
  self->sort_key = make_sort_key (self->name);
  self->expanded = expanded;
  return self;
}

const char *
hv_folder_node_get_path (HvFolderNode *self)
{
  g_return_val_if_fail (HV_IS_FOLDER_NODE (self), NULL);
  return self->path;
}

const char *
hv_folder_node_get_name (HvFolderNode *self)
{
  g_return_val_if_fail (HV_IS_FOLDER_NODE (self), NULL);
  return self->name;
}

GListModel *
hv_folder_node_get_children (HvFolderNode *self)
{
  g_return_val_if_fail (HV_IS_FOLDER_NODE (self), NULL);
  return G_LIST_MODEL (self->children);
}

gboolean
hv_folder_node_get_expanded (HvFolderNode *self)
{
  g_return_val_if_fail (HV_IS_FOLDER_NODE (self), FALSE);
  return self->expanded;
}

void
hv_folder_node_set_expanded (HvFolderNode *self,
                             gboolean      expanded)
{
  g_return_if_fail (HV_IS_FOLDER_NODE (self));

  expanded = !!expanded;
  if (self->expanded == expanded)
    return;
  self->expanded = expanded;
  g_object_notify_by_pspec (G_OBJECT (self), node_properties[NODE_PROP_EXPANDED]);
}

/* ---- HvFolderTree ---- */

struct _HvFolderTree
{
  GObject parent_instance;

  /* owned */
  GListModel *vms;
  GPtrArray *mirror;          /* HvVmItem*, the source model's items in its order */
  HvFolderNode *root;
  GHashTable *folders;        /* path → HvFolderNode (ref), the root included as "" */
  GHashTable *placed;         /* HvVmItem* → HvFolderNode* (borrowed from folders) */
  GHashTable *listed;         /* the engine's folder paths (set) */
  GHashTable *collapsed;      /* folder paths the person collapsed (set) */
  char *state_file;
  char *filter;               /* case-folded; NULL when not filtering */
  guint save_source;
};

G_DEFINE_FINAL_TYPE (HvFolderTree, hv_folder_tree, G_TYPE_OBJECT)

/* Folders first, then VMs; each by name as a person sorts it, ties broken by something
 * unique so that the order is stable. */
static int
compare_children (gconstpointer a,
                  gconstpointer b)
{
  gboolean a_folder = HV_IS_FOLDER_NODE ((gpointer) a);
  gboolean b_folder = HV_IS_FOLDER_NODE ((gpointer) b);
  int r;

  if (a_folder != b_folder)
    return a_folder ? -1 : 1;

  if (a_folder)
    {
      HvFolderNode *fa = (HvFolderNode *) a, *fb = (HvFolderNode *) b;

      r = strcmp (fa->sort_key, fb->sort_key);
      if (r == 0)
        r = strcmp (fa->name, fb->name);
      return r != 0 ? r : strcmp (fa->path, fb->path);
    }
  else
    {
      HvVmItem *va = (HvVmItem *) a, *vb = (HvVmItem *) b;

      r = hv_collate_compare (hv_vm_item_get_name (va), hv_vm_item_get_name (vb));
      return r != 0 ? r : strcmp (hv_vm_item_get_object_path (va),
                                  hv_vm_item_get_object_path (vb));
    }
}

static void
insert_sorted (GListStore *store,
               gpointer    object)
{
  guint lo = 0, hi = g_list_model_get_n_items (G_LIST_MODEL (store));

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      g_autoptr(GObject) other = g_list_model_get_item (G_LIST_MODEL (store), mid);

      if (compare_children (other, object) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  g_list_store_insert (store, lo, object);
}

static void
remove_from (GListStore *store,
             gpointer    object)
{
  guint position;

  if (g_list_store_find (store, object, &position))
    g_list_store_remove (store, position);
}

static void
schedule_save (HvFolderTree *self);

static void
on_node_expanded (HvFolderNode *node,
                  GParamSpec   *pspec,
                  HvFolderTree *self)
{
  /* While searching every folder is open; that is not the person's choice to remember. */
  if (self->filter != NULL)
    return;

  if (node->expanded)
    g_hash_table_remove (self->collapsed, node->path);
  else
    g_hash_table_add (self->collapsed, g_strdup (node->path));
  schedule_save (self);
}

static HvFolderNode *
ensure_folder (HvFolderTree *self,
               const char   *path)
{
  HvFolderNode *node = g_hash_table_lookup (self->folders, path);
  HvFolderNode *parent;
  g_autofree char *parent_path = NULL;
  const char *slash;
  gboolean expanded;

  if (node != NULL)
    return node;

  slash = strrchr (path, '/');
  parent_path = slash != NULL ? g_strndup (path, slash - path) : g_strdup ("");
  parent = ensure_folder (self, parent_path);

  expanded = self->filter != NULL || !g_hash_table_contains (self->collapsed, path);
  node = hv_folder_node_new (path, expanded);
  g_signal_connect_object (node, "notify::expanded", G_CALLBACK (on_node_expanded), self, 0);
  g_hash_table_insert (self->folders, node->path, node);
  insert_sorted (parent->children, node);
  return node;
}

static HvFolderNode *
parent_of_folder (HvFolderTree *self,
                  HvFolderNode *node)
{
  const char *slash = strrchr (node->path, '/');
  g_autofree char *parent_path = slash != NULL ? g_strndup (node->path, slash - node->path)
                                               : g_strdup ("");

  return g_hash_table_lookup (self->folders, parent_path);
}

static int
compare_depth_desc (gconstpointer a,
                    gconstpointer b)
{
  const char *pa = *(const char **) a, *pb = *(const char **) b;
  guint da = 0, db = 0;

  for (const char *p = pa; *p; p++)
    da += *p == '/';
  for (const char *p = pb; *p; p++)
    db += *p == '/';
  if (da != db)
    return da > db ? -1 : 1;
  return strcmp (pa, pb);
}

/* While searching, a folder of the engine's is shown, even empty, when its path holds every
 * word of the search: "lab" shows Lab and Lab/Web. */
static gboolean
folder_matches (HvFolderTree *self,
                const char   *path)
{
  g_autofree char *folded = NULL;
  g_auto(GStrv) words = NULL;

  if (self->filter == NULL)
    return TRUE;
  folded = g_utf8_casefold (path, -1);
  words = g_strsplit_set (self->filter, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0' && strstr (folded, words[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Drop folder nodes that are neither listed by the engine nor hold anything, deepest first
 * so that a parent emptied by its child's removal goes too. */
static void
prune_folders (HvFolderTree *self)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->folders);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (((const char *) key)[0] != '\0')
      g_ptr_array_add (paths, key);
  g_ptr_array_sort (paths, compare_depth_desc);

  for (guint i = 0; i < paths->len; i++)
    {
      HvFolderNode *node = g_hash_table_lookup (self->folders, paths->pdata[i]);
      gboolean wanted = g_hash_table_contains (self->listed, node->path) &&
                        folder_matches (self, node->path);

      if (wanted || g_list_model_get_n_items (G_LIST_MODEL (node->children)) > 0)
        continue;
      remove_from (parent_of_folder (self, node)->children, node);
      g_signal_handlers_disconnect_by_data (node, self);
      /* Last: this frees node->path, the key. */
      g_hash_table_remove (self->folders, paths->pdata[i]);
    }
}

static void
unplace (HvFolderTree *self,
         HvVmItem     *item)
{
  HvFolderNode *parent = g_hash_table_lookup (self->placed, item);

  if (parent == NULL)
    return;
  remove_from (parent->children, item);
  g_hash_table_remove (self->placed, item);
}

/* Put the item where it belongs now (or nowhere when the search hides it). */
static void
place (HvFolderTree *self,
       HvVmItem     *item)
{
  unplace (self, item);
  if (self->filter != NULL && !hv_vm_item_matches (item, self->filter))
    return;

  HvFolderNode *parent = ensure_folder (self, hv_vm_item_get_folder (item));
  insert_sorted (parent->children, item);
  g_hash_table_insert (self->placed, item, parent);
}

static void
on_item_changed (HvVmItem     *item,
                 GParamSpec   *pspec,
                 HvFolderTree *self)
{
  place (self, item);
  prune_folders (self);
}

static void
track_item (HvFolderTree *self,
            HvVmItem     *item)
{
  g_signal_connect_object (item, "notify::folder", G_CALLBACK (on_item_changed), self, 0);
  g_signal_connect_object (item, "notify::name", G_CALLBACK (on_item_changed), self, 0);
  g_signal_connect_object (item, "notify::os-id", G_CALLBACK (on_item_changed), self, 0);
  place (self, item);
}

static void
untrack_item (HvFolderTree *self,
              HvVmItem     *item)
{
  g_signal_handlers_disconnect_by_data (item, self);
  unplace (self, item);
}

static void
on_items_changed (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  HvFolderTree *self)
{
  for (guint i = 0; i < removed; i++)
    untrack_item (self, self->mirror->pdata[position + i]);
  g_ptr_array_remove_range (self->mirror, position, removed);

  for (guint i = 0; i < added; i++)
    {
      HvVmItem *item = g_list_model_get_item (model, position + i);

      if (!HV_IS_VM_ITEM (item))
        {
          /* Keep the mirror aligned with the model even for a foreign object. */
          g_ptr_array_insert (self->mirror, position + i, item);
          continue;
        }
      g_ptr_array_insert (self->mirror, position + i, item);
      track_item (self, item);
    }
  prune_folders (self);
}

/* Empty everything and build again: after the search text changed. */
static void
rebuild (HvFolderTree *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->folders);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_signal_handlers_disconnect_by_data (value, self);
      g_list_store_remove_all (HV_FOLDER_NODE (value)->children);
    }
  g_hash_table_remove_all (self->placed);
  g_hash_table_iter_init (&iter, self->folders);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (((const char *) key)[0] != '\0')
      g_hash_table_iter_remove (&iter);

  g_hash_table_iter_init (&iter, self->listed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (folder_matches (self, key))
      ensure_folder (self, key);
  for (guint i = 0; i < self->mirror->len; i++)
    if (HV_IS_VM_ITEM (self->mirror->pdata[i]))
      place (self, self->mirror->pdata[i]);
  prune_folders (self);
}

static void
load_state (HvFolderTree *self)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_auto(GStrv) collapsed = NULL;

  if (self->state_file == NULL ||
      !g_key_file_load_from_file (keyfile, self->state_file, G_KEY_FILE_NONE, NULL))
    return;
  collapsed = g_key_file_get_string_list (keyfile, STATE_GROUP, STATE_KEY, NULL, NULL);
  for (guint i = 0; collapsed != NULL && collapsed[i] != NULL; i++)
    g_hash_table_add (self->collapsed, g_strdup (collapsed[i]));
}

static int
compare_path_ptrs (gconstpointer a,
                   gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

void
hv_folder_tree_save_state (HvFolderTree *self)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autofree char *dir = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (HV_IS_FOLDER_TREE (self));

  g_clear_handle_id (&self->save_source, g_source_remove);
  if (self->state_file == NULL)
    return;

  /* Keep the other groups of the file (the window may store its own state there). */
  g_key_file_load_from_file (keyfile, self->state_file, G_KEY_FILE_KEEP_COMMENTS, NULL);
  g_hash_table_iter_init (&iter, self->collapsed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (paths, key);
  g_ptr_array_sort (paths, compare_path_ptrs);
  g_key_file_set_string_list (keyfile, STATE_GROUP, STATE_KEY,
                              (const char * const *) paths->pdata, paths->len);

  dir = g_path_get_dirname (self->state_file);
  /* Remembering the sidebar is a nicety: failing to is not worth bothering anyone with. */
  if (g_mkdir_with_parents (dir, 0700) == 0)
    g_key_file_save_to_file (keyfile, self->state_file, NULL);
}

static gboolean
save_timeout (gpointer data)
{
  HvFolderTree *self = data;

  self->save_source = 0;
  hv_folder_tree_save_state (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_save (HvFolderTree *self)
{
  if (self->state_file != NULL && self->save_source == 0)
    self->save_source = g_timeout_add (SAVE_DELAY_MS, save_timeout, self);
}

static void
hv_folder_tree_dispose (GObject *object)
{
  HvFolderTree *self = HV_FOLDER_TREE (object);

  if (self->save_source != 0)
    hv_folder_tree_save_state (self);

  if (self->vms != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->vms, self);
      for (guint i = 0; i < self->mirror->len; i++)
        g_signal_handlers_disconnect_by_data (self->mirror->pdata[i], self);
    }
  g_clear_object (&self->vms);

  G_OBJECT_CLASS (hv_folder_tree_parent_class)->dispose (object);
}

static void
hv_folder_tree_finalize (GObject *object)
{
  HvFolderTree *self = HV_FOLDER_TREE (object);

  g_ptr_array_unref (self->mirror);
  g_hash_table_unref (self->placed);
  g_hash_table_unref (self->folders);
  g_hash_table_unref (self->listed);
  g_hash_table_unref (self->collapsed);
  g_clear_object (&self->root);
  g_free (self->state_file);
  g_free (self->filter);

  G_OBJECT_CLASS (hv_folder_tree_parent_class)->finalize (object);
}

static void
hv_folder_tree_class_init (HvFolderTreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_folder_tree_dispose;
  object_class->finalize = hv_folder_tree_finalize;
}

static void
hv_folder_tree_init (HvFolderTree *self)
{
  self->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  self->folders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->placed = g_hash_table_new (NULL, NULL);
  self->listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->collapsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->root = hv_folder_node_new ("", TRUE);
  g_hash_table_insert (self->folders, self->root->path, g_object_ref (self->root));
}

HvFolderTree *
hv_folder_tree_new (GListModel *vms,
                    const char *state_file)
{
  HvFolderTree *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (vms), NULL);

  self = g_object_new (HV_TYPE_FOLDER_TREE, NULL);
  self->vms = g_object_ref (vms);
  self->state_file = g_strdup (state_file);
  load_state (self);
  g_signal_connect (vms, "items-changed", G_CALLBACK (on_items_changed), self);
  on_items_changed (vms, 0, 0, g_list_model_get_n_items (vms), self);
  return self;
}

void
hv_folder_tree_set_folders (HvFolderTree       *self,
                            const char * const *folders)
{
  g_return_if_fail (HV_IS_FOLDER_TREE (self));

  g_hash_table_remove_all (self->listed);
  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    {
      if (folders[i][0] == '\0')
        continue;
      g_hash_table_add (self->listed, g_strdup (folders[i]));
      if (folder_matches (self, folders[i]))
        ensure_folder (self, folders[i]);
    }
  prune_folders (self);
}

void
hv_folder_tree_set_filter (HvFolderTree *self,
                           const char   *text)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (HV_IS_FOLDER_TREE (self));

  if (text != NULL)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (text));
      if (stripped[0] != '\0')
        folded = g_utf8_casefold (stripped, -1);
    }
  if (g_strcmp0 (folded, self->filter) == 0)
    return;
  g_free (self->filter);
  self->filter = g_steal_pointer (&folded);
  rebuild (self);
}

gboolean
hv_folder_tree_is_filtering (HvFolderTree *self)
{
  g_return_val_if_fail (HV_IS_FOLDER_TREE (self), FALSE);
  return self->filter != NULL;
}

GListModel *
hv_folder_tree_get_root (HvFolderTree *self)
{
  g_return_val_if_fail (HV_IS_FOLDER_TREE (self), NULL);
  return G_LIST_MODEL (self->root->children);
}

HvFolderNode *
hv_folder_tree_lookup_folder (HvFolderTree *self,
                              const char   *path)
{
  g_return_val_if_fail (HV_IS_FOLDER_TREE (self), NULL);
  return g_hash_table_lookup (self->folders, path != NULL ? path : "");
}

HvFolderNode *
hv_folder_tree_lookup_parent (HvFolderTree *self,
                              HvVmItem     *item)
{
  g_return_val_if_fail (HV_IS_FOLDER_TREE (self), NULL);
  return g_hash_table_lookup (self->placed, item);
}

GListModel *
hv_folder_tree_get_children (gpointer item,
                             gpointer user_data)
{
  if (HV_IS_FOLDER_NODE (item))
    return g_object_ref (G_LIST_MODEL (HV_FOLDER_NODE (item)->children));
  return NULL;
}

void
hv_folder_tree_reveal (HvFolderTree *self,
                       HvVmItem     *item)
{
  g_return_if_fail (HV_IS_FOLDER_TREE (self));
  g_return_if_fail (HV_IS_VM_ITEM (item));

  for (HvFolderNode *node = g_hash_table_lookup (self->placed, item);
       node != NULL && node != self->root;
       node = parent_of_folder (self, node))
    hv_folder_node_set_expanded (node, TRUE);
}

int
hv_folder_compare_paths (const char *a,
                         const char *b)
{
  g_auto(GStrv) pa = g_strsplit (a, "/", -1);
  g_auto(GStrv) pb = g_strsplit (b, "/", -1);
  guint i;

  /* Part by part, so that "Lab/Web" follows "Lab" before "Lab 2" does. */
  for (i = 0; pa[i] != NULL && pb[i] != NULL; i++)
    {
      int r = hv_collate_compare (pa[i], pb[i]);

      if (r != 0)
        return r;
    }
  return pa[i] == NULL ? (pb[i] == NULL ? 0 : -1) : 1;
}

static int
compare_display_order (gconstpointer a,
                   gconstpointer b)
{
  return hv_folder_compare_paths (*(const char * const *) a, *(const char * const *) b);
}

char **
hv_folder_sort_paths (const char * const *paths)
{
  guint n = paths != NULL ? g_strv_length ((char **) paths) : 0;
  char **sorted = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    sorted[i] = g_strdup (paths[i]);
  qsort (sorted, n, sizeof (char *), compare_display_order);
  return sorted;
}
