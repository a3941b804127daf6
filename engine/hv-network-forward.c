/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-forward.c: a forwarded port from the host to a guest on a network that runs
 * inside the engine's namespace (a host-only network without the one-time set-up). The
 * engine listens in the host's namespace; for each connection the holder makes a socket
 * inside the namespace (hv_netns_open_socket_async()), which the engine connects to the
 * guest and splices to the host's side. UDP: one namespace socket per client address,
 * forgotten after a minute without traffic. */
#include "hv-network-private.h"

#include <errno.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-splice.h"

#define UDP_IDLE_SECONDS 60

struct _HvNetForward
{
  HvNetns *ns;
  HvPortForward *rule;
  GCancellable *cancellable;
  GSocketListener *listener;            /* TCP */
  GSocket *udp_socket;                  /* UDP: the host's side */
  GSource *udp_source;
  GHashTable *udp_clients;              /* "addr:port" -> UdpClient* */
  GHashTable *splices;                  /* TCP: HvSplice* of the open connections */
  guint udp_sweep;
  HvNetForwardTargetFunc target;
  gpointer target_data;
  GDestroyNotify target_destroy;
};

/* ---- TCP ------------------------------------------------------------------------------ */

typedef struct {
  HvNetForward *forward;   /* alive while the cancellable is not cancelled */
  GSocketConnection *host_side;
  GSocket *guest_socket;
  GCancellable *cancellable;
  GSource *connect_source;
  char *guest_address;
  guint16 guest_port;
} Pending;

static void
pending_free (Pending *p)
{
  if (p->connect_source != NULL)
    {
      g_source_destroy (p->connect_source);
      g_source_unref (p->connect_source);
    }
  g_clear_object (&p->host_side);
  g_clear_object (&p->guest_socket);
  g_clear_object (&p->cancellable);
  g_free (p->guest_address);
  g_free (p);
}

static void
on_splice_done (HvSplice *splice,
                gpointer  user_data)
{
  HvNetForward *self = user_data;

  g_hash_table_steal (self->splices, splice);
}

static gboolean
on_guest_connected (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) guest_side = NULL;

  g_clear_pointer (&p->connect_source, g_source_unref);
  if (!g_cancellable_is_cancelled (p->cancellable)
      && g_socket_check_connect_result (socket, &error))
    {
      /* Our own splice, not g_io_stream_splice_async(): a half-close must reach the other
       * side (a client that sends and shuts down, or reads to the end, would wait for ever),
       * and 8 KiB writes made host → guest a fifteenth of a direct connection's speed. */
      guest_side = g_socket_connection_factory_create_connection (p->guest_socket);
      g_hash_table_add (p->forward->splices,
                        hv_splice_new (p->host_side, guest_side, on_splice_done, p->forward));
    }
  else if (error != NULL)
    g_debug ("Forward to %s:%u: %s", p->guest_address, p->guest_port, error->message);
  pending_free (p);
  return G_SOURCE_REMOVE;
}

static void
on_guest_socket (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  int fd = hv_netns_open_socket_finish (HV_NETNS (source), result, &error);

  if (fd < 0 || g_cancellable_is_cancelled (p->cancellable))
    {
      if (fd >= 0)
        close (fd);
      pending_free (p);
      return;
    }
  p->guest_socket = g_socket_new_from_fd (fd, &error);
  if (p->guest_socket == NULL)
    {
      close (fd);
      pending_free (p);
      return;
    }
  g_socket_set_blocking (p->guest_socket, FALSE);
  inet = g_inet_address_new_from_string (p->guest_address);
  address = g_inet_socket_address_new (inet, p->guest_port);
  if (g_socket_connect (p->guest_socket, address, NULL, &error))
    {
      on_guest_connected (p->guest_socket, G_IO_OUT, p);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      g_debug ("Forward to %s:%u: %s", p->guest_address, p->guest_port, error->message);
      pending_free (p);
      return;
    }
  p->connect_source = g_socket_create_source (p->guest_socket, G_IO_OUT, p->cancellable);
  g_source_set_callback (p->connect_source, (GSourceFunc) on_guest_connected, p, NULL);
  g_source_attach (p->connect_source, NULL);
}

