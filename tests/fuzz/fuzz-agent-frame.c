/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-agent-frame.c: libFuzzer target for the agent protocol codec, the parser that both the
 * guest agent and the engine run on peer input (guest-tools/proto/hv-agent-proto.c).
 *
 * The input is a byte stream as it would arrive on the virtio-serial port. The first byte picks
 * the chunk size the stream is fed in (so partial headers and payloads are exercised); every
 * frame the reader yields goes through the generic decoder and through every typed decoder
 * (which must refuse other types), and whatever decodes is encoded again and must decode to the
 * same bytes: a sender and a receiver never disagree on what is valid.
 *
 * Built with clang -fsanitize=fuzzer where available; tests/fuzz/fuzz-runner.c drives the same
 * entry point over the corpus (plus random mutations) everywhere else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv-agent-proto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (int condition)
{
  if (!condition)
    abort ();
}

static void
check_reencode (const HvAgentFrame *frame, const HvAgentMessage *msg)
{
  HvAgentBuffer first = { 0 };
  HvAgentBuffer second = { 0 };
  HvAgentReader reader;
  HvAgentFrame again;
  HvAgentMessage back;
  HvAgentStatus status;
  size_t used;

  check (hv_agent_message_encode (&first, frame->version, msg) == HV_AGENT_OK);
  hv_agent_reader_init (&reader, 0);
  used = hv_agent_reader_feed (&reader, first.data, first.len, &status);
  check (status == HV_AGENT_OK && used == first.len);
  check (hv_agent_reader_next (&reader, &again));
  check (hv_agent_message_decode (&again, &back) == HV_AGENT_OK);
  check (hv_agent_message_encode (&second, again.version, &back) == HV_AGENT_OK);
  check (first.len == second.len && memcmp (first.data, second.data, first.len) == 0);
  /* Re-encoding drops only trailing bytes a later minor version may add. */
  check (again.length <= frame->length);
  hv_agent_message_clear (&back);
  hv_agent_frame_clear (&again);
  hv_agent_reader_clear (&reader);
  hv_agent_buffer_clear (&first);
  hv_agent_buffer_clear (&second);
}

static void
decode_everything (const HvAgentFrame *frame)
{
  HvAgentMessage msg;
  HvAgentStatus status;
  HvAgentFrame as = *frame;

  status = hv_agent_message_decode (frame, &msg);
  if (status == HV_AGENT_OK)
    {
      check (msg.type == frame->type);
      check_reencode (frame, &msg);
      hv_agent_message_clear (&msg);
    }
  else
    check (msg.type == 0);

  /* The same payload read as every type: the decoders must cope with any bytes. */
  {
    static const uint16_t types[] = {
      HV_AGENT_MSG_HELLO, HV_AGENT_MSG_HEARTBEAT, HV_AGENT_MSG_ERROR, HV_AGENT_MSG_GUEST_INFO,
      HV_AGENT_MSG_SHARES, HV_AGENT_MSG_SHARE_STATUS, HV_AGENT_MSG_CLIPBOARD_OFFER,
      HV_AGENT_MSG_CLIPBOARD_REQUEST, HV_AGENT_MSG_CLIPBOARD_DATA,
    };

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
      {
        as.type = types[i];
        if (hv_agent_message_decode (&as, &msg) == HV_AGENT_OK)
          {
            check_reencode (&as, &msg);
            hv_agent_message_clear (&msg);
          }
      }
  }

  /* Typed decoders refuse frames of another type, without touching the payload. */
  {
    HvAgentHello hello;
    HvAgentClipboardData data;

    as.type = 0xffff;
    check (hv_agent_decode_hello (&as, &hello) == HV_AGENT_ERR_WRONG_TYPE);
    check (hv_agent_decode_clipboard_data (&as, &data) == HV_AGENT_ERR_WRONG_TYPE);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  HvAgentReader reader;
  size_t chunk;
  size_t off = 1;

  if (size == 0)
    return 0;
  chunk = data[0] == 0 ? size : data[0];

  /* A small limit too, so the limit check is hit by small inputs. */
  hv_agent_reader_init (&reader, data[0] & 1 ? 0 : 4096);
  while (off < size)
    {
      size_t len = size - off < chunk ? size - off : chunk;
      HvAgentStatus status;
      size_t used = hv_agent_reader_feed (&reader, data + off, len, &status);
      HvAgentFrame frame;

      check (used <= len);
      off += used;
      if (status != HV_AGENT_OK)
        break;
      if (hv_agent_reader_next (&reader, &frame))
        {
          check (frame.length <= HV_AGENT_MAX_PAYLOAD);
          check (frame.version != 0);
          decode_everything (&frame);
          hv_agent_frame_clear (&frame);
        }
      else
        check (used == len); /* no frame complete: all offered bytes were buffered */
    }
  hv_agent_reader_clear (&reader);
  return 0;
}
