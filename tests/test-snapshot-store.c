/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-snapshot-store.c: the snapshot metadata (engine/hv-snapshot-store.c): XML round trip
 * and schema, name rules, the tree (order, children moving to the parent on delete, current),
 * the two-step take (staging folder, marker) and hostile files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hv-error.h"
#include "hv-snapshot-store.h"

static char *
make_vm_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hv-snapstore-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  g_assert_cmpint (system (cmd), ==, 0);
}

static HvSnapshot *
make_snapshot (const char *name,
               const char *parent,
               gint64      created)
{
  HvSnapshot *s = hv_snapshot_new ();
  g_autofree char *uuid = g_uuid_string_random ();

  hv_set_str (&s->id, uuid);
  hv_set_str (&s->name, name);
  hv_set_str (&s->parent, parent);
  s->created = created;
  s->kind = HV_SNAPSHOT_LIVE;
  hv_set_str (&s->vm_state, "running");
  hv_set_str (&s->machine_type, "pc-q35-7.2");
  s->vmstate_size = 123456789;
  hv_snapshot_add_disk (s, "/library/vm/disk.qcow2", "drive0-format", TRUE);
  return s;
}

/* prepare + commit, as a take does */
static char *
take (HvSnapshotStore *store,
      const char      *name,
      const char      *parent,
      gint64           created)
{
  g_autoptr(HvSnapshot) s = make_snapshot (name, parent, created);
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("vm");
  g_autoptr(GError) error = NULL;
  const char *id = NULL;

  g_assert_true (hv_snapshot_store_prepare (store, s, config, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (hv_snapshot_store_get_pending (store, &id), ==, "take");
  g_assert_cmpstr (id, ==, s->id);
  g_assert_null (hv_snapshot_store_find (store, s->id));
  g_assert_true (hv_snapshot_store_commit (store, s, &error));
  g_assert_no_error (error);
  g_assert_null (hv_snapshot_store_get_pending (store, NULL));
  g_assert_cmpstr (hv_snapshot_store_get_current (store), ==, s->id);
  return g_strdup (s->id);
}

static void
test_xml_round_trip (void)
{
  g_autoptr(HvSnapshot) s = make_snapshot ("Before <upgrade> & \"more\"", "", 42);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(HvSnapshot) back = NULL;
  g_autofree char *tag = NULL;

  hv_set_str (&s->description, "line 1\nline 2\twith tab");
  hv_snapshot_add_disk (s, "/a dir/with,comma\nnewline.qcow2", "drive2-format", FALSE);
  xml = hv_snapshot_to_xml (s, &error);
  g_assert_no_error (error);
  back = hv_snapshot_from_xml (xml, strlen (xml), "t.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, s->id);
  g_assert_cmpstr (back->name, ==, s->name);
  g_assert_cmpstr (back->description, ==, s->description);
  g_assert_cmpstr (back->parent, ==, "");
  g_assert_cmpint (back->created, ==, 42);
  g_assert_cmpint (back->kind, ==, HV_SNAPSHOT_LIVE);
  g_assert_cmpstr (back->vm_state, ==, "running");
  g_assert_cmpstr (back->machine_type, ==, "pc-q35-7.2");
  g_assert_cmpuint (back->vmstate_size, ==, 123456789);
  g_assert_cmpuint (back->disks->len, ==, 2);
  g_assert_cmpstr (((HvSnapshotDisk *) back->disks->pdata[1])->path, ==,
                   "/a dir/with,comma\nnewline.qcow2");
  g_assert_true (((HvSnapshotDisk *) back->disks->pdata[0])->vmstate);
  g_assert_false (((HvSnapshotDisk *) back->disks->pdata[1])->vmstate);
  g_assert_false (back->shares_unplugged);
  g_assert_null (strstr (xml, "shares-unplugged"));
  tag = hv_snapshot_dup_tag (back);
  g_assert_true (g_str_has_prefix (tag, "hv-"));
  g_assert_cmpstr (tag + 3, ==, s->id);

  /* Taken with the virtiofs devices unplugged: the load starts QEMU without them. */
  s->shares_unplugged = TRUE;
  g_clear_pointer (&xml, g_free);
  g_clear_pointer (&back, hv_snapshot_free);
  xml = hv_snapshot_to_xml (s, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "shares-unplugged=\"yes\""));
  back = hv_snapshot_from_xml (xml, strlen (xml), "t.xml", &error);
  g_assert_no_error (error);
  g_assert_true (back->shares_unplugged);
  g_clear_pointer (&back, hv_snapshot_free);
  back = hv_snapshot_copy (s);
  g_assert_true (back->shares_unplugged);
}

static void
test_xml_hostile (void)
{
  static const char * const bad[] = {
    /* not the schema's */
    "<snapshot version=\"1\"/>",
    /* a DOCTYPE (entities) */
    "<!DOCTYPE x [<!ENTITY e SYSTEM \"/etc/passwd\">]><snapshot>&e;</snapshot>",
    /* an id that is not a UUID */
    "<snapshot version=\"1\" id=\"../../etc\" parent=\"\" created=\"1\" kind=\"live\" "
    "vm-state=\"running\" machine-type=\"pc\" vmstate-size=\"0\"><name>a</name>"
    "<description/></snapshot>",
    /* an empty name */
    "<snapshot version=\"1\" id=\"01234567-89ab-cdef-0123-456789abcdef\" parent=\"\" "
    "created=\"1\" kind=\"live\" vm-state=\"running\" machine-type=\"pc\" vmstate-size=\"0\">"
    "<name></name><description/></snapshot>",
    /* a relative disk path */
    "<snapshot version=\"1\" id=\"01234567-89ab-cdef-0123-456789abcdef\" parent=\"\" "
    "created=\"1\" kind=\"live\" vm-state=\"running\" machine-type=\"pc\" vmstate-size=\"0\">"
    "<name>a</name><description/><disk path=\"disk.qcow2\" node=\"drive0-format\"/>"
    "</snapshot>",
    /* a node that is not one of ours (it would reach QMP) */
    "<snapshot version=\"1\" id=\"01234567-89ab-cdef-0123-456789abcdef\" parent=\"\" "
    "created=\"1\" kind=\"live\" vm-state=\"running\" machine-type=\"pc\" vmstate-size=\"0\">"
    "<name>a</name><description/><disk path=\"/d\" node=\"ovmf-vars-format\"/></snapshot>",
    /* a machine type with option text */
    "<snapshot version=\"1\" id=\"01234567-89ab-cdef-0123-456789abcdef\" parent=\"\" "
    "created=\"1\" kind=\"live\" vm-state=\"running\" machine-type=\"pc,accel=kvm\" "
    "vmstate-size=\"0\"><name>a</name><description/></snapshot>",
    /* shares-unplugged is "yes" or absent */
    "<snapshot version=\"1\" id=\"01234567-89ab-cdef-0123-456789abcdef\" parent=\"\" "
    "created=\"1\" kind=\"live\" vm-state=\"running\" machine-type=\"pc\" vmstate-size=\"0\" "
    "shares-unplugged=\"no\"><name>a</name><description/></snapshot>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvSnapshot) s = hv_snapshot_from_xml (bad[i], strlen (bad[i]), "bad.xml",
                                                      &error);
      g_assert_null (s);
      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, "bad.xml"));
    }
}

