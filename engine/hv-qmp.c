/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qmp.c: the QMP transport.
 *
 * Input is buffered and split on newlines: QEMU writes one compact JSON object per
 * line, but the socket may hand us a message one byte at a time or several at once.
 * Every message is bounded (HV_QMP_MAX_MESSAGE bytes, MAX_NESTING levels) because a
 * guest that took over QEMU controls what comes down this socket.
 *
 * Writes are queued and go out one at a time, in order, without blocking. A command
 * that carries a file descriptor is sent with sendmsg() so that the SCM_RIGHTS data
 * rides on its first byte.
 *
 * Lifetimes: the read in flight and the write in flight hold only a weak reference,
 * so dropping the last reference to an idle HvQmp closes the connection. Each pending
 * command's GTask holds a strong one, so an object with commands in flight lives until
 * they are answered or the connection ends.
 *
 * Errors: when QEMU goes away or misbehaves, pending and later commands fail with
 * HV_ERROR_QEMU_FAILED and the reason; after hv_qmp_close() they fail with
 * G_IO_ERROR_CLOSED. */
#include "hv-qmp.h"

#include "hv-error.h"

#include <gio/gunixfdmessage.h>
#include <string.h>

/* How much one read asks for; a message may span any number of reads. */
#define READ_CHUNK_SIZE (64 * 1024)

/* json-glib parses recursively with no depth limit of its own; QEMU's own parser
 * stops at the same depth, so no real reply comes near it. */
#define MAX_NESTING 1024

typedef enum {
  STATE_GREETING,     /* waiting for {"QMP": …} */
  STATE_NEGOTIATING,  /* qmp_capabilities sent */
  STATE_CONNECTED,
  STATE_DISCONNECTED,
} HvQmpState;

typedef struct
{
  GWeakRef self;
  guint8   buffer[READ_CHUNK_SIZE];
} HvQmpRead;

typedef struct
{
  GWeakRef        self;
  GBytes         *bytes;
  GUnixFDMessage *fd_message;  /* NULL once the fd went out, or for a plain command */
} HvQmpWrite;

typedef struct
{
  HvQmp   *self;           /* borrowed: the pending table that holds us is self's */
  char    *id;
  GTask   *task;
  GSource *cancel_source;
} HvQmpPending;

struct _HvQmp
{
  GObject       parent_instance;

  /* owned */
  GMainContext *context;
  GIOStream    *stream;
  GCancellable *io_cancellable;   /* ends the read and write in flight on disconnect */
  GByteArray   *input;            /* received bytes not yet parsed */
  GQueue        writes;           /* HvQmpWrite, not yet started */
  HvQmpWrite   *blocked_write;    /* an fd-carrying write waiting for the socket */
  GSource      *writable_source;  /* wakes blocked_write */
  GHashTable   *pending;          /* id → HvQmpPending */
  GTask        *handshake;        /* until qmp_capabilities has succeeded */
  GSource      *handshake_cancel_source;
  GError       *closed_error;     /* what commands fail with once disconnected */

  /* borrowed */
  GSocket      *socket;           /* the stream's, when it is a UNIX socket: for fd passing */

  gsize         scanned;          /* input bytes already searched for a newline */
  guint64       last_id;
  guint         version_major;
  guint         version_minor;
  guint         version_micro;
  HvQmpState    state;
  guint         writing : 1;
};

enum {
  SIGNAL_EVENT,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HvQmp, hv_qmp, G_TYPE_OBJECT)

static void hv_qmp_start_read (HvQmp *self, HvQmpRead *read);
static void hv_qmp_flush (HvQmp *self);

static void
hv_qmp_write_free (HvQmpWrite *write)
{
  g_weak_ref_clear (&write->self);
  g_clear_pointer (&write->bytes, g_bytes_unref);
  g_clear_object (&write->fd_message);
  g_free (write);
}

static void
hv_qmp_read_free (HvQmpRead *read)
{
  g_weak_ref_clear (&read->self);
  g_free (read);
}

