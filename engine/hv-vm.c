/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm.c: the HvVm object: identity, config, state and its D-Bus face.
 * The QEMU process itself is handled in hv-vm-process.c. */
#include "hv-vm-private.h"
#include "hv-vm-network.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hv-client.h"
#include "hv-error.h"
#include "hv-vm-clone.h"

G_DEFINE_FINAL_TYPE (HvVm, hv_vm, G_TYPE_OBJECT)

enum {
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const state_names[] = {
  [HV_VM_STATE_POWEROFF] = "poweroff",
  [HV_VM_STATE_STARTING] = "starting",
  [HV_VM_STATE_RUNNING] = "running",
  [HV_VM_STATE_PAUSED] = "paused",
  [HV_VM_STATE_STOPPING] = "stopping",
  [HV_VM_STATE_ABORTED] = "aborted",
  [HV_VM_STATE_INACCESSIBLE] = "inaccessible",
};

const char *
hv_vm_state_to_string (HvVmState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_names), "unknown");
  return state_names[state];
}

static void
hv_vm_dispose (GObject *object)
{
  HvVm *self = HV_VM (object);

  hv_vm_process_dispose (self);
  hv_vm_snapshots_dispose (self);
  g_clear_object (&self->skeleton);

  G_OBJECT_CLASS (hv_vm_parent_class)->dispose (object);
}

static void
hv_vm_finalize (GObject *object)
{
  HvVm *self = HV_VM (object);

  g_free (self->uuid);
  g_free (self->dir);
  g_free (self->run_base);
  g_free (self->run_dir);
  g_free (self->config_path);
  g_clear_pointer (&self->config, hv_vm_config_free);
  g_free (self->config_error);
  g_clear_pointer (&self->caps, hv_qemu_caps_free);
  g_clear_object (&self->networks);
  g_free (self->state_reason);
  g_free (self->accel);
  g_free (self->accel_reason);
  g_free (self->shutdown_reason);
  g_clear_pointer (&self->off_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->net, hv_vm_network_free);

  G_OBJECT_CLASS (hv_vm_parent_class)->finalize (object);
}

