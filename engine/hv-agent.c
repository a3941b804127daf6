/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-agent.h"

#include <string.h>

#include "hv-agent-proto.h"
#include "hv-build-config.h"
#include "hv-error.h"

#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 4000
#define HEARTBEAT_S 5
#define HEARTBEAT_DEADLINE_S 15
#define READ_CHUNK 65536
/* Frames waiting to be written; past this the guest is not reading and we stop queueing. */
#define MAX_PENDING_BYTES (HV_AGENT_MAX_PAYLOAD + 65536)

struct _HvAgent
{
  GObject parent_instance;

  /* owned: the connection */
  char *socket_path;
  gboolean running;
  GCancellable *cancellable;      /* of the current connection */
  GSocketConnection *connection;
  HvAgentReader reader;
  guint8 *read_buffer;
  GQueue write_queue;             /* GBytes* */
  gsize pending_bytes;
  gboolean writing;
  guint reconnect_id;
  guint reconnect_ms;
  guint heartbeat_id;

  /* owned: the session */
  gboolean hello_received;
  guint8 session_major;
  guint32 peer_caps;
  guint32 ping_seq;
  gint64 last_pong_usec;
  gboolean connected;             /* the agent answers */
  char *version;
  char *os_name;
  char *kernel;
  char *hostname;
  GPtrArray *addresses;           /* char* */
  GVariant *share_status;         /* a(sss) */

  /* owned: what the host side wants */
  GPtrArray *shares;              /* AgentShare* */
  guint32 shares_generation;
  HvClipboardMode clipboard_mode;

  /* owned: the clipboard */
  guint32 host_serial;            /* our latest offer */
  guint32 guest_serial;           /* the guest's latest offer */
  char *clip_mime;
  GBytes *clip_data;
  gboolean clip_from_host;
};

/* A share to announce, owned. */
typedef struct {
  char *name;
  char *tag;
  guint8 kind;                    /* HV_AGENT_SHARE_KIND_* */
  guint8 flags;                   /* HV_AGENT_SHARE_* */
} AgentShare;

G_DEFINE_FINAL_TYPE (HvAgent, hv_agent, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  SIGNAL_CLIPBOARD_CHANGED,
  SIGNAL_SHARES_APPLIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_now (HvAgent *self);

static void
agent_share_free (AgentShare *share)
{
  g_free (share->name);
  g_free (share->tag);
  g_free (share);
}
static void drop_connection (HvAgent *self, const char *why);

/* ----------------------------------------------------------------------------
 * Object
 */

static void
reset_session (HvAgent *self)
{
  self->hello_received = FALSE;
  self->session_major = HV_AGENT_PROTO_MAJOR;
  self->peer_caps = 0;
  self->guest_serial = 0;
  g_clear_pointer (&self->share_status, g_variant_unref);
}

static void
hv_agent_dispose (GObject *object)
{
  HvAgent *self = HV_AGENT (object);

  hv_agent_stop (self);
  G_OBJECT_CLASS (hv_agent_parent_class)->dispose (object);
}

static void
hv_agent_finalize (GObject *object)
{
  HvAgent *self = HV_AGENT (object);

  hv_agent_reader_clear (&self->reader);
  g_free (self->read_buffer);
  g_free (self->socket_path);
  g_free (self->version);
  g_free (self->os_name);
  g_free (self->kernel);
  g_free (self->hostname);
  g_clear_pointer (&self->addresses, g_ptr_array_unref);
  g_clear_pointer (&self->share_status, g_variant_unref);
  g_clear_pointer (&self->shares, g_ptr_array_unref);
  g_free (self->clip_mime);
  g_clear_pointer (&self->clip_data, g_bytes_unref);

  G_OBJECT_CLASS (hv_agent_parent_class)->finalize (object);
}

static void
hv_agent_class_init (HvAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_agent_dispose;
  object_class->finalize = hv_agent_finalize;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_CLIPBOARD_CHANGED] =
    g_signal_new ("clipboard-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SHARES_APPLIED] =
    g_signal_new ("shares-applied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
hv_agent_init (HvAgent *self)
{
  hv_agent_reader_init (&self->reader, 0);
  self->read_buffer = g_malloc (READ_CHUNK);
  g_queue_init (&self->write_queue);
  self->addresses = g_ptr_array_new_with_free_func (g_free);
  self->shares = g_ptr_array_new_with_free_func ((GDestroyNotify) agent_share_free);
  self->version = g_strdup ("");
  self->os_name = g_strdup ("");
  self->kernel = g_strdup ("");
  self->hostname = g_strdup ("");
  self->reconnect_ms = RECONNECT_MIN_MS;
  reset_session (self);
}

HvAgent *
hv_agent_new (const char *socket_path)
{
  HvAgent *self = g_object_new (HV_TYPE_AGENT, NULL);

  self->socket_path = g_strdup (socket_path);
  return self;
}

/* ----------------------------------------------------------------------------
 * Writing
 */

static void write_next (HvAgent *self);

static void
on_written (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HvAgent) self = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        drop_connection (self, error->message);
      return;
    }
  bytes = g_queue_pop_head (&self->write_queue);
  if (bytes != NULL)
    {
      self->pending_bytes -= g_bytes_get_size (bytes);
      g_bytes_unref (bytes);
    }
  self->writing = FALSE;
  write_next (self);
}

static void
write_next (HvAgent *self)
{
  GBytes *bytes;
  GOutputStream *out;
  gsize len;
  gconstpointer data;

  if (self->writing || self->connection == NULL)
    return;
  bytes = g_queue_peek_head (&self->write_queue);
  if (bytes == NULL)
    return;
  self->writing = TRUE;
  out = g_io_stream_get_output_stream (G_IO_STREAM (self->connection));
  data = g_bytes_get_data (bytes, &len);
  g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT, self->cancellable,
                                   on_written, g_object_ref (self));
}

