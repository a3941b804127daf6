/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-snapshot-dialog.h"

#include <glib/gi18n.h>

struct _HvSnapshotDialog
{
  AdwWindow parent_instance;

  HvSnapshotDialogDone done;
  gpointer user_data;
  GDestroyNotify destroy;
  gboolean take;

  /* template widgets */
  GtkWidget *ok_button;
  GtkLabel *intro_label;
  AdwEntryRow *name_row;
  GtkTextView *description_view;
  GtkLabel *problem_label;
};

G_DEFINE_FINAL_TYPE (HvSnapshotDialog, hv_snapshot_dialog, ADW_TYPE_WINDOW)

char *
hv_snapshot_check_name (const char *name)
{
  glong n;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    return g_strdup (_("The name is not valid text."));
  n = g_utf8_strlen (name, -1);
  {
    /* g_strstrip() works in place: check a copy. */
    g_autofree char *copy = g_strstrip (g_strdup (name));

    if (copy[0] == '\0')
      return g_strdup (_("A snapshot needs a name."));
  }
  if (n > HV_SNAPSHOT_NAME_MAX_CHARS)
    return g_strdup_printf (_("A snapshot's name has at most %d characters."),
                            HV_SNAPSHOT_NAME_MAX_CHARS);
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return g_strdup (_("A snapshot's name cannot have control characters."));
  return NULL;
}

char *
hv_snapshot_check_description (const char *description)
{
  if (description == NULL || !g_utf8_validate (description, -1, NULL))
    return g_strdup (_("The description is not valid text."));
  if (g_utf8_strlen (description, -1) > HV_SNAPSHOT_DESCRIPTION_MAX_CHARS)
    return g_strdup_printf (_("A description has at most %d characters."),
                            HV_SNAPSHOT_DESCRIPTION_MAX_CHARS);
  return NULL;
}

static char *
dup_description (HvSnapshotDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The first problem, shown under the fields; OK only when there is none. */
static gboolean
validate (HvSnapshotDialog *self)
{
  g_autofree char *description = dup_description (self);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *problem = hv_snapshot_check_name (name);

  if (problem == NULL)
    problem = hv_snapshot_check_description (description);
  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
  gtk_widget_set_sensitive (self->ok_button, problem == NULL);
  if (problem != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  return problem == NULL;
}

static void
on_changed (HvSnapshotDialog *self)
{
  validate (self);
}

static void
on_cancel_clicked (HvSnapshotDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_ok_clicked (HvSnapshotDialog *self)
{
  g_autofree char *description = NULL;
  HvSnapshotDialogDone done = self->done;

  if (!validate (self) || done == NULL)
    return;
  description = dup_description (self);
  self->done = NULL;
  done (gtk_editable_get_text (GTK_EDITABLE (self->name_row)), description, self->user_data);
  gtk_window_close (GTK_WINDOW (self));
}

static void
hv_snapshot_dialog_dispose (GObject *object)
{
  HvSnapshotDialog *self = HV_SNAPSHOT_DIALOG (object);

  if (self->destroy != NULL && self->user_data != NULL)
    self->destroy (self->user_data);
  self->destroy = NULL;
  self->user_data = NULL;
  self->done = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SNAPSHOT_DIALOG);

  G_OBJECT_CLASS (hv_snapshot_dialog_parent_class)->dispose (object);
}

static void
hv_snapshot_dialog_class_init (HvSnapshotDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_snapshot_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-snapshot-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotDialog, ok_button);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotDialog, description_view);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotDialog, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_ok_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_snapshot_dialog_init (HvSnapshotDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

HvSnapshotDialog *
hv_snapshot_dialog_present (GtkWindow           *parent,
                            gboolean             take,
                            const char          *vm_name,
                            const char          *name,
                            const char          *description,
                            HvSnapshotDialogDone done,
                            gpointer             user_data,
                            GDestroyNotify       destroy)
{
  HvSnapshotDialog *self = g_object_new (HV_TYPE_SNAPSHOT_DIALOG, "transient-for", parent,
                                         NULL);
  g_autofree char *intro = NULL;

  self->take = take;
  self->done = done;
  self->user_data = user_data;
  self->destroy = destroy;

  gtk_window_set_title (GTK_WINDOW (self), take ? _("Take Snapshot") : _("Snapshot Properties"));
  gtk_button_set_label (GTK_BUTTON (self->ok_button), take ? _("_Take") : _("_Save"));
  if (take)
    /* Translators: %s is the VM's name */
    intro = g_strdup_printf (_("A snapshot keeps the disks of “%s” as they are now and, while "
                               "it runs, its memory too, so it can be restored later."),
                             vm_name != NULL ? vm_name : "");
  else
    /* Translators: %s is the VM's name */
    intro = g_strdup_printf (_("The name and description of a snapshot of “%s”."),
                             vm_name != NULL ? vm_name : "");
  gtk_label_set_text (self->intro_label, intro);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name != NULL ? name : "");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view),
                            description != NULL ? description : "", -1);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->description_view), "changed",
                            G_CALLBACK (on_changed), self);
  validate (self);
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
  return self;
}