static void
hv_qmp_pending_free (HvQmpPending *pending)
{
  if (pending->cancel_source != NULL)
    {
      g_source_destroy (pending->cancel_source);
      g_source_unref (pending->cancel_source);
    }
  g_clear_object (&pending->task);
  g_free (pending->id);
  g_free (pending);
}

/* Ends the connection: everything in flight fails with `error` (transfer full; NULL
 * for a close we asked for). "disconnected" is emitted once, unless we are being
 * disposed and nobody could be listening anyway. */
static void
hv_qmp_teardown (HvQmp   *self,
                 GError  *error,
                 gboolean emit)
{
  g_autoptr(GHashTable) pending = NULL;
  g_autoptr(GTask) handshake = NULL;
  GHashTableIter iter;
  gpointer value;

  if (self->state == STATE_DISCONNECTED)
    {
      g_clear_error (&error);
      return;
    }

  self->state = STATE_DISCONNECTED;
  if (error != NULL)
    self->closed_error = g_error_copy (error);
  else
    self->closed_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                              "The QMP connection was closed");

  g_cancellable_cancel (self->io_cancellable);
  if (self->writable_source != NULL)
    {
      g_source_destroy (self->writable_source);
      g_clear_pointer (&self->writable_source, g_source_unref);
    }
  g_clear_pointer (&self->blocked_write, hv_qmp_write_free);
  g_queue_clear_full (&self->writes, (GDestroyNotify) hv_qmp_write_free);
  self->writing = FALSE;

  /* Up to a whole HV_QMP_MAX_MESSAGE may sit here; a feed in progress keeps its own
   * reference to the old buffer. */
  g_byte_array_unref (self->input);
  self->input = g_byte_array_new ();
  self->scanned = 0;

  /* A socket closes without blocking; the cancelled read and write see the
   * cancellation before they could look at the closed descriptor. */
  if (self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);

  /* Steal everything first: completing a task may run its callback right here, and
   * that callback may call back into us. */
  handshake = g_steal_pointer (&self->handshake);
  if (self->handshake_cancel_source != NULL)
    {
      g_source_destroy (self->handshake_cancel_source);
      g_clear_pointer (&self->handshake_cancel_source, g_source_unref);
    }
  pending = g_steal_pointer (&self->pending);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) hv_qmp_pending_free);

  if (handshake != NULL)
    g_task_return_error (handshake, g_error_copy (self->closed_error));

  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HvQmpPending *p = value;

      g_hash_table_iter_steal (&iter);
      g_task_return_error (p->task, g_error_copy (self->closed_error));
      hv_qmp_pending_free (p);
    }

  if (emit)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);

  g_clear_error (&error);
}

G_GNUC_PRINTF (2, 3)
static void
hv_qmp_fail (HvQmp      *self,
             const char *format,
             ...)
{
  g_autoptr(HvQmp) hold = g_object_ref (self);
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (HV_ERROR, HV_ERROR_QEMU_FAILED, format, args);
  va_end (args);

  hv_qmp_teardown (self, error, TRUE);
}

/* json-glib helpers that look at a member only when it has the expected type:
 * what QEMU sends is not trusted to have the shape we hope for. */
static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return NULL;
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
int_member (JsonObject *object,
            const char *name,
            gint64     *value)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static guint
version_member (JsonObject *object,
                const char *name)
{
  gint64 value = 0;

  if (!int_member (object, name, &value) || value < 0 || value > G_MAXUINT)
    return 0;
  return (guint) value;
}

/* Whether every string in @node, member names included, is UTF-8. QEMU writes only UTF-8
 * (its JSON writer replaces invalid sequences), but json-glib lets invalid bytes through,
 * raw or from escapes such as "\200", into event names, error texts and on to D-Bus. The
 * depth is bounded by nesting_is_bounded() before parsing. */
static gboolean
json_is_utf8 (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *member;
        JsonNode *value;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &member, &value))
          if (!g_utf8_validate (member, -1, NULL) || !json_is_utf8 (value))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!json_is_utf8 (json_array_get_element (array, i)))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) != G_TYPE_STRING ||
             g_utf8_validate (json_node_get_string (node), -1, NULL);
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

