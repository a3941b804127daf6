/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-agent-proto.c: the guest agent protocol codec (guest-tools/proto/hv-agent-proto.c)
 * against docs/agent-protocol.md: round trips of every message, the incremental reader, and
 * malformed input (truncation at every byte, oversized lengths, bad UTF-8, counts over limits,
 * random mutations), which must be rejected cleanly.
 */
#include <glib.h>
#include <string.h>

#include "hv-agent-proto.h"

/* ------------------------------------------------------------------------------------------- */
/* Helpers                                                                                      */

/* Feeds bytes to a fresh reader in chunks of chunk bytes; returns the single frame it yields. */
static HvAgentStatus
read_one_frame (const guint8 *data, gsize len, gsize chunk, HvAgentFrame *frame)
{
  HvAgentReader reader;
  HvAgentStatus status = HV_AGENT_OK;
  gsize off = 0;
  gboolean got = FALSE;

  hv_agent_reader_init (&reader, 0);
  memset (frame, 0, sizeof *frame);
  while (off < len)
    {
      gsize n = MIN (chunk, len - off);
      gsize used = hv_agent_reader_feed (&reader, data + off, n, &status);

      if (status != HV_AGENT_OK)
        break;
      off += used;
      if (hv_agent_reader_next (&reader, frame))
        {
          g_assert_false (got);
          got = TRUE;
        }
      else
        g_assert_cmpuint (used, ==, n); /* nothing complete: everything offered was taken */
    }
  hv_agent_reader_clear (&reader);
  if (status == HV_AGENT_OK && !got)
    return HV_AGENT_ERR_TRUNCATED;
  return status;
}

/* A frame around a hand-made payload (for malformed payloads the encoders refuse to write). */
static GByteArray *
raw_frame (guint8 version, guint16 type, const guint8 *payload, guint32 len)
{
  GByteArray *a = g_byte_array_new ();
  guint8 h[HV_AGENT_HEADER_SIZE] = { 'H', 'V', 'A', 'G', version, 0, type >> 8, type & 0xff,
                                      len >> 24, (len >> 16) & 0xff, (len >> 8) & 0xff,
                                      len & 0xff };

  g_byte_array_append (a, h, sizeof h);
  if (len > 0)
    g_byte_array_append (a, payload, len);
  return a;
}

static void
put_u8 (GByteArray *a, guint8 v)
{
  g_byte_array_append (a, &v, 1);
}

static void
put_u16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { v >> 8, v & 0xff };
  g_byte_array_append (a, b, 2);
}

static void
put_u32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (a, b, 4);
}

static void
put_str_len (GByteArray *a, const void *s, gsize len)
{
  put_u16 (a, (guint16) len);
  g_byte_array_append (a, s, (guint) len);
}

static void
put_str (GByteArray *a, const char *s)
{
  put_str_len (a, s, strlen (s));
}

static HvAgentFrame
frame_of (GByteArray *payload, guint16 type)
{
  HvAgentFrame f = { 1, 0, type, payload->len, payload->len ? payload->data : NULL };
  return f;
}

/* ------------------------------------------------------------------------------------------- */
/* Sample messages, one of each type                                                            */

static char *sample_types[] = { HV_AGENT_MIME_TEXT, HV_AGENT_MIME_PNG };

static HvAgentAddress sample_addresses[] = {
  { "eth0", 4, 24, { 10, 0, 2, 15 } },
  { "eth0", 6, 64, { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x15 } },
  { "wlp2s0", 4, 32, { 192, 168, 1, 200 } },
};

static HvAgentShare sample_shares[] = {
  { "docs", "hvshare0", HV_AGENT_SHARE_KIND_9P, HV_AGENT_SHARE_AUTOMOUNT },
  { "Photos (ro) é", "hvshare1", HV_AGENT_SHARE_KIND_9P,
    HV_AGENT_SHARE_AUTOMOUNT | HV_AGENT_SHARE_READONLY },
  { "fast", "hvfs0", HV_AGENT_SHARE_KIND_VIRTIOFS, 0 },
};

static HvAgentShareStatusEntry sample_status[] = {
  { "docs", HV_AGENT_SHARE_MOUNTED, 0, "/media/hostvisor/docs", "" },
  { "fast", HV_AGENT_SHARE_FAILED, 19, "/media/hostvisor/fast", "No such device" },
};

static guint8 sample_png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13 };

