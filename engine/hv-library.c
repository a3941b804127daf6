/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-library.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-export.h"
#include "hv-fileutil.h"
#include "hv-fileutil-private.h"
#include "hv-network.h"
#include "hv-vm-legacy.h"
#include "hv-vm-machine.h"
#include "hv-vm-clone.h"
#include "hv-vm-options.h"

#define INDEX_MAX_SIZE (1024 * 1024)
#define MAX_FOLDERS 10000

struct _HvLibrary
{
  GObject parent_instance;

  /* owned */
  char *path;
  char *vms_dir;
  char *index_path;
  char *run_base;
  HvQemuCaps *caps;
  HvNetworks *networks;    /* host-only, internal and bridged networks */
  GPtrArray *vms;          /* HvVm* */
  GPtrArray *folders;      /* char*: folders from the index (empty ones too) */
};

G_DEFINE_FINAL_TYPE (HvLibrary, hv_library, G_TYPE_OBJECT)

enum {
  SIGNAL_VM_ADDED,
  SIGNAL_VM_REMOVED,
  SIGNAL_FOLDERS_CHANGED,
  SIGNAL_VM_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
hv_library_dispose (GObject *object)
{
  HvLibrary *self = HV_LIBRARY (object);

  if (self->vms != NULL)
    for (guint i = 0; i < self->vms->len; i++)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->vms, i), self);
  g_clear_pointer (&self->vms, g_ptr_array_unref);
  g_clear_object (&self->networks);

  G_OBJECT_CLASS (hv_library_parent_class)->dispose (object);
}

static void
hv_library_finalize (GObject *object)
{
  HvLibrary *self = HV_LIBRARY (object);

  g_free (self->path);
  g_free (self->vms_dir);
  g_free (self->index_path);
  g_free (self->run_base);
  g_clear_pointer (&self->caps, hv_qemu_caps_free);
  g_clear_pointer (&self->folders, g_ptr_array_unref);

  G_OBJECT_CLASS (hv_library_parent_class)->finalize (object);
}

