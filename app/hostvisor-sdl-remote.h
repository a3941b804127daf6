/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisor-sdl-remote.h: the SDL viewer's --connect ssh://[user@]host[:port] (docs/remote.md,
 * "The SDL viewer"). The engine is reached as hostvisorctl --connect reaches it
 * (hv_remote_connect_sync(): ssh, the bridge, the contract version checked), and the display
 * through a second ssh (hv_remote_open_console(): `hostvisorctl bridge --console UUID` there),
 * a socket that the viewer uses as it uses Vm.OpenConsole's locally; never a TCP port. */
#pragma once

#include "hv-client-remote.h"
#include "hv-dbus-generated.h"

G_BEGIN_DECLS

/* Reopening the console over SSH: each try runs ssh and logs in, so less often and for longer
 * than locally (a reset that restarts QEMU there, a slow link). */
#define HV_SDL_REMOTE_RECONNECT_DELAY_MS 1000
#define HV_SDL_REMOTE_RECONNECT_ATTEMPTS 20

/* The engine on @remote's host, its contract version checked. NULL with @error, a line to
 * print after "hostvisor-sdl: " (the host cannot be reached, Hostvisor is not installed
 * there, another contract version…). */
GDBusConnection *hv_sdl_remote_connect      (const HvRemote  *remote,
                                             GError         **error);

/* A socket joined to @vm's display on the remote host (the VM found over the connection
 * first), for hv_vnc_open_fd(); -1 with @error when ssh cannot run. What goes wrong later
 * (ssh cannot log in, the VM stopped there) shows as the socket ending, with ssh's own
 * message on our stderr. */
int              hv_sdl_remote_open_console (const HvRemote  *remote,
                                             HvDbusVm        *vm,
                                             GError         **error);

/* "NAME on HOST" for the window's title and messages. */
char            *hv_sdl_remote_vm_label     (const HvRemote  *remote,
                                             const char      *name);

/* The command that starts @name there, for "is not running" (shell-quoted). */
char            *hv_sdl_remote_start_hint   (const HvRemote  *remote,
                                             const char      *name);

G_END_DECLS
