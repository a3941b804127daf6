/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-wayland.c: the guest's Wayland clipboard, spoken over the compositor's socket.
 *
 * Why not libwayland-client: the agent is a static program (see agent-x11.c for the same choice
 * about libX11), and the few messages a clipboard needs are simple to speak directly.
 *
 * An ordinary Wayland client sees the selection only while it has keyboard focus; clipboard
 * managers use a data-control protocol instead: ext_data_control_manager_v1 (wayland-protocols)
 * where the compositor offers it, else zwlr_data_control_manager_v1 (wlroots compositors, KWin).
 * The two have the same requests and events with the same opcodes and arguments, so one code
 * path speaks both; only the interface names differ. A compositor with neither (GNOME's mutter)
 * is left to the X11 clipboard through XWayland.
 *
 * Wire format: a message is the object id (u32), then size << 16 | opcode (u32), then the
 * arguments, each padded to 4 bytes, all in host byte order; a string is its length counting
 * the NUL, then its bytes; file descriptors travel beside the bytes as SCM_RIGHTS. Everything
 * the compositor sends is checked before use; a malformed message or a protocol error ends the
 * connection, and we connect again later.
 *
 * Content moves through pipes, not the socket: to read the guest's selection we send `receive`
 * with the write end of a pipe and read the other end as the application writes it; to serve
 * the host's content we get `send` events with a pipe to write into. Both run from the poll loop
 * on non-blocking fds, so a slow or stuck application never stalls the agent; a transfer that
 * makes no progress for a while is dropped. Only the handshake with the compositor waits for
 * answers, with a time limit, as the X11 side does.
 */
#include "agent-wayland.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Opcodes: requests and events count separately, in the order of the protocol XML. */
#define WL_DISPLAY_SYNC 0
#define WL_DISPLAY_GET_REGISTRY 1
#define WL_DISPLAY_EV_ERROR 0
#define WL_DISPLAY_EV_DELETE_ID 1
#define WL_REGISTRY_BIND 0
#define WL_REGISTRY_EV_GLOBAL 0
#define WL_REGISTRY_EV_GLOBAL_REMOVE 1
#define WL_CALLBACK_EV_DONE 0
/* ext_data_control_*_v1 and zwlr_data_control_*_v1 alike */
#define DC_MANAGER_CREATE_DATA_SOURCE 0
#define DC_MANAGER_GET_DATA_DEVICE 1
#define DC_DEVICE_SET_SELECTION 0
#define DC_DEVICE_EV_DATA_OFFER 0
#define DC_DEVICE_EV_SELECTION 1
#define DC_DEVICE_EV_FINISHED 2
#define DC_DEVICE_EV_PRIMARY_SELECTION 3
#define DC_SOURCE_OFFER 0
#define DC_SOURCE_DESTROY 1
#define DC_SOURCE_EV_SEND 0
#define DC_SOURCE_EV_CANCELLED 1
#define DC_OFFER_RECEIVE 0
#define DC_OFFER_DESTROY 1
#define DC_OFFER_EV_OFFER 0

#define WL_HEADER_SIZE 8
#define WL_MAX_MESSAGE 4096 /* what libwayland sends and accepts at most */
#define WL_SERVER_ID_START 0xff000000u
#define MAX_CLIENT_IDS 64 /* ids we hand out; freed ones are reused, as libwayland does */
#define MAX_OFFERS 4
#define MAX_FDS_QUEUED 28
#define MAX_READS 2
#define MAX_WRITES (AGENT_WAYLAND_MAX_FDS - 1 - MAX_READS)

#define HANDSHAKE_TIMEOUT_MS 2000
#define RECONNECT_MS 5000
#define READ_IDLE_MS 5000
#define WRITE_IDLE_MS 30000

/* The text types we read (best first) and offer. Applications take text/plain and the X11
 * names to be UTF-8 today; what we read is checked to be. */
static const char *const text_mimes[] = {
  HV_AGENT_MIME_TEXT, "UTF8_STRING", "text/plain", "TEXT", "STRING",
};
#define N_TEXT_MIMES (sizeof text_mimes / sizeof text_mimes[0])
#define MIME_BIT_PNG (1u << N_TEXT_MIMES)
#define MIME_BIT_OURS (1u << (N_TEXT_MIMES + 1))
/* Offered beside the host's content: the selection event for our own source comes back to us
 * like any other, and this tells it apart so the host's content is not sent back to the host.
 * (Which selection event answers a set_selection cannot be told from the order of events.) */
#define MIME_OURS "application/x-hostvisor-agent"

static const uint8_t png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

enum
{
  OBJ_FREE,
  OBJ_DISPLAY,
  OBJ_REGISTRY,
  OBJ_CALLBACK,
  OBJ_SEAT,
  OBJ_MANAGER,
  OBJ_DEVICE,
  OBJ_SOURCE,
  OBJ_DEAD = 0x80, /* flag: destroyed by us, events may still come until delete_id */
};

/* The host's content, shared by the writes in progress. */
typedef struct
{
  unsigned refs;
  uint32_t size;
  uint8_t data[];
} Blob;

typedef struct
{
  uint32_t id; /* 0: free */
  uint32_t mimes; /* MIME_BIT_* */
} Offer;

typedef struct
{
  bool active; /* part of the read in progress (fd -1 once it ended) */
  bool png;
  int fd;
  uint8_t *buf;
  size_t len;
  size_t cap;
  int64_t deadline;
} ReadTransfer;

typedef struct
{
  int fd; /* -1: free */
  Blob *blob;
  size_t off;
  int64_t deadline;
} WriteTransfer;

struct AgentWayland
{
  char *display;
  bool auto_display;
  char *path; /* the socket of the connection */
  char *last_failure; /* logged once until something changes */
  int fd;
  bool ready; /* the data device exists */
  int64_t next_connect_ms;

  uint8_t in[2 * WL_MAX_MESSAGE];
  size_t in_len;
  int fds[MAX_FDS_QUEUED]; /* received, for the fd arguments of events still to parse */
  size_t n_fds;

  uint8_t kinds[MAX_CLIENT_IDS]; /* OBJ_* of each id we handed out */
  uint32_t sync_id;
  bool sync_done;

  /* Globals seen in the registry (names; the have_* say whether there is one). */
  bool have_seat, have_ext, have_wlr;
  uint32_t g_seat, g_ext, g_wlr, g_manager;

  uint32_t registry, seat, manager, device;
  Offer offers[MAX_OFFERS];
  bool selection_empty;

  ReadTransfer reads[MAX_READS];
  WriteTransfer writes[MAX_WRITES];

  /* The host's content, which our source serves. */
  uint32_t source;
  Blob *host_text;
  Blob *host_png;

  /* The guest's content, read when another client set the selection. */
  bool guest_changed;
  uint8_t *guest_text;
  uint32_t guest_text_len;
  uint8_t *guest_png;
  uint32_t guest_png_len;
};

typedef struct
{
  uint32_t id;
  uint16_t opcode;
  size_t len;
  uint8_t data[WL_MAX_MESSAGE];
} Msg;

typedef struct
{
  const uint8_t *p;
  size_t len;
  size_t off;
  bool ok;
} Args;

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
pad4 (size_t n)
{
  return (n + 3) & ~(size_t) 3;
}

static Blob *
blob_new (const uint8_t *data, uint32_t size)
{
  Blob *b = malloc (sizeof *b + (size ? size : 1));

  if (b == NULL)
    return NULL;
  b->refs = 1;
  b->size = size;
  memcpy (b->data, data, size);
  return b;
}

static void
blob_unref (Blob *b)
{
  if (b != NULL && --b->refs == 0)
    free (b);
}

static bool
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  return flags >= 0 && fcntl (fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Transfers                                                                                    */

static void
read_drop (ReadTransfer *r)
{
  if (r->fd >= 0)
    close (r->fd);
  r->fd = -1;
  free (r->buf);
  r->buf = NULL;
  r->len = r->cap = 0;
}

static void
reads_cancel (AgentWayland *w)
{
  for (int i = 0; i < MAX_READS; i++)
    {
      read_drop (&w->reads[i]);
      w->reads[i].active = false;
    }
}

static void
read_pump (ReadTransfer *r)
{
  for (;;)
    {
      ssize_t n;

      if (r->len == r->cap)
        {
          /* One byte over the limit tells "too large" from "exactly the limit". */
          size_t cap = r->cap ? r->cap * 2 : 65536;
          uint8_t *grown;

          if (cap > HV_AGENT_MAX_CLIPBOARD + 1)
            cap = HV_AGENT_MAX_CLIPBOARD + 1;
          grown = cap > r->cap ? realloc (r->buf, cap) : NULL;
          if (grown == NULL)
            {
              agent_log ("Wayland clipboard: the guest's %s is over %u bytes, not shared",
                         r->png ? "image" : "text", HV_AGENT_MAX_CLIPBOARD);
              read_drop (r);
              return;
            }
          r->buf = grown;
          r->cap = cap;
        }
      n = read (r->fd, r->buf + r->len, r->cap - r->len);
      if (n > 0)
        {
          r->len += (size_t) n;
          r->deadline = now_ms () + READ_IDLE_MS;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        read_drop (r);
      else
        {
          close (r->fd); /* the end: the application closed its side */
          r->fd = -1;
        }
      return;
    }
}

/* Once every read of the selection has ended, the content they got is the guest's. */
static void
reads_finish (AgentWayland *w)
{
  bool any = false;

  for (int i = 0; i < MAX_READS; i++)
    {
      if (w->reads[i].fd >= 0)
        return;
      any = any || w->reads[i].active;
    }
  if (!any)
    return;
  for (int i = 0; i < MAX_READS; i++)
    {
      ReadTransfer *r = &w->reads[i];
      bool valid = r->buf != NULL && r->len > 0;

      /* The protocol carries only UTF-8 text and real PNG images; applications put odd
       * bytes in sometimes. */
      if (valid && !r->png)
        valid = hv_agent_utf8_valid (r->buf, r->len);
      if (valid && r->png)
        valid = r->len >= sizeof png_signature
                && memcmp (r->buf, png_signature, sizeof png_signature) == 0;
      if (valid && r->png)
        {
          free (w->guest_png);
          w->guest_png = r->buf;
          w->guest_png_len = (uint32_t) r->len;
          r->buf = NULL;
        }
      else if (valid)
        {
          free (w->guest_text);
          w->guest_text = r->buf;
          w->guest_text_len = (uint32_t) r->len;
          r->buf = NULL;
        }
      read_drop (r);
      r->active = false;
    }
  if (w->guest_text || w->guest_png)
    {
      w->guest_changed = true;
      agent_debug ("Wayland clipboard: guest content: %u bytes of text, %u bytes of PNG",
                   w->guest_text_len, w->guest_png_len);
    }
}

static void
write_end (WriteTransfer *t)
{
  if (t->fd >= 0)
    close (t->fd);
  t->fd = -1;
  blob_unref (t->blob);
  t->blob = NULL;
}

static void
write_pump (WriteTransfer *t)
{
  while (t->off < t->blob->size)
    {
      ssize_t n = write (t->fd, t->blob->data + t->off, t->blob->size - t->off);

      if (n > 0)
        {
          t->off += (size_t) n;
          t->deadline = now_ms () + WRITE_IDLE_MS;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      break; /* EPIPE: the application stopped reading */
    }
  write_end (t);
}

/* Serves a paste: writes the host's content of mime into fd (ours from here on). */
static void
write_start (AgentWayland *w, const char *mime, int fd)
{
  Blob *blob = NULL;
  WriteTransfer *t = NULL;

  for (size_t i = 0; i < N_TEXT_MIMES; i++)
    if (strcmp (mime, text_mimes[i]) == 0)
      blob = w->host_text;
  if (strcmp (mime, HV_AGENT_MIME_PNG) == 0)
    blob = w->host_png;
  for (int i = 0; i < MAX_WRITES && t == NULL; i++)
    if (w->writes[i].fd < 0)
      t = &w->writes[i];
  if (blob == NULL || t == NULL || !set_nonblocking (fd))
    {
      if (blob != NULL && t == NULL)
        agent_log ("Wayland clipboard: too many pastes at once, one gets nothing");
      close (fd); /* an empty paste */
      return;
    }
  blob->refs++;
  *t = (WriteTransfer) { fd, blob, 0, now_ms () + WRITE_IDLE_MS };
  write_pump (t);
}

/* ------------------------------------------------------------------------------------------- */
/* The connection                                                                               */

static void
wl_disconnect (AgentWayland *w, const char *why)
{
  if (w->fd >= 0)
    {
      if (w->ready)
        agent_log ("Wayland clipboard: disconnected from %s: %s", w->path, why);
      else
        agent_debug ("Wayland clipboard: %s: %s", w->path, why);
      close (w->fd);
    }
  w->fd = -1;
  w->ready = false;
  for (size_t i = 0; i < w->n_fds; i++)
    close (w->fds[i]);
  w->n_fds = 0;
  w->in_len = 0;
  memset (w->kinds, 0, sizeof w->kinds);
  memset (w->offers, 0, sizeof w->offers);
  w->have_seat = w->have_ext = w->have_wlr = false;
  w->registry = w->seat = w->manager = w->device = 0;
  w->source = 0;
  w->sync_id = 0;
  w->selection_empty = false;
  /* Transfers in progress go on: they are pipes to applications, not the compositor. */
  w->next_connect_ms = now_ms () + RECONNECT_MS;
}

/* The lowest free id, as libwayland does: the compositor accepts a new id only when it is free
 * on its side or the next one after the highest. */
static uint32_t
new_id (AgentWayland *w, uint8_t kind)
{
  for (uint32_t id = 2; id < MAX_CLIENT_IDS; id++)
    if (w->kinds[id] == OBJ_FREE)
      {
        w->kinds[id] = kind;
        return id;
      }
  wl_disconnect (w, "out of object ids (the compositor frees none)");
  return 0;
}

static void
msg_start (Msg *m, uint32_t id, uint16_t opcode)
{
  m->id = id;
  m->opcode = opcode;
  m->len = WL_HEADER_SIZE;
}

static void
msg_u32 (Msg *m, uint32_t v)
{
  if (m->len + 4 <= sizeof m->data)
    memcpy (m->data + m->len, &v, 4);
  m->len += 4;
}

static void
msg_string (Msg *m, const char *s)
{
  size_t n = strlen (s) + 1;

  msg_u32 (m, (uint32_t) n);
  if (m->len + pad4 (n) <= sizeof m->data)
    {
      memset (m->data + m->len, 0, pad4 (n));
      memcpy (m->data + m->len, s, n);
    }
  m->len += pad4 (n);
}

/* Sends one request, with fd (or -1) beside it. A compositor that does not read for a while
 * is given up on. */
static bool
wl_send (AgentWayland *w, Msg *m, int fd)
{
  uint32_t word = (uint32_t) m->len << 16 | m->opcode;
  char control[CMSG_SPACE (sizeof (int))];
  size_t off = 0;

  if (w->fd < 0 || m->len > WL_MAX_MESSAGE)
    return false;
  memcpy (m->data, &m->id, 4);
  memcpy (m->data + 4, &word, 4);
  while (off < m->len)
    {
      struct iovec iov = { m->data + off, m->len - off };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
      ssize_t n;

      if (fd >= 0 && off == 0)
        {
          struct cmsghdr *c;

          memset (control, 0, sizeof control);
          mh.msg_control = control;
          mh.msg_controllen = sizeof control;
          c = CMSG_FIRSTHDR (&mh);
          c->cmsg_level = SOL_SOCKET;
          c->cmsg_type = SCM_RIGHTS;
          c->cmsg_len = CMSG_LEN (sizeof (int));
          memcpy (CMSG_DATA (c), &fd, sizeof (int));
        }
      n = sendmsg (w->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        {
          off += (size_t) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          struct pollfd pfd = { w->fd, POLLOUT, 0 };

          if (poll (&pfd, 1, HANDSHAKE_TIMEOUT_MS) > 0)
            continue;
          wl_disconnect (w, "the compositor does not read");
          return false;
        }
      wl_disconnect (w, n < 0 ? strerror (errno) : "write failed");
      return false;
    }
  return true;
}

static bool
send_simple (AgentWayland *w, uint32_t id, uint16_t opcode)
{
  Msg m;

  msg_start (&m, id, opcode);
  return wl_send (w, &m, -1);
}

/* Reads what the socket has, with the fds beside it. 1: got bytes, 0: nothing now, -1: the
 * connection ended. */
static int
wl_recv (AgentWayland *w)
{
  char control[CMSG_SPACE (sizeof (int) * MAX_FDS_QUEUED)];
  struct iovec iov = { w->in + w->in_len, sizeof w->in - w->in_len };
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control
  };
  bool overflow = false;
  ssize_t n;

  do
    n = recvmsg (w->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN)
    return 0;
  for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR (&mh) : NULL; c; c = CMSG_NXTHDR (&mh, c))
    {
      size_t count;

      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      count = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < count; i++)
        {
          int fd;

          memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof (int));
          if (w->n_fds < MAX_FDS_QUEUED)
            w->fds[w->n_fds++] = fd;
          else
            {
              close (fd);
              overflow = true;
            }
        }
    }
  if (n <= 0)
    {
      wl_disconnect (w, n == 0 ? "the compositor closed the connection" : strerror (errno));
      return -1;
    }
  if (overflow || (mh.msg_flags & MSG_CTRUNC))
    {
      wl_disconnect (w, "too many file descriptors from the compositor");
      return -1;
    }
  w->in_len += (size_t) n;
  return 1;
}

static uint32_t
arg_u32 (Args *a)
{
  uint32_t v = 0;

  if (a->len - a->off < 4)
    {
      a->ok = false;
      return 0;
    }
  memcpy (&v, a->p + a->off, 4);
  a->off += 4;
  return v;
}

/* A string argument: NULL for a null string or a malformed one (then a->ok is false). */
static const char *
arg_string (Args *a)
{
  uint32_t n = arg_u32 (a);
  const char *s;

  if (!a->ok || n == 0)
    return NULL;
  if (pad4 (n) > a->len - a->off)
    {
      a->ok = false;
      return NULL;
    }
  s = (const char *) a->p + a->off;
  if (memchr (s, 0, n) != s + n - 1)
    {
      a->ok = false;
      return NULL;
    }
  a->off += pad4 (n);
  return s;
}

static int
take_fd (AgentWayland *w)
{
  int fd;

  if (w->n_fds == 0)
    return -1;
  fd = w->fds[0];
  memmove (w->fds, w->fds + 1, (w->n_fds - 1) * sizeof (int));
  w->n_fds--;
  return fd;
}

/* ------------------------------------------------------------------------------------------- */
/* Selections                                                                                   */

static Offer *
find_offer (AgentWayland *w, uint32_t id)
{
  for (int i = 0; i < MAX_OFFERS; i++)
    if (w->offers[i].id == id && id != 0)
      return &w->offers[i];
  return NULL;
}

static void
offer_destroy (AgentWayland *w, uint32_t id)
{
  Offer *o = find_offer (w, id);

  if (o == NULL)
    return;
  o->id = 0;
  send_simple (w, id, DC_OFFER_DESTROY);
}

static void
read_start (AgentWayland *w, uint32_t offer, const char *mime, bool png)
{
  ReadTransfer *r = &w->reads[png ? 1 : 0];
  int p[2];
  Msg m;

  /* Only our end is non-blocking: the application writes as it always does. */
  if (pipe2 (p, O_CLOEXEC) != 0)
    return;
  if (!set_nonblocking (p[0]))
    {
      close (p[0]);
      close (p[1]);
      return;
    }
  msg_start (&m, offer, DC_OFFER_RECEIVE);
  msg_string (&m, mime);
  if (!wl_send (w, &m, p[1]))
    {
      close (p[0]);
      close (p[1]);
      return;
    }
  close (p[1]);
  *r = (ReadTransfer) { true, png, p[0], NULL, 0, 0, now_ms () + READ_IDLE_MS };
}

static void
selection_changed (AgentWayland *w, uint32_t id)
{
  Offer *o = find_offer (w, id);
  uint32_t mimes;

  /* Each offer is destroyed as soon as its reads are asked for (the pipes carry on without
   * it), so there is never an older selection's offer left to destroy here. */
  w->selection_empty = id == 0;
  if (o == NULL)
    return; /* cleared (or an offer never introduced): nothing to share */
  mimes = o->mimes;
  if (mimes & MIME_BIT_OURS)
    {
      offer_destroy (w, id);
      return; /* the host's content, set by us */
    }

  /* Like the X11 side: the old content is gone from the moment the selection changed. The
   * host's content is no longer the clipboard either: a new compositor must not get it back. */
  reads_cancel (w);
  agent_wayland_host_reset (w);
  free (w->guest_text);
  free (w->guest_png);
  w->guest_text = w->guest_png = NULL;
  w->guest_text_len = w->guest_png_len = 0;
  for (size_t i = 0; i < N_TEXT_MIMES; i++)
    if (mimes & (1u << i))
      {
        read_start (w, id, text_mimes[i], false);
        break;
      }
  if (mimes & MIME_BIT_PNG)
    read_start (w, id, HV_AGENT_MIME_PNG, true);
  offer_destroy (w, id);
}

/* Sets the selection to a new source with the host's content. */
static void
take_selection (AgentWayland *w)
{
  uint32_t old = w->source;
  uint32_t source;
  Msg m;

  if (!w->ready || (w->host_text == NULL && w->host_png == NULL))
    return;
  source = new_id (w, OBJ_SOURCE);
  if (source == 0)
    return;
  msg_start (&m, w->manager, DC_MANAGER_CREATE_DATA_SOURCE);
  msg_u32 (&m, source);
  if (!wl_send (w, &m, -1))
    return;
  for (size_t i = 0; w->host_text && i < N_TEXT_MIMES; i++)
    {
      msg_start (&m, source, DC_SOURCE_OFFER);
      msg_string (&m, text_mimes[i]);
      wl_send (w, &m, -1);
    }
  if (w->host_png)
    {
      msg_start (&m, source, DC_SOURCE_OFFER);
      msg_string (&m, HV_AGENT_MIME_PNG);
      wl_send (w, &m, -1);
    }
  msg_start (&m, source, DC_SOURCE_OFFER);
  msg_string (&m, MIME_OURS);
  wl_send (w, &m, -1);
  msg_start (&m, w->device, DC_DEVICE_SET_SELECTION);
  msg_u32 (&m, source);
  if (!wl_send (w, &m, -1))
    return;
  w->source = source;
  /* The compositor cancels the old source too; it is ours to destroy either way. */
  if (old != 0 && send_simple (w, old, DC_SOURCE_DESTROY))
    w->kinds[old] |= OBJ_DEAD;
  agent_debug ("Wayland clipboard: set the selection to the host's content (%u bytes of text, "
               "%u bytes of PNG)", w->host_text ? w->host_text->size : 0,
               w->host_png ? w->host_png->size : 0);
}

/* ------------------------------------------------------------------------------------------- */
/* Events                                                                                       */

static bool
on_registry (AgentWayland *w, uint16_t opcode, Args *a)
{
  if (opcode == WL_REGISTRY_EV_GLOBAL)
    {
      uint32_t name = arg_u32 (a);
      const char *iface = arg_string (a);
      uint32_t version = arg_u32 (a);

      if (!a->ok || iface == NULL || version == 0)
        return false;
      if (strcmp (iface, "wl_seat") == 0 && !w->have_seat)
        w->have_seat = true, w->g_seat = name;
      else if (strcmp (iface, "ext_data_control_manager_v1") == 0)
        w->have_ext = true, w->g_ext = name;
      else if (strcmp (iface, "zwlr_data_control_manager_v1") == 0)
        w->have_wlr = true, w->g_wlr = name;
    }
  else if (opcode == WL_REGISTRY_EV_GLOBAL_REMOVE)
    {
      uint32_t name = arg_u32 (a);

      if (!a->ok)
        return false;
      if (w->ready && (name == w->g_seat || name == w->g_manager))
        {
          wl_disconnect (w, "the seat or the data-control manager went away");
          return false;
        }
    }
  return true;
}

static bool
on_device (AgentWayland *w, uint16_t opcode, Args *a)
{
  uint32_t id;

  switch (opcode)
    {
    case DC_DEVICE_EV_DATA_OFFER:
      {
        Offer *slot = NULL;

        id = arg_u32 (a);
        if (!a->ok || id < WL_SERVER_ID_START)
          return false;
        for (int i = 0; i < MAX_OFFERS && slot == NULL; i++)
          if (w->offers[i].id == 0 || w->offers[i].id == id)
            slot = &w->offers[i];
        if (slot == NULL)
          {
            /* Offers are named by a selection event right after they come; one that never
             * was is dropped to make room. */
            offer_destroy (w, w->offers[0].id);
            slot = &w->offers[0];
          }
        *slot = (Offer) { id, 0 };
        return true;
      }
    case DC_DEVICE_EV_SELECTION:
      id = arg_u32 (a);
      if (!a->ok)
        return false;
      selection_changed (w, id);
      return true;
    case DC_DEVICE_EV_PRIMARY_SELECTION:
      /* The primary selection is not shared; its offers only need destroying. */
      id = arg_u32 (a);
      if (!a->ok)
        return false;
      offer_destroy (w, id);
      return true;
    case DC_DEVICE_EV_FINISHED:
      wl_disconnect (w, "the data device finished");
      return false;
    default:
      return true;
    }
}

static bool
on_source (AgentWayland *w, uint32_t id, bool dead, uint16_t opcode, Args *a)
{
  if (opcode == DC_SOURCE_EV_SEND)
    {
      const char *mime = arg_string (a);
      int fd = take_fd (w);

      if (fd < 0 || !a->ok || mime == NULL)
        {
          if (fd >= 0)
            close (fd);
          return false;
        }
      if (dead || id != w->source)
        close (fd);
      else
        write_start (w, mime, fd);
    }
  else if (opcode == DC_SOURCE_EV_CANCELLED && !dead)
    {
      /* Another client set the selection: ours is gone. */
      if (send_simple (w, id, DC_SOURCE_DESTROY))
        w->kinds[id] |= OBJ_DEAD;
      if (id == w->source)
        w->source = 0;
    }
  return true;
}

/* Handles one event; false when it ended the connection. */
static bool
handle_event (AgentWayland *w, uint32_t id, uint16_t opcode, Args *a)
{
  uint8_t kind;

  if (id >= WL_SERVER_ID_START)
    {
      /* Only offers are made by the compositor here; their one event names a type. */
      Offer *o = find_offer (w, id);
      const char *mime;

      if (o == NULL || opcode != DC_OFFER_EV_OFFER)
        return true;
      mime = arg_string (a);
      if (!a->ok || mime == NULL)
        return false;
      for (size_t i = 0; i < N_TEXT_MIMES; i++)
        if (strcmp (mime, text_mimes[i]) == 0)
          o->mimes |= 1u << i;
      if (strcmp (mime, HV_AGENT_MIME_PNG) == 0)
        o->mimes |= MIME_BIT_PNG;
      if (strcmp (mime, MIME_OURS) == 0)
        o->mimes |= MIME_BIT_OURS;
      return true;
    }
  if (id >= MAX_CLIENT_IDS)
    return true; /* not an object of ours: nothing to do */

  kind = w->kinds[id] & (uint8_t) ~OBJ_DEAD;
  switch (kind)
    {
    case OBJ_DISPLAY:
      if (opcode == WL_DISPLAY_EV_ERROR)
        {
          uint32_t object = arg_u32 (a);
          uint32_t code = arg_u32 (a);
          const char *message = arg_string (a);
          char why[256];

          snprintf (why, sizeof why, "protocol error %u on object %u: %s", code, object,
                    message ? message : "");
          if (!w->ready)
            agent_log ("Wayland clipboard: %s: %s", w->path, why);
          wl_disconnect (w, why);
          return false;
        }
      if (opcode == WL_DISPLAY_EV_DELETE_ID)
        {
          uint32_t gone = arg_u32 (a);

          if (!a->ok)
            return false;
          if (gone >= 2 && gone < MAX_CLIENT_IDS)
            w->kinds[gone] = OBJ_FREE;
        }
      return true;
    case OBJ_REGISTRY:
      return on_registry (w, opcode, a);
    case OBJ_CALLBACK:
      if (opcode == WL_CALLBACK_EV_DONE && id == w->sync_id)
        w->sync_done = true;
      return true;
    case OBJ_DEVICE:
      return on_device (w, opcode, a);
    case OBJ_SOURCE:
      return on_source (w, id, (w->kinds[id] & OBJ_DEAD) != 0, opcode, a);
    default:
      /* wl_seat (capabilities, name) and anything else: not needed, skipped whole. */
      return true;
    }
}

/* Handles the complete messages received; false when the connection ended. */
static bool
wl_parse (AgentWayland *w)
{
  size_t off = 0;

  while (w->in_len - off >= WL_HEADER_SIZE)
    {
      uint32_t id, word, size;
      Args args;

      memcpy (&id, w->in + off, 4);
      memcpy (&word, w->in + off + 4, 4);
      size = word >> 16;
      if (size < WL_HEADER_SIZE || size > WL_MAX_MESSAGE || size % 4 != 0)
        {
          wl_disconnect (w, "malformed message from the compositor");
          return false;
        }
      if (w->in_len - off < size)
        break;
      args = (Args) { w->in + off + WL_HEADER_SIZE, size - WL_HEADER_SIZE, 0, true };
      if (!handle_event (w, id, (uint16_t) (word & 0xffff), &args) || w->fd < 0)
        {
          if (w->fd >= 0)
            wl_disconnect (w, "malformed event from the compositor");
          return false;
        }
      off += size;
    }
  memmove (w->in, w->in + off, w->in_len - off);
  w->in_len -= off;
  return true;
}

/* Reads and handles everything the compositor has sent; false when the connection ended. */
static bool
wl_read_events (AgentWayland *w)
{
  int r;

  while ((r = wl_recv (w)) > 0)
    if (!wl_parse (w))
      return false;
  return r == 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Connecting                                                                                   */

/* Sends wl_display.sync and handles events until its callback is done. */
static bool
roundtrip (AgentWayland *w)
{
  int64_t deadline = now_ms () + HANDSHAKE_TIMEOUT_MS;
  Msg m;

  w->sync_id = new_id (w, OBJ_CALLBACK);
  w->sync_done = false;
  if (w->sync_id == 0)
    return false;
  msg_start (&m, 1, WL_DISPLAY_SYNC);
  msg_u32 (&m, w->sync_id);
  if (!wl_send (w, &m, -1))
    return false;
  while (w->fd >= 0 && !w->sync_done)
    {
      struct pollfd pfd = { w->fd, POLLIN, 0 };
      int left = (int) (deadline - now_ms ());
      int r = left > 0 ? poll (&pfd, 1, left) : 0;

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          wl_disconnect (w, "no answer");
          return false;
        }
      if (!wl_read_events (w))
        return false;
    }
  return w->fd >= 0;
}

static bool
bind_global (AgentWayland *w, uint32_t name, const char *iface, uint32_t id)
{
  Msg m;

  msg_start (&m, w->registry, WL_REGISTRY_BIND);
  msg_u32 (&m, name);
  msg_string (&m, iface);
  msg_u32 (&m, 1); /* version 1 has all we use, in both protocols */
  msg_u32 (&m, id);
  return wl_send (w, &m, -1);
}

static void
note_failure (AgentWayland *w, const char *why)
{
  char line[512];

  snprintf (line, sizeof line, "%s: %s", w->path, why);
  if (w->last_failure == NULL || strcmp (w->last_failure, line) != 0)
    {
      agent_log ("Wayland clipboard: %s", line);
      free (w->last_failure);
      w->last_failure = strdup (line);
    }
}

/* Connects to path and sets up the data device; false (and closed) on failure. */
static bool
wl_open (AgentWayland *w, const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *iface;
  Msg m;

  if (strlen (path) >= sizeof addr.sun_path)
    return false;
  strcpy (addr.sun_path, path);
  /* Non-blocking: a compositor that hangs with a full backlog makes connect() fail (EAGAIN)
   * instead of waiting; all I/O after it is non-blocking anyway. */
  w->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (w->fd < 0)
    return false;
  if (connect (w->fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (w->fd);
      w->fd = -1;
      return false;
    }
  free (w->path);
  w->path = strdup (path);
  if (w->path == NULL)
    {
      wl_disconnect (w, "out of memory");
      return false;
    }

  w->kinds[1] = OBJ_DISPLAY;
  w->registry = new_id (w, OBJ_REGISTRY);
  msg_start (&m, 1, WL_DISPLAY_GET_REGISTRY);
  msg_u32 (&m, w->registry);
  if (!wl_send (w, &m, -1) || !roundtrip (w))
    return false;
  if (!w->have_seat || (!w->have_ext && !w->have_wlr))
    {
      note_failure (w, w->have_seat ? "the compositor offers no data-control protocol"
                                    : "the compositor has no seat");
      wl_disconnect (w, "no data-control");
      return false;
    }
  /* ext-data-control is the standard one; wlr-data-control what older compositors have. */
  iface = w->have_ext ? "ext_data_control_manager_v1" : "zwlr_data_control_manager_v1";
  w->g_manager = w->have_ext ? w->g_ext : w->g_wlr;
  w->seat = new_id (w, OBJ_SEAT);
  w->manager = new_id (w, OBJ_MANAGER);
  w->device = new_id (w, OBJ_DEVICE);
  if (w->device == 0 || !bind_global (w, w->g_seat, "wl_seat", w->seat)
      || !bind_global (w, w->g_manager, iface, w->manager))
    return false;
  msg_start (&m, w->manager, DC_MANAGER_GET_DATA_DEVICE);
  msg_u32 (&m, w->device);
  msg_u32 (&m, w->seat);
  /* The device's first selection event comes before the sync's answer. */
  if (!wl_send (w, &m, -1) || !roundtrip (w))
    return false;
  w->ready = true;
  free (w->last_failure);
  w->last_failure = NULL;
  agent_log ("Wayland clipboard: connected to %s (%s)", w->path, iface);
  if (w->selection_empty)
    take_selection (w);
  return w->fd >= 0;
}

static bool
is_socket (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISSOCK (st.st_mode);
}

static bool
try_path (AgentWayland *w, const char *path)
{
  return is_socket (path) && wl_open (w, path);
}

/* /run/user/UID/name for each UID, or each wayland-N there when name is NULL: the system agent
 * runs as root, with no session of its own, and root may connect to a user's socket. */
static bool
try_run_user (AgentWayland *w, const char *name)
{
  DIR *dir = opendir ("/run/user");
  struct dirent *e;
  bool ok = false;

  if (dir == NULL)
    return false;
  while (!ok && (e = readdir (dir)) != NULL)
    {
      char path[sizeof ((struct sockaddr_un *) 0)->sun_path];

      if (e->d_name[0] < '0' || e->d_name[0] > '9')
        continue;
      if (name != NULL)
        {
          if (snprintf (path, sizeof path, "/run/user/%s/%s", e->d_name, name) < (int) sizeof path)
            ok = try_path (w, path);
        }
      else
        {
          DIR *sub;
          struct dirent *s;

          if (snprintf (path, sizeof path, "/run/user/%s", e->d_name) >= (int) sizeof path)
            continue;
          sub = opendir (path);
          while (!ok && sub != NULL && (s = readdir (sub)) != NULL)
            {
              char sock[sizeof path];
              const char *dot = strchr (s->d_name, '.');

              if (strncmp (s->d_name, "wayland-", 8) != 0 || (dot && strcmp (dot, ".lock") == 0))
                continue;
              if (snprintf (sock, sizeof sock, "%s/%s", path, s->d_name) < (int) sizeof sock)
                ok = try_path (w, sock);
            }
          if (sub != NULL)
            closedir (sub);
        }
    }
  closedir (dir);
  return ok;
}

static bool
try_name (AgentWayland *w, const char *name)
{
  const char *runtime = getenv ("XDG_RUNTIME_DIR");
  char path[sizeof ((struct sockaddr_un *) 0)->sun_path];

  if (name[0] == '/')
    return try_path (w, name);
  if (runtime != NULL && runtime[0] == '/'
      && snprintf (path, sizeof path, "%s/%s", runtime, name) < (int) sizeof path)
    return try_path (w, path);
  return false;
}

static bool
wl_connect (AgentWayland *w)
{
  w->next_connect_ms = now_ms () + RECONNECT_MS;
  if (w->auto_display)
    {
      const char *name = getenv ("WAYLAND_DISPLAY");

      return (name != NULL && name[0] != 0 && try_name (w, name)) || try_run_user (w, NULL);
    }
  if (strchr (w->display, '/') != NULL)
    return try_path (w, w->display);
  if (getenv ("XDG_RUNTIME_DIR") != NULL)
    return try_name (w, w->display);
  return try_run_user (w, w->display);
}

/* ------------------------------------------------------------------------------------------- */
/* Public                                                                                       */

AgentWayland *
agent_wayland_new (const char *display)
{
  AgentWayland *w = calloc (1, sizeof *w);

  if (w == NULL)
    return NULL;
  w->display = strdup (display);
  if (w->display == NULL)
    {
      free (w);
      return NULL;
    }
  w->auto_display = strcmp (display, "auto") == 0;
  w->fd = -1;
  for (int i = 0; i < MAX_READS; i++)
    w->reads[i].fd = -1;
  for (int i = 0; i < MAX_WRITES; i++)
    w->writes[i].fd = -1;
  return w;
}

void
agent_wayland_free (AgentWayland *w)
{
  if (w == NULL)
    return;
  wl_disconnect (w, "stopping");
  reads_cancel (w);
  for (int i = 0; i < MAX_WRITES; i++)
    write_end (&w->writes[i]);
  blob_unref (w->host_text);
  blob_unref (w->host_png);
  free (w->guest_text);
  free (w->guest_png);
  free (w->display);
  free (w->path);
  free (w->last_failure);
  free (w);
}

bool
agent_wayland_connected (AgentWayland *w)
{
  return w->fd >= 0 && w->ready;
}

int
agent_wayland_poll_fds (AgentWayland *w, struct pollfd *fds, int max)
{
  int n = 0;

  if (w->fd >= 0 && n < max)
    fds[n++] = (struct pollfd) { w->fd, POLLIN, 0 };
  for (int i = 0; i < MAX_READS && n < max; i++)
    if (w->reads[i].fd >= 0)
      fds[n++] = (struct pollfd) { w->reads[i].fd, POLLIN, 0 };
  for (int i = 0; i < MAX_WRITES && n < max; i++)
    if (w->writes[i].fd >= 0)
      fds[n++] = (struct pollfd) { w->writes[i].fd, POLLOUT, 0 };
  return n;
}

int
agent_wayland_timeout (AgentWayland *w)
{
  int64_t now = now_ms ();
  int64_t next = w->fd < 0 ? w->next_connect_ms : now + 60000;

  for (int i = 0; i < MAX_READS; i++)
    if (w->reads[i].fd >= 0 && w->reads[i].deadline < next)
      next = w->reads[i].deadline;
  for (int i = 0; i < MAX_WRITES; i++)
    if (w->writes[i].fd >= 0 && w->writes[i].deadline < next)
      next = w->writes[i].deadline;
  return next <= now ? 0 : (int) (next - now);
}

static short
revents_of (const struct pollfd *fds, int n_fds, int fd)
{
  for (int i = 0; i < n_fds; i++)
    if (fds[i].fd == fd)
      return fds[i].revents;
  return 0;
}

void
agent_wayland_dispatch (AgentWayland *w, const struct pollfd *fds, int n_fds)
{
  int64_t now = now_ms ();

  if (w->fd < 0)
    {
      if (now >= w->next_connect_ms && !wl_connect (w) && w->fd >= 0)
        wl_disconnect (w, "initialisation failed");
    }
  else if (revents_of (fds, n_fds, w->fd) != 0)
    wl_read_events (w);

  /* Transfers: those that poll() saw ready, and those that made no progress in time. A stale
   * revents for an fd number that was closed and reused meanwhile costs one EAGAIN. */
  now = now_ms ();
  for (int i = 0; i < MAX_READS; i++)
    {
      ReadTransfer *r = &w->reads[i];

      if (r->fd >= 0 && revents_of (fds, n_fds, r->fd) != 0)
        read_pump (r);
      if (r->fd >= 0 && now >= r->deadline)
        {
          agent_log ("Wayland clipboard: the guest application did not send its %s in time",
                     r->png ? "image" : "text");
          read_drop (r);
        }
    }
  reads_finish (w);
  for (int i = 0; i < MAX_WRITES; i++)
    {
      WriteTransfer *t = &w->writes[i];

      if (t->fd >= 0 && revents_of (fds, n_fds, t->fd) != 0)
        write_pump (t);
      if (t->fd >= 0 && now >= t->deadline)
        {
          agent_debug ("Wayland clipboard: a guest application stopped reading a paste");
          write_end (t);
        }
    }
}

bool
agent_wayland_take_change (AgentWayland *w, const char *types[2], uint16_t *n_types)
{
  if (!w->guest_changed)
    return false;
  w->guest_changed = false;
  *n_types = 0;
  if (w->guest_text)
    types[(*n_types)++] = HV_AGENT_MIME_TEXT;
  if (w->guest_png)
    types[(*n_types)++] = HV_AGENT_MIME_PNG;
  return true;
}

bool
agent_wayland_guest_data (AgentWayland *w, const char *mime, const uint8_t **data,
                          uint32_t *size)
{
  if (strcmp (mime, HV_AGENT_MIME_TEXT) == 0 && w->guest_text)
    {
      *data = w->guest_text;
      *size = w->guest_text_len;
      return true;
    }
  if (strcmp (mime, HV_AGENT_MIME_PNG) == 0 && w->guest_png)
    {
      *data = w->guest_png;
      *size = w->guest_png_len;
      return true;
    }
  return false;
}

void
agent_wayland_host_reset (AgentWayland *w)
{
  blob_unref (w->host_text);
  blob_unref (w->host_png);
  w->host_text = w->host_png = NULL;
}

void
agent_wayland_set_host (AgentWayland *w, const char *mime, const uint8_t *data, uint32_t size)
{
  Blob **slot;

  if (strcmp (mime, HV_AGENT_MIME_TEXT) == 0)
    slot = &w->host_text;
  else if (strcmp (mime, HV_AGENT_MIME_PNG) == 0)
    slot = &w->host_png;
  else
    return;
  blob_unref (*slot);
  *slot = blob_new (data, size);
  if (*slot != NULL)
    take_selection (w);
}