static gboolean
nesting_is_bounded (const char *text,
                    gsize       len)
{
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > MAX_NESTING)
            return FALSE;
        }
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
    }

  return TRUE;
}

static void
hv_qmp_capabilities_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  HvQmp *self = HV_QMP (object);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) handshake = NULL;

  node = hv_qmp_execute_finish (self, result, &error);

  /* Already failed: the connection ended or the caller cancelled. */
  if (self->handshake == NULL)
    return;

  if (node == NULL)
    {
      hv_qmp_fail (self, "QMP capabilities negotiation failed: %s", error->message);
      return;
    }

  self->state = STATE_CONNECTED;
  if (self->handshake_cancel_source != NULL)
    {
      g_source_destroy (self->handshake_cancel_source);
      g_clear_pointer (&self->handshake_cancel_source, g_source_unref);
    }
  handshake = g_steal_pointer (&self->handshake);
  g_task_return_pointer (handshake, g_object_ref (self), g_object_unref);
}

static void
hv_qmp_handle_greeting (HvQmp      *self,
                        JsonObject *message)
{
  JsonObject *greeting = object_member (message, "QMP");
  JsonObject *qemu;

  if (greeting == NULL)
    {
      hv_qmp_fail (self, "The QEMU monitor did not start with a QMP greeting");
      return;
    }

  qemu = object_member (object_member (greeting, "version"), "qemu");
  self->version_major = version_member (qemu, "major");
  self->version_minor = version_member (qemu, "minor");
  self->version_micro = version_member (qemu, "micro");

  /* We ask for no optional capability (such as "oob"): plain in-order QMP is all we use. */
  self->state = STATE_NEGOTIATING;
  hv_qmp_execute_async (self, "qmp_capabilities", NULL, -1, NULL, hv_qmp_capabilities_cb, NULL);
}

static void
hv_qmp_handle_reply (HvQmp      *self,
                     JsonObject *message)
{
  const char *id = string_member (message, "id");
  HvQmpPending *pending;
  gpointer value;

  /* No id: QEMU could not even parse a command (we never send one it can't), or a
   * reply to a command that was not ours. An unknown id: cancelled and forgotten. */
  if (id == NULL || !g_hash_table_steal_extended (self->pending, id, NULL, &value))
    return;

  pending = value;

  if (json_object_has_member (message, "return"))
    {
      JsonNode *node = json_object_get_member (message, "return");

      /* The parser made the tree immutable, so a copy is a cheap shared reference. */
      g_task_return_pointer (pending->task, json_node_copy (node),
                             (GDestroyNotify) json_node_unref);
    }
  else
    {
      JsonObject *error = object_member (message, "error");
      const char *desc = string_member (error, "desc");
      const char *klass = string_member (error, "class");

      if (desc != NULL)
        g_task_return_new_error (pending->task, HV_ERROR, HV_ERROR_QEMU_FAILED, "%s", desc);
      else
        g_task_return_new_error (pending->task, HV_ERROR, HV_ERROR_QEMU_FAILED,
                                 "QEMU failed the command (%s)",
                                 klass != NULL ? klass : "no error class");
    }

  hv_qmp_pending_free (pending);
}

static void
hv_qmp_handle_event (HvQmp      *self,
                     JsonObject *message)
{
  const char *name = string_member (message, "event");
  JsonObject *timestamp = object_member (message, "timestamp");
  gint64 seconds = 0;
  gint64 microseconds = 0;
  gint64 usec = 0;

  if (name == NULL)
    return;

  if (int_member (timestamp, "seconds", &seconds) &&
      int_member (timestamp, "microseconds", &microseconds) &&
      seconds >= 0 && seconds < G_MAXINT64 / G_USEC_PER_SEC - 1 &&
      microseconds >= 0 && microseconds < G_USEC_PER_SEC)
    usec = seconds * G_USEC_PER_SEC + microseconds;

  /* g_quark_try_string(): names come from QEMU; interning each would let it grow the
   * quark table without bound, and an unknown name has no detailed handler anyway. */
  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_try_string (name),
                 name, object_member (message, "data"), usec);
}

