/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-snapshots-page.h"

#include <glib/gi18n.h>

#include "hv-clone-dialog.h"
#include "hv-engine-client-snapshots.h"
#include "hv-error.h"
#include "hv-messages.h"
#include "hv-snapshot-dialog.h"
#include "hv-window.h"

#define THUMBNAIL_WIDTH 64
#define THUMBNAIL_HEIGHT 48
#define PULSE_INTERVAL_MS 150

/* ---- one row of the tree: a snapshot, or "Current state" ---- */

#define HV_TYPE_SNAPSHOT_NODE (hv_snapshot_node_get_type ())
G_DECLARE_FINAL_TYPE (HvSnapshotNode, hv_snapshot_node, HV, SNAPSHOT_NODE, GObject)

struct _HvSnapshotNode
{
  GObject parent_instance;

  char *id;                 /* NULL for "Current state" */
  char *name;
  char *description;
  char *kind;               /* "live", "disk" */
  char *vm_state;
  char *machine_type;
  gint64 created;
  gboolean has_thumbnail;
  GListStore *children;     /* HvSnapshotNode */
  GdkPaintable *thumbnail;  /* once loaded */
};

G_DEFINE_FINAL_TYPE (HvSnapshotNode, hv_snapshot_node, G_TYPE_OBJECT)

enum { NODE_PROP_0, NODE_PROP_THUMBNAIL, NODE_N_PROPS };
static GParamSpec *node_properties[NODE_N_PROPS];

static void
hv_snapshot_node_finalize (GObject *object)
{
  HvSnapshotNode *self = HV_SNAPSHOT_NODE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->description);
  g_free (self->kind);
  g_free (self->vm_state);
  g_free (self->machine_type);
  g_clear_object (&self->children);
  g_clear_object (&self->thumbnail);
  G_OBJECT_CLASS (hv_snapshot_node_parent_class)->finalize (object);
}

static void
hv_snapshot_node_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HvSnapshotNode *self = HV_SNAPSHOT_NODE (object);

  if (prop_id == NODE_PROP_THUMBNAIL)
    g_value_set_object (value, self->thumbnail);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
hv_snapshot_node_class_init (HvSnapshotNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hv_snapshot_node_finalize;
  object_class->get_property = hv_snapshot_node_get_property;
  node_properties[NODE_PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, NODE_N_PROPS, node_properties);
}

static void
hv_snapshot_node_init (HvSnapshotNode *self)
{
  self->children = g_list_store_new (HV_TYPE_SNAPSHOT_NODE);
}

static void
node_set_thumbnail (HvSnapshotNode *self,
                    GdkPaintable   *thumbnail)
{
  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), node_properties[NODE_PROP_THUMBNAIL]);
}

/* ---- the page ---- */

struct _HvSnapshotsPage
{
  AdwBin parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *item_cancellable;   /* calls and thumbnails for the current item */
  GListStore *roots;                /* HvSnapshotNode */
  GtkTreeListModel *tree;
  GtkSingleSelection *selection;
  GHashTable *nodes;                /* id → HvSnapshotNode (borrowed from the tree) */
  GHashTable *thumbnails;           /* id → GdkTexture, for the page's life with this item */
  GHashTable *loading;              /* ids whose thumbnail is on its way */
  char *select_id;                  /* select this id once it is listed ("" = current state) */
  guint pulse_source;

  /* template widgets */
  GtkWidget *take_button;
  GtkWidget *restore_button;
  GtkWidget *delete_button;
  GtkWidget *clone_button;
  GtkWidget *properties_button;
  GtkWidget *operation_box;
  GtkLabel *operation_label;
  GtkProgressBar *progress_bar;
  GtkListView *snapshot_list;
  GtkLabel *info_label;
};

G_DEFINE_FINAL_TYPE (HvSnapshotsPage, hv_snapshots_page, ADW_TYPE_BIN)

static void update_buttons (HvSnapshotsPage *self);

static gboolean
is_live (HvVmItem *item)
{
  const char *state = item != NULL ? hv_vm_item_get_state (item) : NULL;

  return g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "paused") == 0;
}

static gboolean
is_busy (HvSnapshotsPage *self)
{
  return self->item != NULL && hv_vm_item_get_operation (self->item)[0] != '\0';
}

