/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-clone.c: Vm.Clone and the bases of linked clones (see hv-vm-clone.h).
 *
 * A clone is a list of steps run one after the other, each a qemu-img run (GSubprocess, so
 * the engine's main loop and every other VM keep going) or a rename, then the new VM's
 * config is saved in its ".new-XXXXXX" directory and the directory registered by the
 * library (hv_library_register_vm()). Until then nothing of the clone is visible: the
 * directory is hidden, bases being exported are "bases/.new-*", and a base published for
 * the clone is kept from the collector (pending_bases) and removed again when the clone
 * fails. An engine that dies half way leaves only ".new-*" entries and unnamed bases, which
 * the next engine removes (hv_library_new() → hv_clone_collect_bases()). */
#include "hv-vm-clone.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-qemu-img-output.h"
#include "hv-fileutil.h"
#include "hv-vm-snapshots.h"

#define BASES_DIR "bases"
#define SNAPSHOT_TAG_PREFIX "hv-"
#define ORIGIN_SUFFIX ".origin"

/* Bases that clones in progress use (absolute path → how many): the collector leaves them. */
static GHashTable *pending_bases;

static void
pending_add (const char *base)
{
  guint n;

  if (pending_bases == NULL)
    pending_bases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (pending_bases, base));
  g_hash_table_insert (pending_bases, g_strdup (base), GUINT_TO_POINTER (n + 1));
}

static void
pending_remove (const char *base)
{
  guint n = pending_bases != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (pending_bases, base))
                                  : 0;

  if (n <= 1)
    {
      if (pending_bases != NULL)
        g_hash_table_remove (pending_bases, base);
    }
  else
    g_hash_table_insert (pending_bases, g_strdup (base), GUINT_TO_POINTER (n - 1));
}

/* Clones being made now. */
static guint n_running;

typedef struct {
  char **argv;             /* a qemu-img command; NULL: a rename done here */
  char *rename_from;       /* publish a base: rename to rename_to, made read-only */
  char *rename_to;
  char *origin;            /* what rename_to is an export of (see find_base_for()), or NULL */
  gboolean reports;        /* qemu-img -p: reports progress */
} CloneStep;

typedef struct {
  HvLibrary *library;      /* owned references */
  HvVm *source;
  HvVmConfig *config;      /* the new VM's */
  char *source_dir;        /* where the cloned state's relative paths point: the VM's directory */
  char *tmp_dir;           /* LIBRARY/vms/.new-XXXXXX; NULL once registered */
  GPtrArray *steps;        /* CloneStep*, owned */
  guint next_step;
  guint n_reporting;       /* steps that report progress */
  guint n_reported;        /* of those, finished */
  GPtrArray *bases;        /* char*: bases published for this clone */
  GPtrArray *base_temps;   /* char*: exports in progress (bases/.new-*) */
  GPtrArray *shared_bases; /* char*: bases exported before that the clone's overlays use */
  gboolean busy_marked;
  char *log_line;
  char *rate_limit;        /* qemu-img convert -r, from HOSTVISOR_CLONE_RATE_LIMIT, or "" */
} CloneData;

static void
clone_step_free (CloneStep *step)
{
  g_strfreev (step->argv);
  g_free (step->rename_from);
  g_free (step->rename_to);
  g_free (step->origin);
  g_free (step);
}

/* ----------------------------------------------------------------------------
 * The source's Operation: "clone", shared with snapshots (hv_vm_operation_begin()), so that
 * one long operation runs on a VM at a time.
 */

static void
set_progress (HvVm   *vm,
              double  progress)
{
  hv_vm_operation_set_progress (vm, progress);
}

static gboolean
begin_operation (HvVm    *vm,
                 GError **error)
{
  if (!hv_vm_operation_begin (vm, "clone", error))
    return FALSE;
  n_running++;
  set_progress (vm, 0);
  return TRUE;
}

static void
end_operation (HvVm *vm)
{
  hv_vm_operation_end (vm);
  n_running--;
}

guint
hv_vm_clone_n_running (void)
{
  return n_running;
}

/* ----------------------------------------------------------------------------
 * Bases
 */

static char *
library_of_vm_dir (const char *vm_dir)
{
  g_autofree char *vms = g_path_get_dirname (vm_dir);

  return g_path_get_dirname (vms);
}

