/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-virtiofsd.h: virtiofsd, the file server behind one virtiofs share.
 *
 * QEMU's vhost-user-fs device only forwards the guest's FUSE requests; virtiofsd serves
 * them from the shared directory. The engine runs one per share, beside the VM's QEMU:
 *
 *   - sandboxed: virtiofsd's own "namespace" sandbox (mount, PID and network namespaces,
 *     pivot_root into the shared directory, seccomp), so nothing the guest names, not a
 *     symlink it made nor "..", resolves outside the directory;
 *   - when the engine is not root, inside a new user namespace in which the user is root
 *     (the sandbox needs CAP_SYS_ADMIN there, not on the host): virtiofsd has exactly the
 *     user's rights on the host, and the guest sees the user's files as root's;
 *   - read-only shares through a read-only bind mount of the directory in virtiofsd's own
 *     mount namespace: the host kernel refuses every write, whatever the guest mounts;
 *   - listening on a socket the engine made (--fd), so QEMU can connect the moment it
 *     starts; its stderr goes to the VM's log; a pid file written by the child itself
 *     before it runs virtiofsd lets a later engine find it.
 *
 * virtiofsd ends by itself when QEMU closes the connection (QEMU quit, or the device was
 * removed); hv_virtiofsd_stop() makes sure of it. Its lifetime is the VM's, never the
 * engine's: an engine that is killed leaves it serving the running guest, and the next
 * engine adopts it through the pid file (hv_virtiofsd_adopt()). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HV_TYPE_VIRTIOFSD (hv_virtiofsd_get_type ())
G_DECLARE_FINAL_TYPE (HvVirtiofsd, hv_virtiofsd, HV, VIRTIOFSD, GObject)

/* $HOSTVISOR_VIRTIOFSD when set ("" means: none, shares use 9p), else the first executable
 * of /usr/libexec/virtiofsd (Debian 13's Rust virtiofsd) and /usr/lib/qemu/virtiofsd
 * (QEMU 7.2's C one). NULL when there is none. */
char        *hv_virtiofsd_find         (void);

/* Whether `binary` runs here the way hv_virtiofsd_spawn() runs it: a real start with a
 * read-only share of an empty directory under `work_dir` (created 0700), answered over
 * vhost-user, which proves the user namespace, the bind mount and the sandbox. The result
 * is remembered per binary for the engine's lifetime. Fails with HV_ERROR_NOT_SUPPORTED
 * and virtiofsd's own last words. */
void         hv_virtiofsd_probe_async  (const char *binary, const char *work_dir,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean     hv_virtiofsd_probe_finish (GAsyncResult *result, GError **error);

typedef struct {
  const char *binary;
  const char *source;       /* the shared directory: absolute */
  gboolean readonly;
  const char *socket_path;  /* made here and listening; virtiofsd gets it as fd 3 */
  const char *pid_file;     /* written by the child before it runs virtiofsd; may be NULL */
  int log_fd;               /* virtiofsd's stderr (not taken); -1 for /dev/null */
} HvVirtiofsdOptions;

/* Start one. Fails with HV_ERROR_IO (socket, pid file), HV_ERROR_NOT_SUPPORTED (the user
 * namespace or the read-only view could not be made: the step and errno are named) or
 * the spawn error. */
HvVirtiofsd *hv_virtiofsd_spawn        (const HvVirtiofsdOptions *options, GError **error);

/* The virtiofsd an earlier engine started with pid `pid` for `source`: checked by its
 * command line (a virtiofsd serving that directory) so a reused pid is never taken, and
 * watched through a pidfd. NULL with HV_ERROR_NOT_FOUND when it is not that. */
HvVirtiofsd *hv_virtiofsd_adopt        (GPid pid, const char *source, GError **error);

/* Read a pid file written by hv_virtiofsd_spawn(); 0 when missing or malformed. */
GPid         hv_virtiofsd_read_pid_file (const char *path);

GPid         hv_virtiofsd_get_pid      (HvVirtiofsd *self);
gboolean     hv_virtiofsd_is_running   (HvVirtiofsd *self);
/* How it ended ("exited with status 1", "was killed by signal 9 (Killed)", "ended"), or
 * NULL while it runs. */
const char  *hv_virtiofsd_get_exit_text (HvVirtiofsd *self);

/* Make it end: give it `grace_ms` to end by itself (it does once QEMU lets go of it), then
 * SIGTERM, then SIGKILL two seconds later. "exited" follows. */
void         hv_virtiofsd_stop         (HvVirtiofsd *self, guint grace_ms);

/* Signals:
 *   "exited" ()  the process is gone (reaped when it was our child) */

G_END_DECLS