static void
show_error (HvSnapshotsPage *self,
            const char      *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (HV_IS_WINDOW (root))
    hv_window_show_error (HV_WINDOW (root), message);
  else
    g_warning ("%s", message);
}

static HvSnapshotNode *
selected_node (HvSnapshotsPage *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (self->selection);

  return row != NULL ? HV_SNAPSHOT_NODE (gtk_tree_list_row_get_item (row)) : NULL;
}

/* ---- thumbnails ---- */

typedef struct {
  HvSnapshotsPage *self;
  char *id;
} ThumbnailLoad;

static void
thumbnail_loaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  ThumbnailLoad *load = data;
  g_autoptr(HvSnapshotsPage) self = load->self;
  g_autofree char *id = load->id;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  HvSnapshotNode *node;

  g_free (load);
  png = hv_engine_client_snapshot_thumbnail_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_hash_table_remove (self->loading, id);
  if (png != NULL)
    texture = gdk_texture_new_from_bytes (png, &error);
  if (texture == NULL)
    {
      /* No picture: the row keeps its icon; not asked again for this snapshot. */
      g_debug ("snapshot %s: no thumbnail: %s", id, error != NULL ? error->message : "");
      g_hash_table_insert (self->thumbnails, g_strdup (id), NULL);
      return;
    }
  g_hash_table_insert (self->thumbnails, g_strdup (id), g_object_ref (texture));
  node = g_hash_table_lookup (self->nodes, id);
  if (node != NULL)
    node_set_thumbnail (node, GDK_PAINTABLE (texture));
}

/* Called when a row shows the node: the picture from the cache, or asked for once. */
static void
want_thumbnail (HvSnapshotsPage *self,
                HvSnapshotNode  *node)
{
  ThumbnailLoad *load;
  gpointer cached;

  if (node->id == NULL || !node->has_thumbnail || node->thumbnail != NULL ||
      self->item == NULL || self->client == NULL)
    return;
  if (g_hash_table_lookup_extended (self->thumbnails, node->id, NULL, &cached))
    {
      if (cached != NULL)
        node_set_thumbnail (node, cached);
      return;
    }
  if (g_hash_table_contains (self->loading, node->id))
    return;
  g_hash_table_add (self->loading, g_strdup (node->id));
  load = g_new0 (ThumbnailLoad, 1);
  load->self = g_object_ref (self);
  load->id = g_strdup (node->id);
  hv_engine_client_snapshot_thumbnail_async (self->client, self->item, node->id,
                                             self->item_cancellable, thumbnail_loaded, load);
}

/* ---- rows ---- */

static const char *
node_icon (HvSnapshotNode *node)
{
  if (node->id == NULL)
    return "computer-symbolic";
  return g_strcmp0 (node->kind, "live") == 0 ? "camera-photo-symbolic"
                                             : "drive-harddisk-symbolic";
}

static void
row_show_thumbnail (GtkWidget      *picture,
                    HvSnapshotNode *node)
{
  GtkWidget *icon = g_object_get_data (G_OBJECT (picture), "hv-icon");

  gtk_picture_set_paintable (GTK_PICTURE (picture), node != NULL ? node->thumbnail : NULL);
  gtk_widget_set_visible (picture, node != NULL && node->thumbnail != NULL);
  gtk_widget_set_visible (icon, node == NULL || node->thumbnail == NULL);
  if (node != NULL)
    gtk_image_set_from_icon_name (GTK_IMAGE (icon), node_icon (node));
}

