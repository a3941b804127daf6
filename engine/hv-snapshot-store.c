/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-snapshot-store.c: see hv-snapshot-store.h. */
#include "hv-snapshot-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <libxml/tree.h>
#include <string.h>

#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-xml-private.h"

#define SNAPSHOT_XML_MAX (64 * 1024)
#define STATE_MAX (16 * 1024)
#define NVRAM_MAX (64 * 1024 * 1024)
#define THUMBNAIL_MAX (16 * 1024 * 1024)

struct _HvSnapshotStore
{
  char *vm_dir;
  char *dir;                /* <vm_dir>/snapshots */
  GPtrArray *snapshots;     /* HvSnapshot*, owned, in no order */
  GPtrArray *problems;      /* char* */
  char *current;
  char *pending_op;
  char *pending_id;
  char *load;
  gboolean load_paused;     /* the state at `load` was saved from a paused guest */
};

/* ----------------------------------------------------------------------------
 * One snapshot
 */

HvSnapshot *
hv_snapshot_new (void)
{
  HvSnapshot *s = g_new0 (HvSnapshot, 1);

  s->id = g_strdup ("");
  s->name = g_strdup ("");
  s->description = g_strdup ("");
  s->parent = g_strdup ("");
  s->vm_state = g_strdup ("poweroff");
  s->machine_type = g_strdup ("pc");
  s->disks = g_ptr_array_new_with_free_func (g_free);
  return s;
}

static void
disk_free (HvSnapshotDisk *disk)
{
  g_free (disk->path);
  g_free (disk->node);
  g_free (disk);
}

void
hv_snapshot_add_disk (HvSnapshot *snapshot,
                      const char *path,
                      const char *node,
                      gboolean    vmstate)
{
  HvSnapshotDisk *disk = g_new0 (HvSnapshotDisk, 1);

  disk->path = g_strdup (path);
  disk->node = g_strdup (node);
  disk->vmstate = vmstate;
  g_ptr_array_add (snapshot->disks, disk);
}

HvSnapshot *
hv_snapshot_copy (const HvSnapshot *snapshot)
{
  HvSnapshot *s = hv_snapshot_new ();

  hv_set_str (&s->id, snapshot->id);
  hv_set_str (&s->name, snapshot->name);
  hv_set_str (&s->description, snapshot->description);
  hv_set_str (&s->parent, snapshot->parent);
  s->created = snapshot->created;
  s->kind = snapshot->kind;
  hv_set_str (&s->vm_state, snapshot->vm_state);
  hv_set_str (&s->machine_type, snapshot->machine_type);
  s->vmstate_size = snapshot->vmstate_size;
  s->shares_unplugged = snapshot->shares_unplugged;
  for (guint i = 0; i < snapshot->disks->len; i++)
    {
      const HvSnapshotDisk *d = g_ptr_array_index (snapshot->disks, i);
      hv_snapshot_add_disk (s, d->path, d->node, d->vmstate);
    }
  return s;
}

void
hv_snapshot_free (HvSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->id);
  g_free (snapshot->name);
  g_free (snapshot->description);
  g_free (snapshot->parent);
  g_free (snapshot->vm_state);
  g_free (snapshot->machine_type);
  for (guint i = 0; i < snapshot->disks->len; i++)
    disk_free (g_ptr_array_index (snapshot->disks, i));
  g_ptr_array_set_free_func (snapshot->disks, NULL);
  g_ptr_array_unref (snapshot->disks);
  g_free (snapshot);
}

char *
hv_snapshot_dup_tag (const HvSnapshot *snapshot)
{
  return g_strconcat (HV_SNAPSHOT_TAG_PREFIX, snapshot->id, NULL);
}

const char *
hv_snapshot_kind_to_string (HvSnapshotKind kind)
{
  return kind == HV_SNAPSHOT_LIVE ? "live" : "disk";
}

