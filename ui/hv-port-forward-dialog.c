/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-port-forward-dialog.c: one adapter's port forwarding rules.
 *
 * The table shows the rules of the VM's Adapters property (and, while the VM runs, each
 * rule's status) and follows it. A rule is added or edited in the form below the table,
 * which checks what is typed as it is typed; the engine checks it again and its error is
 * shown in the form, which keeps what was typed. The engine has no "change a rule": an edit
 * that keeps the name removes the old rule, then adds the new one (and puts the old one back
 * if the new one is refused); one that renames adds the new rule first. */
#include "hv-build-config.h"

#include "hv-port-forward-dialog.h"

#include <glib/gi18n.h>

#include "hv-engine-client-network.h"
#include "hv-messages.h"
#include "hv-ui-util.h"

typedef enum {
  COLUMN_NAME,
  COLUMN_PROTOCOL,
  COLUMN_HOST_IP,
  COLUMN_HOST_PORT,
  COLUMN_GUEST_IP,
  COLUMN_GUEST_PORT,
  COLUMN_STATUS,
  N_COLUMNS
} Column;

typedef struct {
  char *name;
  char *protocol;
  char *host_address;
  guint16 host_port;
  char *guest_address;
  guint16 guest_port;
} Rule;

struct _HvPortForwardDialog
{
  AdwWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  GHashTable *rules;             /* name → Rule*, the adapter's rules as the engine has them */
  GHashTable *status;            /* name → status text, while the VM runs */
  GtkStringList *names;          /* the table's rows: rule names */
  GtkSingleSelection *selection;
  GtkColumnViewColumn *status_column;
  Rule *editing;                 /* the rule the form edits; NULL: the form adds */
  guint slot;
  gboolean busy;                 /* a change is on its way to the engine */

  /* template widgets */
  AdwWindowTitle *window_title;
  GtkLabel *intro_label;
  GtkColumnView *table;
  GtkWidget *empty_label;
  GtkWidget *add_button;
  GtkWidget *edit_button;
  GtkWidget *remove_button;
  GtkWidget *form;
  GtkLabel *form_title;
  GtkEntry *name_row;
  GtkDropDown *protocol_row;
  GtkEntry *host_ip_row;
  GtkEntry *host_port_row;
  GtkEntry *guest_ip_row;
  GtkEntry *guest_port_row;
  GtkLabel *warning_label;
  GtkLabel *form_error;
  GtkWidget *save_button;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (HvPortForwardDialog, hv_port_forward_dialog, ADW_TYPE_WINDOW)

static void validate (HvPortForwardDialog *self);

static void
rule_free (Rule *rule)
{
  g_free (rule->name);
  g_free (rule->protocol);
  g_free (rule->host_address);
  g_free (rule->guest_address);
  g_free (rule);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Rule, rule_free)

static Rule *
rule_copy (const Rule *rule)
{
  Rule *copy = g_new0 (Rule, 1);

  copy->name = g_strdup (rule->name);
  copy->protocol = g_strdup (rule->protocol);
  copy->host_address = g_strdup (rule->host_address);
  copy->host_port = rule->host_port;
  copy->guest_address = g_strdup (rule->guest_address);
  copy->guest_port = rule->guest_port;
  return copy;
}

/* AddPortForward's parameters for @rule on adapter @slot. */
static GVariant *
rule_to_variant (const Rule *rule,
                 guint       slot)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", rule->name);
  g_variant_dict_insert (&dict, "protocol", "s", rule->protocol);
  g_variant_dict_insert (&dict, "host-address", "s", rule->host_address);
  g_variant_dict_insert (&dict, "host-port", "q", rule->host_port);
  g_variant_dict_insert (&dict, "guest-address", "s", rule->guest_address);
  g_variant_dict_insert (&dict, "guest-port", "q", rule->guest_port);
  return g_variant_new ("(u@a{sv})", slot, g_variant_dict_end (&dict));
}

/* ---- from the VM to the table ---- */

static GVariant *
adapter (HvPortForwardDialog *self)
{
  return hv_adapters_lookup (hv_vm_item_get_adapters (self->item), self->slot);
}

static gboolean
vm_runs (HvPortForwardDialog *self)
{
  return g_strcmp0 (hv_vm_item_get_state (self->item), "running") == 0 ||
         g_strcmp0 (hv_vm_item_get_state (self->item), "paused") == 0;
}

