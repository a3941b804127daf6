/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network.c: see hv-network.h. The networks that run now ("runs"): an internal network,
 * or a host-only network without the one-time set-up ("isolated"), is one namespace holder
 * (hv-network-ns.c) with dnsmasq for host-only networks with DHCP; a host-only network in
 * "host" mode has its bridge and dnsmasq from the set-up and only counts its VMs here.
 * A run starts with its first attach and ends when its last VM is detached. */
#include "hv-network.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-network-bridge.h"
#include "hv-network-dnsmasq.h"
#include "hv-network-private.h"
#include "hv-paths.h"

#define DEFAULT_NETWORK "hostonly0"

enum { SIGNAL_CHANGED, SIGNAL_LEASES_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HvNetworks, hv_networks, G_TYPE_OBJECT)

void
hv_network_use_free (HvNetworkUse *use)
{
  if (use == NULL)
    return;
  g_free (use->target);
  g_free (use->vm_uuid);
  g_free (use->vm_name);
  g_free (use);
}

static void
member_free (Member *m)
{
  g_free (m->vm_uuid);
  g_free (m->mac);
  g_free (m);
}

static void
forward_free (Forward *f)
{
  hv_net_forward_free (f->forward);
  g_free (f->vm_uuid);
  g_free (f);
}

static void
run_free (Run *run)
{
  if (run->ns != NULL)
    {
      g_signal_handlers_disconnect_by_data (run->ns, run);
      hv_netns_close (run->ns);
      g_object_unref (run->ns);
    }
  if (run->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (run->monitor, run);
      g_file_monitor_cancel (run->monitor);
      g_object_unref (run->monitor);
    }
  g_ptr_array_unref (run->members);
  g_free (run->lease_path);
  g_free (run->key);
  g_free (run->name);
  g_free (run);
}

static void
hv_networks_finalize (GObject *object)
{
  HvNetworks *self = HV_NETWORKS (object);

  g_ptr_array_unref (self->forwards);
  g_hash_table_unref (self->runs);
  g_ptr_array_unref (self->host_only);
  g_free (self->library_dir);
  g_free (self->run_base);
  g_free (self->store_path);
  g_free (self->store_error);
  G_OBJECT_CLASS (hv_networks_parent_class)->finalize (object);
}

static void
hv_networks_class_init (HvNetworksClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_networks_finalize;
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_LEASES_CHANGED] =
    g_signal_new ("leases-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
hv_networks_init (HvNetworks *self)
{
  self->host_only = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_host_only_net_free);
  self->runs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) run_free);
  self->forwards = g_ptr_array_new_with_free_func ((GDestroyNotify) forward_free);
}

HvHostOnlyNet *
hv_networks_find_host_only (HvNetworks *self,
                const char *name,
                guint      *out_index)
{
  for (guint i = 0; i < self->host_only->len; i++)
    {
      HvHostOnlyNet *net = g_ptr_array_index (self->host_only, i);

      if (g_strcmp0 (net->name, name) == 0)
        {
          if (out_index != NULL)
            *out_index = i;
          return net;
        }
    }
  return NULL;
}

HvNetworks *
hv_networks_new (const char  *library_dir,
                 const char  *run_base,
                 GError     **error)
{
  g_autoptr(HvNetworks) self = g_object_new (HV_TYPE_NETWORKS, NULL);
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) local = NULL;
  gboolean missing = FALSE;

  self->library_dir = g_strdup (library_dir);
  self->run_base = g_strdup (run_base);
  self->store_path = g_build_filename (library_dir, "networks.xml", NULL);

  loaded = hv_network_store_load (self->store_path, &missing, &local);
  if (loaded == NULL)
    {
      /* The engine keeps working without host-only networks; the file stays as it is for
       * the user to mend, and changes are refused until then. */
      g_message ("Host-only networks are unavailable: %s", local->message);
      self->store_error = g_strdup (local->message);
      return g_steal_pointer (&self);
    }
  g_ptr_array_extend_and_steal (self->host_only, g_steal_pointer (&loaded));
  if (missing)
    {
      /* A new library: the default host-only network, on a /24 free now. */
      g_autoptr(HvHostOnlyNet) net = g_new0 (HvHostOnlyNet, 1);

      net->name = g_strdup (DEFAULT_NETWORK);
      net->address = hv_network_pick_free_subnet (self->host_only);
      net->prefix = 24;
      net->dhcp = TRUE;
      hv_host_only_net_default_range (net);
      if (net->address != 0)
        {
          g_ptr_array_add (self->host_only, g_steal_pointer (&net));
          if (!hv_network_store_save (self->store_path, self->host_only, &local))
            g_message ("Cannot save the default network: %s", local->message);
        }
    }
  return g_steal_pointer (&self);
}