/* Fills msgs with one valid message of every type; returns how many. */
static guint
sample_messages (HvAgentMessage *msgs)
{
  guint n = 0;

  memset (msgs, 0, sizeof (HvAgentMessage) * 10);
  msgs[n].type = HV_AGENT_MSG_HELLO;
  msgs[n++].u.hello = (HvAgentHello) { 1, 0, HV_AGENT_ROLE_GUEST, 0,
                                       HV_AGENT_CAP_GUEST_INFO | HV_AGENT_CAP_SHARES_9P,
                                       "hostvisor-agent 0.1.0" };
  msgs[n].type = HV_AGENT_MSG_HEARTBEAT;
  msgs[n++].u.heartbeat = (HvAgentHeartbeat) { 0xdeadbeef, 1 };
  msgs[n].type = HV_AGENT_MSG_ERROR;
  msgs[n++].u.error = (HvAgentError) { HV_AGENT_ERROR_MALFORMED, "bad magic" };
  msgs[n].type = HV_AGENT_MSG_GUEST_INFO;
  msgs[n++].u.guest_info = (HvAgentGuestInfo) { "0.1.0", "debian", "Debian GNU/Linux",
                                                "Debian GNU/Linux 12 (bookworm)", "12",
                                                "6.1.0-56-amd64", "hv-guest",
                                                G_N_ELEMENTS (sample_addresses),
                                                sample_addresses };
  msgs[n].type = HV_AGENT_MSG_SHARES;
  msgs[n++].u.shares = (HvAgentShares) { 7, G_N_ELEMENTS (sample_shares), sample_shares };
  msgs[n].type = HV_AGENT_MSG_SHARE_STATUS;
  msgs[n++].u.share_status = (HvAgentShareStatus) { 7, G_N_ELEMENTS (sample_status),
                                                    sample_status };
  msgs[n].type = HV_AGENT_MSG_CLIPBOARD_OFFER;
  msgs[n++].u.clipboard_offer = (HvAgentClipboardOffer) { 42, 2, sample_types };
  msgs[n].type = HV_AGENT_MSG_CLIPBOARD_REQUEST;
  msgs[n++].u.clipboard_request = (HvAgentClipboardRequest) { 42, HV_AGENT_MIME_PNG };
  msgs[n].type = HV_AGENT_MSG_CLIPBOARD_DATA;
  msgs[n++].u.clipboard_data = (HvAgentClipboardData) { 42, HV_AGENT_MIME_TEXT, sizeof "héllo wörld" - 1,
                                                        (guint8 *) "héllo wörld" };
  msgs[n].type = HV_AGENT_MSG_CLIPBOARD_DATA;
  msgs[n++].u.clipboard_data = (HvAgentClipboardData) { 43, HV_AGENT_MIME_PNG,
                                                        sizeof sample_png, sample_png };
  return n;
}