static void
update_buttons (HvPortForwardDialog *self)
{
  gboolean chosen = gtk_single_selection_get_selected_item (self->selection) != NULL;
  gboolean form_open = gtk_widget_get_visible (self->form);

  gtk_widget_set_sensitive (self->add_button, !self->busy && !form_open);
  gtk_widget_set_sensitive (self->edit_button, !self->busy && !form_open && chosen);
  gtk_widget_set_sensitive (self->remove_button, !self->busy && !form_open && chosen);
}

static void
sync_rules (HvPortForwardDialog *self)
{
  g_autoptr(GVariant) ad = adapter (self);
  g_autoptr(GVariant) forwards = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *selected = NULL;
  GtkStringObject *current = gtk_single_selection_get_selected_item (self->selection);
  GVariantIter iter;
  const char *name, *protocol, *host, *guest, *text;
  guint16 host_port, guest_port;
  guint n_old;

  if (current != NULL)
    selected = g_strdup (gtk_string_object_get_string (current));
  g_hash_table_remove_all (self->rules);
  g_hash_table_remove_all (self->status);
  if (ad != NULL)
    {
      forwards = g_variant_lookup_value (ad, "forwards", G_VARIANT_TYPE ("a(sssqsq)"));
      status = g_variant_lookup_value (ad, "forward-status", G_VARIANT_TYPE ("a{ss}"));
    }
  if (forwards != NULL)
    {
      g_variant_iter_init (&iter, forwards);
      while (g_variant_iter_next (&iter, "(&s&s&sq&sq)", &name, &protocol, &host, &host_port,
                                  &guest, &guest_port))
        {
          Rule *rule = g_new0 (Rule, 1);

          rule->name = g_strdup (name);
          rule->protocol = g_strdup (protocol);
          rule->host_address = g_strdup (host);
          rule->host_port = host_port;
          rule->guest_address = g_strdup (guest);
          rule->guest_port = guest_port;
          g_hash_table_replace (self->rules, rule->name, rule);
          g_ptr_array_add (names, rule->name);
        }
    }
  if (status != NULL)
    {
      g_variant_iter_init (&iter, status);
      while (g_variant_iter_next (&iter, "{&s&s}", &name, &text))
        g_hash_table_replace (self->status, g_strdup (name), g_strdup (text));
    }
  g_ptr_array_add (names, NULL);

  /* The rows are rebuilt whole (a few rules), keeping the selected rule selected. */
  n_old = g_list_model_get_n_items (G_LIST_MODEL (self->names));
  gtk_string_list_splice (self->names, 0, n_old, (const char * const *) names->pdata);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  for (guint i = 0; selected != NULL && i + 1 < names->len; i++)
    if (g_str_equal (names->pdata[i], selected))
      gtk_single_selection_set_selected (self->selection, i);

  gtk_widget_set_visible (self->empty_label, names->len == 1);
  gtk_column_view_column_set_visible (self->status_column, vm_runs (self));
  if (ad == NULL)
    hv_ui_set_error_label (self->error_label, _("This adapter does not exist any more."));
  update_buttons (self);
}

static void
on_item_changed (HvPortForwardDialog *self)
{
  sync_rules (self);
}

/* ---- the table's cells ---- */

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            HvPortForwardDialog      *self)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  gtk_list_item_set_child (list_item, label);
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           HvPortForwardDialog      *self)
{
  Column column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "hv-column"));
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  const char *name = gtk_string_object_get_string (gtk_list_item_get_item (list_item));
  Rule *rule = g_hash_table_lookup (self->rules, name);
  g_autofree char *text = NULL;
  const char *status;

  if (rule == NULL)
    {
      gtk_label_set_text (label, "");
      return;
    }
  switch (column)
    {
    case COLUMN_NAME:
      text = g_strdup (rule->name);
      break;
    case COLUMN_PROTOCOL:
      text = g_ascii_strup (rule->protocol, -1);
      break;
    case COLUMN_HOST_IP:
      text = g_strdup (rule->host_address);
      break;
    case COLUMN_HOST_PORT:
      text = g_strdup_printf ("%u", rule->host_port);
      break;
    case COLUMN_GUEST_IP:
      text = g_strdup (rule->guest_address[0] != '\0' ? rule->guest_address
                                                      : _("the guest's address"));
      break;
    case COLUMN_GUEST_PORT:
      text = g_strdup_printf ("%u", rule->guest_port);
      break;
    case COLUMN_STATUS:
    default:
      status = g_hash_table_lookup (self->status, name);
      text = g_strdup (status == NULL ? _("Not applied")
                       : g_str_equal (status, "active") ? _("Active") : status);
      gtk_widget_set_tooltip_text (GTK_WIDGET (label), text);
      break;
    }
  gtk_label_set_text (label, text);
}

