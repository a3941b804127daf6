/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-x11-incr.c: the X11 clipboard's two transfer state machines (see agent-x11.c for the
 * connection, and for ICCCM's INCR in both directions):
 *  - reading the guest's clipboard when another client owns CLIPBOARD: ConvertSelection of
 *    TARGETS, then text, then PNG, each answered by the owner's SelectionNotify, and INCR
 *    chunks collected from PropertyNotify(NewValue) on our window, under the protocol's 16 MiB
 *    cap, with a deadline for each step;
 *  - serving the host's content as owner of CLIPBOARD: SelectionRequest answered with a
 *    property, or, above one request's size, by an INCR transfer, one chunk per
 *    PropertyNotify(Delete) on the requestor's window, several at once, each with a deadline.
 * Both run from agent-x11.c's event loop (handle_event()) and never block on another client.
 */
#include "agent-x11-private.h"

#include <stdlib.h>
#include <string.h>


void
transfer_free (Transfer *t)
{
  host_data_unref (t->data);
  free (t);
}


/* Forgets a read in progress and what it has read so far (no requests: also used on a lost
 * connection). */
void
read_reset (AgentX11 *x)
{
  free (x->read_buf);
  free (x->new_text);
  free (x->new_png);
  x->read_buf = x->new_text = x->new_png = NULL;
  x->read_len = x->read_cap = x->new_text_len = x->new_png_len = 0;
  x->read_state = READ_IDLE;
}

/* ------------------------------------------------------------------------------------------- */
/* Reading the guest's clipboard                                                                */

uint32_t
read_prop (AgentX11 *x)
{
  return x->a_props[x->prop_slot];
}

/* Stops waiting on the owner. Its SelectionNotify or INCR chunks may still come: they land in a
 * property we no longer read (we move to the next name), and an INCR owner waiting for us to
 * delete it keeps waiting until its own timeout, instead of sending the rest into our next
 * read. */
void
read_abandon (AgentX11 *x)
{
  if (x->read_state != READ_IDLE)
    x->prop_slot = (x->prop_slot + 1) % PROP_SLOTS;
  free (x->read_buf);
  x->read_buf = NULL;
  x->read_len = x->read_cap = 0;
  x->read_state = READ_IDLE;
}

static void
read_convert (AgentX11 *x, uint32_t target)
{
  uint8_t req[24] = { X_ConvertSelection, 0 };

  put32 (req + 4, x->win);
  put32 (req + 8, x->a_clipboard);
  put32 (req + 12, target);
  put32 (req + 16, read_prop (x));
  put32 (req + 20, 0); /* CurrentTime */
  if (!x_send (x, req, sizeof req))
    return;
  x->read_state = READ_CONVERT;
  x->read_target = target;
  x->read_deadline = now_ms () + CONVERT_TIMEOUT_MS;
}

/* The read is complete: its results become the guest's content. */
static void
read_finish (AgentX11 *x)
{
  free (x->guest_text);
  free (x->guest_png);
  x->guest_text = x->new_text;
  x->guest_text_len = x->new_text_len;
  x->guest_png = x->new_png;
  x->guest_png_len = x->new_png_len;
  x->new_text = x->new_png = NULL;
  x->new_text_len = x->new_png_len = 0;
  x->read_state = READ_IDLE;
  if (x->guest_text || x->guest_png)
    {
      x->guest_changed = true;
      agent_debug ("X11 clipboard: guest content: %u bytes of text, %u bytes of PNG",
                   x->guest_text_len, x->guest_png_len);
    }
}

/* One target is read (data NULL: not available); takes data and goes on with the next. */
static void
read_step_done (AgentX11 *x, uint8_t *data, uint32_t len)
{
  x->read_state = READ_IDLE;
  switch (x->read_step)
    {
    case STEP_TARGETS:
      x->read_has_text = x->read_has_png = false;
      for (uint32_t i = 0; data && i + 4 <= len; i += 4)
        {
          uint32_t a = get32 (data + i);

          if (a == x->a_utf8 || a == x->a_text_plain)
            x->read_has_text = true;
          if (a == x->a_png)
            x->read_has_png = true;
        }
      free (data);
      break;

    case STEP_TEXT:
      if (data && !hv_agent_utf8_valid (data, len))
        {
          /* Applications put odd bytes in; the protocol carries only valid UTF-8. */
          free (data);
          data = NULL;
        }
      x->new_text = data;
      x->new_text_len = data ? len : 0;
      x->read_has_text = false;
      break;

    case STEP_PNG:
      x->new_png = data;
      x->new_png_len = data ? len : 0;
      x->read_has_png = false;
      break;
    }

  if (x->read_has_text)
    {
      x->read_step = STEP_TEXT;
      read_convert (x, x->a_utf8);
    }
  else if (x->read_has_png)
    {
      x->read_step = STEP_PNG;
      read_convert (x, x->a_png);
    }
  else
    read_finish (x);
}

