/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-engine-client.h"

#include <glib/gi18n.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>

#include "hv-client.h"
#include "hv-client-remote.h"
#include "hv-engine-client-remote.h"
#include "hv-error.h"
#include "hv-messages.h"

/* Reconnect delays grow from the first to the last and stay there. */
#define RECONNECT_FIRST_MS 250
#define RECONNECT_MAX_MS 5000
/* Start and Delete return when QEMU runs or is gone; on TCG that can take a while. */
#define CALL_TIMEOUT_MS (120 * 1000)
#define SCREENSHOT_MAX_BYTES (64 * 1024 * 1024)

struct _HvEngineClient
{
  GObject parent_instance;

  /* owned */
  GCancellable *cancellable;     /* the client's life */
  GCancellable *conn_cancellable;/* the current connection's life */
  GDBusConnection *connection;
  guint properties_subscription; /* PropertiesChanged of every Vm: see on_vm_properties_changed */
  HvDbusEngine *engine;
  GListStore *vms;
  GHashTable *by_path;           /* object path → HvVmItem (borrowed from vms) */
  GHashTable *pending;           /* object paths announced by VmAdded, proxy on its way */
  GPtrArray *batch;              /* HvVmItem*: proxies ready, not yet in vms */
  guint batch_source;
  GHashTable *os_names;          /* libosinfo short id → name, from ListOses */
  char **folders;
  char *last_error;
  guint reconnect_source;
  guint reconnect_delay_ms;
  gboolean started;
  gboolean connecting;
  gboolean connected;
  gboolean kvm_available;
  /* the engine's KVM verdict (Engine.KvmVerdict, KvmProbe) */
  char *kvm_verdict;
  char *kvm_group;
  guint kvm_ms;
  guint tcg_ms;
  gboolean kvm_finished;
  /* Engine.Networks (aa{sv}) and Engine.NetworkSetup (a{sv}); NULL from an engine without them */
  GVariant *networks;
  GVariant *network_setup;
  /* the engine on another host (hv-engine-client-remote.c), NULL for this computer's */
  HvRemote *remote;
  GCancellable *attempt_cancellable; /* the connect thread's: cancelled when switching */
  guint generation;              /* one more at each switch: a late attempt is dropped */
};

G_DEFINE_FINAL_TYPE (HvEngineClient, hv_engine_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNECTED,
  PROP_KVM_AVAILABLE,
  PROP_KVM_VERDICT,
  PROP_FOLDERS,
  PROP_LAST_ERROR,
  PROP_OS_NAMES_LOADED,
  PROP_NETWORKS,
  PROP_REMOTE_ADDRESS,
  N_PROPS
};

enum {
  ENGINE_LOST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_now (HvEngineClient *self);

static void
set_connected (HvEngineClient *self,
               gboolean        connected)
{
  if (self->connected == connected)
    return;
  self->connected = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static void
set_last_error (HvEngineClient *self,
                const char     *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/* The verdict and the test's figures: one notification for all of them. */
static void
sync_kvm_verdict (HvEngineClient *self)
{
  g_autofree char *verdict = hv_dbus_engine_dup_kvm_verdict (self->engine);
  g_autoptr(GVariant) probe = hv_dbus_engine_dup_kvm_probe (self->engine);
  g_auto(GVariantDict) figures = G_VARIANT_DICT_INIT (probe);
  g_autofree char *group = NULL;
  guint32 kvm_ms = 0, tcg_ms = 0;
  gboolean finished = FALSE;
  gboolean changed;

  g_variant_dict_lookup (&figures, "kvm-ms", "u", &kvm_ms);
  g_variant_dict_lookup (&figures, "tcg-ms", "u", &tcg_ms);
  g_variant_dict_lookup (&figures, "kvm-finished", "b", &finished);
  g_variant_dict_lookup (&figures, "group", "s", &group);
  /* An engine without the verdict: only KvmAvailable. */
  if (verdict == NULL || verdict[0] == '\0')
    {
      g_free (verdict);
      verdict = g_strdup (hv_dbus_engine_get_kvm_available (self->engine) ? "usable" : "missing");
    }

  changed = g_strcmp0 (verdict, self->kvm_verdict) != 0 ||
            g_strcmp0 (group, self->kvm_group) != 0 || kvm_ms != self->kvm_ms ||
            tcg_ms != self->tcg_ms || finished != self->kvm_finished;
  if (!changed)
    return;
  g_free (self->kvm_verdict);
  self->kvm_verdict = g_steal_pointer (&verdict);
  g_free (self->kvm_group);
  self->kvm_group = g_steal_pointer (&group);
  self->kvm_ms = kvm_ms;
  self->tcg_ms = tcg_ms;
  self->kvm_finished = finished;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KVM_VERDICT]);
}

/* In the user's language: the banner shows it. */
static void
set_last_error_from (HvEngineClient *self,
                     const GError   *error)
{
  g_autofree char *message = hv_messages_error (error);

  set_last_error (self, message);
}

/* Networks and NetworkSetup: one notification ("networks") for both. */
static void
sync_networks (HvEngineClient *self)
{
  g_autoptr(GVariant) networks = hv_dbus_engine_dup_networks (self->engine);
  g_autoptr(GVariant) setup = hv_dbus_engine_dup_network_setup (self->engine);

  if ((networks == NULL) == (self->networks == NULL) &&
      (networks == NULL || g_variant_equal (networks, self->networks)) &&
      (setup == NULL) == (self->network_setup == NULL) &&
      (setup == NULL || g_variant_equal (setup, self->network_setup)))
    return;
  g_clear_pointer (&self->networks, g_variant_unref);
  g_clear_pointer (&self->network_setup, g_variant_unref);
  self->networks = g_steal_pointer (&networks);
  self->network_setup = g_steal_pointer (&setup);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORKS]);
}

