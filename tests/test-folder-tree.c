/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar's view model (ui/hv-folder-tree): a tree of folders and VMs built from a plain
 * list of HvVmItem and a folder list, as the engine client would feed it, with no engine
 * and no display. */
#include <locale.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hv-collate.h"
#include "hv-folder-tree.h"

static HvVmItem *
make_vm (const char *name,
         const char *folder,
         const char *os_id)
{
  g_autofree char *path = g_strdup_printf ("/io/github/hostvisor/vm/%s", name);
  HvVmItem *item = hv_vm_item_new (path);
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "Name", "s", name);
  g_variant_dict_insert (&dict, "Folder", "s", folder);
  g_variant_dict_insert (&dict, "OsId", "s", os_id != NULL ? os_id : "");
  g_variant_dict_insert (&dict, "State", "s", "poweroff");
  hv_vm_item_update (item, g_variant_dict_end (&dict));
  return item;
}

static void
set_string (HvVmItem   *item,
            const char *key,
            const char *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, key, "s", value);
  hv_vm_item_update (item, g_variant_dict_end (&dict));
}

/* The tree in one line: folders as "name/{...}", VMs by name, children in model order.
 * A whole tree compared at once shows nesting, order and empty folders together. */
static void
describe_level (GListModel *model,
                GString    *out)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) object = g_list_model_get_item (model, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      if (HV_IS_FOLDER_NODE (object))
        {
          g_string_append_printf (out, "%s/{", hv_folder_node_get_name (HV_FOLDER_NODE (object)));
          describe_level (hv_folder_node_get_children (HV_FOLDER_NODE (object)), out);
          g_string_append_c (out, '}');
        }
      else
        g_string_append (out, hv_vm_item_get_name (HV_VM_ITEM (object)));
    }
}

static char *
describe (HvFolderTree *tree)
{
  GString *out = g_string_new (NULL);

  describe_level (hv_folder_tree_get_root (tree), out);
  return g_string_free (out, FALSE);
}

#define assert_tree(tree, expected) \
  G_STMT_START { \
    g_autofree char *_got = describe (tree); \
    g_assert_cmpstr (_got, ==, expected); \
  } G_STMT_END

typedef struct {
  GListStore *vms;
  HvFolderTree *tree;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->vms = g_list_store_new (HV_TYPE_VM_ITEM);
  f->tree = hv_folder_tree_new (G_LIST_MODEL (f->vms), NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->tree);
  g_list_store_remove_all (f->vms);
  g_assert_finalize_object (f->vms);
}

static void
append (Fixture    *f,
        const char *name,
        const char *folder)
{
  g_autoptr(HvVmItem) item = make_vm (name, folder, NULL);

  g_list_store_append (f->vms, item);
}

static HvVmItem *
find_vm (Fixture    *f,
         const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (f->vms)); i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (G_LIST_MODEL (f->vms), i);

      if (g_strcmp0 (hv_vm_item_get_name (item), name) == 0)
        return item;
    }
  g_assert_not_reached ();
}

static void
test_nesting (Fixture *f, gconstpointer data)
{
  append (f, "web", "Lab/Web");
  append (f, "db", "Lab");
  append (f, "top", "");
  append (f, "deep", "A/B/C");

  /* Folders first, then VMs; folders that only VMs imply exist all the same. */
  assert_tree (f->tree, "A/{B/{C/{deep}}} Lab/{Web/{web} db} top");
  g_assert_nonnull (hv_folder_tree_lookup_folder (f->tree, "A/B"));
  g_assert_cmpstr (hv_folder_node_get_path (hv_folder_tree_lookup_folder (f->tree, "A/B/C")),
                   ==, "A/B/C");
  g_assert_true (hv_folder_tree_lookup_parent (f->tree, find_vm (f, "web")) ==
                 hv_folder_tree_lookup_folder (f->tree, "Lab/Web"));
}

static void
test_empty_folders (Fixture *f, gconstpointer data)
{
  const char *folders[] = { "Empty", "Lab", "Lab/Empty too", NULL };
  const char *fewer[] = { "Lab", NULL };

  append (f, "db", "Lab");
  hv_folder_tree_set_folders (f->tree, folders);
  assert_tree (f->tree, "Empty/{} Lab/{Empty too/{} db}");

  /* The engine forgot the empty ones (DeleteFolder): they go; Lab stays for its VM. */
  hv_folder_tree_set_folders (f->tree, fewer);
  assert_tree (f->tree, "Lab/{db}");
  hv_folder_tree_set_folders (f->tree, NULL);
  assert_tree (f->tree, "Lab/{db}");
  g_assert_null (hv_folder_tree_lookup_folder (f->tree, "Empty"));
}

