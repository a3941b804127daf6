/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hv-agent-proto.c: frames and messages of docs/agent-protocol.md. Plain C99, no GLib.
 */
#include "hv-agent-proto.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The reader grows its payload buffer by at most this much beyond what has arrived, so a peer
 * that announces 16 MiB and sends 10 bytes costs 64 KiB, not 16 MiB. */
#define READER_CHUNK (64u * 1024u)

static const uint8_t png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

const char *
hv_agent_status_to_string (HvAgentStatus status)
{
  switch (status)
    {
    case HV_AGENT_OK: return "ok";
    case HV_AGENT_ERR_BAD_MAGIC: return "bad magic";
    case HV_AGENT_ERR_BAD_VERSION: return "bad protocol version";
    case HV_AGENT_ERR_TOO_LARGE: return "length over the limit";
    case HV_AGENT_ERR_TRUNCATED: return "truncated payload";
    case HV_AGENT_ERR_BAD_UTF8: return "string is not valid UTF-8";
    case HV_AGENT_ERR_TOO_MANY: return "count over the limit";
    case HV_AGENT_ERR_BAD_VALUE: return "field value out of range";
    case HV_AGENT_ERR_WRONG_TYPE: return "wrong message type";
    case HV_AGENT_ERR_UNKNOWN_TYPE: return "unknown message type";
    case HV_AGENT_ERR_NOMEM: return "out of memory";
    default: return "unknown status";
    }
}

const char *
hv_agent_msg_type_to_string (uint16_t type)
{
  switch (type)
    {
    case HV_AGENT_MSG_HELLO: return "HELLO";
    case HV_AGENT_MSG_HEARTBEAT: return "HEARTBEAT";
    case HV_AGENT_MSG_ERROR: return "ERROR";
    case HV_AGENT_MSG_GUEST_INFO: return "GUEST_INFO";
    case HV_AGENT_MSG_SHARES: return "SHARES";
    case HV_AGENT_MSG_SHARE_STATUS: return "SHARE_STATUS";
    case HV_AGENT_MSG_CLIPBOARD_OFFER: return "CLIPBOARD_OFFER";
    case HV_AGENT_MSG_CLIPBOARD_REQUEST: return "CLIPBOARD_REQUEST";
    case HV_AGENT_MSG_CLIPBOARD_DATA: return "CLIPBOARD_DATA";
    default: return "unknown";
    }
}

/* ------------------------------------------------------------------------------------------- */
/* Validation helpers                                                                           */