static void
sync_engine_properties (HvEngineClient *self)
{
  /* dup, not get: the generated getter's strings live in a cached GVariant that the next
   * PropertiesChanged frees. */
  g_auto(GStrv) folders = hv_dbus_engine_dup_folders (self->engine);
  gboolean kvm = hv_dbus_engine_get_kvm_available (self->engine);

  if (folders == NULL)
    folders = g_new0 (char *, 1);
  if (!g_strv_equal ((const char * const *) self->folders, (const char * const *) folders))
    {
      g_strfreev (self->folders);
      self->folders = g_steal_pointer (&folders);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDERS]);
    }
  if (self->kvm_available != kvm)
    {
      self->kvm_available = kvm;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KVM_AVAILABLE]);
    }
  sync_kvm_verdict (self);
  sync_networks (self);
}

static void
on_engine_properties_changed (GDBusProxy         *proxy,
                              GVariant           *changed,
                              const char * const *invalidated,
                              HvEngineClient     *self)
{
  sync_engine_properties (self);
}

static void
schedule_reconnect (HvEngineClient *self)
{
  if (self->reconnect_source != 0 || g_cancellable_is_cancelled (self->cancellable))
    return;
  self->reconnect_source = g_timeout_add_once (self->reconnect_delay_ms,
                                               (GSourceOnceFunc) connect_now, self);
  self->reconnect_delay_ms = MIN (self->reconnect_delay_ms * 2, RECONNECT_MAX_MS);
}

/* Nothing can be done with a VM while there is no engine to do it. */
static void
mark_items_unreachable (HvEngineClient *self)
{
  g_autoptr(GVariant) none = NULL;
  GVariantDict dict;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->vms));

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "CanStart", "b", FALSE);
  g_variant_dict_insert (&dict, "CanStop", "b", FALSE);
  g_variant_dict_insert (&dict, "CanPause", "b", FALSE);
  g_variant_dict_insert (&dict, "CanResume", "b", FALSE);
  g_variant_dict_insert (&dict, "CanModify", "b", FALSE);
  none = g_variant_ref_sink (g_variant_dict_end (&dict));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (G_LIST_MODEL (self->vms), i);

      hv_vm_item_set_proxy (item, NULL);
      hv_vm_item_update (item, none);
    }
}

static void
drop_connection (HvEngineClient *self)
{
  g_cancellable_cancel (self->conn_cancellable);
  g_clear_object (&self->conn_cancellable);
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (self->properties_subscription != 0)
        g_dbus_connection_signal_unsubscribe (self->connection, self->properties_subscription);
    }
  self->properties_subscription = 0;
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  g_clear_object (&self->connection);
  g_hash_table_remove_all (self->pending);
}

static void
on_lost_reason (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  HvEngineClient *self = HV_ENGINE_CLIENT (source);
  g_autofree char *reason = hv_engine_client_remote_lost_reason_finish (result);

  /* The client went away, or the user switched to another engine meanwhile. */
  if (reason == NULL || GPOINTER_TO_UINT (data) != self->generation)
    return;
  set_last_error (self, reason);
  schedule_reconnect (self);
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      HvEngineClient  *self)
{
  /* Over SSH, why (ssh's or the bridge's words) first, then the reconnecting: finding out
   * waits for ssh to end, in a thread (on_lost_reason). */
  if (self->remote != NULL)
    hv_engine_client_remote_lost_reason_async (self, connection, self->cancellable,
                                               on_lost_reason,
                                               GUINT_TO_POINTER (self->generation));
  drop_connection (self);
  mark_items_unreachable (self);
  set_connected (self, FALSE);
  g_signal_emit (self, signals[ENGINE_LOST], 0);
  self->reconnect_delay_ms = RECONNECT_FIRST_MS;
  if (self->remote == NULL)
    schedule_reconnect (self);
}