static void
hv_qmp_handle_line (HvQmp      *self,
                    const char *line,
                    gsize       len)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *message;
  JsonNode *root;

  while (len > 0 && g_ascii_isspace (line[0]))
    line++, len--;
  while (len > 0 && g_ascii_isspace (line[len - 1]))
    len--;
  if (len == 0)
    return;

  if (!nesting_is_bounded (line, len))
    {
      hv_qmp_fail (self, "Malformed message from the QEMU monitor: nested too deeply");
      return;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, len, &error))
    {
      hv_qmp_fail (self, "Malformed message from the QEMU monitor: %s", error->message);
      return;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      hv_qmp_fail (self, "Malformed message from the QEMU monitor: not a JSON object");
      return;
    }

  if (!json_is_utf8 (root))
    {
      hv_qmp_fail (self, "Malformed message from the QEMU monitor: a string that is not UTF-8");
      return;
    }

  message = json_node_get_object (root);

  if (self->state == STATE_GREETING)
    hv_qmp_handle_greeting (self, message);
  else if (json_object_has_member (message, "return") ||
           json_object_has_member (message, "error"))
    hv_qmp_handle_reply (self, message);
  else if (json_object_has_member (message, "event"))
    hv_qmp_handle_event (self, message);
  /* Anything else is a kind of message a newer QEMU added; skip it. */
}

/* Takes in what a read returned and handles every complete message in it. Callbacks
 * run from here may close the connection, so the state is checked after each one. */
static void
hv_qmp_feed (HvQmp        *self,
             const guint8 *data,
             gsize         len)
{
  g_autoptr(GByteArray) input = g_byte_array_ref (self->input);
  gsize start = 0;

  g_byte_array_append (input, data, len);

  while (self->state != STATE_DISCONNECTED)
    {
      const guint8 *base = input->data;
      const guint8 *newline = memchr (base + self->scanned, '\n', input->len - self->scanned);
      gsize end;

      if (newline == NULL)
        {
          /* Checked on every read, so the buffer never holds more than one limit
           * plus one read. */
          self->scanned = input->len;
          if (input->len - start > HV_QMP_MAX_MESSAGE)
            hv_qmp_fail (self, "A message from the QEMU monitor exceeds %u bytes",
                         (guint) HV_QMP_MAX_MESSAGE);
          break;
        }

      end = newline - base;
      if (end - start > HV_QMP_MAX_MESSAGE)
        {
          hv_qmp_fail (self, "A message from the QEMU monitor exceeds %u bytes",
                       (guint) HV_QMP_MAX_MESSAGE);
          break;
        }

      self->scanned = end + 1;
      hv_qmp_handle_line (self, (const char *) base + start, end - start);
      start = end + 1;
    }

  if (self->state != STATE_DISCONNECTED && start > 0)
    {
      g_byte_array_remove_range (input, 0, start);
      self->scanned -= start;
    }
}

static void
hv_qmp_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  HvQmpRead *read = user_data;
  g_autoptr(HvQmp) self = g_weak_ref_get (&read->self);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (self == NULL || self->state == STATE_DISCONNECTED)
    {
      hv_qmp_read_free (read);
      return;
    }

  if (n < 0)
    {
      hv_qmp_read_free (read);
      hv_qmp_fail (self, "Could not read from the QEMU monitor: %s", error->message);
      return;
    }

  if (n == 0)
    {
      hv_qmp_read_free (read);
      if (self->state == STATE_GREETING)
        hv_qmp_fail (self, "QEMU closed the monitor connection before the QMP greeting");
      else
        hv_qmp_fail (self, "QEMU closed the monitor connection");
      return;
    }

  hv_qmp_feed (self, read->buffer, n);

  if (self->state == STATE_DISCONNECTED)
    hv_qmp_read_free (read);
  else
    hv_qmp_start_read (self, read);
}

