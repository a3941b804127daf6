/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-app: how long `hostvisor` takes from its start to its first window, with an empty
 * library and with a large one (200 VMs by default). It prints figures and asserts nothing.
 *
 * Everything runs in a fresh environment: its own session bus (the program runs itself again
 * under dbus-run-session), its own Xvfb (a display number it chooses itself, -displayfd), its
 * own XDG directories and engine. For each run the clock starts when `hostvisor` is spawned;
 * then three moments are taken:
 *
 *   window mapped   the X server maps a toplevel named "Hostvisor" (MapNotify on the root)
 *   window drawn    the window's header bar has been painted (its top strip, read back with
 *                   XGetImage every 2 ms, is no longer one colour)
 *   library shown   through AT-SPI: the sidebar list "Virtual machines" is on screen and its
 *                   scroll range covers every row (folders + VMs), or for an empty library the
 *                   welcome page is on screen. A persistent python3 helper polls every 5 ms
 *                   once the window is drawn (started before the runs, so its start-up is
 *                   not counted).
 *
 * The engine already runs (the app is measured, not the engine's start). One warm-up run of
 * each library is not counted. See bench/README.md. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#define ENGINE_PATH "/io/github/hostvisor/Engine"
#define ENGINE_IFACE "io.github.hostvisor.Engine"
#define WINDOW_TITLE "Hostvisor"
#define TARGET_MS 500.0
#define MAP_TIMEOUT_MS (60 * 1000)
#define SHOWN_TIMEOUT_S 60
#define DRAW_POLL_MS 2
/* The part of the window read back to see that it was drawn: its header bar. */
#define STRIP_HEIGHT 48
#define SIDEBAR_X 8
#define SIDEBAR_Y 110
#define SIDEBAR_WIDTH 290
#define SIDEBAR_HEIGHT 300

static int opt_runs = 5;
static int opt_vms = 200;
static int opt_folders = 10;
static char *opt_bindir;
static gboolean opt_verbose;
static gboolean opt_no_a11y;

/* The helper that reads the accessibility tree: it waits for a line
 *   "library PID ROWS" (the sidebar shows ROWS rows)  or  "welcome PID"
 * and answers "ok SECONDS" (CLOCK_MONOTONIC, as g_get_monotonic_time()) or "timeout …". */
static const char helper_py[] =
  "import sys, time\n"
  "import gi\n"
  "gi.require_version('Atspi', '2.0')\n"
  "from gi.repository import Atspi\n"
  "paths = {}\n"
  "def app_of(pid):\n"
  "    d = Atspi.get_desktop(0)\n"
  "    for i in range(d.get_child_count()):\n"
  "        a = d.get_child_at_index(i)\n"
  "        if a is not None and a.get_name() == 'hostvisor' and a.get_process_id() == pid:\n"
  "            return a\n"
  "def shown(acc):\n"
  "    try:\n"
  "        e = acc.get_extents(Atspi.CoordType.WINDOW)\n"
  "        return e.width > 0 and e.height > 0\n"
  "    except Exception:\n"
  "        return False\n"
  "def at(app, path):\n"
  "    acc = app\n"
  "    for i in path:\n"
  "        acc = acc.get_child_at_index(i) if acc is not None else None\n"
  "    return acc\n"
  "def search(app, pred):\n"
  "    stack = [(app, [])]\n"
  "    while stack:\n"
  "        acc, path = stack.pop()\n"
  "        if pred(acc):\n"
  "            return acc, path\n"
  "        if acc.get_role_name() == 'list':\n"
  "            continue\n"
  "        for i in reversed(range(acc.get_child_count())):\n"
  "            c = acc.get_child_at_index(i)\n"
  "            if c is not None:\n"
  "                stack.append((c, path + [i]))\n"
  "    return None, None\n"
  "def find(app, key, pred):\n"
  "    acc = at(app, paths[key]) if key in paths else None\n"
  "    if acc is not None and pred(acc):\n"
  "        return acc\n"
  "    acc, path = search(app, pred)\n"
  "    if acc is not None:\n"
  "        paths[key] = path\n"
  "    return acc\n"
  "def rows(lst):\n"
  "    if lst.get_child_count() < 2:\n"
  "        return lst.get_child_count()\n"
  "    a = lst.get_child_at_index(0).get_extents(Atspi.CoordType.WINDOW)\n"
  "    b = lst.get_child_at_index(1).get_extents(Atspi.CoordType.WINDOW)\n"
  "    pitch = b.y - a.y\n"
  "    if pitch <= 0:\n"
  "        return 0\n"
  "    best = 0\n"
  "    pane = lst.get_parent()\n"
  "    for i in range(pane.get_child_count()):\n"
  "        bar = pane.get_child_at_index(i)\n"
  "        if bar is None or bar.get_role_name() != 'scroll bar' or bar.get_child_count() < 1:\n"
  "            continue\n"
  "        rng = bar.get_child_at_index(0)\n"
  "        e = rng.get_extents(Atspi.CoordType.WINDOW)\n"
  "        if e.height > e.width:\n"
  "            best = max(best, round(Atspi.Value.get_maximum_value(rng) / pitch))\n"
  "    return best\n"
  "def library(app, want):\n"
  "    lst = find(app, 'list', lambda a: a.get_role_name() == 'list'\n"
  "               and a.get_name() == 'Virtual machines')\n"
  "    return lst is not None and shown(lst) and rows(lst) >= want\n"
  "def welcome(app):\n"
  "    lbl = find(app, 'welcome', lambda a: a.get_role_name() == 'label'\n"
  "               and a.get_name() == 'Welcome to Hostvisor' and shown(a))\n"
  "    return lbl is not None\n"
  "for line in sys.stdin:\n"
  "    words = line.split()\n"
  "    pid = int(words[1])\n"
  "    deadline = time.monotonic() + float(sys.argv[1])\n"
  "    polls = 0\n"
  "    while True:\n"
  "        polls += 1\n"
  "        try:\n"
  "            app = app_of(pid)\n"
  "            if app is not None:\n"
  "                app.clear_cache()\n"
  "            done = app is not None and (library(app, int(words[2])) if words[0] == 'library'\n"
  "                                        else welcome(app))\n"
  "        except Exception:\n"
  "            done = False\n"
  "        if done:\n"
  "            print('ok %.6f %d' % (time.monotonic(), polls), flush=True)\n"
  "            break\n"
  "        if time.monotonic() > deadline:\n"
  "            print('timeout after %d polls' % polls, flush=True)\n"
  "            break\n"
  "        time.sleep(0.005)\n";

typedef struct
{
  const char *label;
  GArray *mapped;   /* double, ms */
  GArray *drawn;
  GArray *listed;   /* the sidebar's rows drawn (a library of VMs only) */
  GArray *shown;
  guint64 helper_polls;
} Series;

static char *tmp_dir;
static char *ctl_path;
static char *app_path;
static char *baseline_path;
static GPid xvfb_pid;
static Display *dpy;
static GSubprocess *helper;
static GDataInputStream *helper_out;
static GOutputStream *helper_in;
static volatile sig_atomic_t interrupted;

static gboolean
fail (GError    **error,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError    **error,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_IO_ERROR, G_IO_ERROR_FAILED, format, args));
  va_end (args);
  return FALSE;
}

