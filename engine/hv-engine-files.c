/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-files.c: see hv-engine-files.h. */
#include "hv-engine-files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-engine.h"
#include "hv-error.h"

/* The error for @saved_errno while reading @path, as the contract says. */
static void
set_errno_error (GError    **error,
                 int         saved_errno,
                 const char *path)
{
  if (saved_errno == ENOENT || saved_errno == ENOTDIR)
    g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "%s: no such folder", path);
  else if (saved_errno == EACCES || saved_errno == EPERM)
    g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "%s: permission denied", path);
  else
    g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "Cannot read %s: %s", path,
                 g_strerror (saved_errno));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names in @dir (closed), sorted, without "." and "..", hidden ones only when @hidden. */
static GPtrArray *
read_names (DIR       *dir,
            gboolean   hidden,
            const char *path,
            GError   **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (;;)
    {
      struct dirent *entry;

      errno = 0;
      entry = readdir (dir);
      if (entry == NULL)
        {
          if (errno != 0)
            {
              set_errno_error (error, errno, path);
              return NULL;
            }
          break;
        }
      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      if (!hidden && entry->d_name[0] == '.')
        continue;
      if (!g_utf8_validate (entry->d_name, -1, NULL))
        continue;
      g_ptr_array_add (names, g_strdup (entry->d_name));
    }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

GVariant *
hv_list_directory (const char *path,
                   gboolean    hidden,
                   guint       max_entries,
                   char      **resolved,
                   GError    **error)
{
  g_autofree char *real = NULL;
  g_autoptr(GPtrArray) names = NULL;
  GVariantBuilder builder;
  const char *wanted;
  struct stat st;
  DIR *dir;
  int fd;

  if (path == NULL || *path == '\0')
    wanted = g_get_home_dir ();
  else
    wanted = path;
  if (strlen (wanted) > HV_LIST_DIRECTORY_MAX_PATH)
    return hv_refuse (error, "The path is longer than %d bytes", HV_LIST_DIRECTORY_MAX_PATH),
           NULL;
  if (!g_path_is_absolute (wanted))
    return hv_refuse (error, "%s is not an absolute path", wanted), NULL;
  real = realpath (wanted, NULL);
  if (real == NULL)
    {
      set_errno_error (error, errno, wanted);
      return NULL;
    }
  if (!g_utf8_validate (real, -1, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "%s resolves to a path that is not UTF-8",
                   wanted);
      return NULL;
    }
  fd = open (real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      if (saved == ENOTDIR)
        return hv_refuse (error, "%s is not a folder", wanted), NULL;
      set_errno_error (error, saved, wanted);
      return NULL;
    }
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      set_errno_error (error, errno, wanted);
      close (fd);
      return NULL;
    }
  names = read_names (dir, hidden, wanted, error);
  if (names == NULL)
    {
      closedir (dir);
      return NULL;
    }

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sstx)"));
  for (guint i = 0; i < names->len && i < max_entries; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      const char *kind = "other";
      guint64 size = 0;
      gint64 mtime = 0;

      /* Links are followed: a link to a folder is a folder; a dangling one is "other". */
      if (fstatat (dirfd (dir), name, &st, 0) == 0
          || fstatat (dirfd (dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          if (S_ISDIR (st.st_mode))
            kind = "directory";
          else if (S_ISREG (st.st_mode))
            {
              kind = "file";
              size = (guint64) st.st_size;
            }
          mtime = (gint64) st.st_mtime;
        }
      g_variant_builder_add (&builder, "(sstx)", name, kind, size, mtime);
    }
  closedir (dir);
  if (resolved != NULL)
    *resolved = g_steal_pointer (&real);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

typedef struct
{
  char    *path;
  gboolean hidden;
} ListRequest;

static void
list_request_free (gpointer data)
{
  ListRequest *request = data;

  g_free (request->path);
  g_free (request);
}

static void
list_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ListRequest *request = task_data;
  g_autofree char *resolved = NULL;
  GError *error = NULL;
  g_autoptr(GVariant) entries = hv_list_directory (request->path, request->hidden,
                                                   HV_LIST_DIRECTORY_MAX_ENTRIES, &resolved,
                                                   &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_variant_new ("(s@a(sstx))", resolved, entries),
                           (GDestroyNotify) g_variant_unref);
}

static void
on_listed (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  GError *error = NULL;
  GVariant *reply = g_task_propagate_pointer (G_TASK (result), &error);

  if (reply == NULL)
    g_dbus_method_invocation_take_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, reply);
}

static gboolean
handle_list_directory (HvDbusEngine          *skeleton,
                       GDBusMethodInvocation *invocation,
                       const char            *path,
                       GVariant              *options,
                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GVariant) hidden_value = g_variant_lookup_value (options, "hidden", NULL);
  ListRequest *request;

  if (strlen (path) > HV_LIST_DIRECTORY_MAX_PATH)
    {
      hv_engine_reply (invocation, FALSE,
                       g_error_new (HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                    "The path is longer than %d bytes",
                                    HV_LIST_DIRECTORY_MAX_PATH));
      return TRUE;
    }
  if (hidden_value != NULL && !g_variant_is_of_type (hidden_value, G_VARIANT_TYPE_BOOLEAN))
    {
      hv_engine_reply (invocation, FALSE,
                       g_error_new_literal (HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                            "The option \"hidden\" is a boolean"));
      return TRUE;
    }
  request = g_new0 (ListRequest, 1);
  request->path = g_strdup (path);
  request->hidden = hidden_value != NULL && g_variant_get_boolean (hidden_value);
  task = g_task_new (NULL, NULL, on_listed, invocation);
  g_task_set_source_tag (task, handle_list_directory);
  g_task_set_task_data (task, request, list_request_free);
  g_task_run_in_thread (task, list_thread);
  return TRUE;
}

void
hv_engine_files_register (HvDbusEngine *skeleton)
{
  g_signal_connect (skeleton, "handle-list-directory", G_CALLBACK (handle_list_directory),
                    NULL);
}
