/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-settings-dialog.h"
#include "hv-ui-util.h"
#include "hv-settings-guest.h"
#include "hv-floppy-row.h"
#include "hv-settings-network.h"
#include "hv-settings-sound.h"
#include "hv-settings-system.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-folder-tree.h"
#include "hv-messages.h"
#include "hv-os-chooser.h"
#include "hv-wizard-model.h"
#include "hv-remote-files.h"

/* Spin buttons apply this long after the last step, not once per click. */
#define SPIN_APPLY_DELAY_MS 700

typedef enum {
  FIELD_NAME,
  FIELD_FOLDER,
  FIELD_OS,
  FIELD_MEMORY,
  FIELD_CPUS,
  FIELD_FIRMWARE,
  FIELD_BOOT,
  FIELD_VIDEO,
  FIELD_ACCEL,
  FIELD_MEDIA,
  FIELD_DISK,
  N_FIELDS
} Field;

typedef struct {
  const char *value;
  const char *label;
} Choice;

static const Choice firmware_choices[] = {
  { "bios", N_("BIOS") },
  { "uefi", N_("UEFI") },
};

static const Choice accel_choices[] = {
  { "auto", N_("Automatic") },
  { "kvm", N_("KVM") },
  { "tcg", N_("Emulation (TCG)") },
};

static const Choice video_choices[] = {
  { "std", N_("Standard VGA") },
  { "virtio", N_("Virtio GPU") },
  { "cirrus", N_("Cirrus Logic (for old guests)") },
  { "none", N_("None (serial console only)") },
};

static const Choice boot_choices[] = {
  { "cd", N_("Hard disk, then CD/DVD") },
  { "dc", N_("CD/DVD, then hard disk") },
  { "acd", N_("Floppy, then hard disk, then CD/DVD") },
  { "adc", N_("Floppy, then CD/DVD, then hard disk") },
  { "ncd", N_("Network, then hard disk, then CD/DVD") },
  { "c", N_("Hard disk only") },
  { "d", N_("CD/DVD only") },
};

struct _HvSettingsDialog
{
  AdwPreferencesWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  HvVmConfig *config;            /* parsed from the item's ConfigXml; NULL when inaccessible */
  char **folders;                /* parallel to folder_row; [0] = "" */
  char **boot_values;            /* parallel to boot_row */
  GPtrArray *disk_rows;
  guint memory_source;
  guint cpus_source;
  /* A field the user changed keeps the user's value until the engine has answered (and,
   * after an error, until the next edit), whatever the VM's properties say meanwhile. */
  gboolean held[N_FIELDS];
  guint serial[N_FIELDS];
  gboolean syncing;

  /* template widgets */
  AdwPreferencesGroup *config_error_group;
  GtkLabel *config_error_label;
  AdwEntryRow *name_row;
  AdwComboRow *folder_row;
  AdwActionRow *os_row;
  GtkButton *os_button;
  GtkLabel *general_error;
  AdwActionRow *memory_row;
  GtkSpinButton *memory_spin;
  GtkLabel *memory_warning;
  AdwActionRow *cpus_row;
  GtkSpinButton *cpus_spin;
  GtkLabel *system_error;
  AdwComboRow *firmware_row;
  AdwComboRow *boot_row;
  AdwComboRow *accel_row;
  AdwPreferencesGroup *disks_group;
  AdwActionRow *cd_row;
  GtkButton *cd_change_button;
  GtkButton *cd_eject_button;
  AdwActionRow *floppy_row;
  GtkButton *floppy_change_button;
  GtkButton *floppy_eject_button;
  AdwComboRow *video_row;
};

G_DEFINE_FINAL_TYPE (HvSettingsDialog, hv_settings_dialog, ADW_TYPE_PREFERENCES_WINDOW)

static void sync_from_item (HvSettingsDialog *self);
static const char *accel_subtitle (HvSettingsDialog *self);
static void on_disk_remove_clicked (HvSettingsDialog *self);
static void on_disk_change_clicked (HvSettingsDialog *self);
static void on_disk_create_clicked (HvSettingsDialog *self);

static void
show_toast (HvSettingsDialog *self,
            const char       *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 8);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
}

/* The VM runs (or starts, or stops): only what QEMU can change live may change. */
static gboolean
vm_is_active (HvSettingsDialog *self)
{
  return self->config != NULL && !hv_vm_item_get_can_modify (self->item);
}

/* ---- talking to the engine ---- */

typedef struct {
  HvSettingsDialog *self;
  Field field;
  guint serial;
  char *what;
} ApplyRequest;

static void
apply_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  ApplyRequest *req = data;
  g_autoptr(HvSettingsDialog) self = req->self;
  g_autofree char *what = req->what;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Field field = req->field;
  gboolean latest = req->serial == self->serial[field];

  g_free (req);
  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: what was being changed ("the memory"), then the engine's reason */
      g_autofree char *message = g_strdup_printf (_("Could not change %s: %s"), what, reason);
      /* The field keeps the user's value, so nothing typed is lost. */
      show_toast (self, message);
      return;
    }
  if (latest)
    self->held[field] = FALSE;
  sync_from_item (self);
}

