/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-sidebar-row.h"

#include <glib/gi18n.h>

#include "hv-folder-tree.h"
#include "hv-messages.h"
#include "hv-vm-item.h"
#include "hv-window-private.h"

struct _HvSidebarRow
{
  GtkWidget parent_instance;

  /* owned, while bound */
  GtkTreeListRow *row;
  GObject *item;              /* the row's HvFolderNode or HvVmItem */
  GBinding *bindings[3];
  gulong expanded_handler;

  /* template widgets */
  GtkTreeExpander *expander;
  GtkImage *icon;
  GtkLabel *name_label;
  GtkLabel *state_label;
  GtkPopoverMenu *menu;
};

G_DEFINE_FINAL_TYPE (HvSidebarRow, hv_sidebar_row, GTK_TYPE_WIDGET)

/* ---- what the row shows ---- */

static gboolean
state_to_label (GBinding     *binding,
                const GValue *from,
                GValue       *to,
                gpointer      data)
{
  HvVmItem *item = data;

  if (item != NULL && hv_vm_item_get_saved_state (item) &&
      g_strcmp0 (g_value_get_string (from), "poweroff") == 0)
    g_value_set_string (to, _("Saved"));
  else
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
update_accessible (HvSidebarRow *self)
{
  g_autofree char *description = NULL;
  const char *label;

  if (HV_IS_FOLDER_NODE (self->item))
    {
      HvFolderNode *node = HV_FOLDER_NODE (self->item);

      label = hv_folder_node_get_name (node);
      /* Translators: accessible description of a folder row; %s is its path "Lab/Web" */
      description = g_strdup_printf (_("Folder %s"), hv_folder_node_get_path (node));
    }
  else if (HV_IS_VM_ITEM (self->item))
    {
      HvVmItem *item = HV_VM_ITEM (self->item);
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
  else
    return;

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->expander),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
on_saved_state (HvVmItem     *item,
                GParamSpec   *pspec,
                HvSidebarRow *self)
{
  gtk_label_set_text (self->state_label,
                      hv_vm_item_get_saved_state (item) &&
                      g_strcmp0 (hv_vm_item_get_state (item), "poweroff") == 0
                        ? _("Saved") : hv_vm_item_state_label (hv_vm_item_get_state (item)));
}

static void
on_item_notify (GObject      *item,
                GParamSpec   *pspec,
                HvSidebarRow *self)
{
  update_accessible (self);
}

static void
on_row_expanded (GtkTreeListRow *row,
                 GParamSpec     *pspec,
                 HvSidebarRow   *self)
{
  /* The person opened or closed a folder: remember it. */
  if (HV_IS_FOLDER_NODE (self->item))
    hv_folder_node_set_expanded (HV_FOLDER_NODE (self->item),
                                 gtk_tree_list_row_get_expanded (row));
}

/* Everything bound is undone against the objects it was made with: a list row that the tree
 * model dropped no longer knows its item (gtk_tree_list_row_get_item() says NULL), so asking
 * it here would leave the item's handlers pointing at this row after it is reused or freed. */
static void
unbind (HvSidebarRow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->bindings); i++)
    if (self->bindings[i] != NULL)
      {
        g_binding_unbind (self->bindings[i]);
        self->bindings[i] = NULL;
      }
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->row != NULL)
    g_clear_signal_handler (&self->expanded_handler, self->row);
  gtk_tree_expander_set_list_row (self->expander, NULL);
  gtk_popover_popdown (GTK_POPOVER (self->menu));
  g_clear_object (&self->item);
  g_clear_object (&self->row);
}

