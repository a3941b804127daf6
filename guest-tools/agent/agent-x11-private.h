/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-x11-private.h: what agent-x11.c (the connection, requests, events, the public API) and
 * agent-x11-incr.c (the transfers: reading the guest's clipboard, INCR included, and serving
 * the host's by INCR) share. Not for other files of the agent.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "agent-x11.h"


#define X_CreateWindow 1
#define X_ChangeWindowAttributes 2
#define X_InternAtom 16
#define X_ChangeProperty 18
#define X_DeleteProperty 19
#define X_GetProperty 20
#define X_SetSelectionOwner 22
#define X_GetSelectionOwner 23
#define X_ConvertSelection 24
#define X_SendEvent 25
#define X_QueryExtension 98
#define X_ChangeHosts 109

#define EV_ERROR 0
#define EV_REPLY 1
#define EV_DESTROY_NOTIFY 17
#define EV_PROPERTY_NOTIFY 28
#define EV_SELECTION_CLEAR 29
#define EV_SELECTION_REQUEST 30
#define EV_SELECTION_NOTIFY 31
#define EV_GENERIC 35

#define ERR_BAD_WINDOW 3
#define PROPERTY_NEW_VALUE 0
#define PROPERTY_DELETE 1
#define CW_EVENT_MASK 0x800
#define MASK_STRUCTURE_NOTIFY 0x20000
#define MASK_PROPERTY_CHANGE 0x400000

#define ATOM_ATOM 4
#define ATOM_STRING 31

#define REPLY_TIMEOUT_MS 2000
/* How long an owner may take to answer a ConvertSelection, and either side of an INCR transfer
 * between two chunks. */
#define CONVERT_TIMEOUT_MS 3000
#define INCR_TIMEOUT_MS 5000
#define POLL_INTERVAL_MS 500
#define RECONNECT_MS 5000
#define MAX_QUEUED_EVENTS 1024
/* INCR transfers we serve at once; more requestors are refused until one ends. */
#define MAX_TRANSFERS 16
/* Property names we read into, taken in turn after an abandoned transfer (see read_abandon). */
#define PROP_SLOTS 4

/* Host content, shared by CLIPBOARD and the INCR transfers still sending it. */
typedef struct
{
  unsigned refs;
  uint32_t len;
  uint8_t bytes[];
} HostData;

/* One INCR transfer we serve: the requestor deletes property, we write the next chunk. */
typedef struct Transfer Transfer;
struct Transfer
{
  Transfer *next;
  uint32_t requestor;
  uint32_t property;
  uint32_t type;
  HostData *data;
  uint32_t offset;
  bool done; /* the zero-length end is written */
  uint16_t seq; /* of our last request for it, to match an error */
  int64_t deadline;
};

typedef enum
{
  READ_IDLE,
  READ_CONVERT, /* ConvertSelection sent, waiting for the owner's SelectionNotify */
  READ_INCR,    /* collecting INCR chunks */
} ReadState;

typedef enum
{
  STEP_TARGETS,
  STEP_TEXT,
  STEP_PNG,
} ReadStep;

struct AgentX11
{
  char *display;
  bool auto_display;
  int fd;
  uint16_t seq;
  uint32_t id_base;
  uint32_t root;
  uint32_t win;
  size_t max_request; /* bytes, BIG-REQUESTS included */
  size_t setup_max_request; /* bytes, the setup reply's */
  uint32_t incr_chunk; /* host content above this many bytes goes out by INCR */
  uint8_t big_requests_opcode;
  uint8_t xfixes_opcode;
  uint8_t xfixes_event;
  bool xfixes;

  uint32_t a_clipboard, a_targets, a_utf8, a_png, a_incr, a_text, a_text_plain;
  uint32_t a_props[PROP_SLOTS];
  unsigned prop_slot;

  /* A ring of events (and errors) read while waiting for a reply. */
  uint8_t events[MAX_QUEUED_EVENTS][32];
  size_t first_event;
  size_t n_events;

  /* The host's content, which we serve as owner of CLIPBOARD. */
  bool owner;
  HostData *host_text;
  HostData *host_png;
  Transfer *transfers;
  unsigned n_transfers;

  /* The guest's content, read when another client took CLIPBOARD. */
  uint32_t last_owner;
  bool guest_changed;
  uint8_t *guest_text;
  uint32_t guest_text_len;
  uint8_t *guest_png;
  uint32_t guest_png_len;

  /* The read in progress; its results replace guest_* when it ends. */
  ReadState read_state;
  ReadStep read_step;
  uint32_t read_target;
  int64_t read_deadline;
  bool read_has_text, read_has_png;
  uint8_t *read_buf;
  uint32_t read_len, read_cap;
  uint8_t *new_text;
  uint32_t new_text_len;
  uint8_t *new_png;
  uint32_t new_png_len;

  int64_t next_poll_ms;
  int64_t next_connect_ms;
};

static inline int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
put16 (uint8_t *p, uint16_t v)
{
  /* We announce little-endian byte order in the setup, so everything is little-endian. */
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
put32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
  p[3] = (uint8_t) (v >> 24);
}

static inline uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static inline uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
         | ((uint32_t) p[3] << 24);
}

static inline size_t
pad4 (size_t n)
{
  return (n + 3) & ~(size_t) 3;
}

/* agent-x11.c: host content and requests (see there). */
void host_data_unref (HostData *d);
/* Sends one request (len a multiple of 4); false when it cannot (the connection may be gone). */
bool x_send (AgentX11 *x, uint8_t *req, size_t len);
/* Waits for the reply to the last request, queueing events; false on an X error or a lost
 * connection. *extra is the reply's data beyond 32 bytes (to free). */
bool x_reply (AgentX11 *x, uint8_t pkt[32], uint8_t **extra, size_t *extra_len);
bool change_property (AgentX11 *x, uint32_t window, uint32_t property, uint32_t type,
                      uint8_t format, const uint8_t *data, uint32_t n_bytes);
bool delete_property (AgentX11 *x, uint32_t window, uint32_t property);
bool select_events (AgentX11 *x, uint32_t window, uint32_t mask);

/* agent-x11-incr.c: reading the guest's clipboard (ConvertSelection of TARGETS, text, PNG;
 * INCR chunks), driven by events and deadlines. */
void read_reset (AgentX11 *x);
void read_abandon (AgentX11 *x);
uint32_t read_prop (AgentX11 *x);
void read_on_notify (AgentX11 *x, uint32_t property);
void read_on_chunk (AgentX11 *x);
void read_check_deadline (AgentX11 *x, int64_t now);
void owner_changed (AgentX11 *x, uint32_t owner, bool force);

/* agent-x11-incr.c: serving the host's content (SelectionRequest; INCR transfers). */
void transfer_free (Transfer *t);
Transfer *transfer_find (AgentX11 *x, uint32_t window, uint32_t property);
void transfer_next (AgentX11 *x, Transfer *t);
void transfers_check_deadlines (AgentX11 *x, int64_t now);
void transfers_drop (AgentX11 *x, uint32_t window, bool by_seq, uint16_t seq, const char *why);
void answer_request (AgentX11 *x, const uint8_t ev[32]);
