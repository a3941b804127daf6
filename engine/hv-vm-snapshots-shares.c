/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-snapshots-shares.c: shared folders in use during a live take or a save state, and
 * the load of a state saved without the virtiofs devices. See hv-vm-snapshots-shares.h and
 * docs/snapshots.md.
 *
 *   park:   the agent hears the list without the shares (and unmounts them), virtiofs
 *           devices are unplugged (device_del, DEVICE_DELETED, chardev and virtiofsd end),
 *           the snapshot records it, the blockers are read again;
 *   return: each unplugged share gets a new virtiofsd, chardev-add and device_add in its
 *           slot, the agent hears the full list and mounts them; the answer waits until the
 *           guest says every share is mounted again (or says which is not).
 * Parking changes no config: an engine that dies meanwhile leaves the config as it was, and
 * the next start of the VM has every share. */
#include "hv-vm-snapshots-shares.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hv-crashpoint.h"
#include "hv-error.h"
#include "hv-fileutil.h"
#include "hv-snapshot-store.h"
#include "hv-vm-snapshots-private.h"

#define AGENT_UNMOUNT_TIMEOUT_S 30
#define UNPLUG_TIMEOUT_S 30
#define REMOUNT_TIMEOUT_S 90
#define REMOUNT_TIMEOUT_FAILED_S 15   /* the call fails anyway: say so soon */
#define POLL_MS 200
#define SAVED_STATE_MARKER "saved-state-unplugged"
#define PARKED_MARKER "shares-parked"   /* in the runtime directory, while parked */
#define PARK_KEY "hv-snap-shares"

typedef struct {
  GTask *task;                /* borrowed: the take or save state owns this */
  HvVm *vm;                   /* borrowed */
  void (*retry) (GTask *task);
  GError *error;              /* the task's answer, held while the shares come back */
  GPtrArray *names;           /* char*: the shares the guest should mount again */
  guint32 generation;
  HvAgent *agent;             /* a reference while its "shares-applied" is watched */
  gulong applied_id;
  guint timeout_id;
  guint poll_id;
  gint64 deadline;
  gboolean done;              /* back: hv_snap_op_return() answers now */
} Park;

/* Plugging back the unplugged shares of a running VM, one after the other. */
typedef struct {
  HvVm *vm;                   /* a reference */
  GArray *slots;
  guint next;
  GString *failures;
  GPtrArray *names;           /* char*: the shares to wait for, mounted (NULL: no wait) */
  gint64 deadline;
  guint timeout_s;            /* for the guest to mount them again */
  guint poll_id;
  GTask *task;                /* the caller's, or NULL */
} Replug;

static void replug_next (Replug *r);

static void
park_free (Park *p)
{
  if (p->agent != NULL)
    g_clear_signal_handler (&p->applied_id, p->agent);
  g_clear_object (&p->agent);
  g_clear_handle_id (&p->timeout_id, g_source_remove);
  g_clear_handle_id (&p->poll_id, g_source_remove);
  g_clear_error (&p->error);
  g_clear_pointer (&p->names, g_ptr_array_unref);
  g_free (p);
}

static char *
marker_path (HvVm *self)
{
  return g_build_filename (self->dir, "snapshots", SAVED_STATE_MARKER, NULL);
}

static char *
parked_path (HvVm *self)
{
  return g_build_filename (self->run_dir, PARKED_MARKER, NULL);
}

gboolean
hv_snap_shares_were_parked (HvVm *self)
{
  g_autofree char *path = parked_path (self);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* The shares QEMU names in `reasons`: a 9p share by its tag or path, virtiofs by device. */
static gboolean
reasons_are_shares (JsonArray *reasons)
{
  for (guint i = 0; i < json_array_get_length (reasons); i++)
    {
      const char *text = json_array_get_string_element (reasons, i);

      if (text == NULL || (strstr (text, "VirtFS") == NULL &&
                           strstr (text, "vhost-user-fs") == NULL))
        return FALSE;
    }
  return json_array_get_length (reasons) > 0;
}

/* Names the shares: "a", "b" */
static GError *
park_error (Park       *p,
            const char *why)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < p->names->len; i++)
    g_string_append_printf (names, "%s\"%s\"", i > 0 ? ", " : "",
                            (char *) g_ptr_array_index (p->names, i));
  return g_error_new (HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                      "The shared folders %s of VM \"%s\" could not be taken out of the guest "
                      "for the snapshot (%s); they stay shared: take a disk-only snapshot "
                      "instead (--disk-only)", names->str, hv_vm_get_name (p->vm), why);
}

