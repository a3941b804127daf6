/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench.h: what the parts of hv-bench share (hv-bench.c runs the figures and prints them,
 * hv-bench-util.c waits for processes and files and finds the engine, hv-bench-qemu.c runs
 * the engine's QEMU command line by hand). */
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#define MARKER "HOSTVISOR-GUEST: booted"
#define GUEST_CMDLINE "console=ttyS0 quiet hv.poweroff=1"
#define GUEST_MEMORY_MIB "256"
#define BOOT_VM "hvbench-boot"
#define BENCH_VM_MEMORY_MIB 64
#define LIST_RUNS 20

/* How often a serial log is read while a guest boots: the figures are seconds, so 2 ms of
 * resolution is far below the noise, and both sides are polled the same way. */
#define MARKER_POLL_MS 2
#define BOOT_TIMEOUT_MS (180 * 1000)
#define POWEROFF_TIMEOUT_MS (60 * 1000)
#define ENGINE_STOP_TIMEOUT_MS (30 * 1000)
#define QMP_TIMEOUT_MS (60 * 1000)
/* Time the engine gets after a command before its memory is read, for any idle work. */
#define SETTLE_MS 300

#define ENGINE_PATH "/io/github/hostvisor/Engine"
#define ENGINE_IFACE "io.github.hostvisor.Engine"

typedef struct
{
  /* options */
  int runs;
  int vms;
  gboolean skip_boot;
  gboolean kvm;
  gboolean verbose;
  char *bindir;

  /* the isolated environment */
  char *tmp;
  char *runtime_dir;
  char *data_dir;
  char *ctl;
  char *engined;

  /* results; a figure that was not measured stays empty or 0 */
  GArray *hv_boot_s;
  GArray *qemu_boot_s;
  GArray *hv_start_s;
  char *accel;
  guint64 rss_idle_kib;
  guint64 rss_created_kib;
  guint64 rss_loaded_kib;
  guint64 hwm_loaded_kib;
  GArray *list_ms;
  GArray *version_ms;
  GArray *ctl_version_ms;
} Bench;

extern Bench bench;

/* Set by SIGINT, SIGTERM and SIGHUP; every wait checks it (and wakes at least every 100 ms). */
extern volatile sig_atomic_t interrupted;

gboolean fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

typedef gboolean (*DoneFunc) (gpointer data);

gboolean wait_until (DoneFunc done, gpointer data, guint interval_ms, guint timeout_ms,
                     gboolean honour_interrupt, const char *what, GError **error);
gboolean sleep_ms (guint ms);

typedef struct
{
  GSubprocess *process;
  gint64 start_us;
  gint64 end_us;
  gboolean done;
  char *out;
  char *err;
  GError *error;
} Child;

void child_free (Child *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Child, child_free)
Child *child_spawn (const char * const *argv, GError **error);
gboolean child_is_done (gpointer data);
gboolean child_wait (Child *c, guint timeout_ms, GError **error);
gboolean child_check (Child *c, const char * const *argv, GError **error);
char *argv_text (const char * const *argv);
char *ctl_run (gint64 *elapsed_us, GError **error, ...) G_GNUC_NULL_TERMINATED;
JsonNode *parse_json (const char *text, GError **error);
JsonObject *ctl_show (const char *name, GError **error);
const char *json_string (JsonObject *object, const char *member);

/* hv-bench-env.c: the throw-away environment (bench.tmp with run/, data/, config/, cache/ as
 * the XDG directories; HOSTVISOR_NO_KVM=1 unless bench.kvm), found programs in bench.ctl and
 * bench.engined (--bindir, else BUILDDIR/app, else @configured_app_dir). */
gboolean bench_env_setup (const char *configured_app_dir, GError **error);
/* Stops the engine and removes bench.tmp (nothing when setup never made it). */
void bench_env_cleanup (void);
void bench_remove_tree (const char *path);
/* SIGINT, SIGTERM and SIGHUP set `interrupted`; SIGPIPE is ignored. */
void bench_catch_signals (void);
/* tests/guest/make-tiny-guest.sh @script into @dir (nothing when it is up to date). */
gboolean bench_build_tiny_guest (const char *script, const char *dir, char **kernel,
                                 char **initrd, GError **error);
/* The directory this program is in. */
char *bench_self_dir (void);
double bench_median (GArray *values);
void bench_range (GArray *values, double *lo, double *hi);

char *engine_lock_path (void);
GPid engine_pid (void);
guint64 proc_status_kib (GPid pid, const char *field);
void engine_stop (void);
gboolean engine_memory (guint64 *rss_kib, guint64 *hwm_kib, GError **error);

/* Follows a serial log from where it ended when the watch began (the engine appends to the
 * VM's log across starts); a log that is replaced or truncated is read from its start. */
typedef struct
{
  const char *path;
  gboolean have_file;
  dev_t dev;
  ino_t ino;
  off_t offset;
  GString *text;
  gsize searched;
  const char *marker;   /* what log_watch_found() looks for; NULL: MARKER */
} LogWatch;

void log_watch_begin (LogWatch *w, const char *path);
void log_watch_end (LogWatch *w);
gboolean log_watch_found (gpointer data);

typedef struct
{
  char **argv;
  char *vm_dir;
  char *run_dir;
  char *serial_log;
  char *stderr_log;
  char *qmp_path;
  gboolean qmp_fd3;
  gboolean paused;
  gboolean no_cont;     /* plain_spawn() leaves a paused QEMU paused (after qmp_capabilities) */
  char *subdir;         /* under bench.tmp; NULL: "plain" */
  const char *marker;   /* what plain_boot_once() waits for in the serial log; NULL: MARKER */
  int pass_fd;          /* passed to QEMU as pass_fd_target when that is above 3 (a tap) */
  int pass_fd_target;
} PlainQemu;

/* Writes all of @line (a QMP message and its newline) to the monitor socket @fd. */
gboolean qmp_send_line (int fd, const char *line, GError **error);
char **argv_from_vm_log (const char *path, GError **error);
gboolean plain_qemu_prepare (PlainQemu *p, char **engine_argv, const char *engine_vm_dir,
                             GError **error);
gboolean plain_boot_once (PlainQemu *p, double *marker_s, GError **error);
gboolean plain_spawn (PlainQemu *p, GSubprocess **qemu_out, int *qmp_fd, GError **error);
gboolean plain_wait_exit (GSubprocess *qemu, guint timeout_ms, GError **error);
void plain_qemu_clear (PlainQemu *p);
