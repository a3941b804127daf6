/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-window.h"

#include <glib/gi18n.h>

#include "hv-details.h"
#include "hv-folder-tree.h"
#include "hv-new-vm-dialog.h"
#include "hv-settings-dialog.h"
#include "hv-window-private.h"

struct _HvWindow
{
  AdwApplicationWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  char *pending_demo;       /* object path of a demo VM to start once its row exists */
  HvFolderTree *tree;
  GtkTreeListModel *tree_model;
  GtkSingleSelection *selection;
  GCancellable *cancellable;
  HvVmItem *selected;          /* the VM shown in the details, kept across re-sorting */
  guint restore_source;
  gboolean was_connected;

  /* template widgets */
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkSpinner *banner_spinner;
  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  AdwStatusPage *connecting_page;
  GtkSearchEntry *search_entry;
  GtkListView *sidebar_list;
  GtkStack *details_stack;
  HvDetails *details;
  GtkWidget *new_folder_button;
};

G_DEFINE_FINAL_TYPE (HvWindow, hv_window, ADW_TYPE_APPLICATION_WINDOW)

/* Where the sidebar's expand state is kept. */
static char *
state_file_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "hostvisor", "ui-state.ini", NULL);
}

HvEngineClient *
hv_window_get_client (HvWindow *self)
{
  return self->client;
}

GCancellable *
hv_window_get_cancellable (HvWindow *self)
{
  return self->cancellable;
}