gboolean
hv_snapshot_check_name (const char  *name,
                        GError     **error)
{
  glong chars;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "The snapshot name is not valid UTF-8");
      return FALSE;
    }
  chars = g_utf8_strlen (name, -1);
  if (chars < 1 || chars > HV_SNAPSHOT_NAME_MAX_CHARS)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "A snapshot name has 1 to %d characters", HV_SNAPSHOT_NAME_MAX_CHARS);
      return FALSE;
    }
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "A snapshot name cannot hold control or invisible formatting characters");
          return FALSE;
        }
    }
  if (g_unichar_isspace (g_utf8_get_char (name)) ||
      g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (name + strlen (name)))))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "A snapshot name cannot start or end with white space");
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_snapshot_check_description (const char  *description,
                               GError     **error)
{
  if (description == NULL || !g_utf8_validate (description, -1, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "The snapshot description is not valid UTF-8");
      return FALSE;
    }
  if (g_utf8_strlen (description, -1) > HV_SNAPSHOT_DESCRIPTION_MAX_CHARS)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "A snapshot description has at most %d characters",
                   HV_SNAPSHOT_DESCRIPTION_MAX_CHARS);
      return FALSE;
    }
  for (const char *p = description; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && c != '\t' && g_unichar_iscntrl (c))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "A snapshot description cannot hold control characters");
          return FALSE;
        }
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * XML
 */

/* Text for an attribute or element: markup escaped, and white space other than the space
 * as character references (a parser would turn them into spaces in an attribute). */
static void
append_escaped (GString    *out,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  for (const char *p = escaped; *p; p++)
    {
      if (*p == '\n' || *p == '\r' || *p == '\t')
        g_string_append_printf (out, "&#%d;", *p);
      else
        g_string_append_c (out, *p);
    }
}

static void
append_attribute (GString    *out,
                  const char *name,
                  const char *value)
{
  g_string_append_printf (out, " %s=\"", name);
  append_escaped (out, value);
  g_string_append_c (out, '"');
}

static gboolean
check_snapshot (const HvSnapshot *s,
                GError          **error)
{
  if (!g_uuid_string_is_valid (s->id) || (s->parent[0] != '\0' &&
                                          !g_uuid_string_is_valid (s->parent)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Not a snapshot id");
      return FALSE;
    }
  if (!hv_snapshot_check_name (s->name, error) ||
      !hv_snapshot_check_description (s->description, error))
    return FALSE;
  for (guint i = 0; i < s->disks->len; i++)
    {
      const HvSnapshotDisk *d = g_ptr_array_index (s->disks, i);

      if (!g_path_is_absolute (d->path) || !g_utf8_validate (d->path, -1, NULL))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "A snapshot's disk path must be absolute UTF-8");
          return FALSE;
        }
    }
  return TRUE;
}

char *
hv_snapshot_to_xml (const HvSnapshot *s,
                    GError          **error)
{
  g_autoptr(GString) out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                         "<snapshot version=\"1\"");
  g_autofree char *created = g_strdup_printf ("%" G_GINT64_FORMAT, s->created);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, s->vmstate_size);
  g_autoptr(HvSnapshot) check = NULL;

  if (!check_snapshot (s, error))
    return NULL;
  append_attribute (out, "id", s->id);
  append_attribute (out, "parent", s->parent);
  append_attribute (out, "created", created);
  append_attribute (out, "kind", hv_snapshot_kind_to_string (s->kind));
  append_attribute (out, "vm-state", s->vm_state);
  append_attribute (out, "machine-type", s->machine_type);
  append_attribute (out, "vmstate-size", size);
  if (s->shares_unplugged)
    append_attribute (out, "shares-unplugged", "yes");
  g_string_append (out, ">\n  <name>");
  append_escaped (out, s->name);
  g_string_append (out, "</name>\n  <description>");
  append_escaped (out, s->description);
  g_string_append (out, "</description>\n");
  for (guint i = 0; i < s->disks->len; i++)
    {
      const HvSnapshotDisk *d = g_ptr_array_index (s->disks, i);

      g_string_append (out, "  <disk");
      append_attribute (out, "path", d->path);
      append_attribute (out, "node", d->node);
      append_attribute (out, "vmstate", d->vmstate ? "yes" : "no");
      g_string_append (out, "/>\n");
    }
  g_string_append (out, "</snapshot>\n");

  /* What is written must read back: the schema judges it before it reaches the disk. */
  check = hv_snapshot_from_xml (out->str, out->len, "snapshot.xml", error);
  if (check == NULL)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
