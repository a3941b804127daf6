/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-vnc.c: HvVnc (ui/hv-vnc.c) against a scripted fake RFB server, and against a real
 * QEMU showing the GRUB rescue CD's menu.
 *
 * The fake server is the other end of a socketpair. A thread of its own does the server's
 * half of the handshake (HvVnc does its half in a worker thread, so the test's thread
 * cannot answer it in order), then reads every client message and queues it for the test;
 * the test writes server messages itself. Every wait has a deadline that fails the test
 * rather than hanging it. */
#include "hv-vnc.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-keymap.h"

#define WAIT_TIMEOUT_USEC (20 * G_USEC_PER_SEC)
#define QEMU_TIMEOUT_USEC (90 * G_USEC_PER_SEC)

#define GRUB_ISO "/usr/lib/grub-rescue/grub-rescue-cdrom.iso"

/* RFB encodings (RFC 6143 and QEMU's extensions). */
#define ENC_RAW            0
#define ENC_DESKTOP_SIZE   -223
#define ENC_QEMU_EXT_KEY   -258
#define ENC_EXT_DESKTOP_SIZE -308

/* What a test saw of its HvVnc. */
typedef struct
{
  HvVnc    *vnc;
  guint     n_connected;
  guint     n_resized;
  guint     n_updated;
  guint     n_frames;
  guint     n_disconnected;
  int       resized_width;
  int       resized_height;
  GError   *error;          /* from "disconnected" */
  gboolean  error_was_null;
} Watch;

static gboolean
tick_cb (gpointer user_data)
{
  /* Only here so that a blocking iteration wakes up to check its deadline. */
  return G_SOURCE_CONTINUE;
}

#define WAIT_UNTIL_FOR(timeout, cond) \
  G_STMT_START { \
    gint64 deadline_ = g_get_monotonic_time () + (timeout); \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > deadline_) \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
  } G_STMT_END

#define WAIT_UNTIL(cond) WAIT_UNTIL_FOR (WAIT_TIMEOUT_USEC, cond)

static void
on_connected (HvVnc *vnc,
              Watch *w)
{
  w->n_connected++;
}

static void
on_resized (HvVnc *vnc,
            int    width,
            int    height,
            Watch *w)
{
  w->n_resized++;
  w->resized_width = width;
  w->resized_height = height;
  g_assert_cmpint (hv_vnc_get_width (vnc), ==, width);
  g_assert_cmpint (hv_vnc_get_height (vnc), ==, height);
}

static void
on_updated (HvVnc *vnc,
            int    x,
            int    y,
            int    width,
            int    height,
            Watch *w)
{
  w->n_updated++;
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x + width, <=, hv_vnc_get_width (vnc));
  g_assert_cmpint (y + height, <=, hv_vnc_get_height (vnc));
}

static void
on_frame_done (HvVnc *vnc,
               Watch *w)
{
  w->n_frames++;
}

static void
on_disconnected (HvVnc        *vnc,
                 const GError *error,
                 Watch        *w)
{
  w->n_disconnected++;
  w->error_was_null = error == NULL;
  g_clear_error (&w->error);
  if (error != NULL)
    w->error = g_error_copy (error);
}

static void
watch_init (Watch *w)
{
  memset (w, 0, sizeof *w);
  w->vnc = hv_vnc_new ();
  g_signal_connect (w->vnc, "connected", G_CALLBACK (on_connected), w);
  g_signal_connect (w->vnc, "resized", G_CALLBACK (on_resized), w);
  g_signal_connect (w->vnc, "updated", G_CALLBACK (on_updated), w);
  g_signal_connect (w->vnc, "frame-done", G_CALLBACK (on_frame_done), w);
  g_signal_connect (w->vnc, "disconnected", G_CALLBACK (on_disconnected), w);
}

static void
watch_clear (Watch *w)
{
  g_clear_object (&w->vnc);
  g_clear_error (&w->error);
}

/* Fake RFB server */

typedef struct
{
  int          fd;
  GThread     *thread;
  GAsyncQueue *messages;   /* GBytes *: whole client messages */
  int          width;
  int          height;
  gboolean     hang;       /* say nothing at all */
  gboolean     eof;
  /* What the client sent first, in this order. */
  GBytes      *pixel_format;
  GBytes      *encodings;
  GBytes      *first_request;
} FakeServer;

static gboolean
read_exact (int     fd,
            void   *buf,
            gsize   len)
{
  guint8 *p = buf;

  while (len > 0)
    {
      ssize_t n = read (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
}

static void
write_all (int         fd,
           const void *buf,
           gsize       len)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      p += n;
      len -= n;
    }
}

static void
put16 (GByteArray *a,
       guint16     v)
{
  guint16 be = GUINT16_TO_BE (v);

  g_byte_array_append (a, (guint8 *) &be, 2);
}

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint32 be = GUINT32_TO_BE (v);

  g_byte_array_append (a, (guint8 *) &be, 4);
}

