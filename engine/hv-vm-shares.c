/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-shares.c: a VM's shared folders: the config's list while it is off, and while QEMU
 * runs the "live" shares QEMU actually has, each in a slot (hv_qemu_virtiofs_device_props()
 * names the slot's chardev, device, tag and port).
 *
 * Transport. A VM starts with 9p or virtiofs shares (hv_qemu_share_transport()) and keeps
 * that until it stops. 9p shares are fixed: QEMU 7.2 cannot add an fsdev to a running VM.
 * virtiofs shares each have their own virtiofsd (hv-virtiofsd.c) and can come and go:
 *
 *   add:    start virtiofsd in the lowest free slot, chardev-add, device_add, save the
 *           config, announce the new list to the agent, which mounts the share. The guest
 *           sees the device a moment after device_add returns, so a failed mount of a new
 *           share is asked for again every second for a minute.
 *   remove: announce the list without the share and wait (10 s at most) for the agent to
 *           say it unmounted it, device_del, wait (30 s at most) for DEVICE_DELETED, which
 *           comes once the guest let go of the device, chardev-remove, wait for virtiofsd
 *           to end, save the config. A guest that does not let go keeps the share (and
 *           may still let go later: then the removal completes).
 *
 * The runtime directory holds shares.state (the live shares, written before any virtiofsd
 * of theirs starts) and vfs<N>.pid (written by each virtiofsd's child before it runs), so
 * a later engine can take over a running VM's shares, and end what nobody needs any more.
 *
 * Nothing of the share's name reaches QEMU or virtiofsd's command line except the host
 * path; the guest learns name ↔ tag over the agent protocol. */
#include "hv-vm-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-image-check.h"
#include "hv-fileutil.h"
#include "hv-virtiofsd.h"
#include "hv-vm-snapshots-shares.h"

#define AGENT_UNMOUNT_TIMEOUT_S 10
#define UNPLUG_TIMEOUT_S 30
#define DAEMON_GRACE_MS 1000
#define FAILURE_CHECK_MS 1000
#define MOUNT_RETRY_S 60
#define MOUNT_RETRY_INTERVAL_MS 1000
#define STATE_FILE "shares.state"
#define STATE_MAX_SIZE (64 * 1024)

struct _HvLiveShare
{
  HvVm *vm;                 /* borrowed: the VM owns its live shares */
  HvShare *share;
  guint slot;
  HvVirtiofsd *daemon;      /* virtiofs only */
  gulong exited_id;
  char *failure;            /* why the guest cannot use it any more, or NULL */
  guint failure_check_id;
  gint64 mount_deadline;    /* hot-added: ask the guest to mount it until then (0: no) */
  gboolean removing;        /* left out of the agent's list: being removed */
  gboolean unplug_pending;  /* device_del sent, DEVICE_DELETED not seen yet */
  gboolean detaching;       /* the device is gone, its virtiofsd is ending */
  gboolean parked;          /* out of the guest for a snapshot (hv-vm-snapshots-shares.c) */
  gboolean unplugged;       /* parked virtiofs: its device, chardev and virtiofsd are gone */
};

typedef enum {
  OP_ADD,
  OP_REMOVE,
} OpKind;

typedef enum {
  WAIT_NONE,
  WAIT_AGENT,               /* remove: the agent unmounts */
  WAIT_DELETED,             /* remove: the guest lets go of the device */
  WAIT_DAEMON,              /* remove: virtiofsd ends */
} OpWait;

typedef struct {
  OpKind kind;
  char *name;
  char *path;
  gboolean readonly;
  HvVmConfig *config;       /* add: the config with the share, as checked */
  guint slot;
  gboolean slot_chosen;
  HvVirtiofsd *daemon;      /* add: until the device is in */
  OpWait wait;
  guint32 generation;       /* remove: the SHARES without the share */
  gulong applied_id;
  guint timeout_id;
} ShareOp;

static void on_daemon_exited (HvVirtiofsd *daemon, HvLiveShare *live);
static void op_continue_remove (HvVm *self);

/* ----------------------------------------------------------------------------
 * Live shares
 */

static HvLiveShare *
live_share_new (HvVm          *self,
                const HvShare *share,
                guint          slot)
{
  HvLiveShare *live = g_new0 (HvLiveShare, 1);

  live->vm = self;
  live->share = hv_share_copy (share);
  live->slot = slot;
  return live;
}

static void
live_share_free (HvLiveShare *live)
{
  g_clear_handle_id (&live->failure_check_id, g_source_remove);
  if (live->daemon != NULL)
    g_clear_signal_handler (&live->exited_id, live->daemon);
  g_clear_object (&live->daemon);
  g_clear_pointer (&live->share, hv_share_free);
  g_free (live->failure);
  g_free (live);
}

static HvLiveShare *
find_live_by_name (HvVm       *self,
                   const char *name)
{
  for (guint i = 0; i < self->live_shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);

      if (g_ascii_strcasecmp (live->share->name, name) == 0)
        return live;
    }
  return NULL;
}

static HvLiveShare *
find_live_by_slot (HvVm  *self,
                   guint  slot)
{
  for (guint i = 0; i < self->live_shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);

      if (live->slot == slot)
        return live;
    }
  return NULL;
}

static void
drop_live (HvVm        *self,
           HvLiveShare *live)
{
  g_ptr_array_remove (self->live_shares, live);
}

static ShareOp *
current_op (HvVm *self)
{
  return self->share_task != NULL ? g_task_get_task_data (self->share_task) : NULL;
}

static char *
pid_path (HvVm  *self,
          guint  slot)
{
  g_autofree char *name = g_strdup_printf ("vfs%u.pid", slot);

  return g_build_filename (self->run_dir, name, NULL);
}

void
hv_vm_shares_init (HvVm *self)
{
  self->live_shares = g_ptr_array_new_with_free_func ((GDestroyNotify) live_share_free);
  self->share_transport = HV_SHARE_TRANSPORT_9P;
}

/* ----------------------------------------------------------------------------
 * The state file
 */

