/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-new-vm-dialog.h"
#include "hv-ui-util.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-folder-tree.h"
#include "hv-messages.h"
#include "hv-os-chooser.h"
#include "hv-preferences-window.h"
#include "hv-window.h"
#include "hv-wizard-legacy.h"
#include "hv-profile-dialog.h"
#include "hv-wizard-model.h"
#include "hv-remote-files.h"

/* How long a VM just created may take to show up in the client's list before "start it"
 * gives up. */
#define START_WAIT_SECONDS 30

static const char * const pages[] = { "medium", "os", "details" };

struct _HvNewVmDialog
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  HvWizardModel *model;
  GCancellable *cancellable;         /* the dialog's life */
  GCancellable *detect_cancellable;  /* the current medium's detection */
  GCancellable *defaults_cancellable;/* the current OS's defaults */
  GtkFileChooserNative *chooser;
  GFile *medium;
  guint64 medium_size;               /* the medium's size in bytes */
  char **folders;                    /* parallel to folder_row's items; [0] = "" */
  gboolean detecting;
  gboolean creating;
  gboolean syncing;                  /* widgets being set from the model, not by the user */

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkButton *back_button;
  GtkButton *next_button;
  GtkButton *create_button;
  GtkSpinner *busy_spinner;
  GtkStack *stack;
  AdwActionRow *image_row;
  GtkCheckButton *image_check;
  GtkCheckButton *none_check;
  GtkButton *choose_button;
  AdwActionRow *detect_row;
  GtkSpinner *detect_spinner;
  GtkLabel *os_hint;
  GtkLabel *os_chosen_label;
  GtkWidget *profile_details_button;
  GtkLabel *legacy_warning_label;
  HvOsChooser *os_chooser;
  AdwPreferencesGroup *create_error_group;
  GtkLabel *create_error_label;
  AdwEntryRow *name_row;
  AdwComboRow *folder_row;
  GtkLabel *name_error;
  AdwPreferencesGroup *hardware_group;
  GtkSpinButton *memory_spin;
  GtkLabel *memory_warning;
  GtkSpinButton *cpus_spin;
  GtkSpinButton *disk_spin;
  GtkLabel *hardware_error;
  GtkSwitch *start_switch;
};

G_DEFINE_FINAL_TYPE (HvNewVmDialog, hv_new_vm_dialog, ADW_TYPE_WINDOW)

static guint
current_page (HvNewVmDialog *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->stack);

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_strcmp0 (name, pages[i]) == 0)
      return i;
  return 0;
}

static void
show_toast (HvNewVmDialog *self,
            const char    *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ---- from the model to the widgets ---- */

static void
update_buttons (HvNewVmDialog *self)
{
  guint page = current_page (self);
  gboolean medium_ok = gtk_check_button_get_active (self->none_check) || self->medium != NULL;
  /* Translators: the wizard's progress, e.g. "Step 1 of 3" */
  g_autofree char *step = g_strdup_printf (_("Step %u of %u"), page + 1,
                                           (guint) G_N_ELEMENTS (pages));

  adw_window_title_set_subtitle (self->window_title, step);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), page > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->back_button), !self->creating);
  gtk_widget_set_visible (GTK_WIDGET (self->next_button), page + 1 < G_N_ELEMENTS (pages));
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), page > 0 || medium_ok);
  gtk_widget_set_visible (GTK_WIDGET (self->create_button), page + 1 == G_N_ELEMENTS (pages));
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button),
                            !self->creating && hv_wizard_model_is_valid (self->model));
  gtk_widget_set_visible (GTK_WIDGET (self->busy_spinner), self->creating);
  gtk_spinner_set_spinning (self->busy_spinner, self->creating);
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), !self->creating);

  if (self->next_button != NULL && gtk_widget_get_visible (GTK_WIDGET (self->next_button)))
    gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->next_button));
  else
    gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->create_button));
}

static void
set_spin (GtkSpinButton *spin,
          double         value)
{
  if (gtk_spin_button_get_value (spin) != value)
    gtk_spin_button_set_value (spin, value);
}

static char *legacy_profile (HvNewVmDialog *self);

