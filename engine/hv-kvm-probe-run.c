/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-kvm-probe-run.c: running the KVM test guest once, and what it must compute.
 *
 * QEMU runs the guest image as its firmware with two ISA devices: isa-debugcon, whose
 * output is QEMU's stdout (a pipe to us), and isa-debug-exit, through which the guest ends
 * QEMU. The guest's markers are timed as they arrive, so QEMU's own start and exit are not
 * counted: that is why this reads the pipe itself in a blocking loop (it runs in a thread)
 * rather than through the main loop. */
#include "hv-kvm-probe-private.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "hv-kvm-probe-guest.h"

/* Everything the guest writes is 35 bytes; anything much longer is not our guest. */
#define OUTPUT_MAX 256
#define STDERR_MAX 4096

extern const guint8 hv_kvm_probe_image[];
extern const gsize hv_kvm_probe_image_size;

static const char marks[HV_KVM_RUN_N_MARKS] = {
  HV_KVM_PROBE_MARK_START, HV_KVM_PROBE_MARK_REAL, HV_KVM_PROBE_MARK_SWITCH,
  HV_KVM_PROBE_MARK_LONG, HV_KVM_PROBE_MARK_END,
};

const guint8 *
hv_kvm_probe_guest_image (gsize *size)
{
  *size = hv_kvm_probe_image_size;
  return hv_kvm_probe_image_size > 0 ? hv_kvm_probe_image : NULL;
}

HvKvmRun *
hv_kvm_run_new (void)
{
  HvKvmRun *run = g_new0 (HvKvmRun, 1);

  run->output = g_string_new (NULL);
  run->stderr_text = g_string_new (NULL);
  return run;
}

void
hv_kvm_run_free (HvKvmRun *run)
{
  if (run == NULL)
    return;
  g_free (run->error);
  g_string_free (run->output, TRUE);
  g_string_free (run->stderr_text, TRUE);
  g_free (run);
}

/* ---- the model ---- */

static guint32
mix32 (guint32 s)
{
  switch (s & 3)
    {
    case 0:
      return s + 0x1e3779b9u;
    case 1:
      return (s << 7) | (s >> 25);
    case 2:
      return s ^ 0x5bd1e995u;
    default:
      return (s >> 3) | (s << 29);
    }
}

static guint64
mix64 (guint64 s)
{
  switch (s & 3)
    {
    case 0:
      return s + 0x1e3779b9u;
    case 1:
      return (s << 7) | (s >> 57);
    case 2:
      return s ^ 0x5bd1e995u;
    default:
      return (s >> 3) | (s << 61);
    }
}

static gpointer
compute_expected (gpointer data)
{
  guint64 *buf = g_new0 (guint64, (HV_KVM_PROBE_BUF_MASK + 8) / 8);
  guint64 *result = g_new (guint64, 1);
  guint32 s32 = HV_KVM_PROBE_SEED32;
  guint32 acc = 0;
  guint64 s;

  /* 1. real mode; the stores into the 4 KiB buffer are not read back */
  for (guint32 i = 0; i < HV_KVM_PROBE_REAL_ITERS; i++)
    {
      s32 ^= s32 << 13;
      s32 ^= s32 >> 17;
      s32 ^= s32 << 5;
      s32 = mix32 (s32);
      if ((i & 63) == 63)
        acc += s32;
    }
  /* 2. mode switches */
  for (guint32 i = 0; i < HV_KVM_PROBE_SWITCHES; i++)
    acc = (acc ^ i) * 0x01000193u;
  /* 3. long mode */
  s = ((guint64) acc << 32) | s32;
  for (guint32 i = 0; i < HV_KVM_PROBE_LONG_ITERS; i++)
    {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      buf[(s & HV_KVM_PROBE_BUF_MASK) / 8] += s;
      s = mix64 (s);
    }
  for (guint32 i = 0; i < (HV_KVM_PROBE_BUF_MASK + 8) / 8; i++)
    s += buf[i];
  /* 4. page table changes: word k read through the window, which maps half k % 2 */
  for (guint32 k = 0; k < HV_KVM_PROBE_REMAPS; k++)
    {
      guint64 offset = ((guint64) k * HV_KVM_PROBE_WINDOW_STRIDE) & 0x1ffff8;

      s += buf[((k & 1) * 0x200000 + offset) / 8];
    }

  g_free (buf);
  *result = s;
  return result;
}

guint64
hv_kvm_probe_expected_result (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, compute_expected, NULL);
  return *(guint64 *) once.retval;
}

/* ---- one run ---- */

/* The QEMU child dies with the thread that started it (which waits for it anyway): a
 * killed engine leaves no test guest running. */
static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static int
stream_fd (GInputStream *stream)
{
  return G_IS_UNIX_INPUT_STREAM (stream)
         ? g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (stream)) : -1;
}

static void
take_output (HvKvmRun   *run,
             const char *data,
             gssize      len,
             gint64      now)
{
  for (gssize i = 0; i < len; i++)
    {
      if (run->n_marks < HV_KVM_RUN_N_MARKS && run->output->len == run->n_marks &&
          data[i] == marks[run->n_marks])
        run->marks[run->n_marks++] = now;
      if (run->output->len < OUTPUT_MAX)
        g_string_append_c (run->output, data[i]);
    }
}

