/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app's remembered connections (ui/hv-connection-store.c), with no display: nothing
 * remembered at first, a list and a choice kept and read back, the settings file's other
 * groups kept, its mode 0600, and addresses edited into the file by hand that would not pass
 * hv_remote_parse() ignored. */
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "hv-connection-store.h"

static char *
settings_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "hostvisor", "ui-state.ini", NULL);
}

static void
test_empty (void)
{
  g_auto(GStrv) list = hv_connection_store_list ();
  g_autofree char *current = hv_connection_store_get_current ();

  g_assert_cmpuint (g_strv_length (list), ==, 0);
  g_assert_null (current);
}

static void
test_round_trip (void)
{
  const char *remembered[] = { "ssh://me@server.example:2222", "ssh://other", NULL };
  g_autofree char *path = settings_path ();
  g_autoptr(GError) error = NULL;
  g_autofree char *current = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) list = NULL;
  struct stat st;

  /* Another group of the same file (the sidebar's state, the preferences) stays. */
  g_assert_true (g_mkdir_with_parents (g_get_user_config_dir (), 0700) == 0);
  {
    g_autofree char *dir = g_path_get_dirname (path);

    g_assert_true (g_mkdir_with_parents (dir, 0700) == 0);
  }
  g_assert_true (g_file_set_contents (path, "[Preferences]\ndefault-folder=Work\n", -1, NULL));
  g_assert_true (hv_connection_store_save (remembered, "ssh://other", &error));
  g_assert_no_error (error);

  list = hv_connection_store_list ();
  g_assert_cmpstrv (list, remembered);
  current = hv_connection_store_get_current ();
  g_assert_cmpstr (current, ==, "ssh://other");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "default-folder=Work"));
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* This computer: an empty current. */
  g_assert_true (hv_connection_store_save (remembered, NULL, &error));
  g_free (current);
  current = hv_connection_store_get_current ();
  g_assert_null (current);
}

static void
test_hand_edited (void)
{
  g_autofree char *path = settings_path ();
  g_auto(GStrv) list = NULL;
  g_autofree char *current = NULL;
  const char *expected[] = { "ssh://ok.example", NULL };

  g_assert_true (g_file_set_contents (path,
                                      "[Connections]\n"
                                      "remembered=ssh://-oProxyCommand=x;ssh://ok.example;"
                                      "tcp://h;ssh://a@b/path;\n"
                                      "current=ssh://-lroot@h\n", -1, NULL));
  list = hv_connection_store_list ();
  g_assert_cmpstrv (list, expected);
  current = hv_connection_store_get_current ();
  g_assert_null (current);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-connection-store-XXXXXX", NULL);
  g_autofree char *config = g_build_filename (dir, "config", NULL);
  int rc;

  g_assert_nonnull (dir);
  /* Before GLib reads it for the first time. */
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/connection-store/empty", test_empty);
  g_test_add_func ("/connection-store/round-trip", test_round_trip);
  g_test_add_func ("/connection-store/hand-edited", test_hand_edited);
  rc = g_test_run ();
  {
    g_autofree char *file = g_build_filename (config, "hostvisor", "ui-state.ini", NULL);
    g_autofree char *sub = g_build_filename (config, "hostvisor", NULL);

    g_unlink (file);
    g_rmdir (sub);
    g_rmdir (config);
    g_rmdir (dir);
  }
  return rc;
}