static void
read_start (AgentX11 *x)
{
  read_abandon (x);
  read_reset (x);
  x->read_step = STEP_TARGETS;
  read_convert (x, x->a_targets);
}

/* GetProperty of our read property, not deleting it. Returns the reply's extra data (NULL when
 * none or on failure; *ok tells which) with type, bytes and what is left beyond. */
static uint8_t *
read_get_property (AgentX11 *x, uint32_t max_bytes, bool *ok, uint32_t *type, uint8_t *format,
                   uint32_t *n_bytes, uint32_t *bytes_after)
{
  uint8_t req[24] = { X_GetProperty, 0 };
  uint8_t pkt[32];
  uint8_t *extra = NULL;
  size_t extra_len;

  *ok = false;
  put32 (req + 4, x->win);
  put32 (req + 8, read_prop (x));
  put32 (req + 12, 0); /* AnyPropertyType */
  put32 (req + 16, 0);
  put32 (req + 20, max_bytes / 4 + 1);
  if (!x_send (x, req, sizeof req) || !x_reply (x, pkt, &extra, &extra_len))
    {
      free (extra);
      return NULL;
    }
  *format = pkt[1];
  *type = get32 (pkt + 8);
  *bytes_after = get32 (pkt + 12);
  *n_bytes = get32 (pkt + 16) * (*format / 8);
  if (*n_bytes > extra_len || (*format != 8 && *format != 16 && *format != 32 && *type != 0))
    {
      free (extra);
      return NULL;
    }
  *ok = true;
  return extra;
}

/* The owner answered our ConvertSelection (property 0: refused). */
void
read_on_notify (AgentX11 *x, uint32_t property)
{
  uint32_t type, n_bytes, after;
  uint8_t format;
  bool ok;
  uint8_t *data;

  if (property == 0)
    {
      read_step_done (x, NULL, 0);
      return;
    }
  data = read_get_property (x, HV_AGENT_MAX_CLIPBOARD, &ok, &type, &format, &n_bytes, &after);
  if (x->fd < 0)
    {
      free (data);
      return;
    }
  if (!ok || type == 0)
    {
      free (data);
      read_step_done (x, NULL, 0);
      return;
    }
  if (type == x->a_incr)
    {
      /* The value is a lower bound of the size; the owner sends chunks once we delete it. */
      uint32_t announced = (format == 32 && n_bytes >= 4) ? get32 (data) : 0;

      free (data);
      if (announced > HV_AGENT_MAX_CLIPBOARD)
        {
          agent_log ("X11 clipboard: the guest offers %u bytes, more than %u: not read",
                     announced, HV_AGENT_MAX_CLIPBOARD);
          read_abandon (x); /* the owner waits on a property we leave alone */
          read_step_done (x, NULL, 0);
          return;
        }
      x->read_cap = announced > 0 ? announced : 65536;
      x->read_buf = malloc (x->read_cap);
      x->read_len = 0;
      if (x->read_buf == NULL)
        {
          read_abandon (x);
          read_step_done (x, NULL, 0);
          return;
        }
      if (!delete_property (x, x->win, read_prop (x)))
        return;
      agent_debug ("X11 clipboard: INCR transfer of at least %u bytes", announced);
      x->read_state = READ_INCR;
      x->read_deadline = now_ms () + INCR_TIMEOUT_MS;
      return;
    }
  /* ICCCM: the requestor deletes the property once it has read it. */
  if (!delete_property (x, x->win, read_prop (x)))
    {
      free (data);
      return;
    }
  if (after > 0)
    {
      agent_log ("X11 clipboard: the guest's content is larger than %u bytes: not read",
                 HV_AGENT_MAX_CLIPBOARD);
      free (data);
      data = NULL;
    }
  else if (data == NULL)
    data = malloc (1);
  read_step_done (x, data, n_bytes);
}

