/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-caps.c: probing the host's QEMU, /dev/kvm and OVMF.
 *
 * QEMU is run three times, each time under a time limit so that a hung binary cannot hang
 * the engine: "--version" for the version, "-machine help" for the versioned machine types
 * (about 0.1 s), then a real start under -sandbox (see probe_seccomp()). The engine probes
 * once when it starts (the answers of an unchanged binary are kept between engine starts:
 * hv-qemu-caps-cache.h) and hands copies of the result to the library and every VM. */

#include "hv-qemu-caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-kvm-probe.h"
#include "hv-qemu-caps-cache.h"
#include "hv-virtiofsd.h"

#define QEMU_BINARY_NAME "qemu-system-x86_64"
#define PROBE_TIMEOUT_MS 15000

/* The same -sandbox value the argv uses (hv-qemu-argv.c), so the probe proves exactly it. */
#define SANDBOX_OPTION "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

/* Firmware pairs in order of preference: Debian's 4 MiB build (room for more variables)
 * first, then the older 2 MiB one. Code and variable store must come from the same build. */
static const struct {
  const char *code;
  const char *vars;
} ovmf_pairs[] = {
  { "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
  { "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },
};

HvQemuCaps *
hv_qemu_caps_copy (const HvQemuCaps *caps)
{
  HvQemuCaps *copy;

  g_return_val_if_fail (caps != NULL, NULL);

  copy = g_new0 (HvQemuCaps, 1);
  *copy = *caps;
  copy->qemu_binary = g_strdup (caps->qemu_binary);
  copy->ovmf_code = g_strdup (caps->ovmf_code);
  copy->ovmf_vars_template = g_strdup (caps->ovmf_vars_template);
  copy->virtiofsd = g_strdup (caps->virtiofsd);
  copy->machine_pc = g_strdup (caps->machine_pc);
  copy->machine_q35 = g_strdup (caps->machine_q35);
  copy->machine_types = g_strdupv (caps->machine_types);
  copy->audio_drivers = g_strdupv (caps->audio_drivers);
  copy->audio_backend = g_strdup (caps->audio_backend);
  copy->audio_reason = g_strdup (caps->audio_reason);
  copy->audio_wav_dir = g_strdup (caps->audio_wav_dir);
  if (caps->kvm_probe != NULL)
    copy->kvm_probe = g_object_ref (caps->kvm_probe);
  return copy;
}

void
hv_qemu_caps_free (HvQemuCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->qemu_binary);
  g_free (caps->ovmf_code);
  g_free (caps->ovmf_vars_template);
  g_free (caps->virtiofsd);
  g_free (caps->machine_pc);
  g_free (caps->machine_q35);
  g_strfreev (caps->machine_types);
  g_strfreev (caps->audio_drivers);
  g_free (caps->audio_backend);
  g_free (caps->audio_reason);
  g_free (caps->audio_wav_dir);
  g_clear_object (&caps->kvm_probe);
  g_free (caps);
}

typedef struct {
  GMainLoop *loop;
  GAsyncResult *result;
  gboolean timed_out;
} ProbeWait;

static void
probe_communicate_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  ProbeWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static gboolean
probe_timeout_cb (gpointer user_data)
{
  ProbeWait *wait = user_data;

  wait->timed_out = TRUE;
  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

/* `input` as a file descriptor for a child's stdin: a sealed memfd, not a pipe, so a child
 * that exits without reading it cannot raise SIGPIPE in the engine (which would end it). */
static int
input_fd (const char *input,
          GError    **error)
{
  int fd = memfd_create ("hostvisor-probe-input", MFD_CLOEXEC);
  gsize len = input != NULL ? strlen (input) : 0;

  if (fd < 0 || (len > 0 && write (fd, input, len) != (gssize) len) ||
      lseek (fd, 0, SEEK_SET) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot prepare a probe's input: %s",
                   g_strerror (saved));
      return -1;
    }
  return fd;
}

/* Run a command with `input` on its stdin and collect its output, killing it if it is
 * not done after `timeout_ms`. g_spawn_sync() has no time limit, so this waits on a
 * private main context: the caller's loop is neither run nor blocked by other sources. */
static gboolean
run_with_timeout (const char * const *argv,
                  const char         *input,
                  guint               timeout_ms,
                  char              **stdout_text,
                  char              **stderr_text,
                  int                *exit_status,
                  GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ProbeWait wait = { loop, NULL, FALSE };
  gboolean ok;

  g_autoptr(GSubprocessLauncher) launcher = NULL;
  int stdin_fd = input_fd (input, error);

  if (stdin_fd < 0)
    return FALSE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_take_stdin_fd (launcher, stdin_fd);
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    return FALSE;

  g_main_context_push_thread_default (context);
  timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (timeout, probe_timeout_cb, &wait, NULL);
  g_source_attach (timeout, context);
  g_subprocess_communicate_utf8_async (process, NULL, cancellable,
                                       probe_communicate_cb, &wait);
  g_main_loop_run (loop);

  if (wait.timed_out)
    {
      /* Kill it, then let the cancelled communicate finish so nothing refers to `wait`. */
      g_subprocess_force_exit (process);
      g_cancellable_cancel (cancellable);
      while (wait.result == NULL)
        g_main_context_iteration (context, TRUE);
      g_subprocess_wait (process, NULL, NULL);
    }
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (wait.timed_out)
    {
      g_clear_object (&wait.result);
      g_set_error (error, HV_ERROR, HV_ERROR_TIMEOUT, "%s did not finish within %u seconds",
                   argv[0], timeout_ms / 1000);
      return FALSE;
    }

  ok = g_subprocess_communicate_utf8_finish (process, wait.result, stdout_text, stderr_text,
                                             error);
  g_clear_object (&wait.result);
  if (!ok)
    return FALSE;
  *exit_status = g_subprocess_get_exit_status (process);
  return TRUE;
}

/* The answers of an earlier engine start (hv-qemu-caps-cache.h), during hv_qemu_caps_probe(). */
static HvQemuCapsCache *probe_cache;

/* run_with_timeout() of a probe whose answer may be kept: its stdout and exit status. */
static gboolean
run_probe (const char         *name,
           const char * const *argv,
           const char         *input,
           char              **stdout_text,
           int                *exit_status,
           GError            **error)
{
  g_autofree char *err = NULL;

  if (hv_qemu_caps_cache_lookup (probe_cache, name, stdout_text, exit_status))
    return TRUE;
  if (!run_with_timeout (argv, input, PROBE_TIMEOUT_MS, stdout_text, &err, exit_status, error))
    return FALSE;
  hv_qemu_caps_cache_store (probe_cache, name, *stdout_text, *exit_status);
  return TRUE;
}

static char *
find_qemu (GError **error)
{
  const char *override = g_getenv ("HOSTVISOR_QEMU");
  const char *wanted = override != NULL && *override != '\0' ? override : QEMU_BINARY_NAME;
  g_autofree char *found = g_find_program_in_path (wanted);

  if (found == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   override != NULL ? "HOSTVISOR_QEMU names %s, which is not an executable"
                                    : "%s was not found; install the qemu-system-x86 package",
                   wanted);
      return NULL;
    }
  /* The argv's first element must be absolute (a PATH entry may be relative). */
  return g_canonicalize_filename (found, NULL);
}

/* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" */
static gboolean
probe_version (HvQemuCaps *caps,
               GError    **error)
{
  const char * const argv[] = { caps->qemu_binary, "--version", NULL };
  g_autofree char *out = NULL;
  const char *p;
  int status = 0;
  guint major = 0, minor = 0, micro = 0;

  if (!run_probe ("version", argv, NULL, &out, &status, error))
    return FALSE;

  p = out != NULL ? strstr (out, "version ") : NULL;
  if (status != 0 || p == NULL || sscanf (p, "version %u.%u.%u", &major, &minor, &micro) < 2)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_QEMU_FAILED,
                   "Could not read the version of %s", caps->qemu_binary);
      return FALSE;
    }
  caps->version_major = major;
  caps->version_minor = minor;
  caps->version_micro = micro;
  return TRUE;
}

const char *
hv_qemu_caps_machine_alias (const HvQemuCaps *caps,
                            HvMachine         machine)
{
  g_return_val_if_fail (caps != NULL, NULL);

  return machine == HV_MACHINE_Q35 ? caps->machine_q35 : caps->machine_pc;
}

gboolean
hv_qemu_caps_knows_machine_types (const HvQemuCaps *caps)
{
  return caps != NULL && caps->machine_types != NULL;
}

gboolean
hv_qemu_caps_has_machine_type (const HvQemuCaps *caps,
                               const char       *type)
{
  return caps != NULL && caps->machine_types != NULL && type != NULL &&
         g_strv_contains ((const char * const *) caps->machine_types, type);
}