static void
hv_library_class_init (HvLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_library_dispose;
  object_class->finalize = hv_library_finalize;

  signals[SIGNAL_VM_ADDED] =
    g_signal_new ("vm-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, HV_TYPE_VM);
  signals[SIGNAL_VM_REMOVED] =
    g_signal_new ("vm-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, HV_TYPE_VM);
  signals[SIGNAL_FOLDERS_CHANGED] =
    g_signal_new ("folders-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_VM_STATE_CHANGED] =
    g_signal_new ("vm-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, HV_TYPE_VM);
}

static void
hv_library_init (HvLibrary *self)
{
  self->vms = g_ptr_array_new_with_free_func (g_object_unref);
  self->folders = g_ptr_array_new_with_free_func (g_free);
}

/* ----------------------------------------------------------------------------
 * The folder index
 */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
folder_list_contains (GPtrArray  *list,
                      const char *folder)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (g_ptr_array_index (list, i), folder))
      return TRUE;
  return FALSE;
}

/* Add a folder and its parents ("A/B" adds "A" too). */
static void
folder_list_add (GPtrArray  *list,
                 const char *folder)
{
  g_autofree char *path = g_strdup (folder);
  char *slash;

  if (folder == NULL || folder[0] == '\0')
    return;
  while (TRUE)
    {
      if (!folder_list_contains (list, path))
        g_ptr_array_add (list, g_strdup (path));
      slash = strrchr (path, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }
}

/* "A/B" is within "A" (and within itself). */
static gboolean
folder_is_within (const char *folder,
                  const char *ancestor)
{
  gsize n = strlen (ancestor);

  return strncmp (folder, ancestor, n) == 0 && (folder[n] == '\0' || folder[n] == '/');
}

static gboolean
save_index (HvLibrary *self,
            GError   **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len;

  g_ptr_array_sort (self->folders, compare_strings);
  g_key_file_set_integer (key_file, "library", "version", 1);
  g_key_file_set_string_list (key_file, "library", "folders",
                              (const char * const *) self->folders->pdata, self->folders->len);
  data = g_key_file_to_data (key_file, &len, NULL);
  return hv_file_replace_contents (self->index_path, data, len, 0600, TRUE, error);
}

/* A damaged index loses nothing that matters: VMs keep their folder in their own config.
 * It is left as it is and replaced at the next folder change. */
static void
load_index (HvLibrary *self)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *data = NULL;
  g_auto(GStrv) folders = NULL;
  gsize len = 0;

  if (!hv_file_read_capped_full (self->index_path, INDEX_MAX_SIZE, HV_FILE_READ_NOFOLLOW, &data,
                                 &len, NULL, NULL, NULL) ||
      !g_key_file_load_from_data (key_file, data, len, G_KEY_FILE_NONE, NULL))
    return;

  folders = g_key_file_get_string_list (key_file, "library", "folders", NULL, NULL);
  for (guint i = 0; folders != NULL && folders[i] != NULL && i < MAX_FOLDERS; i++)
    if (hv_config_check_folder (folders[i], NULL))
      folder_list_add (self->folders, folders[i]);
}

/* ----------------------------------------------------------------------------
 * Loading
 */

static void
on_vm_state_changed (HvVm      *vm,
                     HvLibrary *self)
{
  g_signal_emit (self, signals[SIGNAL_VM_STATE_CHANGED], 0, vm);
}

static void
add_vm (HvLibrary *self,
        HvVm      *vm)
{
  g_ptr_array_add (self->vms, vm);
  g_signal_connect (vm, "state-changed", G_CALLBACK (on_vm_state_changed), self);
}

/* Remove a VM directory we made or own, with what is inside it. It never follows
 * symlinks, so it never touches anything outside the directory: a VM "directory" that is
 * a link (or any other non-directory) is only unlinked itself. */
static void
remove_vm_dir (const char *path)
{
  g_autoptr(GFile) dir = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (!S_ISDIR (st.st_mode))
    {
      g_unlink (path);
      return;
    }
  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      g_autoptr(GFile) child = g_file_get_child (dir, g_file_info_get_name (info));

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_vm_dir (g_file_peek_path (child));
      else
        g_file_delete (child, NULL, NULL);
    }
  g_file_delete (dir, NULL, NULL);
}

/* A directory of ours that others may read or write is made private, as the runtime
 * directory is (hv_paths_ensure_private_dir()); `follow`: `path` may be a link to it (the
 * library itself may live elsewhere), else a link is left alone. */
static void
tighten_dir (const char *path,
             gboolean    follow)
{
  struct stat st;

  if ((follow ? stat (path, &st) : lstat (path, &st)) != 0 || !S_ISDIR (st.st_mode) ||
      st.st_uid != getuid () || (st.st_mode & 0077) == 0)
    return;
  chmod (path, st.st_mode & 0700);
}

/* What the engine writes with hv_file_replace_contents() in the library. */
static const char * const library_files[] = { "library.ini", "networks.xml", NULL };
static const char * const vm_files[] = { "vm.xml", "nvram.fd", NULL };

static gboolean
is_uuid (const char *name)
{
  return g_uuid_string_is_valid (name) && strlen (name) == 36;
}

/* How a name in vms/ looks before anything is read: VM_ENTRY_NONE for what is not a VM
 * (a directory without vm.xml is what "delete --keep-files" leaves behind). Anything else
 * UUID-named is listed, if need be as inaccessible with the reason (a link, not a
 * directory, a vm.xml that is a FIFO…), so that nothing in the library goes unseen. */
static gboolean
is_vm_entry (const char *vm_dir)
{
  g_autofree char *config = g_build_filename (vm_dir, "vm.xml", NULL);
  struct stat st;

  if (lstat (vm_dir, &st) != 0)
    return FALSE;
  if (!S_ISDIR (st.st_mode))
    return TRUE;
  return lstat (config, &st) == 0 || errno != ENOENT;
}

/* For HvNetworks: which networks the VMs' adapters name (see HvNetworkUsesFunc). */
static GPtrArray *
network_uses (gpointer user_data)
{
  HvLibrary *self = user_data;
  GPtrArray *uses = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_network_use_free);

  for (guint i = 0; self->vms != NULL && i < self->vms->len; i++)
    {
      HvVm *vm = g_ptr_array_index (self->vms, i);
      const HvVmConfig *config = hv_vm_get_config (vm);

      for (guint j = 0; config != NULL && j < config->nics->len; j++)
        {
          const HvNic *nic = g_ptr_array_index (config->nics, j);
          HvNetworkUse *use;

          /* A disabled adapter keeps its network too: it comes back with it. */
          if (nic->target == NULL
              || (nic->mode != HV_NET_BRIDGED && nic->mode != HV_NET_HOST_ONLY
                  && nic->mode != HV_NET_INTERNAL))
            continue;
          use = g_new0 (HvNetworkUse, 1);
          use->mode = nic->mode;
          use->target = g_strdup (nic->target);
          use->vm_uuid = g_strdup (hv_vm_get_uuid (vm));
          use->vm_name = g_strdup (hv_vm_get_name (vm));
          g_ptr_array_add (uses, use);
        }
    }
  return uses;
}