void
hv_networks_set_uses_func (HvNetworks        *self,
                           HvNetworkUsesFunc  func,
                           gpointer           user_data)
{
  self->uses_func = func;
  self->uses_data = user_data;
}

GPtrArray *
hv_networks_get_uses (HvNetworks *self)
{
  if (self->uses_func != NULL)
    return self->uses_func (self->uses_data);
  return g_ptr_array_new_with_free_func ((GDestroyNotify) hv_network_use_free);
}

char *
hv_networks_run_key (HvNetMode   mode,
         const char *name)
{
  return g_strdup_printf ("%s:%s", mode == HV_NET_INTERNAL ? "internal" : "host-only", name);
}

void
hv_networks_emit_changed (HvNetworks *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* ---- Runs ------------------------------------------------------------------------- */

static void
on_leases_changed (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other,
                   GFileMonitorEvent  event,
                   gpointer           user_data)
{
  Run *run = user_data;

  if (event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT || event == G_FILE_MONITOR_EVENT_CREATED
      || event == G_FILE_MONITOR_EVENT_DELETED || event == G_FILE_MONITOR_EVENT_RENAMED
      || event == G_FILE_MONITOR_EVENT_MOVED_IN)
    g_signal_emit (run->owner, signals[SIGNAL_LEASES_CHANGED], 0);
}

static void
drop_forwards (HvNetworks *self,
               Run        *run,
               const char *vm_uuid)
{
  for (guint i = self->forwards->len; i > 0; i--)
    {
      Forward *f = g_ptr_array_index (self->forwards, i - 1);
      gboolean match = FALSE;

      for (guint j = 0; j < run->members->len && !match; j++)
        {
          Member *m = g_ptr_array_index (run->members, j);

          match = g_str_equal (m->vm_uuid, f->vm_uuid) && m->slot == f->slot
                  && (vm_uuid == NULL || g_str_equal (vm_uuid, f->vm_uuid));
        }
      if (match)
        g_ptr_array_remove_index (self->forwards, i - 1);
    }
}

static void
on_ns_closed (HvNetns    *ns,
              const char *reason,
              gpointer    user_data)
{
  Run *run = user_data;
  HvNetworks *self = run->owner;

  if (reason == NULL)
    return;
  /* The holder ended by itself (dnsmasq died, it was killed): the network is down. Its
   * VMs' taps stay in a namespace that no one serves. */
  g_message ("Network %s went down: %s", run->name, reason);
  drop_forwards (self, run, NULL);
  g_hash_table_remove (self->runs, run->key);
  hv_networks_emit_changed (self);
}

static void
watch_leases (Run *run)
{
  g_autoptr(GFile) file = g_file_new_for_path (run->lease_path);

  run->monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, NULL);
  if (run->monitor != NULL)
    g_signal_connect (run->monitor, "changed", G_CALLBACK (on_leases_changed), run);
}

