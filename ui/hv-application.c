/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-application.h"

#include <glib/gi18n.h>

#include "hv-build-config.h"
#include "hv-engine-client.h"
#include "hv-window.h"

struct _HvApplication
{
  AdwApplication parent_instance;

  /* owned */
  HvEngineClient *client;
};

G_DEFINE_FINAL_TYPE (HvApplication, hv_application, ADW_TYPE_APPLICATION)

static HvWindow *
ensure_window (HvApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (hv_window_new (ADW_APPLICATION (self), self->client));
  return HV_WINDOW (window);
}

static void
hv_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (ensure_window (HV_APPLICATION (app))));
}

static void
hv_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  HvWindow *window = ensure_window (HV_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
  if (n_files > 0)
    hv_window_new_vm (window, files[0]);
}

static void
app_quit (GSimpleAction *action, GVariant *param, gpointer data)
{
  g_application_quit (G_APPLICATION (data));
}

static void
app_about (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkApplication *app = GTK_APPLICATION (data);

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("Hostvisor"),
                         "application-icon", "io.github.hostvisor",
                         "version", PACKAGE_VERSION,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "comments", _("Virtual machines on your desktop"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", app_quit },
  { "about", app_about },
};

static void
hv_application_startup (GApplication *app)
{
  HvApplication *self = HV_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };

  /* One connection for the whole app; it starts the engine if none runs. Started before GTK
   * sets itself up, so that the library is listed by the time the window is built. */
  self->client = hv_engine_client_new ();
  hv_engine_client_start (self->client);

  G_APPLICATION_CLASS (hv_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
}

static void
hv_application_shutdown (GApplication *app)
{
  HvApplication *self = HV_APPLICATION (app);

  G_APPLICATION_CLASS (hv_application_parent_class)->shutdown (app);
  if (self->client != NULL)
    g_object_run_dispose (G_OBJECT (self->client));
  g_clear_object (&self->client);
}

static void
hv_application_class_init (HvApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = hv_application_activate;
  app_class->open = hv_application_open;
  app_class->startup = hv_application_startup;
  app_class->shutdown = hv_application_shutdown;
}

static void
hv_application_init (HvApplication *self)
{
}

HvApplication *
hv_application_new (void)
{
  return g_object_new (HV_TYPE_APPLICATION,
                       "application-id", "io.github.hostvisor",
                       "resource-base-path", "/io/github/hostvisor",
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}
