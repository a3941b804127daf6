/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-appliance-import.c: ImportAppliance: the appliance opened and checked in a thread
 * (hv-appliance-open.c), the VM's config made through CreateVm's option handling, each disk
 * converted by qemu-img into a new VM directory, which the library registers (see
 * hv-appliance-import.h). */
#include "hv-appliance-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-qemu-img-output.h"
#include "hv-image-check.h"
#include "hv-vm-machine.h"
#include "hv-vm-options.h"

static guint n_running;

/* One qemu-img run; @fd: its source (HV_APPLIANCE_SOURCE_FD in the child), or -1. */
typedef struct {
  char **argv;
  int fd;
} ImportStep;

static void
import_step_free (ImportStep *step)
{
  g_strfreev (step->argv);
  if (step->fd >= 0)
    close (step->fd);
  g_free (step);
}

guint
hv_appliance_import_n_running (void)
{
  return n_running;
}

/* ----------------------------------------------------------------------------
 * The import
 */

typedef struct {
  HvLibrary *library;
  char *path;
  char *name;              /* asked for, or NULL */
  char *folder;            /* asked for, or NULL */
  HvApplianceProgressFunc progress;
  gpointer progress_data;
  Appliance *app;
  HvVmConfig *config;
  char *tmp_dir;           /* LIBRARY/vms/.new-XXXXXX until registered */
  GPtrArray *steps;        /* ImportStep* */
  GPtrArray *media_copies; /* pairs of char*: an image's name in the appliance, its file */
  guint next_step;
} ImportData;

static void
import_data_free (ImportData *data)
{
  if (data->tmp_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (data->tmp_dir, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (data->tmp_dir, entry, NULL);
          g_unlink (child);
        }
      g_rmdir (data->tmp_dir);
    }
  g_clear_object (&data->library);
  g_free (data->path);
  g_free (data->name);
  g_free (data->folder);
  g_clear_pointer (&data->app, hv_appliance_free);
  g_clear_pointer (&data->config, hv_vm_config_free);
  g_free (data->tmp_dir);
  g_clear_pointer (&data->steps, g_ptr_array_unref);
  g_clear_pointer (&data->media_copies, g_ptr_array_unref);
  g_free (data);
  n_running--;
}

static void
report (ImportData *data,
        double      fraction)
{
  if (data->progress != NULL)
    data->progress (data->path, fraction, data->progress_data);
}

/* A failed import: its directory goes (import_data_free) before the caller hears of it. */
static void
import_fail (GTask  *task,
             GError *error)
{
  ImportData *data = g_task_get_task_data (task);

  if (data->tmp_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (data->tmp_dir, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (data->tmp_dir, entry, NULL);
          g_unlink (child);
        }
      g_rmdir (data->tmp_dir);
      g_clear_pointer (&data->tmp_dir, g_free);
    }
  g_task_return_error (task, error);
}

/* The appliance's name made a valid VM name, free in the library: "Name", "Name (2)"... */
static char *
unique_name (HvLibrary  *library,
             const char *wanted)
{
  g_autoptr(GString) base = g_string_new (NULL);
  const char *p;

  for (p = wanted; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_utf8_strlen (base->str, -1) >= HV_NAME_MAX_CHARS - 5)
        break;
      if (g_unichar_iscntrl (c) || c == '/')
        g_string_append_c (base, ' ');
      else
        g_string_append_unichar (base, c);
    }
  g_strstrip (base->str);
  g_string_set_size (base, strlen (base->str));
  if (base->len == 0 || !hv_config_check_new_name (base->str, NULL))
    g_string_assign (base, "Imported VM");
  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *candidate = n == 1 ? g_strdup (base->str)
                                          : g_strdup_printf ("%s (%u)", base->str, n);

      if (hv_config_check_new_name (candidate, NULL)
          && hv_library_check_name_free (library, candidate, NULL))
        return g_steal_pointer (&candidate);
    }
  return g_uuid_string_random ();
}