/* The live shares, and the one an add is starting: every virtiofsd pid file has its
 * entry here before the virtiofsd exists. */
static void
save_state (HvVm *self)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (self->run_dir, STATE_FILE, NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  ShareOp *op = current_op (self);
  gsize len;

  g_key_file_set_string (kf, "shares", "transport",
                         hv_share_transport_to_string (self->share_transport));
  for (guint i = 0; i < self->live_shares->len; i++)
    {
      const HvLiveShare *live = g_ptr_array_index (self->live_shares, i);
      g_autofree char *group = g_strdup_printf ("slot %u", live->slot);

      g_key_file_set_string (kf, group, "name", live->share->name);
      g_key_file_set_string (kf, group, "path", live->share->path);
      g_key_file_set_boolean (kf, group, "readonly", live->share->readonly);
      g_key_file_set_boolean (kf, group, "automount", live->share->automount);
    }
  if (op != NULL && op->kind == OP_ADD && op->slot_chosen &&
      find_live_by_slot (self, op->slot) == NULL)
    {
      g_autofree char *group = g_strdup_printf ("slot %u", op->slot);

      g_key_file_set_string (kf, group, "name", op->name);
      g_key_file_set_string (kf, group, "path", op->path);
      g_key_file_set_boolean (kf, group, "readonly", op->readonly);
      g_key_file_set_boolean (kf, group, "automount", TRUE);
      g_key_file_set_boolean (kf, group, "adding", TRUE);
    }

  data = g_key_file_to_data (kf, &len, NULL);
  if (!hv_file_replace_contents (path, data, len, 0600, FALSE, &error))
    hv_vm_log (self, "cannot save the shares' state: %s", error->message);
}

/* Returns the transport, and fills `shares` (HvLiveShare*) from the state file; FALSE when
 * there is none (a QEMU started before this file existed: 9p, slot = config index). */
static gboolean
load_state (HvVm             *self,
            HvShareTransport *transport,
            GPtrArray        *shares)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (self->run_dir, STATE_FILE, NULL);
  g_autofree char *data = NULL;
  g_autofree char *transport_text = NULL;
  g_auto(GStrv) groups = NULL;
  gsize len = 0;

  if (!hv_file_read_capped (path, STATE_MAX_SIZE, &data, &len, NULL) ||
      !g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, NULL))
    return FALSE;
  transport_text = g_key_file_get_string (kf, "shares", "transport", NULL);
  if (!hv_share_transport_from_string (transport_text, transport) ||
      *transport == HV_SHARE_TRANSPORT_AUTO)
    *transport = HV_SHARE_TRANSPORT_9P;

  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *name = g_key_file_get_string (kf, groups[i], "name", NULL);
      g_autofree char *share_path = g_key_file_get_string (kf, groups[i], "path", NULL);
      g_autoptr(HvShare) share = NULL;
      guint64 slot;
      HvLiveShare *live;

      if (!g_str_has_prefix (groups[i], "slot ") ||
          !g_ascii_string_to_unsigned (groups[i] + 5, 10, 0, HV_MAX_SHARES - 1, &slot, NULL) ||
          name == NULL || !hv_config_check_share_name (name, NULL) || share_path == NULL ||
          !g_path_is_absolute (share_path))
        continue;
      share = hv_share_new (name, share_path, g_key_file_get_boolean (kf, groups[i], "readonly",
                                                                      NULL));
      share->automount = !g_key_file_has_key (kf, groups[i], "automount", NULL) ||
                         g_key_file_get_boolean (kf, groups[i], "automount", NULL);
      /* An add the earlier engine did not finish is here too: hv_vm_shares_reconcile()
       * drops it when QEMU lacks its device. */
      live = live_share_new (self, share, (guint) slot);
      g_ptr_array_add (shares, live);
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * virtiofsd
 */

static void
watch_daemon (HvLiveShare *live,
              HvVirtiofsd *daemon)
{
  live->daemon = daemon;
  live->exited_id = g_signal_connect (daemon, "exited", G_CALLBACK (on_daemon_exited), live);
}

static HvVirtiofsd *
spawn_daemon (HvVm          *self,
              const HvShare *share,
              guint          slot,
              GError       **error)
{
  g_autofree char *socket_path = hv_qemu_virtiofs_socket_path (self->run_dir, slot);
  g_autofree char *pid_file = pid_path (self, slot);
  g_autofree char *log = g_build_filename (self->dir, "logs", "vm.log", NULL);
  g_autoptr(GError) local_error = NULL;
  HvVirtiofsdOptions options = { 0 };
  HvVirtiofsd *daemon;
  int log_fd;

  if (self->caps == NULL || self->caps->virtiofsd == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED, "virtiofsd is not installed");
      return NULL;
    }
  /* Its messages go to the VM's log, between the engine's lines about it. */
  log_fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  options.binary = self->caps->virtiofsd;
  options.source = share->path;
  options.readonly = share->readonly;
  options.socket_path = socket_path;
  options.pid_file = pid_file;
  options.log_fd = log_fd;
  daemon = hv_virtiofsd_spawn (&options, &local_error);
  if (log_fd >= 0)
    close (log_fd);
  if (daemon == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot share folder \"%s\" over virtiofs: %s", share->name,
                   local_error->message);
      return NULL;
    }
  hv_vm_log (self, "shared folder \"%s\": virtiofsd started (pid %d, slot %u%s)", share->name,
             (int) hv_virtiofsd_get_pid (daemon), slot, share->readonly ? ", read-only" : "");
  return daemon;
}

