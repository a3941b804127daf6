/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-network.c: see hv-engine-network.h. */
#include "hv-engine-network.h"

#include "hv-error.h"
#include "hv-network.h"

typedef struct {
  HvDbusEngine *skeleton;   /* weak: the engine owns both */
  HvLibrary *library;
  guint sync_idle;
} EngineNetwork;

static void
sync_networks (EngineNetwork *en)
{
  hv_dbus_engine_set_networks (en->skeleton,
                               hv_networks_describe (hv_library_get_networks (en->library)));
}

static gboolean
sync_idle (gpointer user_data)
{
  EngineNetwork *en = user_data;

  en->sync_idle = 0;
  sync_networks (en);
  return G_SOURCE_REMOVE;
}

/* Many notifications come at once (a VM's properties, a network up): one update later. */
static void
queue_sync (EngineNetwork *en)
{
  if (en->sync_idle == 0)
    en->sync_idle = g_idle_add (sync_idle, en);
}

static void
engine_network_free (gpointer data)
{
  EngineNetwork *en = data;

  if (en->sync_idle != 0)
    g_source_remove (en->sync_idle);
  g_free (en);
}

static void
reply (GDBusMethodInvocation *invocation,
       gboolean               ok,
       GError                *error)
{
  if (ok)
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_take_error (invocation, error);
}

static gboolean
handle_create (HvDbusEngine          *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *name,
               GVariant              *options,
               EngineNetwork         *en)
{
  GError *error = NULL;
  gboolean ok = hv_networks_create (hv_library_get_networks (en->library), name, options,
                                    &error);

  if (ok)
    sync_networks (en);
  reply (invocation, ok, error);
  return TRUE;
}

static gboolean
handle_modify (HvDbusEngine          *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *name,
               GVariant              *options,
               EngineNetwork         *en)
{
  GError *error = NULL;
  gboolean ok = hv_networks_modify (hv_library_get_networks (en->library), name, options,
                                    &error);

  if (ok)
    sync_networks (en);
  reply (invocation, ok, error);
  return TRUE;
}

static gboolean
handle_remove (HvDbusEngine          *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *name,
               EngineNetwork         *en)
{
  GError *error = NULL;
  gboolean ok = hv_networks_remove (hv_library_get_networks (en->library), name, &error);

  if (ok)
    sync_networks (en);
  reply (invocation, ok, error);
  return TRUE;
}

#define DATA_KEY "hv-engine-network"

/* Connected with g_signal_connect_object() to the skeleton, which holds the state. */
static void
on_changed (HvDbusEngine *skeleton)
{
  queue_sync (g_object_get_data (G_OBJECT (skeleton), DATA_KEY));
}

static void
watch_vm (HvDbusEngine *skeleton,
          HvVm         *vm)
{
  /* A VM's adapters changed (Modify), or it came or went: "vms" may have changed. */
  g_signal_connect_object (hv_vm_get_skeleton (vm), "notify", G_CALLBACK (on_changed), skeleton,
                           G_CONNECT_SWAPPED);
}

static void
on_vm_added (HvDbusEngine *skeleton,
             HvVm         *vm)
{
  watch_vm (skeleton, vm);
  on_changed (skeleton);
}

void
hv_engine_network_register (HvDbusEngine *skeleton,
                            HvLibrary    *library)
{
  EngineNetwork *en = g_new0 (EngineNetwork, 1);
  GPtrArray *vms = hv_library_get_vms (library);

  en->skeleton = skeleton;
  en->library = library;
  /* Freed with the skeleton; the handlers on other objects end with it too. */
  g_object_set_data_full (G_OBJECT (skeleton), DATA_KEY, en, engine_network_free);

  g_signal_connect (skeleton, "handle-create-network", G_CALLBACK (handle_create), en);
  g_signal_connect (skeleton, "handle-modify-network", G_CALLBACK (handle_modify), en);
  g_signal_connect (skeleton, "handle-remove-network", G_CALLBACK (handle_remove), en);
  g_signal_connect_object (hv_library_get_networks (library), "changed",
                           G_CALLBACK (on_changed), skeleton, G_CONNECT_SWAPPED);
  g_signal_connect_object (library, "vm-added", G_CALLBACK (on_vm_added), skeleton,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (library, "vm-removed", G_CALLBACK (on_changed), skeleton,
                           G_CONNECT_SWAPPED);
  for (guint i = 0; i < vms->len; i++)
    watch_vm (skeleton, g_ptr_array_index (vms, i));
  /* The one-time set-up came or went (hv-engine-netsetup.c keeps NetworkSetup true): each
   * host-only network's "network-mode" follows. */
  g_signal_connect (skeleton, "notify::network-setup", G_CALLBACK (on_changed), NULL);
  sync_networks (en);
}
