/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-window.h"

#include <glib/gi18n.h>

#include "hv-clone-dialog.h"
#include "hv-connection-button.h"
#include "hv-details.h"
#include "hv-engine-client-remote.h"
#include "hv-engine-client-snapshots.h"
#include "hv-export-dialog.h"
#include "hv-folder-tree.h"
#include "hv-import-dialog.h"
#include "hv-messages.h"
#include "hv-network-manager.h"
#include "hv-new-vm-dialog.h"
#include "hv-settings-dialog.h"
#include "hv-sidebar-row.h"
#include "hv-snapshots-page.h"
#include "hv-window-private.h"
#include "hv-remote-files.h"

struct _HvWindow
{
  AdwApplicationWindow parent_instance;

  /* owned */
  HvEngineClient *client;
  char *pending_demo;       /* object path of a demo VM to start once its row exists */
  char *pending_select;     /* object path of a new VM to select once its row exists */
  HvFolderTree *tree;
  GtkTreeListModel *tree_model;
  GtkSingleSelection *selection;
  GCancellable *cancellable;
  HvVmItem *selected;          /* the VM shown in the details, kept across re-sorting */
  guint restore_source;
  gboolean was_connected;
  gboolean creating_demo;

  /* template widgets */
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkSpinner *banner_spinner;
  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  AdwStatusPage *connecting_page;
  GtkWidget *demo_progress;
  GtkSpinner *demo_spinner;
  GtkSearchEntry *search_entry;
  GtkStack *sidebar_stack;
  GtkListView *sidebar_list;
  GtkStack *details_stack;
  HvDetails *details;
  GtkStack *vm_view_stack;
  HvSnapshotsPage *snapshots_page;
  GtkWidget *new_folder_button;
  AdwWindowTitle *window_title;
  HvConnectionButton *connection_button;
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
hv_window_show_message (HvWindow   *self,
                        const char *message)
{
  AdwToast *toast;

  g_return_if_fail (HV_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 4);
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
    {
      g_autofree char *message = hv_messages_error (error);
      hv_window_show_error (self, message);
    }
}

HvVmItem *
hv_window_get_selected (HvWindow *self)
{
  g_return_val_if_fail (HV_IS_WINDOW (self), NULL);
  return self->selected;
}

static int
compare_path_ptrs (gconstpointer a,
                   gconstpointer b)
{
  return hv_folder_compare_paths (*(const char * const *) a, *(const char * const *) b);
}

char **
hv_window_list_folders (HvWindow *self)
{
  const char * const *folders = hv_engine_client_get_folders (self->client);
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GListModel *vms = hv_engine_client_get_vms (self->client);
  guint n = g_list_model_get_n_items (vms);

  /* The engine's list, and the folders that only exist because a VM is in them. */
  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    if (folders[i][0] != '\0' && g_hash_table_add (seen, (gpointer) folders[i]))
      g_ptr_array_add (all, g_strdup (folders[i]));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (vms, i);
      const char *folder = hv_vm_item_get_folder (item);

      if (folder[0] != '\0' && !g_hash_table_contains (seen, folder))
        {
          char *copy = g_strdup (folder);

          g_hash_table_add (seen, copy);
          g_ptr_array_add (all, copy);
        }
    }
  g_ptr_array_sort (all, compare_path_ptrs);
  g_ptr_array_add (all, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&all), FALSE);
}

void
hv_window_move_vm (HvWindow   *self,
                   HvVmItem   *item,
                   const char *folder)
{
  g_return_if_fail (HV_IS_WINDOW (self));
  g_return_if_fail (HV_IS_VM_ITEM (item));

  hv_engine_client_call (self->client, item, "Move", g_variant_new ("(s)", folder),
                         self->cancellable, hv_window_call_done, g_object_ref (self));
}

/* ---- actions ---- */

static gboolean
is_live (HvVmItem *item)
{
  const char *state = item != NULL ? hv_vm_item_get_state (item) : NULL;

  return g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "paused") == 0;
}