static void
on_signal (int sig)
{
  interrupted = 1;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* ---- the environment ---- */

static gboolean
start_xvfb (GError **error)
{
  int fds[2];
  char buf[32] = { 0 };
  g_autofree char *fd_arg = NULL;
  ssize_t n;
  gint64 deadline;

  if (pipe (fds) != 0)
    return fail (error, "pipe: %s", g_strerror (errno));
  fd_arg = g_strdup_printf ("%d", fds[1]);
  {
    const char *argv[] = { "Xvfb", "-displayfd", fd_arg, "-screen", "0", "1280x800x24",
                           "-nolisten", "tcp", NULL };
    GSpawnFlags flags = G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                        G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL |
                        G_SPAWN_LEAVE_DESCRIPTORS_OPEN;

    if (!g_spawn_async (NULL, (char **) argv, NULL, flags, NULL, NULL, &xvfb_pid, error))
      {
        close (fds[0]);
        close (fds[1]);
        return FALSE;
      }
  }
  close (fds[1]);
  /* Xvfb writes the display number once it listens. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  n = 0;
  while (g_get_monotonic_time () < deadline && !interrupted)
    {
      struct pollfd pfd = { .fd = fds[0], .events = POLLIN };

      if (poll (&pfd, 1, 100) > 0)
        {
          n = read (fds[0], buf, sizeof buf - 1);
          break;
        }
    }
  close (fds[0]);
  if (n <= 0)
    return fail (error, "Xvfb did not start");
  g_strchomp (buf);
  {
    g_autofree char *display = g_strdup_printf (":%s", buf);

    g_setenv ("DISPLAY", display, TRUE);
    dpy = XOpenDisplay (display);
    if (dpy == NULL)
      return fail (error, "Cannot open display %s", display);
    g_printerr ("hv-bench-app: Xvfb on %s\n", display);
  }
  XSelectInput (dpy, DefaultRootWindow (dpy), SubstructureNotifyMask);
  XSync (dpy, False);
  return TRUE;
}

static gboolean
ctl (GError **error,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, ctl_path);
  va_start (args, error);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            error);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (proc))
    return fail (error, "hostvisorctl %s: %s", (char *) argv->pdata[1], g_strstrip (err));
  return TRUE;
}

/* The VMs go in through one D-Bus connection (CreateVm with no disk, 64 MiB, as
 * `hostvisorctl create NAME --no-disk --memory 64 --folder F` calls it): creating them is
 * not what is measured. */
static gboolean
create_vms (GError **error)
{
  g_autofree char *path = g_build_filename (g_getenv ("XDG_RUNTIME_DIR"), "hostvisor",
                                            "engine.sock", NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) bus = NULL;

  stream = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (stream == NULL)
    return FALSE;
  bus = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                    NULL, NULL, error);
  if (bus == NULL)
    return FALSE;
  for (int i = 0; i < opt_vms && !interrupted; i++)
    {
      g_autofree char *name = g_strdup_printf ("vm-%03d", i);
      g_autofree char *folder = opt_folders > 0
                                ? g_strdup_printf ("Folder %02d", i % opt_folders) : NULL;
      g_autoptr(GVariant) reply = NULL;
      GVariantBuilder options;

      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&options, "{sv}", "no-disk", g_variant_new_boolean (TRUE));
      g_variant_builder_add (&options, "{sv}", "memory", g_variant_new_uint64 (64));
      if (folder != NULL)
        g_variant_builder_add (&options, "{sv}", "folder", g_variant_new_string (folder));
      reply = g_dbus_connection_call_sync (bus, NULL, ENGINE_PATH, ENGINE_IFACE, "CreateVm",
                                           g_variant_new ("(sa{sv})", name, &options),
                                           G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                           60000, NULL, error);
      if (reply == NULL)
        return FALSE;
    }
  g_dbus_connection_close_sync (bus, NULL, NULL);
  return !interrupted;
}

