/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-console: what the console costs per frame (prints figures, asserts nothing).
 *
 * 1. The client side of full-screen updates, at 1024×768 and 1920×1080: a fake RFB server
 *    in a thread sends a full-screen raw FramebufferUpdate for every update request, as
 *    fast as HvVnc asks (worst case: the whole screen changes every frame). Measured:
 *    updates/s, the time from the server starting to send an update to HvVnc's
 *    "frame-done", the GdkMemoryTexture the console makes of it, and, beside them, a plain
 *    memcpy of the same pixels.
 * 2. With a real QEMU (if installed): the time from connecting to the first complete
 *    screen, per encoding list, which is what "raw" against compressing encodings costs
 *    over a local socket: GRUB's text menu (720×400), then GRUB's video test (1024×768,
 *    colour squares and text), which the bench types into GRUB's command line.
 *
 * QEMU's VNC server sends an update at most every 30 ms (about 33 per second); the target
 * is to keep up with that at 1920×1080 and to add under 5 ms per frame. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <linux/input-event-codes.h>

#include "hv-console.h"
#include "hv-keymap.h"
#include "hv-vnc.h"

#define RUN_SECONDS 3
#define GRUB_ISO "/usr/lib/grub-rescue/grub-rescue-cdrom.iso"
#define QEMU_CONNECTS 15

/* ── A fake RFB server that answers every update request with a full raw screen ────────── */

typedef struct
{
  int            fd;
  int            width;
  int            height;
  GThread       *thread;
  GByteArray    *frame;        /* a whole FramebufferUpdate message */
  GAsyncQueue   *sent_at;      /* monotonic µs when each update started to go out */
} Server;

static gboolean
read_exact (int   fd,
            void *buf,
            gsize len)
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

static gboolean
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
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
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

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  g_autoptr(GByteArray) init = g_byte_array_new ();
  static const guint8 pixel_format[16] = { 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0 };
  char version[12];
  guint8 buf[4];

  if (!write_all (s->fd, "RFB 003.008\n", 12) || !read_exact (s->fd, version, 12)
      || !write_all (s->fd, "\x01\x01", 2) || !read_exact (s->fd, buf, 1)
      || !write_all (s->fd, "\0\0\0\0", 4) || !read_exact (s->fd, buf, 1))
    return NULL;

  put16 (init, s->width);
  put16 (init, s->height);
  g_byte_array_append (init, pixel_format, sizeof pixel_format);
  put32 (init, 5);
  g_byte_array_append (init, (guint8 *) "bench", 5);
  if (!write_all (s->fd, init->data, init->len))
    return NULL;

  for (;;)
    {
      guint8 skip[1024];
      gsize len;

      if (!read_exact (s->fd, buf, 1))
        break;
      switch (buf[0])
        {
        case 0: /* SetPixelFormat */
          len = 19;
          break;
        case 2: /* SetEncodings */
          if (!read_exact (s->fd, buf + 1, 3))
            return NULL;
          len = 4 * (gsize) ((buf[2] << 8) | buf[3]);
          break;
        case 3: /* FramebufferUpdateRequest: answer it with the whole screen */
          if (!read_exact (s->fd, skip, 9))
            return NULL;
          g_async_queue_push (s->sent_at, GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
          if (!write_all (s->fd, s->frame->data, s->frame->len))
            return NULL;
          continue;
        case 4: /* KeyEvent */
          len = 7;
          break;
        case 5: /* PointerEvent */
          len = 5;
          break;
        default:
          return NULL;
        }
      while (len > 0)
        {
          gsize n = MIN (len, sizeof skip);

          if (!read_exact (s->fd, skip, n))
            return NULL;
          len -= n;
        }
    }
  return NULL;
}

