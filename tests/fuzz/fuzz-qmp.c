/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-qmp.c: libFuzzer target for the QMP reader (engine/hv-qmp.c): the splitting of the
 * monitor's byte stream into lines, the nesting bound, json-glib on every line, the greeting,
 * and the matching of replies and events, on what a QEMU taken over by its guest could send.
 *
 * The real HvQmp runs over a socketpair, as in the engine; this harness plays QEMU's end. The
 * first input byte is the size of the pieces the rest is written in (0: all at once), the
 * second picks what the client does once connected (bit 0: a command carrying a file
 * descriptor; bit 1: a command cancelled at once). Replies in the input address the client's
 * ids, which are "hv-1" (qmp_capabilities), "hv-2", "hv-3", ... in the order it sends. After
 * the input the harness closes its end.
 *
 * What must hold, whatever the bytes: the handshake completes exactly once; each command's
 * callback runs exactly once; the connection ends once with HV_ERROR_QEMU_FAILED (EOF or a
 * bad message) and nothing is read after that; events carry a UTF-8 name; a command sent after
 * the end fails at once; no main-loop spin (a bounded number of iterations per piece).
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-qmp.h"

#include "fuzz-glib.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A piece of input never needs more dispatches than this to be consumed. */
#define MAX_ITERATIONS 100000

typedef struct
{
  HvQmp   *qmp;
  GSocket *socket;            /* the client's end */
  guint    flags;
  guint    handshakes;
  guint    disconnects;
  guint    sent;
  guint    answered;
  gboolean handshake_ok;
} Run;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  hv_fuzz_abort_on_criticals ();
  return 0;
}

static void
check (gboolean    condition,
       const char *what)
{
  if (!condition)
    {
      g_printerr ("fuzz-qmp: check failed: %s\n", what);
      abort ();
    }
}

static void
on_command_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  run->answered++;
  check (run->answered <= run->sent, "each command is answered once");
  if (reply == NULL)
    check (g_error_matches (error, HV_ERROR, HV_ERROR_QEMU_FAILED) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED),
           "a failed command fails with QEMU_FAILED, CANCELLED or CLOSED");
  else
    check (error == NULL, "a reply comes without an error");
}

static void
send_command (Run          *run,
              const char   *command,
              int           fd,
              GCancellable *cancellable)
{
  run->sent++;
  hv_qmp_execute_async (run->qmp, command, NULL, fd, cancellable, on_command_done, run);
}

static void
on_event (HvQmp      *qmp,
          const char *name,
          JsonObject *data,
          gint64      usec,
          Run        *run)
{
  check (name != NULL && g_utf8_validate (name, -1, NULL), "an event has a UTF-8 name");
  check (usec >= 0, "an event's time is not negative");
  check (run->disconnects == 0, "no event after the end");
}

static void
on_disconnected (HvQmp        *qmp,
                 const GError *error,
                 Run          *run)
{
  run->disconnects++;
  check (run->disconnects == 1, "the connection ends once");
  check (g_error_matches (error, HV_ERROR, HV_ERROR_QEMU_FAILED),
         "the monitor's end is HV_ERROR_QEMU_FAILED");
  check (!hv_qmp_is_connected (qmp), "an ended connection says so");
}

static void
on_handshake (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  run->handshakes++;
  check (run->handshakes == 1, "the handshake completes once");
  run->qmp = hv_qmp_new_for_stream_finish (result, &error);
  if (run->qmp == NULL)
    {
      check (g_error_matches (error, HV_ERROR, HV_ERROR_QEMU_FAILED),
             "a failed handshake is HV_ERROR_QEMU_FAILED");
      return;
    }
  run->handshake_ok = TRUE;
  check (hv_qmp_is_connected (run->qmp), "a finished handshake is connected");
  g_signal_connect (run->qmp, "event", G_CALLBACK (on_event), run);
  g_signal_connect (run->qmp, "disconnected", G_CALLBACK (on_disconnected), run);

  /* hv-2 and hv-3, then the optional ones: replies in the input can find them. */
  send_command (run, "query-status", -1, NULL);
  send_command (run, "query-version", -1, NULL);
  if (run->flags & 1)
    {
      int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

      check (fd >= 0, "/dev/null opens");
      send_command (run, "getfd", fd, NULL);
      close (fd);
    }
  if (run->flags & 2)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      send_command (run, "cont", -1, cancellable);
      g_cancellable_cancel (cancellable);
    }
}

/* Reads and drops what the client sent (its commands), so its writes never block. */
static void
drain (int peer)
{
  char buf[4096];

  while (read (peer, buf, sizeof buf) > 0)
    ;
}

/* Dispatches until the client has consumed what it was sent and nothing is ready. */
static void
settle (GMainContext *context,
        Run          *run,
        int           peer)
{
  for (guint i = 0; i < MAX_ITERATIONS; i++)
    {
      if (peer >= 0)
        drain (peer);
      if (g_main_context_iteration (context, FALSE))
        continue;
      if (run->socket == NULL || g_socket_is_closed (run->socket) ||
          g_socket_get_available_bytes (run->socket) <= 0)
        return;
    }
  check (FALSE, "the client settles (no busy loop)");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  Run run = { 0 };
  size_t chunk;
  size_t off = 2;
  int sv[2];

  if (size < 2)
    return 0;
  chunk = data[0] == 0 ? size : data[0];
  run.flags = data[1];

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  check (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  check (fcntl (sv[1], F_SETFL, O_NONBLOCK) == 0, "non-blocking peer");
  run.socket = g_socket_new_from_fd (sv[0], NULL);
  check (run.socket != NULL, "a GSocket");
  connection = g_socket_connection_factory_create_connection (run.socket);

  hv_qmp_new_for_stream_async (G_IO_STREAM (connection), NULL, on_handshake, &run);
  settle (context, &run, sv[1]);

  while (off < size && run.disconnects == 0 && !(run.handshakes == 1 && !run.handshake_ok))
    {
      size_t len = MIN (size - off, chunk);
      ssize_t n = send (sv[1], data + off, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EAGAIN)
        n = 0;
      if (n < 0)
        break; /* the client closed its end: it gave up on this stream */
      off += (size_t) n;
      settle (context, &run, sv[1]);
    }

  /* QEMU goes away. */
  shutdown (sv[1], SHUT_WR);
  settle (context, &run, sv[1]);
  check (run.handshakes == 1, "the handshake ends, one way or the other");
  if (run.qmp != NULL)
    {
      check (run.disconnects == 1, "EOF ends the connection");
      check (run.answered == run.sent, "every command was answered by the end");
      /* After the end a command fails at once (on the next dispatch), not never. */
      send_command (&run, "query-status", -1, NULL);
      settle (context, &run, sv[1]);
      check (run.answered == run.sent, "a command after the end fails at once");
      g_clear_object (&run.qmp);
    }
  close (sv[1]);
  g_clear_object (&connection);
  g_clear_object (&run.socket);
  settle (context, &run, -1);

  g_main_context_pop_thread_default (context);
  return 0;
}
