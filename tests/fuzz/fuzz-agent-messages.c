/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-agent-messages.c: libFuzzer target for the clipboard and shared-folder messages of the
 * agent protocol (guest-tools/proto/hv-agent-proto.c), below the frame layer: the fuzzer's
 * bytes are a message payload, so its whole effort goes into the decoders of SHARES,
 * SHARE_STATUS, CLIPBOARD_OFFER, CLIPBOARD_REQUEST and CLIPBOARD_DATA rather than into
 * finding a valid header (fuzz-agent-frame.c covers the framing).
 *
 * The first input byte picks the message type (its value modulo 5), the rest is the payload,
 * in a buffer of exactly its size. What a decoder accepts must be what the engine and the
 * agent may use without further checks: every string strict UTF-8 without NUL (GLib's
 * validator agrees, as the engine puts them into GVariants), counts within their limits,
 * share names valid and unique, kinds and states known, MIME types printable ASCII, text
 * clipboard data UTF-8 and PNG data with its signature, data followed by a NUL. Re-encoding
 * an accepted message gives back the start of the payload, byte for byte (a decoder may only
 * ignore trailing bytes, which a later minor version may add). A refused payload leaves the
 * message zeroed.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv-agent-proto.h"

#include "fuzz-glib.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const uint16_t types[] = {
  HV_AGENT_MSG_SHARES, HV_AGENT_MSG_SHARE_STATUS, HV_AGENT_MSG_CLIPBOARD_OFFER,
  HV_AGENT_MSG_CLIPBOARD_REQUEST, HV_AGENT_MSG_CLIPBOARD_DATA,
};

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  hv_fuzz_abort_on_criticals ();
  return 0;
}

static void
check (int         condition,
       const char *what)
{
  if (!condition)
    {
      g_printerr ("fuzz-agent-messages: check failed: %s\n", what);
      abort ();
    }
}

static int
all_zero (const void *p,
          size_t      n)
{
  const uint8_t *b = p;

  for (size_t i = 0; i < n; i++)
    if (b[i] != 0)
      return 0;
  return 1;
}

static void
check_string (const char *s,
              size_t      max)
{
  check (s != NULL, "a decoded string is never NULL");
  check (strlen (s) <= max, "a decoded string is within its limit");
  check (hv_agent_utf8_valid (s, strlen (s)), "a decoded string is UTF-8");
  check (g_utf8_validate (s, -1, NULL), "GLib agrees that it is UTF-8");
}

static void
check_mime (const char *mime)
{
  check_string (mime, HV_AGENT_MAX_MIME);
  check (hv_agent_mime_valid (mime), "a decoded MIME type is valid");
}

static void
check_name (const char *name)
{
  check_string (name, HV_AGENT_MAX_NAME);
  check (hv_agent_share_name_valid (name), "a decoded share name is valid");
  check (strcmp (name, ".") != 0 && strcmp (name, "..") != 0 && strchr (name, '/') == NULL,
         "a share name never walks out of /media/hostvisor");
}

static void
check_unique (const char *const *names,
              size_t             n)
{
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      check (strcmp (names[i], names[j]) != 0, "share names are unique");
}

