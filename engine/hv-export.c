/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export.c: Vm.Export (see hv-export.h): the plan, the qemu-img conversions, then the
 * descriptor, manifest and archive in a thread, and the move into place. */
#include "hv-export.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-qemu-img-output.h"
#include "hv-export-libvirt.h"
#include "hv-export-ovf.h"
#include "hv-export-tar.h"
#include "hv-fileutil.h"
#include "hv-vm-clone.h"
#include "hv-vm-snapshots.h"

#define SNAPSHOT_TAG_PREFIX "hv-"
#define WORK_PREFIX ".hv-export-"
/* In the VM's directory while an export runs: the path of its work directory, so that the
 * next engine removes what a killed one left beside the target (hv_vm_export_clean_leftovers). */
#define WORK_JOURNAL "export-work"
#define MAX_COPY_SIZE (G_GUINT64_CONSTANT (1) << 30)   /* kernel, initrd, nvram */

static guint n_running;

gboolean
hv_export_format_from_string (const char     *text,
                              HvExportFormat *out)
{
  if (g_strcmp0 (text, "ova") == 0)
    *out = HV_EXPORT_OVA;
  else if (g_strcmp0 (text, "ovf") == 0)
    *out = HV_EXPORT_OVF;
  else if (g_strcmp0 (text, "libvirt") == 0)
    *out = HV_EXPORT_LIBVIRT;
  else
    return FALSE;
  return TRUE;
}

guint
hv_vm_export_n_running (void)
{
  return n_running;
}

typedef struct {
  char **argv;
  gboolean reports;
} Step;

typedef struct {
  HvVm *vm;                 /* owned */
  HvExportFormat format;
  HvVmConfig *config;       /* the exported state's */
  char *state_dir;          /* where its nvram.fd is */
  char *path;               /* the target */
  char *dir;                /* the target's directory */
  char *stem;               /* member names: STEM.ovf, STEM.mf, STEM-diskN.vmdk */
  char *work;               /* DIR/.hv-export-XXXXXX, NULL once gone */
  gboolean journaled;       /* WORK_JOURNAL in the VM's directory names it */
  GPtrArray *steps;         /* Step* */
  guint next_step;
  guint n_reporting;
  guint n_reported;
  gboolean busy;
  double weight;            /* the conversions' share of the progress */
  gint thread_permille;     /* the thread's progress, atomic */
  guint poll_id;
  GPtrArray *warnings;      /* char* */
  GPtrArray *disks;         /* HvOvfDisk* (OVA, OVF) */
  char **drive_files;       /* per drive, libvirt: the file name in the directory or NULL */
  gboolean kvm;
  GPtrArray *moved;         /* char*: what the OVF's move put in place (removed on failure) */
} ExportData;

static void
step_free (Step *step)
{
  g_strfreev (step->argv);
  g_free (step);
}