get_prop (xmlNode    *node,
          const char *name)
{
  xmlChar *value = xmlGetProp (node, (const xmlChar *) name);
  char *text = g_strdup (value != NULL ? (const char *) value : "");

  xmlFree (value);
  return text;
}

static char *
get_content (xmlNode *node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char *text = g_strdup (content != NULL ? (const char *) content : "");

  xmlFree (content);
  return text;
}

HvSnapshot *
hv_snapshot_from_xml (const char  *data,
                      gsize        len,
                      const char  *filename,
                      GError     **error)
{
  xmlDoc *doc = hv_xml_parse (data, len, filename, error);
  g_autoptr(HvSnapshot) s = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *created = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *size = NULL;
  xmlNode *root;

  if (doc == NULL)
    return NULL;
  if (!hv_xml_validate_snapshot_schema (doc, filename, error))
    {
      xmlFreeDoc (doc);
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  s = hv_snapshot_new ();
  g_free (s->id);
  s->id = get_prop (root, "id");
  g_free (s->parent);
  s->parent = get_prop (root, "parent");
  created = get_prop (root, "created");
  s->created = g_ascii_strtoll (created, NULL, 10);
  kind = get_prop (root, "kind");
  s->kind = g_str_equal (kind, "live") ? HV_SNAPSHOT_LIVE : HV_SNAPSHOT_DISK;
  g_free (s->vm_state);
  s->vm_state = get_prop (root, "vm-state");
  g_free (s->machine_type);
  s->machine_type = get_prop (root, "machine-type");
  size = get_prop (root, "vmstate-size");
  s->vmstate_size = g_ascii_strtoull (size, NULL, 10);
  {
    g_autofree char *unplugged = get_prop (root, "shares-unplugged");

    s->shares_unplugged = g_strcmp0 (unplugged, "yes") == 0;
  }
  for (xmlNode *n = root->children; n != NULL; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (xmlStrEqual (n->name, (const xmlChar *) "name"))
        {
          g_free (s->name);
          s->name = get_content (n);
        }
      else if (xmlStrEqual (n->name, (const xmlChar *) "description"))
        {
          g_free (s->description);
          s->description = get_content (n);
        }
      else if (xmlStrEqual (n->name, (const xmlChar *) "disk"))
        {
          g_autofree char *path = get_prop (n, "path");
          g_autofree char *node = get_prop (n, "node");
          g_autofree char *vmstate = get_prop (n, "vmstate");

          hv_snapshot_add_disk (s, path, node, g_str_equal (vmstate, "yes"));
        }
    }
  xmlFreeDoc (doc);

  if (!check_snapshot (s, &local_error))
    {
      hv_xml_set_error (error, filename, 0, "%s", local_error->message);
      return NULL;
    }
  return g_steal_pointer (&s);
}

/* ----------------------------------------------------------------------------
 * Files
 */

/* Remove a folder the store made (regular files only, one level); never follows a link. */
static void
remove_folder (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        g_unlink (child);
      }
  g_rmdir (path);
}

gboolean
hv_snapshot_copy_file (const char  *from,
                       const char  *to,
                       GError     **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!hv_file_read_capped (from, NVRAM_MAX, &data, &len, error))
    return FALSE;
  return hv_file_replace_contents (to, data, len, 0600, FALSE, error);
}