static void
sync_from_model (HvNewVmDialog *self)
{
  HvWizardModel *m = self->model;
  const char *name_error = hv_wizard_model_get_error (m, HV_WIZARD_FIELD_NAME);
  const char *memory_error = hv_wizard_model_get_error (m, HV_WIZARD_FIELD_MEMORY);
  const char *cpus_error = hv_wizard_model_get_error (m, HV_WIZARD_FIELD_CPUS);
  const char *disk_error = hv_wizard_model_get_error (m, HV_WIZARD_FIELD_DISK);
  g_autoptr(GString) hardware = g_string_new (NULL);
  const char *os_name = hv_wizard_model_get_os_name (m);

  self->syncing = TRUE;
  /* Only when it differs: setting the text moves the cursor the user is typing at. */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                 hv_wizard_model_get_name (m)) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), hv_wizard_model_get_name (m));
  set_spin (self->memory_spin, (double) hv_wizard_model_get_memory (m));
  set_spin (self->cpus_spin, (double) hv_wizard_model_get_cpus (m));
  set_spin (self->disk_spin, (double) hv_wizard_model_get_disk (m));
  self->syncing = FALSE;

  hv_ui_set_error_label (self->name_error, name_error);
  hv_ui_mark_error (GTK_WIDGET (self->name_row), name_error != NULL);
  if (memory_error != NULL)
    g_string_append (hardware, memory_error);
  if (cpus_error != NULL)
    g_string_append_printf (hardware, "%s%s", hardware->len > 0 ? "\n" : "", cpus_error);
  if (disk_error != NULL)
    g_string_append_printf (hardware, "%s%s", hardware->len > 0 ? "\n" : "", disk_error);
  hv_ui_set_error_label (self->hardware_error, hardware->str);
  {
    g_autofree char *warning = hv_wizard_memory_warning (hv_wizard_model_get_memory (m),
                                                         hv_wizard_host_memory_mib ());
    /* Windows 9x above 512 MB (the profile is looked up only then). */
    g_autofree char *profile = hv_wizard_model_get_memory (m) > 512 ? legacy_profile (self)
                                                                    : NULL;
    g_autofree char *win9x = hv_wizard_legacy_memory_warning (profile,
                                                              hv_wizard_model_get_memory (m));

    if (win9x != NULL)
      {
        g_autofree char *both = warning != NULL ? g_strdup_printf ("%s\n%s", warning, win9x)
                                                : g_strdup (win9x);

        g_free (warning);
        warning = g_steal_pointer (&both);
      }
    hv_ui_set_error_label (self->memory_warning, warning);
  }
  hv_ui_mark_error (GTK_WIDGET (self->memory_spin), memory_error != NULL);
  hv_ui_mark_error (GTK_WIDGET (self->cpus_spin), cpus_error != NULL);
  hv_ui_mark_error (GTK_WIDGET (self->disk_spin), disk_error != NULL);

  if (os_name != NULL)
    {
      /* Translators: %s is an OS name */
      g_autofree char *text = g_strdup_printf (_("Recommended for %s; change them as you like."),
                                               os_name);
      adw_preferences_group_set_description (self->hardware_group, text);
    }
  else
    adw_preferences_group_set_description (self->hardware_group,
                                           _("Generic defaults; change them as you like."));
  update_buttons (self);
}

static void
sync_taken_names (HvNewVmDialog *self)
{
  GListModel *vms = hv_engine_client_get_vms (self->client);
  guint n = g_list_model_get_n_items (vms);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (vms, i);

      if (hv_vm_item_get_name (item) != NULL)
        g_strv_builder_add (builder, hv_vm_item_get_name (item));
    }
  names = g_strv_builder_end (builder);
  hv_wizard_model_set_taken_names (self->model, (const char * const *) names);
}

static void
on_vms_changed (GListModel    *vms,
                guint          position,
                guint          removed,
                guint          added,
                HvNewVmDialog *self)
{
  sync_taken_names (self);
  sync_from_model (self);
}

