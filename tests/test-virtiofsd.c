/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-virtiofsd.c: virtiofsd as the engine runs it (hv-virtiofsd.c), for real when it is
 * installed: the probe, a read-only share's bind mount, the pid file, adopting and stopping
 * it, and the user-namespace path an engine that is not root takes (as user 65534, when
 * root). */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hv-config.h"
#include "hv-error.h"
#include "hv-qemu-caps.h"
#include "hv-virtiofsd.h"

/* An executable script @name in @dir that stands in for a program. */
static char *
write_script (const char *dir,
              const char *name,
              const char *script)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return g_steal_pointer (&path);
}

typedef struct {
  GMainLoop *loop;
  GAsyncResult *result;
} Wait;

static void
on_waited (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static gboolean
probe_sync (const char *binary,
            const char *work_dir,
            GError    **error)
{
  Wait wait = { g_main_loop_new (NULL, FALSE), NULL };
  gboolean ok;

  hv_virtiofsd_probe_async (binary, work_dir, NULL, on_waited, &wait);
  if (wait.result == NULL)
    g_main_loop_run (wait.loop);
  ok = hv_virtiofsd_probe_finish (wait.result, error);
  g_object_unref (wait.result);
  g_main_loop_unref (wait.loop);
  return ok;
}

static void
on_daemon_exited (HvVirtiofsd *daemon,
                  GMainLoop   *loop)
{
  g_main_loop_quit (loop);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  g_error ("virtiofsd did not end in time");
  return G_SOURCE_REMOVE;
}

static void
wait_exited (HvVirtiofsd *daemon)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gulong id = g_signal_connect (daemon, "exited", G_CALLBACK (on_daemon_exited), loop);
  guint timeout = g_timeout_add_seconds (10, on_wait_timeout, NULL);

  if (hv_virtiofsd_is_running (daemon))
    g_main_loop_run (loop);
  g_source_remove (timeout);
  g_signal_handler_disconnect (daemon, id);
}

/* rm -r, for the test folders (a failed test leaves its folder behind for a look). */
static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static char *
real_virtiofsd (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("HOSTVISOR_VIRTIOFSD"));
  char *found;

  g_unsetenv ("HOSTVISOR_VIRTIOFSD");
  found = hv_virtiofsd_find ();
  if (saved != NULL)
    g_setenv ("HOSTVISOR_VIRTIOFSD", saved, TRUE);
  return found;
}

static void
test_virtiofsd_find (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hv-test-vfs-XXXXXX", &error);
  g_autofree char *fake = NULL;
  g_autofree char *found = NULL;

  g_assert_no_error (error);
  fake = write_script (dir, "fake-virtiofsd", "#!/bin/sh\nexit 0\n");
  g_setenv ("HOSTVISOR_VIRTIOFSD", fake, TRUE);
  found = hv_virtiofsd_find ();
  g_assert_cmpstr (found, ==, fake);
  g_clear_pointer (&found, g_free);
  /* "" turns virtiofs off; a path that is not an executable finds nothing */
  g_setenv ("HOSTVISOR_VIRTIOFSD", "", TRUE);
  g_assert_null (hv_virtiofsd_find ());
  g_setenv ("HOSTVISOR_VIRTIOFSD", "/nonexistent/virtiofsd", TRUE);
  g_assert_null (hv_virtiofsd_find ());
  g_unsetenv ("HOSTVISOR_VIRTIOFSD");
  found = hv_virtiofsd_find ();
  if (found != NULL)
    g_assert_true (g_str_equal (found, "/usr/libexec/virtiofsd") ||
                   g_str_equal (found, "/usr/lib/qemu/virtiofsd"));
  g_unlink (fake);
  g_rmdir (dir);
}

/* The probe: a virtiofsd that cannot run says why; the real one answers. */
static void
test_virtiofsd_probe (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hv-test-vfs-XXXXXX", &error);
  g_autofree char *work = g_build_filename (dir, "probe", NULL);
  g_autofree char *fake = NULL;
  g_autofree char *binary = real_virtiofsd ();

  g_assert_no_error (error);
  fake = write_script (dir, "fake-virtiofsd", "#!/bin/sh\necho 'fake virtiofsd: no sandbox here' >&2\n"
                               "exit 1\n");
  g_assert_false (probe_sync (fake, work, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "no sandbox here"));
  g_clear_error (&error);
  /* remembered */
  g_assert_false (probe_sync (fake, work, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  if (binary == NULL)
    g_test_skip ("virtiofsd is not installed");
  else
    {
      g_assert_true (probe_sync (binary, work, &error));
      g_assert_no_error (error);
      g_assert_true (probe_sync (binary, work, &error));
    }
  remove_tree (dir);
}

/* The mount a read-only share's virtiofsd sees: its options start with "ro". */
static gboolean
mounted_readonly (GPid        pid,
                  const char *path)
{
  g_autofree char *file = g_strdup_printf ("/proc/%d/mountinfo", (int) pid);
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) words = g_strsplit (path, " ", -1);
  /* mountinfo writes a space as \040 */
  g_autofree char *escaped = g_strjoinv ("\\040", words);
  gboolean readonly = FALSE;
  gboolean found = FALSE;

  g_assert_true (g_file_get_contents (file, &data, NULL, NULL));
  lines = g_strsplit (data, "\n", -1);
  /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS …; the last mount on a path wins */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 7);

      if (g_strv_length (fields) >= 6 && g_str_equal (fields[4], escaped))
        {
          found = TRUE;
          readonly = g_str_has_prefix (fields[5], "ro,") || g_str_equal (fields[5], "ro");
        }
    }
  return found && readonly;
}

