/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app's snapshot helpers, with no engine and no display: the default name "Snapshot N",
 * finding a snapshot in Vm.Snapshots, dates, the operation words, the name and description
 * checks of the snapshot dialog, and HvVmItem mirroring the snapshot properties. */
#include <locale.h>
#include <string.h>

#include "hv-engine-client-snapshots.h"
#include "hv-snapshot-dialog.h"
#include "hv-vm-item.h"

static GVariant *
snapshots_of (const char * const *names)
{
  GVariantBuilder list;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; names[i] != NULL; i++)
    {
      GVariantDict dict;
      g_autofree char *id = g_strdup_printf ("id-%u", i);

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, "id", "s", id);
      g_variant_dict_insert (&dict, "name", "s", names[i]);
      g_variant_dict_insert (&dict, "parent", "s", "");
      g_variant_builder_add_value (&list, g_variant_dict_end (&dict));
    }
  return g_variant_ref_sink (g_variant_builder_end (&list));
}

static void
test_next_name (void)
{
  const char *none[] = { NULL };
  const char *numbered[] = { "Snapshot 1", "Snapshot 7", "other", NULL };
  const char *others[] = { "a", "b", "Snapshot 3x", NULL };
  const char *huge[] = { "Snapshot 99999999999999999999", NULL };
  g_autoptr(GVariant) empty = snapshots_of (none);
  g_autoptr(GVariant) list1 = snapshots_of (numbered);
  g_autoptr(GVariant) list2 = snapshots_of (others);
  g_autoptr(GVariant) list3 = snapshots_of (huge);
  g_autofree char *n0 = hv_snapshots_next_name (NULL);
  g_autofree char *n1 = hv_snapshots_next_name (empty);
  g_autofree char *n2 = hv_snapshots_next_name (list1);
  g_autofree char *n3 = hv_snapshots_next_name (list2);
  g_autofree char *n4 = hv_snapshots_next_name (list3);

  g_assert_cmpstr (n0, ==, "Snapshot 1");
  g_assert_cmpstr (n1, ==, "Snapshot 1");
  /* Above the highest number, not just the count. */
  g_assert_cmpstr (n2, ==, "Snapshot 8");
  /* "Snapshot 3x" is not a number: the count decides. */
  g_assert_cmpstr (n3, ==, "Snapshot 4");
  /* A number too large to be one of ours is ignored. */
  g_assert_cmpstr (n4, ==, "Snapshot 2");
}

static void
test_lookup (void)
{
  const char *names[] = { "one", "two", NULL };
  g_autoptr(GVariant) list = snapshots_of (names);
  g_autoptr(GVariant) two = hv_snapshots_lookup (list, "id-1");
  g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new_string ("x"));
  const char *name = NULL;

  g_assert_nonnull (two);
  g_assert_true (g_variant_lookup (two, "name", "&s", &name));
  g_assert_cmpstr (name, ==, "two");
  g_assert_null (hv_snapshots_lookup (list, "id-9"));
  g_assert_null (hv_snapshots_lookup (list, ""));
  g_assert_null (hv_snapshots_lookup (NULL, "id-1"));
  g_assert_null (hv_snapshots_lookup (wrong, "id-1"));
}

static void
test_date_and_words (void)
{
  /* 2026-12-06 14:03:05 UTC; TZ is UTC in main(). */
  g_autofree char *date = hv_snapshots_format_date (G_GINT64_CONSTANT (1796565785) *
                                                    G_USEC_PER_SEC);

  g_assert_cmpstr (date, ==, "6 Dec 2026, 14:03:05");
  g_assert_null (hv_snapshots_operation_label (""));
  g_assert_null (hv_snapshots_operation_label (NULL));
  g_assert_cmpstr (hv_snapshots_operation_label ("snapshot-take"), ==, "Saving…");
  g_assert_cmpstr (hv_snapshots_operation_label ("snapshot-restore"), ==, "Restoring…");
  g_assert_cmpstr (hv_snapshots_operation_label ("something-new"), ==, "Working…");
}

