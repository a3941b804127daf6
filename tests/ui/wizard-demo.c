/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wizard-demo: the New VM wizard and the Settings dialog against a real engine, outside the
 * main window (not installed, not a test). By hand:
 *
 *   wizard-demo [--medium FILE]            the wizard, as if FILE had been dropped
 *   wizard-demo --settings NAME            the settings of the VM named NAME
 *
 * With --auto DIR it walks through by itself and saves a screenshot of the screen
 * (ImageMagick's `import -window root`, so run it under Xvfb) after each step into DIR:
 * medium page, OS page, details page, an engine error when --break-medium names a copy of
 * the medium that it deletes before the first Create (the dialog must stay, with all
 * entered), then Create for real; then the new VM's Settings, page by page. The widgets
 * are found by walking the widget tree, as a person would find them by their labels. */
#include <adwaita.h>
#include <glib/gstdio.h>

#include "hv-engine-client.h"
#include "hv-new-vm-dialog.h"
#include "hv-settings-dialog.h"

static char *opt_medium;
static char *opt_settings;
static char *opt_auto;
static char *opt_break;
static char *opt_name;
static char *opt_os_search;
static gboolean opt_no_start;

static GtkApplication *app;
static HvEngineClient *client;
static GtkWindow *dialog;
static int step;
static int exit_status;

/* ---- finding widgets ---- */

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find (GtkWidget    *root,
      Match         match,
      gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_button_labelled (GtkWidget    *widget,
                    gconstpointer label)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_is_visible (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_row_titled_prefix (GtkWidget    *widget,
                      gconstpointer prefix)
{
  return ADW_IS_PREFERENCES_ROW (widget) &&
         g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), prefix);
}

static gboolean
is_type (GtkWidget    *widget,
         gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static void
find_all (GtkWidget *root,
          GType      type,
          GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    g_ptr_array_add (out, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_all (child, type, out);
}

static void
click (const char *label)
{
  GtkWidget *button = find (GTK_WIDGET (dialog), is_button_labelled, label);

  if (button == NULL || !gtk_widget_is_sensitive (button))
    {
      g_printerr ("wizard-demo: no sensitive button “%s”\n", label);
      exit_status = 1;
      g_application_quit (G_APPLICATION (app));
      return;
    }
  g_print ("click %s\n", label);
  g_signal_emit_by_name (button, "clicked");
}

static void
shot (const char *name)
{
  g_autofree char *path = g_build_filename (opt_auto, name, NULL);
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = g_strdup_printf ("import -window root %s", quoted);
  g_autoptr(GError) error = NULL;

  if (!g_spawn_command_line_sync (command, NULL, NULL, NULL, &error))
    g_printerr ("wizard-demo: %s\n", error->message);
  g_print ("screenshot %s\n", path);
}

/* ---- the automatic walk ---- */

static gboolean auto_step (gpointer data);

static void
next_step (guint delay_ms)
{
  step++;
  g_timeout_add (delay_ms, auto_step, NULL);
}

static HvVmItem *
find_vm (const char *name)
{
  GListModel *vms = hv_engine_client_get_vms (client);

  for (guint i = 0; i < g_list_model_get_n_items (vms); i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (vms, i);

      if (g_strcmp0 (hv_vm_item_get_name (item), name) == 0)
        return item;
    }
  return NULL;
}

static char *created_name;

static gboolean
auto_step (gpointer data)
{
  GtkWidget *row;

  switch (step)
    {
    case 0:
      /* Wait for the detection to finish. */
      row = find (GTK_WIDGET (dialog), is_row_titled_prefix, "Detect");
      if (row == NULL || g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                           "Detecting"))
        {
          row = find (GTK_WIDGET (dialog), is_row_titled_prefix, "Not recognised");
          if (row == NULL)
            return G_SOURCE_CONTINUE;
        }
      g_print ("detection: %s\n", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
      shot ("1-medium.png");
      click ("_Next");
      next_step (1500);
      return G_SOURCE_REMOVE;
    case 1:
      if (opt_os_search != NULL)
        {
          /* Type, wait for the search to filter, then Enter takes the first match. */
          static int typed;
          GtkWidget *search = find (GTK_WIDGET (dialog), is_type,
                                    GSIZE_TO_POINTER (GTK_TYPE_SEARCH_ENTRY));

          if (!typed++)
            {
              g_print ("searching %s\n", opt_os_search);
              gtk_editable_set_text (GTK_EDITABLE (search), opt_os_search);
            }
          else
            {
              g_signal_emit_by_name (search, "activate");
              g_clear_pointer (&opt_os_search, g_free);
            }
          return G_SOURCE_CONTINUE;
        }
      shot ("2-os.png");
      click ("_Next");
      next_step (1000);
      return G_SOURCE_REMOVE;
    case 2:
      if (opt_name != NULL)
        {
          GtkWidget *entry = find (GTK_WIDGET (dialog), is_type,
                                   GSIZE_TO_POINTER (ADW_TYPE_ENTRY_ROW));
          gtk_editable_set_text (GTK_EDITABLE (entry), opt_name);
        }
      if (opt_no_start)
        {
          GtkWidget *sw = find (GTK_WIDGET (dialog), is_type, GSIZE_TO_POINTER (GTK_TYPE_SWITCH));
          gtk_switch_set_active (GTK_SWITCH (sw), FALSE);
        }
      shot ("3-details.png");
      if (opt_break != NULL)
        {
          /* The medium vanishes between choosing and creating: the engine refuses. */
          g_print ("deleting %s before Create\n", opt_break);
          g_unlink (opt_break);
        }
      created_name = g_strdup (gtk_editable_get_text (GTK_EDITABLE (
        find (GTK_WIDGET (dialog), is_type, GSIZE_TO_POINTER (ADW_TYPE_ENTRY_ROW)))));
      click ("C_reate");
      next_step (opt_break != NULL ? 3000 : 500);
      return G_SOURCE_REMOVE;
    case 3:
      if (opt_break != NULL)
        {
          if (!gtk_widget_get_visible (GTK_WIDGET (dialog)))
            {
              g_printerr ("wizard-demo: the dialog closed although Create failed\n");
              exit_status = 1;
            }
          shot ("4-create-error.png");
          g_print ("restoring %s\n", opt_break);
          if (!g_file_test (opt_break, G_FILE_TEST_EXISTS))
            {
              g_autofree char *command = g_strdup_printf (
                "cp /usr/lib/grub-rescue/grub-rescue-cdrom.iso %s", opt_break);
              g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
            }
          g_clear_pointer (&opt_break, g_free);
          click ("C_reate");
        }
      next_step (500);
      return G_SOURCE_REMOVE;
    case 4:
      /* Wait until the dialog is gone and the VM is in the library. */
      if (dialog != NULL || find_vm (created_name) == NULL)
        return G_SOURCE_CONTINUE;
      g_print ("created %s\n", created_name);
      next_step (opt_no_start ? 500 : 4000);
      return G_SOURCE_REMOVE;
    case 5:
      {
        HvVmItem *item = find_vm (created_name);

        g_print ("state %s\n", hv_vm_item_get_state (item));
        dialog = GTK_WINDOW (hv_settings_dialog_new (gtk_application_get_active_window (app),
                                                     client, item));
        g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
        gtk_window_present (dialog);
        if (opt_no_start)
          {
            /* A powered-off VM: change its memory as a person would; it applies by itself. */
            GtkWidget *spin = find (GTK_WIDGET (dialog), is_type,
                                    GSIZE_TO_POINTER (GTK_TYPE_SPIN_BUTTON));
            g_print ("memory -> 1536\n");
            gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 1536);
          }
        next_step (1500);
        return G_SOURCE_REMOVE;
      }
    case 6: case 7: case 8: case 9: case 10:
      {
        static const char * const names[] = { "5-settings-general.png", "6-settings-system.png",
                                               "7-settings-storage.png", "8-settings-display.png" };
        guint page = step - 6;
        GPtrArray *pages;

        /* Each page is shot one step after it was shown, once it has been drawn. */
        if (page > 0)
          shot (names[page - 1]);
        if (page == G_N_ELEMENTS (names))
          {
            next_step (100);
            return G_SOURCE_REMOVE;
          }
        /* The pages are the window's AdwPreferencesPage descendants, in order. */
        pages = g_ptr_array_new ();
        find_all (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_PAGE, pages);
        if (page < pages->len)
          adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (dialog),
                                                   pages->pdata[page]);
        g_ptr_array_unref (pages);
        next_step (800);
        return G_SOURCE_REMOVE;
      }
    default:
      g_application_quit (G_APPLICATION (app));
      return G_SOURCE_REMOVE;
    }
}

/* ---- start ---- */

static void
open_dialogs (void)
{
  GtkWidget *main_window = adw_application_window_new (app);

  /* A plain parent window, as the main window would be. */
  gtk_window_set_title (GTK_WINDOW (main_window), "wizard-demo");
  gtk_window_set_default_size (GTK_WINDOW (main_window), 900, 700);
  gtk_window_present (GTK_WINDOW (main_window));

  if (opt_settings != NULL)
    {
      HvVmItem *item = find_vm (opt_settings);

      if (item == NULL)
        {
          g_printerr ("wizard-demo: no VM named “%s”\n", opt_settings);
          exit_status = 1;
          g_application_quit (G_APPLICATION (app));
          return;
        }
      hv_settings_dialog_present (GTK_WINDOW (main_window), client, item);
      return;
    }

  {
    g_autoptr(GFile) medium = opt_medium != NULL ? g_file_new_for_commandline_arg (opt_medium)
                                                 : NULL;
    dialog = GTK_WINDOW (hv_new_vm_dialog_new (GTK_WINDOW (main_window), client, medium));
    g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
    gtk_window_present (dialog);
  }
  if (opt_auto != NULL)
    g_timeout_add (500, auto_step, NULL);
}

static void
on_connected (HvEngineClient *c,
              GParamSpec     *pspec,
              gpointer        data)
{
  if (!hv_engine_client_get_connected (c))
    return;
  g_signal_handlers_disconnect_by_func (c, on_connected, data);
  open_dialogs ();
}

static void
activate (GtkApplication *application)
{
  g_application_hold (G_APPLICATION (application));
  client = hv_engine_client_new ();
  g_signal_connect (client, "notify::connected", G_CALLBACK (on_connected), NULL);
  hv_engine_client_start (client);
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "medium", 0, 0, G_OPTION_ARG_FILENAME, &opt_medium, "Open the wizard with FILE", "FILE" },
    { "settings", 0, 0, G_OPTION_ARG_STRING, &opt_settings, "Open the VM's settings", "NAME" },
    { "auto", 0, 0, G_OPTION_ARG_FILENAME, &opt_auto, "Walk through, screenshots in DIR", "DIR" },
    { "break-medium", 0, 0, G_OPTION_ARG_FILENAME, &opt_break,
      "Delete FILE before the first Create", "FILE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name, "The VM's name", "NAME" },
    { "os-search", 0, 0, G_OPTION_ARG_STRING, &opt_os_search,
      "Type TEXT into the OS search and take the first match", "TEXT" },
    { "no-start", 0, 0, G_OPTION_ARG_NONE, &opt_no_start, "Do not start the VM", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("wizard-demo: %s\n", error->message);
      return 2;
    }

  app = GTK_APPLICATION (adw_application_new ("io.github.hostvisor.WizardDemo",
                                              G_APPLICATION_NON_UNIQUE));
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  if (client != NULL)
    g_object_run_dispose (G_OBJECT (client));
  g_clear_object (&client);
  g_object_unref (app);
  return status != 0 ? status : exit_status;
}
