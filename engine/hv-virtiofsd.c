/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-virtiofsd.c: starting, adopting, probing and stopping virtiofsd (see hv-virtiofsd.h).
 *
 * What virtiofsd cannot do for itself is done in the forked child before it runs
 * virtiofsd, with nothing but system calls (the engine has threads, so only
 * async-signal-safe code may run between fork and exec):
 *
 *   1. setsid(): like QEMU, out of the engine's session and its terminal's signals;
 *   2. not root: unshare(CLONE_NEWUSER) and map the user to root in it (setgroups "deny",
 *      then uid_map and gid_map "0 <id> 1"), so the sandbox may make its namespaces. The
 *      child makes itself dumpable first: after a uid change (an engine started through
 *      setuid()) its /proc/self files would belong to root, and the maps could not be
 *      written;
 *   3. read-only: unshare(CLONE_NEWNS), make every mount a slave (nothing we do leaks
 *      out), bind the directory onto itself with its submounts and make the whole tree
 *      read-only (mount_setattr, AT_RECURSIVE; a plain bind remounted read-only where the
 *      kernel predates it). virtiofsd's own bind of the directory inherits that, and in a
 *      user namespace the kernel locks it read-only;
 *   4. the soft RLIMIT_NOFILE raised to the hard one: virtiofsd holds a descriptor per
 *      inode the guest looked up. It is told --rlimit-nofile=0 because raising the hard
 *      limit, its default, fails without CAP_SYS_RESOURCE on the host;
 *   5. the pid file, written now so that no virtiofsd ever runs unknown to the engine.
 *
 * A failing step writes (step, errno) to a close-on-exec pipe and exits 127; the parent
 * reads the pipe once the spawn returns (GLib returns only after the exec or the exit),
 * so it knows at once, and says which step failed. */
#include "hv-virtiofsd.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>   /* the ST_* values of statfs.f_flags */
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-paths.h"
#include "hv-types.h"

#define CHILD_LISTEN_FD 3
#define CHILD_STATUS_FD 4
#define CHILD_PID_FD 5
#define KILL_AFTER_TERM_MS 2000
#define PROBE_TIMEOUT_S 10
#define PID_FILE_MAX 64

/* vhost-user: a 12-byte header (request, flags, size), then the payload */
#define VHOST_USER_GET_FEATURES 1
#define VHOST_USER_VERSION 0x1
#define VHOST_USER_REPLY_MASK 0x4

static const char * const known_binaries[] = {
  "/usr/libexec/virtiofsd",
  "/usr/lib/qemu/virtiofsd",
};

struct _HvVirtiofsd
{
  GObject parent_instance;

  GSubprocess *process;   /* when we started it */
  int pidfd;              /* when an earlier engine did; -1 otherwise */
  GSource *pidfd_source;
  GPid pid;
  gboolean running;
  char *exit_text;
  guint term_id;
  guint kill_id;
  gboolean stopping;      /* hv_virtiofsd_stop() holds a reference until it has ended */
};

G_DEFINE_FINAL_TYPE (HvVirtiofsd, hv_virtiofsd, G_TYPE_OBJECT)

