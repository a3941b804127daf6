/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-tar.c: a ustar writer for OVA packages (see hv-export-tar.h). Only what an OVA
 * needs: regular files in one directory level, owner 0, mode 0644, the time of writing. */
#include "hv-export-tar.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-error.h"

#define BLOCK 512
#define RECORD (20 * BLOCK)          /* GNU tar's default record: the archive ends on one */
#define USTAR_MAX_SIZE 077777777777ULL

gboolean
hv_export_tar_name_is_valid (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  return len > 0 && len < 100 && name[0] != '.' && name[0] != '-'
         && strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
            == len;
}

static void
put_octal (char    *field,
           gsize    width,
           guint64  value)
{
  /* width - 1 digits, zero-padded, then NUL */
  g_snprintf (field, width, "%0*" G_GINT64_MODIFIER "o", (int) (width - 1), value);
}

/* The size field: octal up to 8 GiB - 1, else base-256 (the high bit of the first byte set,
 * the value big-endian in the rest). */
static void
put_size (char    *field,
          guint64  size)
{
  if (size <= USTAR_MAX_SIZE)
    {
      put_octal (field, 12, size);
      return;
    }
  memset (field, 0, 12);
  for (int i = 11; i >= 4; i--)
    {
      field[i] = (char) (size & 0xff);
      size >>= 8;
    }
  field[0] = (char) 0x80;
}

static void
make_header (char       *h,
             const char *name,
             guint64     size,
             gint64      mtime)
{
  guint sum = 0;

  memset (h, 0, BLOCK);
  memcpy (h, name, strlen (name));          /* name[100] */
  put_octal (h + 100, 8, 0644);             /* mode */
  put_octal (h + 108, 8, 0);                /* uid */
  put_octal (h + 116, 8, 0);                /* gid */
  put_size (h + 124, size);                 /* size[12] */
  put_octal (h + 136, 12, (guint64) MAX (mtime, 0));
  memset (h + 148, ' ', 8);                 /* chksum, as spaces while summing */
  h[156] = '0';                             /* typeflag: a regular file */
  memcpy (h + 257, "ustar", 6);             /* magic "ustar\0" */
  memcpy (h + 263, "00", 2);                /* version */
  memcpy (h + 265, "root", 4);              /* uname */
  memcpy (h + 297, "root", 4);              /* gname */
  for (guint i = 0; i < BLOCK; i++)
    sum += (guchar) h[i];
  g_snprintf (h + 148, 7, "%06o", sum);     /* six digits, NUL, then the space left there */
  h[155] = ' ';
}

static gboolean
write_all (int          fd,
           const char  *buf,
           gsize        len,
           const char  *path,
           GError     **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot write %s: %s", path,
                       g_strerror (saved));
          return FALSE;
        }
      buf += n;
      len -= n;
    }
  return TRUE;
}

/* Copies the member at @file (opened without following a link, a regular file) into @out. */
static gboolean
add_member (int                  out,
            const char          *path,
            const char          *file,
            const char          *name,
            gint64               mtime,
            guint64             *done,
            GCancellable        *cancellable,
            HvExportTarProgress  progress,
            gpointer             user_data,
            GError             **error)
{
  char header[BLOCK];
  g_autofree char *buf = g_malloc (1024 * 1024);
  struct stat st;
  guint64 left;
  int in;
  gboolean ok = FALSE;

  in = open (file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0 || fstat (in, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read %s: %s", file,
                   in >= 0 ? "not a regular file" : g_strerror (saved));
      if (in >= 0)
        close (in);
      return FALSE;
    }
  make_header (header, name, st.st_size, mtime);
  if (!write_all (out, header, BLOCK, path, error))
    goto out;
  for (left = st.st_size; left > 0;)
    {
      ssize_t n = read (in, buf, MIN (left, 1024 * 1024));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read %s: %s", file,
                       n == 0 ? "it became shorter" : g_strerror (saved));
          goto out;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !write_all (out, buf, n, path, error))
        goto out;
      left -= n;
      *done += n;
      if (progress != NULL)
        progress (*done, user_data);
    }
  if (st.st_size % BLOCK != 0)
    {
      memset (buf, 0, BLOCK);
      if (!write_all (out, buf, BLOCK - st.st_size % BLOCK, path, error))
        goto out;
    }
  ok = TRUE;
out:
  close (in);
  return ok;
}

gboolean
hv_export_tar_write (const char          *path,
                     const char * const  *files,
                     const char * const  *names,
                     GCancellable        *cancellable,
                     HvExportTarProgress  progress,
                     gpointer             user_data,
                     GError             **error)
{
  gint64 mtime = g_get_real_time () / G_USEC_PER_SEC;
  char zeros[BLOCK] = { 0, };
  guint64 done = 0;
  off_t end;
  int out;

  for (guint i = 0; files[i] != NULL; i++)
    if (names[i] == NULL || !hv_export_tar_name_is_valid (names[i]))
      {
        g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                     "\"%s\" cannot be an archive member's name", names[i] ? names[i] : "");
        return FALSE;
      }
  out = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (out < 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, saved == EEXIST ? HV_ERROR_EXISTS : HV_ERROR_IO,
                   "Cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; files[i] != NULL; i++)
    if (!add_member (out, path, files[i], names[i], mtime, &done, cancellable, progress,
                     user_data, error))
      goto fail;
  /* Two zero blocks end the archive; zeros up to the end of the record. */
  if (!write_all (out, zeros, BLOCK, path, error) || !write_all (out, zeros, BLOCK, path, error))
    goto fail;
  end = lseek (out, 0, SEEK_CUR);
  while (end >= 0 && end % RECORD != 0)
    {
      if (!write_all (out, zeros, BLOCK, path, error))
        goto fail;
      end += BLOCK;
    }
  if (fsync (out) != 0 || close (out) != 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot write %s: %s", path,
                   g_strerror (saved));
      g_unlink (path);
      return FALSE;
    }
  return TRUE;

fail:
  close (out);
  g_unlink (path);
  return FALSE;
}