void
hv_sidebar_row_bind (HvSidebarRow   *self,
                     GtkTreeListRow *row)
{
  g_return_if_fail (HV_IS_SIDEBAR_ROW (self));
  g_return_if_fail (row == NULL || GTK_IS_TREE_LIST_ROW (row));

  unbind (self);
  if (row == NULL)
    return;

  self->row = g_object_ref (row);
  self->item = gtk_tree_list_row_get_item (row);
  gtk_tree_expander_set_list_row (self->expander, row);
  self->expanded_handler = g_signal_connect (row, "notify::expanded",
                                             G_CALLBACK (on_row_expanded), self);

  if (HV_IS_FOLDER_NODE (self->item))
    {
      gtk_image_set_from_icon_name (self->icon, "folder-symbolic");
      gtk_label_set_text (self->name_label, hv_folder_node_get_name (HV_FOLDER_NODE (self->item)));
      gtk_widget_set_visible (GTK_WIDGET (self->state_label), FALSE);
      gtk_widget_add_css_class (GTK_WIDGET (self), "hv-folder-row");
      gtk_widget_remove_css_class (GTK_WIDGET (self), "hv-vm-row");
    }
  else if (HV_IS_VM_ITEM (self->item))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->state_label), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self), "hv-vm-row");
      gtk_widget_remove_css_class (GTK_WIDGET (self), "hv-folder-row");
      self->bindings[0] = g_object_bind_property (self->item, "name", self->name_label, "label",
                                                  G_BINDING_SYNC_CREATE);
      /* The state's label, or "Saved" for a VM powered off with its running state saved. */
      self->bindings[1] = g_object_bind_property_full (self->item, "state", self->state_label,
                                                       "label", G_BINDING_SYNC_CREATE,
                                                       state_to_label, NULL, self->item, NULL);
      g_signal_connect (self->item, "notify::saved-state", G_CALLBACK (on_saved_state), self);
      self->bindings[2] = g_object_bind_property_full (self->item, "os-id", self->icon,
                                                       "icon-name", G_BINDING_SYNC_CREATE,
                                                       os_to_icon, NULL, NULL, NULL);
      g_signal_connect (self->item, "notify::state", G_CALLBACK (on_item_notify), self);
      g_signal_connect (self->item, "notify::name", G_CALLBACK (on_item_notify), self);
      g_signal_connect (self->item, "notify::folder", G_CALLBACK (on_item_notify), self);
    }
  /* A top-level VM sits at the folders' depth: its row is marked so that the style can set
   * it apart from the VMs inside an open folder just above it. */
  if (gtk_tree_list_row_get_depth (row) == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "hv-top-level");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "hv-top-level");
  update_accessible (self);
}

GObject *
hv_sidebar_row_get_item (HvSidebarRow *self)
{
  g_return_val_if_fail (HV_IS_SIDEBAR_ROW (self), NULL);
  return self->item;
}

/* A long name is cut with "…" in the row: its tooltip then shows it whole. */
static gboolean
on_name_query_tooltip (GtkLabel   *label,
                       int         x,
                       int         y,
                       gboolean    keyboard,
                       GtkTooltip *tooltip,
                       gpointer    data)
{
  if (!pango_layout_is_ellipsized (gtk_label_get_layout (label)))
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_text (label));
  return TRUE;
}

/* ---- drag and drop ---- */

static HvWindow *
get_window (HvSidebarRow *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), HV_TYPE_WINDOW);

  return window != NULL ? HV_WINDOW (window) : NULL;
}

static GdkContentProvider *
on_drag_prepare (GtkDragSource *source,
                 double         x,
                 double         y,
                 HvSidebarRow  *self)
{
  /* Only VMs are dragged; folders are moved with Rename. */
  if (!HV_IS_VM_ITEM (self->item))
    return NULL;
  return gdk_content_provider_new_typed (HV_TYPE_VM_ITEM, self->item);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         HvSidebarRow  *self)
{
  HvWindow *window = get_window (self);
  HvVmItem *dragged = g_value_get_object (value);
  const char *folder;

  if (window == NULL || dragged == NULL || self->item == NULL)
    return FALSE;

  /* Onto a folder: into it. Onto a VM: into that VM's folder. */
  if (HV_IS_FOLDER_NODE (self->item))
    folder = hv_folder_node_get_path (HV_FOLDER_NODE (self->item));
  else
    folder = hv_vm_item_get_folder (HV_VM_ITEM (self->item));
  if (g_strcmp0 (folder, hv_vm_item_get_folder (dragged)) == 0)
    return FALSE;

  hv_window_move_vm (window, dragged, folder);
  return TRUE;
}

/* ---- context menu ---- */

static GMenuModel *
folder_menu (const char *path)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
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
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  return G_MENU_MODEL (menu);
}

/* "Move to Folder": the top level and every folder but the VM's own. */
static GMenuModel *
move_menu (HvWindow *window,
           HvVmItem *vm)
{
  GMenu *menu = g_menu_new ();
  g_auto(GStrv) folders = hv_window_list_folders (window);
  const char *current = hv_vm_item_get_folder (vm);

  if (current[0] != '\0')
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("_Top Level"), NULL);

      g_menu_item_set_action_and_target (item, "vm.move-to", "s", "");
      g_menu_append_item (menu, item);
    }
  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = NULL;

      if (g_strcmp0 (folders[i], current) == 0)
        continue;
      /* The path, not a mnemonic: "Lab/Web" as written. */
      item = g_menu_item_new (NULL, NULL);
      g_menu_item_set_attribute (item, "label", "s", folders[i]);
      g_menu_item_set_attribute (item, "use-markup", "b", FALSE);
      g_menu_item_set_action_and_target (item, "vm.move-to", "s", folders[i]);
      g_menu_append_item (menu, item);
    }
  return G_MENU_MODEL (menu);
}