static gboolean
is_base_name (const char *name)
{
  g_autofree char *uuid = NULL;

  if (!g_str_has_suffix (name, ".qcow2") || strlen (name) != 36 + strlen (".qcow2"))
    return FALSE;
  uuid = g_strndup (name, 36);
  return g_uuid_string_is_valid (uuid) && strspn (uuid, "0123456789abcdef-") == 36;
}

gboolean
hv_clone_check_backings (const HvVmConfig  *config,
                         const char        *vm_dir,
                         gboolean           at_start,
                         GError           **error)
{
  g_autofree char *library = NULL;
  g_autofree char *bases = NULL;

  for (guint i = 0; config->drives != NULL && i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);
      g_autofree char *dir = NULL;
      g_autofree char *name = NULL;
      g_autofree char *shown = NULL;
      struct stat st;

      if (drive->backing == NULL)
        continue;
      if (bases == NULL)
        {
          library = library_of_vm_dir (vm_dir);
          bases = g_build_filename (library, BASES_DIR, NULL);
        }
      dir = g_path_get_dirname (drive->backing);
      name = g_path_get_basename (drive->backing);
      shown = hv_config_escape_for_display (drive->backing);
      if (!g_str_equal (dir, bases) || !is_base_name (name))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                       "drive %u: the backing image \"%s\" was not made by Hostvisor (a linked "
                       "clone's base is %s/UUID.qcow2, set only by the engine); the VM cannot "
                       "use it", i + 1, shown, bases);
          return FALSE;
        }
      if (at_start && lstat (drive->backing, &st) != 0)
        {
          int saved = errno;

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                       "drive %u: the base image \"%s\" of this linked clone %s", i + 1, shown,
                       saved == ENOENT ? "is missing" : g_strerror (saved));
          return FALSE;
        }
      if (at_start && !S_ISREG (st.st_mode))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                       "drive %u: the base image \"%s\" of this linked clone is not a regular "
                       "file", i + 1, shown);
          return FALSE;
        }
    }
  return TRUE;
}

/* Add to @named the base file names that the file at @path mentions. */
static void
note_bases_named (const char *path,
                  GHashTable *named)
{
  g_autofree char *text = NULL;
  const char *p;

  if (!hv_file_read_capped (path, HV_CONFIG_MAX_SIZE, &text, NULL, NULL))
    return;
  /* Any mention counts, in a config that loads or not: a base is only removed when nothing
   * in the library could want it. */
  for (p = strstr (text, "/" BASES_DIR "/"); p != NULL; p = strstr (p + 1, "/" BASES_DIR "/"))
    {
      g_autofree char *name = g_strndup (p + strlen ("/" BASES_DIR "/"), 36 + strlen (".qcow2"));

      if (is_base_name (name))
        g_hash_table_add (named, g_steal_pointer (&name));
    }
}

static void
note_vm_dir (const char *vm_dir,
             GHashTable *named)
{
  g_autofree char *config = g_build_filename (vm_dir, "vm.xml", NULL);
  g_autofree char *kept = g_build_filename (vm_dir, "vm.xml.deleted", NULL);
  g_autofree char *snapshots = g_build_filename (vm_dir, "snapshots", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  note_bases_named (config, named);
  note_bases_named (kept, named);
  dir = g_dir_open (snapshots, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *snap_config = g_build_filename (snapshots, name, "vm.xml", NULL);

      note_bases_named (snap_config, named);
    }
}

void
hv_clone_collect_bases (const char *library_path,
                        gboolean    startup)
{
  g_autofree char *bases = g_build_filename (library_path, BASES_DIR, NULL);
  g_autofree char *vms = g_build_filename (library_path, "vms", NULL);
  g_autoptr(GHashTable) named = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GDir) vm_dirs = NULL;
  const char *name;
  struct stat st;

  if (lstat (bases, &st) != 0 || !S_ISDIR (st.st_mode))
    return;
  vm_dirs = g_dir_open (vms, 0, NULL);
  if (vm_dirs == NULL)
    return;   /* nothing can be known: keep everything */
  while ((name = g_dir_read_name (vm_dirs)) != NULL)
    {
      g_autofree char *vm_dir = g_build_filename (vms, name, NULL);

      /* A VM being cloned now (".new-*") names only the bases in pending_bases. */
      if (!g_str_has_prefix (name, ".new-"))
        note_vm_dir (vm_dir, named);
    }

  dir = g_dir_open (bases, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (bases, name, NULL);

      if (g_str_has_prefix (name, ".new-"))
        {
          if (startup)
            g_unlink (path);
          continue;
        }
      if (g_str_has_suffix (name, ORIGIN_SUFFIX))
        {
          /* A base's origin goes with it. */
          g_autofree char *base = g_strndup (path, strlen (path) - strlen (ORIGIN_SUFFIX));

          if (!g_file_test (base, G_FILE_TEST_EXISTS))
            g_unlink (path);
          continue;
        }
      if (!is_base_name (name) || g_hash_table_contains (named, name)
          || (pending_bases != NULL && g_hash_table_contains (pending_bases, path)))
        continue;
      g_message ("Removing the base image %s: no VM uses it any more", path);
      {
        g_autofree char *origin = g_strconcat (path, ORIGIN_SUFFIX, NULL);

        g_unlink (origin);
      }
      g_unlink (path);
    }
}