enum {
  SIGNAL_EXITED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
hv_virtiofsd_dispose (GObject *object)
{
  HvVirtiofsd *self = HV_VIRTIOFSD (object);

  g_clear_handle_id (&self->term_id, g_source_remove);
  g_clear_handle_id (&self->kill_id, g_source_remove);
  if (self->pidfd_source != NULL)
    {
      g_source_destroy (self->pidfd_source);
      g_clear_pointer (&self->pidfd_source, g_source_unref);
    }
  if (self->pidfd >= 0)
    {
      close (self->pidfd);
      self->pidfd = -1;
    }
  g_clear_object (&self->process);

  G_OBJECT_CLASS (hv_virtiofsd_parent_class)->dispose (object);
}

static void
hv_virtiofsd_finalize (GObject *object)
{
  HvVirtiofsd *self = HV_VIRTIOFSD (object);

  g_free (self->exit_text);
  G_OBJECT_CLASS (hv_virtiofsd_parent_class)->finalize (object);
}

static void
hv_virtiofsd_class_init (HvVirtiofsdClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_virtiofsd_dispose;
  object_class->finalize = hv_virtiofsd_finalize;

  signals[SIGNAL_EXITED] =
    g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
hv_virtiofsd_init (HvVirtiofsd *self)
{
  self->pidfd = -1;
}

/* ----------------------------------------------------------------------------
 * Finding it
 */

static gboolean
is_executable (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_REGULAR) && access (path, X_OK) == 0;
}

char *
hv_virtiofsd_find (void)
{
  const char *env = g_getenv ("HOSTVISOR_VIRTIOFSD");

  if (env != NULL)
    return env[0] != '\0' && is_executable (env) ? g_strdup (env) : NULL;
  for (guint i = 0; i < G_N_ELEMENTS (known_binaries); i++)
    {
      if (is_executable (known_binaries[i]))
        return g_strdup (known_binaries[i]);
    }
  return NULL;
}

/* ----------------------------------------------------------------------------
 * The child, between fork and exec: system calls only
 */

typedef enum {
  STEP_NONE,
  STEP_SETSID,
  STEP_USERNS,
  STEP_UID_MAP,
  STEP_GID_MAP,
  STEP_MOUNTNS,
  STEP_MOUNT_SLAVE,
  STEP_BIND,
  STEP_READONLY,
  STEP_PID_FILE,
} ChildStep;

static const char * const step_texts[] = {
  [STEP_NONE] = "start",
  [STEP_SETSID] = "leave the engine's session",
  [STEP_USERNS] = "create a user namespace",
  [STEP_UID_MAP] = "map the user into its user namespace",
  [STEP_GID_MAP] = "map the group into its user namespace",
  [STEP_MOUNTNS] = "create a mount namespace",
  [STEP_MOUNT_SLAVE] = "make its mounts private",
  [STEP_BIND] = "bind-mount the shared folder",
  [STEP_READONLY] = "make the shared folder read-only",
  [STEP_PID_FILE] = "write its pid file",
};

typedef struct {
  gboolean userns;
  char uid_map[48];
  char gid_map[48];
  gboolean readonly;
  const char *source;
  gboolean pid_file;
} ChildSetup;

static void G_GNUC_NORETURN
child_fail (ChildStep step)
{
  int report[2] = { (int) step, errno };

  if (write (CHILD_STATUS_FD, report, sizeof report) < 0)
    { /* the parent sees the exit status instead */ }
  _exit (127);
}

static gboolean
child_write_file (const char *path,
                  const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (text);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, len) == (ssize_t) len;
  close (fd);
  return ok;
}

/* The flags a read-only remount of `path` must keep: in a user namespace the kernel
 * refuses a remount that would drop nosuid, nodev, noexec or an atime flag it locked. */
static unsigned long
child_locked_flags (const char *path)
{
  struct statfs st;
  unsigned long flags = 0;

  if (statfs (path, &st) != 0)
    return 0;
  if (st.f_flags & ST_NOSUID)
    flags |= MS_NOSUID;
  if (st.f_flags & ST_NODEV)
    flags |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC)
    flags |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME)
    flags |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME)
    flags |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME)
    flags |= MS_RELATIME;
  return flags;
}

static void
child_make_readonly (const char *source)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (unshare (CLONE_NEWNS) != 0)
    child_fail (STEP_MOUNTNS);
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
    child_fail (STEP_MOUNT_SLAVE);
  if (mount (source, source, NULL, MS_BIND | MS_REC, NULL) != 0)
    child_fail (STEP_BIND);
  if (syscall (SYS_mount_setattr, AT_FDCWD, source, AT_RECURSIVE, &attr, sizeof attr) == 0)
    return;
  if (errno != ENOSYS)
    child_fail (STEP_READONLY);

  /* Before Linux 5.12: without its submounts, which a read-only remount of the top would
   * leave writable; the guest sees the directories they hide instead. */
  if (umount2 (source, MNT_DETACH) != 0 || mount (source, source, NULL, MS_BIND, NULL) != 0)
    child_fail (STEP_BIND);
  if (mount (NULL, source, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | child_locked_flags (source),
             NULL) != 0)
    child_fail (STEP_READONLY);
}

