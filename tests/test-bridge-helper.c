/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-bridge-helper.c: the privileged programs of the one-time network set-up refuse every
 * argument they do not expect, before they touch anything.
 *
 * hostvisor-bridge-helper (setuid root once the set-up ran): wrong argument counts, interface
 * names with '/', "..", spaces, newlines, colons, non-ASCII, leading '-', overlong; fds that
 * are not numbers, out of range, stdio, closed, a pipe, a file, an IPv4 socket; an
 * environment that tries to move its allow list. hostvisor-net-setup (run as root by
 * pkexec): bad names, addresses, prefixes, ranges, duplicate networks, hv-* bridges, unknown
 * words. The set-up runs as user nobody here when the test runs as root, so that nothing it
 * accepted could change the host; its refusals come before its root check. What the helper
 * does with good arguments is tested in namespaces by test-net-bridged.sh. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-build-config.h"

static const char *helper;
static const char *net_setup;

typedef enum { FD3_NONE, FD3_UNIX, FD3_PIPE, FD3_FILE, FD3_INET } Fd3;

static void
child_setup (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);

  if (fd < 0)
    close (3);
  else if (fd != 3)
    {
      dup2 (fd, 3);
      close (fd);
    }
}

/* Runs @argv with @fd3 as fd 3 and @envp; returns the exit status, *err its stderr. */
static int
run (char **argv, Fd3 fd3, char **envp, char **err)
{
  g_autoptr(GError) error = NULL;
  int fds[2] = { -1, -1 };
  int wait_status = 0;
  int target = -1;

  switch (fd3)
    {
    case FD3_NONE:
      break;
    case FD3_UNIX:
      g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, fds));
      target = fds[1];
      break;
    case FD3_PIPE:
      g_assert_no_errno (pipe (fds));
      target = fds[0];
      break;
    case FD3_FILE:
      fds[0] = open ("/dev/null", O_RDONLY);
      g_assert_cmpint (fds[0], >=, 0);
      target = fds[0];
      break;
    case FD3_INET:
      fds[0] = socket (AF_INET, SOCK_DGRAM, 0);
      g_assert_cmpint (fds[0], >=, 0);
      target = fds[0];
      break;
    }
  g_assert_true (g_spawn_sync (NULL, argv, envp, G_SPAWN_LEAVE_DESCRIPTORS_OPEN
                               | G_SPAWN_STDOUT_TO_DEV_NULL, child_setup,
                               GINT_TO_POINTER (target), NULL, err, &wait_status, &error));
  g_assert_no_error (error);
  if (fds[0] >= 0)
    close (fds[0]);
  if (fds[1] >= 0)
    close (fds[1]);
  g_assert_true (WIFEXITED (wait_status));
  return WEXITSTATUS (wait_status);
}

static void
expect_helper (int status, const char *message, Fd3 fd3, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (char *) helper);
  va_start (ap, fd3);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_cmpint (run ((char **) argv->pdata, fd3, NULL, &err), ==, status);
  if (strstr (err, message) == NULL)
    g_error ("expected \"%s\" in: %s", message, err);
  /* One line, never an echo of a hostile name's newline. */
  g_assert_cmpint (strchr (err, '\n') - err, ==, (int) strlen (err) - 1);
}

static void
test_helper_arg_count (void)
{
  expect_helper (2, "usage: hostvisor-bridge-helper BRIDGE FD", FD3_UNIX, NULL);
  expect_helper (2, "(1 argument given)", FD3_UNIX, "br0", NULL);
  expect_helper (2, "(3 arguments given)", FD3_UNIX, "br0", "3", "x", NULL);
  expect_helper (2, "(1 argument given)", FD3_UNIX, "--help", NULL);
  expect_helper (2, "usage", FD3_UNIX, "--br=br0", "--fd=3", "--use-vnet", NULL);
}

static void
test_helper_bad_names (void)
{
  const char *names[] = {
    "a/b", "/", "..", ".", "../br0", ".hidden", "-br0", "--help", "", "br 0", "br\n0",
    "br\t0", "br:0", "br0;ls", "br$(id)", "br\xc3\xa4", "abcdefghijklmnop",
    "0123456789abcdef0123456789", "br*", "br\\0",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_test_message ("name \"%s\"", names[i]);
      expect_helper (2, "is not a valid interface name", FD3_UNIX, names[i], "3", NULL);
    }
}