/* A snapshot's disk never changes while the snapshot exists (and its id is never used
 * again), so its export can serve every linked clone made from it: BASE.origin says where a
 * base came from ("VM-UUID SNAPSHOT-ID DRIVE-INDEX"). The current state changes, so an
 * export of it is never shared. Returns the base for @origin, or NULL. */
static char *
find_base_for (const char *bases,
               const char *origin)
{
  g_autoptr(GDir) dir = g_dir_open (bases, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      g_autofree char *base = NULL;
      struct stat st;

      if (!g_str_has_suffix (name, ORIGIN_SUFFIX) || g_str_has_prefix (name, ".new-"))
        continue;
      path = g_build_filename (bases, name, NULL);
      base = g_strndup (path, strlen (path) - strlen (ORIGIN_SUFFIX));
      if (!hv_file_read_capped (path, 4096, &text, NULL, NULL) || !g_str_equal (text, origin))
        continue;
      if (lstat (base, &st) == 0 && S_ISREG (st.st_mode))
        {
          g_autofree char *base_name = g_path_get_basename (base);

          if (is_base_name (base_name))
            return g_steal_pointer (&base);
        }
    }
  return NULL;
}

/* ----------------------------------------------------------------------------
 * Images
 */

/* The image at @path as qemu-img's json: filename: an explicit driver for the format and
 * the file, and as backing the base @backing (itself without one) or none at all, whatever
 * the image's header says. */
char *
hv_clone_image_json (const char   *path,
                     HvDiskFormat  format,
                     const char   *backing)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, format == HV_DISK_FORMAT_QCOW2 ? "qcow2" : "raw");
  json_builder_set_member_name (b, "file");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, "file");
  json_builder_set_member_name (b, "filename");
  json_builder_add_string_value (b, path);
  json_builder_end_object (b);
  if (format == HV_DISK_FORMAT_QCOW2)
    {
      json_builder_set_member_name (b, "backing");
      if (backing == NULL)
        json_builder_add_null_value (b);
      else
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "driver");
          json_builder_add_string_value (b, "qcow2");
          json_builder_set_member_name (b, "file");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "driver");
          json_builder_add_string_value (b, "file");
          json_builder_set_member_name (b, "filename");
          json_builder_add_string_value (b, backing);
          json_builder_end_object (b);
          json_builder_set_member_name (b, "backing");
          json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  return g_strconcat ("json:", text, NULL);
}

/* qemu-img info, which reads the header only (it never opens a backing file): whether
 * @path is a @format image whose header names no backing file, or one that @backing (the
 * base the config names) stands for. */