static void
on_accept (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  HvNetForward *self = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;
  char *target;
  Pending *p;

  conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* self is gone */
  g_socket_listener_accept_async (self->listener, self->cancellable, on_accept, self);
  if (conn == NULL)
    return;
  target = self->rule->guest_address[0] != '\0' ? g_strdup (self->rule->guest_address)
           : self->target (self->target_data);
  if (target == NULL)
    {
      /* The guest has no lease yet: the connection is refused by closing it. */
      g_object_unref (conn);
      return;
    }
  p = g_new0 (Pending, 1);
  p->forward = self;
  p->host_side = conn;
  p->cancellable = g_object_ref (self->cancellable);
  p->guest_address = target;
  p->guest_port = self->rule->guest_port;
  hv_netns_open_socket_async (self->ns, FALSE, NULL, on_guest_socket, p);
}

/* ---- UDP ------------------------------------------------------------------------------ */

typedef struct {
  HvNetForward *forward;
  GSocketAddress *client;
  GSocket *guest_socket;
  GSource *source;
  gint64 last_used;
  GQueue early;            /* GBytes*: datagrams that came before the socket did */
  gboolean failed;
} UdpClient;

static void
udp_client_free (UdpClient *c)
{
  if (c->source != NULL)
    {
      g_source_destroy (c->source);
      g_source_unref (c->source);
    }
  g_clear_object (&c->client);
  g_clear_object (&c->guest_socket);
  g_queue_clear_full (&c->early, (GDestroyNotify) g_bytes_unref);
  g_free (c);
}

static gboolean
on_guest_datagram (GSocket      *socket,
                   GIOCondition  condition,
                   gpointer      user_data)
{
  UdpClient *c = user_data;
  char buf[65536];
  gssize n;

  while ((n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL)) >= 0)
    {
      c->last_used = g_get_monotonic_time ();
      g_socket_send_to (c->forward->udp_socket, c->client, buf, n, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

typedef struct {
  HvNetForward *forward;
  char *key;
  GCancellable *cancellable;
} UdpOpen;

static void
on_udp_socket (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  UdpOpen *op = user_data;
  g_autoptr(GError) error = NULL;
  int fd = hv_netns_open_socket_finish (HV_NETNS (source), result, &error);
  UdpClient *c = NULL;
  g_autofree char *target = NULL;
  GBytes *bytes;

  if (!g_cancellable_is_cancelled (op->cancellable))
    c = g_hash_table_lookup (op->forward->udp_clients, op->key);
  if (c == NULL || fd < 0)
    goto out;
  c->guest_socket = g_socket_new_from_fd (fd, NULL);
  if (c->guest_socket == NULL)
    goto out;
  fd = -1;
  g_socket_set_blocking (c->guest_socket, FALSE);
  target = op->forward->rule->guest_address[0] != '\0'
           ? g_strdup (op->forward->rule->guest_address)
           : op->forward->target (op->forward->target_data);
  if (target != NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (target);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet,
                                                                     op->forward->rule->guest_port);

      if (g_socket_connect (c->guest_socket, address, NULL, NULL))
        {
          c->source = g_socket_create_source (c->guest_socket, G_IO_IN, NULL);
          g_source_set_callback (c->source, (GSourceFunc) on_guest_datagram, c, NULL);
          g_source_attach (c->source, NULL);
          while ((bytes = g_queue_pop_head (&c->early)) != NULL)
            {
              g_socket_send (c->guest_socket, g_bytes_get_data (bytes, NULL),
                             g_bytes_get_size (bytes), NULL, NULL);
              g_bytes_unref (bytes);
            }
        }
    }
out:
  if (c != NULL && c->source == NULL)
    c->failed = TRUE;
  if (fd >= 0)
    close (fd);
  g_object_unref (op->cancellable);
  g_free (op->key);
  g_free (op);
}

static gboolean
on_host_datagram (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  HvNetForward *self = user_data;
  char buf[65536];
  GSocketAddress *from = NULL;
  gssize n;

  while ((n = g_socket_receive_from (socket, &from, buf, sizeof buf, NULL, NULL)) >= 0)
    {
      g_autoptr(GSocketAddress) client = from;
      GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (client));
      g_autofree char *host = g_inet_address_to_string (inet);
      g_autofree char *key = g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (
                                                G_INET_SOCKET_ADDRESS (client)));
      UdpClient *c = g_hash_table_lookup (self->udp_clients, key);

      from = NULL;
      if (c == NULL)
        {
          UdpOpen *op = g_new0 (UdpOpen, 1);

          c = g_new0 (UdpClient, 1);
          c->forward = self;
          c->client = g_object_ref (client);
          g_queue_init (&c->early);
          g_hash_table_insert (self->udp_clients, g_strdup (key), c);
          op->forward = self;
          op->key = g_strdup (key);
          op->cancellable = g_object_ref (self->cancellable);
          hv_netns_open_socket_async (self->ns, TRUE, NULL, on_udp_socket, op);
        }
      c->last_used = g_get_monotonic_time ();
      if (c->source != NULL)
        g_socket_send (c->guest_socket, buf, n, NULL, NULL);
      else if (!c->failed && g_queue_get_length (&c->early) < 64)
        g_queue_push_tail (&c->early, g_bytes_new (buf, n));
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
sweep_udp (gpointer user_data)
{
  HvNetForward *self = user_data;
  GHashTableIter iter;
  UdpClient *c;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->udp_clients);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (c->failed || now - c->last_used > UDP_IDLE_SECONDS * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);
  return G_SOURCE_CONTINUE;
}