static void
put8 (GByteArray *a,
      guint8      v)
{
  g_byte_array_append (a, &v, 1);
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint16
get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static gpointer
fake_server_thread (gpointer data)
{
  FakeServer *s = data;
  g_autoptr(GByteArray) init = g_byte_array_new ();
  char version[12];
  guint8 byte;

  if (s->hang)
    {
      /* Read until the client gives up (HvVnc shuts the socket down). */
      while (read (s->fd, &byte, 1) > 0)
        ;
      s->eof = TRUE;
      return NULL;
    }

  write_all (s->fd, "RFB 003.008\n", 12);
  if (!read_exact (s->fd, version, sizeof version))
    goto eof;
  g_assert_cmpmem (version, 12, "RFB 003.008\n", 12);

  /* One security type: None. */
  write_all (s->fd, "\x01\x01", 2);
  if (!read_exact (s->fd, &byte, 1))
    goto eof;
  g_assert_cmpint (byte, ==, 1);
  write_all (s->fd, "\0\0\0\0", 4);

  /* ClientInit (shared flag), then ServerInit. */
  if (!read_exact (s->fd, &byte, 1))
    goto eof;
  put16 (init, s->width);
  put16 (init, s->height);
  /* QEMU's own format: 32 bpp, depth 24, little endian, true colour, x8r8g8b8. */
  put8 (init, 32);
  put8 (init, 24);
  put8 (init, 0);
  put8 (init, 1);
  put16 (init, 255);
  put16 (init, 255);
  put16 (init, 255);
  put8 (init, 16);
  put8 (init, 8);
  put8 (init, 0);
  put8 (init, 0);
  put8 (init, 0);
  put8 (init, 0);
  put32 (init, 4);
  g_byte_array_append (init, (guint8 *) "fake", 4);
  write_all (s->fd, init->data, init->len);

  for (;;)
    {
      guint8 head[4];
      gsize len, done;
      g_autoptr(GByteArray) msg = g_byte_array_new ();

      if (!read_exact (s->fd, head, 1))
        break;
      g_byte_array_append (msg, head, 1);
      switch (head[0])
        {
        case 0: /* SetPixelFormat */
          len = 20;
          break;
        case 2: /* SetEncodings: a count, then the encodings */
          if (!read_exact (s->fd, head + 1, 3))
            goto eof;
          g_byte_array_append (msg, head + 1, 3);
          len = 4 + 4 * (gsize) get16 (head + 2);
          break;
        case 3: /* FramebufferUpdateRequest */
          len = 10;
          break;
        case 4: /* KeyEvent */
          len = 8;
          break;
        case 5: /* PointerEvent */
          len = 6;
          break;
        case 255: /* QEMU: subtype 0 is the extended key event */
          len = 12;
          break;
        default:
          g_error ("fake server: unexpected client message type %u", head[0]);
        }

      done = msg->len;
      g_byte_array_set_size (msg, len);
      if (!read_exact (s->fd, msg->data + done, len - done))
        break;
      g_async_queue_push (s->messages, g_byte_array_free_to_bytes (g_steal_pointer (&msg)));
    }

eof:
  s->eof = TRUE;
  return NULL;
}

/* Starts a fake server; returns the client's end of the socketpair. */
static int
fake_server_start (FakeServer *s,
                   int         width,
                   int         height,
                   gboolean    hang)
{
  int fds[2];

  memset (s, 0, sizeof *s);
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  s->fd = fds[0];
  s->width = width;
  s->height = height;
  s->hang = hang;
  s->messages = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  s->thread = g_thread_new ("fake-rfb-server", fake_server_thread, s);
  return fds[1];
}

static void
fake_server_stop (FakeServer *s)
{
  shutdown (s->fd, SHUT_RDWR);
  g_thread_join (s->thread);
  close (s->fd);
  g_async_queue_unref (s->messages);
  g_clear_pointer (&s->pixel_format, g_bytes_unref);
  g_clear_pointer (&s->encodings, g_bytes_unref);
  g_clear_pointer (&s->first_request, g_bytes_unref);
}

/* The next client message of `type`, skipping FramebufferUpdateRequests unless asked for
 * (the client sends one after every update). */
static GBytes *
fake_server_expect (FakeServer *s,
                    guint8      type)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_USEC;

  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      GBytes *msg;

      if (left <= 0)
        g_error ("fake server: no client message of type %u", type);
      msg = g_async_queue_timeout_pop (s->messages, left);
      if (msg == NULL)
        continue;
      if (((const guint8 *) g_bytes_get_data (msg, NULL))[0] == type)
        return msg;
      g_assert_cmpint (((const guint8 *) g_bytes_get_data (msg, NULL))[0], ==, 3);
      g_bytes_unref (msg);
    }
}

