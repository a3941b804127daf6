/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-error.h"

gboolean
hv_paths_ensure_private_dir (const char *path,
                             GError    **error)
{
  struct stat st;

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }

  /* lstat: a symlink planted in place of our directory is refused, not followed. */
  if (lstat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot inspect %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }

  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid ())
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO,
                   "%s is not a directory owned by this user; refusing to use it", path);
      return FALSE;
    }

  /* An existing directory with looser permissions is tightened rather than trusted. */
  if ((st.st_mode & 0777) != 0700 && chmod (path, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot make %s private: %s", path,
                   g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}

char *
hv_paths_runtime_dir (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_runtime_dir (), "hostvisor", NULL);

  if (!hv_paths_ensure_private_dir (dir, error))
    return NULL;

  return g_steal_pointer (&dir);
}

char *
hv_paths_engine_socket (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "hostvisor", "engine.sock", NULL);
}

char *
hv_paths_engine_log (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "hostvisor", "engine.log", NULL);
}

char *
hv_paths_library_dir (void)
{
  const char *env = g_getenv ("HOSTVISOR_LIBRARY");

  if (env != NULL && env[0] != '\0')
    return g_canonicalize_filename (env, NULL);

  return g_build_filename (g_get_user_data_dir (), "hostvisor", NULL);
}