static void
on_node_thumbnail (HvSnapshotNode *node,
                   GParamSpec     *pspec,
                   GtkWidget      *picture)
{
  row_show_thumbnail (picture, node);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *date = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_widget_set_size_request (frame, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
  gtk_widget_set_valign (frame, GTK_ALIGN_CENTER);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_size_request (picture, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
  gtk_picture_set_alternative_text (GTK_PICTURE (picture), _("Screen when the snapshot was taken"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Screen when the snapshot was taken"), -1);
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
  gtk_widget_set_size_request (icon, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  "", -1);
  gtk_box_append (GTK_BOX (frame), picture);
  gtk_box_append (GTK_BOX (frame), icon);
  g_object_set_data (G_OBJECT (picture), "hv-icon", icon);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name, "heading");
  gtk_label_set_xalign (GTK_LABEL (date), 0);
  gtk_widget_add_css_class (date, "dim-label");
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (text), name);
  gtk_box_append (GTK_BOX (text), date);

  gtk_box_append (GTK_BOX (box), frame);
  gtk_box_append (GTK_BOX (box), text);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  g_object_set_data (G_OBJECT (expander), "hv-picture", picture);
  g_object_set_data (G_OBJECT (expander), "hv-name", name);
  g_object_set_data (G_OBJECT (expander), "hv-date", date);
  gtk_list_item_set_child (list_item, expander);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          HvSnapshotsPage          *self)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  HvSnapshotNode *node = HV_SNAPSHOT_NODE (gtk_tree_list_row_get_item (row));
  GtkWidget *picture = g_object_get_data (G_OBJECT (expander), "hv-picture");
  GtkLabel *name = g_object_get_data (G_OBJECT (expander), "hv-name");
  GtkLabel *date = g_object_get_data (G_OBJECT (expander), "hv-date");
  g_autofree char *when = NULL;

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_label_set_text (name, node->name);
  if (node->id == NULL)
    {
      const char *state = self->item != NULL ? hv_vm_item_get_state (self->item) : NULL;

      if (self->item != NULL && hv_vm_item_get_saved_state (self->item))
        gtk_label_set_text (date, _("Saved"));
      else
        gtk_label_set_text (date, hv_vm_item_state_label (state));
    }
  else
    {
      when = hv_snapshots_format_date (node->created);
      gtk_label_set_text (date, when);
    }
  row_show_thumbnail (picture, node);
  g_signal_connect_object (node, "notify::thumbnail", G_CALLBACK (on_node_thumbnail), picture,
                           0);
  want_thumbnail (self, node);
  g_object_unref (node);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  GtkWidget *picture = g_object_get_data (G_OBJECT (expander), "hv-picture");
  g_autoptr(GObject) node = row != NULL ? gtk_tree_list_row_get_item (row) : NULL;

  if (node != NULL)
    g_signal_handlers_disconnect_by_data (node, picture);
  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), NULL);
}

static GListModel *
create_children (gpointer item,
                 gpointer data)
{
  HvSnapshotNode *node = item;

  if (g_list_model_get_n_items (G_LIST_MODEL (node->children)) == 0)
    return NULL;
  return G_LIST_MODEL (g_object_ref (node->children));
}

/* ---- the tree from Vm.Snapshots ---- */

static HvSnapshotNode *
node_from_dict (GVariant *dict)
{
  HvSnapshotNode *node = g_object_new (HV_TYPE_SNAPSHOT_NODE, NULL);
  const char *s;

  node->id = g_variant_lookup (dict, "id", "&s", &s) ? g_strdup (s) : g_strdup ("");
  node->name = g_variant_lookup (dict, "name", "&s", &s) ? g_strdup (s) : g_strdup ("");
  node->description = g_variant_lookup (dict, "description", "&s", &s) ? g_strdup (s)
                                                                       : g_strdup ("");
  node->kind = g_variant_lookup (dict, "kind", "&s", &s) ? g_strdup (s) : g_strdup ("disk");
  node->vm_state = g_variant_lookup (dict, "vm-state", "&s", &s) ? g_strdup (s) : g_strdup ("");
  node->machine_type = g_variant_lookup (dict, "machine-type", "&s", &s) ? g_strdup (s)
                                                                         : g_strdup ("");
  if (!g_variant_lookup (dict, "created", "x", &node->created))
    node->created = 0;
  if (!g_variant_lookup (dict, "thumbnail", "b", &node->has_thumbnail))
    node->has_thumbnail = FALSE;
  return node;
}

