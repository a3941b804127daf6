/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-floppy-row.c: Settings → Storage's row for floppy drive B: (the engine's second floppy
 * drive, docs/legacy.md). It shows the image in B: from the VM's config; Insert… picks an
 * image and Eject empties the drive and keeps it: InsertMedia "floppy-b" while the VM runs
 * (the guest sees the disk change) and for Eject, Modify "floppy-b" to give a powered-off VM
 * drive B: with its first image. B: needs A: (the
 * engine says so when A: is missing). Errors are shown as a toast with the engine's reason. */
#include "hv-build-config.h"

#include "hv-floppy-row.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-messages.h"
#include "hv-settings-modify.h"
#include "hv-remote-files.h"

struct _HvFloppyRow
{
  AdwActionRow parent_instance;

  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;

  GtkWidget *eject_button;
  GtkWidget *insert_button;
};

G_DEFINE_FINAL_TYPE (HvFloppyRow, hv_floppy_row, ADW_TYPE_ACTION_ROW)

static void
sync_row (HvFloppyRow *self)
{
  const char *xml = hv_vm_item_get_config_xml (self->item);
  g_autoptr(HvVmConfig) config = NULL;
  const HvDrive *drive = NULL;
  gboolean active = hv_settings_vm_is_active (self->item);
  int index;

  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  index = config != NULL ? hv_config_find_removable (config, HV_DRIVE_FLOPPY, 1, NULL) : -2;
  if (index >= 0)
    drive = g_ptr_array_index (config->drives, index);
  if (drive != NULL && drive->path != NULL)
    {
      g_autofree char *base = g_path_get_basename (drive->path);

      adw_action_row_set_subtitle (ADW_ACTION_ROW (self), base);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), drive->path);
    }
  else
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self),
                                   drive != NULL ? _("Empty")
                                   : index == -2 ? _("Needs a floppy drive A: first")
                                   : active ? _("No drive B:; power off the VM to add one")
                                   : _("No drive B:; inserting an image adds one"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
    }
  gtk_widget_set_sensitive (self->insert_button,
                            config != NULL && index != -2 && (!active || drive != NULL));
  gtk_widget_set_sensitive (self->eject_button, drive != NULL && drive->path != NULL);
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(HvFloppyRow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  GtkRoot *root;

  if (reply != NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (ADW_IS_PREFERENCES_WINDOW (root))
    {
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: the engine's reason follows */
      g_autofree char *message = g_strdup_printf (_("Could not change drive B:: %s"), reason);
      AdwToast *toast = adw_toast_new (message);

      adw_toast_set_timeout (toast, 8);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), toast);
    }
  sync_row (self);
}

static void
set_medium (HvFloppyRow *self,
            const char  *path)
{
  GVariant *parameters;
  const char *method = "Modify";

  /* Eject empties the drive and keeps it, running or not (InsertMedia ""); Modify adds
   * drive B: to a powered-off VM with its first image. */
  if (path == NULL || hv_settings_vm_is_active (self->item))
    {
      method = "InsertMedia";
      parameters = g_variant_new ("(ss)", "floppy-b", path != NULL ? path : "");
    }
  else
    {
      GVariantDict dict;

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, "floppy-b", "s", path);
      parameters = g_variant_new ("(@a{sv})", g_variant_dict_end (&dict));
    }
  hv_engine_client_call (self->client, self->item, method, parameters, self->cancellable,
                         call_done, g_object_ref (self));
}

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  HvFloppyRow     *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (path != NULL)
    set_medium (self, path);
}

static void
remote_chosen (GtkWidget  *widget,
               const char *path,
               gpointer    data)
{
  set_medium (HV_FLOPPY_ROW (widget), path);
}

static void
on_insert_clicked (HvFloppyRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  if (hv_remote_files_choose (self->client, GTK_WIDGET (self),
                              _("Insert a Floppy Image into Drive B:"), HV_REMOTE_FILE_OPEN,
                              HV_REMOTE_FILTER_FLOPPY, NULL, remote_chosen, NULL, NULL))
    return;
  chooser =
    gtk_file_chooser_native_new (_("Insert a Floppy Image into Drive B:"),
                                 GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Insert"), _("_Cancel"));
  GtkFileFilter *images = gtk_file_filter_new ();
  static const char * const suffixes[] = { "img", "ima", "flp", "vfd", NULL };

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (images, _("Floppy images"));
  for (guint i = 0; suffixes[i] != NULL; i++)
    gtk_file_filter_add_suffix (images, suffixes[i]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), images);
  g_object_unref (images);
  g_signal_connect_object (chooser, "response", G_CALLBACK (chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_eject_clicked (HvFloppyRow *self)
{
  set_medium (self, NULL);
}

static void
hv_floppy_row_dispose (GObject *object)
{
  HvFloppyRow *self = HV_FLOPPY_ROW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_FLOPPY_ROW);
  G_OBJECT_CLASS (hv_floppy_row_parent_class)->dispose (object);
}

static void
hv_floppy_row_class_init (HvFloppyRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = hv_floppy_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-floppy-row.ui");
  gtk_widget_class_bind_template_child (widget_class, HvFloppyRow, eject_button);
  gtk_widget_class_bind_template_child (widget_class, HvFloppyRow, insert_button);
  gtk_widget_class_bind_template_callback (widget_class, on_insert_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_eject_clicked);
}

static void
hv_floppy_row_init (HvFloppyRow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
hv_floppy_row_new (HvEngineClient *client,
                   HvVmItem       *item)
{
  HvFloppyRow *self = g_object_new (HV_TYPE_FLOPPY_ROW, NULL);

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  g_signal_connect_swapped (item, "notify::config-xml", G_CALLBACK (sync_row), self);
  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (sync_row), self);
  sync_row (self);
  return GTK_WIDGET (self);
}