static void
hv_qmp_start_read (HvQmp     *self,
                   HvQmpRead *read)
{
  if (read == NULL)
    {
      read = g_new0 (HvQmpRead, 1);
      g_weak_ref_init (&read->self, self);
    }

  /* The buffer belongs to `read`, not to self, so it outlives self if the read does. */
  g_input_stream_read_async (g_io_stream_get_input_stream (self->stream),
                             read->buffer, sizeof read->buffer, G_PRIORITY_DEFAULT,
                             self->io_cancellable, hv_qmp_read_cb, read);
}

static void
hv_qmp_write_failed (HvQmp  *self,
                     GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    hv_qmp_fail (self, "QEMU closed the monitor connection");
  else
    hv_qmp_fail (self, "Could not write to the QEMU monitor: %s", error->message);
}

static void
hv_qmp_write_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HvQmpWrite *write = user_data;
  g_autoptr(HvQmp) self = g_weak_ref_get (&write->self);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error);
  hv_qmp_write_free (write);

  if (self == NULL || self->state == STATE_DISCONNECTED)
    return;

  self->writing = FALSE;
  if (!ok)
    {
      hv_qmp_write_failed (self, error);
      return;
    }

  hv_qmp_flush (self);
}

/* Starts writing `write` (which it takes) from `offset` on the output stream. */
static void
hv_qmp_write_async (HvQmp      *self,
                    HvQmpWrite *write,
                    gsize       offset)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (write->bytes, &size);

  self->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream),
                                   data + offset, size - offset, G_PRIORITY_DEFAULT,
                                   self->io_cancellable, hv_qmp_write_cb, write);
}

static gboolean hv_qmp_socket_writable_cb (GSocket *socket, GIOCondition condition,
                                           gpointer user_data);

/* Sends a command with its fd in one sendmsg(), without blocking. Takes `write`.
 * Returns TRUE when it all went out and the next write may start now. */
static gboolean
hv_qmp_send_with_fd (HvQmp      *self,
                     HvQmpWrite *write)
{
  g_autoptr(GError) error = NULL;
  GSocketControlMessage *messages[1] = { G_SOCKET_CONTROL_MESSAGE (write->fd_message) };
  GOutputVector vector;
  GPollableReturn ret;
  gsize written = 0;
  gsize size;

  vector.buffer = g_bytes_get_data (write->bytes, &size);
  vector.size = size;

  /* A timeout of 0 makes this the non-blocking form of g_socket_send_message(). */
  ret = g_socket_send_message_with_timeout (self->socket, NULL, &vector, 1, messages, 1,
                                            G_SOCKET_MSG_NONE, 0, &written, NULL, &error);

  if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
    {
      self->writing = TRUE;
      self->blocked_write = write;
      self->writable_source = g_socket_create_source (self->socket, G_IO_OUT, NULL);
      g_source_set_callback (self->writable_source, G_SOURCE_FUNC (hv_qmp_socket_writable_cb),
                             self, NULL);
      g_source_attach (self->writable_source, self->context);
      return FALSE;
    }

  if (ret != G_POLLABLE_RETURN_OK)
    {
      hv_qmp_write_free (write);
      hv_qmp_write_failed (self, error);
      return FALSE;
    }

  /* The fd went with the first byte; the rest, if any, is ordinary data. */
  g_clear_object (&write->fd_message);
  if (written < size)
    {
      hv_qmp_write_async (self, write, written);
      return FALSE;
    }

  hv_qmp_write_free (write);
  return TRUE;
}

static gboolean
hv_qmp_socket_writable_cb (GSocket      *socket,
                           GIOCondition  condition,
                           gpointer      user_data)
{
  /* Borrowed is safe: teardown destroys this source before self can go away. */
  g_autoptr(HvQmp) self = g_object_ref (HV_QMP (user_data));
  HvQmpWrite *write = g_steal_pointer (&self->blocked_write);

  g_clear_pointer (&self->writable_source, g_source_unref);
  self->writing = FALSE;

  if (hv_qmp_send_with_fd (self, write))
    hv_qmp_flush (self);

  return G_SOURCE_REMOVE;
}