static gboolean
on_failure_check (gpointer user_data)
{
  HvLiveShare *live = user_data;
  HvVm *self = live->vm;
  const char *how = live->daemon != NULL ? hv_virtiofsd_get_exit_text (live->daemon) : NULL;

  live->failure_check_id = 0;
  /* QEMU's own end closes the connection first; that is no failure of the share. */
  if (self->process_gone || self->qmp_gone || self->expect_exit ||
      self->shutdown_reason != NULL ||
      (self->state != HV_VM_STATE_RUNNING && self->state != HV_VM_STATE_PAUSED))
    return G_SOURCE_REMOVE;

  g_free (live->failure);
  live->failure = g_strdup_printf ("its virtiofsd %s", how != NULL ? how : "ended");
  hv_vm_log (self, "shared folder \"%s\": virtiofsd %s; the guest cannot use the folder "
             "until the VM is restarted", live->share->name, how != NULL ? how : "ended");
  hv_vm_sync_skeleton (self);
  return G_SOURCE_REMOVE;
}

static void
on_daemon_exited (HvVirtiofsd *daemon,
                  HvLiveShare *live)
{
  HvVm *self = live->vm;
  ShareOp *op = current_op (self);

  if (self->process_gone && self->qmp_gone)
    {
      /* The VM is ending: hv_vm_shares_stop() waits for the last virtiofsd. */
      hv_vm_process_check_gone (self);
      return;
    }
  if (op != NULL && op->kind == OP_REMOVE && op->slot == live->slot && op->wait == WAIT_DAEMON)
    {
      op_continue_remove (self);
      return;
    }
  if (live->detaching || live->parked)
    {
      hv_vm_log (self, "shared folder \"%s\": virtiofsd %s", live->share->name,
                 hv_virtiofsd_get_exit_text (daemon));
      if (live->parked)
        {
          g_clear_signal_handler (&live->exited_id, daemon);
          g_clear_object (&live->daemon);
          return;
        }
      drop_live (self, live);
      save_state (self);
      hv_vm_sync_skeleton (self);
      return;
    }
  /* Judged a moment later: when QEMU is ending, its exit is seen by then. */
  if (live->failure_check_id == 0)
    live->failure_check_id = g_timeout_add (FAILURE_CHECK_MS, on_failure_check, live);
}

/* ----------------------------------------------------------------------------
 * Start, stop, reattach
 */

gboolean
hv_vm_shares_prepare (HvVm             *self,
                      const HvQemuCaps *caps,
                      GError          **error)
{
  const HvVmConfig *c = self->config;
  gboolean unplugged;

  g_ptr_array_set_size (self->live_shares, 0);
  self->share_transport = hv_qemu_share_transport (c, caps);
  unplugged = self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS &&
              hv_snap_shares_load_unplugged (self);
  for (guint i = 0; i < c->shares->len; i++)
    g_ptr_array_add (self->live_shares, live_share_new (self, g_ptr_array_index (c->shares, i),
                                                        i));
  save_state (self);

  if (self->share_transport != HV_SHARE_TRANSPORT_VIRTIOFS)
    return TRUE;
  for (guint i = 0; i < self->live_shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);
      HvVirtiofsd *daemon;

      /* The state to load was saved without the devices: they come back after it. */
      live->parked = live->unplugged = unplugged;
      if (unplugged)
        continue;
      daemon = spawn_daemon (self, live->share, live->slot, error);

      if (daemon == NULL)
        {
          hv_vm_shares_abort (self);
          return FALSE;
        }
      watch_daemon (live, daemon);
    }
  return TRUE;
}

void
hv_vm_shares_abort (HvVm *self)
{
  for (guint i = 0; i < self->live_shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);

      if (live->daemon == NULL)
        continue;
      g_clear_signal_handler (&live->exited_id, live->daemon);
      /* Never connected: it waits in accept() and ends at SIGTERM. */
      hv_virtiofsd_stop (live->daemon, 0);
    }
  g_ptr_array_set_size (self->live_shares, 0);
}

static void op_finish (HvVm *self, GError *error);

gboolean
hv_vm_shares_stop (HvVm *self)
{
  gboolean running = FALSE;

  if (self->share_task != NULL)
    op_finish (self, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE,
                                  "VM \"%s\" stopped before the shared folder changed",
                                  hv_vm_get_name (self)));
  g_clear_handle_id (&self->share_retry_id, g_source_remove);

  for (guint i = 0; i < self->live_shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);

      g_clear_handle_id (&live->failure_check_id, g_source_remove);
      if (live->daemon != NULL && hv_virtiofsd_is_running (live->daemon))
        {
          /* With QEMU gone it ends by itself in a moment; make sure of it. */
          hv_virtiofsd_stop (live->daemon, DAEMON_GRACE_MS);
          running = TRUE;
        }
    }
  if (running)
    return FALSE;
  g_ptr_array_set_size (self->live_shares, 0);
  return TRUE;
}

void
hv_vm_shares_dispose (HvVm *self)
{
  g_clear_handle_id (&self->share_retry_id, g_source_remove);
  if (self->share_task != NULL)
    op_finish (self, g_error_new (HV_ERROR, HV_ERROR_INVALID_STATE, "The VM is going away"));
  /* The virtiofsds serve a QEMU that may outlive this engine: leave them running. */
  g_clear_pointer (&self->live_shares, g_ptr_array_unref);
}

/* The virtiofsd of `live` from its pid file, if it still serves the share. */
static void
adopt_daemon (HvVm        *self,
              HvLiveShare *live)
{
  g_autofree char *path = pid_path (self, live->slot);
  g_autoptr(GError) error = NULL;
  GPid pid = hv_virtiofsd_read_pid_file (path);
  HvVirtiofsd *daemon = pid > 0 ? hv_virtiofsd_adopt (pid, live->share->path, &error) : NULL;

  if (daemon == NULL)
    {
      live->failure = g_strdup ("its virtiofsd ended while no engine was watching");
      hv_vm_log (self, "shared folder \"%s\": %s", live->share->name, live->failure);
      return;
    }
  hv_vm_log (self, "shared folder \"%s\": took over virtiofsd (pid %d)", live->share->name,
             (int) pid);
  watch_daemon (live, daemon);
}