void
hv_window_show_error (HvWindow   *self,
                      const char *message)
{
  AdwToast *toast;

  g_return_if_fail (HV_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
hv_window_call_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  g_autoptr(HvWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    hv_window_show_error (self, error->message);
}

HvVmItem *
hv_window_get_selected (HvWindow *self)
{
  g_return_val_if_fail (HV_IS_WINDOW (self), NULL);
  return self->selected;
}

/* ---- actions ---- */

static void
update_actions (HvWindow *self)
{
  HvVmItem *item = self->selected;
  gboolean connected = hv_engine_client_get_connected (self->client);
  GtkWidget *widget = GTK_WIDGET (self);

  /* Straight from the engine's Can* properties: the UI never decides what a state allows.
   * Power off and reset are what a running (or paused) VM allows, the same as Stop. */
  gtk_widget_action_set_enabled (widget, "vm.start", item && hv_vm_item_get_can_start (item));
  gtk_widget_action_set_enabled (widget, "vm.stop", item && hv_vm_item_get_can_stop (item));
  gtk_widget_action_set_enabled (widget, "vm.power-off",
                                 item && hv_vm_item_get_can_stop (item));
  gtk_widget_action_set_enabled (widget, "vm.reset", item && hv_vm_item_get_can_stop (item));
  gtk_widget_action_set_enabled (widget, "vm.pause", item && hv_vm_item_get_can_pause (item));
  gtk_widget_action_set_enabled (widget, "vm.resume",
                                 item && hv_vm_item_get_can_resume (item));
  gtk_widget_action_set_enabled (widget, "vm.settings", item != NULL && connected);
  gtk_widget_action_set_enabled (widget, "vm.delete", item != NULL && connected);
}

static void
call_on_selected (HvWindow   *self,
                  const char *method,
                  GVariant   *parameters)
{
  if (self->selected == NULL)
    return;
  hv_engine_client_call (self->client, self->selected, method, parameters, self->cancellable,
                         hv_window_call_done, g_object_ref (self));
}

static void
vm_start (GtkWidget *widget, const char *action, GVariant *param)
{
  call_on_selected (HV_WINDOW (widget), "Start", NULL);
}

static void
vm_stop (GtkWidget *widget, const char *action, GVariant *param)
{
  /* 0: the engine's default grace period before it pulls the plug. */
  call_on_selected (HV_WINDOW (widget), "Stop", g_variant_new ("(u)", 0));
}

static void
vm_power_off (GtkWidget *widget, const char *action, GVariant *param)
{
  call_on_selected (HV_WINDOW (widget), "PowerOff", NULL);
}

static void
vm_reset (GtkWidget *widget, const char *action, GVariant *param)
{
  call_on_selected (HV_WINDOW (widget), "Reset", NULL);
}

static void
vm_pause (GtkWidget *widget, const char *action, GVariant *param)
{
  call_on_selected (HV_WINDOW (widget), "Pause", NULL);
}

static void
vm_resume (GtkWidget *widget, const char *action, GVariant *param)
{
  call_on_selected (HV_WINDOW (widget), "Resume", NULL);
}

static void
vm_settings (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_settings_dialog_present (GTK_WINDOW (self), self->client, self->selected);
}

static void
vm_delete (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_window_delete_vm_dialog (self, self->selected);
}

static void
win_new_vm (GSimpleAction *action, GVariant *param, gpointer data)
{
  hv_window_new_vm (HV_WINDOW (data), NULL);
}

static void
win_new_folder (GSimpleAction *action, GVariant *param, gpointer data)
{
  hv_window_new_folder_dialog (HV_WINDOW (data), g_variant_get_string (param, NULL));
}

static void
win_rename_folder (GSimpleAction *action, GVariant *param, gpointer data)
{
  hv_window_rename_folder_dialog (HV_WINDOW (data), g_variant_get_string (param, NULL));
}

static void
win_delete_folder (GSimpleAction *action, GVariant *param, gpointer data)
{
  hv_window_delete_folder_dialog (HV_WINDOW (data), g_variant_get_string (param, NULL));
}

/* The demo VM: the engine builds it (a few seconds), then it is started at once, so a new
 * user sees a guest boot without choosing anything. Its row may appear a moment after
 * CreateDemoVm answers (VmAdded, then the proxy): until then the start waits for it. */
static gboolean
start_pending_demo (HvWindow *self)
{
  HvVmItem *item;

  if (self->pending_demo == NULL)
    return TRUE;
  item = hv_engine_client_lookup (self->client, self->pending_demo);
  if (item == NULL)
    return FALSE;
  g_clear_pointer (&self->pending_demo, g_free);
  hv_engine_client_call (self->client, item, "Start", NULL, self->cancellable,
                         hv_window_call_done, g_object_ref (self));
  return TRUE;
}

static void
on_demo_vms_changed (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     HvWindow   *self)
{
  if (start_pending_demo (self))
    g_signal_handlers_disconnect_by_func (model, on_demo_vms_changed, self);
}

static void
on_demo_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(HvWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *path;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        hv_window_show_error (self, error->message);
      return;
    }
  g_variant_get (reply, "(&o)", &path);
  g_free (self->pending_demo);
  self->pending_demo = g_strdup (path);
  if (!start_pending_demo (self))
    g_signal_connect_object (hv_engine_client_get_vms (self->client), "items-changed",
                             G_CALLBACK (on_demo_vms_changed), self, 0);
}

static void
win_demo_vm (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvWindow *self = HV_WINDOW (data);

  hv_engine_client_call (self->client, NULL, "CreateDemoVm", NULL, self->cancellable,
                         on_demo_created, g_object_ref (self));
}

static const GActionEntry win_actions[] = {
  { "new-vm", win_new_vm },
  { "demo-vm", win_demo_vm },
  { "new-folder", win_new_folder, "s" },
  { "rename-folder", win_rename_folder, "s" },
  { "delete-folder", win_delete_folder, "s" },
};

void
hv_window_new_vm (HvWindow *self,
                  GFile    *media)
{
  g_return_if_fail (HV_IS_WINDOW (self));
  hv_new_vm_dialog_present (GTK_WINDOW (self), self->client, media);
}

/* ---- selection ---- */

static void
on_selected_changed (HvVmItem   *item,
                     GParamSpec *pspec,
                     HvWindow   *self)
{
  update_actions (self);
}

static void
set_selected (HvWindow *self,
              HvVmItem *item)
{
  if (self->selected == item)
    return;
  if (self->selected != NULL)
    g_signal_handlers_disconnect_by_data (self->selected, self);
  g_set_object (&self->selected, item);
  if (item != NULL)
    g_signal_connect_object (item, "notify", G_CALLBACK (on_selected_changed), self, 0);

  hv_details_set_item (self->details, item);
  gtk_stack_set_visible_child_name (self->details_stack, item != NULL ? "vm" : "none");
  update_actions (self);
}

static gpointer
row_object (GtkTreeListRow *row)
{
  return row != NULL ? gtk_tree_list_row_get_item (row) : NULL;
}

static void
on_selection_changed (GtkSelectionModel *model,
                      guint              position,
                      guint              n_items,
                      HvWindow          *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (self->selection);
  g_autoptr(GObject) object = row_object (row);
  GVariant *target;

  set_selected (self, HV_IS_VM_ITEM (object) ? HV_VM_ITEM (object) : NULL);

  /* "New Folder" creates inside the selected folder, or beside the selected VM. */
  if (HV_IS_FOLDER_NODE (object))
    target = g_variant_new_string (hv_folder_node_get_path (HV_FOLDER_NODE (object)));
  else if (HV_IS_VM_ITEM (object))
    target = g_variant_new_string (hv_vm_item_get_folder (HV_VM_ITEM (object)));
  else
    target = g_variant_new_string ("");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->new_folder_button), target);
}