static void
assert_messages_equal (const HvAgentMessage *a, const HvAgentMessage *b)
{
  g_assert_cmpuint (a->type, ==, b->type);
  switch (a->type)
    {
    case HV_AGENT_MSG_HELLO:
      g_assert_cmpuint (a->u.hello.major, ==, b->u.hello.major);
      g_assert_cmpuint (a->u.hello.minor, ==, b->u.hello.minor);
      g_assert_cmpuint (a->u.hello.role, ==, b->u.hello.role);
      g_assert_cmpuint (a->u.hello.flags, ==, b->u.hello.flags);
      g_assert_cmpuint (a->u.hello.capabilities, ==, b->u.hello.capabilities);
      g_assert_cmpstr (a->u.hello.software, ==, b->u.hello.software);
      break;
    case HV_AGENT_MSG_HEARTBEAT:
      g_assert_cmpuint (a->u.heartbeat.seq, ==, b->u.heartbeat.seq);
      g_assert_cmpuint (a->u.heartbeat.reply, ==, b->u.heartbeat.reply);
      break;
    case HV_AGENT_MSG_ERROR:
      g_assert_cmpuint (a->u.error.code, ==, b->u.error.code);
      g_assert_cmpstr (a->u.error.message, ==, b->u.error.message);
      break;
    case HV_AGENT_MSG_GUEST_INFO:
      {
        const HvAgentGuestInfo *x = &a->u.guest_info, *y = &b->u.guest_info;

        g_assert_cmpstr (x->agent_version, ==, y->agent_version);
        g_assert_cmpstr (x->os_id, ==, y->os_id);
        g_assert_cmpstr (x->os_name, ==, y->os_name);
        g_assert_cmpstr (x->os_pretty_name, ==, y->os_pretty_name);
        g_assert_cmpstr (x->os_version_id, ==, y->os_version_id);
        g_assert_cmpstr (x->kernel_release, ==, y->kernel_release);
        g_assert_cmpstr (x->hostname, ==, y->hostname);
        g_assert_cmpuint (x->n_addresses, ==, y->n_addresses);
        for (guint i = 0; i < x->n_addresses; i++)
          {
            g_assert_cmpstr (x->addresses[i].interface, ==, y->addresses[i].interface);
            g_assert_cmpuint (x->addresses[i].family, ==, y->addresses[i].family);
            g_assert_cmpuint (x->addresses[i].prefix, ==, y->addresses[i].prefix);
            g_assert_cmpmem (x->addresses[i].address, x->addresses[i].family == 4 ? 4 : 16,
                             y->addresses[i].address, y->addresses[i].family == 4 ? 4 : 16);
          }
        break;
      }
    case HV_AGENT_MSG_SHARES:
      g_assert_cmpuint (a->u.shares.generation, ==, b->u.shares.generation);
      g_assert_cmpuint (a->u.shares.n_shares, ==, b->u.shares.n_shares);
      for (guint i = 0; i < a->u.shares.n_shares; i++)
        {
          g_assert_cmpstr (a->u.shares.shares[i].name, ==, b->u.shares.shares[i].name);
          g_assert_cmpstr (a->u.shares.shares[i].tag, ==, b->u.shares.shares[i].tag);
          g_assert_cmpuint (a->u.shares.shares[i].kind, ==, b->u.shares.shares[i].kind);
          g_assert_cmpuint (a->u.shares.shares[i].flags, ==, b->u.shares.shares[i].flags);
        }
      break;
    case HV_AGENT_MSG_SHARE_STATUS:
      g_assert_cmpuint (a->u.share_status.generation, ==, b->u.share_status.generation);
      g_assert_cmpuint (a->u.share_status.n_shares, ==, b->u.share_status.n_shares);
      for (guint i = 0; i < a->u.share_status.n_shares; i++)
        {
          const HvAgentShareStatusEntry *x = &a->u.share_status.shares[i];
          const HvAgentShareStatusEntry *y = &b->u.share_status.shares[i];

          g_assert_cmpstr (x->name, ==, y->name);
          g_assert_cmpuint (x->state, ==, y->state);
          g_assert_cmpuint (x->error, ==, y->error);
          g_assert_cmpstr (x->mount_point, ==, y->mount_point);
          g_assert_cmpstr (x->message, ==, y->message);
        }
      break;
    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      g_assert_cmpuint (a->u.clipboard_offer.serial, ==, b->u.clipboard_offer.serial);
      g_assert_cmpuint (a->u.clipboard_offer.n_types, ==, b->u.clipboard_offer.n_types);
      for (guint i = 0; i < a->u.clipboard_offer.n_types; i++)
        g_assert_cmpstr (a->u.clipboard_offer.types[i], ==, b->u.clipboard_offer.types[i]);
      break;
    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      g_assert_cmpuint (a->u.clipboard_request.serial, ==, b->u.clipboard_request.serial);
      g_assert_cmpstr (a->u.clipboard_request.mime, ==, b->u.clipboard_request.mime);
      break;
    case HV_AGENT_MSG_CLIPBOARD_DATA:
      g_assert_cmpuint (a->u.clipboard_data.serial, ==, b->u.clipboard_data.serial);
      g_assert_cmpstr (a->u.clipboard_data.mime, ==, b->u.clipboard_data.mime);
      g_assert_cmpmem (a->u.clipboard_data.data, a->u.clipboard_data.size,
                       b->u.clipboard_data.data, b->u.clipboard_data.size);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------------------------------- */
/* Round trips                                                                                  */

static void
test_round_trip (void)
{
  HvAgentMessage msgs[10];
  guint n = sample_messages (msgs);

  g_assert_cmpuint (n, ==, 10);
  for (guint i = 0; i < n; i++)
    {
      /* Whole, in 7-byte pieces, and byte by byte through the reader. */
      static const gsize chunks[] = { G_MAXSIZE, 7, 1 };
      HvAgentBuffer buf = { 0 };

      g_assert_cmpint (hv_agent_message_encode (&buf, 1, &msgs[i]), ==, HV_AGENT_OK);
      g_assert_cmpuint (buf.len, >=, HV_AGENT_HEADER_SIZE);
      g_assert_cmpmem (buf.data, 4, "HVAG", 4);

      for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
        {
          HvAgentFrame frame;
          HvAgentMessage back;

          g_assert_cmpint (read_one_frame (buf.data, buf.len, chunks[c], &frame), ==,
                           HV_AGENT_OK);
          g_assert_cmpuint (frame.type, ==, msgs[i].type);
          g_assert_cmpuint (frame.version, ==, 1);
          g_assert_cmpuint (frame.length, ==, buf.len - HV_AGENT_HEADER_SIZE);
          g_assert_cmpint (hv_agent_message_decode (&frame, &back), ==, HV_AGENT_OK);
          assert_messages_equal (&msgs[i], &back);
          hv_agent_message_clear (&back);
          hv_agent_message_clear (&back); /* clearing twice is safe */
          hv_agent_frame_clear (&frame);
        }
      hv_agent_buffer_clear (&buf);
    }
}

/* Every frame of a stream comes out in order, whatever the chunking. */
static void
test_stream (void)
{
  HvAgentMessage msgs[10];
  guint n = sample_messages (msgs);
  HvAgentBuffer buf = { 0 };
  HvAgentReader reader;

  for (guint i = 0; i < n; i++)
    g_assert_cmpint (hv_agent_message_encode (&buf, 1, &msgs[i]), ==, HV_AGENT_OK);

  for (gsize chunk = 1; chunk < 64; chunk += 5)
    {
      gsize off = 0;
      guint got = 0;

      hv_agent_reader_init (&reader, 0);
      while (off < buf.len)
        {
          HvAgentStatus status;
          gsize len = MIN (chunk, buf.len - off);
          const guint8 *p = buf.data + off;
          HvAgentFrame frame;

          off += len;
          while (len > 0)
            {
              gsize used = hv_agent_reader_feed (&reader, p, len, &status);

              g_assert_cmpint (status, ==, HV_AGENT_OK);
              p += used;
              len -= used;
              while (hv_agent_reader_next (&reader, &frame))
                {
                  g_assert_cmpuint (got, <, n);
                  g_assert_cmpuint (frame.type, ==, msgs[got].type);
                  got++;
                  hv_agent_frame_clear (&frame);
                }
            }
        }
      g_assert_cmpuint (got, ==, n);
      hv_agent_reader_clear (&reader);
    }
  hv_agent_buffer_clear (&buf);
}

static void
test_big_clipboard (void)
{
  gsize size = HV_AGENT_MAX_CLIPBOARD;
  g_autofree guint8 *text = g_malloc (size);
  HvAgentClipboardData data = { 9, HV_AGENT_MIME_TEXT, (guint32) size, text };
  HvAgentClipboardData back;
  HvAgentBuffer buf = { 0 };
  HvAgentFrame frame;

  memset (text, 'x', size);
  g_assert_cmpint (hv_agent_encode_clipboard_data (&buf, 1, &data), ==, HV_AGENT_OK);
  g_assert_cmpint (read_one_frame (buf.data, buf.len, 65536, &frame), ==, HV_AGENT_OK);
  g_assert_cmpint (hv_agent_decode_clipboard_data (&frame, &back), ==, HV_AGENT_OK);
  g_assert_cmpuint (back.size, ==, size);
  g_assert_cmpmem (back.data, back.size, text, size);
  hv_agent_clipboard_data_clear (&back);
  hv_agent_frame_clear (&frame);
  hv_agent_buffer_clear (&buf);

  /* One byte more is refused by the encoder, and by the decoder. */
  text = g_realloc (text, size + 1);
  memset (text, 'x', size + 1);
  data = (HvAgentClipboardData) { 9, HV_AGENT_MIME_TEXT, (guint32) size + 1, text };
  g_assert_cmpint (hv_agent_encode_clipboard_data (&buf, 1, &data), ==, HV_AGENT_ERR_TOO_LARGE);
  g_assert_cmpuint (buf.len, ==, 0);
  {
    g_autoptr (GByteArray) p = g_byte_array_new ();
    HvAgentFrame f;

    put_u32 (p, 9);
    put_str (p, HV_AGENT_MIME_TEXT);
    put_u32 (p, (guint32) size + 1);
    g_byte_array_append (p, text, (guint) size + 1);
    f = frame_of (p, HV_AGENT_MSG_CLIPBOARD_DATA);
    g_assert_cmpint (hv_agent_decode_clipboard_data (&f, &back), ==, HV_AGENT_ERR_TOO_LARGE);
    g_assert_null (back.data);
  }
  hv_agent_buffer_clear (&buf);
}

/* ------------------------------------------------------------------------------------------- */
/* Malformed frames                                                                             */

/* Every proper prefix of every valid payload is refused; the full payload decodes. */
static void
test_truncated_everywhere (void)
{
  HvAgentMessage msgs[10];
  guint n = sample_messages (msgs);

  for (guint i = 0; i < n; i++)
    {
      HvAgentBuffer buf = { 0 };
      guint32 length;

      g_assert_cmpint (hv_agent_message_encode (&buf, 1, &msgs[i]), ==, HV_AGENT_OK);
      length = (guint32) (buf.len - HV_AGENT_HEADER_SIZE);
      for (guint32 cut = 0; cut < length; cut++)
        {
          /* A copy of exactly cut bytes, so reading past it is caught by ASan/valgrind too. */
          g_autofree guint8 *copy = g_memdup2 (buf.data + HV_AGENT_HEADER_SIZE, MAX (cut, 1));
          HvAgentFrame f = { 1, 0, msgs[i].type, cut, cut ? copy : NULL };
          HvAgentMessage back;

          g_assert_cmpint (hv_agent_message_decode (&f, &back), ==, HV_AGENT_ERR_TRUNCATED);
          g_assert_cmpuint (back.type, ==, 0);
        }

      /* The reader given a truncated stream waits for more and yields nothing. */
      for (gsize cut = 0; cut < buf.len; cut++)
        {
          HvAgentFrame frame;

          g_assert_cmpint (read_one_frame (buf.data, cut, 3, &frame), ==,
                           HV_AGENT_ERR_TRUNCATED);
        }
      hv_agent_buffer_clear (&buf);
    }
}

static void
test_header (void)
{
  HvAgentFrame frame;
  HvAgentReader reader;
  HvAgentStatus status;
  guint8 big[HV_AGENT_HEADER_SIZE] = { 'H', 'V', 'A', 'G', 1, 0, 0, 2, 0xff, 0xff, 0xff, 0xff };
  guint32 limit = HV_AGENT_MAX_PAYLOAD;
  g_autoptr (GByteArray) just_over = NULL;
  g_autoptr (GByteArray) at_limit = NULL;

  /* Bad magic is refused at its first wrong byte. */
  hv_agent_reader_init (&reader, 0);
  g_assert_cmpuint (hv_agent_reader_feed (&reader, "HX", 2, &status), ==, 2);
  g_assert_cmpint (status, ==, HV_AGENT_ERR_BAD_MAGIC);
  /* ...and the reader stays failed. */
  g_assert_cmpuint (hv_agent_reader_feed (&reader, "HVAG", 4, &status), ==, 0);
  g_assert_cmpint (status, ==, HV_AGENT_ERR_BAD_MAGIC);
  hv_agent_reader_reset (&reader);
  g_assert_cmpuint (hv_agent_reader_feed (&reader, "HVAG\0", 5, &status), ==, 5);
  g_assert_cmpint (status, ==, HV_AGENT_OK);
  g_assert_cmpuint (hv_agent_reader_feed (&reader, "\0\0\2\0\0\0\0", 7, &status), ==, 7);
  g_assert_cmpint (status, ==, HV_AGENT_ERR_BAD_VERSION);
  hv_agent_reader_clear (&reader);

  g_assert_cmpint (read_one_frame (big, sizeof big, 12, &frame), ==, HV_AGENT_ERR_TOO_LARGE);

  /* Exactly the limit is accepted by the header; one more is not. */
  big[8] = limit >> 24;
  big[9] = (limit >> 16) & 0xff;
  big[10] = (limit >> 8) & 0xff;
  big[11] = limit & 0xff;
  g_assert_cmpint (hv_agent_header_parse (big, 0, &frame), ==, HV_AGENT_OK);
  g_assert_cmpuint (frame.length, ==, limit);
  big[11] = (limit + 1) & 0xff;
  g_assert_cmpint (hv_agent_header_parse (big, 0, &frame), ==, HV_AGENT_ERR_TOO_LARGE);
  /* A reader with a lower limit enforces it. */
  big[8] = big[9] = 0;
  big[10] = 0x10;
  big[11] = 0x01;
  hv_agent_reader_init (&reader, 4096);
  hv_agent_reader_feed (&reader, big, sizeof big, &status);
  g_assert_cmpint (status, ==, HV_AGENT_ERR_TOO_LARGE);
  hv_agent_reader_clear (&reader);

  /* A header announcing the maximum, followed by a few bytes, does not make the reader
   * allocate the maximum. */
  big[8] = limit >> 24;
  big[9] = (limit >> 16) & 0xff;
  big[10] = (limit >> 8) & 0xff;
  big[11] = limit & 0xff;
  hv_agent_reader_init (&reader, 0);
  g_assert_cmpuint (hv_agent_reader_feed (&reader, big, sizeof big, &status), ==, sizeof big);
  g_assert_cmpuint (hv_agent_reader_feed (&reader, "0123456789", 10, &status), ==, 10);
  g_assert_cmpint (status, ==, HV_AGENT_OK);
  g_assert_cmpuint (reader.payload_cap, <=, 10 + 64 * 1024);
  g_assert_false (hv_agent_reader_next (&reader, &frame));
  hv_agent_reader_clear (&reader);

  /* An empty payload is a complete frame as soon as the header is in. */
  at_limit = raw_frame (1, 0x7777, NULL, 0);
  g_assert_cmpint (read_one_frame (at_limit->data, at_limit->len, 1, &frame), ==, HV_AGENT_OK);
  g_assert_cmpuint (frame.type, ==, 0x7777);
  {
    HvAgentMessage msg;
    g_assert_cmpint (hv_agent_message_decode (&frame, &msg), ==, HV_AGENT_ERR_UNKNOWN_TYPE);
  }
  hv_agent_frame_clear (&frame);
  (void) just_over;
}

static void
test_bad_utf8 (void)
{
  static const struct { const char *bytes; gsize len; } bad[] = {
    { "\xc0\xaf", 2 },             /* overlong '/' */
    { "\xe0\x80\xaf", 3 },         /* overlong '/' */
    { "\xed\xa0\x80", 3 },         /* surrogate U+D800 */
    { "\xf4\x90\x80\x80", 4 },     /* above U+10FFFF */
    { "\xf5\x80\x80\x80", 4 },
    { "\x80", 1 },                 /* lone continuation */
    { "ab\xc3", 3 },               /* cut multibyte */
    { "a\0b", 3 },                 /* U+0000 */
    { "\xff", 1 },
  };
  static const struct { const char *bytes; gsize len; } good[] = {
    { "", 0 }, { "plain", 5 }, { "\xc3\xa9", 2 }, { "\xe2\x82\xac", 3 },
    { "\xf0\x9f\x98\x80", 4 }, { "\xf4\x8f\xbf\xbf", 4 }, { "\xef\xbf\xbf", 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (hv_agent_utf8_valid (good[i].bytes, good[i].len));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GByteArray) p = g_byte_array_new ();
      HvAgentFrame f;
      HvAgentError err;
      HvAgentHello hello;
      HvAgentClipboardData data;

      g_assert_false (hv_agent_utf8_valid (bad[i].bytes, bad[i].len));

      put_u32 (p, 1);
      put_str_len (p, bad[i].bytes, bad[i].len);
      f = frame_of (p, HV_AGENT_MSG_ERROR);
      g_assert_cmpint (hv_agent_decode_error (&f, &err), ==, HV_AGENT_ERR_BAD_UTF8);
      g_assert_null (err.message);

      g_byte_array_set_size (p, 0);
      put_u16 (p, 1);
      put_u16 (p, 0);
      put_u8 (p, HV_AGENT_ROLE_HOST);
      put_u8 (p, 0);
      put_u32 (p, 0);
      put_str_len (p, bad[i].bytes, bad[i].len);
      f = frame_of (p, HV_AGENT_MSG_HELLO);
      g_assert_cmpint (hv_agent_decode_hello (&f, &hello), ==, HV_AGENT_ERR_BAD_UTF8);

      /* Clipboard text content must be UTF-8 too. */
      g_byte_array_set_size (p, 0);
      put_u32 (p, 1);
      put_str (p, HV_AGENT_MIME_TEXT);
      put_u32 (p, (guint32) bad[i].len);
      g_byte_array_append (p, (const guint8 *) bad[i].bytes, (guint) bad[i].len);
      f = frame_of (p, HV_AGENT_MSG_CLIPBOARD_DATA);
      g_assert_cmpint (hv_agent_decode_clipboard_data (&f, &data), ==, HV_AGENT_ERR_BAD_VALUE);

      /* The encoder refuses what the decoder would. */
      {
        char *s = g_strndup (bad[i].bytes, bad[i].len);
        HvAgentError e = { 1, s };
        HvAgentBuffer buf = { 0 };

        if (strlen (s) == bad[i].len)
          g_assert_cmpint (hv_agent_encode_error (&buf, 1, &e), ==, HV_AGENT_ERR_BAD_UTF8);
        g_assert_cmpuint (buf.len, ==, 0);
        hv_agent_buffer_clear (&buf);
        g_free (s);
      }
    }

  /* A PNG must start with the signature. */
  {
    g_autoptr (GByteArray) p = g_byte_array_new ();
    HvAgentFrame f;
    HvAgentClipboardData data;

    put_u32 (p, 1);
    put_str (p, HV_AGENT_MIME_PNG);
    put_u32 (p, 4);
    g_byte_array_append (p, (const guint8 *) "GIF8", 4);
    f = frame_of (p, HV_AGENT_MSG_CLIPBOARD_DATA);
    g_assert_cmpint (hv_agent_decode_clipboard_data (&f, &data), ==, HV_AGENT_ERR_BAD_VALUE);
  }
}

static void
test_string_limits (void)
{
  g_autofree char *long_str = g_malloc (HV_AGENT_MAX_STRING + 2);
  g_autoptr (GByteArray) p = g_byte_array_new ();
  HvAgentFrame f;
  HvAgentError err;
  HvAgentBuffer buf = { 0 };
  HvAgentError e = { 1, long_str };

  memset (long_str, 'a', HV_AGENT_MAX_STRING + 1);
  long_str[HV_AGENT_MAX_STRING + 1] = 0;
  put_u32 (p, 1);
  put_str (p, long_str);
  f = frame_of (p, HV_AGENT_MSG_ERROR);
  g_assert_cmpint (hv_agent_decode_error (&f, &err), ==, HV_AGENT_ERR_TOO_LARGE);
  g_assert_cmpint (hv_agent_encode_error (&buf, 1, &e), ==, HV_AGENT_ERR_TOO_LARGE);

  /* Exactly 4096 is fine. */
  long_str[HV_AGENT_MAX_STRING] = 0;
  g_assert_cmpint (hv_agent_encode_error (&buf, 1, &e), ==, HV_AGENT_OK);
  g_assert_cmpint (read_one_frame (buf.data, buf.len, 1000, &f), ==, HV_AGENT_OK);
  g_assert_cmpint (hv_agent_decode_error (&f, &err), ==, HV_AGENT_OK);
  g_assert_cmpuint (strlen (err.message), ==, HV_AGENT_MAX_STRING);
  hv_agent_error_clear (&err);
  hv_agent_frame_clear (&f);
  hv_agent_buffer_clear (&buf);

  /* A string length pointing past the payload is truncation, not an over-read. */
  g_byte_array_set_size (p, 0);
  put_u32 (p, 1);
  put_u16 (p, 100);
  g_byte_array_append (p, (const guint8 *) "short", 5);
  f = frame_of (p, HV_AGENT_MSG_ERROR);
  g_assert_cmpint (hv_agent_decode_error (&f, &err), ==, HV_AGENT_ERR_TRUNCATED);

  /* Share names and tags are limited to 255 bytes. */
  {
    char name[300];
    HvAgentShare s = { name, "tag", 0, 0 };
    HvAgentShares shares = { 1, 1, &s };

    memset (name, 'n', sizeof name);
    name[256] = 0;
    g_assert_cmpint (hv_agent_encode_shares (&buf, 1, &shares), !=, HV_AGENT_OK);
    name[255] = 0;
    g_assert_cmpint (hv_agent_encode_shares (&buf, 1, &shares), ==, HV_AGENT_OK);
    hv_agent_buffer_clear (&buf);
  }
}

static void
test_counts (void)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();
  HvAgentFrame f;
  HvAgentShares shares;
  HvAgentGuestInfo info;
  HvAgentClipboardOffer offer;
  HvAgentShare many_shares[HV_AGENT_MAX_SHARES + 1];
  char names[HV_AGENT_MAX_SHARES + 1][8];
  HvAgentShares s = { 1, HV_AGENT_MAX_SHARES + 1, many_shares };
  HvAgentBuffer buf = { 0 };

  /* 65 shares: the encoder refuses, and the decoder refuses a hand-made frame. */
  for (guint i = 0; i <= HV_AGENT_MAX_SHARES; i++)
    {
      g_snprintf (names[i], sizeof names[i], "s%u", i);
      many_shares[i] = (HvAgentShare) { names[i], names[i], 0, HV_AGENT_SHARE_AUTOMOUNT };
    }
  g_assert_cmpint (hv_agent_encode_shares (&buf, 1, &s), ==, HV_AGENT_ERR_TOO_MANY);
  s.n_shares = HV_AGENT_MAX_SHARES;
  g_assert_cmpint (hv_agent_encode_shares (&buf, 1, &s), ==, HV_AGENT_OK);
  g_assert_cmpint (read_one_frame (buf.data, buf.len, 4096, &f), ==, HV_AGENT_OK);
  g_assert_cmpint (hv_agent_decode_shares (&f, &shares), ==, HV_AGENT_OK);
  g_assert_cmpuint (shares.n_shares, ==, HV_AGENT_MAX_SHARES);
  hv_agent_shares_clear (&shares);
  hv_agent_frame_clear (&f);
  hv_agent_buffer_clear (&buf);

  put_u32 (p, 1);
  put_u16 (p, HV_AGENT_MAX_SHARES + 1);
  for (guint i = 0; i <= HV_AGENT_MAX_SHARES; i++)
    {
      put_str (p, names[i]);
      put_str (p, names[i]);
      put_u8 (p, 0);
      put_u8 (p, 0);
    }
  f = frame_of (p, HV_AGENT_MSG_SHARES);
  g_assert_cmpint (hv_agent_decode_shares (&f, &shares), ==, HV_AGENT_ERR_TOO_MANY);
  g_assert_null (shares.shares);

  /* A count of 65535 with no entries: refused on the count, nothing allocated for it. */
  g_byte_array_set_size (p, 0);
  for (guint i = 0; i < 7; i++)
    put_str (p, "x");
  put_u16 (p, 0xffff);
  f = frame_of (p, HV_AGENT_MSG_GUEST_INFO);
  g_assert_cmpint (hv_agent_decode_guest_info (&f, &info), ==, HV_AGENT_ERR_TOO_MANY);
  g_assert_null (info.os_name);

  g_byte_array_set_size (p, 0);
  for (guint i = 0; i < 7; i++)
    put_str (p, "x");
  put_u16 (p, HV_AGENT_MAX_ADDRESSES + 1);
  for (guint i = 0; i <= HV_AGENT_MAX_ADDRESSES; i++)
    {
      put_str (p, "eth0");
      put_u8 (p, 4);
      put_u8 (p, 24);
      put_u32 (p, 0x0a000200 + i);
    }
  f = frame_of (p, HV_AGENT_MSG_GUEST_INFO);
  g_assert_cmpint (hv_agent_decode_guest_info (&f, &info), ==, HV_AGENT_ERR_TOO_MANY);

  g_byte_array_set_size (p, 0);
  put_u32 (p, 1);
  put_u16 (p, HV_AGENT_MAX_MIME_TYPES + 1);
  for (guint i = 0; i <= HV_AGENT_MAX_MIME_TYPES; i++)
    put_str (p, "text/plain");
  f = frame_of (p, HV_AGENT_MSG_CLIPBOARD_OFFER);
  g_assert_cmpint (hv_agent_decode_clipboard_offer (&f, &offer), ==, HV_AGENT_ERR_TOO_MANY);
}

static void
test_bad_values (void)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();
  HvAgentFrame f;
  HvAgentShares shares;
  HvAgentGuestInfo info;
  HvAgentHello hello;
  HvAgentHeartbeat hb;
  HvAgentBuffer buf = { 0 };
  static const char *bad_names[] = { "", ".", "..", "a/b", "/", "../etc" };

  /* Share names that would escape /media/hostvisor. */
  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      HvAgentShare s = { (char *) bad_names[i], "tag", 0, 0 };
      HvAgentShares msg = { 1, 1, &s };

      g_assert_false (hv_agent_share_name_valid (bad_names[i]));
      g_assert_cmpint (hv_agent_encode_shares (&buf, 1, &msg), ==, HV_AGENT_ERR_BAD_VALUE);
      g_assert_cmpuint (buf.len, ==, 0);

      g_byte_array_set_size (p, 0);
      put_u32 (p, 1);
      put_u16 (p, 1);
      put_str (p, bad_names[i]);
      put_str (p, "tag");
      put_u8 (p, 0);
      put_u8 (p, 0);
      f = frame_of (p, HV_AGENT_MSG_SHARES);
      g_assert_cmpint (hv_agent_decode_shares (&f, &shares), ==, HV_AGENT_ERR_BAD_VALUE);
    }
  g_assert_true (hv_agent_share_name_valid ("..."));
  g_assert_true (hv_agent_share_name_valid ("a..b"));

  /* Unknown share kind, duplicate names. */
  g_byte_array_set_size (p, 0);
  put_u32 (p, 1);
  put_u16 (p, 1);
  put_str (p, "x");
  put_str (p, "tag");
  put_u8 (p, 2);
  put_u8 (p, 0);
  f = frame_of (p, HV_AGENT_MSG_SHARES);
  g_assert_cmpint (hv_agent_decode_shares (&f, &shares), ==, HV_AGENT_ERR_BAD_VALUE);
  g_byte_array_set_size (p, 0);
  put_u32 (p, 1);
  put_u16 (p, 2);
  for (guint i = 0; i < 2; i++)
    {
      put_str (p, "same");
      put_str (p, i ? "t1" : "t0");
      put_u8 (p, 0);
      put_u8 (p, 0);
    }
  f = frame_of (p, HV_AGENT_MSG_SHARES);
  g_assert_cmpint (hv_agent_decode_shares (&f, &shares), ==, HV_AGENT_ERR_BAD_VALUE);

  /* Address family and prefix. */
  for (guint k = 0; k < 3; k++)
    {
      static const guint8 fam[] = { 5, 4, 6 }, pre[] = { 0, 33, 129 };

      g_byte_array_set_size (p, 0);
      for (guint i = 0; i < 7; i++)
        put_str (p, "x");
      put_u16 (p, 1);
      put_str (p, "eth0");
      put_u8 (p, fam[k]);
      put_u8 (p, pre[k]);
      for (guint i = 0; i < 16; i++)
        put_u8 (p, 0);
      f = frame_of (p, HV_AGENT_MSG_GUEST_INFO);
      g_assert_cmpint (hv_agent_decode_guest_info (&f, &info), ==, HV_AGENT_ERR_BAD_VALUE);
      g_assert_null (info.addresses);
    }

  /* HELLO: major 0 and unknown roles. */
  for (guint k = 0; k < 2; k++)
    {
      g_byte_array_set_size (p, 0);
      put_u16 (p, k == 0 ? 0 : 1);
      put_u16 (p, 0);
      put_u8 (p, k == 0 ? HV_AGENT_ROLE_HOST : 3);
      put_u8 (p, 0);
      put_u32 (p, 0);
      put_str (p, "x");
      f = frame_of (p, HV_AGENT_MSG_HELLO);
      g_assert_cmpint (hv_agent_decode_hello (&f, &hello), ==, HV_AGENT_ERR_BAD_VALUE);
      g_assert_null (hello.software);
    }

  /* Heartbeat reply flag must be 0 or 1. */
  g_byte_array_set_size (p, 0);
  put_u32 (p, 5);
  put_u8 (p, 2);
  f = frame_of (p, HV_AGENT_MSG_HEARTBEAT);
  g_assert_cmpint (hv_agent_decode_heartbeat (&f, &hb), ==, HV_AGENT_ERR_BAD_VALUE);

  /* MIME types must be printable ASCII without spaces. */
  {
    HvAgentClipboardRequest req;

    g_byte_array_set_size (p, 0);
    put_u32 (p, 5);
    put_str (p, "text/plain; charset=utf-8");
    f = frame_of (p, HV_AGENT_MSG_CLIPBOARD_REQUEST);
    g_assert_cmpint (hv_agent_decode_clipboard_request (&f, &req), ==, HV_AGENT_ERR_BAD_VALUE);
    g_assert_null (req.mime);
  }

  /* A decoder for another type refuses the frame. */
  g_byte_array_set_size (p, 0);
  put_u32 (p, 5);
  put_u8 (p, 0);
  f = frame_of (p, HV_AGENT_MSG_HEARTBEAT);
  g_assert_cmpint (hv_agent_decode_hello (&f, &hello), ==, HV_AGENT_ERR_WRONG_TYPE);
  hv_agent_buffer_clear (&buf);
}