/* ---- VM objects ---- */

/* A VM announced by VmAdded: its proxy loads all its properties, then it joins the list. */
typedef struct {
  HvEngineClient *self;   /* weak: the task's cancellable ends with the connection */
  char *path;
} ProxyRequest;

static void
proxy_request_free (ProxyRequest *req)
{
  g_free (req->path);
  g_free (req);
}

/* A library of hundreds of VMs answers with hundreds of proxies in a burst: they join the list
 * in one splice, so that the views rebuild once rather than once per VM. */
static gboolean
flush_batch (gpointer data)
{
  HvEngineClient *self = data;
  g_autoptr(GPtrArray) ready = g_ptr_array_new ();

  self->batch_source = 0;
  for (guint i = 0; i < self->batch->len; i++)
    {
      HvVmItem *item = g_ptr_array_index (self->batch, i);

      /* Removed while it waited: VmRemoved, or a new listing without it. */
      if (g_hash_table_lookup (self->by_path, hv_vm_item_get_object_path (item)) == item)
        g_ptr_array_add (ready, item);
    }
  g_list_store_splice (self->vms, g_list_model_get_n_items (G_LIST_MODEL (self->vms)), 0,
                       ready->pdata, ready->len);
  g_ptr_array_set_size (self->batch, 0);
  return G_SOURCE_REMOVE;
}

static void
queue_item (HvEngineClient *self,
            HvVmItem       *item)
{
  g_ptr_array_add (self->batch, g_object_ref (item));
  if (self->batch_source == 0)
    self->batch_source = g_idle_add (flush_batch, self);
}

static void
vm_proxy_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  ProxyRequest *req = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDbusVm) proxy = hv_dbus_vm_proxy_new_finish (result, &error);
  HvEngineClient *self = req->self;

  if (proxy == NULL)
    {
      /* Cancelled with the connection, or the VM went away meanwhile: VmRemoved or the
       * next listing tells. */
      proxy_request_free (req);
      return;
    }

  if (g_hash_table_remove (self->pending, req->path) &&
      !g_hash_table_contains (self->by_path, req->path))
    {
      g_autoptr(HvVmItem) item = hv_vm_item_new (req->path);

      /* Added only now, with its properties, so that it appears in the right folder. */
      g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), CALL_TIMEOUT_MS);
      hv_vm_item_set_proxy (item, proxy);
      g_hash_table_insert (self->by_path, (gpointer) hv_vm_item_get_object_path (item), item);
      queue_item (self, item);
    }
  proxy_request_free (req);
}

static void
request_proxy (HvEngineClient *self,
               const char     *path)
{
  ProxyRequest *req = g_new0 (ProxyRequest, 1);

  req->self = self;
  req->path = g_strdup (path);
  hv_dbus_vm_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, NULL, path,
                        self->conn_cancellable, vm_proxy_ready, req);
}

static void
on_vm_added (HvDbusEngine   *engine,
             const char     *path,
             HvEngineClient *self)
{
  if (g_hash_table_contains (self->by_path, path) || g_hash_table_contains (self->pending, path))
    return;
  g_hash_table_add (self->pending, g_strdup (path));
  request_proxy (self, path);
}

static void
remove_item (HvEngineClient *self,
             const char     *path)
{
  HvVmItem *item = g_hash_table_lookup (self->by_path, path);
  guint position;

  g_hash_table_remove (self->pending, path);
  if (item == NULL)
    return;
  hv_vm_item_set_proxy (item, NULL);
  g_hash_table_remove (self->by_path, path);
  if (g_list_store_find (self->vms, item, &position))
    g_list_store_remove (self->vms, position);
}

static void
on_vm_removed (HvDbusEngine   *engine,
               const char     *path,
               HvEngineClient *self)
{
  remove_item (self, path);
}

/* A proxy made without loading its properties ignores PropertiesChanged (GDBusProxy's rule):
 * for those made from the listing, one subscription for all VMs does what the proxy would
 * have done, updating its cache, then emitting g-properties-changed (which also notifies the
 * generated proxy's GObject properties, and updates the item). */
