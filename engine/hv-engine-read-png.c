/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-read-png.c: see hv-engine-read-png.h. The PNG comes from the same place as for
 * Screenshot (QEMU's screendump) and GetSnapshotThumbnail (the snapshot store); only the way
 * back differs: its bytes are read in a worker thread (never on the main loop, however large)
 * and answered as "ay". */
#include "hv-engine-read-png.h"

#include <errno.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-library.h"
#include "hv-vm-snapshots.h"

/* The whole of @fd, at most HV_READ_PNG_MAX_BYTES; closes @fd. */
static GBytes *
read_capped (int      fd,
             GError **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[64 * 1024];

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read the PNG: %s",
                       g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      if (data->len + (gsize) n > HV_READ_PNG_MAX_BYTES)
        {
          close (fd);
          g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                       "The PNG is larger than %d MiB: too large to read as bytes",
                       HV_READ_PNG_MAX_BYTES / (1024 * 1024));
          return NULL;
        }
      g_byte_array_append (data, buffer, (guint) n);
    }
  close (fd);
  if (data->len == 0)
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_IO, "The PNG is empty");
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static void
read_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  int fd = GPOINTER_TO_INT (task_data);
  GError *error = NULL;
  GBytes *bytes = read_capped (fd, &error);

  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
on_read (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_task_propagate_pointer (G_TASK (result), &error);

  if (bytes == NULL)
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(@ay)",
                                                        g_variant_new_from_bytes (
                                                          G_VARIANT_TYPE_BYTESTRING, bytes,
                                                          TRUE)));
}

/* Reads @fd (taken) in a thread, then answers @invocation (taken) with its bytes. */
static void
answer_with_contents (GDBusMethodInvocation *invocation,
                      int                    fd)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_read, invocation);

  g_task_set_source_tag (task, answer_with_contents);
  g_task_set_task_data (task, GINT_TO_POINTER (fd), NULL);
  g_task_run_in_thread (task, read_thread);
}

static void
on_screenshot_done (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  GError *error = NULL;
  int fd = hv_vm_screenshot_finish (HV_VM (object), result, &error);

  if (fd < 0)
    g_dbus_method_invocation_take_error (invocation, error);
  else
    answer_with_contents (invocation, fd);
}

gboolean
hv_engine_vm_handle_read_screenshot (HvDbusVm              *skeleton,
                                     GDBusMethodInvocation *invocation,
                                     HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);

  if (vm != NULL)
    hv_vm_screenshot_async (vm, NULL, on_screenshot_done, invocation);
  return TRUE;
}

gboolean
hv_engine_vm_handle_read_snapshot_thumbnail (HvDbusVm              *skeleton,
                                             GDBusMethodInvocation *invocation,
                                             const char            *id,
                                             HvEngine              *engine)
{
  HvVm *vm = hv_engine_lookup_vm (engine, skeleton, invocation);
  GError *error = NULL;
  int fd;

  if (vm == NULL)
    return TRUE;
  if (!g_uuid_string_is_valid (id))
    {
      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                             "Not a snapshot id");
      return TRUE;
    }
  fd = hv_vm_snapshot_thumbnail (vm, id, &error);
  if (fd < 0)
    g_dbus_method_invocation_take_error (invocation, error);
  else
    answer_with_contents (invocation, fd);
  return TRUE;
}
