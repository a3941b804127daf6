/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-export-dialog.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hv-engine-client-snapshots.h"
#include "hv-messages.h"
#include "hv-window-private.h"

typedef enum {
  FORMAT_OVA,
  FORMAT_OVF,
  FORMAT_LIBVIRT,
} Format;

static const char * const format_ids[] = { "ova", "ovf", "libvirt" };
/* What a default destination ends with, per format. */
static const char * const format_suffixes[] = { ".ova", ".ovf", "-libvirt" };

struct _HvExportDialog
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  GPtrArray *state_ids;        /* char*: "" (current state), then the snapshots' ids */
  char *target;                /* the destination of the export on its way, or done */
  gulong progress_handler;
  gboolean exporting;
  gboolean cancel_asked;

  /* template widgets */
  GtkWidget *cancel_button;
  GtkWidget *export_button;
  GtkStack *stack;
  GtkLabel *intro_label;
  AdwComboRow *format_row;
  AdwEntryRow *dest_row;
  AdwComboRow *state_row;
  GtkLabel *format_label;
  GtkLabel *problem_label;
  GtkLabel *progress_title;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  AdwStatusPage *result_page;
  GtkLabel *result_label;
  GtkBox *warnings_box;
  GtkWidget *back_button;
};

G_DEFINE_FINAL_TYPE (HvExportDialog, hv_export_dialog, ADW_TYPE_WINDOW)

static Format
get_format (HvExportDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->format_row);

  return selected <= FORMAT_LIBVIRT ? (Format) selected : FORMAT_OVA;
}

/* The VM's name as a file name: no '/', no control characters, not hidden. */
static char *
file_name_for (const char *name)
{
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || g_unichar_iscntrl (c))
        g_string_append_c (out, '_');
      else
        g_string_append_unichar (out, c);
    }
  if (out->len == 0 || out->str[0] == '.')
    g_string_prepend_c (out, '_');
  return g_string_free (out, FALSE);
}

static char *
default_destination (HvExportDialog *self,
                     Format          format)
{
  const char *dir = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  g_autofree char *base = file_name_for (hv_vm_item_get_name (self->item));
  g_autofree char *name = g_strconcat (base, format_suffixes[format], NULL);

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    dir = g_get_home_dir ();
  return g_build_filename (dir, name, NULL);
}

static void
show_problem (HvExportDialog *self,
              const char     *problem)
{
  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
}

static gboolean
state_is_live (const char *state)
{
  return g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "paused") == 0 ||
         g_strcmp0 (state, "starting") == 0 || g_strcmp0 (state, "stopping") == 0;
}