HvLibrary *
hv_library_new (const char       *path,
                const char       *run_base,
                const HvQemuCaps *caps,
                GError          **error)
{
  g_autoptr(HvLibrary) self = g_object_new (HV_TYPE_LIBRARY, NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) qemus = NULL;
  /* Every temporary of an interrupted save is older than this engine: the engine lock
   * keeps a second engine from running, so none is being written now. */
  gint64 started = g_get_real_time () / G_USEC_PER_SEC + 1;
  const char *name;

  self->path = g_strdup (path);
  self->vms_dir = g_build_filename (path, "vms", NULL);
  self->index_path = g_build_filename (path, "library.ini", NULL);
  self->run_base = g_strdup (run_base);
  self->caps = caps != NULL ? hv_qemu_caps_copy (caps) : NULL;

  if (g_mkdir_with_parents (self->vms_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create the library at %s: %s",
                   self->vms_dir, g_strerror (saved));
      return NULL;
    }
  tighten_dir (self->path, TRUE);
  tighten_dir (self->vms_dir, TRUE);
  hv_file_remove_stale_temps (self->path, library_files, started);

  load_index (self);
  self->networks = hv_networks_new (self->path, run_base, error);
  if (self->networks == NULL)
    return NULL;
  hv_networks_set_uses_func (self->networks, network_uses, self);

  dir = g_dir_open (self->vms_dir, 0, error);
  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      /* Only UUID-named directories are VMs; ".new-*" are creations that never finished. */
      if (is_uuid (name))
        g_ptr_array_add (names, g_strdup (name));
      else if (g_str_has_prefix (name, ".new-"))
        {
          g_autofree char *stale = g_build_filename (self->vms_dir, name, NULL);
          remove_vm_dir (stale);
        }
    }
  g_ptr_array_sort (names, compare_strings);
  /* Every QEMU an earlier engine left, pid file or not (see hv-vm-reattach.c). */
  qemus = hv_vm_find_qemus (run_base);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *vm_dir = g_build_filename (self->vms_dir, g_ptr_array_index (names, i),
                                                  NULL);
      g_autofree char *logs = g_build_filename (vm_dir, "logs", NULL);
      HvVm *vm;

      if (!is_vm_entry (vm_dir))
        continue;
      /* Only within a real directory: a link is never followed (see is_vm_entry()). */
      if (!g_file_test (vm_dir, G_FILE_TEST_IS_SYMLINK))
        {
          tighten_dir (vm_dir, FALSE);
          tighten_dir (logs, FALSE);
          hv_file_remove_stale_temps (vm_dir, vm_files, started);
        }
      vm = hv_vm_new_from_dir (vm_dir, run_base, caps);
      hv_vm_set_networks (vm, self->networks);
      add_vm (self, vm);
      hv_vm_reattach (vm, qemus);
      hv_vm_export_clean_leftovers (vm);
    }

  /* Linked clones' bases: what an interrupted clone left, and what no VM names any more. */
  hv_clone_collect_bases (self->path, TRUE);
  return g_steal_pointer (&self);
}

const char *
hv_library_get_path (HvLibrary *self)
{
  return self->path;
}

GPtrArray *
hv_library_get_vms (HvLibrary *self)
{
  return self->vms;
}

const HvQemuCaps *
hv_library_get_caps (HvLibrary *self)
{
  return self->caps;
}

HvNetworks *
hv_library_get_networks (HvLibrary *self)
{
  return self->networks;
}

gboolean
hv_library_any_active (HvLibrary *self)
{
  for (guint i = 0; i < self->vms->len; i++)
    if (hv_vm_is_active (g_ptr_array_index (self->vms, i)))
      return TRUE;
  return FALSE;
}

static HvVm *
find_by_name (HvLibrary  *self,
              const char *name,
              HvVm       *except)
{
  for (guint i = 0; i < self->vms->len; i++)
    {
      HvVm *vm = g_ptr_array_index (self->vms, i);
      if (vm != except && g_str_equal (hv_vm_get_name (vm), name))
        return vm;
    }
  return NULL;
}

HvVm *
hv_library_find_vm (HvLibrary  *self,
                    const char *name_or_uuid,
                    GError    **error)
{
  g_autofree char *shown = NULL;
  HvVm *vm;

  for (guint i = 0; i < self->vms->len; i++)
    {
      vm = g_ptr_array_index (self->vms, i);
      if (g_ascii_strcasecmp (hv_vm_get_uuid (vm), name_or_uuid) == 0)
        return vm;
    }
  vm = find_by_name (self, name_or_uuid, NULL);
  if (vm != NULL)
    return vm;

  shown = hv_config_escape_for_display (name_or_uuid);
  g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No VM named \"%s\"", shown);
  return NULL;
}

static gboolean
check_name_free (HvLibrary  *self,
                 const char *name,
                 HvVm       *except,
                 GError    **error)
{
  if (find_by_name (self, name, except) == NULL)
    return TRUE;
  g_autofree char *shown = hv_config_escape_for_display (name);
  g_set_error (error, HV_ERROR, HV_ERROR_EXISTS, "A VM named \"%s\" already exists", shown);
  return FALSE;
}