/* A FramebufferUpdate header announcing `n_rects`. */
static GByteArray *
update_begin (guint16 n_rects)
{
  GByteArray *a = g_byte_array_new ();

  put8 (a, 0);
  put8 (a, 0);
  put16 (a, n_rects);
  return a;
}

static void
put_rect_header (GByteArray *a,
                 int         x,
                 int         y,
                 int         w,
                 int         h,
                 gint32      encoding)
{
  put16 (a, x);
  put16 (a, y);
  put16 (a, w);
  put16 (a, h);
  put32 (a, (guint32) encoding);
}

/* Raw pixels in the client's format (B, G, R, X), each pixel's colour from its position. */
static guint32
pattern_pixel (int x,
               int y)
{
  return ((guint32) (x * 3) & 0xff) << 16 | ((guint32) (y * 5) & 0xff) << 8 | ((x + y) & 0xff);
}

static void
put_raw_rect (GByteArray *a,
              int         x,
              int         y,
              int         w,
              int         h)
{
  put_rect_header (a, x, y, w, h, ENC_RAW);
  for (int j = y; j < y + h; j++)
    for (int i = x; i < x + w; i++)
      {
        guint32 le = GUINT32_TO_LE (pattern_pixel (i, j));

        g_byte_array_append (a, (guint8 *) &le, 4);
      }
}

static void
send_array (FakeServer *s,
            GByteArray *a)
{
  write_all (s->fd, a->data, a->len);
  g_byte_array_unref (a);
}

/* Tests */

static void
connect_to_fake (Watch      *w,
                 FakeServer *s,
                 int         width,
                 int         height)
{
  g_autoptr(GError) error = NULL;
  int fd;

  watch_init (w);
  fd = fake_server_start (s, width, height, FALSE);
  g_assert_true (hv_vnc_open_fd (w->vnc, fd, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (w->n_connected == 1 || w->n_disconnected > 0);
  g_assert_cmpuint (w->n_disconnected, ==, 0);
  g_assert_true (hv_vnc_is_connected (w->vnc));

  /* The client's first three messages, which may reach the server thread after
   * "connected"; later expectations then start from a known point. */
  s->pixel_format = fake_server_expect (s, 0);
  /* Two SetEncodings: libvncclient's, then HvVnc's, which replaces it. */
  g_bytes_unref (fake_server_expect (s, 2));
  s->encodings = fake_server_expect (s, 2);
  s->first_request = g_async_queue_timeout_pop (s->messages, WAIT_TIMEOUT_USEC);
  g_assert_nonnull (s->first_request);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (s->first_request, NULL))[0], ==, 3);
}

static void
test_fake_handshake (void)
{
  Watch w;
  FakeServer s;
  const guint8 *p;
  gsize len;
  gboolean has_raw = FALSE, has_desktop_size = FALSE, has_ext_key = FALSE;
  gboolean has_ext_desktop_size = FALSE;

  connect_to_fake (&w, &s, 64, 48);

  /* "resized" came first, with the server's size, and the framebuffer is there. */
  g_assert_cmpuint (w.n_resized, ==, 1);
  g_assert_cmpint (w.resized_width, ==, 64);
  g_assert_cmpint (w.resized_height, ==, 48);
  g_assert_nonnull (hv_vnc_get_framebuffer (w.vnc, &len));
  g_assert_cmpuint (len, ==, 64 * 4);

  /* The pixel format we ask for: 32 bpp, depth 24, little endian, true colour, red at
   * 16, green at 8, blue at 0. */
  p = g_bytes_get_data (s.pixel_format, &len);
  g_assert_cmpuint (len, ==, 20);
  g_assert_cmpuint (p[4], ==, 32);
  g_assert_cmpuint (p[5], ==, 24);
  g_assert_cmpuint (p[6], ==, 0);
  g_assert_cmpuint (p[7], ==, 1);
  g_assert_cmpuint (get16 (p + 8), ==, 255);
  g_assert_cmpuint (p[14], ==, 16);
  g_assert_cmpuint (p[15], ==, 8);
  g_assert_cmpuint (p[16], ==, 0);

  /* The encodings that count (the last SetEncodings): raw first, and the pseudo-encodings
   * for resizes and QEMU's scancode key events. */
  p = g_bytes_get_data (s.encodings, &len);
  g_assert_cmpuint (len, ==, 4 + 4 * (gsize) get16 (p + 2));
  g_assert_cmpint ((gint32) get32 (p + 4), ==, ENC_RAW);
  for (gsize i = 4; i < len; i += 4)
    {
      gint32 enc = (gint32) get32 (p + i);

      has_raw |= enc == ENC_RAW;
      has_desktop_size |= enc == ENC_DESKTOP_SIZE;
      has_ext_key |= enc == ENC_QEMU_EXT_KEY;
      has_ext_desktop_size |= enc == ENC_EXT_DESKTOP_SIZE;
    }
  g_assert_true (has_raw);
  g_assert_true (has_desktop_size);
  g_assert_true (has_ext_key);
  /* libvncclient mishandles QEMU's ExtendedDesktopSize: it must not be asked for. */
  g_assert_false (has_ext_desktop_size);

  /* A first full, non-incremental update request. */
  p = g_bytes_get_data (s.first_request, &len);
  g_assert_cmpuint (p[1], ==, 0);
  g_assert_cmpuint (get16 (p + 2), ==, 0);
  g_assert_cmpuint (get16 (p + 4), ==, 0);
  g_assert_cmpuint (get16 (p + 6), ==, 64);
  g_assert_cmpuint (get16 (p + 8), ==, 48);

  hv_vnc_close (w.vnc);
  g_assert_cmpuint (w.n_disconnected, ==, 1);
  g_assert_true (w.error_was_null);
  g_assert_false (hv_vnc_is_connected (w.vnc));
  /* The last screen stays readable after a close. */
  g_assert_nonnull (hv_vnc_get_framebuffer (w.vnc, NULL));
  g_assert_cmpint (hv_vnc_get_width (w.vnc), ==, 64);

  /* Closing twice says nothing more. */
  hv_vnc_close (w.vnc);
  g_assert_cmpuint (w.n_disconnected, ==, 1);

  fake_server_stop (&s);
  watch_clear (&w);
}

