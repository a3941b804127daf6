/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-serial.c: a running VM's first serial port: its log and its console clients.
 *
 * QEMU serves COM1 on serial.sock in the runtime directory, to one client at a time, and
 * drops what the guest writes while none is connected. The engine is that client, from
 * before the guest runs (`cont`) until QEMU ends. It writes the guest's output to
 * logs/serial.log, across runs as QEMU did, but capped: past 2 MiB
 * (HOSTVISOR_SERIAL_LOG_MAX) it becomes serial.log.1 (replacing the one before) and a new
 * serial.log begins. And it shares the console: every OpenSerial client
 * gets its own socket, sees what the guest writes from then on, and what any of them types
 * reaches the guest. A client that does not read (1 MiB behind) is disconnected rather
 * than let slow the guest or grow the engine.
 *
 * When the engine is killed, QEMU goes back to waiting for a client; the next engine
 * reconnects when it reattaches, and appends to the same log. What the guest wrote in
 * between is lost. */
#include "hv-vm-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hv-error.h"

#define SERIAL_LOG_MAX_DEFAULT (2 * 1024 * 1024)
#define READ_CHUNK 16384
/* A console client this far behind is not being read: it is disconnected. */
#define CLIENT_BACKLOG_MAX (1024 * 1024)
/* Keystrokes not yet taken by QEMU; clients are not read while this much waits. */
#define TO_GUEST_MAX (64 * 1024)
#define MAX_CLIENTS 16

typedef struct {
  HvVmSerial *serial;         /* borrowed: it owns this */
  int fd;
  GByteArray *out;            /* the guest's output not yet sent to this client */
  guint watch_id;
  GIOCondition watching;
} SerialClient;

struct _HvVmSerial
{
  HvVm *vm;                   /* borrowed: the VM owns this */
  int qemu_fd;
  guint qemu_watch_id;
  GIOCondition qemu_watching;
  GByteArray *to_guest;       /* what clients typed, not yet taken by QEMU */
  char *log_path;
  int log_fd;
  guint64 log_size;
  guint64 log_max;
  gboolean log_failed;        /* said once in vm.log */
  GPtrArray *clients;         /* SerialClient* */
};

static void serial_update_watches (HvVmSerial *serial);

static char *
serial_log_path (HvVm *vm)
{
  return g_build_filename (vm->dir, "logs", "serial.log", NULL);
}

/* HOSTVISOR_SERIAL_LOG_MAX (bytes) lets tests reach the cap quickly. */
static guint64
serial_log_max (void)
{
  const char *env = g_getenv ("HOSTVISOR_SERIAL_LOG_MAX");
  guint64 value;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 4096, G_MAXINT64, &value, NULL))
    return value;
  return SERIAL_LOG_MAX_DEFAULT;
}

/* serial.log becomes serial.log.1 (the previous .1 goes). rename() never follows a link. */
static void
rotate_log_file (const char *path)
{
  g_autofree char *old = g_strconcat (path, ".1", NULL);
  struct stat st;

  if (lstat (path, &st) == 0 && (!S_ISREG (st.st_mode) || st.st_size > 0))
    g_rename (path, old);
}

static void
serial_log_failed (HvVmSerial *serial,
                   const char *what,
                   int         errsv)
{
  if (serial->log_failed)
    return;
  serial->log_failed = TRUE;
  hv_vm_log (serial->vm, "cannot %s the serial log %s: %s; the guest's output is not logged",
             what, serial->log_path, g_strerror (errsv));
}