/* Queue an encoded frame. Returns FALSE (and queues nothing) when the guest stopped
 * reading and the queue is full. */
static gboolean
queue_buffer (HvAgent       *self,
              HvAgentBuffer *buffer)
{
  GBytes *bytes;

  if (self->connection == NULL || self->pending_bytes + buffer->len > MAX_PENDING_BYTES)
    {
      hv_agent_buffer_clear (buffer);
      return FALSE;
    }
  bytes = g_bytes_new (buffer->data, buffer->len);
  self->pending_bytes += buffer->len;
  g_queue_push_tail (&self->write_queue, bytes);
  hv_agent_buffer_clear (buffer);
  write_next (self);
  return TRUE;
}

static void
send_hello (HvAgent  *self,
            gboolean  reply)
{
  HvAgentBuffer buffer = { 0 };
  HvAgentHello hello = {
    .major = HV_AGENT_PROTO_MAJOR,
    .minor = HV_AGENT_PROTO_MINOR,
    .role = HV_AGENT_ROLE_HOST,
    .flags = reply ? HV_AGENT_HELLO_REPLY : 0,
    .capabilities = HV_AGENT_CAP_GUEST_INFO | HV_AGENT_CAP_SHARES_9P |
                    HV_AGENT_CAP_SHARES_VIRTIOFS,
    .software = (char *) "hostvisord " PACKAGE_VERSION,
  };

  if (self->clipboard_mode != HV_CLIPBOARD_OFF)
    hello.capabilities |= HV_AGENT_CAP_CLIPBOARD_TEXT | HV_AGENT_CAP_CLIPBOARD_PNG;
  if (hv_agent_encode_hello (&buffer, &hello) == HV_AGENT_OK)
    queue_buffer (self, &buffer);
}

static gboolean
guest_mounts (HvAgent          *self,
              const AgentShare *share)
{
  return (self->peer_caps & (share->kind == HV_AGENT_SHARE_KIND_VIRTIOFS ?
                             HV_AGENT_CAP_SHARES_VIRTIOFS : HV_AGENT_CAP_SHARES_9P)) != 0;
}