static void
park_fail (Park   *p,
           GError *error)
{
  GTask *task = p->task;

  hv_snap_op_return (task, error);   /* brings the shares back first */
  g_object_unref (task);
}

/* ----------------------------------------------------------------------------
 * Park
 */

static void
parked (Park *p)
{
  HvVm *self = p->vm;
  Op *op = hv_snap_task_op (p->task);
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&p->timeout_id, g_source_remove);
  if (self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS)
    {
      /* The load must start QEMU without these devices (hv_snap_shares_start_config()). */
      if (op->snapshot != NULL)
        op->snapshot->shares_unplugged = TRUE;
      else
        {
          g_autofree char *marker = marker_path (self);
          g_autofree char *dir = g_path_get_dirname (marker);

          if (g_mkdir_with_parents (dir, 0700) != 0 ||
              !hv_file_replace_contents (marker, HV_SAVED_STATE_TAG "\n",
                                         strlen (HV_SAVED_STATE_TAG) + 1, 0600, FALSE,
                                         &error))
            {
              park_fail (p, park_error (p, error != NULL ? error->message
                                                            : g_strerror (errno)));
              return;
            }
        }
    }
  hv_vm_log (self, "shared folders out of the guest for the snapshot%s",
             self->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS ? " (devices unplugged)" : "");
  /* Killed here: the config never changed, and the next engine plugs the shares back
   * (hv_snap_shares_reclaim()). */
  hv_crash_point ("snapshot:shares-parked");
  p->retry (p->task);
}

static gboolean
on_unplug_poll (gpointer user_data)
{
  Park *p = user_data;

  if (!hv_vm_shares_parked_busy (p->vm, FALSE))
    {
      p->poll_id = 0;
      parked (p);
      return G_SOURCE_REMOVE;
    }
  if (g_get_monotonic_time () < p->deadline)
    return G_SOURCE_CONTINUE;
  p->poll_id = 0;
  park_fail (p, park_error (p, "the guest did not release the virtiofs devices in time"));
  return G_SOURCE_REMOVE;
}

static void
on_device_del (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HvVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);

  /* A failed device_del shows as a device that does not go: the poll says so. */
  if (reply == NULL)
    hv_vm_log (self, "a QMP command for a shared folder failed: %s", error->message);
}

static void
unplug (Park *p)
{
  HvVm *self = p->vm;
  g_autoptr(GArray) slots = hv_vm_shares_parked_slots (self, FALSE);

  for (guint i = 0; i < slots->len; i++)
    {
      g_autoptr(JsonObject) args = json_object_new ();
      g_autofree char *id = g_strdup_printf ("share%u", g_array_index (slots, guint, i));

      json_object_set_string_member (args, "id", id);
      hv_qmp_execute_async (self->qmp, "device_del", args, -1, NULL, on_device_del,
                            g_object_ref (self));
    }
  p->deadline = g_get_monotonic_time () + UNPLUG_TIMEOUT_S * G_USEC_PER_SEC;
  p->poll_id = g_timeout_add (POLL_MS, on_unplug_poll, p);
}

static void
on_agent_applied (HvAgent *agent,
                  guint    generation,
                  Park    *p)
{
  if (generation < p->generation)
    return;
  g_clear_signal_handler (&p->applied_id, agent);
  g_clear_handle_id (&p->timeout_id, g_source_remove);
  hv_vm_log (p->vm, "the guest tools unmounted the shared folders (generation %u)", generation);
  if (p->vm->share_transport == HV_SHARE_TRANSPORT_VIRTIOFS && p->vm->qmp != NULL)
    unplug (p);
  else
    parked (p);
}

