/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine.c: the D-Bus server of hostvisord.
 *
 * Clients connect peer to peer (no message bus) to engine.sock in the 0700 runtime
 * directory, and HvServer (hv-server.c) lets in only our own user. Every connection gets
 * the Engine object and one Vm object per VM; a skeleton exported on several
 * connections sends its signals and property changes to all of them, so every
 * client sees the same state. A closed connection is unexported everywhere, so that
 * nothing holds it any more and its socket is closed. */
#include "hv-engine.h"
#include "hv-engine-network.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "hv-build-config.h"
#include "hv-client.h"
#include "hv-contract.h"
#include "hv-demo.h"
#include "hv-engine-netsetup.h"
#include "hv-engine-vm-network.h"
#include "hv-engine-clone.h"
#include "hv-engine-export.h"
#include "hv-export.h"
#include "hv-engine-files.h"
#include "hv-engine-import.h"
#include "hv-engine-lock.h"
#include "hv-appliance-import.h"
#include "hv-vm-clone.h"
#include "hv-engine-snapshots.h"
#include "hv-engine-read-png.h"
#include "hv-vm-snapshots.h"
#include "hv-error.h"
#include "hv-kvm-probe.h"
#include "hv-osinfo.h"
#include "hv-paths.h"
#include "hv-qemu-caps.h"
#include "hv-server.h"

struct _HvEngine
{
  GObject parent_instance;

  /* owned */
  int lock_fd;
  int library_lock_fd;   /* LIBRARY/engine.lock (hv-engine-lock.h) */
  char *run_base;
  char *socket_path;
  HvQemuCaps *caps;
  HvLibrary *library;
  HvDbusEngine *skeleton;
  HvServer *server;
  GPtrArray *connections;   /* GDBusConnection* */
  guint idle_timeout_s;
  guint idle_source_id;
  GVariant *oses;           /* cached ListOses reply */
  GPtrArray *vm_handlers;   /* GClosure*, one per VM_HANDLERS entry, shared by every VM */
};

G_DEFINE_FINAL_TYPE (HvEngine, hv_engine, G_TYPE_OBJECT)

enum {
  SIGNAL_IDLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_idle (HvEngine *self);

static void
hv_engine_dispose (GObject *object)
{
  HvEngine *self = HV_ENGINE (object);

  g_clear_handle_id (&self->idle_source_id, g_source_remove);
  /* A KVM test guest still running is killed, not left behind. */
  if (self->caps != NULL && self->caps->kvm_probe != NULL)
    hv_kvm_probe_cancel (self->caps->kvm_probe);
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      hv_server_stop (self->server);
    }
  g_clear_object (&self->server);
  if (self->connections != NULL)
    for (guint i = 0; i < self->connections->len; i++)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->connections, i), self);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  g_clear_object (&self->library);
  g_clear_object (&self->skeleton);
  /* VMs that outlive the engine (a caller's reference) call nothing any more. */
  if (self->vm_handlers != NULL)
    g_ptr_array_foreach (self->vm_handlers, (GFunc) g_closure_invalidate, NULL);
  g_clear_pointer (&self->vm_handlers, g_ptr_array_unref);

  G_OBJECT_CLASS (hv_engine_parent_class)->dispose (object);
}

static void
hv_engine_finalize (GObject *object)
{
  HvEngine *self = HV_ENGINE (object);

  if (self->socket_path != NULL)
    g_unlink (self->socket_path);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  if (self->library_lock_fd >= 0)
    close (self->library_lock_fd);
  g_free (self->run_base);
  g_free (self->socket_path);
  g_clear_pointer (&self->caps, hv_qemu_caps_free);
  g_clear_pointer (&self->oses, g_variant_unref);

  G_OBJECT_CLASS (hv_engine_parent_class)->finalize (object);
}

static void
hv_engine_class_init (HvEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_engine_dispose;
  object_class->finalize = hv_engine_finalize;

  signals[SIGNAL_IDLE] =
    g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
hv_engine_init (HvEngine *self)
{
  self->lock_fd = -1;
  self->library_lock_fd = -1;
  self->connections = g_ptr_array_new_with_free_func (g_object_unref);
  self->skeleton = hv_dbus_engine_skeleton_new ();
}

/* ----------------------------------------------------------------------------
 * Exporting objects
 */

static void
export_vm (HvEngine        *self,
           HvVm            *vm,
           GDBusConnection *connection)
{
  g_autofree char *path = hv_vm_dup_object_path (vm);
  g_autoptr(GError) error = NULL;

  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (hv_vm_get_skeleton (vm)),
                                         connection, path, &error))
    g_warning ("Cannot export %s: %s", path, error->message);
}

static void
sync_folders (HvEngine *self)
{
  g_auto(GStrv) folders = hv_library_dup_folders (self->library);

  hv_dbus_engine_set_folders (self->skeleton, (const char * const *) folders);
}

static HvVm *
vm_for_skeleton (HvEngine *self,
                 HvDbusVm *skeleton)
{
  GPtrArray *vms = hv_library_get_vms (self->library);

  for (guint i = 0; i < vms->len; i++)
    if (hv_vm_get_skeleton (g_ptr_array_index (vms, i)) == skeleton)
      return g_ptr_array_index (vms, i);
  return NULL;
}

/* Every per-VM method begins here: the VM that this skeleton stands for, or an error
 * when it was deleted while the call was on its way. */
