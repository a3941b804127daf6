/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-wayland.h: the guest's Wayland clipboard for the agent, through the compositor's
 * data-control protocol (see agent-wayland.c for why it speaks the Wayland protocol itself
 * instead of linking libwayland).
 */
#pragma once

#include "agent.h"

#include <poll.h>

typedef struct AgentWayland AgentWayland;

/* The most pollfds agent_wayland_poll_fds() fills: the compositor's socket and the pipes of
 * transfers in progress. */
#define AGENT_WAYLAND_MAX_FDS 11

/* display: a socket name such as "wayland-0" (in $XDG_RUNTIME_DIR, else /run/user/UID),
 * a path, or "auto" for $XDG_RUNTIME_DIR/$WAYLAND_DISPLAY and then the first
 * /run/user/UID/wayland-N whose compositor offers data-control. Connects (and reconnects) from
 * agent_wayland_dispatch(). */
AgentWayland *agent_wayland_new (const char *display);
void agent_wayland_free (AgentWayland *w);
/* True while connected to a compositor that offers data-control (ext or wlr). */
bool agent_wayland_connected (AgentWayland *w);
/* Fills fds (at most max) with what to poll; returns how many. */
int agent_wayland_poll_fds (AgentWayland *w, struct pollfd *fds, int max);
/* The ms until dispatch is due (a reconnect, a transfer timing out). */
int agent_wayland_timeout (AgentWayland *w);
/* Handles what poll() reported in fds (those of agent_wayland_poll_fds(), with revents),
 * reconnects and times transfers out. Never blocks for long. */
void agent_wayland_dispatch (AgentWayland *w, const struct pollfd *fds, int n_fds);
/* True once after the guest's clipboard changed; types: the MIME types it now offers. */
bool agent_wayland_take_change (AgentWayland *w, const char *types[2], uint16_t *n_types);
/* The guest's content of mime, read at the change (borrowed until the next dispatch). */
bool agent_wayland_guest_data (AgentWayland *w, const char *mime, const uint8_t **data,
                               uint32_t *size);
/* The host's clipboard: forget it, then set the selection with each type's bytes as they
 * arrive. Kept across reconnects: a new compositor whose selection is empty gets it again. */
void agent_wayland_host_reset (AgentWayland *w);
void agent_wayland_set_host (AgentWayland *w, const char *mime, const uint8_t *data,
                             uint32_t size);
