/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-server.c: see hv-server.h.
 *
 * The socket is non-blocking and watched from the main loop; each wake-up accepts what is
 * queued. A client's D-Bus handshake (EXTERNAL only, same user only) runs in a GIO worker
 * thread through g_dbus_connection_new(), with a deadline, so a client that connects and
 * says nothing holds one descriptor for a while, not the engine.
 *
 * File descriptors are the engine's scarcest resource: each client holds one, and so do
 * QEMU's monitors, consoles and pidfds. Clients are accepted only while a reserve of
 * descriptors stays free, so that a flood of clients never leaves the engine unable to
 * start a QEMU, and never drives GLib itself out of descriptors (it aborts when it cannot
 * make a wakeup pipe, which is also why the handshake runs without a GCancellable: its
 * deadline shuts the socket down instead). */
#include "hv-server.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "hv-error.h"

/* Clients queue in the kernel while the engine is busy or pausing. */
#define LISTEN_BACKLOG 128
/* At most this many accepts per wake-up, so that a flood of clients cannot starve the
 * clients already connected. */
#define ACCEPTS_PER_WAKEUP 32
/* A failed accept() (EMFILE, ENFILE…) pauses accepting this long, doubled on every
 * further failure up to the maximum; a successful accept starts again from the minimum. */
#define PAUSE_MIN_MS 100
#define PAUSE_MAX_MS 2000
/* Failures are logged once per interval, with their count. */
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
#define HANDSHAKE_TIMEOUT_S 30
/* Descriptors kept free for everything but clients: this share of the limit, at least
 * RESERVE_MIN. */
#define RESERVE_PERCENT 10
#define RESERVE_MIN 16

struct _HvServer
{
  GObject parent_instance;

  /* owned */
  char *socket_path;
  char *guid;
  GSocket *socket;
  GSource *accept_source;     /* while accepting */
  guint pause_id;             /* while paused after a failure */
  guint pause_ms;
  GDBusAuthObserver *observer;
  GPtrArray *handshakes;      /* Handshake* */
  gboolean stopped;

  guint fd_limit;             /* RLIMIT_NOFILE, soft */
  guint fd_reserve;

  /* accept failures not yet logged */
  guint failures;
  gint64 last_log_us;
};

G_DEFINE_FINAL_TYPE (HvServer, hv_server, G_TYPE_OBJECT)

enum {
  SIGNAL_NEW_CONNECTION,
  SIGNAL_PENDING_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  HvServer *server;           /* a reference: the server outlives its handshakes */
  GSocket *socket;
  guint timeout_id;
} Handshake;

static void
handshake_free (Handshake *handshake)
{
  g_clear_handle_id (&handshake->timeout_id, g_source_remove);
  g_clear_object (&handshake->socket);
  g_clear_object (&handshake->server);
  g_free (handshake);
}

/* Ends a handshake early: its blocking reads in the worker thread see the end of the
 * stream and fail. */
static void
handshake_abort (Handshake *handshake)
{
  g_socket_shutdown (handshake->socket, TRUE, TRUE, NULL);
}

static void
stop_watching (HvServer *self)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  g_clear_handle_id (&self->pause_id, g_source_remove);
}

static void
hv_server_dispose (GObject *object)
{
  HvServer *self = HV_SERVER (object);

  hv_server_stop (self);
  g_clear_object (&self->observer);

  G_OBJECT_CLASS (hv_server_parent_class)->dispose (object);
}

static void
hv_server_finalize (GObject *object)
{
  HvServer *self = HV_SERVER (object);

  g_free (self->socket_path);
  g_free (self->guid);
  g_clear_pointer (&self->handshakes, g_ptr_array_unref);

  G_OBJECT_CLASS (hv_server_parent_class)->finalize (object);
}

