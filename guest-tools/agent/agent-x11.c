/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-x11.c: the guest's X11 CLIPBOARD selection, spoken over the display's socket.
 *
 * Why not libX11 through dlopen(): the agent is a static glibc program, and a static program
 * that dlopen()s libX11 also loads the guest's libc.so.6 beside its own copy; that only works
 * when both come from the same glibc build, which a guest's never does. The few requests a
 * clipboard needs (core protocol plus XFIXES and BIG-REQUESTS) are simple enough to speak
 * directly, and this works in any guest with an X server and no libraries at all.
 *
 * Requests are sent one at a time and their replies awaited (a local X server answers at once);
 * events that arrive meanwhile are queued. What waits on another client never blocks: reading
 * the guest's clipboard is a state machine (TARGETS, then text, then PNG) driven by the owner's
 * SelectionNotify and PropertyNotify events, with a deadline for each step.
 *
 * Large content uses ICCCM's INCR transfer (ICCCM 2.7.2) both ways:
 *  - reading: an owner that answers with a property of type INCR gets it deleted, then sends
 *    chunks as PropertyNotify(NewValue) on our window; we append and delete each until a
 *    zero-length one. The protocol's 16 MiB cap (HV_AGENT_MAX_CLIPBOARD) holds: a larger
 *    announced size or a transfer that grows past it is dropped, the owner is left waiting on a
 *    property we never touch again (we move on to another property name);
 *  - serving: host content larger than one plain request (the setup reply's maximum request
 *    length, less headroom: BIG-REQUESTS would allow more, but requestors read properties in
 *    pieces of about that size and expect INCR above it) goes out as INCR, one chunk per
 *    PropertyNotify(Delete) on the requestor's window, several requestors at once, each with a
 *    deadline and dropped when its window is destroyed or an error names it.
 */
#include "agent-x11.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
put16 (uint8_t *p, uint16_t v)
{
  /* We announce little-endian byte order in the setup, so everything is little-endian. */
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static void
put32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
  p[3] = (uint8_t) (v >> 24);
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
         | ((uint32_t) p[3] << 24);
}

static size_t
pad4 (size_t n)
{
  return (n + 3) & ~(size_t) 3;
}

static HostData *
host_data_new (const uint8_t *data, uint32_t len)
{
  HostData *d = malloc (sizeof *d + (len ? len : 1));

  if (d == NULL)
    return NULL;
  d->refs = 1;
  d->len = len;
  memcpy (d->bytes, data, len);
  return d;
}

static void
host_data_unref (HostData *d)
{
  if (d != NULL && --d->refs == 0)
    free (d);
}

static void
transfer_free (Transfer *t)
{
  host_data_unref (t->data);
  free (t);
}

/* Forgets a read in progress and what it has read so far (no requests: also used on a lost
 * connection). */
static void
read_reset (AgentX11 *x)
{
  free (x->read_buf);
  free (x->new_text);
  free (x->new_png);
  x->read_buf = x->new_text = x->new_png = NULL;
  x->read_len = x->read_cap = x->new_text_len = x->new_png_len = 0;
  x->read_state = READ_IDLE;
}

static void
x_disconnect (AgentX11 *x, const char *why)
{
  if (x->fd >= 0)
    {
      agent_log ("X11 clipboard: disconnected from %s: %s", x->display, why);
      close (x->fd);
    }
  x->fd = -1;
  x->owner = false;
  x->n_events = 0;
  x->first_event = 0;
  x->next_connect_ms = now_ms () + RECONNECT_MS;
  /* The server forgets our properties and selections with the connection; so do we. */
  read_reset (x);
  while (x->transfers != NULL)
    {
      Transfer *t = x->transfers;

      x->transfers = t->next;
      transfer_free (t);
    }
  x->n_transfers = 0;
}

static bool
write_all (AgentX11 *x, const uint8_t *p, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (x->fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          x_disconnect (x, "write failed");
          return false;
        }
      p += n;
      len -= (size_t) n;
    }
  return true;
}

static bool
read_all (AgentX11 *x, uint8_t *p, size_t len, int timeout_ms)
{
  while (len > 0)
    {
      struct pollfd pfd = { x->fd, POLLIN, 0 };
      ssize_t n;

      if (poll (&pfd, 1, timeout_ms) <= 0)
        {
          x_disconnect (x, "no answer");
          return false;
        }
      n = read (x->fd, p, len);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        {
          x_disconnect (x, n == 0 ? "closed" : strerror (errno));
          return false;
        }
      p += n;
      len -= (size_t) n;
    }
  return true;
}

/* Sends one request (len a multiple of 4), using the BIG-REQUESTS form when it is long. */
static bool
x_send (AgentX11 *x, uint8_t *req, size_t len)
{
  if (x->fd < 0)
    return false;
  if (len > x->max_request)
    return false;
  x->seq++;
  if (len / 4 <= 0xffff)
    {
      put16 (req + 2, (uint16_t) (len / 4));
      return write_all (x, req, len);
    }
  else
    {
      uint8_t head[8];

      /* Length 0 then a 32-bit length that counts the extra word too. */
      memcpy (head, req, 4);
      put16 (head + 2, 0);
      put32 (head + 4, (uint32_t) (len / 4 + 1));
      return write_all (x, head, 8) && write_all (x, req + 4, len - 4);
    }
}

/* Reads one packet: 32 bytes, plus the rest of a reply or generic event into *extra. */
static bool
x_read_packet (AgentX11 *x, uint8_t pkt[32], uint8_t **extra, size_t *extra_len, int timeout)
{
  *extra = NULL;
  *extra_len = 0;
  if (!read_all (x, pkt, 32, timeout))
    return false;
  if (pkt[0] == EV_REPLY || (pkt[0] & 0x7f) == EV_GENERIC)
    {
      size_t more = (size_t) get32 (pkt + 4) * 4;

      if (more > HV_AGENT_MAX_CLIPBOARD + 64)
        {
          x_disconnect (x, "reply too large");
          return false;
        }
      if (more > 0)
        {
          *extra = malloc (more);
          if (*extra == NULL || !read_all (x, *extra, more, timeout))
            {
              free (*extra);
              *extra = NULL;
              if (x->fd >= 0)
                x_disconnect (x, "out of memory");
              return false;
            }
          *extra_len = more;
        }
    }
  return true;
}