/* The VM other than @except that has an adapter with @mac, or NULL. */
static HvVm *
find_by_mac (HvLibrary  *self,
             const char *mac,
             HvVm       *except)
{
  for (guint i = 0; i < self->vms->len; i++)
    {
      HvVm *vm = g_ptr_array_index (self->vms, i);
      const HvVmConfig *config = hv_vm_get_config (vm);

      if (vm == except || config == NULL)
        continue;
      for (guint n = 0; n < config->nics->len; n++)
        if (g_ascii_strcasecmp (((HvNic *) g_ptr_array_index (config->nics, n))->mac, mac) == 0)
          return vm;
    }
  return NULL;
}

/* MAC addresses are unique within the library: an address @changed has and @before had not
 * must be free. One the engine made ("auto", a new adapter) is made again until it is; one
 * the user gave fails. */
static gboolean
check_macs_free (HvLibrary         *self,
                 HvVm              *vm,
                 const HvVmConfig  *before,
                 HvVmConfig        *changed,
                 GVariant          *options,
                 GError           **error)
{
  for (guint n = 0; n < changed->nics->len; n++)
    {
      HvNic *nic = g_ptr_array_index (changed->nics, n);
      g_autofree char *key = g_strdup_printf ("nic%u-mac", n + 1);
      const char *given = NULL;
      gboolean old = FALSE;
      HvVm *other;

      for (guint m = 0; before != NULL && m < before->nics->len; m++)
        old = old || g_ascii_strcasecmp (((HvNic *) g_ptr_array_index (before->nics, m))->mac,
                                         nic->mac) == 0;
      if (old)
        continue;
      g_variant_lookup (options, key, "&s", &given);
      for (guint tries = 0; (other = find_by_mac (self, nic->mac, vm)) != NULL; tries++)
        {
          if ((given != NULL && !g_str_equal (given, "auto")) || tries > 100)
            {
              g_autofree char *shown = hv_config_escape_for_display (hv_vm_get_name (other));

              g_set_error (error, HV_ERROR, HV_ERROR_EXISTS,
                           "Adapter %u: MAC address %s is already used by VM \"%s\" (use "
                           "auto for a new one)", n + 1, nic->mac, shown);
              return FALSE;
            }
          g_free (nic->mac);
          nic->mac = hv_mac_generate ();
        }
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Folders
 */

char **
hv_library_dup_folders (HvLibrary *self)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  for (guint i = 0; i < self->folders->len; i++)
    folder_list_add (all, g_ptr_array_index (self->folders, i));
  for (guint i = 0; i < self->vms->len; i++)
    folder_list_add (all, hv_vm_get_folder (g_ptr_array_index (self->vms, i)));
  g_ptr_array_sort (all, compare_strings);
  g_ptr_array_add (all, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&all), FALSE);
}

static gboolean
folder_exists (HvLibrary  *self,
               const char *path)
{
  g_auto(GStrv) all = hv_library_dup_folders (self);

  return g_strv_contains ((const char * const *) all, path);
}

gboolean
hv_library_create_folder (HvLibrary  *self,
                          const char *path,
                          GError    **error)
{
  g_autoptr(GPtrArray) before = NULL;

  if (!hv_config_check_folder (path, error))
    return FALSE;
  if (path[0] == '\0')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "A folder needs a name");
      return FALSE;
    }
  if (folder_exists (self, path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_EXISTS, "Folder \"%s\" already exists", path);
      return FALSE;
    }
  if (self->folders->len >= MAX_FOLDERS)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Too many folders");
      return FALSE;
    }

  before = g_ptr_array_copy (self->folders, (GCopyFunc) (void (*) (void)) g_strdup, NULL);
  g_ptr_array_set_free_func (before, g_free);
  folder_list_add (self->folders, path);
  if (!save_index (self, error))
    {
      /* Keep memory and disk the same: what was there before. */
      g_ptr_array_unref (self->folders);
      self->folders = g_steal_pointer (&before);
      return FALSE;
    }
  g_signal_emit (self, signals[SIGNAL_FOLDERS_CHANGED], 0);
  return TRUE;
}

/* Re-home VMs whose folder is within `from`, replacing that prefix with `to`. A VM whose
 * config cannot be saved keeps its folder; the first error is returned. */
static gboolean
move_vms_between_folders (HvLibrary  *self,
                          const char *from,
                          const char *to,
                          GError    **error)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < self->vms->len; i++)
    {
      HvVm *vm = g_ptr_array_index (self->vms, i);
      const HvVmConfig *config = hv_vm_get_config (vm);
      g_autoptr(HvVmConfig) copy = NULL;
      g_autoptr(GError) local_error = NULL;

      if (config == NULL || !folder_is_within (config->folder, from))
        continue;

      copy = hv_vm_config_copy (config);
      g_free (copy->folder);
      if (to[0] == '\0')
        copy->folder = g_strdup (config->folder[strlen (from)] == '/' ?
                                 config->folder + strlen (from) + 1 : "");
      else
        copy->folder = g_strconcat (to, config->folder + strlen (from), NULL);

      if (!hv_config_check_folder (copy->folder, &local_error) ||
          !hv_vm_set_config (vm, copy, &local_error))
        {
          if (ok)
            g_propagate_error (error, g_steal_pointer (&local_error));
          ok = FALSE;
        }
    }
  return ok;
}