void
hv_vm_shares_reattach (HvVm *self)
{
  g_autoptr(GPtrArray) shares = g_ptr_array_new ();
  HvShareTransport transport = HV_SHARE_TRANSPORT_9P;

  g_ptr_array_set_size (self->live_shares, 0);
  if (!load_state (self, &transport, shares))
    {
      /* Started by an engine that knew only 9p: share i is in slot i. */
      self->share_transport = HV_SHARE_TRANSPORT_9P;
      for (guint i = 0; i < self->config->shares->len; i++)
        g_ptr_array_add (self->live_shares,
                         live_share_new (self, g_ptr_array_index (self->config->shares, i), i));
      return;
    }
  self->share_transport = transport;
  for (guint i = 0; i < shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (shares, i);

      g_ptr_array_add (self->live_shares, live);
      if (transport == HV_SHARE_TRANSPORT_VIRTIOFS)
        adopt_daemon (self, live);
    }
}

static void
on_fire_and_forget (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    hv_vm_log (self, "QMP command failed: %s", error->message);
}

static void
remove_chardev (HvVm  *self,
                guint  slot)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *id = g_strdup_printf ("vfs%u", slot);

  if (self->qmp == NULL)
    return;
  json_object_set_string_member (args, "id", id);
  hv_qmp_execute_async (self->qmp, "chardev-remove", args, -1, NULL, on_fire_and_forget,
                        g_object_ref (self));
}

static void
on_reconcile_list (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *children;

  if (reply == NULL || !JSON_NODE_HOLDS_ARRAY (reply) || self->live_shares == NULL ||
      !hv_vm_is_active (self))
    return;
  children = json_node_get_array (reply);
  for (guint i = 0; i < json_array_get_length (children); i++)
    {
      JsonObject *child = json_array_get_object_element (children, i);
      const char *name = child != NULL ?
                         json_object_get_string_member_with_default (child, "name", NULL) : NULL;

      if (name != NULL)
        g_hash_table_add (present, g_strdup (name));
    }

  for (guint i = self->live_shares->len; i-- > 0;)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);
      g_autofree char *id = g_strdup_printf ("share%u", live->slot);

      if (g_hash_table_contains (present, id))
        continue;
      if ((live->parked = live->unplugged = hv_snap_shares_were_parked (self)))
        continue;   /* out for a snapshot when the earlier engine ended: plugged back below */
      /* An add the earlier engine did not finish, or a removal the guest completed while
       * no engine was watching: neither is in QEMU. */
      hv_vm_log (self, "shared folder \"%s\" is not in QEMU any more", live->share->name);
      remove_chardev (self, live->slot);
      if (live->daemon != NULL && hv_virtiofsd_is_running (live->daemon))
        {
          g_clear_signal_handler (&live->exited_id, live->daemon);
          hv_virtiofsd_stop (live->daemon, DAEMON_GRACE_MS);
        }
      drop_live (self, live);
    }
  hv_snap_shares_reclaim (self);
  save_state (self);
  hv_vm_shares_announce (self);
  hv_vm_sync_skeleton (self);
}

void
hv_vm_shares_reconcile (HvVm *self)
{
  g_autoptr(JsonObject) args = json_object_new ();

  if (self->qmp == NULL || self->share_transport != HV_SHARE_TRANSPORT_VIRTIOFS)
    return;
  json_object_set_string_member (args, "path", "/machine/peripheral");
  hv_qmp_execute_async (self->qmp, "qom-list", args, -1, self->run_cancellable,
                        on_reconcile_list, g_object_ref (self));
}

void
hv_vm_shares_cleanup_stale (HvVm *self)
{
  g_autoptr(GPtrArray) shares = g_ptr_array_new_with_free_func ((GDestroyNotify) live_share_free);
  HvShareTransport transport;

  if (!load_state (self, &transport, shares))
    return;
  for (guint i = 0; i < shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (shares, i);
      g_autofree char *path = pid_path (self, live->slot);
      GPid pid = hv_virtiofsd_read_pid_file (path);
      g_autoptr(HvVirtiofsd) daemon = pid > 0 ? hv_virtiofsd_adopt (pid, live->share->path,
                                                                     NULL) : NULL;

      if (daemon == NULL)
        continue;
      /* Its QEMU is gone (or never came): nothing will ever connect to it. */
      hv_vm_log (self, "shared folder \"%s\": ending the virtiofsd (pid %d) left without its "
                 "QEMU", live->share->name, (int) pid);
      hv_virtiofsd_stop (daemon, 0);
    }
}

/* ----------------------------------------------------------------------------
 * The agent
 */

guint32
hv_vm_shares_announce (HvVm *self)
{
  g_autofree HvAgentShareInfo *infos = NULL;
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;

  if (self->agent == NULL || self->live_shares == NULL)
    return 0;
  infos = g_new0 (HvAgentShareInfo, self->live_shares->len + 1);
  for (guint i = 0; i < self->live_shares->len; i++)
    {
      const HvLiveShare *live = g_ptr_array_index (self->live_shares, i);
      char *tag;

      if (live->removing || live->parked)
        continue;
      tag = g_strdup_printf ("hvshare%u", live->slot);
      g_ptr_array_add (tags, tag);
      infos[n].name = live->share->name;
      infos[n].tag = tag;
      infos[n].virtiofs = self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS;
      infos[n].readonly = live->share->readonly;
      infos[n].automount = live->share->automount;
      n++;
    }
  return hv_agent_set_share_list (self->agent, infos, n);
}

static const char *
agent_state_of (GVariant   *status,
                const char *name)
{
  GVariantIter iter;
  const char *s_name, *s_state, *s_detail;

  g_variant_iter_init (&iter, status);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &s_name, &s_state, &s_detail))
    if (g_str_equal (s_name, name))
      return s_state;
  return NULL;
}

static gboolean
on_mount_retry (gpointer user_data)
{
  HvVm *self = user_data;

  self->share_retry_id = 0;
  if (self->agent != NULL)
    hv_agent_recheck_shares (self->agent);
  return G_SOURCE_REMOVE;
}

/* A share added while the guest runs may be announced before the guest has its device
 * (the mount fails: "tag not found"): ask again until it is mounted or a minute passed. */
