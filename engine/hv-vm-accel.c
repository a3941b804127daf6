/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-accel.c: which accelerator runs a VM, and why it is not KVM.
 *
 * The VM's setting (config->acceleration) and the engine's KVM verdict (hv-kvm-probe.h)
 * decide: "tcg" always emulates, "kvm" needs a usable verdict or the start fails with the
 * verdict's reason, "auto" follows the verdict. While the VM is off, Accel and AccelReason
 * say what its next start would use and follow the verdict as it becomes known; from the
 * start on they say what it uses. */
#include "hv-vm-private.h"

#include "hv-error.h"
#include "hv-kvm-probe.h"

/* AccelReason for a QEMU left by an earlier engine that runs on TCG: its reason died with
 * that engine. */
#define REASON_UNKNOWN "unknown"
#define REASON_SETTING "setting"
/* The CPU speed limit (-icount) exists under TCG only (hv-config-hardware.c). */
#define REASON_SPEED_LIMIT "speed-limit"

static HvKvmProbe *
get_probe (HvVm *self)
{
  return self->caps != NULL ? self->caps->kvm_probe : NULL;
}

/* The verdict code that keeps this VM off KVM, HV_KVM_VERDICT_USABLE when none does. */
static HvKvmVerdictCode
verdict_code (HvVm *self)
{
  HvKvmProbe *probe = get_probe (self);
  const HvKvmVerdict *verdict = probe != NULL ? hv_kvm_probe_get_verdict (probe) : NULL;

  if (probe == NULL)
    return HV_KVM_VERDICT_FAILED;  /* no QEMU: the VM cannot start anyway */
  return verdict != NULL ? verdict->code : HV_KVM_VERDICT_PROBING;
}

/* What the setting and the verdict say now. */
static void
decide (HvVm        *self,
        const char **accel,
        const char **reason)
{
  HvAcceleration setting = self->config != NULL ? self->config->acceleration
                                                : HV_ACCELERATION_AUTO;
  HvKvmVerdictCode code = verdict_code (self);
  gboolean usable = code == HV_KVM_VERDICT_USABLE;

  if (self->config != NULL && self->config->hw.icount)
    {
      *accel = "tcg";
      *reason = REASON_SPEED_LIMIT;
      return;
    }
  switch (setting)
    {
    case HV_ACCELERATION_TCG:
      *accel = "tcg";
      *reason = REASON_SETTING;
      break;
    case HV_ACCELERATION_KVM:
      *accel = "kvm";
      *reason = usable ? "" : hv_kvm_verdict_code_to_string (code);
      break;
    case HV_ACCELERATION_AUTO:
    default:
      *accel = usable ? "kvm" : "tcg";
      *reason = usable ? "" : hv_kvm_verdict_code_to_string (code);
      break;
    }
}

static void
on_verdict_changed (HvKvmProbe *probe,
                    HvVm       *self)
{
  /* A VM already disposed (deleted while the test ran) has no D-Bus face left. */
  if (self->skeleton != NULL)
    hv_vm_sync_skeleton (self);
}

void
hv_vm_accel_init (HvVm *self)
{
  HvKvmProbe *probe = get_probe (self);

  if (probe != NULL)
    g_signal_connect_object (probe, "verdict-changed", G_CALLBACK (on_verdict_changed), self, 0);
  hv_vm_accel_update (self);
}

void
hv_vm_accel_update (HvVm *self)
{
  const char *accel, *reason;

  /* A VM with a QEMU keeps what that QEMU was started with. */
  if (hv_vm_is_active (self) || self->pid != 0)
    return;
  decide (self, &accel, &reason);
  hv_set_str (&self->accel, accel);
  hv_set_str (&self->accel_reason, reason);
}

static void
on_verdict (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (hv_kvm_probe_ensure_finish (HV_KVM_PROBE (object), result, &error) == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
hv_vm_accel_prepare_async (HvVm               *self,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  HvKvmProbe *probe = get_probe (self);

  g_task_set_source_tag (task, hv_vm_accel_prepare_async);
  /* A VM set to TCG never waits for the verdict. */
  if (probe == NULL || (self->config != NULL &&
                        (self->config->acceleration == HV_ACCELERATION_TCG
                         || self->config->hw.icount)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  hv_kvm_probe_ensure_async (probe, on_verdict, g_steal_pointer (&task));
}

gboolean
hv_vm_accel_prepare_finish (HvVm         *self,
                            GAsyncResult *result,
                            GError      **error)
{
  HvKvmProbe *probe = get_probe (self);
  const HvKvmVerdict *verdict = probe != NULL ? hv_kvm_probe_get_verdict (probe) : NULL;
  const char *accel, *reason;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  decide (self, &accel, &reason);
  if (self->config != NULL && self->config->acceleration == HV_ACCELERATION_KVM &&
      reason[0] != '\0')
    {
      g_autofree char *name = hv_config_escape_for_display (hv_vm_get_name (self));

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "VM \"%s\" is set to use KVM, which cannot be used: %s (set its "
                   "acceleration to auto or tcg to run it)", name,
                   verdict != NULL ? verdict->reason : "KVM is not available");
      hv_vm_log (self, "not started: %s", verdict != NULL ? verdict->reason : "no KVM");
      return FALSE;
    }

  hv_set_str (&self->accel, accel);
  hv_set_str (&self->accel_reason, reason);
  if (g_str_equal (reason, REASON_SPEED_LIMIT))
    hv_vm_log (self, "acceleration: TCG, because this VM has a CPU speed limit, which only "
               "QEMU's emulation can keep (no KVM while it is set)");
  else if (g_str_equal (reason, REASON_SETTING))
    hv_vm_log (self, "acceleration: TCG, as this VM is set to");
  else if (reason[0] != '\0')
    hv_vm_log (self, "acceleration: TCG, because %s",
               verdict != NULL ? verdict->reason : "the KVM verdict is not known");
  else
    hv_vm_log (self, "acceleration: KVM (%s)", verdict != NULL ? verdict->reason : "");
  return TRUE;
}

HvQemuCaps *
hv_vm_accel_caps (HvVm             *self,
                  const HvQemuCaps *caps)
{
  HvQemuCaps *copy = hv_qemu_caps_copy (caps);

  /* For "auto" this is the verdict, for "kvm" it is TRUE (hv_vm_accel_prepare_finish()
   * refused it otherwise), for "tcg" it does not matter: see hv_qemu_uses_kvm(). */
  copy->kvm = g_strcmp0 (self->accel, "kvm") == 0;
  return copy;
}

const char *
hv_vm_accel_state_reason (HvVm *self)
{
  if (g_strcmp0 (self->accel, "kvm") == 0)
    return "";
  if (g_strcmp0 (self->accel_reason, REASON_SPEED_LIMIT) == 0)
    return "running without hardware acceleration (TCG): the CPU speed limit needs QEMU's "
           "emulation";
  return "running without hardware acceleration (TCG)";
}

void
hv_vm_accel_reattached (HvVm       *self,
                        const char *accel)
{
  const char *next_accel, *next_reason;

  hv_set_str (&self->accel, accel);
  if (g_str_equal (accel, "kvm"))
    {
      hv_set_str (&self->accel_reason, "");
      return;
    }
  /* On TCG: the reason the next start would have, if it agrees; else not known. */
  decide (self, &next_accel, &next_reason);
  hv_set_str (&self->accel_reason, g_str_equal (next_accel, "tcg") ? next_reason
                                                                  : REASON_UNKNOWN);
}