static GPid
engine_pid (void)
{
  g_autofree char *lock = g_build_filename (g_getenv ("XDG_RUNTIME_DIR"), "hostvisor",
                                            "engine.lock", NULL);
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  /* The engine is the process that holds its lock file open. */
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_dir = NULL;
      g_autoptr(GDir) fds = NULL;
      const char *fd;

      if (!g_ascii_isdigit (name[0]))
        continue;
      fd_dir = g_build_filename ("/proc", name, "fd", NULL);
      fds = g_dir_open (fd_dir, 0, NULL);
      while (fds != NULL && (fd = g_dir_read_name (fds)) != NULL)
        {
          g_autofree char *link = g_build_filename (fd_dir, fd, NULL);
          g_autofree char *target = g_file_read_link (link, NULL);

          if (target != NULL && strcmp (target, lock) == 0)
            return (GPid) atoi (name);
        }
    }
  return 0;
}

static void
stop_engine (void)
{
  GPid pid = engine_pid ();

  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  for (int i = 0; i < 300 && kill (pid, 0) == 0; i++)
    g_usleep (100 * 1000);
  if (kill (pid, 0) == 0)
    kill (pid, SIGKILL);
}

static gboolean
start_helper (GError **error)
{
  g_autofree char *timeout = g_strdup_printf ("%d", SHOWN_TIMEOUT_S);
  const char *argv[] = { "/usr/bin/python3", "-c", helper_py, timeout, NULL };

  /* Its stderr would only say that GTK 4.8 has no AT-SPI cache object. */
  helper = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                    G_SUBPROCESS_FLAGS_STDERR_SILENCE, error);
  if (helper == NULL)
    return FALSE;
  helper_in = g_subprocess_get_stdin_pipe (helper);
  helper_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper));
  return TRUE;
}

/* ---- one run ---- */

