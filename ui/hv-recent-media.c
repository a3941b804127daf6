/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-recent-media.c: see hv-recent-media.h.
 *
 * The file is a GKeyFile with one group, [Recent], and a string list per kind ("Floppy",
 * "Cdrom"). It is read at each use (the console of two VMs may add to it in turn) and written
 * whole through hv_file_replace_contents(): a crash never leaves half a file. A file that does
 * not parse is treated as empty and replaced at the next insert. */
#include "hv-build-config.h"

#include "hv-recent-media.h"

#include <errno.h>
#include <string.h>

#include "hv-fileutil.h"

#define GROUP "Recent"
#define FILE_MAX (64 * 1024)

static char *file_override;

static const char *
key_for (HvRecentKind kind)
{
  return kind == HV_RECENT_CDROM ? "Cdrom" : "Floppy";
}

void
hv_recent_media_set_file (const char *path)
{
  g_free (file_override);
  file_override = g_strdup (path);
}

static char *
file_path (void)
{
  if (file_override != NULL)
    return g_strdup (file_override);
  return g_build_filename (g_get_user_state_dir (), "hostvisor", "recent-media", NULL);
}

static GKeyFile *
load (void)
{
  g_autofree char *path = file_path ();
  g_autofree char *data = NULL;
  gsize len = 0;
  GKeyFile *keys = g_key_file_new ();

  if (g_file_get_contents (path, &data, &len, NULL) && len <= FILE_MAX)
    g_key_file_load_from_data (keys, data, len, G_KEY_FILE_NONE, NULL);
  return keys;
}

/* Absolute, valid UTF-8, one line. (GKeyFile escapes the list separator ';' itself.) */
static gboolean
path_is_ok (const char *path)
{
  return path != NULL && g_path_is_absolute (path) && g_utf8_validate (path, -1, NULL) &&
         strchr (path, '\n') == NULL && strchr (path, '\r') == NULL;
}

GStrv
hv_recent_media_list (HvRecentKind kind)
{
  g_autoptr(GKeyFile) keys = load ();
  g_auto(GStrv) list = g_key_file_get_string_list (keys, GROUP, key_for (kind), NULL, NULL);
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();
  guint n = 0;

  for (guint i = 0; list != NULL && list[i] != NULL && n < HV_RECENT_MEDIA_MAX; i++)
    {
      if (!path_is_ok (list[i]))
        continue;
      g_strv_builder_add (out, list[i]);
      n++;
    }
  return g_strv_builder_end (out);
}

static gboolean
store (HvRecentKind  kind,
       const char   *first,
       const char   *drop,
       GError      **error)
{
  g_autoptr(GKeyFile) keys = load ();
  g_auto(GStrv) old = hv_recent_media_list (kind);
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autofree char *path = file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  gsize len = 0;

  if (first != NULL)
    g_ptr_array_add (list, (gpointer) first);
  for (guint i = 0; old[i] != NULL && list->len < HV_RECENT_MEDIA_MAX; i++)
    {
      if (g_strcmp0 (old[i], first) != 0 && g_strcmp0 (old[i], drop) != 0)
        g_ptr_array_add (list, old[i]);
    }
  g_key_file_set_string_list (keys, GROUP, key_for (kind),
                              (const char * const *) list->pdata, list->len);
  data = g_key_file_to_data (keys, &len, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Could not create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  return hv_file_replace_contents (path, data, len, 0600, FALSE, error);
}

gboolean
hv_recent_media_add (HvRecentKind  kind,
                     const char   *path,
                     GError      **error)
{
  if (!path_is_ok (path))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "Not an absolute path that can be remembered: %s", path ? path : "(null)");
      return FALSE;
    }
  return store (kind, path, NULL, error);
}

gboolean
hv_recent_media_remove (HvRecentKind  kind,
                        const char   *path,
                        GError      **error)
{
  return store (kind, NULL, path, error);
}