static HvVm *
lookup_vm (HvEngine              *self,
           HvDbusVm              *skeleton,
           GDBusMethodInvocation *invocation)
{
  HvVm *vm = vm_for_skeleton (self, skeleton);

  if (vm == NULL)
    g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_NOT_FOUND,
                                           "The VM was deleted");
  return vm;
}

HvVm *
hv_engine_lookup_vm (HvEngine              *self,
                     HvDbusVm              *skeleton,
                     GDBusMethodInvocation *invocation)
{
  return lookup_vm (self, skeleton, invocation);
}

/* ----------------------------------------------------------------------------
 * Replies
 *
 * A handler that starts an asynchronous operation hands its invocation on (the reference
 * GDBus gave it, not a new one): completing it, with a value or an error, consumes it.
 */

/* Completes a method whose reply is empty: with error (taken) when there is one. */
void
hv_engine_reply (GDBusMethodInvocation *invocation,
                 gboolean               ok,
                 GError                *error)
{
  if (!ok)
    g_dbus_method_invocation_take_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
reply_void (GDBusMethodInvocation *invocation,
            GError                *error)
{
  hv_engine_reply (invocation, error == NULL, error);
}

typedef gboolean (*VoidFinish) (gpointer source, GAsyncResult *result, GError **error);

typedef struct {
  GDBusMethodInvocation *invocation;
  VoidFinish finish;
} VoidReply;

/* For an operation whose D-Bus reply is empty; `finish` is its _finish function. */
static VoidReply *
void_reply (GDBusMethodInvocation *invocation,
            gpointer               finish)
{
  VoidReply *reply = g_new (VoidReply, 1);

  reply->invocation = invocation;
  reply->finish = (VoidFinish) finish;
  return reply;
}

static void
on_void_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  VoidReply *reply = user_data;
  GError *error = NULL;

  reply_void (reply->invocation, reply->finish (source, result, &error) ? NULL : error);
  g_free (reply);
}

/* ----------------------------------------------------------------------------
 * Vm methods
 */

static gboolean
handle_start (HvDbusVm              *skeleton,
              GDBusMethodInvocation *invocation,
              HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;

  if (vm != NULL && !hv_vm_snapshots_check_idle (vm, &error))
    reply_void (invocation, error);
  else if (vm != NULL)
    hv_vm_start_async (vm, NULL, on_void_reply, void_reply (invocation, hv_vm_start_finish));
  return TRUE;
}