static void
test_names (void)
{
  g_autofree char *long_name = g_strnfill (65, 'x');
  g_autofree char *max_name = g_strnfill (64, 'x');
  g_autofree char *long_desc = g_strnfill (4097, 'x');
  static const char * const good[] = { "a", "Before the upgrade", "Größe, 1=2 /tmp", };
  static const char * const bad[] = { "", " lead", "trail ", "new\nline", "tab\t",
                                      "\xe2\x80\xae" "bidi", "\xff" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (hv_snapshot_check_name (good[i], NULL));
  g_assert_true (hv_snapshot_check_name (max_name, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (hv_snapshot_check_name (bad[i], &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
    }
  g_assert_false (hv_snapshot_check_name (long_name, NULL));
  g_assert_true (hv_snapshot_check_description ("", NULL));
  g_assert_true (hv_snapshot_check_description ("two\nlines\tand a tab", NULL));
  g_assert_false (hv_snapshot_check_description ("escape \x1b[31m", NULL));
  g_assert_false (hv_snapshot_check_description (long_desc, NULL));
}

static void
test_tree (void)
{
  g_autofree char *vm_dir = make_vm_dir ();
  g_autoptr(HvSnapshotStore) store = hv_snapshot_store_load (vm_dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) named = NULL;
  g_autofree char *next = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(HvVmConfig) config = NULL;

  g_assert_cmpuint (hv_snapshot_store_count (store), ==, 0);
  g_assert_cmpstr (hv_snapshot_store_get_current (store), ==, "");
  next = hv_snapshot_store_next_name (store);
  g_assert_cmpstr (next, ==, "Snapshot 1");

  /* a ─ b ─ c, and a ─ d (a branch made after restoring a), and e a second root */
  a = take (store, "Snapshot 1", "", 10);
  b = take (store, "B", a, 20);
  c = take (store, "C", b, 30);
  d = take (store, "D", a, 40);
  e = take (store, "Snapshot 1", "", 50);
  g_clear_pointer (&next, g_free);
  next = hv_snapshot_store_next_name (store);
  g_assert_cmpstr (next, ==, "Snapshot 2");
  named = hv_snapshot_store_find_by_name (store, "Snapshot 1");
  g_assert_cmpuint (named->len, ==, 2);

  list = hv_snapshot_store_list (store);
  g_assert_cmpuint (list->len, ==, 5);
  g_assert_cmpstr (((HvSnapshot *) list->pdata[0])->id, ==, a);
  g_assert_cmpstr (((HvSnapshot *) list->pdata[1])->id, ==, b);
  g_assert_cmpstr (((HvSnapshot *) list->pdata[2])->id, ==, c);
  g_assert_cmpstr (((HvSnapshot *) list->pdata[3])->id, ==, d);
  g_assert_cmpstr (((HvSnapshot *) list->pdata[4])->id, ==, e);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* the files of the contract */
  config_path = hv_snapshot_store_dup_path (store, b, "vm.xml");
  config = hv_vm_config_load (config_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->name, ==, "vm");

  /* delete the middle one: c moves under a, the order stays */
  g_assert_true (hv_snapshot_store_set_current (store, b, &error));
  g_assert_true (hv_snapshot_store_remove (store, b, &error));
  g_assert_no_error (error);
  g_assert_null (hv_snapshot_store_find (store, b));
  g_assert_cmpstr (hv_snapshot_store_find (store, c)->parent, ==, a);
  g_assert_cmpstr (hv_snapshot_store_get_current (store), ==, a);
  {
    g_autofree char *gone = g_build_filename (vm_dir, "snapshots", b, NULL);
    g_assert_false (g_file_test (gone, G_FILE_TEST_EXISTS));
  }

  /* what is on disk says the same to a new reader */
  {
    g_autoptr(HvSnapshotStore) again = hv_snapshot_store_load (vm_dir);
    g_autoptr(GPtrArray) ids = hv_snapshot_store_children (again, a);

    g_assert_cmpuint (hv_snapshot_store_count (again), ==, 4);
    g_assert_cmpuint (hv_snapshot_store_get_problems (again)->len, ==, 0);
    g_assert_cmpstr (hv_snapshot_store_get_current (again), ==, a);
    g_assert_cmpuint (ids->len, ==, 2);
    g_assert_cmpstr (ids->pdata[0], ==, c);
    g_assert_cmpstr (ids->pdata[1], ==, d);
    g_assert_cmpstr (hv_snapshot_store_find (again, c)->parent, ==, a);
  }

  /* a root with children: they become roots */
  g_assert_true (hv_snapshot_store_remove (store, a, &error));
  g_assert_cmpstr (hv_snapshot_store_find (store, c)->parent, ==, "");
  g_assert_cmpstr (hv_snapshot_store_find (store, d)->parent, ==, "");
  g_assert_cmpstr (hv_snapshot_store_get_current (store), ==, "");

  /* edit */
  {
    g_autoptr(HvSnapshot) edited = hv_snapshot_copy (hv_snapshot_store_find (store, c));
    g_autoptr(HvSnapshotStore) again = NULL;

    hv_set_str (&edited->name, "Renamed");
    hv_set_str (&edited->description, "new words");
    g_assert_true (hv_snapshot_store_update (store, edited, &error));
    again = hv_snapshot_store_load (vm_dir);
    g_assert_cmpstr (hv_snapshot_store_find (again, c)->name, ==, "Renamed");
    g_assert_cmpstr (hv_snapshot_store_find (again, c)->description, ==, "new words");
  }

  rm_rf (vm_dir);
}

static void
test_take_abort_and_markers (void)
{
  g_autofree char *vm_dir = make_vm_dir ();
  g_autoptr(HvSnapshotStore) store = hv_snapshot_store_load (vm_dir);
  g_autoptr(HvSnapshot) s = make_snapshot ("x", "", 1);
  g_autoptr(HvSnapshot) orphan = make_snapshot ("y", "01234567-89ab-cdef-0123-456789abcdef", 1);
  g_autoptr(HvVmConfig) config = hv_vm_config_new ("vm");
  g_autoptr(GError) error = NULL;
  g_autofree char *staging = hv_snapshot_store_dup_staging (store, s->id);
  g_autofree char *nvram = g_build_filename (vm_dir, "nvram.fd", NULL);
  g_autofree char *nvram_copy = NULL;
  g_autoptr(GBytes) png = g_bytes_new_static ("\x89PNG", 4);
  g_autofree char *data = NULL;
  const char *id;

  /* a parent that does not exist */
  g_assert_false (hv_snapshot_store_prepare (store, orphan, config, NULL, NULL, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (nvram, "VARS", 4, NULL));
  g_assert_true (hv_snapshot_store_prepare (store, s, config, nvram, png, &error));
  g_assert_true (g_file_test (staging, G_FILE_TEST_IS_DIR));
  /* a second reader sees the marker, not the snapshot */
  {
    g_autoptr(HvSnapshotStore) again = hv_snapshot_store_load (vm_dir);
    g_assert_cmpstr (hv_snapshot_store_get_pending (again, &id), ==, "take");
    g_assert_cmpstr (id, ==, s->id);
    g_assert_cmpuint (hv_snapshot_store_count (again), ==, 0);
  }
  hv_snapshot_store_abort (store, s->id);
  g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
  g_assert_null (hv_snapshot_store_get_pending (store, NULL));

  /* now whole: the copies are in place */
  g_free (take (store, "first", "", 1));
  g_assert_true (hv_snapshot_store_prepare (store, s, config, nvram, png, &error));
  g_assert_true (hv_snapshot_store_commit (store, s, &error));
  nvram_copy = hv_snapshot_store_dup_path (store, s->id, "nvram.fd");
  g_assert_true (g_file_get_contents (nvram_copy, &data, NULL, NULL));
  g_assert_cmpstr (data, ==, "VARS");

  /* the load marker survives a reload and other state changes */
  g_assert_true (hv_snapshot_store_set_load (store, HV_SAVED_STATE_TAG, &error));
  g_assert_true (hv_snapshot_store_set_pending (store, "delete", s->id, &error));
  {
    g_autoptr(HvSnapshotStore) again = hv_snapshot_store_load (vm_dir);
    g_assert_cmpstr (hv_snapshot_store_get_load (again), ==, HV_SAVED_STATE_TAG);
    g_assert_cmpstr (hv_snapshot_store_get_pending (again, &id), ==, "delete");
    g_assert_cmpstr (hv_snapshot_store_get_current (again), ==, s->id);
  }
  g_assert_true (hv_snapshot_store_set_load (store, NULL, &error));
  g_assert_null (hv_snapshot_store_get_load (store));
  g_assert_cmpstr (hv_snapshot_store_get_pending (store, NULL), ==, "delete");

  rm_rf (vm_dir);
}

static void
test_hostile_files (void)
{
  g_autofree char *vm_dir = make_vm_dir ();
  g_autofree char *snaps = g_build_filename (vm_dir, "snapshots", NULL);
  g_autofree char *bad_dir = g_build_filename (snaps, "01234567-89ab-cdef-0123-456789abcdef",
                                               NULL);
  g_autofree char *bad_xml = g_build_filename (bad_dir, "snapshot.xml", NULL);
  g_autofree char *state = g_build_filename (snaps, "state", NULL);
  g_autofree char *good = NULL;
  g_autoptr(HvSnapshotStore) store = NULL;

  {
    g_autoptr(HvSnapshotStore) first = hv_snapshot_store_load (vm_dir);
    good = take (first, "good", "", 1);
  }
  g_assert_cmpint (g_mkdir_with_parents (bad_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (bad_xml, "<snapshot>not ours", -1, NULL));
  g_assert_true (g_file_set_contents (state, "[snapshots]\ncurrent=../../x\n"
                                      "[pending]\noperation=take\nid=nope\nload=savevm\n",
                                      -1, NULL));
  store = hv_snapshot_store_load (vm_dir);
  g_assert_cmpuint (hv_snapshot_store_count (store), ==, 1);
  g_assert_nonnull (hv_snapshot_store_find (store, good));
  g_assert_cmpuint (hv_snapshot_store_get_problems (store)->len, ==, 1);
  g_assert_cmpstr (hv_snapshot_store_get_current (store), ==, "");
  g_assert_null (hv_snapshot_store_get_load (store));
  rm_rf (vm_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshot-store/xml-round-trip", test_xml_round_trip);
  g_test_add_func ("/snapshot-store/xml-hostile", test_xml_hostile);
  g_test_add_func ("/snapshot-store/names", test_names);
  g_test_add_func ("/snapshot-store/tree", test_tree);
  g_test_add_func ("/snapshot-store/take-abort-markers", test_take_abort_and_markers);
  g_test_add_func ("/snapshot-store/hostile-files", test_hostile_files);
  return g_test_run ();
}