static void
child_write_pid (void)
{
  char text[24];
  int n = 0;
  char digits[16];
  int nd = 0;
  pid_t pid = getpid ();

  do
    {
      digits[nd++] = (char) ('0' + pid % 10);
      pid /= 10;
    }
  while (pid > 0 && nd < (int) sizeof digits);
  while (nd > 0)
    text[n++] = digits[--nd];
  text[n++] = '\n';
  if (write (CHILD_PID_FD, text, (size_t) n) != n)
    child_fail (STEP_PID_FILE);
  close (CHILD_PID_FD);
}

static void
child_setup (gpointer data)
{
  const ChildSetup *cs = data;
  struct rlimit nofile;

  /* The status pipe must not reach virtiofsd: its end at exec is the parent's answer. */
  fcntl (CHILD_STATUS_FD, F_SETFD, FD_CLOEXEC);

  if (setsid () < 0)
    child_fail (STEP_SETSID);

  if (cs->userns)
    {
      /* A process that changed its uid (setuid() from root) is not dumpable, and its
       * /proc/self files, uid_map among them, then belong to root. It execs virtiofsd in a
       * moment, which sets this anew. */
      prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
      if (unshare (CLONE_NEWUSER) != 0)
        child_fail (STEP_USERNS);
      /* Only after "deny" may an unprivileged process write its own gid_map; kernels
       * before 3.19 have no setgroups file and need none. */
      if (!child_write_file ("/proc/self/setgroups", "deny") && errno != ENOENT)
        child_fail (STEP_GID_MAP);
      if (!child_write_file ("/proc/self/uid_map", cs->uid_map))
        child_fail (STEP_UID_MAP);
      if (!child_write_file ("/proc/self/gid_map", cs->gid_map))
        child_fail (STEP_GID_MAP);
    }

  if (cs->readonly)
    child_make_readonly (cs->source);

  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max)
    {
      nofile.rlim_cur = nofile.rlim_max;
      setrlimit (RLIMIT_NOFILE, &nofile);
    }

  if (cs->pid_file)
    child_write_pid ();
}

/* ----------------------------------------------------------------------------
 * Spawning
 */

static int
listen_socket (const char *path,
               GError    **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Socket path too long: %s", path);
      return -1;
    }
  strcpy (addr.sun_path, path);
  g_unlink (path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* A backlog of one: QEMU is the only client, and vhost-user serves one connection. */
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 1) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", path,
                   g_strerror (saved));
      return -1;
    }
  return fd;
}

/* "-o" values are split at ',' by virtiofsd; QEMU's C virtiofsd (libfuse's option
 * parser) takes "\," for a comma in a value. */
static char *
fuse_opt_escape (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == ',' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
on_process_exited (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HvVirtiofsd) self = user_data;
  GSubprocess *process = G_SUBPROCESS (object);
  int status;

  g_subprocess_wait_finish (process, result, NULL);
  status = g_subprocess_get_status (process);
  if (WIFSIGNALED (status))
    self->exit_text = g_strdup_printf ("was killed by signal %d (%s)", WTERMSIG (status),
                                       g_strsignal (WTERMSIG (status)));
  else
    self->exit_text = g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
  self->running = FALSE;
  g_clear_handle_id (&self->term_id, g_source_remove);
  g_clear_handle_id (&self->kill_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_EXITED], 0);
  if (self->stopping)
    {
      self->stopping = FALSE;
      g_object_unref (self);
    }
}