/* Spawn, pid file, read-only view, adopt and stop, as whoever runs this. */
static void
check_virtiofsd_spawn (const char *binary,
                       const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *share = g_build_filename (dir, "share,with comma", NULL);
  g_autofree char *sock = g_build_filename (dir, "vfs0.sock", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "vfs0.pid", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(HvVirtiofsd) daemon = NULL;
  g_autoptr(HvVirtiofsd) adopted = NULL;
  g_autoptr(HvVirtiofsd) wrong = NULL;
  HvVirtiofsdOptions options = { binary, share, TRUE, sock, pid_file, -1 };
  GPid pid;

  g_assert_cmpint (g_mkdir (share, 0700), ==, 0);
  daemon = hv_virtiofsd_spawn (&options, &error);
  g_assert_no_error (error);
  pid = hv_virtiofsd_get_pid (daemon);
  g_assert_cmpint (pid, >, 1);
  g_assert_true (hv_virtiofsd_is_running (daemon));
  g_assert_null (hv_virtiofsd_get_exit_text (daemon));
  /* written by the child before virtiofsd ran */
  g_assert_cmpint (hv_virtiofsd_read_pid_file (pid_file), ==, pid);
  g_assert_true (g_file_test (sock, G_FILE_TEST_EXISTS));
  g_assert_true (mounted_readonly (pid, share));

  /* a later engine finds it by its pid file and the folder it serves */
  adopted = hv_virtiofsd_adopt (pid, share, &error);
  g_assert_no_error (error);
  wrong = hv_virtiofsd_adopt (pid, dir, &error);
  g_assert_null (wrong);
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  hv_virtiofsd_stop (daemon, 0);
  wait_exited (daemon);
  wait_exited (adopted);
  g_assert_false (hv_virtiofsd_is_running (daemon));
  g_assert_nonnull (hv_virtiofsd_get_exit_text (daemon));
  g_assert_cmpstr (hv_virtiofsd_get_exit_text (adopted), ==, "ended");
  g_assert_null (hv_virtiofsd_adopt (pid, share, NULL));

  /* the read-only view of a folder that is not there: the failing step is named */
  options.source = missing;
  options.pid_file = NULL;
  g_assert_null (hv_virtiofsd_spawn (&options, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "bind-mount"));
  g_clear_error (&error);
  g_rmdir (share);
}

static void
test_virtiofsd_spawn (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *binary = real_virtiofsd ();
  g_autofree char *dir = NULL;

  if (binary == NULL)
    {
      g_test_skip ("virtiofsd is not installed");
      return;
    }
  dir = g_dir_make_tmp ("hv-test-vfs-XXXXXX", &error);
  g_assert_no_error (error);
  check_virtiofsd_spawn (binary, dir);
  remove_tree (dir);
}

#define NOBODY 65534

/* What an engine that is not root does: a user namespace in which the user is root. Run as
 * user 65534 in a subprocess, when the tests run as root. */
static void
test_virtiofsd_unprivileged (void)
{
  g_autofree char *binary = real_virtiofsd ();
  const char *dir = g_getenv ("HV_TEST_VFS_DIR");

  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *work = g_build_filename (dir, "probe", NULL);

      g_assert_cmpint (setgroups (0, NULL), ==, 0);
      g_assert_cmpint (setgid (NOBODY), ==, 0);
      g_assert_cmpint (setuid (NOBODY), ==, 0);
      g_assert_cmpint (geteuid (), ==, NOBODY);
      probe_sync (binary, work, &error);
      g_assert_no_error (error);
      check_virtiofsd_spawn (binary, dir);
      return;
    }

  if (binary == NULL)
    {
      g_test_skip ("virtiofsd is not installed");
      return;
    }
  if (geteuid () != 0)
    {
      g_test_skip ("needs root to become an unprivileged user");
      return;
    }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *tmp = g_dir_make_tmp ("hv-test-vfs-XXXXXX", &error);

    g_assert_no_error (error);
    /* the user must reach its folder: a 0700 directory of its own, under a path it can
     * traverse */
    g_assert_cmpint (g_chmod (tmp, 0755), ==, 0);
    g_assert_cmpint (chown (tmp, NOBODY, NOBODY), ==, 0);
    g_setenv ("HV_TEST_VFS_DIR", tmp, TRUE);
    g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_unsetenv ("HV_TEST_VFS_DIR");
    g_test_trap_assert_passed ();
    remove_tree (tmp);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/virtiofsd/find", test_virtiofsd_find);
  g_test_add_func ("/virtiofsd/probe", test_virtiofsd_probe);
  g_test_add_func ("/virtiofsd/spawn", test_virtiofsd_spawn);
  g_test_add_func ("/virtiofsd/unprivileged", test_virtiofsd_unprivileged);

  return g_test_run ();
}
