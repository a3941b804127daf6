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
 *
 * Those two state machines are in agent-x11-incr.c; this file has the connection, the requests,
 * the event loop and the API (agent-x11-private.h is what the two share).
 */
#include "agent-x11-private.h"

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

void
host_data_unref (HostData *d)
{
  if (d != NULL && --d->refs == 0)
    free (d);
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
bool
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
bool
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

bool
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

bool
delete_property (AgentX11 *x, uint32_t window, uint32_t property)
{
  uint8_t req[12] = { X_DeleteProperty, 0 };

  put32 (req + 4, window);
  put32 (req + 8, property);
  return x_send (x, req, sizeof req);
}

bool
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