/* Why the export cannot start as set, or NULL. */
static char *
check_form (HvExportDialog *self)
{
  const char *path = gtk_editable_get_text (GTK_EDITABLE (self->dest_row));
  guint state = adw_combo_row_get_selected (self->state_row);
  gboolean current = state == 0 || state == GTK_INVALID_LIST_POSITION;
  g_autofree char *dir = NULL;

  if (path[0] == '\0')
    return g_strdup (_("Choose where to export to."));
  if (!g_path_is_absolute (path))
    return g_strdup (_("The destination must be a full path (starting with /)."));
  dir = g_path_get_dirname (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    /* Translators: %s is a folder's path */
    return g_strdup_printf (_("The folder “%s” does not exist."), dir);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    /* Translators: %s is the destination's path */
    return g_strdup_printf (_("“%s” already exists: choose another name."), path);
  if (hv_vm_item_get_operation (self->item)[0] != '\0')
    return g_strdup (_("The virtual machine is busy with another operation."));
  if (current && state_is_live (hv_vm_item_get_state (self->item)))
    return g_strdup (_("The virtual machine is running: shut it down to export its current "
                       "state, or export one of its snapshots."));
  return NULL;
}

static gboolean
validate (HvExportDialog *self)
{
  g_autofree char *problem = check_form (self);

  show_problem (self, problem);
  gtk_widget_set_sensitive (self->export_button, problem == NULL && !self->exporting);
  return problem == NULL;
}

static void
on_changed (HvExportDialog *self)
{
  if (!self->exporting)
    validate (self);
}

static void
describe_format (HvExportDialog *self)
{
  static const char * const texts[] = {
    N_("One file with the OVF descriptor, the disks as streamOptimized VMDK and a manifest: "
       "VirtualBox, VMware and Proxmox import it."),
    N_("The same as separate files: the .ovf, and beside it the disks and the manifest."),
    N_("A new folder with domain.xml and the disks as qcow2: “virsh define” on a libvirt "
       "host runs it."),
  };

  gtk_label_set_text (self->format_label, _(texts[get_format (self)]));
}

/* A new format swaps the destination's ending (NAME.ova → NAME.ovf → NAME-libvirt). */
static void
on_format_changed (HvExportDialog *self)
{
  const char *path = gtk_editable_get_text (GTK_EDITABLE (self->dest_row));
  Format format = get_format (self);

  describe_format (self);
  for (guint i = 0; i < G_N_ELEMENTS (format_suffixes); i++)
    if (g_str_has_suffix (path, format_suffixes[i]) && i != format)
      {
        g_autofree char *base = g_strndup (path, strlen (path) - strlen (format_suffixes[i]));
        g_autofree char *swapped = g_strconcat (base, format_suffixes[format], NULL);

        gtk_editable_set_text (GTK_EDITABLE (self->dest_row), swapped);
        break;
      }
  on_changed (self);
}

/* ---- pages ---- */

static void
show_page (HvExportDialog *self,
           const char     *page)
{
  gboolean form = g_strcmp0 (page, "form") == 0;

  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (self->export_button, form);
  gtk_widget_set_visible (self->cancel_button, g_strcmp0 (page, "result") != 0);
  gtk_widget_set_sensitive (self->cancel_button, TRUE);
}

static void
show_result (HvExportDialog     *self,
             const char         *icon,
             const char         *title,
             const char         *message,
             const char * const *warnings,
             gboolean            can_go_back)
{
  GtkWidget *child;

  adw_status_page_set_icon_name (self->result_page, icon);
  adw_status_page_set_title (self->result_page, title);
  gtk_label_set_text (self->result_label, message);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->warnings_box))) != NULL)
    gtk_box_remove (self->warnings_box, child);
  if (warnings != NULL && warnings[0] != NULL)
    {
      GtkWidget *heading = gtk_label_new (_("Not carried by the format:"));

      gtk_widget_add_css_class (heading, "heading");
      gtk_label_set_xalign (GTK_LABEL (heading), 0);
      gtk_box_append (self->warnings_box, heading);
      for (guint i = 0; warnings[i] != NULL; i++)
        {
          GtkWidget *label = gtk_label_new (warnings[i]);

          gtk_label_set_xalign (GTK_LABEL (label), 0);
          gtk_label_set_wrap (GTK_LABEL (label), TRUE);
          gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
          gtk_widget_add_css_class (label, "warning");
          gtk_box_append (self->warnings_box, label);
        }
    }
  gtk_widget_set_visible (self->back_button, can_go_back);
  show_page (self, "result");
}

/* ---- the export ---- */

static void
on_progress (HvVmItem       *item,
             GParamSpec     *pspec,
             HvExportDialog *self)
{
  double fraction = hv_vm_item_get_operation_progress (item);
  g_autofree char *text = NULL;

  if (!self->exporting || g_strcmp0 (hv_vm_item_get_operation (item), "export") != 0)
    return;
  if (fraction < 0)
    {
      gtk_progress_bar_pulse (self->progress_bar);
      return;
    }
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0, 1));
  /* Translators: the export's progress in percent */
  text = g_strdup_printf (_("%d %%"), (int) (CLAMP (fraction, 0, 1) * 100));
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
set_exporting (HvExportDialog *self,
               gboolean        exporting)
{
  self->exporting = exporting;
  if (!exporting && self->progress_handler != 0)
    {
      g_signal_handler_disconnect (self->item, self->progress_handler);
      self->progress_handler = 0;
    }
}

static void
export_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvExportDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_long_call_finish (HV_ENGINE_CLIENT (source),
                                                                 result, &error);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autofree const char **warnings = NULL;
  g_autofree char *message = NULL;
  g_autofree char *toast = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_exporting (self, FALSE);
  if (reply == NULL)
    {
      if (self->cancel_asked)
        {
          /* Translators: %s is the destination's path */
          message = g_strdup_printf (_("Nothing was written at “%s”."), self->target);
          show_result (self, "process-stop-symbolic", _("Export Cancelled"), message, NULL,
                       TRUE);
        }
      else
        {
          message = hv_messages_error (error);
          show_result (self, "dialog-error-symbolic", _("The Export Failed"), message, NULL,
                       TRUE);
        }
      self->cancel_asked = FALSE;
      return;
    }
  g_variant_get (reply, "(^a&s)", &warnings);
  switch (get_format (self))
    {
    case FORMAT_OVF:
      {
        g_autofree char *dir = g_path_get_dirname (self->target);
        g_autofree char *base = g_path_get_basename (self->target);

        /* Translators: the OVF descriptor's file name, then its folder */
        message = g_strdup_printf (_("The files are in “%s”: “%s”, its disks and its "
                                     "manifest."), dir, base);
      }
      break;
    case FORMAT_LIBVIRT:
      /* Translators: %s is the new folder's path */
      message = g_strdup_printf (_("The folder “%s” holds domain.xml and the disks: "
                                   "run “virsh define domain.xml” there."), self->target);
      break;
    case FORMAT_OVA:
    default:
      /* Translators: %s is the OVA's path */
      message = g_strdup_printf (_("The appliance is “%s”."), self->target);
      break;
    }
  show_result (self, "emblem-ok-symbolic", _("Exported"), message, warnings, FALSE);
  if (HV_IS_WINDOW (parent))
    {
      /* Translators: %s is the VM's name */
      toast = g_strdup_printf (_("“%s” was exported"), hv_vm_item_get_name (self->item));
      hv_window_show_message (HV_WINDOW (parent), toast);
    }
}