gboolean
hv_library_rename_folder (HvLibrary  *self,
                          const char *path,
                          const char *new_path,
                          GError    **error)
{
  g_autoptr(GPtrArray) renamed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) before = NULL;

  if (!hv_config_check_folder (path, error) || !hv_config_check_folder (new_path, error))
    return FALSE;
  if (path[0] == '\0' || new_path[0] == '\0')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "A folder needs a name");
      return FALSE;
    }
  if (!folder_exists (self, path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No folder \"%s\"", path);
      return FALSE;
    }
  if (folder_exists (self, new_path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_EXISTS, "Folder \"%s\" already exists", new_path);
      return FALSE;
    }
  if (folder_is_within (new_path, path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Cannot move folder \"%s\" into itself", path);
      return FALSE;
    }
  if (strlen (new_path) + 1 > HV_FOLDER_MAX_CHARS)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Folder path too long");
      return FALSE;
    }

  before = g_ptr_array_copy (self->folders, (GCopyFunc) (void (*) (void)) g_strdup, NULL);
  g_ptr_array_set_free_func (before, g_free);
  for (guint i = 0; i < before->len; i++)
    {
      const char *f = g_ptr_array_index (before, i);
      if (folder_is_within (f, path))
        g_ptr_array_add (renamed, g_strconcat (new_path, f + strlen (path), NULL));
      else
        g_ptr_array_add (renamed, g_strdup (f));
    }

  g_ptr_array_set_size (self->folders, 0);
  for (guint i = 0; i < renamed->len; i++)
    folder_list_add (self->folders, g_ptr_array_index (renamed, i));
  folder_list_add (self->folders, new_path);

  /* The VMs first, then the index, each save atomic, so that a crash leaves every file old or
   * new. A failure (a full disk) is undone, so that what the engine shows stays what is on
   * disk: the VMs that moved go back (nothing was in new_path, which did not exist), and the
   * index, not written, keeps the old names. A VM that cannot go back stays where its config
   * says, and the folder list shows it there. */
  if (!move_vms_between_folders (self, path, new_path, error) || !save_index (self, error))
    {
      move_vms_between_folders (self, new_path, path, NULL);
      g_ptr_array_unref (self->folders);
      self->folders = g_steal_pointer (&before);
      g_signal_emit (self, signals[SIGNAL_FOLDERS_CHANGED], 0);
      return FALSE;
    }
  g_signal_emit (self, signals[SIGNAL_FOLDERS_CHANGED], 0);
  return TRUE;
}