static void
on_shares_applied (HvAgent *agent,
                   guint    generation,
                   HvVm    *self)
{
  g_autoptr(GVariant) status = hv_agent_dup_share_status (agent);
  gint64 now = g_get_monotonic_time ();
  gboolean retry = FALSE;

  for (guint i = 0; self->live_shares != NULL && i < self->live_shares->len; i++)
    {
      HvLiveShare *live = g_ptr_array_index (self->live_shares, i);
      const char *state = agent_state_of (status, live->share->name);

      if (live->mount_deadline == 0)
        continue;
      if (g_strcmp0 (state, "failed") != 0 || now >= live->mount_deadline)
        live->mount_deadline = 0;
      else
        retry = TRUE;
    }
  if (retry && self->share_retry_id == 0)
    self->share_retry_id = g_timeout_add (MOUNT_RETRY_INTERVAL_MS, on_mount_retry, self);
}

GVariant *
hv_vm_shares_dup_status (HvVm *self)
{
  g_autoptr(GVariant) agent_status = self->agent != NULL ?
                                     hv_agent_dup_share_status (self->agent) : NULL;
  GVariantBuilder builder;
  GVariantIter iter;
  const char *name, *state, *detail;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sss)"));
  /* What the engine knows first: the guest's mount of a share whose virtiofsd ended only
   * fails once it is used. */
  for (guint i = 0; self->live_shares != NULL && i < self->live_shares->len; i++)
    {
      const HvLiveShare *live = g_ptr_array_index (self->live_shares, i);

      if (live->failure != NULL)
        g_variant_builder_add (&builder, "(sss)", live->share->name, "failed", live->failure);
    }
  if (agent_status != NULL)
    {
      g_variant_iter_init (&iter, agent_status);
      while (g_variant_iter_next (&iter, "(&s&s&s)", &name, &state, &detail))
        {
          const HvLiveShare *live = self->live_shares != NULL ? find_live_by_name (self, name)
                                                              : NULL;

          if (live == NULL || live->failure == NULL)
            g_variant_builder_add (&builder, "(sss)", name, state, detail);
        }
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

gboolean
hv_vm_shares_can_change (HvVm *self)
{
  if (self->config == NULL)
    return FALSE;
  if (!hv_vm_is_active (self))
    return TRUE;
  return self->state == HV_VM_STATE_RUNNING && self->qmp != NULL &&
         self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS;
}

/* ----------------------------------------------------------------------------
 * Changes: the common part
 */

static void
share_op_free (ShareOp *op)
{
  g_free (op->name);
  g_free (op->path);
  g_clear_pointer (&op->config, hv_vm_config_free);
  g_clear_object (&op->daemon);
  g_free (op);
}

static void
op_finish (HvVm   *self,
           GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->share_task);
  ShareOp *op = g_task_get_task_data (task);

  g_clear_handle_id (&op->timeout_id, g_source_remove);
  if (op->applied_id != 0 && self->agent != NULL)
    g_clear_signal_handler (&op->applied_id, self->agent);
  op->applied_id = 0;
  if (op->daemon != NULL)
    {
      /* An add that did not get its device in: its virtiofsd has nothing to serve. */
      hv_virtiofsd_stop (op->daemon, 0);
      g_clear_object (&op->daemon);
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  hv_vm_sync_skeleton (self);
}

static gboolean
check_share_request (HvVm        *self,
                     const char  *name,
                     GError     **error)
{
  if (self->config == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" is inaccessible",
                   hv_vm_get_name (self));
      return FALSE;
    }
  if (self->share_task != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY,
                   "Another shared folder of VM \"%s\" is being added or removed",
                   hv_vm_get_name (self));
      return FALSE;
    }
  if (!hv_vm_is_active (self))
    return TRUE;
  if (hv_vm_shares_parked_busy (self, TRUE))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_BUSY, "The shared folders of VM \"%s\" are out "
                   "of the guest for a snapshot", hv_vm_get_name (self));
      return FALSE;
    }
  if (self->share_transport != HV_SHARE_TRANSPORT_VIRTIOFS)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Shared folders of VM \"%s\" can be changed only while it is powered off: "
                   "it shares them over 9p (set its share transport to virtiofs to change "
                   "them while it runs)", hv_vm_get_name (self));
      return FALSE;
    }
  if (self->state != HV_VM_STATE_RUNNING || self->qmp == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "VM \"%s\" is %s: shared folders can be changed while it runs or is "
                   "powered off", hv_vm_get_name (self), hv_vm_state_to_string (self->state));
      return FALSE;
    }
  return TRUE;
}

static GTask *
op_begin (HvVm               *self,
          OpKind              kind,
          const char         *name,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data,
          gpointer            source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ShareOp *op = g_new0 (ShareOp, 1);

  g_task_set_source_tag (task, source_tag);
  op->kind = kind;
  op->name = g_strdup (name);
  g_task_set_task_data (task, op, (GDestroyNotify) share_op_free);
  return task;
}

/* ----------------------------------------------------------------------------
 * Add
 */

static void
on_device_added (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  ShareOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  g_autoptr(GError) save_error = NULL;
  g_autoptr(HvVmConfig) config = NULL;
  HvLiveShare *live;
  const HvShare *share;

  if (task != self->share_task)
    return;   /* the VM stopped meanwhile */
  if (reply == NULL)
    {
      remove_chardev (self, op->slot);
      op_finish (self, g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED,
                                    "QEMU could not add shared folder \"%s\": %s", op->name,
                                    error->message));
      return;
    }

  share = g_ptr_array_index (op->config->shares, op->config->shares->len - 1);
  live = live_share_new (self, share, op->slot);
  watch_daemon (live, g_steal_pointer (&op->daemon));
  live->mount_deadline = g_get_monotonic_time () + MOUNT_RETRY_S * G_USEC_PER_SEC;
  g_ptr_array_add (self->live_shares, live);
  save_state (self);
  hv_vm_log (self, "shared folder \"%s\" added to the running VM (slot %u)", op->name, op->slot);

  hv_vm_shares_announce (self);
  /* The config as it is now (the clipboard mode may have changed meanwhile), with the share. */
  config = hv_vm_config_copy (self->config);
  g_ptr_array_add (config->shares, hv_share_copy (share));
  if (!hv_vm_config_validate (config, &save_error) ||
      !hv_vm_set_config (self, config, &save_error))
    {
      op_finish (self, g_error_new (save_error->domain, save_error->code,
                                    "Shared folder \"%s\" is in the running VM, but the "
                                    "config could not be saved: %s", op->name,
                                    save_error->message));
      return;
    }
  op_finish (self, NULL);
}