static void
on_vm_properties_changed (GDBusConnection *connection,
                          const char      *sender,
                          const char      *path,
                          const char      *interface,
                          const char      *signal,
                          GVariant        *parameters,
                          gpointer         data)
{
  HvEngineClient *self = data;
  HvVmItem *item = g_hash_table_lookup (self->by_path, path);
  g_autoptr(GVariant) changed = NULL;
  g_autofree const char **invalidated = NULL;
  GDBusProxy *proxy;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (item == NULL || (proxy = (GDBusProxy *) hv_vm_item_get_proxy (item)) == NULL ||
      (g_dbus_proxy_get_flags (proxy) & G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES) == 0 ||
      !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (parameters, "(&s@a{sv}^a&s)", NULL, &changed, &invalidated);
  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_dbus_proxy_set_cached_property (proxy, key, value);
      g_variant_unref (value);
    }
  for (guint i = 0; invalidated[i] != NULL; i++)
    g_dbus_proxy_set_cached_property (proxy, invalidated[i], NULL);
  g_signal_emit_by_name (proxy, "g-properties-changed", changed, invalidated);
}

/* The listing's summary is what GetAll would say, but ConfigXml: the VM's proxy is made without
 * loading its properties (no round trip per VM) and its cache filled from the summary; the item
 * reads ConfigXml when it is first asked for. A listing for VMs that have their proxy refreshes
 * the cache: it is newer than what the proxy missed before it listened. */
static void
attach_summary (HvEngineClient *self,
                HvVmItem       *item,
                GVariant       *summary)
{
  g_autoptr(HvDbusVm) proxy = NULL;
  HvDbusVm *current = hv_vm_item_get_proxy (item);
  GDBusProxy *target;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (current == NULL)
    {
      g_autoptr(GError) error = NULL;

      /* No round trip: a peer-to-peer connection has no bus to ask for a name owner. */
      proxy = hv_dbus_vm_proxy_new_sync (self->connection,
                                         G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES, NULL,
                                         hv_vm_item_get_object_path (item), NULL, &error);
      if (proxy == NULL)
        {
          /* Cannot happen for a valid object path; the item keeps the summary alone. */
          hv_vm_item_update (item, summary);
          return;
        }
      g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), CALL_TIMEOUT_MS);
    }
  target = G_DBUS_PROXY (current != NULL ? current : proxy);
  g_variant_iter_init (&iter, summary);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_dbus_proxy_set_cached_property (target, key, value);
      g_variant_unref (value);
    }
  if (proxy != NULL)
    hv_vm_item_set_proxy (item, proxy);
  else
    hv_vm_item_update (item, summary);
}

/* Make the list what the engine says (ListVms's a(oa{sv})), reusing the items it already has. */
static void
apply_vm_list (HvEngineClient *self,
               GVariant       *vms)
{
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  GHashTableIter iter;
  gpointer key;
  GVariantIter vm_iter;
  const char *path;
  GVariant *summary;

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  added = g_ptr_array_new_with_free_func (g_object_unref);
  g_variant_iter_init (&vm_iter, vms);
  while (g_variant_iter_next (&vm_iter, "(&o@a{sv})", &path, &summary))
    {
      HvVmItem *item = g_hash_table_lookup (self->by_path, path);

      if (item == NULL)
        {
          item = hv_vm_item_new (path);
          g_ptr_array_add (added, item);
          g_hash_table_insert (self->by_path, (gpointer) hv_vm_item_get_object_path (item), item);
        }
      attach_summary (self, item, summary);
      g_hash_table_add (seen, (gpointer) hv_vm_item_get_object_path (item));
      g_variant_unref (summary);
    }

  gone = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->by_path);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (seen, key))
      g_ptr_array_add (gone, g_strdup (key));
  for (guint i = 0; i < gone->len; i++)
    remove_item (self, gone->pdata[i]);

  /* One items-changed for the whole library: 200 VMs are one update, not 200. */
  g_list_store_splice (self->vms, g_list_model_get_n_items (G_LIST_MODEL (self->vms)), 0,
                       added->pdata, added->len);
}

static void
list_vms_done (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  HvEngineClient *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) vms = NULL;

  if (!hv_dbus_engine_call_list_vms_with_properties_finish (HV_DBUS_ENGINE (source), &vms, result,
                                                            &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The connection is up but unusable: treat it as lost and try again. */
      hv_client_error_strip (error);
      set_last_error_from (self, error);
      if (self->connection != NULL)
        g_dbus_connection_close (self->connection, NULL, NULL, NULL);
      return;
    }

  apply_vm_list (self, vms);
  set_last_error (self, NULL);
  self->reconnect_delay_ms = RECONNECT_FIRST_MS;
  set_connected (self, TRUE);
}

static void
list_oses_done (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  HvEngineClient *self = data;
  g_autoptr(GVariant) oses = NULL;
  GVariantIter iter;
  const char *id, *name, *vendor;

  /* Names are a nicety: without them the details show the short id. */
  if (!hv_dbus_engine_call_list_oses_finish (HV_DBUS_ENGINE (source), &oses, result, NULL))
    return;
  g_variant_iter_init (&iter, oses);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &id, &name, &vendor))
    g_hash_table_insert (self->os_names, g_strdup (id), g_strdup (name));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_NAMES_LOADED]);
}