static void
test_fake_updates (void)
{
  Watch w;
  FakeServer s;
  GByteArray *a;
  const guint32 *fb;
  gsize stride;
  g_autoptr(GBytes) request = NULL;
  const guint8 *p;

  connect_to_fake (&w, &s, 64, 48);

  /* Two rectangles in one update: two "updated", one "frame-done". */
  a = update_begin (2);
  put_raw_rect (a, 0, 0, 64, 20);
  put_raw_rect (a, 10, 20, 30, 28);
  send_array (&s, a);
  WAIT_UNTIL (w.n_frames == 1);
  g_assert_cmpuint (w.n_updated, ==, 2);

  fb = (const guint32 *) hv_vnc_get_framebuffer (w.vnc, &stride);
  g_assert_cmpuint (stride, ==, 64 * 4);
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      {
        gboolean painted = y < 20 || (x >= 10 && x < 40);
        guint32 px = GUINT32_FROM_LE (fb[y * 64 + x]) & 0xffffff;

        if (painted && px != pattern_pixel (x, y))
          g_error ("pixel %d,%d: 0x%06x, expected 0x%06x", x, y, px, pattern_pixel (x, y));
        if (!painted)
          g_assert_cmphex (px, ==, 0);
      }

  /* In memory: blue, green, red. */
  p = (const guint8 *) &fb[5 * 64 + 7];
  g_assert_cmpuint (p[0], ==, (7 + 5) & 0xff);
  g_assert_cmpuint (p[1], ==, (5 * 5) & 0xff);
  g_assert_cmpuint (p[2], ==, (7 * 3) & 0xff);

  /* After the update, the client asks for the next one, incrementally. */
  a = update_begin (1);
  put_raw_rect (a, 0, 0, 1, 1);
  send_array (&s, a);
  WAIT_UNTIL (w.n_frames == 2);
  request = fake_server_expect (&s, 3);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (request, NULL))[1], ==, 1);

  /* Many small updates written at once: all of them arrive (libvncclient reads ahead
   * into its own buffer, so they must be handled without waiting for the socket). */
  a = g_byte_array_new ();
  for (int i = 0; i < 50; i++)
    {
      GByteArray *u = update_begin (1);

      put_raw_rect (u, i, 0, 1, 1);
      g_byte_array_append (a, u->data, u->len);
      g_byte_array_unref (u);
    }
  send_array (&s, a);
  WAIT_UNTIL (w.n_frames == 52);

  fake_server_stop (&s);
  watch_clear (&w);
}

