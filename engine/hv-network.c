/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network.c: see hv-network.h. */
#include "hv-network.h"

#include "hv-error.h"

struct _HvNetworks
{
  GObject parent_instance;

  /* owned */
  char *library_dir;
  char *run_base;
};

G_DEFINE_FINAL_TYPE (HvNetworks, hv_networks, G_TYPE_OBJECT)

static void
hv_networks_finalize (GObject *object)
{
  HvNetworks *self = HV_NETWORKS (object);

  g_free (self->library_dir);
  g_free (self->run_base);
  G_OBJECT_CLASS (hv_networks_parent_class)->finalize (object);
}

static void
hv_networks_class_init (HvNetworksClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_networks_finalize;
}

static void
hv_networks_init (HvNetworks *self)
{
}

HvNetworks *
hv_networks_new (const char  *library_dir,
                 const char  *run_base,
                 GError     **error)
{
  HvNetworks *self = g_object_new (HV_TYPE_NETWORKS, NULL);

  self->library_dir = g_strdup (library_dir);
  self->run_base = g_strdup (run_base);
  return self;
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

  g_task_set_source_tag (task, hv_networks_attach_async);
  g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                           "Adapter %u: bridged, host-only and internal networks are not "
                           "available yet", slot);
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
}

char **
hv_networks_lookup_addresses (HvNetworks *self,
                              const char *mac)
{
  return g_new0 (char *, 1);
}

const char *
hv_networks_host_only_mode (HvNetworks *self,
                            const char *name)
{
  return NULL;
}

void
hv_networks_adopt_vm (HvNetworks *self,
                      const char *vm_uuid,
                      guint       slot,
                      HvNetMode   mode,
                      const char *target,
                      const char *mac)
{
}

gboolean
hv_networks_add_forward (HvNetworks           *self,
                         const char           *vm_uuid,
                         guint                 slot,
                         const char           *mac,
                         const HvPortForward  *rule,
                         GError              **error)
{
  g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
               "Adapter %u: port forwards on host-only networks are not available yet", slot);
  return FALSE;
}

void
hv_networks_remove_forward (HvNetworks *self,
                            const char *vm_uuid,
                            guint       slot,
                            const char *rule_name)
{
}
