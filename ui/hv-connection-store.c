/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-connection-store.c: see hv-connection-store.h. */
#include "hv-connection-store.h"

#include <errno.h>

#include "hv-client-remote.h"
#include "hv-fileutil.h"

#define GROUP "Connections"
#define KEY_REMEMBERED "remembered"
#define KEY_CURRENT "current"

static char *
settings_file (void)
{
  return g_build_filename (g_get_user_config_dir (), "hostvisor", "ui-state.ini", NULL);
}

static GKeyFile *
load (void)
{
  g_autofree char *path = settings_file ();
  GKeyFile *keyfile = g_key_file_new ();

  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  return keyfile;
}

/* Only addresses that still parse: a file edited by hand cannot smuggle anything to ssh. */
static gboolean
valid (const char *address)
{
  g_autoptr(HvRemote) remote = address != NULL ? hv_remote_parse (address, NULL) : NULL;

  return remote != NULL;
}

GStrv
hv_connection_store_list (void)
{
  g_autoptr(GKeyFile) keyfile = load ();
  g_auto(GStrv) stored = g_key_file_get_string_list (keyfile, GROUP, KEY_REMEMBERED, NULL,
                                                     NULL);
  g_autoptr(GStrvBuilder) list = g_strv_builder_new ();

  for (guint i = 0; stored != NULL && stored[i] != NULL; i++)
    if (valid (stored[i]))
      g_strv_builder_add (list, stored[i]);
  return g_strv_builder_end (list);
}

char *
hv_connection_store_get_current (void)
{
  g_autoptr(GKeyFile) keyfile = load ();
  g_autofree char *current = g_key_file_get_string (keyfile, GROUP, KEY_CURRENT, NULL);

  return valid (current) ? g_steal_pointer (&current) : NULL;
}

gboolean
hv_connection_store_save (const char * const *list,
                          const char         *current,
                          GError            **error)
{
  g_autofree char *path = settings_file ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GKeyFile) keyfile = load ();
  g_autofree char *data = NULL;
  gsize len;

  g_key_file_set_string_list (keyfile, GROUP, KEY_REMEMBERED, list,
                              list != NULL ? g_strv_length ((char **) list) : 0);
  g_key_file_set_string (keyfile, GROUP, KEY_CURRENT, current != NULL ? current : "");
  data = g_key_file_to_data (keyfile, &len, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  return hv_file_replace_contents (path, data, len, 0600, FALSE, error);
}