/* After the tree changed: open the folders that were open, and find the selected VM again
 * (re-sorting or moving it between folders changes its row). */
static gboolean
restore_rows (gpointer data)
{
  HvWindow *self = data;
  GListModel *rows = G_LIST_MODEL (self->tree_model);
  guint selected_pos = GTK_INVALID_LIST_POSITION;

  self->restore_source = 0;

  /* Expanding a row inserts its children after it, so the count grows as we go. */
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (self->tree_model, i);
      g_autoptr(GObject) object = row_object (row);

      if (HV_IS_FOLDER_NODE (object))
        {
          gboolean want = hv_folder_node_get_expanded (HV_FOLDER_NODE (object));

          if (gtk_tree_list_row_get_expanded (row) != want)
            gtk_tree_list_row_set_expanded (row, want);
        }
      else if (object != NULL && object == (GObject *) self->selected)
        selected_pos = i;
    }

  if (self->selected != NULL)
    {
      if (selected_pos != GTK_INVALID_LIST_POSITION)
        {
          if (gtk_single_selection_get_selected (self->selection) != selected_pos)
            gtk_single_selection_set_selected (self->selection, selected_pos);
        }
      else if (!g_list_store_find (G_LIST_STORE (hv_engine_client_get_vms (self->client)),
                                   self->selected, NULL) &&
               !hv_folder_tree_is_filtering (self->tree))
        set_selected (self, NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
on_tree_rows_changed (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      HvWindow   *self)
{
  if (self->restore_source == 0)
    self->restore_source = g_idle_add (restore_rows, self);
}

/* ---- sidebar rows ---- */

typedef struct {
  GtkTreeExpander *expander;
  GtkImage *icon;
  GtkLabel *name;
  GtkLabel *state;
  GtkPopoverMenu *menu;
  GtkListItem *list_item;     /* borrowed: the row widgets live inside it */
  GPtrArray *bindings;
  gulong expanded_handler;
  GtkTreeListRow *row;        /* while bound */
} RowWidgets;

static void
row_widgets_free (gpointer data)
{
  RowWidgets *w = data;

  g_ptr_array_unref (w->bindings);
  g_free (w);
}

static gboolean
state_to_label (GBinding     *binding,
                const GValue *from,
                GValue       *to,
                gpointer      data)
{
  g_value_set_string (to, hv_vm_item_state_label (g_value_get_string (from)));
  return TRUE;
}

static gboolean
os_to_icon (GBinding     *binding,
            const GValue *from,
            GValue       *to,
            gpointer      data)
{
  g_value_set_string (to, hv_vm_item_os_icon_name (g_value_get_string (from)));
  return TRUE;
}

/* What a screen reader says for a row, and what the UI tests read: the name, then where it
 * is and what state it is in. */
static void
update_row_accessible (RowWidgets *w,
                       GObject    *object)
{
  g_autofree char *description = NULL;
  const char *label;

  if (HV_IS_FOLDER_NODE (object))
    {
      HvFolderNode *node = HV_FOLDER_NODE (object);

      label = hv_folder_node_get_name (node);
      /* Translators: accessible description of a folder row; %s is its path "Lab/Web" */
      description = g_strdup_printf (_("Folder %s"), hv_folder_node_get_path (node));
    }
  else
    {
      HvVmItem *item = HV_VM_ITEM (object);
      const char *folder = hv_vm_item_get_folder (item);

      label = hv_vm_item_get_name (item);
      if (folder[0] == '\0')
        /* Translators: accessible description of a VM row at the top level; %s: its state */
        description = g_strdup_printf (_("Virtual machine, %s"),
                                       hv_vm_item_state_label (hv_vm_item_get_state (item)));
      else
        /* Translators: accessible description of a VM row; %s: its state, %s: its folder */
        description = g_strdup_printf (_("Virtual machine, %s, in folder %s"),
                                       hv_vm_item_state_label (hv_vm_item_get_state (item)),
                                       folder);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (w->expander),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
on_row_item_notify (GObject    *object,
                    GParamSpec *pspec,
                    RowWidgets *w)
{
  update_row_accessible (w, object);
}

static void
on_row_expanded (GtkTreeListRow *row,
                 GParamSpec     *pspec,
                 gpointer        data)
{
  g_autoptr(GObject) object = row_object (row);

  /* The person opened or closed a folder: remember it. */
  if (HV_IS_FOLDER_NODE (object))
    hv_folder_node_set_expanded (HV_FOLDER_NODE (object), gtk_tree_list_row_get_expanded (row));
}

static GdkContentProvider *
on_drag_prepare (GtkDragSource *source,
                 double         x,
                 double         y,
                 RowWidgets    *w)
{
  g_autoptr(GObject) object = row_object (w->row);

  /* Only VMs are dragged; folders are moved with Rename. */
  if (!HV_IS_VM_ITEM (object))
    return NULL;
  return gdk_content_provider_new_typed (HV_TYPE_VM_ITEM, object);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         RowWidgets    *w)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (w->expander), HV_TYPE_WINDOW);
  g_autoptr(GObject) object = row_object (w->row);
  HvVmItem *dragged = g_value_get_object (value);
  const char *folder;

  if (window == NULL || dragged == NULL || object == NULL)
    return FALSE;

  /* Onto a folder: into it. Onto a VM: into that VM's folder. */
  if (HV_IS_FOLDER_NODE (object))
    folder = hv_folder_node_get_path (HV_FOLDER_NODE (object));
  else
    folder = hv_vm_item_get_folder (HV_VM_ITEM (object));
  if (g_strcmp0 (folder, hv_vm_item_get_folder (dragged)) == 0)
    return FALSE;

  hv_engine_client_call (HV_WINDOW (window)->client, dragged, "Move",
                         g_variant_new ("(s)", folder), HV_WINDOW (window)->cancellable,
                         hv_window_call_done, g_object_ref (window));
  return TRUE;
}

static void
on_row_context_menu (GtkGestureClick *gesture,
                     int              n_press,
                     double           x,
                     double           y,
                     RowWidgets      *w)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (w->expander), HV_TYPE_WINDOW);
  g_autoptr(GObject) object = row_object (w->row);
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();

  if (window == NULL || object == NULL)
    return;

  gtk_single_selection_set_selected (HV_WINDOW (window)->selection,
                                     gtk_list_item_get_position (w->list_item));

  if (HV_IS_FOLDER_NODE (object))
    {
      const char *path = hv_folder_node_get_path (HV_FOLDER_NODE (object));
      g_autoptr(GMenuItem) item = NULL;

      item = g_menu_item_new (_("New _Subfolder…"), NULL);
      g_menu_item_set_action_and_target (item, "win.new-folder", "s", path);
      g_menu_append_item (menu, item);
      g_clear_object (&item);
      item = g_menu_item_new (_("_Rename…"), NULL);
      g_menu_item_set_action_and_target (item, "win.rename-folder", "s", path);
      g_menu_append_item (menu, item);
      g_clear_object (&item);
      item = g_menu_item_new (_("_Delete Folder"), NULL);
      g_menu_item_set_action_and_target (item, "win.delete-folder", "s", path);
      g_menu_append_item (section, item);
    }
  else
    {
      g_menu_append (menu, _("_Start"), "vm.start");
      g_menu_append (menu, _("_Pause"), "vm.pause");
      g_menu_append (menu, _("_Resume"), "vm.resume");
      g_menu_append (menu, _("S_hut Down"), "vm.stop");
      g_menu_append (menu, _("Power _Off"), "vm.power-off");
      g_menu_append (menu, _("Se_ttings"), "vm.settings");
      g_menu_append (section, _("_Delete…"), "vm.delete");
    }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));

  gtk_popover_menu_set_menu_model (w->menu, G_MENU_MODEL (menu));
  gtk_popover_set_pointing_to (GTK_POPOVER (w->menu),
                               &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (w->menu));
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  data)
{
  RowWidgets *w = g_new0 (RowWidgets, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkDragSource *drag;
  GtkDropTarget *drop;
  GtkGesture *click;

  w->list_item = list_item;
  w->bindings = g_ptr_array_new ();
  w->expander = GTK_TREE_EXPANDER (gtk_tree_expander_new ());
  w->icon = GTK_IMAGE (gtk_image_new ());
  w->name = GTK_LABEL (gtk_label_new (NULL));
  w->state = GTK_LABEL (gtk_label_new (NULL));

  gtk_label_set_xalign (w->name, 0);
  gtk_label_set_ellipsize (w->name, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (w->name), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (w->state), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (w->state), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (w->icon));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (w->name));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (w->state));
  gtk_tree_expander_set_child (w->expander, box);

  w->menu = GTK_POPOVER_MENU (gtk_popover_menu_new_from_model (NULL));
  gtk_popover_set_has_arrow (GTK_POPOVER (w->menu), FALSE);
  gtk_widget_set_halign (GTK_WIDGET (w->menu), GTK_ALIGN_START);
  gtk_widget_set_parent (GTK_WIDGET (w->menu), box);

  drag = gtk_drag_source_new ();
  gtk_drag_source_set_actions (drag, GDK_ACTION_MOVE);
  g_signal_connect (drag, "prepare", G_CALLBACK (on_drag_prepare), w);
  gtk_widget_add_controller (GTK_WIDGET (w->expander), GTK_EVENT_CONTROLLER (drag));

  drop = gtk_drop_target_new (HV_TYPE_VM_ITEM, GDK_ACTION_MOVE);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), w);
  gtk_widget_add_controller (GTK_WIDGET (w->expander), GTK_EVENT_CONTROLLER (drop));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_row_context_menu), w);
  gtk_widget_add_controller (GTK_WIDGET (w->expander), GTK_EVENT_CONTROLLER (click));

  gtk_list_item_set_child (list_item, GTK_WIDGET (w->expander));
  g_object_set_data_full (G_OBJECT (list_item), "hv-row", w, row_widgets_free);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  data)
{
  RowWidgets *w = g_object_get_data (G_OBJECT (list_item), "hv-row");
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  g_autoptr(GObject) object = row_object (row);

  w->row = row;
  gtk_tree_expander_set_list_row (w->expander, row);
  w->expanded_handler = g_signal_connect (row, "notify::expanded",
                                          G_CALLBACK (on_row_expanded), NULL);

  if (HV_IS_FOLDER_NODE (object))
    {
      gtk_image_set_from_icon_name (w->icon, "folder-symbolic");
      gtk_label_set_text (w->name, hv_folder_node_get_name (HV_FOLDER_NODE (object)));
      gtk_widget_set_visible (GTK_WIDGET (w->state), FALSE);
    }
  else if (HV_IS_VM_ITEM (object))
    {
      gtk_widget_set_visible (GTK_WIDGET (w->state), TRUE);
      g_ptr_array_add (w->bindings,
                       g_object_bind_property (object, "name", w->name, "label",
                                               G_BINDING_SYNC_CREATE));
      g_ptr_array_add (w->bindings,
                       g_object_bind_property_full (object, "state", w->state, "label",
                                                    G_BINDING_SYNC_CREATE, state_to_label,
                                                    NULL, NULL, NULL));
      g_ptr_array_add (w->bindings,
                       g_object_bind_property_full (object, "os-id", w->icon, "icon-name",
                                                    G_BINDING_SYNC_CREATE, os_to_icon,
                                                    NULL, NULL, NULL));
      g_signal_connect (object, "notify::state", G_CALLBACK (on_row_item_notify), w);
      g_signal_connect (object, "notify::name", G_CALLBACK (on_row_item_notify), w);
    }
  if (object != NULL)
    update_row_accessible (w, object);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  data)
{
  RowWidgets *w = g_object_get_data (G_OBJECT (list_item), "hv-row");
  g_autoptr(GObject) object = row_object (w->row);

  for (guint i = 0; i < w->bindings->len; i++)
    g_binding_unbind (w->bindings->pdata[i]);
  g_ptr_array_set_size (w->bindings, 0);
  if (object != NULL)
    g_signal_handlers_disconnect_by_data (object, w);
  if (w->row != NULL)
    g_clear_signal_handler (&w->expanded_handler, w->row);
  gtk_tree_expander_set_list_row (w->expander, NULL);
  w->row = NULL;
}

