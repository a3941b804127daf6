/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-application.h"

#include <glib/gi18n.h>

#include "hv-build-config.h"
#include "hv-connection-store.h"
#include "hv-engine-client.h"
#include "hv-preferences-window.h"
#include "hv-window.h"

struct _HvApplication
{
  AdwApplication parent_instance;

  /* owned */
  HvEngineClient *client;
  char *connect_address;  /* --connect, checked; NULL: the one remembered in the settings */
};

G_DEFINE_FINAL_TYPE (HvApplication, hv_application, ADW_TYPE_APPLICATION)

static HvWindow *
ensure_window (HvApplication *self)
{
  GtkWindow *window = NULL;

  /* The main window, not a dialog that happens to be active (Settings, the wizard). */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      if (HV_IS_WINDOW (l->data))
        {
          window = l->data;
          break;
        }
    }
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
                         "developer-name", _("The Hostvisor developers"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "comments", _("Virtual machines on your desktop"),
                         NULL);
}

static void
app_preferences (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvApplication *self = HV_APPLICATION (data);

  hv_preferences_window_present (GTK_WINDOW (ensure_window (self)), self->client);
}

/* The README, where the docs are: installed beside the app, or the source tree when run from
 * the build tree. No network here, so always a local file. */
static char *
help_file (void)
{
  const char *candidates[] = {
    HV_DOCDIR "/README.md",
    HV_SOURCE_RESOURCES_DIR "/../README.md",
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return g_canonicalize_filename (candidates[i], NULL);
  return NULL;
}

static void
on_help_shown (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autofree char *path = data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && HV_IS_WINDOW (source))
    {
      /* Translators: %s is a file's path */
      g_autofree char *text = g_strdup_printf (_("No application could open the help (%s)."),
                                               path);
      hv_window_show_error (HV_WINDOW (source), text);
    }
}

static void
app_help (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvWindow *window = ensure_window (HV_APPLICATION (data));
  g_autofree char *path = help_file ();
  g_autofree char *uri = path != NULL ? g_filename_to_uri (path, NULL, NULL) : NULL;

  if (uri == NULL)
    {
      hv_window_show_error (window, _("The help is not installed."));
      return;
    }
  gtk_show_uri_full (GTK_WINDOW (window), uri, GDK_CURRENT_TIME, NULL, on_help_shown,
                     g_steal_pointer (&path));
}

/* Built on demand and destroyed when closed: see the comment in hv-shortcuts-window.ui. */
static void
app_shortcuts (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvWindow *window = ensure_window (HV_APPLICATION (data));
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/hostvisor/ui/hv-shortcuts-window.ui");
  GtkWindow *shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));

  gtk_window_set_transient_for (shortcuts, GTK_WINDOW (window));
  gtk_window_set_application (shortcuts, GTK_APPLICATION (data));
  gtk_window_present (shortcuts);
}

/* app.connect ADDRESS: a second `hostvisor --connect ADDRESS` (hv_application_handle_local_options)
 * makes the running window show that computer. */
static void
app_connect (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvApplication *self = HV_APPLICATION (data);
  const char *address = g_variant_get_string (param, NULL);
  const HvRemote *remote = hv_engine_client_get_remote (self->client);
  g_autoptr(GError) error = NULL;

  if (remote != NULL && g_strcmp0 (remote->address, address) == 0)
    return;   /* shown already: no reconnection */
  if (!hv_engine_client_set_remote (self->client, address, &error))
    g_warning ("%s", error->message);
}

static const GActionEntry app_actions[] = {
  { "connect", app_connect, "s" },
  { "quit", app_quit },
  { "about", app_about },
  { "preferences", app_preferences },
  { "help", app_help },
  { "shortcuts", app_shortcuts },
};

static void
hv_application_startup (GApplication *app)
{
  HvApplication *self = HV_APPLICATION (app);
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.help", { "F1", NULL } },
    { "app.shortcuts", { "<Control>question", "<Control>slash", NULL } },
  };

  /* One connection for the whole app; it starts the engine if none runs. Started before GTK
   * sets itself up, so that the library is listed by the time the window is built. */
  self->client = hv_engine_client_new ();
  {
    g_autofree char *remembered = hv_connection_store_get_current ();
    const char *address = self->connect_address != NULL ? self->connect_address : remembered;
    g_autoptr(GError) error = NULL;

    /* Both were checked (the option below, the store on reading): a failure here is a bug. */
    if (address != NULL && !hv_engine_client_set_remote (self->client, address, &error))
      g_warning ("%s", error->message);
  }
  hv_engine_client_start (self->client);

  G_APPLICATION_CLASS (hv_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  /* Listed in the Keyboard Shortcuts window (ui/hv-shortcuts-window.ui). */
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);
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

/* --connect ADDRESS: checked here, before anything starts, so that a wrong address is a
 * message and status 2 as for hostvisorctl. */
static int
hv_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  HvApplication *self = HV_APPLICATION (app);
  const char *address = NULL;

  if (g_variant_dict_lookup (options, "connect", "&s", &address))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvRemote) remote = hv_remote_parse (address, &error);

      if (remote == NULL)
        {
          g_printerr ("hostvisor: %s\n", error->message);
          return 2;
        }
      g_free (self->connect_address);
      self->connect_address = g_strdup (address);
      /* With a window open already (another process of this app), that window switches: the
       * address goes to it as app.connect, then the usual activation presents it. */
      if (g_application_register (app, NULL, NULL) && g_application_get_is_remote (app))
        g_action_group_activate_action (G_ACTION_GROUP (app), "connect",
                                        g_variant_new_string (address));
    }
  return -1;
}

static void
hv_application_finalize (GObject *object)
{
  g_free (HV_APPLICATION (object)->connect_address);
  G_OBJECT_CLASS (hv_application_parent_class)->finalize (object);
}

static void
hv_application_class_init (HvApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = hv_application_finalize;
  app_class->handle_local_options = hv_application_handle_local_options;
  app_class->activate = hv_application_activate;
  app_class->open = hv_application_open;
  app_class->startup = hv_application_startup;
  app_class->shutdown = hv_application_shutdown;
}

static void
hv_application_init (HvApplication *self)
{
  static const GOptionEntry entries[] = {
    { "connect", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Show the virtual machines of a user on another computer, over SSH"),
      N_("ssh://[USER@]HOST[:PORT]") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
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