HvVirtiofsd *
hv_virtiofsd_spawn (const HvVirtiofsdOptions *options,
                    GError                  **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *source_escaped = NULL;
  HvVirtiofsd *self;
  ChildSetup setup = { 0 };
  int status_pipe[2];
  int listen_fd, pid_fd = -1;
  int report[2] = { 0, 0 };
  ssize_t got;
  const char *ident;

  g_return_val_if_fail (options != NULL && options->binary != NULL, NULL);
  g_return_val_if_fail (options->source != NULL && g_path_is_absolute (options->source), NULL);
  g_return_val_if_fail (options->socket_path != NULL, NULL);

  listen_fd = listen_socket (options->socket_path, error);
  if (listen_fd < 0)
    return NULL;
  if (options->pid_file != NULL)
    {
      pid_fd = open (options->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (pid_fd < 0)
        {
          int saved = errno;

          close (listen_fd);
          g_unlink (options->socket_path);
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", options->pid_file,
                       g_strerror (saved));
          return NULL;
        }
    }
  if (!g_unix_open_pipe (status_pipe, FD_CLOEXEC, error))
    {
      close (listen_fd);
      if (pid_fd >= 0)
        close (pid_fd);
      g_unlink (options->socket_path);
      return NULL;
    }

  /* Options both QEMU's C virtiofsd and the Rust one understand: the sandbox is its
   * default in both, named so that it can never be off. */
  source_escaped = fuse_opt_escape (options->source);
  g_ptr_array_add (argv, g_strdup (options->binary));
  g_ptr_array_add (argv, g_strdup_printf ("--fd=%d", CHILD_LISTEN_FD));
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup_printf ("source=%s", source_escaped));
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup ("sandbox=namespace"));
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup ("cache=auto"));
  /* Submounts keep their own inode numbers in the guest. */
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup ("announce_submounts"));
  g_ptr_array_add (argv, g_strdup ("--rlimit-nofile=0"));
  g_ptr_array_add (argv, NULL);

  setup.userns = geteuid () != 0;
  g_snprintf (setup.uid_map, sizeof setup.uid_map, "0 %u 1\n", (guint) geteuid ());
  g_snprintf (setup.gid_map, sizeof setup.gid_map, "0 %u 1\n", (guint) getegid ());
  setup.readonly = options->readonly;
  setup.source = options->source;
  setup.pid_file = pid_fd >= 0;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  if (options->log_fd >= 0)
    {
      g_subprocess_launcher_take_stdout_fd (launcher, dup (options->log_fd));
      g_subprocess_launcher_take_stderr_fd (launcher, dup (options->log_fd));
    }
  else
    {
      g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                 G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    }
  g_subprocess_launcher_take_fd (launcher, listen_fd, CHILD_LISTEN_FD);
  g_subprocess_launcher_take_fd (launcher, status_pipe[1], CHILD_STATUS_FD);
  if (pid_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, pid_fd, CHILD_PID_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  g_subprocess_launcher_set_cwd (launcher, "/");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  /* Our copies of the listening socket, the pipe's write end and the pid file go with the
   * launcher: from now on only the child holds them. */
  g_clear_object (&launcher);
  if (process != NULL)
    {
      do
        got = read (status_pipe[0], report, sizeof report);
      while (got < 0 && errno == EINTR);
    }
  else
    got = 0;
  close (status_pipe[0]);

  if (process == NULL)
    {
      g_unlink (options->socket_path);
      return NULL;
    }
  if (got == (ssize_t) sizeof report)
    {
      guint step = (guint) report[0];

      g_subprocess_wait (process, NULL, NULL);
      g_unlink (options->socket_path);
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED, "virtiofsd could not %s: %s",
                   step < G_N_ELEMENTS (step_texts) ? step_texts[step] : "start",
                   g_strerror (report[1]));
      return NULL;
    }

  self = g_object_new (HV_TYPE_VIRTIOFSD, NULL);
  self->process = g_steal_pointer (&process);
  ident = g_subprocess_get_identifier (self->process);
  self->pid = ident != NULL ? (GPid) atoi (ident) : 0;
  self->running = TRUE;
  g_subprocess_wait_async (self->process, NULL, on_process_exited, g_object_ref (self));
  return self;
}

/* ----------------------------------------------------------------------------
 * Adopting one an earlier engine started
 */

GPid
hv_virtiofsd_read_pid_file (const char *path)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  gint64 pid;
  char *end = NULL;

  if (!g_file_get_contents (path, &text, &len, NULL) || len == 0 || len > PID_FILE_MAX)
    return 0;
  pid = g_ascii_strtoll (text, &end, 10);
  if (end == text || (*end != '\n' && *end != '\0') || pid <= 1 || pid > G_MAXINT)
    return 0;
  return (GPid) pid;
}