static void
check_message (const HvAgentMessage *msg)
{
  const char *names[HV_AGENT_MAX_SHARES];

  switch (msg->type)
    {
    case HV_AGENT_MSG_SHARES:
      check (msg->u.shares.n_shares <= HV_AGENT_MAX_SHARES, "at most 64 shares");
      for (size_t i = 0; i < msg->u.shares.n_shares; i++)
        {
          const HvAgentShare *s = &msg->u.shares.shares[i];

          check_name (s->name);
          check_string (s->tag, HV_AGENT_MAX_NAME);
          check (s->tag[0] != '\0', "a share has a tag");
          check (s->kind <= HV_AGENT_SHARE_KIND_VIRTIOFS, "a known share kind");
          names[i] = s->name;
        }
      check_unique (names, msg->u.shares.n_shares);
      break;

    case HV_AGENT_MSG_SHARE_STATUS:
      check (msg->u.share_status.n_shares <= HV_AGENT_MAX_SHARES, "at most 64 statuses");
      for (size_t i = 0; i < msg->u.share_status.n_shares; i++)
        {
          const HvAgentShareStatusEntry *s = &msg->u.share_status.shares[i];

          check_name (s->name);
          check (s->state <= HV_AGENT_SHARE_UNSUPPORTED, "a known share state");
          check_string (s->mount_point, HV_AGENT_MAX_STRING);
          check_string (s->message, HV_AGENT_MAX_STRING);
          names[i] = s->name;
        }
      check_unique (names, msg->u.share_status.n_shares);
      break;

    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      check (msg->u.clipboard_offer.n_types <= HV_AGENT_MAX_MIME_TYPES, "at most 8 types");
      for (size_t i = 0; i < msg->u.clipboard_offer.n_types; i++)
        check_mime (msg->u.clipboard_offer.types[i]);
      break;

    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      check_mime (msg->u.clipboard_request.mime);
      break;

    case HV_AGENT_MSG_CLIPBOARD_DATA:
      {
        const HvAgentClipboardData *d = &msg->u.clipboard_data;

        check_mime (d->mime);
        check (d->size <= HV_AGENT_MAX_CLIPBOARD, "clipboard data within 16 MiB");
        check ((d->size == 0) == (d->data == NULL), "data present exactly when size > 0");
        if (d->data != NULL)
          check (d->data[d->size] == 0, "clipboard data is NUL-terminated");
        if (strcmp (d->mime, HV_AGENT_MIME_TEXT) == 0 && d->size > 0)
          {
            check (hv_agent_utf8_valid (d->data, d->size), "text is UTF-8");
            check (g_utf8_validate ((const char *) d->data, d->size, NULL),
                   "GLib agrees the text is UTF-8");
            check (memchr (d->data, 0, d->size) == NULL, "text holds no NUL");
          }
        if (strcmp (d->mime, HV_AGENT_MIME_PNG) == 0 && d->size > 0)
          check (d->size >= 8 && memcmp (d->data, "\x89PNG\r\n\x1a\n", 8) == 0,
                 "PNG data starts with the PNG signature");
      }
      break;

    default:
      check (0, "a decoded message has the type asked for");
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  HvAgentFrame frame = { 0 };
  HvAgentMessage msg;
  HvAgentStatus status;
  HvAgentBuffer out = { 0 };

  if (size == 0)
    return 0;

  frame.version = HV_AGENT_PROTO_MAJOR;
  frame.type = types[data[0] % G_N_ELEMENTS (types)];
  frame.length = (uint32_t) (size - 1);
  frame.payload = frame.length > 0 ? malloc (frame.length) : NULL;
  if (frame.length > 0)
    {
      check (frame.payload != NULL, "malloc");
      memcpy (frame.payload, data + 1, frame.length);
    }

  status = hv_agent_message_decode (&frame, &msg);
  if (status != HV_AGENT_OK)
    {
      check (status != HV_AGENT_ERR_UNKNOWN_TYPE && status != HV_AGENT_ERR_WRONG_TYPE,
             "these types are known");
      check (all_zero (&msg, sizeof msg), "a refused message is left zeroed");
      hv_agent_frame_clear (&frame);
      return 0;
    }

  check (msg.type == frame.type, "the message has the frame's type");
  check_message (&msg);

  /* Re-encoding: the header, then the payload's first bytes, exactly. */
  check (hv_agent_message_encode (&out, frame.version, &msg) == HV_AGENT_OK,
         "an accepted message encodes");
  check (out.len >= HV_AGENT_HEADER_SIZE, "a frame has a header");
  check (out.len - HV_AGENT_HEADER_SIZE <= frame.length, "encoding adds nothing");
  check (out.len == HV_AGENT_HEADER_SIZE ||
         memcmp (out.data + HV_AGENT_HEADER_SIZE, frame.payload,
                 out.len - HV_AGENT_HEADER_SIZE) == 0,
         "encoding gives back the payload's bytes");

  hv_agent_buffer_clear (&out);
  hv_agent_message_clear (&msg);
  hv_agent_frame_clear (&frame);
  return 0;
}