static gboolean
on_agent_timeout (gpointer user_data)
{
  Park *p = user_data;

  p->timeout_id = 0;
  park_fail (p, park_error (p, "the guest tools did not confirm the unmount"));
  return G_SOURCE_REMOVE;
}

gboolean
hv_snap_shares_try_park (GTask     *task,
                         JsonArray *reasons,
                         void     (*retry) (GTask *task))
{
  HvVm *self = hv_snap_task_vm (task);
  Park *p;

  if (g_object_get_data (G_OBJECT (task), PARK_KEY) != NULL || reasons == NULL ||
      !reasons_are_shares (reasons) || self->live_shares == NULL ||
      self->live_shares->len == 0 || self->agent == NULL ||
      !hv_agent_is_connected (self->agent) || self->state != HV_VM_STATE_RUNNING ||
      self->qmp == NULL || self->share_task != NULL || hv_vm_shares_parked_busy (self, TRUE))
    return FALSE;

  p = g_new0 (Park, 1);
  p->task = task;
  p->vm = self;
  p->retry = retry;
  p->names = g_ptr_array_new_with_free_func (g_free);
  g_object_set_data_full (G_OBJECT (task), PARK_KEY, p, (GDestroyNotify) park_free);
  {
    /* Before anything leaves the guest: a later engine then knows to bring it back. */
    g_autofree char *marker = parked_path (self);

    if (!hv_file_replace_contents (marker, "parked\n", 7, 0600, FALSE, NULL))
      hv_vm_log (self, "cannot write %s", marker);
  }
  p->generation = hv_vm_shares_park (self);
  {
    g_autoptr(GArray) slots = hv_vm_shares_parked_slots (self, FALSE);

    for (guint i = 0; i < slots->len; i++)
      g_ptr_array_add (p->names,
                       g_strdup (hv_vm_shares_slot_name (self, g_array_index (slots, guint, i))));
  }
  hv_vm_log (self, "the guest tools unmount the shared folders for the snapshot");
  if (p->generation == 0)
    {
      park_fail (p, park_error (p, "the guest tools did not take the list"));
      return TRUE;
    }
  p->agent = g_object_ref (self->agent);
  p->applied_id = g_signal_connect (p->agent, "shares-applied",
                                    G_CALLBACK (on_agent_applied), p);
  p->timeout_id = g_timeout_add_seconds (AGENT_UNMOUNT_TIMEOUT_S, on_agent_timeout, p);
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Back in the guest
 */

static void
replug_free (Replug *r)
{
  g_clear_handle_id (&r->poll_id, g_source_remove);
  g_array_unref (r->slots);
  if (r->failures != NULL)
    g_string_free (r->failures, TRUE);
  g_clear_pointer (&r->names, g_ptr_array_unref);
  g_clear_object (&r->vm);
  g_free (r);
}

static void
replug_failed (Replug     *r,
               guint       slot,
               const char *message)
{
  g_autofree char *failure = g_strdup_printf ("it could not be plugged back after the "
                                              "snapshot: %s", message);
  const char *name = hv_vm_shares_slot_name (r->vm, slot);

  hv_vm_log (r->vm, "shared folder \"%s\": %s", name != NULL ? name : "?", failure);
  if (r->failures->len > 0)
    g_string_append (r->failures, "; ");
  g_string_append_printf (r->failures, "\"%s\" %s", name != NULL ? name : "?", failure);
  hv_vm_shares_unpark (r->vm, slot, failure);
  r->next++;
  replug_next (r);
}

static void
on_replug_device (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Replug *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  guint slot = g_array_index (r->slots, guint, r->next);

  if (reply == NULL)
    {
      /* Its chardev goes too, so that a later add can use the slot. */
      if (r->vm->qmp != NULL)
        {
          g_autoptr(JsonObject) args = json_object_new ();
          g_autofree char *id = g_strdup_printf ("vfs%u", slot);

          json_object_set_string_member (args, "id", id);
          hv_qmp_execute_async (r->vm->qmp, "chardev-remove", args, -1, NULL, on_device_del,
                                g_object_ref (r->vm));
        }
      replug_failed (r, slot, error->message);
      return;
    }
  hv_vm_log (r->vm, "shared folder \"%s\" plugged back (slot %u)",
             hv_vm_shares_slot_name (r->vm, slot), slot);
  hv_vm_shares_unpark (r->vm, slot, NULL);
  r->next++;
  replug_next (r);
}

static void
on_replug_chardev (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Replug *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (object), result, &error);
  guint slot = g_array_index (r->slots, guint, r->next);
  g_autoptr(JsonObject) args = json_object_new ();
  g_auto(GStrv) props = NULL;

  if (reply == NULL || r->vm->qmp == NULL)
    {
      replug_failed (r, slot, error != NULL ? error->message : "QEMU is gone");
      return;
    }
  /* The same device as on the command line, in the same slot (and q35 port). */
  props = hv_qemu_virtiofs_device_props (r->vm->config, slot);
  for (guint i = 0; props[i] != NULL && props[i + 1] != NULL; i += 2)
    json_object_set_string_member (args, props[i], props[i + 1]);
  hv_qmp_execute_async (r->vm->qmp, "device_add", args, -1, NULL, on_replug_device, r);
}