static gboolean
window_is_ours (Window w)
{
  char *name = NULL;
  gboolean ours = FALSE;
  Atom utf8 = XInternAtom (dpy, "UTF8_STRING", False);
  Atom net_wm_name = XInternAtom (dpy, "_NET_WM_NAME", False);
  Atom type;
  int format;
  unsigned long count, after;
  unsigned char *data = NULL;

  if (XGetWindowProperty (dpy, w, net_wm_name, 0, 256, False, utf8, &type, &format, &count,
                          &after, &data) == Success && data != NULL)
    {
      ours = strcmp ((char *) data, WINDOW_TITLE) == 0;
      XFree (data);
    }
  if (!ours && XFetchName (dpy, w, &name) && name != NULL)
    {
      ours = strcmp (name, WINDOW_TITLE) == 0;
      XFree (name);
    }
  return ours;
}

/* Waits for MapNotify of a toplevel named WINDOW_TITLE; 0 when none came in time. */
static Window
wait_mapped (gint64 deadline_us)
{
  while (g_get_monotonic_time () < deadline_us && !interrupted)
    {
      while (XPending (dpy) > 0)
        {
          XEvent event;

          XNextEvent (dpy, &event);
          if (event.type == MapNotify && window_is_ours (event.xmap.window))
            return event.xmap.window;
        }
      {
        struct pollfd pfd = { .fd = ConnectionNumber (dpy), .events = POLLIN };

        poll (&pfd, 1, 50);
      }
    }
  return 0;
}

/* The rectangle (the window's width when width is 0) holds more than one colour: GTK has
 * painted something there. The top strip: its header bar. */
static gboolean
window_painted (Window w,
                int    x0,
                int    y0,
                int    width,
                int    height)
{
  XWindowAttributes attrs;
  XImage *image;
  unsigned long first;
  gboolean painted = FALSE;

  if (!XGetWindowAttributes (dpy, w, &attrs) || attrs.map_state != IsViewable)
    return FALSE;
  if (width == 0)
    width = attrs.width;
  width = MIN (width, attrs.width - x0);
  height = MIN (height, attrs.height - y0);
  if (width <= 0 || height <= 0)
    return FALSE;
  image = XGetImage (dpy, w, x0, y0, width, height, AllPlanes, ZPixmap);
  if (image == NULL)
    return FALSE;
  first = XGetPixel (image, width / 2, 0);
  for (int y = 0; y < height && !painted; y += 2)
    for (int x = 0; x < width && !painted; x++)
      painted = XGetPixel (image, x, y) != first;
  XDestroyImage (image);
  return painted;
}

static int
ignore_x_errors (Display     *display,
                 XErrorEvent *event)
{
  /* The window may go away between the event and the request about it. */
  return 0;
}

