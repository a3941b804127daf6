/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-ns.c: the engine's side of a network namespace holder (hostvisor-netns.c):
 * starts it with one end of a SOCK_SEQPACKET socket pair as its fd 3, or (after an engine
 * restart) connects to the listening socket of one that an earlier engine started, and
 * turns requests into GTasks that its answers (with an fd by SCM_RIGHTS) complete, in
 * order. */
#include "hv-network-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv-build-config.h"
#include "hv-error.h"

struct _HvNetns
{
  GObject parent_instance;

  char *label;
  GPid pid;
  int fd;                /* our end, -1 once closed */
  guint fd_source;
  guint child_watch;
  gboolean ready;
  char *failure;         /* why it ended, once it has */
  GQueue waiting;        /* GTask*: requests not sent yet (before "ready") */
  GQueue sent;           /* GTask*: requests sent, their answers due in order */
};

enum { SIGNAL_CLOSED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HvNetns, hv_netns, G_TYPE_OBJECT)

static void fail_all (HvNetns *self, const char *reason);

static void
hv_netns_dispose (GObject *object)
{
  hv_netns_close (HV_NETNS (object));
  G_OBJECT_CLASS (hv_netns_parent_class)->dispose (object);
}

static void
hv_netns_finalize (GObject *object)
{
  HvNetns *self = HV_NETNS (object);

  g_free (self->label);
  g_free (self->failure);
  G_OBJECT_CLASS (hv_netns_parent_class)->finalize (object);
}

static void
hv_netns_class_init (HvNetnsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hv_netns_dispose;
  G_OBJECT_CLASS (klass)->finalize = hv_netns_finalize;
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hv_netns_init (HvNetns *self)
{
  self->fd = -1;
  g_queue_init (&self->waiting);
  g_queue_init (&self->sent);
}

char *
hv_netns_helper_path (void)
{
  const char *env = g_getenv ("HOSTVISOR_NETNS_HELPER");
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  /* The build tree: app/hostvisord, tests/… and engine/hostvisor-netns are siblings. */
  if (self_exe != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self_exe);
      g_autofree char *parent = g_path_get_dirname (dir);
      g_autofree char *built = g_build_filename (parent, "engine", "hostvisor-netns", NULL);
      g_autofree char *beside = g_build_filename (dir, "hostvisor-netns", NULL);

      if (g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&built);
      if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&beside);
    }
  return g_build_filename (HV_LIBEXECDIR, "hostvisor-netns", NULL);
}

static void
on_child_exit (GPid     pid,
               gint     status,
               gpointer user_data)
{
  HvNetns *self = user_data;

  self->child_watch = 0;
  g_spawn_close_pid (pid);
  self->pid = 0;
}

/* One answer: "ready", "ok [TEXT]" (+ fd) or "error MESSAGE". */
static void
handle_message (HvNetns    *self,
                const char *text,
                int         fd)
{
  if (!self->ready)
    {
      if (g_str_equal (text, "ready"))
        {
          GTask *task;

          self->ready = TRUE;
          while ((task = g_queue_pop_head (&self->waiting)) != NULL)
            {
              const char *request = g_task_get_task_data (task);

              if (send (self->fd, request, strlen (request), MSG_NOSIGNAL) < 0)
                {
                  g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                                           "Network %s: its holder is gone", self->label);
                  g_object_unref (task);
                }
              else
                g_queue_push_tail (&self->sent, task);
            }
        }
      else
        fail_all (self, g_str_has_prefix (text, "error ") ? text + 6 : text);
      if (fd >= 0)
        close (fd);
      return;
    }

  GTask *task = g_queue_pop_head (&self->sent);

  if (task == NULL)
    {
      /* "error dnsmasq ended": the holder is ending. */
      if (g_str_has_prefix (text, "error "))
        {
          g_free (self->failure);
          self->failure = g_strdup (text + 6);
        }
      if (fd >= 0)
        close (fd);
      return;
    }
  if (g_str_has_prefix (text, "ok") && fd >= 0)
    {
      g_object_set_data_full (G_OBJECT (task), "hv-netns-answer",
                              g_strdup (text[2] == ' ' ? text + 3 : ""), g_free);
      g_task_return_int (task, fd);
    }
  else
    {
      if (fd >= 0)
        close (fd);
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED, "Network %s: %s", self->label,
                               g_str_has_prefix (text, "error ") ? text + 6 : text);
    }
  g_object_unref (task);
}

static gboolean
on_readable (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  HvNetns *self = user_data;
  char text[600];
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * 4)];
  } control;
  struct iovec iov = { text, sizeof text - 1 };
  struct msghdr msg = { 0 };
  ssize_t n;
  int passed = -1;

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  n = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      self->fd_source = 0;
      g_object_ref (self);
      fail_all (self, self->failure != NULL ? self->failure : "its holder ended");
      g_object_unref (self);
      return G_SOURCE_REMOVE;
    }
  text[n] = '\0';
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int count = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        int *fds = (int *) CMSG_DATA (c);

        for (int i = 0; i < count; i++)
          {
            if (passed < 0)
              passed = fds[i];
            else
              close (fds[i]);
          }
      }
  g_object_ref (self);
  handle_message (self, text, passed);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

