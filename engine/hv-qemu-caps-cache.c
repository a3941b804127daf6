/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-caps-cache.c: what QEMU answered to the engine's probes ("--version",
 * "-machine help", "-audiodev help", the -sandbox start), kept between engine starts (see
 * hv-qemu-caps-cache.h). */
#include "hv-qemu-caps-cache.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "hv-fileutil.h"

#define CACHE_MAX (1024 * 1024)
#define CACHE_VERSION 1

struct _HvQemuCapsCache {
  char *path;          /* NULL: no caching */
  char *key;
  GKeyFile *kf;
  gboolean dirty;
};

/* Where QEMU's loadable modules (audio drivers among them) live on the distributions we know:
 * installing one changes what "-audiodev help" says without touching the binary. */
static const char * const module_dirs[] = {
  "/usr/lib/x86_64-linux-gnu/qemu",
  "/usr/lib64/qemu",
  "/usr/lib/qemu",
};

static void
append_stat (GString    *key,
             const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      g_string_append_printf (key, "%s:none;", path);
      return;
    }
  g_string_append_printf (key, "%s:%ju:%ju:%jd:%jd.%09ld:%jd.%09ld;", path,
                          (uintmax_t) st.st_dev, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                          (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                          (intmax_t) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* The binary as it is now, its modules, and this boot (the kernel decides -sandbox). */
static char *
make_key (const char *qemu_binary)
{
  GString *key = g_string_new (NULL);
  g_autofree char *boot_id = NULL;

  g_string_append_printf (key, "v%d;", CACHE_VERSION);
  append_stat (key, qemu_binary);
  for (guint i = 0; i < G_N_ELEMENTS (module_dirs); i++)
    append_stat (key, module_dirs[i]);
  if (g_file_get_contents ("/proc/sys/kernel/random/boot_id", &boot_id, NULL, NULL))
    g_string_append (key, g_strstrip (boot_id));
  return g_string_free (key, FALSE);
}

HvQemuCapsCache *
hv_qemu_caps_cache_open (const char *qemu_binary)
{
  HvQemuCapsCache *cache = g_new0 (HvQemuCapsCache, 1);
  const char *off = g_getenv ("HOSTVISOR_NO_CAPS_CACHE");
  g_autofree char *data = NULL;
  g_autofree char *stored_key = NULL;
  gsize len = 0;

  cache->kf = g_key_file_new ();
  if (off != NULL && g_str_equal (off, "1"))
    return cache;
  cache->path = g_build_filename (g_get_user_runtime_dir (), "hostvisor", "qemu-caps.cache",
                                  NULL);
  cache->key = make_key (qemu_binary);
  if (!hv_file_read_capped (cache->path, CACHE_MAX, &data, &len, NULL) ||
      !g_key_file_load_from_data (cache->kf, data, len, G_KEY_FILE_NONE, NULL) ||
      (stored_key = g_key_file_get_string (cache->kf, "cache", "key", NULL)) == NULL ||
      !g_str_equal (stored_key, cache->key))
    {
      /* Another binary, another boot, or none yet: start afresh. */
      g_key_file_unref (cache->kf);
      cache->kf = g_key_file_new ();
      g_key_file_set_string (cache->kf, "cache", "key", cache->key);
    }
  return cache;
}

gboolean
hv_qemu_caps_cache_lookup (HvQemuCapsCache *cache,
                           const char      *probe,
                           char           **out,
                           int             *status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  int value;

  if (cache == NULL || cache->path == NULL ||
      !g_key_file_has_key (cache->kf, probe, "status", NULL))
    return FALSE;
  value = g_key_file_get_integer (cache->kf, probe, "status", &error);
  text = g_key_file_get_string (cache->kf, probe, "out", NULL);
  if (error != NULL || text == NULL)
    return FALSE;
  *out = g_steal_pointer (&text);
  *status = value;
  return TRUE;
}

void
hv_qemu_caps_cache_store (HvQemuCapsCache *cache,
                          const char      *probe,
                          const char      *out,
                          int              status)
{
  if (cache == NULL || cache->path == NULL)
    return;
  g_key_file_set_string (cache->kf, probe, "out", out != NULL ? out : "");
  g_key_file_set_integer (cache->kf, probe, "status", status);
  cache->dirty = TRUE;
}

void
hv_qemu_caps_cache_close (HvQemuCapsCache *cache)
{
  if (cache == NULL)
    return;
  if (cache->dirty && cache->path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (cache->path);
      g_autofree char *data = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = 0;

      data = g_key_file_to_data (cache->kf, &len, NULL);
      /* Only a speed-up: a cache that cannot be written is not an error. */
      if (g_mkdir_with_parents (dir, 0700) != 0 ||
          !hv_file_replace_contents (cache->path, data, len, 0600, FALSE, &error))
        g_message ("Cannot keep QEMU's probe results in %s: %s", cache->path,
                   error != NULL ? error->message : g_strerror (errno));
    }
  g_free (cache->path);
  g_free (cache->key);
  g_key_file_unref (cache->kf);
  g_free (cache);
}
