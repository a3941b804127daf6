/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client-snapshots.c: snapshot, save state and clone calls, the snapshot
 * thumbnails, and the words and names the snapshot views use. */
#include "hv-build-config.h"

#include "hv-engine-client-snapshots.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>

#include "hv-client.h"
#include "hv-engine-client-remote.h"
#include "hv-error.h"

#define THUMBNAIL_MAX_BYTES (16 * 1024 * 1024)

/* The Vm properties of this file's part of the contract. */
static const char * const snapshot_properties[] = {
  "Snapshots", "CurrentSnapshot", "SavedState", "Operation", "OperationProgress",
  "CanTakeSnapshot", "CanSaveState", NULL
};

/* ---- properties the listing may not carry ---- */

static void
properties_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(HvVmItem) item = data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             NULL);
  g_autoptr(GVariant) all = NULL;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  GDBusProxy *proxy = (GDBusProxy *) hv_vm_item_get_proxy (item);

  g_object_set_data (G_OBJECT (item), "hv-snapshots-loading", NULL);
  /* The VM or the engine went away: whoever shows it next asks again. */
  if (reply == NULL)
    return;
  g_variant_get (reply, "(@a{sv})", &all);
  for (guint i = 0; snapshot_properties[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_variant_lookup_value (all, snapshot_properties[i], NULL);

      if (value == NULL)
        continue;
      /* Into the proxy's cache too, where PropertiesChanged keeps it current. */
      if (proxy != NULL)
        {
          g_autoptr(GVariant) cached = g_dbus_proxy_get_cached_property (proxy,
                                                                         snapshot_properties[i]);

          /* A newer value from PropertiesChanged wins over this reply. */
          if (cached != NULL)
            continue;
          g_dbus_proxy_set_cached_property (proxy, snapshot_properties[i], value);
        }
      g_variant_builder_add (&builder, "{sv}", snapshot_properties[i], value);
    }
  hv_vm_item_update (item, g_variant_builder_end (&builder));
}

void
hv_snapshots_load_properties (HvEngineClient *self,
                              HvVmItem       *item)
{
  GDBusProxy *proxy;
  g_autoptr(GVariant) cached = NULL;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));
  g_return_if_fail (HV_IS_VM_ITEM (item));

  proxy = (GDBusProxy *) hv_vm_item_get_proxy (item);
  if (proxy == NULL || hv_vm_item_get_snapshots (item) != NULL ||
      g_object_get_data (G_OBJECT (item), "hv-snapshots-loading") != NULL)
    return;
  cached = g_dbus_proxy_get_cached_property (proxy, "Snapshots");
  if (cached != NULL)
    {
      g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

      for (guint i = 0; snapshot_properties[i] != NULL; i++)
        {
          g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property (proxy,
                                                                        snapshot_properties[i]);
          if (value != NULL)
            g_variant_builder_add (&builder, "{sv}", snapshot_properties[i], value);
        }
      hv_vm_item_update (item, g_variant_builder_end (&builder));
      return;
    }
  g_object_set_data (G_OBJECT (item), "hv-snapshots-loading", GINT_TO_POINTER (1));
  g_dbus_connection_call (g_dbus_proxy_get_connection (proxy), NULL,
                          g_dbus_proxy_get_object_path (proxy),
                          "org.freedesktop.DBus.Properties", "GetAll",
                          g_variant_new ("(s)", g_dbus_proxy_get_interface_name (proxy)),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          properties_loaded, g_object_ref (item));
}

/* ---- calls ---- */

void
hv_engine_client_long_call (HvEngineClient     *self,
                            HvVmItem           *item,
                            const char         *method,
                            GVariant           *parameters,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_return_if_fail (HV_IS_VM_ITEM (item));
  /* G_MAXINT: no timeout. The engine answers when the job ends, fails or is refused. */
  hv_engine_client_call_with_timeout (self, item, method, parameters, G_MAXINT, cancellable,
                                      callback, user_data);
}

GVariant *
hv_engine_client_long_call_finish (HvEngineClient *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  return hv_engine_client_call_finish (self, result, error);
}

/* ---- thumbnails ---- */

static gpointer
capped_realloc (gpointer data,
                gsize    size)
{
  if (size > THUMBNAIL_MAX_BYTES)
    return NULL;
  return g_try_realloc (data, size);
}

static void
thumbnail_spliced (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;
  GMemoryOutputStream *out = G_MEMORY_OUTPUT_STREAM (source);

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (out), result, &error) < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_memory_output_stream_get_data_size (out) == 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED, "The thumbnail is empty");
      return;
    }
  g_task_return_pointer (task, g_memory_output_stream_steal_as_bytes (out),
                         (GDestroyNotify) g_bytes_unref);
}

