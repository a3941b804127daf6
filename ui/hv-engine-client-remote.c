/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client-remote.c: see hv-engine-client-remote.h. */
#include "hv-engine-client-remote.h"

#include <glib/gi18n.h>

#include <unistd.h>

#include "hv-client.h"
#include "hv-error.h"

HvRemote *
hv_engine_client_remote_copy (const HvRemote *remote)
{
  HvRemote *copy;

  if (remote == NULL)
    return NULL;
  copy = g_new0 (HvRemote, 1);
  copy->address = g_strdup (remote->address);
  copy->user = g_strdup (remote->user);
  copy->host = g_strdup (remote->host);
  copy->port = remote->port;
  return copy;
}

/* ---- the console: a second ssh command ---- */

typedef struct {
  HvRemote *remote;
  char *uuid;
} ConsoleRequest;

static void
console_request_free (ConsoleRequest *req)
{
  hv_remote_free (req->remote);
  g_free (req->uuid);
  g_free (req);
}

/* The result: a descriptor that is closed (ending its ssh) unless someone takes it, so that
 * a console closed while ssh was being started leaves nothing behind. */
typedef struct {
  int fd;
} ConsoleFd;

static void
console_fd_free (ConsoleFd *console)
{
  if (console->fd >= 0)
    close (console->fd);
  g_free (console);
}

static void
console_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ConsoleRequest *req = task_data;
  GError *error = NULL;
  ConsoleFd *console;
  int fd;

  /* Spawning ssh is quick, but not something for the main loop. */
  fd = hv_remote_open_console (req->remote, req->uuid, &error);
  if (fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  console = g_new0 (ConsoleFd, 1);
  console->fd = fd;
  g_task_return_pointer (task, console, (GDestroyNotify) console_fd_free);
}

void
hv_engine_client_remote_console (const HvRemote *remote,
                                 const char     *uuid,
                                 GTask          *task)
{
  ConsoleRequest *req = g_new0 (ConsoleRequest, 1);

  req->remote = hv_engine_client_remote_copy (remote);
  req->uuid = g_strdup (uuid);
  g_task_set_source_tag (task, hv_engine_client_remote_console);
  g_task_set_task_data (task, req, (GDestroyNotify) console_request_free);
  g_task_run_in_thread (task, console_thread);
}

int
hv_engine_client_remote_console_finish (GTask   *task,
                                        GError **error)
{
  ConsoleFd *console = g_task_propagate_pointer (task, error);
  int fd;

  if (console == NULL)
    return -1;
  fd = console->fd;
  console->fd = -1;
  console_fd_free (console);
  return fd;
}

/* ---- PNGs as bytes ---- */

static void
read_png_done (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) png = NULL;
  g_autoptr(GBytes) bytes = NULL;
  static const guint8 magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  GError *error = NULL;
  gsize size;

  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD))
    {
      g_clear_error (&error);
      /* An engine from before Vm.ReadScreenshot: it can only pass descriptors. */
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                               _("The engine on the other computer is too old to send "
                                 "pictures over SSH: update Hostvisor there"));
      return;
    }
  if (reply == NULL)
    {
      hv_client_error_strip (error);
      g_task_return_error (task, error);
      return;
    }
  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE ("(ay)")))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                               _("The engine answered with something that is not a PNG"));
      return;
    }
  png = g_variant_get_child_value (reply, 0);
  bytes = g_variant_get_data_as_bytes (png);
  size = g_bytes_get_size (bytes);
  if (size > HV_REMOTE_PNG_MAX_BYTES || size < sizeof magic ||
      memcmp (g_bytes_get_data (bytes, NULL), magic, sizeof magic) != 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                               _("The engine answered with something that is not a PNG"));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
}

void
hv_engine_client_remote_read_png (GDBusProxy *proxy,
                                  const char *method,
                                  GVariant   *parameters,
                                  int         timeout_ms,
                                  GTask      *task)
{
  g_dbus_proxy_call (proxy, method, parameters, G_DBUS_CALL_FLAGS_NONE, timeout_ms,
                     g_task_get_cancellable (task), read_png_done, task);
}

/* ---- why a connection was lost ---- */

static void
lost_reason_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  g_task_return_pointer (task, hv_remote_lost_reason (task_data), g_free);
}

void
hv_engine_client_remote_lost_reason_async (HvEngineClient     *client,
                                           GDBusConnection    *connection,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (client, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_engine_client_remote_lost_reason_async);
  g_task_set_task_data (task, g_object_ref (connection), g_object_unref);
  g_task_run_in_thread (task, lost_reason_thread);
}

char *
hv_engine_client_remote_lost_reason_finish (GAsyncResult *result)
{
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

/* ---- words ---- */

static char *
host_words (const HvRemote *remote)
{
  if (remote->user != NULL)
    return g_strdup_printf ("%s@%s", remote->user, remote->host);
  return g_strdup (remote->host);
}

char *
hv_engine_client_dup_host_label (HvEngineClient *client)
{
  const HvRemote *remote = hv_engine_client_get_remote (client);

  if (remote == NULL)
    return g_strdup (_("This Computer"));
  return host_words (remote);
}

char *
hv_engine_client_dup_remote_banner (HvEngineClient *client,
                                    gboolean        was_connected)
{
  const HvRemote *remote = hv_engine_client_get_remote (client);
  const char *error = hv_engine_client_get_last_error (client);
  g_autofree char *host = NULL;

  if (remote == NULL || hv_engine_client_get_connected (client))
    return NULL;
  host = host_words (remote);
  if (was_connected)
    {
      if (error != NULL)
        /* Translators: %s is a host name, then why the connection ended (ssh's words) */
        return g_strdup_printf (_("The connection to %s was lost — reconnecting… (%s)"),
                                host, error);
      /* Translators: %s is a host name */
      return g_strdup_printf (_("The connection to %s was lost — reconnecting…"), host);
    }
  if (error == NULL)
    return NULL;
  /* Translators: %s is a host name, then why the attempt failed */
  return g_strdup_printf (_("Cannot connect to %s — trying again… (%s)"), host, error);
}
