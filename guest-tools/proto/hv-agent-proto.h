/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hv-agent-proto.h: the framed protocol between the engine and the guest agent.
 *
 * docs/agent-protocol.md is the specification. This file is plain C99 with no GLib: the static
 * guest agent and the engine compile the same code.
 *
 * Memory: decoders fill caller-provided structs with malloc()ed fields; free them with the
 * matching *_clear() function (safe on a zeroed or already-cleared struct). On a decoding error
 * the struct is left cleared. Encoders append one complete frame to an HvAgentBuffer.
 * Nothing here aborts or logs on peer input: every failure is an HvAgentStatus.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HV_AGENT_PORT_NAME "io.github.hostvisor.agent.0"

#define HV_AGENT_PROTO_MAJOR 1
#define HV_AGENT_PROTO_MINOR 0

#define HV_AGENT_MAGIC_0 0x48 /* 'H' */
#define HV_AGENT_MAGIC_1 0x56 /* 'V' */
#define HV_AGENT_MAGIC_2 0x41 /* 'A' */
#define HV_AGENT_MAGIC_3 0x47 /* 'G' */
#define HV_AGENT_HEADER_SIZE 12

#define HV_AGENT_MAX_CLIPBOARD (16u * 1024u * 1024u)
#define HV_AGENT_MAX_PAYLOAD (HV_AGENT_MAX_CLIPBOARD + 8192u)
#define HV_AGENT_MAX_STRING 4096u
#define HV_AGENT_MAX_NAME 255u
#define HV_AGENT_MAX_MIME 127u
#define HV_AGENT_MAX_SHARES 64u
#define HV_AGENT_MAX_ADDRESSES 32u
#define HV_AGENT_MAX_MIME_TYPES 8u

#define HV_AGENT_MIME_TEXT "text/plain;charset=utf-8"
#define HV_AGENT_MIME_PNG "image/png"

typedef enum
{
  HV_AGENT_MSG_HELLO = 0x0001,
  HV_AGENT_MSG_HEARTBEAT = 0x0002,
  HV_AGENT_MSG_ERROR = 0x0003,
  HV_AGENT_MSG_GUEST_INFO = 0x0010,
  HV_AGENT_MSG_SHARES = 0x0020,
  HV_AGENT_MSG_SHARE_STATUS = 0x0021,
  HV_AGENT_MSG_CLIPBOARD_OFFER = 0x0030,
  HV_AGENT_MSG_CLIPBOARD_REQUEST = 0x0031,
  HV_AGENT_MSG_CLIPBOARD_DATA = 0x0032,
} HvAgentMsgType;

typedef enum
{
  HV_AGENT_ROLE_HOST = 1,
  HV_AGENT_ROLE_GUEST = 2,
} HvAgentRole;

#define HV_AGENT_HELLO_REPLY (1u << 0)

#define HV_AGENT_CAP_GUEST_INFO (1u << 0)
#define HV_AGENT_CAP_SHARES_9P (1u << 1)
#define HV_AGENT_CAP_SHARES_VIRTIOFS (1u << 2)
#define HV_AGENT_CAP_CLIPBOARD_TEXT (1u << 3)
#define HV_AGENT_CAP_CLIPBOARD_PNG (1u << 4)

typedef enum
{
  HV_AGENT_SHARE_KIND_9P = 0,
  HV_AGENT_SHARE_KIND_VIRTIOFS = 1,
} HvAgentShareKind;

#define HV_AGENT_SHARE_READONLY (1u << 0)
#define HV_AGENT_SHARE_AUTOMOUNT (1u << 1)

typedef enum
{
  HV_AGENT_SHARE_MOUNTED = 0,
  HV_AGENT_SHARE_NOT_MOUNTED = 1,
  HV_AGENT_SHARE_FAILED = 2,
  HV_AGENT_SHARE_UNSUPPORTED = 3,
} HvAgentShareState;

typedef enum
{
  HV_AGENT_ERROR_MALFORMED = 1,
  HV_AGENT_ERROR_UNSUPPORTED_VERSION = 2,
  HV_AGENT_ERROR_UNEXPECTED = 3,
  HV_AGENT_ERROR_INTERNAL = 4,
} HvAgentErrorCode;

typedef enum
{
  HV_AGENT_OK = 0,
  HV_AGENT_ERR_BAD_MAGIC,     /* the header does not start with "HVAG" */
  HV_AGENT_ERR_BAD_VERSION,   /* header version 0, or not the session's version */
  HV_AGENT_ERR_TOO_LARGE,     /* a length over its limit (frame, string, blob) */
  HV_AGENT_ERR_TRUNCATED,     /* the payload ends before its last field */
  HV_AGENT_ERR_BAD_UTF8,      /* a string that is not UTF-8 or holds U+0000 */
  HV_AGENT_ERR_TOO_MANY,      /* a count over its limit */
  HV_AGENT_ERR_BAD_VALUE,     /* an enum or field value out of range, bad name, bad content */
  HV_AGENT_ERR_WRONG_TYPE,    /* decoding a frame with a decoder for another type */
  HV_AGENT_ERR_UNKNOWN_TYPE,  /* hv_agent_message_decode(): a type this version does not know */
  HV_AGENT_ERR_NOMEM,         /* malloc() failed */
} HvAgentStatus;