static void
thumbnail_fd_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  GCancellable *cancellable;
  GError *error = NULL;
  int handle, fd;

  reply = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), &fds, result,
                                                      &error);
  if (reply == NULL)
    {
      hv_client_error_strip (error);
      g_task_return_error (task, error);
      return;
    }
  g_variant_get (reply, "(h)", &handle);
  if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                               "The engine sent no file descriptor");
      return;
    }
  fd = g_unix_fd_list_get (fds, handle, &error);
  if (fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  in = g_unix_input_stream_new (fd, TRUE);
  out = g_memory_output_stream_new (NULL, 0, capped_realloc, g_free);
  /* Before the task is handed on: arguments are evaluated in no set order. */
  cancellable = g_task_get_cancellable (task);
  g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_LOW,
                                cancellable, thumbnail_spliced, g_steal_pointer (&task));
}

void
hv_engine_client_snapshot_thumbnail_async (HvEngineClient     *self,
                                           HvVmItem           *item,
                                           const char         *id,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GDBusProxy *proxy;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));
  g_return_if_fail (HV_IS_VM_ITEM (item));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_engine_client_snapshot_thumbnail_async);
  proxy = (GDBusProxy *) hv_vm_item_get_proxy (item);
  if (proxy == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_FOUND,
                               _("The engine is not connected"));
      return;
    }
  if (hv_engine_client_get_remote (self) != NULL)
    {
      /* Over SSH: the bytes, not a descriptor (hv-engine-client-remote.h). */
      hv_engine_client_remote_read_png (proxy, "ReadSnapshotThumbnail", g_variant_new ("(s)", id),
                                        30 * 1000, g_steal_pointer (&task));
      return;
    }
  g_dbus_proxy_call_with_unix_fd_list (proxy, "GetSnapshotThumbnail", g_variant_new ("(s)", id),
                                       G_DBUS_CALL_FLAGS_NONE, 30 * 1000, NULL, cancellable,
                                       thumbnail_fd_done, g_steal_pointer (&task));
}

GBytes *
hv_engine_client_snapshot_thumbnail_finish (HvEngineClient *self,
                                            GAsyncResult   *result,
                                            GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- helpers ---- */

GVariant *
hv_snapshots_lookup (GVariant   *snapshots,
                     const char *id)
{
  GVariantIter iter;
  GVariant *snapshot;

  if (snapshots == NULL || id == NULL || id[0] == '\0' ||
      !g_variant_is_of_type (snapshots, G_VARIANT_TYPE ("aa{sv}")))
    return NULL;
  g_variant_iter_init (&iter, snapshots);
  while ((snapshot = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *sid = NULL;

      if (g_variant_lookup (snapshot, "id", "&s", &sid) && g_strcmp0 (sid, id) == 0)
        return snapshot;
      g_variant_unref (snapshot);
    }
  return NULL;
}

char *
hv_snapshots_next_name (GVariant *snapshots)
{
  /* Translators: the word of a new snapshot's default name, "Snapshot 3" */
  const char *prefix = _("Snapshot");
  guint64 next = 1;
  GVariantIter iter;
  GVariant *snapshot;

  if (snapshots != NULL && g_variant_is_of_type (snapshots, G_VARIANT_TYPE ("aa{sv}")))
    {
      next = g_variant_n_children (snapshots) + 1;
      g_variant_iter_init (&iter, snapshots);
      while ((snapshot = g_variant_iter_next_value (&iter)) != NULL)
        {
          const char *name = NULL;

          if (g_variant_lookup (snapshot, "name", "&s", &name) &&
              g_str_has_prefix (name, prefix) && name[strlen (prefix)] == ' ')
            {
              const char *digits = name + strlen (prefix) + 1;
              char *end = NULL;
              guint64 n;

              if (g_ascii_isdigit (*digits))
                {
                  n = g_ascii_strtoull (digits, &end, 10);
                  if (end != NULL && *end == '\0' && n < G_MAXUINT32 && n + 1 > next)
                    next = n + 1;
                }
            }
          g_variant_unref (snapshot);
        }
    }
  /* The number after the (translated) word, as the engine's own default "Snapshot N". */
  return g_strdup_printf ("%s %" G_GUINT64_FORMAT, prefix, next);
}

char *
hv_snapshots_format_date (gint64 created_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (created_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  if (local == NULL)
    return g_strdup ("");
  /* Translators: a snapshot's date and time, as g_date_time_format() takes it */
  return g_date_time_format (local, _("%-d %b %Y, %H:%M:%S"));
}

const char *
hv_snapshots_operation_label (const char *operation)
{
  static const struct { const char *op, *label; } labels[] = {
    { "snapshot-take", N_("Saving…") },
    { "snapshot-restore", N_("Restoring…") },
    { "snapshot-delete", N_("Deleting snapshot…") },
    { "save-state", N_("Saving state…") },
    { "discard-state", N_("Discarding saved state…") },
    { "clone", N_("Cloning…") },
  };

  if (operation == NULL || operation[0] == '\0')
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (strcmp (operation, labels[i].op) == 0)
      return _(labels[i].label);
  return _("Working…");
}