/* Returns the generation sent, 0 when nothing was sent. */
static guint32
send_shares (HvAgent *self)
{
  HvAgentBuffer buffer = { 0 };
  HvAgentShares msg = { 0 };
  g_autofree HvAgentShare *entries = NULL;
  guint n = 0;

  if (!self->hello_received ||
      !(self->peer_caps & (HV_AGENT_CAP_SHARES_9P | HV_AGENT_CAP_SHARES_VIRTIOFS)))
    return 0;

  entries = g_new0 (HvAgentShare, MAX (self->shares->len, 1));
  for (guint i = 0; i < self->shares->len; i++)
    {
      const AgentShare *share = g_ptr_array_index (self->shares, i);

      /* A kind the guest did not say it mounts is not offered (hv_agent_dup_share_status()
       * reports it as unsupported). */
      if (!guest_mounts (self, share))
        continue;
      entries[n].name = share->name;
      entries[n].tag = share->tag;
      entries[n].kind = share->kind;
      entries[n].flags = share->flags;
      n++;
    }
  msg.generation = ++self->shares_generation;
  msg.n_shares = (uint16_t) n;
  msg.shares = entries;
  if (hv_agent_encode_shares (&buffer, self->session_major, &msg) != HV_AGENT_OK ||
      !queue_buffer (self, &buffer))
    return 0;
  return msg.generation;
}

static gboolean
mode_allows (HvClipboardMode mode,
             gboolean        host_to_guest)
{
  if (mode == HV_CLIPBOARD_BOTH)
    return TRUE;
  return host_to_guest ? mode == HV_CLIPBOARD_HOST_TO_GUEST : mode == HV_CLIPBOARD_GUEST_TO_HOST;
}

static guint32
clipboard_cap (const char *mime)
{
  return g_strcmp0 (mime, HV_AGENT_MIME_PNG) == 0 ? HV_AGENT_CAP_CLIPBOARD_PNG
                                                  : HV_AGENT_CAP_CLIPBOARD_TEXT;
}

/* Offer the host's clipboard to the guest, when it has one and may see it. */
static void
send_offer (HvAgent *self)
{
  HvAgentBuffer buffer = { 0 };
  HvAgentClipboardOffer offer = { 0 };
  char *types[1];

  if (!self->hello_received || !self->clip_from_host || self->clip_mime == NULL ||
      !mode_allows (self->clipboard_mode, TRUE) ||
      !(self->peer_caps & clipboard_cap (self->clip_mime)))
    return;

  types[0] = self->clip_mime;
  offer.serial = self->host_serial;
  offer.n_types = 1;
  offer.types = types;
  if (hv_agent_encode_clipboard_offer (&buffer, self->session_major, &offer) == HV_AGENT_OK)
    queue_buffer (self, &buffer);
}

/* ----------------------------------------------------------------------------
 * Receiving
 */

static void
set_str (char      **field,
         const char *value)
{
  g_free (*field);
  *field = g_strdup (value != NULL ? value : "");
}