bool
hv_agent_utf8_valid (const void *data, size_t len)
{
  const uint8_t *p = data;
  size_t i = 0;

  while (i < len)
    {
      uint8_t c = p[i];
      uint32_t cp;
      size_t n;

      if (c == 0)
        return false;
      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        {
          n = 1;
          cp = c & 0x1f;
        }
      else if (c >= 0xe0 && c <= 0xef)
        {
          n = 2;
          cp = c & 0x0f;
        }
      else if (c >= 0xf0 && c <= 0xf4)
        {
          n = 3;
          cp = c & 0x07;
        }
      else
        return false; /* continuation byte, overlong lead (c0, c1) or above U+10FFFF (f5..ff) */

      if (len - i - 1 < n)
        return false;
      for (size_t k = 1; k <= n; k++)
        {
          if ((p[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (p[i + k] & 0x3f);
        }
      if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff
          || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += n + 1;
    }
  return true;
}

bool
hv_agent_share_name_valid (const char *name)
{
  size_t len;

  if (name == NULL)
    return false;
  len = strlen (name);
  if (len == 0 || len > HV_AGENT_MAX_NAME)
    return false;
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return false;
  if (strchr (name, '/') != NULL)
    return false;
  return hv_agent_utf8_valid (name, len);
}

bool
hv_agent_mime_valid (const char *mime)
{
  size_t len;

  if (mime == NULL)
    return false;
  len = strlen (mime);
  if (len == 0 || len > HV_AGENT_MAX_MIME)
    return false;
  for (size_t i = 0; i < len; i++)
    if ((uint8_t) mime[i] < 0x21 || (uint8_t) mime[i] > 0x7e)
      return false;
  return true;
}

uint16_t
hv_agent_negotiate_major (uint16_t local_major, uint16_t peer_major)
{
  return local_major < peer_major ? local_major : peer_major;
}

const char *
hv_agent_address_to_string (const HvAgentAddress *address, char *buf, size_t size)
{
  if (address->family == 4)
    return inet_ntop (AF_INET, address->address, buf, (socklen_t) size);
  if (address->family == 6)
    return inet_ntop (AF_INET6, address->address, buf, (socklen_t) size);
  return NULL;
}

static bool
address_valid (const HvAgentAddress *a)
{
  if (a->family == 4)
    return a->prefix <= 32;
  if (a->family == 6)
    return a->prefix <= 128;
  return false;
}

/* Content checks of the known clipboard types (docs: CLIPBOARD_DATA). */
static bool
clipboard_content_valid (const char *mime, const uint8_t *data, uint32_t size)
{
  if (strcmp (mime, HV_AGENT_MIME_TEXT) == 0)
    return hv_agent_utf8_valid (data, size);
  if (strcmp (mime, HV_AGENT_MIME_PNG) == 0)
    return size == 0 || (size >= sizeof png_signature
                         && memcmp (data, png_signature, sizeof png_signature) == 0);
  return true;
}

/* ------------------------------------------------------------------------------------------- */
/* Frames and the reader                                                                        */

void
hv_agent_frame_clear (HvAgentFrame *frame)
{
  free (frame->payload);
  memset (frame, 0, sizeof *frame);
}

static uint16_t
get_u16 (const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

static uint32_t
get_u32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

HvAgentStatus
hv_agent_header_parse (const uint8_t header[HV_AGENT_HEADER_SIZE], uint32_t max_payload,
                       HvAgentFrame *frame)
{
  if (max_payload == 0 || max_payload > HV_AGENT_MAX_PAYLOAD)
    max_payload = HV_AGENT_MAX_PAYLOAD;
  if (header[0] != HV_AGENT_MAGIC_0 || header[1] != HV_AGENT_MAGIC_1
      || header[2] != HV_AGENT_MAGIC_2 || header[3] != HV_AGENT_MAGIC_3)
    return HV_AGENT_ERR_BAD_MAGIC;
  if (header[4] == 0)
    return HV_AGENT_ERR_BAD_VERSION;
  frame->version = header[4];
  frame->flags = header[5];
  frame->type = get_u16 (header + 6);
  frame->length = get_u32 (header + 8);
  frame->payload = NULL;
  if (frame->length > max_payload)
    return HV_AGENT_ERR_TOO_LARGE;
  return HV_AGENT_OK;
}

void
hv_agent_reader_init (HvAgentReader *reader, uint32_t max_payload)
{
  memset (reader, 0, sizeof *reader);
  if (max_payload == 0 || max_payload > HV_AGENT_MAX_PAYLOAD)
    max_payload = HV_AGENT_MAX_PAYLOAD;
  reader->max_payload = max_payload;
}

void
hv_agent_reader_clear (HvAgentReader *reader)
{
  hv_agent_frame_clear (&reader->frame);
  reader->header_len = 0;
  reader->payload_len = 0;
  reader->payload_cap = 0;
  reader->complete = false;
  reader->error = HV_AGENT_OK;
}

void
hv_agent_reader_reset (HvAgentReader *reader)
{
  hv_agent_reader_clear (reader);
}

size_t
hv_agent_reader_feed (HvAgentReader *reader, const void *data, size_t len,
                      HvAgentStatus *status)
{
  const uint8_t *p = data;
  size_t used = 0;

  *status = reader->error;
  if (reader->error != HV_AGENT_OK || reader->complete)
    return 0;

  if (reader->header_len < HV_AGENT_HEADER_SIZE)
    {
      size_t want = HV_AGENT_HEADER_SIZE - reader->header_len;
      size_t n = len < want ? len : want;

      memcpy (reader->header + reader->header_len, p, n);
      reader->header_len += n;
      used += n;
      /* Reject a bad magic as soon as its bytes are in, not after a whole header. */
      for (size_t i = 0; i < reader->header_len && i < 4; i++)
        {
          static const uint8_t magic[4] = { HV_AGENT_MAGIC_0, HV_AGENT_MAGIC_1,
                                            HV_AGENT_MAGIC_2, HV_AGENT_MAGIC_3 };
          if (reader->header[i] != magic[i])
            {
              reader->error = *status = HV_AGENT_ERR_BAD_MAGIC;
              return used;
            }
        }
      if (reader->header_len < HV_AGENT_HEADER_SIZE)
        return used;

      reader->error = hv_agent_header_parse (reader->header, reader->max_payload,
                                             &reader->frame);
      if (reader->error != HV_AGENT_OK)
        {
          *status = reader->error;
          return used;
        }
      reader->payload_len = 0;
      reader->payload_cap = 0;
    }

  if (reader->payload_len < reader->frame.length)
    {
      size_t want = reader->frame.length - reader->payload_len;
      size_t n = (len - used) < want ? (len - used) : want;

      if (n == 0)
        return used;
      if (reader->payload_len + n > reader->payload_cap)
        {
          size_t cap = reader->payload_len + n + READER_CHUNK;
          uint8_t *grown;

          if (cap > reader->frame.length)
            cap = reader->frame.length;
          grown = realloc (reader->frame.payload, cap);
          if (grown == NULL)
            {
              reader->error = *status = HV_AGENT_ERR_NOMEM;
              return used;
            }
          reader->frame.payload = grown;
          reader->payload_cap = cap;
        }
      memcpy (reader->frame.payload + reader->payload_len, p + used, n);
      reader->payload_len += n;
      used += n;
    }

  if (reader->payload_len == reader->frame.length)
    reader->complete = true;
  return used;
}

bool
hv_agent_reader_next (HvAgentReader *reader, HvAgentFrame *frame)
{
  if (!reader->complete)
    return false;
  *frame = reader->frame;
  memset (&reader->frame, 0, sizeof reader->frame);
  reader->header_len = 0;
  reader->payload_len = 0;
  reader->payload_cap = 0;
  reader->complete = false;
  return true;
}

/* ------------------------------------------------------------------------------------------- */
/* Output buffer and the field writer                                                           */

void
hv_agent_buffer_clear (HvAgentBuffer *buffer)
{
  free (buffer->data);
  memset (buffer, 0, sizeof *buffer);
}

void
hv_agent_buffer_consume (HvAgentBuffer *buffer, size_t n)
{
  if (n >= buffer->len)
    {
      buffer->len = 0;
      return;
    }
  memmove (buffer->data, buffer->data + n, buffer->len - n);
  buffer->len -= n;
}

typedef struct
{
  HvAgentBuffer *out;
  size_t start; /* offset of this frame's header in out */
  HvAgentStatus status;
} Writer;

static void
w_bytes (Writer *w, const void *data, size_t len)
{
  HvAgentBuffer *b = w->out;

  if (w->status != HV_AGENT_OK)
    return;
  if (b->len - w->start + len > HV_AGENT_HEADER_SIZE + (size_t) HV_AGENT_MAX_PAYLOAD)
    {
      w->status = HV_AGENT_ERR_TOO_LARGE;
      return;
    }
  if (b->len + len > b->cap)
    {
      size_t cap = b->cap ? b->cap : 256;
      uint8_t *grown;

      while (cap < b->len + len)
        cap *= 2;
      grown = realloc (b->data, cap);
      if (grown == NULL)
        {
          w->status = HV_AGENT_ERR_NOMEM;
          return;
        }
      b->data = grown;
      b->cap = cap;
    }
  if (len > 0)
    memcpy (b->data + b->len, data, len);
  b->len += len;
}

static void
w_u8 (Writer *w, uint8_t v)
{
  w_bytes (w, &v, 1);
}

static void
w_u16 (Writer *w, uint16_t v)
{
  uint8_t b[2] = { (uint8_t) (v >> 8), (uint8_t) v };
  w_bytes (w, b, 2);
}

static void
w_u32 (Writer *w, uint32_t v)
{
  uint8_t b[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v };
  w_bytes (w, b, 4);
}

static void
w_fail (Writer *w, HvAgentStatus status)
{
  if (w->status == HV_AGENT_OK)
    w->status = status;
}

/* A string of at most max bytes (min 1 byte when nonempty is set). */
static void
w_string (Writer *w, const char *s, size_t max, bool nonempty)
{
  size_t len = s ? strlen (s) : 0;

  if (len > max)
    w_fail (w, HV_AGENT_ERR_TOO_LARGE);
  else if (nonempty && len == 0)
    w_fail (w, HV_AGENT_ERR_BAD_VALUE);
  else if (!hv_agent_utf8_valid (s ? s : "", len))
    w_fail (w, HV_AGENT_ERR_BAD_UTF8);
  w_u16 (w, (uint16_t) len);
  w_bytes (w, s, len);
}

static void
w_mime (Writer *w, const char *mime)
{
  if (!hv_agent_mime_valid (mime))
    w_fail (w, HV_AGENT_ERR_BAD_VALUE);
  w_string (w, mime, HV_AGENT_MAX_MIME, true);
}

static void
w_begin (Writer *w, HvAgentBuffer *out, uint8_t version, uint16_t type)
{
  static const uint8_t magic[4] = { HV_AGENT_MAGIC_0, HV_AGENT_MAGIC_1,
                                    HV_AGENT_MAGIC_2, HV_AGENT_MAGIC_3 };

  w->out = out;
  w->start = out->len;
  w->status = version == 0 ? HV_AGENT_ERR_BAD_VERSION : HV_AGENT_OK;
  w_bytes (w, magic, 4);
  w_u8 (w, version);
  w_u8 (w, 0);
  w_u16 (w, type);
  w_u32 (w, 0); /* length, patched by w_end () */
}

static HvAgentStatus
w_end (Writer *w)
{
  if (w->status == HV_AGENT_OK)
    {
      size_t length = w->out->len - w->start - HV_AGENT_HEADER_SIZE;
      uint8_t *p = w->out->data + w->start + 8;

      p[0] = (uint8_t) (length >> 24);
      p[1] = (uint8_t) (length >> 16);
      p[2] = (uint8_t) (length >> 8);
      p[3] = (uint8_t) length;
    }
  else
    w->out->len = w->start; /* leave out as it was */
  return w->status;
}

/* ------------------------------------------------------------------------------------------- */
/* The field reader                                                                             */

typedef struct
{
  const uint8_t *p;
  size_t left;
  HvAgentStatus status;
} Reader;

static void
r_init (Reader *r, const HvAgentFrame *frame)
{
  r->p = frame->payload;
  r->left = frame->length;
  r->status = HV_AGENT_OK;
  if (frame->length > 0 && frame->payload == NULL)
    r->status = HV_AGENT_ERR_TRUNCATED;
}

static void
r_fail (Reader *r, HvAgentStatus status)
{
  if (r->status == HV_AGENT_OK)
    r->status = status;
}

static const uint8_t *
r_take (Reader *r, size_t n)
{
  const uint8_t *p;

  if (r->status != HV_AGENT_OK)
    return NULL;
  if (r->left < n)
    {
      r->status = HV_AGENT_ERR_TRUNCATED;
      return NULL;
    }
  p = r->p;
  r->p += n;
  r->left -= n;
  return p;
}

static uint8_t
r_u8 (Reader *r)
{
  const uint8_t *p = r_take (r, 1);
  return p ? p[0] : 0;
}

static uint16_t
r_u16 (Reader *r)
{
  const uint8_t *p = r_take (r, 2);
  return p ? get_u16 (p) : 0;
}

static uint32_t
r_u32 (Reader *r)
{
  const uint8_t *p = r_take (r, 4);
  return p ? get_u32 (p) : 0;
}

/* Returns a malloc()ed NUL-terminated copy, or NULL with r->status set. */
static char *
r_string (Reader *r, size_t max, bool nonempty)
{
  uint16_t len = r_u16 (r);
  const uint8_t *p;
  char *s;

  if (r->status != HV_AGENT_OK)
    return NULL;
  if (len > max)
    {
      r_fail (r, HV_AGENT_ERR_TOO_LARGE);
      return NULL;
    }
  if (nonempty && len == 0)
    {
      r_fail (r, HV_AGENT_ERR_BAD_VALUE);
      return NULL;
    }
  p = r_take (r, len);
  if (p == NULL)
    return NULL;
  if (!hv_agent_utf8_valid (p, len))
    {
      r_fail (r, HV_AGENT_ERR_BAD_UTF8);
      return NULL;
    }
  s = malloc ((size_t) len + 1);
  if (s == NULL)
    {
      r_fail (r, HV_AGENT_ERR_NOMEM);
      return NULL;
    }
  memcpy (s, p, len);
  s[len] = '\0';
  return s;
}

static char *
r_mime (Reader *r)
{
  char *s = r_string (r, HV_AGENT_MAX_MIME, true);

  if (s != NULL && !hv_agent_mime_valid (s))
    {
      free (s);
      r_fail (r, HV_AGENT_ERR_BAD_VALUE);
      return NULL;
    }
  return s;
}

/* A count with its limit; the array is calloc()ed by the caller. */
static uint16_t
r_count (Reader *r, uint16_t max)
{
  uint16_t n = r_u16 (r);

  if (r->status == HV_AGENT_OK && n > max)
    r_fail (r, HV_AGENT_ERR_TOO_MANY);
  return r->status == HV_AGENT_OK ? n : 0;
}

static void *
r_array (Reader *r, size_t n, size_t size)
{
  void *a;

  if (r->status != HV_AGENT_OK || n == 0)
    return NULL;
  a = calloc (n, size);
  if (a == NULL)
    r_fail (r, HV_AGENT_ERR_NOMEM);
  return a;
}

static HvAgentStatus
check_type (const HvAgentFrame *frame, uint16_t type)
{
  return frame->type == type ? HV_AGENT_OK : HV_AGENT_ERR_WRONG_TYPE;
}

/* ------------------------------------------------------------------------------------------- */
/* Clear functions                                                                              */

void
hv_agent_hello_clear (HvAgentHello *msg)
{
  free (msg->software);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_error_clear (HvAgentError *msg)
{
  free (msg->message);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_guest_info_clear (HvAgentGuestInfo *msg)
{
  free (msg->agent_version);
  free (msg->os_id);
  free (msg->os_name);
  free (msg->os_pretty_name);
  free (msg->os_version_id);
  free (msg->kernel_release);
  free (msg->hostname);
  if (msg->addresses != NULL)
    for (size_t i = 0; i < msg->n_addresses; i++)
      free (msg->addresses[i].interface);
  free (msg->addresses);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_shares_clear (HvAgentShares *msg)
{
  if (msg->shares != NULL)
    for (size_t i = 0; i < msg->n_shares; i++)
      {
        free (msg->shares[i].name);
        free (msg->shares[i].tag);
      }
  free (msg->shares);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_share_status_clear (HvAgentShareStatus *msg)
{
  if (msg->shares != NULL)
    for (size_t i = 0; i < msg->n_shares; i++)
      {
        free (msg->shares[i].name);
        free (msg->shares[i].mount_point);
        free (msg->shares[i].message);
      }
  free (msg->shares);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_clipboard_offer_clear (HvAgentClipboardOffer *msg)
{
  if (msg->types != NULL)
    for (size_t i = 0; i < msg->n_types; i++)
      free (msg->types[i]);
  free (msg->types);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_clipboard_request_clear (HvAgentClipboardRequest *msg)
{
  free (msg->mime);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_clipboard_data_clear (HvAgentClipboardData *msg)
{
  free (msg->mime);
  free (msg->data);
  memset (msg, 0, sizeof *msg);
}

void
hv_agent_message_clear (HvAgentMessage *msg)
{
  switch (msg->type)
    {
    case HV_AGENT_MSG_HELLO: hv_agent_hello_clear (&msg->u.hello); break;
    case HV_AGENT_MSG_ERROR: hv_agent_error_clear (&msg->u.error); break;
    case HV_AGENT_MSG_GUEST_INFO: hv_agent_guest_info_clear (&msg->u.guest_info); break;
    case HV_AGENT_MSG_SHARES: hv_agent_shares_clear (&msg->u.shares); break;
    case HV_AGENT_MSG_SHARE_STATUS: hv_agent_share_status_clear (&msg->u.share_status); break;
    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      hv_agent_clipboard_offer_clear (&msg->u.clipboard_offer);
      break;
    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      hv_agent_clipboard_request_clear (&msg->u.clipboard_request);
      break;
    case HV_AGENT_MSG_CLIPBOARD_DATA:
      hv_agent_clipboard_data_clear (&msg->u.clipboard_data);
      break;
    default:
      break;
    }
  memset (msg, 0, sizeof *msg);
}

/* ------------------------------------------------------------------------------------------- */
/* HELLO, HEARTBEAT, ERROR                                                                      */

HvAgentStatus
hv_agent_encode_hello (HvAgentBuffer *out, const HvAgentHello *msg)
{
  Writer w;

  /* HELLO is frozen at header version 1 so every peer can read it (docs: Versions). */
  w_begin (&w, out, 1, HV_AGENT_MSG_HELLO);
  if (msg->major == 0 || (msg->role != HV_AGENT_ROLE_HOST && msg->role != HV_AGENT_ROLE_GUEST))
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u16 (&w, msg->major);
  w_u16 (&w, msg->minor);
  w_u8 (&w, msg->role);
  w_u8 (&w, msg->flags);
  w_u32 (&w, msg->capabilities);
  w_string (&w, msg->software, HV_AGENT_MAX_STRING, false);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_hello (const HvAgentFrame *frame, HvAgentHello *msg)
{
  Reader r;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_HELLO) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->major = r_u16 (&r);
  msg->minor = r_u16 (&r);
  msg->role = r_u8 (&r);
  msg->flags = r_u8 (&r);
  msg->capabilities = r_u32 (&r);
  msg->software = r_string (&r, HV_AGENT_MAX_STRING, false);
  if (r.status == HV_AGENT_OK
      && (msg->major == 0 || (msg->role != HV_AGENT_ROLE_HOST && msg->role != HV_AGENT_ROLE_GUEST)))
    r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
  if (r.status != HV_AGENT_OK)
    hv_agent_hello_clear (msg);
  return r.status;
}

HvAgentStatus
hv_agent_encode_heartbeat (HvAgentBuffer *out, uint8_t version, const HvAgentHeartbeat *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_HEARTBEAT);
  if (msg->reply > 1)
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u32 (&w, msg->seq);
  w_u8 (&w, msg->reply);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_heartbeat (const HvAgentFrame *frame, HvAgentHeartbeat *msg)
{
  Reader r;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_HEARTBEAT) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->seq = r_u32 (&r);
  msg->reply = r_u8 (&r);
  if (r.status == HV_AGENT_OK && msg->reply > 1)
    r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
  if (r.status != HV_AGENT_OK)
    memset (msg, 0, sizeof *msg);
  return r.status;
}

HvAgentStatus
hv_agent_encode_error (HvAgentBuffer *out, uint8_t version, const HvAgentError *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_ERROR);
  w_u32 (&w, msg->code);
  w_string (&w, msg->message, HV_AGENT_MAX_STRING, false);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_error (const HvAgentFrame *frame, HvAgentError *msg)
{
  Reader r;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_ERROR) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->code = r_u32 (&r);
  msg->message = r_string (&r, HV_AGENT_MAX_STRING, false);
  if (r.status != HV_AGENT_OK)
    hv_agent_error_clear (msg);
  return r.status;
}

/* ------------------------------------------------------------------------------------------- */
/* GUEST_INFO                                                                                   */

HvAgentStatus
hv_agent_encode_guest_info (HvAgentBuffer *out, uint8_t version, const HvAgentGuestInfo *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_GUEST_INFO);
  w_string (&w, msg->agent_version, HV_AGENT_MAX_STRING, false);
  w_string (&w, msg->os_id, HV_AGENT_MAX_STRING, false);
  w_string (&w, msg->os_name, HV_AGENT_MAX_STRING, false);
  w_string (&w, msg->os_pretty_name, HV_AGENT_MAX_STRING, false);
  w_string (&w, msg->os_version_id, HV_AGENT_MAX_STRING, false);
  w_string (&w, msg->kernel_release, HV_AGENT_MAX_STRING, false);
  w_string (&w, msg->hostname, HV_AGENT_MAX_STRING, false);
  if (msg->n_addresses > HV_AGENT_MAX_ADDRESSES)
    w_fail (&w, HV_AGENT_ERR_TOO_MANY);
  else if (msg->n_addresses > 0 && msg->addresses == NULL)
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u16 (&w, msg->n_addresses);
  for (size_t i = 0; w.status == HV_AGENT_OK && i < msg->n_addresses; i++)
    {
      const HvAgentAddress *a = &msg->addresses[i];

      if (!address_valid (a))
        w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
      w_string (&w, a->interface, HV_AGENT_MAX_NAME, true);
      w_u8 (&w, a->family);
      w_u8 (&w, a->prefix);
      w_bytes (&w, a->address, a->family == 4 ? 4 : 16);
    }
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_guest_info (const HvAgentFrame *frame, HvAgentGuestInfo *msg)
{
  Reader r;
  uint16_t n;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_GUEST_INFO) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->agent_version = r_string (&r, HV_AGENT_MAX_STRING, false);
  msg->os_id = r_string (&r, HV_AGENT_MAX_STRING, false);
  msg->os_name = r_string (&r, HV_AGENT_MAX_STRING, false);
  msg->os_pretty_name = r_string (&r, HV_AGENT_MAX_STRING, false);
  msg->os_version_id = r_string (&r, HV_AGENT_MAX_STRING, false);
  msg->kernel_release = r_string (&r, HV_AGENT_MAX_STRING, false);
  msg->hostname = r_string (&r, HV_AGENT_MAX_STRING, false);
  n = r_count (&r, HV_AGENT_MAX_ADDRESSES);
  msg->addresses = r_array (&r, n, sizeof (HvAgentAddress));
  if (msg->addresses != NULL)
    msg->n_addresses = n;
  for (size_t i = 0; r.status == HV_AGENT_OK && i < n; i++)
    {
      HvAgentAddress *a = &msg->addresses[i];
      const uint8_t *p;

      a->interface = r_string (&r, HV_AGENT_MAX_NAME, true);
      a->family = r_u8 (&r);
      a->prefix = r_u8 (&r);
      if (r.status == HV_AGENT_OK && !address_valid (a))
        r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
      p = r_take (&r, a->family == 4 ? 4 : 16);
      if (p != NULL)
        memcpy (a->address, p, a->family == 4 ? 4 : 16);
    }
  if (r.status != HV_AGENT_OK)
    hv_agent_guest_info_clear (msg);
  return r.status;
}

/* ------------------------------------------------------------------------------------------- */
/* SHARES, SHARE_STATUS                                                                         */

static bool
share_names_unique (const char *const *names, size_t n)
{
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp (names[i], names[j]) == 0)
        return false;
  return true;
}

static bool
shares_unique (const HvAgentShare *shares, size_t n)
{
  const char *names[HV_AGENT_MAX_SHARES];

  for (size_t i = 0; i < n; i++)
    names[i] = shares[i].name;
  return share_names_unique (names, n);
}

static bool
share_status_unique (const HvAgentShareStatusEntry *shares, size_t n)
{
  const char *names[HV_AGENT_MAX_SHARES];

  for (size_t i = 0; i < n; i++)
    names[i] = shares[i].name;
  return share_names_unique (names, n);
}

HvAgentStatus
hv_agent_encode_shares (HvAgentBuffer *out, uint8_t version, const HvAgentShares *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_SHARES);
  w_u32 (&w, msg->generation);
  if (msg->n_shares > HV_AGENT_MAX_SHARES)
    w_fail (&w, HV_AGENT_ERR_TOO_MANY);
  else if (msg->n_shares > 0 && msg->shares == NULL)
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u16 (&w, msg->n_shares);
  for (size_t i = 0; w.status == HV_AGENT_OK && i < msg->n_shares; i++)
    {
      const HvAgentShare *s = &msg->shares[i];

      if (!hv_agent_share_name_valid (s->name) || s->kind > HV_AGENT_SHARE_KIND_VIRTIOFS)
        w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
      w_string (&w, s->name, HV_AGENT_MAX_NAME, true);
      w_string (&w, s->tag, HV_AGENT_MAX_NAME, true);
      w_u8 (&w, s->kind);
      w_u8 (&w, s->flags);
    }
  if (w.status == HV_AGENT_OK && !shares_unique (msg->shares, msg->n_shares))
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_shares (const HvAgentFrame *frame, HvAgentShares *msg)
{
  Reader r;
  uint16_t n;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_SHARES) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->generation = r_u32 (&r);
  n = r_count (&r, HV_AGENT_MAX_SHARES);
  msg->shares = r_array (&r, n, sizeof (HvAgentShare));
  if (msg->shares != NULL)
    msg->n_shares = n;
  for (size_t i = 0; r.status == HV_AGENT_OK && i < n; i++)
    {
      HvAgentShare *s = &msg->shares[i];

      s->name = r_string (&r, HV_AGENT_MAX_NAME, true);
      s->tag = r_string (&r, HV_AGENT_MAX_NAME, true);
      s->kind = r_u8 (&r);
      s->flags = r_u8 (&r);
      if (r.status == HV_AGENT_OK
          && (!hv_agent_share_name_valid (s->name) || s->kind > HV_AGENT_SHARE_KIND_VIRTIOFS))
        r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
    }
  if (r.status == HV_AGENT_OK && !shares_unique (msg->shares, msg->n_shares))
    r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
  if (r.status != HV_AGENT_OK)
    hv_agent_shares_clear (msg);
  return r.status;
}

HvAgentStatus
hv_agent_encode_share_status (HvAgentBuffer *out, uint8_t version, const HvAgentShareStatus *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_SHARE_STATUS);
  w_u32 (&w, msg->generation);
  if (msg->n_shares > HV_AGENT_MAX_SHARES)
    w_fail (&w, HV_AGENT_ERR_TOO_MANY);
  else if (msg->n_shares > 0 && msg->shares == NULL)
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u16 (&w, msg->n_shares);
  for (size_t i = 0; w.status == HV_AGENT_OK && i < msg->n_shares; i++)
    {
      const HvAgentShareStatusEntry *s = &msg->shares[i];

      if (!hv_agent_share_name_valid (s->name) || s->state > HV_AGENT_SHARE_UNSUPPORTED)
        w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
      w_string (&w, s->name, HV_AGENT_MAX_NAME, true);
      w_u8 (&w, s->state);
      w_u32 (&w, s->error);
      w_string (&w, s->mount_point, HV_AGENT_MAX_STRING, false);
      w_string (&w, s->message, HV_AGENT_MAX_STRING, false);
    }
  if (w.status == HV_AGENT_OK && !share_status_unique (msg->shares, msg->n_shares))
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_share_status (const HvAgentFrame *frame, HvAgentShareStatus *msg)
{
  Reader r;
  uint16_t n;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_SHARE_STATUS) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->generation = r_u32 (&r);
  n = r_count (&r, HV_AGENT_MAX_SHARES);
  msg->shares = r_array (&r, n, sizeof (HvAgentShareStatusEntry));
  if (msg->shares != NULL)
    msg->n_shares = n;
  for (size_t i = 0; r.status == HV_AGENT_OK && i < n; i++)
    {
      HvAgentShareStatusEntry *s = &msg->shares[i];

      s->name = r_string (&r, HV_AGENT_MAX_NAME, true);
      s->state = r_u8 (&r);
      s->error = r_u32 (&r);
      s->mount_point = r_string (&r, HV_AGENT_MAX_STRING, false);
      s->message = r_string (&r, HV_AGENT_MAX_STRING, false);
      if (r.status == HV_AGENT_OK
          && (!hv_agent_share_name_valid (s->name) || s->state > HV_AGENT_SHARE_UNSUPPORTED))
        r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
    }
  if (r.status == HV_AGENT_OK && !share_status_unique (msg->shares, msg->n_shares))
    r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
  if (r.status != HV_AGENT_OK)
    hv_agent_share_status_clear (msg);
  return r.status;
}

/* ------------------------------------------------------------------------------------------- */
/* Clipboard                                                                                    */

HvAgentStatus
hv_agent_encode_clipboard_offer (HvAgentBuffer *out, uint8_t version,
                                 const HvAgentClipboardOffer *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_CLIPBOARD_OFFER);
  w_u32 (&w, msg->serial);
  if (msg->n_types > HV_AGENT_MAX_MIME_TYPES)
    w_fail (&w, HV_AGENT_ERR_TOO_MANY);
  else if (msg->n_types > 0 && msg->types == NULL)
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u16 (&w, msg->n_types);
  for (size_t i = 0; w.status == HV_AGENT_OK && i < msg->n_types; i++)
    w_mime (&w, msg->types[i]);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_clipboard_offer (const HvAgentFrame *frame, HvAgentClipboardOffer *msg)
{
  Reader r;
  uint16_t n;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_CLIPBOARD_OFFER) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->serial = r_u32 (&r);
  n = r_count (&r, HV_AGENT_MAX_MIME_TYPES);
  msg->types = r_array (&r, n, sizeof (char *));
  if (msg->types != NULL)
    msg->n_types = n;
  for (size_t i = 0; r.status == HV_AGENT_OK && i < n; i++)
    msg->types[i] = r_mime (&r);
  if (r.status != HV_AGENT_OK)
    hv_agent_clipboard_offer_clear (msg);
  return r.status;
}

HvAgentStatus
hv_agent_encode_clipboard_request (HvAgentBuffer *out, uint8_t version,
                                   const HvAgentClipboardRequest *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_CLIPBOARD_REQUEST);
  w_u32 (&w, msg->serial);
  w_mime (&w, msg->mime);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_clipboard_request (const HvAgentFrame *frame, HvAgentClipboardRequest *msg)
{
  Reader r;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_CLIPBOARD_REQUEST) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->serial = r_u32 (&r);
  msg->mime = r_mime (&r);
  if (r.status != HV_AGENT_OK)
    hv_agent_clipboard_request_clear (msg);
  return r.status;
}

HvAgentStatus
hv_agent_encode_clipboard_data (HvAgentBuffer *out, uint8_t version,
                                const HvAgentClipboardData *msg)
{
  Writer w;

  w_begin (&w, out, version, HV_AGENT_MSG_CLIPBOARD_DATA);
  w_u32 (&w, msg->serial);
  w_mime (&w, msg->mime);
  if (msg->size > HV_AGENT_MAX_CLIPBOARD)
    w_fail (&w, HV_AGENT_ERR_TOO_LARGE);
  else if (msg->size > 0 && msg->data == NULL)
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  else if (w.status == HV_AGENT_OK && !clipboard_content_valid (msg->mime, msg->data, msg->size))
    w_fail (&w, HV_AGENT_ERR_BAD_VALUE);
  w_u32 (&w, msg->size);
  w_bytes (&w, msg->data, msg->size);
  return w_end (&w);
}

HvAgentStatus
hv_agent_decode_clipboard_data (const HvAgentFrame *frame, HvAgentClipboardData *msg)
{
  Reader r;
  const uint8_t *p;

  memset (msg, 0, sizeof *msg);
  if (check_type (frame, HV_AGENT_MSG_CLIPBOARD_DATA) != HV_AGENT_OK)
    return HV_AGENT_ERR_WRONG_TYPE;
  r_init (&r, frame);
  msg->serial = r_u32 (&r);
  msg->mime = r_mime (&r);
  msg->size = r_u32 (&r);
  if (r.status == HV_AGENT_OK && msg->size > HV_AGENT_MAX_CLIPBOARD)
    r_fail (&r, HV_AGENT_ERR_TOO_LARGE);
  p = r_take (&r, msg->size);
  if (p != NULL && msg->size > 0)
    {
      /* One spare byte so text can be used as a C string without another copy. */
      msg->data = malloc ((size_t) msg->size + 1);
      if (msg->data == NULL)
        r_fail (&r, HV_AGENT_ERR_NOMEM);
      else
        {
          memcpy (msg->data, p, msg->size);
          msg->data[msg->size] = 0;
        }
    }
  if (r.status == HV_AGENT_OK && !clipboard_content_valid (msg->mime, msg->data, msg->size))
    r_fail (&r, HV_AGENT_ERR_BAD_VALUE);
  if (r.status != HV_AGENT_OK)
    hv_agent_clipboard_data_clear (msg);
  return r.status;
}

/* ------------------------------------------------------------------------------------------- */
/* Any message                                                                                  */

HvAgentStatus
hv_agent_message_encode (HvAgentBuffer *out, uint8_t version, const HvAgentMessage *msg)
{
  switch (msg->type)
    {
    case HV_AGENT_MSG_HELLO: return hv_agent_encode_hello (out, &msg->u.hello);
    case HV_AGENT_MSG_HEARTBEAT: return hv_agent_encode_heartbeat (out, version, &msg->u.heartbeat);
    case HV_AGENT_MSG_ERROR: return hv_agent_encode_error (out, version, &msg->u.error);
    case HV_AGENT_MSG_GUEST_INFO:
      return hv_agent_encode_guest_info (out, version, &msg->u.guest_info);
    case HV_AGENT_MSG_SHARES: return hv_agent_encode_shares (out, version, &msg->u.shares);
    case HV_AGENT_MSG_SHARE_STATUS:
      return hv_agent_encode_share_status (out, version, &msg->u.share_status);
    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      return hv_agent_encode_clipboard_offer (out, version, &msg->u.clipboard_offer);
    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      return hv_agent_encode_clipboard_request (out, version, &msg->u.clipboard_request);
    case HV_AGENT_MSG_CLIPBOARD_DATA:
      return hv_agent_encode_clipboard_data (out, version, &msg->u.clipboard_data);
    default:
      return HV_AGENT_ERR_UNKNOWN_TYPE;
    }
}

HvAgentStatus
hv_agent_message_decode (const HvAgentFrame *frame, HvAgentMessage *msg)
{
  HvAgentStatus status;

  memset (msg, 0, sizeof *msg);
  switch (frame->type)
    {
    case HV_AGENT_MSG_HELLO: status = hv_agent_decode_hello (frame, &msg->u.hello); break;
    case HV_AGENT_MSG_HEARTBEAT:
      status = hv_agent_decode_heartbeat (frame, &msg->u.heartbeat);
      break;
    case HV_AGENT_MSG_ERROR: status = hv_agent_decode_error (frame, &msg->u.error); break;
    case HV_AGENT_MSG_GUEST_INFO:
      status = hv_agent_decode_guest_info (frame, &msg->u.guest_info);
      break;
    case HV_AGENT_MSG_SHARES: status = hv_agent_decode_shares (frame, &msg->u.shares); break;
    case HV_AGENT_MSG_SHARE_STATUS:
      status = hv_agent_decode_share_status (frame, &msg->u.share_status);
      break;
    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      status = hv_agent_decode_clipboard_offer (frame, &msg->u.clipboard_offer);
      break;
    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      status = hv_agent_decode_clipboard_request (frame, &msg->u.clipboard_request);
      break;
    case HV_AGENT_MSG_CLIPBOARD_DATA:
      status = hv_agent_decode_clipboard_data (frame, &msg->u.clipboard_data);
      break;
    default:
      return HV_AGENT_ERR_UNKNOWN_TYPE;
    }
  if (status == HV_AGENT_OK)
    msg->type = frame->type;
  else
    memset (msg, 0, sizeof *msg);
  return status;
}
