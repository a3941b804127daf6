/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-client-remote.h: reaching the engine of a user on another host over SSH
 * (hostvisorctl --connect ssh://[user@]host[:port]; docs/remote.md).
 *
 * The client runs `ssh -o BatchMode=yes … -- HOST hostvisorctl bridge`: the person's own ssh,
 * keys and ~/.ssh/config, no daemon and no port of ours. The bridge on the far side reaches
 * (starting it if needed) that user's engine and joins it to its stdin and stdout, over which
 * this side speaks the same peer-to-peer D-Bus as to a local engine. Over a pipe, GDBus cannot
 * use EXTERNAL (it has no peer credentials to speak of), so the client authenticates to the
 * bridge with ANONYMOUS: ssh has already proved who it is. The bridge authenticates to the
 * engine with EXTERNAL as the remote user, so the engine's own rule (EXTERNAL, same uid) stays.
 *
 * Nothing from the address becomes an ssh option: the user, host and port are checked
 * strictly and given as `-l USER`, `-p PORT` and the word after `--`. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char    *address;   /* as given, for messages */
  char    *user;      /* NULL: ssh's choice (~/.ssh/config, else the local name) */
  char    *host;      /* a name, an ssh_config alias, an IPv4 or (without brackets) IPv6 */
  guint16  port;      /* 0: ssh's choice */
} HvRemote;

/* "ssh://[user@]host[:port]" with an optional "/" at the end; anything else is an
 * HV_ERROR_INVALID_ARGUMENT that says what is wrong. */
HvRemote        *hv_remote_parse           (const char *address, GError **error);
void             hv_remote_free            (HvRemote *remote);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvRemote, hv_remote_free)

/* The argv that runs `hostvisorctl WORDS…` on the remote host: ssh from PATH, BatchMode,
 * no escape character, a terminal (-t) when @tty, else none (-T). Each word must be plain
 * (letters, digits and "._-/=": the remote shell reads them); others are refused. */
GStrv            hv_remote_ssh_argv        (const HvRemote *remote, gboolean tty,
                                            const char * const *words, GError **error);

/* The D-Bus connection to the remote engine, its contract version checked: an engine whose
 * Engine.ContractVersion differs from HV_CONTRACT_VERSION is refused with a message that
 * says both. The ssh process lives as long as the connection. Errors say what went wrong in
 * words: the host cannot be reached (ssh's own message), Hostvisor is not installed there,
 * the versions differ, the bridge failed. */
GDBusConnection *hv_remote_connect_sync    (const HvRemote *remote, GCancellable *cancellable,
                                            GError **error);

/* A socket joined to the display (VNC server) of the VM @uuid on the remote host, through a
 * second ssh command (`hostvisorctl bridge --console UUID`): what Vm.OpenConsole gives a
 * local viewer. The caller owns the descriptor; ssh ends when it is closed. The VM must have
 * been found over hv_remote_connect_sync()'s connection first (so @uuid is known there);
 * failures of ssh or the bridge show as the socket ending. -1 with @error if ssh cannot run. */
int              hv_remote_open_console    (const HvRemote *remote, const char *uuid,
                                            GError **error);

/* Why @connection (from hv_remote_connect_sync()) was lost, in words: what ssh or the bridge
 * said last, else that the engine there stopped. */
char            *hv_remote_lost_reason     (GDBusConnection *connection);

/* For a command run on the remote host with hv_remote_ssh_argv() that failed: its exit
 * status and what it wrote to stderr (NULL if not kept) as an error in words. 255: ssh could
 * not reach the host; 127: no hostvisorctl there; else the command's last line. */
void             hv_remote_set_exit_error  (const HvRemote *remote, int exit_status,
                                            const char *stderr_text, GError **error);

G_END_DECLS