static void
on_export_clicked (HvExportDialog *self)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  guint state = adw_combo_row_get_selected (self->state_row);
  g_autofree char *title = NULL;
  Format format = get_format (self);

  if (self->exporting || !validate (self))
    return;
  if (state != GTK_INVALID_LIST_POSITION && state < self->state_ids->len &&
      ((char *) self->state_ids->pdata[state])[0] != '\0')
    g_variant_builder_add (&options, "{sv}", "snapshot",
                           g_variant_new_string (self->state_ids->pdata[state]));
  g_free (self->target);
  self->target = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->dest_row)));

  set_exporting (self, TRUE);
  self->cancel_asked = FALSE;
  self->progress_handler = g_signal_connect (self->item, "notify::operation-progress",
                                             G_CALLBACK (on_progress), self);
  /* Translators: %s is the VM's name */
  title = g_strdup_printf (_("Exporting “%s”…"), hv_vm_item_get_name (self->item));
  gtk_label_set_text (self->progress_title, title);
  gtk_label_set_text (self->progress_label, self->target);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  show_page (self, "progress");
  hv_engine_client_long_call (self->client, self->item, "Export",
                              g_variant_new ("(ss@a{sv})", format_ids[format], self->target,
                                             g_variant_builder_end (&options)),
                              self->cancellable, export_done, g_object_ref (self));
}

static void
cancel_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(HvExportDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  /* Refused (the export had just ended, or had not begun): its own reply says how it ended. */
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("CancelOperation: %s", error->message);
}

static void
cancel_export (HvExportDialog *self)
{
  if (self->cancel_asked)
    return;
  self->cancel_asked = TRUE;
  gtk_widget_set_sensitive (self->cancel_button, FALSE);
  gtk_label_set_text (self->progress_label, _("Cancelling…"));
  hv_engine_client_call (self->client, self->item, "CancelOperation", NULL, self->cancellable,
                         cancel_done, g_object_ref (self));
}