/* One Vm method call for one field; @parameters is consumed if floating. */
static void
call_vm (HvSettingsDialog *self,
         Field             field,
         const char       *what,
         const char       *method,
         GVariant         *parameters)
{
  ApplyRequest *req = g_new0 (ApplyRequest, 1);

  self->held[field] = TRUE;
  req->self = g_object_ref (self);
  req->field = field;
  req->serial = ++self->serial[field];
  req->what = g_strdup (what);
  hv_engine_client_call (self->client, self->item, method, parameters, self->cancellable,
                         apply_done, req);
}

static void
modify (HvSettingsDialog *self,
        Field             field,
        const char       *what,
        const char       *key,
        GVariant         *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, key, value);
  call_vm (self, field, what, "Modify", g_variant_new ("(@a{sv})", g_variant_dict_end (&dict)));
}

/* ---- choices ---- */

static void
fill_combo (HvSettingsDialog *self,
            AdwComboRow      *row,
            const Choice     *choices,
            guint             n_choices,
            const char       *current,
            char           ***values_out)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  guint selected = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; i < n_choices; i++)
    {
      gtk_string_list_append (list, _(choices[i].label));
      g_strv_builder_add (values, choices[i].value);
      if (g_strcmp0 (choices[i].value, current) == 0)
        selected = i;
    }
  if (selected == GTK_INVALID_LIST_POSITION && current != NULL && current[0] != '\0')
    {
      /* Translators: a boot order or model the list does not name, e.g. "Other (nd)" */
      g_autofree char *other = g_strdup_printf (_("Other (%s)"), current);
      gtk_string_list_append (list, other);
      g_strv_builder_add (values, current);
      selected = n_choices;
    }

  self->syncing = TRUE;
  adw_combo_row_set_model (row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (row, selected);
  self->syncing = FALSE;
  if (values_out != NULL)
    {
      g_strfreev (*values_out);
      *values_out = g_strv_builder_end (values);
    }
}

static const char *
choice_at (const Choice *choices,
           guint         n_choices,
           guint         position)
{
  return position < n_choices ? choices[position].value : NULL;
}

/* Rows that need the VM powered off: insensitive while it runs, and saying why. */
static void
set_needs_poweroff (HvSettingsDialog *self,
                    AdwActionRow     *row,
                    const char       *subtitle)
{
  gboolean active = vm_is_active (self);

  gtk_widget_set_sensitive (GTK_WIDGET (row), self->config != NULL && !active);
  adw_action_row_set_subtitle (row, active ? _("Power off the VM to change this")
                                           : subtitle != NULL ? subtitle : "");
}

/* ---- from the VM to the widgets ---- */

static const HvDrive *
find_drive (const HvVmConfig *config,
            HvDriveKind       kind)
{
  if (config == NULL)
    return NULL;
  for (guint i = 0; i < config->drives->len; i++)
    {
      const HvDrive *d = g_ptr_array_index (config->drives, i);

      if (d->kind == kind)
        return d;
    }
  return NULL;
}

/* A suffix button of a hard disk row; disks change only while the VM is off. */
static void
add_disk_button (HvSettingsDialog *self,
                 GtkWidget        *row,
                 const char       *label,
                 const char       *description,
                 GCallback         callback,
                 gboolean          active)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_sensitive (button, self->config != NULL && !active);
  gtk_widget_set_tooltip_text (button, active ? _("Power off the VM to change this")
                                              : description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
  g_signal_connect_object (button, "clicked", callback, self, G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
}

static void
sync_storage (HvSettingsDialog *self)
{
  gboolean active = vm_is_active (self);
  const HvDrive *cd = find_drive (self->config, HV_DRIVE_CDROM);
  const HvDrive *floppy = find_drive (self->config, HV_DRIVE_FLOPPY);
  guint n_disks = 0;

  for (guint i = 0; i < self->disk_rows->len; i++)
    adw_preferences_group_remove (self->disks_group, self->disk_rows->pdata[i]);
  g_ptr_array_set_size (self->disk_rows, 0);

  for (guint i = 0; self->config != NULL && i < self->config->drives->len; i++)
    {
      const HvDrive *d = g_ptr_array_index (self->config->drives, i);
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      GtkWidget *row;

      if (d->kind != HV_DRIVE_DISK)
        continue;
      /* Translators: %u counts the VM's hard disks from 1 */
      title = g_strdup_printf (_("Disk %u"), ++n_disks);
      /* Translators: a disk image's file, its format ("qcow2") and bus ("virtio") */
      subtitle = g_strdup_printf (_("%s (%s, %s)"), d->path != NULL ? d->path : "",
                                  hv_disk_format_to_string (d->format),
                                  hv_drive_bus_to_string (d->bus));
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      /* The engine changes the first disk: the buttons go on its row only. */
      if (n_disks == 1)
        {
          add_disk_button (self, row, _("_Remove"),
                           _("Remove the disk from the VM (its file is kept)"),
                           G_CALLBACK (on_disk_remove_clicked), active);
          add_disk_button (self, row, _("_Change…"), _("Use another disk image instead"),
                           G_CALLBACK (on_disk_change_clicked), active);
        }
      adw_preferences_group_add (self->disks_group, row);
      g_ptr_array_add (self->disk_rows, row);
    }
  if (n_disks == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No hard disk"));
      add_disk_button (self, row, _("_Use Existing…"), _("Attach an existing disk image"),
                       G_CALLBACK (on_disk_change_clicked), active);
      add_disk_button (self, row, _("C_reate…"), _("Create a new disk image"),
                       G_CALLBACK (on_disk_create_clicked), active);
      adw_preferences_group_add (self->disks_group, row);
      g_ptr_array_add (self->disk_rows, row);
    }

  /* CD/DVD: live through InsertMedia while the VM runs, with Modify while it is off (which
   * adds a drive if there is none). */
  if (cd != NULL && cd->path != NULL)
    {
      g_autofree char *base = g_path_get_basename (cd->path);

      adw_action_row_set_subtitle (self->cd_row, base);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->cd_row), cd->path);
    }
  else
    {
      adw_action_row_set_subtitle (self->cd_row,
                                   cd != NULL ? _("Empty")
                                   : active ? _("No CD/DVD drive; power off the VM to add one")
                                            : _("No CD/DVD drive; inserting an image adds one"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->cd_row), NULL);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->cd_change_button),
                            self->config != NULL && (!active || cd != NULL));
  gtk_widget_set_sensitive (GTK_WIDGET (self->cd_eject_button),
                            cd != NULL && cd->path != NULL);

  /* Floppy: the same, but a running VM without a floppy controller cannot get one. */
  if (floppy != NULL && floppy->path != NULL)
    {
      g_autofree char *base = g_path_get_basename (floppy->path);

      adw_action_row_set_subtitle (self->floppy_row, base);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->floppy_row), floppy->path);
    }
  else
    {
      adw_action_row_set_subtitle (self->floppy_row,
                                   floppy != NULL ? _("Empty")
                                   : active ? _("Power off the VM to change this")
                                            : _("No floppy drive; inserting an image adds one"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->floppy_row), NULL);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->floppy_change_button),
                            self->config != NULL && (!active || floppy != NULL));
  gtk_widget_set_sensitive (GTK_WIDGET (self->floppy_eject_button),
                            floppy != NULL && floppy->path != NULL);
}

