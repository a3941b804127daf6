/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hostvisor-agent: the Hostvisor guest agent.
 *
 *   hostvisor-agent [--port PATH] [--foreground] [--verbose] [--mount-root DIR]
 *                   [--display DISPLAY|auto] [--wayland-display NAME|PATH|auto]
 *   hostvisor-agent --grant-display      (in the user's X session: see agent-x11.c)
 *
 * Talks to the engine over the virtio-serial port io.github.hostvisor.agent.0 with the protocol
 * of docs/agent-protocol.md: HELLO, heartbeats, GUEST_INFO (again whenever it changes), and the
 * host's shared folders mounted at /media/hostvisor/NAME, and the clipboard both ways: through
 * a Wayland compositor's data-control protocol ($WAYLAND_DISPLAY or --wayland-display) where it
 * offers one, else through an X display ($DISPLAY or --display). Single-threaded poll() loop;
 * linked statically so it runs in guests with no libraries at all.
 *
 * The port: while no host is connected to the chardev, poll() reports POLLHUP and read()
 * returns 0. We then drop the session, close the port and open it again with a back-off, and
 * start a new session (a fresh HELLO) once the hang-up is gone. A malformed frame ends the
 * session the same way.
 */
#include "agent.h"
#include "agent-wayland.h"
#include "agent-x11.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INFO_INTERVAL_MS 3000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* Our own writes queue while the host is slow; beyond this the host is not reading. */
#define MAX_PENDING_OUT (2u * (HV_AGENT_MAX_PAYLOAD + HV_AGENT_HEADER_SIZE))

bool agent_verbose;

static volatile sig_atomic_t quit_requested;

typedef struct
{
  const char *port_path;
  const char *mount_root;
  int fd;
  bool is_socket;
  HvAgentReader reader;
  HvAgentBuffer out;

  /* Session: from our HELLO to a hang-up or a malformed frame. */
  bool hello_sent;
  bool peer_hello;
  uint8_t version; /* the session major, once both HELLOs are known */
  uint32_t peer_caps;
  HvAgentBuffer last_info; /* the last GUEST_INFO frame sent, to send changes only */
  const char *x11_display; /* NULL: no X display */
  AgentX11 *x11;           /* only while X11 is the clipboard in use */
  AgentWayland *wayland;   /* NULL: no Wayland display */
  uint32_t guest_serial;   /* serial of our latest CLIPBOARD_OFFER */
  uint32_t host_serial;    /* serial of the host's latest CLIPBOARD_OFFER */
  uint32_t host_types;     /* its types, while it is the latest: HV_AGENT_CAP_CLIPBOARD_* */
  int64_t next_info_ms;
  unsigned backoff_ms;
} Agent;

static void
vlog (const char *fmt, va_list ap)
{
  fprintf (stderr, "hostvisor-agent: ");
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
}

void
agent_log (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vlog (fmt, ap);
  va_end (ap);
}

void
agent_debug (const char *fmt, ...)
{
  va_list ap;

  if (!agent_verbose)
    return;
  va_start (ap, fmt);
  vlog (fmt, ap);
  va_end (ap);
}

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

  nanosleep (&ts, NULL);
}

static uint32_t
local_capabilities (Agent *agent)
{
  /* The kernel loads 9p/virtiofs on demand where it can; a share that cannot be mounted is
   * reported per share in SHARE_STATUS. The clipboard needs a display to reach. */
  uint32_t caps = HV_AGENT_CAP_GUEST_INFO | HV_AGENT_CAP_SHARES_9P | HV_AGENT_CAP_SHARES_VIRTIOFS;

  if (agent->x11_display != NULL || agent->wayland != NULL)
    caps |= HV_AGENT_CAP_CLIPBOARD_TEXT | HV_AGENT_CAP_CLIPBOARD_PNG;
  return caps;
}

static bool
clipboard_active (Agent *agent)
{
  return (agent->x11_display != NULL || agent->wayland != NULL) && agent->version != 0
         && (agent->peer_caps & (HV_AGENT_CAP_CLIPBOARD_TEXT | HV_AGENT_CAP_CLIPBOARD_PNG));
}