/* ---- The forward ---------------------------------------------------------------------- */

HvNetForward *
hv_net_forward_new (HvNetns              *ns,
                    const HvPortForward  *rule,
                    HvNetForwardTargetFunc target,
                    gpointer              target_data,
                    GDestroyNotify        target_destroy,
                    GError              **error)
{
  HvNetForward *self;
  g_autoptr(GError) local = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (rule->host_address);
  g_autoptr(GSocketAddress) address = NULL;

  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Port forward \"%s\": the host address \"%s\" is not an IPv4 address",
                   rule->name, rule->host_address);
      return NULL;
    }
  address = g_inet_socket_address_new (inet, rule->host_port);
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
                         rule->udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, &local);
  if (socket == NULL
      || !g_socket_bind (socket, address, !rule->udp, &local)
      || (!rule->udp && !g_socket_listen (socket, &local)))
    {
      gboolean busy = g_error_matches (local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
      gboolean denied = g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

      g_set_error (error, HV_ERROR, busy ? HV_ERROR_BUSY : HV_ERROR_FAILED,
                   busy ? "Port %u on %s is taken: port forward \"%s\" cannot listen there"
                   : denied ? "Port %u on %s needs privilege: port forward \"%s\" cannot listen "
                              "there (choose a port from 1024)"
                   : "Port %u on %s: port forward \"%s\" cannot listen there",
                   rule->host_port, rule->host_address, rule->name);
      if (!busy && !denied)
        g_prefix_error (error, "%s: ", local->message);
      return NULL;
    }

  self = g_new0 (HvNetForward, 1);
  self->ns = g_object_ref (ns);
  self->rule = hv_port_forward_copy (rule);
  self->cancellable = g_cancellable_new ();
  self->target = target;
  self->target_data = target_data;
  self->target_destroy = target_destroy;
  if (!rule->udp)
    {
      self->splices = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) hv_splice_free, NULL);
      self->listener = g_socket_listener_new ();
      g_socket_listener_add_socket (self->listener, socket, NULL, NULL);
      g_socket_listener_accept_async (self->listener, self->cancellable, on_accept, self);
    }
  else
    {
      self->udp_socket = g_steal_pointer (&socket);
      g_socket_set_blocking (self->udp_socket, FALSE);
      self->udp_clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) udp_client_free);
      self->udp_source = g_socket_create_source (self->udp_socket, G_IO_IN, NULL);
      g_source_set_callback (self->udp_source, (GSourceFunc) on_host_datagram, self, NULL);
      g_source_attach (self->udp_source, NULL);
      self->udp_sweep = g_timeout_add_seconds (10, sweep_udp, self);
    }
  return self;
}

const char *
hv_net_forward_get_name (HvNetForward *self)
{
  return self->rule->name;
}

void
hv_net_forward_free (HvNetForward *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  if (self->listener != NULL)
    {
      g_socket_listener_close (self->listener);
      g_object_unref (self->listener);
    }
  if (self->udp_source != NULL)
    {
      g_source_destroy (self->udp_source);
      g_source_unref (self->udp_source);
    }
  if (self->udp_sweep != 0)
    g_source_remove (self->udp_sweep);
  g_clear_pointer (&self->udp_clients, g_hash_table_unref);
  /* Open connections end with the forward. */
  g_clear_pointer (&self->splices, g_hash_table_unref);
  g_clear_object (&self->udp_socket);
  if (self->target_destroy != NULL)
    self->target_destroy (self->target_data);
  g_object_unref (self->cancellable);
  hv_port_forward_free (self->rule);
  g_object_unref (self->ns);
  g_free (self);
}
