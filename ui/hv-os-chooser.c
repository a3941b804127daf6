/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-os-chooser.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hv-collate.h"

/* ---- one OS in the list ---- */

#define HV_TYPE_OS_ENTRY (hv_os_entry_get_type ())
G_DECLARE_FINAL_TYPE (HvOsEntry, hv_os_entry, HV, OS_ENTRY, GObject)

struct _HvOsEntry
{
  GObject parent_instance;

  char *id;
  char *name;
  char *vendor;
  char *key;    /* case-folded "name vendor id", what the search matches */
};

G_DEFINE_FINAL_TYPE (HvOsEntry, hv_os_entry, G_TYPE_OBJECT)

static void
hv_os_entry_finalize (GObject *object)
{
  HvOsEntry *self = HV_OS_ENTRY (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->vendor);
  g_free (self->key);
  G_OBJECT_CLASS (hv_os_entry_parent_class)->finalize (object);
}

static void
hv_os_entry_class_init (HvOsEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_os_entry_finalize;
}

static void
hv_os_entry_init (HvOsEntry *self)
{
}

static HvOsEntry *
hv_os_entry_new (const char *id,
                 const char *name,
                 const char *vendor)
{
  HvOsEntry *self = g_object_new (HV_TYPE_OS_ENTRY, NULL);
  g_autofree char *all = g_strjoin (" ", name, vendor, id, NULL);

  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->vendor = g_strdup (vendor);
  self->key = g_utf8_casefold (all, -1);
  return self;
}

/* ---- the chooser ---- */

struct _HvOsChooser
{
  GtkWidget parent_instance;

  /* owned */
  GListStore *store;
  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  GCancellable *cancellable;
  char **needle_words;
  char *os_id;
  char *os_name;
  gboolean loaded;
  gboolean selecting;

  /* children */
  GtkWidget *search;
  GtkWidget *scroller;
  GtkWidget *list;
};

G_DEFINE_FINAL_TYPE (HvOsChooser, hv_os_chooser, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_OS_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
entry_matches (gpointer item,
               gpointer data)
{
  HvOsChooser *self = data;
  HvOsEntry *entry = item;

  if (self->needle_words == NULL)
    return TRUE;
  /* Every word somewhere: "win 98" finds "Microsoft Windows 98". */
  for (guint i = 0; self->needle_words[i] != NULL; i++)
    if (strstr (entry->key, self->needle_words[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Put the selection on the chosen OS if the filter shows it, and scroll to it. */
static void
select_current (HvOsChooser *self)
{
  GListModel *model = G_LIST_MODEL (self->filtered);
  guint n = g_list_model_get_n_items (model);

  self->selecting = TRUE;
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HvOsEntry) entry = g_list_model_get_item (model, i);

      if (g_strcmp0 (entry->id, self->os_id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          /* GTK 4.8 has no gtk_list_view_scroll_to(); the list's own action does it. */
          gtk_widget_activate_action (self->list, "list.scroll-to-item", "u", i);
          break;
        }
    }
  self->selecting = FALSE;
}

static void
set_current (HvOsChooser *self,
             const char  *os_id,
             const char  *os_name)
{
  if (os_id == NULL)
    os_id = "";
  if (g_strcmp0 (self->os_id, os_id) == 0 && g_strcmp0 (self->os_name, os_name) == 0)
    return;
  g_free (self->os_id);
  g_free (self->os_name);
  self->os_id = g_strdup (os_id);
  self->os_name = g_strdup (os_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_ID]);
}

static void
on_selected (GtkSingleSelection *selection,
             GParamSpec         *pspec,
             HvOsChooser        *self)
{
  HvOsEntry *entry = gtk_single_selection_get_selected_item (selection);

  /* A filter that hides the chosen OS unselects it; that is not a choice. */
  if (self->selecting || entry == NULL)
    return;
  set_current (self, entry->id, entry->name);
}

static void
on_search_changed (GtkSearchEntry *search,
                   HvOsChooser    *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (search));
  g_autofree char *folded = g_utf8_casefold (text, -1);

  g_clear_pointer (&self->needle_words, g_strfreev);
  g_strstrip (folded);
  if (folded[0] != '\0')
    self->needle_words = g_regex_split_simple ("\\s+", folded, 0, 0);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  select_current (self);
}

static void
on_search_activate (GtkSearchEntry *search,
                    HvOsChooser    *self)
{
  /* Enter takes the first match, as in any search list. */
  g_autoptr(HvOsEntry) first = g_list_model_get_item (G_LIST_MODEL (self->filtered), 0);

  if (first != NULL)
    {
      set_current (self, first->id, first->name);
      select_current (self);
    }
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *vendor = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (vendor), 0);
  gtk_label_set_ellipsize (GTK_LABEL (vendor), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (vendor, "dim-label");
  gtk_widget_add_css_class (vendor, "caption");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), vendor);
  gtk_list_item_set_child (list_item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  data)
{
  HvOsEntry *entry = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *name = gtk_widget_get_first_child (box);
  GtkWidget *vendor = gtk_widget_get_next_sibling (name);

  gtk_label_set_text (GTK_LABEL (name), entry->name);
  gtk_label_set_text (GTK_LABEL (vendor), entry->vendor);
  gtk_widget_set_visible (vendor, entry->vendor[0] != '\0');
}

/* "Other" first, then by name as a person reads a version list: Debian 6.0, 10, 11, 12. */
static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const HvOsEntry *ea = *(HvOsEntry * const *) a;
  const HvOsEntry *eb = *(HvOsEntry * const *) b;
  int r;

  if ((ea->id[0] == '\0') != (eb->id[0] == '\0'))
    return ea->id[0] == '\0' ? -1 : 1;
  r = hv_collate_compare (ea->name, eb->name);
  return r != 0 ? r : strcmp (ea->id, eb->id);
}