const char *hv_agent_status_to_string (HvAgentStatus status);

/* ------------------------------------------------------------------------------------------- */
/* Frames and the incremental reader                                                            */

typedef struct
{
  uint8_t version;
  uint8_t flags;
  uint16_t type;
  uint32_t length;
  uint8_t *payload; /* malloc()ed, length bytes; NULL when length is 0 */
} HvAgentFrame;

void hv_agent_frame_clear (HvAgentFrame *frame);

/*
 * The reader buffers at most one frame: the header, then the payload as it arrives (growing its
 * buffer with the bytes received, never trusting the announced length up front). Once a frame is
 * complete, feed() consumes nothing more until the frame is taken with next(). After an error the
 * reader stays failed until hv_agent_reader_reset().
 */
typedef struct
{
  uint8_t header[HV_AGENT_HEADER_SIZE];
  size_t header_len;
  uint32_t max_payload;
  HvAgentFrame frame; /* the frame being read */
  size_t payload_len; /* bytes of frame.payload received */
  size_t payload_cap;
  bool complete;
  HvAgentStatus error;
} HvAgentReader;

/* max_payload 0 means HV_AGENT_MAX_PAYLOAD; larger values are clamped to it. */
void hv_agent_reader_init (HvAgentReader *reader, uint32_t max_payload);
void hv_agent_reader_clear (HvAgentReader *reader);
void hv_agent_reader_reset (HvAgentReader *reader);

/*
 * Consumes bytes from data, up to the end of the current frame, and returns how many it took.
 * Sets *status (never NULL) to HV_AGENT_OK or to the error that ends the stream. Call it again
 * with the rest after taking the completed frame with hv_agent_reader_next().
 */
size_t hv_agent_reader_feed (HvAgentReader *reader, const void *data, size_t len,
                             HvAgentStatus *status);

/* Moves a completed frame into *frame (caller clears it) and returns true; false if none yet. */
bool hv_agent_reader_next (HvAgentReader *reader, HvAgentFrame *frame);

/* Parses a complete 12-byte header: magic, version != 0, length <= max_payload (0: default). */
HvAgentStatus hv_agent_header_parse (const uint8_t header[HV_AGENT_HEADER_SIZE],
                                     uint32_t max_payload, HvAgentFrame *frame);

/* ------------------------------------------------------------------------------------------- */
/* Output buffer                                                                                */

typedef struct
{
  uint8_t *data;
  size_t len;
  size_t cap;
} HvAgentBuffer;

void hv_agent_buffer_clear (HvAgentBuffer *buffer);
/* Drops the first n bytes (for partial writes). */
void hv_agent_buffer_consume (HvAgentBuffer *buffer, size_t n);

/* ------------------------------------------------------------------------------------------- */
/* Messages                                                                                     */

typedef struct
{
  uint16_t major;
  uint16_t minor;
  uint8_t role;
  uint8_t flags;
  uint32_t capabilities;
  char *software;
} HvAgentHello;

typedef struct
{
  uint32_t seq;
  uint8_t reply;
} HvAgentHeartbeat;

typedef struct
{
  uint32_t code;
  char *message;
} HvAgentError;

typedef struct
{
  char *interface;
  uint8_t family; /* 4 or 6 */
  uint8_t prefix;
  uint8_t address[16]; /* 4 bytes used for IPv4 */
} HvAgentAddress;

typedef struct
{
  char *agent_version;
  char *os_id;
  char *os_name;
  char *os_pretty_name;
  char *os_version_id;
  char *kernel_release;
  char *hostname;
  uint16_t n_addresses;
  HvAgentAddress *addresses;
} HvAgentGuestInfo;

typedef struct
{
  char *name;
  char *tag;
  uint8_t kind;
  uint8_t flags;
} HvAgentShare;

typedef struct
{
  uint32_t generation;
  uint16_t n_shares;
  HvAgentShare *shares;
} HvAgentShares;

typedef struct
{
  char *name;
  uint8_t state;
  uint32_t error;
  char *mount_point;
  char *message;
} HvAgentShareStatusEntry;

typedef struct
{
  uint32_t generation;
  uint16_t n_shares;
  HvAgentShareStatusEntry *shares;
} HvAgentShareStatus;

typedef struct
{
  uint32_t serial;
  uint16_t n_types;
  char **types;
} HvAgentClipboardOffer;

typedef struct
{
  uint32_t serial;
  char *mime;
} HvAgentClipboardRequest;

typedef struct
{
  uint32_t serial;
  char *mime;
  uint32_t size;
  uint8_t *data;
} HvAgentClipboardData;

/* Any message; type selects the union member. */
typedef struct
{
  uint16_t type;
  union
  {
    HvAgentHello hello;
    HvAgentHeartbeat heartbeat;
    HvAgentError error;
    HvAgentGuestInfo guest_info;
    HvAgentShares shares;
    HvAgentShareStatus share_status;
    HvAgentClipboardOffer clipboard_offer;
    HvAgentClipboardRequest clipboard_request;
    HvAgentClipboardData clipboard_data;
  } u;
} HvAgentMessage;

