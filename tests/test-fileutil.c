/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-fileutil.c: the atomic file helpers configs are saved with (hv-fileutil.h). */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "hv-config.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-qemu-argv.h"
#include "hv-fileutil-private.h"
#include "hv-vm-options.h"
#include "test-config-util.h"

/* File helpers */

static void
test_replace_contents (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "file.txt", NULL);
  g_autofree char *prev = g_build_filename (dir, "file.txt.prev", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  struct stat st;

  g_assert_true (hv_file_replace_contents (path, "one", 3, 0640, TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (prev, G_FILE_TEST_EXISTS));
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "one");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640 & ~0022);

  g_assert_true (hv_file_replace_contents (path, "two", 3, 0600, TRUE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  contents = read_file (prev);
  g_assert_cmpstr (contents, ==, "one");

  /* Without keep_previous the old .prev stays as it was. */
  g_assert_true (hv_file_replace_contents (path, "", 0, 0600, FALSE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "");
  g_clear_pointer (&contents, g_free);
  contents = read_file (prev);
  g_assert_cmpstr (contents, ==, "one");

  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 2);

  rm_rf (dir);
}

static void
test_replace_failures (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "file.txt", NULL);
  g_autofree char *blocker = g_build_filename (dir, "blocker", NULL);
  g_autofree char *inside = g_build_filename (blocker, "keep", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;

  g_assert_false (hv_file_replace_contents (missing, "x", 1, 0600, TRUE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "no-such-dir"));
  g_clear_error (&error);

  /* The target is a non-empty directory: the rename fails, and everything that was
   * there stays, with no temporary file left. */
  g_assert_cmpint (g_mkdir (blocker, 0700), ==, 0);
  write_file (inside, "precious", -1);
  for (int keep = 0; keep <= 1; keep++)
    {
      g_assert_false (hv_file_replace_contents (blocker, "x", 1, 0600, keep, &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_IO);
      g_assert_nonnull (strstr (error->message, blocker));
      g_clear_error (&error);
    }
  g_assert_true (g_file_test (blocker, G_FILE_TEST_IS_DIR));
  contents = read_file (inside);
  g_assert_cmpstr (contents, ==, "precious");

  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "blocker");

  rm_rf (dir);
}

/* A link or a FIFO where the file should be is refused, neither replaced nor written
 * through; a failed write names the file, not the hidden temporary. */
static void
test_replace_refuses_links (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *link = g_build_filename (dir, "vm.xml", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.xml", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *read_back = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  write_file (target, "precious", -1);
  g_assert_cmpint (symlink ("target", link), ==, 0);
  g_assert_false (hv_file_replace_contents (link, "new", 3, 0600, TRUE, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "it is a symbolic link"));
  g_clear_error (&error);
  read_back = g_file_read_link (link, NULL);
  g_assert_cmpstr (read_back, ==, "target");
  contents = read_file (target);
  g_assert_cmpstr (contents, ==, "precious");

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (hv_file_replace_contents (fifo, "new", 3, 0600, FALSE, &error));
  g_assert_nonnull (strstr (error->message, "it is a FIFO"));
  g_clear_error (&error);
  g_assert_cmpint (lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));

  rm_rf (dir);
}

/* A write that fails for want of room (here the file size limit, which fails the same
 * way as a full disk) names the file being saved. */
static void
test_replace_error_names_file (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "vm.xml", NULL);
  g_autofree char *big = g_strnfill (64 * 1024, 'x');
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit saved, small = { 4096, 4096 };
  void (*saved_handler) (int);
  gboolean ok;

  write_file (path, "old", -1);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  small.rlim_max = saved.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  ok = hv_file_replace_contents (path, big, strlen (big), 0600, TRUE, &error);
  setrlimit (RLIMIT_FSIZE, &saved);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  if (!g_str_has_prefix (error->message, "Cannot write ") ||
      strstr (error->message, path) == NULL || strstr (error->message, ".vm.xml.") != NULL)
    g_error ("unexpected message: %s", error->message);

  /* The old file stays, and no temporary is left. */
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "vm.xml");
  rm_rf (dir);
}

