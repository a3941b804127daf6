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
 * events that arrive meanwhile are queued. Limits: content must fit one request (BIG-REQUESTS
 * makes that 16 MiB on common servers); the INCR transfer of ICCCM is not spoken, so a guest
 * application that offers more than one request's worth through INCR is not read.
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
#define X_InternAtom 16
#define X_ChangeProperty 18
#define X_GetProperty 20
#define X_SetSelectionOwner 22
#define X_GetSelectionOwner 23
#define X_ConvertSelection 24
#define X_SendEvent 25
#define X_QueryExtension 98
#define X_ChangeHosts 109

#define EV_SELECTION_CLEAR 29
#define EV_SELECTION_REQUEST 30
#define EV_SELECTION_NOTIFY 31
#define EV_GENERIC 35

#define ATOM_ATOM 4
#define ATOM_STRING 31

#define REPLY_TIMEOUT_MS 2000
#define POLL_INTERVAL_MS 500
#define RECONNECT_MS 5000
#define MAX_QUEUED_EVENTS 64

struct AgentX11
{
  char *display;
  bool auto_display;
  int fd;
  uint16_t seq;
  uint32_t id_base;
  uint32_t root;
  uint32_t win;
  size_t max_request; /* bytes */
  uint8_t big_requests_opcode;
  uint8_t xfixes_opcode;
  uint8_t xfixes_event;
  bool xfixes;

  uint32_t a_clipboard, a_targets, a_utf8, a_png, a_prop, a_incr, a_text, a_text_plain;

  uint8_t events[MAX_QUEUED_EVENTS][32];
  size_t n_events;

  /* The host's content, which we serve as owner of CLIPBOARD. */
  bool owner;
  uint8_t *host_text;
  uint32_t host_text_len;
  uint8_t *host_png;
  uint32_t host_png_len;

  /* The guest's content, read when another client took CLIPBOARD. */
  uint32_t last_owner;
  bool guest_changed;
  uint8_t *guest_text;
  uint32_t guest_text_len;
  uint8_t *guest_png;
  uint32_t guest_png_len;

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
  x->next_connect_ms = now_ms () + RECONNECT_MS;
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
  if (pkt[0] == 1 || (pkt[0] & 0x7f) == EV_GENERIC)
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
  if (x->n_events < MAX_QUEUED_EVENTS)
    memcpy (x->events[x->n_events++], pkt, 32);
}

/* Waits for the reply to the last request; events meanwhile are queued. Returns false on an
 * X error or a lost connection. */