static void
hv_vm_class_init (HvVmClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_vm_dispose;
  object_class->finalize = hv_vm_finalize;

  /* Emitted after every state change, for the engine's bookkeeping (idle exit). */
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hv_vm_init (HvVm *self)
{
  self->pidfd = -1;
  self->skeleton = hv_dbus_vm_skeleton_new ();
  self->off_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->accel = g_strdup ("tcg");
  self->accel_reason = g_strdup ("");
  hv_vm_shares_init (self);
}

void
hv_vm_set_networks (HvVm       *self,
                    HvNetworks *networks)
{
  g_return_if_fail (HV_IS_VM (self));

  if (self->networks != NULL)
    g_signal_handlers_disconnect_by_data (self->networks, self);
  g_set_object (&self->networks, networks);
  /* Leases name the guest's addresses in Adapters. */
  if (networks != NULL && g_signal_lookup ("leases-changed", G_OBJECT_TYPE (networks)) != 0)
    g_signal_connect_object (networks, "leases-changed", G_CALLBACK (hv_vm_sync_skeleton), self,
                             G_CONNECT_SWAPPED);
}

HvVm *
hv_vm_new_from_dir (const char       *dir,
                    const char       *run_base,
                    const HvQemuCaps *caps)
{
  HvVm *self = g_object_new (HV_TYPE_VM, NULL);
  g_autoptr(GError) error = NULL;

  self->dir = g_strdup (dir);
  self->uuid = g_path_get_basename (dir);
  self->run_base = g_strdup (run_base);
  self->run_dir = g_build_filename (run_base, "vms", self->uuid, NULL);
  self->config_path = g_build_filename (dir, "vm.xml", NULL);
  self->caps = caps != NULL ? hv_qemu_caps_copy (caps) : NULL;

  self->config = hv_vm_config_load (self->config_path, &error);
  if (self->config == NULL)
    {
      self->config_error = g_strdup (error->message);
      self->state = HV_VM_STATE_INACCESSIBLE;
      self->state_reason = g_strdup ("the configuration cannot be read");
    }
  else if (g_strcmp0 (self->config->uuid, self->uuid) != 0)
    {
      /* The directory name is what the engine trusts; a config claiming another
       * identity was copied or tampered with. */
      self->config_error = g_strdup_printf ("%s: the UUID %s does not match its directory",
                                            self->config_path, self->config->uuid);
      g_clear_pointer (&self->config, hv_vm_config_free);
      self->state = HV_VM_STATE_INACCESSIBLE;
      self->state_reason = g_strdup ("the configuration cannot be used");
    }
  else if (!hv_clone_check_backings (self->config, dir, FALSE, &error))
    {
      /* A backing image that the engine did not set (hand-edited): never opened. */
      self->config_error = g_strdup_printf ("%s: %s", self->config_path, error->message);
      g_clear_pointer (&self->config, hv_vm_config_free);
      self->state = HV_VM_STATE_INACCESSIBLE;
      self->state_reason = g_strdup ("the configuration cannot be used");
    }
  else
    {
      self->state = HV_VM_STATE_POWEROFF;
      self->state_reason = g_strdup ("");
    }

  hv_vm_snapshots_init (self);
  hv_vm_accel_init (self);
  hv_vm_sync_skeleton (self);
  return self;
}

const char *
hv_vm_get_uuid (HvVm *self)
{
  return self->uuid;
}

const char *
hv_vm_get_name (HvVm *self)
{
  /* An inaccessible VM is known by its directory name, the UUID. */
  return self->config != NULL ? self->config->name : self->uuid;
}

const char *
hv_vm_get_folder (HvVm *self)
{
  return self->config != NULL ? self->config->folder : "";
}

const char *
hv_vm_get_dir (HvVm *self)
{
  return self->dir;
}

HvVmState
hv_vm_get_state (HvVm *self)
{
  return self->state;
}

const HvVmConfig *
hv_vm_get_config (HvVm *self)
{
  return self->config;
}

HvDbusVm *
hv_vm_get_skeleton (HvVm *self)
{
  return self->skeleton;
}

char *
hv_vm_dup_object_path (HvVm *self)
{
  return hv_client_vm_path (self->uuid);
}

gboolean
hv_vm_is_active (HvVm *self)
{
  switch (self->state)
    {
    case HV_VM_STATE_STARTING:
    case HV_VM_STATE_RUNNING:
    case HV_VM_STATE_PAUSED:
    case HV_VM_STATE_STOPPING:
      return TRUE;
    case HV_VM_STATE_POWEROFF:
    case HV_VM_STATE_ABORTED:
    case HV_VM_STATE_INACCESSIBLE:
    default:
      return FALSE;
    }
}

void
hv_vm_sync_skeleton (HvVm *self)
{
  HvDbusVm *s = self->skeleton;
  const HvVmConfig *c = self->config;
  g_autofree char *xml = NULL;
  g_autofree char *log = g_build_filename (self->dir, "logs", "vm.log", NULL);
  g_autofree char *serial_log = g_build_filename (self->dir, "logs", "serial.log", NULL);
  gboolean active = hv_vm_is_active (self);

  if (c != NULL)
    xml = hv_vm_config_to_xml (c, NULL);
  hv_vm_accel_update (self);

  hv_dbus_vm_set_uuid (s, self->uuid);
  hv_dbus_vm_set_name (s, hv_vm_get_name (self));
  hv_dbus_vm_set_folder (s, hv_vm_get_folder (self));
  hv_dbus_vm_set_os_id (s, c != NULL ? c->os_id : "");
  hv_dbus_vm_set_state (s, hv_vm_state_to_string (self->state));
  hv_dbus_vm_set_state_reason (s, self->state_reason != NULL ? self->state_reason : "");
  hv_dbus_vm_set_accel (s, self->accel);
  hv_dbus_vm_set_accel_reason (s, self->accel_reason);
  hv_dbus_vm_set_memory_mib (s, c != NULL ? c->memory_mib : 0);
  hv_dbus_vm_set_cpus (s, c != NULL ? c->cpus : 0);
  hv_dbus_vm_set_firmware (s, c != NULL ? hv_firmware_to_string (c->firmware) : "");
  hv_dbus_vm_set_config_xml (s, xml != NULL ? xml : "");
  hv_dbus_vm_set_config_error (s, self->config_error != NULL ? self->config_error : "");
  hv_dbus_vm_set_directory (s, self->dir);
  hv_dbus_vm_set_log_path (s, log);
  hv_dbus_vm_set_serial_log_path (s, serial_log);
  hv_dbus_vm_set_pid (s, active ? (gint) self->pid : 0);
  {
    HvAgent *agent = self->agent;
    g_auto(GStrv) addresses = agent != NULL ? hv_agent_dup_addresses (agent) : g_new0 (char *, 1);
    g_autoptr(GVariant) status = hv_vm_shares_dup_status (self);
    GVariantBuilder shares;

    hv_dbus_vm_set_agent_connected (s, agent != NULL && hv_agent_is_connected (agent));
    hv_dbus_vm_set_agent_version (s, agent != NULL ? hv_agent_get_version (agent) : "");
    hv_dbus_vm_set_guest_os (s, agent != NULL ? hv_agent_get_os_name (agent) : "");
    hv_dbus_vm_set_guest_kernel (s, agent != NULL ? hv_agent_get_kernel (agent) : "");
    hv_dbus_vm_set_guest_hostname (s, agent != NULL ? hv_agent_get_hostname (agent) : "");
    hv_dbus_vm_set_guest_addresses (s, (const char * const *) addresses);
    hv_dbus_vm_set_share_status (s, status);
    hv_dbus_vm_set_clipboard_mode (s, c != NULL ? hv_clipboard_mode_to_string (c->clipboard_mode)
                                                : "off");
    g_variant_builder_init (&shares, G_VARIANT_TYPE ("a(ssbb)"));
    for (guint i = 0; c != NULL && i < c->shares->len; i++)
      {
        const HvShare *share = g_ptr_array_index (c->shares, i);
        g_variant_builder_add (&shares, "(ssbb)", share->name, share->path, share->readonly,
                               share->automount);
      }
    hv_dbus_vm_set_shares (s, g_variant_builder_end (&shares));
    hv_dbus_vm_set_share_transport (s, c != NULL ? hv_share_transport_to_string (c->share_transport)
                                                 : "auto");
    hv_dbus_vm_set_active_share_transport (s, active ? hv_share_transport_to_string (
                                                         self->share_transport) : "");
    hv_dbus_vm_set_can_change_shares (s, hv_vm_shares_can_change (self));
    hv_dbus_vm_set_adapters (s, hv_vm_network_dup_adapters (self));
  }
  hv_dbus_vm_set_can_start (s, self->state == HV_VM_STATE_POWEROFF ||
                               self->state == HV_VM_STATE_ABORTED);
  hv_dbus_vm_set_can_stop (s, self->state == HV_VM_STATE_RUNNING ||
                              self->state == HV_VM_STATE_PAUSED ||
                              self->state == HV_VM_STATE_STOPPING);
  hv_dbus_vm_set_can_pause (s, self->state == HV_VM_STATE_RUNNING);
  hv_dbus_vm_set_can_resume (s, self->state == HV_VM_STATE_PAUSED);
  hv_dbus_vm_set_can_modify (s, c != NULL && !active);
  hv_vm_snapshots_sync_skeleton (self);
}

void
hv_vm_set_state (HvVm       *self,
                 HvVmState   state,
                 const char *reason)
{
  gboolean changed = self->state != state || g_strcmp0 (reason, self->state_reason) != 0;

  self->state = state;
  hv_set_str (&self->state_reason, reason != NULL ? reason : "");
  if (!changed)
    return;

  if (reason != NULL && reason[0] != '\0')
    hv_vm_log (self, "state: %s (%s)", hv_vm_state_to_string (state), reason);
  else
    hv_vm_log (self, "state: %s", hv_vm_state_to_string (state));
  hv_vm_sync_skeleton (self);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

gboolean
hv_vm_set_config (HvVm       *self,
                  HvVmConfig *config,
                  GError    **error)
{
  if (!hv_vm_config_save (config, self->config_path, error))
    return FALSE;

  g_clear_pointer (&self->config, hv_vm_config_free);
  self->config = hv_vm_config_copy (config);
  if (self->agent != NULL)
    {
      /* The clipboard mode applies at once. The shares of a running VM are what QEMU has
       * (hv-vm-shares.c keeps the agent's list), not what the config says. */
      hv_agent_set_clipboard_mode (self->agent, self->config->clipboard_mode);
    }
  hv_vm_sync_skeleton (self);
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Guest integration
 */

static void
on_agent_changed (HvAgent *agent,
                  HvVm    *self)
{
  hv_vm_sync_skeleton (self);
}

static void
on_agent_clipboard_changed (HvAgent *agent,
                            HvVm    *self)
{
  hv_dbus_vm_emit_clipboard_changed (self->skeleton);
}

void
hv_vm_agent_start (HvVm *self)
{
  g_autofree char *path = g_build_filename (self->run_dir, "agent.sock", NULL);

  if (self->agent != NULL || self->config == NULL)
    return;
  self->agent = hv_agent_new (path);
  hv_vm_shares_announce (self);
  hv_vm_shares_watch_agent (self);
  hv_agent_set_clipboard_mode (self->agent, self->config->clipboard_mode);
  g_signal_connect (self->agent, "changed", G_CALLBACK (on_agent_changed), self);
  g_signal_connect (self->agent, "clipboard-changed", G_CALLBACK (on_agent_clipboard_changed),
                    self);
  hv_agent_start (self->agent);
}

void
hv_vm_agent_stop (HvVm *self)
{
  if (self->agent == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->agent, self);
  hv_agent_stop (self->agent);
  g_clear_object (&self->agent);
  hv_vm_sync_skeleton (self);
}

static gboolean
check_clipboard (HvVm     *self,
                 GError  **error)
{
  if (self->agent == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE, "VM \"%s\" is not running",
                   hv_vm_get_name (self));
      return FALSE;
    }
  if (self->config->clipboard_mode == HV_CLIPBOARD_OFF)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "The shared clipboard is off for VM \"%s\"", hv_vm_get_name (self));
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_vm_set_clipboard (HvVm       *self,
                     const char *mime,
                     GBytes     *data,
                     GError    **error)
{
  return check_clipboard (self, error) && hv_agent_set_clipboard (self->agent, mime, data, error);
}

GBytes *
hv_vm_get_clipboard (HvVm    *self,
                     char   **mime,
                     GError **error)
{
  *mime = NULL;
  if (!check_clipboard (self, error))
    return NULL;
  return hv_agent_get_clipboard (self->agent, mime);
}

void
hv_vm_log (HvVm       *self,
           const char *format,
           ...)
{
  g_autofree char *logs = g_build_filename (self->dir, "logs", NULL);
  g_autofree char *path = g_build_filename (logs, "vm.log", NULL);
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  va_list args;
  int fd;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  line = g_strdup_printf ("%s %s\n", stamp, message);

  /* The log is best effort: a VM whose directory is gone or read-only still runs. */
  if (g_mkdir_with_parents (logs, 0700) != 0)
    return;
  /* O_NOFOLLOW: a link in the library is never written through. */
  fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd < 0)
    return;
  if (write (fd, line, strlen (line)) < 0)
    { /* nothing more to do: see above */ }
  close (fd);
}