static gboolean
run_once (Series  *series,
          int      rows,
          GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (opt_verbose ? G_SUBPROCESS_FLAGS_NONE
                                           : G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                             G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) app = NULL;
  g_autofree char *request = NULL;
  g_autofree char *reply = NULL;
  const char *argv[] = { rows < 0 ? baseline_path : app_path, NULL };
  double t0, mapped, drawn = 0, listed = 0, shown = 0;
  gint64 deadline;
  Window w;
  GPid pid;

  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", opt_no_a11y ? "none" : "atspi", TRUE);
  /* Nothing from an earlier run may count. */
  XSync (dpy, True);

  t0 = now_ms ();
  app = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (app == NULL)
    return FALSE;
  deadline = g_get_monotonic_time () + (gint64) MAP_TIMEOUT_MS * 1000;
  w = wait_mapped (deadline);
  mapped = now_ms ();
  if (w == 0)
    {
      g_subprocess_force_exit (app);
      return fail (error, "No window named %s was mapped", WINDOW_TITLE);
    }
  while (g_get_monotonic_time () < deadline && !interrupted)
    {
      if (window_painted (w, 0, 0, 0, STRIP_HEIGHT))
        {
          drawn = now_ms ();
          break;
        }
      g_usleep (DRAW_POLL_MS * 1000);
    }
  /* The sidebar's rows: below the header bar and the search entry, left of the pane's
   * divider (320 px), where the welcome and "connecting" pages leave the background plain. */
  while (rows > 0 && drawn > 0 && g_get_monotonic_time () < deadline && !interrupted)
    {
      if (window_painted (w, SIDEBAR_X, SIDEBAR_Y, SIDEBAR_WIDTH, SIDEBAR_HEIGHT))
        {
          listed = now_ms ();
          break;
        }
      g_usleep (DRAW_POLL_MS * 1000);
    }

  /* rows < 0: the baseline window, which has no library to wait for. */
  if (helper != NULL && rows >= 0)
    {
      pid = atoi (g_subprocess_get_identifier (app));
      request = rows > 0 ? g_strdup_printf ("library %d %d\n", pid, rows)
                         : g_strdup_printf ("welcome %d\n", pid);
      if (!g_output_stream_write_all (helper_in, request, strlen (request), NULL, NULL, error) ||
          !g_output_stream_flush (helper_in, NULL, error))
        return FALSE;
      reply = g_data_input_stream_read_line_utf8 (helper_out, NULL, NULL, error);
      if (reply == NULL)
        return FALSE;
      if (g_str_has_prefix (reply, "ok "))
        {
          char *end;

          shown = g_ascii_strtod (reply + 3, &end) * 1000.0;
          series->helper_polls += g_ascii_strtoull (end, NULL, 10);
        }
      else
        g_printerr ("hv-bench-app: %s: the library was not shown: %s\n", series->label, reply);
    }

  g_subprocess_send_signal (app, SIGTERM);
  if (!g_subprocess_wait (app, NULL, NULL))
    g_subprocess_force_exit (app);

  if (series->mapped != NULL)
    {
      double m = mapped - t0, d = drawn > 0 ? drawn - t0 : -1, s = shown > 0 ? shown - t0 : -1;
      double l = listed > 0 ? listed - t0 : -1;

      g_array_append_val (series->mapped, m);
      g_array_append_val (series->drawn, d);
      g_array_append_val (series->listed, l);
      g_array_append_val (series->shown, s);
      g_printerr ("hv-bench-app: %s: mapped %.0f ms, drawn %.0f ms, library drawn %.0f ms, "
                  "shown %.0f ms\n", series->label, m, d, l, s);
    }
  /* Let the engine notice the client went away before the next one comes. */
  g_usleep (300 * 1000);
  return !interrupted;
}

static gboolean
measure (Series  *series,
         int      rows,
         GError **error)
{
  Series warmup = { .label = "warm-up" };

  if (!run_once (&warmup, rows, error))
    return FALSE;
  series->mapped = g_array_new (FALSE, FALSE, sizeof (double));
  series->drawn = g_array_new (FALSE, FALSE, sizeof (double));
  series->listed = g_array_new (FALSE, FALSE, sizeof (double));
  series->shown = g_array_new (FALSE, FALSE, sizeof (double));
  for (int i = 0; i < opt_runs; i++)
    if (!run_once (series, rows, error))
      return FALSE;
  return TRUE;
}

/* ---- the table ---- */

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
print_row (const char *library,
           const char *moment,
           GArray     *values,
           gboolean    with_target)
{
  g_autoptr(GArray) sorted = g_array_new (FALSE, FALSE, sizeof (double));
  double median;

  for (guint i = 0; i < values->len; i++)
    if (g_array_index (values, double, i) >= 0)
      g_array_append_val (sorted, g_array_index (values, double, i));
  if (sorted->len == 0)
    {
      printf ("%-26s %-16s %8s %8s %8s   %s\n", library, moment, "-", "-", "-",
              with_target ? "< 500 ms" : "");
      return;
    }
  g_array_sort (sorted, compare_double);
  median = sorted->len % 2 ? g_array_index (sorted, double, sorted->len / 2)
                           : (g_array_index (sorted, double, sorted->len / 2 - 1) +
                              g_array_index (sorted, double, sorted->len / 2)) / 2;
  printf ("%-26s %-16s %8.0f %8.0f %8.0f   %s%s\n", library, moment, median,
          g_array_index (sorted, double, 0), g_array_index (sorted, double, sorted->len - 1),
          with_target ? "< 500 ms" : "",
          with_target ? (median < TARGET_MS ? " (met)" : " (missed)") : "");
  if (sorted->len < values->len)
    printf ("%-26s %-16s (%u of %u runs did not get there)\n", "", "",
            values->len - sorted->len, values->len);
}

/* ---- main ---- */

static int
reexec_in_session (int    argc,
                   char **argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status;

  /* A session bus of our own: the accessibility bus the helper reads comes with it, and the
   * app finds nothing of the desktop it runs on. */
  g_ptr_array_add (args, "dbus-run-session");
  g_ptr_array_add (args, "--");
  for (int i = 0; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);
  g_setenv ("HV_BENCH_APP_SESSION", "1", TRUE);
  if (!g_spawn_sync (NULL, (char **) args->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                     NULL, &status, &error))
    {
      g_printerr ("hv-bench-app: dbus-run-session: %s\n", error->message);
      return 1;
    }
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}

