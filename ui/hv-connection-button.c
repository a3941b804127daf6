/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-connection-button.c: see hv-connection-button.h. */
#include "hv-connection-button.h"

#include <glib/gi18n.h>

#include "hv-connection-dialog.h"
#include "hv-connection-store.h"
#include "hv-engine-client-remote.h"

struct _HvConnectionButton
{
  AdwBin parent_instance;

  /* owned */
  HvEngineClient *client;

  /* template widgets */
  GtkMenuButton *menu_button;
  GtkPopover *popover;
  GtkBox *rows;
};

G_DEFINE_FINAL_TYPE (HvConnectionButton, hv_connection_button, ADW_TYPE_BIN)

static void rebuild (HvConnectionButton *self);

/* The words for an address: "user@host" as the title shows it (the port only when given). */
static char *
address_label (const char *address)
{
  g_autoptr(HvRemote) remote = hv_remote_parse (address, NULL);
  g_autofree char *host = NULL;

  if (remote == NULL)
    return g_strdup (address);
  host = remote->user != NULL ? g_strdup_printf ("%s@%s", remote->user, remote->host)
                              : g_strdup (remote->host);
  if (remote->port != 0)
    return g_strdup_printf ("%s:%u", host, remote->port);
  return g_steal_pointer (&host);
}

/* The remembered list and the choice, kept. A settings file that cannot be written costs
 * only the memory of the choice: a warning, and the switch itself works. */
static void
save (HvConnectionButton *self,
      const char * const *list)
{
  const HvRemote *remote = hv_engine_client_get_remote (self->client);
  g_autoptr(GError) error = NULL;

  if (!hv_connection_store_save (list, remote != NULL ? remote->address : NULL, &error))
    g_warning ("Cannot keep the connections in the settings: %s", error->message);
}

static void
switch_to (HvConnectionButton *self,
           const char         *address)
{
  g_auto(GStrv) list = hv_connection_store_list ();
  g_autoptr(GError) error = NULL;

  gtk_popover_popdown (self->popover);
  if (!hv_engine_client_set_remote (self->client, address, &error))
    {
      /* Only an address from the dialog or the settings gets here, both checked already. */
      g_warning ("%s", error->message);
      return;
    }
  save (self, (const char * const *) list);
}

static void
on_row_clicked (GtkButton          *button,
                HvConnectionButton *self)
{
  switch_to (self, g_object_get_data (G_OBJECT (button), "hv-address"));
}

static void
on_forget_clicked (GtkButton          *button,
                   HvConnectionButton *self)
{
  const char *address = g_object_get_data (G_OBJECT (button), "hv-address");
  const HvRemote *remote = hv_engine_client_get_remote (self->client);
  g_auto(GStrv) list = hv_connection_store_list ();
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_auto(GStrv) left = NULL;

  for (guint i = 0; list[i] != NULL; i++)
    if (g_strcmp0 (list[i], address) != 0)
      g_strv_builder_add (kept, list[i]);
  left = g_strv_builder_end (kept);
  /* Forgetting the computer shown: back to this one. */
  if (remote != NULL && g_strcmp0 (remote->address, address) == 0)
    hv_engine_client_set_remote (self->client, NULL, NULL);
  save (self, (const char * const *) left);
  rebuild (self);
}