HvNetns *
hv_netns_new (const char  *label,
              const char  *socket_path,
              const char  *address_cidr,
              const char  *dnsmasq_conf,
              const char  *dnsmasq_log,
              GError     **error)
{
  g_autoptr(HvNetns) self = g_object_new (HV_TYPE_NETNS, NULL);
  g_autofree char *helper = hv_netns_helper_path ();
  g_autofree char *parent = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int pair[2];
  int source_fds[1], target_fds[1] = { 3 };

  self->label = g_strdup (label);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Network %s: cannot make a socket pair: %s",
                   label, g_strerror (saved));
      return NULL;
    }
  g_ptr_array_add (argv, helper);
  g_ptr_array_add (argv, "--parent");
  g_ptr_array_add (argv, parent);
  if (socket_path != NULL)
    {
      g_ptr_array_add (argv, "--socket");
      g_ptr_array_add (argv, (char *) socket_path);
    }
  if (address_cidr != NULL)
    {
      g_ptr_array_add (argv, "--address");
      g_ptr_array_add (argv, (char *) address_cidr);
    }
  if (dnsmasq_conf != NULL)
    {
      g_ptr_array_add (argv, "--dnsmasq-conf");
      g_ptr_array_add (argv, (char *) dnsmasq_conf);
      g_ptr_array_add (argv, "--dnsmasq-log");
      g_ptr_array_add (argv, (char *) dnsmasq_log);
    }
  g_ptr_array_add (argv, NULL);
  source_fds[0] = pair[1];
  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD
                                         | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, -1, -1, source_fds, target_fds, 1,
                                         &self->pid, NULL, NULL, NULL, error))
    {
      close (pair[0]);
      close (pair[1]);
      g_prefix_error (error, "Network %s: cannot start %s: ", label, helper);
      return NULL;
    }
  close (pair[1]);
  self->fd = pair[0];
  g_unix_set_fd_nonblocking (self->fd, TRUE, NULL);
  self->fd_source = g_unix_fd_add (self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, self);
  self->child_watch = g_child_watch_add (self->pid, on_child_exit, self);
  return g_steal_pointer (&self);
}

HvNetns *
hv_netns_connect (const char  *label,
                  const char  *socket_path,
                  GError     **error)
{
  g_autoptr(HvNetns) self = g_object_new (HV_TYPE_NETNS, NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct ucred cred;
  socklen_t len = sizeof cred;
  int fd;

  self->label = g_strdup (label);
  if (strlen (socket_path) >= sizeof addr.sun_path)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "Network %s: the path %s is too long",
                   label, socket_path);
      return NULL;
    }
  strcpy (addr.sun_path, socket_path);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0
      || getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "Network %s: no holder answers on %s: %s",
                   label, socket_path, g_strerror (saved));
      return NULL;
    }
  /* Our own runtime directory, but still: only a holder of our own user. */
  if (cred.uid != getuid ())
    {
      close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED, "Network %s: %s belongs to another user",
                   label, socket_path);
      return NULL;
    }
  self->fd = fd;
  g_unix_set_fd_nonblocking (self->fd, TRUE, NULL);
  self->fd_source = g_unix_fd_add (self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, self);
  return g_steal_pointer (&self);
}

static void
fail_all (HvNetns    *self,
          const char *reason)
{
  gboolean was_open = self->fd >= 0;
  GTask *task;

  if (self->failure == NULL)
    self->failure = g_strdup (reason != NULL ? reason : "it was brought down");
  if (self->fd_source != 0)
    {
      g_source_remove (self->fd_source);
      self->fd_source = 0;
    }
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
  while ((task = g_queue_pop_head (&self->waiting)) != NULL
         || (task = g_queue_pop_head (&self->sent)) != NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED, "Network %s: %s", self->label,
                               self->failure);
      g_object_unref (task);
    }
  if (was_open)
    g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
}

static void
request (HvNetns             *self,
         const char          *text,
         gpointer             source_tag,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_strdup (text), g_free);
  if (self->fd < 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED, "Network %s: %s", self->label,
                               self->failure != NULL ? self->failure : "it is down");
      g_object_unref (task);
      return;
    }
  if (!self->ready)
    {
      g_queue_push_tail (&self->waiting, task);
      return;
    }
  if (send (self->fd, text, strlen (text), MSG_NOSIGNAL) < 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                               "Network %s: its holder is gone", self->label);
      g_object_unref (task);
      return;
    }
  g_queue_push_tail (&self->sent, task);
}

void
hv_netns_open_tap_async (HvNetns             *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  request (self, "tap", hv_netns_open_tap_async, cancellable, callback, user_data);
}

int
hv_netns_open_tap_finish (HvNetns       *self,
                          GAsyncResult  *result,
                          char         **out_name,
                          GError       **error)
{
  int fd = (int) g_task_propagate_int (G_TASK (result), error);

  if (fd >= 0 && out_name != NULL)
    *out_name = g_strdup (g_object_get_data (G_OBJECT (result), "hv-netns-answer"));
  return fd;
}

void
hv_netns_open_socket_async (HvNetns             *self,
                            gboolean             udp,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  request (self, udp ? "socket udp" : "socket tcp", hv_netns_open_socket_async, cancellable,
           callback, user_data);
}

int
hv_netns_open_socket_finish (HvNetns       *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return (int) g_task_propagate_int (G_TASK (result), error);
}

GPid
hv_netns_get_pid (HvNetns *self)
{
  return self->pid;
}

void
hv_netns_shutdown (HvNetns *self)
{
  /* The holder reads requests in order: "down" after any still due. */
  if (self->fd >= 0)
    send (self->fd, "down", 4, MSG_NOSIGNAL);
  hv_netns_close (self);
}

void
hv_netns_close (HvNetns *self)
{
  /* Closing our end alone leaves the holder running while a tap of its remains (see
   * hostvisor-netns.c); its child watch reaps it when it ends. */
  if (self->fd >= 0)
    fail_all (self, NULL);
  if (self->child_watch != 0 && self->pid != 0)
    {
      /* Nobody will wait for it now: reap it from a watch that owns nothing. */
      g_source_remove (self->child_watch);
      self->child_watch = 0;
      g_child_watch_add (self->pid, (GChildWatchFunc) g_spawn_close_pid, NULL);
      self->pid = 0;
    }
}