static void
update_actions (HvWindow *self)
{
  HvVmItem *item = self->selected;
  gboolean connected = hv_engine_client_get_connected (self->client);
  GtkWidget *widget = GTK_WIDGET (self);
  GAction *demo = g_action_map_lookup_action (G_ACTION_MAP (self), "demo-vm");

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
  gtk_widget_action_set_enabled (widget, "vm.show-console", connected && is_live (item));
  gtk_widget_action_set_enabled (widget, "vm.settings", item != NULL && connected);
  gtk_widget_action_set_enabled (widget, "vm.rename", item != NULL && connected);
  gtk_widget_action_set_enabled (widget, "vm.move-to", item != NULL && connected);
  gtk_widget_action_set_enabled (widget, "vm.delete", item != NULL && connected);
  /* Snapshots, save state, clones: the engine's Can* and Operation (hv-snapshots-page.c). */
  gtk_widget_action_set_enabled (widget, "vm.take-snapshot",
                                 item && hv_vm_item_get_can_take_snapshot (item));
  gtk_widget_action_set_enabled (widget, "vm.save-state",
                                 item && hv_vm_item_get_can_save_state (item));
  gtk_widget_action_set_enabled (widget, "vm.discard-state",
                                 item && hv_vm_item_get_saved_state (item) &&
                                 hv_vm_item_get_operation (item)[0] == '\0');
  gtk_widget_action_set_enabled (widget, "vm.clone", item != NULL && connected &&
                                 hv_vm_item_get_operation (item)[0] == '\0');
  gtk_widget_action_set_enabled (widget, "vm.export", item != NULL && connected &&
                                 hv_vm_item_get_operation (item)[0] == '\0');
  if (demo != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (demo), connected && !self->creating_demo);
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

/* Power off and reset lose what the guest has not saved: they ask first. */
static void
vm_power_off (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_window_confirm_power_dialog (self, self->selected, "PowerOff");
}

static void
vm_reset (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_window_confirm_power_dialog (self, self->selected, "Reset");
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
vm_show_console (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_details_show_console (self->details);
}

static void
vm_settings (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_settings_dialog_present (GTK_WINDOW (self), self->client, self->selected);
}

static void
vm_rename (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_window_rename_vm_dialog (self, self->selected);
}

static void
vm_move_to (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);
  const char *folder = g_variant_get_string (param, NULL);

  if (self->selected != NULL && g_strcmp0 (folder, hv_vm_item_get_folder (self->selected)) != 0)
    hv_window_move_vm (self, self->selected, folder);
}

static void
vm_delete (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_window_delete_vm_dialog (self, self->selected);
}

/* Snapshots and save state: long jobs in the engine (no reply timeout). */
static void
vm_take_snapshot (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected == NULL)
    return;
  gtk_stack_set_visible_child_name (self->vm_view_stack, "snapshots");
  hv_snapshots_page_take (self->snapshots_page);
}

static void
vm_save_state (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_engine_client_long_call (self->client, self->selected, "SaveState", NULL,
                                self->cancellable, hv_window_long_call_done,
                                g_object_ref (self));
}

static void
vm_discard_state (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_window_discard_state_dialog (self, self->selected);
}

static void
vm_clone (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_clone_dialog_present (GTK_WINDOW (self), self->client, self->selected, NULL);
}

static void
vm_export (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (self->selected != NULL)
    hv_export_dialog_present (GTK_WINDOW (self), self->client, self->selected);
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

/* Ctrl+Shift+N: beside what is selected, as the header bar's button does. */
static void
win_new_folder_here (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  gtk_widget_activate (self->new_folder_button);
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

/* Shift+F10 or the Menu key on a sidebar row (the list item has the focus, not the row). */
static void
win_context_menu (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (widget));

  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    {
      GtkWidget *child = gtk_widget_get_first_child (w);

      if (HV_IS_SIDEBAR_ROW (w) || HV_IS_SIDEBAR_ROW (child))
        {
          hv_sidebar_row_popup_menu (HV_SIDEBAR_ROW (HV_IS_SIDEBAR_ROW (w) ? w : child));
          return;
        }
      if (w == GTK_WIDGET (HV_WINDOW (widget)->sidebar_list))
        break;
    }
}

static void
win_search (GtkWidget *widget, const char *action, GVariant *param)
{
  HvWindow *self = HV_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "library") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* The demo VM: the engine builds it (a few seconds, shown as progress at once), then it is
 * selected and started, so a new user sees a guest boot without choosing anything. Its row
 * may appear a moment after CreateDemoVm answers (VmAdded, then the proxy): until then the
 * start waits for it. */
static gboolean
start_pending_demo (HvWindow *self)
{
  HvVmItem *item;

  if (self->pending_demo == NULL)
    return TRUE;
  item = hv_engine_client_lookup (self->client, self->pending_demo);
  if (item == NULL || hv_vm_item_get_proxy (item) == NULL)
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
set_creating_demo (HvWindow *self,
                   gboolean  creating)
{
  self->creating_demo = creating;
  gtk_widget_set_visible (self->demo_progress, creating);
  if (creating)
    gtk_spinner_start (self->demo_spinner);
  else
    gtk_spinner_stop (self->demo_spinner);
  update_actions (self);
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
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_creating_demo (self, FALSE);
  if (reply == NULL)
    {
      g_autofree char *message = hv_messages_error (error);
      hv_window_show_error (self, message);
      return;
    }
  g_variant_get (reply, "(&o)", &path);
  hv_window_select_vm (self, path);
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

  if (self->creating_demo)
    return;
  set_creating_demo (self, TRUE);
  /* The welcome page shows the progress; from the menu, with VMs listed, a toast does. */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "welcome") != 0)
    hv_window_show_message (self, _("Creating the demo virtual machine…"));
  hv_engine_client_call (self->client, NULL, "CreateDemoVm", NULL, self->cancellable,
                         on_demo_created, g_object_ref (self));
}