static void
sync_folders (HvNewVmDialog *self)
{
  g_auto(GStrv) folders = hv_folder_sort_paths (hv_engine_client_get_folders (self->client));
  const char *current = hv_wizard_model_get_folder (self->model);
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint selected = 0;

  gtk_string_list_append (list, _("Top level"));
  g_strv_builder_add (builder, "");
  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    {
      gtk_string_list_append (list, folders[i]);
      g_strv_builder_add (builder, folders[i]);
      if (g_str_equal (folders[i], current))
        selected = i + 1;
    }
  g_strfreev (self->folders);
  self->folders = g_strv_builder_end (builder);

  self->syncing = TRUE;
  adw_combo_row_set_model (self->folder_row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (self->folder_row, selected);
  self->syncing = FALSE;
  /* The chosen folder may have been deleted meanwhile: then it is the top level. */
  hv_wizard_model_set_folder (self->model, self->folders[selected]);
}

static void
on_folders_changed (HvEngineClient *client,
                    GParamSpec     *pspec,
                    HvNewVmDialog  *self)
{
  sync_folders (self);
}

/* ---- the OS and its defaults ---- */

/* The hardware profile the new VM gets (hv-wizard-legacy.c): the OS's, or "dos" for a
 * standard floppy image no OS was recognised on. */
static char *
legacy_profile (HvNewVmDialog *self)
{
  gboolean floppy = hv_wizard_model_get_medium_kind (self->model) == HV_WIZARD_MEDIUM_FLOPPY;

  return hv_wizard_legacy_profile (hv_wizard_model_get_os_id (self->model),
                                   floppy ? self->medium_size : 0);
}

static void
update_os_labels (HvNewVmDialog *self)
{
  const char *os_name = hv_wizard_model_get_os_name (self->model);
  g_autofree char *profile = legacy_profile (self);
  g_autofree char *words = NULL;
  g_autofree char *chosen = NULL;
  guint64 memory = 0, disk = 0;
  guint cpus = 0;

  if (profile != NULL)
    words = hv_wizard_legacy_words (profile, &memory, &cpus, &disk);
  if (os_name != NULL)
    /* Translators: %s is an OS name */
    chosen = g_strdup_printf (_("Chosen: %s"), os_name);
  else if (words != NULL)
    chosen = g_strdup (_("Chosen: a DOS PC for the floppy image"));
  else
    chosen = g_strdup (_("Chosen: other operating system (generic defaults)"));
  if (words != NULL)
    {
      /* Translators: the hardware in plain words ("486, 16 MB, Sound Blaster 16, NE2000") */
      g_autofree char *line = g_strdup_printf (_("Hardware: %s"), words);
      g_autofree char *both = g_strdup_printf ("%s\n%s", chosen, line);

      g_free (chosen);
      chosen = g_steal_pointer (&both);
      /* No OS to ask the engine for defaults: the profile's figures are the defaults. */
      if (os_name == NULL && !self->syncing)
        {
          if (!hv_wizard_model_is_touched (self->model, HV_WIZARD_FIELD_MEMORY) && memory > 0)
            hv_wizard_model_set_memory (self->model, memory);
          if (!hv_wizard_model_is_touched (self->model, HV_WIZARD_FIELD_CPUS) && cpus > 0)
            hv_wizard_model_set_cpus (self->model, cpus);
          if (!hv_wizard_model_is_touched (self->model, HV_WIZARD_FIELD_DISK) && disk > 0)
            hv_wizard_model_set_disk (self->model, disk);
        }
    }
  gtk_label_set_text (self->os_chosen_label, chosen);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->os_chosen_label), chosen);
  /* Every field of the profile, and the Windows 9x traps with their fixes. */
  gtk_widget_set_visible (self->profile_details_button, words != NULL);
  {
    g_autofree char *warning =
      words != NULL ? hv_wizard_legacy_cpu_warning (profile,
                                                    self->client != NULL &&
                                                    hv_engine_client_get_kvm_available (
                                                      self->client))
                    : NULL;

    hv_ui_set_error_label (self->legacy_warning_label, warning);
  }
}

static void
on_profile_details_clicked (HvNewVmDialog *self)
{
  g_autofree char *profile = legacy_profile (self);
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog = profile != NULL ? hv_profile_dialog_new (GTK_WINDOW (self), profile,
                                                               &error)
                                      : NULL;

  if (dialog != NULL)
    gtk_window_present (GTK_WINDOW (dialog));
  else if (error != NULL)
    hv_ui_set_error_label (self->legacy_warning_label, error->message);
}

typedef struct {
  HvNewVmDialog *self;
  char *os_id;
} DefaultsRequest;

static void
os_defaults_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  DefaultsRequest *req = data;
  g_autoptr(HvNewVmDialog) self = req->self;
  g_autofree char *os_id = req->os_id;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) defaults = NULL;
  g_autoptr(GError) error = NULL;

  g_free (req);
  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      /* The generic defaults stay; the user can still set everything by hand. */
      g_autofree char *message = hv_messages_error (error);
      show_toast (self, message);
      return;
    }
  g_variant_get (reply, "(@a{sv})", &defaults);
  /* A reply for an OS no longer chosen is ignored by the model. */
  if (hv_wizard_model_apply_defaults (self->model, os_id, defaults))
    sync_from_model (self);
}