static int
server_start (Server *s,
              int     width,
              int     height)
{
  int fds[2];
  int size = 4 * 1024 * 1024;

  memset (s, 0, sizeof *s);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  /* Big socket buffers, as QEMU's local socket would have them tuned by the kernel. */
  setsockopt (fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt (fds[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  s->fd = fds[0];
  s->width = width;
  s->height = height;
  s->sent_at = g_async_queue_new ();

  /* One full-screen raw rectangle, a gradient (its content does not matter to raw). */
  s->frame = g_byte_array_sized_new (16 + (guint) width * height * 4);
  g_byte_array_append (s->frame, (guint8 *) "\0\0", 2);
  put16 (s->frame, 1);
  put16 (s->frame, 0);
  put16 (s->frame, 0);
  put16 (s->frame, width);
  put16 (s->frame, height);
  put32 (s->frame, 0);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 px = GUINT32_TO_LE ((guint32) (x & 0xff) << 16 | (y & 0xff) << 8 | 0x40);

        g_byte_array_append (s->frame, (guint8 *) &px, 4);
      }

  s->thread = g_thread_new ("bench-rfb-server", server_thread, s);
  return fds[1];
}

static void
server_stop (Server *s)
{
  shutdown (s->fd, SHUT_RDWR);
  g_thread_join (s->thread);
  close (s->fd);
  g_byte_array_unref (s->frame);
  g_async_queue_unref (s->sent_at);
}

/* ── Part 1: the client side of full-screen updates ──────────────────────────────────── */

typedef struct
{
  Server    *server;
  gboolean   connected;
  gboolean   failed;
  gboolean   make_texture;
  guint      frames;
  GArray    *latency;          /* double ms, from the server's send to frame-done */
  GArray    *texture;          /* double ms, making the texture */
} Run;

static void
on_connected (HvVnc *vnc,
              Run   *run)
{
  run->connected = TRUE;
}

static void
on_disconnected (HvVnc        *vnc,
                 const GError *error,
                 Run          *run)
{
  if (error != NULL)
    {
      g_printerr ("hv-bench-console: %s\n", error->message);
      run->failed = TRUE;
    }
}

static void
on_frame_done (HvVnc *vnc,
               Run   *run)
{
  gint64 now = g_get_monotonic_time ();
  gpointer sent = g_async_queue_try_pop (run->server->sent_at);

  if (sent != NULL)
    {
      double ms = (now - (gint64) GPOINTER_TO_SIZE (sent)) / 1000.0;

      g_array_append_val (run->latency, ms);
    }
  if (run->make_texture)
    {
      g_autoptr(GdkTexture) texture = hv_console_texture_new_for_vnc (vnc);
      double ms = (g_get_monotonic_time () - now) / 1000.0;

      g_array_append_val (run->texture, ms);
    }
  run->frames++;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The median: these machines are shared and noisy, a mean would follow the hiccups. */
static double
median (GArray *values)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

static double
measure_memcpy_ms (gsize size)
{
  g_autofree guint8 *a = g_malloc (size);
  g_autofree guint8 *b = g_malloc (size);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  memset (a, 0x5a, size);
  memset (b, 0, size);
  for (int i = 0; i < 100; i++)
    {
      gint64 start = g_get_monotonic_time ();
      double ms;

      a[i] = (guint8) i;
      memcpy (b, a, size);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (times, ms);
      /* Keep the copy from being optimised away. */
      if (b[i] != (guint8) i)
        g_error ("memcpy went wrong");
    }
  return median (times);
}

typedef struct
{
  int   fd;
  gsize size;
  guint rounds;
} Writer;

static gpointer
socket_writer (gpointer data)
{
  Writer *w = data;
  g_autofree guint8 *frame = g_malloc0 (w->size);

  for (guint i = 0; i < w->rounds; i++)
    if (!write_all (w->fd, frame, w->size))
      break;
  return NULL;
}

/* Pixels through a local socket and nothing else: what any VNC client pays for raw. */
static double
measure_socket_ms (gsize size)
{
  g_autofree guint8 *frame = g_malloc (size);
  Writer w = { .size = size, .rounds = 100 };
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  GThread *thread;
  int fds[2];
  int buf_size = 4 * 1024 * 1024;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  setsockopt (fds[0], SOL_SOCKET, SO_SNDBUF, &buf_size, sizeof buf_size);
  setsockopt (fds[1], SOL_SOCKET, SO_RCVBUF, &buf_size, sizeof buf_size);
  w.fd = fds[0];

  thread = g_thread_new ("bench-socket-writer", socket_writer, &w);
  for (guint i = 0; i < w.rounds; i++)
    {
      gint64 start = g_get_monotonic_time ();
      double ms;

      if (!read_exact (fds[1], frame, size))
        g_error ("socket baseline: short read");
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (times, ms);
    }
  g_thread_join (thread);
  close (fds[0]);
  close (fds[1]);
  return median (times);
}

static void
run_fake (int       width,
          int       height,
          gboolean  make_texture,
          double   *updates_per_s,
          double   *latency_ms,
          double   *texture_ms)
{
  g_autoptr(HvVnc) vnc = hv_vnc_new ();
  g_autoptr(GError) error = NULL;
  Server server;
  Run run = { .server = &server, .make_texture = make_texture };
  g_autoptr(GArray) latency = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) texture = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 start, end;
  guint frames_at_start;

  run.latency = latency;
  run.texture = texture;
  g_signal_connect (vnc, "connected", G_CALLBACK (on_connected), &run);
  g_signal_connect (vnc, "disconnected", G_CALLBACK (on_disconnected), &run);
  g_signal_connect (vnc, "frame-done", G_CALLBACK (on_frame_done), &run);
  hv_vnc_set_encodings (vnc, "raw");
  if (!hv_vnc_open_fd (vnc, server_start (&server, width, height), &error))
    g_error ("%s", error->message);

  /* Warm up: connected and a few frames in. */
  while (!run.failed && run.frames < 5)
    g_main_context_iteration (NULL, TRUE);
  frames_at_start = run.frames;
  g_array_set_size (latency, 0);
  g_array_set_size (texture, 0);

  start = g_get_monotonic_time ();
  end = start + RUN_SECONDS * G_USEC_PER_SEC;
  while (!run.failed && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  end = g_get_monotonic_time ();

  hv_vnc_close (vnc);
  server_stop (&server);

  run.frames -= frames_at_start;
  *updates_per_s = run.frames / ((end - start) / (double) G_USEC_PER_SEC);
  *latency_ms = median (latency);
  *texture_ms = median (texture);
}

static void
bench_client_side (void)
{
  static const struct { int w, h; } sizes[] = { { 1024, 768 }, { 1920, 1080 } };

  g_print ("Console, client side of full-screen updates (fake RFB server on a socketpair, "
           "raw encoding,\nevery update the whole screen)\n\n");
  g_print ("%-10s %10s %10s %9s %10s %10s %9s %9s\n", "screen", "updates/s", "recv->",
           "texture", "recv->", "frames/s", "socket", "memcpy");
  g_print ("%-10s %10s %10s %9s %10s %10s %9s %9s\n", "", "(decode)", "decoded ms", "ms",
           "frame ms", "(+texture)", "ms", "ms");

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      double ups, latency, unused, ups_t, latency_t, texture_t, copy, sock;
      g_autofree char *label = g_strdup_printf ("%dx%d", sizes[i].w, sizes[i].h);
      gsize size = (gsize) sizes[i].w * sizes[i].h * 4;

      run_fake (sizes[i].w, sizes[i].h, FALSE, &ups, &latency, &unused);
      run_fake (sizes[i].w, sizes[i].h, TRUE, &ups_t, &latency_t, &texture_t);
      sock = measure_socket_ms (size);
      copy = measure_memcpy_ms (size);

      g_print ("%-10s %10.0f %10.2f %9.2f %10.2f %10.0f %9.2f %9.2f\n", label, ups, latency,
               texture_t, latency + texture_t, ups_t, sock, copy);
    }

  g_print ("\n  updates/s:      HvVnc alone, as fast as the server sends"
           "\n  recv->decoded:  from the server starting to send an update to HvVnc's"
           " frame-done\n                  (socket transfer, libvncclient's raw decoder)"
           "\n  texture:        the console's GdkMemoryTexture of the frame (one copy, opaque)"
           "\n  recv->frame:    the two: an update received until its frame is ready to draw"
           "\n                  (GTK's upload to the GPU comes on top; that needs a display)"
           "\n  frames/s:       HvVnc and a texture per update, as fast as the server sends"
           "\n  socket:         the same pixels through a local socket, nothing else"
           "\n  memcpy:         a plain copy of the same pixels\n"
           "\n  QEMU's ceiling: one update per 30 ms (about 33 updates/s); target: keep up at"
           "\n  1920x1080 and add < 5 ms per frame.\n\n");
}

/* ── Part 2: real QEMU, time to the first full screen per encoding ────────────────────── */

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

typedef struct
{
  guint    frames;
  gboolean done;
} FirstFrame;

static void
on_first_frame (HvVnc      *vnc,
                FirstFrame *f)
{
  f->frames++;
}

static void
on_qemu_disconnected (HvVnc        *vnc,
                      const GError *error,
                      FirstFrame   *f)
{
  f->done = TRUE;
}

/* Connects, waits for the first complete update (the whole screen) and closes; in ms, or a
 * negative number when it did not work. */
static double
time_first_frame (const char *socket_path,
                  const char *encodings,
                  int        *width,
                  int        *height)
{
  g_autoptr(HvVnc) vnc = hv_vnc_new ();
  FirstFrame f = { 0 };
  gint64 start, deadline;
  int fd = connect_unix (socket_path);

  if (fd < 0)
    return -1;
  g_signal_connect (vnc, "frame-done", G_CALLBACK (on_first_frame), &f);
  g_signal_connect (vnc, "disconnected", G_CALLBACK (on_qemu_disconnected), &f);
  hv_vnc_set_encodings (vnc, encodings);

  start = g_get_monotonic_time ();
  deadline = start + 10 * G_USEC_PER_SEC;
  if (!hv_vnc_open_fd (vnc, fd, NULL))
    return -1;
  while (f.frames == 0 && !f.done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (f.frames == 0)
    return -1;
  *width = hv_vnc_get_width (vnc);
  *height = hv_vnc_get_height (vnc);
  hv_vnc_close (vnc);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
measure_encodings (const char  *socket_path,
                   const char **encodings,
                   guint        n_encodings)
{
  for (guint i = 0; i < n_encodings; i++)
    {
      double times[QEMU_CONNECTS];
      int w = 0, h = 0;
      guint n = 0;
      g_autofree char *screen = NULL;

      for (guint k = 0; k < QEMU_CONNECTS; k++)
        {
          double t = time_first_frame (socket_path, encodings[i], &w, &h);

          if (t >= 0)
            times[n++] = t;
        }
      if (n == 0)
        {
          g_print ("%-24s %12s %10s\n", encodings[i], "-", "failed");
          continue;
        }
      qsort (times, n, sizeof times[0], compare_doubles);
      screen = g_strdup_printf ("%dx%d", w, h);
      g_print ("%-24s %12s %10.2f\n", encodings[i], screen, times[n / 2]);
    }
}

static void
press_key (HvVnc   *vnc,
           guint32  keysym,
           guint    evdev)
{
  hv_vnc_send_key (vnc, keysym, hv_keymap_evdev_to_qnum (evdev), TRUE);
  hv_vnc_send_key (vnc, keysym, hv_keymap_evdev_to_qnum (evdev), FALSE);
}

/* Lower-case letters, digits, space, '_' and newline, by scancode. */
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
    }
}

/* Types GRUB's video test at its menu and waits for its 1024×768 picture (a red square at
 * the top left). */
static gboolean
show_videotest (const char *socket_path)
{
  g_autoptr(HvVnc) vnc = hv_vnc_new ();
  FirstFrame f = { 0 };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  int fd = connect_unix (socket_path);

  if (fd < 0 || !hv_vnc_open_fd (vnc, fd, NULL))
    return FALSE;
  g_signal_connect (vnc, "frame-done", G_CALLBACK (on_first_frame), &f);
  g_signal_connect (vnc, "disconnected", G_CALLBACK (on_qemu_disconnected), &f);
  while (f.frames == 0 && !f.done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (f.frames == 0)
    return FALSE;

  press_key (vnc, 'c', KEY_C);
  type_text (vnc, "insmod all_video\n");
  type_text (vnc, "videotest 1024x768\n");

  while (!f.done && g_get_monotonic_time () < deadline)
    {
      gsize stride;
      const guint8 *fb = hv_vnc_get_framebuffer (vnc, &stride);

      if (hv_vnc_get_width (vnc) == 1024 && hv_vnc_get_height (vnc) == 768
          && fb[50 * stride + 50 * 4 + 2] > 0xf0 && fb[50 * stride + 50 * 4 + 1] < 0x10)
        {
          hv_vnc_close (vnc);
          return TRUE;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  return FALSE;
}

static void
bench_qemu (void)
{
  static const char *encodings[] = { "raw", "tight zrle hextile raw", "zrle raw", "hextile raw" };
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *dir = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *vnc_arg = NULL;
  g_autoptr(GError) error = NULL;
  GPid pid;
  gint64 deadline;

  g_print ("Console, real QEMU (TCG): connect to the first complete screen, median of %d\n\n",
           QEMU_CONNECTS);
  if (qemu == NULL || !g_file_test (GRUB_ISO, G_FILE_TEST_EXISTS))
    {
      g_print ("  skipped: needs qemu-system-x86_64 and " GRUB_ISO "\n");
      return;
    }

  dir = g_dir_make_tmp ("hv-bench-console-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  socket_path = g_build_filename (dir, "vnc.sock", NULL);
  vnc_arg = g_strdup_printf ("unix:%s", socket_path);
  {
    const char *argv[] = {
      qemu, "-nodefaults", "-no-user-config", "-machine", "pc,accel=tcg", "-m", "64",
      "-vga", "std", "-display", "none", "-vnc", vnc_arg,
      "-cdrom", GRUB_ISO, "-boot", "d", NULL
    };

    if (!g_spawn_async (NULL, (char **) argv, NULL,
                        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                        | G_SPAWN_STDERR_TO_DEV_NULL,
                        child_setup, NULL, &pid, &error))
      g_error ("%s", error->message);
  }

  /* GRUB's menu is up when the screen is 720×400 with text on it; give it 60 s. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  for (;;)
    {
      int w = 0, h = 0;

      if (time_first_frame (socket_path, "raw", &w, &h) >= 0 && w == 720 && h == 400)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_print ("  skipped: GRUB's menu did not show up\n");
          goto out;
        }
      g_usleep (G_USEC_PER_SEC / 2);
    }
  /* Past the BIOS and GRUB's own start. */
  g_usleep (3 * G_USEC_PER_SEC);

  g_print ("%-24s %12s %10s\n", "encodings", "screen", "ms");
  measure_encodings (socket_path, encodings, G_N_ELEMENTS (encodings));
  if (show_videotest (socket_path))
    measure_encodings (socket_path, encodings, G_N_ELEMENTS (encodings));
  else
    g_print ("  (GRUB's video test did not show up)\n");
  g_print ("\n  (the handshake, QEMU encoding the whole screen, the transfer and our decoding;"
           "\n   the first encoding listed is the one QEMU uses)\n");

out:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
  g_unlink (socket_path);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  gboolean skip_qemu = FALSE;
  const GOptionEntry entries[] = {
    { "no-qemu", 0, 0, G_OPTION_ARG_NONE, &skip_qemu, "Skip the part with a real QEMU", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— the console's cost per frame");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-console: %s\n", error->message);
      return 2;
    }

  bench_client_side ();
  if (!skip_qemu)
    bench_qemu ();
  return 0;
}