static void
replug_add_chardev (Replug *r,
                    guint   slot)
{
  g_autoptr(JsonObject) args = json_object_new ();
  JsonObject *backend = json_object_new ();
  JsonObject *data = json_object_new ();
  JsonObject *addr = json_object_new ();
  JsonObject *addr_data = json_object_new ();
  g_autofree char *id = g_strdup_printf ("vfs%u", slot);
  g_autofree char *socket_path = hv_qemu_virtiofs_socket_path (r->vm->run_dir, slot);

  json_object_set_string_member (addr_data, "path", socket_path);
  json_object_set_string_member (addr, "type", "unix");
  json_object_set_object_member (addr, "data", addr_data);
  json_object_set_object_member (data, "addr", addr);
  json_object_set_boolean_member (data, "server", FALSE);
  json_object_set_string_member (backend, "type", "socket");
  json_object_set_object_member (backend, "data", data);
  json_object_set_string_member (args, "id", id);
  json_object_set_object_member (args, "backend", backend);
  hv_qmp_execute_async (r->vm->qmp, "chardev-add", args, -1, NULL, on_replug_chardev, r);
}

static void
replug_done (Replug *r)
{
  GTask *task = r->task;

  r->task = NULL;
  if (task != NULL)
    {
      /* Park's return: the answer waits for this. */
      Park *p = g_object_get_data (G_OBJECT (task), PARK_KEY);
      GError *error = g_steal_pointer (&p->error);

      if (r->failures->len > 0)
        {
          if (error != NULL)
            {
              g_autofree char *message = g_strdup_printf ("%s (and: %s)", error->message,
                                                          r->failures->str);

              g_free (error->message);
              error->message = g_steal_pointer (&message);
            }
          else
            error = g_error_new (HV_ERROR, HV_ERROR_FAILED, "The snapshot was taken, but a "
                                 "shared folder did not come back in the guest: %s",
                                 r->failures->str);
        }
      p->done = TRUE;
      hv_snap_op_return (task, error);
      g_object_unref (task);
    }
  else if (r->failures->len > 0)
    hv_vm_log (r->vm, "shared folders after the load: %s", r->failures->str);
  if (!hv_vm_shares_parked_busy (r->vm, TRUE))
    {
      g_autofree char *marker = parked_path (r->vm);

      g_unlink (marker);
    }
  hv_vm_sync_skeleton (r->vm);
  replug_free (r);
}

