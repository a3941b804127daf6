/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisor: the desktop app. Everything lives in ui/; this only sets up translations. */
#include <locale.h>

#include <glib/gi18n.h>

#include "hv-application.h"
#include "hv-build-config.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(HvApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, HV_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = hv_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
