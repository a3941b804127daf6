/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-error.h"

#include <gio/gio.h>

static const GDBusErrorEntry hv_error_entries[] = {
  { HV_ERROR_FAILED, "io.github.hostvisor.Error.Failed" },
  { HV_ERROR_INVALID_ARGUMENT, "io.github.hostvisor.Error.InvalidArgument" },
  { HV_ERROR_NOT_FOUND, "io.github.hostvisor.Error.NotFound" },
  { HV_ERROR_EXISTS, "io.github.hostvisor.Error.Exists" },
  { HV_ERROR_INVALID_STATE, "io.github.hostvisor.Error.InvalidState" },
  { HV_ERROR_INACCESSIBLE, "io.github.hostvisor.Error.Inaccessible" },
  { HV_ERROR_INVALID_CONFIG, "io.github.hostvisor.Error.InvalidConfig" },
  { HV_ERROR_QEMU_FAILED, "io.github.hostvisor.Error.QemuFailed" },
  { HV_ERROR_IO, "io.github.hostvisor.Error.IO" },
  { HV_ERROR_BUSY, "io.github.hostvisor.Error.Busy" },
  { HV_ERROR_TIMEOUT, "io.github.hostvisor.Error.Timeout" },
  { HV_ERROR_NOT_SUPPORTED, "io.github.hostvisor.Error.NotSupported" },
  { HV_ERROR_ENGINE_RUNNING, "io.github.hostvisor.Error.EngineRunning" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (hv_error_entries) == HV_ERROR_N_CODES);

GQuark
hv_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("hv-error-quark", &quark,
                                      hv_error_entries, G_N_ELEMENTS (hv_error_entries));
  return (GQuark) quark;
}

gboolean
hv_refuse (GError    **error,
           const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                                format, args));
  va_end (args);
  return FALSE;
}