static void
queue_event (AgentX11 *x, const uint8_t pkt[32])
{
  /* Only a flood fills it; a lost PropertyNotify then ends its transfer by its deadline. */
  if (x->n_events < MAX_QUEUED_EVENTS)
    {
      memcpy (x->events[(x->first_event + x->n_events) % MAX_QUEUED_EVENTS], pkt, 32);
      x->n_events++;
    }
}

static bool
dequeue_event (AgentX11 *x, uint8_t pkt[32])
{
  if (x->n_events == 0)
    return false;
  memcpy (pkt, x->events[x->first_event], 32);
  x->first_event = (x->first_event + 1) % MAX_QUEUED_EVENTS;
  x->n_events--;
  return true;
}

/* Waits for the reply to the last request; events and errors of earlier requests meanwhile are
 * queued. Returns false on an X error for it or a lost connection. */
static bool
x_reply (AgentX11 *x, uint8_t pkt[32], uint8_t **extra, size_t *extra_len)
{
  for (;;)
    {
      if (!x_read_packet (x, pkt, extra, extra_len, REPLY_TIMEOUT_MS))
        return false;
      if ((pkt[0] == EV_ERROR || pkt[0] == EV_REPLY) && get16 (pkt + 2) == x->seq)
        return pkt[0] == EV_REPLY;
      if (pkt[0] != EV_REPLY)
        queue_event (x, pkt);
      free (*extra);
      *extra = NULL;
    }
}

static uint32_t
intern (AgentX11 *x, const char *name)
{
  uint8_t req[8 + 256] = { X_InternAtom, 0 };
  size_t n = strlen (name);
  uint8_t pkt[32];
  uint8_t *extra;
  size_t extra_len;
  uint32_t atom = 0;

  put16 (req + 4, (uint16_t) n);
  memcpy (req + 8, name, n);
  if (x_send (x, req, 8 + pad4 (n)) && x_reply (x, pkt, &extra, &extra_len))
    atom = get32 (pkt + 8);
  free (extra);
  return atom;
}

static bool
query_extension (AgentX11 *x, const char *name, uint8_t *opcode, uint8_t *first_event)
{
  uint8_t req[8 + 64] = { X_QueryExtension, 0 };
  size_t n = strlen (name);
  uint8_t pkt[32];
  uint8_t *extra = NULL;
  size_t extra_len;
  bool present = false;

  put16 (req + 4, (uint16_t) n);
  memcpy (req + 8, name, n);
  if (x_send (x, req, 8 + pad4 (n)) && x_reply (x, pkt, &extra, &extra_len) && pkt[8])
    {
      present = true;
      *opcode = pkt[9];
      if (first_event)
        *first_event = pkt[10];
    }
  free (extra);
  return present;
}

/* Requests without a reply that the reading and serving sides share. */

static bool
change_property (AgentX11 *x, uint32_t window, uint32_t property, uint32_t type, uint8_t format,
                 const uint8_t *data, uint32_t n_bytes)
{
  uint8_t *req = calloc (1, 24 + pad4 (n_bytes));
  bool ok;

  if (req == NULL)
    return false;
  req[0] = X_ChangeProperty;
  req[1] = 0; /* Replace */
  put32 (req + 4, window);
  put32 (req + 8, property);
  put32 (req + 12, type);
  req[16] = format;
  put32 (req + 20, n_bytes / (format / 8));
  if (n_bytes > 0)
    memcpy (req + 24, data, n_bytes);
  ok = x_send (x, req, 24 + pad4 (n_bytes));
  free (req);
  return ok;
}

static bool
delete_property (AgentX11 *x, uint32_t window, uint32_t property)
{
  uint8_t req[12] = { X_DeleteProperty, 0 };

  put32 (req + 4, window);
  put32 (req + 8, property);
  return x_send (x, req, sizeof req);
}

static bool
select_events (AgentX11 *x, uint32_t window, uint32_t mask)
{
  uint8_t req[16] = { X_ChangeWindowAttributes, 0 };

  put32 (req + 4, window);
  put32 (req + 8, CW_EVENT_MASK);
  put32 (req + 12, mask);
  return x_send (x, req, sizeof req);
}

/* ------------------------------------------------------------------------------------------- */
/* Connecting                                                                                   */

static long
display_number (const char *display)
{
  const char *colon = strrchr (display, ':');

  if (colon == NULL || colon[1] < '0' || colon[1] > '9')
    return -1;
  /* Only local displays: ":N", "unix:N". A TCP display is not ours to reach. */
  if (colon != display && strncmp (display, "unix:", 5) != 0)
    return -1;
  return strtol (colon + 1, NULL, 10);
}