gboolean
hv_library_delete_folder (HvLibrary  *self,
                          const char *path,
                          GError    **error)
{
  g_autofree char *parent = NULL;
  const char *slash;

  if (!hv_config_check_folder (path, error))
    return FALSE;
  if (path[0] == '\0' || !folder_exists (self, path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "No folder \"%s\"", path);
      return FALSE;
    }

  /* VMs in it (and in its subfolders) move up to its parent: nothing is lost. */
  slash = strrchr (path, '/');
  parent = slash != NULL ? g_strndup (path, slash - path) : g_strdup ("");
  for (guint i = 0; i < self->vms->len; i++)
    {
      HvVm *vm = g_ptr_array_index (self->vms, i);
      const HvVmConfig *config = hv_vm_get_config (vm);
      g_autoptr(HvVmConfig) copy = NULL;

      if (config == NULL || !folder_is_within (config->folder, path))
        continue;
      copy = hv_vm_config_copy (config);
      hv_set_str (&copy->folder, parent);
      if (!hv_vm_set_config (vm, copy, error))
        return FALSE;
    }

  for (guint i = self->folders->len; i > 0; i--)
    if (folder_is_within (g_ptr_array_index (self->folders, i - 1), path))
      g_ptr_array_remove_index (self->folders, i - 1);
  folder_list_add (self->folders, parent);

  if (!save_index (self, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_FOLDERS_CHANGED], 0);
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Create, modify, move, delete
 */

typedef struct {
  HvVmConfig *config;
  char *tmp_dir;
  char *final_dir;
} CreateData;

static void
create_data_free (CreateData *data)
{
  g_clear_pointer (&data->config, hv_vm_config_free);
  if (data->tmp_dir != NULL)
    remove_vm_dir (data->tmp_dir);
  g_free (data->tmp_dir);
  g_free (data->final_dir);
  g_free (data);
}

/* A new VM is made in a hidden ".new-XXXXXX" directory and renamed into place at the end:
 * an error says where the VM was going to be, not that name. */
static GError *
name_final_dir (CreateData *data,
                GError     *error)
{
  g_autoptr(GString) message = NULL;

  if (data->tmp_dir == NULL || strstr (error->message, data->tmp_dir) == NULL)
    return error;
  message = g_string_new (error->message);
  g_string_replace (message, data->tmp_dir, data->final_dir, 0);
  g_free (error->message);
  error->message = g_strdup (message->str);
  return error;
}

/* A failed creation: the hidden directory goes before the caller hears of it (the task's
 * data would only go when the task is finalized, after the client's reply was sent, so a
 * client that looked at once could find it). */
static void
create_fail (GTask  *task,
             GError *error)
{
  CreateData *data = g_task_get_task_data (task);

  error = name_final_dir (data, error);
  if (data->tmp_dir != NULL)
    {
      remove_vm_dir (data->tmp_dir);
      g_clear_pointer (&data->tmp_dir, g_free);
    }
  g_task_return_error (task, error);
}

HvVm *
hv_library_register_vm (HvLibrary   *self,
                        const char  *tmp_dir,
                        HvVmConfig  *config,
                        const char  *log_line,
                        GError     **error)
{
  g_autofree char *config_path = g_build_filename (tmp_dir, "vm.xml", NULL);
  g_autofree char *final_dir = g_build_filename (self->vms_dir, config->uuid, NULL);
  HvVm *vm;

  /* The name may have been taken while the disks were being made. */
  if (!check_name_free (self, config->name, NULL, error) ||
      !hv_vm_config_save (config, config_path, error))
    return NULL;
  if (g_rename (tmp_dir, final_dir) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create %s: %s", final_dir,
                   g_strerror (saved));
      return NULL;
    }

  if (config->folder[0] != '\0' && !folder_list_contains (self->folders, config->folder))
    {
      folder_list_add (self->folders, config->folder);
      save_index (self, NULL);   /* the VM's own config keeps its folder anyway */
      g_signal_emit (self, signals[SIGNAL_FOLDERS_CHANGED], 0);
    }

  vm = hv_vm_new_from_dir (final_dir, self->run_base, self->caps);
  hv_vm_set_networks (vm, self->networks);
  add_vm (self, vm);
  hv_vm_log (vm, "%s", log_line);
  g_signal_emit (self, signals[SIGNAL_VM_ADDED], 0, vm);
  return vm;
}

const char *
hv_library_get_vms_dir (HvLibrary *self)
{
  return self->vms_dir;
}

gboolean
hv_library_check_name_free (HvLibrary   *self,
                            const char  *name,
                            GError     **error)
{
  return check_name_free (self, name, NULL, error);
}

gboolean
hv_library_mac_in_use (HvLibrary  *self,
                       const char *mac)
{
  return find_by_mac (self, mac, NULL) != NULL;
}

static void
create_finish_on_disk (GTask *task)
{
  HvLibrary *self = g_task_get_source_object (task);
  CreateData *data = g_task_get_task_data (task);
  GError *error = NULL;
  HvVm *vm;

  vm = hv_library_register_vm (self, data->tmp_dir, data->config, "created", &error);
  if (vm == NULL)
    {
      create_fail (task, error);
      return;
    }
  g_clear_pointer (&data->tmp_dir, g_free);
  g_task_return_pointer (task, g_object_ref (vm), g_object_unref);
}

/* qemu-img makes a new qcow2 disk of gib GiB at path; finish with qemu_img_create_finish().
 * Fails at once when qemu-img is missing or cannot be started. */
static gboolean
qemu_img_create_async (const char         *path,
                       guint64             gib,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data,
                       GError            **error)
{
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  g_autofree char *size = NULL;
  g_autoptr(GSubprocess) process = NULL;

  if (qemu_img == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "qemu-img is not installed: cannot create a disk (use --no-disk or --disk)");
      return FALSE;
    }
  size = g_strdup_printf ("%" G_GUINT64_FORMAT "G", gib);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              error, qemu_img, "create", "-q", "-f", "qcow2", path, size, NULL);
  if (process == NULL)
    return FALSE;
  g_subprocess_communicate_utf8_async (process, NULL, cancellable, callback, user_data);
  return TRUE;
}

static gboolean
qemu_img_create_finish (GObject      *process,
                        GAsyncResult *result,
                        GError      **error)
{
  GSubprocess *subprocess = G_SUBPROCESS (process);
  g_autofree char *err_text = NULL;
  g_autoptr(GError) local = NULL;

  if (!g_subprocess_communicate_utf8_finish (subprocess, result, NULL, &err_text, &local))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create the disk: %s", local->message);
      return FALSE;
    }
  if (!g_subprocess_get_if_exited (subprocess) || g_subprocess_get_exit_status (subprocess) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot create the disk: %s",
                   err_text != NULL ? g_strstrip (err_text) : "qemu-img failed");
      return FALSE;
    }
  return TRUE;
}