static void
remove_work (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  /* Only the files the export made: no directories, no links followed. */
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static char *
journal_path (HvVm *vm)
{
  return g_build_filename (hv_vm_get_dir (vm), WORK_JOURNAL, NULL);
}

void
hv_vm_export_clean_leftovers (HvVm *vm)
{
  g_autofree char *journal = journal_path (vm);
  g_autofree char *work = NULL;
  g_autofree char *base = NULL;
  struct stat st;

  if (!g_file_get_contents (journal, &work, NULL, NULL))
    return;
  g_strchomp (work);
  base = g_path_get_basename (work);
  /* Only what an export made: an absolute path to a real directory (no link) of ours. */
  if (g_path_is_absolute (work) && g_str_has_prefix (base, WORK_PREFIX) &&
      lstat (work, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == getuid ())
    {
      remove_work (work);
      hv_vm_log (vm, "export: removed %s, left by an export that did not end", work);
    }
  g_unlink (journal);
}

static void
export_data_free (ExportData *data)
{
  if (data->poll_id != 0)
    g_source_remove (data->poll_id);
  if (data->work != NULL)
    remove_work (data->work);
  if (data->journaled)
    {
      g_autofree char *journal = journal_path (data->vm);

      g_unlink (journal);
    }
  if (data->busy)
    {
      hv_vm_operation_end (data->vm);
      n_running--;
    }
  g_clear_object (&data->vm);
  g_clear_pointer (&data->config, hv_vm_config_free);
  g_free (data->state_dir);
  g_free (data->path);
  g_free (data->dir);
  g_free (data->stem);
  g_free (data->work);
  g_clear_pointer (&data->steps, g_ptr_array_unref);
  g_clear_pointer (&data->warnings, g_ptr_array_unref);
  g_clear_pointer (&data->disks, g_ptr_array_unref);
  g_strfreev (data->drive_files);
  g_clear_pointer (&data->moved, g_ptr_array_unref);
  g_free (data);
}

/* Everything made goes before the caller hears of it. */
static void
export_fail (GTask  *task,
             GError *error)
{
  ExportData *data = g_task_get_task_data (task);

  hv_vm_log (data->vm, "export failed: %s", error->message);
  if (data->poll_id != 0)
    {
      g_source_remove (data->poll_id);
      data->poll_id = 0;
    }
  for (guint i = 0; data->moved != NULL && i < data->moved->len; i++)
    g_unlink (g_ptr_array_index (data->moved, i));
  if (data->work != NULL)
    {
      remove_work (data->work);
      g_clear_pointer (&data->work, g_free);
    }
  if (data->busy)
    {
      hv_vm_operation_end (data->vm);
      n_running--;
      data->busy = FALSE;
    }
  g_task_return_error (task, error);
}

static GError *
cancelled_error (void)
{
  return g_error_new (HV_ERROR, HV_ERROR_FAILED, "The export was cancelled");
}

/* ----------------------------------------------------------------------------
 * Checks and the plan
 */

/* qemu-img info --output=json -f FORMAT @path (the header only): the parsed object, or NULL
 * with @error set. */
static JsonObject *
image_info (const char  *qemu_img,
            const char  *path,
            const char  *format,
            gboolean     shared,
            JsonParser  *parser,
            GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *shown = hv_config_escape_for_display (path);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, hv_child_die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, error, qemu_img, "info", "--output=json",
                                         "-f", format, shared ? "-U" : "--", path, NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return NULL;
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED, "Cannot read %s as a %s image: %s",
                   shown, format, err != NULL ? g_strstrip (err) : "");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, out, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "qemu-img info gave no answer for %s", shown);
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static Step *
add_step (ExportData *data,
          gboolean    reports,
          const char *first,
          ...)
{
  Step *step = g_new0 (Step, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    if (a[0] != '\0')   /* "" leaves an optional argument out */
      g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  step->argv = (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
  step->reports = reports;
  if (reports)
    data->n_reporting++;
  g_ptr_array_add (data->steps, step);
  return step;
}

/* HOSTVISOR_EXPORT_RATE_LIMIT: the most bytes per second a conversion reads ("200M": a
 * number and an optional K, M or G; qemu-img convert -r), for a host whose VMs must keep
 * their disk bandwidth, and for tests that need an export to last. Else "": no limit. */
static const char *
rate_limit (void)
{
  const char *env = g_getenv ("HOSTVISOR_EXPORT_RATE_LIMIT");
  gsize digits = env != NULL ? strspn (env, "0123456789") : 0;

  if (digits == 0 || digits > 12)
    return "";
  if (env[digits] != '\0' && (strchr ("KMG", env[digits]) == NULL || env[digits + 1] != '\0'))
    return "";
  return env;
}

/* The conversion of drive @index, if it is exported. */
static gboolean
plan_drive (ExportData  *data,
            const char  *qemu_img,
            guint        index,
            const char  *tag,
            gboolean     shared,
            GError     **error)
{
  const HvDrive *drive = g_ptr_array_index (data->config->drives, index);
  gboolean writable = !drive->readonly && drive->kind != HV_DRIVE_CDROM;
  g_autofree char *source = NULL;
  g_autofree char *json = NULL;
  g_autofree char *snapshot_opt = NULL;
  g_autofree char *name = NULL;
  g_autofree char *target = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *fmt = drive->format == HV_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
  JsonObject *info;

  if (drive->path == NULL || drive->kind == HV_DRIVE_CDROM)
    return TRUE;   /* media are not exported: the writers say so */
  if (drive->kind == HV_DRIVE_FLOPPY && data->format != HV_EXPORT_LIBVIRT)
    return TRUE;
  source = g_path_is_absolute (drive->path)
           ? g_strdup (drive->path) : g_build_filename (hv_vm_get_dir (data->vm), drive->path,
                                                        NULL);
  shown = hv_config_escape_for_display (source);
  if (writable && drive->format == HV_DISK_FORMAT_RAW && (shared || tag != NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "drive %u: %s is a raw image, which snapshots do not hold: export the "
                   "current state of the powered-off VM instead", index + 1, shown);
      return FALSE;
    }
  info = image_info (qemu_img, source, fmt, shared, parser, error);
  if (info == NULL)
    return FALSE;
  if (json_object_has_member (info, "backing-filename")
      && (drive->format != HV_DISK_FORMAT_QCOW2 || drive->backing == NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "drive %u: the image %s names a backing file that Hostvisor did not set; it "
                   "is never followed, so the image cannot be exported", index + 1, shown);
      return FALSE;
    }
  json = hv_clone_image_json (source, drive->format,
                     drive->format == HV_DISK_FORMAT_QCOW2 ? drive->backing : NULL);
  if (tag != NULL && writable && drive->format == HV_DISK_FORMAT_QCOW2)
    snapshot_opt = g_strdup_printf ("snapshot.name=%s", tag);

  if (data->format == HV_EXPORT_LIBVIRT)
    {
      gboolean floppy = drive->kind == HV_DRIVE_FLOPPY;

      name = g_strdup_printf ("%s%u.%s", floppy ? "floppy" : "disk", index + 1,
                              floppy ? "img" : "qcow2");
      target = g_build_filename (data->work, name, NULL);
      add_step (data, TRUE, qemu_img, "convert", "-p", shared ? "-U" : "",
                rate_limit ()[0] != '\0' ? "-r" : "", rate_limit (), "-O",
                floppy ? "raw" : "qcow2", snapshot_opt != NULL ? "-l" : "",
                snapshot_opt != NULL ? snapshot_opt : "", json, target, NULL);
      data->drive_files[index] = g_steal_pointer (&name);
    }
  else
    {
      HvOvfDisk *disk = g_new0 (HvOvfDisk, 1);

      disk->drive_index = index;
      disk->href = g_strdup_printf ("%s-disk%u.vmdk", data->stem, data->disks->len + 1);
      target = g_build_filename (data->work, disk->href, NULL);
      g_ptr_array_add (data->disks, disk);
      add_step (data, TRUE, qemu_img, "convert", "-p", shared ? "-U" : "",
                rate_limit ()[0] != '\0' ? "-r" : "", rate_limit (), "-O", "vmdk",
                "-o", "subformat=streamOptimized", snapshot_opt != NULL ? "-l" : "",
                snapshot_opt != NULL ? snapshot_opt : "", json, target, NULL);
    }
  return TRUE;
}

/* The member-name stem: the target's file name without its extension, with everything but
 * [A-Za-z0-9._-] made '_' (a user's name never becomes a member name as it is). */
static char *
make_stem (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  GString *stem = g_string_new (NULL);

  if (dot != NULL && dot != base)
    *dot = '\0';
  for (const char *p = base; *p != '\0' && stem->len < 64; p++)
    g_string_append_c (stem, g_ascii_isalnum (*p) || *p == '.' || *p == '_' || *p == '-'
                             ? *p : '_');
  while (stem->len > 0 && (stem->str[0] == '.' || stem->str[0] == '-'))
    g_string_erase (stem, 0, 1);
  if (stem->len == 0)
    g_string_append (stem, "vm");
  return g_string_free (stem, FALSE);
}

/* The target is free: nothing there, not even a dangling link. */
static gboolean
check_free (const char  *path,
            GError     **error)
{
  struct stat st;

  if (lstat (path, &st) == 0 || errno != ENOENT)
    {
      g_autofree char *shown = hv_config_escape_for_display (path);

      g_set_error (error, HV_ERROR, HV_ERROR_EXISTS, "%s exists already", shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_target (ExportData  *data,
              GError     **error)
{
  g_autofree char *shown = hv_config_escape_for_display (data->path);
  g_autofree char *base = g_path_get_basename (data->path);
  struct stat st;

  if (!g_path_is_absolute (data->path) || g_str_has_suffix (data->path, "/")
      || g_str_equal (base, ".") || g_str_equal (base, ".."))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not an absolute path to a new file or directory", shown);
      return FALSE;
    }
  if (stat (data->dir, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_autofree char *dir_shown = hv_config_escape_for_display (data->dir);

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "%s is not a directory", dir_shown);
      return FALSE;
    }
  if (data->format == HV_EXPORT_OVF)
    {
      g_autofree char *mf = NULL;

      if (!g_str_has_suffix (base, ".ovf") || !hv_export_tar_name_is_valid (base))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "\"%s\": an OVF's file name ends in .ovf and has only letters, digits, "
                       "'.', '_' and '-' (its manifest names it)", shown);
          return FALSE;
        }
      mf = g_strdup_printf ("%s/%s.mf", data->dir, data->stem);
      if (!check_free (mf, error))
        return FALSE;
      for (guint i = 1; i <= data->config->drives->len; i++)
        {
          g_autofree char *disk = g_strdup_printf ("%s/%s-disk%u.vmdk", data->dir, data->stem,
                                                   i);

          if (!check_free (disk, error))
            return FALSE;
        }
    }
  return check_free (data->path, error);
}

/* ----------------------------------------------------------------------------
 * The conversions
 */

static void run_next_step (GTask *task);

static void
set_progress (ExportData *data,
              double      fraction)
{
  hv_vm_operation_set_progress (data->vm, CLAMP (fraction, 0, 1));
}

static void
on_step_progress (double   fraction,
                  gpointer user_data)
{
  ExportData *data = user_data;

  if (data->n_reporting > 0)
    set_progress (data, data->weight * (data->n_reported + fraction) / data->n_reporting);
}

static void
on_step_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  Step *step = g_ptr_array_index (data->steps, data->next_step - 1);
  GError *error = NULL;

  if (!hv_qemu_img_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          error = cancelled_error ();
        }
      else
        g_prefix_error (&error, "qemu-img %s failed: ", step->argv[1]);
      export_fail (task, error);
      return;
    }
  if (step->reports && data->n_reporting > 0)
    {
      data->n_reported++;
      set_progress (data, data->weight * data->n_reported / data->n_reporting);
    }
  run_next_step (g_steal_pointer (&task));
}

/* ----------------------------------------------------------------------------
 * The last part, in a thread: descriptor, manifest, archive, and the move into place
 */

typedef struct {
  ExportData *data;
  guint64 done;
  guint64 total;
} ThreadProgress;

static void
thread_progress (ThreadProgress *p,
                 guint64         done)
{
  guint permille = p->total > 0 ? (guint) (MIN (done, p->total) * 1000 / p->total) : 0;

  g_atomic_int_set (&p->data->thread_permille, (gint) permille);
}

static void
on_tar_progress (guint64  done,
                 gpointer user_data)
{
  ThreadProgress *p = user_data;

  thread_progress (p, p->done + done);
}

static gboolean
file_size (const char *path,
           guint64    *size,
           GError    **error)
{
  struct stat st;

  if (lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s is missing or not a regular file", path);
      return FALSE;
    }
  *size = st.st_size;
  return TRUE;
}

static char *
sha256_file (const char      *path,
             ThreadProgress  *p,
             GCancellable    *cancellable,
             GError         **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (1024 * 1024);
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  ssize_t n;

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read %s: %s", path,
                   g_strerror (saved));
      return NULL;
    }
  while ((n = read (fd, buf, 1024 * 1024)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read %s: %s", path,
                       g_strerror (saved));
          return NULL;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return NULL;
        }
      g_checksum_update (sum, buf, n);
      p->done += n;
      thread_progress (p, p->done);
    }
  close (fd);
  return g_strdup (g_checksum_get_string (sum));
}