static GMenuModel *
vm_menu (HvWindow *window,
         HvVmItem *vm)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) power = g_menu_new ();
  g_autoptr(GMenu) manage = g_menu_new ();
  g_autoptr(GMenu) danger = g_menu_new ();
  g_autoptr(GMenuModel) move = move_menu (window, vm);

  g_menu_append (power, _("_Start"), "vm.start");
  g_menu_append (power, _("Show _Console"), "vm.show-console");
  g_menu_append (power, _("_Pause"), "vm.pause");
  g_menu_append (power, _("_Resume"), "vm.resume");
  g_menu_append (power, _("S_hut Down"), "vm.stop");
  g_menu_append (power, _("Power _Off…"), "vm.power-off");
  g_menu_append (power, _("Rese_t…"), "vm.reset");
  g_menu_append (power, _("Save St_ate"), "vm.save-state");
  g_menu_append (power, _("D_iscard Saved State…"), "vm.discard-state");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (power));
  g_menu_append (manage, _("Take Sn_apshot…"), "vm.take-snapshot");
  g_menu_append (manage, _("_Clone…"), "vm.clone");
  g_menu_append (manage, _("E_xport…"), "vm.export");
  g_menu_append (manage, _("Re_name…"), "vm.rename");
  if (g_menu_model_get_n_items (move) > 0)
    g_menu_append_submenu (manage, _("_Move to Folder"), move);
  g_menu_append (manage, _("Se_ttings"), "vm.settings");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (manage));
  g_menu_append (danger, _("_Delete…"), "vm.delete");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (danger));
  return G_MENU_MODEL (menu);
}

static void
popup_menu (HvSidebarRow *self,
            double        x,
            double        y)
{
  HvWindow *window = get_window (self);
  g_autoptr(GMenuModel) model = NULL;

  if (window == NULL || self->row == NULL || self->item == NULL)
    return;

  /* The menu acts on the row it was opened on: select it first, as a file manager does. */
  gtk_widget_activate_action (GTK_WIDGET (self), "list.select-item", "(ubb)",
                              gtk_tree_list_row_get_position (self->row), FALSE, FALSE);

  if (HV_IS_FOLDER_NODE (self->item))
    model = folder_menu (hv_folder_node_get_path (HV_FOLDER_NODE (self->item)));
  else
    model = vm_menu (window, HV_VM_ITEM (self->item));
  gtk_popover_menu_set_menu_model (self->menu, model);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu),
                               &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

static void
on_secondary_click (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    HvSidebarRow    *self)
{
  popup_menu (self, x, y);
}

void
hv_sidebar_row_popup_menu (HvSidebarRow *self)
{
  g_return_if_fail (HV_IS_SIDEBAR_ROW (self));
  popup_menu (self, 24, gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

/* ---- object ---- */

static void
hv_sidebar_row_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  HvSidebarRow *self = HV_SIDEBAR_ROW (widget);

  gtk_widget_allocate (GTK_WIDGET (self->expander), width, height, baseline, NULL);
  /* A popover's parent places it. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->menu)))
    gtk_popover_present (GTK_POPOVER (self->menu));
}

static void
hv_sidebar_row_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  gtk_widget_measure (GTK_WIDGET (HV_SIDEBAR_ROW (widget)->expander), orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

static void
hv_sidebar_row_dispose (GObject *object)
{
  HvSidebarRow *self = HV_SIDEBAR_ROW (object);

  unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SIDEBAR_ROW);

  G_OBJECT_CLASS (hv_sidebar_row_parent_class)->dispose (object);
}

static void
hv_sidebar_row_class_init (HvSidebarRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_sidebar_row_dispose;
  widget_class->measure = hv_sidebar_row_measure;
  widget_class->size_allocate = hv_sidebar_row_size_allocate;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-sidebar-row.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSidebarRow, expander);
  gtk_widget_class_bind_template_child (widget_class, HvSidebarRow, icon);
  gtk_widget_class_bind_template_child (widget_class, HvSidebarRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, HvSidebarRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, HvSidebarRow, menu);

  gtk_widget_class_set_css_name (widget_class, "hvsidebarrow");
}

static void
hv_sidebar_row_init (HvSidebarRow *self)
{
  GtkDragSource *drag;
  GtkDropTarget *drop;
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->name_label), TRUE);
  g_signal_connect (self->name_label, "query-tooltip", G_CALLBACK (on_name_query_tooltip), NULL);

  drag = gtk_drag_source_new ();
  gtk_drag_source_set_actions (drag, GDK_ACTION_MOVE);
  g_signal_connect (drag, "prepare", G_CALLBACK (on_drag_prepare), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  drop = gtk_drop_target_new (HV_TYPE_VM_ITEM, GDK_ACTION_MOVE);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
hv_sidebar_row_new (void)
{
  return g_object_new (HV_TYPE_SIDEBAR_ROW, NULL);
}