static void
test_fake_resize (void)
{
  Watch w;
  FakeServer s;
  GByteArray *a;
  g_autoptr(GBytes) request = NULL;
  const guint8 *p;

  connect_to_fake (&w, &s, 64, 48);

  /* The guest changes resolution: QEMU sends a DesktopSize pseudo-rectangle. */
  a = update_begin (2);
  put_rect_header (a, 0, 0, 100, 70, ENC_DESKTOP_SIZE);
  put_raw_rect (a, 0, 60, 100, 10);
  send_array (&s, a);
  WAIT_UNTIL (w.n_frames == 1);
  g_assert_cmpuint (w.n_resized, ==, 2);
  g_assert_cmpint (w.resized_width, ==, 100);
  g_assert_cmpint (w.resized_height, ==, 70);
  g_assert_cmpint (hv_vnc_get_width (w.vnc), ==, 100);
  g_assert_cmpint (hv_vnc_get_height (w.vnc), ==, 70);
  g_assert_cmphex (GUINT32_FROM_LE (((const guint32 *) hv_vnc_get_framebuffer (w.vnc, NULL))
                                    [65 * 100 + 99]) & 0xffffff, ==, pattern_pixel (99, 65));

  /* … and asks for the whole new screen. */
  request = fake_server_expect (&s, 3);
  p = g_bytes_get_data (request, NULL);
  g_assert_cmpuint (p[1], ==, 0);
  g_assert_cmpuint (get16 (p + 6), ==, 100);
  g_assert_cmpuint (get16 (p + 8), ==, 70);

  /* A size no real guest has is refused, not allocated. */
  a = update_begin (1);
  put_rect_header (a, 0, 0, 65535, 65535, ENC_DESKTOP_SIZE);
  send_array (&s, a);
  WAIT_UNTIL (w.n_disconnected == 1);
  g_assert_nonnull (w.error);
  g_assert_nonnull (strstr (w.error->message, "65535"));

  fake_server_stop (&s);
  watch_clear (&w);
}

static void
test_fake_keys (void)
{
  Watch w;
  FakeServer s;
  GByteArray *a;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) ext = NULL;
  g_autoptr(GBytes) pointer = NULL;
  const guint8 *p;

  connect_to_fake (&w, &s, 64, 48);

  /* Before the server announces QEMU's extended key events: keysym only. */
  hv_vnc_send_key (w.vnc, 0xff54 /* Down */, hv_keymap_evdev_to_qnum (KEY_DOWN), TRUE);
  key = fake_server_expect (&s, 4);
  p = g_bytes_get_data (key, NULL);
  g_assert_cmpuint (p[1], ==, 1);
  g_assert_cmphex (get32 (p + 4), ==, 0xff54);

  /* QEMU announces them with a pseudo-rectangle in an update. */
  a = update_begin (1);
  put_rect_header (a, 0, 0, 0, 0, ENC_QEMU_EXT_KEY);
  send_array (&s, a);
  WAIT_UNTIL (w.n_frames == 1);

  hv_vnc_send_key (w.vnc, 0xff54, hv_keymap_evdev_to_qnum (KEY_DOWN), FALSE);
  ext = fake_server_expect (&s, 255);
  p = g_bytes_get_data (ext, NULL);
  g_assert_cmpuint (p[1], ==, 0);                 /* subtype: extended key event */
  g_assert_cmpuint (get16 (p + 2), ==, 0);        /* up */
  g_assert_cmphex (get32 (p + 4), ==, 0xff54);    /* keysym */
  g_assert_cmphex (get32 (p + 8), ==, 0xd0);      /* qnum of Down */

  /* The pointer is clamped to the screen. */
  hv_vnc_send_pointer (w.vnc, 500, -3, 1 << 2);
  pointer = fake_server_expect (&s, 5);
  p = g_bytes_get_data (pointer, NULL);
  g_assert_cmpuint (p[1], ==, 4);
  g_assert_cmpuint (get16 (p + 2), ==, 63);
  g_assert_cmpuint (get16 (p + 4), ==, 0);

  /* Ctrl+Alt+Del: three downs, three ups, by scancode. */
  hv_vnc_send_ctrl_alt_del (w.vnc);
  {
    static const guint32 codes[] = { 0x1d, 0x38, 0xd3, 0xd3, 0x38, 0x1d };

    for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
      {
        g_autoptr(GBytes) m = fake_server_expect (&s, 255);

        p = g_bytes_get_data (m, NULL);
        g_assert_cmpuint (get16 (p + 2), ==, i < 3 ? 1 : 0);
        g_assert_cmphex (get32 (p + 8), ==, codes[i]);
      }
  }

  fake_server_stop (&s);
  watch_clear (&w);
}

static void
test_server_closes_immediately (void)
{
  Watch w;
  g_autoptr(GError) error = NULL;
  int fds[2];

  watch_init (&w);
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  close (fds[0]);

  g_assert_true (hv_vnc_open_fd (w.vnc, fds[1], &error));
  g_assert_no_error (error);
  WAIT_UNTIL (w.n_disconnected > 0);

  g_assert_cmpuint (w.n_disconnected, ==, 1);
  g_assert_cmpuint (w.n_connected, ==, 0);
  g_assert_nonnull (w.error);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_false (hv_vnc_is_connected (w.vnc));
  g_assert_null (hv_vnc_get_framebuffer (w.vnc, NULL));

  /* Input to a dead session goes nowhere, quietly. */
  hv_vnc_send_key (w.vnc, 'a', 0x1e, TRUE);
  hv_vnc_send_pointer (w.vnc, 1, 1, 0);

  /* Nothing more arrives later. */
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (w.n_disconnected, ==, 1);

  watch_clear (&w);
}