void
hv_os_chooser_set_oses (HvOsChooser *self,
                        GVariant    *oses)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantIter iter;
  const char *id, *name, *vendor;

  g_return_if_fail (HV_IS_OS_CHOOSER (self));
  g_return_if_fail (g_variant_is_of_type (oses, G_VARIANT_TYPE ("a(sss)")));

  g_ptr_array_add (entries, hv_os_entry_new ("", _("Other operating system"),
                                             _("Generic defaults")));
  g_variant_iter_init (&iter, oses);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &id, &name, &vendor))
    if (id[0] != '\0')
      g_ptr_array_add (entries, hv_os_entry_new (id, name, vendor));
  g_ptr_array_sort (entries, compare_entries);

  self->loaded = TRUE;
  self->selecting = TRUE;
  /* One items-changed for the whole list: a thousand entries are one update. */
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       entries->pdata, entries->len);
  self->selecting = FALSE;
  select_current (self);

  /* The list knows the chosen OS's proper name, which the caller may not have had. */
  for (guint i = 0; i < entries->len; i++)
    {
      HvOsEntry *entry = entries->pdata[i];

      if (g_strcmp0 (entry->id, self->os_id) == 0 && self->os_id[0] != '\0')
        set_current (self, entry->id, entry->name);
    }
}

