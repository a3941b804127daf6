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

/* What copy_file() reads whole: configs, the library index, UEFI variables. */
#define COPY_MAX_SIZE (256 * 1024 * 1024)

static gboolean
set_io_error (GError    **error,
              int         errsv,
              const char *what,
              const char *path)
{
  g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

static const char *
describe_file_type (mode_t mode)
{
  if (S_ISLNK (mode))
    return "a symbolic link";
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  return "of an unknown type";
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

  if (!hv_file_read_capped_full (src, COPY_MAX_SIZE, HV_FILE_READ_NOFOLLOW, &contents, &len,
                                 NULL, NULL, &local_error))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot keep the previous version of %s: %s",
                   src, local_error->message);
      return FALSE;
    }

  if (lstat (src, &st) != 0)
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
  struct stat st;
  int fd;
  int errsv = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* Hidden, so that a directory listing never shows a half-written file as a config.
   * hv_file_remove_stale_temps() knows this pattern: keep the two in step. */
  tmp_path = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);

  /* A link or a FIFO in the file's place was put there by someone else: replacing it
   * would hide that, and following it would write elsewhere. */
  if (lstat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot replace %s: it is %s, not a regular file",
                   path, describe_file_type (st.st_mode));
      return FALSE;
    }

  /* The mode is passed to open(), so the umask applies as for any new file. Errors name
   * the file being saved, not the hidden temporary that the user never asked for. */
  fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, mode);
  if (fd < 0)
    return set_io_error (error, errno, "Cannot write", path);

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
  return set_io_error (error, errsv, "Cannot write", path);
}

static gboolean
set_too_large (GError     **error,
               const char  *path,
               guint64      size,
               gsize        max_size,
               gboolean    *out_too_large,
               char       **out_reason)
{
  if (out_too_large != NULL)
    *out_too_large = TRUE;
  if (out_reason != NULL)
    *out_reason = g_strdup_printf ("is too large (the limit is %" G_GSIZE_FORMAT " bytes)",
                                   max_size);
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

/* Fails a read with `reason` (said after the path: "is …"), HV_ERROR_NOT_FOUND when
 * `not_found`, else HV_ERROR_IO. */
static gboolean
fail_read (GError    **error,
           char      **out_reason,
           gboolean    not_found,
           const char *path,
           char       *reason)
{
  g_set_error (error, HV_ERROR, not_found ? HV_ERROR_NOT_FOUND : HV_ERROR_IO,
               "Cannot read %s: it %s", path, reason);
  if (out_reason != NULL)
    *out_reason = reason;
  else
    g_free (reason);
  return FALSE;
}

/* Why open() failed on `path` (relative to dir_fd), in words for "PATH: it …". A failure
 * to open what is not a regular file says what it is instead. */
static char *
describe_open_failure (int         dir_fd,
                       const char *name,
                       int         errsv)
{
  struct stat st;

  if (errsv == ENOENT)
    return g_strdup ("does not exist");
  if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG (st.st_mode))
    {
      if (S_ISLNK (st.st_mode))
        return g_strdup ("is a symbolic link, which Hostvisor does not follow here");
      return g_strdup_printf ("is not a regular file (it is %s)", describe_file_type (st.st_mode));
    }
  return g_strdup_printf ("cannot be opened: %s", g_strerror (errsv));
}