static void
hv_qmp_flush (HvQmp *self)
{
  while (!self->writing && self->state != STATE_DISCONNECTED)
    {
      HvQmpWrite *write = g_queue_pop_head (&self->writes);

      if (write == NULL)
        break;

      if (write->fd_message != NULL)
        {
          if (!hv_qmp_send_with_fd (self, write))
            break;
        }
      else
        hv_qmp_write_async (self, write, 0);
    }
}

static GBytes *
hv_qmp_serialize_command (const char *command,
                          JsonObject *arguments,
                          const char *id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  char *line;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "execute");
  json_builder_add_string_value (builder, command);
  if (arguments != NULL)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      /* Takes a reference: the caller's object is shared, not modified. */
      json_node_set_object (node, arguments);
      json_builder_set_member_name (builder, "arguments");
      json_builder_add_value (builder, node);
    }
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);

  /* The generator escapes newlines inside strings, so this is the only one. */
  line = g_malloc (len + 1);
  memcpy (line, text, len);
  line[len] = '\n';
  return g_bytes_new_take (line, len + 1);
}

static gboolean
hv_qmp_pending_cancelled_cb (GCancellable *cancellable,
                             gpointer      user_data)
{
  HvQmpPending *pending = user_data;

  /* Forget the id: the reply, when it comes, is dropped as unknown. */
  if (g_hash_table_steal (pending->self->pending, pending->id))
    {
      g_task_return_error_if_cancelled (pending->task);
      hv_qmp_pending_free (pending);
    }

  return G_SOURCE_REMOVE;
}