static void
on_chardev_added (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  ShareOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  g_autoptr(JsonObject) args = json_object_new ();
  g_auto(GStrv) props = NULL;

  if (task != self->share_task)
    return;
  if (reply == NULL)
    {
      op_finish (self, g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED,
                                    "QEMU could not connect to the virtiofsd of shared folder "
                                    "\"%s\": %s", op->name, error->message));
      return;
    }

  /* The same properties as on the command line: vhost-user-fs-pci, id, chardev, tag and
   * on q35 its hot-plug port. QEMU talks to virtiofsd while it realizes the device, so a
   * virtiofsd that cannot serve fails here. */
  props = hv_qemu_virtiofs_device_props (self->config, op->slot);
  for (guint i = 0; props[i] != NULL && props[i + 1] != NULL; i += 2)
    json_object_set_string_member (args, props[i], props[i + 1]);
  hv_qmp_execute_async (self->qmp, "device_add", args, -1, NULL, on_device_added,
                        g_steal_pointer (&task));
}

static gboolean
lowest_free_slot (HvVm  *self,
                  guint *slot)
{
  for (guint n = 0; n < HV_MAX_SHARES; n++)
    {
      if (find_live_by_slot (self, n) == NULL)
        {
          *slot = n;
          return TRUE;
        }
    }
  return FALSE;
}

static void
add_live (HvVm  *self,
          GTask *task)
{
  ShareOp *op = g_task_get_task_data (task);
  const HvShare *share = g_ptr_array_index (op->config->shares, op->config->shares->len - 1);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) backend = json_object_new ();
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) addr = json_object_new ();
  g_autoptr(JsonObject) addr_data = json_object_new ();
  g_autofree char *id = NULL;
  g_autofree char *socket_path = NULL;
  GError *error = NULL;

  op->slot_chosen = lowest_free_slot (self, &op->slot);
  if (!op->slot_chosen)
    {
      op_finish (self, g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                    "VM \"%s\" has no free slot for another shared folder "
                                    "until it restarts", hv_vm_get_name (self)));
      return;
    }
  save_state (self);   /* with the new slot, before its virtiofsd exists */
  op->daemon = spawn_daemon (self, share, op->slot, &error);
  if (op->daemon == NULL)
    {
      op_finish (self, error);
      save_state (self);
      return;
    }

  id = g_strdup_printf ("vfs%u", op->slot);
  socket_path = hv_qemu_virtiofs_socket_path (self->run_dir, op->slot);
  json_object_set_string_member (addr_data, "path", socket_path);
  json_object_set_string_member (addr, "type", "unix");
  json_object_set_object_member (addr, "data", g_steal_pointer (&addr_data));
  json_object_set_object_member (data, "addr", g_steal_pointer (&addr));
  json_object_set_boolean_member (data, "server", FALSE);
  json_object_set_string_member (backend, "type", "socket");
  json_object_set_object_member (backend, "data", g_steal_pointer (&data));
  json_object_set_string_member (args, "id", id);
  json_object_set_object_member (args, "backend", g_steal_pointer (&backend));
  hv_qmp_execute_async (self->qmp, "chardev-add", args, -1, NULL, on_chardev_added,
                        g_object_ref (task));
}