/* The process is a virtiofsd (its program's name says so) serving `source`. */
static gboolean
process_serves (GPid        pid,
                const char *source)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *data = NULL;
  g_autofree char *escaped = fuse_opt_escape (source);
  g_autofree char *wanted = g_strdup_printf ("source=%s", escaped);
  g_autofree char *base = NULL;
  gboolean serves = FALSE;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL) || len == 0)
    return FALSE;
  base = g_path_get_basename (data);
  if (strstr (base, "virtiofsd") == NULL)
    return FALSE;
  for (gsize i = 0; i < len; i += strlen (data + i) + 1)
    serves = serves || g_str_equal (data + i, wanted);
  return serves;
}

static gboolean
on_pidfd_ready (int          fd,
                GIOCondition condition,
                gpointer     user_data)
{
  HvVirtiofsd *self = user_data;

  /* Not our child: the kernel's init reaps it, we only learn that it ended. */
  g_clear_pointer (&self->pidfd_source, g_source_unref);
  self->running = FALSE;
  self->exit_text = g_strdup ("ended");
  g_clear_handle_id (&self->term_id, g_source_remove);
  g_clear_handle_id (&self->kill_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_EXITED], 0);
  if (self->stopping)
    {
      self->stopping = FALSE;
      g_object_unref (self);
    }
  return G_SOURCE_REMOVE;
}

HvVirtiofsd *
hv_virtiofsd_adopt (GPid        pid,
                    const char *source,
                    GError    **error)
{
  HvVirtiofsd *self;
  int pidfd;

  if (pid <= 1 || !process_serves (pid, source))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "no virtiofsd with pid %d serves %s",
                   (int) pid, source);
      return NULL;
    }
  pidfd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  if (pidfd < 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "cannot watch virtiofsd (pid %d): %s",
                   (int) pid, g_strerror (saved));
      return NULL;
    }
  /* Checked again now that the pidfd pins the process: the pid cannot be reused from
   * here on, and it was not reused in between. */
  if (!process_serves (pid, source))
    {
      close (pidfd);
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "virtiofsd (pid %d) is gone", (int) pid);
      return NULL;
    }

  self = g_object_new (HV_TYPE_VIRTIOFSD, NULL);
  self->pid = pid;
  self->pidfd = pidfd;
  self->running = TRUE;
  self->pidfd_source = g_unix_fd_source_new (pidfd, G_IO_IN);
  g_source_set_callback (self->pidfd_source, (GSourceFunc) (void (*) (void)) on_pidfd_ready,
                         self, NULL);
  g_source_attach (self->pidfd_source, NULL);
  return self;
}

/* ----------------------------------------------------------------------------
 * State and stopping
 */

GPid
hv_virtiofsd_get_pid (HvVirtiofsd *self)
{
  return self->pid;
}

gboolean
hv_virtiofsd_is_running (HvVirtiofsd *self)
{
  return self->running;
}

const char *
hv_virtiofsd_get_exit_text (HvVirtiofsd *self)
{
  return self->running ? NULL : self->exit_text;
}

static void
send_signal (HvVirtiofsd *self,
             int          sig)
{
  if (!self->running)
    return;
  if (self->process != NULL)
    g_subprocess_send_signal (self->process, sig);
  else if (self->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, self->pidfd, sig, NULL, 0);
}