static gboolean
sync_dir (const char  *path,
          GError     **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot sync %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * The store
 */

static void
read_state (HvSnapshotStore *store)
{
  g_autofree char *path = g_build_filename (store->dir, "state", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  gsize len = 0;

  g_clear_pointer (&store->current, g_free);
  g_clear_pointer (&store->pending_op, g_free);
  g_clear_pointer (&store->pending_id, g_free);
  g_clear_pointer (&store->load, g_free);
  if (hv_file_read_capped (path, STATE_MAX, &data, &len, NULL) &&
      g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, NULL))
    {
      store->current = g_key_file_get_string (kf, "snapshots", "current", NULL);
      store->pending_op = g_key_file_get_string (kf, "pending", "operation", NULL);
      store->pending_id = g_key_file_get_string (kf, "pending", "id", NULL);
      store->load = g_key_file_get_string (kf, "pending", "load", NULL);
      store->load_paused = g_key_file_get_boolean (kf, "pending", "load-paused", NULL);
    }
  if (store->current == NULL || !g_uuid_string_is_valid (store->current))
    hv_set_str (&store->current, "");
  if (store->pending_op != NULL && store->pending_op[0] == '\0')
    g_clear_pointer (&store->pending_op, g_free);
  if (store->pending_id != NULL && !g_uuid_string_is_valid (store->pending_id))
    g_clear_pointer (&store->pending_id, g_free);
  if (store->load != NULL && !g_str_has_prefix (store->load, HV_SNAPSHOT_TAG_PREFIX))
    g_clear_pointer (&store->load, g_free);
}

static gboolean
ensure_dir (HvSnapshotStore *store,
            GError         **error)
{
  if (g_mkdir_with_parents (store->dir, 0700) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", store->dir,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Write the state with these values (NULL: none). */
static gboolean
write_state (HvSnapshotStore *store,
             const char      *current,
             const char      *pending_op,
             const char      *pending_id,
             const char      *load,
             GError         **error)
{
  g_autofree char *path = g_build_filename (store->dir, "state", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len;

  if (!ensure_dir (store, error))
    return FALSE;
  g_key_file_set_string (kf, "snapshots", "current", current != NULL ? current : "");
  if (pending_op != NULL)
    {
      g_key_file_set_string (kf, "pending", "operation", pending_op);
      g_key_file_set_string (kf, "pending", "id", pending_id != NULL ? pending_id : "");
    }
  if (load != NULL)
    g_key_file_set_string (kf, "pending", "load", load);
  if (load != NULL && store->load_paused)
    g_key_file_set_boolean (kf, "pending", "load-paused", TRUE);
  data = g_key_file_to_data (kf, &len, NULL);
  if (!hv_file_replace_contents (path, data, len, 0600, FALSE, error))
    return FALSE;
  hv_set_str (&store->current, current != NULL ? current : "");
  if (pending_op == NULL)
    {
      g_clear_pointer (&store->pending_op, g_free);
      g_clear_pointer (&store->pending_id, g_free);
    }
  else
    {
      hv_set_str (&store->pending_op, pending_op);
      hv_set_str (&store->pending_id, pending_id);
    }
  if (load == NULL)
    g_clear_pointer (&store->load, g_free);
  else
    hv_set_str (&store->load, load);
  return TRUE;
}

static HvSnapshot *
read_snapshot (const char  *path,
               GError     **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!hv_file_read_capped (path, SNAPSHOT_XML_MAX, &data, &len, error))
    return NULL;
  return hv_snapshot_from_xml (data, len, path, error);
}

void
hv_snapshot_store_reload (HvSnapshotStore *store)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_ptr_array_set_size (store->snapshots, 0);
  g_ptr_array_set_size (store->problems, 0);
  read_state (store);

  dir = g_dir_open (store->dir, 0, NULL);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      HvSnapshot *s;

      if (g_str_has_prefix (name, ".del-"))
        {
          /* A delete that got as far as the rename: only the files were left. */
          g_autofree char *gone = g_build_filename (store->dir, name, NULL);
          remove_folder (gone);
          continue;
        }
      if (!g_uuid_string_is_valid (name) || strspn (name, "0123456789abcdef-") != strlen (name))
        continue;
      path = g_build_filename (store->dir, name, "snapshot.xml", NULL);
      s = read_snapshot (path, &error);
      if (s == NULL)
        {
          g_ptr_array_add (store->problems, g_strdup (error->message));
          continue;
        }
      if (!g_str_equal (s->id, name))
        {
          g_ptr_array_add (store->problems,
                           g_strdup_printf ("%s: the id does not match its folder", path));
          hv_snapshot_free (s);
          continue;
        }
      if (store->snapshots->len >= HV_SNAPSHOT_MAX)
        {
          g_ptr_array_add (store->problems,
                           g_strdup_printf ("%s: more than %d snapshots", path, HV_SNAPSHOT_MAX));
          hv_snapshot_free (s);
          continue;
        }
      g_ptr_array_add (store->snapshots, s);
    }

  /* A parent that is gone (a folder lost by hand) makes a root: the tree stays a tree. */
  for (guint i = 0; i < store->snapshots->len; i++)
    {
      HvSnapshot *s = g_ptr_array_index (store->snapshots, i);

      if (s->parent[0] != '\0' && hv_snapshot_store_find (store, s->parent) == NULL)
        hv_set_str (&s->parent, "");
    }
  if (store->current[0] != '\0' && hv_snapshot_store_find (store, store->current) == NULL)
    hv_set_str (&store->current, "");
}

HvSnapshotStore *
hv_snapshot_store_load (const char *vm_dir)
{
  HvSnapshotStore *store = g_new0 (HvSnapshotStore, 1);

  store->vm_dir = g_strdup (vm_dir);
  store->dir = g_build_filename (vm_dir, "snapshots", NULL);
  store->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_snapshot_free);
  store->problems = g_ptr_array_new_with_free_func (g_free);
  store->current = g_strdup ("");
  hv_snapshot_store_reload (store);
  return store;
}