static gboolean
check_image_header (const char    *qemu_img,
                    guint          index,
                    const char    *path,
                    HvDiskFormat   format,
                    const char    *backing,
                    gboolean       shared,
                    GError       **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *shown = hv_config_escape_for_display (path);
  const char *fmt = format == HV_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
  JsonObject *info;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, hv_child_die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, error, qemu_img, "info", "--output=json",
                                         "-f", fmt, shared ? "-U" : "--", path, NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return FALSE;
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED, "drive %u: cannot read %s as a %s "
                   "image: %s", index + 1, shown, fmt, err != NULL ? g_strstrip (err) : "");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, out, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "drive %u: qemu-img info gave no answer for %s",
                   index + 1, shown);
      return FALSE;
    }
  info = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (info, "backing-filename") && backing == NULL)
    {
      g_autofree char *named = hv_config_escape_for_display (
        json_object_get_string_member_with_default (info, "backing-filename", ""));

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "drive %u: the image %s names a backing file (\"%s\") that Hostvisor did not "
                   "set; it is never followed, so the image cannot be cloned", index + 1, shown,
                   named);
      return FALSE;
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * The clone
 */

static void
remove_tmp_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  /* Only files the clone made: no directories, no links followed. */
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

/* The clone is over: what it held from the collector is let go; @failed: the bases it made
 * go too, unless another clone in progress has found them since. */
static void
release_bases (CloneData *data,
               gboolean   failed)
{
  for (guint i = 0; i < data->base_temps->len; i++)
    g_unlink (g_ptr_array_index (data->base_temps, i));
  g_ptr_array_set_size (data->base_temps, 0);
  for (guint i = 0; i < data->bases->len; i++)
    {
      const char *base = g_ptr_array_index (data->bases, i);

      if (failed && (pending_bases == NULL
                     || GPOINTER_TO_UINT (g_hash_table_lookup (pending_bases, base)) <= 1))
        {
          g_autofree char *origin = g_strconcat (base, ORIGIN_SUFFIX, NULL);

          g_unlink (origin);
          g_unlink (base);
        }
      pending_remove (base);
    }
  g_ptr_array_set_size (data->bases, 0);
  for (guint i = 0; i < data->shared_bases->len; i++)
    pending_remove (g_ptr_array_index (data->shared_bases, i));
  g_ptr_array_set_size (data->shared_bases, 0);
}

static void
clone_data_free (CloneData *data)
{
  if (data->busy_marked)
    end_operation (data->source);
  if (data->tmp_dir != NULL)
    remove_tmp_dir (data->tmp_dir);
  release_bases (data, data->tmp_dir != NULL);
  g_clear_object (&data->library);
  g_clear_object (&data->source);
  g_clear_pointer (&data->config, hv_vm_config_free);
  g_free (data->source_dir);
  g_free (data->tmp_dir);
  g_clear_pointer (&data->steps, g_ptr_array_unref);
  g_clear_pointer (&data->bases, g_ptr_array_unref);
  g_clear_pointer (&data->base_temps, g_ptr_array_unref);
  g_clear_pointer (&data->shared_bases, g_ptr_array_unref);
  g_free (data->log_line);
  g_free (data->rate_limit);
  g_free (data);
}

/* A failed clone: everything it made goes before the caller hears of it. */
static void
clone_fail (GTask  *task,
            GError *error)
{
  CloneData *data = g_task_get_task_data (task);

  hv_vm_log (data->source, "clone failed: %s", error->message);
  if (data->tmp_dir != NULL)
    {
      remove_tmp_dir (data->tmp_dir);
      g_clear_pointer (&data->tmp_dir, g_free);
    }
  release_bases (data, TRUE);
  if (data->busy_marked)
    {
      end_operation (data->source);
      data->busy_marked = FALSE;
    }
  g_task_return_error (task, error);
}

static void run_next_step (GTask *task);

static void
on_step_progress (double   fraction,
                  gpointer user_data)
{
  CloneData *data = user_data;

  if (data->n_reporting > 0)
    set_progress (data->source, (data->n_reported + fraction) / data->n_reporting);
}

static void
on_step_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CloneData *data = g_task_get_task_data (task);
  CloneStep *step = g_ptr_array_index (data->steps, data->next_step - 1);
  GError *error = NULL;

  if (!hv_qemu_img_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          error = g_error_new (HV_ERROR, HV_ERROR_FAILED, "The clone was cancelled");
        }
      else
        g_prefix_error (&error, "qemu-img %s failed: ", step->argv[1]);
      clone_fail (task, error);
      return;
    }
  if (step->reports && data->n_reporting > 0)
    {
      data->n_reported++;
      set_progress (data->source, (double) data->n_reported / data->n_reporting);
    }
  run_next_step (g_steal_pointer (&task));
}