static gboolean
start_namespace (HvNetworks *self,
                 Run        *run,
                 GError    **error)
{
  g_autofree char *label = g_strdup_printf ("\"%s\"", run->name);
  g_autofree char *cidr = NULL, *conf_path = NULL, *log_path = NULL;
  HvHostOnlyNet *net = run->kind == HV_NET_HOST_ONLY
                       ? hv_networks_find_host_only (self, run->name, NULL) : NULL;

  if (net != NULL)
    {
      g_autofree char *address = hv_ipv4_to_string (net->address);
      g_autofree char *dir = NULL;
      g_autofree char *base = g_build_filename (self->run_base, "networks", NULL);

      cidr = g_strdup_printf ("%s/%u", address, net->prefix);
      dir = g_build_filename (base, run->name, NULL);
      if (!hv_paths_ensure_private_dir (base, error) || !hv_paths_ensure_private_dir (dir, error))
        return FALSE;
      {
        g_autofree char *start = hv_ipv4_to_string (net->dhcp_start);
        g_autofree char *end = hv_ipv4_to_string (net->dhcp_end);
        g_autofree char *text = NULL;
        HvDnsmasqConfig config = {
          .network = run->name,
          .interface = HV_NETNS_BRIDGE,
          .address = address,
          .prefix = net->prefix,
          .dhcp_start = net->dhcp ? start : NULL,
          .dhcp_end = net->dhcp ? end : NULL,
          .lease_max = net->dhcp_end - net->dhcp_start + 1,
        };

        run->lease_path = g_build_filename (dir, "leases", NULL);
        config.lease_file = run->lease_path;
        text = hv_network_dnsmasq_config (&config);
        conf_path = g_build_filename (dir, "dnsmasq.conf", NULL);
        log_path = g_build_filename (dir, "dnsmasq.log", NULL);
        if (text == NULL
            || !g_file_set_contents_full (conf_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                          0600, error))
          {
            if (text == NULL)
              g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                           "Network %s: cannot make dnsmasq's configuration", label);
            return FALSE;
          }
      }
      watch_leases (run);
    }
  run->ns = hv_netns_new (label, cidr, conf_path, log_path, error);
  if (run->ns == NULL)
    return FALSE;
  g_signal_connect (run->ns, "closed", G_CALLBACK (on_ns_closed), run);
  return TRUE;
}

/* The run of @mode's network @name, started if needed. */
static Run *
ensure_run (HvNetworks *self,
            HvNetMode   mode,
            const char *name,
            gboolean    host_mode,
            gboolean    with_namespace,
            GError    **error)
{
  g_autofree char *key = hv_networks_run_key (mode, name);
  Run *run = g_hash_table_lookup (self->runs, key);
  gboolean created = FALSE;

  if (run == NULL)
    {
      run = g_new0 (Run, 1);
      run->owner = self;
      run->key = g_steal_pointer (&key);
      run->kind = mode;
      run->name = g_strdup (name);
      run->host_mode = host_mode;
      run->members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
      created = TRUE;
      if (host_mode)
        {
          /* The set-up's dnsmasq keeps its leases where every user may read them. */
          run->lease_path = hv_network_host_only_lease_file (name);
          watch_leases (run);
        }
    }
  if (with_namespace && !run->host_mode && run->ns == NULL && !start_namespace (self, run, error))
    {
      if (created)
        run_free (run);
      return NULL;
    }
  if (created)
    {
      g_hash_table_insert (self->runs, run->key, run);
      hv_networks_emit_changed (self);
    }
  return run;
}

static void
maybe_end_run (HvNetworks *self,
               Run        *run)
{
  if (run->members->len == 0 && run->pending == 0)
    {
      g_hash_table_remove (self->runs, run->key);
      hv_networks_emit_changed (self);
    }
}

static void
add_member (Run        *run,
            const char *vm_uuid,
            guint       slot,
            const char *mac)
{
  Member *m = g_new0 (Member, 1);

  for (guint i = 0; i < run->members->len; i++)
    {
      Member *old = g_ptr_array_index (run->members, i);

      if (g_str_equal (old->vm_uuid, vm_uuid) && old->slot == slot)
        {
          g_ptr_array_remove_index (run->members, i);
          break;
        }
    }
  m->vm_uuid = g_strdup (vm_uuid);
  m->slot = slot;
  m->mac = g_strdup (mac);
  g_ptr_array_add (run->members, m);
}