static void
test_helper_bad_fds (void)
{
  const char *fds[] = {
    "", "abc", "-1", "0", "1", "2", "03", "3x", " 3", "3 ", "+3", "1024", "99999",
    "99999999999999999999", "0x3",
  };

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      g_test_message ("fd \"%s\"", fds[i]);
      expect_helper (2, "FD must be a number from 3 to 1023", FD3_UNIX, "br0", fds[i], NULL);
    }
  expect_helper (2, "FD 3 is not open", FD3_NONE, "br0", "3", NULL);
  expect_helper (2, "FD 3 is not a socket", FD3_PIPE, "br0", "3", NULL);
  expect_helper (2, "FD 3 is not a socket", FD3_FILE, "br0", "3", NULL);
  expect_helper (2, "FD 3 is not a unix socket", FD3_INET, "br0", "3", NULL);
}

/* The allow list is the compiled-in one, whatever the environment says. */
static void
test_helper_env (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-helper-XXXXXX", NULL);
  g_autofree char *list = g_build_filename (dir, "bridges.allow", NULL);
  g_autofree char *conf_env = g_strconcat ("HOSTVISOR_NETSETUP_CONFDIR=", dir, NULL);
  g_autofree char *err = NULL;
  g_autofree char *name = g_strdup_printf ("hvt%u", g_random_int_range (100000, 999999));
  char *argv[] = { (char *) helper, name, "3", NULL };
  char *envp[] = { conf_env, "LD_PRELOAD=/nonexistent.so", "LD_LIBRARY_PATH=/tmp",
                   "IFS=/", "PATH=/nonexistent", "LANG=xx_XX", "NLSPATH=/tmp/%N",
                   "GCONV_PATH=/tmp", NULL };
  int status;

  g_assert_true (g_file_set_contents (list, name, -1, NULL));
  status = run (argv, FD3_UNIX, envp, &err);
  g_test_message ("%s", err);
  g_assert_true (status == 3 || status == 5);
  g_assert_nonnull (strstr (err, HV_NETSETUP_CONFDIR));
  g_assert_null (strstr (err, dir));
  g_unlink (list);
  g_rmdir (dir);
}

/* The setuid helper links libc alone (no GLib, no other library in a setuid process). */
static void
test_helper_libc_only (void)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  char *argv[] = { "readelf", "-d", (char *) helper, NULL };
  g_auto(GStrv) lines = NULL;
  guint needed = 0;
  int status = 0;

  g_autofree char *readelf = g_find_program_in_path ("readelf");

  if (readelf == NULL)
    {
      g_test_skip ("no readelf");
      return;
    }
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "(NEEDED)") != NULL)
      {
        g_test_message ("%s", lines[i]);
        g_assert_nonnull (strstr (lines[i], "[libc.so.6]"));
        needed++;
      }
  g_assert_cmpuint (needed, ==, 1);
}

/* --- hostvisor-net-setup ---------------------------------------------------------------- */

static void
expect_setup (int status, const char *message, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;

  if (getuid () == 0)
    {
      g_ptr_array_add (argv, "/usr/bin/setpriv");
      g_ptr_array_add (argv, "--reuid=65534");
      g_ptr_array_add (argv, "--regid=65534");
      g_ptr_array_add (argv, "--clear-groups");
    }
  g_ptr_array_add (argv, "/bin/sh");
  g_ptr_array_add (argv, (char *) net_setup);
  va_start (ap, message);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_cmpint (run ((char **) argv->pdata, FD3_NONE, (char *[]) { "PATH=/usr/bin:/bin", NULL },
                        &err), ==, status);
  if (strstr (err, message) == NULL)
    g_error ("expected \"%s\" in: %s", message, err);
}

#define NET "--network"