/* The MIT-MAGIC-COOKIE-1 for display number from $XAUTHORITY or ~/.Xauthority. */
static size_t
find_cookie (long number, uint8_t cookie[16])
{
  const char *path = getenv ("XAUTHORITY");
  char buf[4096];
  FILE *f;
  char num[32];
  size_t found = 0;

  if (path == NULL)
    {
      const char *home = getenv ("HOME");

      if (home == NULL)
        return 0;
      snprintf (buf, sizeof buf, "%s/.Xauthority", home);
      path = buf;
    }
  f = fopen (path, "re");
  if (f == NULL)
    return 0;
  snprintf (num, sizeof num, "%ld", number);
  for (;;)
    {
      uint8_t fam[2];
      char fields[4][256];
      size_t lens[4];
      bool ok = fread (fam, 1, 2, f) == 2;

      for (int i = 0; ok && i < 4; i++)
        {
          uint8_t l[2];

          ok = fread (l, 1, 2, f) == 2;
          lens[i] = ok ? (size_t) ((l[0] << 8) | l[1]) : 0;
          ok = ok && lens[i] < sizeof fields[i] && fread (fields[i], 1, lens[i], f) == lens[i];
          if (ok)
            fields[i][lens[i]] = 0;
        }
      if (!ok)
        break;
      /* family 256 = local, 65535 = wild; fields: address, display number, name, data */
      if (((fam[0] << 8) | fam[1]) != 256 && ((fam[0] << 8) | fam[1]) != 65535)
        continue;
      if (lens[1] > 0 && strcmp (fields[1], num) != 0)
        continue;
      if (strcmp (fields[2], "MIT-MAGIC-COOKIE-1") != 0 || lens[3] != 16)
        continue;
      memcpy (cookie, fields[3], 16);
      found = 16;
      break;
    }
  fclose (f);
  return found;
}

static int
connect_display (long number)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;
  int len;

  /* The abstract socket first (what libxcb does), then the file. */
  len = snprintf (addr.sun_path + 1, sizeof addr.sun_path - 1, "/tmp/.X11-unix/X%ld", number);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &addr,
               (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + (size_t) len)) == 0)
    return fd;
  memmove (addr.sun_path, addr.sun_path + 1, (size_t) len + 1);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0)
    return fd;
  close (fd);
  return -1;
}

static bool
x_setup (AgentX11 *x, long number)
{
  uint8_t cookie[16];
  size_t cookie_len = find_cookie (number, cookie);
  static const char auth_name[] = "MIT-MAGIC-COOKIE-1";
  uint8_t req[12 + 20 + 16] = { 'l', 0 };
  size_t len = 12;
  uint8_t head[8];
  uint8_t *data;
  size_t data_len;
  size_t vendor_len, n_formats, screen;

  put16 (req + 2, 11);
  put16 (req + 4, 0);
  if (cookie_len)
    {
      put16 (req + 6, sizeof auth_name - 1);
      put16 (req + 8, (uint16_t) cookie_len);
      memcpy (req + 12, auth_name, sizeof auth_name - 1);
      memcpy (req + 12 + pad4 (sizeof auth_name - 1), cookie, cookie_len);
      len += pad4 (sizeof auth_name - 1) + cookie_len;
    }
  if (!write_all (x, req, len) || !read_all (x, head, 8, REPLY_TIMEOUT_MS))
    return false;
  data_len = (size_t) get16 (head + 6) * 4;
  data = malloc (data_len ? data_len : 1);
  if (data == NULL || !read_all (x, data, data_len, REPLY_TIMEOUT_MS))
    {
      free (data);
      return false;
    }
  if (head[0] != 1)
    {
      agent_debug ("X11 clipboard: display %ld refused the connection: %.*s", number,
                 (int) (head[1] < data_len ? head[1] : data_len), (const char *) data);
      free (data);
      return false;
    }
  if (data_len < 32)
    {
      free (data);
      return false;
    }
  x->id_base = get32 (data + 4);
  x->max_request = x->setup_max_request = (size_t) get16 (data + 18) * 4;
  /* A plain ChangeProperty of at most this much data fits the setup's maximum with room to
   * spare for its header (the protocol guarantees at least 4096 bytes). */
  if (x->setup_max_request >= 8192)
    x->incr_chunk = (uint32_t) (x->setup_max_request - 1024);
  else
    x->incr_chunk = (uint32_t) (x->setup_max_request / 2);
  x->incr_chunk &= ~(uint32_t) 3;
  vendor_len = get16 (data + 16);
  n_formats = data[21];
  screen = 32 + pad4 (vendor_len) + 8 * n_formats;
  if (data[20] == 0 || screen + 4 > data_len)
    {
      free (data);
      return false;
    }
  x->root = get32 (data + screen);
  free (data);
  return true;
}

/* Connects and sets up display number; false (and closed) on failure. */
static bool
x_open (AgentX11 *x, long number)
{
  x->fd = connect_display (number);
  if (x->fd < 0)
    return false;
  x->seq = 0;
  if (!x_setup (x, number))
    {
      close (x->fd);
      x->fd = -1;
      return false;
    }
  return true;
}

/* "auto": the first local display that lets us in (see agent_x11_grant_root ()). */
static bool
x_open_auto (AgentX11 *x)
{
  DIR *dir = opendir ("/tmp/.X11-unix");
  struct dirent *e;
  bool ok = false;

  if (dir == NULL)
    return false;
  while (!ok && (e = readdir (dir)) != NULL)
    {
      char *end;
      long number;

      if (e->d_name[0] != 'X' || e->d_name[1] < '0' || e->d_name[1] > '9')
        continue;
      number = strtol (e->d_name + 1, &end, 10);
      if (*end != 0)
        continue;
      ok = x_open (x, number);
      if (ok)
        {
          free (x->display);
          x->display = malloc (32);
          if (x->display != NULL)
            snprintf (x->display, 32, ":%ld", number);
        }
    }
  closedir (dir);
  return ok;
}