static GtkColumnViewColumn *
add_column (HvPortForwardDialog *self,
            Column               column,
            const char          *title)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *col;

  g_object_set_data (G_OBJECT (factory), "hv-column", GUINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), self);
  col = gtk_column_view_column_new (title, g_object_ref (factory));
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_column_set_expand (col, column == COLUMN_NAME || column == COLUMN_STATUS);
  gtk_column_view_append_column (self->table, col);
  g_object_unref (col);
  return col;
}

/* ---- the form ---- */

static const char *
row_text (GtkEntry *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_row_text (GtkEntry    *row,
              const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/* The form's rule, or NULL with the first problem in @problem (and the rows marked). */
static Rule *
form_rule (HvPortForwardDialog *self,
           char               **problem)
{
  g_autoptr(Rule) rule = g_new0 (Rule, 1);
  g_autofree char *name_problem = NULL;
  g_autofree char *host_ip_problem = NULL;
  g_autofree char *host_port_problem = NULL;
  g_autofree char *guest_ip_problem = NULL;
  g_autofree char *guest_port_problem = NULL;
  const char *name = row_text (self->name_row);
  const char *guest_ip = row_text (self->guest_ip_row);

  name_problem = hv_check_forward_name (name);
  if (name_problem == NULL && g_hash_table_contains (self->rules, name) &&
      (self->editing == NULL || g_strcmp0 (self->editing->name, name) != 0))
    /* Translators: %s is a port forwarding rule's name */
    name_problem = g_strdup_printf (_("This adapter already has a rule named “%s”"), name);
  host_ip_problem = hv_check_ipv4 (row_text (self->host_ip_row), _("The host IP"));
  host_port_problem = hv_check_port (row_text (self->host_port_row), _("The host port"),
                                     &rule->host_port);
  if (guest_ip[0] != '\0')
    guest_ip_problem = hv_check_ipv4 (guest_ip, _("The guest IP"));
  guest_port_problem = hv_check_port (row_text (self->guest_port_row), _("The guest port"),
                                      &rule->guest_port);
  if (host_port_problem == NULL)
    {
      /* Another rule of this adapter listening there already (the engine checks all of the
       * VM's adapters, and the host, again). */
      gboolean udp = gtk_drop_down_get_selected (self->protocol_row) == 1;
      GHashTableIter iter;
      Rule *other;

      g_hash_table_iter_init (&iter, self->rules);
      while (host_port_problem == NULL && g_hash_table_iter_next (&iter, NULL, (gpointer *) &other))
        if (other->host_port == rule->host_port &&
            (g_strcmp0 (other->protocol, "udp") == 0) == udp &&
            (self->editing == NULL || g_strcmp0 (self->editing->name, other->name) != 0))
          /* Translators: a port number, then a rule's name */
          host_port_problem = g_strdup_printf (_("Host port %u is already forwarded by the rule "
                                                 "“%s”"), rule->host_port, other->name);
    }

  hv_ui_mark_error (GTK_WIDGET (self->name_row), name_problem != NULL && name[0] != '\0');
  hv_ui_mark_error (GTK_WIDGET (self->host_ip_row), host_ip_problem != NULL);
  hv_ui_mark_error (GTK_WIDGET (self->host_port_row),
                    host_port_problem != NULL && row_text (self->host_port_row)[0] != '\0');
  hv_ui_mark_error (GTK_WIDGET (self->guest_ip_row), guest_ip_problem != NULL);
  hv_ui_mark_error (GTK_WIDGET (self->guest_port_row),
                    guest_port_problem != NULL && row_text (self->guest_port_row)[0] != '\0');

  *problem = g_strdup (name_problem != NULL ? name_problem
                       : host_ip_problem != NULL ? host_ip_problem
                       : host_port_problem != NULL ? host_port_problem
                       : guest_ip_problem != NULL ? guest_ip_problem
                       : guest_port_problem);
  if (*problem != NULL)
    return NULL;
  rule->name = g_strdup (name);
  rule->protocol = g_strdup (gtk_drop_down_get_selected (self->protocol_row) == 1 ? "udp"
                                                                                 : "tcp");
  rule->host_address = g_strdup (row_text (self->host_ip_row));
  rule->guest_address = g_strdup (guest_ip);
  return g_steal_pointer (&rule);
}

static void
validate (HvPortForwardDialog *self)
{
  g_autofree char *problem = NULL;
  g_autoptr(Rule) rule = form_rule (self, &problem);
  const char *host_ip = row_text (self->host_ip_row);
  g_autofree char *warning = NULL;

  hv_ui_set_error_label (self->form_error, problem);
  gtk_widget_set_sensitive (self->save_button, rule != NULL && !self->busy);
  /* 127.0.0.1 keeps the port to this computer; anything else is the user's choice, said. */
  if (g_strcmp0 (host_ip, "127.0.0.1") != 0 && hv_check_ipv4 (host_ip, "") == NULL)
    warning = g_strdup_printf (g_strcmp0 (host_ip, "0.0.0.0") == 0
                               ? _("Every computer that can reach this one can connect to this "
                                   "port. 127.0.0.1 keeps it to this computer.")
                               : _("Computers that can reach %s can connect to this port. "
                                   "127.0.0.1 keeps it to this computer."), host_ip);
  hv_ui_set_error_label (self->warning_label, warning);
}

static void
open_form (HvPortForwardDialog *self,
           const Rule          *rule)
{
  g_autofree char *host_port = NULL;
  g_autofree char *guest_port = NULL;

  g_clear_pointer (&self->editing, rule_free);
  if (rule != NULL)
    {
      self->editing = rule_copy (rule);
      host_port = g_strdup_printf ("%u", rule->host_port);
      guest_port = g_strdup_printf ("%u", rule->guest_port);
    }
  gtk_label_set_text (self->form_title, rule != NULL ? _("Edit Rule") : _("New Rule"));
  set_row_text (self->name_row, rule != NULL ? rule->name : "");
  gtk_drop_down_set_selected (self->protocol_row,
                              rule != NULL && g_strcmp0 (rule->protocol, "udp") == 0 ? 1 : 0);
  set_row_text (self->host_ip_row, rule != NULL ? rule->host_address : "127.0.0.1");
  set_row_text (self->host_port_row, rule != NULL ? host_port : "");
  set_row_text (self->guest_ip_row, rule != NULL ? rule->guest_address : "");
  set_row_text (self->guest_port_row, rule != NULL ? guest_port : "");
  gtk_widget_set_visible (self->form, TRUE);
  hv_ui_set_error_label (self->error_label, NULL);
  validate (self);
  /* Nothing typed is an error yet: the marks come as the person types. */
  hv_ui_set_error_label (self->form_error, NULL);
  update_buttons (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
close_form (HvPortForwardDialog *self)
{
  gtk_widget_set_visible (self->form, FALSE);
  g_clear_pointer (&self->editing, rule_free);
  update_buttons (self);
}

/* ---- talking to the engine ---- */

typedef enum {
  STEP_ADD,             /* add the new rule; done */
  STEP_ADD_THEN_REMOVE, /* add the new rule, then remove the old one (a renaming edit) */
  STEP_REMOVE_THEN_ADD, /* remove the old rule, then add the new one (an edit, same name) */
  STEP_RESTORE,         /* the new rule was refused: put the old one back */
  STEP_REMOVE,          /* remove a rule; done */
} Step;

typedef struct {
  HvPortForwardDialog *self;
  Step step;
  Rule *new_rule;
  Rule *old_rule;
  char *error;          /* the first refusal, kept while the old rule goes back */
  gboolean restore;     /* an edit: if the new rule is refused, the old one goes back */
} Change;

static void
change_free (Change *change)
{
  g_clear_object (&change->self);
  g_clear_pointer (&change->new_rule, rule_free);
  g_clear_pointer (&change->old_rule, rule_free);
  g_free (change->error);
  g_free (change);
}

static void run_step (Change *change);

static void
finish_change (Change     *change,
               const char *error)
{
  HvPortForwardDialog *self = change->self;
  gboolean form_open;

  self->busy = FALSE;
  if (error == NULL)
    {
      hv_ui_set_error_label (self->error_label, NULL);
      if (change->step != STEP_REMOVE)
        close_form (self);
    }
  sync_rules (self);
  form_open = gtk_widget_get_visible (self->form);
  if (form_open)
    validate (self);
  /* The form stays open with what was typed; a removal's error goes under the table. */
  if (error != NULL)
    hv_ui_set_error_label (form_open ? self->form_error : self->error_label, error);
  change_free (change);
}

static void
step_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Change *change = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      change_free (change);
      return;
    }
  if (reply == NULL)
    message = hv_messages_error (error);

  switch (change->step)
    {
    case STEP_ADD:
      if (message != NULL && change->restore)
        {
          change->error = g_steal_pointer (&message);
          change->step = STEP_RESTORE;
          run_step (change);
          return;
        }
      finish_change (change, message);
      return;
    case STEP_REMOVE:
      finish_change (change, message);
      return;
    case STEP_ADD_THEN_REMOVE:
      if (message != NULL)
        {
          finish_change (change, message);
          return;
        }
      change->step = STEP_REMOVE;
      g_clear_pointer (&change->new_rule, rule_free);
      run_step (change);
      /* The form is done: the new rule is there. */
      close_form (change->self);
      return;
    case STEP_REMOVE_THEN_ADD:
      if (message != NULL)
        {
          finish_change (change, message);
          return;
        }
      change->step = STEP_ADD;
      change->restore = TRUE;
      run_step (change);
      return;
    case STEP_RESTORE:
      /* Whatever putting it back said, the user needs the first refusal. */
      change->step = STEP_ADD;
      finish_change (change, change->error);
      return;
    default:
      g_assert_not_reached ();
    }
}

static void
run_step (Change *change)
{
  HvPortForwardDialog *self = change->self;
  GVariant *params;

  switch (change->step)
    {
    case STEP_ADD:
    case STEP_ADD_THEN_REMOVE:
      params = rule_to_variant (change->new_rule, self->slot);
      break;
    case STEP_RESTORE:
      params = rule_to_variant (change->old_rule, self->slot);
      break;
    case STEP_REMOVE:
    case STEP_REMOVE_THEN_ADD:
    default:
      params = g_variant_new ("(us)", self->slot, change->old_rule->name);
      break;
    }
  hv_engine_client_call (self->client, self->item,
                         change->step == STEP_REMOVE || change->step == STEP_REMOVE_THEN_ADD
                         ? "RemovePortForward" : "AddPortForward",
                         params, self->cancellable, step_done, change);
}

static void
start_change (HvPortForwardDialog *self,
              Step                 step,
              Rule                *new_rule,
              Rule                *old_rule)
{
  Change *change = g_new0 (Change, 1);

  change->self = g_object_ref (self);
  change->step = step;
  change->new_rule = new_rule;
  change->old_rule = old_rule;
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->save_button, FALSE);
  update_buttons (self);
  run_step (change);
}

/* ---- buttons ---- */

static Rule *
selected_rule (HvPortForwardDialog *self)
{
  GtkStringObject *item = gtk_single_selection_get_selected_item (self->selection);

  return item != NULL ? g_hash_table_lookup (self->rules, gtk_string_object_get_string (item))
                      : NULL;
}

static void
on_add_clicked (HvPortForwardDialog *self)
{
  open_form (self, NULL);
}

static void
on_edit_clicked (HvPortForwardDialog *self)
{
  Rule *rule = selected_rule (self);

  if (rule != NULL)
    open_form (self, rule);
}

static void
on_remove_clicked (HvPortForwardDialog *self)
{
  Rule *rule = selected_rule (self);

  if (rule != NULL && !self->busy)
    start_change (self, STEP_REMOVE, NULL, rule_copy (rule));
}

static void
on_cancel_clicked (HvPortForwardDialog *self)
{
  close_form (self);
}

static void
on_save_clicked (HvPortForwardDialog *self)
{
  g_autofree char *problem = NULL;
  Rule *rule = form_rule (self, &problem);

  if (rule == NULL || self->busy)
    {
      g_clear_pointer (&rule, rule_free);
      hv_ui_set_error_label (self->form_error, problem);
      return;
    }
  if (self->editing == NULL)
    start_change (self, STEP_ADD, rule, NULL);
  else if (g_strcmp0 (self->editing->name, rule->name) != 0)
    start_change (self, STEP_ADD_THEN_REMOVE, rule, rule_copy (self->editing));
  else
    start_change (self, STEP_REMOVE_THEN_ADD, rule, rule_copy (self->editing));
}

/* ---- object ---- */

static void
hv_port_forward_dialog_dispose (GObject *object)
{
  HvPortForwardDialog *self = HV_PORT_FORWARD_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  g_clear_object (&self->selection);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_PORT_FORWARD_DIALOG);
  G_OBJECT_CLASS (hv_port_forward_dialog_parent_class)->dispose (object);
}