void
hv_snapshot_store_free (HvSnapshotStore *store)
{
  if (store == NULL)
    return;
  g_free (store->vm_dir);
  g_free (store->dir);
  g_ptr_array_unref (store->snapshots);
  g_ptr_array_unref (store->problems);
  g_free (store->current);
  g_free (store->pending_op);
  g_free (store->pending_id);
  g_free (store->load);
  g_free (store);
}

GPtrArray *
hv_snapshot_store_get_problems (HvSnapshotStore *store)
{
  return store->problems;
}

guint
hv_snapshot_store_count (HvSnapshotStore *store)
{
  return store->snapshots->len;
}

HvSnapshot *
hv_snapshot_store_find (HvSnapshotStore *store,
                        const char      *id)
{
  for (guint i = 0; id != NULL && i < store->snapshots->len; i++)
    {
      HvSnapshot *s = g_ptr_array_index (store->snapshots, i);

      if (g_str_equal (s->id, id))
        return s;
    }
  return NULL;
}

GPtrArray *
hv_snapshot_store_find_by_name (HvSnapshotStore *store,
                                const char      *name)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < store->snapshots->len; i++)
    {
      HvSnapshot *s = g_ptr_array_index (store->snapshots, i);

      if (g_strcmp0 (s->name, name) == 0)
        g_ptr_array_add (found, s);
    }
  return found;
}

static gint
compare_created (gconstpointer a,
                 gconstpointer b)
{
  const HvSnapshot *x = *(HvSnapshot * const *) a;
  const HvSnapshot *y = *(HvSnapshot * const *) b;

  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  return strcmp (x->id, y->id);
}

GPtrArray *
hv_snapshot_store_children (HvSnapshotStore *store,
                            const char      *id)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  GPtrArray *ids = g_ptr_array_new ();

  for (guint i = 0; i < store->snapshots->len; i++)
    {
      HvSnapshot *s = g_ptr_array_index (store->snapshots, i);

      if (g_str_equal (s->parent, id))
        g_ptr_array_add (list, s);
    }
  g_ptr_array_sort (list, compare_created);
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (ids, ((HvSnapshot *) g_ptr_array_index (list, i))->id);
  return ids;
}

static void
list_under (HvSnapshotStore *store,
            const char      *id,
            GPtrArray       *out,
            guint            depth)
{
  g_autoptr(GPtrArray) children = hv_snapshot_store_children (store, id);

  /* The tree is built from parent links the store keeps acyclic; the depth is a guard
   * against a hand-made loop all the same. */
  if (depth > HV_SNAPSHOT_MAX)
    return;
  for (guint i = 0; i < children->len; i++)
    {
      const char *child = g_ptr_array_index (children, i);

      g_ptr_array_add (out, hv_snapshot_store_find (store, child));
      list_under (store, child, out, depth + 1);
    }
}

GPtrArray *
hv_snapshot_store_list (HvSnapshotStore *store)
{
  GPtrArray *out = g_ptr_array_new ();

  list_under (store, "", out, 0);
  return out;
}

char *
hv_snapshot_store_next_name (HvSnapshotStore *store)
{
  for (guint n = 1; ; n++)
    {
      g_autofree char *name = g_strdup_printf ("Snapshot %u", n);
      g_autoptr(GPtrArray) found = hv_snapshot_store_find_by_name (store, name);

      if (found->len == 0)
        return g_steal_pointer (&name);
    }
}

