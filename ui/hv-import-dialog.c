/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-import-dialog.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-messages.h"
#include "hv-window-private.h"

/* Reading an appliance checks its checksums and converting its disks takes as long as it
 * takes: the engine answers when done, so neither call has a reply timeout. */
#define NO_TIMEOUT G_MAXINT

struct _HvImportDialog
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  GCancellable *cancellable;    /* the dialog's life */
  GCancellable *inspect;        /* the current InspectAppliance, or NULL */
  GFile *file;
  char *path;                   /* the appliance's absolute path, as the engine gets it */
  char *suggested_name;         /* the name InspectAppliance proposes */
  GPtrArray *folders;           /* char*: "" (top level), then every folder */
  GPtrArray *device_rows;       /* GtkWidget*: the rows added to devices_group */
  HvDbusEngine *engine;         /* whose ApplianceProgress we follow, while importing */
  gulong progress_handler;
  guint pulse_source;
  gboolean importing;
  gboolean cancel_asked;

  /* template widgets */
  GtkWidget *cancel_button;
  GtkWidget *import_button;
  GtkStack *stack;
  GtkSpinner *loading_spinner;
  GtkLabel *loading_label;
  GtkLabel *intro_label;
  AdwEntryRow *name_row;
  AdwComboRow *folder_row;
  AdwActionRow *os_row;
  AdwActionRow *memory_row;
  AdwActionRow *cpus_row;
  AdwActionRow *firmware_row;
  AdwPreferencesGroup *devices_group;
  GtkBox *warnings_box;
  GtkLabel *problem_label;
  GtkLabel *progress_title;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  AdwStatusPage *result_page;
  GtkLabel *result_label;
  GtkWidget *choose_button;
  GtkWidget *back_button;
};

G_DEFINE_FINAL_TYPE (HvImportDialog, hv_import_dialog, ADW_TYPE_WINDOW)

static void inspect_file (HvImportDialog *self, GFile *file);

gboolean
hv_import_dialog_is_appliance (GFile *file)
{
  g_autofree char *name = file != NULL ? g_file_get_basename (file) : NULL;
  g_autofree char *lower = name != NULL ? g_utf8_strdown (name, -1) : NULL;

  return lower != NULL && (g_str_has_suffix (lower, ".ova") || g_str_has_suffix (lower, ".ovf"));
}

/* ---- pages ---- */

static void
show_page (HvImportDialog *self,
           const char     *page)
{
  gboolean summary = g_strcmp0 (page, "summary") == 0;

  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (self->import_button, summary);
  gtk_widget_set_visible (self->cancel_button, g_strcmp0 (page, "result") != 0);
  gtk_widget_set_sensitive (self->cancel_button, TRUE);
  if (g_strcmp0 (page, "loading") == 0)
    gtk_spinner_start (self->loading_spinner);
  else
    gtk_spinner_stop (self->loading_spinner);
}

/* The result page: @title ("Import Cancelled"…) and @message; Back (to the summary, when
 * there is one), Choose Another File… and Close. */
static void
show_result (HvImportDialog *self,
             const char     *icon,
             const char     *title,
             const char     *message,
             gboolean        can_go_back)
{
  gtk_widget_set_visible (self->back_button, can_go_back);
  adw_status_page_set_icon_name (self->result_page, icon);
  adw_status_page_set_title (self->result_page, title);
  gtk_label_set_text (self->result_label, message);
  show_page (self, "result");
  gtk_widget_grab_focus (self->choose_button);
}

static void
show_problem (HvImportDialog *self,
              const char     *problem)
{
  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
}

static gboolean
validate (HvImportDialog *self)
{
  g_autoptr(GError) error = NULL;
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean ok = hv_config_check_new_name (name, &error);

  show_problem (self, ok ? NULL : error->message);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  gtk_widget_set_sensitive (self->import_button, ok && !self->importing);
  return ok;
}

static void
on_name_changed (HvImportDialog *self)
{
  if (!self->importing)
    validate (self);
}

/* ---- the summary ---- */

static void
clear_summary (HvImportDialog *self)
{
  GtkWidget *child;

  for (guint i = 0; i < self->device_rows->len; i++)
    adw_preferences_group_remove (self->devices_group, self->device_rows->pdata[i]);
  g_ptr_array_set_size (self->device_rows, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->warnings_box))) != NULL)
    gtk_box_remove (self->warnings_box, child);
  g_ptr_array_set_size (self->folders, 0);
}