static void
engine_proxy_ready (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  HvEngineClient *self = data;
  g_autoptr(GError) error = NULL;
  HvDbusEngine *engine = hv_dbus_engine_proxy_new_finish (result, &error);

  if (engine == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_last_error_from (self, error);
      if (self->connection != NULL)
        g_dbus_connection_close (self->connection, NULL, NULL, NULL);
      return;
    }

  self->engine = engine;
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (engine), CALL_TIMEOUT_MS);
  g_signal_connect (engine, "vm-added", G_CALLBACK (on_vm_added), self);
  g_signal_connect (engine, "vm-removed", G_CALLBACK (on_vm_removed), self);
  g_signal_connect (engine, "g-properties-changed",
                    G_CALLBACK (on_engine_properties_changed), self);
  sync_engine_properties (self);
  hv_dbus_engine_call_list_vms_with_properties (engine, self->conn_cancellable, list_vms_done,
                                                self);
  if (g_hash_table_size (self->os_names) == 0)
    hv_dbus_engine_call_list_oses (engine, self->conn_cancellable, list_oses_done, self);
}

typedef struct {
  GDBusConnection *connection;
  GVariant *vms;               /* (a(oa{sv})) or NULL */
} ConnectResult;

static void
connect_result_free (ConnectResult *res)
{
  g_clear_object (&res->connection);
  g_clear_pointer (&res->vms, g_variant_unref);
  g_free (res);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConnectResult, connect_result_free)

static void
connect_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const HvRemote *remote = task_data;
  GError *error = NULL;
  g_autoptr(ConnectResult) res = g_new0 (ConnectResult, 1);

  /* Blocking (it may spawn hostvisord and wait for it, or wait for ssh), hence this thread. */
  if (remote != NULL)
    res->connection = hv_remote_connect_sync (remote, cancellable, &error);
  else
    res->connection = hv_client_connect_sync (TRUE, cancellable, &error);
  if (res->connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The library right away, while the main thread is still building the window, so that its
   * first frame shows it. Best effort: the engine proxy lists again once it is ready, which
   * also covers what changed in between (VmAdded before the proxy listens). */
  res->vms = g_dbus_connection_call_sync (res->connection, NULL, HV_DBUS_ENGINE_PATH,
                                          "io.github.hostvisor.Engine", "ListVmsWithProperties",
                                          NULL,
                                          G_VARIANT_TYPE ("(a(oa{sv}))"),
                                          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                                          cancellable, NULL);
  g_task_return_pointer (task, g_steal_pointer (&res), (GDestroyNotify) connect_result_free);
}

static void
connect_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  HvEngineClient *self = HV_ENGINE_CLIENT (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(ConnectResult) res = g_task_propagate_pointer (G_TASK (result), &error);

  /* An attempt for the connection the user has just switched away from. */
  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "hv-generation")) !=
      self->generation)
    {
      if (res != NULL && res->connection != NULL)
        g_dbus_connection_close (res->connection, NULL, NULL, NULL);
      return;
    }
  self->connecting = FALSE;
  if (res == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      hv_client_error_strip (error);
      /* ssh's and the remote client's words are already in the user's language, and they
       * are this side's, not the engine's. */
      if (self->remote != NULL)
        set_last_error (self, error->message);
      else
        set_last_error_from (self, error);
      schedule_reconnect (self);
      return;
    }

  self->connection = g_steal_pointer (&res->connection);
  self->conn_cancellable = g_cancellable_new ();
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_connection_closed), self);
  self->properties_subscription =
    g_dbus_connection_signal_subscribe (self->connection, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", NULL, "io.github.hostvisor.Vm",
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_vm_properties_changed, self,
                                        NULL);
  if (res->vms != NULL)
    {
      g_autoptr(GVariant) vms = g_variant_get_child_value (res->vms, 0);

      apply_vm_list (self, vms);
    }
  hv_dbus_engine_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, NULL, HV_DBUS_ENGINE_PATH,
                            self->conn_cancellable, engine_proxy_ready, self);
}

static void
connect_now (HvEngineClient *self)
{
  g_autoptr(GTask) task = NULL;

  self->reconnect_source = 0;
  if (self->connecting || self->connection != NULL)
    return;
  self->connecting = TRUE;
  g_clear_object (&self->attempt_cancellable);
  self->attempt_cancellable = g_cancellable_new ();
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           self->attempt_cancellable, G_CONNECT_SWAPPED);
  task = g_task_new (self, self->attempt_cancellable, connect_done, NULL);
  g_task_set_source_tag (task, connect_now);
  g_object_set_data (G_OBJECT (task), "hv-generation", GUINT_TO_POINTER (self->generation));
  g_task_set_task_data (task, hv_engine_client_remote_copy (self->remote),
                        (GDestroyNotify) hv_remote_free);
  g_task_run_in_thread (task, connect_thread);
}