static void
sync_folders (HvSettingsDialog *self)
{
  g_auto(GStrv) folders = hv_folder_sort_paths (hv_engine_client_get_folders (self->client));
  const char *current = hv_vm_item_get_folder (self->item);
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint selected = 0;
  guint n = 1;

  if (self->held[FIELD_FOLDER])
    return;
  gtk_string_list_append (list, _("Top level"));
  g_strv_builder_add (builder, "");
  for (guint i = 0; folders != NULL && folders[i] != NULL; i++, n++)
    {
      gtk_string_list_append (list, folders[i]);
      g_strv_builder_add (builder, folders[i]);
      if (g_strcmp0 (folders[i], current) == 0)
        selected = n;
    }
  if (selected == 0 && current != NULL && current[0] != '\0')
    {
      /* Not (yet) in the engine's folder list: still the VM's folder. */
      gtk_string_list_append (list, current);
      g_strv_builder_add (builder, current);
      selected = n;
    }
  g_strfreev (self->folders);
  self->folders = g_strv_builder_end (builder);
  self->syncing = TRUE;
  adw_combo_row_set_model (self->folder_row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (self->folder_row, selected);
  self->syncing = FALSE;
}

/* More memory than the host has (or nearly all of it) is allowed, but said. */
static void
update_memory_warning (HvSettingsDialog *self)
{
  g_autofree char *warning =
    hv_wizard_memory_warning ((guint64) gtk_spin_button_get_value (self->memory_spin),
                              hv_wizard_host_memory_mib ());

  hv_ui_set_error_label (self->memory_warning, warning);
}

static void
sync_from_item (HvSettingsDialog *self)
{
  const char *xml = hv_vm_item_get_config_xml (self->item);
  const char *os_id = hv_vm_item_get_os_id (self->item);
  const char *os_name = hv_engine_client_get_os_name (self->client, os_id);
  const char *config_error = hv_vm_item_get_config_error (self->item);
  g_autofree char *title = NULL;
  gboolean usable, loading;

  g_clear_pointer (&self->config, hv_vm_config_free);
  /* The config is read from the engine when first asked for: a moment with nothing yet is
   * not an unreadable config. */
  loading = (xml == NULL || xml[0] == '\0') && (config_error == NULL || config_error[0] == '\0');
  if (xml != NULL && xml[0] != '\0')
    self->config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  usable = self->config != NULL;

  /* Translators: the settings window's title; %s is a VM's name */
  title = g_strdup_printf (_("“%s” Settings"), hv_vm_item_get_name (self->item));
  gtk_window_set_title (GTK_WINDOW (self), title);
  if (!usable)
    hv_ui_set_error_label (self->config_error_label,
                     config_error != NULL && config_error[0] != '\0'
                     ? config_error : _("The configuration of this VM cannot be read."));
  else
    hv_ui_set_error_label (self->config_error_label, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->config_error_group), !usable && !loading);

  self->syncing = TRUE;
  if (!self->held[FIELD_NAME])
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), hv_vm_item_get_name (self->item));
      hv_ui_set_error_label (self->general_error, NULL);
      hv_ui_mark_error (GTK_WIDGET (self->name_row), FALSE);
    }
  if (!self->held[FIELD_MEMORY])
    gtk_spin_button_set_value (self->memory_spin, (double) hv_vm_item_get_memory_mib (self->item));
  if (!self->held[FIELD_CPUS])
    gtk_spin_button_set_value (self->cpus_spin, (double) hv_vm_item_get_cpus (self->item));
  self->syncing = FALSE;
  update_memory_warning (self);
  if (!self->held[FIELD_MEMORY] && !self->held[FIELD_CPUS])
    {
      hv_ui_set_error_label (self->system_error, NULL);
      hv_ui_mark_error (GTK_WIDGET (self->memory_spin), FALSE);
      hv_ui_mark_error (GTK_WIDGET (self->cpus_spin), FALSE);
    }

  sync_folders (self);
  adw_action_row_set_subtitle (self->os_row,
                               os_name != NULL ? os_name
                               : os_id != NULL && os_id[0] != '\0' ? os_id
                               : _("Other operating system"));

  if (!self->held[FIELD_FIRMWARE])
    fill_combo (self, self->firmware_row, firmware_choices, G_N_ELEMENTS (firmware_choices),
                hv_vm_item_get_firmware (self->item), NULL);
  if (!self->held[FIELD_BOOT])
    fill_combo (self, self->boot_row, boot_choices, G_N_ELEMENTS (boot_choices),
                self->config != NULL ? self->config->boot_order : NULL, &self->boot_values);
  if (!self->held[FIELD_VIDEO])
    fill_combo (self, self->video_row, video_choices, G_N_ELEMENTS (video_choices),
                self->config != NULL ? hv_video_to_string (self->config->video) : NULL, NULL);
  if (!self->held[FIELD_ACCEL])
    fill_combo (self, self->accel_row, accel_choices, G_N_ELEMENTS (accel_choices),
                self->config != NULL ? hv_acceleration_to_string (self->config->acceleration)
                                     : NULL, NULL);

  /* Name, folder and OS change in any state; the engine allows it while the VM runs. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_row), usable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->folder_row), usable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->os_row), usable);
  set_needs_poweroff (self, self->memory_row, _("MiB"));
  set_needs_poweroff (self, self->cpus_row, NULL);
  set_needs_poweroff (self, ADW_ACTION_ROW (self->firmware_row), NULL);
  set_needs_poweroff (self, ADW_ACTION_ROW (self->boot_row), NULL);
  set_needs_poweroff (self, ADW_ACTION_ROW (self->video_row), NULL);
  set_needs_poweroff (self, ADW_ACTION_ROW (self->accel_row), accel_subtitle (self));
  sync_storage (self);
}

static void
on_item_changed (HvVmItem         *item,
                 GParamSpec       *pspec,
                 HvSettingsDialog *self)
{
  sync_from_item (self);
}

static void
on_folders_changed (HvEngineClient   *client,
                    GParamSpec       *pspec,
                    HvSettingsDialog *self)
{
  sync_folders (self);
}

static void
on_os_names_loaded (HvEngineClient   *client,
                    GParamSpec       *pspec,
                    HvSettingsDialog *self)
{
  sync_from_item (self);
}

static void
on_kvm_verdict_changed (HvEngineClient   *client,
                        GParamSpec       *pspec,
                        HvSettingsDialog *self)
{
  sync_from_item (self);
}

/* ---- General ---- */