static bool
x_connect (AgentX11 *x)
{
  uint8_t req[36] = { X_CreateWindow, 0 };
  uint8_t pkt[32];
  uint8_t *extra = NULL;
  size_t extra_len;

  x->next_connect_ms = now_ms () + RECONNECT_MS;
  if (x->auto_display)
    {
      if (!x_open_auto (x))
        return false;
    }
  else
    {
      long number = display_number (x->display);

      if (number < 0 || !x_open (x, number))
        return false;
    }

  if (query_extension (x, "BIG-REQUESTS", &x->big_requests_opcode, NULL))
    {
      uint8_t big[4] = { x->big_requests_opcode, 0 };

      if (x_send (x, big, 4) && x_reply (x, pkt, &extra, &extra_len))
        x->max_request = (size_t) get32 (pkt + 8) * 4;
      free (extra);
      extra = NULL;
    }

  x->a_clipboard = intern (x, "CLIPBOARD");
  x->a_targets = intern (x, "TARGETS");
  x->a_utf8 = intern (x, "UTF8_STRING");
  x->a_png = intern (x, HV_AGENT_MIME_PNG);
  x->a_text_plain = intern (x, HV_AGENT_MIME_TEXT);
  x->a_text = intern (x, "TEXT");
  x->a_incr = intern (x, "INCR");
  for (unsigned i = 0; i < PROP_SLOTS; i++)
    {
      char name[32];

      snprintf (name, sizeof name, i ? "HOSTVISOR_CLIPBOARD_%u" : "HOSTVISOR_CLIPBOARD", i);
      x->a_props[i] = intern (x, name);
      if (x->a_props[i] == 0)
        return false;
    }
  x->prop_slot = 0;
  if (x->fd < 0 || !x->a_clipboard || !x->a_incr)
    return false;

  /* An input-only window to own the selection and receive converted data. */
  x->win = x->id_base | 1;
  put32 (req + 4, x->win);
  put32 (req + 8, x->root);
  put16 (req + 16, 1);
  put16 (req + 18, 1);
  put16 (req + 22, 2); /* InputOnly */
  put32 (req + 28, CW_EVENT_MASK);
  put32 (req + 32, MASK_PROPERTY_CHANGE); /* INCR chunks come as PropertyNotify */
  if (!x_send (x, req, sizeof req))
    return false;

  x->xfixes = query_extension (x, "XFIXES", &x->xfixes_opcode, &x->xfixes_event);
  if (x->xfixes)
    {
      uint8_t ver[12] = { x->xfixes_opcode, 0 };
      uint8_t sel[16] = { x->xfixes_opcode, 2 };

      put32 (ver + 4, 5);
      put32 (ver + 8, 0);
      if (!x_send (x, ver, sizeof ver) || !x_reply (x, pkt, &extra, &extra_len))
        x->xfixes = false;
      free (extra);
      put32 (sel + 4, x->win);
      put32 (sel + 8, x->a_clipboard);
      put32 (sel + 12, 1); /* SetSelectionOwnerNotifyMask */
      if (x->xfixes && !x_send (x, sel, sizeof sel))
        return false;
    }
  agent_log ("X11 clipboard: connected to %s (%s)", x->display,
             x->xfixes ? "XFIXES selection events" : "polling the owner");
  x->last_owner = 0;
  x->next_poll_ms = 0;
  return x->fd >= 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Reading the guest's clipboard                                                                */

static uint32_t
read_prop (AgentX11 *x)
{
  return x->a_props[x->prop_slot];
}

/* Stops waiting on the owner. Its SelectionNotify or INCR chunks may still come: they land in a
 * property we no longer read (we move to the next name), and an INCR owner waiting for us to
 * delete it keeps waiting until its own timeout, instead of sending the rest into our next
 * read. */
static void
read_abandon (AgentX11 *x)
{
  if (x->read_state != READ_IDLE)
    x->prop_slot = (x->prop_slot + 1) % PROP_SLOTS;
  free (x->read_buf);
  x->read_buf = NULL;
  x->read_len = x->read_cap = 0;
  x->read_state = READ_IDLE;
}

static void
read_convert (AgentX11 *x, uint32_t target)
{
  uint8_t req[24] = { X_ConvertSelection, 0 };

  put32 (req + 4, x->win);
  put32 (req + 8, x->a_clipboard);
  put32 (req + 12, target);
  put32 (req + 16, read_prop (x));
  put32 (req + 20, 0); /* CurrentTime */
  if (!x_send (x, req, sizeof req))
    return;
  x->read_state = READ_CONVERT;
  x->read_target = target;
  x->read_deadline = now_ms () + CONVERT_TIMEOUT_MS;
}

/* The read is complete: its results become the guest's content. */
static void
read_finish (AgentX11 *x)
{
  free (x->guest_text);
  free (x->guest_png);
  x->guest_text = x->new_text;
  x->guest_text_len = x->new_text_len;
  x->guest_png = x->new_png;
  x->guest_png_len = x->new_png_len;
  x->new_text = x->new_png = NULL;
  x->new_text_len = x->new_png_len = 0;
  x->read_state = READ_IDLE;
  if (x->guest_text || x->guest_png)
    {
      x->guest_changed = true;
      agent_debug ("X11 clipboard: guest content: %u bytes of text, %u bytes of PNG",
                   x->guest_text_len, x->guest_png_len);
    }
}

/* One target is read (data NULL: not available); takes data and goes on with the next. */
static void
read_step_done (AgentX11 *x, uint8_t *data, uint32_t len)
{
  x->read_state = READ_IDLE;
  switch (x->read_step)
    {
    case STEP_TARGETS:
      x->read_has_text = x->read_has_png = false;
      for (uint32_t i = 0; data && i + 4 <= len; i += 4)
        {
          uint32_t a = get32 (data + i);

          if (a == x->a_utf8 || a == x->a_text_plain)
            x->read_has_text = true;
          if (a == x->a_png)
            x->read_has_png = true;
        }
      free (data);
      break;

    case STEP_TEXT:
      if (data && !hv_agent_utf8_valid (data, len))
        {
          /* Applications put odd bytes in; the protocol carries only valid UTF-8. */
          free (data);
          data = NULL;
        }
      x->new_text = data;
      x->new_text_len = data ? len : 0;
      x->read_has_text = false;
      break;

    case STEP_PNG:
      x->new_png = data;
      x->new_png_len = data ? len : 0;
      x->read_has_png = false;
      break;
    }

  if (x->read_has_text)
    {
      x->read_step = STEP_TEXT;
      read_convert (x, x->a_utf8);
    }
  else if (x->read_has_png)
    {
      x->read_step = STEP_PNG;
      read_convert (x, x->a_png);
    }
  else
    read_finish (x);
}

static void
read_start (AgentX11 *x)
{
  read_abandon (x);
  read_reset (x);
  x->read_step = STEP_TARGETS;
  read_convert (x, x->a_targets);
}

/* GetProperty of our read property, not deleting it. Returns the reply's extra data (NULL when
 * none or on failure; *ok tells which) with type, bytes and what is left beyond. */
static uint8_t *
read_get_property (AgentX11 *x, uint32_t max_bytes, bool *ok, uint32_t *type, uint8_t *format,
                   uint32_t *n_bytes, uint32_t *bytes_after)
{
  uint8_t req[24] = { X_GetProperty, 0 };
  uint8_t pkt[32];
  uint8_t *extra = NULL;
  size_t extra_len;

  *ok = false;
  put32 (req + 4, x->win);
  put32 (req + 8, read_prop (x));
  put32 (req + 12, 0); /* AnyPropertyType */
  put32 (req + 16, 0);
  put32 (req + 20, max_bytes / 4 + 1);
  if (!x_send (x, req, sizeof req) || !x_reply (x, pkt, &extra, &extra_len))
    {
      free (extra);
      return NULL;
    }
  *format = pkt[1];
  *type = get32 (pkt + 8);
  *bytes_after = get32 (pkt + 12);
  *n_bytes = get32 (pkt + 16) * (*format / 8);
  if (*n_bytes > extra_len || (*format != 8 && *format != 16 && *format != 32 && *type != 0))
    {
      free (extra);
      return NULL;
    }
  *ok = true;
  return extra;
}

/* The owner answered our ConvertSelection (property 0: refused). */
static void
read_on_notify (AgentX11 *x, uint32_t property)
{
  uint32_t type, n_bytes, after;
  uint8_t format;
  bool ok;
  uint8_t *data;

  if (property == 0)
    {
      read_step_done (x, NULL, 0);
      return;
    }
  data = read_get_property (x, HV_AGENT_MAX_CLIPBOARD, &ok, &type, &format, &n_bytes, &after);
  if (x->fd < 0)
    {
      free (data);
      return;
    }
  if (!ok || type == 0)
    {
      free (data);
      read_step_done (x, NULL, 0);
      return;
    }
  if (type == x->a_incr)
    {
      /* The value is a lower bound of the size; the owner sends chunks once we delete it. */
      uint32_t announced = (format == 32 && n_bytes >= 4) ? get32 (data) : 0;

      free (data);
      if (announced > HV_AGENT_MAX_CLIPBOARD)
        {
          agent_log ("X11 clipboard: the guest offers %u bytes, more than %u: not read",
                     announced, HV_AGENT_MAX_CLIPBOARD);
          read_abandon (x); /* the owner waits on a property we leave alone */
          read_step_done (x, NULL, 0);
          return;
        }
      x->read_cap = announced > 0 ? announced : 65536;
      x->read_buf = malloc (x->read_cap);
      x->read_len = 0;
      if (x->read_buf == NULL)
        {
          read_abandon (x);
          read_step_done (x, NULL, 0);
          return;
        }
      if (!delete_property (x, x->win, read_prop (x)))
        return;
      agent_debug ("X11 clipboard: INCR transfer of at least %u bytes", announced);
      x->read_state = READ_INCR;
      x->read_deadline = now_ms () + INCR_TIMEOUT_MS;
      return;
    }
  /* ICCCM: the requestor deletes the property once it has read it. */
  if (!delete_property (x, x->win, read_prop (x)))
    {
      free (data);
      return;
    }
  if (after > 0)
    {
      agent_log ("X11 clipboard: the guest's content is larger than %u bytes: not read",
                 HV_AGENT_MAX_CLIPBOARD);
      free (data);
      data = NULL;
    }
  else if (data == NULL)
    data = malloc (1);
  read_step_done (x, data, n_bytes);
}

/* A new value in our property during an INCR transfer: the next chunk, or the end. */
static void
read_on_chunk (AgentX11 *x)
{
  uint32_t type, n_bytes, after;
  uint8_t format;
  bool ok;
  uint8_t *data;

  data = read_get_property (x, HV_AGENT_MAX_CLIPBOARD - x->read_len, &ok, &type, &format,
                            &n_bytes, &after);
  if (x->fd < 0)
    {
      free (data);
      return;
    }
  if (!ok || type == 0)
    {
      /* Gone already (None): not a chunk. */
      free (data);
      return;
    }
  if (n_bytes == 0)
    {
      uint8_t *buf = x->read_buf;
      uint32_t len = x->read_len;

      free (data);
      x->read_buf = NULL;
      x->read_len = x->read_cap = 0;
      agent_debug ("X11 clipboard: INCR transfer complete, %u bytes", len);
      /* The zero-length property is deleted like the others. */
      if (!delete_property (x, x->win, read_prop (x)))
        {
          free (buf);
          return;
        }
      read_step_done (x, buf, len);
      return;
    }
  if (after > 0 || n_bytes > HV_AGENT_MAX_CLIPBOARD - x->read_len)
    {
      agent_log ("X11 clipboard: the guest's INCR transfer passed %u bytes: dropped",
                 HV_AGENT_MAX_CLIPBOARD);
      free (data);
      read_abandon (x);
      read_step_done (x, NULL, 0);
      return;
    }
  if (x->read_len + n_bytes > x->read_cap)
    {
      uint32_t cap = x->read_cap;
      uint8_t *bigger;

      while (cap < x->read_len + n_bytes)
        cap = cap > HV_AGENT_MAX_CLIPBOARD / 2 ? HV_AGENT_MAX_CLIPBOARD : cap * 2;
      bigger = realloc (x->read_buf, cap);
      if (bigger == NULL)
        {
          free (data);
          read_abandon (x);
          read_step_done (x, NULL, 0);
          return;
        }
      x->read_buf = bigger;
      x->read_cap = cap;
    }
  memcpy (x->read_buf + x->read_len, data, n_bytes);
  x->read_len += n_bytes;
  free (data);
  if (!delete_property (x, x->win, read_prop (x)))
    return;
  x->read_deadline = now_ms () + INCR_TIMEOUT_MS;
}

static void
read_check_deadline (AgentX11 *x, int64_t now)
{
  if (x->read_state == READ_IDLE || now < x->read_deadline)
    return;
  agent_log ("X11 clipboard: the guest's clipboard owner stopped answering (%s)",
             x->read_state == READ_INCR ? "INCR transfer" : "conversion");
  read_abandon (x);
  read_step_done (x, NULL, 0);
}

/* force: an XFIXES event, a change even when the same window took the selection again. */
static void
owner_changed (AgentX11 *x, uint32_t owner, bool force)
{
  if (owner == x->last_owner && !force)
    return;
  x->last_owner = owner;
  if (owner == 0 || owner == x->win)
    {
      /* Cleared, or that was us taking it for the host: what was being read is stale. */
      read_abandon (x);
      read_reset (x);
      return;
    }
  x->owner = false;
  read_start (x);
}

/* ------------------------------------------------------------------------------------------- */
/* Serving the host's content                                                                   */

static bool
window_has_transfer (AgentX11 *x, uint32_t window)
{
  for (Transfer *t = x->transfers; t != NULL; t = t->next)
    if (t->requestor == window)
      return true;
  return false;
}

/* Unlinks and frees t; unselect: stop listening on its window when no other transfer uses it
 * (not when the window is gone). */
static void
transfer_end (AgentX11 *x, Transfer *t, bool unselect)
{
  uint32_t window = t->requestor;

  for (Transfer **p = &x->transfers; *p != NULL; p = &(*p)->next)
    if (*p == t)
      {
        *p = t->next;
        break;
      }
  x->n_transfers--;
  transfer_free (t);
  if (unselect && !window_has_transfer (x, window))
    select_events (x, window, 0); /* an error for a window gone meanwhile is ignored */
}

static Transfer *
transfer_find (AgentX11 *x, uint32_t window, uint32_t property)
{
  for (Transfer *t = x->transfers; t != NULL; t = t->next)
    if (t->requestor == window && t->property == property)
      return t;
  return NULL;
}

/* Starts an INCR transfer of data to requestor's property; false: refused. */
static bool
transfer_start (AgentX11 *x, uint32_t requestor, uint32_t property, uint32_t type, HostData *data)
{
  Transfer *t = transfer_find (x, requestor, property);
  uint8_t size[4];

  if (t != NULL)
    transfer_end (x, t, false); /* asked again: start over */
  if (x->fd < 0)
    return false;
  if (x->n_transfers >= MAX_TRANSFERS)
    {
      agent_log ("X11 clipboard: %u INCR transfers already: request refused", x->n_transfers);
      return false;
    }
  t = calloc (1, sizeof *t);
  if (t == NULL)
    return false;
  /* Listen for the requestor's deletes before the INCR property can be deleted. */
  put32 (size, data->len);
  if (!select_events (x, requestor, MASK_PROPERTY_CHANGE | MASK_STRUCTURE_NOTIFY)
      || !change_property (x, requestor, property, x->a_incr, 32, size, 4))
    {
      free (t);
      return false;
    }
  t->requestor = requestor;
  t->property = property;
  t->type = type;
  t->data = data;
  data->refs++;
  t->seq = x->seq;
  t->deadline = now_ms () + INCR_TIMEOUT_MS;
  t->next = x->transfers;
  x->transfers = t;
  x->n_transfers++;
  agent_debug ("X11 clipboard: INCR transfer of %u bytes to window 0x%x", data->len, requestor);
  return true;
}

/* The requestor deleted the property: the next chunk, or the zero-length end. */
static void
transfer_next (AgentX11 *x, Transfer *t)
{
  uint32_t n = t->data->len - t->offset;

  if (n > x->incr_chunk)
    n = x->incr_chunk;
  if (!change_property (x, t->requestor, t->property, t->type, 8, t->data->bytes + t->offset, n))
    return; /* disconnected: t is gone */
  t->seq = x->seq;
  if (n == 0)
    {
      agent_debug ("X11 clipboard: INCR transfer to window 0x%x complete", t->requestor);
      transfer_end (x, t, true);
      return;
    }
  t->offset += n;
  t->deadline = now_ms () + INCR_TIMEOUT_MS;
}

static void
transfers_check_deadlines (AgentX11 *x, int64_t now)
{
  Transfer *t = x->transfers;

  while (t != NULL && x->fd >= 0)
    {
      Transfer *next = t->next;

      if (now >= t->deadline)
        {
          agent_log ("X11 clipboard: window 0x%x stopped reading an INCR transfer at %u of %u "
                     "bytes: dropped", t->requestor, t->offset, t->data->len);
          transfer_end (x, t, true);
          /* Ending it may have lost the connection, and every transfer with it. */
          if (x->fd < 0)
            return;
        }
      t = next;
    }
}

/* A window we listen on is gone, or an error named it or a request of a transfer. */
static void
transfers_drop (AgentX11 *x, uint32_t window, bool by_seq, uint16_t seq, const char *why)
{
  Transfer *t = x->transfers;

  while (t != NULL)
    {
      Transfer *next = t->next;

      if (by_seq ? t->seq == seq : t->requestor == window)
        {
          agent_log ("X11 clipboard: INCR transfer to window 0x%x dropped: %s", t->requestor,
                     why);
          /* Not unselecting: the window is gone, or the server refused us on it. */
          transfer_end (x, t, false);
        }
      t = next;
    }
}

static void
answer_request (AgentX11 *x, const uint8_t ev[32])
{
  uint32_t time = get32 (ev + 4);
  uint32_t requestor = get32 (ev + 12);
  uint32_t selection = get32 (ev + 16);
  uint32_t target = get32 (ev + 20);
  uint32_t property = get32 (ev + 24);
  uint8_t notify[44] = { X_SendEvent, 0 };
  HostData *data = NULL;
  uint32_t type = target;
  uint8_t atoms[5 * 4];
  bool answered = false;

  if (property == 0)
    property = target; /* obsolete requestors (ICCCM) */
  if (selection == x->a_clipboard && x->owner)
    {
      if (target == x->a_targets)
        {
          uint32_t n = 0;

          put32 (atoms + 4 * n++, x->a_targets);
          if (x->host_text)
            {
              put32 (atoms + 4 * n++, x->a_utf8);
              put32 (atoms + 4 * n++, x->a_text_plain);
              put32 (atoms + 4 * n++, ATOM_STRING);
            }
          if (x->host_png)
            put32 (atoms + 4 * n++, x->a_png);
          answered = change_property (x, requestor, property, ATOM_ATOM, 32, atoms, n * 4);
        }
      else if (x->host_text && (target == x->a_utf8 || target == x->a_text_plain
                                || target == ATOM_STRING || target == x->a_text))
        {
          data = x->host_text;
          type = target == x->a_text ? x->a_utf8 : target;
        }
      else if (x->host_png && target == x->a_png)
        data = x->host_png;
    }

  if (data != NULL && data->len > x->incr_chunk)
    answered = transfer_start (x, requestor, property, type, data);
  else if (data != NULL)
    answered = change_property (x, requestor, property, type, 8, data->bytes, data->len);
  if (x->fd < 0)
    return;

  /* SelectionNotify to the requestor; property None when refused. */
  put32 (notify + 4, requestor);
  put32 (notify + 8, 0);
  notify[12] = EV_SELECTION_NOTIFY;
  put32 (notify + 16, time);
  put32 (notify + 20, requestor);
  put32 (notify + 24, selection);
  put32 (notify + 28, target);
  put32 (notify + 32, answered ? property : 0);
  x_send (x, notify, sizeof notify);
}

/* ------------------------------------------------------------------------------------------- */
/* Events                                                                                       */

static void
handle_event (AgentX11 *x, const uint8_t ev[32])
{
  uint8_t code = ev[0] & 0x7f;

  if (code == EV_ERROR)
    {
      /* An error for a request we did not wait on: ours to a requestor's window, which may
       * have gone (BadWindow names it), or a chunk the server refused. */
      if (ev[1] == ERR_BAD_WINDOW)
        transfers_drop (x, get32 (ev + 4), false, 0, "its window is gone");
      else
        transfers_drop (x, 0, true, get16 (ev + 2), "the X server refused a chunk");
    }
  else if (code == EV_SELECTION_REQUEST)
    answer_request (x, ev);
  else if (code == EV_SELECTION_NOTIFY)
    {
      /* requestor @8, selection @12, target @16, property @20 */
      if (x->read_state == READ_CONVERT && get32 (ev + 8) == x->win
          && get32 (ev + 12) == x->a_clipboard && get32 (ev + 16) == x->read_target
          && (get32 (ev + 20) == 0 || get32 (ev + 20) == read_prop (x)))
        read_on_notify (x, get32 (ev + 20));
    }
  else if (code == EV_PROPERTY_NOTIFY)
    {
      /* window @4, atom @8, state @16 */
      uint32_t window = get32 (ev + 4);
      uint32_t atom = get32 (ev + 8);

      if (window == x->win)
        {
          if (x->read_state == READ_INCR && atom == read_prop (x)
              && ev[16] == PROPERTY_NEW_VALUE)
            read_on_chunk (x);
        }
      else if (ev[16] == PROPERTY_DELETE)
        {
          Transfer *t = transfer_find (x, window, atom);

          if (t != NULL)
            transfer_next (x, t);
        }
    }
  else if (code == EV_DESTROY_NOTIFY)
    transfers_drop (x, get32 (ev + 8), false, 0, "its window was destroyed");
  else if (code == EV_SELECTION_CLEAR)
    {
      if (get32 (ev + 12) == x->a_clipboard)
        x->owner = false; /* transfers under way go on: they have their own copy */
    }
  else if (x->xfixes && code == x->xfixes_event)
    {
      /* XFixesSelectionNotify: window @4, owner @8, selection @12 */
      if (get32 (ev + 12) == x->a_clipboard)
        owner_changed (x, get32 (ev + 8), true);
    }
}

/* ------------------------------------------------------------------------------------------- */
/* Public                                                                                       */

AgentX11 *
agent_x11_new (const char *display)
{
  AgentX11 *x = calloc (1, sizeof *x);

  if (x == NULL)
    return NULL;
  x->auto_display = strcmp (display, "auto") == 0;
  x->display = strdup (display);
  x->fd = -1;
  return x;
}

void
agent_x11_free (AgentX11 *x)
{
  if (x == NULL)
    return;
  if (x->fd >= 0)
    close (x->fd);
  x->fd = -1;
  x_disconnect (x, "freed"); /* frees the read and the transfers; logs nothing when closed */
  free (x->display);
  host_data_unref (x->host_text);
  host_data_unref (x->host_png);
  free (x->guest_text);
  free (x->guest_png);
  free (x);
}

int
agent_x11_fd (AgentX11 *x)
{
  return x->fd;
}

int
agent_x11_timeout (AgentX11 *x)
{
  int64_t now = now_ms ();
  int64_t next;

  if (x->fd < 0)
    next = x->next_connect_ms;
  else
    {
      next = x->xfixes ? now + 60000 : x->next_poll_ms;
      if (x->n_events > 0)
        next = now;
      if (x->read_state != READ_IDLE && x->read_deadline < next)
        next = x->read_deadline;
      for (Transfer *t = x->transfers; t != NULL; t = t->next)
        if (t->deadline < next)
          next = t->deadline;
    }
  return next <= now ? 0 : (int) (next - now);
}

void
agent_x11_dispatch (AgentX11 *x, bool readable)
{
  int64_t now = now_ms ();
  uint8_t ev[32];

  if (x->fd < 0)
    {
      if (now >= x->next_connect_ms && !x_connect (x) && x->fd >= 0)
        x_disconnect (x, "initialisation failed");
      if (x->fd < 0)
        return;
    }
  if (readable)
    {
      struct pollfd pfd = { x->fd, POLLIN, 0 };

      while (x->fd >= 0 && poll (&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP)))
        {
          uint8_t pkt[32];
          uint8_t *extra;
          size_t extra_len;

          if (!x_read_packet (x, pkt, &extra, &extra_len, REPLY_TIMEOUT_MS))
            return;
          free (extra);
          if (pkt[0] != EV_REPLY)
            queue_event (x, pkt);
        }
    }
  /* Handling an event may wait on a reply and queue more: go on until none is left. */
  while (x->fd >= 0 && dequeue_event (x, ev))
    handle_event (x, ev);
  if (x->fd < 0)
    return;
  now = now_ms ();
  read_check_deadline (x, now);
  transfers_check_deadlines (x, now);
  if (x->fd >= 0 && !x->xfixes && now >= x->next_poll_ms)
    {
      uint8_t req[8] = { X_GetSelectionOwner, 0 };
      uint8_t pkt[32];
      uint8_t *extra = NULL;
      size_t extra_len;

      x->next_poll_ms = now + POLL_INTERVAL_MS;
      put32 (req + 4, x->a_clipboard);
      if (x_send (x, req, sizeof req) && x_reply (x, pkt, &extra, &extra_len))
        owner_changed (x, get32 (pkt + 8), false);
      free (extra);
    }
}

