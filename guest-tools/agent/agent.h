/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent.h: internals shared by the files of hostvisor-agent (no GLib: the agent is static).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv-agent-proto.h"

#define AGENT_VERSION "0.1.0"

extern bool agent_verbose;

void agent_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void agent_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* agent-port.c: finds the agent's virtio-serial port; path from --port wins. Returns an fd
 * (O_RDWR, O_NONBLOCK, O_CLOEXEC) or -1 with errno set; *is_socket tells a UNIX socket (tests). */
int agent_port_open (const char *path, bool *is_socket);

/* agent-info.c: fills a GUEST_INFO from /etc/os-release, uname and getifaddrs. */
void agent_info_collect (HvAgentGuestInfo *info);

/* agent-shares.c: mounts the shares of a SHARES message under root, unmounts those that left,
 * and fills the SHARE_STATUS to answer with. */
void agent_shares_apply (const char *root, const HvAgentShares *shares,
                         HvAgentShareStatus *status);
