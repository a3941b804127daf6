/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-legacy.c: the VM's log lines about its hardware for old guests (see hv-vm-legacy.h). */
#include "hv-vm-legacy.h"

#include <sys/wait.h>

#include "hv-error.h"
#include "hv-qemu-argv-legacy.h"
#include "hv-vm-private.h"

void
hv_vm_legacy_log_start (HvVm             *self,
                        const HvQemuCaps *caps)
{
  const HvVmConfig *config = self->config;
  const char *backend;

  if (config == NULL || caps == NULL)
    return;
  if (hv_qemu_legacy_has_audio (config))
    {
      backend = hv_qemu_legacy_audio_backend (config, caps);
      if (g_str_equal (backend, "wav"))
        hv_vm_log (self, "audio: wav into %s (test hook HOSTVISOR_AUDIO_WAV_DIR)",
                   caps->audio_wav_dir);
      else if (config->hw.sound_muted)
        hv_vm_log (self, "audio: none (the VM's sound is muted)");
      else
        hv_vm_log (self, "audio: %s", caps->audio_reason != NULL ? caps->audio_reason : backend);
    }
  if (config->hw.icount && config->hw.icount_shift == HV_ICOUNT_SHIFT_AUTO)
    hv_vm_log (self, "CPU speed limit: off, but icount stays (-icount shift=auto): QEMU's "
               "emulation (TCG), never KVM");
  else if (config->hw.icount)
    hv_vm_log (self, "CPU speed limit: %s (-icount shift=%d,align=on): QEMU's emulation (TCG), "
               "never KVM", hv_cpu_limit_preset_name (config->hw.icount_shift) != NULL
               ? hv_cpu_limit_preset_name (config->hw.icount_shift) : "custom",
               config->hw.icount_shift);
  if (caps->test_debug_exit)
    hv_vm_log (self, "test hook HOSTVISOR_TEST_DEBUG_EXIT: isa-debug-exit at 0xf4");
}

char *
hv_vm_legacy_describe_exit (HvVm       *self,
                            const char *stderr_tail,
                            HvVmState  *state_out)
{
  int status;

  /* QEMU's isa-debug-exit calls exit ((value << 1) | 1) at once: no SHUTDOWN event, no
   * message. QEMU's own failures also exit with 1, but while starting (start_task pending)
   * or with an error on stderr last; the audio layer's notes ("audio: Failed to create
   * voice `ac97.pi'": the wav backend records no input) are no error. */
  if (self->caps == NULL || !self->caps->test_debug_exit || !self->have_status ||
      !WIFEXITED (self->wait_status) || self->start_task != NULL ||
      (stderr_tail != NULL && stderr_tail[0] != '\0' &&
       !g_str_has_prefix (stderr_tail, "audio: ")))
    return NULL;
  status = WEXITSTATUS (self->wait_status);
  if ((status & 1) == 0)
    return NULL;
  *state_out = HV_VM_STATE_POWEROFF;
  return g_strdup_printf ("the guest ended QEMU through isa-debug-exit with value %d (test "
                          "hook HOSTVISOR_TEST_DEBUG_EXIT; QEMU's exit status %d)",
                          status >> 1, status);
}

/* Windows 2000 and XP install the HAL that fits the machine at setup (uniprocessor or
 * multiprocessor, ACPI or not) and never change it: another CPU count or ACPI switch later
 * gives a machine the installed HAL does not fit (STOP 0x79, a hang at boot, or one CPU
 * used) [LKVM][VB-man] (docs/legacy.md, "Windows 2000 and XP"). */
static const char * const hal_profiles[] = { "win2000", "winxp" };

gboolean
hv_vm_legacy_check_locked (HvVm             *self,
                           const HvVmConfig *config,
                           const HvVmConfig *changed,
                           GError          **error)
{
  g_autofree char *qemu_log = NULL;
  gboolean hal = FALSE;

  if (config->hw.profile == NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (hal_profiles); i++)
    hal = hal || g_str_equal (config->hw.profile, hal_profiles[i]);
  if (!hal || (changed->cpus == config->cpus && changed->hw.acpi == config->hw.acpi))
    return TRUE;
  /* Before its first run nothing is installed: the choice is still free. */
  qemu_log = g_build_filename (hv_vm_get_dir (self), "logs", "qemu.log", NULL);
  if (!g_file_test (qemu_log, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
               "The CPU count and ACPI of a VM of the %s profile are fixed once it has run: "
               "Windows picked its HAL for %u CPU%s with ACPI %s at setup and does not boot "
               "(or uses one CPU) on other hardware. Make a new VM to install with other "
               "settings (see docs/legacy.md)", config->hw.profile, config->cpus,
               config->cpus == 1 ? "" : "s", config->hw.acpi ? "on" : "off");
  return FALSE;
}
