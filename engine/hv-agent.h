/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-agent.h: the engine's end of the guest agent protocol (docs/agent-protocol.md).
 *
 * One HvAgent per running VM talks to QEMU's chardev socket that carries the
 * virtio-serial port io.github.hostvisor.agent.0. It connects while the VM runs
 * (and again whenever the connection drops), says HELLO, keeps a heartbeat,
 * announces the VM's shares, relays the clipboard within the VM's clipboard
 * mode, and keeps what the guest reports. Every frame from the guest goes
 * through the shared codec's checks; a malformed one ends the connection (and
 * a new one is made), never the engine. */
#pragma once

#include <gio/gio.h>

#include "hv-config.h"

G_BEGIN_DECLS

#define HV_TYPE_AGENT (hv_agent_get_type ())
G_DECLARE_FINAL_TYPE (HvAgent, hv_agent, HV, AGENT, GObject)

HvAgent    *hv_agent_new                (const char *socket_path);
/* Connect now, and again after every drop, until hv_agent_stop(). */
void        hv_agent_start              (HvAgent *self);
void        hv_agent_stop               (HvAgent *self);

/* TRUE once the guest's agent said HELLO on the current connection and answers. */
gboolean    hv_agent_is_connected       (HvAgent *self);
/* What the guest reported (empty strings until it did). */
const char *hv_agent_get_version        (HvAgent *self);
const char *hv_agent_get_os_name        (HvAgent *self);
const char *hv_agent_get_kernel         (HvAgent *self);
const char *hv_agent_get_hostname       (HvAgent *self);
/* "eth0 10.0.2.15/24" strings */
char      **hv_agent_dup_addresses      (HvAgent *self);
/* a(sss): share name, state ("mounted", "not-mounted", "failed", "unsupported"), detail
 * (the mount point, or the error) */
GVariant   *hv_agent_dup_share_status   (HvAgent *self);

/* A share as the guest hears of it (docs/agent-protocol.md, SHARES). */
typedef struct {
  const char *name;
  const char *tag;          /* the device's mount tag, "hvshare<N>" */
  gboolean virtiofs;        /* else 9p */
  gboolean readonly;
  gboolean automount;
} HvAgentShareInfo;

/* The shares to announce (copied), sent at once when the agent is there. A share of a kind
 * the guest cannot mount (it lacks the capability) is left out of the list and reported
 * "unsupported". Returns the generation of the SHARES sent, or 0 when none could be sent
 * (no agent yet: it gets the list when it says HELLO). */
guint32     hv_agent_set_share_list     (HvAgent *self, const HvAgentShareInfo *shares,
                                         guint n_shares);
/* The same for 9p shares tagged by their index ("hvshare<i>"), as a VM started without
 * virtiofs has them (HvShare*). */
void        hv_agent_set_shares         (HvAgent *self, GPtrArray *shares);
/* Ask the guest to check its mounts again (after a resume). */
void        hv_agent_recheck_shares     (HvAgent *self);

void        hv_agent_set_clipboard_mode (HvAgent *self, HvClipboardMode mode);
/* The engine's side of the VM's clipboard: set by a client (offered to the guest when the
 * mode allows host to guest), or received from the guest (when it allows guest to host).
 * `mime` is "text/plain;charset=utf-8" or "image/png"; data at most 16 MiB, checked. */
gboolean    hv_agent_set_clipboard      (HvAgent *self, const char *mime, GBytes *data,
                                         GError **error);
/* The latest clipboard content and its type, or NULL with *mime NULL when empty. */
GBytes     *hv_agent_get_clipboard      (HvAgent *self, char **mime);

/* Signals:
 *   "changed"            ()  connection state or a guest report changed
 *   "clipboard-changed"  ()  the clipboard content changed (either side)
 *   "shares-applied"     (guint generation)  the guest answered that SHARES (its mounts
 *                        follow the list now) */

G_END_DECLS