static void
finish_clone (GTask *task)
{
  CloneData *data = g_task_get_task_data (task);
  GError *error = NULL;
  HvVm *vm;

  vm = hv_library_register_vm (data->library, data->tmp_dir, data->config, data->log_line,
                               &error);
  if (vm == NULL)
    {
      clone_fail (task, error);
      return;
    }
  g_clear_pointer (&data->tmp_dir, g_free);   /* the VM's now: its bases stay */
  release_bases (data, FALSE);
  hv_vm_log (data->source, "cloned to %s", hv_vm_get_uuid (vm));
  /* Over before the caller hears of it: a client that looks at once sees no operation. */
  end_operation (data->source);
  data->busy_marked = FALSE;
  g_task_return_pointer (task, g_object_ref (vm), g_object_unref);
}

/* Takes @owned_task. */
static void
run_next_step (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  CloneData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  CloneStep *step;
  guint index;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      clone_fail (task, g_error_new (HV_ERROR, HV_ERROR_FAILED, "The clone was cancelled"));
      return;
    }
  if (data->next_step == data->steps->len)
    {
      finish_clone (task);
      return;
    }
  step = g_ptr_array_index (data->steps, data->next_step++);

  if (step->argv == NULL)
    {
      /* Publish an exported base: read-only from now on, under its final name (kept from
       * the collector until the clone is registered or has failed). */
      if (chmod (step->rename_from, 0444) != 0 || g_rename (step->rename_from, step->rename_to) != 0)
        {
          int saved = errno;
          clone_fail (task, g_error_new (HV_ERROR, HV_ERROR_IO, "Cannot make the base image %s: "
                                         "%s", step->rename_to, g_strerror (saved)));
          return;
        }
      if (g_ptr_array_find_with_equal_func (data->base_temps, step->rename_from, g_str_equal,
                                            &index))
        g_ptr_array_remove_index (data->base_temps, index);
      g_ptr_array_add (data->bases, g_strdup (step->rename_to));
      if (step->origin != NULL)
        {
          g_autofree char *origin_path = g_strconcat (step->rename_to, ORIGIN_SUFFIX, NULL);

          /* Without it the base is only not shared: no reason to fail. */
          hv_file_replace_contents (origin_path, step->origin, strlen (step->origin), 0400,
                                    FALSE, NULL);
        }
      pending_add (step->rename_to);
      run_next_step (g_steal_pointer (&task));
      return;
    }

  cancellable = g_task_get_cancellable (task);   /* before the steal empties `task` */
  hv_qemu_img_run_async ((const char * const *) step->argv, -1, -1, on_step_progress, data,
                         cancellable, on_step_done, g_steal_pointer (&task));
}