static void
on_cancel_clicked (HvExportDialog *self)
{
  if (self->exporting)
    cancel_export (self);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

/* Closing the window while it exports cancels the export; the window stays until the engine
 * has removed what it wrote. */
static gboolean
on_close_request (GtkWindow *window)
{
  HvExportDialog *self = HV_EXPORT_DIALOG (window);

  if (!self->exporting)
    return FALSE;
  cancel_export (self);
  return TRUE;
}

static void
on_close_clicked (HvExportDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_back_clicked (HvExportDialog *self)
{
  show_page (self, "form");
  validate (self);
}

/* ---- choosing the destination ---- */

static void
browse_response (GtkNativeDialog *chooser,
                 int              response,
                 HvExportDialog  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (file == NULL || (path = g_file_get_path (file)) == NULL)
    return;
  if (get_format (self) == FORMAT_LIBVIRT)
    {
      /* A folder was chosen: the export makes a new one in it. */
      g_autofree char *base = file_name_for (hv_vm_item_get_name (self->item));
      g_autofree char *name = g_strconcat (base, format_suffixes[FORMAT_LIBVIRT], NULL);
      g_autofree char *inside = g_build_filename (path, name, NULL);

      gtk_editable_set_text (GTK_EDITABLE (self->dest_row), inside);
    }
  else
    gtk_editable_set_text (GTK_EDITABLE (self->dest_row), path);
}

static void
on_browse_clicked (HvExportDialog *self)
{
  Format format = get_format (self);
  gboolean folder = format == FORMAT_LIBVIRT;
  const char *path = gtk_editable_get_text (GTK_EDITABLE (self->dest_row));
  g_autofree char *dir = g_path_is_absolute (path) ? g_path_get_dirname (path) : NULL;
  g_autofree char *base = g_path_is_absolute (path) ? g_path_get_basename (path) : NULL;
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (folder ? _("Choose a Folder for the Export")
                                        : _("Export To"),
                                 GTK_WINDOW (self),
                                 folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                        : GTK_FILE_CHOOSER_ACTION_SAVE,
                                 _("_Select"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (dir != NULL && g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) current = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), current, NULL);
    }
  if (!folder && base != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), base);
  g_signal_connect_object (chooser, "response", G_CALLBACK (browse_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- object ---- */

static void
hv_export_dialog_dispose (GObject *object)
{
  HvExportDialog *self = HV_EXPORT_DIALOG (object);

  if (self->item != NULL)
    set_exporting (self, FALSE);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_EXPORT_DIALOG);

  G_OBJECT_CLASS (hv_export_dialog_parent_class)->dispose (object);
}

static void
hv_export_dialog_finalize (GObject *object)
{
  HvExportDialog *self = HV_EXPORT_DIALOG (object);

  g_free (self->target);
  g_ptr_array_unref (self->state_ids);

  G_OBJECT_CLASS (hv_export_dialog_parent_class)->finalize (object);
}

static void
hv_export_dialog_class_init (HvExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_export_dialog_dispose;
  object_class->finalize = hv_export_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, format_row);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, dest_row);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, state_row);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, format_label);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, problem_label);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, progress_title);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, result_page);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, result_label);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, warnings_box);
  gtk_widget_class_bind_template_child (widget_class, HvExportDialog, back_button);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_format_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_close_request);
  gtk_widget_class_bind_template_callback (widget_class, on_close_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_browse_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_export_dialog_init (HvExportDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->state_ids = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* "Current state", then each snapshot as "NAME (date)"; a VM that runs starts on its current
 * snapshot (its current state cannot be exported). */
static void
fill_states (HvExportDialog *self)
{
  GVariant *snapshots = hv_vm_item_get_snapshots (self->item);
  const char *current = hv_vm_item_get_current_snapshot (self->item);
  gboolean live = state_is_live (hv_vm_item_get_state (self->item));
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  guint selected = 0;
  GVariantIter iter;
  GVariant *dict;

  gtk_string_list_append (labels, _("Current state"));
  g_ptr_array_add (self->state_ids, g_strdup (""));
  if (snapshots != NULL && g_variant_is_of_type (snapshots, G_VARIANT_TYPE ("aa{sv}")))
    {
      g_variant_iter_init (&iter, snapshots);
      while ((dict = g_variant_iter_next_value (&iter)) != NULL)
        {
          const char *id = "", *name = "";
          gint64 created = 0;
          g_autofree char *date = NULL;
          g_autofree char *label = NULL;

          g_variant_lookup (dict, "id", "&s", &id);
          g_variant_lookup (dict, "name", "&s", &name);
          g_variant_lookup (dict, "created", "x", &created);
          date = hv_snapshots_format_date (created);
          /* Translators: a snapshot in the export dialog's "State": its name (its date) */
          label = g_strdup_printf (_("Snapshot “%s” (%s)"), name, date);
          if (live && g_strcmp0 (id, current) == 0)
            selected = self->state_ids->len;
          gtk_string_list_append (labels, label);
          g_ptr_array_add (self->state_ids, g_strdup (id));
          g_variant_unref (dict);
        }
    }
  adw_combo_row_set_model (self->state_row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (self->state_row, selected);
}

void
hv_export_dialog_present (GtkWindow      *parent,
                          HvEngineClient *client,
                          HvVmItem       *item)
{
  HvExportDialog *self;
  g_autofree char *intro = NULL;
  g_autofree char *dest = NULL;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));
  g_return_if_fail (HV_IS_VM_ITEM (item));

  self = g_object_new (HV_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  /* Translators: %s is the VM's name */
  intro = g_strdup_printf (_("Export “%s” for another hypervisor."), hv_vm_item_get_name (item));
  gtk_label_set_text (self->intro_label, intro);
  dest = default_destination (self, FORMAT_OVA);
  gtk_editable_set_text (GTK_EDITABLE (self->dest_row), dest);
  fill_states (self);
  describe_format (self);
  g_signal_connect_object (item, "notify::state", G_CALLBACK (on_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::operation", G_CALLBACK (on_changed), self,
                           G_CONNECT_SWAPPED);
  show_page (self, "form");
  validate (self);
  gtk_window_present (GTK_WINDOW (self));
}
