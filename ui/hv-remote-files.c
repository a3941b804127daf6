/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-remote-files.c: see hv-remote-files.h. */
#include "hv-remote-files.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "hv-engine-client-remote.h"

gboolean
hv_remote_files_refuse (HvEngineClient *client,
                        GtkWidget      *widget)
{
  const HvRemote *remote = client != NULL ? hv_engine_client_get_remote (client) : NULL;
  g_autofree char *host = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkRoot *root;
  GtkWidget *dialog;

  if (remote == NULL)
    return FALSE;
  host = hv_engine_client_dup_host_label (client);
  root = widget != NULL ? gtk_widget_get_root (widget) : NULL;
  /* Translators: %s is the host whose VMs the window shows ("me@server.example") */
  heading = g_strdup_printf (_("The Files Are on %s"), host);
  body = g_strdup_printf (
    /* Translators: %1$s is a host, %2$s its ssh:// address */
    _("These virtual machines run on %1$s, which cannot read the files of this computer, "
      "and a file chosen here would name a file there that may not exist. Give a path on "
      "%1$s with the command line, for example “hostvisorctl --connect %2$s media insert NAME "
      "/path/there/disc.iso” (docs/remote.md), or switch to This Computer."),
    host, remote->address);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}