static gboolean
handle_stop (HvDbusVm              *skeleton,
             GDBusMethodInvocation *invocation,
             guint                  timeout,
             HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  reply_void (invocation, hv_vm_stop (vm, timeout, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_power_off (HvDbusVm              *skeleton,
                  GDBusMethodInvocation *invocation,
                  HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  reply_void (invocation, hv_vm_power_off (vm, &error) ? NULL : error);
  return TRUE;
}

static void
run_action (HvEngine              *self,
            HvDbusVm              *skeleton,
            GDBusMethodInvocation *invocation,
            HvVmAction             action)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);

  if (vm != NULL)
    hv_vm_action_async (vm, action, NULL, on_void_reply,
                        void_reply (invocation, hv_vm_action_finish));
}

static gboolean
handle_pause (HvDbusVm *skeleton, GDBusMethodInvocation *invocation, HvEngine *self)
{
  run_action (self, skeleton, invocation, HV_VM_ACTION_PAUSE);
  return TRUE;
}

static gboolean
handle_resume (HvDbusVm *skeleton, GDBusMethodInvocation *invocation, HvEngine *self)
{
  run_action (self, skeleton, invocation, HV_VM_ACTION_RESUME);
  return TRUE;
}

static gboolean
handle_reset (HvDbusVm *skeleton, GDBusMethodInvocation *invocation, HvEngine *self)
{
  run_action (self, skeleton, invocation, HV_VM_ACTION_RESET);
  return TRUE;
}

static gboolean
handle_modify (HvDbusVm              *skeleton,
               GDBusMethodInvocation *invocation,
               GVariant              *options,
               HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;
  guint64 gib;

  if (vm == NULL)
    return TRUE;
  if (!hv_vm_snapshots_check_modify (vm, &error))
    {
      reply_void (invocation, error);
      return TRUE;
    }
  /* A new disk is a file to make first (qemu-img): on its own, asynchronously. */
  if (g_variant_n_children (options) == 1 && g_variant_lookup (options, "disk-size", "t", &gib))
    {
      hv_library_add_disk_async (self->library, vm, gib, NULL, on_void_reply,
                                 void_reply (invocation, hv_library_add_disk_finish));
      return TRUE;
    }
  /* A cable plugged in or out while it runs: QEMU first (hv-engine-vm-network.c). */
  if (hv_engine_vm_modify_live (self, vm, options, invocation))
    return TRUE;
  reply_void (invocation, hv_library_modify_vm (self->library, vm, options, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_move (HvDbusVm              *skeleton,
             GDBusMethodInvocation *invocation,
             const char            *folder,
             HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  reply_void (invocation, hv_library_move_vm (self->library, vm, folder, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_delete (HvDbusVm              *skeleton,
               GDBusMethodInvocation *invocation,
               gboolean               keep_files,
               HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;

  if (vm != NULL && !hv_vm_snapshots_check_idle (vm, &error))
    reply_void (invocation, error);
  else if (vm != NULL)
    hv_library_delete_vm_async (self->library, vm, keep_files, NULL, on_void_reply,
                                void_reply (invocation, hv_library_delete_vm_finish));
  return TRUE;
}

static gboolean
handle_insert_media (HvDbusVm              *skeleton,
                     GDBusMethodInvocation *invocation,
                     const char            *kind,
                     const char            *path,
                     HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  HvDriveKind drive_kind;
  guint unit = 0;

  if (vm == NULL)
    return TRUE;
  if (g_str_equal (kind, "floppy-b"))
    {
      drive_kind = HV_DRIVE_FLOPPY;
      unit = 1;
    }
  else if (!hv_drive_kind_from_string (kind, &drive_kind) || drive_kind == HV_DRIVE_DISK)
    {
      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                             "Unknown removable drive \"%s\" (cdrom, floppy "
                                             "or floppy-b)", kind);
      return TRUE;
    }
  hv_vm_insert_media_async (vm, drive_kind, unit, path, NULL, on_void_reply,
                            void_reply (invocation, hv_vm_insert_media_finish));
  return TRUE;
}

static gboolean
handle_add_share (HvDbusVm              *skeleton,
                  GDBusMethodInvocation *invocation,
                  const char            *name,
                  const char            *path,
                  gboolean               readonly,
                  HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);

  if (vm != NULL)
    hv_vm_add_share_async (vm, name, path, readonly, NULL, on_void_reply,
                           void_reply (invocation, hv_vm_add_share_finish));
  return TRUE;
}

static gboolean
handle_remove_share (HvDbusVm              *skeleton,
                     GDBusMethodInvocation *invocation,
                     const char            *name,
                     HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);

  if (vm != NULL)
    hv_vm_remove_share_async (vm, name, NULL, on_void_reply,
                              void_reply (invocation, hv_vm_remove_share_finish));
  return TRUE;
}

static gboolean
handle_set_clipboard (HvDbusVm              *skeleton,
                      GDBusMethodInvocation *invocation,
                      const char            *mime,
                      GVariant              *data,
                      HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  bytes = g_variant_get_data_as_bytes (data);
  reply_void (invocation, hv_vm_set_clipboard (vm, mime, bytes, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_get_clipboard (HvDbusVm              *skeleton,
                      GDBusMethodInvocation *invocation,
                      HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *mime = NULL;
  GError *error = NULL;

  if (vm == NULL)
    return TRUE;
  bytes = hv_vm_get_clipboard (vm, &mime, &error);
  if (error != NULL)
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  if (bytes == NULL)
    bytes = g_bytes_new (NULL, 0);
  hv_dbus_vm_complete_get_clipboard (skeleton, invocation, mime != NULL ? mime : "",
                                     g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes,
                                                               TRUE));
  return TRUE;
}

/* The guest tools ISO: $HOSTVISOR_GUEST_TOOLS_ISO, else the build tree beside the running
 * engine (build/app/hostvisord → build/guest-tools/), else the installed copy. */
static char *
find_guest_tools_iso (void)
{
  const char *env = g_getenv ("HOSTVISOR_GUEST_TOOLS_ISO");
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (self_path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self_path);
      g_autofree char *candidate = g_build_filename (dir, "..", "guest-tools",
                                                     "hostvisor-guest-tools.iso", NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_canonicalize_filename (candidate, NULL);
    }
  return g_build_filename (HV_PKGDATADIR, "hostvisor-guest-tools.iso", NULL);
}

static gboolean
handle_insert_guest_tools (HvDbusVm              *skeleton,
                           GDBusMethodInvocation *invocation,
                           HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  g_autofree char *iso = find_guest_tools_iso ();

  if (vm == NULL)
    return TRUE;
  if (!g_file_test (iso, G_FILE_TEST_IS_REGULAR))
    {
      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_NOT_FOUND,
                                             "The guest tools ISO is not installed (%s)", iso);
      return TRUE;
    }
  hv_vm_insert_media_async (vm, HV_DRIVE_CDROM, 0, iso, NULL, on_void_reply,
                            void_reply (invocation, hv_vm_insert_media_finish));
  return TRUE;
}

static void
return_fd (GDBusMethodInvocation *invocation,
           int                    fd)
{
  g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new ();
  GError *error = NULL;
  int index = g_unix_fd_list_append (fd_list, fd, &error);

  close (fd);
  if (index < 0)
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value_with_unix_fd_list (invocation,
                                                           g_variant_new ("(h)", index),
                                                           fd_list);
}

static void
on_screenshot_done (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  GError *error = NULL;
  int fd = hv_vm_screenshot_finish (HV_VM (object), result, &error);

  if (fd < 0)
    g_dbus_method_invocation_take_error (g_steal_pointer (&invocation), error);
  else
    return_fd (g_steal_pointer (&invocation), fd);
}

static gboolean
handle_screenshot (HvDbusVm              *skeleton,
                   GDBusMethodInvocation *invocation,
                   GUnixFDList           *fd_list,
                   HvEngine              *self)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);

  if (vm != NULL)
    hv_vm_screenshot_async (vm, NULL, on_screenshot_done, invocation);
  return TRUE;
}

static void
handle_open_socket (HvEngine              *self,
                    HvDbusVm              *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *which)
{
  HvVm *vm = lookup_vm (self, skeleton, invocation);
  GError *error = NULL;
  int fd;

  if (vm == NULL)
    return;
  fd = hv_vm_open_socket (vm, which, &error);
  if (fd < 0)
    g_dbus_method_invocation_take_error (invocation, error);
  else
    return_fd (invocation, fd);
}

static gboolean
handle_open_serial (HvDbusVm              *skeleton,
                    GDBusMethodInvocation *invocation,
                    GUnixFDList           *fd_list,
                    HvEngine              *self)
{
  handle_open_socket (self, skeleton, invocation, "serial");
  return TRUE;
}

static gboolean
handle_open_console (HvDbusVm              *skeleton,
                     GDBusMethodInvocation *invocation,
                     GUnixFDList           *fd_list,
                     HvEngine              *self)
{
  handle_open_socket (self, skeleton, invocation, "vnc");
  return TRUE;
}

static void
connect_vm (HvEngine *self,
            HvVm     *vm)
{
  HvDbusVm *skeleton = hv_vm_get_skeleton (vm);
  static const struct {
    const char *signal;
    GCallback handler;
  } handlers[] = {
    { "handle-start", G_CALLBACK (handle_start) },
    { "handle-stop", G_CALLBACK (handle_stop) },
    { "handle-power-off", G_CALLBACK (handle_power_off) },
    { "handle-pause", G_CALLBACK (handle_pause) },
    { "handle-resume", G_CALLBACK (handle_resume) },
    { "handle-reset", G_CALLBACK (handle_reset) },
    { "handle-modify", G_CALLBACK (handle_modify) },
    { "handle-move", G_CALLBACK (handle_move) },
    { "handle-delete", G_CALLBACK (handle_delete) },
    { "handle-insert-media", G_CALLBACK (handle_insert_media) },
    { "handle-insert-guest-tools", G_CALLBACK (handle_insert_guest_tools) },
    { "handle-add-share", G_CALLBACK (handle_add_share) },
    { "handle-remove-share", G_CALLBACK (handle_remove_share) },
    { "handle-set-clipboard", G_CALLBACK (handle_set_clipboard) },
    { "handle-get-clipboard", G_CALLBACK (handle_get_clipboard) },
    { "handle-screenshot", G_CALLBACK (handle_screenshot) },
    { "handle-open-serial", G_CALLBACK (handle_open_serial) },
    { "handle-open-console", G_CALLBACK (handle_open_console) },
    { "handle-read-screenshot", G_CALLBACK (hv_engine_vm_handle_read_screenshot) },
    { "handle-add-port-forward", G_CALLBACK (hv_engine_vm_handle_add_port_forward) },
    { "handle-remove-port-forward", G_CALLBACK (hv_engine_vm_handle_remove_port_forward) },
    { "handle-clone", G_CALLBACK (hv_engine_vm_handle_clone) },
    { "handle-export", G_CALLBACK (hv_engine_vm_handle_export) },
    { "handle-cancel-operation", G_CALLBACK (hv_engine_vm_handle_cancel_operation) },
    { "handle-take-snapshot", G_CALLBACK (hv_engine_vm_handle_take_snapshot) },
    { "handle-restore-snapshot", G_CALLBACK (hv_engine_vm_handle_restore_snapshot) },
    { "handle-delete-snapshot", G_CALLBACK (hv_engine_vm_handle_delete_snapshot) },
    { "handle-edit-snapshot", G_CALLBACK (hv_engine_vm_handle_edit_snapshot) },
    { "handle-get-snapshot-thumbnail", G_CALLBACK (hv_engine_vm_handle_get_snapshot_thumbnail) },
    { "handle-read-snapshot-thumbnail",
      G_CALLBACK (hv_engine_vm_handle_read_snapshot_thumbnail) },
    { "handle-save-state", G_CALLBACK (hv_engine_vm_handle_save_state) },
    { "handle-discard-saved-state", G_CALLBACK (hv_engine_vm_handle_discard_saved_state) },
  };

  /* One closure per method for the whole library, connected to every VM: a closure per VM
   * and method was a fifth of the engine's heap with 200 VMs. */
  if (self->vm_handlers == NULL)
    {
      self->vm_handlers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_closure_unref);
      for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
        {
          GClosure *closure = g_cclosure_new (handlers[i].handler, self, NULL);

          g_closure_ref (closure);
          g_closure_sink (closure);
          g_ptr_array_add (self->vm_handlers, closure);
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    g_signal_connect_closure (skeleton, handlers[i].signal, self->vm_handlers->pdata[i], FALSE);

  for (guint i = 0; i < self->connections->len; i++)
    export_vm (self, vm, g_ptr_array_index (self->connections, i));
}

/* ----------------------------------------------------------------------------
 * Engine methods
 */

static GVariant *
vm_summary (HvVm *vm)
{
  HvDbusVm *s = hv_vm_get_skeleton (vm);
  GVariantDict dict;
  g_autofree char *path = hv_vm_dup_object_path (vm);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "Uuid", "s", hv_dbus_vm_get_uuid (s));
  g_variant_dict_insert (&dict, "Name", "s", hv_dbus_vm_get_name (s));
  g_variant_dict_insert (&dict, "Folder", "s", hv_dbus_vm_get_folder (s));
  g_variant_dict_insert (&dict, "OsId", "s", hv_dbus_vm_get_os_id (s));
  g_variant_dict_insert (&dict, "State", "s", hv_dbus_vm_get_state (s));
  g_variant_dict_insert (&dict, "StateReason", "s", hv_dbus_vm_get_state_reason (s));
  g_variant_dict_insert (&dict, "Accel", "s", hv_dbus_vm_get_accel (s));
  g_variant_dict_insert (&dict, "AccelReason", "s", hv_dbus_vm_get_accel_reason (s));
  g_variant_dict_insert (&dict, "MemoryMib", "t", hv_dbus_vm_get_memory_mib (s));
  g_variant_dict_insert (&dict, "Cpus", "u", hv_dbus_vm_get_cpus (s));
  g_variant_dict_insert (&dict, "Firmware", "s", hv_dbus_vm_get_firmware (s));
  g_variant_dict_insert (&dict, "ConfigError", "s", hv_dbus_vm_get_config_error (s));
  return g_variant_new ("(o@a{sv})", path, g_variant_dict_end (&dict));
}

/* Every property but the config document, the one large value: a client that has this
 * listing has what GetAll would give it, with one round trip for the whole library. */
static GVariant *
vm_properties (HvVm *vm)
{
  GDBusInterfaceSkeleton *s = G_DBUS_INTERFACE_SKELETON (hv_vm_get_skeleton (vm));
  g_autoptr(GVariant) all = g_dbus_interface_skeleton_get_properties (s);
  g_autofree char *path = hv_vm_dup_object_path (vm);
  GVariantDict dict;

  g_variant_dict_init (&dict, all);
  g_variant_dict_remove (&dict, "ConfigXml");
  return g_variant_new ("(o@a{sv})", path, g_variant_dict_end (&dict));
}

static gboolean
handle_list_vms (HvDbusEngine          *skeleton,
                 GDBusMethodInvocation *invocation,
                 HvEngine              *self)
{
  GPtrArray *vms = hv_library_get_vms (self->library);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(oa{sv})"));
  for (guint i = 0; i < vms->len; i++)
    g_variant_builder_add_value (&builder, vm_summary (g_ptr_array_index (vms, i)));
  hv_dbus_engine_complete_list_vms (skeleton, invocation, g_variant_builder_end (&builder));
  return TRUE;
}

static gboolean
handle_list_vms_with_properties (HvDbusEngine          *skeleton,
                                 GDBusMethodInvocation *invocation,
                                 HvEngine              *self)
{
  GPtrArray *vms = hv_library_get_vms (self->library);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(oa{sv})"));
  for (guint i = 0; i < vms->len; i++)
    g_variant_builder_add_value (&builder, vm_properties (g_ptr_array_index (vms, i)));
  hv_dbus_engine_complete_list_vms_with_properties (skeleton, invocation,
                                                    g_variant_builder_end (&builder));
  return TRUE;
}

static gboolean
handle_find_vm (HvDbusEngine          *skeleton,
                GDBusMethodInvocation *invocation,
                const char            *name_or_uuid,
                HvEngine              *self)
{
  GError *error = NULL;
  HvVm *vm = hv_library_find_vm (self->library, name_or_uuid, &error);
  g_autofree char *path = NULL;

  if (vm == NULL)
    {
      g_dbus_method_invocation_take_error (invocation, error);
      return TRUE;
    }
  path = hv_vm_dup_object_path (vm);
  hv_dbus_engine_complete_find_vm (skeleton, invocation, path);
  return TRUE;
}

static void
on_create_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  GError *error = NULL;
  g_autoptr(HvVm) vm = hv_library_create_vm_finish (HV_LIBRARY (object), result, &error);
  g_autofree char *path = NULL;

  if (vm == NULL)
    {
      g_dbus_method_invocation_take_error (g_steal_pointer (&invocation), error);
      return;
    }
  path = hv_vm_dup_object_path (vm);
  hv_dbus_engine_complete_create_vm (NULL, g_steal_pointer (&invocation), path);
}

static gboolean
handle_create_vm (HvDbusEngine          *skeleton,
                  GDBusMethodInvocation *invocation,
                  const char            *name,
                  GVariant              *options,
                  HvEngine              *self)
{
  hv_library_create_vm_async (self->library, name, options, NULL, on_create_done,
                              invocation);
  return TRUE;
}

static void
on_demo_created (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  GError *error = NULL;
  g_autoptr(HvVm) vm = hv_demo_create_finish (result, &error);
  g_autofree char *path = NULL;

  if (vm == NULL)
    {
      g_dbus_method_invocation_take_error (g_steal_pointer (&invocation), error);
      return;
    }
  path = hv_vm_dup_object_path (vm);
  hv_dbus_engine_complete_create_demo_vm (NULL, g_steal_pointer (&invocation), path);
}

static gboolean
handle_create_demo_vm (HvDbusEngine          *skeleton,
                       GDBusMethodInvocation *invocation,
                       HvEngine              *self)
{
  hv_demo_create_async (self->library, NULL, on_demo_created, invocation);
  return TRUE;
}

static gboolean
handle_create_folder (HvDbusEngine          *skeleton,
                      GDBusMethodInvocation *invocation,
                      const char            *path,
                      HvEngine              *self)
{
  GError *error = NULL;

  reply_void (invocation, hv_library_create_folder (self->library, path, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_rename_folder (HvDbusEngine          *skeleton,
                      GDBusMethodInvocation *invocation,
                      const char            *path,
                      const char            *new_path,
                      HvEngine              *self)
{
  GError *error = NULL;

  reply_void (invocation,
              hv_library_rename_folder (self->library, path, new_path, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_delete_folder (HvDbusEngine          *skeleton,
                      GDBusMethodInvocation *invocation,
                      const char            *path,
                      HvEngine              *self)
{
  GError *error = NULL;

  reply_void (invocation, hv_library_delete_folder (self->library, path, &error) ? NULL : error);
  return TRUE;
}

static gboolean
handle_list_oses (HvDbusEngine          *skeleton,
                  GDBusMethodInvocation *invocation,
                  HvEngine              *self)
{
  /* The list is built once: the database never changes while the engine runs. */
  if (self->oses == NULL)
    self->oses = g_variant_ref_sink (hv_osinfo_list_oses ());
  hv_dbus_engine_complete_list_oses (skeleton, invocation, self->oses);
  return TRUE;
}

static gboolean
handle_detect_media (HvDbusEngine          *skeleton,
                     GDBusMethodInvocation *invocation,
                     const char            *path,
                     HvEngine              *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *os_id = NULL;
  g_autoptr(HvOsDefaults) defaults = NULL;

  if (!g_path_is_absolute (path) || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_NOT_FOUND,
                                             "File not found: %s", path);
      return TRUE;
    }
  /* Reading an ISO's volume descriptors is a few small reads of a local file. */
  os_id = hv_osinfo_detect_media (path, &error);
  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  if (os_id != NULL)
    defaults = hv_osinfo_get_defaults (os_id, NULL);
  hv_dbus_engine_complete_detect_media (skeleton, invocation, os_id != NULL ? os_id : "",
                                        defaults != NULL ? defaults->name : "");
  return TRUE;
}

static gboolean
handle_get_os_defaults (HvDbusEngine          *skeleton,
                        GDBusMethodInvocation *invocation,
                        const char            *os_id,
                        HvEngine              *self)
{
  g_autoptr(HvOsDefaults) d = hv_osinfo_get_defaults (os_id, NULL);
  GVariantDict dict;

  if (d == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                                             "Unknown OS \"%s\"", os_id);
      return TRUE;
    }
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", d->name);
  g_variant_dict_insert (&dict, "memory", "t", d->memory_mib);
  g_variant_dict_insert (&dict, "cpus", "u", d->cpus);
  g_variant_dict_insert (&dict, "disk-size", "t", d->disk_gib);
  g_variant_dict_insert (&dict, "machine", "s", hv_machine_to_string (d->machine));
  g_variant_dict_insert (&dict, "firmware", "s", hv_firmware_to_string (d->firmware));
  g_variant_dict_insert (&dict, "nic-model", "s", d->nic_model);
  g_variant_dict_insert (&dict, "video", "s", hv_video_to_string (d->video));
  hv_dbus_engine_complete_get_os_defaults (skeleton, invocation, g_variant_dict_end (&dict));
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Library changes
 */

static void
on_vm_added (HvLibrary *library,
             HvVm      *vm,
             HvEngine  *self)
{
  g_autofree char *path = hv_vm_dup_object_path (vm);

  connect_vm (self, vm);
  sync_folders (self);
  hv_dbus_engine_emit_vm_added (self->skeleton, path);
}

static void
on_vm_removed (HvLibrary *library,
               HvVm      *vm,
               HvEngine  *self)
{
  g_autofree char *path = hv_vm_dup_object_path (vm);

  g_signal_handlers_disconnect_by_data (hv_vm_get_skeleton (vm), self);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (hv_vm_get_skeleton (vm)));
  sync_folders (self);
  hv_dbus_engine_emit_vm_removed (self->skeleton, path);
  update_idle (self);
}

static void
on_folders_changed (HvLibrary *library,
                    HvEngine  *self)
{
  sync_folders (self);
}

static void
on_vm_state_changed (HvLibrary *library,
                     HvVm      *vm,
                     HvEngine  *self)
{
  update_idle (self);
}

/* ----------------------------------------------------------------------------
 * Connections and idle exit
 */

static gboolean
engine_is_idle (HvEngine *self)
{
  return self->connections->len == 0 &&
         (self->server == NULL || hv_server_get_n_pending (self->server) == 0) &&
         !hv_library_any_active (self->library) && hv_vm_clone_n_running () == 0 &&
         hv_vm_export_n_running () == 0 &&
         hv_appliance_import_n_running () == 0;
}

static gboolean
on_idle_timeout (gpointer user_data)
{
  HvEngine *self = user_data;

  self->idle_source_id = 0;
  /* A client may have connected a moment ago and still wait in the socket's queue: take it
   * (then the engine is not idle after all, and its handshake decides what comes next).
   * Otherwise stop listening before going: a client that connects from now on finds no
   * engine and starts a new one, instead of being dropped by this one as it exits. */
  if (self->server != NULL && hv_server_accept_queued (self->server))
    return G_SOURCE_REMOVE;
  if (!engine_is_idle (self))
    return G_SOURCE_REMOVE;
  if (self->server != NULL)
    hv_server_stop (self->server);
  g_signal_emit (self, signals[SIGNAL_IDLE], 0);
  return G_SOURCE_REMOVE;
}

/* The engine keeps running while any VM runs, any clone is being made or any client is
 * connected (or connecting). */
static void
update_idle (HvEngine *self)
{
  if (!engine_is_idle (self) || self->idle_timeout_s == 0)
    {
      g_clear_handle_id (&self->idle_source_id, g_source_remove);
      return;
    }
  if (self->idle_source_id == 0)
    self->idle_source_id = g_timeout_add_seconds (self->idle_timeout_s, on_idle_timeout, self);
}

static void
unexport_connection (HvEngine        *self,
                     GDBusConnection *connection)
{
  GPtrArray *vms = hv_library_get_vms (self->library);

  /* Each skeleton holds every connection it is exported on: without this, a closed
   * connection (its socket, its buffers) lived as long as the engine. */
  g_dbus_interface_skeleton_unexport_from_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton),
                                                      connection);
  for (guint i = 0; i < vms->len; i++)
    g_dbus_interface_skeleton_unexport_from_connection (
      G_DBUS_INTERFACE_SKELETON (hv_vm_get_skeleton (g_ptr_array_index (vms, i))), connection);
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      HvEngine        *self)
{
  g_autoptr(GDBusConnection) held = g_object_ref (connection);

  g_signal_handlers_disconnect_by_data (connection, self);
  unexport_connection (self, connection);
  g_ptr_array_remove (self->connections, connection);
  update_idle (self);
}

static gboolean
on_new_connection (HvServer        *server,
                   GDBusConnection *connection,
                   HvEngine        *self)
{
  GPtrArray *vms = hv_library_get_vms (self->library);
  g_autoptr(GError) error = NULL;

  /* Closed during the handshake: nothing to serve, and "closed" will not come again. */
  if (g_dbus_connection_is_closed (connection))
    return FALSE;
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), connection,
                                         HV_DBUS_ENGINE_PATH, &error))
    {
      g_warning ("Cannot export the engine object: %s", error->message);
      return FALSE;
    }
  for (guint i = 0; i < vms->len; i++)
    export_vm (self, g_ptr_array_index (vms, i), connection);

  g_ptr_array_add (self->connections, g_object_ref (connection));
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), self);
  update_idle (self);
  return TRUE;
}