static void
win_import_appliance (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvWindow *self = HV_WINDOW (data);

  hv_import_dialog_choose (GTK_WINDOW (self), self->client);
}

static void
win_network_manager (GSimpleAction *action, GVariant *param, gpointer data)
{
  HvWindow *self = HV_WINDOW (data);

  hv_network_manager_present (GTK_WINDOW (self), self->client);
}

static const GActionEntry win_actions[] = {
  { "new-vm", win_new_vm },
  { "network-manager", win_network_manager },
  { "import-appliance", win_import_appliance },
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
  if (media != NULL && hv_remote_files_refuse (self->client, GTK_WIDGET (self)))
    return;
  /* An OVA or OVF (dropped, or opened with the app) is imported instead. */
  if (media != NULL && hv_import_dialog_is_appliance (media))
    hv_import_dialog_present (GTK_WINDOW (self), self->client, media);
  else
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
  hv_snapshots_page_set_item (self->snapshots_page, item);
  if (item != NULL)
    hv_snapshots_load_properties (self->client, item);
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
update_sidebar_page (HvWindow *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->tree_model)) == 0;

  /* An empty list while searching: say so, rather than show nothing. */
  gtk_stack_set_visible_child_name (self->sidebar_stack,
                                    empty && hv_folder_tree_is_filtering (self->tree)
                                      ? "no-results" : "list");
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
  update_sidebar_page (self);
}

/* Show @item: open the folders above it, clear a search that hides it, then restore_rows()
 * selects its row. */