/* A versioned type of ours as a machine-help line's first word: the kind it is for. */
static gboolean
machine_kind_of (const char *type,
                 HvMachine  *machine)
{
  if (hv_machine_type_check (HV_MACHINE_PC, type, NULL))
    *machine = HV_MACHINE_PC;
  else if (hv_machine_type_check (HV_MACHINE_Q35, type, NULL))
    *machine = HV_MACHINE_Q35;
  else
    return FALSE;
  return TRUE;
}

/* "-machine help" lists one machine a line, after a "Supported machines are:" header:
 *   pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)
 *   pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)
 *   q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)
 * Keeps the versioned types of both kinds, and the ones that "pc" and "q35" stand for (only
 * when the alias names a type of its own kind that the list has). */
gboolean
hv_qemu_caps_parse_machines (HvQemuCaps *caps,
                             const char *help_text)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *alias_pc = NULL;
  g_autofree char *alias_q35 = NULL;

  g_return_val_if_fail (caps != NULL, FALSE);

  if (help_text == NULL)
    return FALSE;
  lines = g_strsplit (help_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      const char *rest = lines[i];
      const char *alias;
      const char *end;
      char **target;
      HvMachine kind;

      while (*rest != '\0' && !g_ascii_isspace (*rest))
        rest++;
      name = g_strndup (lines[i], rest - lines[i]);
      if (machine_kind_of (name, &kind))
        {
          g_ptr_array_add (types, g_steal_pointer (&name));
          continue;
        }
      if (!g_str_equal (name, "pc") && !g_str_equal (name, "q35"))
        continue;
      alias = strstr (rest, "(alias of ");
      if (alias == NULL)
        continue;
      alias += strlen ("(alias of ");
      end = strchr (alias, ')');
      if (end == NULL)
        continue;
      target = g_str_equal (name, "pc") ? &alias_pc : &alias_q35;
      g_free (*target);
      *target = g_strndup (alias, end - alias);
    }
  if (types->len == 0)
    return FALSE;
  g_ptr_array_add (types, NULL);

  g_clear_pointer (&caps->machine_types, g_strfreev);
  caps->machine_types = (char **) g_ptr_array_free (g_steal_pointer (&types), FALSE);
  g_clear_pointer (&caps->machine_pc, g_free);
  g_clear_pointer (&caps->machine_q35, g_free);
  if (alias_pc != NULL && hv_machine_type_check (HV_MACHINE_PC, alias_pc, NULL) &&
      hv_qemu_caps_has_machine_type (caps, alias_pc))
    caps->machine_pc = g_steal_pointer (&alias_pc);
  if (alias_q35 != NULL && hv_machine_type_check (HV_MACHINE_Q35, alias_q35, NULL) &&
      hv_qemu_caps_has_machine_type (caps, alias_q35))
    caps->machine_q35 = g_steal_pointer (&alias_q35);
  return TRUE;
}

/* The machine types. Not fatal: without them VMs are not pinned and start with the aliases,
 * as before (the engine's log says why). */
static void
probe_machines (HvQemuCaps *caps)
{
  const char * const argv[] = { caps->qemu_binary, "-machine", "help", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!run_probe ("machines", argv, NULL, &out, &status, &error))
    g_message ("Cannot list the machine types of %s: %s", caps->qemu_binary, error->message);
  else if (status != 0 || !hv_qemu_caps_parse_machines (caps, out))
    g_message ("Cannot list the machine types of %s: \"-machine help\" gave none",
               caps->qemu_binary);
}