static void
set_os (HvNewVmDialog *self,
        const char    *os_id,
        const char    *os_name)
{
  DefaultsRequest *req;

  if (os_id != NULL && os_id[0] == '\0')
    os_id = NULL;
  if (g_strcmp0 (os_id, hv_wizard_model_get_os_id (self->model)) == 0)
    return;

  g_cancellable_cancel (self->defaults_cancellable);
  g_clear_object (&self->defaults_cancellable);
  hv_wizard_model_set_os (self->model, os_id, os_name);
  update_os_labels (self);
  sync_from_model (self);
  if (os_id == NULL)
    return;
  req = g_new0 (DefaultsRequest, 1);
  req->self = g_object_ref (self);
  req->os_id = g_strdup (os_id);
  self->defaults_cancellable = g_cancellable_new ();
  hv_engine_client_call (self->client, NULL, "GetOsDefaults", g_variant_new ("(s)", os_id),
                         self->defaults_cancellable, os_defaults_done, req);
}

static void
on_os_chosen (HvNewVmDialog *self,
              GParamSpec    *pspec,
              HvOsChooser   *chooser)
{
  set_os (self, hv_os_chooser_get_os_id (chooser), hv_os_chooser_get_os_name (chooser));
}

/* ---- the medium ---- */

static void
set_detecting (HvNewVmDialog *self,
               gboolean       detecting,
               const char    *title)
{
  self->detecting = detecting;
  gtk_widget_set_visible (GTK_WIDGET (self->detect_spinner), detecting);
  gtk_spinner_set_spinning (self->detect_spinner, detecting);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->detect_row), title);
}

static void
detect_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvNewVmDialog) self = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  const char *os_id, *os_name;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      g_autofree char *reason = hv_messages_error (error);

      /* The sentence goes on after the reason. */
      if (g_str_has_suffix (reason, "."))
        reason[strlen (reason) - 1] = '\0';
      /* Translators: %s is why the image could not be examined */
      title = g_strdup_printf (_("Could not examine the image: %s. Choose the operating "
                                 "system on the next page."), reason);
      set_detecting (self, FALSE, title);
      gtk_label_set_text (self->os_hint, _("Choose the operating system you will install."));
      return;
    }

  g_variant_get (reply, "(&s&s)", &os_id, &os_name);
  if (os_id[0] == '\0')
    {
      set_detecting (self, FALSE, _("Not recognised — choose the operating system on the "
                                    "next page"));
      gtk_label_set_text (self->os_hint,
                          _("The operating system on the image was not recognised. Choose it "
                            "from the list, or keep “Other operating system”."));
      /* A standard floppy image: a DOS PC booting from it (hv-wizard-legacy.c). */
      update_os_labels (self);
      sync_from_model (self);
      return;
    }

  /* Translators: %s is the OS found on the install medium */
  title = g_strdup_printf (_("Detected: %s"), os_name[0] != '\0' ? os_name : os_id);
  set_detecting (self, FALSE, title);
  gtk_label_set_text (self->os_hint,
                      _("Detected on the install medium. Choose another one if it is wrong."));
  hv_os_chooser_set_os (self->os_chooser, os_id, os_name);
}

static void
apply_medium_choice (HvNewVmDialog *self)
{
  g_autofree char *path = NULL;

  if (gtk_check_button_get_active (self->none_check) || self->medium == NULL)
    {
      hv_wizard_model_set_medium (self->model, NULL, HV_WIZARD_MEDIUM_NONE);
      return;
    }
  path = g_file_get_path (self->medium);
  hv_wizard_model_set_medium (self->model, path,
                              hv_wizard_model_get_medium_kind (self->model) !=
                                HV_WIZARD_MEDIUM_NONE
                              ? hv_wizard_model_get_medium_kind (self->model)
                              : HV_WIZARD_MEDIUM_CDROM);
}


/* A medium given before the engine answers (the app opened with an ISO from the file manager)
 * is detected once the client is connected. */
static void
on_client_connected (HvEngineClient *client,
                     GParamSpec     *pspec,
                     HvNewVmDialog  *self)
{
  const char *path = g_object_get_data (G_OBJECT (self), "hv-detect-path");

  if (!hv_engine_client_get_connected (client) || path == NULL)
    return;
  g_signal_handlers_disconnect_by_func (client, on_client_connected, self);
  hv_engine_client_call (self->client, NULL, "DetectMedia", g_variant_new ("(s)", path),
                         self->detect_cancellable, detect_done, g_object_ref (self));
  g_object_set_data (G_OBJECT (self), "hv-detect-path", NULL);
}