char *
hv_snapshot_store_dup_path (HvSnapshotStore *store,
                            const char      *id,
                            const char      *file)
{
  return g_build_filename (store->dir, id, file, NULL);
}

char *
hv_snapshot_store_dup_staging (HvSnapshotStore *store,
                               const char      *id)
{
  g_autofree char *name = g_strconcat (".new-", id, NULL);

  return g_build_filename (store->dir, name, NULL);
}

const char *
hv_snapshot_store_get_current (HvSnapshotStore *store)
{
  return store->current;
}

gboolean
hv_snapshot_store_set_current (HvSnapshotStore *store,
                               const char      *id,
                               GError         **error)
{
  return write_state (store, id, store->pending_op, store->pending_id, store->load, error);
}

gboolean
hv_snapshot_store_set_pending (HvSnapshotStore *store,
                               const char      *operation,
                               const char      *id,
                               GError         **error)
{
  return write_state (store, store->current, operation, id, store->load, error);
}

const char *
hv_snapshot_store_get_pending (HvSnapshotStore *store,
                               const char     **id)
{
  if (id != NULL)
    *id = store->pending_id != NULL ? store->pending_id : "";
  return store->pending_op;
}

gboolean
hv_snapshot_store_set_load (HvSnapshotStore *store,
                            const char      *tag,
                            GError         **error)
{
  /* Another state (or none): not known to be paused. */
  if (g_strcmp0 (tag, store->load) != 0)
    store->load_paused = FALSE;
  return write_state (store, store->current, store->pending_op, store->pending_id, tag, error);
}

gboolean
hv_snapshot_store_set_load_paused (HvSnapshotStore *store,
                                   const char      *tag,
                                   gboolean         paused,
                                   GError         **error)
{
  store->load_paused = tag != NULL && paused;
  return write_state (store, store->current, store->pending_op, store->pending_id, tag, error);
}

const char *
hv_snapshot_store_get_load (HvSnapshotStore *store)
{
  return store->load;
}

gboolean
hv_snapshot_store_get_load_paused (HvSnapshotStore *store)
{
  return store->load != NULL && store->load_paused;
}

static gboolean
write_snapshot_xml (const char       *dir,
                    const HvSnapshot *snapshot,
                    GError          **error)
{
  g_autofree char *xml = hv_snapshot_to_xml (snapshot, error);
  g_autofree char *path = g_build_filename (dir, "snapshot.xml", NULL);

  return xml != NULL && hv_file_replace_contents (path, xml, strlen (xml), 0600, FALSE, error);
}

gboolean
hv_snapshot_store_prepare (HvSnapshotStore  *store,
                           const HvSnapshot *snapshot,
                           const HvVmConfig *config,
                           const char       *nvram,
                           GBytes           *thumbnail,
                           GError          **error)
{
  g_autofree char *staging = hv_snapshot_store_dup_staging (store, snapshot->id);
  g_autofree char *config_path = g_build_filename (staging, "vm.xml", NULL);

  if (hv_snapshot_store_find (store, snapshot->id) != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_EXISTS, "Snapshot %s exists", snapshot->id);
      return FALSE;
    }
  if (snapshot->parent[0] != '\0' && hv_snapshot_store_find (store, snapshot->parent) == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No snapshot %s", snapshot->parent);
      return FALSE;
    }
  if (store->snapshots->len >= HV_SNAPSHOT_MAX)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "A VM has at most %d snapshots: delete one first", HV_SNAPSHOT_MAX);
      return FALSE;
    }
  if (!ensure_dir (store, error))
    return FALSE;
  /* The marker first: a crash from here on is cleaned up by the next engine. */
  if (!hv_snapshot_store_set_pending (store, "take", snapshot->id, error))
    return FALSE;
  remove_folder (staging);
  if (g_mkdir (staging, 0700) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", staging,
                   g_strerror (errno));
      goto fail;
    }
  if (!hv_vm_config_save (config, config_path, error))
    goto fail;
  if (nvram != NULL)
    {
      g_autofree char *copy = g_build_filename (staging, "nvram.fd", NULL);

      if (!hv_snapshot_copy_file (nvram, copy, error))
        goto fail;
    }
  if (thumbnail != NULL)
    {
      g_autofree char *png = g_build_filename (staging, "thumbnail.png", NULL);
      gsize len = 0;
      const char *data = g_bytes_get_data (thumbnail, &len);

      if (len > THUMBNAIL_MAX ||
          !hv_file_replace_contents (png, data, len, 0600, FALSE, error))
        goto fail;
    }
  if (!write_snapshot_xml (staging, snapshot, error))
    goto fail;
  return TRUE;

