/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-ui-util.h: small helpers the app's forms share. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* An inline error message under a form: shown with its text, hidden when there is none. */
static inline void
hv_ui_set_error_label (GtkLabel   *label,
                       const char *text)
{
  gtk_label_set_text (label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && text[0] != '\0');
}

/* Marks an entry or row as holding a bad value (the "error" style). */
static inline void
hv_ui_mark_error (GtkWidget *widget,
                  gboolean   error)
{
  if (error)
    gtk_widget_add_css_class (widget, "error");
  else
    gtk_widget_remove_css_class (widget, "error");
}

G_END_DECLS