static void
test_move_reparents (Fixture *f, gconstpointer data)
{
  const char *folders[] = { "Lab", "Lab/Web", "Prod", NULL };
  HvVmItem *web;

  append (f, "web", "Lab/Web");
  append (f, "db", "Lab");
  hv_folder_tree_set_folders (f->tree, folders);
  assert_tree (f->tree, "Lab/{Web/{web} db} Prod/{}");

  /* What Vm.Move looks like from here: PropertiesChanged → notify::folder. */
  web = find_vm (f, "web");
  set_string (web, "Folder", "Prod");
  assert_tree (f->tree, "Lab/{Web/{} db} Prod/{web}");
  g_assert_true (hv_folder_tree_lookup_parent (f->tree, web) ==
                 hv_folder_tree_lookup_folder (f->tree, "Prod"));

  /* Into a folder the engine has not announced yet: created on the spot. */
  set_string (web, "Folder", "New/Sub");
  assert_tree (f->tree, "Lab/{Web/{} db} New/{Sub/{web}} Prod/{}");

  /* Back to the top level; the unlisted folder it left disappears. */
  set_string (web, "Folder", "");
  assert_tree (f->tree, "Lab/{Web/{} db} Prod/{} web");
  g_assert_null (hv_folder_tree_lookup_folder (f->tree, "New"));
}

static void
test_removal (Fixture *f, gconstpointer data)
{
  g_autoptr(HvVmItem) kept = NULL;
  guint position;

  append (f, "a", "X/Y");
  append (f, "b", "X");
  append (f, "c", "");
  assert_tree (f->tree, "X/{Y/{a} b} c");

  kept = g_object_ref (find_vm (f, "a"));
  g_assert_true (g_list_store_find (f->vms, kept, &position));
  g_list_store_remove (f->vms, position);
  /* Y held only "a" and is not a listed folder: it goes with it. */
  assert_tree (f->tree, "X/{b} c");
  g_assert_null (hv_folder_tree_lookup_parent (f->tree, kept));

  /* A removed item's later changes no longer reach the tree. */
  set_string (kept, "Folder", "");
  assert_tree (f->tree, "X/{b} c");

  g_list_store_remove_all (f->vms);
  assert_tree (f->tree, "");
}

static void
test_sorting (Fixture *f, gconstpointer data)
{
  const char *folders[] = { "zoo", "Alpha", "beta", NULL };

  append (f, "Zulu", "");
  append (f, "alpha", "");
  append (f, "charlie", "");
  append (f, "bravo", "");
  append (f, "Bravo", "");
  hv_folder_tree_set_folders (f->tree, folders);

  /* Case does not separate names; folders come before VMs. */
  assert_tree (f->tree, "Alpha/{} beta/{} zoo/{} alpha Bravo bravo charlie Zulu");

  /* A rename re-sorts. */
  set_string (find_vm (f, "Zulu"), "Name", "aardvark");
  assert_tree (f->tree, "Alpha/{} beta/{} zoo/{} aardvark alpha Bravo bravo charlie");
}

static void
test_filter (Fixture *f, gconstpointer data)
{
  const char *folders[] = { "Empty", "Lab", "Lab/Web", NULL };
  g_autoptr(HvVmItem) win = make_vm ("desk", "Lab", "win10");

  append (f, "web", "Lab/Web");
  append (f, "Web proxy", "");
  g_list_store_append (f->vms, win);
  hv_folder_tree_set_folders (f->tree, folders);
  assert_tree (f->tree, "Empty/{} Lab/{Web/{web} desk} Web proxy");

  /* By name, case-insensitively; folders without matches (even empty ones) are hidden. */
  hv_folder_tree_set_filter (f->tree, "WEB");
  g_assert_true (hv_folder_tree_is_filtering (f->tree));
  assert_tree (f->tree, "Lab/{Web/{web}} Web proxy");

  /* By OS id; every word must match. */
  hv_folder_tree_set_filter (f->tree, "win10");
  assert_tree (f->tree, "Lab/{desk}");
  hv_folder_tree_set_filter (f->tree, "win10 web");
  assert_tree (f->tree, "");

  /* A change while filtering is filtered too. */
  hv_folder_tree_set_filter (f->tree, "web");
  set_string (win, "Name", "webdesk");
  assert_tree (f->tree, "Lab/{Web/{web} webdesk} Web proxy");

  hv_folder_tree_set_filter (f->tree, "  ");
  g_assert_false (hv_folder_tree_is_filtering (f->tree));
  assert_tree (f->tree, "Empty/{} Lab/{Web/{web} webdesk} Web proxy");
}

