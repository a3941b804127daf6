/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-client-network.h: the app's view of networking on the engine.
 *
 * Reading Engine.Networks, Engine.NetworkSetup and a VM's Adapters (see the D-Bus contract),
 * Engine.ListHostInterfaces as a list, and the words the app uses for adapter modes and
 * models. Every reader copes with an engine that lacks the property: it finds nothing. */
#pragma once

#include "hv-engine-client.h"

G_BEGIN_DECLS

#define HV_NIC_SLOTS 4

/* The modes and models of Modify's "nicN…" options, in the order the app lists them. */
extern const char * const hv_nic_modes[];    /* "nat", "bridged", "host-only", "internal", "none" */
extern const char * const hv_nic_models[];   /* "virtio-net", "e1000", … "ne2k_isa" */
guint        hv_nic_n_modes               (void);
guint        hv_nic_n_models              (void);
/* A person's words for them ("Host-only adapter", "Intel PRO/1000 MT Desktop (e1000)"). */
const char  *hv_nic_mode_label            (const char *mode);
const char  *hv_nic_model_label           (const char *model);
/* The mode as one short word for the details pane ("NAT", "Host-only"). */
const char  *hv_nic_mode_short_label      (const char *mode);

/* The adapter in @slot (1..4) from a VM's Adapters (a new reference), or NULL (none there, or
 * no Adapters). */
GVariant    *hv_adapters_lookup           (GVariant   *adapters,
                                           guint       slot);
/* A string value of an a{sv}, or @fallback. */
const char  *hv_vardict_get_string        (GVariant   *dict,
                                           const char *key,
                                           const char *fallback);
gboolean     hv_vardict_get_boolean       (GVariant   *dict,
                                           const char *key,
                                           gboolean    fallback);
/* The network named @name in Engine.Networks (a new reference), or NULL. */
GVariant    *hv_engine_client_lookup_network (HvEngineClient *self,
                                              const char     *name);
/* The names of the networks of @kind ("host-only", "internal") in Engine.Networks, sorted. */
GStrv        hv_engine_client_network_names  (HvEngineClient *self,
                                              const char     *kind);
/* Engine.NetworkSetup's "done": FALSE also when the engine does not say. */
gboolean     hv_engine_client_network_setup_done (HvEngineClient *self);
/* The names of the VMs whose UUIDs are in @uuids, sorted, joined by ", " ("" for none). */
char        *hv_engine_client_vm_names       (HvEngineClient     *self,
                                              const char * const *uuids);

typedef struct {
  char *name;
  char *kind;        /* "bridge", "ethernet", "wifi", "other" */
  gboolean allowed;  /* this user may attach a bridged adapter to it now */
  char *reason;      /* why not, when not allowed */
} HvHostInterface;

void         hv_host_interface_free       (HvHostInterface *iface);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvHostInterface, hv_host_interface_free)

/* Engine.ListHostInterfaces: a GPtrArray of HvHostInterface, allowed ones first. */
void         hv_engine_client_list_host_interfaces_async  (HvEngineClient     *self,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GPtrArray   *hv_engine_client_list_host_interfaces_finish (HvEngineClient *self,
                                                           GAsyncResult   *result,
                                                           GError        **error);

/* Checks for what people type, as the engine checks them: NULL when fine, else a sentence. */
char        *hv_check_ipv4                (const char *text,
                                           const char *what);
char        *hv_check_port                (const char *text,
                                           const char *what,
                                           guint16    *port_out);
char        *hv_check_mac                 (const char *text);
char        *hv_check_network_name        (const char *text);
char        *hv_check_forward_name        (const char *text);

G_END_DECLS