/* ---- Attach --------------------------------------------------------------------------- */

typedef struct {
  char *key;
  char *vm_uuid;
  guint slot;
  char *mac;
  char *target;          /* a bridge to open a tap on (bridged, host mode) */
} Attach;

static void
attach_free (Attach *a)
{
  g_free (a->key);
  g_free (a->vm_uuid);
  g_free (a->mac);
  g_free (a->target);
  g_free (a);
}

static void
open_bridge_tap_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  Attach *a = task_data;
  GError *error = NULL;
  int fd = hv_network_bridge_open_tap (a->target, &error);

  if (fd < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, fd);
}

/* The tap is open (or not): the adapter is on its network. */
static void
finish_attach (HvNetworks *self,
               GTask      *task,
               int         fd,
               GError     *error)
{
  Attach *a = g_task_get_task_data (task);
  Run *run = a->key != NULL ? g_hash_table_lookup (self->runs, a->key) : NULL;

  if (run != NULL)
    run->pending--;
  if (fd >= 0 && a->key != NULL && run == NULL)
    {
      /* The network went down meanwhile. */
      close (fd);
      fd = -1;
      g_clear_error (&error);
      g_set_error (&error, HV_ERROR, HV_ERROR_FAILED,
                   "Adapter %u: its network went down while it was attached", a->slot);
    }
  if (fd < 0)
    {
      g_prefix_error (&error, "Adapter %u: ", a->slot);
      g_task_return_error (task, error);
      if (run != NULL)
        maybe_end_run (self, run);
      return;
    }
  if (run != NULL)
    add_member (run, a->vm_uuid, a->slot, a->mac);
  g_task_return_int (task, fd);
}

static void
on_bridge_tap (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  int fd = (int) g_task_propagate_int (G_TASK (result), &error);

  finish_attach (HV_NETWORKS (source), task, fd, error);
}

static void
on_ns_tap (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  int fd = hv_netns_open_tap_finish (HV_NETNS (source), result, NULL, &error);

  finish_attach (g_task_get_source_object (task), task, fd, error);
}

void
hv_networks_attach_async (HvNetworks          *self,
                          const char          *vm_uuid,
                          guint                slot,
                          HvNetMode            mode,
                          const char          *target,
                          const char          *mac,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  Attach *a = g_new0 (Attach, 1);
  gboolean host = FALSE;
  Run *run;

  g_task_set_source_tag (task, hv_networks_attach_async);
  g_task_set_task_data (task, a, (GDestroyNotify) attach_free);
  a->vm_uuid = g_strdup (vm_uuid);
  a->slot = slot;
  a->mac = g_strdup (mac);

  switch (mode)
    {
    case HV_NET_BRIDGED:
      a->target = g_strdup (target);
      break;

    case HV_NET_HOST_ONLY:
      if (hv_networks_find_host_only (self, target, NULL) == NULL)
        {
          g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_FOUND,
                                   "Adapter %u: no host-only network named \"%s\" (see "
                                   "hostvisorctl network list)", slot,
                                   target != NULL ? target : "");
          return;
        }
      {
        /* A network that is up stays in the mode it came up in until it goes down. */
        g_autofree char *key = hv_networks_run_key (mode, target);
        Run *up = g_hash_table_lookup (self->runs, key);

        host = up != NULL ? up->host_mode : hv_network_host_only_is_set_up (target);
      }
      if (host)
        {
          run = ensure_run (self, mode, target, TRUE, FALSE, NULL);
          a->target = hv_network_host_only_bridge (target);
          a->key = g_strdup (run->key);
          run->pending++;
          break;
        }
      G_GNUC_FALLTHROUGH;

    case HV_NET_INTERNAL:
      /* Internal networks' names follow the host-only rule (the config's rule too). */
      if (mode == HV_NET_INTERNAL && !hv_network_check_name (target, &error))
        {
          g_prefix_error (&error, "Adapter %u: ", slot);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      run = ensure_run (self, mode, target, FALSE, TRUE, &error);
      if (run == NULL)
        {
          g_prefix_error (&error, "Adapter %u: ", slot);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      a->key = g_strdup (run->key);
      run->pending++;
      hv_netns_open_tap_async (run->ns, cancellable, on_ns_tap, g_steal_pointer (&task));
      return;

    default:
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                               "Adapter %u: a %s adapter has no network to attach to", slot,
                               hv_net_mode_to_string (mode));
      return;
    }

  /* A tap on a host bridge, from the set-up's helper (which may take a moment). */
  {
    GTask *inner = g_task_new (self, cancellable, on_bridge_tap, g_steal_pointer (&task));

    g_task_set_task_data (inner, a, NULL);
    g_task_run_in_thread (inner, open_bridge_tap_thread);
    g_object_unref (inner);
  }
}