/* Every share the guest should mount is mounted (or says why not). */
static gboolean
on_remount_poll (gpointer user_data)
{
  Replug *r = user_data;
  g_autoptr(GVariant) status = hv_vm_shares_dup_status (r->vm);
  g_autoptr(GString) missing = g_string_new (NULL);

  for (guint i = 0; r->names != NULL && i < r->names->len; i++)
    {
      const char *want = g_ptr_array_index (r->names, i);
      const char *state = "not reported", *detail = "";
      GVariantIter iter;
      const char *name, *s, *d;

      g_variant_iter_init (&iter, status);
      while (g_variant_iter_next (&iter, "(&s&s&s)", &name, &s, &d))
        if (g_str_equal (name, want))
          {
            state = s;
            detail = d;
          }
      if (!g_str_equal (state, "mounted") && !g_str_equal (state, "not-mounted"))
        g_string_append_printf (missing, "%s\"%s\" is %s%s%s", missing->len > 0 ? "; " : "",
                                want, state, detail[0] != '\0' ? ": " : "", detail);
    }
  if (missing->len > 0 && hv_vm_is_active (r->vm) && r->vm->agent != NULL &&
      g_get_monotonic_time () < r->deadline)
    return G_SOURCE_CONTINUE;
  r->poll_id = 0;
  if (missing->len > 0)
    {
      if (r->failures->len > 0)
        g_string_append (r->failures, "; ");
      g_string_append (r->failures, missing->str);
    }
  else
    hv_vm_log (r->vm, "the guest mounted the shared folders again");
  replug_done (r);
  return G_SOURCE_REMOVE;
}

static void
replug_next (Replug *r)
{
  HvVm *self = r->vm;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rest = NULL;

  while (r->next < r->slots->len)
    {
      guint slot = g_array_index (r->slots, guint, r->next);

      if (!hv_vm_is_active (self) || self->qmp == NULL)
        {
          replug_failed (r, slot, "QEMU is gone");
          return;
        }
      if (!hv_vm_shares_replug_daemon (self, slot, &error))
        {
          replug_failed (r, slot, error != NULL ? error->message
                                                : "its earlier virtiofsd still runs");
          return;
        }
      replug_add_chardev (r, slot);
      return;
    }
  /* The 9p ones (and any that kept its device) need nothing but the list. */
  rest = hv_vm_shares_parked_slots (self, FALSE);
  for (guint i = 0; i < rest->len; i++)
    hv_vm_shares_unpark (self, g_array_index (rest, guint, i), NULL);
  if (!hv_vm_is_active (self))
    {
      replug_done (r);
      return;
    }
  hv_vm_shares_announce (self);
  if (r->names == NULL || r->names->len == 0 || self->agent == NULL)
    {
      replug_done (r);
      return;
    }
  r->deadline = g_get_monotonic_time () + r->timeout_s * G_USEC_PER_SEC;
  r->poll_id = g_timeout_add (POLL_MS, on_remount_poll, r);
}

static void
replug_start (HvVm      *self,
              GPtrArray *names,
              GTask     *task)
{
  Replug *r = g_new0 (Replug, 1);

  r->vm = g_object_ref (self);
  r->slots = hv_vm_shares_parked_slots (self, TRUE);
  r->failures = g_string_new (NULL);
  r->names = names;
  r->task = task;
  r->timeout_s = REMOUNT_TIMEOUT_S;
  if (task != NULL && ((Park *) g_object_get_data (G_OBJECT (task), PARK_KEY))->error != NULL)
    r->timeout_s = REMOUNT_TIMEOUT_FAILED_S;
  replug_next (r);
}

gboolean
hv_snap_shares_tried (GTask *task)
{
  return g_object_get_data (G_OBJECT (task), PARK_KEY) != NULL;
}