/* ---- engine state ---- */

static void
update_main_page (HvWindow *self)
{
  gboolean connected = hv_engine_client_get_connected (self->client);
  guint n_vms = g_list_model_get_n_items (hv_engine_client_get_vms (self->client));
  const char * const *folders = hv_engine_client_get_folders (self->client);
  const char *error = hv_engine_client_get_last_error (self->client);

  /* The first listing may arrive a moment before the connection counts as up: show it. */
  if (!self->was_connected && !connected && n_vms == 0)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "connecting");
      adw_status_page_set_description (self->connecting_page, error);
      return;
    }
  if (n_vms == 0 && (folders == NULL || folders[0] == NULL) &&
      !hv_folder_tree_is_filtering (self->tree))
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  else
    gtk_stack_set_visible_child_name (self->main_stack, "library");
}

static void
update_banner (HvWindow *self)
{
  gboolean connected = hv_engine_client_get_connected (self->client);
  const char *error = hv_engine_client_get_last_error (self->client);
  g_autofree char *text = NULL;

  if (connected || !self->was_connected)
    {
      gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
      gtk_spinner_stop (self->banner_spinner);
      /* Hidden, not just slid away, so that assistive technologies stop announcing it. */
      gtk_widget_set_visible (GTK_WIDGET (self->banner_label), FALSE);
      return;
    }
  if (error != NULL)
    /* Translators: %s is why the last attempt to reach the engine failed */
    text = g_strdup_printf (_("The engine stopped — reconnecting… (%s)"), error);
  else
    text = g_strdup (_("The engine stopped — reconnecting…"));
  gtk_label_set_text (self->banner_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_label), TRUE);
  gtk_spinner_start (self->banner_spinner);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