bool
agent_x11_connected (AgentX11 *x)
{
  return x->fd >= 0;
}

bool
agent_x11_take_change (AgentX11 *x, const char *types[2], uint16_t *n_types)
{
  if (!x->guest_changed)
    return false;
  x->guest_changed = false;
  *n_types = 0;
  if (x->guest_text)
    types[(*n_types)++] = HV_AGENT_MIME_TEXT;
  if (x->guest_png)
    types[(*n_types)++] = HV_AGENT_MIME_PNG;
  return true;
}

bool
agent_x11_guest_data (AgentX11 *x, const char *mime, const uint8_t **data, uint32_t *size)
{
  if (strcmp (mime, HV_AGENT_MIME_TEXT) == 0 && x->guest_text)
    {
      *data = x->guest_text;
      *size = x->guest_text_len;
      return true;
    }
  if (strcmp (mime, HV_AGENT_MIME_PNG) == 0 && x->guest_png)
    {
      *data = x->guest_png;
      *size = x->guest_png_len;
      return true;
    }
  return false;
}

void
agent_x11_host_reset (AgentX11 *x)
{
  /* Transfers under way keep their own reference to what they send. */
  host_data_unref (x->host_text);
  host_data_unref (x->host_png);
  x->host_text = x->host_png = NULL;
}