/* Selects the row of snapshot @id ("" for Current state); FALSE when it is not listed. */
static gboolean
select_id (HvSnapshotsPage *self,
           const char      *id)
{
  GListModel *rows = G_LIST_MODEL (self->tree);

  for (guint i = 0; id != NULL && i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (self->tree, i);
      g_autoptr(HvSnapshotNode) node = row != NULL ? gtk_tree_list_row_get_item (row) : NULL;

      if (node != NULL && g_strcmp0 (node->id != NULL ? node->id : "", id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
    }
  return FALSE;
}

/* A snapshot just taken is selected once the tree has it. */
static gboolean
select_pending (HvSnapshotsPage *self)
{
  if (self->select_id == NULL || !select_id (self, self->select_id))
    return FALSE;
  g_clear_pointer (&self->select_id, g_free);
  return TRUE;
}

static void
rebuild (HvSnapshotsPage *self)
{
  GVariant *snapshots = self->item != NULL ? hv_vm_item_get_snapshots (self->item) : NULL;
  const char *current = self->item != NULL ? hv_vm_item_get_current_snapshot (self->item) : "";
  g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func (g_object_unref);
  HvSnapshotNode *selected = selected_node (self);
  g_autofree char *keep_id = NULL;
  HvSnapshotNode *now;
  HvSnapshotNode *parent;
  GVariantIter iter;
  GVariant *dict;

  /* The selection follows the same snapshot (or Current state) through the rebuild. */
  if (selected != NULL)
    keep_id = g_strdup (selected->id != NULL ? selected->id : "");
  g_clear_object (&selected);

  g_hash_table_remove_all (self->nodes);
  if (self->item == NULL)
    {
      g_list_store_remove_all (self->roots);
      return;
    }
  if (snapshots != NULL && g_variant_is_of_type (snapshots, G_VARIANT_TYPE ("aa{sv}")))
    {
      g_variant_iter_init (&iter, snapshots);
      while ((dict = g_variant_iter_next_value (&iter)) != NULL)
        {
          HvSnapshotNode *node = node_from_dict (dict);
          const char *parent_id = "";

          g_variant_lookup (dict, "parent", "&s", &parent_id);
          parent = g_hash_table_lookup (self->nodes, parent_id);
          /* Parents come first; a snapshot whose parent is unknown is shown as a root. */
          if (node->id[0] == '\0' || g_hash_table_contains (self->nodes, node->id))
            g_object_unref (node);
          else
            {
              g_hash_table_insert (self->nodes, node->id, node);
              if (parent != NULL)
                {
                  g_list_store_append (parent->children, node);
                  g_object_unref (node);
                }
              else
                g_ptr_array_add (roots, node);
            }
          g_variant_unref (dict);
        }
    }

  now = g_object_new (HV_TYPE_SNAPSHOT_NODE, NULL);
  now->name = g_strdup (_("Current state"));
  now->description = g_strdup ("");
  parent = g_hash_table_lookup (self->nodes, current);
  if (parent != NULL)
    {
      g_list_store_append (parent->children, now);
      g_object_unref (now);
    }
  else
    g_ptr_array_add (roots, now);

  g_list_store_splice (self->roots, 0, g_list_model_get_n_items (G_LIST_MODEL (self->roots)),
                       roots->pdata, roots->len);
  /* Else the same row as before, or Current state (the selected snapshot went away). */
  if (!select_pending (self) && !select_id (self, keep_id))
    select_id (self, "");
  update_buttons (self);
}

/* ---- state ---- */

static gboolean
pulse (gpointer data)
{
  HvSnapshotsPage *self = data;

  gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
update_operation (HvSnapshotsPage *self)
{
  const char *operation = self->item != NULL ? hv_vm_item_get_operation (self->item) : "";
  const char *label = hv_snapshots_operation_label (operation);
  double progress = self->item != NULL ? hv_vm_item_get_operation_progress (self->item) : 0;

  gtk_widget_set_visible (self->operation_box, label != NULL);
  if (label == NULL)
    {
      g_clear_handle_id (&self->pulse_source, g_source_remove);
      return;
    }
  gtk_label_set_text (self->operation_label, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->operation_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  if (progress < 0)
    {
      /* QEMU says nothing until it is done: the bar only says that work goes on. */
      if (self->pulse_source == 0)
        self->pulse_source = g_timeout_add (PULSE_INTERVAL_MS, pulse, self);
    }
  else
    {
      g_clear_handle_id (&self->pulse_source, g_source_remove);
      gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (progress, 0.0, 1.0));
    }
}

static void
update_info (HvSnapshotsPage *self)
{
  HvSnapshotNode *node = selected_node (self);
  g_autoptr(GString) text = g_string_new (NULL);

  if (node == NULL)
    ;
  else if (node->id == NULL)
    g_string_append (text, _("The virtual machine as it is now. Take a snapshot to keep it."));
  else
    {
      if (g_strcmp0 (node->kind, "live") == 0)
        g_string_append (text, _("Taken while the virtual machine ran: restoring it brings back "
                                 "its running programs."));
      else
        g_string_append (text, _("Taken of the disks only: restoring it leaves the virtual "
                                 "machine powered off."));
      if (node->description[0] != '\0')
        {
          g_string_append (text, "\n\n");
          g_string_append (text, node->description);
        }
    }
  gtk_label_set_text (self->info_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->info_label), text->len > 0);
  g_clear_object (&node);
}

static void
update_buttons (HvSnapshotsPage *self)
{
  HvSnapshotNode *node = selected_node (self);
  gboolean busy = is_busy (self);
  gboolean have_item = self->item != NULL && hv_vm_item_get_proxy (self->item) != NULL;
  gboolean snapshot = have_item && node != NULL && node->id != NULL;

  gtk_widget_set_sensitive (self->take_button,
                            have_item && !busy && hv_vm_item_get_can_take_snapshot (self->item));
  gtk_widget_set_sensitive (self->restore_button, snapshot && !busy);
  gtk_widget_set_sensitive (self->delete_button, snapshot && !busy);
  gtk_widget_set_sensitive (self->properties_button, snapshot && !busy);
  gtk_widget_set_sensitive (self->clone_button, have_item && !busy);
  update_info (self);
  g_clear_object (&node);
}

static void
on_item_snapshots (HvVmItem        *item,
                   GParamSpec      *pspec,
                   HvSnapshotsPage *self)
{
  rebuild (self);
}

static void
on_item_state (HvVmItem        *item,
               GParamSpec      *pspec,
               HvSnapshotsPage *self)
{
  update_operation (self);
  update_buttons (self);
  /* "Current state" says the VM's state: its row is bound again. */
  if (g_strcmp0 (pspec != NULL ? pspec->name : "", "state") == 0 ||
      g_strcmp0 (pspec != NULL ? pspec->name : "", "saved-state") == 0)
    rebuild (self);
}

static void
on_item_proxy (HvVmItem        *item,
               GParamSpec      *pspec,
               HvSnapshotsPage *self)
{
  if (self->client != NULL && hv_vm_item_get_proxy (item) != NULL)
    hv_snapshots_load_properties (self->client, item);
  update_buttons (self);
}

static void
on_selection_changed (HvSnapshotsPage *self)
{
  update_buttons (self);
}

/* ---- actions ---- */

typedef struct {
  HvSnapshotsPage *self;
  HvVmItem *item;
  char *id;
  char *name;
  char *description;
  gboolean force;            /* Restore: the VM runs, its current state may be lost */
} Op;

static Op *
op_new (HvSnapshotsPage *self,
        HvSnapshotNode  *node)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->item = g_object_ref (self->item);
  op->id = node != NULL ? g_strdup (node->id) : NULL;
  op->name = node != NULL ? g_strdup (node->name) : NULL;
  return op;
}

static void
op_free (Op *op)
{
  g_object_unref (op->self);
  g_object_unref (op->item);
  g_free (op->id);
  g_free (op->name);
  g_free (op->description);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

/* The reply of a snapshot call: the engine's message on failure. */
static void
op_done (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(Op) op = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_long_call_finish (HV_ENGINE_CLIENT (source),
                                                                 result, &error);

  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = hv_messages_error (error);
      show_error (op->self, message);
    }
}

static void take_with_options (Op *op, gboolean disk_only);

static void
disk_only_response (AdwMessageDialog *dialog,
                    const char       *response,
                    Op               *op)
{
  if (g_strcmp0 (response, "disk-only") == 0)
    {
      take_with_options (op, TRUE);
      return;
    }
  op_free (op);
}

static void
take_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Op *op = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_long_call_finish (HV_ENGINE_CLIENT (source),
                                                                 result, &error);
  GtkRoot *root;

  if (reply != NULL)
    {
      const char *id;

      g_variant_get (reply, "(&s)", &id);
      /* The new snapshot is selected when it appears in the tree. */
      if (op->self->item == op->item)
        {
          g_free (op->self->select_id);
          op->self->select_id = g_strdup (id);
          select_pending (op->self);
        }
      op_free (op);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      op_free (op);
      return;
    }
  root = gtk_widget_get_root (GTK_WIDGET (op->self));
  /* A live snapshot refused for what blocks QEMU (a share in use): offer the disks only. */
  if (g_error_matches (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED) && is_live (op->item) &&
      GTK_IS_WINDOW (root))
    {
      g_autofree char *message = hv_messages_error (error);
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (root),
                                                  _("Take a Disk-Only Snapshot?"), NULL);

      adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                      _("%s\n\nA snapshot of the disks alone can be taken "
                                        "instead: it is like pulling the plug, so what the "
                                        "guest has not written to its disks is not in it."),
                                      message);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("_Cancel"),
                                        "disk-only", _("Take _Disk-Only Snapshot"), NULL);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_signal_connect (dialog, "response", G_CALLBACK (disk_only_response), op);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  {
    g_autofree char *message = hv_messages_error (error);
    show_error (op->self, message);
  }
  op_free (op);
}