static void
start_detection (HvNewVmDialog *self,
                 const char    *path)
{
  g_object_set_data_full (G_OBJECT (self), "hv-detect-path", g_strdup (path), g_free);
  if (hv_engine_client_get_connected (self->client))
    {
      on_client_connected (self->client, NULL, self);
      return;
    }
  g_signal_handlers_disconnect_by_func (self->client, on_client_connected, self);
  g_signal_connect_object (self->client, "notify::connected", G_CALLBACK (on_client_connected),
                           self, 0);
}

static void medium_known (HvNewVmDialog *self, GFile *file, guint64 size);

/* The medium could not be read: none chosen. */
static void
medium_failed (HvNewVmDialog *self,
               const char    *message)
{
  g_clear_object (&self->medium);
  adw_action_row_set_subtitle (self->image_row, _("No image chosen"));
  set_detecting (self, FALSE, _("Choose an image to detect its operating system"));
  show_toast (self, message);
  apply_medium_choice (self);
  sync_from_model (self);
}

static void
medium_info_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(HvNewVmDialog) self = data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (info == NULL)
    {
      medium_failed (self, error->message);
      return;
    }
  medium_known (self, G_FILE (source), g_file_info_get_size (info));
}

/* The medium @file (this computer's, or a path on the engine's host) is @size bytes. */
static void
medium_known (HvNewVmDialog *self,
              GFile         *file,
              guint64        size)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *subtitle = NULL;
  HvWizardMedium kind;

  kind = hv_wizard_medium_guess (path, size);
  /* Translators: an image's file name, then what kind of drive it goes into */
  subtitle = g_strdup_printf (_("%s — %s"), base,
                              kind == HV_WIZARD_MEDIUM_FLOPPY ? _("floppy image")
                                                              : _("CD/DVD image"));
  adw_action_row_set_subtitle (self->image_row, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->image_row), path);
  self->medium_size = size;
  hv_wizard_model_set_medium (self->model, path, kind);
  if (!gtk_check_button_get_active (self->image_check))
    hv_wizard_model_set_medium (self->model, NULL, HV_WIZARD_MEDIUM_NONE);

  start_detection (self, path);
  sync_from_model (self);
}

static void
set_medium (HvNewVmDialog *self,
            GFile         *file)
{
  g_autofree char *path = g_file_get_path (file);

  if (path == NULL)
    {
      show_toast (self, _("Only local files can be install media."));
      return;
    }

  g_cancellable_cancel (self->detect_cancellable);
  g_clear_object (&self->detect_cancellable);
  self->detect_cancellable = g_cancellable_new ();
  g_set_object (&self->medium, file);
  gtk_check_button_set_active (self->image_check, TRUE);
  set_detecting (self, TRUE, _("Detecting the operating system…"));
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, self->detect_cancellable, medium_info_done,
                           g_object_ref (self));
  update_buttons (self);
}

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  HvNewVmDialog   *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    set_medium (self, file);
}

static void
remote_medium_sized (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  g_autoptr(HvNewVmDialog) self = data;
  g_autoptr(GError) error = NULL;
  guint64 size = 0;

  if (!hv_remote_files_query_size_finish (result, &size, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        medium_failed (self, error->message);
      return;
    }
  medium_known (self, self->medium, size);
}

/* A path on the engine's host (an engine over SSH): its size asked there. */
static void
remote_medium_chosen (GtkWidget  *widget,
                      const char *path,
                      gpointer    data)
{
  HvNewVmDialog *self = HV_NEW_VM_DIALOG (widget);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  g_cancellable_cancel (self->detect_cancellable);
  g_clear_object (&self->detect_cancellable);
  self->detect_cancellable = g_cancellable_new ();
  g_set_object (&self->medium, file);
  gtk_check_button_set_active (self->image_check, TRUE);
  set_detecting (self, TRUE, _("Detecting the operating system…"));
  hv_remote_files_query_size (self->client, path, self->detect_cancellable,
                              remote_medium_sized, g_object_ref (self));
  update_buttons (self);
}

static void
on_choose_clicked (HvNewVmDialog *self)
{
  if (hv_remote_files_choose (self->client, GTK_WIDGET (self), _("Choose an Install Medium"),
                              HV_REMOTE_FILE_OPEN, HV_REMOTE_FILTER_INSTALL, NULL,
                              remote_medium_chosen, NULL, NULL))
    return;
  if (self->chooser == NULL)
    {
      GtkFileFilter *images = gtk_file_filter_new ();
      GtkFileFilter *all = gtk_file_filter_new ();

      self->chooser = gtk_file_chooser_native_new (_("Choose an Install Medium"),
                                                   GTK_WINDOW (self),
                                                   GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                                   _("_Cancel"));
      gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
      gtk_file_filter_set_name (images, _("Disc and floppy images"));
      for (const char * const *s = (const char * const[]) { "iso", "img", "ima", "flp", NULL };
           *s != NULL; s++)
        gtk_file_filter_add_suffix (images, *s);
      gtk_file_filter_add_mime_type (images, "application/x-cd-image");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), images);
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
      gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (self->chooser), images);
      g_object_unref (images);
      g_object_unref (all);
      g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response), self);
    }
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_medium_choice_toggled (HvNewVmDialog  *self,
                          GtkCheckButton *button)
{
  apply_medium_choice (self);
  sync_from_model (self);
}