static void
add_device_row (HvImportDialog *self,
                const char     *title,
                const char     *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (self->devices_group, row);
  g_ptr_array_add (self->device_rows, row);
}

static void
add_warning (HvImportDialog *self,
             const char     *text,
             gboolean        dim)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, dim ? "dim-label" : "warning");
  gtk_box_append (self->warnings_box, label);
}

static void
fill_folders (HvImportDialog *self,
              const char     *appliance_folder)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_auto(GStrv) folders = HV_IS_WINDOW (parent) ? hv_window_list_folders (HV_WINDOW (parent))
                                                : NULL;
  guint selected = 0;

  gtk_string_list_append (labels, _("Top level"));
  g_ptr_array_add (self->folders, g_strdup (""));
  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    {
      if (g_strcmp0 (folders[i], appliance_folder) == 0)
        selected = self->folders->len;
      gtk_string_list_append (labels, folders[i]);
      g_ptr_array_add (self->folders, g_strdup (folders[i]));
    }
  /* The appliance's folder (a VirtualBox group), made when the VM is. */
  if (selected == 0 && appliance_folder != NULL && appliance_folder[0] != '\0')
    {
      g_autofree char *label = NULL;

      selected = self->folders->len;
      /* Translators: a folder that the import makes; %s is its path (A/B) */
      label = g_strdup_printf (_("%s (new)"), appliance_folder);
      gtk_string_list_append (labels, label);
      g_ptr_array_add (self->folders, g_strdup (appliance_folder));
    }
  adw_combo_row_set_model (self->folder_row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (self->folder_row, selected);
}

static void
fill_devices (HvImportDialog *self,
              GVariant       *summary)
{
  g_autoptr(GVariant) disks = g_variant_lookup_value (summary, "disks", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GVariant) media = g_variant_lookup_value (summary, "media", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GVariant) nics = g_variant_lookup_value (summary, "nics", G_VARIANT_TYPE ("aa{sv}"));
  GVariantIter iter;
  GVariant *entry;
  guint n = 0;

  if (disks != NULL)
    {
      g_variant_iter_init (&iter, disks);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *file = "", *format = "", *bus = "";
          guint64 capacity = 0;
          g_autofree char *size = NULL;
          g_autofree char *title = NULL;
          g_autofree char *subtitle = NULL;

          g_variant_lookup (entry, "file", "&s", &file);
          g_variant_lookup (entry, "format", "&s", &format);
          g_variant_lookup (entry, "bus", "&s", &bus);
          g_variant_lookup (entry, "capacity", "t", &capacity);
          size = g_format_size_full (capacity, G_FORMAT_SIZE_IEC_UNITS);
          /* Translators: %u counts the disks from 1 */
          title = g_strdup_printf (_("Disk %u: %s"), ++n, size);
          if (file[0] != '\0')
            /* Translators: a disk of the appliance: its file, its format (vmdk, vdi…), the
             * bus (ide, sata, virtio) */
            subtitle = g_strdup_printf (_("%s (%s) on %s, converted to qcow2"), file, format,
                                        bus);
          else
            /* Translators: a disk the appliance declares without an image; %s is the bus */
            subtitle = g_strdup_printf (_("New, empty, on %s"), bus);
          add_device_row (self, title, subtitle);
        }
    }
  if (n == 0)
    add_device_row (self, _("No disks"), _("The appliance has no disk."));

  if (media != NULL)
    {
      g_variant_iter_init (&iter, media);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *kind = "", *file = "";
          gboolean cd;

          g_variant_lookup (entry, "kind", "&s", &kind);
          g_variant_lookup (entry, "file", "&s", &file);
          cd = g_strcmp0 (kind, "cdrom") == 0;
          add_device_row (self, cd ? _("CD/DVD drive") : _("Floppy drive"),
                          file[0] != '\0' ? file : _("Empty"));
        }
    }

  n = 0;
  if (nics != NULL)
    {
      g_variant_iter_init (&iter, nics);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr(GVariant) owned = entry;
          const char *model = "", *network = "";
          g_autofree char *title = NULL;
          g_autofree char *subtitle = NULL;

          g_variant_lookup (entry, "model", "&s", &model);
          g_variant_lookup (entry, "network", "&s", &network);
          /* Translators: %u counts the network adapters from 1 */
          title = g_strdup_printf (_("Network adapter %u"), ++n);
          /* Translators: a network adapter: its model (e1000…) and its network (nat…) */
          subtitle = g_strdup_printf (_("%s on %s"), model, network);
          add_device_row (self, title, subtitle);
        }
    }
}