static char *
check_name (HvSettingsDialog *self,
            const char       *name)
{
  GListModel *vms = hv_engine_client_get_vms (self->client);
  guint n = g_list_model_get_n_items (vms);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) taken = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (vms, i);

      if (item != self->item && hv_vm_item_get_name (item) != NULL)
        g_strv_builder_add (builder, hv_vm_item_get_name (item));
    }
  taken = g_strv_builder_end (builder);
  return hv_wizard_check_name (name, (const char * const *) taken,
                               hv_vm_item_get_name (self->item));
}

static void
on_name_changed (HvSettingsDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *problem = NULL;

  if (self->syncing)
    return;
  self->held[FIELD_NAME] = g_strcmp0 (name, hv_vm_item_get_name (self->item)) != 0;
  problem = check_name (self, name);
  hv_ui_set_error_label (self->general_error, problem);
  hv_ui_mark_error (GTK_WIDGET (self->name_row), problem != NULL);
}

static void
on_name_apply (HvSettingsDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *problem = check_name (self, name);

  if (problem != NULL)
    {
      hv_ui_set_error_label (self->general_error, problem);
      hv_ui_mark_error (GTK_WIDGET (self->name_row), TRUE);
      return;
    }
  if (g_strcmp0 (name, hv_vm_item_get_name (self->item)) == 0)
    return;
  modify (self, FIELD_NAME, _("the name"), "name", g_variant_new_string (name));
}

static void
on_folder_selected (HvSettingsDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->folder_row);

  if (self->syncing || self->folders == NULL || selected >= g_strv_length (self->folders))
    return;
  if (g_strcmp0 (self->folders[selected], hv_vm_item_get_folder (self->item)) == 0)
    return;
  modify (self, FIELD_FOLDER, _("the folder"), "folder",
          g_variant_new_string (self->folders[selected]));
}

static void
os_window_choose (GtkButton *button,
                  GtkWindow *window)
{
  HvSettingsDialog *self = HV_SETTINGS_DIALOG (gtk_window_get_transient_for (window));
  HvOsChooser *chooser = g_object_get_data (G_OBJECT (window), "hv-chooser");
  const char *os_id = hv_os_chooser_get_os_id (chooser);

  if (g_strcmp0 (os_id, hv_vm_item_get_os_id (self->item)) != 0)
    modify (self, FIELD_OS, _("the operating system"), "os", g_variant_new_string (os_id));
  gtk_window_destroy (window);
}

