/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisor: the desktop app. Everything lives in ui/; this only sets up translations. */
#include <locale.h>

#include <glib/gi18n.h>

#include "hv-application.h"
#include "hv-build-config.h"
#include "hv-client.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(HvApplication) app = NULL;

  setlocale (LC_ALL, "");
  hv_client_init_i18n ();

  app = hv_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