static void
hv_port_forward_dialog_finalize (GObject *object)
{
  HvPortForwardDialog *self = HV_PORT_FORWARD_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rules, g_hash_table_unref);
  g_clear_pointer (&self->status, g_hash_table_unref);
  g_clear_pointer (&self->editing, rule_free);
  G_OBJECT_CLASS (hv_port_forward_dialog_parent_class)->finalize (object);
}

static void
hv_port_forward_dialog_class_init (HvPortForwardDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_port_forward_dialog_dispose;
  object_class->finalize = hv_port_forward_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-port-forward-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, table);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, empty_label);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, edit_button);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, remove_button);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, form);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, form_title);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, protocol_row);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, host_ip_row);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, host_port_row);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, guest_ip_row);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, guest_port_row);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, warning_label);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, form_error);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, HvPortForwardDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, validate);
  gtk_widget_class_bind_template_callback (widget_class, on_add_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_edit_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
}

static void
hv_port_forward_dialog_init (HvPortForwardDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->rules = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) rule_free);
  self->status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->names = gtk_string_list_new (NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->names));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->table, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (update_buttons),
                            self);
  add_column (self, COLUMN_NAME, _("Name"));
  add_column (self, COLUMN_PROTOCOL, _("Protocol"));
  add_column (self, COLUMN_HOST_IP, _("Host IP"));
  add_column (self, COLUMN_HOST_PORT, _("Host Port"));
  add_column (self, COLUMN_GUEST_IP, _("Guest IP"));
  add_column (self, COLUMN_GUEST_PORT, _("Guest Port"));
  self->status_column = add_column (self, COLUMN_STATUS, _("Status"));
}