static bool
x_reply (AgentX11 *x, uint8_t pkt[32], uint8_t **extra, size_t *extra_len)
{
  for (;;)
    {
      if (!x_read_packet (x, pkt, extra, extra_len, REPLY_TIMEOUT_MS))
        return false;
      if ((pkt[0] == 0 || pkt[0] == 1) && get16 (pkt + 2) == x->seq)
        return pkt[0] == 1;
      if (pkt[0] > 1)
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
  x->max_request = (size_t) get16 (data + 18) * 4;
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
  x->a_prop = intern (x, "HOSTVISOR_CLIPBOARD");
  if (x->fd < 0 || !x->a_clipboard || !x->a_prop)
    return false;

  /* An input-only window to own the selection and receive converted data. */
  x->win = x->id_base | 1;
  put32 (req + 4, x->win);
  put32 (req + 8, x->root);
  put16 (req + 16, 1);
  put16 (req + 18, 1);
  put16 (req + 22, 2); /* InputOnly */
  put32 (req + 28, 0x800); /* value-mask: event-mask */
  put32 (req + 32, 0x400000); /* PropertyChangeMask */
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

/* Converts CLIPBOARD to target into our property and reads it; NULL if not available. */
static uint8_t *
convert (AgentX11 *x, uint32_t target, uint32_t *out_len, uint32_t *out_type)
{
  uint8_t req[24] = { X_ConvertSelection, 0 };
  uint8_t get[24] = { X_GetProperty, 1 /* delete */ };
  int64_t deadline = now_ms () + REPLY_TIMEOUT_MS;
  uint8_t pkt[32];
  uint8_t *extra = NULL;
  size_t extra_len;
  uint32_t value_len, format;
  uint8_t *data;

  put32 (req + 4, x->win);
  put32 (req + 8, x->a_clipboard);
  put32 (req + 12, target);
  put32 (req + 16, x->a_prop);
  put32 (req + 20, 0); /* CurrentTime */
  if (!x_send (x, req, sizeof req))
    return NULL;
  /* The owner answers with a SelectionNotify sent to us. */
  for (;;)
    {
      int left = (int) (deadline - now_ms ());

      if (left <= 0 || !x_read_packet (x, pkt, &extra, &extra_len, left))
        return NULL;
      free (extra);
      extra = NULL;
      if ((pkt[0] & 0x7f) == EV_SELECTION_NOTIFY && get32 (pkt + 8) == x->win)
        break;
      if (pkt[0] > 1)
        queue_event (x, pkt);
    }
  if (get32 (pkt + 20) == 0)
    return NULL; /* property None: the owner refused */

  put32 (get + 4, x->win);
  put32 (get + 8, x->a_prop);
  put32 (get + 12, 0); /* AnyPropertyType */
  put32 (get + 16, 0);
  put32 (get + 20, HV_AGENT_MAX_CLIPBOARD / 4);
  if (!x_send (x, get, sizeof get) || !x_reply (x, pkt, &extra, &extra_len))
    {
      free (extra);
      return NULL;
    }
  format = pkt[1];
  *out_type = get32 (pkt + 8);
  value_len = get32 (pkt + 16) * (format / 8);
  if (*out_type == x->a_incr || get32 (pkt + 12) != 0 || value_len > extra_len)
    {
      /* INCR or more than 16 MiB: not supported (see the top of this file). */
      free (extra);
      return NULL;
    }
  data = extra ? extra : malloc (1);
  *out_len = value_len;
  return data;
}

static void
read_guest_clipboard (AgentX11 *x)
{
  uint32_t len = 0, type = 0;
  uint8_t *targets = convert (x, x->a_targets, &len, &type);
  bool has_text = false, has_png = false;

  for (uint32_t i = 0; targets && i + 4 <= len; i += 4)
    {
      uint32_t a = get32 (targets + i);

      if (a == x->a_utf8 || a == x->a_text_plain)
        has_text = true;
      if (a == x->a_png)
        has_png = true;
    }
  free (targets);

  free (x->guest_text);
  free (x->guest_png);
  x->guest_text = x->guest_png = NULL;
  x->guest_text_len = x->guest_png_len = 0;
  if (has_text)
    {
      x->guest_text = convert (x, x->a_utf8, &x->guest_text_len, &type);
      if (x->guest_text && !hv_agent_utf8_valid (x->guest_text, x->guest_text_len))
        {
          /* Applications put odd bytes in; the protocol carries only valid UTF-8. */
          free (x->guest_text);
          x->guest_text = NULL;
          x->guest_text_len = 0;
        }
    }
  if (has_png)
    x->guest_png = convert (x, x->a_png, &x->guest_png_len, &type);
  if (x->guest_text || x->guest_png)
    {
      x->guest_changed = true;
      agent_debug ("X11 clipboard: guest content: %u bytes of text, %u bytes of PNG",
                   x->guest_text_len, x->guest_png_len);
    }
}

/* force: an XFIXES event, a change even when the same window took the selection again. */
static void
owner_changed (AgentX11 *x, uint32_t owner, bool force)
{
  if (owner == x->last_owner && !force)
    return;
  x->last_owner = owner;
  if (owner == 0 || owner == x->win)
    return; /* cleared, or that was us taking it for the host */
  x->owner = false;
  read_guest_clipboard (x);
}

/* ------------------------------------------------------------------------------------------- */
/* Serving the host's content                                                                   */

static void
answer_request (AgentX11 *x, const uint8_t ev[32])
{
  uint32_t time = get32 (ev + 4);
  uint32_t requestor = get32 (ev + 12);
  uint32_t selection = get32 (ev + 16);
  uint32_t target = get32 (ev + 20);
  uint32_t property = get32 (ev + 24);
  uint8_t notify[44] = { X_SendEvent, 0 };
  const uint8_t *data = NULL;
  uint32_t len = 0, type = target;
  uint32_t atoms[5];
  uint8_t *req;

  if (property == 0)
    property = target; /* obsolete requestors (ICCCM) */
  if (selection == x->a_clipboard && x->owner)
    {
      if (target == x->a_targets)
        {
          uint32_t n = 0;

          atoms[n++] = x->a_targets;
          if (x->host_text)
            {
              atoms[n++] = x->a_utf8;
              atoms[n++] = x->a_text_plain;
              atoms[n++] = ATOM_STRING;
            }
          if (x->host_png)
            atoms[n++] = x->a_png;
          data = (const uint8_t *) atoms;
          len = n * 4;
          type = ATOM_ATOM;
        }
      else if (x->host_text && (target == x->a_utf8 || target == x->a_text_plain
                                || target == ATOM_STRING || target == x->a_text))
        {
          data = x->host_text;
          len = x->host_text_len;
          type = target == x->a_text ? x->a_utf8 : target;
        }
      else if (x->host_png && target == x->a_png)
        {
          data = x->host_png;
          len = x->host_png_len;
        }
    }

  if (data != NULL && 24 + pad4 (len) + 8 <= x->max_request)
    {
      req = calloc (1, 24 + pad4 (len));
      if (req == NULL)
        data = NULL;
      else
        {
          req[0] = X_ChangeProperty;
          put32 (req + 4, requestor);
          put32 (req + 8, property);
          put32 (req + 12, type);
          req[16] = type == ATOM_ATOM ? 32 : 8;
          if (type == ATOM_ATOM)
            {
              for (uint32_t i = 0; i < len / 4; i++)
                put32 (req + 24 + i * 4, atoms[i]);
              put32 (req + 20, len / 4);
            }
          else
            {
              memcpy (req + 24, data, len);
              put32 (req + 20, len);
            }
          if (!x_send (x, req, 24 + pad4 (len)))
            data = NULL;
          free (req);
        }
    }
  else if (data != NULL)
    {
      agent_log ("X11 clipboard: %u bytes do not fit one request (INCR is not supported)", len);
      data = NULL;
    }

  /* SelectionNotify to the requestor; property None when refused. */
  put32 (notify + 4, requestor);
  put32 (notify + 8, 0);
  notify[12] = EV_SELECTION_NOTIFY;
  put32 (notify + 16, time);
  put32 (notify + 20, requestor);
  put32 (notify + 24, selection);
  put32 (notify + 28, target);
  put32 (notify + 32, data ? property : 0);
  x_send (x, notify, sizeof notify);
}

static void
handle_event (AgentX11 *x, const uint8_t ev[32])
{
  uint8_t code = ev[0] & 0x7f;

  if (code == EV_SELECTION_REQUEST)
    answer_request (x, ev);
  else if (code == EV_SELECTION_CLEAR)
    {
      if (get32 (ev + 12) == x->a_clipboard)
        x->owner = false;
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
  free (x->display);
  free (x->host_text);
  free (x->host_png);
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
  int64_t next = x->fd < 0 ? x->next_connect_ms : (x->xfixes ? now + 60000 : x->next_poll_ms);

  return next <= now ? 0 : (int) (next - now);
}

void
agent_x11_dispatch (AgentX11 *x, bool readable)
{
  int64_t now = now_ms ();

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
          if (pkt[0] > 1)
            queue_event (x, pkt);
        }
    }
  while (x->fd >= 0 && x->n_events > 0)
    {
      uint8_t ev[32];

      memcpy (ev, x->events[0], 32);
      memmove (x->events[0], x->events[1], (x->n_events - 1) * 32);
      x->n_events--;
      handle_event (x, ev);
    }
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
  free (x->host_text);
  free (x->host_png);
  x->host_text = x->host_png = NULL;
  x->host_text_len = x->host_png_len = 0;
}

void
agent_x11_set_host (AgentX11 *x, const char *mime, const uint8_t *data, uint32_t size)
{
  uint8_t req[16] = { X_SetSelectionOwner, 0 };
  uint8_t **slot;
  uint32_t *slot_len;

  if (strcmp (mime, HV_AGENT_MIME_TEXT) == 0)
    slot = &x->host_text, slot_len = &x->host_text_len;
  else if (strcmp (mime, HV_AGENT_MIME_PNG) == 0)
    slot = &x->host_png, slot_len = &x->host_png_len;
  else
    return;
  free (*slot);
  *slot = malloc (size ? size : 1);
  if (*slot == NULL)
    {
      *slot_len = 0;
      return;
    }
  memcpy (*slot, data, size);
  *slot_len = size;

  if (x->fd < 0)
    return;
  put32 (req + 4, x->win);
  put32 (req + 8, x->a_clipboard);
  put32 (req + 12, 0); /* CurrentTime */
  if (x_send (x, req, sizeof req))
    {
      x->owner = true;
      x->last_owner = x->win;
      agent_debug ("X11 clipboard: owning CLIPBOARD with %u bytes of %s from the host", size, mime);
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