void hv_agent_hello_clear (HvAgentHello *msg);
void hv_agent_error_clear (HvAgentError *msg);
void hv_agent_guest_info_clear (HvAgentGuestInfo *msg);
void hv_agent_shares_clear (HvAgentShares *msg);
void hv_agent_share_status_clear (HvAgentShareStatus *msg);
void hv_agent_clipboard_offer_clear (HvAgentClipboardOffer *msg);
void hv_agent_clipboard_request_clear (HvAgentClipboardRequest *msg);
void hv_agent_clipboard_data_clear (HvAgentClipboardData *msg);
void hv_agent_message_clear (HvAgentMessage *msg);

/*
 * Encoders: validate the message against the same rules the decoders apply (so a sender never
 * produces a frame its peer must reject) and append one frame to out. version is the header
 * version (the session's major; HELLO always uses 1). NULL strings are sent as "". On error out
 * is unchanged.
 */
HvAgentStatus hv_agent_encode_hello (HvAgentBuffer *out, const HvAgentHello *msg);
HvAgentStatus hv_agent_encode_heartbeat (HvAgentBuffer *out, uint8_t version,
                                         const HvAgentHeartbeat *msg);
HvAgentStatus hv_agent_encode_error (HvAgentBuffer *out, uint8_t version, const HvAgentError *msg);
HvAgentStatus hv_agent_encode_guest_info (HvAgentBuffer *out, uint8_t version,
                                          const HvAgentGuestInfo *msg);
HvAgentStatus hv_agent_encode_shares (HvAgentBuffer *out, uint8_t version,
                                      const HvAgentShares *msg);
HvAgentStatus hv_agent_encode_share_status (HvAgentBuffer *out, uint8_t version,
                                            const HvAgentShareStatus *msg);
HvAgentStatus hv_agent_encode_clipboard_offer (HvAgentBuffer *out, uint8_t version,
                                               const HvAgentClipboardOffer *msg);
HvAgentStatus hv_agent_encode_clipboard_request (HvAgentBuffer *out, uint8_t version,
                                                 const HvAgentClipboardRequest *msg);
HvAgentStatus hv_agent_encode_clipboard_data (HvAgentBuffer *out, uint8_t version,
                                              const HvAgentClipboardData *msg);
HvAgentStatus hv_agent_message_encode (HvAgentBuffer *out, uint8_t version,
                                       const HvAgentMessage *msg);

/* Decoders: check frame->type, then every field. On error *msg is cleared. */
HvAgentStatus hv_agent_decode_hello (const HvAgentFrame *frame, HvAgentHello *msg);
HvAgentStatus hv_agent_decode_heartbeat (const HvAgentFrame *frame, HvAgentHeartbeat *msg);
HvAgentStatus hv_agent_decode_error (const HvAgentFrame *frame, HvAgentError *msg);
HvAgentStatus hv_agent_decode_guest_info (const HvAgentFrame *frame, HvAgentGuestInfo *msg);
HvAgentStatus hv_agent_decode_shares (const HvAgentFrame *frame, HvAgentShares *msg);
HvAgentStatus hv_agent_decode_share_status (const HvAgentFrame *frame, HvAgentShareStatus *msg);
HvAgentStatus hv_agent_decode_clipboard_offer (const HvAgentFrame *frame,
                                               HvAgentClipboardOffer *msg);
HvAgentStatus hv_agent_decode_clipboard_request (const HvAgentFrame *frame,
                                                 HvAgentClipboardRequest *msg);
HvAgentStatus hv_agent_decode_clipboard_data (const HvAgentFrame *frame,
                                              HvAgentClipboardData *msg);
/* Any known type; HV_AGENT_ERR_UNKNOWN_TYPE (not an error of the stream: ignore the frame). */
HvAgentStatus hv_agent_message_decode (const HvAgentFrame *frame, HvAgentMessage *msg);

/* ------------------------------------------------------------------------------------------- */
/* Helpers                                                                                      */

/* Strict UTF-8 (no overlongs, surrogates, > U+10FFFF) without U+0000. */
bool hv_agent_utf8_valid (const void *data, size_t len);
/* A share name: 1..255 bytes, UTF-8, not "." or "..", no '/'. */
bool hv_agent_share_name_valid (const char *name);
/* A MIME type: 1..127 bytes of 0x21..0x7e. */
bool hv_agent_mime_valid (const char *mime);
/* The session major of two HELLOs' majors: the lower one. */
uint16_t hv_agent_negotiate_major (uint16_t local_major, uint16_t peer_major);
/* "10.0.2.15" or "fe80::1"; buf needs 46 bytes. Returns buf, or NULL for a bad family. */
const char *hv_agent_address_to_string (const HvAgentAddress *address, char *buf, size_t size);
const char *hv_agent_msg_type_to_string (uint16_t type);

#ifdef __cplusplus
}
#endif
