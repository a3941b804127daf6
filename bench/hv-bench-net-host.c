/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-net-host.c: the host's side of one guest's run, in a thread while the guest boots:
 * (the guest's `dd | nc` to a sink of the host), the host's bytes to the guest's `nc -l`,
 * a file fetched from the guest's httpd (guest → host, sent by httpd's sendfile), then HTTP
 * requests (connect, GET, read to the end, close) for the connection rate, then "done".
 * The guest is reached through forwarded ports on 127.0.0.1 or, for a baseline, directly
 * through sockets of the namespace it is in. Throughput is timed on the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv-bench-net.h"

guint16
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  guint16 port = 0;

  if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
      getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
    port = ntohs (addr.sin_port);
  if (fd >= 0)
    close (fd);
  return port;
}

int
listen_loopback (guint16 *port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 4) != 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  *port = ntohs (addr.sin_port);
  return fd;
}

/* A connection to the guest's @guest_port: a forwarded port, or directly in its namespace. */
/* Every socket waits 1 s at most per call, so that Ctrl-C is seen; a call that timed out is
 * tried again until HOST_IO_TIMEOUT_S have passed since @t0. */
static gboolean
again (gint64 t0)
{
  return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !interrupted &&
         g_get_monotonic_time () - t0 < (gint64) HOST_IO_TIMEOUT_S * G_USEC_PER_SEC;
}

static ssize_t
read_some (int fd, void *buf, size_t len)
{
  gint64 t0 = g_get_monotonic_time ();
  ssize_t n;

  while ((n = read (fd, buf, len)) < 0 && again (t0))
    ;
  return n;
}

static ssize_t
send_some (int fd, const void *buf, size_t len)
{
  gint64 t0 = g_get_monotonic_time ();
  ssize_t n;

  while ((n = send (fd, buf, len, MSG_NOSIGNAL)) < 0 && again (t0))
    ;
  return n;
}

static int
connect_guest (HostSide *h,
               int       guest_port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  struct timeval tv = { .tv_sec = 1 };
  int fd;

  if (h->ns != NULL)
    {
      fd = ns_holder_socket (h->ns);
      addr.sin_port = htons (guest_port);
      inet_pton (AF_INET, h->guest_ip, &addr.sin_addr);
    }
  else
    {
      fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      addr.sin_port = htons (guest_port == GUEST_TX_PORT ? h->fwd_tx
                             : guest_port == 80 ? h->fwd_http : h->fwd_done);
      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    }
  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static double
seconds_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1e6;
}