static gboolean
have_helper (void)
{
  const char *argv[] = { "/usr/bin/python3", "-c",
                         "import gi; gi.require_version('Atspi', '2.0')", NULL };
  int status = 1;

  return g_spawn_sync (NULL, (char **) argv, NULL,
                       G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                       NULL, NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL);
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Starts of each kind (default 5)", "N" },
    { "vms", 0, 0, G_OPTION_ARG_INT, &opt_vms, "VMs in the large library (default 200)", "N" },
    { "folders", 0, 0, G_OPTION_ARG_INT, &opt_folders,
      "Folders they are spread over (default 10; 0: all at the top level)", "N" },
    { "bindir", 0, 0, G_OPTION_ARG_FILENAME, &opt_bindir,
      "Take hostvisor, hostvisorctl and hostvisord from DIR", "DIR" },
    { "no-a11y", 0, 0, G_OPTION_ARG_NONE, &opt_no_a11y,
      "Start the app with GTK_A11Y=none (no \"shown\" figures): what AT-SPI costs", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Show the app's output", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— time from starting hostvisor "
                                                            "to its first window");
  g_autoptr(GError) error = NULL;
  g_autofree char *engined = NULL;
  Series empty = { .label = "empty library" };
  Series full = { 0 };
  Series baseline = { .label = "bare libadwaita window" };
  g_autofree char *full_label = NULL;
  int status = 0;
  int rows;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hv-bench-app: %s\n", error->message);
      return 2;
    }
  if (opt_runs < 1 || opt_vms < 1 || opt_folders < 0 || opt_folders > opt_vms)
    {
      g_printerr ("hv-bench-app: --runs and --vms must be at least 1, --folders 0 to --vms\n");
      return 2;
    }
  if (g_getenv ("HV_BENCH_APP_SESSION") == NULL)
    {
      /* argv lost its options in parsing: pass them on as they were understood. */
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      char *self = g_file_read_link ("/proc/self/exe", NULL);

      g_ptr_array_add (args, self != NULL ? self : g_strdup (argv[0]));
      g_ptr_array_add (args, g_strdup_printf ("--runs=%d", opt_runs));
      g_ptr_array_add (args, g_strdup_printf ("--vms=%d", opt_vms));
      g_ptr_array_add (args, g_strdup_printf ("--folders=%d", opt_folders));
      if (opt_bindir != NULL)
        g_ptr_array_add (args, g_strdup_printf ("--bindir=%s", opt_bindir));
      if (opt_verbose)
        g_ptr_array_add (args, g_strdup ("--verbose"));
      if (opt_no_a11y)
        g_ptr_array_add (args, g_strdup ("--no-a11y"));
      return reexec_in_session (args->len, (char **) args->pdata);
    }

  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  signal (SIGHUP, on_signal);
  XSetErrorHandler (ignore_x_errors);

  if (opt_bindir == NULL)
    opt_bindir = g_strdup (HV_BENCH_APP_DIR);
  app_path = g_build_filename (opt_bindir, "hostvisor", NULL);
  baseline_path = g_strdup (HV_BENCH_APP_BASELINE);
  ctl_path = g_build_filename (opt_bindir, "hostvisorctl", NULL);
  engined = g_build_filename (opt_bindir, "hostvisord", NULL);

  tmp_dir = g_dir_make_tmp ("hvba.XXXXXX", &error);
  if (tmp_dir == NULL)
    goto failed;
  {
    const char *sub[][2] = { { "XDG_RUNTIME_DIR", "run" }, { "XDG_DATA_HOME", "data" },
                             { "XDG_CONFIG_HOME", "config" }, { "XDG_CACHE_HOME", "cache" } };

    for (guint i = 0; i < G_N_ELEMENTS (sub); i++)
      {
        g_autofree char *dir = g_build_filename (tmp_dir, sub[i][1], NULL);

        g_mkdir_with_parents (dir, 0700);
        g_setenv (sub[i][0], dir, TRUE);
      }
  }
  g_setenv ("HOSTVISORD", engined, TRUE);
  g_setenv ("HOSTVISOR_IDLE_EXIT", "0", TRUE);
  g_setenv ("HOSTVISOR_NO_KVM", "1", TRUE);
  g_unsetenv ("HOSTVISOR_LIBRARY");

  if (!start_xvfb (&error))
    goto failed;
  if (opt_no_a11y)
    g_printerr ("hv-bench-app: GTK_A11Y=none: no \"library shown\" figures\n");
  else if (have_helper ())
    {
      if (!start_helper (&error))
        goto failed;
    }
  else
    g_printerr ("hv-bench-app: python3 with AT-SPI (gir1.2-atspi-2.0) is missing: "
                "no \"library shown\" figures\n");

  /* The engine runs before the app starts: the app's own start is what is measured. */
  if (!ctl (&error, "list", NULL))
    goto failed;
  g_printerr ("hv-bench-app: %d runs of the bare libadwaita window\n", opt_runs);
  if (!measure (&baseline, -1, &error))
    goto failed;
  g_printerr ("hv-bench-app: %d runs with an empty library\n", opt_runs);
  if (!measure (&empty, 0, &error))
    goto failed;

  g_printerr ("hv-bench-app: creating %d VMs in %d folders\n", opt_vms, opt_folders);
  if (!create_vms (&error))
    goto failed;
  /* Folders are expanded at first: every folder and every VM is a row. */
  rows = opt_vms + opt_folders;
  full_label = opt_folders > 0 ? g_strdup_printf ("%d VMs in %d folders", opt_vms, opt_folders)
                               : g_strdup_printf ("%d VMs", opt_vms);
  full.label = full_label;
  g_printerr ("hv-bench-app: %d runs with %s\n", opt_runs, full_label);
  if (!measure (&full, rows, &error))
    goto failed;

  printf ("\nhostvisor: start to first window (ms), Xvfb 1280x800, engine already running, "
          "%d runs after 1 warm-up, GTK_A11Y=%s%s%s\n\n", opt_runs,
          opt_no_a11y ? "none" : "atspi", g_getenv ("GSK_RENDERER") ? ", GSK_RENDERER=" : "",
          g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "");
  printf ("%-26s %-16s %8s %8s %8s   %s\n", "library", "moment", "median", "min", "max",
          "target");
  print_row (baseline.label, "window mapped", baseline.mapped, FALSE);
  print_row ("", "window drawn", baseline.drawn, FALSE);
  print_row (empty.label, "window mapped", empty.mapped, FALSE);
  print_row ("", "window drawn", empty.drawn, FALSE);
  print_row ("", "welcome shown", empty.shown, FALSE);
  print_row (full.label, "window mapped", full.mapped, FALSE);
  print_row ("", "window drawn", full.drawn, FALSE);
  print_row ("", "library drawn", full.listed, TRUE);
  print_row ("", "library shown", full.shown, FALSE);
  if (helper != NULL)
    printf ("\n\"shown\" is read through AT-SPI every 5 ms (%.1f polls per run on average).\n",
            (double) (empty.helper_polls + full.helper_polls) / (2 * opt_runs));
  goto done;