static void
on_pending_changed (HvServer *server,
                    HvEngine *self)
{
  update_idle (self);
}

/* ----------------------------------------------------------------------------
 * The KVM verdict
 */

static void
sync_kvm (HvEngine *self)
{
  HvKvmProbe *probe = self->caps != NULL ? self->caps->kvm_probe : NULL;
  const HvKvmVerdict *verdict = probe != NULL ? hv_kvm_probe_get_verdict (probe) : NULL;
  HvKvmVerdictCode code = verdict != NULL ? verdict->code
                          : probe != NULL ? HV_KVM_VERDICT_PROBING : HV_KVM_VERDICT_FAILED;
  GVariantDict figures;

  g_variant_dict_init (&figures, NULL);
  if (verdict != NULL)
    {
      if (verdict->kvm_ms > 0 || verdict->kvm_finished)
        {
          g_variant_dict_insert (&figures, "kvm-ms", "u", verdict->kvm_ms);
          g_variant_dict_insert (&figures, "kvm-finished", "b", verdict->kvm_finished);
        }
      if (verdict->tcg_ms > 0)
        g_variant_dict_insert (&figures, "tcg-ms", "u", verdict->tcg_ms);
      if (verdict->group != NULL)
        g_variant_dict_insert (&figures, "group", "s", verdict->group);
      g_variant_dict_insert (&figures, "cached", "b", verdict->cached);
    }

  hv_dbus_engine_set_kvm_available (self->skeleton, code == HV_KVM_VERDICT_USABLE);
  hv_dbus_engine_set_kvm_verdict (self->skeleton, hv_kvm_verdict_code_to_string (code));
  hv_dbus_engine_set_kvm_reason (self->skeleton,
                                 verdict != NULL ? verdict->reason
                                 : probe != NULL ? ""
                                 : "QEMU was not found, so KVM was not tested");
  hv_dbus_engine_set_kvm_probe (self->skeleton, g_variant_dict_end (&figures));
}