static void
take_stderr (HvKvmRun   *run,
             const char *data,
             gssize      len)
{
  g_string_append_len (run->stderr_text, data, len);
  if (run->stderr_text->len > STDERR_MAX)
    g_string_erase (run->stderr_text, 0, run->stderr_text->len - STDERR_MAX);
}

void
hv_kvm_run_guest (const char   *qemu_binary,
                  const char   *image_path,
                  const char   *accel,
                  guint         start_timeout_ms,
                  guint         work_timeout_ms,
                  GCancellable *cancellable,
                  HvKvmRun     *run)
{
  gboolean kvm = g_str_equal (accel, "kvm");
  g_autofree char *machine = g_strdup_printf ("pc,accel=%s", accel);
  g_autofree char *memory = g_strdup_printf ("%d", HV_KVM_PROBE_MEMORY_MIB);
  g_autofree char *debugcon = g_strdup_printf ("isa-debugcon,iobase=0x%x,chardev=out",
                                               HV_KVM_PROBE_DEBUGCON_PORT);
  g_autofree char *debug_exit = g_strdup_printf ("isa-debug-exit,iobase=0x%x,iosize=4",
                                                 HV_KVM_PROBE_EXIT_PORT);
  /* As the VMs run: "host" under KVM, QEMU's default model under TCG (pc machine). */
  const char * const argv[] = {
    qemu_binary, "-nodefaults", "-no-user-config", "-machine", machine,
    "-cpu", kvm ? "host" : "qemu64", "-m", memory, "-smp", "1", "-display", "none",
    "-bios", image_path, "-chardev", "stdio,id=out,signal=off", "-device", debugcon,
    "-device", debug_exit, "-no-reboot", NULL
  };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  int out_fd, err_fd;
  int cancel_fd = -1;
  gint64 spawned;
  gboolean kill_it = FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    {
      run->error = g_strdup (error->message);
      return;
    }
  spawned = g_get_monotonic_time ();
  out_fd = stream_fd (g_subprocess_get_stdout_pipe (process));
  err_fd = stream_fd (g_subprocess_get_stderr_pipe (process));
  if (cancellable != NULL)
    cancel_fd = g_cancellable_get_fd (cancellable);

  while (out_fd >= 0 || err_fd >= 0)
    {
      struct pollfd fds[3];
      nfds_t n = 0;
      gint64 now = g_get_monotonic_time ();
      gint64 deadline = run->n_marks > 0 ? run->marks[0] + (gint64) work_timeout_ms * 1000
                                         : spawned + (gint64) start_timeout_ms * 1000;
      char buf[512];
      int ready;

      /* Once the work is over, only the result line and QEMU's exit are left. */
      if (run->n_marks == HV_KVM_RUN_N_MARKS)
        deadline = MAX (deadline, run->marks[HV_KVM_RUN_N_MARKS - 1] + 5 * G_USEC_PER_SEC);
      if (now >= deadline)
        {
          run->timed_out = TRUE;
          kill_it = TRUE;
          break;
        }
      if (out_fd >= 0)
        fds[n++] = (struct pollfd) { out_fd, POLLIN, 0 };
      if (err_fd >= 0)
        fds[n++] = (struct pollfd) { err_fd, POLLIN, 0 };
      if (cancel_fd >= 0)
        fds[n++] = (struct pollfd) { cancel_fd, POLLIN, 0 };
      ready = poll (fds, n, (int) MIN ((deadline - now + 999) / 1000, G_MAXINT));
      if (ready < 0 && errno != EINTR)
        {
          run->error = g_strdup_printf ("poll: %s", g_strerror (errno));
          kill_it = TRUE;
          break;
        }
      if (ready <= 0)
        continue;
      now = g_get_monotonic_time ();
      if (g_cancellable_is_cancelled (cancellable))
        {
          run->cancelled = TRUE;
          kill_it = TRUE;
          break;
        }
      for (nfds_t i = 0; i < n; i++)
        {
          gssize len;

          if (fds[i].revents == 0 || fds[i].fd == cancel_fd)
            continue;
          len = read (fds[i].fd, buf, sizeof buf);
          if (len < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (fds[i].fd == out_fd)
            {
              if (len <= 0)
                out_fd = -1;
              else
                take_output (run, buf, len, now);
            }
          else
            {
              if (len <= 0)
                err_fd = -1;
              else
                take_stderr (run, buf, len);
            }
        }
      if (run->output->len >= OUTPUT_MAX)
        {
          kill_it = TRUE;  /* not our guest: judged by its output */
          break;
        }
    }

  if (cancel_fd >= 0)
    g_cancellable_release_fd (cancellable);
  if (kill_it)
    g_subprocess_force_exit (process);
  /* Both pipes are closed: QEMU closes them when it exits. */
  g_subprocess_wait (process, NULL, NULL);
  run->ended = g_get_monotonic_time ();
  if (g_subprocess_get_if_exited (process))
    {
      run->exited = TRUE;
      run->exit_status = g_subprocess_get_exit_status (process);
    }
  else if (g_subprocess_get_if_signaled (process))
    run->term_signal = g_subprocess_get_term_sig (process);
}