static void
handle_hello (HvAgent            *self,
              const HvAgentHello *hello)
{
  gboolean restarted = self->hello_received;

  if (hello->role != HV_AGENT_ROLE_GUEST)
    {
      drop_connection (self, "the peer is not a guest agent");
      return;
    }
  reset_session (self);
  self->hello_received = TRUE;
  self->session_major = (guint8) hv_agent_negotiate_major (HV_AGENT_PROTO_MAJOR, hello->major);
  self->peer_caps = hello->capabilities;
  self->last_pong_usec = g_get_monotonic_time ();
  set_str (&self->version, hello->software);

  /* A second HELLO means the agent restarted (say, the guest rebooted): it has forgotten
   * our HELLO, so it gets one again, marked as a reply so it is not answered. */
  if (restarted && !(hello->flags & HV_AGENT_HELLO_REPLY))
    send_hello (self, TRUE);
  send_shares (self);
  send_offer (self);

  self->connected = TRUE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
handle_guest_info (HvAgent                *self,
                   const HvAgentGuestInfo *info)
{
  set_str (&self->os_name, info->os_pretty_name != NULL && info->os_pretty_name[0] ?
           info->os_pretty_name : info->os_name);
  set_str (&self->kernel, info->kernel_release);
  set_str (&self->hostname, info->hostname);
  if (info->agent_version != NULL && info->agent_version[0] != '\0')
    set_str (&self->version, info->agent_version);

  g_ptr_array_set_size (self->addresses, 0);
  for (guint i = 0; i < info->n_addresses; i++)
    {
      char text[64];
      const HvAgentAddress *a = &info->addresses[i];

      if (hv_agent_address_to_string (a, text, sizeof text) != NULL)
        g_ptr_array_add (self->addresses, g_strdup_printf ("%s %s/%u", a->interface, text,
                                                           a->prefix));
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
handle_share_status (HvAgent                  *self,
                     const HvAgentShareStatus *status)
{
  static const char * const states[] = { "mounted", "not-mounted", "failed", "unsupported" };
  GVariantBuilder builder;

  /* Only the answer to our latest list counts. */
  if (status->generation != self->shares_generation)
    return;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sss)"));
  for (guint i = 0; i < status->n_shares; i++)
    {
      const HvAgentShareStatusEntry *e = &status->shares[i];
      const char *state = e->state < G_N_ELEMENTS (states) ? states[e->state] : "unknown";
      const char *detail = e->state == 2 && e->message != NULL && e->message[0] ?
                           e->message : e->mount_point;

      g_variant_builder_add (&builder, "(sss)", e->name, state, detail != NULL ? detail : "");
    }
  g_clear_pointer (&self->share_status, g_variant_unref);
  self->share_status = g_variant_ref_sink (g_variant_builder_end (&builder));
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  g_signal_emit (self, signals[SIGNAL_SHARES_APPLIED], 0, (guint) status->generation);
}

static void
handle_clipboard_offer (HvAgent                     *self,
                        const HvAgentClipboardOffer *offer)
{
  HvAgentBuffer buffer = { 0 };
  HvAgentClipboardRequest request = { 0 };
  const char *wanted = NULL;

  if (!mode_allows (self->clipboard_mode, FALSE))
    return;   /* guest data never leaves the guest in this mode */

  self->guest_serial = offer->serial;
  for (guint i = 0; i < offer->n_types; i++)
    {
      if (g_str_equal (offer->types[i], HV_AGENT_MIME_TEXT))
        wanted = HV_AGENT_MIME_TEXT;
      else if (wanted == NULL && g_str_equal (offer->types[i], HV_AGENT_MIME_PNG))
        wanted = HV_AGENT_MIME_PNG;
    }
  if (wanted == NULL)
    return;

  /* Fetch at once: the engine keeps the VM's clipboard for clients that ask later. */
  request.serial = offer->serial;
  request.mime = (char *) wanted;
  if (hv_agent_encode_clipboard_request (&buffer, self->session_major, &request) == HV_AGENT_OK)
    queue_buffer (self, &buffer);
}

static void
handle_clipboard_request (HvAgent                       *self,
                          const HvAgentClipboardRequest *request)
{
  HvAgentBuffer buffer = { 0 };
  HvAgentClipboardData data = { 0 };
  gsize size = 0;

  data.serial = request->serial;
  data.mime = request->mime;
  /* Empty data answers a stale or forbidden request, as the protocol asks. */
  if (request->serial == self->host_serial && self->clip_from_host &&
      mode_allows (self->clipboard_mode, TRUE) &&
      g_strcmp0 (request->mime, self->clip_mime) == 0 && self->clip_data != NULL)
    {
      data.data = (uint8_t *) g_bytes_get_data (self->clip_data, &size);
      data.size = (uint32_t) size;
    }
  if (hv_agent_encode_clipboard_data (&buffer, self->session_major, &data) == HV_AGENT_OK)
    queue_buffer (self, &buffer);
}

static void
handle_clipboard_data (HvAgent                    *self,
                       const HvAgentClipboardData *data)
{
  if (!mode_allows (self->clipboard_mode, FALSE) || data->serial != self->guest_serial ||
      data->size == 0)
    return;

  /* The codec already checked the size cap and the content (UTF-8 text, PNG signature). */
  g_clear_pointer (&self->clip_data, g_bytes_unref);
  self->clip_data = g_bytes_new (data->data, data->size);
  set_str (&self->clip_mime, data->mime);
  self->clip_from_host = FALSE;
  g_signal_emit (self, signals[SIGNAL_CLIPBOARD_CHANGED], 0);
}

static void
handle_frame (HvAgent            *self,
              const HvAgentFrame *frame)
{
  HvAgentMessage msg = { 0 };
  HvAgentStatus status;

  if (!self->hello_received && frame->type != HV_AGENT_MSG_HELLO)
    {
      drop_connection (self, "the agent did not start with HELLO");
      return;
    }
  if (frame->type != HV_AGENT_MSG_HELLO && frame->version != self->session_major)
    {
      drop_connection (self, "a frame of another protocol version");
      return;
    }

  status = hv_agent_message_decode (frame, &msg);
  if (status == HV_AGENT_ERR_UNKNOWN_TYPE)
    return;   /* a newer agent's message: ignored, as the protocol says */
  if (status != HV_AGENT_OK)
    {
      drop_connection (self, hv_agent_status_to_string (status));
      return;
    }

  switch (msg.type)
    {
    case HV_AGENT_MSG_HELLO:
      handle_hello (self, &msg.u.hello);
      break;
    case HV_AGENT_MSG_HEARTBEAT:
      if (msg.u.heartbeat.reply)
        self->last_pong_usec = g_get_monotonic_time ();
      else
        {
          HvAgentBuffer buffer = { 0 };
          HvAgentHeartbeat pong = { .seq = msg.u.heartbeat.seq, .reply = 1 };
          if (hv_agent_encode_heartbeat (&buffer, self->session_major, &pong) == HV_AGENT_OK)
            queue_buffer (self, &buffer);
        }
      break;
    case HV_AGENT_MSG_GUEST_INFO:
      handle_guest_info (self, &msg.u.guest_info);
      break;
    case HV_AGENT_MSG_SHARE_STATUS:
      handle_share_status (self, &msg.u.share_status);
      break;
    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      handle_clipboard_offer (self, &msg.u.clipboard_offer);
      break;
    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      handle_clipboard_request (self, &msg.u.clipboard_request);
      break;
    case HV_AGENT_MSG_CLIPBOARD_DATA:
      handle_clipboard_data (self, &msg.u.clipboard_data);
      break;
    default:
      /* ERROR is informational; SHARES travels the other way and is ignored. */
      break;
    }
  hv_agent_message_clear (&msg);
}

static void read_next (HvAgent *self);

static void
on_read (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(HvAgent) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  gsize offset = 0;

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (n <= 0)
    {
      drop_connection (self, n == 0 ? "QEMU closed the agent socket" : error->message);
      return;
    }

  while (offset < (gsize) n && self->connection != NULL)
    {
      HvAgentStatus status;
      HvAgentFrame frame = { 0 };

      offset += hv_agent_reader_feed (&self->reader, self->read_buffer + offset,
                                      (gsize) n - offset, &status);
      if (status != HV_AGENT_OK)
        {
          drop_connection (self, hv_agent_status_to_string (status));
          return;
        }
      while (self->connection != NULL && hv_agent_reader_next (&self->reader, &frame))
        {
          handle_frame (self, &frame);
          hv_agent_frame_clear (&frame);
        }
    }
  read_next (self);
}

static void
read_next (HvAgent *self)
{
  if (self->connection == NULL)
    return;
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (self->connection)),
                             self->read_buffer, READ_CHUNK, G_PRIORITY_DEFAULT,
                             self->cancellable, on_read, g_object_ref (self));
}