gboolean
hv_snap_shares_return (GTask  *task,
                       GError *error)
{
  Park *p = g_object_get_data (G_OBJECT (task), PARK_KEY);
  HvVm *self;

  if (p == NULL || p->done)
    return FALSE;
  self = p->vm;
  if (p->agent != NULL)
    g_clear_signal_handler (&p->applied_id, p->agent);
  g_clear_handle_id (&p->timeout_id, g_source_remove);
  g_clear_handle_id (&p->poll_id, g_source_remove);
  p->error = error;
  if (!hv_vm_is_active (self))
    {
      /* The state is saved and QEMU gone: the next start brings the shares back. */
      p->done = TRUE;
      hv_snap_op_return (task, g_steal_pointer (&p->error));
      return TRUE;
    }
  if (hv_snap_task_op (task)->snapshot == NULL)
    {
      /* A save state that failed: the running VM keeps its devices, no load needs a marker. */
      g_autofree char *marker = marker_path (self);

      g_unlink (marker);
    }
  hv_vm_log (self, "bringing the shared folders back into the guest");
  replug_start (self, g_steal_pointer (&p->names), g_object_ref (task));
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Loading a state saved without the virtiofs devices
 */

gboolean
hv_snap_shares_load_unplugged (HvVm *self)
{
  const char *tag = self->snapshots != NULL ? hv_snapshot_store_get_load (self->snapshots)
                                            : NULL;
  const HvSnapshot *snapshot;

  if (tag == NULL)
    return FALSE;
  if (g_str_equal (tag, HV_SAVED_STATE_TAG))
    {
      g_autofree char *marker = marker_path (self);
      g_autofree char *data = NULL;

      return g_file_get_contents (marker, &data, NULL, NULL) &&
             g_str_has_prefix (data, HV_SAVED_STATE_TAG);
    }
  snapshot = g_str_has_prefix (tag, HV_SNAPSHOT_TAG_PREFIX) ?
             hv_snapshot_store_find (self->snapshots, tag + strlen (HV_SNAPSHOT_TAG_PREFIX)) :
             NULL;
  return snapshot != NULL && snapshot->shares_unplugged;
}

HvVmConfig *
hv_snap_shares_start_config (HvVm             *self,
                             const HvQemuCaps *caps)
{
  HvVmConfig *config;

  if (self->config->shares->len == 0 ||
      hv_qemu_share_transport (self->config, caps) != HV_SHARE_TRANSPORT_VIRTIOFS ||
      !hv_snap_shares_load_unplugged (self))
    return NULL;
  /* Slots are config indexes at start: with none of them in, none shifts. The transport
   * (shared RAM, q35 hot-plug ports) stays what it was when the state was saved. */
  config = hv_vm_config_copy (self->config);
  g_ptr_array_set_size (config->shares, 0);
  {
    /* An engine that dies before `cont` leaves them to the next (hv_snap_shares_reclaim()). */
    g_autofree char *marker = parked_path (self);

    if (!hv_file_replace_contents (marker, "parked\n", 7, 0600, FALSE, NULL))
      hv_vm_log (self, "cannot write %s", marker);
  }
  hv_vm_log (self, "the state to load was saved without the shared folders' devices: QEMU "
             "starts without them, they come back after the load");
  return config;
}

static void
replug_parked (HvVm *self)
{
  g_autoptr(GArray) slots = hv_vm_shares_parked_slots (self, TRUE);
  GPtrArray *names;

  if (slots->len == 0)
    return;
  names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < slots->len; i++)
    g_ptr_array_add (names, g_strdup (hv_vm_shares_slot_name (self,
                                                             g_array_index (slots, guint, i))));
  hv_vm_log (self, "plugging the shared folders back");
  replug_start (self, names, NULL);
}

void
hv_snap_shares_started (HvVm *self)
{
  g_autofree char *marker = marker_path (self);

  /* The load is done: a saved state's marker has served. */
  g_unlink (marker);
  replug_parked (self);
}

void
hv_snap_shares_reclaim (HvVm *self)
{
  g_autoptr(GArray) parked = hv_vm_shares_parked_slots (self, FALSE);

  /* A QEMU still to load a state saved without the devices: they come back after its `cont`
   * (hv_snap_shares_started()). */
  if (!hv_snap_shares_were_parked (self) || hv_vm_snapshots_need_load (self))
    return;
  /* 9p shares (and devices still in) only need the list; the agent hears it next. */
  for (guint i = 0; i < parked->len; i++)
    hv_vm_shares_unpark (self, g_array_index (parked, guint, i), NULL);
  hv_vm_log (self, "the earlier engine had the shared folders out for a snapshot");
  replug_parked (self);
  if (!hv_vm_shares_parked_busy (self, TRUE))
    {
      g_autofree char *marker = parked_path (self);

      g_unlink (marker);
    }
}