/* Fields appended by a later minor version are ignored (docs: Field encodings). */
static void
test_forward_compat (void)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();
  HvAgentFrame f;
  HvAgentHello hello;

  put_u16 (p, 3);
  put_u16 (p, 7);
  put_u8 (p, HV_AGENT_ROLE_HOST);
  put_u8 (p, HV_AGENT_HELLO_REPLY);
  put_u32 (p, 0xffffffff);
  put_str (p, "hostvisord 9.0");
  put_u32 (p, 0x12345678); /* a future field */
  f = frame_of (p, HV_AGENT_MSG_HELLO);
  g_assert_cmpint (hv_agent_decode_hello (&f, &hello), ==, HV_AGENT_OK);
  g_assert_cmpuint (hello.major, ==, 3);
  g_assert_cmpuint (hello.flags, ==, HV_AGENT_HELLO_REPLY);
  g_assert_cmpstr (hello.software, ==, "hostvisord 9.0");
  g_assert_cmpuint (hv_agent_negotiate_major (HV_AGENT_PROTO_MAJOR, hello.major), ==, 1);
  g_assert_cmpuint (hv_agent_negotiate_major (4, 2), ==, 2);
  hv_agent_hello_clear (&hello);
}

static void
test_address_to_string (void)
{
  char buf[64];

  g_assert_cmpstr (hv_agent_address_to_string (&sample_addresses[0], buf, sizeof buf), ==,
                   "10.0.2.15");
  g_assert_cmpstr (hv_agent_address_to_string (&sample_addresses[1], buf, sizeof buf), ==,
                   "fd00::15");
}

