/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-qemu.c: the baseline of the start figure. The engine's own QEMU command line (from
 * the VM's log) is moved into a directory of our own and run by hand, with the QMP handshake
 * and "cont" the engine would send. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hv-bench.h"

/* ── Figure 1, QEMU's side: the engine's argv, run by hand ─────────────────────────────── */

void
plain_qemu_clear (PlainQemu *p)
{
  g_strfreev (p->argv);
  g_free (p->vm_dir);
  g_free (p->run_dir);
  g_free (p->serial_log);
  g_free (p->stderr_log);
  g_free (p->qmp_path);
  g_free (p->subdir);
  memset (p, 0, sizeof *p);
}

/* Undoes the escaping of hv_qemu_argv_to_string(): "\\", "\n" and "\xNN". */
static char *
unescape_arg (const char *line)
{
  GString *s = g_string_new (NULL);

  for (const char *p = line; *p; p++)
    {
      if (p[0] == '\\' && (p[1] == '\\' || p[1] == 'n'))
        {
          g_string_append_c (s, p[1] == 'n' ? '\n' : '\\');
          p++;
        }
      else if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
        {
          g_string_append_c (s, (char) (g_ascii_xdigit_value (p[2]) * 16 +
                                        g_ascii_xdigit_value (p[3])));
          p += 3;
        }
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

/* The argv of the last "starting QEMU" entry in the VM's log: one argument per line, up to
 * the next timestamped entry. */
char **
argv_from_vm_log (const char *path,
                  GError    **error)
{
  g_autoptr(GRegex) entry = g_regex_new ("^\\d{4}-\\d\\d-\\d\\dT\\S+ ", 0, 0, NULL);
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  int start = -1;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    if (g_regex_match (entry, lines[i], 0, NULL) && strstr (lines[i], " starting QEMU") != NULL)
      start = i + 1;
  if (start < 0)
    {
      fail (error, "%s has no \"starting QEMU\" entry", path);
      return NULL;
    }

  argv = g_ptr_array_new_with_free_func (g_free);
  for (int i = start; lines[i] != NULL; i++)
    {
      if (g_regex_match (entry, lines[i], 0, NULL))
        break;
      g_ptr_array_add (argv, unescape_arg (lines[i]));
    }
  /* The argv text ends with a newline and the log adds its own: the empty pieces after the
   * last argument are not arguments (QEMU takes no empty one at the end). */
  while (argv->len > 0 && *(char *) g_ptr_array_index (argv, argv->len - 1) == '\0')
    g_ptr_array_set_size (argv, argv->len - 1);
  if (argv->len < 2 || !g_path_is_absolute (g_ptr_array_index (argv, 0)))
    {
      fail (error, "%s: the QEMU command line after \"starting QEMU\" is not readable", path);
      return NULL;
    }
  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

/* The value of KEY= in a QEMU option string ("socket,id=qmp,path=/x,server=on"). */
static char *
opt_value (const char *opts,
           const char *key)
{
  g_autofree char *needle = g_strconcat (key, "=", NULL);
  const char *p = opts;

  while ((p = strstr (p, needle)) != NULL)
    {
      if (p == opts || p[-1] == ',')
        {
          const char *v = p + strlen (needle);
          return g_strndup (v, strcspn (v, ","));
        }
      p++;
    }
  return NULL;
}

static char *
replace_all (const char *s,
             const char *from,
             const char *to)
{
  GString *out = g_string_new (s);

  g_string_replace (out, from, to, 0);
  return g_string_free (out, FALSE);
}

/* Moves the engine's argv into a directory of our own: the VM directory and the VM's runtime
 * directory are replaced by plain/vm and plain/run. The QMP chardev stays as the engine has
 * it (fd=3: a socket listening before QEMU starts, which we create the same way), so the
 * argv is the engine's except for these paths. */
gboolean
plain_qemu_prepare (PlainQemu  *p,
                    char      **engine_argv,
                    const char *engine_vm_dir,
                    GError    **error)
{
  g_autofree char *base = g_build_filename (bench.tmp, p->subdir != NULL ? p->subdir : "plain",
                                            NULL);
  g_autofree char *engine_run_dir = NULL;
  g_autofree char *logs = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  p->vm_dir = g_build_filename (base, "vm", NULL);
  p->run_dir = g_build_filename (base, "run", NULL);
  p->stderr_log = g_build_filename (p->vm_dir, "logs", "qemu.log", NULL);
  logs = g_build_filename (p->vm_dir, "logs", NULL);
  if (g_mkdir_with_parents (logs, 0700) != 0 || g_mkdir_with_parents (p->run_dir, 0700) != 0)
    return fail (error, "Cannot create %s: %s", base, g_strerror (errno));

  /* The runtime directory is where the engine's sockets live. */
  for (guint i = 0; engine_argv[i] != NULL && engine_run_dir == NULL; i++)
    {
      g_autofree char *path = opt_value (engine_argv[i], "path");

      if (path != NULL && g_str_has_prefix (path, bench.runtime_dir))
        engine_run_dir = g_path_get_dirname (path);
    }
  if (engine_run_dir == NULL)
    return fail (error, "No socket path= under %s in the engine's QEMU argv", bench.runtime_dir);

  for (guint i = 0; engine_argv[i] != NULL; i++)
    {
      g_autofree char *moved = replace_all (engine_argv[i], engine_vm_dir, p->vm_dir);
      char *arg = replace_all (moved, engine_run_dir, p->run_dir);

      if (strstr (arg, bench.tmp) != NULL && !g_str_has_prefix (arg, base) &&
          strstr (arg, base) == NULL)
        g_printerr ("hv-bench: warning: the plain QEMU argv still names the engine's files: %s\n",
                    arg);
      if (strcmp (arg, "-S") == 0)
        p->paused = TRUE;
      if (i > 0 && strcmp (engine_argv[i - 1], "-chardev") == 0)
        {
          g_autofree char *id = opt_value (arg, "id");
          g_autofree char *fd = opt_value (arg, "fd");
          g_autofree char *path = opt_value (arg, "path");
          g_autofree char *logfile = opt_value (arg, "logfile");

          if (g_strcmp0 (id, "qmp") == 0)
            {
              p->qmp_fd3 = g_strcmp0 (fd, "3") == 0;
              p->qmp_path = p->qmp_fd3 ? g_build_filename (p->run_dir, "qmp.sock", NULL)
                                       : g_steal_pointer (&path);
            }
          if (g_strcmp0 (id, "serial0") == 0 && logfile != NULL)
            p->serial_log = g_steal_pointer (&logfile);
          else if (g_strcmp0 (id, "serial0") == 0)
            {
              /* The engine reads the console from the chardev's socket and keeps the log
               * itself; the plain QEMU writes it to a file as well (nobody connects). */
              p->serial_log = g_build_filename (p->vm_dir, "logs", "serial.log", NULL);
              g_ptr_array_add (argv, g_strconcat (arg, ",logfile=", p->serial_log, NULL));
              g_free (arg);
              continue;
            }
        }
      g_ptr_array_add (argv, arg);
    }
  g_ptr_array_add (argv, NULL);

  if (p->serial_log == NULL)
    return fail (error, "The engine's QEMU argv has no serial0 chardev");
  if (p->paused && p->qmp_path == NULL)
    return fail (error, "The engine's QEMU argv starts paused (-S) but has no QMP chardev");
  if (p->qmp_path != NULL && strlen (p->qmp_path) >= sizeof ((struct sockaddr_un *) 0)->sun_path)
    return fail (error, "Socket path too long: %s", p->qmp_path);
  p->argv = (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
  return TRUE;
}

static void
unix_address (struct sockaddr_un *addr,
              const char         *path)
{
  memset (addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  g_strlcpy (addr->sun_path, path, sizeof addr->sun_path);
}

static int
unix_listen (const char *path,
             GError    **error)
{
  struct sockaddr_un addr;
  int fd;

  unix_address (&addr, path);
  g_unlink (path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 4) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      fail (error, "Cannot listen on %s: %s", path, g_strerror (saved));
      return -1;
    }
  return fd;
}

/* Connects to QEMU's monitor; with path= (not fd=3) QEMU creates the socket itself, so the
 * connection is retried until QEMU has made it. */
static gboolean
qmp_connect (const char  *path,
             GSubprocess *qemu,
             int         *out_fd,
             GError     **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) QMP_TIMEOUT_MS * 1000;
  struct sockaddr_un addr;

  unix_address (&addr, path);
  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int saved;

      if (fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0)
        {
          *out_fd = fd;
          return TRUE;
        }
      saved = errno;
      if (fd >= 0)
        close (fd);
      if (interrupted)
        return fail (error, "Interrupted");
      if (g_subprocess_get_identifier (qemu) == NULL)
        return fail (error, "QEMU ended before its monitor could be reached");
      if ((saved != ENOENT && saved != ECONNREFUSED) || g_get_monotonic_time () > deadline)
        return fail (error, "Cannot connect to %s: %s", path, g_strerror (saved));
      g_usleep (1000);
    }
}

gboolean
qmp_send_line (int         fd,
               const char *line,
               GError    **error)
{
  gsize done = 0, len = strlen (line);

  while (done < len)
    {
      ssize_t n = send (fd, line + done, len - done, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail (error, "Cannot write to QEMU's monitor: %s", g_strerror (errno));
      done += n;
    }
  return TRUE;
}

static gboolean
qmp_send (int         fd,
          const char *command,
          GError    **error)
{
  g_autofree char *line = g_strdup_printf ("{\"execute\": \"%s\"}\n", command);

  return qmp_send_line (fd, line, error);
}

/* Reads QMP messages until one that is not an event: the greeting or a command's reply. */
static gboolean
qmp_receive (int          fd,
             GString     *buf,
             GSubprocess *qemu,
             JsonObject **message,
             GError     **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) QMP_TIMEOUT_MS * 1000;

  for (;;)
    {
      char *nl = memchr (buf->str, '\n', buf->len);
      char chunk[4096];
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      ssize_t n;

      if (nl != NULL)
        {
          g_autofree char *line = g_strndup (buf->str, nl - buf->str);
          g_autoptr(JsonNode) node = NULL;

          g_string_erase (buf, 0, nl - buf->str + 1);
          node = parse_json (line, error);
          if (node == NULL)
            return FALSE;
          if (!JSON_NODE_HOLDS_OBJECT (node))
            return fail (error, "QEMU's monitor sent something that is not an object");
          if (json_object_has_member (json_node_get_object (node), "event"))
            continue;
          *message = json_object_ref (json_node_get_object (node));
          return TRUE;
        }

      if (interrupted)
        return fail (error, "Interrupted");
      if (g_get_monotonic_time () > deadline)
        return fail (error, "QEMU's monitor did not answer within %d s", QMP_TIMEOUT_MS / 1000);
      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = recv (fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail (error, "QEMU closed its monitor%s",
                     g_subprocess_get_identifier (qemu) == NULL ? " and ended" : "");
      g_string_append_len (buf, chunk, n);
    }
}

static gboolean
qmp_execute (int          fd,
             GString     *buf,
             GSubprocess *qemu,
             const char  *command,
             GError     **error)
{
  g_autoptr(JsonObject) reply = NULL;

  if (!qmp_send (fd, command, error) || !qmp_receive (fd, buf, qemu, &reply, error))
    return FALSE;
  if (!json_object_has_member (reply, "return"))
    return fail (error, "QEMU refused \"%s\"", command);
  return TRUE;
}

/* The greeting, qmp_capabilities and cont: what the engine does for a paused QEMU. The
 * connection stays open (in *qmp_fd) while the guest runs, as the engine's does. */
static gboolean
qmp_start_cpus (PlainQemu   *p,
                GSubprocess *qemu,
                int         *qmp_fd,
                GError     **error)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  g_autoptr(JsonObject) greeting = NULL;
  gboolean ok;
  int fd = -1;

  if (!qmp_connect (p->qmp_path, qemu, &fd, error))
    return FALSE;
  ok = qmp_receive (fd, buf, qemu, &greeting, error);
  if (ok && !json_object_has_member (greeting, "QMP"))
    ok = fail (error, "QEMU's monitor sent no greeting");
  ok = ok && qmp_execute (fd, buf, qemu, "qmp_capabilities", error) &&
       (p->no_cont || qmp_execute (fd, buf, qemu, "cont", error));
  if (!ok)
    {
      close (fd);
      return FALSE;
    }
  *qmp_fd = fd;
  return TRUE;
}

static void
child_setup_setsid (gpointer data)
{
  /* Like the engine: QEMU in its own session, out of reach of the terminal's Ctrl-C. */
  setsid ();
}

static gboolean
qemu_exited (gpointer data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (data)) == NULL;
}

typedef struct
{
  LogWatch watch;
  GSubprocess *qemu;
  gboolean found;
} PlainBoot;

static gboolean
plain_boot_progress (gpointer data)
{
  PlainBoot *b = data;

  if (log_watch_found (&b->watch))
    {
      b->found = TRUE;
      return TRUE;
    }
  return qemu_exited (b->qemu);
}

static void
clean_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_unlink (file);
    }
}