static void
hv_server_class_init (HvServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_server_dispose;
  object_class->finalize = hv_server_finalize;

  signals[SIGNAL_NEW_CONNECTION] =
    g_signal_new ("new-connection", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_first_wins, NULL, NULL, G_TYPE_BOOLEAN, 1,
                  G_TYPE_DBUS_CONNECTION);
  signals[SIGNAL_PENDING_CHANGED] =
    g_signal_new ("pending-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

/* Only the EXTERNAL mechanism (the kernel's word on the peer's uid) is accepted. */
static gboolean
on_allow_mechanism (GDBusAuthObserver *observer,
                    const char        *mechanism,
                    gpointer           user_data)
{
  return g_str_equal (mechanism, "EXTERNAL");
}

static void
hv_server_init (HvServer *self)
{
  self->guid = g_dbus_generate_guid ();
  self->observer = g_dbus_auth_observer_new ();
  g_signal_connect (self->observer, "allow-mechanism", G_CALLBACK (on_allow_mechanism), NULL);
  /* A handshake's callback holds the server, so nothing is freed here before it ran. */
  self->handshakes = g_ptr_array_new ();
}

/* ----------------------------------------------------------------------------
 * Handshakes
 */

static gboolean
on_handshake_timeout (gpointer user_data)
{
  Handshake *handshake = user_data;

  handshake->timeout_id = 0;
  handshake_abort (handshake);
  return G_SOURCE_REMOVE;
}

static void
on_handshake_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Handshake *handshake = user_data;
  g_autoptr(HvServer) self = g_object_ref (handshake->server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = g_dbus_connection_new_finish (result, &error);
  gboolean accepted = FALSE;

  g_ptr_array_remove (self->handshakes, handshake);
  handshake_free (handshake);

  if (connection != NULL && !self->stopped)
    g_signal_emit (self, signals[SIGNAL_NEW_CONNECTION], 0, connection, &accepted);
  if (accepted)
    g_dbus_connection_start_message_processing (connection);
  else if (connection != NULL)
    g_dbus_connection_close (connection, NULL, NULL, NULL);
  /* A failed handshake (a client that went away, another user) is the client's business. */

  g_signal_emit (self, signals[SIGNAL_PENDING_CHANGED], 0);
}

static void
start_handshake (HvServer *self,
                 GSocket  *client)
{
  g_autoptr(GSocketConnection) stream = g_socket_connection_factory_create_connection (client);
  Handshake *handshake = g_new0 (Handshake, 1);

  handshake->server = g_object_ref (self);
  handshake->socket = g_object_ref (client);
  handshake->timeout_id = g_timeout_add_seconds (HANDSHAKE_TIMEOUT_S, on_handshake_timeout,
                                                 handshake);
  g_ptr_array_add (self->handshakes, handshake);

  /* Messages wait until the "new-connection" handler has exported the objects. */
  g_dbus_connection_new (G_IO_STREAM (stream), self->guid,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER |
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_REQUIRE_SAME_USER |
                         G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                         self->observer, NULL, on_handshake_done, handshake);
}

/* ----------------------------------------------------------------------------
 * Accepting
 */

static void watch_socket (HvServer *self);

static gboolean
on_pause_over (gpointer user_data)
{
  HvServer *self = user_data;

  self->pause_id = 0;
  watch_socket (self);
  return G_SOURCE_REMOVE;
}

/* A client cannot be accepted now (accept() failed, most likely out of descriptors, or
 * the reserve would be touched), and it is still queued, so trying again at once would
 * fail again at once: pause, and say so once per interval. */
static void
pause_accepting (HvServer   *self,
                 const char *why)
{
  gint64 now = g_get_monotonic_time ();

  self->pause_ms = CLAMP (self->pause_ms * 2, PAUSE_MIN_MS, PAUSE_MAX_MS);
  self->failures++;
  if (self->last_log_us == 0 || now - self->last_log_us >= LOG_INTERVAL_US)
    {
      g_warning ("Cannot accept a client: %s (%u time%s since the last report); "
                 "accepting again in %u ms", why, self->failures,
                 self->failures == 1 ? "" : "s", self->pause_ms);
      self->failures = 0;
      self->last_log_us = now;
    }

  stop_watching (self);
  self->pause_id = g_timeout_add (self->pause_ms, on_pause_over, self);
}

/* The engine's open descriptors, or G_MAXUINT when even that cannot be counted. */
static guint
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return G_MAXUINT;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Another client may take a descriptor without touching the reserve. */
static gboolean
have_room (HvServer *self,
           char    **why)
{
  guint open_fds = count_open_fds ();

  if (open_fds != G_MAXUINT && open_fds + 1 + self->fd_reserve <= self->fd_limit)
    return TRUE;
  *why = g_strdup_printf ("%u of its %u file descriptors are open, and %u are kept for VMs",
                          open_fds == G_MAXUINT ? self->fd_limit : open_fds, self->fd_limit,
                          self->fd_reserve);
  return FALSE;
}

/* Accepts up to `max` queued clients; stops at the first failure. */
static guint
accept_some (HvServer *self,
             guint     max)
{
  guint accepted = 0;

  while (accepted < max && !self->stopped && self->pause_id == 0)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = NULL;
      g_autofree char *why = NULL;

      if (!have_room (self, &why))
        {
          pause_accepting (self, why);
          break;
        }
      client = g_socket_accept (self->socket, NULL, &error);
      if (client == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            pause_accepting (self, error->message);
          break;
        }
      self->pause_ms = 0;
      start_handshake (self, client);
      accepted++;
    }
  if (accepted > 0)
    g_signal_emit (self, signals[SIGNAL_PENDING_CHANGED], 0);
  return accepted;
}

static gboolean
on_socket_ready (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  accept_some (HV_SERVER (user_data), ACCEPTS_PER_WAKEUP);
  return G_SOURCE_CONTINUE;
}

static void
watch_socket (HvServer *self)
{
  if (self->stopped || self->accept_source != NULL)
    return;
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, (GSourceFunc) (void (*) (void)) on_socket_ready,
                         self, NULL);
  g_source_attach (self->accept_source, NULL);
}