void
hv_vm_add_share_async (HvVm               *self,
                       const char         *name,
                       const char         *path,
                       gboolean            readonly,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = op_begin (self, OP_ADD, name, cancellable, callback, user_data,
                                    hv_vm_add_share_async);
  ShareOp *op = g_task_get_task_data (task);
  g_autofree char *canonical = NULL;
  GError *error = NULL;

  if (!check_share_request (self, name, &error) || !hv_config_check_share_name (name, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!hv_image_check_folder (path, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The whole host is never shared; anything narrower is the user's explicit choice. */
  canonical = g_canonicalize_filename (path, NULL);
  if (g_str_equal (canonical, "/"))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                               "Sharing the host's root directory is not allowed");
      return;
    }
  for (guint i = 0; i < self->config->shares->len; i++)
    if (g_ascii_strcasecmp (((HvShare *) g_ptr_array_index (self->config->shares, i))->name,
                            name) == 0)
      {
        g_task_return_new_error (task, HV_ERROR, HV_ERROR_EXISTS,
                                 "VM \"%s\" already has a share named \"%s\"",
                                 hv_vm_get_name (self), name);
        return;
      }

  op->path = g_strdup (canonical);
  op->readonly = readonly;
  op->config = hv_vm_config_copy (self->config);
  g_ptr_array_add (op->config->shares, hv_share_new (name, canonical, readonly));
  if (!hv_vm_config_validate (op->config, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!hv_vm_is_active (self))
    {
      if (!hv_vm_set_config (self, op->config, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  self->share_task = g_object_ref (task);
  add_live (self, task);
}

gboolean
hv_vm_add_share_finish (HvVm         *self,
                        GAsyncResult *result,
                        GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------------------
 * Remove
 */

static gboolean
remove_from_config (HvVm        *self,
                    const char  *name,
                    GError     **error)
{
  g_autoptr(HvVmConfig) copy = hv_vm_config_copy (self->config);

  for (guint i = 0; i < copy->shares->len; i++)
    if (g_str_equal (((HvShare *) g_ptr_array_index (copy->shares, i))->name, name))
      {
        g_ptr_array_remove_index (copy->shares, i);
        return hv_vm_set_config (self, copy, error);
      }
  return TRUE;
}

/* The device is gone from the guest: let go of the chardev, and virtiofsd ends. */
static void
detach (HvVm        *self,
        HvLiveShare *live)
{
  live->detaching = TRUE;
  live->unplug_pending = FALSE;
  remove_chardev (self, live->slot);
  if (live->daemon != NULL && hv_virtiofsd_is_running (live->daemon))
    hv_virtiofsd_stop (live->daemon, DAEMON_GRACE_MS);
}

/* The last step of a removal: the device and its virtiofsd are gone. */
static void
op_complete_remove (HvVm        *self,
                    HvLiveShare *live)
{
  ShareOp *op = current_op (self);
  g_autofree char *name = g_strdup (live->share->name);
  GError *error = NULL;

  if (live->daemon != NULL && hv_virtiofsd_get_exit_text (live->daemon) != NULL)
    hv_vm_log (self, "shared folder \"%s\": virtiofsd %s", name,
               hv_virtiofsd_get_exit_text (live->daemon));
  drop_live (self, live);
  save_state (self);
  hv_vm_log (self, "shared folder \"%s\" removed from the running VM", name);
  if (op != NULL && op->kind == OP_REMOVE && g_ascii_strcasecmp (op->name, name) == 0)
    {
      if (!remove_from_config (self, name, &error))
        op_finish (self, error);
      else
        op_finish (self, NULL);
    }
  else if (!remove_from_config (self, name, &error))
    {
      hv_vm_log (self, "cannot save the config: %s", error->message);
      g_error_free (error);
    }
}

static void
op_continue_remove (HvVm *self)
{
  ShareOp *op = current_op (self);
  HvLiveShare *live = find_live_by_slot (self, op->slot);

  if (live == NULL)
    {
      op_finish (self, NULL);
      return;
    }
  if (live->daemon == NULL || !hv_virtiofsd_is_running (live->daemon))
    op_complete_remove (self, live);
}

static gboolean
on_unplug_timeout (gpointer user_data)
{
  HvVm *self = user_data;
  ShareOp *op = current_op (self);
  HvLiveShare *live = find_live_by_slot (self, op->slot);

  op->timeout_id = 0;
  if (live != NULL)
    {
      /* Still in the guest: offer it again. Should the guest let go later, the removal
       * completes then (hv_vm_shares_on_device_deleted()). */
      live->removing = FALSE;
      hv_vm_shares_announce (self);
    }
  hv_vm_log (self, "shared folder \"%s\": the guest did not release its device within %d s",
             op->name, UNPLUG_TIMEOUT_S);
  op_finish (self, g_error_new (HV_ERROR, HV_ERROR_TIMEOUT,
                                "The guest did not release shared folder \"%s\" within %d s; "
                                "it stays shared", op->name, UNPLUG_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

static void
on_device_del (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *self = g_task_get_source_object (task);
  ShareOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  HvLiveShare *live;

  if (task != self->share_task || op->wait != WAIT_DELETED)
    return;
  live = find_live_by_slot (self, op->slot);
  /* A second request for a device the guest was already asked to release is refused
   * ("already in the process of unplug"); the first one still counts. */
  if (reply == NULL && (live == NULL || !live->unplug_pending ||
                        strstr (error->message, "unplug") == NULL))
    {
      if (live != NULL)
        {
          live->removing = FALSE;
          hv_vm_shares_announce (self);
        }
      op_finish (self, g_error_new (HV_ERROR, HV_ERROR_QEMU_FAILED,
                                    "QEMU could not remove shared folder \"%s\": %s", op->name,
                                    error->message));
      return;
    }
  if (live != NULL)
    live->unplug_pending = TRUE;
}

static void
unplug (HvVm *self)
{
  ShareOp *op = current_op (self);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *id = g_strdup_printf ("share%u", op->slot);

  if (op->applied_id != 0 && self->agent != NULL)
    g_clear_signal_handler (&op->applied_id, self->agent);
  op->applied_id = 0;
  g_clear_handle_id (&op->timeout_id, g_source_remove);

  op->wait = WAIT_DELETED;
  op->timeout_id = g_timeout_add_seconds (UNPLUG_TIMEOUT_S, on_unplug_timeout, self);
  json_object_set_string_member (args, "id", id);
  hv_qmp_execute_async (self->qmp, "device_del", args, -1, NULL, on_device_del,
                        g_object_ref (self->share_task));
}

static gboolean
on_agent_timeout (gpointer user_data)
{
  HvVm *self = user_data;
  ShareOp *op = current_op (self);

  op->timeout_id = 0;
  hv_vm_log (self, "shared folder \"%s\": the guest tools did not confirm the unmount within "
             "%d s; removing the device anyway", op->name, AGENT_UNMOUNT_TIMEOUT_S);
  unplug (self);
  return G_SOURCE_REMOVE;
}

static void
on_agent_applied (HvAgent *agent,
                  guint    generation,
                  HvVm    *self)
{
  ShareOp *op = current_op (self);

  if (op != NULL && op->wait == WAIT_AGENT && generation >= op->generation)
    unplug (self);
}

void
hv_vm_remove_share_async (HvVm               *self,
                          const char         *name,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(GTask) task = op_begin (self, OP_REMOVE, name, cancellable, callback, user_data,
                                    hv_vm_remove_share_async);
  ShareOp *op = g_task_get_task_data (task);
  HvLiveShare *live;
  GError *error = NULL;
  gboolean in_config = FALSE;

  if (!check_share_request (self, name, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < self->config->shares->len; i++)
    in_config = in_config ||
                g_str_equal (((HvShare *) g_ptr_array_index (self->config->shares, i))->name,
                             name);
  live = hv_vm_is_active (self) ? find_live_by_name (self, name) : NULL;
  if (live != NULL && !g_str_equal (live->share->name, name))
    live = NULL;
  if (!in_config && live == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_FOUND,
                               "VM \"%s\" has no share named \"%s\"", hv_vm_get_name (self),
                               name);
      return;
    }

  if (live == NULL || live->detaching)
    {
      /* Powered off, or only in the config (the guest let go of it already). */
      if (!remove_from_config (self, name, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  self->share_task = g_object_ref (task);
  op->slot = live->slot;
  live->removing = TRUE;
  /* The guest unmounts it first, so nothing of it is in use when the device goes. */
  op->generation = hv_vm_shares_announce (self);
  if (op->generation == 0 || self->agent == NULL || live->failure != NULL)
    {
      unplug (self);
      return;
    }
  op->wait = WAIT_AGENT;
  op->applied_id = g_signal_connect (self->agent, "shares-applied",
                                     G_CALLBACK (on_agent_applied), self);
  op->timeout_id = g_timeout_add_seconds (AGENT_UNMOUNT_TIMEOUT_S, on_agent_timeout, self);
}

gboolean
hv_vm_remove_share_finish (HvVm         *self,
                           GAsyncResult *result,
                           GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hv_vm_shares_on_device_deleted (HvVm       *self,
                                const char *device)
{
  ShareOp *op = current_op (self);
  guint64 slot;
  HvLiveShare *live;

  if (device == NULL || !g_str_has_prefix (device, "share") ||
      !g_ascii_string_to_unsigned (device + 5, 10, 0, HV_MAX_SHARES - 1, &slot, NULL) ||
      (live = find_live_by_slot (self, (guint) slot)) == NULL ||
      self->share_transport != HV_SHARE_TRANSPORT_VIRTIOFS)
    return;

  if (live->parked)
    {
      live->unplugged = TRUE;   /* out for a snapshot: the slot stays, chardev and daemon go */
      remove_chardev (self, live->slot);
      if (live->daemon != NULL && hv_virtiofsd_is_running (live->daemon))
        hv_virtiofsd_stop (live->daemon, DAEMON_GRACE_MS);
      return;
    }
  if (op != NULL && op->kind == OP_REMOVE && op->slot == slot)
    {
      g_clear_handle_id (&op->timeout_id, g_source_remove);
      op->wait = WAIT_DAEMON;
      detach (self, live);
      op_continue_remove (self);
      return;
    }

  if (live->unplug_pending)
    {
      hv_vm_log (self, "shared folder \"%s\": the guest released its device at last",
                 live->share->name);
      detach (self, live);
      if (live->daemon == NULL || !hv_virtiofsd_is_running (live->daemon))
        op_complete_remove (self, live);
      else
        {
          /* remove it from the config now; the live entry goes when virtiofsd ends */
          GError *error = NULL;

          if (!remove_from_config (self, live->share->name, &error))
            {
              hv_vm_log (self, "cannot save the config: %s", error->message);
              g_error_free (error);
            }
        }
      return;
    }

  /* The guest ejected it by itself (ACPI lets it): the folder stays in the config and
   * comes back at the next start. */
  hv_vm_log (self, "shared folder \"%s\": the guest removed its device; it returns when the "
             "VM is restarted", live->share->name);
  detach (self, live);
  if (live->daemon == NULL || !hv_virtiofsd_is_running (live->daemon))
    {
      drop_live (self, live);
      save_state (self);
    }
  hv_vm_sync_skeleton (self);
}

void
hv_vm_shares_watch_agent (HvVm *self)
{
  g_signal_connect (self->agent, "shares-applied", G_CALLBACK (on_shares_applied), self);
}

/* Parking: out of the guest for a snapshot with the running state, back in the same slots
 * (hv-vm-snapshots-shares.c drives it, see hv-vm-snapshots-shares.h); the config stays. */
guint32
hv_vm_shares_park (HvVm *self)
{
  for (guint i = 0; i < self->live_shares->len; i++)
    ((HvLiveShare *) g_ptr_array_index (self->live_shares, i))->parked = TRUE;
  return hv_vm_shares_announce (self);
}

GArray *
hv_vm_shares_parked_slots (HvVm *self, gboolean unplugged)
{
  GArray *slots = g_array_new (FALSE, FALSE, sizeof (guint));
  HvLiveShare *live;

  for (guint i = 0; self->live_shares != NULL && i < self->live_shares->len; i++)
    if ((live = g_ptr_array_index (self->live_shares, i))->parked && live->unplugged == unplugged)
      g_array_append_val (slots, live->slot);
  return slots;
}

gboolean
hv_vm_shares_parked_busy (HvVm *self, gboolean any)
{
  HvLiveShare *live;

  for (guint i = 0; self->live_shares != NULL && i < self->live_shares->len; i++)
    if ((live = g_ptr_array_index (self->live_shares, i))->parked &&
        (any || (self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS &&
                 (!live->unplugged || live->daemon != NULL))))
      return TRUE;
  return FALSE;
}

const char *
hv_vm_shares_slot_name (HvVm *self, guint slot)
{
  return find_live_by_slot (self, slot) ? find_live_by_slot (self, slot)->share->name : NULL;
}

gboolean
hv_vm_shares_replug_daemon (HvVm *self, guint slot, GError **error)
{
  HvLiveShare *live = find_live_by_slot (self, slot);
  HvVirtiofsd *daemon = live != NULL && live->daemon == NULL ?
                        spawn_daemon (self, live->share, slot, error) : NULL;

  if (daemon != NULL)
    watch_daemon (live, daemon);
  return daemon != NULL;
}

void
hv_vm_shares_unpark (HvVm *self, guint slot, const char *failure)
{
  HvLiveShare *live = find_live_by_slot (self, slot);

  if (live == NULL)
    return;
  if (failure != NULL)
    {
      hv_set_str (&live->failure, failure);   /* never silently: the share says why */
      if (live->daemon != NULL)
        {
          g_clear_signal_handler (&live->exited_id, live->daemon);
          hv_virtiofsd_stop (live->daemon, 0);
          g_clear_object (&live->daemon);
        }
    }
  else
    {
      if (live->unplugged)
        g_clear_pointer (&live->failure, g_free);   /* it has a new virtiofsd now */
      live->mount_deadline = g_get_monotonic_time () + MOUNT_RETRY_S * G_USEC_PER_SEC;
    }
  live->parked = live->unplugged = FALSE;
}
