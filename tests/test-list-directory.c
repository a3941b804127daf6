/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-list-directory.c: Engine.ListDirectory's reading of a folder (hv-engine-files.h). */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-engine-files.h"
#include "hv-error.h"

static char *
make_tree (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hv-listdir-XXXXXX", &error);
  g_autofree char *sub = NULL;
  g_autofree char *file = NULL;

  g_assert_no_error (error);
  sub = g_build_filename (dir, "b-folder", NULL);
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  file = g_build_filename (dir, "a-disc.iso", NULL);
  g_assert_true (g_file_set_contents (file, "12345", 5, NULL));
  g_free (file);
  file = g_build_filename (dir, ".hidden", NULL);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_free (file);
  file = g_build_filename (dir, "c-link", NULL);
  g_assert_cmpint (symlink ("b-folder", file), ==, 0);
  g_free (file);
  file = g_build_filename (dir, "d-dangling", NULL);
  g_assert_cmpint (symlink ("nowhere", file), ==, 0);
  return dir;
}

static void
remove_tree (const char *dir)
{
  const char *names[] = { "b-folder", "a-disc.iso", ".hidden", "c-link", "d-dangling" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

/* "name kind size" of each entry, joined by ";". */
static char *
describe (GVariant *entries)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GVariantIter iter;
  const char *name;
  const char *kind;
  guint64 size;
  gint64 mtime;

  g_variant_iter_init (&iter, entries);
  while (g_variant_iter_next (&iter, "(&s&stx)", &name, &kind, &size, &mtime))
    {
      g_assert_cmpint (mtime, >, 0);
      g_string_append_printf (text, "%s%s %s %" G_GUINT64_FORMAT, text->len > 0 ? ";" : "",
                              name, kind, size);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_list (void)
{
  g_autofree char *dir = make_tree ();
  g_autofree char *resolved = NULL;
  g_autofree char *text = NULL;
  g_autofree char *real_dir = realpath (dir, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = hv_list_directory (dir, FALSE, 100, &resolved, &error);

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (entries, G_VARIANT_TYPE ("a(sstx)")));
  g_assert_cmpstr (resolved, ==, real_dir);
  text = describe (entries);
  /* Sorted by name; the link to a folder is a folder, the dangling one "other". */
  g_assert_cmpstr (text, ==,
                   "a-disc.iso file 5;b-folder directory 0;c-link directory 0;d-dangling other 0");
  g_clear_pointer (&entries, g_variant_unref);
  g_clear_pointer (&text, g_free);

  entries = hv_list_directory (dir, TRUE, 100, NULL, &error);
  g_assert_no_error (error);
  text = describe (entries);
  g_assert_true (g_str_has_prefix (text, ".hidden file 1;a-disc.iso"));
  g_clear_pointer (&entries, g_variant_unref);
  g_clear_pointer (&text, g_free);

  /* The cap: the first entries by name, the rest left out. */
  entries = hv_list_directory (dir, FALSE, 2, NULL, &error);
  g_assert_no_error (error);
  text = describe (entries);
  g_assert_cmpstr (text, ==, "a-disc.iso file 5;b-folder directory 0");
  remove_tree (dir);
}

static void
test_link_to_folder (void)
{
  g_autofree char *dir = make_tree ();
  g_autofree char *link = g_build_filename (dir, "c-link", NULL);
  g_autofree char *target = g_build_filename (dir, "b-folder", NULL);
  g_autofree char *real_target = realpath (target, NULL);
  g_autofree char *resolved = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = hv_list_directory (link, FALSE, 100, &resolved, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (resolved, ==, real_target);
  g_assert_cmpuint (g_variant_n_children (entries), ==, 0);
  remove_tree (dir);
}

static void
test_home (void)
{
  g_autofree char *resolved = NULL;
  g_autofree char *home = realpath (g_get_home_dir (), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = hv_list_directory ("", FALSE, 10, &resolved, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entries);
  g_assert_cmpstr (resolved, ==, home);
}

static void
test_errors (void)
{
  g_autofree char *dir = make_tree ();
  g_autofree char *file = g_build_filename (dir, "a-disc.iso", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *dangling = g_build_filename (dir, "d-dangling", NULL);
  g_autofree char *locked = g_build_filename (dir, "b-folder", NULL);
  g_autofree char *long_path = g_strnfill (HV_LIST_DIRECTORY_MAX_PATH + 1, '/');
  g_autoptr(GError) error = NULL;
  GVariant *entries;

  entries = hv_list_directory ("relative/path", FALSE, 10, NULL, &error);
  g_assert_null (entries);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not an absolute path"));
  g_clear_error (&error);

  entries = hv_list_directory (long_path, FALSE, 10, NULL, &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  entries = hv_list_directory (file, FALSE, 10, NULL, &error);
  g_assert_null (entries);
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "is not a folder"));
  g_clear_error (&error);

  entries = hv_list_directory (missing, FALSE, 10, NULL, &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  entries = hv_list_directory (dangling, FALSE, 10, NULL, &error);
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* No permission (unless root, who reads everything). */
  if (geteuid () != 0)
    {
      g_assert_cmpint (g_chmod (locked, 0), ==, 0);
      entries = hv_list_directory (locked, FALSE, 10, NULL, &error);
      g_assert_null (entries);
      g_assert_error (error, HV_ERROR, HV_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "permission denied"));
      g_clear_error (&error);
      g_chmod (locked, 0700);
    }
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/list-directory/list", test_list);
  g_test_add_func ("/list-directory/link-to-folder", test_link_to_folder);
  g_test_add_func ("/list-directory/home", test_home);
  g_test_add_func ("/list-directory/errors", test_errors);
  return g_test_run ();
}