gboolean
hv_file_read_capped_full (const char       *path,
                          gsize             max_size,
                          HvFileReadFlags   flags,
                          char            **contents,
                          gsize            *len,
                          gboolean         *out_too_large,
                          char            **out_reason,
                          GError          **error)
{
  g_autofree char *buf = NULL;
  g_autofree char *base = NULL;
  struct stat st;
  gsize alloc;
  gsize used = 0;
  int dir_fd = AT_FDCWD;
  int open_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (max_size < G_MAXSIZE - 1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_too_large != NULL)
    *out_too_large = FALSE;
  if (out_reason != NULL)
    *out_reason = NULL;

  if (flags & HV_FILE_READ_NOFOLLOW)
    open_flags |= O_NOFOLLOW;
  base = g_path_get_basename (path);
  if (flags & HV_FILE_READ_NOFOLLOW_DIR)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dir_fd < 0)
        {
          int errsv = errno;
          struct stat dir_st;
          char *why;

          gboolean have_st = lstat (dir, &dir_st) == 0;

          if (have_st && S_ISLNK (dir_st.st_mode))
            why = g_strdup ("is in a directory that is a symbolic link, which Hostvisor does "
                            "not follow here");
          else if (errsv == ENOENT)
            why = g_strdup ("is in a directory that does not exist");
          else if (have_st && !S_ISDIR (dir_st.st_mode))
            why = g_strdup_printf ("is in %s, which is not a directory", dir);
          else
            why = g_strdup_printf ("is in a directory that cannot be opened: %s",
                                   g_strerror (errsv));
          return fail_read (error, out_reason, errsv == ENOENT, path, why);
        }
    }

  /* O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file. */
  fd = openat (dir_fd, (flags & HV_FILE_READ_NOFOLLOW_DIR) ? base : path, open_flags);
  if (fd < 0)
    {
      int errsv = errno;
      char *why = describe_open_failure (dir_fd, (flags & HV_FILE_READ_NOFOLLOW_DIR) ? base : path,
                                         errsv);

      if (dir_fd >= 0)
        close (dir_fd);
      return fail_read (error, out_reason, errsv == ENOENT, path, why);
    }
  if (dir_fd >= 0)
    close (dir_fd);

  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;

      close (fd);
      return fail_read (error, out_reason, FALSE, path,
                        g_strdup_printf ("cannot be read: %s", g_strerror (errsv)));
    }

  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      return fail_read (error, out_reason, FALSE, path,
                        g_strdup_printf ("is not a regular file (it is %s)",
                                         describe_file_type (st.st_mode)));
    }

  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      return set_too_large (error, path, (guint64) st.st_size, max_size, out_too_large,
                            out_reason);
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
          return fail_read (error, out_reason, FALSE, path,
                            g_strdup_printf ("cannot be read: %s", g_strerror (errsv)));
        }
      if (n == 0)
        break;
      used += (gsize) n;
    }

  close (fd);

  /* The file grew while we read it. */
  if (used > max_size)
    return set_too_large (error, path, 0, max_size, out_too_large, out_reason);

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
  return hv_file_read_capped_full (path, max_size, HV_FILE_READ_DEFAULT, contents, len, NULL,
                                   NULL, error);
}

/* The name part that g_mkstemp() fills in: six of these. */
static gboolean
is_mkstemp_suffix (const char *text)
{
  for (guint i = 0; i < 6; i++)
    if (!g_ascii_isalnum (text[i]))
      return FALSE;
  return TRUE;
}

/* ".BASE.XXXXXX" or ".BASE.XXXXXX-prev" (see hv_file_replace_contents()). */
static gboolean
is_temp_name (const char *name,
              const char *base)
{
  gsize n = strlen (base);
  const char *rest;

  if (name[0] != '.' || strncmp (name + 1, base, n) != 0 || name[1 + n] != '.')
    return FALSE;
  rest = name + 1 + n + 1;
  if (strlen (rest) < 6 || !is_mkstemp_suffix (rest))
    return FALSE;
  return rest[6] == '\0' || g_str_equal (rest + 6, "-prev");
}

guint
hv_file_remove_stale_temps (const char         *dir,
                            const char * const *bases,
                            gint64              older_than)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint removed = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      gboolean ours = FALSE;
      struct stat st;

      for (guint i = 0; bases[i] != NULL && !ours; i++)
        ours = is_temp_name (name, bases[i]);
      if (!ours)
        continue;
      path = g_build_filename (dir, name, NULL);
      if (lstat (path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_mtime >= older_than)
        continue;
      if (g_unlink (path) == 0)
        removed++;
    }
  return removed;
}
