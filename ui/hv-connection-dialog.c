/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-connection-dialog.c: see hv-connection-dialog.h. */
#include "hv-connection-dialog.h"

#include <glib/gi18n.h>

#include "hv-client-remote.h"
#include "hv-messages.h"

struct _HvConnectionDialog
{
  AdwWindow parent_instance;

  HvConnectionChosen chosen;
  GWeakRef owner;            /* the chosen callback's object: it may go first */

  /* template widgets */
  GtkWidget *connect_button;
  AdwEntryRow *address_row;
  GtkLabel *problem_label;
};

G_DEFINE_FINAL_TYPE (HvConnectionDialog, hv_connection_dialog, ADW_TYPE_WINDOW)

/* TRUE when the address is valid; else the reason under the entry (not while it is empty). */
static gboolean
validate (HvConnectionDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->address_row));
  g_autoptr(GError) error = NULL;
  g_autoptr(HvRemote) remote = NULL;
  g_autofree char *message = NULL;

  if (text[0] != '\0')
    remote = hv_remote_parse (text, &error);
  if (error != NULL)
    message = hv_messages_error (error);
  gtk_label_set_text (self->problem_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->address_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->address_row), "error");
  gtk_widget_set_sensitive (self->connect_button, remote != NULL);
  return remote != NULL;
}

static void
on_changed (HvConnectionDialog *self)
{
  validate (self);
}

static void
on_connect_clicked (HvConnectionDialog *self)
{
  g_autofree char *address = NULL;
  g_autoptr(GObject) owner = NULL;

  if (!validate (self))
    return;
  address = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->address_row)));
  owner = g_weak_ref_get (&self->owner);
  if (owner != NULL)
    self->chosen (address, owner);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
hv_connection_dialog_finalize (GObject *object)
{
  HvConnectionDialog *self = HV_CONNECTION_DIALOG (object);

  g_weak_ref_clear (&self->owner);
  G_OBJECT_CLASS (hv_connection_dialog_parent_class)->finalize (object);
}

static void
hv_connection_dialog_class_init (HvConnectionDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = hv_connection_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-connection-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvConnectionDialog, connect_button);
  gtk_widget_class_bind_template_child (widget_class, HvConnectionDialog, address_row);
  gtk_widget_class_bind_template_child (widget_class, HvConnectionDialog, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, gtk_window_destroy);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hv_connection_dialog_init (HvConnectionDialog *self)
{
  g_weak_ref_init (&self->owner, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
hv_connection_dialog_present (GtkWindow         *parent,
                              GObject           *owner,
                              HvConnectionChosen chosen)
{
  HvConnectionDialog *self = g_object_new (HV_TYPE_CONNECTION_DIALOG, "transient-for", parent,
                                           NULL);

  self->chosen = chosen;
  g_weak_ref_set (&self->owner, owner);
  gtk_window_present (GTK_WINDOW (self));
}