static void
fill_summary (HvImportDialog *self,
              GVariant       *summary)
{
  const char *name = "", *os = "", *os_source = "", *firmware = "", *folder = "";
  const char *os_name;
  guint64 memory = 0;
  guint32 cpus = 0;
  g_autofree const char **warnings = NULL;
  g_autofree char *basename = g_file_get_basename (self->file);
  g_autofree char *intro = NULL;
  g_autofree char *text = NULL;

  g_variant_lookup (summary, "name", "&s", &name);
  g_variant_lookup (summary, "os", "&s", &os);
  g_variant_lookup (summary, "os-source", "&s", &os_source);
  g_variant_lookup (summary, "firmware", "&s", &firmware);
  g_variant_lookup (summary, "folder", "&s", &folder);
  g_variant_lookup (summary, "memory-mib", "t", &memory);
  g_variant_lookup (summary, "cpus", "u", &cpus);

  clear_summary (self);
  /* Translators: %s is the appliance's file name */
  intro = g_strdup_printf (_("A new virtual machine from “%s”."), basename);
  gtk_label_set_text (self->intro_label, intro);
  g_free (self->suggested_name);
  self->suggested_name = g_strdup (name);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  fill_folders (self, folder);

  os_name = os[0] != '\0' ? hv_engine_client_get_os_name (self->client, os) : NULL;
  if (os_name == NULL)
    os_name = os[0] != '\0' ? os : _("Unknown");
  if (os_source[0] != '\0')
    /* Translators: the OS's name, then what the appliance says it is (vbox:Debian_64) */
    text = g_strdup_printf (_("%s (the appliance says “%s”)"), os_name, os_source);
  else
    text = g_strdup (os_name);
  adw_action_row_set_subtitle (self->os_row, text);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf (_("%" PRIu64 " MiB"), memory);
  adw_action_row_set_subtitle (self->memory_row, text);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("%u", cpus);
  adw_action_row_set_subtitle (self->cpus_row, text);
  adw_action_row_set_subtitle (self->firmware_row,
                               g_strcmp0 (firmware, "uefi") == 0 ? _("UEFI") : _("BIOS"));
  fill_devices (self, summary);

  if (g_variant_lookup (summary, "warnings", "^a&s", &warnings) && warnings[0] != NULL)
    for (guint i = 0; warnings[i] != NULL; i++)
      add_warning (self, warnings[i], FALSE);
  else
    add_warning (self, _("Nothing: everything in the appliance is imported."), TRUE);
}