/* Guest → host: the guest's connection to the sink, read to its end. */
static gboolean
receive_from_guest (HostSide *h)
{
  struct timeval tv = { .tv_sec = 1 };
  static char buf[256 * 1024];
  guint64 total = 0;
  gint64 t0 = g_get_monotonic_time ();
  int fd;

  setsockopt (h->sink_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while ((fd = accept4 (h->sink_fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && again (t0))
    ;
  t0 = 0;
  if (fd < 0)
    {
      h->error = g_strdup_printf ("the guest never connected to the host: %s", g_strerror (errno));
      return FALSE;
    }
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (;;)
    {
      ssize_t n = read_some (fd, buf, sizeof buf);

      if (n <= 0)
        break;
      if (t0 == 0)
        t0 = g_get_monotonic_time ();
      total += (guint64) n;
    }
  close (fd);
  if (total < (guint64) size_mib * 1024 * 1024)
    {
      h->error = g_strdup_printf ("the guest sent %" G_GUINT64_FORMAT " bytes, not %d MiB", total,
                                  size_mib);
      return FALSE;
    }
  h->to_host_nc_mib_s = total / 1048576.0 / seconds_since (t0);
  return TRUE;
}

/* Host → guest: to the guest's `nc -l`; done when the guest has read everything and closed.
 * Until the guest listens, a forward accepts and drops the connection (a direct one is
 * refused): tried again then. */
static gboolean
send_to_guest (HostSide *h)
{
  static char buf[256 * 1024];
  gint64 deadline = g_get_monotonic_time () + (gint64) HOST_IO_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline && !interrupted)
    {
      guint64 left = (guint64) size_mib * 1024 * 1024;
      gint64 t0 = g_get_monotonic_time ();
      int fd = connect_guest (h, GUEST_TX_PORT);
      gboolean sent = fd >= 0;
      char c;

      while (sent && left > 0)
        {
          ssize_t n = send_some (fd, buf, MIN (left, sizeof buf));

          if (n <= 0)
            sent = FALSE;
          else
            left -= (guint64) n;
        }
      if (sent)
        {
          gboolean ok = FALSE;

          shutdown (fd, SHUT_WR);
          /* The guest answers "ok" and closes once it has read everything. */
          while (read_some (fd, &c, 1) > 0)
            ok = ok || c == 'o';
          close (fd);
          if (ok)
            {
              h->to_guest_mib_s = size_mib / seconds_since (t0);
              return TRUE;
            }
          g_usleep (200 * 1000);
          continue;
        }
      if (fd >= 0)
        close (fd);
      g_usleep (200 * 1000);
    }
  h->error = g_strdup ("the guest never took the host's bytes");
  return FALSE;
}

/* GET @path; the bytes of the body (after the header) go to *body. The body ends at its
 * Content-Length, as for any HTTP client (busybox httpd sends it): the end of the guest's side
 * of a connection does not reach the host through the engine's forward on a host-only network
 * until the host's side has ended too (see bench/README.md), so reading to the end would wait
 * for ever there. */
static gboolean
http_get (HostSide   *h,
          const char *path,
          guint64    *body,
          gboolean   *page)
{
  static __thread char buf[256 * 1024];
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.0\r\n\r\n", path);
  g_autoptr(GString) head = g_string_new (NULL);
  gboolean header = TRUE, ok = FALSE;
  gint64 length = -1;
  int fd = connect_guest (h, 80);
  ssize_t n;

  *body = 0;
  if (page != NULL)
    *page = FALSE;
  if (fd < 0)
    return FALSE;
  if (send_some (fd, request, strlen (request)) != (ssize_t) strlen (request))
    goto out;
  while ((length < 0 || *body < (guint64) length) && (n = read_some (fd, buf, sizeof buf)) > 0)
    {
      ssize_t at = 0;

      ok = TRUE;
      if (page != NULL && !*page)
        *page = memmem (buf, (size_t) n, "hostvisor tiny guest page", 25) != NULL;
      /* The header ends at the first "\r\n\r\n", which may straddle two reads. */
      while (header && at < n)
        {
          g_string_append_c (head, buf[at++]);
          if (g_str_has_suffix (head->str, "\r\n\r\n"))
            {
              g_autofree char *lower = g_ascii_strdown (head->str, -1);
              const char *cl = strstr (lower, "\ncontent-length:");

              header = FALSE;
              if (cl != NULL)
                length = g_ascii_strtoll (cl + 16, NULL, 10);
            }
        }
      *body += (guint64) (n - at);
    }
out:
  close (fd);
  return ok && (length < 0 || *body == (guint64) length);
}

/* Guest → host through httpd: the guest's /big, which its script made. */
static gboolean
fetch_from_guest (HostSide *h)
{
  guint64 body = 0;
  gint64 t0 = g_get_monotonic_time ();

  if (!http_get (h, "/big", &body, NULL) || body != (guint64) size_mib * 1024 * 1024)
    {
      h->error = g_strdup_printf ("fetching /big from the guest's httpd gave %" G_GUINT64_FORMAT
                                  " bytes, not %d MiB", body, size_mib);
      return FALSE;
    }
  h->to_host_http_mib_s = size_mib / seconds_since (t0);
  return TRUE;
}

static gboolean
request_rate (HostSide *h)
{
  g_autoptr(GError) error = NULL;
  gboolean page = FALSE;
  guint64 body;
  gint64 t0;

  /* Every socket of a namespace is made before the clock starts. */
  if (h->ns != NULL && !ns_holder_stock (h->ns, requests + 1, &error))
    {
      h->error = g_strdup (error->message);
      return FALSE;
    }
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < requests; i++)
    if (!http_get (h, "/index.html", &body, &page) || !page)
      {
        h->error = g_strdup_printf ("request %d to the guest's httpd failed", i + 1);
        return FALSE;
      }
  h->requests_s = requests / seconds_since (t0);
  return TRUE;
}

static gpointer
host_side_thread (gpointer data)
{
  HostSide *h = data;
  int fd;

  if ((h->sink_fd < 0 || receive_from_guest (h)) && send_to_guest (h) &&
      fetch_from_guest (h) && request_rate (h))
    {
      /* "Done": one byte, and the guest powers off. (Its `head -c 1` ends its side: the
       * end of a connection alone may not reach it through a forward.) */
      g_usleep (300 * 1000);
      fd = connect_guest (h, GUEST_DONE_PORT);
      if (fd >= 0)
        {
          send_some (fd, "x", 1);
          close (fd);
        }
    }
  return NULL;
}

GThread *
host_side_start (HostSide *h)
{
  return g_thread_new ("host-side", host_side_thread, h);
}

gboolean
host_side_finish (GThread   *thread,
                  HostSide  *h,
                  GError   **error)
{
  g_thread_join (thread);
  if (h->error != NULL)
    return fail (error, "%s", h->error);
  return TRUE;
}

void
host_side_clear (HostSide *h)
{
  if (h->sink_fd >= 0)
    close (h->sink_fd);
  h->sink_fd = -1;
  g_clear_pointer (&h->error, g_free);
}