static char *
new_mac (HvLibrary  *library,
         HvVmConfig *config)
{
  while (TRUE)
    {
      g_autofree char *mac = hv_mac_generate ();
      gboolean taken = hv_library_mac_in_use (library, mac);

      for (guint j = 0; j < config->nics->len && !taken; j++)
        taken = g_ascii_strcasecmp (((HvNic *) g_ptr_array_index (config->nics, j))->mac,
                                    mac) == 0;
      if (!taken)
        return g_steal_pointer (&mac);
    }
}

/* The new VM's config, through CreateVm's own option handling (libosinfo's defaults for the
 * OS, then the appliance's values), then its disks, drives and adapters. */
static HvVmConfig *
build_config (ImportData  *data,
              GError     **error)
{
  HvOvf *ovf = data->app->ovf;
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autofree char *name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *base = g_path_get_basename (data->path);
  const HvQemuCaps *caps = hv_library_get_caps (data->library);
  HvVmOptionsPlan plan;
  GVariantDict dict;
  guint n_cdroms = 0;
  guint n_floppies = 0;

  if (data->name != NULL && data->name[0] != '\0')
    {
      if (!hv_config_check_new_name (data->name, error)
          || !hv_library_check_name_free (data->library, data->name, error))
        return NULL;
      name = g_strdup (data->name);
    }
  else
    name = unique_name (data->library, ovf->name);

  g_variant_dict_init (&dict, NULL);
  if (ovf->os_id[0] != '\0')
    g_variant_dict_insert (&dict, "os", "s", ovf->os_id);
  if (ovf->memory_mib > 0)
    g_variant_dict_insert (&dict, "memory", "t", ovf->memory_mib);
  if (ovf->cpus > 0)
    g_variant_dict_insert (&dict, "cpus", "u", ovf->cpus);
  g_variant_dict_insert (&dict, "firmware", "s",
                         ovf->firmware == HV_FIRMWARE_UEFI ? "uefi" : "bios");
  g_variant_dict_insert (&dict, "folder", "s", data->folder != NULL ? data->folder : ovf->folder);
  g_variant_dict_insert (&dict, "no-disk", "b", TRUE);
  if (ovf->sound != NULL)
    g_variant_dict_insert (&dict, "sound", "s", ovf->sound);
  if (ovf->nics->len > 0)
    g_variant_dict_insert (&dict, "nic-model", "s",
                           ((HvOvfNic *) g_ptr_array_index (ovf->nics, 0))->model);
  description = ovf->annotation[0] != '\0'
                ? g_strdup_printf ("%s\n\nImported from %s", ovf->annotation, base)
                : g_strdup_printf ("Imported from %s", base);
  g_variant_dict_insert (&dict, "description", "s", description);
  options = g_variant_ref_sink (g_variant_dict_end (&dict));

  config = hv_vm_options_create (name, options, &plan, error);
  if (config == NULL)
    return NULL;
  if (caps != NULL)
    hv_machine_type_pin (config, caps);

  /* The disks, in the appliance's order, before the CD-ROM drive that every VM has. */
  for (guint i = 0; i < ovf->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (ovf->disks, i);
      g_autofree char *file = g_strdup_printf ("disk%u.qcow2", i);
      HvDriveBus bus = disk->bus;

      if (bus == HV_DRIVE_BUS_SATA && config->machine != HV_MACHINE_Q35)
        bus = HV_DRIVE_BUS_IDE;
      g_ptr_array_insert (config->drives, i, hv_drive_new (HV_DRIVE_DISK, bus,
                                                           HV_DISK_FORMAT_QCOW2, file));
    }
  /* One CD drive (the one every VM has) and one floppy drive; an image inside the appliance
   * is copied beside the disks (plan_steps()) and checked after (check_media()). */
  for (guint i = 0; i < ovf->media->len; i++)
    {
      HvOvfMedia *media = g_ptr_array_index (ovf->media, i);
      gboolean floppy = media->kind == HV_DRIVE_FLOPPY;
      HvDrive *drive = NULL;
      HvOvfFile *file;

      if ((floppy ? n_floppies++ : n_cdroms++) > 0)
        {
          g_ptr_array_add (data->app->warnings,
                           g_strdup_printf ("A second %s drive is left out",
                                            floppy ? "floppy" : "CD/DVD"));
          continue;
        }
      for (guint j = 0; j < config->drives->len && !floppy; j++)
        if (((HvDrive *) g_ptr_array_index (config->drives, j))->kind == HV_DRIVE_CDROM)
          drive = g_ptr_array_index (config->drives, j);
      if (drive == NULL)
        {
          drive = floppy ? hv_drive_new (HV_DRIVE_FLOPPY, HV_DRIVE_BUS_FDC, HV_DISK_FORMAT_RAW, NULL)
                         : hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE, HV_DISK_FORMAT_RAW, NULL);
          drive->readonly = !floppy;
          g_ptr_array_add (config->drives, drive);
        }
      file = media->href != NULL ? hv_ovf_find_file (ovf, media->href) : NULL;
      if (file == NULL)
        continue;
      if (floppy && file->has_size && file->size > HV_FLOPPY_MAX_BYTES)
        {
          g_autofree char *shown = hv_config_escape_for_display (media->href);

          g_ptr_array_add (data->app->warnings,
                           g_strdup_printf ("The floppy image \"%s\" is too large for a floppy: "
                                            "the drive is left empty", shown));
          continue;
        }
      hv_set_str (&drive->path, floppy ? "floppy0.img" : "cdrom0.iso");
      g_ptr_array_add (data->media_copies, g_strdup (media->href));
      g_ptr_array_add (data->media_copies, g_strdup (drive->path));
    }
  /* The adapters: CreateVm made the first with its model; the others follow it. */
  if (ovf->nics->len == 0)
    g_ptr_array_set_size (config->nics, 0);
  for (guint i = 0; i < ovf->nics->len; i++)
    {
      HvOvfNic *nic = g_ptr_array_index (ovf->nics, i);

      if (i < config->nics->len)
        {
          HvNic *made = g_ptr_array_index (config->nics, i);

          hv_set_str (&made->model, nic->model);
          if (hv_library_mac_in_use (data->library, made->mac))
            {
              g_free (made->mac);
              made->mac = NULL;
              made->mac = new_mac (data->library, config);
            }
        }
      else
        {
          g_autofree char *mac = new_mac (data->library, config);

          g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, nic->model, mac));
        }
    }
  if (!hv_vm_config_validate (config, error)
      || !hv_vm_options_check_startable (config, NULL, caps, error))
    return NULL;
  return g_steal_pointer (&config);
}