static void
test_checks (void)
{
  g_autofree char *long_name = g_strnfill (65, 'a');
  g_autofree char *max_name = g_strnfill (64, 'a');
  g_autofree char *long_text = g_strnfill (4097, 'a');
  char *p;

  g_assert_null (hv_snapshot_check_name ("before the upgrade"));
  g_assert_null (hv_snapshot_check_name (max_name));
  /* Characters, not bytes: 64 × "é" is fine. */
  {
    g_autoptr(GString) accents = g_string_new (NULL);

    for (guint i = 0; i < 64; i++)
      g_string_append (accents, "é");
    g_assert_null (hv_snapshot_check_name (accents->str));
  }
  p = hv_snapshot_check_name (long_name);
  g_assert_nonnull (p);
  g_free (p);
  p = hv_snapshot_check_name ("");
  g_assert_nonnull (p);
  g_free (p);
  p = hv_snapshot_check_name ("   ");
  g_assert_nonnull (p);
  g_free (p);
  p = hv_snapshot_check_name ("two\nlines");
  g_assert_nonnull (p);
  g_free (p);
  p = hv_snapshot_check_name ("\xff\xfe");
  g_assert_nonnull (p);
  g_free (p);
  g_assert_null (hv_snapshot_check_description (""));
  g_assert_null (hv_snapshot_check_description ("line one\nline two"));
  p = hv_snapshot_check_description (long_text);
  g_assert_nonnull (p);
  g_free (p);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              GPtrArray  *names)
{
  g_ptr_array_add (names, g_strdup (pspec->name));
}

static gboolean
has (GPtrArray  *names,
     const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (strcmp (names->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

static void
test_item_mirrors (void)
{
  g_autoptr(HvVmItem) item = hv_vm_item_new ("/io/github/hostvisor/vm/x");
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *list_names[] = { "one", NULL };
  g_autoptr(GVariant) list = snapshots_of (list_names);
  GVariantDict dict;

  /* Unknown until the engine says: no list, nothing running, nothing allowed. */
  g_assert_null (hv_vm_item_get_snapshots (item));
  g_assert_cmpstr (hv_vm_item_get_operation (item), ==, "");
  g_assert_false (hv_vm_item_get_saved_state (item));
  g_assert_false (hv_vm_item_get_can_take_snapshot (item));

  g_signal_connect (item, "notify", G_CALLBACK (count_notify), names);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, "Snapshots", list);
  g_variant_dict_insert (&dict, "CurrentSnapshot", "s", "id-0");
  g_variant_dict_insert (&dict, "Operation", "s", "snapshot-take");
  g_variant_dict_insert (&dict, "OperationProgress", "d", -1.0);
  g_variant_dict_insert (&dict, "SavedState", "b", TRUE);
  g_variant_dict_insert (&dict, "CanTakeSnapshot", "b", TRUE);
  g_variant_dict_insert (&dict, "CanSaveState", "b", TRUE);
  hv_vm_item_update (item, g_variant_dict_end (&dict));

  g_assert_true (g_variant_equal (hv_vm_item_get_snapshots (item), list));
  g_assert_cmpstr (hv_vm_item_get_current_snapshot (item), ==, "id-0");
  g_assert_cmpstr (hv_vm_item_get_operation (item), ==, "snapshot-take");
  g_assert_cmpfloat (hv_vm_item_get_operation_progress (item), ==, -1.0);
  g_assert_true (hv_vm_item_get_saved_state (item));
  g_assert_true (hv_vm_item_get_can_take_snapshot (item));
  g_assert_true (hv_vm_item_get_can_save_state (item));
  for (guint i = 0; i < 7; i++)
    {
      const char *want[] = { "snapshots", "current-snapshot", "operation", "operation-progress",
                             "saved-state", "can-take-snapshot", "can-save-state" };
      g_assert_true (has (names, want[i]));
    }

  /* The same values again: no notification. A wrong type: ignored. */
  g_ptr_array_set_size (names, 0);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "Operation", "s", "snapshot-take");
  g_variant_dict_insert (&dict, "OperationProgress", "u", 3);
  hv_vm_item_update (item, g_variant_dict_end (&dict));
  g_assert_cmpuint (names->len, ==, 0);
  g_assert_cmpfloat (hv_vm_item_get_operation_progress (item), ==, -1.0);

  /* Progress moves, the operation ends. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "Operation", "s", "");
  g_variant_dict_insert (&dict, "OperationProgress", "d", 0.5);
  hv_vm_item_update (item, g_variant_dict_end (&dict));
  g_assert_true (has (names, "operation") && has (names, "operation-progress"));
  g_assert_cmpfloat (hv_vm_item_get_operation_progress (item), ==, 0.5);
  g_signal_handlers_disconnect_by_func (item, count_notify, names);
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshots/next-name", test_next_name);
  g_test_add_func ("/snapshots/lookup", test_lookup);
  g_test_add_func ("/snapshots/date-and-words", test_date_and_words);
  g_test_add_func ("/snapshots/checks", test_checks);
  g_test_add_func ("/snapshots/item-mirrors", test_item_mirrors);
  return g_test_run ();
}
