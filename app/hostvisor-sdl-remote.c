/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-build-config.h"

#include "hostvisor-sdl-remote.h"

#include <glib/gi18n.h>

#include "hv-error.h"

GDBusConnection *
hv_sdl_remote_connect (const HvRemote  *remote,
                       GError         **error)
{
  /* ssh's messages (host unreachable, no Hostvisor there, the bridge's) come back as the
   * error, in words: hv_remote_connect_sync() reads them from its stderr. */
  return hv_remote_connect_sync (remote, NULL, error);
}

int
hv_sdl_remote_open_console (const HvRemote  *remote,
                            HvDbusVm        *vm,
                            GError         **error)
{
  const char *uuid = hv_dbus_vm_get_uuid (vm);

  /* Only the UUID travels to the remote shell, never the name the user typed. */
  if (uuid == NULL || uuid[0] == '\0')
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_NOT_FOUND, _("the VM has no UUID"));
      return -1;
    }
  return hv_remote_open_console (remote, uuid, error);
}

char *
hv_sdl_remote_vm_label (const HvRemote *remote,
                        const char     *name)
{
  /* Translators: a VM's name and the host it runs on, e.g. "web on server.example" */
  return g_strdup_printf (_("%s on %s"), name, remote->host);
}

char *
hv_sdl_remote_start_hint (const HvRemote *remote,
                          const char     *name)
{
  g_autofree char *address = g_shell_quote (remote->address);
  g_autofree char *quoted = g_shell_quote (name);

  return g_strdup_printf ("hostvisorctl --connect %s start %s", address, quoted);
}