static CloneStep *
add_step (CloneData  *data,
          gboolean    reports,
          const char *first,
          ...)
{
  CloneStep *step = g_new0 (CloneStep, 1);
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

/* The steps for drive @index of the cloned state (@drive, in data->config already, is
 * rewritten to name the clone's copy). @snapshot_tag: the qcow2 snapshot to read, or NULL
 * (the current state); @shared: the source runs (read a snapshot of an image in use). */
static gboolean
plan_drive (CloneData   *data,
            const char  *qemu_img,
            guint        index,
            HvDrive     *drive,
            const char  *snapshot_tag,
            gboolean     shared,
            gboolean     linked,
            GError     **error)
{
  g_autofree char *source = NULL;
  g_autofree char *json = NULL;
  g_autofree char *snapshot_opt = NULL;
  g_autofree char *name = NULL;
  g_autofree char *target = NULL;
  const char *ext = drive->format == HV_DISK_FORMAT_QCOW2 ? "qcow2" : "img";
  const char *fmt = drive->format == HV_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
  gboolean writable = !drive->readonly && drive->kind != HV_DRIVE_CDROM;

  if (drive->path == NULL)
    return TRUE;   /* an empty CD-ROM drive */
  source = g_path_is_absolute (drive->path)
           ? g_strdup (drive->path) : g_build_filename (data->source_dir, drive->path, NULL);
  /* Read-only media elsewhere (an ISO, a shared read-only disk) are shared, not copied. */
  if (!writable && g_path_is_absolute (drive->path))
    return TRUE;

  if (writable && drive->format == HV_DISK_FORMAT_RAW && (shared || snapshot_tag != NULL))
    {
      g_autofree char *shown = hv_config_escape_for_display (source);

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "drive %u: %s is a raw image, which snapshots do not hold: clone the current "
                   "state of the powered-off VM instead", index + 1, shown);
      return FALSE;
    }
  if (!check_image_header (qemu_img, index, source, drive->format,
                           drive->format == HV_DISK_FORMAT_QCOW2 ? drive->backing : NULL,
                           shared, error))
    return FALSE;

  json = hv_clone_image_json (source, drive->format, drive->backing);
  /* Only the engine's snapshots of writable qcow2 disks carry the tag. A running image is
   * read with -U (no lock): safe for a snapshot, because qcow2 never rewrites a snapshot's
   * clusters in place (they are refcounted; a guest write to one goes to a new cluster). */
  if (snapshot_tag != NULL && writable && drive->format == HV_DISK_FORMAT_QCOW2)
    snapshot_opt = g_strdup_printf ("snapshot.name=%s", snapshot_tag);
  name = g_strdup_printf ("%s%u.%s", drive->kind == HV_DRIVE_FLOPPY ? "floppy"
                                     : drive->kind == HV_DRIVE_CDROM ? "cdrom" : "disk",
                          index, ext);
  target = g_build_filename (data->tmp_dir, name, NULL);

  if (linked && writable && drive->format == HV_DISK_FORMAT_QCOW2)
    {
      g_autofree char *bases = g_build_filename (hv_library_get_path (data->library), BASES_DIR,
                                                 NULL);
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *temp_name = g_strdup_printf (".new-%s.qcow2", uuid);
      g_autofree char *final_name = g_strdup_printf ("%s.qcow2", uuid);
      g_autofree char *origin = NULL;
      g_autofree char *existing = NULL;
      CloneStep *publish;

      if (g_mkdir_with_parents (bases, 0700) != 0)
        {
          int saved = errno;
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", bases,
                       g_strerror (saved));
          return FALSE;
        }
      if (snapshot_tag != NULL)
        {
          origin = g_strdup_printf ("%s %s %u\n", hv_vm_get_uuid (data->source), snapshot_tag,
                                    index);
          existing = find_base_for (bases, origin);
        }
      if (existing != NULL)
        {
          /* Exported before: only the overlay is new. Kept from the collector as a base
           * of this clone, but never removed by it (it is not in data->bases). */
          pending_add (existing);
          g_ptr_array_add (data->shared_bases, g_strdup (existing));
          add_step (data, FALSE, qemu_img, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    existing, target, NULL);
          hv_set_str (&drive->backing, existing);
          hv_set_str (&drive->path, name);
          return TRUE;
        }
      g_ptr_array_add (data->base_temps, g_build_filename (bases, temp_name, NULL));
      add_step (data, TRUE, qemu_img, "convert", "-p", shared ? "-U" : "", "-O", "qcow2",
                snapshot_opt != NULL ? "-l" : "", snapshot_opt != NULL ? snapshot_opt : "",
                data->rate_limit[0] != '\0' ? "-r" : "", data->rate_limit,
                json, g_ptr_array_index (data->base_temps, data->base_temps->len - 1), NULL);
      publish = g_new0 (CloneStep, 1);
      publish->rename_from = g_build_filename (bases, temp_name, NULL);
      publish->rename_to = g_build_filename (bases, final_name, NULL);
      publish->origin = g_steal_pointer (&origin);
      g_ptr_array_add (data->steps, publish);
      /* The overlay: its header names the base, which the engine alone opens (as the explicit
       * backing node named in the config, see hv-qemu-argv.c). */
      add_step (data, FALSE, qemu_img, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                publish->rename_to, target, NULL);
      hv_set_str (&drive->backing, publish->rename_to);
    }
  else
    {
      add_step (data, TRUE, qemu_img, "convert", "-p", shared ? "-U" : "", "-O", fmt,
                snapshot_opt != NULL ? "-l" : "", snapshot_opt != NULL ? snapshot_opt : "",
                data->rate_limit[0] != '\0' ? "-r" : "", data->rate_limit, json, target, NULL);
      g_clear_pointer (&drive->backing, g_free);
    }
  hv_set_str (&drive->path, name);
  return TRUE;
}

