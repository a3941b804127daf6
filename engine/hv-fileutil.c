/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-fileutil.c: atomic file replacement and capped reads. */
#include "hv-fileutil.h"
#include "hv-fileutil-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"

static gboolean
set_io_error (GError    **error,
              int         errsv,
              const char *what,
              const char *path)
{
  g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len,
           int         *errsv)
{
  while (len > 0)
    {
      gssize n = write (fd, data, MIN (len, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *errsv = errno;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }

  return TRUE;
}

/* Copy `src` to `dest` (which must not exist) for file systems without hard links. */
static gboolean
copy_file (const char  *src,
           const char  *dest,
           GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;
  struct stat st;
  int fd;
  int errsv = 0;

  if (!g_file_get_contents (src, &contents, &len, &local_error))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot keep the previous version of %s: %s",
                   src, local_error->message);
      return FALSE;
    }

  if (g_stat (src, &st) != 0)
    st.st_mode = 0600;

  fd = g_open (dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
  if (fd < 0)
    return set_io_error (error, errno, "Cannot create", dest);

  if (!write_all (fd, contents, len, &errsv) || fsync (fd) != 0)
    {
      if (errsv == 0)
        errsv = errno;
      close (fd);
      g_unlink (dest);
      return set_io_error (error, errsv, "Cannot write", dest);
    }

  if (close (fd) != 0)
    {
      errsv = errno;
      g_unlink (dest);
      return set_io_error (error, errsv, "Cannot write", dest);
    }

  return TRUE;
}

/* Make `prev` a copy of `path`'s current contents without a moment where `prev`
 * is missing: link (or copy) to a fresh name beside it, then rename over it.
 * `scratch` is a unique name in the same directory that we may use. Returns
 * TRUE with nothing done when `path` does not exist yet. */
static gboolean
keep_previous_version (const char  *path,
                       const char  *prev,
                       const char  *scratch,
                       GError     **error)
{
  if (link (path, scratch) != 0)
    {
      int errsv = errno;

      if (errsv == ENOENT)
        return TRUE;
      if (errsv != EPERM && errsv != EXDEV && errsv != ENOTSUP && errsv != EMLINK)
        return set_io_error (error, errsv, "Cannot keep the previous version of", path);
      if (!copy_file (path, scratch, error))
        return FALSE;
    }

  if (g_rename (scratch, prev) != 0)
    {
      int errsv = errno;

      g_unlink (scratch);
      return set_io_error (error, errsv, "Cannot keep the previous version as", prev);
    }

  return TRUE;
}

static gboolean
fsync_directory (const char  *dir,
                 GError     **error)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  int errsv;

  if (fd < 0)
    return set_io_error (error, errno, "Cannot open the directory", dir);

  if (fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }

  errsv = errno;
  close (fd);
  /* Some file systems cannot sync a directory; the rename is as durable as it gets there. */
  if (errsv == EINVAL || errsv == ENOTSUP)
    return TRUE;
  return set_io_error (error, errsv, "Cannot flush the directory", dir);
}

gboolean
hv_file_replace_contents (const char  *path,
                          const char  *data,
                          gsize        len,
                          int          mode,
                          gboolean     keep_previous,
                          GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *scratch = NULL;
  int fd;
  int errsv = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* Hidden, so that a directory listing never shows a half-written file as a config. */
  tmp_path = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);

  /* The mode is passed to open(), so the umask applies as for any new file. */
  fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, mode);
  if (fd < 0)
    return set_io_error (error, errno, "Cannot create a temporary file in", dir);

  if (!write_all (fd, data, len, &errsv))
    goto fail_open;
  if (fsync (fd) != 0)
    {
      errsv = errno;
      goto fail_open;
    }
  if (close (fd) != 0)
    {
      errsv = errno;
      goto fail_closed;
    }
  hv_crash_point ("save:written");

  if (keep_previous)
    {
      g_autofree char *prev = g_strconcat (path, ".prev", NULL);

      /* tmp_path is ours and unique, so a name derived from it is free too. */
      scratch = g_strconcat (tmp_path, "-prev", NULL);
      if (!keep_previous_version (path, prev, scratch, error))
        {
          g_unlink (tmp_path);
          return FALSE;
        }
      hv_crash_point ("save:kept-previous");
    }

  if (g_rename (tmp_path, path) != 0)
    {
      errsv = errno;
      g_unlink (tmp_path);
      return set_io_error (error, errsv, "Cannot replace", path);
    }
  hv_crash_point ("save:renamed");

  return fsync_directory (dir, error);

fail_open:
  close (fd);
fail_closed:
  g_unlink (tmp_path);
  return set_io_error (error, errsv, "Cannot write", tmp_path);
}

static gboolean
set_too_large (GError     **error,
               const char  *path,
               guint64      size,
               gsize        max_size,
               gboolean    *out_too_large)
{
  if (out_too_large != NULL)
    *out_too_large = TRUE;
  if (size > 0)
    g_set_error (error, HV_ERROR, HV_ERROR_IO,
                 "%s is too large (%" G_GUINT64_FORMAT " bytes; the limit is %" G_GSIZE_FORMAT ")",
                 path, size, max_size);
  else
    g_set_error (error, HV_ERROR, HV_ERROR_IO,
                 "%s is too large (it grew past the limit of %" G_GSIZE_FORMAT " bytes)",
                 path, max_size);
  return FALSE;
}

gboolean
hv_file_read_capped_full (const char  *path,
                          gsize        max_size,
                          char       **contents,
                          gsize       *len,
                          gboolean    *out_too_large,
                          GError     **error)
{
  g_autofree char *buf = NULL;
  struct stat st;
  gsize alloc;
  gsize used = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (max_size < G_MAXSIZE - 1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_too_large != NULL)
    *out_too_large = FALSE;

  /* O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int errsv = errno;

      if (errsv == ENOENT)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "Cannot open %s: %s",
                       path, g_strerror (errsv));
          return FALSE;
        }
      return set_io_error (error, errsv, "Cannot open", path);
    }

  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;

      close (fd);
      return set_io_error (error, errsv, "Cannot read", path);
    }

  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read %s: not a regular file", path);
      return FALSE;
    }

  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      return set_too_large (error, path, (guint64) st.st_size, max_size, out_too_large);
    }

  /* Room for the expected size, one byte to notice growth, and the NUL. */
  alloc = (gsize) st.st_size + 2;
  buf = g_malloc (alloc);

  for (;;)
    {
      gssize n;

      if (used == alloc - 1)
        {
          if (used > max_size)
            break;
          alloc = MIN (MAX (alloc * 2, 4096), max_size + 2);
          buf = g_realloc (buf, alloc);
        }

      n = read (fd, buf + used, alloc - 1 - used);
      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          close (fd);
          return set_io_error (error, errsv, "Cannot read", path);
        }
      if (n == 0)
        break;
      used += (gsize) n;
    }

  close (fd);

  /* The file grew while we read it. */
  if (used > max_size)
    return set_too_large (error, path, 0, max_size, out_too_large);

  buf[used] = '\0';
  *contents = g_steal_pointer (&buf);
  if (len != NULL)
    *len = used;
  return TRUE;
}

gboolean
hv_file_read_capped (const char  *path,
                     gsize        max_size,
                     char       **contents,
                     gsize       *len,
                     GError     **error)
{
  return hv_file_read_capped_full (path, max_size, contents, len, NULL, error);
}