static void
serial_open_log (HvVmSerial *serial)
{
  g_autofree char *logs = g_path_get_dirname (serial->log_path);
  struct stat st;

  if (g_mkdir_with_parents (logs, 0700) != 0)
    {
      serial_log_failed (serial, "create", errno);
      return;
    }
  /* O_NOFOLLOW: a link in the library is never written through. */
  serial->log_fd = open (serial->log_path,
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                         0600);
  if (serial->log_fd < 0)
    {
      serial_log_failed (serial, "open", errno);
      return;
    }
  if (fstat (serial->log_fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (serial->log_fd);
      serial->log_fd = -1;
      serial_log_failed (serial, "use", EINVAL);
      return;
    }
  serial->log_size = (guint64) st.st_size;
}

static void
serial_write_log (HvVmSerial *serial,
                  const char *data,
                  gsize       len)
{
  if (serial->log_fd >= 0 && serial->log_size > 0 && serial->log_size + len > serial->log_max)
    {
      close (serial->log_fd);
      serial->log_fd = -1;
      rotate_log_file (serial->log_path);
      serial_open_log (serial);
    }
  while (serial->log_fd >= 0 && len > 0)
    {
      gssize n = write (serial->log_fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          /* A full disk: the console goes on without the log. */
          serial_log_failed (serial, "write", errno);
          return;
        }
      data += n;
      len -= (gsize) n;
      serial->log_size += (guint64) n;
    }
}

/* ----------------------------------------------------------------------------
 * Console clients
 */

static void
serial_client_free (SerialClient *client)
{
  g_clear_handle_id (&client->watch_id, g_source_remove);
  if (client->fd >= 0)
    close (client->fd);
  g_byte_array_unref (client->out);
  g_free (client);
}

static void
serial_drop_client (HvVmSerial   *serial,
                    SerialClient *client)
{
  g_ptr_array_remove (serial->clients, client);
}

static void
serial_flush_to_guest (HvVmSerial *serial)
{
  while (serial->qemu_fd >= 0 && serial->to_guest->len > 0)
    {
      gssize n = send (serial->qemu_fd, serial->to_guest->data, serial->to_guest->len,
                       MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;   /* EAGAIN: the watch says when; a closed socket shows up as EOF on read */
      g_byte_array_remove_range (serial->to_guest, 0, (guint) n);
    }
}

/* Returns FALSE when the client is gone (and freed). */
static gboolean
serial_client_flush (HvVmSerial   *serial,
                     SerialClient *client)
{
  while (client->out->len > 0)
    {
      gssize n = send (client->fd, client->out->data, client->out->len,
                       MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n <= 0)
        {
          serial_drop_client (serial, client);
          return FALSE;
        }
      g_byte_array_remove_range (client->out, 0, (guint) n);
    }
  return TRUE;
}

static gboolean
on_client_ready (int          fd,
                 GIOCondition condition,
                 gpointer     user_data)
{
  SerialClient *client = user_data;
  HvVmSerial *serial = client->serial;

  /* No room for keystrokes (another client filled it in this same main loop iteration):
   * they stay in the socket until QEMU has taken what waits. */
  if ((condition & G_IO_IN) && serial->to_guest->len < TO_GUEST_MAX)
    {
      char buffer[4096];
      gssize n = recv (fd, buffer, MIN (sizeof buffer, TO_GUEST_MAX - serial->to_guest->len),
                       MSG_DONTWAIT);

      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
        {
          client->watch_id = 0;   /* removed by returning G_SOURCE_REMOVE */
          serial_drop_client (serial, client);
          serial_update_watches (serial);
          return G_SOURCE_REMOVE;
        }
      if (n > 0)
        {
          g_byte_array_append (serial->to_guest, (const guint8 *) buffer, (guint) n);
          serial_flush_to_guest (serial);
        }
    }
  else if ((condition & (G_IO_HUP | G_IO_ERR)) && !(condition & G_IO_IN))
    {
      client->watch_id = 0;
      serial_drop_client (serial, client);
      serial_update_watches (serial);
      return G_SOURCE_REMOVE;
    }

  if ((condition & G_IO_OUT) && !serial_client_flush (serial, client))
    {
      serial_update_watches (serial);
      return G_SOURCE_CONTINUE;   /* its source was removed with it */
    }
  serial_update_watches (serial);
  return G_SOURCE_CONTINUE;
}

/* ----------------------------------------------------------------------------
 * QEMU's side
 */

static void serial_close_qemu (HvVmSerial *serial);

static gboolean
on_qemu_ready (int          fd,
               GIOCondition condition,
               gpointer     user_data)
{
  HvVmSerial *serial = user_data;

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      char buffer[READ_CHUNK];
      gssize n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
        {
          /* QEMU is ending: the clients' consoles end with it. */
          serial->qemu_watch_id = 0;
          serial_close_qemu (serial);
          return G_SOURCE_REMOVE;
        }
      if (n > 0)
        {
          serial_write_log (serial, buffer, (gsize) n);
          for (guint i = serial->clients->len; i > 0; i--)
            {
              SerialClient *client = g_ptr_array_index (serial->clients, i - 1);

              if (client->out->len + (gsize) n > CLIENT_BACKLOG_MAX)
                {
                  serial_drop_client (serial, client);
                  continue;
                }
              g_byte_array_append (client->out, (const guint8 *) buffer, (guint) n);
              serial_client_flush (serial, client);
            }
        }
    }
  if (condition & G_IO_OUT)
    serial_flush_to_guest (serial);
  serial_update_watches (serial);
  return G_SOURCE_CONTINUE;
}

static void
set_watch (guint             *id,
           GIOCondition      *current,
           int                fd,
           GIOCondition       wanted,
           GUnixFDSourceFunc  func,
           gpointer           data)
{
  if (*id != 0 && *current == wanted)
    return;
  g_clear_handle_id (id, g_source_remove);
  *current = wanted;
  *id = g_unix_fd_add (fd, wanted, func, data);
}

/* What each descriptor waits for now: output only while something waits to be sent, a
 * client's input only while QEMU takes keystrokes. */
static void
serial_update_watches (HvVmSerial *serial)
{
  gboolean take_input = serial->to_guest->len < TO_GUEST_MAX;

  if (serial->qemu_fd >= 0)
    set_watch (&serial->qemu_watch_id, &serial->qemu_watching, serial->qemu_fd,
               G_IO_IN | G_IO_HUP | G_IO_ERR | (serial->to_guest->len > 0 ? G_IO_OUT : 0),
               on_qemu_ready, serial);
  for (guint i = 0; i < serial->clients->len; i++)
    {
      SerialClient *client = g_ptr_array_index (serial->clients, i);

      set_watch (&client->watch_id, &client->watching, client->fd,
                 G_IO_HUP | G_IO_ERR | (take_input ? G_IO_IN : 0) |
                 (client->out->len > 0 ? G_IO_OUT : 0),
                 on_client_ready, client);
    }
}

static void
serial_close_qemu (HvVmSerial *serial)
{
  g_clear_handle_id (&serial->qemu_watch_id, g_source_remove);
  if (serial->qemu_fd >= 0)
    {
      close (serial->qemu_fd);
      serial->qemu_fd = -1;
    }
  /* Without QEMU, a console has nothing more to say: its client sees the end. */
  g_ptr_array_set_size (serial->clients, 0);
  g_byte_array_set_size (serial->to_guest, 0);
  if (serial->log_fd >= 0)
    {
      close (serial->log_fd);
      serial->log_fd = -1;
    }
}

static int
connect_serial_socket (HvVm    *vm,
                       GError **error)
{
  g_autofree char *path = g_build_filename (vm->run_dir, "serial.sock", NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Socket path too long: %s", path);
      return -1;
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot connect to %s: %s", path,
                   g_strerror (saved));
      return -1;
    }
  return fd;
}