static void
on_kvm_verdict_changed (HvKvmProbe *probe,
                        HvEngine   *self)
{
  const HvKvmVerdict *verdict = hv_kvm_probe_get_verdict (probe);

  if (verdict != NULL)
    {
      g_message ("KVM: %s: %s%s", hv_kvm_verdict_code_to_string (verdict->code), verdict->reason,
                 verdict->cached ? " (cached)" : "");
      if (verdict->details != NULL)
        g_message ("KVM test guest runs:\n%s", verdict->details);
    }
  sync_kvm (self);
}

/* ----------------------------------------------------------------------------
 * Life cycle
 */

static gboolean
take_lock (HvEngine *self,
           GError  **error)
{
  g_autofree char *path = g_build_filename (self->run_base, "engine.lock", NULL);

  self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (self->lock_fd < 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot open %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_ENGINE_RUNNING,
                   "Another engine is already running for this user");
      return FALSE;
    }
  return TRUE;
}

HvEngine *
hv_engine_new (GError **error)
{
  g_autoptr(HvEngine) self = g_object_new (HV_TYPE_ENGINE, NULL);
  g_autoptr(GError) caps_error = NULL;
  g_autofree char *library_path = NULL;
  g_autofree char *qemu_version = NULL;
  GPtrArray *vms;

  self->run_base = hv_paths_runtime_dir (error);
  if (self->run_base == NULL || !take_lock (self, error))
    return NULL;
  /* Two runtime directories may share one library: it has a lock of its own. */
  library_path = hv_paths_library_dir ();
  self->library_lock_fd = hv_engine_lock_library (library_path, error);
  if (self->library_lock_fd < 0)
    return NULL;

  self->caps = hv_qemu_caps_probe (&caps_error);
  if (self->caps == NULL)
    g_warning ("QEMU is not usable: %s", caps_error->message);
  else
    qemu_version = g_strdup_printf ("%u.%u.%u", self->caps->version_major,
                                    self->caps->version_minor, self->caps->version_micro);

  self->library = hv_library_new (library_path, self->run_base, self->caps, error);
  if (self->library == NULL)
    return NULL;

  hv_dbus_engine_set_version (self->skeleton, PACKAGE_VERSION);
  hv_dbus_engine_set_contract_version (self->skeleton, hv_contract_version_served ());
  sync_kvm (self);
  hv_dbus_engine_set_qemu_version (self->skeleton, qemu_version != NULL ? qemu_version : "");
  hv_dbus_engine_set_library_path (self->skeleton, library_path);
  sync_folders (self);

  g_signal_connect (self->skeleton, "handle-list-vms", G_CALLBACK (handle_list_vms), self);
  g_signal_connect (self->skeleton, "handle-list-vms-with-properties",
                    G_CALLBACK (handle_list_vms_with_properties), self);
  g_signal_connect (self->skeleton, "handle-find-vm", G_CALLBACK (handle_find_vm), self);
  g_signal_connect (self->skeleton, "handle-create-vm", G_CALLBACK (handle_create_vm), self);
  g_signal_connect (self->skeleton, "handle-create-demo-vm", G_CALLBACK (handle_create_demo_vm),
                    self);
  g_signal_connect (self->skeleton, "handle-create-folder", G_CALLBACK (handle_create_folder),
                    self);
  g_signal_connect (self->skeleton, "handle-rename-folder", G_CALLBACK (handle_rename_folder),
                    self);
  g_signal_connect (self->skeleton, "handle-delete-folder", G_CALLBACK (handle_delete_folder),
                    self);
  g_signal_connect (self->skeleton, "handle-list-oses", G_CALLBACK (handle_list_oses), self);
  g_signal_connect (self->skeleton, "handle-detect-media", G_CALLBACK (handle_detect_media),
                    self);
  g_signal_connect (self->skeleton, "handle-get-os-defaults",
                    G_CALLBACK (handle_get_os_defaults), self);
  hv_engine_netsetup_init (self->skeleton);
  hv_engine_network_register (self->skeleton, self->library);
  hv_engine_import_register (self->skeleton, self);
  hv_engine_files_register (self->skeleton);

  vms = hv_library_get_vms (self->library);
  for (guint i = 0; i < vms->len; i++)
    connect_vm (self, g_ptr_array_index (vms, i));
  g_signal_connect (self->library, "vm-added", G_CALLBACK (on_vm_added), self);
  g_signal_connect (self->library, "vm-removed", G_CALLBACK (on_vm_removed), self);
  g_signal_connect (self->library, "folders-changed", G_CALLBACK (on_folders_changed), self);
  g_signal_connect (self->library, "vm-state-changed", G_CALLBACK (on_vm_state_changed), self);

  /* Learn the KVM verdict now (in a thread, or from the cache), so that clients can show it
   * before the first start, which would otherwise wait for it. */
  if (self->caps != NULL && self->caps->kvm_probe != NULL)
    {
      g_signal_connect_object (self->caps->kvm_probe, "verdict-changed",
                               G_CALLBACK (on_kvm_verdict_changed), self, 0);
      hv_kvm_probe_ensure_async (self->caps->kvm_probe, NULL, NULL);
    }

  return g_steal_pointer (&self);
}