/* ------------------------------------------------------------------------------------------- */
/* Clipboard backends                                                                           */

/* Wayland data-control where the compositor offers it, else X11: XWayland applications share
 * the compositor's selection, and the X11 connection exists only while X11 is the one in use,
 * so that the two never hand the same selection to each other. With no X display, Wayland
 * keeps the host's content for the compositor it reconnects to. */
static bool
wayland_in_use (Agent *agent)
{
  return agent->wayland != NULL
         && (agent_wayland_connected (agent->wayland) || agent->x11_display == NULL);
}

static bool
clipboard_guest_data (Agent *agent, const char *mime, const uint8_t **data, uint32_t *size)
{
  if (wayland_in_use (agent))
    return agent_wayland_guest_data (agent->wayland, mime, data, size);
  return agent->x11 != NULL && agent_x11_guest_data (agent->x11, mime, data, size);
}

static void
clipboard_host_reset (Agent *agent)
{
  if (agent->wayland != NULL)
    agent_wayland_host_reset (agent->wayland);
  if (agent->x11 != NULL)
    agent_x11_host_reset (agent->x11);
}

static void
clipboard_set_host (Agent *agent, const char *mime, const uint8_t *data, uint32_t size)
{
  if (wayland_in_use (agent))
    agent_wayland_set_host (agent->wayland, mime, data, size);
  else if (agent->x11 != NULL)
    agent_x11_set_host (agent->x11, mime, data, size);
}

/* Asks for the host's latest offer again, for the backend that just took over. */
static void
request_host_offer (Agent *agent)
{
  if (!clipboard_active (agent))
    return;
  if (agent->host_types & HV_AGENT_CAP_CLIPBOARD_TEXT)
    hv_agent_encode_clipboard_request (&agent->out, agent->version,
                                       &(HvAgentClipboardRequest) { agent->host_serial,
                                                                    HV_AGENT_MIME_TEXT });
  if (agent->host_types & HV_AGENT_CAP_CLIPBOARD_PNG)
    hv_agent_encode_clipboard_request (&agent->out, agent->version,
                                       &(HvAgentClipboardRequest) { agent->host_serial,
                                                                    HV_AGENT_MIME_PNG });
}

/* Opens or closes X11 as Wayland data-control comes and goes; true when it did. */
static bool
clipboard_pick (Agent *agent)
{
  bool wayland = wayland_in_use (agent);

  if (wayland && agent->x11 != NULL)
    {
      agent_log ("clipboard: Wayland data-control in use, X11 closed");
      agent_x11_free (agent->x11);
      agent->x11 = NULL;
    }
  else if (!wayland && agent->x11 == NULL && agent->x11_display != NULL)
    {
      if (agent->wayland != NULL)
        agent_log ("clipboard: no Wayland data-control, X11 in use");
      agent->x11 = agent_x11_new (agent->x11_display);
    }
  else
    return false;
  request_host_offer (agent);
  return true;
}

/* Offers the guest's current clipboard to the host (lazily: the bytes go on request). */
static void
send_guest_offer (Agent *agent)
{
  const char *types[2];
  uint16_t n = 0;
  const uint8_t *data;
  uint32_t size;
  HvAgentClipboardOffer offer;

  if (!clipboard_active (agent))
    return;
  if ((agent->peer_caps & HV_AGENT_CAP_CLIPBOARD_TEXT)
      && clipboard_guest_data (agent, HV_AGENT_MIME_TEXT, &data, &size))
    types[n++] = HV_AGENT_MIME_TEXT;
  if ((agent->peer_caps & HV_AGENT_CAP_CLIPBOARD_PNG)
      && clipboard_guest_data (agent, HV_AGENT_MIME_PNG, &data, &size))
    types[n++] = HV_AGENT_MIME_PNG;
  if (n == 0)
    return;
  offer = (HvAgentClipboardOffer) { ++agent->guest_serial, n, (char **) types };
  if (hv_agent_encode_clipboard_offer (&agent->out, agent->version, &offer) == HV_AGENT_OK)
    agent_debug ("sent CLIPBOARD_OFFER %u (%u types)", offer.serial, n);
}