static void
on_client_state (HvEngineClient *client,
                 GParamSpec     *pspec,
                 HvWindow       *self)
{
  if (hv_engine_client_get_connected (client))
    self->was_connected = TRUE;
  update_banner (self);
  update_main_page (self);
  update_actions (self);
}

static void
on_folders_changed (HvEngineClient *client,
                    GParamSpec     *pspec,
                    HvWindow       *self)
{
  hv_folder_tree_set_folders (self->tree, hv_engine_client_get_folders (client));
  update_main_page (self);
}

static void
on_vms_changed (GListModel *model,
                guint       position,
                guint       removed,
                guint       added,
                HvWindow   *self)
{
  update_main_page (self);
}

static void
on_search_changed (HvWindow       *self,
                   GtkSearchEntry *entry)
{
  hv_folder_tree_set_filter (self->tree, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static gboolean
on_file_drop (GtkDropTarget *target,
              const GValue  *value,
              double         x,
              double         y,
              HvWindow      *self)
{
  GSList *files = g_value_get_boxed (value);

  if (files == NULL)
    return FALSE;
  hv_window_new_vm (self, files->data);
  return TRUE;
}

/* ---- object ---- */

static void
hv_window_constructed (GObject *object)
{
  HvWindow *self = HV_WINDOW (object);
  g_autofree char *state_file = state_file_path ();
  GtkListItemFactory *factory;
  GtkDropTarget *drop;

  G_OBJECT_CLASS (hv_window_parent_class)->constructed (object);

  g_assert (self->client != NULL);
  hv_details_set_client (self->details, self->client);

  self->tree = hv_folder_tree_new (hv_engine_client_get_vms (self->client), state_file);
  hv_folder_tree_set_folders (self->tree, hv_engine_client_get_folders (self->client));
  self->tree_model = gtk_tree_list_model_new (g_object_ref (hv_folder_tree_get_root (self->tree)),
                                              FALSE, FALSE, hv_folder_tree_get_children,
                                              NULL, NULL);
  g_signal_connect (self->tree_model, "items-changed", G_CALLBACK (on_tree_rows_changed), self);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->tree_model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (on_selection_changed),
                    self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  gtk_list_view_set_factory (self->sidebar_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->sidebar_list, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->client, "notify::connected", G_CALLBACK (on_client_state),
                           self, 0);
  g_signal_connect_object (self->client, "notify::last-error", G_CALLBACK (on_client_state),
                           self, 0);
  g_signal_connect_object (self->client, "notify::folders", G_CALLBACK (on_folders_changed),
                           self, 0);
  g_signal_connect_object (hv_engine_client_get_vms (self->client), "items-changed",
                           G_CALLBACK (on_vms_changed), self, 0);

  /* An ISO or floppy image dropped anywhere on the window starts a new VM with it. */
  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_file_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self->main_stack), GTK_EVENT_CONTROLLER (drop));

  on_client_state (self->client, NULL, self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->tree_model)) > 0)
    on_tree_rows_changed (NULL, 0, 0, 0, self);
}