static void
on_os_change_clicked (HvSettingsDialog *self)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *choose = gtk_button_new_with_mnemonic (_("C_hoose"));
  GtkWidget *chooser = hv_os_chooser_new ();

  gtk_window_set_title (GTK_WINDOW (window), _("Operating System"));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 520);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  gtk_widget_add_css_class (choose, "suggested-action");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), choose);
  gtk_box_append (GTK_BOX (box), header);

  gtk_widget_set_margin_top (chooser, 12);
  gtk_widget_set_margin_bottom (chooser, 12);
  gtk_widget_set_margin_start (chooser, 12);
  gtk_widget_set_margin_end (chooser, 12);
  gtk_widget_set_vexpand (chooser, TRUE);
  gtk_box_append (GTK_BOX (box), chooser);
  adw_window_set_content (ADW_WINDOW (window), box);

  g_object_set_data (G_OBJECT (window), "hv-chooser", chooser);
  hv_os_chooser_set_os (HV_OS_CHOOSER (chooser), hv_vm_item_get_os_id (self->item),
                        hv_engine_client_get_os_name (self->client,
                                                      hv_vm_item_get_os_id (self->item)));
  hv_os_chooser_load (HV_OS_CHOOSER (chooser), self->client);
  g_signal_connect (choose, "clicked", G_CALLBACK (os_window_choose), window);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_grab_focus (chooser);
}

/* ---- System ---- */

static gboolean
apply_memory (gpointer data)
{
  HvSettingsDialog *self = data;

  self->memory_source = 0;
  modify (self, FIELD_MEMORY, _("the memory"), "memory",
          g_variant_new_uint64 ((guint64) gtk_spin_button_get_value (self->memory_spin)));
  return G_SOURCE_REMOVE;
}

static gboolean
apply_cpus (gpointer data)
{
  HvSettingsDialog *self = data;

  self->cpus_source = 0;
  modify (self, FIELD_CPUS, _("the number of processors"), "cpus",
          g_variant_new_uint32 ((guint32) gtk_spin_button_get_value (self->cpus_spin)));
  return G_SOURCE_REMOVE;
}

/* Validate the hardware fields; schedule @apply for @source when all is well. */
static void
hardware_edited (HvSettingsDialog *self,
                 Field             field,
                 guint            *source,
                 GSourceFunc       apply)
{
  g_autofree char *memory_problem =
    hv_wizard_check_memory ((guint64) gtk_spin_button_get_value (self->memory_spin));
  g_autofree char *cpus_problem =
    hv_wizard_check_cpus ((guint64) gtk_spin_button_get_value (self->cpus_spin));
  g_autofree char *text = NULL;
  gboolean problem = field == FIELD_MEMORY ? memory_problem != NULL : cpus_problem != NULL;

  self->held[field] = TRUE;
  if (memory_problem != NULL || cpus_problem != NULL)
    text = g_strjoin ("\n", memory_problem != NULL ? memory_problem : cpus_problem,
                      memory_problem != NULL ? cpus_problem : NULL, NULL);
  hv_ui_set_error_label (self->system_error, text);
  update_memory_warning (self);
  hv_ui_mark_error (GTK_WIDGET (self->memory_spin), memory_problem != NULL);
  hv_ui_mark_error (GTK_WIDGET (self->cpus_spin), cpus_problem != NULL);

  g_clear_handle_id (source, g_source_remove);
  if (!problem)
    *source = g_timeout_add (SPIN_APPLY_DELAY_MS, apply, self);
}

static void
on_memory_changed (HvSettingsDialog *self)
{
  if (self->syncing)
    return;
  hardware_edited (self, FIELD_MEMORY, &self->memory_source, apply_memory);
}

static void
on_cpus_changed (HvSettingsDialog *self)
{
  if (self->syncing)
    return;
  hardware_edited (self, FIELD_CPUS, &self->cpus_source, apply_cpus);
}

static void
on_firmware_selected (HvSettingsDialog *self)
{
  const char *value = choice_at (firmware_choices, G_N_ELEMENTS (firmware_choices),
                                 adw_combo_row_get_selected (self->firmware_row));

  if (self->syncing || value == NULL || g_strcmp0 (value, hv_vm_item_get_firmware (self->item)) == 0)
    return;
  modify (self, FIELD_FIRMWARE, _("the firmware"), "firmware", g_variant_new_string (value));
}

static void
on_boot_selected (HvSettingsDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->boot_row);
  const char *value;

  if (self->syncing || self->boot_values == NULL || selected >= g_strv_length (self->boot_values))
    return;
  value = self->boot_values[selected];
  if (self->config != NULL && g_strcmp0 (value, self->config->boot_order) == 0)
    return;
  modify (self, FIELD_BOOT, _("the boot order"), "boot", g_variant_new_string (value));
}

/* ---- Acceleration ---- */

/* What "Automatic" means on this computer, from the engine's KVM verdict. */
static const char *
accel_subtitle (HvSettingsDialog *self)
{
  const char *verdict = hv_engine_client_get_kvm_verdict (self->client);

  if (g_strcmp0 (verdict, "usable") == 0)
    return _("KVM works on this computer: Automatic uses it");
  if (g_strcmp0 (verdict, "probing") == 0)
    return _("Testing whether KVM works on this computer…");
  if (g_strcmp0 (verdict, "missing") == 0)
    return _("KVM is not available on this computer: Automatic emulates");
  if (g_strcmp0 (verdict, "disabled") == 0)
    return _("KVM is turned off by HOSTVISOR_NO_KVM: Automatic emulates");
  if (g_strcmp0 (verdict, "no-access") == 0)
    return _("You may not use KVM on this computer: Automatic emulates");
  if (g_strcmp0 (verdict, "slow") == 0)
    return _("KVM is slower than emulation on this computer: Automatic emulates");
  return _("KVM could not run a test guest on this computer: Automatic emulates");
}