static void
take_with_options (Op      *op,
                   gboolean disk_only)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (disk_only)
    g_variant_builder_add (&options, "{sv}", "disk-only", g_variant_new_boolean (TRUE));
  hv_engine_client_long_call (op->self->client, op->item, "TakeSnapshot",
                              g_variant_new ("(ss@a{sv})", op->name, op->description,
                                             g_variant_builder_end (&options)),
                              op->self->item_cancellable, take_done, op);
}

static void
take_dialog_done (const char *name,
                  const char *description,
                  gpointer    data)
{
  Op *op = data;
  Op *call = g_new0 (Op, 1);

  call->self = g_object_ref (op->self);
  call->item = g_object_ref (op->item);
  call->name = g_strdup (name);
  call->description = g_strdup (description);
  take_with_options (call, FALSE);
}

void
hv_snapshots_page_take (HvSnapshotsPage *self)
{
  g_autofree char *name = NULL;
  GtkRoot *root;

  g_return_if_fail (HV_IS_SNAPSHOTS_PAGE (self));
  if (self->item == NULL || self->client == NULL)
    return;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  name = hv_snapshots_next_name (hv_vm_item_get_snapshots (self->item));
  hv_snapshot_dialog_present (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, TRUE,
                              hv_vm_item_get_name (self->item), name, "", take_dialog_done,
                              op_new (self, NULL), (GDestroyNotify) op_free);
}