static void
hv_window_dispose (GObject *object)
{
  HvWindow *self = HV_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->restore_source, g_source_remove);
  if (self->selected != NULL)
    g_signal_handlers_disconnect_by_data (self->selected, self);
  g_clear_object (&self->selected);
  if (self->sidebar_list != NULL)
    gtk_list_view_set_model (self->sidebar_list, NULL);
  if (self->tree_model != NULL)
    g_signal_handlers_disconnect_by_data (self->tree_model, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->tree_model);
  if (self->tree != NULL)
    hv_folder_tree_save_state (self->tree);
  g_clear_object (&self->tree);

  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_WINDOW);

  G_OBJECT_CLASS (hv_window_parent_class)->dispose (object);
}

static void
hv_window_finalize (GObject *object)
{
  HvWindow *self = HV_WINDOW (object);

  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_free (self->pending_demo);

  G_OBJECT_CLASS (hv_window_parent_class)->finalize (object);
}

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static void
hv_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  HvWindow *self = HV_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HvWindow *self = HV_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_window_class_init (HvWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = hv_window_constructed;
  object_class->dispose = hv_window_dispose;
  object_class->finalize = hv_window_finalize;
  object_class->set_property = hv_window_set_property;
  object_class->get_property = hv_window_get_property;

  g_object_class_install_property (object_class, PROP_CLIENT,
    g_param_spec_object ("client", NULL, NULL, HV_TYPE_ENGINE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_type_ensure (HV_TYPE_DETAILS);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HvWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, banner_spinner);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, connecting_page);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, details_stack);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, details);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, new_folder_button);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);

  gtk_widget_class_install_action (widget_class, "vm.start", NULL, vm_start);
  gtk_widget_class_install_action (widget_class, "vm.stop", NULL, vm_stop);
  gtk_widget_class_install_action (widget_class, "vm.power-off", NULL, vm_power_off);
  gtk_widget_class_install_action (widget_class, "vm.reset", NULL, vm_reset);
  gtk_widget_class_install_action (widget_class, "vm.pause", NULL, vm_pause);
  gtk_widget_class_install_action (widget_class, "vm.resume", NULL, vm_resume);
  gtk_widget_class_install_action (widget_class, "vm.settings", NULL, vm_settings);
  gtk_widget_class_install_action (widget_class, "vm.delete", NULL, vm_delete);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-vm",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "vm.delete", NULL);
}

static void
hv_window_init (HvWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions),
                                   self);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));
}

HvWindow *
hv_window_new (AdwApplication *application,
               HvEngineClient *client)
{
  return g_object_new (HV_TYPE_WINDOW, "application", application, "client", client, NULL);
}