static gboolean
on_kill (gpointer user_data)
{
  HvVirtiofsd *self = user_data;

  self->kill_id = 0;
  send_signal (self, SIGKILL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_term (gpointer user_data)
{
  HvVirtiofsd *self = user_data;

  self->term_id = 0;
  /* SIGTERM lets virtiofsd end its sandboxed child too (which it otherwise only learns
   * of through its parent-death signal). */
  send_signal (self, SIGTERM);
  if (self->kill_id == 0)
    self->kill_id = g_timeout_add (KILL_AFTER_TERM_MS, on_kill, self);
  return G_SOURCE_REMOVE;
}

void
hv_virtiofsd_stop (HvVirtiofsd *self,
                   guint        grace_ms)
{
  g_return_if_fail (HV_IS_VIRTIOFSD (self));

  if (!self->running || self->stopping)
    return;
  /* The caller may drop its reference at once: the signals still go out, and the object
   * lives until the process has ended. */
  self->stopping = TRUE;
  g_object_ref (self);
  if (grace_ms == 0)
    on_term (self);
  else
    self->term_id = g_timeout_add (grace_ms, on_term, self);
}

/* ----------------------------------------------------------------------------
 * The probe
 */

typedef enum {
  PROBE_NOT_RUN,
  PROBE_RUNNING,
  PROBE_DONE,
} ProbeState;

typedef struct {
  char *binary;
  ProbeState state;
  GError *error;           /* when done and failed */
  GPtrArray *waiters;      /* GTask* */
  /* while running */
  char *log_path;
  HvVirtiofsd *daemon;
  GSocketConnection *connection;
  GCancellable *cancellable;
  guint8 request[12];
  guint8 reply[20];
  guint timeout_id;
  gulong exited_id;
  char *io_error;          /* what went wrong on the socket, while virtiofsd still ran */
} Probe;

static Probe probe;

static void
probe_finish (GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&probe.waiters);

  if (probe.state != PROBE_RUNNING)
    {
      g_clear_error (&error);
      return;
    }
  probe.state = PROBE_DONE;
  g_clear_error (&probe.error);
  probe.error = error;
  g_clear_handle_id (&probe.timeout_id, g_source_remove);
  if (probe.cancellable != NULL)
    g_cancellable_cancel (probe.cancellable);
  g_clear_object (&probe.cancellable);
  if (probe.connection != NULL)
    g_io_stream_close (G_IO_STREAM (probe.connection), NULL, NULL);
  g_clear_object (&probe.connection);
  if (probe.daemon != NULL)
    {
      g_clear_signal_handler (&probe.exited_id, probe.daemon);
      /* It ends by itself once we hung up; make sure, and let it be reaped. */
      hv_virtiofsd_stop (probe.daemon, 1000);
      g_clear_object (&probe.daemon);
    }
  g_clear_pointer (&probe.log_path, g_free);
  g_clear_pointer (&probe.io_error, g_free);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (probe.error != NULL)
        g_task_return_error (task, g_error_copy (probe.error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

/* The last lines virtiofsd wrote, for the error message. */
static char *
probe_log_tail (void)
{
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (probe.log_path == NULL || !g_file_get_contents (probe.log_path, &data, NULL, NULL))
    return g_strdup ("");
  lines = g_strsplit (g_strstrip (data), "\n", -1);
  n = g_strv_length (lines);
  return g_strjoinv ("; ", lines + (n > 3 ? n - 3 : 0));
}

static void
probe_fail (const char *what)
{
  g_autofree char *tail = probe_log_tail ();

  probe_finish (g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED, "%s%s%s", what,
                             tail[0] != '\0' ? ": " : "", tail));
}

static void
on_probe_exited (HvVirtiofsd *daemon,
                 gpointer     user_data)
{
  g_autofree char *what = g_strdup_printf ("virtiofsd %s before it answered",
                                           hv_virtiofsd_get_exit_text (daemon));

  probe_fail (what);
}

static gboolean
on_probe_timeout (gpointer user_data)
{
  probe.timeout_id = 0;
  probe_fail (probe.io_error != NULL ? probe.io_error :
              "virtiofsd did not answer within " G_STRINGIFY (PROBE_TIMEOUT_S) " s");
  return G_SOURCE_REMOVE;
}

/* The socket failed. A virtiofsd that is ending (it closes the socket first) says more by
 * its exit and last words: wait for that, with the probe's time limit. */
static void
probe_io_failed (const char *message)
{
  if (probe.daemon != NULL && hv_virtiofsd_is_running (probe.daemon))
    {
      hv_set_str (&probe.io_error, message);
      return;
    }
  probe_fail (message);
}

static void
on_probe_read (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gsize got = 0;
  guint32 request, flags;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        probe_io_failed (error->message);
      return;
    }
  /* vhost-user integers are in the host's byte order */
  memcpy (&request, probe.reply, 4);
  memcpy (&flags, probe.reply + 4, 4);
  if (got != sizeof probe.reply || request != VHOST_USER_GET_FEATURES ||
      !(flags & VHOST_USER_REPLY_MASK))
    {
      /* EOF: the process is ending, and its exit says why. */
      probe_io_failed (got == 0 ? "virtiofsd closed the connection"
                                : "virtiofsd gave a malformed vhost-user reply");
      return;
    }
  probe_finish (NULL);
}

static void
on_probe_written (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GInputStream *in;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        probe_io_failed (error->message);
      return;
    }
  in = g_io_stream_get_input_stream (G_IO_STREAM (probe.connection));
  g_input_stream_read_all_async (in, probe.reply, sizeof probe.reply, G_PRIORITY_DEFAULT,
                                 probe.cancellable, on_probe_read, NULL);
}

static void
on_probe_connected (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;
  guint32 header[3] = { VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 0 };
  GOutputStream *out;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        probe_io_failed (error->message);
      return;
    }
  probe.connection = connection;
  /* Any request proves it: virtiofsd answers only once its sandbox is up. */
  memcpy (probe.request, header, sizeof header);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_output_stream_write_all_async (out, probe.request, sizeof probe.request, G_PRIORITY_DEFAULT,
                                   probe.cancellable, on_probe_written, NULL);
}