gboolean
hv_engine_client_set_remote (HvEngineClient *self,
                             const char     *address,
                             GError        **error)
{
  g_autoptr(HvRemote) remote = NULL;

  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), FALSE);

  if (address != NULL && address[0] != '\0')
    {
      remote = hv_remote_parse (address, error);
      if (remote == NULL)
        return FALSE;
    }
  /* Whatever was going on belongs to the other engine: its attempt (its thread ends at the
   * cancellation or, if ssh cannot be interrupted, its result is dropped), its connection, its
   * VMs, folders and networks. */
  self->generation++;
  g_cancellable_cancel (self->attempt_cancellable);
  self->connecting = FALSE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->batch_source, g_source_remove);
  g_ptr_array_set_size (self->batch, 0);
  /* Closed, not just dropped: the VMs' proxies that a page may still hold would keep it (and
   * its ssh) alive. */
  if (self->connection != NULL)
    g_dbus_connection_close (self->connection, NULL, NULL, NULL);
  drop_connection (self);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->vms)); i++)
    {
      g_autoptr(HvVmItem) item = g_list_model_get_item (G_LIST_MODEL (self->vms), i);

      hv_vm_item_set_proxy (item, NULL);
    }
  g_hash_table_remove_all (self->by_path);
  g_list_store_remove_all (self->vms);
  g_clear_pointer (&self->remote, hv_remote_free);
  self->remote = g_steal_pointer (&remote);
  set_last_error (self, NULL);
  set_connected (self, FALSE);
  g_strfreev (self->folders);
  self->folders = g_new0 (char *, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDERS]);
  g_clear_pointer (&self->networks, g_variant_unref);
  g_clear_pointer (&self->network_setup, g_variant_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORKS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_ADDRESS]);
  self->reconnect_delay_ms = RECONNECT_FIRST_MS;
  if (self->started)
    connect_now (self);
  return TRUE;
}

const HvRemote *
hv_engine_client_get_remote (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->remote;
}

void
hv_engine_client_start (HvEngineClient *self)
{
  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));

  if (self->started)
    return;
  self->started = TRUE;
  connect_now (self);
}

/* ---- calls ---- */

static GDBusProxy *
proxy_for (HvEngineClient *self,
           HvVmItem       *item,
           GError        **error)
{
  GDBusProxy *proxy = item != NULL ? (GDBusProxy *) hv_vm_item_get_proxy (item)
                                   : (GDBusProxy *) self->engine;

  if (proxy == NULL)
    g_set_error_literal (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                         _("The engine is not connected"));
  return proxy;
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;
  GVariant *reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      hv_client_error_strip (error);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) g_variant_unref);
}

HvDbusEngine *
hv_engine_client_get_engine (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->connected ? self->engine : NULL;
}

void
hv_engine_client_call_with_timeout (HvEngineClient     *self,
                                    HvVmItem           *item,
                                    const char         *method,
                                    GVariant           *parameters,
                                    int                 timeout_ms,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GVariant) params = parameters != NULL ? g_variant_ref_sink (parameters) : NULL;
  GError *error = NULL;
  GDBusProxy *proxy;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));
  g_return_if_fail (item == NULL || HV_IS_VM_ITEM (item));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_engine_client_call_with_timeout);

  proxy = proxy_for (self, item, &error);
  if (proxy == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_dbus_proxy_call (proxy, method, params, G_DBUS_CALL_FLAGS_NONE, timeout_ms,
                     cancellable, call_done, g_steal_pointer (&task));
}

void
hv_engine_client_call (HvEngineClient     *self,
                       HvVmItem           *item,
                       const char         *method,
                       GVariant           *parameters,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  hv_engine_client_call_with_timeout (self, item, method, parameters, CALL_TIMEOUT_MS,
                                      cancellable, callback, user_data);
}

GVariant *
hv_engine_client_call_finish (HvEngineClient *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Vm methods that answer with one file descriptor. */
static void
fd_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;
  int handle, fd;

  reply = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), &fds, result,
                                                      &error);
  if (reply == NULL)
    {
      hv_client_error_strip (error);
      g_task_return_error (task, error);
      return;
    }
  g_variant_get (reply, "(h)", &handle);
  if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED,
                               "The engine sent no file descriptor");
      return;
    }
  fd = g_unix_fd_list_get (fds, handle, &error);
  if (fd < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, fd);
}

