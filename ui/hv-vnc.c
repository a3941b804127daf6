/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vnc.c: an RFB session with QEMU's VNC server, on libvncclient.
 *
 * libvncclient is written for a viewer that owns its socket and blocks in a loop. We use
 * its pieces instead of rfbInitClient(), which would connect a socket of its own:
 *
 *   - the handshake (version, security, ServerInit) and SetEncodings run in a worker
 *     thread, because libvncclient reads each step with blocking reads; the main loop
 *     stays free and hv_vnc_close() aborts a stuck handshake by shutting the socket down;
 *   - then, back in the caller's main context, the framebuffer is allocated, a full update
 *     is requested and a GSource on the socket hands each server message to
 *     HandleRFBServerMessage(), which also asks for the next incremental update after
 *     every FramebufferUpdate.
 *
 * A session (HvVncSession) lives from hv_vnc_open_fd() until its socket is closed. It
 * outlives its HvVnc's interest in it while libvncclient is still on the stack (a
 * handshake thread, or a signal handler that closes the console from inside a
 * libvncclient callback), so that its rfbClient is freed only when nothing uses it. */

#include "hv-vnc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <rfb/rfbclient.h>

/* The largest framebuffer a server may ask for: 16384 × 16384 × 4 bytes would be 1 GiB;
 * QEMU's own limit for a display is 16384 wide, and real guests stay far below 8K. */
#define MAX_FB_SIDE 16384
#define MAX_FB_PIXELS (8192 * 8192)

/* How long the handshake may take before we give up on the server. */
#define HANDSHAKE_TIMEOUT_S 10

/* How long libvncclient may wait for the rest of a message it has started to read (only
 * on a non-blocking socket, which we use once connected). A local QEMU never stalls that
 * long; this only keeps a broken server from freezing the main loop for ever. */
#define READ_TIMEOUT_S 5

/* QEMU's VNC server speaks all of these; it uses the first. Raw: over a local socket a
 * whole screen arrives within a millisecond of any compressing encoding (about 1 ms for
 * GRUB's screens; hextile, best on such plain screens, saves half of it; see
 * bench/hv-bench-console.c), and QEMU spends no CPU compressing busy screens, CPU that a
 * TCG guest competes for. A raw 1920×1080 update costs us about 3 ms. */
#define DEFAULT_ENCODINGS "raw tight zrle hextile copyrect"

typedef enum {
  SESSION_HANDSHAKE,
  SESSION_CONNECTED,
  SESSION_CLOSED,
} SessionState;

typedef struct {
  HvVnc        *vnc;           /* borrowed; NULL once closed */
  rfbClient    *client;        /* owned; its socket too */
  int           fd;            /* client->sock, kept for shutdown() from the main thread */
  GSource      *source;        /* owned; the socket watch once connected */
  GSource      *timeout;       /* owned; the handshake timer */
  SessionState  state;
  gboolean      timed_out;
  guint         busy;          /* libvncclient runs on it (thread or dispatch): free later */
} HvVncSession;

struct _HvVnc
{
  GObject       parent_instance;

  HvVncSession *session;       /* owned (shared with a thread or a dispatch while busy) */
  char         *encodings;

  guint8       *framebuffer;   /* also the client's frameBuffer; kept after close */
  int           width;
  int           height;
};

G_DEFINE_FINAL_TYPE (HvVnc, hv_vnc, G_TYPE_OBJECT)

enum {
  SIGNAL_CONNECTED,
  SIGNAL_RESIZED,
  SIGNAL_UPDATED,
  SIGNAL_FRAME_DONE,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The address of this variable tags our data in rfbClient's client data list. */
static const char session_tag = 0;

/* libvncclient reports its errors through two global printf-like hooks, without saying
 * which client they concern. Each thread keeps the last message it produced, so that a
 * failed call can be turned into a GError with the reason in it. */
static GPrivate last_message = G_PRIVATE_INIT (g_free);

static void
capture_message (const char *format,
                 ...)
{
  va_list args;
  char *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_strchomp (message);
  g_private_replace (&last_message, message);
}

static GError *
session_error (HvVncSession *session,
               const char   *what)
{
  const char *reason = g_private_get (&last_message);
  char probe;

  if (session->timed_out)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "%s: the VNC server did not answer within %d seconds",
                        what, HANDSHAKE_TIMEOUT_S);