static void
add_step (ImportData *data,
          int         fd,
          const char *first,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  ImportStep *step = g_new0 (ImportStep, 1);
  va_list args;

  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  step->argv = (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
  step->fd = fd;
  g_ptr_array_add (data->steps, step);
}

/* qemu-img convert -r from HOSTVISOR_IMPORT_RATE_LIMIT ("200M": bytes a second, K/M/G), for
 * tests that look at an import while it runs; NULL when unset or malformed. */
static const char *
rate_limit (void)
{
  const char *env = g_getenv ("HOSTVISOR_IMPORT_RATE_LIMIT");
  gsize digits;

  if (env == NULL)
    return NULL;
  digits = strspn (env, "0123456789");
  if (digits == 0 || digits > 12
      || (env[digits] != '\0' && (strchr ("KMG", env[digits]) == NULL || env[digits + 1] != '\0')))
    return NULL;
  return env;
}

static gboolean
plan_steps (ImportData  *data,
            GError     **error)
{
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  const char *limit = rate_limit ();
  HvOvf *ovf = data->app->ovf;

  if (qemu_img == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "qemu-img is not installed: cannot import");
      return FALSE;
    }
  for (guint i = 0; i < ovf->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (ovf->disks, i);
      g_autofree char *file = g_strdup_printf ("disk%u.qcow2", i);
      g_autofree char *target = g_build_filename (data->tmp_dir, file, NULL);
      g_autofree char *fpath = NULL;
      g_autofree char *json = NULL;
      g_autofree char *size = NULL;
      Source src;
      int fd;

      if (disk->href == NULL)
        {
          size = g_strdup_printf ("%" G_GUINT64_FORMAT, disk->capacity);
          add_step (data, -1, qemu_img, "create", "-q", "-f", "qcow2", target, size, NULL);
          continue;
        }
      if (!hv_appliance_source_of (data->app, disk->href, &src, &fpath, error))
        return FALSE;
      if (fpath != NULL)
        src.file = fpath;
      json = hv_appliance_source_json (&src, disk->format);
      if ((fd = hv_appliance_open_checked (&src, error)) < 0)
        return FALSE;
      if (limit != NULL)
        add_step (data, fd, qemu_img, "convert", "-p", "-r", limit, "-O", "qcow2", json, target,
                  NULL);
      else
        add_step (data, fd, qemu_img, "convert", "-p", "-O", "qcow2", json, target, NULL);
    }
  for (guint i = 0; i + 1 < data->media_copies->len; i += 2)
    {
      const char *href = g_ptr_array_index (data->media_copies, i);
      g_autofree char *target = g_build_filename (data->tmp_dir,
                                                  g_ptr_array_index (data->media_copies, i + 1),
                                                  NULL);
      g_autofree char *fpath = NULL;
      g_autofree char *json = NULL;
      Source src;
      int fd;

      if (!hv_appliance_source_of (data->app, href, &src, &fpath, error))
        return FALSE;
      if (fpath != NULL)
        src.file = fpath;
      json = hv_appliance_source_json (&src, "raw");
      if ((fd = hv_appliance_open_checked (&src, error)) < 0)
        return FALSE;
      add_step (data, fd, qemu_img, "convert", "-p", "-O", "raw", json, target, NULL);
    }
  return TRUE;
}