gboolean
hv_engine_listen (HvEngine *self,
                  GError  **error)
{
  self->socket_path = hv_paths_engine_socket ();
  /* We hold the engine lock, so a socket file left there is a dead engine's. */
  self->server = hv_server_new (self->socket_path, error);
  if (self->server == NULL)
    return FALSE;
  g_signal_connect (self->server, "new-connection", G_CALLBACK (on_new_connection), self);
  g_signal_connect (self->server, "pending-changed", G_CALLBACK (on_pending_changed), self);
  hv_server_start (self->server);
  update_idle (self);
  return TRUE;
}

void
hv_engine_update_idle (HvEngine *self)
{
  update_idle (self);
}

HvLibrary *
hv_engine_get_library (HvEngine *self)
{
  return self->library;
}

void
hv_engine_set_idle_timeout (HvEngine *self,
                            guint     seconds)
{
  self->idle_timeout_s = seconds;
  g_clear_handle_id (&self->idle_source_id, g_source_remove);
  update_idle (self);
}

static void
on_vm_off (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  guint *pending = g_task_get_task_data (task);

  hv_vm_ensure_off_finish (HV_VM (object), result, NULL);
  if (--(*pending) == 0)
    g_task_return_boolean (task, TRUE);
}

void
hv_engine_shutdown_async (HvEngine           *self,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GPtrArray *vms = hv_library_get_vms (self->library);
  guint *pending = g_new0 (guint, 1);

  g_task_set_source_tag (task, hv_engine_shutdown_async);
  g_task_set_task_data (task, pending, g_free);

  /* Stop taking requests, then make sure no QEMU outlives the engine. */
  if (self->server != NULL)
    hv_server_stop (self->server);

  *pending = 1;
  for (guint i = 0; i < vms->len; i++)
    {
      HvVm *vm = g_ptr_array_index (vms, i);
      if (!hv_vm_is_active (vm))
        continue;
      (*pending)++;
      hv_vm_ensure_off_async (vm, NULL, on_vm_off, g_object_ref (task));
    }
  if (--(*pending) == 0)
    g_task_return_boolean (task, TRUE);
}

void
hv_engine_shutdown_finish (HvEngine     *self,
                           GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}
