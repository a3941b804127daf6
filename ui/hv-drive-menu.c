/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-drive-menu.c: the console's "Removable Drives" menu (see hv-drive-menu.h).
 *
 * The popover lists the VM's removable drives from its config (ConfigXml): floppy A:, floppy
 * B: and the CD/DVD drive, each with the image in it, Insert… (a file chooser) and Eject.
 * Both are InsertMedia calls ("floppy", "floppy-b", "cdrom"): the guest sees the disk change
 * while it runs. The engine's error is shown in the popover.
 *
 * Under each drive, the images last inserted (hv-recent-media.c: floppy images for A: and
 * B:, CD/DVD images for the CD drive), most recent first, each one click away; an image whose
 * file is gone is shown disabled, and the one already in the drive is left out. An image
 * goes into the list once the engine has taken it. */
#include "hv-build-config.h"

#include "hv-drive-menu.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-messages.h"
#include "hv-recent-media.h"
#include "hv-ui-util.h"
#include "hv-remote-files.h"

struct _HvDriveMenu
{
  GtkWidget parent_instance;

  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;

  GtkWidget *button;
  GtkWidget *popover;
  GtkGrid *grid;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (HvDriveMenu, hv_drive_menu, GTK_TYPE_WIDGET)

typedef struct {
  const char *kind;       /* InsertMedia's */
  HvDriveKind drive_kind;
  guint unit;
  const char *name;       /* N_() */
  const char *insert;     /* N_(): the Insert button's accessible name */
  const char *eject;      /* N_() */
  const char *recent;     /* N_(): "Insert %s into drive A:" */
  HvRecentKind recent_kind;
} Drive;

/* Recent images shown per drive. */
#define RECENT_SHOWN 5

static const Drive drives[] = {
  { "floppy", HV_DRIVE_FLOPPY, 0, N_("Floppy A:"), N_("Insert a floppy image into drive A:"),
    N_("Eject the floppy in drive A:"), N_("Insert %s into drive A:"), HV_RECENT_FLOPPY },
  { "floppy-b", HV_DRIVE_FLOPPY, 1, N_("Floppy B:"), N_("Insert a floppy image into drive B:"),
    N_("Eject the floppy in drive B:"), N_("Insert %s into drive B:"), HV_RECENT_FLOPPY },
  { "cdrom", HV_DRIVE_CDROM, 0, N_("CD/DVD:"), N_("Insert a CD/DVD image"),
    N_("Eject the CD/DVD"), N_("Insert %s into the CD/DVD drive"), HV_RECENT_CDROM },
};

typedef struct {
  HvDriveMenu *self;
  const Drive *drive;
  char *path;             /* NULL: eject */
} Request;

static void rebuild (HvDriveMenu *self);

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Request *req = data;
  g_autoptr(HvDriveMenu) self = req->self;
  g_autofree char *path = req->path;
  const Drive *drive = req->drive;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  g_free (req);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      g_autofree char *reason = hv_messages_error (error);
      /* Translators: the engine's reason follows */
      g_autofree char *message = g_strdup_printf (_("Could not change the disk: %s"), reason);

      hv_ui_set_error_label (self->error_label, message);
    }
  else
    {
      g_autoptr(GError) local = NULL;

      hv_ui_set_error_label (self->error_label, NULL);
      /* Remembered once the engine took it; not remembering it costs only the shortcut. */
      /* This computer's recent images only: a path on another host means nothing here. */
      if (path != NULL && !hv_remote_files_is_remote (self->client)
          && !hv_recent_media_add (drive->recent_kind, path, &local))
        g_warning ("Could not remember the recent image: %s", local->message);
      rebuild (self);
    }
}