int
hv_networks_attach_finish (HvNetworks    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (int) g_task_propagate_int (G_TASK (result), error);
}

void
hv_networks_detach_vm (HvNetworks *self,
                       const char *vm_uuid)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (runs, value);
  for (guint i = self->forwards->len; i > 0; i--)
    {
      Forward *f = g_ptr_array_index (self->forwards, i - 1);

      if (g_str_equal (f->vm_uuid, vm_uuid))
        g_ptr_array_remove_index (self->forwards, i - 1);
    }
  for (guint i = 0; i < runs->len; i++)
    {
      Run *run = g_ptr_array_index (runs, i);
      gboolean had = FALSE;

      for (guint j = run->members->len; j > 0; j--)
        if (g_str_equal (((Member *) g_ptr_array_index (run->members, j - 1))->vm_uuid, vm_uuid))
          {
            g_ptr_array_remove_index (run->members, j - 1);
            had = TRUE;
          }
      if (had)
        maybe_end_run (self, run);
    }
}

void
hv_networks_adopt_vm (HvNetworks *self,
                      const char *vm_uuid,
                      guint       slot,
                      HvNetMode   mode,
                      const char *target,
                      const char *mac)
{
  Run *run;

  if ((mode != HV_NET_HOST_ONLY && mode != HV_NET_INTERNAL) || target == NULL)
    return;
  if (mode == HV_NET_HOST_ONLY && hv_networks_find_host_only (self, target, NULL) == NULL)
    return;
  /* An internal or isolated network's namespace ended with the engine that made it (the
   * VM's tap keeps its bridge, with the VMs it had then); the next VM that attaches gets a
   * new namespace. In host mode the set-up's bridge is still the same. */
  run = ensure_run (self, mode, target,
                    mode == HV_NET_HOST_ONLY && hv_network_host_only_is_set_up (target),
                    FALSE, NULL);
  if (run != NULL)
    add_member (run, vm_uuid, slot, mac);
}

/* ---- Leases ---------------------------------------------------------------------------- */

static char **
run_lookup (Run        *run,
            const char *mac)
{
  g_autofree char *text = NULL;

  if (run->lease_path == NULL || !g_file_get_contents (run->lease_path, &text, NULL, NULL))
    return g_new0 (char *, 1);
  return hv_network_leases_lookup (text, mac);
}

char **
hv_networks_lookup_addresses (HvNetworks *self,
                              const char *mac)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  GHashTableIter iter;
  Run *run;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &run))
    {
      g_auto(GStrv) found = run_lookup (run, mac);

      g_strv_builder_addv (b, (const char **) found);
    }
  return g_strv_builder_end (b);
}