static void
inspect_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(HvImportDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  g_autoptr(GVariant) summary = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->inspect);
  if (reply == NULL)
    {
      g_autofree char *message = hv_messages_error (error);

      show_result (self, "dialog-error-symbolic", _("This Appliance Cannot Be Imported"),
                   message, FALSE);
      return;
    }
  g_variant_get (reply, "(@a{sv})", &summary);
  fill_summary (self, summary);
  show_page (self, "summary");
  validate (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
inspect_file (HvImportDialog *self,
              GFile          *file)
{
  g_autofree char *basename = g_file_get_basename (file);
  g_autofree char *text = NULL;
  g_autofree char *path = g_file_get_path (file);

  g_set_object (&self->file, file);
  g_free (self->path);
  self->path = path != NULL ? g_canonicalize_filename (path, NULL) : NULL;
  /* Translators: %s is the appliance's file name */
  text = g_strdup_printf (_("Reading “%s”…"), basename);
  gtk_label_set_text (self->loading_label, text);
  show_page (self, "loading");
  if (self->path == NULL)
    {
      show_result (self, "dialog-error-symbolic", _("This Appliance Cannot Be Imported"),
                   _("Only a file on this computer can be imported."), FALSE);
      return;
    }
  if (self->inspect != NULL)
    g_cancellable_cancel (self->inspect);
  g_set_object (&self->inspect, g_cancellable_new ());
  hv_engine_client_call_with_timeout (self->client, NULL, "InspectAppliance",
                                      g_variant_new ("(s)", self->path), NO_TIMEOUT,
                                      self->inspect, inspect_done, g_object_ref (self));
}

/* ---- the import ---- */

static gboolean
pulse (gpointer data)
{
  HvImportDialog *self = data;

  gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
stop_pulse (HvImportDialog *self)
{
  if (self->pulse_source != 0)
    g_source_remove (self->pulse_source);
  self->pulse_source = 0;
}

static void
on_progress (HvDbusEngine   *engine,
             const char     *path,
             double          fraction,
             HvImportDialog *self)
{
  g_autofree char *text = NULL;

  if (!self->importing || g_strcmp0 (path, self->path) != 0)
    return;
  if (fraction < 0)
    {
      gtk_label_set_text (self->progress_label, _("Checking the appliance’s files…"));
      gtk_progress_bar_set_text (self->progress_bar, NULL);
      if (self->pulse_source == 0)
        self->pulse_source = g_timeout_add (150, pulse, self);
      return;
    }
  stop_pulse (self);
  if (!self->cancel_asked)
    gtk_label_set_text (self->progress_label, _("Converting the disks to qcow2…"));
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0, 1));
  /* Translators: the import's progress in percent */
  text = g_strdup_printf (_("%d %%"), (int) (CLAMP (fraction, 0, 1) * 100));
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
set_importing (HvImportDialog *self,
               gboolean        importing)
{
  self->importing = importing;
  if (!importing)
    {
      stop_pulse (self);
      if (self->engine != NULL && self->progress_handler != 0)
        g_signal_handler_disconnect (self->engine, self->progress_handler);
      self->progress_handler = 0;
      g_clear_object (&self->engine);
    }
}

static void
import_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvImportDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autofree char *message = NULL;
  const char *vm_path;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_importing (self, FALSE);
  if (reply == NULL)
    {
      message = hv_messages_error (error);
      if (self->cancel_asked)
        show_result (self, "process-stop-symbolic", _("Import Cancelled"),
                     _("Nothing was created: what the import had written was removed."), TRUE);
      else
        show_result (self, "dialog-error-symbolic", _("The Import Failed"), message, TRUE);
      self->cancel_asked = FALSE;
      return;
    }
  g_variant_get (reply, "(&o@as)", &vm_path, NULL);
  if (HV_IS_WINDOW (parent))
    {
      /* Translators: %s is the new VM's name */
      message = g_strdup_printf (_("“%s” was imported"),
                                 gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
      hv_window_show_message (HV_WINDOW (parent), message);
      hv_window_select_vm (HV_WINDOW (parent), vm_path);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_import_clicked (HvImportDialog *self)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  guint folder = adw_combo_row_get_selected (self->folder_row);
  g_autofree char *title = NULL;
  HvDbusEngine *engine;

  if (self->importing || self->path == NULL || !validate (self))
    return;
  /* The appliance's own name is made unique by the engine; a name typed here is taken as it
   * is (and refused if a VM has it). */
  if (g_strcmp0 (name, self->suggested_name) != 0)
    g_variant_builder_add (&options, "{sv}", "name", g_variant_new_string (name));
  if (folder != GTK_INVALID_LIST_POSITION && folder < self->folders->len)
    g_variant_builder_add (&options, "{sv}", "folder",
                           g_variant_new_string (self->folders->pdata[folder]));

  set_importing (self, TRUE);
  self->cancel_asked = FALSE;
  engine = hv_engine_client_get_engine (self->client);
  if (engine != NULL)
    {
      self->engine = g_object_ref (engine);
      self->progress_handler = g_signal_connect (engine, "appliance-progress",
                                                 G_CALLBACK (on_progress), self);
    }
  /* Translators: %s is the new VM's name */
  title = g_strdup_printf (_("Importing “%s”…"), name);
  gtk_label_set_text (self->progress_title, title);
  gtk_label_set_text (self->progress_label, _("Starting…"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  show_page (self, "progress");
  hv_engine_client_call_with_timeout (self->client, NULL, "ImportAppliance",
                                      g_variant_new ("(s@a{sv})", self->path,
                                                     g_variant_builder_end (&options)),
                                      NO_TIMEOUT, self->cancellable, import_done,
                                      g_object_ref (self));
}

static void
cancel_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvImportDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  /* Too late (the import had just ended) or refused: its own reply says how it ended. */
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("CancelImport: %s", error->message);
}

static void
cancel_import (HvImportDialog *self)
{
  if (self->cancel_asked)
    return;
  self->cancel_asked = TRUE;
  gtk_widget_set_sensitive (self->cancel_button, FALSE);
  gtk_label_set_text (self->progress_label, _("Cancelling…"));
  hv_engine_client_call (self->client, NULL, "CancelImport", g_variant_new ("(s)", self->path),
                         self->cancellable, cancel_done, g_object_ref (self));
}

static void
on_cancel_clicked (HvImportDialog *self)
{
  if (self->importing)
    cancel_import (self);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

/* Closing the window while it imports cancels the import; the window stays until the engine
 * has removed what it wrote and says so. */
static gboolean
on_close_request (GtkWindow *window)
{
  HvImportDialog *self = HV_IMPORT_DIALOG (window);

  if (!self->importing)
    return FALSE;
  cancel_import (self);
  return TRUE;
}

static void
on_back_clicked (HvImportDialog *self)
{
  show_page (self, "summary");
  validate (self);
}

static void
on_close_clicked (HvImportDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

/* ---- choosing the file ---- */

static GtkFileChooserNative *
new_chooser (GtkWindow *parent)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Choose an Appliance"), parent, GTK_FILE_CHOOSER_ACTION_OPEN,
                                 _("_Open"), _("_Cancel"));
  GtkFileFilter *appliances = gtk_file_filter_new ();
  GtkFileFilter *all = gtk_file_filter_new ();

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (appliances, _("Appliances (OVA, OVF)"));
  gtk_file_filter_add_suffix (appliances, "ova");
  gtk_file_filter_add_suffix (appliances, "ovf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), appliances);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  g_object_unref (appliances);
  g_object_unref (all);
  return chooser;
}

static void
choose_again_response (GtkNativeDialog *chooser,
                       int              response,
                       HvImportDialog  *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (file != NULL)
    inspect_file (self, file);
}

static void
on_choose_clicked (HvImportDialog *self)
{
  GtkFileChooserNative *chooser = new_chooser (GTK_WINDOW (self));

  g_signal_connect_object (chooser, "response", G_CALLBACK (choose_again_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- object ---- */

static void
hv_import_dialog_dispose (GObject *object)
{
  HvImportDialog *self = HV_IMPORT_DIALOG (object);

  set_importing (self, FALSE);
  if (self->inspect != NULL)
    g_cancellable_cancel (self->inspect);
  g_clear_object (&self->inspect);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->file);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_IMPORT_DIALOG);

  G_OBJECT_CLASS (hv_import_dialog_parent_class)->dispose (object);
}

static void
hv_import_dialog_finalize (GObject *object)
{
  HvImportDialog *self = HV_IMPORT_DIALOG (object);

  g_free (self->path);
  g_free (self->suggested_name);
  g_ptr_array_unref (self->folders);
  g_ptr_array_unref (self->device_rows);

  G_OBJECT_CLASS (hv_import_dialog_parent_class)->finalize (object);
}

static void
hv_import_dialog_class_init (HvImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_import_dialog_dispose;
  object_class->finalize = hv_import_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, loading_label);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, os_row);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, memory_row);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, cpus_row);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, firmware_row);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, devices_group);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, warnings_box);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, problem_label);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, progress_title);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, result_page);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, result_label);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, choose_button);
  gtk_widget_class_bind_template_child (widget_class, HvImportDialog, back_button);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_import_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_close_request);
  gtk_widget_class_bind_template_callback (widget_class, on_close_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_import_dialog_init (HvImportDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->folders = g_ptr_array_new_with_free_func (g_free);
  self->device_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
hv_import_dialog_present (GtkWindow      *parent,
                          HvEngineClient *client,
                          GFile          *file)
{
  HvImportDialog *self;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));
  g_return_if_fail (G_IS_FILE (file));

  self = g_object_new (HV_TYPE_IMPORT_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  gtk_window_present (GTK_WINDOW (self));
  inspect_file (self, file);
}

typedef struct {
  GtkWindow *parent;
  HvEngineClient *client;
} ChooseData;

static void
choose_data_free (gpointer data)
{
  ChooseData *choose = data;

  g_clear_object (&choose->parent);
  g_clear_object (&choose->client);
  g_free (choose);
}

static void
choose_response (GtkNativeDialog *chooser,
                 int              response,
                 gpointer         data)
{
  ChooseData *choose = g_object_get_data (G_OBJECT (chooser), "hv-import");
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    hv_import_dialog_present (choose->parent, choose->client, file);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

void
hv_import_dialog_choose (GtkWindow      *parent,
                         HvEngineClient *client)
{
  GtkFileChooserNative *chooser = new_chooser (parent);
  ChooseData *choose = g_new0 (ChooseData, 1);

  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));
  choose->parent = parent != NULL ? g_object_ref (parent) : NULL;
  choose->client = g_object_ref (client);
  g_object_set_data_full (G_OBJECT (chooser), "hv-import", choose, choose_data_free);
  g_signal_connect (chooser, "response", G_CALLBACK (choose_response), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