static void
insert_media (HvDriveMenu *self,
              const Drive *drive,
              const char  *path)
{
  Request *req = g_new0 (Request, 1);

  req->self = g_object_ref (self);
  req->drive = drive;
  req->path = g_strdup (path);
  hv_engine_client_call (self->client, self->item, "InsertMedia",
                         g_variant_new ("(ss)", drive->kind, path != NULL ? path : ""),
                         self->cancellable, call_done, req);
}

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  HvDriveMenu     *self)
{
  const Drive *drive = g_object_get_data (G_OBJECT (chooser), "hv-drive");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    insert_media (self, drive, path);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
remote_chosen (GtkWidget  *widget,
               const char *path,
               gpointer    data)
{
  insert_media (HV_DRIVE_MENU (widget), data, path);
}

static void
on_insert_clicked (GtkButton   *button,
                   HvDriveMenu *self)
{
  const Drive *drive = g_object_get_data (G_OBJECT (button), "hv-drive");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  gboolean cd = drive->drive_kind == HV_DRIVE_CDROM;
  GtkFileChooserNative *chooser;

  if (hv_remote_files_is_remote (self->client))
    {
      gtk_popover_popdown (GTK_POPOVER (self->popover));
      hv_remote_files_choose (self->client, GTK_WIDGET (self), _(drive->insert),
                              HV_REMOTE_FILE_OPEN,
                              cd ? HV_REMOTE_FILTER_ISO : HV_REMOTE_FILTER_FLOPPY, NULL,
                              remote_chosen, (gpointer) drive, NULL);
      return;
    }
  chooser =
    gtk_file_chooser_native_new (_(drive->insert), GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                        : NULL,
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Insert"), _("_Cancel"));
  GtkFileFilter *images = gtk_file_filter_new ();
  static const char * const floppy_suffixes[] = { "img", "ima", "flp", "vfd", NULL };
  static const char * const cd_suffixes[] = { "iso", NULL };
  const char * const *suffixes = cd ? cd_suffixes : floppy_suffixes;

  gtk_popover_popdown (GTK_POPOVER (self->popover));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (images, cd ? _("CD/DVD images") : _("Floppy images"));
  for (guint i = 0; suffixes[i] != NULL; i++)
    gtk_file_filter_add_suffix (images, suffixes[i]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), images);
  g_object_unref (images);
  g_object_set_data (G_OBJECT (chooser), "hv-drive", (gpointer) drive);
  g_signal_connect_object (chooser, "response", G_CALLBACK (chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_eject_clicked (GtkButton   *button,
                  HvDriveMenu *self)
{
  const Drive *drive = g_object_get_data (G_OBJECT (button), "hv-drive");

  insert_media (self, drive, NULL);
}

static void
on_recent_clicked (GtkButton   *button,
                   HvDriveMenu *self)
{
  const Drive *drive = g_object_get_data (G_OBJECT (button), "hv-drive");
  const char *path = g_object_get_data (G_OBJECT (button), "hv-path");

  gtk_popover_popdown (GTK_POPOVER (self->popover));
  insert_media (self, drive, path);
}

/* The recent images of @drive's kind under its row, from @row on; returns the next row. */
static int
attach_recent (HvDriveMenu  *self,
               const Drive  *drive,
               const char   *current,
               int           row)
{
  g_auto(GStrv) recent = hv_recent_media_list (drive->recent_kind);
  guint shown = 0;

  /* This computer's images: nothing to offer an engine on another one. */
  if (hv_engine_client_get_remote (self->client) != NULL)
    return row;
  for (guint i = 0; recent[i] != NULL && shown < RECENT_SHOWN; i++)
    {
      g_autofree char *base = NULL;
      g_autofree char *name = NULL;
      gboolean exists;
      GtkWidget *button;

      if (g_strcmp0 (recent[i], current) == 0)
        continue;
      base = g_path_get_basename (recent[i]);
      exists = g_file_test (recent[i], G_FILE_TEST_IS_REGULAR);
      name = g_strdup_printf (_(drive->recent), base);
      button = gtk_button_new_with_label (base);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_halign (button, GTK_ALIGN_START);
      gtk_widget_set_margin_start (button, 12);
      gtk_label_set_ellipsize (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (button))),
                               PANGO_ELLIPSIZE_MIDDLE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      name, -1);
      if (exists)
        gtk_widget_set_tooltip_text (button, recent[i]);
      else
        {
          /* Translators: a recent image whose file was moved or deleted; %s is its path */
          g_autofree char *gone = g_strdup_printf (_("%s is no longer there"), recent[i]);

          gtk_widget_set_tooltip_text (button, gone);
          gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, gone, -1);
          gtk_widget_set_sensitive (button, FALSE);
        }
      g_object_set_data (G_OBJECT (button), "hv-drive", (gpointer) drive);
      g_object_set_data_full (G_OBJECT (button), "hv-path", g_strdup (recent[i]), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (on_recent_clicked), self);
      gtk_grid_attach (self->grid, button, 0, row++, 3, 1);
      shown++;
    }
  return row;
}

static GtkWidget *
drive_button (const char *label,
              const char *accessible,
              const Drive *drive)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  g_object_set_data (G_OBJECT (button), "hv-drive", (gpointer) drive);
  return button;
}