/* The CD and floppy images copied from the appliance must be what their drives take: one
 * that is not is removed and its drive left empty, with a warning. */
static void
check_media (ImportData *data)
{
  for (guint i = 0; i < data->config->drives->len; i++)
    {
      HvDrive *drive = g_ptr_array_index (data->config->drives, i);
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;

      if (drive->kind == HV_DRIVE_DISK || drive->path == NULL)
        continue;
      path = g_build_filename (data->tmp_dir, drive->path, NULL);
      if (hv_image_check (drive->kind == HV_DRIVE_FLOPPY ? HV_IMAGE_FLOPPY : HV_IMAGE_ISO, path,
                          &error))
        continue;
      g_ptr_array_add (data->app->warnings,
                       g_strdup_printf ("The %s image of the appliance is left out: %s",
                                        drive->kind == HV_DRIVE_FLOPPY ? "floppy" : "CD/DVD",
                                        error->message));
      g_unlink (path);
      g_clear_pointer (&drive->path, g_free);
    }
}

static void run_next_step (GTask *task);

static void
on_step_progress (double   fraction,
                  gpointer user_data)
{
  ImportData *data = user_data;

  report (data, (data->next_step - 1 + fraction) / data->steps->len);
}

static void
on_step_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ImportData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!hv_qemu_img_run_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          error = g_error_new (HV_ERROR, HV_ERROR_FAILED, "The import was cancelled");
        }
      else
        g_prefix_error (&error, "Converting a disk of %s failed: ", data->app->shown);
      import_fail (task, error);
      return;
    }
  report (data, (double) data->next_step / MAX (data->steps->len, 1));
  run_next_step (g_steal_pointer (&task));
}

static void
finish_import (GTask *task)
{
  ImportData *data = g_task_get_task_data (task);
  g_autofree char *log_line = NULL;
  GError *error = NULL;
  HvVm *vm;

  check_media (data);
  log_line = g_strdup_printf ("imported from %s", data->app->shown);
  vm = hv_library_register_vm (data->library, data->tmp_dir, data->config, log_line, &error);
  if (vm == NULL)
    {
      import_fail (task, error);
      return;
    }
  g_clear_pointer (&data->tmp_dir, g_free);   /* the VM's now */
  for (guint i = 0; i < data->app->warnings->len; i++)
    hv_vm_log (vm, "import: %s", (const char *) g_ptr_array_index (data->app->warnings, i));
  report (data, 1.0);
  g_task_return_pointer (task, g_object_ref (vm), g_object_unref);
}