static void
reveal_and_select (HvWindow *self,
                   HvVmItem *item)
{
  if (hv_folder_tree_is_filtering (self->tree) &&
      hv_folder_tree_lookup_parent (self->tree, item) == NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  hv_folder_tree_reveal (self->tree, item);
  set_selected (self, item);
  g_clear_handle_id (&self->restore_source, g_source_remove);
  restore_rows (self);
}

static void
select_pending (HvWindow *self)
{
  HvVmItem *item;

  if (self->pending_select == NULL)
    return;
  item = hv_engine_client_lookup (self->client, self->pending_select);
  if (item == NULL)
    return;
  g_clear_pointer (&self->pending_select, g_free);
  reveal_and_select (self, item);
}

void
hv_window_select_vm (HvWindow   *self,
                     const char *object_path)
{
  g_return_if_fail (HV_IS_WINDOW (self));
  g_return_if_fail (object_path != NULL);

  /* A VM made a moment ago may not be listed yet (VmAdded comes after CreateVm's reply):
   * it is selected when it is. */
  g_free (self->pending_select);
  self->pending_select = g_strdup (object_path);
  select_pending (self);
}

/* ---- sidebar rows ---- */

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  data)
{
  gtk_list_item_set_child (list_item, hv_sidebar_row_new ());
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  data)
{
  hv_sidebar_row_bind (HV_SIDEBAR_ROW (gtk_list_item_get_child (list_item)),
                       gtk_list_item_get_item (list_item));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  data)
{
  hv_sidebar_row_bind (HV_SIDEBAR_ROW (gtk_list_item_get_child (list_item)), NULL);
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

  /* An engine on another host: its own words, also when it cannot be reached at all. */
  if (!connected)
    text = hv_engine_client_dup_remote_banner (self->client, self->was_connected);
  if (connected || (!self->was_connected && text == NULL))
    {
      gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
      gtk_spinner_stop (self->banner_spinner);
      /* Hidden, not just slid away, so that assistive technologies stop announcing it. */
      gtk_widget_set_visible (GTK_WIDGET (self->banner_label), FALSE);
      return;
    }
  if (text != NULL)
    ;
  else if (error != NULL)
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

/* Another engine (hv_engine_client_set_remote()): a new library, a new title. */
static void
on_remote_changed (HvEngineClient *client,
                   GParamSpec     *pspec,
                   HvWindow       *self)
{
  g_autofree char *host = hv_engine_client_dup_host_label (client);
  g_autofree char *title = NULL;

  self->was_connected = FALSE;
  if (hv_engine_client_get_remote (client) != NULL)
    {
      /* Translators: the window's title; %s is the host whose VMs it shows */
      title = g_strdup_printf (_("Hostvisor — %s"), host);
      adw_window_title_set_subtitle (self->window_title, host);
    }
  else
    adw_window_title_set_subtitle (self->window_title, NULL);
  gtk_window_set_title (GTK_WINDOW (self), title != NULL ? title : _("Hostvisor"));
  on_client_state (client, NULL, self);
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
  select_pending (self);
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
  /* While the window shows another computer, this refuses with the reason. */
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
  hv_snapshots_page_set_client (self->snapshots_page, self->client);

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
  g_signal_connect_object (self->client, "notify::remote-address",
                           G_CALLBACK (on_remote_changed), self, 0);
  hv_connection_button_set_client (self->connection_button, self->client);
  g_signal_connect_object (hv_engine_client_get_vms (self->client), "items-changed",
                           G_CALLBACK (on_vms_changed), self, 0);

  /* An ISO or floppy image dropped anywhere on the window starts a new VM with it; an OVA or
   * OVF opens the import (hv_window_new_vm). */
  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_file_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self->main_stack), GTK_EVENT_CONTROLLER (drop));

  on_remote_changed (self->client, NULL, self);
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
  g_free (self->pending_select);

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
  g_type_ensure (HV_TYPE_SNAPSHOTS_PAGE);
  g_type_ensure (HV_TYPE_CONNECTION_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HvWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, connection_button);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, banner_spinner);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, connecting_page);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, demo_progress);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, demo_spinner);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, details_stack);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, details);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, vm_view_stack);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, snapshots_page);
  gtk_widget_class_bind_template_child (widget_class, HvWindow, new_folder_button);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);

  gtk_widget_class_install_action (widget_class, "vm.start", NULL, vm_start);
  gtk_widget_class_install_action (widget_class, "vm.stop", NULL, vm_stop);
  gtk_widget_class_install_action (widget_class, "vm.power-off", NULL, vm_power_off);
  gtk_widget_class_install_action (widget_class, "vm.reset", NULL, vm_reset);
  gtk_widget_class_install_action (widget_class, "vm.pause", NULL, vm_pause);
  gtk_widget_class_install_action (widget_class, "vm.resume", NULL, vm_resume);
  gtk_widget_class_install_action (widget_class, "vm.show-console", NULL, vm_show_console);
  gtk_widget_class_install_action (widget_class, "vm.settings", NULL, vm_settings);
  gtk_widget_class_install_action (widget_class, "vm.rename", NULL, vm_rename);
  gtk_widget_class_install_action (widget_class, "vm.move-to", "s", vm_move_to);
  gtk_widget_class_install_action (widget_class, "vm.delete", NULL, vm_delete);
  gtk_widget_class_install_action (widget_class, "vm.take-snapshot", NULL, vm_take_snapshot);
  gtk_widget_class_install_action (widget_class, "vm.save-state", NULL, vm_save_state);
  gtk_widget_class_install_action (widget_class, "vm.discard-state", NULL, vm_discard_state);
  gtk_widget_class_install_action (widget_class, "vm.clone", NULL, vm_clone);
  gtk_widget_class_install_action (widget_class, "vm.export", NULL, vm_export);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, win_search);
  gtk_widget_class_install_action (widget_class, "win.context-menu", NULL, win_context_menu);
  gtk_widget_class_install_action (widget_class, "win.new-folder-here", NULL,
                                   win_new_folder_here);

  /* The window's shortcuts; the Keyboard Shortcuts window (hv-shortcuts-window.ui) lists them
   * with the application's (hv-application.c). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-vm",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.new-folder-here", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "vm.rename", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_ALT_MASK, "vm.settings",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "vm.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK,
                                       "win.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "win.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
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