const char *
hv_networks_host_only_mode (HvNetworks *self,
                            const char *name)
{
  g_autofree char *key = NULL;
  Run *up;

  if (hv_networks_find_host_only (self, name, NULL) == NULL)
    return NULL;
  /* While it is up, the mode it came up in (the set-up may have come or gone since). */
  key = hv_networks_run_key (HV_NET_HOST_ONLY, name);
  up = g_hash_table_lookup (self->runs, key);
  if (up != NULL)
    return up->host_mode ? "host" : "isolated";
  return hv_network_host_only_is_set_up (name) ? "host" : "isolated";
}

/* ---- Forwards --------------------------------------------------------------------------- */

typedef struct {
  HvNetworks *self;
  char *key;
  char *mac;
} TargetData;

static void
target_data_free (TargetData *t)
{
  g_free (t->key);
  g_free (t->mac);
  g_free (t);
}

static char *
forward_target (gpointer user_data)
{
  TargetData *t = user_data;
  Run *run = g_hash_table_lookup (t->self->runs, t->key);
  g_auto(GStrv) found = run != NULL ? run_lookup (run, t->mac) : NULL;

  return found != NULL && found[0] != NULL ? g_strdup (found[0]) : NULL;
}

static Run *
run_of_adapter (HvNetworks *self,
                const char *vm_uuid,
                guint       slot)
{
  GHashTableIter iter;
  Run *run;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &run))
    for (guint i = 0; i < run->members->len; i++)
      {
        Member *m = g_ptr_array_index (run->members, i);

        if (g_str_equal (m->vm_uuid, vm_uuid) && m->slot == slot)
          return run;
      }
  return NULL;
}

gboolean
hv_networks_add_forward (HvNetworks           *self,
                         const char           *vm_uuid,
                         guint                 slot,
                         const char           *mac,
                         const HvPortForward  *rule,
                         GError              **error)
{
  Run *run = run_of_adapter (self, vm_uuid, slot);
  TargetData *t;
  HvNetForward *forward;
  Forward *f;

  if (run == NULL || run->kind != HV_NET_HOST_ONLY)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Adapter %u is not on a running host-only network: port forward \"%s\" "
                   "needs the VM running", slot, rule->name);
      return FALSE;
    }
  if (run->host_mode)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Adapter %u: network \"%s\" has a host interface: the host reaches the "
                   "guest at its own address, no port forward needed (rule \"%s\")", slot,
                   run->name, rule->name);
      return FALSE;
    }
  if (run->ns == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Adapter %u: network \"%s\" was started by an earlier engine: restart the "
                   "VM for port forward \"%s\"", slot, run->name, rule->name);
      return FALSE;
    }
  for (guint i = 0; i < self->forwards->len; i++)
    {
      Forward *old = g_ptr_array_index (self->forwards, i);

      if (g_str_equal (old->vm_uuid, vm_uuid) && old->slot == slot
          && g_str_equal (hv_net_forward_get_name (old->forward), rule->name))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_EXISTS,
                       "Adapter %u already has a port forward named \"%s\"", slot, rule->name);
          return FALSE;
        }
    }
  t = g_new0 (TargetData, 1);
  t->self = self;
  t->key = g_strdup (run->key);
  t->mac = g_strdup (mac);
  forward = hv_net_forward_new (run->ns, rule, forward_target, t,
                                (GDestroyNotify) target_data_free, error);
  if (forward == NULL)
    {
      target_data_free (t);
      return FALSE;
    }
  f = g_new0 (Forward, 1);
  f->vm_uuid = g_strdup (vm_uuid);
  f->slot = slot;
  f->forward = forward;
  g_ptr_array_add (self->forwards, f);
  return TRUE;
}

void
hv_networks_remove_forward (HvNetworks *self,
                            const char *vm_uuid,
                            guint       slot,
                            const char *rule_name)
{
  for (guint i = self->forwards->len; i > 0; i--)
    {
      Forward *f = g_ptr_array_index (self->forwards, i - 1);

      if (g_str_equal (f->vm_uuid, vm_uuid) && f->slot == slot
          && g_str_equal (hv_net_forward_get_name (f->forward), rule_name))
        g_ptr_array_remove_index (self->forwards, i - 1);
    }
}