/* ---- user edits ---- */

static void
on_name_changed (HvNewVmDialog *self)
{
  if (self->syncing)
    return;
  hv_wizard_model_set_name (self->model, gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  sync_from_model (self);
}

static void
on_memory_changed (HvNewVmDialog *self)
{
  if (self->syncing)
    return;
  hv_wizard_model_set_memory (self->model, (guint64) gtk_spin_button_get_value (self->memory_spin));
  sync_from_model (self);
}

static void
on_cpus_changed (HvNewVmDialog *self)
{
  if (self->syncing)
    return;
  hv_wizard_model_set_cpus (self->model, (guint) gtk_spin_button_get_value (self->cpus_spin));
  sync_from_model (self);
}

static void
on_disk_changed (HvNewVmDialog *self)
{
  if (self->syncing)
    return;
  hv_wizard_model_set_disk (self->model, (guint64) gtk_spin_button_get_value (self->disk_spin));
  sync_from_model (self);
}

static void
on_folder_selected (HvNewVmDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->folder_row);

  if (self->syncing || self->folders == NULL || selected >= g_strv_length (self->folders))
    return;
  hv_wizard_model_set_folder (self->model, self->folders[selected]);
}

/* ---- pages ---- */

static void
on_page_changed (HvNewVmDialog *self)
{
  guint page = current_page (self);

  update_buttons (self);
  if (page == 1)
    gtk_widget_grab_focus (GTK_WIDGET (self->os_chooser));
  else if (page == 2)
    gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
on_back_clicked (HvNewVmDialog *self)
{
  guint page = current_page (self);

  if (page > 0)
    gtk_stack_set_visible_child_name (self->stack, pages[page - 1]);
}

static void
on_next_clicked (HvNewVmDialog *self)
{
  guint page = current_page (self);

  if (page + 1 < G_N_ELEMENTS (pages) && gtk_widget_get_sensitive (GTK_WIDGET (self->next_button)))
    gtk_stack_set_visible_child_name (self->stack, pages[page + 1]);
}

/* ---- creating ---- */

typedef struct {
  HvEngineClient *client;
  GWeakRef parent;
  char *path;
  char *name;
  guint timeout;
  guint poll;
  gulong items_handler;
  gboolean started;
} StartLater;

static void
start_later_free (StartLater *s)
{
  GListModel *vms = hv_engine_client_get_vms (s->client);

  g_clear_signal_handler (&s->items_handler, vms);
  g_clear_handle_id (&s->timeout, g_source_remove);
  g_clear_handle_id (&s->poll, g_source_remove);
  g_weak_ref_clear (&s->parent);
  g_object_unref (s->client);
  g_free (s->path);
  g_free (s->name);
  g_free (s);
}

static void
report_to_parent (StartLater *s,
                  const char *message)
{
  g_autoptr(GtkWindow) parent = g_weak_ref_get (&s->parent);

  /* The wizard is gone by now; the main window shows what went wrong. */
  if (parent != NULL && HV_IS_WINDOW (parent))
    hv_window_show_error (HV_WINDOW (parent), message);
  else
    g_message ("%s", message);
}

static void
start_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  StartLater *s = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: a VM's name, then why it did not start */
      g_autofree char *message = g_strdup_printf (_("“%s” was created but did not start: %s"),
                                                  s->name, reason);
      report_to_parent (s, message);
    }
  start_later_free (s);
}

/* The client learns of the new VM a moment after CreateVm answers (VmAdded, then its
 * proxy); Start needs that proxy. */