void
agent_x11_set_host (AgentX11 *x, const char *mime, const uint8_t *data, uint32_t size)
{
  uint8_t req[16] = { X_SetSelectionOwner, 0 };
  HostData **slot;

  if (strcmp (mime, HV_AGENT_MIME_TEXT) == 0)
    slot = &x->host_text;
  else if (strcmp (mime, HV_AGENT_MIME_PNG) == 0)
    slot = &x->host_png;
  else
    return;
  host_data_unref (*slot);
  *slot = host_data_new (data, size);
  if (*slot == NULL)
    return;

  if (x->fd < 0)
    return;
  put32 (req + 4, x->win);
  put32 (req + 8, x->a_clipboard);
  put32 (req + 12, 0); /* CurrentTime */
  if (x_send (x, req, sizeof req))
    {
      x->owner = true;
      x->last_owner = x->win;
      /* A read of the guest's previous owner still under way would offer stale content. */
      read_abandon (x);
      read_reset (x);
      agent_debug ("X11 clipboard: owning CLIPBOARD with %u bytes of %s from the host", size,
                   mime);
    }
}

int
agent_x11_grant_root (const char *display)
{
  static const char address[] = "localuser\0root";
  AgentX11 x = { .fd = -1, .display = (char *) display };
  long number = display_number (display);
  uint8_t req[8 + 16] = { X_ChangeHosts, 0 /* Insert */ };
  uint8_t get[8] = { X_GetSelectionOwner, 0 };
  uint8_t pkt[32];
  uint8_t *extra = NULL;
  size_t extra_len;
  bool ok;

  /* The system agent runs as root, with no cookie for the user's display. Adding the server-
   * interpreted address "localuser:root" to the access list lets it in; root owns the guest
   * anyway, so this exposes nothing new. Same as `xhost +si:localuser:root`. */
  if (number < 0 || !x_open (&x, number))
    return -1;
  put32 (get + 4, 1); /* PRIMARY */
  req[4] = 5; /* FamilyServerInterpreted */
  put16 (req + 6, sizeof address - 1);
  memcpy (req + 8, address, sizeof address - 1);
  /* A round trip after it: an error for ChangeHosts would come before the reply. */
  ok = x_send (&x, req, 8 + pad4 (sizeof address - 1)) && x_send (&x, get, sizeof get);
  if (ok)
    {
      for (;;)
        {
          ok = x_read_packet (&x, pkt, &extra, &extra_len, REPLY_TIMEOUT_MS);
          free (extra);
          extra = NULL;
          if (!ok || pkt[0] == 1 || (pkt[0] == 0 && get16 (pkt + 2) + 1 >= x.seq))
            break;
        }
      ok = ok && pkt[0] == 1;
    }
  if (x.fd >= 0)
    close (x.fd);
  return ok ? 0 : -1;
}
