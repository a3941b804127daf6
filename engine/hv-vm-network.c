/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-network.c: see hv-vm-network.h. */
#include "hv-vm-network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv-error.h"
#include "hv-network.h"
#include "hv-qemu-argv.h"
#include "hv-vm-private.h"

#define STATE_FILE "network.state"

typedef struct {
  int tap_fd;             /* ours until QEMU has it; -1 */
  gboolean link_up;       /* as QEMU has it, while it runs */
  GHashTable *status;     /* rule name → "active" or why not; while it runs */
} LiveNic;

struct _HvVmNetwork {
  gboolean running;       /* QEMU has the adapters (set-up done, or reattached) */
  gboolean attached;      /* some adapter joined a network: detach at the end */
  LiveNic nics[HV_MAX_NICS];
};

static HvVmNetwork *
get_net (HvVm *vm)
{
  if (vm->net == NULL)
    {
      vm->net = g_new0 (HvVmNetwork, 1);
      for (guint i = 0; i < HV_MAX_NICS; i++)
        {
          vm->net->nics[i].tap_fd = -1;
          vm->net->nics[i].status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                           g_free);
        }
    }
  return vm->net;
}

void
hv_vm_network_free (HvVmNetwork *net)
{
  if (net == NULL)
    return;
  for (guint i = 0; i < HV_MAX_NICS; i++)
    {
      if (net->nics[i].tap_fd >= 0)
        close (net->nics[i].tap_fd);
      g_hash_table_unref (net->nics[i].status);
    }
  g_free (net);
}

static guint
n_nics (HvVm *vm)
{
  return vm->config != NULL && vm->config->nics != NULL ? MIN (vm->config->nics->len,
                                                               HV_MAX_NICS) : 0;
}

static HvNic *
nic_at (HvVm  *vm,
        guint  i)
{
  return g_ptr_array_index (vm->config->nics, i);
}

/* ----------------------------------------------------------------------------
 * The state file, for an engine that restarts while the VM runs
 */

static void
save_state (HvVm *vm)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *path = hv_vm_run_path (vm, STATE_FILE);
  g_autofree char *data = NULL;
  HvVmNetwork *net = get_net (vm);
  gsize len = 0;

  for (guint i = 0; i < HV_MAX_NICS; i++)
    {
      g_autofree char *group = g_strdup_printf ("nic%u", i);
      GHashTableIter iter;
      gpointer key, value;

      g_key_file_set_string (file, group, "link", net->nics[i].link_up ? "up" : "down");
      g_hash_table_iter_init (&iter, net->nics[i].status);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_autofree char *name = g_strconcat ("forward.", (const char *) key, NULL);
          g_key_file_set_string (file, group, name, value);
        }
    }
  data = g_key_file_to_data (file, &len, NULL);
  if (!g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, NULL))
    hv_vm_log (vm, "cannot write %s", path);
}

static void
load_state (HvVm *vm)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *path = hv_vm_run_path (vm, STATE_FILE);
  HvVmNetwork *net = get_net (vm);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    {
      /* No record (an engine from before adapters had one): what the config says. */
      for (guint i = 0; i < n_nics (vm); i++)
        net->nics[i].link_up = nic_at (vm, i)->cable && nic_at (vm, i)->mode != HV_NET_NONE;
      return;
    }
  for (guint i = 0; i < HV_MAX_NICS; i++)
    {
      g_autofree char *group = g_strdup_printf ("nic%u", i);
      g_autofree char *link = g_key_file_get_string (file, group, "link", NULL);
      g_auto(GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);

      net->nics[i].link_up = g_strcmp0 (link, "up") == 0;
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          if (g_str_has_prefix (keys[k], "forward."))
            g_hash_table_replace (net->nics[i].status,
                                  g_strdup (keys[k] + strlen ("forward.")),
                                  g_key_file_get_string (file, group, keys[k], NULL));
        }
    }
}

/* ----------------------------------------------------------------------------
 * Taps before the start
 */

typedef struct {
  guint next;             /* the adapter index to look at next */
} AttachData;

static void attach_next (GTask *task);

static void
close_taps (HvVmNetwork *net)
{
  for (guint i = 0; i < HV_MAX_NICS; i++)
    {
      if (net->nics[i].tap_fd >= 0)
        close (net->nics[i].tap_fd);
      net->nics[i].tap_fd = -1;
    }
}