static void
run_next_step (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  ImportData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  ImportStep *step;
  int fd;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      import_fail (task, g_error_new (HV_ERROR, HV_ERROR_FAILED, "The import was cancelled"));
      return;
    }
  if (data->next_step == data->steps->len)
    {
      finish_import (task);
      return;
    }
  step = g_ptr_array_index (data->steps, data->next_step++);
  fd = step->fd;
  step->fd = -1;   /* the run's now */
  cancellable = g_task_get_cancellable (task);   /* before the steal empties `task` */
  hv_qemu_img_run_async ((const char * const *) step->argv, fd, HV_APPLIANCE_SOURCE_FD,
                         on_step_progress, data, cancellable, on_step_done,
                         g_steal_pointer (&task));
}

static void
on_opened (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ImportData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->app = g_task_propagate_pointer (G_TASK (result), &error);
  /* Cancelled while the files were checked: say so in the import's words, whatever the
   * check was doing then. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_clear_error (&error);
      import_fail (task, g_error_new (HV_ERROR, HV_ERROR_FAILED, "The import was cancelled"));
      return;
    }
  if (data->app == NULL)
    {
      import_fail (task, error);
      return;
    }
  data->config = build_config (data, &error);
  if (data->config == NULL)
    {
      import_fail (task, error);
      return;
    }
  data->tmp_dir = g_build_filename (hv_library_get_vms_dir (data->library), ".new-XXXXXX", NULL);
  if (g_mkdtemp_full (data->tmp_dir, 0700) == NULL)
    {
      int saved = errno;
      g_clear_pointer (&data->tmp_dir, g_free);
      import_fail (task, g_error_new (HV_ERROR, HV_ERROR_IO, "Cannot create a VM directory in "
                                      "%s: %s", hv_library_get_vms_dir (data->library),
                                      g_strerror (saved)));
      return;
    }
  if (!plan_steps (data, &error))
    {
      import_fail (task, error);
      return;
    }
  report (data, 0.0);
  run_next_step (g_steal_pointer (&task));
}

void
hv_appliance_import_async (HvLibrary               *library,
                           const char              *path,
                           const char              *name,
                           const char              *folder,
                           GCancellable            *cancellable,
                           HvApplianceProgressFunc  progress,
                           gpointer                 progress_data,
                           GAsyncReadyCallback      callback,
                           gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (library, cancellable, callback, user_data);
  g_autoptr(GTask) open_task = NULL;
  ImportData *data = g_new0 (ImportData, 1);
  GError *error = NULL;

  n_running++;
  g_task_set_source_tag (task, hv_appliance_import_async);
  /* A cancelled import says so in its own words, after it has removed what it made. */
  g_task_set_check_cancellable (task, FALSE);
  data->library = g_object_ref (library);
  data->path = g_strdup (path);
  data->name = g_strdup (name);
  data->folder = g_strdup (folder);
  data->progress = progress;
  data->progress_data = progress_data;
  data->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) import_step_free);
  data->media_copies = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, data, (GDestroyNotify) import_data_free);

  if ((name != NULL && name[0] != '\0' && !hv_config_check_new_name (name, &error))
      || (folder != NULL && folder[0] != '\0' && !hv_config_check_folder (folder, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  report (data, -1);
  open_task = g_task_new (NULL, cancellable, on_opened, g_steal_pointer (&task));
  g_task_set_task_data (open_task, g_strdup (path), g_free);
  g_task_run_in_thread (open_task, hv_appliance_open_in_thread);
}

HvVm *
hv_appliance_import_finish (HvLibrary     *library,
                            GAsyncResult  *result,
                            char        ***warnings,
                            GError       **error)
{
  GTask *task = G_TASK (result);
  ImportData *data = g_task_get_task_data (task);
  HvVm *vm = g_task_propagate_pointer (task, error);

  if (vm != NULL && warnings != NULL)
    {
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

      for (guint i = 0; i < data->app->warnings->len; i++)
        g_strv_builder_add (b, g_ptr_array_index (data->app->warnings, i));
      *warnings = g_strv_builder_end (b);
    }
  return vm;
}