static char *
file_tail (const char *path,
           gsize       max)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return g_strdup ("");
  return g_strstrip (g_strdup (text + (len > max ? len - max : 0)));
}

/* Spawns the prepared argv as the engine would (its own session, stdout and stderr to a log,
 * the QMP socket on fd 3 and, where asked, one more fd such as a tap) and lets the guest run
 * (qmp_capabilities, cont). *qmp_fd stays open while the guest runs. */
gboolean
plain_spawn (PlainQemu    *p,
             GSubprocess **qemu_out,
             int          *qmp_fd,
             GError      **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) qemu = NULL;
  int listen_fd = -1, log_fd;

  *qmp_fd = -1;
  /* As the engine does, before its clock would run: leftovers of the last run go. */
  clean_dir (p->run_dir);
  g_unlink (p->serial_log);
  if (p->qmp_fd3 && (listen_fd = unix_listen (p->qmp_path, error)) < 0)
    return FALSE;
  log_fd = open (p->stderr_log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    {
      if (listen_fd >= 0)
        close (listen_fd);
      return fail (error, "Cannot create %s: %s", p->stderr_log, g_strerror (errno));
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_take_stdout_fd (launcher, dup (log_fd));
  g_subprocess_launcher_take_stderr_fd (launcher, log_fd);
  if (listen_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, listen_fd, 3);
  if (p->pass_fd_target > 3 && p->pass_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, dup (p->pass_fd), p->pass_fd_target);
  g_subprocess_launcher_set_child_setup (launcher, child_setup_setsid, NULL, NULL);
  g_subprocess_launcher_set_cwd (launcher, p->vm_dir);
  qemu = g_subprocess_launcher_spawnv (launcher, (const char * const *) p->argv, error);
  /* The launcher holds our copies of the fds until it goes. */
  g_clear_object (&launcher);
  if (qemu == NULL)
    return FALSE;
  if (p->paused && !qmp_start_cpus (p, qemu, qmp_fd, error))
    {
      g_subprocess_force_exit (qemu);
      wait_until (qemu_exited, qemu, 50, 10000, FALSE, "QEMU to die", NULL);
      return FALSE;
    }
  *qemu_out = g_steal_pointer (&qemu);
  return TRUE;
}

/* Waits (Ctrl-C ends the wait) until QEMU has exited. */
gboolean
plain_wait_exit (GSubprocess *qemu,
                 guint        timeout_ms,
                 GError     **error)
{
  if (wait_until (qemu_exited, qemu, 50, timeout_ms, TRUE, "QEMU to exit", error))
    return TRUE;
  g_subprocess_force_exit (qemu);
  wait_until (qemu_exited, qemu, 50, 10000, FALSE, "QEMU to die", NULL);
  return FALSE;
}

gboolean
plain_boot_once (PlainQemu *p,
                 double    *marker_s,
                 GError   **error)
{
  g_autoptr(GSubprocess) qemu = NULL;
  PlainBoot b = { 0 };
  int qmp_fd = -1;
  gint64 t0, t1 = 0;
  gboolean ok = FALSE;

  /* plain_spawn() empties these too; the watch must begin on the emptied log. */
  clean_dir (p->run_dir);
  g_unlink (p->serial_log);
  log_watch_begin (&b.watch, p->serial_log);
  b.watch.marker = p->marker;

  t0 = g_get_monotonic_time ();
  if (!plain_spawn (p, &qemu, &qmp_fd, error))
    goto out;

  b.qemu = qemu;
  if (!wait_until (plain_boot_progress, &b, MARKER_POLL_MS, BOOT_TIMEOUT_MS, TRUE,
                   "the guest's marker", error))
    goto out;
  t1 = g_get_monotonic_time ();
  if (!b.found)
    {
      g_autofree char *tail = file_tail (p->stderr_log, 400);
      fail (error, "QEMU ended before the guest printed \"%s\": %s",
            p->marker != NULL ? p->marker : MARKER, tail);
      goto out;
    }
  ok = TRUE;

out:
  log_watch_end (&b.watch);
  if (qemu != NULL)
    {
      /* The guest powers itself off after its markers (hv.poweroff=1). */
      if (!wait_until (qemu_exited, qemu, 50, ok ? POWEROFF_TIMEOUT_MS : 0, ok,
                       "the guest to power off", NULL))
        {
          if (ok)
            g_printerr ("hv-bench: the guest did not power off within %d s; killing QEMU\n",
                        POWEROFF_TIMEOUT_MS / 1000);
          g_subprocess_force_exit (qemu);
          wait_until (qemu_exited, qemu, 50, 10000, FALSE, "QEMU to die", NULL);
        }
    }
  if (qmp_fd >= 0)
    close (qmp_fd);
  if (ok)
    *marker_s = (t1 - t0) / 1e6;
  else if (qemu != NULL && error != NULL && *error != NULL && b.found == FALSE)
    {
      g_autofree char *tail = file_tail (p->stderr_log, 400);

      if (tail[0] != '\0' && strstr ((*error)->message, tail) == NULL)
        g_prefix_error (error, "%s\n", tail);
    }
  return ok;
}