/* ----------------------------------------------------------------------------
 * Connection
 */

static gboolean
on_heartbeat (gpointer user_data)
{
  HvAgent *self = user_data;
  HvAgentBuffer buffer = { 0 };
  HvAgentHeartbeat ping = { 0 };

  if (!self->hello_received)
    return G_SOURCE_CONTINUE;

  if (g_get_monotonic_time () - self->last_pong_usec > HEARTBEAT_DEADLINE_S * G_USEC_PER_SEC)
    {
      /* The guest stopped answering (agent killed, guest hung or rebooting): the agent
       * says HELLO again when it is back. */
      if (self->connected)
        {
          self->connected = FALSE;
          reset_session (self);
          g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
        }
      return G_SOURCE_CONTINUE;
    }

  ping.seq = ++self->ping_seq;
  if (hv_agent_encode_heartbeat (&buffer, self->session_major, &ping) == HV_AGENT_OK)
    queue_buffer (self, &buffer);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reconnect (gpointer user_data)
{
  HvAgent *self = user_data;

  self->reconnect_id = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (HvAgent *self)
{
  if (!self->running || self->reconnect_id != 0)
    return;
  self->reconnect_id = g_timeout_add (self->reconnect_ms, on_reconnect, self);
  self->reconnect_ms = MIN (self->reconnect_ms * 2, RECONNECT_MAX_MS);
}

static void
close_connection (HvAgent *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_clear_object (&self->connection);
  g_queue_clear_full (&self->write_queue, (GDestroyNotify) g_bytes_unref);
  self->pending_bytes = 0;
  self->writing = FALSE;
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  hv_agent_reader_reset (&self->reader);

  reset_session (self);
  if (self->connected)
    {
      self->connected = FALSE;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }
}

static void
drop_connection (HvAgent    *self,
                 const char *why)
{
  g_debug ("agent connection dropped: %s", why);
  close_connection (self);
  schedule_reconnect (self);
}

static void
on_connected (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HvAgent) self = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        schedule_reconnect (self);
      return;
    }

  self->connection = connection;
  self->reconnect_ms = RECONNECT_MIN_MS;
  send_hello (self, FALSE);
  self->heartbeat_id = g_timeout_add_seconds (HEARTBEAT_S, on_heartbeat, self);
  read_next (self);
}