static void
add_row (HvConnectionButton *self,
         const char         *address,
         gboolean            current)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");
  g_autofree char *label = address != NULL ? address_label (address)
                                           : g_strdup (_("This Computer"));
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_opacity (check, current ? 1.0 : 0.0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  current ? _("Shown now") : "", -1);
  gtk_box_append (GTK_BOX (box), check);
  gtk_widget_set_hexpand (button, TRUE);
  gtk_widget_add_css_class (button, "flat");
  gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (button))), 0);
  if (address != NULL)
    gtk_widget_set_tooltip_text (button, address);
  g_object_set_data_full (G_OBJECT (button), "hv-address", g_strdup (address), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_row_clicked), self);
  gtk_box_append (GTK_BOX (box), button);
  if (address != NULL)
    {
      GtkWidget *forget = gtk_button_new_from_icon_name ("user-trash-symbolic");
      /* Translators: %s is a remembered computer ("me@server.example") */
      g_autofree char *what = g_strdup_printf (_("Forget %s"), label);

      gtk_widget_add_css_class (forget, "flat");
      gtk_widget_set_tooltip_text (forget, what);
      gtk_accessible_update_property (GTK_ACCESSIBLE (forget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      what, -1);
      g_object_set_data_full (G_OBJECT (forget), "hv-address", g_strdup (address), g_free);
      g_signal_connect (forget, "clicked", G_CALLBACK (on_forget_clicked), self);
      gtk_box_append (GTK_BOX (box), forget);
    }
  gtk_box_append (self->rows, box);
}

/* This computer, the remembered ones, and the one shown if it is not remembered (given with
 * --connect). */
static void
rebuild (HvConnectionButton *self)
{
  const HvRemote *remote = self->client != NULL ? hv_engine_client_get_remote (self->client)
                                                : NULL;
  g_auto(GStrv) list = hv_connection_store_list ();
  g_autofree char *label = NULL;
  GtkWidget *child;
  gboolean listed = FALSE;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->rows))) != NULL)
    gtk_box_remove (self->rows, child);
  add_row (self, NULL, remote == NULL);
  for (guint i = 0; list[i] != NULL; i++)
    {
      gboolean current = remote != NULL && g_strcmp0 (remote->address, list[i]) == 0;

      listed |= current;
      add_row (self, list[i], current);
    }
  if (remote != NULL && !listed)
    add_row (self, remote->address, TRUE);

  label = remote != NULL ? address_label (remote->address) : g_strdup (_("This Computer"));
  gtk_menu_button_set_label (self->menu_button, label);
}

static void
on_remote_changed (HvConnectionButton *self)
{
  rebuild (self);
}

static void
on_chosen (const char *address,
           GObject    *owner)
{
  HvConnectionButton *self = HV_CONNECTION_BUTTON (owner);
  g_auto(GStrv) list = hv_connection_store_list ();
  g_autoptr(GStrvBuilder) all = g_strv_builder_new ();
  g_auto(GStrv) remembered = NULL;

  g_strv_builder_addv (all, (const char **) list);
  if (!g_strv_contains ((const char * const *) list, address))
    g_strv_builder_add (all, address);
  remembered = g_strv_builder_end (all);
  save (self, (const char * const *) remembered);
  switch_to (self, address);
}

static void
on_add_clicked (HvConnectionButton *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gtk_popover_popdown (self->popover);
  hv_connection_dialog_present (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                G_OBJECT (self), on_chosen);
}

void
hv_connection_button_set_client (HvConnectionButton *self,
                                 HvEngineClient     *client)
{
  g_return_if_fail (HV_IS_CONNECTION_BUTTON (self));

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    g_signal_connect_swapped (client, "notify::remote-address", G_CALLBACK (on_remote_changed),
                              self);
  rebuild (self);
}

static void
hv_connection_button_dispose (GObject *object)
{
  HvConnectionButton *self = HV_CONNECTION_BUTTON (object);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (hv_connection_button_parent_class)->dispose (object);
}

static void
hv_connection_button_class_init (HvConnectionButtonClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = hv_connection_button_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-connection-button.ui");
  gtk_widget_class_bind_template_child (widget_class, HvConnectionButton, menu_button);
  gtk_widget_class_bind_template_child (widget_class, HvConnectionButton, popover);
  gtk_widget_class_bind_template_child (widget_class, HvConnectionButton, rows);
  gtk_widget_class_bind_template_callback (widget_class, on_add_clicked);
}

static void
hv_connection_button_init (HvConnectionButton *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
