/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gen-agent-corpus.c: writes the seed corpus of fuzz-agent-frame.c: one valid frame of every
 * message type, a whole session's stream, and a few edge cases. Each file starts with the byte
 * the fuzz target reads as its chunk size (0: all at once).
 *
 *   gen-agent-corpus OUTDIR
 *
 * The files in tests/fuzz/corpus/agent-frame/ named seed-* come from this program; the others
 * are inputs libFuzzer found worth keeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-agent-proto.h"

static const char *outdir;

static void
write_file (const char *name, uint8_t chunk, const HvAgentBuffer *buf)
{
  char path[4096];
  FILE *f;

  snprintf (path, sizeof path, "%s/seed-%s", outdir, name);
  f = fopen (path, "wb");
  if (f == NULL || fwrite (&chunk, 1, 1, f) != 1
      || (buf->len && fwrite (buf->data, 1, buf->len, f) != buf->len) || fclose (f) != 0)
    {
      perror (path);
      exit (1);
    }
}

static void
must (HvAgentStatus status)
{
  if (status != HV_AGENT_OK)
    {
      fprintf (stderr, "encoding failed: %s\n", hv_agent_status_to_string (status));
      exit (1);
    }
}

int
main (int argc, char **argv)
{
  HvAgentBuffer one = { 0 };
  HvAgentBuffer session = { 0 };
  static char *types[] = { HV_AGENT_MIME_TEXT, HV_AGENT_MIME_PNG };
  static uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0 };
  HvAgentAddress addresses[] = {
    { "eth0", 4, 24, { 10, 0, 2, 15 } },
    { "eth0", 6, 64, { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56 } },
  };
  HvAgentShare shares[] = {
    { "docs", "hvshare0", HV_AGENT_SHARE_KIND_9P, HV_AGENT_SHARE_AUTOMOUNT },
    { "ro", "hvshare1", HV_AGENT_SHARE_KIND_9P,
      HV_AGENT_SHARE_AUTOMOUNT | HV_AGENT_SHARE_READONLY },
    { "fast", "hvfs0", HV_AGENT_SHARE_KIND_VIRTIOFS, 0 },
  };
  HvAgentShareStatusEntry status[] = {
    { "docs", HV_AGENT_SHARE_MOUNTED, 0, "/media/hostvisor/docs", "" },
    { "ro", HV_AGENT_SHARE_FAILED, 2, "/media/hostvisor/ro", "No such file or directory" },
    { "fast", HV_AGENT_SHARE_NOT_MOUNTED, 0, "/media/hostvisor/fast", "" },
  };
  HvAgentHello host_hello = { 1, 0, HV_AGENT_ROLE_HOST, 0, 0x1f, "hostvisord 0.1.0" };
  HvAgentHello guest_hello = { 1, 0, HV_AGENT_ROLE_GUEST, HV_AGENT_HELLO_REPLY, 0x07,
                               "hostvisor-agent 0.1.0" };
  HvAgentHeartbeat ping = { 1, 0 };
  HvAgentError error = { HV_AGENT_ERROR_MALFORMED, "bad magic" };
  HvAgentGuestInfo info = { "0.1.0", "debian", "Debian GNU/Linux",
                            "Debian GNU/Linux 12 (bookworm)", "12", "6.1.0-56-amd64", "hv-guest",
                            2, addresses };
  HvAgentShares sh = { 3, 3, shares };
  HvAgentShareStatus st = { 3, 3, status };
  HvAgentClipboardOffer offer = { 17, 2, types };
  HvAgentClipboardOffer cleared = { 18, 0, NULL };
  HvAgentClipboardRequest request = { 17, HV_AGENT_MIME_TEXT };
  HvAgentClipboardData text = { 17, HV_AGENT_MIME_TEXT, 14, (uint8_t *) "h\xc3\xa9llo, guest!" };
  HvAgentClipboardData image = { 19, HV_AGENT_MIME_PNG, sizeof png, png };

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  outdir = argv[1];

#define ONE(name, call) \
  do { one.len = 0; must (call); write_file (name, 0, &one); } while (0)

  ONE ("hello-host", hv_agent_encode_hello (&one, &host_hello));
  ONE ("hello-guest", hv_agent_encode_hello (&one, &guest_hello));
  ONE ("heartbeat", hv_agent_encode_heartbeat (&one, 1, &ping));
  ONE ("error", hv_agent_encode_error (&one, 1, &error));
  ONE ("guest-info", hv_agent_encode_guest_info (&one, 1, &info));
  ONE ("shares", hv_agent_encode_shares (&one, 1, &sh));
  ONE ("share-status", hv_agent_encode_share_status (&one, 1, &st));
  ONE ("clipboard-offer", hv_agent_encode_clipboard_offer (&one, 1, &offer));
  ONE ("clipboard-offer-empty", hv_agent_encode_clipboard_offer (&one, 1, &cleared));
  ONE ("clipboard-request", hv_agent_encode_clipboard_request (&one, 1, &request));
  ONE ("clipboard-data-text", hv_agent_encode_clipboard_data (&one, 1, &text));
  ONE ("clipboard-data-png", hv_agent_encode_clipboard_data (&one, 1, &image));

  /* A whole session in one stream, fed in 3-byte and 1-byte pieces. */
  must (hv_agent_encode_hello (&session, &host_hello));
  must (hv_agent_encode_hello (&session, &guest_hello));
  must (hv_agent_encode_guest_info (&session, 1, &info));
  must (hv_agent_encode_shares (&session, 1, &sh));
  must (hv_agent_encode_share_status (&session, 1, &st));
  must (hv_agent_encode_heartbeat (&session, 1, &ping));
  must (hv_agent_encode_clipboard_offer (&session, 1, &offer));
  must (hv_agent_encode_clipboard_request (&session, 1, &request));
  must (hv_agent_encode_clipboard_data (&session, 1, &text));
  write_file ("session-3", 3, &session);
  write_file ("session-1", 1, &session);

  /* An unknown type with a payload, and an empty frame: both valid, both ignored. */
  {
    static const uint8_t unknown[] = { 'H', 'V', 'A', 'G', 1, 0, 0x7f, 0x00, 0, 0, 0, 3, 1, 2, 3,
                                       'H', 'V', 'A', 'G', 2, 0, 0x00, 0x02, 0, 0, 0, 0 };
    HvAgentBuffer raw = { (uint8_t *) unknown, sizeof unknown, sizeof unknown };

    write_file ("unknown-type", 0, &raw);
  }

  hv_agent_buffer_clear (&one);
  hv_agent_buffer_clear (&session);
  return 0;
}