void
hv_port_forward_dialog_present (GtkWindow      *parent,
                                HvEngineClient *client,
                                HvVmItem       *item,
                                guint           slot)
{
  HvPortForwardDialog *self;
  g_autofree char *subtitle = NULL;
  g_autoptr(GVariant) ad = NULL;
  const char *mode;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));
  g_return_if_fail (HV_IS_VM_ITEM (item));
  g_return_if_fail (slot >= 1 && slot <= HV_NIC_SLOTS);

  self = g_object_new (HV_TYPE_PORT_FORWARD_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  self->slot = slot;
  ad = adapter (self);
  mode = hv_vardict_get_string (ad, "mode", "nat");
  /* Translators: a VM's name and its adapter's number */
  subtitle = g_strdup_printf (_("%s, adapter %u"), hv_vm_item_get_name (item), slot);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_window_set_title (GTK_WINDOW (self), _("Port Forwarding"));
  gtk_label_set_text (self->intro_label,
                      g_strcmp0 (mode, "host-only") == 0
                      ? _("The host-only network runs isolated: a connection to the host IP and "
                          "port reaches the guest's port through the engine. Changes apply at "
                          "once, also while the VM runs.")
                      : _("A connection to the host IP and port reaches the guest's port "
                          "through the NAT adapter. Changes apply at once, also while the VM "
                          "runs."));
  g_signal_connect_swapped (item, "notify::adapters", G_CALLBACK (on_item_changed), self);
  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (on_item_changed), self);
  sync_rules (self);
  gtk_window_present (GTK_WINDOW (self));
}