static void
fd_call (HvEngineClient     *self,
         HvVmItem           *item,
         const char         *method,
         gpointer            source_tag,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  GDBusProxy *proxy;

  g_task_set_source_tag (task, source_tag);
  proxy = proxy_for (self, item, &error);
  if (proxy == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_dbus_proxy_call_with_unix_fd_list (proxy, method, NULL, G_DBUS_CALL_FLAGS_NONE,
                                       CALL_TIMEOUT_MS, NULL, cancellable, fd_call_done,
                                       g_steal_pointer (&task));
}

void
hv_engine_client_open_console_async (HvEngineClient     *self,
                                     HvVmItem           *item,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));
  g_return_if_fail (HV_IS_VM_ITEM (item));
  if (self->remote != NULL)
    {
      GTask *task = g_task_new (self, cancellable, callback, user_data);

      /* No descriptor crosses ssh: a second ssh command joins the display there. */
      hv_engine_client_remote_console (self->remote, hv_vm_item_get_uuid (item), task);
      g_object_unref (task);
      return;
    }
  fd_call (self, item, "OpenConsole", hv_engine_client_open_console_async, cancellable,
           callback, user_data);
}

int
hv_engine_client_open_console_finish (HvEngineClient *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  if (g_task_get_source_tag (G_TASK (result)) == hv_engine_client_remote_console)
    return hv_engine_client_remote_console_finish (G_TASK (result), error);
  return g_task_propagate_int (G_TASK (result), error);
}

static void
screenshot_spliced (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(GTask) task = data;
  GOutputStream *out = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n = g_output_stream_splice_finish (G_OUTPUT_STREAM (out), result, &error);

  if (n < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)) == 0)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_FAILED, "The screenshot is empty");
      return;
    }
  g_task_return_pointer (task,
                         g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out)),
                         (GDestroyNotify) g_bytes_unref);
}

/* A memory stream that refuses to grow past the cap: a misbehaving engine cannot make the
 * app allocate without bound. */
static gpointer
capped_realloc (gpointer data,
                gsize    size)
{
  if (size > SCREENSHOT_MAX_BYTES)
    return NULL;
  return g_try_realloc (data, size);
}

static void
screenshot_fd_ready (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GInputStream) in = NULL;
  GCancellable *cancellable;
  GOutputStream *out;
  GError *error = NULL;
  int fd = hv_engine_client_open_console_finish (HV_ENGINE_CLIENT (source), result, &error);

  if (fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  in = g_unix_input_stream_new (fd, TRUE);
  out = g_memory_output_stream_new (NULL, 0, capped_realloc, g_free);
  g_task_set_task_data (task, out, g_object_unref);
  cancellable = g_task_get_cancellable (task);
  g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_LOW,
                                cancellable, screenshot_spliced, g_steal_pointer (&task));
}

void
hv_engine_client_screenshot_async (HvEngineClient     *self,
                                   HvVmItem           *item,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));
  g_return_if_fail (HV_IS_VM_ITEM (item));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_engine_client_screenshot_async);
  if (self->remote != NULL)
    {
      GError *error = NULL;
      GDBusProxy *proxy = proxy_for (self, item, &error);

      if (proxy == NULL)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
        }
      else
        hv_engine_client_remote_read_png (proxy, "ReadScreenshot", NULL, CALL_TIMEOUT_MS, task);
      return;
    }
  /* The fd step shares the open-console plumbing; only the method differs. */
  fd_call (self, item, "Screenshot", hv_engine_client_open_console_async, cancellable,
           screenshot_fd_ready, task);
}

GBytes *
hv_engine_client_screenshot_finish (HvEngineClient *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- object ---- */

static void
hv_engine_client_dispose (GObject *object)
{
  HvEngineClient *self = HV_ENGINE_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->batch_source, g_source_remove);
  if (self->batch != NULL)
    g_ptr_array_set_size (self->batch, 0);
  g_cancellable_cancel (self->attempt_cancellable);
  drop_connection (self);
  g_hash_table_remove_all (self->by_path);
  if (self->vms != NULL)
    g_list_store_remove_all (self->vms);

  G_OBJECT_CLASS (hv_engine_client_parent_class)->dispose (object);
}

static void
hv_engine_client_finalize (GObject *object)
{
  HvEngineClient *self = HV_ENGINE_CLIENT (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->attempt_cancellable);
  g_clear_pointer (&self->remote, hv_remote_free);
  g_clear_object (&self->vms);
  g_hash_table_unref (self->by_path);
  g_hash_table_unref (self->pending);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_hash_table_unref (self->os_names);
  g_strfreev (self->folders);
  g_free (self->last_error);
  g_free (self->kvm_verdict);
  g_free (self->kvm_group);
  g_clear_pointer (&self->networks, g_variant_unref);
  g_clear_pointer (&self->network_setup, g_variant_unref);

  G_OBJECT_CLASS (hv_engine_client_parent_class)->finalize (object);
}