/* A folder's name finds the folder, everything in it, and its empty subfolders. */
static void
test_filter_folders (Fixture *f, gconstpointer data)
{
  const char *folders[] = { "Empty", "Lab", "Lab/Old", "Lab/Web", "Prod", NULL };

  append (f, "web", "Lab/Web");
  append (f, "desk", "Lab");
  append (f, "db", "Prod");
  append (f, "top", "");
  hv_folder_tree_set_folders (f->tree, folders);
  assert_tree (f->tree, "Empty/{} Lab/{Old/{} Web/{web} desk} Prod/{db} top");

  hv_folder_tree_set_filter (f->tree, "lab");
  assert_tree (f->tree, "Lab/{Old/{} Web/{web} desk}");
  /* Words may come from the folder and the name. */
  hv_folder_tree_set_filter (f->tree, "lab we");
  assert_tree (f->tree, "Lab/{Web/{web}}");
  hv_folder_tree_set_filter (f->tree, "prod");
  assert_tree (f->tree, "Prod/{db}");
  /* An empty folder of the engine's, found by its name. */
  hv_folder_tree_set_filter (f->tree, "empty");
  assert_tree (f->tree, "Empty/{}");
  hv_folder_tree_set_filter (f->tree, "nothing");
  assert_tree (f->tree, "");
  hv_folder_tree_set_filter (f->tree, NULL);
  assert_tree (f->tree, "Empty/{} Lab/{Old/{} Web/{web} desk} Prod/{db} top");
}

/* Names as a person reads them, whatever the locale: accents beside their letters, numbers
 * by value, case ignored. */
static void
test_collation (Fixture *f, gconstpointer data)
{
  const char *folders[] = { "Lab 2", "Lab", "Lab/Web", "Ärzte", "Zoo", NULL };
  g_auto(GStrv) sorted = NULL;

  append (f, "zulu", "");
  append (f, "VM 10", "");
  append (f, "Émile", "");
  append (f, "VM 2", "");
  append (f, "emily", "");
  append (f, "vm 1", "");
  hv_folder_tree_set_folders (f->tree, folders);
  assert_tree (f->tree, "Ärzte/{} Lab/{Web/{}} Lab 2/{} Zoo/{} Émile emily vm 1 VM 2 VM 10 zulu");

  /* A rename re-sorts by the same rules. */
  set_string (find_vm (f, "zulu"), "Name", "VM 3");
  assert_tree (f->tree, "Ärzte/{} Lab/{Web/{}} Lab 2/{} Zoo/{} Émile emily vm 1 VM 2 VM 3 VM 10");

  /* Paths part by part: a folder's subfolders follow it. */
  sorted = hv_folder_sort_paths (folders);
  g_assert_cmpstr (sorted[0], ==, "Ärzte");
  g_assert_cmpstr (sorted[1], ==, "Lab");
  g_assert_cmpstr (sorted[2], ==, "Lab/Web");
  g_assert_cmpstr (sorted[3], ==, "Lab 2");
  g_assert_cmpstr (sorted[4], ==, "Zoo");
  g_assert_null (sorted[5]);
  g_assert_cmpint (hv_folder_compare_paths ("Lab", "Lab"), ==, 0);
  g_assert_cmpint (hv_collate_compare ("Bravo", "bravo"), !=, 0);
  g_assert_cmpint (hv_collate_compare ("Debian 6.0", "Debian 10"), <, 0);
}