/* HOSTVISOR_CLONE_RATE_LIMIT: the most bytes per second a copy reads ("200M": a number and
 * an optional K, M or G), for a host whose other VMs must keep their disk bandwidth, and for
 * tests that need a clone to last. Anything else: no limit. */
static char *
rate_limit (void)
{
  const char *env = g_getenv ("HOSTVISOR_CLONE_RATE_LIMIT");
  gsize digits = env != NULL ? strspn (env, "0123456789") : 0;

  if (digits == 0 || digits > 12)
    return g_strdup ("");
  if (env[digits] != '\0' && (strchr ("KMG", env[digits]) == NULL || env[digits + 1] != '\0'))
    return g_strdup ("");
  return g_strdup (env);
}

/* New MAC addresses: unique in the library and in the clone. */
static void
renew_macs (HvLibrary  *library,
            HvVmConfig *config)
{
  for (guint i = 0; i < config->nics->len; i++)
    {
      HvNic *nic = g_ptr_array_index (config->nics, i);
      gboolean taken;

      do
        {
          g_free (nic->mac);
          nic->mac = hv_mac_generate ();
          taken = hv_library_mac_in_use (library, nic->mac);
          for (guint j = 0; j < i && !taken; j++)
            taken = g_ascii_strcasecmp (((HvNic *) g_ptr_array_index (config->nics, j))->mac,
                                        nic->mac) == 0;
        }
      while (taken);
    }
}

HvVmConfig *
hv_vm_load_state_config (HvVm        *source,
                         const char  *snapshot_id,
                         char       **state_dir,
                         GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(HvVmConfig) config = NULL;
  g_autofree char *shown = NULL;
  struct stat st;

  if (snapshot_id == NULL)
    {
      *state_dir = g_strdup (hv_vm_get_dir (source));
      return hv_vm_config_copy (hv_vm_get_config (source));
    }
  shown = hv_config_escape_for_display (snapshot_id);
  /* Ids are lower-case UUIDs made by the engine: nothing else may become a path or a tag. */
  if (!g_uuid_string_is_valid (snapshot_id) || strlen (snapshot_id) != 36
      || strspn (snapshot_id, "0123456789abcdef-") != 36)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not a snapshot id (a lower-case UUID)", shown);
      return NULL;
    }
  dir = g_build_filename (hv_vm_get_dir (source), "snapshots", snapshot_id, NULL);
  path = g_build_filename (dir, "vm.xml", NULL);
  if (lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode) || lstat (path, &st) != 0
      || !S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no snapshot %s",
                   hv_vm_get_name (source), shown);
      return NULL;
    }
  config = hv_vm_config_load (path, error);
  if (config == NULL)
    return NULL;
  if (g_strcmp0 (config->uuid, hv_vm_get_uuid (source)) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_CONFIG,
                   "%s: the snapshot's config is not this VM's (UUID %s)", path, config->uuid);
      return NULL;
    }
  *state_dir = g_steal_pointer (&dir);
  return g_steal_pointer (&config);
}

/* Copy the UEFI variables of the cloned state (the VM's nvram.fd, or the snapshot's). */
static gboolean
copy_nvram (const char  *state_dir,
            const char  *tmp_dir,
            GError     **error)
{
  g_autofree char *from = g_build_filename (state_dir, "nvram.fd", NULL);
  g_autofree char *to = g_build_filename (tmp_dir, "nvram.fd", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  struct stat st;

  if (lstat (from, &st) != 0)
    return TRUE;   /* never started: the clone gets the template at its first start */
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s is not a regular file", from);
      return FALSE;
    }
  if (!hv_file_read_capped (from, 64 * 1024 * 1024, &contents, &len, error))
    return FALSE;
  return hv_file_replace_contents (to, contents, len, 0600, FALSE, error);
}