static void
probe_start (const char *work_dir)
{
  g_autofree char *root = g_build_filename (work_dir, "root", NULL);
  g_autofree char *socket_path = g_build_filename (work_dir, "probe.sock", NULL);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  HvVirtiofsdOptions options = { 0 };
  int log_fd;

  probe.state = PROBE_RUNNING;
  probe.log_path = g_build_filename (work_dir, "virtiofsd.log", NULL);
  if (!hv_paths_ensure_private_dir (work_dir, &error) ||
      !hv_paths_ensure_private_dir (root, &error))
    {
      probe_finish (g_steal_pointer (&error));
      return;
    }
  log_fd = open (probe.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  /* Read-only, so the probe also proves the mount namespace and the bind mount. */
  options.binary = probe.binary;
  options.source = root;
  options.readonly = TRUE;
  options.socket_path = socket_path;
  options.log_fd = log_fd;
  probe.daemon = hv_virtiofsd_spawn (&options, &error);
  if (log_fd >= 0)
    close (log_fd);
  if (probe.daemon == NULL)
    {
      probe_finish (g_steal_pointer (&error));
      return;
    }
  probe.exited_id = g_signal_connect (probe.daemon, "exited", G_CALLBACK (on_probe_exited), NULL);
  probe.cancellable = g_cancellable_new ();
  probe.timeout_id = g_timeout_add_seconds (PROBE_TIMEOUT_S, on_probe_timeout, NULL);

  client = g_socket_client_new ();
  address = g_unix_socket_address_new (socket_path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), probe.cancellable,
                                 on_probe_connected, NULL);
}

void
hv_virtiofsd_probe_async (const char         *binary,
                          const char         *work_dir,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_virtiofsd_probe_async);
  g_return_if_fail (binary != NULL && work_dir != NULL);

  if (probe.state != PROBE_NOT_RUN && g_strcmp0 (probe.binary, binary) != 0 &&
      probe.state != PROBE_RUNNING)
    probe.state = PROBE_NOT_RUN;   /* another binary: its own answer */

  if (probe.state == PROBE_DONE)
    {
      if (probe.error != NULL)
        g_task_return_error (task, g_error_copy (probe.error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (probe.waiters == NULL)
    probe.waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (probe.waiters, g_steal_pointer (&task));
  if (probe.state == PROBE_RUNNING)
    return;

  hv_set_str (&probe.binary, binary);
  probe_start (work_dir);
}

gboolean
hv_virtiofsd_probe_finish (GAsyncResult *result,
                           GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