static void
test_expand_state (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-folder-tree-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "sub", "ui-state.ini", NULL);
  g_autoptr(GListStore) vms = g_list_store_new (HV_TYPE_VM_ITEM);
  g_autoptr(HvVmItem) web = make_vm ("web", "Lab/Web", NULL);
  const char *folders[] = { "Lab", "Lab/Web", "Other", NULL };
  HvFolderTree *tree;
  g_autofree char *contents = NULL;

  g_list_store_append (vms, web);

  tree = hv_folder_tree_new (G_LIST_MODEL (vms), file);
  hv_folder_tree_set_folders (tree, folders);
  /* Open by default. */
  g_assert_true (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Lab/Web")));
  hv_folder_node_set_expanded (hv_folder_tree_lookup_folder (tree, "Lab/Web"), FALSE);
  hv_folder_node_set_expanded (hv_folder_tree_lookup_folder (tree, "Other"), FALSE);
  hv_folder_node_set_expanded (hv_folder_tree_lookup_folder (tree, "Other"), TRUE);
  g_assert_finalize_object (tree);   /* writes what is pending */

  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "Lab/Web"));
  g_assert_null (strstr (contents, "Other"));

  /* A new tree (the next start) opens folders as they were left. */
  tree = hv_folder_tree_new (G_LIST_MODEL (vms), file);
  hv_folder_tree_set_folders (tree, folders);
  g_assert_false (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Lab/Web")));
  g_assert_true (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Lab")));
  g_assert_true (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Other")));

  /* While searching everything is open, and that is not remembered. */
  hv_folder_tree_set_filter (tree, "web");
  g_assert_true (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Lab/Web")));
  hv_folder_node_set_expanded (hv_folder_tree_lookup_folder (tree, "Lab"), FALSE);
  hv_folder_tree_set_filter (tree, NULL);
  g_assert_false (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Lab/Web")));
  g_assert_true (hv_folder_node_get_expanded (hv_folder_tree_lookup_folder (tree, "Lab")));
  g_assert_finalize_object (tree);

  g_assert_cmpint (g_remove (file), ==, 0);
  g_clear_pointer (&file, g_free);
  file = g_build_filename (dir, "sub", NULL);
  g_assert_cmpint (g_rmdir (file), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
count_notify (guint *count)
{
  (*count)++;
}

static void
test_item_update (void)
{
  g_autoptr(HvVmItem) item = hv_vm_item_new ("/io/github/hostvisor/vm/x");
  GVariantDict dict;
  guint notified = 0;

  g_signal_connect_swapped (item, "notify::can-start", G_CALLBACK (count_notify), &notified);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "MemoryMib", "t", (guint64) 512);
  g_variant_dict_insert (&dict, "Cpus", "u", 2);
  g_variant_dict_insert (&dict, "CanStart", "b", TRUE);
  /* Wrong type and unknown key: ignored, not a crash. */
  g_variant_dict_insert (&dict, "Name", "u", 7);
  g_variant_dict_insert (&dict, "Bogus", "s", "x");
  hv_vm_item_update (item, g_variant_dict_end (&dict));
  g_assert_cmpuint (notified, ==, 1);

  /* The same value again: no notification, so views do not redo work for nothing. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "CanStart", "b", TRUE);
  hv_vm_item_update (item, g_variant_dict_end (&dict));
  g_assert_cmpuint (notified, ==, 1);

  g_assert_cmpuint (hv_vm_item_get_memory_mib (item), ==, 512);
  g_assert_cmpuint (hv_vm_item_get_cpus (item), ==, 2);
  g_assert_true (hv_vm_item_get_can_start (item));
  g_assert_cmpstr (hv_vm_item_get_name (item), ==, "");
  g_assert_cmpstr (hv_vm_item_state_label ("running"), ==, "Running");
}

int
main (int   argc,
      char *argv[])
{
  /* Sorting follows the locale's collation, as in the app. */
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/folder-tree/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("nesting", test_nesting);
  ADD ("empty-folders", test_empty_folders);
  ADD ("move-reparents", test_move_reparents);
  ADD ("removal", test_removal);
  ADD ("sorting", test_sorting);
  ADD ("filter", test_filter);
  ADD ("filter-folders", test_filter_folders);
  ADD ("collation", test_collation);
#undef ADD
  g_test_add_func ("/folder-tree/expand-state", test_expand_state);
  g_test_add_func ("/vm-item/update", test_item_update);

  return g_test_run ();
}