void
hv_vm_clone_async (HvLibrary            *library,
                   HvVm                 *source,
                   const char           *name,
                   const HvCloneOptions *options,
                   GCancellable         *cancellable,
                   GAsyncReadyCallback   callback,
                   gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (library, cancellable, callback, user_data);
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  g_autofree char *source_name = hv_config_escape_for_display (hv_vm_get_name (source));
  g_autofree char *tag = NULL;
  g_autofree char *state_dir = NULL;
  const char *snapshot_id = options->snapshot_id;
  gboolean shared;
  CloneData *data;
  GError *error = NULL;

  g_task_set_source_tag (task, hv_vm_clone_async);
  data = g_new0 (CloneData, 1);
  data->library = g_object_ref (library);
  data->source = g_object_ref (source);
  data->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) clone_step_free);
  data->bases = g_ptr_array_new_with_free_func (g_free);
  data->base_temps = g_ptr_array_new_with_free_func (g_free);
  data->shared_bases = g_ptr_array_new_with_free_func (g_free);
  data->rate_limit = rate_limit ();
  g_task_set_task_data (task, data, (GDestroyNotify) clone_data_free);

  if (snapshot_id != NULL && snapshot_id[0] == '\0')
    snapshot_id = NULL;
  if (hv_vm_get_config (source) == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INACCESSIBLE,
                               "VM \"%s\" cannot be used: its configuration cannot be read",
                               source_name);
      return;
    }
  if (!hv_config_check_new_name (name, &error)
      || !hv_library_check_name_free (library, name, &error)
      || (options->folder != NULL && !hv_config_check_folder (options->folder, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (qemu_img == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                               "qemu-img is not installed: cannot clone");
      return;
    }
  /* The current state only holds still while no QEMU runs; a snapshot always does. */
  shared = hv_vm_is_active (source);
  if (snapshot_id == NULL && shared)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" is running: power it off to clone its current state, "
                               "or clone it from a snapshot", source_name);
      return;
    }

  data->config = hv_vm_load_state_config (source, snapshot_id, &state_dir, &error);
  if (data->config == NULL
      || !hv_clone_check_backings (data->config, hv_vm_get_dir (source), TRUE, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->source_dir = g_strdup (hv_vm_get_dir (source));
  if (!begin_operation (source, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->busy_marked = TRUE;

  data->tmp_dir = g_build_filename (hv_library_get_vms_dir (library), ".new-XXXXXX", NULL);
  if (g_mkdtemp_full (data->tmp_dir, 0700) == NULL)
    {
      int saved = errno;
      g_clear_pointer (&data->tmp_dir, g_free);
      clone_fail (task, g_error_new (HV_ERROR, HV_ERROR_IO, "Cannot create a VM directory in "
                                     "%s: %s", hv_library_get_vms_dir (library),
                                     g_strerror (saved)));
      return;
    }

  /* The new identity. The clone has no snapshots and no saved state. */
  g_free (data->config->uuid);
  data->config->uuid = g_uuid_string_random ();
  hv_set_str (&data->config->name, name);
  if (options->folder != NULL)
    hv_set_str (&data->config->folder, options->folder);
  else
    hv_set_str (&data->config->folder, hv_vm_get_folder (source));
  if (!options->keep_macs)
    renew_macs (library, data->config);

  tag = snapshot_id != NULL ? g_strconcat (SNAPSHOT_TAG_PREFIX, snapshot_id, NULL) : NULL;
  for (guint i = 0; i < data->config->drives->len; i++)
    if (!plan_drive (data, qemu_img, i, g_ptr_array_index (data->config->drives, i), tag,
                     shared, options->linked, &error))
      {
        clone_fail (task, error);
        return;
      }
  if (!hv_vm_config_validate (data->config, &error)
      || !copy_nvram (state_dir, data->tmp_dir, &error))
    {
      clone_fail (task, error);
      return;
    }
  data->log_line = g_strdup_printf ("cloned from %s%s%s (%s)", hv_vm_get_uuid (source),
                                    snapshot_id != NULL ? ", snapshot " : "",
                                    snapshot_id != NULL ? snapshot_id : "",
                                    options->linked ? "linked" : "full");
  hv_vm_log (source, "clone to \"%s\" started", data->config->uuid);
  run_next_step (g_steal_pointer (&task));
}

HvVm *
hv_vm_clone_finish (HvLibrary     *library,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, library), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