static void
test_server_speaks_garbage (void)
{
  Watch w;
  g_autoptr(GError) error = NULL;
  int fds[2];

  watch_init (&w);
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  write_all (fds[0], "HTTP/1.1 400 Bad Request\r\n\r\n", 28);

  g_assert_true (hv_vnc_open_fd (w.vnc, fds[1], &error));
  WAIT_UNTIL (w.n_disconnected > 0);
  close (fds[0]);

  g_assert_cmpuint (w.n_connected, ==, 0);
  g_assert_nonnull (w.error);
  g_assert_true (w.error->domain == G_IO_ERROR);

  watch_clear (&w);
}

/* A silent server: close() during the handshake answers at once and the worker thread
 * ends by itself; so does dropping the last reference. */
static void
test_close_during_handshake (void)
{
  Watch w;
  FakeServer s;
  g_autoptr(GError) error = NULL;
  int fd;

  watch_init (&w);
  fd = fake_server_start (&s, 0, 0, TRUE);
  g_assert_true (hv_vnc_open_fd (w.vnc, fd, &error));

  /* A second open while one runs is refused (and the fd is closed). */
  {
    int fds[2];

    g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
    g_assert_false (hv_vnc_open_fd (w.vnc, fds[1], &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_clear_error (&error);
    /* fds[1] is closed: its peer reads EOF. */
    g_assert_cmpint (read (fds[0], &(char) { 0 }, 1), ==, 0);
    close (fds[0]);
  }

  for (int i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  hv_vnc_close (w.vnc);
  g_assert_cmpuint (w.n_disconnected, ==, 1);
  g_assert_true (w.error_was_null);

  /* The server sees the client go away. */
  g_thread_join (s.thread);
  g_assert_true (s.eof);
  close (s.fd);
  g_async_queue_unref (s.messages);

  /* Let the worker's completion run: nothing more is emitted. */
  for (int i = 0; i < 50 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (G_USEC_PER_SEC / 10);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (w.n_disconnected, ==, 1);
  g_assert_cmpuint (w.n_connected, ==, 0);

  /* Open again on the same object, then drop it while the handshake runs. */
  fd = fake_server_start (&s, 0, 0, TRUE);
  g_assert_true (hv_vnc_open_fd (w.vnc, fd, &error));
  {
    GWeakRef weak;

    g_weak_ref_init (&weak, w.vnc);
    g_clear_object (&w.vnc);
    /* Nothing keeps it alive: disposing it shuts the socket down, which ends both the
     * handshake thread's read and the server's. */
    g_assert_null (g_weak_ref_get (&weak));
    g_weak_ref_clear (&weak);
  }
  g_thread_join (s.thread);
  g_assert_true (s.eof);
  /* The handshake's completion frees what is left. */
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
      g_usleep (G_USEC_PER_SEC / 100);
    }
  close (s.fd);
  g_async_queue_unref (s.messages);
  g_assert_cmpuint (w.n_disconnected, ==, 1);

  watch_clear (&w);
}

/* A server that never says a word: the handshake gives up after its timeout. */
static void
test_handshake_timeout (void)
{
  Watch w;
  FakeServer s;
  g_autoptr(GError) error = NULL;
  int fd;

  watch_init (&w);
  fd = fake_server_start (&s, 0, 0, TRUE);
  g_assert_true (hv_vnc_open_fd (w.vnc, fd, &error));
  WAIT_UNTIL (w.n_disconnected > 0);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (w.n_connected, ==, 0);
  fake_server_stop (&s);
  watch_clear (&w);
}

/* Real QEMU */

typedef struct
{
  char  *dir;
  GPid   pid;
} Qemu;

static void
child_setup (gpointer data)
{
  /* QEMU must not outlive a test that aborts. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
qemu_start (Qemu  *q,
            char **socket_path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *vnc = NULL;
  g_autofree char *log = NULL;
  int log_fd;

  if (qemu == NULL)
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return FALSE;
    }
  if (!g_file_test (GRUB_ISO, G_FILE_TEST_EXISTS))
    {
      g_test_skip (GRUB_ISO " is not installed (grub-rescue-pc)");
      return FALSE;
    }

  q->dir = g_dir_make_tmp ("hv-test-vnc-XXXXXX", &error);
  g_assert_no_error (error);
  *socket_path = g_build_filename (q->dir, "vnc.sock", NULL);
  vnc = g_strdup_printf ("unix:%s", *socket_path);
  log = g_build_filename (q->dir, "qemu.log", NULL);

  {
    const char *argv[] = {
      qemu, "-nodefaults", "-no-user-config", "-machine", "pc,accel=tcg", "-m", "64",
      "-vga", "std", "-display", "none", "-vnc", vnc,
      "-cdrom", GRUB_ISO, "-boot", "d", NULL
    };

    log_fd = open (log, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    g_assert_cmpint (log_fd, >=, 0);
    g_spawn_async_with_fds (NULL, (char **) argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL, &q->pid,
                            -1, log_fd, log_fd, &error);
    close (log_fd);
    g_assert_no_error (error);
  }

  {
    gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_USEC;

    while (!g_file_test (*socket_path, G_FILE_TEST_EXISTS))
      {
        if (g_get_monotonic_time () > deadline)
          g_error ("QEMU did not create its VNC socket");
        g_assert_cmpint (waitpid (q->pid, NULL, WNOHANG), ==, 0);
        g_usleep (G_USEC_PER_SEC / 20);
      }
  }
  return TRUE;
}

static void
qemu_stop (Qemu *q)
{
  g_autofree char *log = g_build_filename (q->dir, "qemu.log", NULL);
  g_autofree char *sock = g_build_filename (q->dir, "vnc.sock", NULL);
  int status;

  kill (q->pid, SIGKILL);
  g_assert_cmpint (waitpid (q->pid, &status, 0), ==, q->pid);
  g_spawn_close_pid (q->pid);
  g_unlink (log);
  g_unlink (sock);
  g_rmdir (q->dir);
  g_free (q->dir);
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (strlen (path), <, sizeof addr.sun_path);
  strcpy (addr.sun_path, path);
  g_assert_no_errno (connect (fd, (struct sockaddr *) &addr, sizeof addr));
  return fd;
}

static guint32
fb_pixel (HvVnc *vnc,
          int    x,
          int    y)
{
  gsize stride;
  const guint8 *fb = hv_vnc_get_framebuffer (vnc, &stride);

  return GUINT32_FROM_LE (*(const guint32 *) (fb + y * stride + x * 4)) & 0xffffff;
}

static gboolean
has_several_colours (HvVnc *vnc)
{
  int w = hv_vnc_get_width (vnc);
  int h = hv_vnc_get_height (vnc);
  guint32 first;

  if (w <= 0 || h <= 0)
    return FALSE;
  first = fb_pixel (vnc, 0, 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (fb_pixel (vnc, x, y) != first)
        return TRUE;
  return FALSE;
}

/* GRUB's menu in VGA text mode (720×400, 9×16 cells): the highlighted entry is a light
 * grey bar across the menu box, the others are white on black. Entry `row` of the menu
 * sits on text line 4 + row. */
static gboolean
grub_entry_highlighted (HvVnc *vnc,
                        int    row)
{
  /* A cell near the right end of the bar, where no entry has text. */
  int x = 60 * 9 + 4;
  int y = (4 + row) * 16 + 8;
  guint32 px;
  guint r, g, b;

  if (hv_vnc_get_width (vnc) != 720 || hv_vnc_get_height (vnc) != 400)
    return FALSE;
  px = fb_pixel (vnc, x, y);
  r = (px >> 16) & 0xff;
  g = (px >> 8) & 0xff;
  b = px & 0xff;
  return r > 0x80 && r == g && g == b;
}

static void
press_key (HvVnc  *vnc,
           guint32 keysym,
           guint   evdev)
{
  hv_vnc_send_key (vnc, keysym, hv_keymap_evdev_to_qnum (evdev), TRUE);
  hv_vnc_send_key (vnc, keysym, hv_keymap_evdev_to_qnum (evdev), FALSE);
}

/* Types `text` (lower-case letters, digits, space, '_' and newline) by scancode. */
static void
type_text (HvVnc      *vnc,
           const char *text)
{
  static const guint letters[] = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L,
    KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X,
    KEY_Y, KEY_Z,
  };
  static const guint digits[] = {
    KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9,
  };

  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c >= 'a' && *c <= 'z')
        press_key (vnc, *c, letters[*c - 'a']);
      else if (*c >= '0' && *c <= '9')
        press_key (vnc, *c, digits[*c - '0']);
      else if (*c == ' ')
        press_key (vnc, ' ', KEY_SPACE);
      else if (*c == '\n')
        press_key (vnc, 0xff0d, KEY_ENTER);
      else if (*c == '_')
        {
          hv_vnc_send_key (vnc, 0xffe1, hv_keymap_evdev_to_qnum (KEY_LEFTSHIFT), TRUE);
          press_key (vnc, '_', KEY_MINUS);
          hv_vnc_send_key (vnc, 0xffe1, hv_keymap_evdev_to_qnum (KEY_LEFTSHIFT), FALSE);
        }
      else
        g_assert_not_reached ();
    }
}

/* GRUB's videotest draws colour squares from the top left corner: red first. */
static gboolean
videotest_shown (HvVnc *vnc)
{
  guint32 px;

  if (hv_vnc_get_width (vnc) != 1024 || hv_vnc_get_height (vnc) != 768)
    return FALSE;
  px = fb_pixel (vnc, 50, 50);
  return ((px >> 16) & 0xff) > 0xf0 && ((px >> 8) & 0xff) < 0x10 && (px & 0xff) < 0x10;
}

static void
test_qemu_grub (void)
{
  Watch w;
  Qemu q;
  g_autofree char *socket_path = NULL;
  g_autoptr(GError) error = NULL;
  int width, height;
  guint frames_before;

  if (!qemu_start (&q, &socket_path))
    return;

  watch_init (&w);
  g_assert_true (hv_vnc_open_fd (w.vnc, connect_unix (socket_path), &error));
  g_assert_no_error (error);
  WAIT_UNTIL (w.n_connected == 1 || w.n_disconnected > 0);
  g_assert_cmpuint (w.n_disconnected, ==, 0);

  /* SeaBIOS and GRUB use VGA text mode (720×400) or a 640×480 mode. */
  width = hv_vnc_get_width (w.vnc);
  height = hv_vnc_get_height (w.vnc);
  g_test_message ("QEMU's screen: %dx%d", width, height);
  g_assert_cmpint (width, >=, 320);
  g_assert_cmpint (height, >=, 200);
  g_assert_cmpint (width, <=, 1280);
  g_assert_cmpint (height, <=, 1024);

  WAIT_UNTIL_FOR (QEMU_TIMEOUT_USEC, w.n_frames > 0);
  g_assert_cmpuint (w.n_updated, >, 0);

  /* The screen fills with text (BIOS, then GRUB's menu). */
  WAIT_UNTIL_FOR (QEMU_TIMEOUT_USEC, w.n_frames > 0 && has_several_colours (w.vnc));

  /* GRUB's menu, first entry highlighted. GRUB counts down 10 s, then boots it: press
   * Down at once, which also stops the countdown. */
  WAIT_UNTIL_FOR (QEMU_TIMEOUT_USEC, grub_entry_highlighted (w.vnc, 0));
  g_assert_false (grub_entry_highlighted (w.vnc, 1));

  frames_before = w.n_frames;
  hv_vnc_send_key (w.vnc, 0xff54, hv_keymap_evdev_to_qnum (KEY_DOWN), TRUE);
  hv_vnc_send_key (w.vnc, 0xff54, hv_keymap_evdev_to_qnum (KEY_DOWN), FALSE);
  WAIT_UNTIL_FOR (QEMU_TIMEOUT_USEC, grub_entry_highlighted (w.vnc, 1));
  g_assert_false (grub_entry_highlighted (w.vnc, 0));
  g_assert_cmpuint (w.n_frames, >, frames_before);
  g_assert_cmpuint (w.n_disconnected, ==, 0);

  /* The guest changes resolution: GRUB's command line ('c'), then its video test in
   * 1024×768. The session follows ("resized") and shows the new screen. */
  press_key (w.vnc, 'c', KEY_C);
  type_text (w.vnc, "insmod all_video\n");
  type_text (w.vnc, "videotest 1024x768\n");
  WAIT_UNTIL_FOR (QEMU_TIMEOUT_USEC, w.n_disconnected > 0 || videotest_shown (w.vnc));
  if (w.error != NULL)
    g_error ("disconnected during the resize: %s", w.error->message);
  g_assert_cmpint (w.resized_width, ==, 1024);
  g_assert_cmpint (w.resized_height, ==, 768);
  g_assert_cmpuint (w.n_resized, >=, 2);

  hv_vnc_close (w.vnc);
  g_assert_cmpuint (w.n_disconnected, ==, 1);
  g_assert_true (w.error_was_null);

  /* A second session on the same object, then QEMU goes away under it. */
  g_assert_true (hv_vnc_open_fd (w.vnc, connect_unix (socket_path), &error));
  g_assert_no_error (error);
  WAIT_UNTIL (w.n_connected == 2);
  g_assert_cmpint (hv_vnc_get_width (w.vnc), ==, 1024);
  WAIT_UNTIL (videotest_shown (w.vnc));

  qemu_stop (&q);
  WAIT_UNTIL (w.n_disconnected == 2);
  g_assert_nonnull (w.error);
  g_test_message ("after QEMU was killed: %s", w.error->message);
  g_assert_false (hv_vnc_is_connected (w.vnc));

  watch_clear (&w);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Wake blocking iterations so that deadlines are checked. */
  g_timeout_add (100, tick_cb, NULL);

  g_test_add_func ("/vnc/fake/handshake", test_fake_handshake);
  g_test_add_func ("/vnc/fake/updates", test_fake_updates);
  g_test_add_func ("/vnc/fake/resize", test_fake_resize);
  g_test_add_func ("/vnc/fake/keys", test_fake_keys);
  g_test_add_func ("/vnc/server-closes-immediately", test_server_closes_immediately);
  g_test_add_func ("/vnc/server-speaks-garbage", test_server_speaks_garbage);
  g_test_add_func ("/vnc/close-during-handshake", test_close_during_handshake);
  g_test_add_func ("/vnc/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/vnc/qemu-grub", test_qemu_grub);

  return g_test_run ();
}