static void
on_qemu_img_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!qemu_img_create_finish (object, result, &error))
    {
      create_fail (task, error);
      return;
    }
  create_finish_on_disk (task);
}

void
hv_library_create_vm_async (HvLibrary          *self,
                            const char         *name,
                            GVariant           *options,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *disk_path = NULL;
  HvVmOptionsPlan plan;
  CreateData *data;
  GError *error = NULL;

  g_task_set_source_tag (task, hv_library_create_vm_async);

  data = g_new0 (CreateData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);

  data->config = hv_vm_options_create (name, options, &plan, &error);
  if (data->config != NULL)
    hv_machine_type_pin (data->config, self->caps);
  if (data->config == NULL || !check_name_free (self, name, NULL, &error) ||
      !check_macs_free (self, NULL, NULL, data->config, options, &error) ||
      !hv_vm_options_check_startable (data->config, NULL, self->caps, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  data->final_dir = g_build_filename (self->vms_dir, data->config->uuid, NULL);
  data->tmp_dir = g_build_filename (self->vms_dir, ".new-XXXXXX", NULL);
  if (g_mkdtemp_full (data->tmp_dir, 0700) == NULL)
    {
      int saved = errno;
      g_clear_pointer (&data->tmp_dir, g_free);
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_IO, "Cannot create a VM directory in %s: %s",
                               self->vms_dir, g_strerror (saved));
      return;
    }

  if (plan.new_disk_gib == 0)
    {
      create_finish_on_disk (task);
      return;
    }

  disk_path = g_build_filename (data->tmp_dir, "disk0.qcow2", NULL);
  if (!qemu_img_create_async (disk_path, plan.new_disk_gib, cancellable, on_qemu_img_done, task,
                              &error))
    {
      create_fail (task, error);
      return;
    }
  g_steal_pointer (&task); /* on_qemu_img_done's now */
}

HvVm *
hv_library_create_vm_finish (HvLibrary    *self,
                             GAsyncResult *result,
                             GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hv_library_modify_vm (HvLibrary *self,
                      HvVm      *vm,
                      GVariant  *options,
                      GError   **error)
{
  const HvVmConfig *config = hv_vm_get_config (vm);
  g_autoptr(HvVmConfig) changed = NULL;

  if (config == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" is inaccessible",
                   hv_vm_get_name (vm));
      return FALSE;
    }

  changed = hv_vm_options_modify (config, options, hv_vm_is_active (vm), error);
  /* A VM moved to the other machine is pinned to that machine's type at once. */
  if (changed != NULL && changed->machine != config->machine)
    hv_machine_type_pin (changed, self->caps);
  if (changed == NULL || !check_name_free (self, changed->name, vm, error) ||
      !check_macs_free (self, vm, config, changed, options, error) ||
      !hv_vm_legacy_check_locked (vm, config, changed, error) ||
      !hv_vm_options_check_startable (changed, config, self->caps, error))
    return FALSE;
  if (!hv_vm_set_config (vm, changed, error))
    return FALSE;
  if (!folder_list_contains (self->folders, changed->folder) && changed->folder[0] != '\0')
    {
      folder_list_add (self->folders, changed->folder);
      save_index (self, NULL);
      g_signal_emit (self, signals[SIGNAL_FOLDERS_CHANGED], 0);
    }
  return TRUE;
}

typedef struct {
  HvVm *vm;
  char *path;
} AddDiskData;

static void
add_disk_data_free (AddDiskData *data)
{
  g_clear_object (&data->vm);
  g_free (data->path);
  g_free (data);
}

static void
on_add_disk_created (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvLibrary *self = g_task_get_source_object (task);
  AddDiskData *data = g_task_get_task_data (task);
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);
  g_autoptr(GVariant) options = NULL;
  GError *error = NULL;

  if (!qemu_img_create_finish (object, result, &error))
    {
      g_unlink (data->path);
      g_task_return_error (task, error);
      return;
    }
  g_variant_dict_insert (dict, "disk", "s", data->path);
  g_variant_dict_insert (dict, "disk-format", "s", "qcow2");
  options = g_variant_ref_sink (g_variant_dict_end (dict));
  /* The VM may have started or got a disk while qemu-img ran: then the new file goes. */
  if (!hv_library_modify_vm (self, data->vm, options, &error))
    {
      g_unlink (data->path);
      g_task_return_error (task, error);
      return;
    }
  hv_vm_log (data->vm, "new disk %s", data->path);
  g_task_return_boolean (task, TRUE);
}

