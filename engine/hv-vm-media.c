/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-media.c: a VM's removable media (CD and floppy drives): a change while QEMU runs goes
 * through QMP first, and the config follows once QEMU has the new medium; a powered-off VM's
 * config changes directly. Moved out of hv-vm-process.c, which keeps the process itself. */
#include "hv-vm-private.h"

#include <string.h>

#include "hv-error.h"
#include "hv-image-check.h"

/* The config follows the medium only once QEMU has it, so the two never disagree. */
static gboolean
store_medium (HvVm       *self,
              guint       index,
              const char *path,
              GError    **error)
{
  g_autoptr(HvVmConfig) copy = hv_vm_config_copy (self->config);
  HvDrive *drive = g_ptr_array_index (copy->drives, index);

  g_free (drive->path);
  drive->path = path != NULL && path[0] != '\0' ? g_strdup (path) : NULL;
  if (!hv_vm_config_validate (copy, error))
    return FALSE;
  return hv_vm_set_config (self, copy, error);
}

static void
on_media_changed (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  const char *path = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  int index;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "index"));
  if (self->config == NULL || !store_medium (self, (guint) index, path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  hv_vm_log (self, "medium in drive %d: %s", index, path[0] ? path : "(ejected)");
  g_task_return_boolean (task, TRUE);
}

void
hv_vm_insert_media_async (HvVm               *self,
                          HvDriveKind         kind,
                          guint               unit,
                          const char         *path,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *id = NULL;
  const char *what = kind == HV_DRIVE_FLOPPY ? "floppy" : "CD-ROM";
  GError *error = NULL;
  int index;

  g_task_set_source_tag (task, hv_vm_insert_media_async);
  g_task_set_task_data (task, g_strdup (path != NULL ? path : ""), g_free);
  if (path == NULL)
    path = "";

  if (self->config == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" is inaccessible",
                               hv_vm_get_name (self));
      return;
    }
  if (path[0] != '\0' &&
      !hv_image_check (kind == HV_DRIVE_FLOPPY ? HV_IMAGE_FLOPPY : HV_IMAGE_ISO, path, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  index = hv_config_find_removable (self->config, kind, unit, &error);
  if (index == -2)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!hv_vm_is_active (self))
    {
      /* Powered off: only the config changes; a missing drive is added. */
      g_autoptr(HvVmConfig) copy = hv_vm_config_copy (self->config);

      if (index < 0 && path[0] != '\0')
        {
          HvDrive *d = hv_drive_new (kind, kind == HV_DRIVE_FLOPPY ? HV_DRIVE_BUS_FDC
                                                                   : HV_DRIVE_BUS_IDE,
                                     HV_DISK_FORMAT_RAW, path);
          d->readonly = kind == HV_DRIVE_CDROM;
          g_ptr_array_add (copy->drives, d);
        }
      else if (index >= 0)
        {
          HvDrive *d = g_ptr_array_index (copy->drives, index);
          g_free (d->path);
          d->path = path[0] != '\0' ? g_strdup (path) : NULL;
        }
      if (!hv_vm_config_validate (copy, &error) || !hv_vm_set_config (self, copy, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (index < 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" has no %s drive; add one while it is powered off",
                               hv_vm_get_name (self), what);
      return;
    }
  if (self->qmp == NULL || self->state == HV_VM_STATE_STARTING)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" is not ready for a medium change", hv_vm_get_name (self));
      return;
    }

  /* The argv builder names each drive's device "drive<index>". */
  id = g_strdup_printf ("drive%d", index);
  g_object_set_data (G_OBJECT (task), "index", GINT_TO_POINTER (index));
  json_object_set_string_member (args, "id", id);
  if (path[0] == '\0')
    {
      /* force: a guest that locked the tray must not be able to keep the medium. */
      json_object_set_boolean_member (args, "force", TRUE);
      hv_qmp_execute_async (self->qmp, "eject", args, -1, cancellable, on_media_changed,
                            g_steal_pointer (&task));
      return;
    }
  json_object_set_string_member (args, "filename", path);
  /* Images are raw; the format is named so that QEMU never probes it. */
  json_object_set_string_member (args, "format", "raw");
  json_object_set_string_member (args, "read-only-mode",
                                 kind == HV_DRIVE_CDROM ? "read-only" : "retain");
  hv_qmp_execute_async (self->qmp, "blockdev-change-medium", args, -1, cancellable,
                        on_media_changed, g_steal_pointer (&task));
}

gboolean
hv_vm_insert_media_finish (HvVm         *self,
                           GAsyncResult *result,
                           GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