/* Random mutations of valid frames: every result is either a clean decode or a clean error, and
 * the reader never yields a frame longer than the limit. Run under ASan/valgrind to see more. */
static void
test_mutations (void)
{
  HvAgentMessage msgs[10];
  guint n = sample_messages (msgs);
  g_autoptr (GRand) rand = g_rand_new_with_seed (0x5eed);
  guint decoded = 0, refused = 0;

  for (guint round = 0; round < 20000; round++)
    {
      HvAgentBuffer buf = { 0 };
      HvAgentReader reader;
      HvAgentStatus status;
      HvAgentFrame frame;
      gsize off = 0;
      guint flips;

      g_assert_cmpint (hv_agent_message_encode (&buf, 1, &msgs[round % n]), ==, HV_AGENT_OK);
      flips = g_rand_int_range (rand, 1, 4);
      for (guint k = 0; k < flips; k++)
        {
          gsize at = g_rand_int_range (rand, 0, (gint32) buf.len);

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: buf.data[at] ^= 1u << g_rand_int_range (rand, 0, 8); break;
            case 1: buf.data[at] = (guint8) g_rand_int (rand); break;
            default: buf.len = MAX (at, 1); break; /* cut */
            }
        }

      hv_agent_reader_init (&reader, 0);
      while (off < buf.len)
        {
          gsize used = hv_agent_reader_feed (&reader, buf.data + off, buf.len - off, &status);

          off += used;
          if (status != HV_AGENT_OK)
            {
              refused++;
              break;
            }
          if (hv_agent_reader_next (&reader, &frame))
            {
              HvAgentMessage msg;

              g_assert_cmpuint (frame.length, <=, HV_AGENT_MAX_PAYLOAD);
              if (hv_agent_message_decode (&frame, &msg) == HV_AGENT_OK)
                {
                  HvAgentBuffer again = { 0 };

                  /* Whatever decodes re-encodes: the two sides agree on validity. */
                  decoded++;
                  g_assert_cmpint (hv_agent_message_encode (&again, frame.version, &msg), ==,
                                   HV_AGENT_OK);
                  hv_agent_buffer_clear (&again);
                  hv_agent_message_clear (&msg);
                }
              else
                refused++;
              hv_agent_frame_clear (&frame);
            }
          else if (used == 0)
            break;
        }
      hv_agent_reader_clear (&reader);
      hv_agent_buffer_clear (&buf);
    }
  g_test_message ("mutations: %u decoded, %u refused", decoded, refused);
  g_assert_cmpuint (decoded, >, 0);
  g_assert_cmpuint (refused, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-proto/round-trip", test_round_trip);
  g_test_add_func ("/agent-proto/stream", test_stream);
  g_test_add_func ("/agent-proto/big-clipboard", test_big_clipboard);
  g_test_add_func ("/agent-proto/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/agent-proto/header", test_header);
  g_test_add_func ("/agent-proto/bad-utf8", test_bad_utf8);
  g_test_add_func ("/agent-proto/string-limits", test_string_limits);
  g_test_add_func ("/agent-proto/counts", test_counts);
  g_test_add_func ("/agent-proto/bad-values", test_bad_values);
  g_test_add_func ("/agent-proto/forward-compat", test_forward_compat);
  g_test_add_func ("/agent-proto/address-to-string", test_address_to_string);
  g_test_add_func ("/agent-proto/mutations", test_mutations);
  return g_test_run ();
}