static void
on_accel_selected (HvSettingsDialog *self)
{
  const char *value = choice_at (accel_choices, G_N_ELEMENTS (accel_choices),
                                 adw_combo_row_get_selected (self->accel_row));

  if (self->syncing || value == NULL ||
      (self->config != NULL &&
       g_strcmp0 (value, hv_acceleration_to_string (self->config->acceleration)) == 0))
    return;
  modify (self, FIELD_ACCEL, _("the accelerator"), "acceleration", g_variant_new_string (value));
}

/* ---- Display ---- */

static void
on_video_selected (HvSettingsDialog *self)
{
  const char *value = choice_at (video_choices, G_N_ELEMENTS (video_choices),
                                 adw_combo_row_get_selected (self->video_row));

  if (self->syncing || value == NULL ||
      (self->config != NULL && g_strcmp0 (value, hv_video_to_string (self->config->video)) == 0))
    return;
  modify (self, FIELD_VIDEO, _("the graphics card"), "video", g_variant_new_string (value));
}

/* ---- Storage ---- */

static void
set_medium (HvSettingsDialog *self,
            HvDriveKind       kind,
            const char       *path)
{
  gboolean cd = kind == HV_DRIVE_CDROM;
  const char *what = cd ? _("the CD/DVD") : _("the floppy");

  if (vm_is_active (self))
    {
      /* The guest sees the medium change now. */
      call_vm (self, FIELD_MEDIA, what, "InsertMedia",
               g_variant_new ("(ss)", cd ? "cdrom" : "floppy", path != NULL ? path : ""));
      return;
    }
  if (path != NULL)
    modify (self, FIELD_MEDIA, what, cd ? "iso" : "floppy", g_variant_new_string (path));
  else
    modify (self, FIELD_MEDIA, what, cd ? "remove-iso" : "remove-floppy",
            g_variant_new_boolean (TRUE));
}

/* A chooser's answer, then the chooser is gone: the local path chosen, or NULL (cancelled, or
 * a file that is not local, which a toast says with not_local). */
static char *
chooser_finish (GtkNativeDialog  *chooser,
                int               response,
                HvSettingsDialog *self,
                const char       *not_local)
{
  g_autoptr(GFile) file = NULL;
  char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (file != NULL && path == NULL)
    show_toast (self, not_local);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  return path;
}

/* A modal chooser for an image file: a filter for suffixes (and mime_type, if any) named
 * filter_name, chosen at first, and "All files". It holds itself until it answers, and
 * callback gets the answer; the dialog's cancellable is not needed. */
static GtkFileChooserNative *
show_image_chooser (HvSettingsDialog   *self,
                    const char         *title,
                    const char         *accept,
                    const char         *filter_name,
                    const char * const *suffixes,
                    const char         *mime_type,
                    GCallback           callback)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, accept,
                                 _("_Cancel"));
  GtkFileFilter *images = gtk_file_filter_new ();
  GtkFileFilter *all = gtk_file_filter_new ();

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (images, filter_name);
  for (; *suffixes != NULL; suffixes++)
    gtk_file_filter_add_suffix (images, *suffixes);
  if (mime_type != NULL)
    gtk_file_filter_add_mime_type (images, mime_type);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), images);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (chooser), images);
  g_object_unref (images);
  g_object_unref (all);
  g_signal_connect_object (chooser, "response", callback, self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  return chooser;
}

static void
media_chooser_response (GtkNativeDialog  *chooser,
                        int               response,
                        HvSettingsDialog *self)
{
  HvDriveKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "hv-kind"));
  g_autofree char *path = chooser_finish (chooser, response, self,
                                          _("Only local files can be inserted."));

  if (path != NULL)
    set_medium (self, kind, path);
}

static void
remote_medium_chosen (GtkWidget  *widget,
                      const char *path,
                      gpointer    data)
{
  set_medium (HV_SETTINGS_DIALOG (widget), GPOINTER_TO_INT (data), path);
}

static void
choose_medium (HvSettingsDialog *self,
               HvDriveKind       kind)
{
  static const char * const cd_suffixes[] = { "iso", NULL };
  static const char * const floppy_suffixes[] = { "img", "ima", "flp", "vfd", NULL };
  gboolean cd = kind == HV_DRIVE_CDROM;
  GtkFileChooserNative *chooser;

  if (hv_remote_files_choose (self->client, GTK_WIDGET (self),
                              cd ? _("Insert a CD/DVD Image") : _("Insert a Floppy Image"),
                              HV_REMOTE_FILE_OPEN,
                              cd ? HV_REMOTE_FILTER_ISO : HV_REMOTE_FILTER_FLOPPY, NULL,
                              remote_medium_chosen, GINT_TO_POINTER (kind), NULL))
    return;
  chooser =
    show_image_chooser (self, cd ? _("Insert a CD/DVD Image") : _("Insert a Floppy Image"),
                        _("_Insert"), cd ? _("CD/DVD images") : _("Floppy images"),
                        cd ? cd_suffixes : floppy_suffixes,
                        cd ? "application/x-cd-image" : NULL,
                        G_CALLBACK (media_chooser_response));

  g_object_set_data (G_OBJECT (chooser), "hv-kind", GINT_TO_POINTER (kind));
}