static void
test_remove_stale_temps (void)
{
  g_autofree char *dir = make_tmpdir ();
  const char * const bases[] = { "vm.xml", "library.ini", NULL };
  const char * const stale[] = { ".vm.xml.Ab3dE9", ".vm.xml.Ab3dE9-prev", ".library.ini.zzzzzz" };
  const char * const kept[] = { "vm.xml", "vm.xml.prev", ".vm.xml.short", ".vm.xml.Ab3dE9-x",
                                ".other.xml.Ab3dE9", ".vm.xml.Ab3_E9", "vm.xml.Ab3dE9" };
  g_autofree char *link = g_build_filename (dir, ".vm.xml.LINK00", NULL);
  g_autofree char *subdir = g_build_filename (dir, ".vm.xml.DIR000", NULL);
  g_autofree char *fresh = g_build_filename (dir, ".vm.xml.NEW000", NULL);
  g_autoptr(GPtrArray) names = NULL;
  struct utimbuf old_time = { 1000000000, 1000000000 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < G_N_ELEMENTS (stale); i++)
    {
      g_autofree char *path = g_build_filename (dir, stale[i], NULL);
      write_file (path, "x", -1);
      g_assert_cmpint (utime (path, &old_time), ==, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = g_build_filename (dir, kept[i], NULL);
      write_file (path, "x", -1);
      g_assert_cmpint (utime (path, &old_time), ==, 0);
    }
  g_assert_cmpint (symlink ("vm.xml", link), ==, 0);
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  write_file (fresh, "being written", -1);

  /* `fresh` is newer than the cut-off: a file being written now is never touched. */
  g_assert_cmpuint (hv_file_remove_stale_temps (dir, bases, now - 60), ==, G_N_ELEMENTS (stale));
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (kept) + 3);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    g_assert_true (g_ptr_array_find_with_equal_func (names, kept[i], g_str_equal, NULL));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (subdir, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_IS_REGULAR));
  rm_rf (dir);
}

static void
test_read_capped (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "data", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *sparse = g_build_filename (dir, "sparse", NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  write_file (path, "0123456789", 10);
  write_file (empty, "", 0);
  write_file (sparse, "", 0);

  g_assert_true (hv_file_read_capped (path, 10, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 10);
  g_assert_cmpmem (contents, 11, "0123456789", 11);  /* NUL-terminated */
  g_clear_pointer (&contents, g_free);

  /* Refused from its size alone, which the message reports. */
  g_assert_false (hv_file_read_capped (path, 9, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is too large (10 bytes; the limit is 9)"));
  g_assert_null (contents);
  g_clear_error (&error);

  /* A sparse 8 GiB file is refused without reading (or allocating) any of it. */
  g_assert_cmpint (truncate (sparse, G_GINT64_CONSTANT (8) << 30), ==, 0);
  g_assert_false (hv_file_read_capped (sparse, 1024 * 1024, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is too large (8589934592 bytes"));
  g_clear_error (&error);

  g_assert_true (hv_file_read_capped (empty, 0, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpstr (contents, ==, "");
  g_clear_pointer (&contents, g_free);

  g_assert_false (hv_file_read_capped (missing, 100, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (hv_file_read_capped (dir, 100, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_clear_error (&error);

  /* A FIFO with no writer must be refused, not waited on. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (hv_file_read_capped (fifo, 100, &contents, &len, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  /* /proc files report size 0 but have contents: the cap still holds. */
  if (g_file_test ("/proc/self/status", G_FILE_TEST_EXISTS))
    {
      g_assert_true (hv_file_read_capped ("/proc/self/status", 1024 * 1024, &contents, &len,
                                          &error));
      g_assert_no_error (error);
      g_assert_cmpuint (len, >, 0);
      g_assert_cmpuint (strlen (contents), ==, len);
      g_clear_pointer (&contents, g_free);

      g_assert_false (hv_file_read_capped ("/proc/self/status", 16, &contents, &len, &error));
      g_assert_error (error, HV_ERROR, HV_ERROR_IO);
      g_assert_nonnull (strstr (error->message, "too large"));
      g_assert_null (contents);
      g_clear_error (&error);
    }

  rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  /* Predictable file modes in test_replace_contents. */
  umask (0022);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fileutil/replace", test_replace_contents);
  g_test_add_func ("/fileutil/replace-failures", test_replace_failures);
  g_test_add_func ("/fileutil/read-capped", test_read_capped);
  g_test_add_func ("/fileutil/replace-refuses-links", test_replace_refuses_links);
  g_test_add_func ("/fileutil/replace-error-names-file", test_replace_error_names_file);
  g_test_add_func ("/fileutil/remove-stale-temps", test_remove_stale_temps);

  return g_test_run ();
}
