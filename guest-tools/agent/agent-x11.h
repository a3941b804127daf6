/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-x11.h: the guest's X11 CLIPBOARD for the agent (see agent-x11.c for why it speaks the
 * X11 protocol itself instead of loading libX11).
 */
#pragma once

#include "agent.h"

typedef struct AgentX11 AgentX11;

/* display: a local display such as ":0", or "auto" for the first of /tmp/.X11-unix that lets
 * us in. Connects (and reconnects) from agent_x11_dispatch(). */
AgentX11 *agent_x11_new (const char *display);
void agent_x11_free (AgentX11 *x);
bool agent_x11_connected (AgentX11 *x);
/* The fd to poll for input (-1 while not connected) and the ms until dispatch is due. */
int agent_x11_fd (AgentX11 *x);
int agent_x11_timeout (AgentX11 *x);
/* Handles events (readable: the fd polled readable), reconnects and polls the owner. */
void agent_x11_dispatch (AgentX11 *x, bool readable);
/* True once after the guest's clipboard changed; types: the MIME types it now offers. */
bool agent_x11_take_change (AgentX11 *x, const char *types[2], uint16_t *n_types);
/* The guest's content of mime, read at the change (borrowed until the next dispatch). */
bool agent_x11_guest_data (AgentX11 *x, const char *mime, const uint8_t **data, uint32_t *size);
/* The host's clipboard: forget it, then own CLIPBOARD with each type's bytes as they arrive. */
void agent_x11_host_reset (AgentX11 *x);
void agent_x11_set_host (AgentX11 *x, const char *mime, const uint8_t *data, uint32_t size);
/* Run as the desktop user: lets the local root user (the system agent) use display. */
int agent_x11_grant_root (const char *display);