/* A new value in our property during an INCR transfer: the next chunk, or the end. */
void
read_on_chunk (AgentX11 *x)
{
  uint32_t type, n_bytes, after;
  uint8_t format;
  bool ok;
  uint8_t *data;

  data = read_get_property (x, HV_AGENT_MAX_CLIPBOARD - x->read_len, &ok, &type, &format,
                            &n_bytes, &after);
  if (x->fd < 0)
    {
      free (data);
      return;
    }
  if (!ok || type == 0)
    {
      /* Gone already (None): not a chunk. */
      free (data);
      return;
    }
  if (n_bytes == 0)
    {
      uint8_t *buf = x->read_buf;
      uint32_t len = x->read_len;

      free (data);
      x->read_buf = NULL;
      x->read_len = x->read_cap = 0;
      agent_debug ("X11 clipboard: INCR transfer complete, %u bytes", len);
      /* The zero-length property is deleted like the others. */
      if (!delete_property (x, x->win, read_prop (x)))
        {
          free (buf);
          return;
        }
      read_step_done (x, buf, len);
      return;
    }
  if (after > 0 || n_bytes > HV_AGENT_MAX_CLIPBOARD - x->read_len)
    {
      agent_log ("X11 clipboard: the guest's INCR transfer passed %u bytes: dropped",
                 HV_AGENT_MAX_CLIPBOARD);
      free (data);
      read_abandon (x);
      read_step_done (x, NULL, 0);
      return;
    }
  if (x->read_len + n_bytes > x->read_cap)
    {
      uint32_t cap = x->read_cap;
      uint8_t *bigger;

      while (cap < x->read_len + n_bytes)
        cap = cap > HV_AGENT_MAX_CLIPBOARD / 2 ? HV_AGENT_MAX_CLIPBOARD : cap * 2;
      bigger = realloc (x->read_buf, cap);
      if (bigger == NULL)
        {
          free (data);
          read_abandon (x);
          read_step_done (x, NULL, 0);
          return;
        }
      x->read_buf = bigger;
      x->read_cap = cap;
    }
  memcpy (x->read_buf + x->read_len, data, n_bytes);
  x->read_len += n_bytes;
  free (data);
  if (!delete_property (x, x->win, read_prop (x)))
    return;
  x->read_deadline = now_ms () + INCR_TIMEOUT_MS;
}

void
read_check_deadline (AgentX11 *x, int64_t now)
{
  if (x->read_state == READ_IDLE || now < x->read_deadline)
    return;
  agent_log ("X11 clipboard: the guest's clipboard owner stopped answering (%s)",
             x->read_state == READ_INCR ? "INCR transfer" : "conversion");
  read_abandon (x);
  read_step_done (x, NULL, 0);
}

/* force: an XFIXES event, a change even when the same window took the selection again. */
void
owner_changed (AgentX11 *x, uint32_t owner, bool force)
{
  if (owner == x->last_owner && !force)
    return;
  x->last_owner = owner;
  if (owner == 0 || owner == x->win)
    {
      /* Cleared, or that was us taking it for the host: what was being read is stale. */
      read_abandon (x);
      read_reset (x);
      return;
    }
  x->owner = false;
  read_start (x);
}

/* ------------------------------------------------------------------------------------------- */
/* Serving the host's content                                                                   */

static bool
window_has_transfer (AgentX11 *x, uint32_t window)
{
  for (Transfer *t = x->transfers; t != NULL; t = t->next)
    if (t->requestor == window)
      return true;
  return false;
}

/* Unlinks and frees t; unselect: stop listening on its window when no other transfer uses it
 * (not when the window is gone). */
static void
transfer_end (AgentX11 *x, Transfer *t, bool unselect)
{
  uint32_t window = t->requestor;

  for (Transfer **p = &x->transfers; *p != NULL; p = &(*p)->next)
    if (*p == t)
      {
        *p = t->next;
        break;
      }
  x->n_transfers--;
  transfer_free (t);
  if (unselect && !window_has_transfer (x, window))
    select_events (x, window, 0); /* an error for a window gone meanwhile is ignored */
}

Transfer *
transfer_find (AgentX11 *x, uint32_t window, uint32_t property)
{
  for (Transfer *t = x->transfers; t != NULL; t = t->next)
    if (t->requestor == window && t->property == property)
      return t;
  return NULL;
}

/* Starts an INCR transfer of data to requestor's property; false: refused. */
static bool
transfer_start (AgentX11 *x, uint32_t requestor, uint32_t property, uint32_t type, HostData *data)
{
  Transfer *t = transfer_find (x, requestor, property);
  uint8_t size[4];

  if (t != NULL)
    transfer_end (x, t, false); /* asked again: start over */
  if (x->fd < 0)
    return false;
  if (x->n_transfers >= MAX_TRANSFERS)
    {
      agent_log ("X11 clipboard: %u INCR transfers already: request refused", x->n_transfers);
      return false;
    }
  t = calloc (1, sizeof *t);
  if (t == NULL)
    return false;
  /* Listen for the requestor's deletes before the INCR property can be deleted. */
  put32 (size, data->len);
  if (!select_events (x, requestor, MASK_PROPERTY_CHANGE | MASK_STRUCTURE_NOTIFY)
      || !change_property (x, requestor, property, x->a_incr, 32, size, 4))
    {
      free (t);
      return false;
    }
  t->requestor = requestor;
  t->property = property;
  t->type = type;
  t->data = data;
  data->refs++;
  t->seq = x->seq;
  t->deadline = now_ms () + INCR_TIMEOUT_MS;
  t->next = x->transfers;
  x->transfers = t;
  x->n_transfers++;
  agent_debug ("X11 clipboard: INCR transfer of %u bytes to window 0x%x", data->len, requestor);
  return true;
}

