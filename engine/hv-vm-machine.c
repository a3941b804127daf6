/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-machine.c: pinning a VM to a versioned QEMU machine type (see hv-vm-machine.h). */
#include "hv-vm-machine.h"

#include "hv-vm-legacy.h"
#include "hv-vm-private.h"

gboolean
hv_machine_type_pin (HvVmConfig       *config,
                     const HvQemuCaps *caps)
{
  const char *type;

  g_return_val_if_fail (config != NULL, FALSE);

  if (config->machine_type != NULL || caps == NULL)
    return FALSE;
  type = hv_qemu_caps_machine_alias (caps, config->machine);
  if (type == NULL || !hv_machine_type_check (config->machine, type, NULL))
    return FALSE;
  config->machine_type = g_strdup (type);
  return TRUE;
}

gboolean
hv_vm_machine_pin_on_start (HvVm             *self,
                            const HvQemuCaps *caps,
                            GError          **error)
{
  g_autoptr(HvVmConfig) copy = NULL;

  g_return_val_if_fail (HV_IS_VM (self), FALSE);

  hv_vm_legacy_log_start (self, caps);
  if (self->config == NULL || self->config->machine_type != NULL)
    return TRUE;
  copy = hv_vm_config_copy (self->config);
  if (copy->machine == HV_MACHINE_ISAPC)
    {
      hv_vm_log (self, "machine type: isapc, which QEMU has in one unversioned form only: not "
                 "pinned");
      return TRUE;
    }
  if (!hv_machine_type_pin (copy, caps))
    {
      hv_vm_log (self, "machine type: not pinned (this QEMU's machine types are not known); "
                 "it starts as \"%s\"", hv_machine_to_string (copy->machine));
      return TRUE;
    }
  if (!hv_vm_set_config (self, copy, error))
    return FALSE;
  hv_vm_log (self, "machine type: pinned to %s (what \"%s\" stands for in this QEMU)",
             copy->machine_type, hv_machine_to_string (copy->machine));
  return TRUE;
}