static void
test_setup_args (void)
{
  expect_setup (2, "usage", NULL);
  expect_setup (2, "unknown command \"bogus\"", "bogus", NULL);
  expect_setup (2, "unknown command \"--help\"", "--help", NULL);
  expect_setup (2, "unexpected argument \"--allow\"", "setup", "--allow", "br0", NULL);
  expect_setup (2, "--network needs 3 value(s)", "setup", NET, "a", "192.168.60.1/24", NULL);
  expect_setup (2, "--bridge needs a bridge name", "setup", "--bridge", NULL);
  expect_setup (2, "status takes no arguments", "status", "x", NULL);
  expect_setup (2, "up takes one network name", "up", NULL);
  expect_setup (2, "\"../x\" is not a network name", "up", "../x", NULL);
  expect_setup (2, "\"a b\" is not a network name", "down", "a b", NULL);
  expect_setup (2, "unexpected argument \"x\"", "undo", "x", NULL);
  expect_setup (2, "\"/etc\" is not a network name", "undo", NET, "/etc", NULL);

  const char *bad_names[] = { "../x", "a/b", "", "-a", "Upper", "abcdefghijklm", "a b", "a;b",
                              "a$(id)", "a\nb", ".." };
  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    expect_setup (2, "is not a network name", "setup", NET, bad_names[i], "192.168.60.1/24",
                  "none", NULL);

  const char *bad_addresses[][2] = {
    { "192.168.60.1", "is not ADDRESS/PREFIX" },
    { "192.168.60.256/24", "is not an IPv4 address" },
    { "192.168.060.1/24", "is not an IPv4 address" },
    { "192.168.60/24", "is not an IPv4 address" },
    { "192.168..1/24", "is not an IPv4 address" },
    { "192.168.60.1.2/24", "is not an IPv4 address" },
    { "-1.2.3.4/24", "is not an IPv4 address" },
    { "host/24", "is not an IPv4 address" },
    { "192.168.60.1/31", "the prefix must be 8 to 30" },
    { "192.168.60.1/7", "the prefix must be 8 to 30" },
    { "192.168.60.1/24x", "the prefix must be 8 to 30" },
    { "192.168.60.1/024", "the prefix must be 8 to 30" },
    { "192.168.60.1/", "the prefix must be 8 to 30" },
    { "192.168.60.0/24", "is not a host address" },
    { "192.168.60.255/24", "is not a host address" },
    { "127.0.0.2/8", "is not a unicast address" },
    { "224.0.0.1/8", "is not a unicast address" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad_addresses); i++)
    expect_setup (2, bad_addresses[i][1], "setup", NET, "a", bad_addresses[i][0], "none", NULL);

  const char *bad_ranges[][2] = {
    { "192.168.61.10-192.168.61.20", "is not inside" },
    { "192.168.60.0-192.168.60.20", "is not inside" },
    { "192.168.60.10-192.168.60.255", "is not inside" },
    { "192.168.60.20-192.168.60.10", "ends before it starts" },
    { "192.168.60.1-192.168.60.20", "holds the host's address" },
    { "192.168.60.10", "must be START-END or none" },
    { "all", "must be START-END or none" },
    { "192.168.60.10-", "is not an IPv4 address" },
    { "192.168.60.10-x", "is not an IPv4 address" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad_ranges); i++)
    expect_setup (2, bad_ranges[i][1], "setup", NET, "a", "192.168.60.1/24", bad_ranges[i][0],
                  NULL);

  expect_setup (2, "network a is named twice", "setup", NET, "a", "192.168.60.1/24", "none",
                NET, "a", "192.168.61.1/24", "none", NULL);
  expect_setup (2, "hv-* bridges belong to host-only networks", "setup", "--bridge", "hv-a",
                NULL);
  const char *bad_bridges[] = { "../x", "a/b", "-x", ".x", "a b", "a;rm", "abcdefghijklmnop" };
  for (guint i = 0; i < G_N_ELEMENTS (bad_bridges); i++)
    expect_setup (2, "is not an interface name", "setup", "--bridge", bad_bridges[i], NULL);
  /* A later bad argument refuses the whole command: nothing of the first is done. */
  expect_setup (2, "is not an interface name", "setup", NET, "a", "192.168.60.1/24",
                "192.168.60.100-192.168.60.200", "--bridge", "a/b", NULL);

  /* Good arguments get as far as the root check (exit 1), as user nobody. */
  if (getuid () == 0 || getuid () == 65534)
    expect_setup (1, "must run as root", "setup", NET, "a", "192.168.60.1/24",
                  "192.168.60.100-192.168.60.254", "--bridge", "br0", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  helper = g_getenv ("HV_BRIDGE_HELPER_EXE");
  net_setup = g_getenv ("HV_NET_SETUP_EXE");
  g_assert_nonnull (helper);
  g_assert_nonnull (net_setup);
  {
    /* A copy that user nobody can read wherever the build tree is. */
    g_autofree char *text = NULL;
    char *dir = g_dir_make_tmp ("hv-net-setup-XXXXXX", NULL);
    char *copy = g_build_filename (dir, "hostvisor-net-setup", NULL);

    g_assert_true (g_file_get_contents (net_setup, &text, NULL, NULL));
    g_assert_true (g_file_set_contents (copy, text, -1, NULL));
    g_chmod (dir, 0755);
    g_chmod (copy, 0644);
    net_setup = copy;
  }
  g_test_add_func ("/bridge-helper/arg-count", test_helper_arg_count);
  g_test_add_func ("/bridge-helper/bad-names", test_helper_bad_names);
  g_test_add_func ("/bridge-helper/bad-fds", test_helper_bad_fds);
  g_test_add_func ("/bridge-helper/env", test_helper_env);
  g_test_add_func ("/bridge-helper/libc-only", test_helper_libc_only);
  g_test_add_func ("/net-setup/args", test_setup_args);
  {
    int status = g_test_run ();
    g_autofree char *dir = g_path_get_dirname (net_setup);

    g_unlink (net_setup);
    g_rmdir (dir);
    return status;
  }
}