  /* An orderly close by the server (QEMU quit or the VM was reset) is worth telling
   * apart: a viewer reconnects after it. */
  if (recv (session->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                        "%s: the VNC server closed the connection", what);

  return g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
                      reason != NULL && reason[0] != '\0' ? reason : "protocol error");
}

static void
session_free (HvVncSession *session)
{
  g_assert (session->busy == 0);
  g_assert (session->source == NULL);
  g_assert (session->timeout == NULL);

  /* Closes the socket too. It does not free the framebuffer, which is ours. */
  session->client->frameBuffer = NULL;
  rfbClientCleanup (session->client);
  g_free (session);
}

static HvVncSession *
session_from_client (rfbClient *client)
{
  return rfbClientGetClientData (client, (void *) &session_tag);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Ends the current session: the HvVnc forgets it at once; it is freed now or, when
 * libvncclient still runs on it, by whoever runs it. */
static void
drop_session (HvVnc *self)
{
  HvVncSession *session = self->session;

  self->session = NULL;
  session->vnc = NULL;
  session->state = SESSION_CLOSED;
  clear_source (&session->timeout);
  clear_source (&session->source);

  /* Wakes a handshake thread blocked in read(). */
  shutdown (session->fd, SHUT_RDWR);

  if (session->busy == 0)
    session_free (session);
}

/* Ends the current session and emits "disconnected" with `error` (NULL for a close asked
 * by the user), once per session. */
static void
end_session (HvVnc  *self,
             GError *error)
{
  if (self->session == NULL)
    return;

  drop_session (self);
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
}

/* libvncclient callbacks, all in the main context (never during the handshake). */

static rfbBool
on_malloc_framebuffer (rfbClient *client)
{
  HvVncSession *session = session_from_client (client);
  HvVnc *self = session->vnc;
  gsize size;

  if (session->state != SESSION_CONNECTED || self == NULL)
    return FALSE;

  /* The size comes from the server: bound it before allocating. */
  if (client->width <= 0 || client->height <= 0
      || client->width > MAX_FB_SIDE || client->height > MAX_FB_SIDE
      || (gint64) client->width * client->height > MAX_FB_PIXELS)
    {
      capture_message ("The VNC server asked for an unsupported screen size of %d×%d",
                       client->width, client->height);
      return FALSE;
    }

  size = (gsize) client->width * client->height * 4;
  g_clear_pointer (&self->framebuffer, g_free);
  self->framebuffer = g_try_malloc0 (size);
  if (self->framebuffer == NULL)
    {
      capture_message ("Out of memory for a %d×%d screen", client->width, client->height);
      self->width = self->height = 0;
      return FALSE;
    }
  client->frameBuffer = self->framebuffer;
  self->width = client->width;
  self->height = client->height;

  g_signal_emit (self, signals[SIGNAL_RESIZED], 0, self->width, self->height);
  return TRUE;
}

static void
on_got_framebuffer_update (rfbClient *client,
                           int        x,
                           int        y,
                           int        w,
                           int        h)
{
  HvVncSession *session = session_from_client (client);

  if (session->state == SESSION_CONNECTED && session->vnc != NULL)
    g_signal_emit (session->vnc, signals[SIGNAL_UPDATED], 0, x, y, w, h);
}

static void
on_finished_framebuffer_update (rfbClient *client)
{
  HvVncSession *session = session_from_client (client);

  if (session->state == SESSION_CONNECTED && session->vnc != NULL)
    g_signal_emit (session->vnc, signals[SIGNAL_FRAME_DONE], 0);
}

/* QEMU's VNC server has no password on our private socket; never ask anyone for one
 * (libvncclient's default reads it from the terminal). */
static char *
on_get_password (rfbClient *client)
{
  capture_message ("The VNC server asks for a password");
  return NULL;
}

/* The socket watch: hand every complete message to libvncclient. */
static gboolean
on_socket_ready (int          fd,
                 GIOCondition condition,
                 gpointer     user_data)
{
  HvVncSession *session = user_data;
  g_autoptr(HvVnc) self = g_object_ref (session->vnc);
  gboolean ok = TRUE;

  session->busy++;
  /* libvncclient reads ahead into its own buffer: messages already buffered do not make
   * the socket readable again, so handle them all before going back to the loop. */
  do
    ok = HandleRFBServerMessage (session->client);
  while (ok && session->state == SESSION_CONNECTED && session->client->buffered > 0);
  session->busy--;

  if (session->state == SESSION_CLOSED)
    {
      /* A handler closed the console while libvncclient was running. */
      if (session->busy == 0)
        session_free (session);
      return G_SOURCE_REMOVE;
    }

  if (!ok)
    {
      g_autoptr(GError) error = session_error (session, "The console connection failed");

      end_session (self, error);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

/* The encodings we ask for: `names` (libvncclient's syntax, preferred first) and the
 * pseudo-encodings a QEMU console needs.
 *
 * Sent after libvncclient's own SetEncodings, which it replaces: libvncclient 0.9.14
 * announces ExtendedDesktopSize and then ignores the resizes QEMU sends that way (it
 * takes QEMU's screen id 0 for an invalid screen, keeps the old size and fails on the
 * next rectangle). With plain DesktopSize only, QEMU sends resizes that it handles. */
static gboolean
send_encodings (rfbClient  *client,
                const char *names)
{
  static const struct {
    const char *name;
    gint32      encoding;
  } known[] = {
    { "raw", rfbEncodingRaw },
    { "copyrect", rfbEncodingCopyRect },
    { "hextile", rfbEncodingHextile },
    { "zlib", rfbEncodingZlib },
    { "tight", rfbEncodingTight },
    { "zrle", rfbEncodingZRLE },
    { "zywrle", rfbEncodingZYWRLE },
  };
  static const gint32 pseudo[] = {
    (gint32) rfbEncodingNewFBSize,
    (gint32) rfbEncodingLastRect,
    (gint32) rfbEncodingQemuExtendedKeyEvent,
  };
  g_auto(GStrv) words = g_strsplit_set (names, " ,", -1);
  g_autoptr(GByteArray) message = g_byte_array_new ();
  guint16 count = 0;
  guint8 header[4] = { rfbSetEncodings, 0, 0, 0 };

  g_byte_array_append (message, header, sizeof header);
  for (guint i = 0; words[i] != NULL; i++)
    for (guint k = 0; k < G_N_ELEMENTS (known); k++)
      if (g_ascii_strcasecmp (words[i], known[k].name) == 0)
        {
          guint32 be = GUINT32_TO_BE ((guint32) known[k].encoding);

          g_byte_array_append (message, (guint8 *) &be, 4);
          count++;
        }
  for (guint k = 0; k < G_N_ELEMENTS (pseudo); k++)
    {
      guint32 be = GUINT32_TO_BE ((guint32) pseudo[k]);

      g_byte_array_append (message, (guint8 *) &be, 4);
      count++;
    }
  message->data[2] = count >> 8;
  message->data[3] = count & 0xff;

  return WriteToRFBServer (client, (const char *) message->data, message->len);
}

/* The handshake, in a worker thread: nothing here touches the HvVnc. */
static void
handshake_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  HvVncSession *session = task_data;

  g_private_replace (&last_message, NULL);

  if (!InitialiseRFBConnection (session->client))
    {
      g_task_return_error (task, session_error (session, "Could not open the console"));
      return;
    }

  /* Our pixel format, then the encodings we want (see send_encodings()). */
  if (!SetFormatAndEncodings (session->client)
      || !send_encodings (session->client, session->client->appData.encodingsString))
    {
      g_task_return_error (task, session_error (session, "Could not open the console"));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
handshake_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  HvVncSession *session = user_data;
  HvVnc *self = session->vnc;
  rfbClient *client = session->client;
  g_autoptr(GError) error = NULL;
  gboolean ok;
  int flags;

  if (session->state == SESSION_CLOSED)
    {
      /* Closed (or its HvVnc disposed) while the thread ran: "disconnected" was emitted
       * then, if at all. */
      session->busy--;
      session_free (session);
      return;
    }
  g_assert (self != NULL && self->session == session);
  clear_source (&session->timeout);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      session->busy--;
      end_session (self, error);
      return;
    }

  /* From here libvncclient reads in the main thread: a non-blocking socket lets it give
   * up on a stalled server after READ_TIMEOUT_S instead of blocking for ever. */
  flags = fcntl (session->fd, F_GETFL);
  if (flags >= 0)
    fcntl (session->fd, F_SETFL, flags | O_NONBLOCK);
  client->readTimeout = READ_TIMEOUT_S;

  session->state = SESSION_CONNECTED;
  client->width = client->si.framebufferWidth;
  client->height = client->si.framebufferHeight;
  client->updateRect.x = client->updateRect.y = 0;
  client->updateRect.w = client->width;
  client->updateRect.h = client->height;
  g_private_replace (&last_message, NULL);

  /* Still busy: a "resized" handler may close the console under us. */
  ok = client->MallocFrameBuffer (client)
       && session->state == SESSION_CONNECTED
       && SendFramebufferUpdateRequest (client, 0, 0, client->width, client->height, FALSE);
  session->busy--;

  if (session->state == SESSION_CLOSED)
    {
      session_free (session);
      return;
    }
  if (!ok)
    {
      error = session_error (session, "Could not open the console");
      end_session (self, error);
      return;
    }

  session->source = g_unix_fd_source_new (session->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (session->source, G_SOURCE_FUNC (on_socket_ready), session, NULL);
  g_source_set_static_name (session->source, "[hostvisor] VNC");
  g_source_attach (session->source, g_main_context_get_thread_default ());

  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  HvVncSession *session = user_data;

  clear_source (&session->timeout);
  session->timed_out = TRUE;
  /* The thread's read fails and handshake_done() reports the timeout. */
  shutdown (session->fd, SHUT_RDWR);
  return G_SOURCE_REMOVE;
}

gboolean
hv_vnc_open_fd (HvVnc   *self,
                int      fd,
                GError **error)
{
  HvVncSession *session;
  rfbClient *client;
  g_autoptr(GTask) task = NULL;

  g_return_val_if_fail (HV_IS_VNC (self), FALSE);
  g_return_val_if_fail (fd >= 0, FALSE);

  if (self->session != NULL)
    {
      close (fd);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           "The console is already open");
      return FALSE;
    }

  /* 8 bits a colour, 3 colours, 4 bytes a pixel: red at bit 16, green 8, blue 0 of a
   * little-endian 32-bit word, i.e. B, G, R, X in memory, which GDK and SDL take as is. */
  client = rfbGetClient (8, 3, 4);
  if (client == NULL)
    {
      close (fd);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "Could not create a VNC client");
      return FALSE;
    }
  client->format.bigEndian = FALSE;
  client->format.redShift = 16;
  client->format.greenShift = 8;
  client->format.blueShift = 0;

  /* rfbInitClient() would connect a socket of its own (to serverHost): we never call it,
   * and run its steps on ours. */
  client->sock = fd;
  client->programName = "hostvisor";
  client->appData.encodingsString = self->encodings;
  client->appData.useRemoteCursor = FALSE;
  /* No size pseudo-encodings in libvncclient's SetEncodings: send_encodings() asks for
   * the one that works. libvncclient handles DesktopSize rectangles whatever this says. */
  client->canHandleNewFBSize = FALSE;
  client->MallocFrameBuffer = on_malloc_framebuffer;
  client->GotFrameBufferUpdate = on_got_framebuffer_update;
  client->FinishedFrameBufferUpdate = on_finished_framebuffer_update;
  client->GetPassword = on_get_password;

  session = g_new0 (HvVncSession, 1);
  session->vnc = self;
  session->client = client;
  session->fd = fd;
  session->state = SESSION_HANDSHAKE;
  rfbClientSetClientData (client, (void *) &session_tag, session);
  self->session = session;

  session->timeout = g_timeout_source_new_seconds (HANDSHAKE_TIMEOUT_S);
  g_source_set_callback (session->timeout, on_handshake_timeout, session, NULL);
  g_source_set_static_name (session->timeout, "[hostvisor] VNC handshake timeout");
  g_source_attach (session->timeout, g_main_context_get_thread_default ());

  /* The task does not hold the HvVnc: dropping it during the handshake disposes it,
   * which shuts the socket down and ends the thread; handshake_done() then frees the
   * session. */
  task = g_task_new (NULL, NULL, handshake_done, session);
  g_task_set_source_tag (task, hv_vnc_open_fd);
  g_task_set_task_data (task, session, NULL);
  session->busy++;
  g_task_run_in_thread (task, handshake_thread);

  return TRUE;
}

void
hv_vnc_close (HvVnc *self)
{
  g_return_if_fail (HV_IS_VNC (self));

  end_session (self, NULL);
}

gboolean
hv_vnc_is_connected (HvVnc *self)
{
  g_return_val_if_fail (HV_IS_VNC (self), FALSE);

  return self->session != NULL && self->session->state == SESSION_CONNECTED;
}

int
hv_vnc_get_width (HvVnc *self)
{
  g_return_val_if_fail (HV_IS_VNC (self), 0);

  return self->width;
}

int
hv_vnc_get_height (HvVnc *self)
{
  g_return_val_if_fail (HV_IS_VNC (self), 0);

  return self->height;
}

const guint8 *
hv_vnc_get_framebuffer (HvVnc *self,
                        gsize *stride)
{
  g_return_val_if_fail (HV_IS_VNC (self), NULL);

  if (stride != NULL)
    *stride = (gsize) self->width * 4;
  return self->framebuffer;
}

void
hv_vnc_set_encodings (HvVnc      *self,
                      const char *encodings)
{
  g_return_if_fail (HV_IS_VNC (self));
  g_return_if_fail (encodings != NULL);

  g_free (self->encodings);
  self->encodings = g_strdup (encodings);
}

static rfbClient *
connected_client (HvVnc *self)
{
  if (self->session == NULL || self->session->state != SESSION_CONNECTED)
    return NULL;
  return self->session->client;
}

void
hv_vnc_send_key (HvVnc   *self,
                 guint32  keysym,
                 guint32  scancode,
                 gboolean down)
{
  rfbClient *client;

  g_return_if_fail (HV_IS_VNC (self));

  client = connected_client (self);
  if (client == NULL)
    return;

  /* SendExtendedKeyEvent() fails without sending when the server has not announced
   * QEMU's extended key events (libvncclient asks for them in SetEncodings); the keysym
   * alone is then the best we can do. A write error shows up as the socket closing. */
  if (scancode != 0 && SendExtendedKeyEvent (client, keysym, scancode, down))
    return;
  if (keysym != 0)
    SendKeyEvent (client, keysym, down);
}

void
hv_vnc_send_pointer (HvVnc *self,
                     int    x,
                     int    y,
                     guint  buttons)
{
  rfbClient *client;

  g_return_if_fail (HV_IS_VNC (self));

  client = connected_client (self);
  if (client == NULL || self->width <= 0 || self->height <= 0)
    return;

  SendPointerEvent (client, CLAMP (x, 0, self->width - 1), CLAMP (y, 0, self->height - 1),
                    buttons & 0xff);
}

void
hv_vnc_send_ctrl_alt_del (HvVnc *self)
{
  g_return_if_fail (HV_IS_VNC (self));

  /* Left Ctrl, left Alt, Delete (e0 53), by scancode and keysym. */
  hv_vnc_send_key (self, 0xffe3, 0x1d, TRUE);
  hv_vnc_send_key (self, 0xffe9, 0x38, TRUE);
  hv_vnc_send_key (self, 0xffff, 0xd3, TRUE);
  hv_vnc_send_key (self, 0xffff, 0xd3, FALSE);
  hv_vnc_send_key (self, 0xffe9, 0x38, FALSE);
  hv_vnc_send_key (self, 0xffe3, 0x1d, FALSE);
}

HvVnc *
hv_vnc_new (void)
{
  return g_object_new (HV_TYPE_VNC, NULL);
}

static void
hv_vnc_dispose (GObject *object)
{
  HvVnc *self = HV_VNC (object);

  /* No "disconnected" from a dying object. */
  if (self->session != NULL)
    drop_session (self);

  G_OBJECT_CLASS (hv_vnc_parent_class)->dispose (object);
}

static void
hv_vnc_finalize (GObject *object)
{
  HvVnc *self = HV_VNC (object);

  g_free (self->framebuffer);
  g_free (self->encodings);

  G_OBJECT_CLASS (hv_vnc_parent_class)->finalize (object);
}

static void
hv_vnc_class_init (HvVncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  struct sigaction action;

  object_class->dispose = hv_vnc_dispose;
  object_class->finalize = hv_vnc_finalize;

  signals[SIGNAL_CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RESIZED] =
    g_signal_new ("resized", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_UPDATED] =
    g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_FRAME_DONE] =
    g_signal_new ("frame-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /* Library code does not log: libvncclient's messages become the text of our errors. */
  rfbClientLog = capture_message;
  rfbClientErr = capture_message;

  /* libvncclient writes with write(), not send (MSG_NOSIGNAL): a key pressed just as the
   * VM quits would kill the whole app with SIGPIPE. Ignore it unless the program chose
   * a disposition of its own; the write error then ends the session like EOF does. */
  if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
    signal (SIGPIPE, SIG_IGN);
}

static void
hv_vnc_init (HvVnc *self)
{
  self->encodings = g_strdup (DEFAULT_ENCODINGS);
}