failed:
  g_printerr ("hv-bench-app: %s\n", error != NULL ? error->message : "failed");
  status = 1;
done:
  if (interrupted)
    status = 130;
  if (helper != NULL)
    {
      g_output_stream_close (helper_in, NULL, NULL);
      g_subprocess_force_exit (helper);
      g_subprocess_wait (helper, NULL, NULL);
      g_clear_object (&helper_out);
      g_clear_object (&helper);
    }
  if (tmp_dir != NULL)
    stop_engine ();
  if (dpy != NULL)
    XCloseDisplay (dpy);
  if (xvfb_pid > 0)
    {
      kill (xvfb_pid, SIGTERM);
      waitpid (xvfb_pid, NULL, 0);
    }
  if (tmp_dir != NULL)
    {
      const char *argv_rm[] = { "rm", "-rf", tmp_dir, NULL };

      g_spawn_sync (NULL, (char **) argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    NULL, NULL);
    }
  for (Series *s = &baseline; s != NULL; s = s == &baseline ? &empty : s == &empty ? &full : NULL)
    {
      g_clear_pointer (&s->mapped, g_array_unref);
      g_clear_pointer (&s->drawn, g_array_unref);
      g_clear_pointer (&s->listed, g_array_unref);
      g_clear_pointer (&s->shown, g_array_unref);
    }
  g_free (tmp_dir);
  g_free (app_path);
  g_free (baseline_path);
  g_free (ctl_path);
  g_free (opt_bindir);
  return status;
}