/* ----------------------------------------------------------------------------
 * For hv-vm-process.c and hv-vm-reattach.c
 */

void
hv_vm_serial_attach (HvVm *self)
{
  g_autoptr(GError) error = NULL;
  HvVmSerial *serial;
  int fd;

  if (self->serial != NULL)
    return;
  fd = connect_serial_socket (self, &error);
  if (fd < 0)
    {
      hv_vm_log (self, "no serial console or log: %s", error->message);
      return;
    }

  serial = g_new0 (HvVmSerial, 1);
  serial->vm = self;
  serial->qemu_fd = fd;
  serial->log_fd = -1;
  serial->log_max = serial_log_max ();
  serial->log_path = serial_log_path (self);
  serial->to_guest = g_byte_array_new ();
  serial->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) serial_client_free);
  serial_open_log (serial);
  self->serial = serial;
  serial_update_watches (serial);
}

void
hv_vm_serial_detach (HvVm *self)
{
  HvVmSerial *serial = g_steal_pointer (&self->serial);

  if (serial == NULL)
    return;
  serial_close_qemu (serial);
  g_ptr_array_unref (serial->clients);
  g_byte_array_unref (serial->to_guest);
  g_free (serial->log_path);
  g_free (serial);
}

int
hv_vm_serial_open_client (HvVm    *self,
                          GError **error)
{
  HvVmSerial *serial = self->serial;
  SerialClient *client;
  int fds[2];

  if (serial == NULL || serial->qemu_fd < 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "The serial console of VM \"%s\" is not available", hv_vm_get_name (self));
      return -1;
    }
  if (serial->clients->len >= MAX_CLIENTS)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY,
                   "The serial console of VM \"%s\" has %u clients already",
                   hv_vm_get_name (self), MAX_CLIENTS);
      return -1;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot make a console socket: %s",
                   g_strerror (saved));
      return -1;
    }
  g_unix_set_fd_nonblocking (fds[0], TRUE, NULL);

  client = g_new0 (SerialClient, 1);
  client->serial = serial;
  client->fd = fds[0];
  client->out = g_byte_array_new ();
  g_ptr_array_add (serial->clients, client);
  serial_update_watches (serial);
  return fds[1];
}