/* The requestor deleted the property: the next chunk, or the zero-length end. */
void
transfer_next (AgentX11 *x, Transfer *t)
{
  uint32_t n = t->data->len - t->offset;

  if (n > x->incr_chunk)
    n = x->incr_chunk;
  if (!change_property (x, t->requestor, t->property, t->type, 8, t->data->bytes + t->offset, n))
    return; /* disconnected: t is gone */
  t->seq = x->seq;
  if (n == 0)
    {
      agent_debug ("X11 clipboard: INCR transfer to window 0x%x complete", t->requestor);
      transfer_end (x, t, true);
      return;
    }
  t->offset += n;
  t->deadline = now_ms () + INCR_TIMEOUT_MS;
}

void
transfers_check_deadlines (AgentX11 *x, int64_t now)
{
  Transfer *t = x->transfers;

  while (t != NULL && x->fd >= 0)
    {
      Transfer *next = t->next;

      if (now >= t->deadline)
        {
          agent_log ("X11 clipboard: window 0x%x stopped reading an INCR transfer at %u of %u "
                     "bytes: dropped", t->requestor, t->offset, t->data->len);
          transfer_end (x, t, true);
          /* Ending it may have lost the connection, and every transfer with it. */
          if (x->fd < 0)
            return;
        }
      t = next;
    }
}

/* A window we listen on is gone, or an error named it or a request of a transfer. */
void
transfers_drop (AgentX11 *x, uint32_t window, bool by_seq, uint16_t seq, const char *why)
{
  Transfer *t = x->transfers;

  while (t != NULL)
    {
      Transfer *next = t->next;

      if (by_seq ? t->seq == seq : t->requestor == window)
        {
          agent_log ("X11 clipboard: INCR transfer to window 0x%x dropped: %s", t->requestor,
                     why);
          /* Not unselecting: the window is gone, or the server refused us on it. */
          transfer_end (x, t, false);
        }
      t = next;
    }
}

void
answer_request (AgentX11 *x, const uint8_t ev[32])
{
  uint32_t time = get32 (ev + 4);
  uint32_t requestor = get32 (ev + 12);
  uint32_t selection = get32 (ev + 16);
  uint32_t target = get32 (ev + 20);
  uint32_t property = get32 (ev + 24);
  uint8_t notify[44] = { X_SendEvent, 0 };
  HostData *data = NULL;
  uint32_t type = target;
  uint8_t atoms[5 * 4];
  bool answered = false;

  if (property == 0)
    property = target; /* obsolete requestors (ICCCM) */
  if (selection == x->a_clipboard && x->owner)
    {
      if (target == x->a_targets)
        {
          uint32_t n = 0;

          put32 (atoms + 4 * n++, x->a_targets);
          if (x->host_text)
            {
              put32 (atoms + 4 * n++, x->a_utf8);
              put32 (atoms + 4 * n++, x->a_text_plain);
              put32 (atoms + 4 * n++, ATOM_STRING);
            }
          if (x->host_png)
            put32 (atoms + 4 * n++, x->a_png);
          answered = change_property (x, requestor, property, ATOM_ATOM, 32, atoms, n * 4);
        }
      else if (x->host_text && (target == x->a_utf8 || target == x->a_text_plain
                                || target == ATOM_STRING || target == x->a_text))
        {
          data = x->host_text;
          type = target == x->a_text ? x->a_utf8 : target;
        }
      else if (x->host_png && target == x->a_png)
        data = x->host_png;
    }

  if (data != NULL && data->len > x->incr_chunk)
    answered = transfer_start (x, requestor, property, type, data);
  else if (data != NULL)
    answered = change_property (x, requestor, property, type, 8, data->bytes, data->len);
  if (x->fd < 0)
    return;

  /* SelectionNotify to the requestor; property None when refused. */
  put32 (notify + 4, requestor);
  put32 (notify + 8, 0);
  notify[12] = EV_SELECTION_NOTIFY;
  put32 (notify + 16, time);
  put32 (notify + 20, requestor);
  put32 (notify + 24, selection);
  put32 (notify + 28, target);
  put32 (notify + 32, answered ? property : 0);
  x_send (x, notify, sizeof notify);
}