static void
hv_engine_client_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  HvEngineClient *self = HV_ENGINE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    case PROP_KVM_AVAILABLE:
      g_value_set_boolean (value, self->kvm_available);
      break;
    case PROP_KVM_VERDICT:
      g_value_set_string (value, self->kvm_verdict);
      break;
    case PROP_FOLDERS:
      g_value_set_boxed (value, self->folders);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_OS_NAMES_LOADED:
      g_value_set_boolean (value, g_hash_table_size (self->os_names) > 0);
      break;
    case PROP_NETWORKS:
      g_value_set_variant (value, self->networks);
      break;
    case PROP_REMOTE_ADDRESS:
      g_value_set_string (value, self->remote != NULL ? self->remote->address : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_engine_client_class_init (HvEngineClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = hv_engine_client_dispose;
  object_class->finalize = hv_engine_client_finalize;
  object_class->get_property = hv_engine_client_get_property;

  properties[PROP_CONNECTED] = g_param_spec_boolean ("connected", NULL, NULL, FALSE, ro);
  /* TRUE until the engine says otherwise, so no notice flashes while connecting. */
  properties[PROP_KVM_AVAILABLE] = g_param_spec_boolean ("kvm-available", NULL, NULL, TRUE, ro);
  /* Engine.KvmVerdict ("usable", "slow"…); notified also when only the figures change. */
  properties[PROP_KVM_VERDICT] = g_param_spec_string ("kvm-verdict", NULL, NULL, "probing", ro);
  properties[PROP_FOLDERS] = g_param_spec_boxed ("folders", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  properties[PROP_OS_NAMES_LOADED] =
    g_param_spec_boolean ("os-names-loaded", NULL, NULL, FALSE, ro);
  /* Engine.Networks; notified also when only Engine.NetworkSetup changed. */
  properties[PROP_NETWORKS] =
    g_param_spec_variant ("networks", NULL, NULL, G_VARIANT_TYPE ("aa{sv}"), NULL, ro);
  /* The ssh:// address of the engine's host, NULL for this computer's engine. */
  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_string ("remote-address", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HvEngineClient::engine-lost:
   *
   * The connection to the engine ended; the client is reconnecting.
   */
  signals[ENGINE_LOST] = g_signal_new ("engine-lost", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hv_engine_client_init (HvEngineClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->vms = g_list_store_new (HV_TYPE_VM_ITEM);
  self->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->batch = g_ptr_array_new_with_free_func (g_object_unref);
  self->os_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->folders = g_new0 (char *, 1);
  self->kvm_available = TRUE;
  self->kvm_verdict = g_strdup ("probing");
  self->reconnect_delay_ms = RECONNECT_FIRST_MS;
}

HvEngineClient *
hv_engine_client_new (void)
{
  return g_object_new (HV_TYPE_ENGINE_CLIENT, NULL);
}

GListModel *
hv_engine_client_get_vms (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return G_LIST_MODEL (self->vms);
}

HvVmItem *
hv_engine_client_lookup (HvEngineClient *self,
                         const char     *object_path)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return g_hash_table_lookup (self->by_path, object_path);
}

gboolean
hv_engine_client_get_connected (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), FALSE);
  return self->connected;
}

gboolean
hv_engine_client_get_kvm_available (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), FALSE);
  return self->kvm_available;
}

const char *
hv_engine_client_get_kvm_verdict (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->kvm_verdict;
}

const char *
hv_engine_client_get_kvm_group (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->kvm_group;
}

void
hv_engine_client_get_kvm_times (HvEngineClient *self,
                                guint          *kvm_ms,
                                guint          *tcg_ms,
                                gboolean       *kvm_finished)
{
  g_return_if_fail (HV_IS_ENGINE_CLIENT (self));
  *kvm_ms = self->kvm_ms;
  *tcg_ms = self->tcg_ms;
  *kvm_finished = self->kvm_finished;
}

const char * const *
hv_engine_client_get_folders (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return (const char * const *) self->folders;
}

const char *
hv_engine_client_get_last_error (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->last_error;
}

char *
hv_engine_client_dup_library_path (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);

  if (self->engine == NULL)
    return NULL;
  return hv_dbus_engine_dup_library_path (self->engine);
}

const char *
hv_engine_client_get_os_name (HvEngineClient *self,
                              const char     *os_id)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return os_id != NULL ? g_hash_table_lookup (self->os_names, os_id) : NULL;
}

GVariant *
hv_engine_client_get_networks (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->networks;
}

GVariant *
hv_engine_client_get_network_setup (HvEngineClient *self)
{
  g_return_val_if_fail (HV_IS_ENGINE_CLIENT (self), NULL);
  return self->network_setup;
}