/* A file made in the work directory moved to @to, never over anything there. */
static gboolean
move_into_place (const char  *from,
                 const char  *to,
                 gboolean     is_dir,
                 GError     **error)
{
  int saved;

  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return TRUE;
  saved = errno;
  if (saved == EINVAL || saved == ENOSYS)
    {
      /* A file system without RENAME_NOREPLACE. */
      if (!is_dir && link (from, to) == 0)
        {
          g_unlink (from);
          return TRUE;
        }
      if (is_dir && check_free (to, NULL) && g_rename (from, to) == 0)
        return TRUE;
      saved = errno;
    }
  g_set_error (error, HV_ERROR, saved == EEXIST ? HV_ERROR_EXISTS : HV_ERROR_IO,
               "Cannot create %s: %s", to, g_strerror (saved));
  return FALSE;
}

static gboolean
copy_file_capped (const char  *from,
                  const char  *to,
                  GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  return hv_file_read_capped (from, MAX_COPY_SIZE, &contents, &len, error)
         && hv_file_replace_contents (to, contents, len, 0644, FALSE, error);
}

static gboolean
finish_ovf (ExportData    *data,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  g_autofree char *ovf_name = g_strdup_printf ("%s.ovf", data->stem);
  g_autofree char *mf_name = g_strdup_printf ("%s.mf", data->stem);
  g_autofree char *ovf_path = g_build_filename (data->work, ovf_name, NULL);
  g_autofree char *mf_path = g_build_filename (data->work, mf_name, NULL);
  g_autofree char *ovf = NULL;
  g_autofree char *manifest_ovf_name = NULL;
  g_autoptr(GString) manifest = g_string_new (NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  ThreadProgress p = { data, 0, 0 };
  char *sum;

  /* The disks' sizes, file and virtual */
  for (guint i = 0; i < data->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (data->disks, i);
      g_autofree char *path = g_build_filename (data->work, disk->href, NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *info;

      if (!file_size (path, &disk->file_size, error))
        return FALSE;
      info = image_info (qemu_img, path, "vmdk", FALSE, parser, error);
      if (info == NULL)
        return FALSE;
      disk->capacity = json_object_get_int_member_with_default (info, "virtual-size", 0);
      p.total += disk->file_size * (data->format == HV_EXPORT_OVA ? 2 : 1);
    }

  ovf = hv_export_ovf_write (data->config, data->disks, data->warnings);
  if (!hv_file_replace_contents (ovf_path, ovf, strlen (ovf), 0644, FALSE, error))
    return FALSE;
  p.total += strlen (ovf) * (data->format == HV_EXPORT_OVA ? 2 : 1);

  /* The manifest: the descriptor, then the disks; in an OVF the .ovf is the user's file. */
  manifest_ovf_name = data->format == HV_EXPORT_OVF ? g_path_get_basename (data->path)
                                                    : g_strdup (ovf_name);
  sum = sha256_file (ovf_path, &p, cancellable, error);
  if (sum == NULL)
    return FALSE;
  g_string_append_printf (manifest, "SHA256(%s)= %s\n", manifest_ovf_name, sum);
  g_free (sum);
  for (guint i = 0; i < data->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (data->disks, i);
      g_autofree char *path = g_build_filename (data->work, disk->href, NULL);

      sum = sha256_file (path, &p, cancellable, error);
      if (sum == NULL)
        return FALSE;
      g_string_append_printf (manifest, "SHA256(%s)= %s\n", disk->href, sum);
      g_free (sum);
    }
  if (!hv_file_replace_contents (mf_path, manifest->str, manifest->len, 0644, FALSE, error))
    return FALSE;

  if (data->format == HV_EXPORT_OVA)
    {
      g_autofree char *ova = g_build_filename (data->work, "package.ova", NULL);

      /* OVF 1.0: the descriptor first, then the disks in the order the References list
       * them, then the manifest. */
      g_ptr_array_add (files, g_strdup (ovf_path));
      g_ptr_array_add (names, ovf_name);
      for (guint i = 0; i < data->disks->len; i++)
        {
          HvOvfDisk *disk = g_ptr_array_index (data->disks, i);

          g_ptr_array_add (files, g_build_filename (data->work, disk->href, NULL));
          g_ptr_array_add (names, disk->href);
        }
      g_ptr_array_add (files, g_strdup (mf_path));
      g_ptr_array_add (names, mf_name);
      g_ptr_array_add (files, NULL);
      g_ptr_array_add (names, NULL);
      if (!hv_export_tar_write (ova, (const char * const *) files->pdata,
                                (const char * const *) names->pdata, cancellable,
                                on_tar_progress, &p, error))
        return FALSE;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      return move_into_place (ova, data->path, FALSE, error);
    }

  /* OVF: the disks, the manifest, and the descriptor last (what names the others). */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (guint i = 0; i < data->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (data->disks, i);
      g_autofree char *from = g_build_filename (data->work, disk->href, NULL);
      g_autofree char *to = g_build_filename (data->dir, disk->href, NULL);

      if (!move_into_place (from, to, FALSE, error))
        return FALSE;
      g_ptr_array_add (data->moved, g_steal_pointer (&to));
    }
  {
    g_autofree char *to = g_build_filename (data->dir, mf_name, NULL);

    if (!move_into_place (mf_path, to, FALSE, error))
      return FALSE;
    g_ptr_array_add (data->moved, g_steal_pointer (&to));
  }
  return move_into_place (ovf_path, data->path, FALSE, error);
}

/* The process's umask, read without changing it (umask() would, for every thread): the
 * "Umask:" line of /proc/self/status; 022 where it cannot be read. */
static mode_t
process_umask (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (line = strstr (status, "\nUmask:\t")) != NULL)
    return (mode_t) g_ascii_strtoull (line + strlen ("\nUmask:\t"), NULL, 8) & 0777;
  return 022;
}

static gboolean
finish_libvirt (ExportData    *data,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autofree char *domain = NULL;
  g_autofree char *domain_path = g_build_filename (data->work, "domain.xml", NULL);
  g_autofree char *nvram_from = g_build_filename (data->state_dir, "nvram.fd", NULL);
  HvLibvirtExport export = { data->path, data->drive_files, NULL, NULL, NULL, 0, data->kvm };
  struct stat st;

  if (data->config->kernel != NULL)
    {
      g_autofree char *to = g_build_filename (data->work, "vmlinuz", NULL);

      if (!copy_file_capped (data->config->kernel, to, error))
        return FALSE;
      export.kernel_file = "vmlinuz";
      if (data->config->initrd != NULL)
        {
          g_autofree char *initrd_to = g_build_filename (data->work, "initrd.img", NULL);

          if (!copy_file_capped (data->config->initrd, initrd_to, error))
            return FALSE;
          export.initrd_file = "initrd.img";
        }
    }
  if (data->config->firmware == HV_FIRMWARE_UEFI && lstat (nvram_from, &st) == 0
      && S_ISREG (st.st_mode))
    {
      g_autofree char *to = g_build_filename (data->work, "nvram.fd", NULL);

      if (!copy_file_capped (nvram_from, to, error))
        return FALSE;
      export.nvram_file = "nvram.fd";
      export.nvram_size = st.st_size;
    }
  domain = hv_export_libvirt_domain (data->config, &export, data->warnings);
  if (!hv_file_replace_contents (domain_path, domain, strlen (domain), 0644, FALSE, error))
    return FALSE;
  /* The mode of any directory the user makes (0777 less the umask), not the work
   * directory's 0700: a system libvirt's QEMU may need to enter it. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (chmod (data->work, 0777 & ~process_umask ()) != 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot set the mode of %s: %s", data->work,
                   g_strerror (saved));
      return FALSE;
    }
  return move_into_place (data->work, data->path, TRUE, error);
}

static void
finish_thread (GTask        *thread_task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  GError *error = NULL;
  gboolean ok;

  if (data->format == HV_EXPORT_LIBVIRT)
    ok = finish_libvirt (data, cancellable, &error);
  else
    ok = finish_ovf (data, cancellable, &error);
  if (!ok)
    g_task_return_error (thread_task, error);
  else
    g_task_return_boolean (thread_task, TRUE);
}

static gboolean
poll_thread_progress (gpointer user_data)
{
  ExportData *data = user_data;

  set_progress (data, data->weight
                      + (1 - data->weight) * g_atomic_int_get (&data->thread_permille) / 1000.0);
  return G_SOURCE_CONTINUE;
}

static void
on_finished (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  GError *error = NULL;
  char **warnings;

  g_source_remove (data->poll_id);
  data->poll_id = 0;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          error = cancelled_error ();
        }
      export_fail (task, error);
      return;
    }
  /* In place: the work directory is gone (libvirt: it is the export now; OVA, OVF: its
   * files were moved out). */
  if (data->format == HV_EXPORT_LIBVIRT)
    g_clear_pointer (&data->work, g_free);
  else
    {
      remove_work (data->work);
      g_clear_pointer (&data->work, g_free);
    }
  g_ptr_array_set_size (data->moved, 0);
  hv_vm_log (data->vm, "exported (%s)",
             data->format == HV_EXPORT_OVA ? "ova" : data->format == HV_EXPORT_OVF ? "ovf"
             : "libvirt");
  set_progress (data, 1);
  hv_vm_operation_end (data->vm);
  n_running--;
  data->busy = FALSE;
  g_ptr_array_add (data->warnings, NULL);
  warnings = g_strdupv ((char **) data->warnings->pdata);
  g_task_return_pointer (task, warnings, (GDestroyNotify) g_strfreev);
}

static void
run_next_step (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  ExportData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  Step *step;

  if (g_cancellable_is_cancelled (cancellable))
    {
      export_fail (task, cancelled_error ());
      return;
    }
  if (data->next_step == data->steps->len)
    {
      GTask *thread_task = g_task_new (NULL, cancellable, on_finished, g_steal_pointer (&task));

      g_task_set_task_data (thread_task, data, NULL);
      g_task_set_check_cancellable (thread_task, FALSE);
      data->poll_id = g_timeout_add (200, poll_thread_progress, data);
      g_task_run_in_thread (thread_task, finish_thread);
      g_object_unref (thread_task);
      return;
    }
  step = g_ptr_array_index (data->steps, data->next_step++);
  hv_qemu_img_run_async ((const char * const *) step->argv, -1, -1, on_step_progress, data,
                         cancellable, on_step_done, g_steal_pointer (&task));
}

/* Whether the snapshot @id holds the running state too (Snapshots' "kind" is "live"). */
static gboolean
snapshot_is_live (HvVm       *vm,
                  const char *id)
{
  GVariant *list = hv_dbus_vm_get_snapshots (hv_vm_get_skeleton (vm));
  GVariantIter iter;
  GVariant *entry;
  gboolean live = FALSE;

  if (list == NULL)
    return FALSE;
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *entry_id = NULL;
      const char *kind = NULL;

      if (g_variant_lookup (entry, "id", "&s", &entry_id) && g_str_equal (entry_id, id)
          && g_variant_lookup (entry, "kind", "&s", &kind))
        live = g_str_equal (kind, "live");
      g_variant_unref (entry);
    }
  return live;
}