static void
rebuild (HvDriveMenu *self)
{
  const char *xml = hv_vm_item_get_config_xml (self->item);
  g_autoptr(HvVmConfig) config = NULL;
  GtkWidget *child;
  int row = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->grid))) != NULL)
    gtk_grid_remove (self->grid, child);
  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  for (guint i = 0; config != NULL && i < G_N_ELEMENTS (drives); i++)
    {
      int index = hv_config_find_removable (config, drives[i].drive_kind, drives[i].unit, NULL);
      const HvDrive *drive;
      g_autofree char *text = NULL;
      GtkWidget *label, *insert, *eject;

      if (index < 0)
        continue;
      drive = g_ptr_array_index (config->drives, index);
      if (drive->path != NULL)
        {
          g_autofree char *base = g_path_get_basename (drive->path);

          /* Translators: a drive ("Floppy A:"), then the image in it */
          text = g_strdup_printf (_("%s %s"), _(drives[i].name), base);
        }
      else
        /* Translators: a drive ("Floppy A:") with no disk in it */
        text = g_strdup_printf (_("%s empty"), _(drives[i].name));
      label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 32);
      gtk_widget_set_hexpand (label, TRUE);
      insert = drive_button (_("Insert…"), _(drives[i].insert), &drives[i]);
      g_signal_connect (insert, "clicked", G_CALLBACK (on_insert_clicked), self);
      eject = drive_button (_("Eject"), _(drives[i].eject), &drives[i]);
      gtk_widget_set_sensitive (eject, drive->path != NULL);
      g_signal_connect (eject, "clicked", G_CALLBACK (on_eject_clicked), self);
      gtk_grid_attach (self->grid, label, 0, row, 1, 1);
      gtk_grid_attach (self->grid, insert, 1, row, 1, 1);
      gtk_grid_attach (self->grid, eject, 2, row, 1, 1);
      row++;
      row = attach_recent (self, &drives[i], drive->path, row);
    }
  if (row == 0)
    gtk_grid_attach (self->grid, gtk_label_new (_("No removable drives")), 0, 0, 1, 1);
}

static void
hv_drive_menu_dispose (GObject *object)
{
  HvDriveMenu *self = HV_DRIVE_MENU (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_DRIVE_MENU);
  G_OBJECT_CLASS (hv_drive_menu_parent_class)->dispose (object);
}

static void
hv_drive_menu_class_init (HvDriveMenuClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = hv_drive_menu_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-drive-menu.ui");
  gtk_widget_class_bind_template_child (widget_class, HvDriveMenu, button);
  gtk_widget_class_bind_template_child (widget_class, HvDriveMenu, popover);
  gtk_widget_class_bind_template_child (widget_class, HvDriveMenu, grid);
  gtk_widget_class_bind_template_child (widget_class, HvDriveMenu, error_label);
}

static void
hv_drive_menu_init (HvDriveMenu *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
hv_drive_menu_new (HvEngineClient *client,
                   HvVmItem       *item)
{
  HvDriveMenu *self = g_object_new (HV_TYPE_DRIVE_MENU, NULL);

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  g_signal_connect_swapped (item, "notify::config-xml", G_CALLBACK (rebuild), self);
  /* Another console may have added to the recent images since. */
  g_signal_connect_swapped (self->popover, "show", G_CALLBACK (rebuild), self);
  rebuild (self);
  return GTK_WIDGET (self);
}
