/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-env.c: what every hv-bench program does around its figures: the throw-away XDG
 * environment the engine runs in, its removal at the end, and the medians and ranges the
 * tables print. */
#include <errno.h>
#include <signal.h>
#include <ftw.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hv-bench.h"

char *
bench_self_dir (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  return self != NULL ? g_path_get_dirname (self) : g_get_current_dir ();
}

/* --bindir, else BUILDDIR/app next to BUILDDIR/bench/hv-bench-*, wherever the build tree is,
 * else the build tree this program was configured in. */
static char *
find_app_dir (const char *configured)
{
  g_autofree char *dir = bench_self_dir ();
  g_autofree char *app = g_build_filename (dir, "..", "app", NULL);
  g_autofree char *ctl = g_build_filename (app, "hostvisorctl", NULL);

  if (bench.bindir != NULL)
    return g_canonicalize_filename (bench.bindir, NULL);
  if (g_file_test (ctl, G_FILE_TEST_IS_EXECUTABLE))
    return g_canonicalize_filename (app, NULL);
  return g_strdup (configured);
}

gboolean
bench_env_setup (const char *configured_app_dir,
                 GError    **error)
{
  g_autofree char *app = find_app_dir (configured_app_dir);
  const char *subdirs[] = { "run", "data", "config", "cache" };
  const char *vars[] = { "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                         "XDG_CACHE_HOME" };

  bench.ctl = g_build_filename (app, "hostvisorctl", NULL);
  bench.engined = g_build_filename (app, "hostvisord", NULL);
  if (!g_file_test (bench.ctl, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (bench.engined, G_FILE_TEST_IS_EXECUTABLE))
    return fail (error, "%s or %s is missing: build them first (ninja -C BUILDDIR)",
                 bench.ctl, bench.engined);

  /* Short: the engine's sockets live several levels below and must fit in 107 bytes. */
  bench.tmp = g_strdup ("/tmp/hvb.XXXXXX");
  if (g_mkdtemp (bench.tmp) == NULL)
    {
      g_clear_pointer (&bench.tmp, g_free);
      return fail (error, "Cannot create a directory in /tmp: %s", g_strerror (errno));
    }
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (bench.tmp, subdirs[i], NULL);

      if (g_mkdir (dir, 0700) != 0)
        return fail (error, "Cannot create %s: %s", dir, g_strerror (errno));
      g_setenv (vars[i], dir, TRUE);
    }
  bench.runtime_dir = g_build_filename (bench.tmp, "run", NULL);
  bench.data_dir = g_build_filename (bench.tmp, "data", NULL);
  g_setenv ("HOSTVISORD", bench.engined, TRUE);
  /* The engine must not leave between the figures for want of clients. */
  g_setenv ("HOSTVISOR_IDLE_EXIT", "0", TRUE);
  g_unsetenv ("HOSTVISOR_LIBRARY");
  if (bench.kvm)
    g_unsetenv ("HOSTVISOR_NO_KVM");
  else
    g_setenv ("HOSTVISOR_NO_KVM", "1", TRUE);
  return TRUE;
}

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                flag,
              struct FTW        *ftw)
{
  remove (path);
  return 0;
}

void
bench_remove_tree (const char *path)
{
  if (path != NULL)
    nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
bench_env_cleanup (void)
{
  if (bench.tmp == NULL)
    return;
  engine_stop ();
  bench_remove_tree (bench.tmp);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
bench_median (GArray *values)
{
  g_autoptr(GArray) sorted = NULL;
  guint n = values->len;

  if (n == 0)
    return 0;
  sorted = g_array_copy (values);
  g_array_sort (sorted, compare_doubles);
  if (n % 2 == 1)
    return g_array_index (sorted, double, n / 2);
  return (g_array_index (sorted, double, n / 2 - 1) + g_array_index (sorted, double, n / 2)) / 2;
}

void
bench_range (GArray *values,
             double *lo,
             double *hi)
{
  *lo = *hi = values->len > 0 ? g_array_index (values, double, 0) : 0;
  for (guint i = 1; i < values->len; i++)
    {
      *lo = MIN (*lo, g_array_index (values, double, i));
      *hi = MAX (*hi, g_array_index (values, double, i));
    }
}

static void
on_signal (int sig)
{
  interrupted = 1;
}

void
bench_catch_signals (void)
{
  struct sigaction sa = { .sa_handler = on_signal };

  /* No SA_RESTART: a blocking call returns EINTR, and every wait looks at the flag. */
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  /* A socket closed under us is an error to report, not a reason to die. */
  signal (SIGPIPE, SIG_IGN);
}

gboolean
bench_build_tiny_guest (const char *script,
                        const char *dir,
                        char      **kernel,
                        char      **initrd,
                        GError    **error)
{
  const char *argv[] = { "bash", script, dir, NULL };
  g_autoptr(Child) c = NULL;

  g_printerr ("%s: building the tiny guest in %s\n", g_get_prgname (), dir);
  c = child_spawn (argv, error);
  if (c == NULL || !child_wait (c, 10 * 60 * 1000, error) || !child_check (c, argv, error))
    return FALSE;
  *kernel = g_build_filename (dir, "vmlinuz", NULL);
  *initrd = g_build_filename (dir, "initrd.img", NULL);
  return TRUE;
}