fail:
  remove_folder (staging);
  hv_snapshot_store_set_pending (store, NULL, NULL, NULL);
  return FALSE;
}

gboolean
hv_snapshot_store_commit (HvSnapshotStore  *store,
                          const HvSnapshot *snapshot,
                          GError          **error)
{
  const char *id = snapshot->id;
  g_autofree char *staging = hv_snapshot_store_dup_staging (store, id);
  g_autofree char *final = g_build_filename (store->dir, id, NULL);
  g_autofree char *xml = g_build_filename (final, "snapshot.xml", NULL);
  HvSnapshot *s;

  if (!write_snapshot_xml (staging, snapshot, error))
    return FALSE;
  if (g_rename (staging, final) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot rename %s: %s", staging,
                   g_strerror (errno));
      return FALSE;
    }
  if (!sync_dir (store->dir, error))
    return FALSE;
  s = read_snapshot (xml, error);
  if (s == NULL)
    return FALSE;
  g_ptr_array_add (store->snapshots, s);
  return write_state (store, id, NULL, NULL, store->load, error);
}

void
hv_snapshot_store_abort (HvSnapshotStore *store,
                         const char      *id)
{
  g_autofree char *staging = hv_snapshot_store_dup_staging (store, id);

  remove_folder (staging);
  hv_snapshot_store_set_pending (store, NULL, NULL, NULL);
}

gboolean
hv_snapshot_store_update (HvSnapshotStore  *store,
                          const HvSnapshot *snapshot,
                          GError          **error)
{
  HvSnapshot *old = hv_snapshot_store_find (store, snapshot->id);
  g_autofree char *dir = g_build_filename (store->dir, snapshot->id, NULL);

  if (old == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No snapshot %s", snapshot->id);
      return FALSE;
    }
  if (!write_snapshot_xml (dir, snapshot, error))
    return FALSE;
  g_ptr_array_remove (store->snapshots, old);
  g_ptr_array_add (store->snapshots, hv_snapshot_copy (snapshot));
  return TRUE;
}

gboolean
hv_snapshot_store_remove (HvSnapshotStore *store,
                          const char      *id,
                          GError         **error)
{
  HvSnapshot *s = hv_snapshot_store_find (store, id);
  g_autofree char *dir = g_build_filename (store->dir, id, NULL);
  g_autofree char *gone_name = g_strconcat (".del-", id, NULL);
  g_autofree char *gone = g_build_filename (store->dir, gone_name, NULL);
  g_autofree char *parent = NULL;
  g_autoptr(GPtrArray) children = NULL;

  if (s == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No snapshot %s", id);
      return FALSE;
    }
  parent = g_strdup (s->parent);

  /* Children first: a crash after this leaves them under the grandparent, and the
   * snapshot itself still whole (its delete is redone). */
  children = hv_snapshot_store_children (store, id);
  for (guint i = 0; i < children->len; i++)
    {
      g_autoptr(HvSnapshot) child = hv_snapshot_copy (hv_snapshot_store_find (
                                                        store, g_ptr_array_index (children, i)));

      hv_set_str (&child->parent, parent);
      if (!hv_snapshot_store_update (store, child, error))
        return FALSE;
    }
  if (g_str_equal (store->current, id) &&
      !write_state (store, parent, store->pending_op, store->pending_id, store->load, error))
    return FALSE;

  remove_folder (gone);
  if (g_rename (dir, gone) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot remove %s: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  sync_dir (store->dir, NULL);
  remove_folder (gone);
  g_ptr_array_remove (store->snapshots, hv_snapshot_store_find (store, id));
  return TRUE;
}