static void
on_take_clicked (HvSnapshotsPage *self)
{
  hv_snapshots_page_take (self);
}

static void
restore_now (Op      *op,
             gboolean force)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  Op *call = g_new0 (Op, 1);

  call->self = g_object_ref (op->self);
  call->item = g_object_ref (op->item);
  if (force)
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  hv_engine_client_long_call (op->self->client, op->item, "RestoreSnapshot",
                              g_variant_new ("(s@a{sv})", op->id,
                                             g_variant_builder_end (&options)),
                              op->self->item_cancellable, op_done, call);
}

static void
restore_response (AdwMessageDialog *dialog,
                  const char       *response,
                  Op               *op)
{
  if (g_strcmp0 (response, "restore") == 0)
    restore_now (op, op->force);
}

static void
on_restore_clicked (HvSnapshotsPage *self)
{
  HvSnapshotNode *node = selected_node (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(Op) op = NULL;
  GtkWidget *dialog;

  if (node == NULL || node->id == NULL || self->item == NULL)
    {
      g_clear_object (&node);
      return;
    }
  op = op_new (self, node);
  g_object_unref (node);
  if ((!is_live (self->item) && !hv_vm_item_get_saved_state (self->item)) ||
      !GTK_IS_WINDOW (root))
    {
      restore_now (op, FALSE);
      return;
    }
  /* A running VM loses its current state, a saved one its saved state: ask first. */
  op->force = is_live (self->item);
  dialog = adw_message_dialog_new (GTK_WINDOW (root), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Restore “%s”?"), op->name);
  if (op->force)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    _("“%s” is running. Its current state is lost unless you "
                                      "take a snapshot of it first."),
                                    hv_vm_item_get_name (self->item));
  else
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    _("The saved state of “%s” is discarded."),
                                    hv_vm_item_get_name (self->item));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "restore", _("_Restore"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "restore",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (restore_response),
                         g_steal_pointer (&op), (GClosureNotify) (void (*) (void)) op_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_response (AdwMessageDialog *dialog,
                 const char       *response,
                 Op               *op)
{
  Op *call;

  if (g_strcmp0 (response, "delete") != 0)
    return;
  call = g_new0 (Op, 1);
  call->self = g_object_ref (op->self);
  call->item = g_object_ref (op->item);
  hv_engine_client_long_call (op->self->client, op->item, "DeleteSnapshot",
                              g_variant_new ("(s)", op->id), op->self->item_cancellable,
                              op_done, call);
}

static void
on_delete_clicked (HvSnapshotsPage *self)
{
  HvSnapshotNode *node = selected_node (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(Op) op = NULL;
  GtkWidget *dialog;

  if (node == NULL || node->id == NULL || self->item == NULL || !GTK_IS_WINDOW (root))
    {
      g_clear_object (&node);
      return;
    }
  op = op_new (self, node);
  g_object_unref (node);
  dialog = adw_message_dialog_new (GTK_WINDOW (root), NULL,
                                   _("What it saved of the disks and memory is deleted. The "
                                     "snapshots taken after it stay, under its parent."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Delete “%s”?"), op->name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (delete_response),
                         g_steal_pointer (&op), (GClosureNotify) (void (*) (void)) op_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
properties_dialog_done (const char *name,
                        const char *description,
                        gpointer    data)
{
  Op *op = data;
  Op *call = g_new0 (Op, 1);

  call->self = g_object_ref (op->self);
  call->item = g_object_ref (op->item);
  hv_engine_client_long_call (op->self->client, op->item, "EditSnapshot",
                              g_variant_new ("(sss)", op->id, name, description),
                              op->self->item_cancellable, op_done, call);
}

static void
on_properties_clicked (HvSnapshotsPage *self)
{
  HvSnapshotNode *node = selected_node (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  Op *op;

  if (node == NULL || node->id == NULL || self->item == NULL)
    {
      g_clear_object (&node);
      return;
    }
  op = op_new (self, node);
  hv_snapshot_dialog_present (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, FALSE,
                              hv_vm_item_get_name (self->item), node->name, node->description,
                              properties_dialog_done, op, (GDestroyNotify) op_free);
  g_object_unref (node);
}

static void
on_clone_clicked (HvSnapshotsPage *self)
{
  HvSnapshotNode *node = selected_node (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->item != NULL && self->client != NULL && GTK_IS_WINDOW (root))
    hv_clone_dialog_present (GTK_WINDOW (root), self->client, self->item,
                             node != NULL ? node->id : NULL);
  g_clear_object (&node);
}

/* Enter or a double click on a snapshot: its properties. */
static void
on_row_activated (HvSnapshotsPage *self,
                  guint            position)
{
  gtk_single_selection_set_selected (self->selection, position);
  if (gtk_widget_get_sensitive (self->properties_button))
    on_properties_clicked (self);
}

static gboolean
on_delete_key (GtkWidget *widget,
               GVariant  *args,
               gpointer   data)
{
  HvSnapshotsPage *self = data;

  if (gtk_widget_get_sensitive (self->delete_button))
    on_delete_clicked (self);
  /* Handled either way: the window's Delete (delete the VM) must not see it. */
  return TRUE;
}

/* ---- object ---- */

void
hv_snapshots_page_set_item (HvSnapshotsPage *self,
                            HvVmItem        *item)
{
  g_return_if_fail (HV_IS_SNAPSHOTS_PAGE (self));
  g_return_if_fail (item == NULL || HV_IS_VM_ITEM (item));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_cancellable_cancel (self->item_cancellable);
  g_clear_object (&self->item_cancellable);
  g_hash_table_remove_all (self->thumbnails);
  g_hash_table_remove_all (self->loading);
  g_clear_pointer (&self->select_id, g_free);
  g_set_object (&self->item, item);
  if (item != NULL)
    {
      self->item_cancellable = g_cancellable_new ();
      g_signal_connect_object (item, "notify::snapshots", G_CALLBACK (on_item_snapshots),
                               self, 0);
      g_signal_connect_object (item, "notify::current-snapshot",
                               G_CALLBACK (on_item_snapshots), self, 0);
      g_signal_connect_object (item, "notify::operation", G_CALLBACK (on_item_state), self, 0);
      g_signal_connect_object (item, "notify::operation-progress", G_CALLBACK (on_item_state),
                               self, 0);
      g_signal_connect_object (item, "notify::can-take-snapshot", G_CALLBACK (on_item_state),
                               self, 0);
      g_signal_connect_object (item, "notify::state", G_CALLBACK (on_item_state), self, 0);
      g_signal_connect_object (item, "notify::saved-state", G_CALLBACK (on_item_state), self,
                               0);
      g_signal_connect_object (item, "notify::proxy", G_CALLBACK (on_item_proxy), self, 0);
      on_item_proxy (item, NULL, self);
    }
  rebuild (self);
  update_operation (self);
  update_buttons (self);
}

void
hv_snapshots_page_set_client (HvSnapshotsPage *self,
                              HvEngineClient  *client)
{
  g_return_if_fail (HV_IS_SNAPSHOTS_PAGE (self));
  g_set_object (&self->client, client);
}

static void
hv_snapshots_page_dispose (GObject *object)
{
  HvSnapshotsPage *self = HV_SNAPSHOTS_PAGE (object);

  hv_snapshots_page_set_item (self, NULL);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  if (self->snapshot_list != NULL)
    gtk_list_view_set_model (self->snapshot_list, NULL);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->tree);
  g_clear_object (&self->roots);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), HV_TYPE_SNAPSHOTS_PAGE);

  G_OBJECT_CLASS (hv_snapshots_page_parent_class)->dispose (object);
}

static void
hv_snapshots_page_finalize (GObject *object)
{
  HvSnapshotsPage *self = HV_SNAPSHOTS_PAGE (object);

  g_hash_table_unref (self->nodes);
  g_hash_table_unref (self->thumbnails);
  g_hash_table_unref (self->loading);
  g_free (self->select_id);

  G_OBJECT_CLASS (hv_snapshots_page_parent_class)->finalize (object);
}

static void
hv_snapshots_page_class_init (HvSnapshotsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_snapshots_page_dispose;
  object_class->finalize = hv_snapshots_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-snapshots-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, take_button);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, restore_button);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, delete_button);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, clone_button);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, properties_button);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, operation_box);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, operation_label);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, snapshot_list);
  gtk_widget_class_bind_template_child (widget_class, HvSnapshotsPage, info_label);
  gtk_widget_class_bind_template_callback (widget_class, on_take_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_restore_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_delete_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_clone_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_properties_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
}

static void
hv_snapshots_page_init (HvSnapshotsPage *self)
{
  GtkListItemFactory *factory;
  GtkEventController *keys;
  GtkShortcut *shortcut;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->nodes = g_hash_table_new (g_str_hash, g_str_equal);
  self->thumbnails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_object_unref);
  self->loading = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->roots = g_list_store_new (HV_TYPE_SNAPSHOT_NODE);
  self->tree = gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (self->roots)), FALSE, TRUE,
                                        create_children, NULL, NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->tree)));
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "selection-changed",
                            G_CALLBACK (on_selection_changed), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  gtk_list_view_set_factory (self->snapshot_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->snapshot_list, GTK_SELECTION_MODEL (self->selection));

  keys = gtk_shortcut_controller_new ();
  shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0),
                               gtk_callback_action_new (on_delete_key, self, NULL));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys), shortcut);
  gtk_widget_add_controller (GTK_WIDGET (self->snapshot_list), keys);

  update_buttons (self);
}

GtkWidget *
hv_snapshots_page_new (void)
{
  return g_object_new (HV_TYPE_SNAPSHOTS_PAGE, NULL);
}