void
hv_qmp_execute_async (HvQmp               *self,
                      const char          *command,
                      JsonObject          *arguments,
                      int                  fd,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUnixFDMessage) fd_message = NULL;
  g_autoptr(GError) error = NULL;
  HvQmpPending *pending;
  HvQmpWrite *write;

  g_return_if_fail (HV_IS_QMP (self));
  g_return_if_fail (command != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* The task holds a reference on self until the command is answered. GTask defers
   * any return made here to an idle, so the callback never runs inside this call. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_qmp_execute_async);

  if (self->state == STATE_DISCONNECTED)
    {
      g_task_return_error (task, g_error_copy (self->closed_error));
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (fd >= 0)
    {
      if (self->socket == NULL)
        {
          g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                   "File descriptors can only be passed over a UNIX socket");
          return;
        }

      /* Duplicates fd now: the caller may close its copy as soon as we return. */
      fd_message = G_UNIX_FD_MESSAGE (g_unix_fd_message_new ());
      if (!g_unix_fd_message_append_fd (fd_message, fd, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  pending = g_new0 (HvQmpPending, 1);
  pending->self = self;
  pending->id = g_strdup_printf ("hv-%" G_GUINT64_FORMAT, ++self->last_id);
  pending->task = g_steal_pointer (&task);
  g_hash_table_insert (self->pending, pending->id, pending);

  if (cancellable != NULL)
    {
      /* A source rather than a "cancelled" handler: cancellation may come from
       * another thread, and the task must complete on our context. */
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source, G_SOURCE_FUNC (hv_qmp_pending_cancelled_cb),
                             pending, NULL);
      g_source_attach (pending->cancel_source, self->context);
    }

  write = g_new0 (HvQmpWrite, 1);
  g_weak_ref_init (&write->self, self);
  write->bytes = hv_qmp_serialize_command (command, arguments, pending->id);
  write->fd_message = g_steal_pointer (&fd_message);
  g_queue_push_tail (&self->writes, write);

  hv_qmp_flush (self);
}

JsonNode *
hv_qmp_execute_finish (HvQmp         *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (HV_IS_QMP (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
hv_qmp_handshake_cancelled_cb (GCancellable *cancellable,
                               gpointer      user_data)
{
  g_autoptr(HvQmp) self = g_object_ref (HV_QMP (user_data));
  g_autoptr(GTask) handshake = g_steal_pointer (&self->handshake);

  g_clear_pointer (&self->handshake_cancel_source, g_source_unref);
  if (handshake != NULL)
    g_task_return_error_if_cancelled (handshake);
  hv_qmp_teardown (self, NULL, TRUE);

  return G_SOURCE_REMOVE;
}

void
hv_qmp_new_for_stream_async (GIOStream           *stream,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(HvQmp) self = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_IO_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (HV_TYPE_QMP, NULL);
  self->stream = g_object_ref (stream);
  if (G_IS_SOCKET_CONNECTION (stream))
    {
      GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));

      if (g_socket_get_family (socket) == G_SOCKET_FAMILY_UNIX)
        self->socket = socket;
    }

  /* The task keeps self alive until the handshake ends either way; it has no source
   * object because the caller has no HvQmp yet. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_qmp_new_for_stream_async);
  g_task_set_task_data (task, g_object_ref (self), g_object_unref);
  self->handshake = g_object_ref (task);

  if (cancellable != NULL)
    {
      self->handshake_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->handshake_cancel_source,
                             G_SOURCE_FUNC (hv_qmp_handshake_cancelled_cb), self, NULL);
      g_source_attach (self->handshake_cancel_source, self->context);
    }

  hv_qmp_start_read (self, NULL);
}

HvQmp *
hv_qmp_new_for_stream_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
hv_qmp_connect_handshake_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  HvQmp *qmp;

  qmp = hv_qmp_new_for_stream_finish (result, &error);
  if (qmp == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, qmp, g_object_unref);
}

static void
hv_qmp_connect_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      /* Keep GIO's code: a caller waiting for QEMU to come up retries on
       * G_IO_ERROR_NOT_FOUND and G_IO_ERROR_CONNECTION_REFUSED. */
      g_prefix_error (&error, "Could not connect to the QEMU monitor at %s: ",
                      (const char *) g_task_get_task_data (task));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  hv_qmp_new_for_stream_async (G_IO_STREAM (connection), g_task_get_cancellable (task),
                               hv_qmp_connect_handshake_cb, g_object_ref (task));
}

void
hv_qmp_connect_async (const char          *path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_qmp_connect_async);
  g_task_set_task_data (task, g_strdup (path), g_free);

  client = g_socket_client_new ();
  address = g_unix_socket_address_new (path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable,
                                 hv_qmp_connect_cb, g_steal_pointer (&task));
}

HvQmp *
hv_qmp_connect_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hv_qmp_get_version (HvQmp *self,
                    guint *major,
                    guint *minor,
                    guint *micro)
{
  g_return_if_fail (HV_IS_QMP (self));

  if (major != NULL)
    *major = self->version_major;
  if (minor != NULL)
    *minor = self->version_minor;
  if (micro != NULL)
    *micro = self->version_micro;
}

gboolean
hv_qmp_is_connected (HvQmp *self)
{
  g_return_val_if_fail (HV_IS_QMP (self), FALSE);

  return self->state == STATE_CONNECTED;
}

void
hv_qmp_close (HvQmp *self)
{
  g_autoptr(HvQmp) hold = NULL;

  g_return_if_fail (HV_IS_QMP (self));

  hold = g_object_ref (self);
  hv_qmp_teardown (self, NULL, TRUE);
}

static void
hv_qmp_dispose (GObject *object)
{
  HvQmp *self = HV_QMP (object);

  hv_qmp_teardown (self, NULL, FALSE);
  self->socket = NULL;
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (hv_qmp_parent_class)->dispose (object);
}

static void
hv_qmp_finalize (GObject *object)
{
  HvQmp *self = HV_QMP (object);

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->input, g_byte_array_unref);
  g_clear_error (&self->closed_error);
  g_clear_object (&self->io_cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (hv_qmp_parent_class)->finalize (object);
}

static void
hv_qmp_class_init (HvQmpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_qmp_dispose;
  object_class->finalize = hv_qmp_finalize;

  /* Detailed by event name: connect to "event::SHUTDOWN" for one kind. */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT64);

  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hv_qmp_init (HvQmp *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->io_cancellable = g_cancellable_new ();
  self->input = g_byte_array_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) hv_qmp_pending_free);
  g_queue_init (&self->writes);
}