static gboolean
start_if_ready (StartLater *s)
{
  HvVmItem *item = hv_engine_client_lookup (s->client, s->path);

  if (s->started || item == NULL || hv_vm_item_get_proxy (item) == NULL)
    return FALSE;
  s->started = TRUE;
  g_clear_signal_handler (&s->items_handler, hv_engine_client_get_vms (s->client));
  g_clear_handle_id (&s->timeout, g_source_remove);
  g_clear_handle_id (&s->poll, g_source_remove);
  hv_engine_client_call (s->client, item, "Start", NULL, NULL, start_done, s);
  return TRUE;
}

static void
start_later_items_changed (GListModel *vms,
                           guint       position,
                           guint       removed,
                           guint       added,
                           StartLater *s)
{
  start_if_ready (s);
}

static gboolean
start_later_poll (gpointer data)
{
  StartLater *s = data;
  /* Items-changed covers a VM that arrives with its proxy; this covers one whose proxy
   * comes later (after a reconnect the list fills before the proxies). */
  guint poll = s->poll;

  /* start_if_ready() removes this source by its id: take the id away first, and keep it
   * only while waiting on. */
  s->poll = 0;
  if (start_if_ready (s))
    return G_SOURCE_REMOVE;
  s->poll = poll;
  return G_SOURCE_CONTINUE;
}

static gboolean
start_later_give_up (gpointer data)
{
  StartLater *s = data;
  /* Translators: %s is a VM's name */
  g_autofree char *message = g_strdup_printf (_("“%s” was created, but could not be started "
                                                "yet. Start it from the library."), s->name);

  s->timeout = 0;
  g_clear_handle_id (&s->poll, g_source_remove);
  report_to_parent (s, message);
  start_later_free (s);
  return G_SOURCE_REMOVE;
}

static void
start_when_ready (HvEngineClient *client,
                  GtkWindow      *parent,
                  const char     *path,
                  const char     *name)
{
  StartLater *s = g_new0 (StartLater, 1);

  s->client = g_object_ref (client);
  g_weak_ref_init (&s->parent, parent);
  s->path = g_strdup (path);
  s->name = g_strdup (name);
  if (start_if_ready (s))
    return;
  s->items_handler = g_signal_connect (hv_engine_client_get_vms (client), "items-changed",
                                       G_CALLBACK (start_later_items_changed), s);
  s->poll = g_timeout_add (250, start_later_poll, s);
  s->timeout = g_timeout_add_seconds (START_WAIT_SECONDS, start_later_give_up, s);
}

static void
create_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvNewVmDialog) self = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *parent;
  const char *path;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->creating = FALSE;
  if (reply == NULL)
    {
      /* Everything the user entered stays; the message says what to fix. */
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: %s is the engine's reason */
      g_autofree char *text = g_strdup_printf (_("The virtual machine could not be created: %s"),
                                               reason);
      /* A label, not a toast: it stays until the next try. */
      hv_ui_set_error_label (self->create_error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->create_error_group), TRUE);
      sync_from_model (self);
      return;
    }

  g_variant_get (reply, "(&o)", &path);
  /* The person sees the VM they made, not "No Virtual Machine Selected". */
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent != NULL && HV_IS_WINDOW (parent))
    hv_window_select_vm (HV_WINDOW (parent), path);
  if (gtk_switch_get_active (self->start_switch))
    start_when_ready (self->client, gtk_window_get_transient_for (GTK_WINDOW (self)), path,
                      hv_wizard_model_get_name (self->model));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_create_clicked (HvNewVmDialog *self)
{
  g_autofree char *profile = NULL;
  g_autoptr(GVariant) built = NULL;
  GVariantDict dict;
  GVariant *options;

  /* A number typed but not yet committed counts. */
  gtk_spin_button_update (self->memory_spin);
  gtk_spin_button_update (self->cpus_spin);
  gtk_spin_button_update (self->disk_spin);
  if (self->creating || !hv_wizard_model_is_valid (self->model))
    return;

  self->creating = TRUE;
  hv_ui_set_error_label (self->create_error_label, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->create_error_group), FALSE);
  update_buttons (self);
  built = g_variant_ref_sink (hv_wizard_model_build_options (self->model));
  profile = legacy_profile (self);
  g_variant_dict_init (&dict, built);
  /* No OS to pick the profile: the wizard names it (a DOS floppy). */
  if (profile != NULL && hv_wizard_model_get_os_id (self->model) == NULL)
    g_variant_dict_insert (&dict, "profile", "s", profile);
  options = g_variant_dict_end (&dict);
  hv_engine_client_call (self->client, NULL, "CreateVm",
                         g_variant_new ("(s@a{sv})", hv_wizard_model_get_name (self->model),
                                        options),
                         self->cancellable, create_done, g_object_ref (self));
}