/* Whether "-sandbox SANDBOX_OPTION" really works here. Asking "-sandbox on -version"
 * would only show that QEMU was built with seccomp: -version exits while the options are
 * still being parsed, before the filter is installed. So start QEMU for real with no
 * machine, let it install the filter, and quit it over QMP on stdin. A QEMU built without
 * seccomp fails with "-sandbox is disabled at compile time", a kernel without seccomp
 * with "failed to install seccomp syscall filter in the kernel"; both exit non-zero. */
static gboolean
probe_seccomp (HvQemuCaps *caps,
               GError    **error)
{
  const char * const argv[] = {
    caps->qemu_binary, "-sandbox", SANDBOX_OPTION, "-machine", "none", "-nodefaults",
    "-no-user-config", "-display", "none", "-S", "-qmp", "stdio", NULL
  };
  const char *input = "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"quit\"}\n";
  g_autofree char *out = NULL;
  int status = 0;

  if (!run_probe ("sandbox", argv, input, &out, &status, error))
    return FALSE;
  caps->seccomp = status == 0 && out != NULL && strstr (out, "\"QMP\"") != NULL;
  return TRUE;
}

/* The KVM verdict is learned later, when first asked for (hv-kvm-probe.h): it may take a
 * test guest's run, which the engine's start need not wait for. $HOSTVISOR_NO_KVM turns KVM
 * off; $HOSTVISOR_KVM_DEVICE names another device node (tests: one that does not exist). */
static HvKvmProbe *
new_kvm_probe (const HvQemuCaps *caps)
{
  const char *no_kvm = g_getenv ("HOSTVISOR_NO_KVM");
  const char *device = g_getenv ("HOSTVISOR_KVM_DEVICE");
  g_autofree char *version = g_strdup_printf ("%u.%u.%u", caps->version_major,
                                              caps->version_minor, caps->version_micro);
  HvKvmProbeOptions options = {
    .qemu_binary = caps->qemu_binary,
    .qemu_version = version,
    .device = device != NULL && *device != '\0' ? device : NULL,
    .disabled = no_kvm != NULL && *no_kvm != '\0' && !g_str_equal (no_kvm, "0"),
  };

  return hv_kvm_probe_new (&options);
}

/* "-audiodev help" prints "Available audio drivers:" and one name a line. Debian builds pa,
 * sdl and jack as modules of qemu-system-gui; without it QEMU still lists none of them. */
gboolean
hv_qemu_caps_parse_audio_drivers (HvQemuCaps *caps,
                                  const char *help_text)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (help_text == NULL || strstr (help_text, "Available audio drivers:") == NULL)
    return FALSE;
  lines = g_strsplit (strstr (help_text, "Available audio drivers:"), "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || strspn (lines[i], "abcdefghijklmnopqrstuvwxyz0123456789")
          != strlen (lines[i]))
        continue;
      g_ptr_array_add (names, g_strdup (lines[i]));
    }
  g_ptr_array_add (names, NULL);
  g_strfreev (caps->audio_drivers);
  caps->audio_drivers = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  return TRUE;
}

/* Whether a PulseAudio (or PipeWire's pulse) server would answer: $PULSE_SERVER, or the
 * socket in $XDG_RUNTIME_DIR/pulse/native. QEMU refuses to start when an explicit pa
 * audiodev finds no server, so pa is chosen only with one. */
static gboolean
pulse_server_present (void)
{
  const char *server = g_getenv ("PULSE_SERVER");
  const char *runtime = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *socket = NULL;

  if (server != NULL && *server != '\0')
    return TRUE;
  if (runtime == NULL || *runtime == '\0')
    return FALSE;
  socket = g_build_filename (runtime, "pulse", "native", NULL);
  return g_file_test (socket, G_FILE_TEST_EXISTS);
}