void
hv_library_add_disk_async (HvLibrary          *self,
                           HvVm               *vm,
                           guint64             gib,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const HvVmConfig *config = hv_vm_get_config (vm);
  AddDiskData *data;
  GError *error = NULL;

  g_task_set_source_tag (task, hv_library_add_disk_async);
  if (config == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" is inaccessible",
                               hv_vm_get_name (vm));
      return;
    }
  if (hv_vm_is_active (vm))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "--disk-size: a disk can only be added while the VM is powered off");
      return;
    }
  if (gib < 1 || gib > HV_VM_MAX_DISK_GIB)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                               "--disk-size must be 1 to %u GiB", (guint) HV_VM_MAX_DISK_GIB);
      return;
    }
  for (guint i = 0; i < config->drives->len; i++)
    if (((HvDrive *) g_ptr_array_index (config->drives, i))->kind == HV_DRIVE_DISK)
      {
        g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                 "--disk-size: the VM has a hard disk already (remove it first "
                                 "with --no-disk; its file is kept)");
        return;
      }
  data = g_new0 (AddDiskData, 1);
  data->vm = g_object_ref (vm);
  g_task_set_task_data (task, data, (GDestroyNotify) add_disk_data_free);
  /* A disk removed earlier keeps its file: never write over it. */
  for (guint n = 0; data->path == NULL || g_file_test (data->path, G_FILE_TEST_EXISTS); n++)
    {
      g_autofree char *file = g_strdup_printf ("disk%u.qcow2", n);

      g_free (data->path);
      data->path = g_build_filename (hv_vm_get_dir (vm), file, NULL);
    }
  if (!qemu_img_create_async (data->path, gib, cancellable, on_add_disk_created, task, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_steal_pointer (&task); /* on_add_disk_created's now */
}

gboolean
hv_library_add_disk_finish (HvLibrary    *self,
                            GAsyncResult *result,
                            GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hv_library_move_vm (HvLibrary  *self,
                    HvVm       *vm,
                    const char *folder,
                    GError    **error)
{
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);
  g_autoptr(GVariant) options = NULL;

  g_variant_dict_insert (dict, "folder", "s", folder);
  options = g_variant_ref_sink (g_variant_dict_end (dict));
  return hv_library_modify_vm (self, vm, options, error);
}

static gboolean
vm_dir_is_real (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static void
on_delete_off (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvLibrary *self = g_task_get_source_object (task);
  HvVm *vm = HV_VM (object);
  gboolean keep_files = GPOINTER_TO_INT (g_task_get_task_data (task));
  g_autoptr(HvVm) held = g_object_ref (vm);
  GError *error = NULL;

  if (!hv_vm_ensure_off_finish (vm, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!g_ptr_array_find (self->vms, vm, NULL))
    {
      g_task_return_boolean (task, TRUE);   /* deleted twice at once: the first one won */
      return;
    }

  if (!vm_dir_is_real (hv_vm_get_dir (vm)))
    {
      /* A link (or a file) where the VM's directory should be: only that entry goes,
       * whatever it points to stays untouched, with or without --keep-files. */
      if (g_unlink (hv_vm_get_dir (vm)) != 0)
        {
          int saved = errno;
          g_task_return_new_error (task, HV_ERROR, HV_ERROR_IO, "Cannot remove %s: %s",
                                   hv_vm_get_dir (vm), g_strerror (saved));
          return;
        }
    }
  else if (keep_files)
    {
      /* Unregister only: the config is set aside so the next engine does not list it. */
      g_autofree char *config = g_build_filename (hv_vm_get_dir (vm), "vm.xml", NULL);
      g_autofree char *kept = g_build_filename (hv_vm_get_dir (vm), "vm.xml.deleted", NULL);

      if (g_rename (config, kept) != 0)
        {
          int saved = errno;
          g_task_return_new_error (task, HV_ERROR, HV_ERROR_IO, "Cannot unregister %s: %s",
                                   config, g_strerror (saved));
          return;
        }
      hv_vm_log (vm, "unregistered; files kept");
    }
  else
    remove_vm_dir (hv_vm_get_dir (vm));

  g_signal_handlers_disconnect_by_data (vm, self);
  g_ptr_array_remove (self->vms, vm);
  g_signal_emit (self, signals[SIGNAL_VM_REMOVED], 0, vm);
  /* A linked clone's base goes with the last VM that names it. */
  hv_clone_collect_bases (self->path, FALSE);
  g_task_return_boolean (task, TRUE);
}

void
hv_library_delete_vm_async (HvLibrary          *self,
                            HvVm               *vm,
                            gboolean            keep_files,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_library_delete_vm_async);
  g_task_set_task_data (task, GINT_TO_POINTER (keep_files), NULL);
  hv_vm_ensure_off_async (vm, NULL, on_delete_off, g_steal_pointer (&task));
}

gboolean
hv_library_delete_vm_finish (HvLibrary    *self,
                             GAsyncResult *result,
                             GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