static void
on_name_activated (HvNewVmDialog *self)
{
  on_create_clicked (self);
}

/* ---- object ---- */

static void
hv_new_vm_dialog_dispose (GObject *object)
{
  HvNewVmDialog *self = HV_NEW_VM_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->detect_cancellable);
  g_cancellable_cancel (self->defaults_cancellable);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_signal_handlers_disconnect_by_data (hv_engine_client_get_vms (self->client), self);
    }
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
    }
  g_clear_object (&self->chooser);
  g_clear_object (&self->client);
  g_clear_object (&self->medium);

  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_NEW_VM_DIALOG);
  G_OBJECT_CLASS (hv_new_vm_dialog_parent_class)->dispose (object);
}

static void
hv_new_vm_dialog_finalize (GObject *object)
{
  HvNewVmDialog *self = HV_NEW_VM_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->detect_cancellable);
  g_clear_object (&self->defaults_cancellable);
  g_clear_pointer (&self->model, hv_wizard_model_free);
  g_strfreev (self->folders);
  G_OBJECT_CLASS (hv_new_vm_dialog_parent_class)->finalize (object);
}

static void
hv_new_vm_dialog_class_init (HvNewVmDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_new_vm_dialog_dispose;
  object_class->finalize = hv_new_vm_dialog_finalize;

  g_type_ensure (HV_TYPE_OS_CHOOSER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-new-vm-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, back_button);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, next_button);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, image_row);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, image_check);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, none_check);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, choose_button);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, detect_row);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, detect_spinner);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, os_hint);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, os_chosen_label);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, profile_details_button);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, legacy_warning_label);
  gtk_widget_class_bind_template_callback (widget_class, on_profile_details_clicked);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, os_chooser);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, create_error_group);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, create_error_label);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, hardware_group);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, memory_warning);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, cpus_spin);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, disk_spin);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, hardware_error);
  gtk_widget_class_bind_template_child (widget_class, HvNewVmDialog, start_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_next_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_medium_choice_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_os_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_memory_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_cpus_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_disk_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_new_vm_dialog_init (HvNewVmDialog *self)
{
  self->model = hv_wizard_model_new ();
  self->cancellable = g_cancellable_new ();
  /* Before the template: its signal handlers run while it is built. */
  self->syncing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The spin buttons offer exactly what the engine accepts (hv-config.h). */
  gtk_spin_button_set_range (self->memory_spin, HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB);
  gtk_spin_button_set_range (self->cpus_spin, 1, HV_CPUS_MAX);
  gtk_spin_button_set_range (self->disk_spin, 1, HV_WIZARD_DISK_MAX_GIB);
  self->syncing = FALSE;
  gtk_label_set_text (self->os_hint, _("Choose the operating system you will install. Its "
                                       "recommendations set memory, processors and disk "
                                       "size."));
}

HvNewVmDialog *
hv_new_vm_dialog_new (GtkWindow      *parent,
                      HvEngineClient *client,
                      GFile          *medium_or_null)
{
  HvNewVmDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (client), NULL);
  g_return_val_if_fail (medium_or_null == NULL || G_IS_FILE (medium_or_null), NULL);

  self = g_object_new (HV_TYPE_NEW_VM_DIALOG, "transient-for", parent, NULL);
  if (parent != NULL)
    gtk_window_set_application (GTK_WINDOW (self), gtk_window_get_application (parent));
  self->client = g_object_ref (client);

  g_signal_connect_object (hv_engine_client_get_vms (client), "items-changed",
                           G_CALLBACK (on_vms_changed), self, 0);
  g_signal_connect_object (client, "notify::folders", G_CALLBACK (on_folders_changed), self, 0);
  sync_taken_names (self);
  {
    /* The Preferences' folder for new VMs (sync_folders() falls back to the top level when
     * it is gone). */
    g_autofree char *folder = hv_preferences_get_default_folder ();
    hv_wizard_model_set_folder (self->model, folder);
  }
  sync_folders (self);
  hv_os_chooser_load (self->os_chooser, client);
  update_os_labels (self);

  if (medium_or_null != NULL)
    set_medium (self, medium_or_null);
  sync_from_model (self);
  return self;
}

void
hv_new_vm_dialog_present (GtkWindow      *parent,
                          HvEngineClient *client,
                          GFile          *medium_or_null)
{
  HvNewVmDialog *self = hv_new_vm_dialog_new (parent, client, medium_or_null);

  if (self != NULL)
    gtk_window_present (GTK_WINDOW (self));
}