/* ------------------------------------------------------------------------------------------- */
/* Connection                                                                                   */

static void
session_reset (Agent *agent)
{
  hv_agent_reader_reset (&agent->reader);
  agent->out.len = 0;
  agent->hello_sent = false;
  agent->peer_hello = false;
  agent->version = 0;
  agent->peer_caps = 0;
  agent->last_info.len = 0;
  agent->host_types = 0;
}

static void
disconnect (Agent *agent, const char *why)
{
  if (agent->fd >= 0)
    {
      agent_log ("session ended: %s", why);
      close (agent->fd);
      agent->fd = -1;
    }
  session_reset (agent);
}

static void
send_error (Agent *agent, uint32_t code, const char *message)
{
  HvAgentError err = { code, (char *) message };

  hv_agent_encode_error (&agent->out, agent->version ? agent->version : 1, &err);
}

/* Writes what is queued; returns false when the connection is gone. */
static bool
flush_out (Agent *agent)
{
  while (agent->out.len > 0)
    {
      ssize_t n = write (agent->fd, agent->out.data, agent->out.len);

      if (n > 0)
        {
          hv_agent_buffer_consume (&agent->out, (size_t) n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return true;
      return false; /* EPIPE and friends: no host */
    }
  return true;
}

static void
send_hello (Agent *agent, bool reply)
{
  HvAgentHello hello = {
    .major = HV_AGENT_PROTO_MAJOR,
    .minor = HV_AGENT_PROTO_MINOR,
    .role = HV_AGENT_ROLE_GUEST,
    .flags = reply ? HV_AGENT_HELLO_REPLY : 0,
    .capabilities = local_capabilities (agent),
    .software = "hostvisor-agent " AGENT_VERSION,
  };

  if (hv_agent_encode_hello (&agent->out, &hello) == HV_AGENT_OK)
    agent->hello_sent = true;
  agent_debug ("sent HELLO%s", reply ? " (reply)" : "");
}

static bool
buffer_append (HvAgentBuffer *buffer, const uint8_t *data, size_t len)
{
  if (buffer->len + len > buffer->cap)
    {
      uint8_t *grown = realloc (buffer->data, buffer->len + len);

      if (grown == NULL)
        return false;
      buffer->data = grown;
      buffer->cap = buffer->len + len;
    }
  memcpy (buffer->data + buffer->len, data, len);
  buffer->len += len;
  return true;
}

static void
send_info_if_changed (Agent *agent, bool force)
{
  HvAgentGuestInfo info;
  HvAgentBuffer frame = { 0 };
  HvAgentStatus status;

  if (agent->version == 0 || !(agent->peer_caps & HV_AGENT_CAP_GUEST_INFO))
    return;
  agent_info_collect (&info);
  status = hv_agent_encode_guest_info (&frame, agent->version, &info);
  hv_agent_guest_info_clear (&info);
  if (status != HV_AGENT_OK)
    {
      agent_log ("cannot encode GUEST_INFO: %s", hv_agent_status_to_string (status));
      hv_agent_buffer_clear (&frame);
      return;
    }
  if (!force && frame.len == agent->last_info.len
      && memcmp (frame.data, agent->last_info.data, frame.len) == 0)
    {
      hv_agent_buffer_clear (&frame);
      return;
    }
  if (!buffer_append (&agent->out, frame.data, frame.len))
    {
      hv_agent_buffer_clear (&frame);
      return;
    }
  agent_debug ("sent GUEST_INFO");
  hv_agent_buffer_clear (&agent->last_info);
  agent->last_info = frame;
}

/* ------------------------------------------------------------------------------------------- */
/* Messages from the host                                                                       */

/* Returns false when the frame ends the session. */
static bool
handle_frame (Agent *agent, const HvAgentFrame *frame)
{
  HvAgentMessage msg;
  HvAgentStatus status;

  if (frame->type != HV_AGENT_MSG_HELLO && !agent->peer_hello)
    {
      send_error (agent, HV_AGENT_ERROR_UNEXPECTED, "the first frame must be HELLO");
      return false;
    }
  if (frame->type != HV_AGENT_MSG_HELLO && frame->version != agent->version)
    {
      send_error (agent, HV_AGENT_ERROR_MALFORMED, "frame version is not the session's");
      return false;
    }

  status = hv_agent_message_decode (frame, &msg);
  if (status == HV_AGENT_ERR_UNKNOWN_TYPE)
    {
      agent_debug ("ignored a frame of unknown type 0x%04x", frame->type);
      return true;
    }
  if (status != HV_AGENT_OK)
    {
      agent_log ("malformed %s frame: %s", hv_agent_msg_type_to_string (frame->type),
                 hv_agent_status_to_string (status));
      send_error (agent, HV_AGENT_ERROR_MALFORMED, hv_agent_status_to_string (status));
      return false;
    }

  switch (msg.type)
    {
    case HV_AGENT_MSG_HELLO:
      {
        const HvAgentHello *hello = &msg.u.hello;
        bool restarted = agent->peer_hello;

        if (hello->role != HV_AGENT_ROLE_HOST)
          {
            send_error (agent, HV_AGENT_ERROR_UNEXPECTED, "the peer is not a host");
            hv_agent_message_clear (&msg);
            return false;
          }
        agent->version = (uint8_t) hv_agent_negotiate_major (HV_AGENT_PROTO_MAJOR, hello->major);
        agent->peer_caps = hello->capabilities;
        agent->peer_hello = true;
        agent_log ("connected to %s, protocol %u.%u, session version %u, host capabilities 0x%x",
                   hello->software, hello->major, hello->minor, agent->version,
                   hello->capabilities);
        /* A HELLO after the first one: the host restarted; answer unless it is an answer. */
        if (!agent->hello_sent || (restarted && !(hello->flags & HV_AGENT_HELLO_REPLY)))
          send_hello (agent, restarted);
        send_info_if_changed (agent, true);
        agent->next_info_ms = now_ms () + INFO_INTERVAL_MS;
        send_guest_offer (agent);
        break;
      }

    case HV_AGENT_MSG_HEARTBEAT:
      if (msg.u.heartbeat.reply == 0)
        {
          HvAgentHeartbeat pong = { msg.u.heartbeat.seq, 1 };

          hv_agent_encode_heartbeat (&agent->out, agent->version, &pong);
        }
      break;

    case HV_AGENT_MSG_ERROR:
      agent_log ("host reports error %u: %s", msg.u.error.code, msg.u.error.message);
      break;

    case HV_AGENT_MSG_SHARES:
      {
        HvAgentShareStatus st;

        agent_debug ("SHARES generation %u: %u shares", msg.u.shares.generation,
                     msg.u.shares.n_shares);
        agent_shares_apply (agent->mount_root, &msg.u.shares, &st);
        status = hv_agent_encode_share_status (&agent->out, agent->version, &st);
        if (status != HV_AGENT_OK)
          agent_log ("cannot encode SHARE_STATUS: %s", hv_agent_status_to_string (status));
        hv_agent_share_status_clear (&st);
        break;
      }

    case HV_AGENT_MSG_CLIPBOARD_OFFER:
      {
        const HvAgentClipboardOffer *offer = &msg.u.clipboard_offer;

        if (!clipboard_active (agent))
          break;
        /* Ask for the bytes at once, so the guest's selection can be served without waiting
         * on the host while an application is blocked in a paste. */
        agent->host_serial = offer->serial;
        agent->host_types = 0;
        clipboard_host_reset (agent);
        for (uint16_t i = 0; i < offer->n_types; i++)
          if (strcmp (offer->types[i], HV_AGENT_MIME_TEXT) == 0)
            agent->host_types |= HV_AGENT_CAP_CLIPBOARD_TEXT;
          else if (strcmp (offer->types[i], HV_AGENT_MIME_PNG) == 0)
            agent->host_types |= HV_AGENT_CAP_CLIPBOARD_PNG;
        request_host_offer (agent);
        break;
      }

    case HV_AGENT_MSG_CLIPBOARD_DATA:
      {
        const HvAgentClipboardData *data = &msg.u.clipboard_data;

        /* The codec has checked the size and the content (UTF-8, PNG signature). */
        if (!clipboard_active (agent) || data->serial != agent->host_serial || data->size == 0)
          {
            agent_debug ("dropped CLIPBOARD_DATA %u (stale or empty)", data->serial);
            break;
          }
        clipboard_set_host (agent, data->mime, data->data, data->size);
        break;
      }

    case HV_AGENT_MSG_CLIPBOARD_REQUEST:
      {
        const HvAgentClipboardRequest *req = &msg.u.clipboard_request;
        HvAgentClipboardData reply = { req->serial, req->mime, 0, NULL };
        const uint8_t *data;
        uint32_t size;

        /* Content only for our latest offer; otherwise "no content" so the host stops waiting. */
        if (clipboard_active (agent) && req->serial == agent->guest_serial
            && clipboard_guest_data (agent, req->mime, &data, &size))
          {
            reply.data = (uint8_t *) data;
            reply.size = size;
          }
        status = hv_agent_encode_clipboard_data (&agent->out, agent->version, &reply);
        if (status != HV_AGENT_OK)
          {
            reply.size = 0;
            reply.data = NULL;
            hv_agent_encode_clipboard_data (&agent->out, agent->version, &reply);
          }
        break;
      }

    default:
      /* GUEST_INFO, SHARE_STATUS: wrong direction, ignored like unknown types. */
      break;
    }
  hv_agent_message_clear (&msg);
  return true;
}

/* Reads what the port has; returns false when the session ends. */
static bool
read_port (Agent *agent)
{
  uint8_t buf[65536];

  for (;;)
    {
      ssize_t n = read (agent->fd, buf, sizeof buf);
      size_t off = 0;

      if (n == 0)
        {
          disconnect (agent, "the host closed the port");
          return false;
        }
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            return true;
          disconnect (agent, strerror (errno));
          return false;
        }
      while (off < (size_t) n)
        {
          HvAgentStatus status;
          HvAgentFrame frame;

          off += hv_agent_reader_feed (&agent->reader, buf + off, (size_t) n - off, &status);
          if (status != HV_AGENT_OK)
            {
              char why[128];

              snprintf (why, sizeof why, "malformed input: %s", hv_agent_status_to_string (status));
              send_error (agent, HV_AGENT_ERROR_MALFORMED, why);
              flush_out (agent);
              disconnect (agent, why);
              return false;
            }
          while (hv_agent_reader_next (&agent->reader, &frame))
            {
              bool ok = handle_frame (agent, &frame);

              hv_agent_frame_clear (&frame);
              if (!ok)
                {
                  flush_out (agent);
                  disconnect (agent, "protocol error");
                  return false;
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------- */
/* Main loop                                                                                    */

static void
back_off (Agent *agent)
{
  sleep_ms (agent->backoff_ms);
  agent->backoff_ms = agent->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                             : agent->backoff_ms * 2;
}

/* Runs the clipboard backends after poll() (x11_readable, wayland_fds: what it reported) and
 * offers a change of the guest's clipboard to the host. */
static void
clipboard_dispatch (Agent *agent, bool x11_readable, const struct pollfd *wayland_fds,
                    int n_wayland_fds)
{
  const char *types[2];
  uint16_t n_types;
  bool changed = false;

  if (agent->wayland != NULL)
    {
      agent_wayland_dispatch (agent->wayland, wayland_fds, n_wayland_fds);
      changed = agent_wayland_take_change (agent->wayland, types, &n_types);
    }
  if (clipboard_pick (agent))
    x11_readable = false; /* a new X11 connection, or none: the poll was not about it */
  if (agent->x11 != NULL)
    {
      agent_x11_dispatch (agent->x11, x11_readable);
      changed = agent_x11_take_change (agent->x11, types, &n_types) || changed;
    }
  if (changed)
    {
      /* The guest's copy is the clipboard now: a backend taking over, or a compositor
       * reconnecting, must not bring the host's older content back. */
      agent->host_types = 0;
      clipboard_host_reset (agent);
      send_guest_offer (agent);
    }
}

static void
run (Agent *agent)
{
  while (!quit_requested)
    {
      struct pollfd pfd;
      struct pollfd fds[2 + AGENT_WAYLAND_MAX_FDS];
      int n_fds = 1, x11_slot = -1, n_wayland = 0;
      int64_t now;
      int timeout;
      int r;

      if (agent->fd < 0)
        {
          agent->fd = agent_port_open (agent->port_path, &agent->is_socket);
          if (agent->fd < 0)
            {
              agent_debug ("no port yet (%s)", strerror (errno));
              back_off (agent);
              continue;
            }
          session_reset (agent);
        }

      /* Hang-up: nobody on the host side of the chardev. virtio_console then reports POLLIN
       * too (a read would not block: it returns 0), so POLLIN alone says nothing. */
      pfd = (struct pollfd) { agent->fd, POLLIN, 0 };
      if (poll (&pfd, 1, 0) >= 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
        {
          /* Take what the host sent before it went away, then start over. */
          if (agent->hello_sent && (pfd.revents & POLLIN) && read_port (agent))
            disconnect (agent, "the host hung up");
          if (agent->fd >= 0)
            {
              close (agent->fd);
              agent->fd = -1;
              session_reset (agent);
            }
          back_off (agent);
          continue;
        }

      if (!agent->hello_sent)
        {
          send_hello (agent, false);
          agent->backoff_ms = BACKOFF_MIN_MS;
        }
      if (!flush_out (agent))
        {
          disconnect (agent, "write failed");
          back_off (agent);
          continue;
        }

      now = now_ms ();
      if (agent->version != 0 && now >= agent->next_info_ms)
        {
          send_info_if_changed (agent, false);
          agent->next_info_ms = now + INFO_INTERVAL_MS;
          continue;
        }
      timeout = agent->version != 0 ? (int) (agent->next_info_ms - now) : 1000;
      if (agent->x11 != NULL && agent_x11_timeout (agent->x11) < timeout)
        timeout = agent_x11_timeout (agent->x11);
      if (agent->wayland != NULL && agent_wayland_timeout (agent->wayland) < timeout)
        timeout = agent_wayland_timeout (agent->wayland);

      fds[0] = (struct pollfd) { agent->fd, POLLIN | (agent->out.len ? POLLOUT : 0), 0 };
      if (agent->x11 != NULL && agent_x11_fd (agent->x11) >= 0)
        {
          x11_slot = n_fds;
          fds[n_fds++] = (struct pollfd) { agent_x11_fd (agent->x11), POLLIN, 0 };
        }
      if (agent->wayland != NULL)
        n_wayland = agent_wayland_poll_fds (agent->wayland, fds + n_fds, AGENT_WAYLAND_MAX_FDS);
      r = poll (fds, (nfds_t) (n_fds + n_wayland), timeout);
      pfd = fds[0];
      if (r < 0)
        {
          if (errno != EINTR)
            agent_log ("poll: %s", strerror (errno));
          continue;
        }
      clipboard_dispatch (agent, x11_slot >= 0 && (fds[x11_slot].revents & (POLLIN | POLLHUP)),
                          fds + n_fds, n_wayland);
      if (r == 0)
        continue;
      if (pfd.revents & POLLIN)
        {
          if (!read_port (agent))
            {
              back_off (agent);
              continue;
            }
        }
      if (agent->out.len > MAX_PENDING_OUT)
        {
          disconnect (agent, "the host is not reading");
          back_off (agent);
        }
      /* POLLHUP is handled at the top of the loop. */
    }
}

static void
on_signal (int sig)
{
  (void) sig;
  quit_requested = 1;
}

static void
usage (FILE *to)
{
  fprintf (to,
           "Usage: hostvisor-agent [--port PATH] [--foreground] [--verbose] [--mount-root DIR]\n"
           "\n"
           "The Hostvisor guest agent: shared folders and guest information for the host.\n"
           "\n"
           "  --port PATH        the virtio-serial port (default: the port named %s)\n"
           "                     or a UNIX socket to connect to (for tests)\n"
           "  --foreground       do not detach from the terminal\n"
           "  --verbose          log every message\n"
           "  --mount-root DIR   where shares are mounted (default /media/hostvisor)\n"
           "  --display DISPLAY  the X display for the clipboard (default: $DISPLAY); \"auto\":\n"
           "                     the first local display that lets the agent in\n"
           "  --wayland-display NAME|PATH\n"
           "                     the Wayland compositor for the clipboard, used instead of X11\n"
           "                     when it offers data-control (default: $WAYLAND_DISPLAY);\n"
           "                     \"auto\": $WAYLAND_DISPLAY, then /run/user/*/wayland-*\n"
           "  --grant-display    run in the user's X session: let the system agent (root)\n"
           "                     use this display ($DISPLAY) for the clipboard, then exit\n"
           "  --version          print the version\n",
           HV_AGENT_PORT_NAME);
}

int
main (int argc, char **argv)
{
  Agent agent = { .fd = -1, .mount_root = "/media/hostvisor", .backoff_ms = BACKOFF_MIN_MS };
  bool foreground = false;
  const char *display = getenv ("DISPLAY");
  const char *wayland_display = getenv ("WAYLAND_DISPLAY");
  struct sigaction sa = { .sa_handler = on_signal };

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--port") == 0 && i + 1 < argc)
        agent.port_path = argv[++i];
      else if (strcmp (argv[i], "--mount-root") == 0 && i + 1 < argc)
        agent.mount_root = argv[++i];
      else if (strcmp (argv[i], "--display") == 0 && i + 1 < argc)
        display = argv[++i];
      else if (strcmp (argv[i], "--wayland-display") == 0 && i + 1 < argc)
        wayland_display = argv[++i];
      else if (strcmp (argv[i], "--grant-display") == 0)
        {
          if (display == NULL || agent_x11_grant_root (display) != 0)
            {
              fprintf (stderr, "hostvisor-agent: cannot grant the system agent access to %s\n",
                       display ? display : "(no $DISPLAY)");
              return 1;
            }
          return 0;
        }
      else if (strcmp (argv[i], "--foreground") == 0)
        foreground = true;
      else if (strcmp (argv[i], "--verbose") == 0)
        agent_verbose = true;
      else if (strcmp (argv[i], "--version") == 0)
        {
          printf ("hostvisor-agent %s (protocol %d.%d)\n", AGENT_VERSION, HV_AGENT_PROTO_MAJOR,
                  HV_AGENT_PROTO_MINOR);
          return 0;
        }
      else if (strcmp (argv[i], "--help") == 0)
        {
          usage (stdout);
          return 0;
        }
      else
        {
          usage (stderr);
          return 2;
        }
    }
  if (agent.mount_root[0] != '/' || strlen (agent.mount_root) > 1024)
    {
      fprintf (stderr, "hostvisor-agent: --mount-root must be an absolute path\n");
      return 2;
    }

  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  if (!foreground && daemon (0, 1) != 0)
    {
      perror ("hostvisor-agent: daemon");
      return 1;
    }

  hv_agent_reader_init (&agent.reader, 0);
  agent_log ("version %s starting", AGENT_VERSION);
  if (display != NULL && display[0] != 0)
    agent.x11_display = display;
  if (wayland_display != NULL && wayland_display[0] != 0)
    agent.wayland = agent_wayland_new (wayland_display);
  clipboard_dispatch (&agent, false, NULL, 0); /* connect now, Wayland first */
  run (&agent);
  agent_log ("stopping");
  if (agent.fd >= 0)
    close (agent.fd);
  hv_agent_reader_clear (&agent.reader);
  hv_agent_buffer_clear (&agent.out);
  hv_agent_buffer_clear (&agent.last_info);
  agent_x11_free (agent.x11);
  agent_wayland_free (agent.wayland);
  return 0;
}
