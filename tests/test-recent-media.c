/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The console drive menu's recent images (ui/hv-recent-media.c): most recent first, an image
 * inserted again moves to the front, at most HV_RECENT_MEDIA_MAX, floppies and CDs apart,
 * removal, paths that cannot be kept refused, a broken file read as empty. */
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-recent-media.h"

static char *dir;

static void
set_up (void)
{
  g_autofree char *file = NULL;

  dir = g_dir_make_tmp ("hv-recent-XXXXXX", NULL);
  g_assert_nonnull (dir);
  file = g_build_filename (dir, "sub", "recent-media", NULL);
  hv_recent_media_set_file (file);
}

static void
tear_down (void)
{
  g_autofree char *file = g_build_filename (dir, "sub", "recent-media", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);

  g_unlink (file);
  g_rmdir (sub);
  g_rmdir (dir);
  g_clear_pointer (&dir, g_free);
  hv_recent_media_set_file (NULL);
}

static void
test_order (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = NULL;
  g_auto(GStrv) cds = NULL;

  set_up ();
  list = hv_recent_media_list (HV_RECENT_FLOPPY);
  g_assert_cmpuint (g_strv_length (list), ==, 0);
  g_clear_pointer (&list, g_strfreev);
  g_assert_true (hv_recent_media_add (HV_RECENT_FLOPPY, "/games/disk1.img", &error));
  g_assert_true (hv_recent_media_add (HV_RECENT_FLOPPY, "/games/disk2.img", &error));
  g_assert_true (hv_recent_media_add (HV_RECENT_CDROM, "/isos/win98.iso", &error));
  /* The list separator and a backslash in a name come back as they were. */
  g_assert_true (hv_recent_media_add (HV_RECENT_CDROM, "/isos/a;b \\c.iso", &error));
  g_assert_true (hv_recent_media_add (HV_RECENT_FLOPPY, "/games/disk1.img", &error));
  g_assert_no_error (error);
  list = hv_recent_media_list (HV_RECENT_FLOPPY);
  g_assert_cmpuint (g_strv_length (list), ==, 2);
  g_assert_cmpstr (list[0], ==, "/games/disk1.img");
  g_assert_cmpstr (list[1], ==, "/games/disk2.img");
  cds = hv_recent_media_list (HV_RECENT_CDROM);
  g_assert_cmpuint (g_strv_length (cds), ==, 2);
  g_assert_cmpstr (cds[0], ==, "/isos/a;b \\c.iso");
  g_assert_cmpstr (cds[1], ==, "/isos/win98.iso");
  g_clear_pointer (&list, g_strfreev);
  g_assert_true (hv_recent_media_remove (HV_RECENT_FLOPPY, "/games/disk1.img", &error));
  list = hv_recent_media_list (HV_RECENT_FLOPPY);
  g_assert_cmpuint (g_strv_length (list), ==, 1);
  g_assert_cmpstr (list[0], ==, "/games/disk2.img");
  tear_down ();
}

static void
test_limit (void)
{
  g_auto(GStrv) list = NULL;

  set_up ();
  for (guint i = 0; i < HV_RECENT_MEDIA_MAX + 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("/d/disk%u.img", i);

      g_assert_true (hv_recent_media_add (HV_RECENT_FLOPPY, path, NULL));
    }
  list = hv_recent_media_list (HV_RECENT_FLOPPY);
  g_assert_cmpuint (g_strv_length (list), ==, HV_RECENT_MEDIA_MAX);
  g_assert_cmpstr (list[0], ==, "/d/disk10.img");
  g_assert_cmpstr (list[HV_RECENT_MEDIA_MAX - 1], ==, "/d/disk3.img");
  tear_down ();
}

static void
test_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = NULL;
  g_auto(GStrv) list = NULL;

  set_up ();
  g_assert_false (hv_recent_media_add (HV_RECENT_FLOPPY, "relative.img", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  g_assert_false (hv_recent_media_add (HV_RECENT_FLOPPY, "/a\nb.img", &error));
  g_clear_error (&error);
  g_assert_false (hv_recent_media_add (HV_RECENT_FLOPPY, NULL, &error));
  g_clear_error (&error);
  /* A file that is not a key file: empty, and replaced whole at the next add. */
  g_assert_true (hv_recent_media_add (HV_RECENT_FLOPPY, "/x.img", NULL));
  file = g_build_filename (dir, "sub", "recent-media", NULL);
  g_assert_true (g_file_set_contents (file, "\x01garbage[[[\n", -1, NULL));
  list = hv_recent_media_list (HV_RECENT_FLOPPY);
  g_assert_cmpuint (g_strv_length (list), ==, 0);
  g_clear_pointer (&list, g_strfreev);
  g_assert_true (hv_recent_media_add (HV_RECENT_FLOPPY, "/y.img", NULL));
  list = hv_recent_media_list (HV_RECENT_FLOPPY);
  g_assert_cmpuint (g_strv_length (list), ==, 1);
  g_assert_cmpstr (list[0], ==, "/y.img");
  tear_down ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recent-media/order", test_order);
  g_test_add_func ("/recent-media/limit", test_limit);
  g_test_add_func ("/recent-media/refused", test_refused);
  return g_test_run ();
}