/* ---- Hard disks ---- */

static void
on_disk_remove_clicked (HvSettingsDialog *self)
{
  modify (self, FIELD_DISK, _("the hard disk"), "no-disk", g_variant_new_boolean (TRUE));
  show_toast (self, _("The disk was removed from the VM. Its file is kept."));
}

static void
disk_format_response (AdwMessageDialog *dialog,
                      const char       *response,
                      HvSettingsDialog *self)
{
  const char *path = g_object_get_data (G_OBJECT (dialog), "hv-path");
  GVariantDict dict;

  if (g_strcmp0 (response, "raw") != 0 && g_strcmp0 (response, "qcow2") != 0)
    return;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "disk", "s", path);
  g_variant_dict_insert (&dict, "disk-format", "s", response);
  call_vm (self, FIELD_DISK, _("the hard disk"), "Modify",
           g_variant_new ("(@a{sv})", g_variant_dict_end (&dict)));
}

/* Hostvisor never probes an image's format (a raw image could pretend to be anything): the
 * user says it, with the file's extension as the suggestion. */
static void
ask_disk_format (HvSettingsDialog *self,
                 const char       *path)
{
  g_autofree char *base = g_path_get_basename (path);
  gboolean qcow2 = g_str_has_suffix (path, ".qcow2") || g_str_has_suffix (path, ".qcow");
  AdwMessageDialog *dialog =
    ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Disk Image Format"), NULL));

  /* Translators: %s is a disk image's file name */
  adw_message_dialog_format_body (dialog, _("Which format is “%s”? Hostvisor does not guess "
                                            "an image's format."), base);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "raw", _("_Raw"),
                                    "qcow2", _("_QCOW2"), NULL);
  adw_message_dialog_set_default_response (dialog, qcow2 ? "qcow2" : "raw");
  adw_message_dialog_set_response_appearance (dialog, qcow2 ? "qcow2" : "raw",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hv-path", g_strdup (path), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (disk_format_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
disk_chooser_response (GtkNativeDialog  *chooser,
                       int               response,
                       HvSettingsDialog *self)
{
  g_autofree char *path = chooser_finish (chooser, response, self,
                                          _("Only local files can be used."));

  if (path != NULL)
    ask_disk_format (self, path);
}

static void
remote_disk_chosen (GtkWidget  *widget,
                    const char *path,
                    gpointer    data)
{
  ask_disk_format (HV_SETTINGS_DIALOG (widget), path);
}

static void
on_disk_change_clicked (HvSettingsDialog *self)
{
  static const char * const suffixes[] = { "qcow2", "qcow", "img", "raw", NULL };

  if (hv_remote_files_choose (self->client, GTK_WIDGET (self), _("Choose a Disk Image"),
                              HV_REMOTE_FILE_OPEN, HV_REMOTE_FILTER_DISK, NULL,
                              remote_disk_chosen, NULL, NULL))
    return;
  show_image_chooser (self, _("Choose a Disk Image"), _("_Use"), _("Disk images"), suffixes,
                      NULL, G_CALLBACK (disk_chooser_response));
}

static void
disk_create_response (AdwMessageDialog *dialog,
                      const char       *response,
                      HvSettingsDialog *self)
{
  GtkSpinButton *spin = g_object_get_data (G_OBJECT (dialog), "hv-spin");
  GVariantDict dict;

  if (g_strcmp0 (response, "create") != 0)
    return;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "disk-size", "t",
                         (guint64) gtk_spin_button_get_value_as_int (spin));
  call_vm (self, FIELD_DISK, _("the hard disk"), "Modify",
           g_variant_new ("(@a{sv})", g_variant_dict_end (&dict)));
}

static void
on_disk_create_clicked (HvSettingsDialog *self)
{
  AdwMessageDialog *dialog =
    ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("New Hard Disk"),
                                                _("A new disk image in the VM's folder. It "
                                                  "takes space on the host only as the guest "
                                                  "writes to it.")));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *spin = gtk_spin_button_new_with_range (1, 65536, 1);
  GtkWidget *label = gtk_label_new (_("GiB"));

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 16);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Size in GiB"), -1);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), spin);
  gtk_box_append (GTK_BOX (box), label);
  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "create");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "hv-spin", spin);
  g_signal_connect_object (dialog, "response", G_CALLBACK (disk_create_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_cd_change_clicked (HvSettingsDialog *self)
{
  choose_medium (self, HV_DRIVE_CDROM);
}

static void
on_cd_eject_clicked (HvSettingsDialog *self)
{
  set_medium (self, HV_DRIVE_CDROM, NULL);
}

static void
on_floppy_change_clicked (HvSettingsDialog *self)
{
  choose_medium (self, HV_DRIVE_FLOPPY);
}

static void
on_floppy_eject_clicked (HvSettingsDialog *self)
{
  set_medium (self, HV_DRIVE_FLOPPY, NULL);
}

/* ---- object ---- */

static gboolean
hv_settings_dialog_close_request (GtkWindow *window)
{
  HvSettingsDialog *self = HV_SETTINGS_DIALOG (window);

  /* A spin button changed a moment ago still counts. */
  if (self->memory_source != 0)
    {
      g_clear_handle_id (&self->memory_source, g_source_remove);
      apply_memory (self);
    }
  if (self->cpus_source != 0)
    {
      g_clear_handle_id (&self->cpus_source, g_source_remove);
      apply_cpus (self);
    }
  return GTK_WINDOW_CLASS (hv_settings_dialog_parent_class)->close_request (window);
}

static void
hv_settings_dialog_dispose (GObject *object)
{
  HvSettingsDialog *self = HV_SETTINGS_DIALOG (object);

  /* Calls already sent are carried out by the engine; only their answers are dropped. */
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->memory_source, g_source_remove);
  g_clear_handle_id (&self->cpus_source, g_source_remove);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);

  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SETTINGS_DIALOG);
  G_OBJECT_CLASS (hv_settings_dialog_parent_class)->dispose (object);
}