static void
connect_now (HvAgent *self)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (self->socket_path);

  close_connection (self);
  self->cancellable = g_cancellable_new ();
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), self->cancellable,
                                 on_connected, g_object_ref (self));
}

void
hv_agent_start (HvAgent *self)
{
  self->running = TRUE;
  self->reconnect_ms = RECONNECT_MIN_MS;
  connect_now (self);
}

void
hv_agent_stop (HvAgent *self)
{
  self->running = FALSE;
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  close_connection (self);
}

/* ----------------------------------------------------------------------------
 * Accessors and requests
 */

gboolean
hv_agent_is_connected (HvAgent *self)
{
  return self->connected;
}

const char *
hv_agent_get_version (HvAgent *self)
{
  return self->connected ? self->version : "";
}

const char *
hv_agent_get_os_name (HvAgent *self)
{
  return self->os_name;
}

const char *
hv_agent_get_kernel (HvAgent *self)
{
  return self->kernel;
}

const char *
hv_agent_get_hostname (HvAgent *self)
{
  return self->hostname;
}

char **
hv_agent_dup_addresses (HvAgent *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **result;

  for (guint i = 0; i < self->addresses->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->addresses, i));
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

GVariant *
hv_agent_dup_share_status (HvAgent *self)
{
  GVariantBuilder builder;
  GVariantIter iter;
  const char *name, *state, *detail;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sss)"));
  if (self->share_status != NULL)
    {
      g_variant_iter_init (&iter, self->share_status);
      while (g_variant_iter_next (&iter, "(&s&s&s)", &name, &state, &detail))
        g_variant_builder_add (&builder, "(sss)", name, state, detail);
    }
  /* What the guest was not offered because it cannot mount it, once it said so. */
  for (guint i = 0; self->hello_received && i < self->shares->len; i++)
    {
      const AgentShare *share = g_ptr_array_index (self->shares, i);

      if (!guest_mounts (self, share))
        g_variant_builder_add (&builder, "(sss)", share->name, "unsupported",
                               share->kind == HV_AGENT_SHARE_KIND_VIRTIOFS ?
                               "the guest tools cannot mount virtiofs" :
                               "the guest tools cannot mount 9p");
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

guint32
hv_agent_set_share_list (HvAgent                *self,
                         const HvAgentShareInfo *shares,
                         guint                   n_shares)
{
  g_ptr_array_set_size (self->shares, 0);
  for (guint i = 0; i < n_shares; i++)
    {
      AgentShare *share = g_new0 (AgentShare, 1);

      share->name = g_strdup (shares[i].name);
      share->tag = g_strdup (shares[i].tag);
      share->kind = shares[i].virtiofs ? HV_AGENT_SHARE_KIND_VIRTIOFS : HV_AGENT_SHARE_KIND_9P;
      share->flags = (shares[i].readonly ? HV_AGENT_SHARE_READONLY : 0) |
                     (shares[i].automount ? HV_AGENT_SHARE_AUTOMOUNT : 0);
      g_ptr_array_add (self->shares, share);
    }
  return send_shares (self);
}

void
hv_agent_set_shares (HvAgent   *self,
                     GPtrArray *shares)
{
  g_autofree HvAgentShareInfo *infos = g_new0 (HvAgentShareInfo, shares != NULL ?
                                                                 shares->len + 1 : 1);
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
  guint n = shares != NULL ? shares->len : 0;

  for (guint i = 0; i < n; i++)
    {
      const HvShare *share = g_ptr_array_index (shares, i);
      /* The argv builder tags 9p share i "hvshare<i>"; the user's name never reaches QEMU. */
      char *tag = g_strdup_printf ("hvshare%u", i);

      g_ptr_array_add (tags, tag);
      infos[i].name = share->name;
      infos[i].tag = tag;
      infos[i].readonly = share->readonly;
      infos[i].automount = share->automount;
    }
  hv_agent_set_share_list (self, infos, n);
}

void
hv_agent_recheck_shares (HvAgent *self)
{
  send_shares (self);
}

void
hv_agent_set_clipboard_mode (HvAgent        *self,
                             HvClipboardMode mode)
{
  if (self->clipboard_mode == mode)
    return;
  self->clipboard_mode = mode;
  /* Our HELLO's capabilities depend on the mode: say it again. */
  if (self->connection != NULL)
    send_hello (self, TRUE);
  send_offer (self);
}

gboolean
hv_agent_set_clipboard (HvAgent    *self,
                        const char *mime,
                        GBytes     *data,
                        GError    **error)
{
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (data, &size);

  if (g_strcmp0 (mime, HV_AGENT_MIME_TEXT) != 0 && g_strcmp0 (mime, HV_AGENT_MIME_PNG) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unsupported clipboard type \"%s\" (%s or %s)", mime, HV_AGENT_MIME_TEXT,
                   HV_AGENT_MIME_PNG);
      return FALSE;
    }
  if (size > HV_AGENT_MAX_CLIPBOARD)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Clipboard data is larger than %u bytes", HV_AGENT_MAX_CLIPBOARD);
      return FALSE;
    }
  if (g_str_equal (mime, HV_AGENT_MIME_TEXT) && !hv_agent_utf8_valid (bytes, size))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Clipboard text must be UTF-8 without NUL characters");
      return FALSE;
    }
  if (g_str_equal (mime, HV_AGENT_MIME_PNG) &&
      (size < 8 || memcmp (bytes, "\x89PNG\r\n\x1a\n", 8) != 0))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Clipboard image is not a PNG");
      return FALSE;
    }

  g_clear_pointer (&self->clip_data, g_bytes_unref);
  self->clip_data = g_bytes_ref (data);
  set_str (&self->clip_mime, mime);
  self->clip_from_host = TRUE;
  self->host_serial++;
  send_offer (self);
  g_signal_emit (self, signals[SIGNAL_CLIPBOARD_CHANGED], 0);
  return TRUE;
}

GBytes *
hv_agent_get_clipboard (HvAgent *self,
                        char   **mime)
{
  *mime = self->clip_data != NULL ? g_strdup (self->clip_mime) : NULL;
  return self->clip_data != NULL ? g_bytes_ref (self->clip_data) : NULL;
}