void
hv_qemu_caps_choose_audio (HvQemuCaps *caps,
                           gboolean    pulse_server,
                           gboolean    sound_card)
{
  const char * const *drivers = (const char * const *) caps->audio_drivers;
  gboolean has_pa = drivers != NULL && g_strv_contains (drivers, "pa");
  gboolean has_alsa = drivers != NULL && g_strv_contains (drivers, "alsa");

  g_clear_pointer (&caps->audio_backend, g_free);
  g_clear_pointer (&caps->audio_reason, g_free);
  if (has_pa && pulse_server)
    {
      caps->audio_backend = g_strdup ("pa");
      caps->audio_reason = g_strdup ("pa: QEMU's PulseAudio backend, to the sound server of "
                                     "this session (PulseAudio or PipeWire)");
      return;
    }
  if (has_alsa && sound_card)
    {
      caps->audio_backend = g_strdup ("alsa");
      caps->audio_reason = g_strdup (has_pa ? "alsa: no PulseAudio or PipeWire server answers "
                                     "in this session"
                                     : "alsa: this QEMU has no PulseAudio backend (Debian: "
                                     "install qemu-system-gui)");
      return;
    }
  caps->audio_backend = g_strdup ("none");
  caps->audio_reason = g_strdup ("none: no sound server and no sound card here, so guests' "
                                 "sound cards play to nothing");
}

/* The audio drivers, and the test hooks of the environment. Not fatal. */
static void
probe_audio (HvQemuCaps *caps)
{
  const char * const argv[] = { caps->qemu_binary, "-audiodev", "help", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *wav_dir = g_getenv ("HOSTVISOR_AUDIO_WAV_DIR");
  const char *debug_exit = g_getenv ("HOSTVISOR_TEST_DEBUG_EXIT");
  int status = 0;

  if (!run_probe ("audio", argv, NULL, &out, &status, &error))
    g_message ("Cannot list the audio drivers of %s: %s", caps->qemu_binary, error->message);
  else if (!hv_qemu_caps_parse_audio_drivers (caps, out))
    g_message ("Cannot list the audio drivers of %s", caps->qemu_binary);
  hv_qemu_caps_choose_audio (caps, pulse_server_present (),
                             g_file_test ("/dev/snd", G_FILE_TEST_IS_DIR));
  g_message ("Audio for VMs with sound: %s", caps->audio_reason);

  if (wav_dir != NULL && *wav_dir != '\0')
    {
      caps->audio_wav_dir = g_canonicalize_filename (wav_dir, NULL);
      g_message ("Test hook HOSTVISOR_AUDIO_WAV_DIR: VMs record their sound into %s",
                 caps->audio_wav_dir);
    }
  caps->test_debug_exit = debug_exit != NULL && g_str_equal (debug_exit, "1");
  if (caps->test_debug_exit)
    g_message ("Test hook HOSTVISOR_TEST_DEBUG_EXIT: VMs get isa-debug-exit at 0xf4");
}

static void
probe_ovmf (HvQemuCaps *caps)
{
  for (guint i = 0; i < G_N_ELEMENTS (ovmf_pairs); i++)
    {
      if (g_file_test (ovmf_pairs[i].code, G_FILE_TEST_IS_REGULAR) &&
          g_file_test (ovmf_pairs[i].vars, G_FILE_TEST_IS_REGULAR))
        {
          caps->ovmf_code = g_strdup (ovmf_pairs[i].code);
          caps->ovmf_vars_template = g_strdup (ovmf_pairs[i].vars);
          return;
        }
    }
}

HvQemuCaps *
hv_qemu_caps_probe (GError **error)
{
  g_autoptr(HvQemuCaps) caps = g_new0 (HvQemuCaps, 1);

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  caps->qemu_binary = find_qemu (error);
  if (caps->qemu_binary == NULL)
    return NULL;
  probe_cache = hv_qemu_caps_cache_open (caps->qemu_binary);
  if (!probe_version (caps, error))
    {
      g_clear_pointer (&probe_cache, hv_qemu_caps_cache_close);
      return NULL;
    }
  probe_machines (caps);
  probe_audio (caps);
  if (!probe_seccomp (caps, error))
    {
      g_clear_pointer (&probe_cache, hv_qemu_caps_cache_close);
      return NULL;
    }
  g_clear_pointer (&probe_cache, hv_qemu_caps_cache_close);
  caps->kvm = FALSE;
  caps->kvm_probe = new_kvm_probe (caps);
  probe_ovmf (caps);
  /* Whether it can run here is learned when a VM first needs it (hv_virtiofsd_probe_async()):
   * that takes a real start, which the engine's own start need not wait for. */
  caps->virtiofsd = hv_virtiofsd_find ();
  return g_steal_pointer (&caps);
}