void
hv_vm_export_async (HvVm                *vm,
                    HvExportFormat       format,
                    const char          *path,
                    const char          *snapshot_id,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (vm, cancellable, callback, user_data);
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  g_autofree char *vm_name = NULL;
  g_autofree char *tag = NULL;
  gboolean shared;
  ExportData *data;
  GError *error = NULL;

  g_task_set_source_tag (task, hv_vm_export_async);
  /* A cancelled export says so itself ("The export was cancelled", after its clean-up),
   * not with GIO's error. */
  g_task_set_check_cancellable (task, FALSE);
  data = g_new0 (ExportData, 1);
  data->vm = g_object_ref (vm);
  data->format = format;
  data->path = g_strdup (path);
  data->dir = g_path_get_dirname (path);
  data->stem = make_stem (path);
  data->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  data->warnings = g_ptr_array_new_with_free_func (g_free);
  data->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_ovf_disk_free);
  data->moved = g_ptr_array_new_with_free_func (g_free);
  data->weight = format == HV_EXPORT_LIBVIRT ? 0.95 : 0.8;
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);

  if (snapshot_id != NULL && snapshot_id[0] == '\0')
    snapshot_id = NULL;
  if (hv_vm_get_config (vm) == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INACCESSIBLE,
                               "The VM cannot be used: its configuration cannot be read");
      return;
    }
  vm_name = hv_config_escape_for_display (hv_vm_get_name (vm));
  if (qemu_img == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                               "qemu-img is not installed: cannot export");
      return;
    }
  shared = hv_vm_is_active (vm);
  if (snapshot_id == NULL && shared)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" is running: power it off to export its current state, "
                               "or export one of its snapshots", vm_name);
      return;
    }
  data->config = hv_vm_load_state_config (vm, snapshot_id, &data->state_dir, &error);
  if (data->config == NULL
      || !hv_clone_check_backings (data->config, hv_vm_get_dir (vm), TRUE, &error)
      || !check_target (data, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!hv_vm_operation_begin (vm, "export", &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->busy = TRUE;
  n_running++;
  set_progress (data, 0);
  data->kvm = g_strcmp0 (hv_dbus_vm_get_accel (hv_vm_get_skeleton (vm)), "kvm") == 0
              && data->config->acceleration != HV_ACCELERATION_TCG;

  data->work = g_build_filename (data->dir, WORK_PREFIX "XXXXXX", NULL);
  if (g_mkdtemp_full (data->work, 0700) == NULL)
    {
      int saved = errno;

      g_clear_pointer (&data->work, g_free);
      export_fail (task, g_error_new (HV_ERROR, HV_ERROR_IO, "Cannot create a directory in "
                                      "%s: %s", data->dir, g_strerror (saved)));
      return;
    }
  {
    g_autofree char *journal = journal_path (vm);
    g_autofree char *line = g_strconcat (data->work, "\n", NULL);

    if (!hv_file_replace_contents (journal, line, strlen (line), 0600, FALSE, &error))
      {
        export_fail (task, error);
        return;
      }
    data->journaled = TRUE;
  }
  hv_crash_point ("export:working");
  if (snapshot_id != NULL && snapshot_is_live (vm, snapshot_id))
    g_ptr_array_add (data->warnings,
                     g_strdup ("The snapshot's running state (its memory) is not exported: the "
                               "VM starts from the snapshot's disks, as after a power cut"));
  if (snapshot_id == NULL && hv_dbus_vm_get_saved_state (hv_vm_get_skeleton (vm)))
    g_ptr_array_add (data->warnings,
                     g_strdup ("The VM's saved state (its memory) is not exported: the disks are "
                               "as they were when it was saved, as after a power cut"));
  data->drive_files = g_new0 (char *, data->config->drives->len + 1);
  tag = snapshot_id != NULL ? g_strconcat (SNAPSHOT_TAG_PREFIX, snapshot_id, NULL) : NULL;
  for (guint i = 0; i < data->config->drives->len; i++)
    if (!plan_drive (data, qemu_img, i, tag, shared, &error))
      {
        export_fail (task, error);
        return;
      }
  hv_vm_log (vm, "export (%s%s%s) started",
             format == HV_EXPORT_OVA ? "ova" : format == HV_EXPORT_OVF ? "ovf" : "libvirt",
             snapshot_id != NULL ? ", snapshot " : "", snapshot_id != NULL ? snapshot_id : "");
  run_next_step (g_steal_pointer (&task));
}

char **
hv_vm_export_finish (HvVm          *vm,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