static void
list_oses_done (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(HvOsChooser) self = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) oses = NULL;
  g_autoptr(GError) error = NULL;

  reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      /* Without the list the user can still go on with "Other"; the detected OS stays. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_widget_set_tooltip_text (self->list, error->message);
      if (!self->loaded && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr(GVariant) none = g_variant_ref_sink (g_variant_new_array (
            G_VARIANT_TYPE ("(sss)"), NULL, 0));
          hv_os_chooser_set_oses (self, none);
        }
      return;
    }
  g_variant_get (reply, "(@a(sss))", &oses);
  hv_os_chooser_set_oses (self, oses);
}

void
hv_os_chooser_load (HvOsChooser    *self,
                    HvEngineClient *client)
{
  g_return_if_fail (HV_IS_OS_CHOOSER (self));
  g_return_if_fail (HV_IS_ENGINE_CLIENT (client));

  if (self->loaded)
    return;
  hv_engine_client_call (client, NULL, "ListOses", NULL, self->cancellable, list_oses_done,
                         g_object_ref (self));
}

void
hv_os_chooser_set_os (HvOsChooser *self,
                      const char  *os_id,
                      const char  *os_name)
{
  g_return_if_fail (HV_IS_OS_CHOOSER (self));

  set_current (self, os_id, os_name);
  select_current (self);
}

const char *
hv_os_chooser_get_os_id (HvOsChooser *self)
{
  g_return_val_if_fail (HV_IS_OS_CHOOSER (self), "");
  return self->os_id;
}

const char *
hv_os_chooser_get_os_name (HvOsChooser *self)
{
  g_return_val_if_fail (HV_IS_OS_CHOOSER (self), NULL);
  return self->os_name;
}

GtkWidget *
hv_os_chooser_get_search_entry (HvOsChooser *self)
{
  g_return_val_if_fail (HV_IS_OS_CHOOSER (self), NULL);
  return self->search;
}

static gboolean
hv_os_chooser_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (HV_OS_CHOOSER (widget)->search);
}

static void
hv_os_chooser_dispose (GObject *object)
{
  HvOsChooser *self = HV_OS_CHOOSER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->search, gtk_widget_unparent);
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  self->list = NULL;
  G_OBJECT_CLASS (hv_os_chooser_parent_class)->dispose (object);
}

static void
hv_os_chooser_finalize (GObject *object)
{
  HvOsChooser *self = HV_OS_CHOOSER (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->cancellable);
  g_strfreev (self->needle_words);
  g_free (self->os_id);
  g_free (self->os_name);
  G_OBJECT_CLASS (hv_os_chooser_parent_class)->finalize (object);
}

static void
hv_os_chooser_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HvOsChooser *self = HV_OS_CHOOSER (object);

  switch (prop_id)
    {
    case PROP_OS_ID:
      g_value_set_string (value, self->os_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_os_chooser_class_init (HvOsChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_os_chooser_dispose;
  object_class->finalize = hv_os_chooser_finalize;
  object_class->get_property = hv_os_chooser_get_property;
  widget_class->grab_focus = hv_os_chooser_grab_focus;

  properties[PROP_OS_ID] =
    g_param_spec_string ("os-id", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
hv_os_chooser_init (HvOsChooser *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  GtkListItemFactory *factory;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);

  self->os_id = g_strdup ("");
  self->cancellable = g_cancellable_new ();
  self->store = g_list_store_new (HV_TYPE_OS_ENTRY);
  self->filter = gtk_custom_filter_new (entry_matches, self, NULL);
  /* The filter list model owns the store and the filter; the selection owns it. */
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (self->store),
                                              GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selected), self);

  self->search = gtk_search_entry_new ();
  /* A property only: gtk_search_entry_set_placeholder_text() is GTK 4.10. */
  g_object_set (self->search, "placeholder-text", _("Search operating systems"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Search operating systems"),
                                  -1);
  g_signal_connect (self->search, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->search, "activate", G_CALLBACK (on_search_activate), self);
  gtk_widget_set_parent (self->search, GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  self->list = gtk_list_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)), factory);
  gtk_widget_add_css_class (self->list, "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Operating systems"), -1);
  gtk_search_entry_set_key_capture_widget (GTK_SEARCH_ENTRY (self->search), self->list);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_has_frame (GTK_SCROLLED_WINDOW (self->scroller), TRUE);
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->list);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
}

GtkWidget *
hv_os_chooser_new (void)
{
  return g_object_new (HV_TYPE_OS_CHOOSER, NULL);
}