static void
on_attached (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *vm = g_task_get_source_object (task);
  AttachData *data = g_task_get_task_data (task);
  HvVmNetwork *net = get_net (vm);
  g_autoptr(GError) error = NULL;
  guint i = data->next - 1;
  int fd = hv_networks_attach_finish (HV_NETWORKS (object), result, &error);

  if (fd < 0)
    {
      const HvNic *nic = vm->config != NULL && i < n_nics (vm) ? nic_at (vm, i) : NULL;
      g_autofree char *prefix = g_strdup_printf ("Adapter %u: ", i + 1);
      const char *reason = g_str_has_prefix (error->message, prefix)
                           ? error->message + strlen (prefix) : error->message;

      close_taps (net);
      hv_networks_detach_vm (vm->networks, vm->uuid);
      net->attached = FALSE;
      g_task_return_new_error (task, error->domain, error->code,
                               "Adapter %u (%s \"%s\") cannot be connected: %s", i + 1,
                               nic != NULL ? hv_net_mode_to_string (nic->mode) : "?",
                               nic != NULL && nic->target != NULL ? nic->target : "",
                               reason);
      return;
    }
  net->nics[i].tap_fd = fd;
  attach_next (g_steal_pointer (&task));
}

static void
attach_next (GTask *task)
{
  HvVm *vm = g_task_get_source_object (task);
  AttachData *data = g_task_get_task_data (task);
  HvVmNetwork *net = get_net (vm);

  if (vm->config == NULL)
    {
      close_taps (net);
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_STATE,
                               "VM \"%s\" went away while starting", hv_vm_get_name (vm));
      g_object_unref (task);
      return;
    }
  while (data->next < n_nics (vm))
    {
      guint i = data->next++;
      const HvNic *nic = nic_at (vm, i);

      if (!nic->enabled || !hv_net_mode_uses_tap (nic->mode))
        continue;
      if (vm->networks == NULL)
        {
          close_taps (net);
          g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                                   "Adapter %u (%s \"%s\") cannot be connected: this engine "
                                   "has no networks", i + 1, hv_net_mode_to_string (nic->mode),
                                   nic->target != NULL ? nic->target : "");
          g_object_unref (task);
          return;
        }
      net->attached = TRUE;
      hv_networks_attach_async (vm->networks, vm->uuid, i + 1, nic->mode, nic->target,
                                nic->mac, NULL, on_attached, task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
hv_vm_network_attach_async (HvVm                *vm,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (vm, NULL, callback, user_data);
  HvVmNetwork *net = get_net (vm);

  g_task_set_source_tag (task, hv_vm_network_attach_async);
  g_task_set_task_data (task, g_new0 (AttachData, 1), g_free);
  close_taps (net);
  net->running = FALSE;
  attach_next (task);
}

gboolean
hv_vm_network_attach_finish (HvVm          *vm,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hv_vm_network_pass_fds (HvVm                *vm,
                        GSubprocessLauncher *launcher)
{
  HvVmNetwork *net = get_net (vm);

  for (guint i = 0; i < HV_MAX_NICS; i++)
    {
      if (net->nics[i].tap_fd < 0)
        continue;
      /* The launcher closes its fd once the child has it. */
      g_subprocess_launcher_take_fd (launcher, net->nics[i].tap_fd, HV_QEMU_TAP_FD (i));
      net->nics[i].tap_fd = -1;
    }
}

void
hv_vm_network_stopped (HvVm *vm)
{
  HvVmNetwork *net = get_net (vm);
  g_autofree char *path = hv_vm_run_path (vm, STATE_FILE);

  close_taps (net);
  if (net->attached && vm->networks != NULL)
    hv_networks_detach_vm (vm->networks, vm->uuid);
  net->attached = FALSE;
  net->running = FALSE;
  for (guint i = 0; i < HV_MAX_NICS; i++)
    {
      net->nics[i].link_up = FALSE;
      g_hash_table_remove_all (net->nics[i].status);
    }
  g_unlink (path);
}

/* ----------------------------------------------------------------------------
 * Port forwards and links over QMP
 */

static char *
hostfwd_spec (const HvPortForward *rule,
              gboolean             with_guest)
{
  if (!with_guest)
    return g_strdup_printf ("%s:%s:%u", rule->udp ? "udp" : "tcp", rule->host_address,
                            rule->host_port);
  return g_strdup_printf ("%s:%s:%u-%s:%u", rule->udp ? "udp" : "tcp", rule->host_address,
                          rule->host_port, rule->guest_address, rule->guest_port);
}

/* Why QEMU refused a rule: it answers the same text for every cause, so try the socket. */
static char *
forward_failure (const HvPortForward *rule,
                 const char          *qemu_text,
                 gboolean            *busy)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, (rule->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  int one = 1;
  int saved = 0;
  const char *proto = rule->udp ? "udp" : "tcp";

  *busy = FALSE;
  addr.sin_family = AF_INET;
  addr.sin_port = htons (rule->host_port);
  inet_pton (AF_INET, rule->host_address, &addr.sin_addr);
  if (fd >= 0)
    {
      /* QEMU sets SO_REUSEADDR too: only a socket that holds the port fails here. */
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
        saved = errno;
      close (fd);
    }
  if (saved == EADDRINUSE)
    {
      *busy = TRUE;
      return g_strdup_printf ("host port %u (%s on %s) is in use", rule->host_port, proto,
                              rule->host_address);
    }
  if (saved == EACCES || saved == EPERM)
    return g_strdup_printf ("host port %u (%s on %s) needs privileges this user lacks",
                            rule->host_port, proto, rule->host_address);
  if (saved == EADDRNOTAVAIL)
    return g_strdup_printf ("%s is not an address of this host", rule->host_address);
  return g_strdup_printf ("QEMU refused host port %u (%s on %s): %s", rule->host_port, proto,
                          rule->host_address, qemu_text);
}

static void
hmp_async (HvVm                *vm,
           const char          *command,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  JsonObject *args = json_object_new ();

  json_object_set_string_member (args, "command-line", command);
  hv_qmp_execute_async (vm->qmp, "human-monitor-command", args, -1, cancellable, callback,
                        user_data);
}

/* The HMP answer: NULL when the command worked, else its text (or the QMP error's). */
static char *
hmp_finish (HvQmp        *qmp,
            GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (qmp, result, &error);
  g_autofree char *text = NULL;

  if (reply == NULL)
    return g_strdup (error->message);
  if (JSON_NODE_HOLDS_VALUE (reply) && json_node_get_value_type (reply) == G_TYPE_STRING)
    text = g_strstrip (g_strdup (json_node_get_string (reply)));
  if (text == NULL || text[0] == '\0')
    return NULL;
  return g_steal_pointer (&text);
}

static void
set_link_async (HvVm                *vm,
                guint                i,
                gboolean             up,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  JsonObject *args = json_object_new ();
  g_autofree char *name = g_strdup_printf ("nic%u", i);

  json_object_set_string_member (args, "name", name);
  json_object_set_boolean_member (args, "up", up);
  hv_qmp_execute_async (vm->qmp, "set_link", args, -1, cancellable, callback, user_data);
}

/* ----------------------------------------------------------------------------
 * Set-up before `cont`
 */

typedef enum { OP_LINK_OFF, OP_FORWARD } OpKind;

typedef struct {
  OpKind kind;
  guint nic;
  HvPortForward *rule;    /* OP_FORWARD */
} Op;

typedef struct {
  GArray *ops;            /* Op */
  guint next;
} SetupData;

static void
setup_data_free (SetupData *data)
{
  for (guint i = 0; i < data->ops->len; i++)
    g_clear_pointer (&g_array_index (data->ops, Op, i).rule, hv_port_forward_free);
  g_array_unref (data->ops);
  g_free (data);
}

static void setup_next (GTask *task);

static void
set_status (HvVm                *vm,
            guint                i,
            const HvPortForward *rule,
            const char          *status)
{
  g_hash_table_replace (get_net (vm)->nics[i].status, g_strdup (rule->name), g_strdup (status));
}

static void
on_setup_link (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *vm = g_task_get_source_object (task);
  SetupData *data = g_task_get_task_data (task);
  const Op *op = &g_array_index (data->ops, Op, data->next - 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  if (reply == NULL)
    hv_vm_log (vm, "adapter %u: set_link off failed: %s", op->nic + 1, error->message);
  else
    get_net (vm)->nics[op->nic].link_up = FALSE;
  setup_next (g_steal_pointer (&task));
}

static void
on_setup_forward (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *vm = g_task_get_source_object (task);
  SetupData *data = g_task_get_task_data (task);
  const Op *op = &g_array_index (data->ops, Op, data->next - 1);
  g_autofree char *text = hmp_finish (HV_QMP (object), result);

  if (text == NULL)
    set_status (vm, op->nic, op->rule, "active");
  else
    {
      gboolean busy;
      g_autofree char *reason = forward_failure (op->rule, text, &busy);

      hv_vm_log (vm, "adapter %u: port forward \"%s\" not applied: %s", op->nic + 1,
                 op->rule->name, reason);
      set_status (vm, op->nic, op->rule, reason);
    }
  setup_next (g_steal_pointer (&task));
}

static void
setup_next (GTask *task)
{
  HvVm *vm = g_task_get_source_object (task);
  SetupData *data = g_task_get_task_data (task);
  HvVmNetwork *net = get_net (vm);

  while (data->next < data->ops->len)
    {
      const Op *op = &g_array_index (data->ops, Op, data->next++);
      const HvNic *nic;

      if (vm->qmp == NULL || vm->config == NULL || op->nic >= n_nics (vm))
        break;
      nic = nic_at (vm, op->nic);
      if (op->kind == OP_LINK_OFF)
        {
          set_link_async (vm, op->nic, FALSE, vm->run_cancellable, on_setup_link, task);
          return;
        }
      if (nic->mode == HV_NET_NAT)
        {
          g_autofree char *spec = hostfwd_spec (op->rule, TRUE);
          g_autofree char *command = g_strdup_printf ("hostfwd_add net%u %s", op->nic, spec);

          hmp_async (vm, command, vm->run_cancellable, on_setup_forward, task);
          return;
        }
      if (nic->mode == HV_NET_HOST_ONLY && vm->networks != NULL)
        {
          g_autoptr(GError) error = NULL;

          if (hv_networks_add_forward (vm->networks, vm->uuid, op->nic + 1, nic->mac, op->rule,
                                       &error))
            set_status (vm, op->nic, op->rule, "active");
          else
            set_status (vm, op->nic, op->rule, error->message);
          continue;
        }
      set_status (vm, op->nic, op->rule, "not applied: the adapter is neither NAT nor "
                  "host-only");
    }

  net->running = TRUE;
  save_state (vm);
  hv_vm_sync_skeleton (vm);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
hv_vm_network_setup_async (HvVm                *vm,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = g_task_new (vm, NULL, callback, user_data);
  SetupData *data = g_new0 (SetupData, 1);
  HvVmNetwork *net = get_net (vm);

  g_task_set_source_tag (task, hv_vm_network_setup_async);
  data->ops = g_array_new (FALSE, TRUE, sizeof (Op));
  g_task_set_task_data (task, data, (GDestroyNotify) setup_data_free);

  for (guint i = 0; i < n_nics (vm); i++)
    {
      const HvNic *nic = nic_at (vm, i);

      g_hash_table_remove_all (net->nics[i].status);
      net->nics[i].link_up = FALSE;
      if (!nic->enabled)
        continue;
      net->nics[i].link_up = TRUE;
      if (!nic->cable || nic->mode == HV_NET_NONE)
        {
          Op op = { OP_LINK_OFF, i, NULL };
          g_array_append_val (data->ops, op);
        }
      for (guint r = 0; r < nic->forwards->len; r++)
        {
          Op op = { OP_FORWARD, i, hv_port_forward_copy (g_ptr_array_index (nic->forwards, r)) };
          g_array_append_val (data->ops, op);
        }
    }
  setup_next (task);
}

void
hv_vm_network_setup_finish (HvVm         *vm,
                            GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}

void
hv_vm_network_reattach (HvVm *vm)
{
  HvVmNetwork *net = get_net (vm);

  load_state (vm);
  net->running = TRUE;
  for (guint i = 0; i < n_nics (vm); i++)
    {
      const HvNic *nic = nic_at (vm, i);

      if (!nic->enabled || !hv_net_mode_uses_tap (nic->mode) || vm->networks == NULL)
        continue;
      hv_networks_adopt_vm (vm->networks, vm->uuid, i + 1, nic->mode, nic->target, nic->mac);
      net->attached = TRUE;
      /* The engine's own forwards for an isolated host-only network ended with it. */
      if (nic->mode == HV_NET_HOST_ONLY)
        for (guint r = 0; r < nic->forwards->len; r++)
          {
            const HvPortForward *rule = g_ptr_array_index (nic->forwards, r);
            g_autoptr(GError) error = NULL;

            if (hv_networks_add_forward (vm->networks, vm->uuid, i + 1, nic->mac, rule, &error))
              set_status (vm, i, rule, "active");
            else
              set_status (vm, i, rule, error->message);
          }
    }
  save_state (vm);
}

/* ----------------------------------------------------------------------------
 * The Adapters property
 */

/* The agent's IPv4 addresses ("eth0 10.0.2.15/24" → "10.0.2.15/24"), loopback left out;
 * @nat_only: only those in QEMU's user-mode network 10.0.2.0/24. */
static void
add_agent_addresses (HvVm            *vm,
                     gboolean         nat_only,
                     GVariantBuilder *out)
{
  g_auto(GStrv) all = NULL;

  if (vm->agent == NULL)
    return;
  all = hv_agent_dup_addresses (vm->agent);
  for (guint i = 0; all != NULL && all[i] != NULL; i++)
    {
      const char *space = strchr (all[i], ' ');
      const char *address = space != NULL ? space + 1 : all[i];

      if (strchr (address, ':') != NULL || g_str_has_prefix (address, "127."))
        continue;
      if (nat_only && !g_str_has_prefix (address, "10.0.2."))
        continue;
      g_variant_builder_add (out, "s", address);
    }
}

static GVariant *
adapter_addresses (HvVm  *vm,
                   guint  i)
{
  const HvNic *nic = nic_at (vm, i);
  GVariantBuilder out;
  guint n_enabled = 0, n_nat = 0;

  g_variant_builder_init (&out, G_VARIANT_TYPE ("as"));
  if (!hv_vm_is_active (vm) || !nic->enabled)
    return g_variant_builder_end (&out);
  for (guint j = 0; j < n_nics (vm); j++)
    {
      n_enabled += nic_at (vm, j)->enabled;
      n_nat += nic_at (vm, j)->enabled && nic_at (vm, j)->mode == HV_NET_NAT;
    }

  /* The agent reports interfaces without their MAC: an address is this adapter's only
   * where nothing else can have it. */
  if (vm->agent != NULL && hv_agent_is_connected (vm->agent) &&
      (n_enabled == 1 || (nic->mode == HV_NET_NAT && n_nat == 1)))
    {
      GVariantBuilder agent;
      g_autoptr(GVariant) list = NULL;

      g_variant_builder_init (&agent, G_VARIANT_TYPE ("as"));
      add_agent_addresses (vm, n_enabled != 1, &agent);
      list = g_variant_ref_sink (g_variant_builder_end (&agent));
      if (g_variant_n_children (list) > 0)
        return g_steal_pointer (&list);
    }
  if (hv_net_mode_uses_tap (nic->mode) && vm->networks != NULL)
    {
      g_auto(GStrv) leased = hv_networks_lookup_addresses (vm->networks, nic->mac);

      for (guint k = 0; leased != NULL && leased[k] != NULL; k++)
        g_variant_builder_add (&out, "s", leased[k]);
    }
  /* NAT without an agent: QEMU's user-mode DHCP server does not say whether the guest took
   * its lease, so nothing is claimed. */
  return g_variant_builder_end (&out);
}

GVariant *
hv_vm_network_dup_adapters (HvVm *vm)
{
  GVariantBuilder list;
  HvVmNetwork *net = vm->net;   /* not made here: most VMs of a library never run */
  gboolean live = net != NULL && hv_vm_is_active (vm) && net->running;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < n_nics (vm); i++)
    {
      const HvNic *nic = nic_at (vm, i);
      GVariantBuilder dict, forwards, status;
      const char *link = "";

      g_variant_builder_init (&dict, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_init (&forwards, G_VARIANT_TYPE ("a(sssqsq)"));
      g_variant_builder_init (&status, G_VARIANT_TYPE ("a{ss}"));
      if (live && nic->enabled)
        link = net->nics[i].link_up ? "up" : "down";
      for (guint r = 0; r < nic->forwards->len; r++)
        {
          const HvPortForward *rule = g_ptr_array_index (nic->forwards, r);
          const char *state = live && nic->enabled
                              ? g_hash_table_lookup (net->nics[i].status, rule->name) : NULL;

          g_variant_builder_add (&forwards, "(sssqsq)", rule->name, rule->udp ? "udp" : "tcp",
                                 rule->host_address, rule->host_port, rule->guest_address,
                                 rule->guest_port);
          if (state != NULL)
            g_variant_builder_add (&status, "{ss}", rule->name, state);
        }
      g_variant_builder_add (&dict, "{sv}", "slot", g_variant_new_uint32 (i + 1));
      g_variant_builder_add (&dict, "{sv}", "enabled", g_variant_new_boolean (nic->enabled));
      g_variant_builder_add (&dict, "{sv}", "mode",
                             g_variant_new_string (hv_net_mode_to_string (nic->mode)));
      g_variant_builder_add (&dict, "{sv}", "target",
                             g_variant_new_string (hv_net_mode_needs_target (nic->mode) &&
                                                   nic->target != NULL ? nic->target : ""));
      g_variant_builder_add (&dict, "{sv}", "model", g_variant_new_string (nic->model));
      g_variant_builder_add (&dict, "{sv}", "mac", g_variant_new_string (nic->mac));
      g_variant_builder_add (&dict, "{sv}", "cable", g_variant_new_boolean (nic->cable));
      g_variant_builder_add (&dict, "{sv}", "link", g_variant_new_string (link));
      g_variant_builder_add (&dict, "{sv}", "addresses", adapter_addresses (vm, i));
      g_variant_builder_add (&dict, "{sv}", "forwards", g_variant_builder_end (&forwards));
      g_variant_builder_add (&dict, "{sv}", "forward-status", g_variant_builder_end (&status));
      if (nic->mode == HV_NET_HOST_ONLY && live && vm->networks != NULL)
        {
          const char *mode = hv_networks_host_only_mode (vm->networks, nic->target);
          g_variant_builder_add (&dict, "{sv}", "network-mode",
                                 g_variant_new_string (mode != NULL ? mode : ""));
        }
      g_variant_builder_add (&list, "a{sv}", &dict);
    }
  return g_variant_builder_end (&list);
}

/* ----------------------------------------------------------------------------
 * Live changes
 */

static gboolean
check_live (HvVm    *vm,
            GError **error)
{
  if (vm->config == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INACCESSIBLE, "VM \"%s\" is inaccessible",
                   hv_vm_get_name (vm));
      return FALSE;
    }
  if (vm->start_task != NULL || vm->probe_task != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "VM \"%s\" is starting: try again once it runs", hv_vm_get_name (vm));
      return FALSE;
    }
  if (hv_vm_is_active (vm) && vm->qmp == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "The engine cannot reach the monitor of VM \"%s\"", hv_vm_get_name (vm));
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  gboolean cables[HV_MAX_NICS];
  gboolean which[HV_MAX_NICS];
  guint next;
} CableData;

static void cables_next (GTask *task);

static void
on_cable_set (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *vm = g_task_get_source_object (task);
  CableData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  guint i = data->next - 1;

  if (reply == NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED,
                               "Adapter %u: QEMU did not change the cable: %s", i + 1,
                               error->message);
      return;
    }
  get_net (vm)->nics[i].link_up = data->cables[i];
  save_state (vm);
  cables_next (g_steal_pointer (&task));
}

static void
cables_next (GTask *task)
{
  HvVm *vm = g_task_get_source_object (task);
  CableData *data = g_task_get_task_data (task);

  while (data->next < HV_MAX_NICS)
    {
      guint i = data->next++;
      const HvNic *nic;

      if (!data->which[i] || vm->config == NULL || i >= n_nics (vm))
        continue;
      nic = nic_at (vm, i);
      /* No card, or no network behind it: only the config changes. */
      if (!nic->enabled || nic->mode == HV_NET_NONE || !hv_vm_is_active (vm) || vm->qmp == NULL)
        continue;
      set_link_async (vm, i, data->cables[i], g_task_get_cancellable (task), on_cable_set,
                      task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
hv_vm_network_set_cables_async (HvVm                *vm,
                                const gboolean      *cables,
                                const gboolean      *which,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = g_task_new (vm, cancellable, callback, user_data);
  CableData *data = g_new0 (CableData, 1);
  GError *error = NULL;

  g_task_set_source_tag (task, hv_vm_network_set_cables_async);
  memcpy (data->cables, cables, sizeof data->cables);
  memcpy (data->which, which, sizeof data->which);
  g_task_set_task_data (task, data, g_free);
  if (!check_live (vm, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  cables_next (task);
}

gboolean
hv_vm_network_set_cables_finish (HvVm          *vm,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
hv_vm_network_unprivileged_port_start (void)
{
  g_autofree char *text = NULL;
  guint64 value = 1024;

  if (g_file_get_contents ("/proc/sys/net/ipv4/ip_unprivileged_port_start", &text, NULL, NULL))
    g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, 65536, &value, NULL);
  return (guint) value;
}

/* Whether adapter @i's rules are live now: QEMU runs with the card on a NAT or host-only
 * network. */
static gboolean
forwards_live (HvVm  *vm,
               guint  i)
{
  const HvNic *nic = nic_at (vm, i);

  return hv_vm_is_active (vm) && get_net (vm)->running && nic->enabled &&
         (nic->mode == HV_NET_NAT || nic->mode == HV_NET_HOST_ONLY);
}

typedef struct {
  guint nic;
  HvVmConfig *changed;    /* the config to save once QEMU took the change */
  HvPortForward *rule;
} ForwardData;

static void
forward_data_free (ForwardData *data)
{
  g_clear_pointer (&data->changed, hv_vm_config_free);
  g_clear_pointer (&data->rule, hv_port_forward_free);
  g_free (data);
}

static gboolean
lookup_nic (HvVm     *vm,
            guint     slot,
            GError  **error)
{
  if (slot < 1 || slot > n_nics (vm))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "VM \"%s\" has no adapter %u",
                   hv_vm_get_name (vm), slot);
      return FALSE;
    }
  return TRUE;
}

static void
on_forward_removed_after_failed_save (GObject      *object,
                                      GAsyncResult *result,
                                      gpointer      user_data)
{
  g_free (hmp_finish (HV_QMP (object), result));
}

static void
on_forward_added (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvVm *vm = g_task_get_source_object (task);
  ForwardData *data = g_task_get_task_data (task);
  g_autofree char *text = hmp_finish (HV_QMP (object), result);
  GError *error = NULL;

  if (text != NULL)
    {
      gboolean busy;
      g_autofree char *reason = forward_failure (data->rule, text, &busy);

      g_task_return_new_error (task, HV_ERROR, busy ? HV_ERROR_BUSY : HV_ERROR_QEMU_FAILED,
                               "Port forward \"%s\" of adapter %u: %s", data->rule->name,
                               data->nic + 1, reason);
      return;
    }
  if (!hv_vm_set_config (vm, data->changed, &error))
    {
      /* Not in the config: not in QEMU either. */
      g_autofree char *spec = hostfwd_spec (data->rule, FALSE);
      g_autofree char *command = g_strdup_printf ("hostfwd_remove net%u %s", data->nic, spec);

      if (vm->qmp != NULL)
        hmp_async (vm, command, NULL, on_forward_removed_after_failed_save, NULL);
      g_task_return_error (task, error);
      return;
    }
  set_status (vm, data->nic, data->rule, "active");
  save_state (vm);
  hv_vm_sync_skeleton (vm);
  g_task_return_boolean (task, TRUE);
}

void
hv_vm_network_add_forward_async (HvVm                *vm,
                                 guint                slot,
                                 const HvPortForward *rule,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (vm, cancellable, callback, user_data);
  ForwardData *data = g_new0 (ForwardData, 1);
  GError *error = NULL;
  HvNic *nic, *changed_nic;
  guint limit = hv_vm_network_unprivileged_port_start ();

  g_task_set_source_tag (task, hv_vm_network_add_forward_async);
  g_task_set_task_data (task, data, (GDestroyNotify) forward_data_free);
  if (!check_live (vm, &error) || !lookup_nic (vm, slot, &error) ||
      !hv_port_forward_check (rule, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->nic = slot - 1;
  data->rule = hv_port_forward_copy (rule);
  nic = nic_at (vm, data->nic);
  if (nic->mode != HV_NET_NAT && nic->mode != HV_NET_HOST_ONLY)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                               "Adapter %u is %s: port forwards need a NAT or host-only adapter",
                               slot, hv_net_mode_to_string (nic->mode));
      return;
    }
  if (rule->host_port < limit)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                               "Port forward \"%s\": host port %u is below %u, the lowest port "
                               "this host lets users listen on", rule->name, rule->host_port,
                               limit);
      return;
    }
  if (hv_nic_find_forward (nic, rule->name, NULL) != NULL)
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_EXISTS,
                               "Adapter %u already has a port forward named \"%s\"", slot,
                               rule->name);
      return;
    }
  data->changed = hv_vm_config_copy (vm->config);
  changed_nic = g_ptr_array_index (data->changed->nics, data->nic);
  g_ptr_array_add (changed_nic->forwards, hv_port_forward_copy (rule));
  if (!hv_vm_config_validate (data->changed, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!forwards_live (vm, data->nic))
    {
      if (!hv_vm_set_config (vm, data->changed, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (nic->mode == HV_NET_HOST_ONLY)
    {
      if (vm->networks == NULL ||
          !hv_networks_add_forward (vm->networks, vm->uuid, slot, nic->mac, rule, &error))
        {
          if (error == NULL)
            g_set_error (&error, HV_ERROR, HV_ERROR_NOT_SUPPORTED, "this engine has no networks");
          g_task_return_error (task, error);
          return;
        }
      if (!hv_vm_set_config (vm, data->changed, &error))
        {
          hv_networks_remove_forward (vm->networks, vm->uuid, slot, rule->name);
          g_task_return_error (task, error);
          return;
        }
      set_status (vm, data->nic, rule, "active");
      save_state (vm);
      hv_vm_sync_skeleton (vm);
      g_task_return_boolean (task, TRUE);
      return;
    }

  {
    g_autofree char *spec = hostfwd_spec (rule, TRUE);
    g_autofree char *command = g_strdup_printf ("hostfwd_add net%u %s", data->nic, spec);

    hmp_async (vm, command, cancellable, on_forward_added, g_steal_pointer (&task));
  }
}

gboolean
hv_vm_network_add_forward_finish (HvVm          *vm,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
finish_remove (GTask *task)
{
  HvVm *vm = g_task_get_source_object (task);
  ForwardData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!hv_vm_set_config (vm, data->changed, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_hash_table_remove (get_net (vm)->nics[data->nic].status, data->rule->name);
  if (hv_vm_is_active (vm))
    save_state (vm);
  hv_vm_sync_skeleton (vm);
  g_task_return_boolean (task, TRUE);
}

static void
on_forward_removed (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ForwardData *data = g_task_get_task_data (task);
  g_autofree char *text = hmp_finish (HV_QMP (object), result);

  /* QEMU answers "host forwarding rule for tcp:127.0.0.1:2222 removed" (or "not found":
   * then it has none, which is what was asked). */
  if (text != NULL && !g_str_has_suffix (text, " removed") &&
      !g_str_has_suffix (text, " not found"))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_QEMU_FAILED,
                               "Port forward \"%s\" of adapter %u: QEMU did not remove it: %s",
                               data->rule->name, data->nic + 1, text);
      return;
    }
  finish_remove (task);
}

void
hv_vm_network_remove_forward_async (HvVm                *vm,
                                    guint                slot,
                                    const char          *name,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (vm, cancellable, callback, user_data);
  ForwardData *data = g_new0 (ForwardData, 1);
  GError *error = NULL;
  HvNic *nic, *changed_nic;
  HvPortForward *rule;
  const char *status;
  guint index = 0;

  g_task_set_source_tag (task, hv_vm_network_remove_forward_async);
  g_task_set_task_data (task, data, (GDestroyNotify) forward_data_free);
  if (!check_live (vm, &error) || !lookup_nic (vm, slot, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->nic = slot - 1;
  nic = nic_at (vm, data->nic);
  rule = hv_nic_find_forward (nic, name, &index);
  if (rule == NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (name);

      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_FOUND,
                               "Adapter %u has no port forward named \"%s\"", slot, shown);
      return;
    }
  data->rule = hv_port_forward_copy (rule);
  data->changed = hv_vm_config_copy (vm->config);
  changed_nic = g_ptr_array_index (data->changed->nics, data->nic);
  g_ptr_array_remove_index (changed_nic->forwards, index);

  status = g_hash_table_lookup (get_net (vm)->nics[data->nic].status, name);
  if (!forwards_live (vm, data->nic) || g_strcmp0 (status, "active") != 0)
    {
      finish_remove (task);
      return;
    }
  if (nic->mode == HV_NET_HOST_ONLY)
    {
      if (vm->networks != NULL)
        hv_networks_remove_forward (vm->networks, vm->uuid, slot, name);
      finish_remove (task);
      return;
    }

  {
    g_autofree char *spec = hostfwd_spec (data->rule, FALSE);
    g_autofree char *command = g_strdup_printf ("hostfwd_remove net%u %s", data->nic, spec);

    hmp_async (vm, command, cancellable, on_forward_removed, g_steal_pointer (&task));
  }
}

gboolean
hv_vm_network_remove_forward_finish (HvVm          *vm,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