static void
hv_settings_dialog_finalize (GObject *object)
{
  HvSettingsDialog *self = HV_SETTINGS_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, hv_vm_config_free);
  g_clear_pointer (&self->disk_rows, g_ptr_array_unref);
  g_strfreev (self->folders);
  g_strfreev (self->boot_values);
  G_OBJECT_CLASS (hv_settings_dialog_parent_class)->finalize (object);
}

static void
hv_settings_dialog_class_init (HvSettingsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hv_settings_dialog_dispose;
  object_class->finalize = hv_settings_dialog_finalize;
  window_class->close_request = hv_settings_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-settings-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, config_error_group);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, config_error_label);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, os_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, os_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, general_error);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, memory_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, memory_warning);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, cpus_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, cpus_spin);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, system_error);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, firmware_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, boot_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, accel_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, disks_group);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, cd_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, cd_change_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, cd_eject_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, floppy_row);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, floppy_change_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, floppy_eject_button);
  gtk_widget_class_bind_template_child (widget_class, HvSettingsDialog, video_row);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_os_change_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_memory_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_cpus_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_firmware_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_boot_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_accel_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_video_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_cd_change_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cd_eject_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_floppy_change_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_floppy_eject_clicked);
}

static void
hv_settings_dialog_init (HvSettingsDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->disk_rows = g_ptr_array_new ();
  self->syncing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Exactly what the engine accepts (hv-config.h). */
  gtk_spin_button_set_range (self->memory_spin, HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB);
  gtk_spin_button_set_range (self->cpus_spin, 1, HV_CPUS_MAX);
  self->syncing = FALSE;
}

/* The VM was deleted (here, from the command line, by another client): its settings go too. */
static void
on_vms_changed (GListModel       *vms,
                guint             position,
                guint             removed,
                guint             added,
                HvSettingsDialog *self)
{
  if (removed > 0 && !g_list_store_find (G_LIST_STORE (vms), self->item, NULL))
    gtk_window_close (GTK_WINDOW (self));
}

HvSettingsDialog *
hv_settings_dialog_new (GtkWindow      *parent,
                        HvEngineClient *client,
                        HvVmItem       *vm)
{
  HvSettingsDialog *self;
  static const char * const watched[] = {
    "notify::name", "notify::folder", "notify::os-id", "notify::memory-mib", "notify::cpus",
    "notify::firmware", "notify::config-xml", "notify::config-error", "notify::can-modify",
    "notify::state",
  };

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (client), NULL);
  g_return_val_if_fail (HV_IS_VM_ITEM (vm), NULL);

  self = g_object_new (HV_TYPE_SETTINGS_DIALOG, "transient-for", parent, NULL);
  if (parent != NULL)
    gtk_window_set_application (GTK_WINDOW (self), gtk_window_get_application (parent));
  self->client = g_object_ref (client);
  self->item = g_object_ref (vm);
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_signal_connect (vm, watched[i], G_CALLBACK (on_item_changed), self);
  g_signal_connect (client, "notify::folders", G_CALLBACK (on_folders_changed), self);
  g_signal_connect (client, "notify::os-names-loaded", G_CALLBACK (on_os_names_loaded), self);
  g_signal_connect (client, "notify::kvm-verdict", G_CALLBACK (on_kvm_verdict_changed), self);
  g_signal_connect_object (hv_engine_client_get_vms (client), "items-changed",
                           G_CALLBACK (on_vms_changed), self, 0);
  sync_from_item (self);
  /* Guest tools, clipboard and shared folders: a page of its own (hv-settings-guest.c). */
  if (hv_vm_item_get_proxy (vm) != NULL)
    adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                                ADW_PREFERENCES_PAGE (hv_settings_guest_new (client, vm)));
  /* The network adapters: a page of its own (hv-settings-network.c). */
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (hv_settings_network_new (client, vm)));
  /* Floppy drive B: below A: (hv-floppy-row.c). */
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (
                               GTK_WIDGET (self->floppy_row), ADW_TYPE_PREFERENCES_GROUP)),
                             hv_floppy_row_new (client, vm));
  /* Old guests' hardware: pages of their own (hv-settings-system.c, hv-settings-sound.c). */
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (hv_settings_system_new (client, vm)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (hv_settings_sound_new (client, vm)));
  return self;
}

void
hv_settings_dialog_present (GtkWindow      *parent,
                            HvEngineClient *client,
                            HvVmItem       *vm)
{
  HvSettingsDialog *self = hv_settings_dialog_new (parent, client, vm);

  if (self != NULL)
    gtk_window_present (GTK_WINDOW (self));
}
