/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-splice.c: see hv-splice.h. */
#include "hv-splice.h"

#include <errno.h>
#include <sys/socket.h>

#include <glib-unix.h>

/* Per direction. 128 KiB lets one send() fill a TCP window on loopback and in a network
 * namespace; GLib's own g_io_stream_splice_async() copies 8 KiB at a time and ties the two
 * directions' ends together. */
#define BUFFER_SIZE (128 * 1024)
/* Rounds of read and write before a direction lets the main loop run again. */
#define MAX_ROUNDS 16

typedef struct {
  HvSplice *splice;
  int from;
  int to;
  char *buffer;
  gsize length;            /* bytes in buffer */
  gsize offset;            /* of them, already written */
  guint source;
  gboolean ended;          /* EOF read, everything written, SHUT_WR sent */
} Direction;

struct _HvSplice {
  GSocketConnection *conn[2];
  Direction dir[2];
  HvSpliceDoneFunc done;
  gpointer user_data;
};

static gboolean direction_run (int fd, GIOCondition condition, gpointer user_data);

void
hv_splice_free (HvSplice *self)
{
  if (self == NULL)
    return;
  for (int i = 0; i < 2; i++)
    {
      g_clear_handle_id (&self->dir[i].source, g_source_remove);
      g_free (self->dir[i].buffer);
      /* The last reference: GIOStream's dispose closes the socket. */
      g_clear_object (&self->conn[i]);
    }
  g_free (self);
}

static void
splice_end (HvSplice *self)
{
  if (self->done != NULL)
    self->done (self, self->user_data);
  hv_splice_free (self);
}

/* Waits for the direction's next step: room on @to while bytes wait, else data on @from. */
static void
direction_wait (Direction *d)
{
  gboolean writing = d->offset < d->length;

  d->source = g_unix_fd_add (writing ? d->to : d->from, writing ? G_IO_OUT : G_IO_IN,
                             direction_run, d);
}

static gboolean
direction_run (int          fd,
               GIOCondition condition,
               gpointer     user_data)
{
  Direction *d = user_data;
  HvSplice *self = d->splice;

  d->source = 0;
  for (int round = 0; round < MAX_ROUNDS; round++)
    {
      ssize_t n;

      if (d->offset < d->length)
        {
          n = send (d->to, d->buffer + d->offset, d->length - d->offset, MSG_NOSIGNAL);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
          if (n < 0)
            {
              /* The far side reset or went away: so does the other. */
              splice_end (self);
              return G_SOURCE_REMOVE;
            }
          d->offset += (gsize) n;
          continue;
        }
      d->offset = d->length = 0;
      n = recv (d->from, d->buffer, BUFFER_SIZE, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0)
        {
          splice_end (self);
          return G_SOURCE_REMOVE;
        }
      if (n == 0)
        {
          /* This direction is over: say so to the other side, and keep the other
           * direction going until it ends too. */
          shutdown (d->to, SHUT_WR);
          d->ended = TRUE;
          if (self->dir[0].ended && self->dir[1].ended)
            splice_end (self);
          return G_SOURCE_REMOVE;
        }
      d->length = (gsize) n;
    }
  direction_wait (d);
  return G_SOURCE_REMOVE;
}

HvSplice *
hv_splice_new (GSocketConnection *a,
               GSocketConnection *b,
               HvSpliceDoneFunc   done,
               gpointer           user_data)
{
  HvSplice *self = g_new0 (HvSplice, 1);
  int fd[2];

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (a) && G_IS_SOCKET_CONNECTION (b), NULL);

  self->conn[0] = g_object_ref (a);
  self->conn[1] = g_object_ref (b);
  self->done = done;
  self->user_data = user_data;
  /* GSocket keeps its fd non-blocking whatever its "blocking" property says. */
  fd[0] = g_socket_get_fd (g_socket_connection_get_socket (a));
  fd[1] = g_socket_get_fd (g_socket_connection_get_socket (b));
  for (int i = 0; i < 2; i++)
    {
      self->dir[i].splice = self;
      self->dir[i].from = fd[i];
      self->dir[i].to = fd[1 - i];
      self->dir[i].buffer = g_malloc (BUFFER_SIZE);
      direction_wait (&self->dir[i]);
    }
  return self;
}