/* ----------------------------------------------------------------------------
 * Public
 */

HvServer *
hv_server_new (const char  *socket_path,
               GError     **error)
{
  g_autoptr(HvServer) self = g_object_new (HV_TYPE_SERVER, NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (socket_path);

  struct rlimit limit;

  self->socket_path = g_strdup (socket_path);
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    self->fd_limit = (guint) MIN (limit.rlim_cur, (rlim_t) G_MAXINT);
  else
    self->fd_limit = 1024;
  self->fd_reserve = MAX (RESERVE_MIN, self->fd_limit / 100 * RESERVE_PERCENT);
  self->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_DEFAULT, error);
  if (self->socket == NULL)
    return NULL;
  g_unlink (socket_path);
  if (!g_socket_bind (self->socket, address, FALSE, error))
    return NULL;
  /* The directory is 0700 already; the socket says the same. */
  chmod (socket_path, 0600);
  g_socket_set_listen_backlog (self->socket, LISTEN_BACKLOG);
  if (!g_socket_listen (self->socket, error))
    {
      g_unlink (socket_path);
      return NULL;
    }
  g_socket_set_blocking (self->socket, FALSE);
  return g_steal_pointer (&self);
}

void
hv_server_start (HvServer *self)
{
  g_return_if_fail (HV_IS_SERVER (self));

  watch_socket (self);
}

void
hv_server_stop (HvServer *self)
{
  g_return_if_fail (HV_IS_SERVER (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  stop_watching (self);
  if (self->socket != NULL)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
      g_unlink (self->socket_path);
    }
  for (guint i = 0; i < self->handshakes->len; i++)
    handshake_abort (g_ptr_array_index (self->handshakes, i));
}

gboolean
hv_server_accept_queued (HvServer *self)
{
  g_return_val_if_fail (HV_IS_SERVER (self), FALSE);

  if (self->stopped)
    return FALSE;
  return accept_some (self, G_MAXUINT) > 0;
}

guint
hv_server_get_n_pending (HvServer *self)
{
  g_return_val_if_fail (HV_IS_SERVER (self), 0);

  return self->handshakes->len;
}
