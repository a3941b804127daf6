/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-engine-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hv-error.h"

#define LOCK_NAME "engine.lock"
/* "PID\n": a few bytes are all that is read back. */
#define PID_TEXT_MAX 32

static void
set_io_error (GError    **error,
              const char *what,
              const char *path,
              int         saved_errno)
{
  g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s %s: %s", what, path, g_strerror (saved_errno));
}

/* The holder's process id as its engine wrote it, or 0 when it is not there (yet). */
static long
read_holder (int fd)
{
  char text[PID_TEXT_MAX + 1];
  ssize_t n = pread (fd, text, PID_TEXT_MAX, 0);
  char *end = NULL;
  long pid;

  if (n <= 0)
    return 0;
  text[n] = '\0';
  errno = 0;
  pid = strtol (text, &end, 10);
  if (errno != 0 || end == text || (*end != '\n' && *end != '\0') || pid <= 0)
    return 0;
  return pid;
}

int
hv_engine_lock_library (const char  *library_dir,
                        GError     **error)
{
  g_autofree char *path = g_build_filename (library_dir, LOCK_NAME, NULL);
  char text[PID_TEXT_MAX];
  struct stat st;
  int fd;
  int len;

  if (g_mkdir_with_parents (library_dir, 0700) != 0)
    {
      set_io_error (error, _("Cannot create the library directory"), library_dir, errno);
      return -1;
    }
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0)
    {
      set_io_error (error, _("Cannot open the library's lock"), path, errno);
      return -1;
    }
  /* Only a plain file of ours: never someone else's FIFO or device. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO,
                   _("The library's lock %s is not a file of this user's"), path);
      close (fd);
      return -1;
    }

  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;
      long holder;

      if (saved == EINTR)
        continue;
      if (saved != EWOULDBLOCK)
        {
          set_io_error (error, _("Cannot lock"), path, saved);
          close (fd);
          return -1;
        }
      holder = read_holder (fd);
      close (fd);
      if (holder > 0)
        g_set_error (error, HV_ERROR, HV_ERROR_BUSY,
                     /* Translators: %ld is a process id, %s a directory */
                     _("Another engine (process %ld) is already using the library %s; two "
                       "engines must never share a library, so this one does not start (the "
                       "other has another runtime directory: is XDG_RUNTIME_DIR set "
                       "differently in this session?)"), holder, library_dir);
      else
        g_set_error (error, HV_ERROR, HV_ERROR_BUSY,
                     _("Another engine is already using the library %s (it holds %s); two "
                       "engines must never share a library, so this one does not start"),
                     library_dir, path);
      return -1;
    }

  /* Ours now: our process id replaces a former engine's. On a full disk it may not fit: the
   * lock holds all the same (a second engine then cannot name us), and an engine must be able
   * to start there, so that VMs can be deleted. */
  len = g_snprintf (text, sizeof text, "%ld\n", (long) getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, text, (size_t) len, 0) != len)
    {
      int saved = errno;

      g_warning ("Cannot write the engine's pid into %s: %s", path, g_strerror (saved));
    }
  return fd;
}
