/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-vm.c: commands on the library and on one VM.
 *
 * The --json objects built here are a stable contract, documented in docs/cli.md: keys are
 * only ever added, never renamed or removed. */
#include "hv-build-config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-config.h"
#include "hv-error.h"
#include "hv-image-check.h"

/* Seconds the engine gives the guest when stop has no --timeout (see Vm.Stop). */
#define HV_CTL_STOP_DEFAULT_S 60
/* How much longer than the engine's timeout we wait for "poweroff" before giving up: the
 * engine powers the VM off when the guest ignores the ACPI request, which takes a moment. */
#define HV_CTL_STOP_GRACE_S 30
/* PowerOff ends QEMU at once; this only bounds the wait for the engine to see it gone. */
#define HV_CTL_POWEROFF_WAIT_S 30

/* ── Properties as a dictionary ────────────────────────────────────────────────────────────
 * ListVms gives each VM's properties as a{sv}; show reads them from the proxy. Both go
 * through a GVariantDict so that list and show print the same keys the same way. */

static GVariantDict *
vm_properties (HvDbusVm *vm)
{
  GDBusProxy *proxy = G_DBUS_PROXY (vm);
  GVariantDict *dict = g_variant_dict_new (NULL);
  g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names (proxy);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property (proxy, names[i]);
      if (value != NULL)
        g_variant_dict_insert_value (dict, names[i], value);
    }
  return dict;
}

/* NULL when the key is missing or of another type. The string belongs to @dict. */
static const char *
prop_string (GVariantDict *dict,
             const char   *key)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (dict, key, "&s", &value))
    return NULL;
  return value;
}

static void
json_add_string_or_null (JsonBuilder *builder,
                         const char  *member,
                         const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* The members of a list item: {"uuid", "name", "folder", "os", "state", "state_reason",
 * "accel", "accel_reason", "memory_mib", "cpus", "firmware", "config_error"}. */
static void
json_add_summary (JsonBuilder  *builder,
                  GVariantDict *props)
{
  static const struct { const char *member, *property; } strings[] = {
    { "uuid", "Uuid" },
    { "name", "Name" },
    { "folder", "Folder" },
    { "os", "OsId" },
    { "state", "State" },
    { "state_reason", "StateReason" },
    { "accel", "Accel" },
    { "accel_reason", "AccelReason" },
  };
  guint64 memory;
  guint32 cpus;

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    json_add_string_or_null (builder, strings[i].member, prop_string (props, strings[i].property));

  json_builder_set_member_name (builder, "memory_mib");
  if (g_variant_dict_lookup (props, "MemoryMib", "t", &memory))
    json_builder_add_int_value (builder, (gint64) memory);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "cpus");
  if (g_variant_dict_lookup (props, "Cpus", "u", &cpus))
    json_builder_add_int_value (builder, cpus);
  else
    json_builder_add_null_value (builder);

  json_add_string_or_null (builder, "firmware", prop_string (props, "Firmware"));
  json_add_string_or_null (builder, "config_error", prop_string (props, "ConfigError"));
}

/* ── list ──────────────────────────────────────────────────────────────────────────────── */

typedef struct {
  char         *path;
  GVariantDict *props;
} VmEntry;

static void
vm_entry_free (gpointer data)
{
  VmEntry *entry = data;

  g_free (entry->path);
  g_variant_dict_unref (entry->props);
  g_free (entry);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const VmEntry *ea = *(const VmEntry * const *) a;
  const VmEntry *eb = *(const VmEntry * const *) b;
  static const char * const keys[] = { "Folder", "Name", "Uuid" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *sa = prop_string (ea->props, keys[i]);
      const char *sb = prop_string (eb->props, keys[i]);
      int cmp = g_utf8_collate (sa != NULL ? sa : "", sb != NULL ? sb : "");

      if (cmp != 0)
        return cmp;
    }
  return 0;
}

/* Columns on a terminal: East Asian wide characters take two, combining marks none. */
static guint
display_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

#define N_COLUMNS 7

static void
print_row (char  **cells,
           guint  *widths)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint c = 0; c < N_COLUMNS; c++)
    {
      g_string_append (line, cells[c]);
      if (c + 1 < N_COLUMNS)
        for (guint w = display_width (cells[c]); w < widths[c] + 2; w++)
          g_string_append_c (line, ' ');
    }
  g_print ("%s\n", line->str);
}

static char *
folder_for_display (const char *folder)
{
  if (folder == NULL || folder[0] == '\0')
    return g_strdup ("/");
  return hv_ctl_display (folder);
}

static void
print_table (GPtrArray *entries)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  guint widths[N_COLUMNS] = { 0 };
  char *header[N_COLUMNS] = {
    _("NAME"), _("STATE"), _("FOLDER"), _("OS"), _("MEMORY"), _("CPUS"), _("UUID"),
  };

  for (guint i = 0; i < entries->len; i++)
    {
      VmEntry *entry = g_ptr_array_index (entries, i);
      const char *os = prop_string (entry->props, "OsId");
      char **cells = g_new0 (char *, N_COLUMNS + 1);
      guint64 memory;
      guint32 cpus;

      cells[0] = hv_ctl_display (prop_string (entry->props, "Name"));
      cells[1] = hv_ctl_display (prop_string (entry->props, "State"));
      cells[2] = folder_for_display (prop_string (entry->props, "Folder"));
      cells[3] = os != NULL && os[0] != '\0' ? hv_ctl_display (os) : g_strdup ("-");
      cells[4] = g_variant_dict_lookup (entry->props, "MemoryMib", "t", &memory)
                   ? g_strdup_printf ("%" G_GUINT64_FORMAT " MiB", memory) : g_strdup ("-");
      cells[5] = g_variant_dict_lookup (entry->props, "Cpus", "u", &cpus)
                   ? g_strdup_printf ("%u", cpus) : g_strdup ("-");
      cells[6] = hv_ctl_display (prop_string (entry->props, "Uuid"));
      g_ptr_array_add (rows, cells);
    }

  for (guint c = 0; c < N_COLUMNS; c++)
    {
      widths[c] = display_width (header[c]);
      for (guint r = 0; r < rows->len; r++)
        widths[c] = MAX (widths[c], display_width (((char **) g_ptr_array_index (rows, r))[c]));
    }

  print_row (header, widths);
  for (guint r = 0; r < rows->len; r++)
    print_row (g_ptr_array_index (rows, r), widths);
}

gboolean
hv_ctl_cmd_list (HvCtl      *ctl,
                 HvCtlArgs  *args,
                 GError    **error)
{
  g_autoptr(GVariant) vms = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (vm_entry_free);
  HvDbusEngine *engine;
  GVariantIter iter;
  const char *path;
  GVariant *props;

  engine = hv_ctl_get_engine (ctl, FALSE, error);
  if (engine == NULL)
    return FALSE;

  /* One round trip for the whole library; no proxy per VM. */
  if (!hv_dbus_engine_call_list_vms_sync (engine, &vms, NULL, error))
    return FALSE;

  g_variant_iter_init (&iter, vms);
  while (g_variant_iter_loop (&iter, "(&o@a{sv})", &path, &props))
    {
      VmEntry *entry = g_new0 (VmEntry, 1);

      entry->path = g_strdup (path);
      entry->props = g_variant_dict_new (props);
      g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, compare_entries);

  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < entries->len; i++)
        {
          VmEntry *entry = g_ptr_array_index (entries, i);

          json_builder_begin_object (builder);
          json_add_summary (builder, entry->props);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      hv_ctl_print_json (root);
      return TRUE;
    }

  if (entries->len == 0)
    g_print ("%s\n", _("No virtual machines."));
  else
    print_table (entries);
  return TRUE;
}

/* ── show ──────────────────────────────────────────────────────────────────────────────── */

/* Drive paths in the config may be relative to the VM's directory. */
static char *
drive_path (const HvDrive *drive,
            const char    *directory)
{
  if (drive->path == NULL)
    return NULL;
  if (g_path_is_absolute (drive->path) || directory == NULL || directory[0] == '\0')
    return g_strdup (drive->path);
  return g_build_filename (directory, drive->path, NULL);
}

static void
json_add_config (JsonBuilder      *builder,
                 const HvVmConfig *config,
                 const char       *directory)
{
  json_add_string_or_null (builder, "machine",
                           config ? hv_machine_to_string (config->machine) : NULL);
  json_add_string_or_null (builder, "machine_type", config ? config->machine_type : NULL);
  json_add_string_or_null (builder, "video", config ? hv_video_to_string (config->video) : NULL);
  json_add_string_or_null (builder, "boot", config ? config->boot_order : NULL);
  json_add_string_or_null (builder, "acceleration",
                           config ? hv_acceleration_to_string (config->acceleration) : NULL);
  json_add_string_or_null (builder, "kernel", config ? config->kernel : NULL);
  json_add_string_or_null (builder, "initrd", config ? config->initrd : NULL);
  json_add_string_or_null (builder, "cmdline", config ? config->cmdline : NULL);
  hv_ctl_json_add_hardware (builder, config);

  json_builder_set_member_name (builder, "drives");
  json_builder_begin_array (builder);
  for (guint i = 0; config != NULL && i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);
      g_autofree char *path = drive_path (drive, directory);

      json_builder_begin_object (builder);
      json_add_string_or_null (builder, "type", hv_drive_kind_to_string (drive->kind));
      json_add_string_or_null (builder, "bus", hv_drive_bus_to_string (drive->bus));
      json_add_string_or_null (builder, "format", hv_disk_format_to_string (drive->format));
      json_add_string_or_null (builder, "path", path);
      json_builder_set_member_name (builder, "readonly");
      json_builder_add_boolean_value (builder,
                                      drive->readonly || drive->kind == HV_DRIVE_CDROM);
      /* A linked clone's disk: the base image it reads through (only then present). */
      if (drive->backing != NULL)
        json_add_string_or_null (builder, "backing", drive->backing);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "nics");
  json_builder_begin_array (builder);
  for (guint i = 0; config != NULL && i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);

      json_builder_begin_object (builder);
      json_add_string_or_null (builder, "mode", hv_net_mode_to_string (nic->mode));
      json_add_string_or_null (builder, "model", nic->model);
      json_add_string_or_null (builder, "mac", nic->mac);
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, nic->enabled);
      json_add_string_or_null (builder, "target", hv_net_mode_needs_target (nic->mode)
                                                  ? nic->target : NULL);
      json_builder_set_member_name (builder, "cable");
      json_builder_add_boolean_value (builder, nic->cable);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* The guest integration: clipboard mode, shares with the agent's status, the agent's report. */
static void
json_add_guest (JsonBuilder *builder,
                HvDbusVm    *vm)
{
  GVariant *shares = hv_dbus_vm_get_shares (vm);
  GVariant *status = hv_dbus_vm_get_share_status (vm);
  const char * const *addresses = hv_dbus_vm_get_guest_addresses (vm);
  GVariantIter iter;
  const char *name, *path;
  gboolean readonly, automount;

  json_add_string_or_null (builder, "clipboard", hv_dbus_vm_get_clipboard_mode (vm));
  json_add_string_or_null (builder, "share_transport", hv_dbus_vm_get_share_transport (vm));
  {
    const char *active = hv_dbus_vm_get_active_share_transport (vm);

    json_add_string_or_null (builder, "active_share_transport",
                             active != NULL && active[0] != '\0' ? active : NULL);
  }
  json_builder_set_member_name (builder, "can_change_shares");
  json_builder_add_boolean_value (builder, hv_dbus_vm_get_can_change_shares (vm));

  json_builder_set_member_name (builder, "shares");
  json_builder_begin_array (builder);
  if (shares != NULL)
    {
      g_variant_iter_init (&iter, shares);
      while (g_variant_iter_next (&iter, "(&s&sbb)", &name, &path, &readonly, &automount))
        {
          const char *state = NULL, *detail = NULL;
          GVariantIter status_iter;
          const char *s_name, *s_state, *s_detail;

          if (status != NULL)
            {
              g_variant_iter_init (&status_iter, status);
              while (g_variant_iter_next (&status_iter, "(&s&s&s)", &s_name, &s_state, &s_detail))
                if (g_str_equal (s_name, name))
                  {
                    state = s_state;
                    detail = s_detail;
                  }
            }
          json_builder_begin_object (builder);
          json_add_string_or_null (builder, "name", name);
          json_add_string_or_null (builder, "path", path);
          json_builder_set_member_name (builder, "readonly");
          json_builder_add_boolean_value (builder, readonly);
          json_builder_set_member_name (builder, "automount");
          json_builder_add_boolean_value (builder, automount);
          json_add_string_or_null (builder, "status", state);
          json_add_string_or_null (builder, "status_detail", detail);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "agent");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "connected");
  json_builder_add_boolean_value (builder, hv_dbus_vm_get_agent_connected (vm));
  json_add_string_or_null (builder, "version", hv_dbus_vm_get_agent_version (vm));
  json_add_string_or_null (builder, "os", hv_dbus_vm_get_guest_os (vm));
  json_add_string_or_null (builder, "kernel", hv_dbus_vm_get_guest_kernel (vm));
  json_add_string_or_null (builder, "hostname", hv_dbus_vm_get_guest_hostname (vm));
  json_builder_set_member_name (builder, "addresses");
  json_builder_begin_array (builder);
  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++)
    json_builder_add_string_value (builder, addresses[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static JsonNode *
vm_to_json (HvDbusVm         *vm,
            GVariantDict     *props,
            const HvVmConfig *config)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gint32 pid = hv_dbus_vm_get_pid (vm);

  json_builder_begin_object (builder);
  json_add_summary (builder, props);
  json_add_config (builder, config, hv_dbus_vm_get_directory (vm));
  json_builder_set_member_name (builder, "pid");
  if (pid > 0)
    json_builder_add_int_value (builder, pid);
  else
    json_builder_add_null_value (builder);
  json_add_string_or_null (builder, "directory", prop_string (props, "Directory"));
  json_add_string_or_null (builder, "log", prop_string (props, "LogPath"));
  json_add_string_or_null (builder, "serial_log", prop_string (props, "SerialLogPath"));
  json_add_guest (builder, vm);
  hv_ctl_json_add_adapters (builder, vm);
  hv_ctl_json_add_snapshot_state (builder, vm);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
print_field (const char *label,
             const char *value)
{
  g_autofree char *shown = hv_ctl_display (value);
  g_autofree char *with_colon = g_strdup_printf ("%s:", label);

  g_print ("%-15s %s\n", with_colon, shown);
}

/* Why a VM does not run on KVM, from its AccelReason (or the engine's KvmVerdict). */
const char *
hv_ctl_accel_reason_text (const char *reason)
{
  static const struct { const char *code, *text; } texts[] = {
    { "setting", N_("KVM is turned off for this VM") },
    { "speed-limit", N_("the VM's CPU speed limit needs QEMU's emulation") },
    { "probing", N_("the KVM test is still running") },
    { "disabled", N_("KVM is turned off by HOSTVISOR_NO_KVM") },
    { "missing", N_("KVM is not available on this computer") },
    { "no-access", N_("KVM is present but this user may not use it") },
    { "failed", N_("KVM is present but could not run a test guest") },
    { "slow", N_("KVM is present but slower than emulation") },
    { "unknown", N_("it was started by an earlier engine, for a reason not recorded") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (g_strcmp0 (reason, texts[i].code) == 0)
      return _(texts[i].text);
  return reason != NULL ? reason : "";
}

/* "KVM", or "TCG (why)" */
static char *
accel_description (HvDbusVm *vm)
{
  const char *accel = hv_dbus_vm_get_accel (vm);
  const char *reason = hv_dbus_vm_get_accel_reason (vm);
  g_autofree char *shown = hv_ctl_display (hv_ctl_accel_reason_text (reason));

  if (g_strcmp0 (accel, "kvm") == 0)
    return g_strdup (_("KVM"));
  if (reason == NULL || reason[0] == '\0')
    return g_strdup (_("TCG"));
  /* Translators: the accelerator, and why it is not KVM */
  return g_strdup_printf (_("TCG (%s)"), shown);
}

static void
print_config (const HvVmConfig *config,
              const char       *directory)
{
  g_autofree char *memory = g_strdup_printf ("%" G_GUINT64_FORMAT " MiB", config->memory_mib);
  g_autofree char *cpus = g_strdup_printf ("%u", config->cpus);

  print_field (_("Machine"), hv_machine_to_string (config->machine));
  /* Translators: the VM is not yet pinned to a versioned QEMU machine type */
  print_field (_("Machine type"), config->machine_type != NULL ? config->machine_type
                                  : config->machine == HV_MACHINE_ISAPC
                                  ? _("isapc (QEMU has no versioned isapc type to pin)")
                                  : _("not pinned yet (pinned at the next start)"));
  print_field (_("Firmware"), hv_firmware_to_string (config->firmware));
  print_field (_("Memory"), memory);
  print_field (_("CPUs"), cpus);
  print_field (_("Video"), hv_video_to_string (config->video));
  print_field (_("Boot order"), config->boot_order);
  hv_ctl_print_hardware (config);
  if (config->kernel != NULL)
    {
      print_field (_("Kernel"), config->kernel);
      print_field (_("Initrd"), config->initrd != NULL ? config->initrd : "-");
      print_field (_("Command line"), config->cmdline != NULL ? config->cmdline : "");
    }

  g_print ("%s\n", _("Drives:"));
  if (config->drives->len == 0)
    g_print ("  %s\n", _("none"));
  for (guint i = 0; i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);
      g_autofree char *path = drive_path (drive, directory);
      g_autofree char *shown = path != NULL ? hv_ctl_display (path) : g_strdup (_("(empty)"));

      g_print ("  %u. %-6s %-6s %-5s %s%s\n", i + 1,
               hv_drive_kind_to_string (drive->kind), hv_drive_bus_to_string (drive->bus),
               hv_disk_format_to_string (drive->format), shown,
               drive->readonly && drive->kind != HV_DRIVE_CDROM ? _(" (read-only)") : "");
      if (drive->backing != NULL)
        {
          g_autofree char *base = hv_ctl_display (drive->backing);

          g_print ("     %s %s\n", _("linked clone of the base"), base);
        }
    }
}

static void
print_vm (HvDbusVm         *vm,
          const HvVmConfig *config,
          const GError     *config_parse_error)
{
  const char *os = hv_dbus_vm_get_os_id (vm);
  const char *reason = hv_dbus_vm_get_state_reason (vm);
  const char *config_error = hv_dbus_vm_get_config_error (vm);
  const char *state = hv_dbus_vm_get_state (vm);
  g_autofree char *folder = folder_for_display (hv_dbus_vm_get_folder (vm));

  print_field (_("Name"), hv_dbus_vm_get_name (vm));
  print_field (_("UUID"), hv_dbus_vm_get_uuid (vm));
  g_print ("%-15s %s\n", _("Folder:"), folder);
  print_field (_("OS"), os != NULL && os[0] != '\0' ? os : _("unknown"));
  print_field (_("State"), state);
  if (reason != NULL && reason[0] != '\0')
    print_field (_("Reason"), reason);
  if (hv_ctl_state_is_active (state))
    {
      g_autofree char *pid = g_strdup_printf ("%d", hv_dbus_vm_get_pid (vm));
      g_autofree char *accel = accel_description (vm);

      print_field (_("Acceleration"), accel);
      print_field (_("PID"), pid);
    }
  else
    {
      const char *accel_reason = hv_dbus_vm_get_accel_reason (vm);
      g_autofree char *accel = accel_description (vm);
      g_autofree char *next = NULL;

      if (g_strcmp0 (hv_dbus_vm_get_accel (vm), "kvm") == 0 && accel_reason != NULL &&
          accel_reason[0] != '\0')
        /* Translators: the VM is set to KVM, which cannot be used; %s says why */
        next = g_strdup_printf (_("KVM, but it cannot start: %s"),
                                hv_ctl_accel_reason_text (accel_reason));
      else
        /* Translators: "KVM" or "TCG (why)" */
        next = g_strdup_printf (_("%s, at the next start"), accel);
      print_field (_("Acceleration"), next);
    }

  if (config != NULL)
    {
      print_config (config, hv_dbus_vm_get_directory (vm));
      hv_ctl_print_adapters (vm);
    }
  else if (config_parse_error != NULL)
    print_field (_("Details"), config_parse_error->message);

  print_field (_("Clipboard"), hv_dbus_vm_get_clipboard_mode (vm));
  {
    GVariant *shares = hv_dbus_vm_get_shares (vm);
    GVariantIter iter;
    const char *share_name, *share_path;
    gboolean readonly, automount;

    if (shares != NULL)
      {
        g_variant_iter_init (&iter, shares);
        while (g_variant_iter_next (&iter, "(&s&sbb)", &share_name, &share_path, &readonly,
                                    &automount))
          {
            g_autofree char *line = g_strdup_printf ("%s → %s%s", share_name, share_path,
                                                     readonly ? _(" (read-only)") : "");
            print_field (_("Share"), line);
          }
      }
  }
  {
    const char *transport = hv_dbus_vm_get_share_transport (vm);
    const char *active = hv_dbus_vm_get_active_share_transport (vm);

    if (active != NULL && active[0] != '\0')
      {
        /* Translators: the share transport setting, then what the running VM uses */
        g_autofree char *line = g_strdup_printf (_("%s (in use: %s)"),
                                                 transport != NULL ? transport : "auto", active);
        print_field (_("Share transport"), line);
      }
    else
      print_field (_("Share transport"), transport != NULL ? transport : "auto");
  }
  if (hv_dbus_vm_get_agent_connected (vm))
    {
      const char * const *addresses = hv_dbus_vm_get_guest_addresses (vm);
      g_autofree char *joined = addresses != NULL ? g_strjoinv (", ", (char **) addresses)
                                                  : g_strdup ("");

      print_field (_("Guest agent"), hv_dbus_vm_get_agent_version (vm));
      print_field (_("Guest OS"), hv_dbus_vm_get_guest_os (vm));
      print_field (_("Guest kernel"), hv_dbus_vm_get_guest_kernel (vm));
      print_field (_("Guest IPs"), joined);
    }
  else if (hv_ctl_state_is_active (state))
    print_field (_("Guest agent"), _("not connected"));

  print_field (_("Directory"), hv_dbus_vm_get_directory (vm));
  print_field (_("Log"), hv_dbus_vm_get_log_path (vm));
  print_field (_("Serial log"), hv_dbus_vm_get_serial_log_path (vm));
  if (config_error != NULL && config_error[0] != '\0')
    print_field (_("Config error"), config_error);
}

/* Prints @vm as "show" does (also for create --json). */
static gboolean
show_vm (HvDbusVm  *vm,
         gboolean   json)
{
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GError) parse_error = NULL;
  const char *xml = hv_dbus_vm_get_config_xml (vm);

  /* The engine sends the config as saved; parsing it here with the engine's own code gives
   * drives and NICs without another D-Bus member. An unreadable config shows what the
   * properties say, not an error: ConfigError explains it. */
  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", &parse_error);

  if (json)
    {
      g_autoptr(GVariantDict) props = vm_properties (vm);
      g_autoptr(JsonNode) root = vm_to_json (vm, props, config);

      hv_ctl_print_json (root);
    }
  else
    print_vm (vm, config, parse_error);
  return TRUE;
}

gboolean
hv_ctl_cmd_show (HvCtl      *ctl,
                 HvCtlArgs  *args,
                 GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);

  if (vm == NULL)
    return FALSE;
  return show_vm (vm, hv_ctl_args_has (args, "json"));
}

/* ── create, modify ────────────────────────────────────────────────────────────────────── */

gboolean
hv_ctl_cmd_create (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autofree char *path = NULL;
  HvDbusEngine *engine;
  GVariant *options;

  /* Everything the user can get wrong is checked before the engine is reached. */
  options = hv_ctl_vm_options_build (args, FALSE, error);
  if (options == NULL)
    return FALSE;

  engine = hv_ctl_get_engine (ctl, FALSE, error);
  if (engine == NULL)
    {
      g_variant_unref (g_variant_ref_sink (options));
      return FALSE;
    }

  if (!hv_dbus_engine_call_create_vm_sync (engine, hv_ctl_args_positional (args, 0), options,
                                           &path, NULL, error))
    return FALSE;

  vm = hv_ctl_get_vm_by_path (ctl, path, error);
  if (vm == NULL)
    return FALSE;

  if (hv_ctl_args_has (args, "json"))
    return show_vm (vm, TRUE);
  g_print ("%s\n", hv_dbus_vm_get_uuid (vm));
  return TRUE;
}

gboolean
hv_ctl_cmd_modify (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autoptr(GVariant) options = NULL;

  if (g_hash_table_size (args->values) == (hv_ctl_args_has (args, "json") ? 1u : 0u))
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("modify: nothing to change (see \"hostvisorctl modify --help\")"));
      return FALSE;
    }

  options = hv_ctl_vm_options_build (args, TRUE, error);
  if (options == NULL)
    return FALSE;
  g_variant_ref_sink (options);

  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL || !hv_dbus_vm_call_modify_sync (vm, options, NULL, error))
    return FALSE;
  if (hv_ctl_args_has (args, "json"))
    return hv_ctl_vm_refresh (vm, error) && show_vm (vm, TRUE);
  return TRUE;
}

/* ── start, stop and the other state changes ──────────────────────────────────────────── */

static void
print_state (HvDbusVm *vm)
{
  g_autofree char *name = hv_ctl_vm_display_name (vm);
  const char *state = hv_dbus_vm_get_state (vm);

  if (g_strcmp0 (state, "poweroff") == 0)
    g_print (_("VM \"%s\" is powered off\n"), name);
  else if (g_strcmp0 (state, "running") == 0)
    {
      const char *reason = hv_dbus_vm_get_accel_reason (vm);

      if (g_strcmp0 (hv_dbus_vm_get_accel (vm), "kvm") == 0)
        g_print (_("VM \"%s\" is running (%s)\n"), name, _("KVM"));
      else if (reason == NULL || reason[0] == '\0')
        g_print (_("VM \"%s\" is running (%s)\n"), name, _("TCG: no hardware acceleration"));
      else
        {
          /* Translators: %s says why the VM runs without KVM */
          g_autofree char *why = g_strdup_printf (_("TCG: %s"), hv_ctl_accel_reason_text (reason));
          g_autofree char *shown = hv_ctl_display (why);

          g_print (_("VM \"%s\" is running (%s)\n"), name, shown);
        }
    }
  else
    {
      g_autofree char *shown = hv_ctl_display (state);
      const char *reason = hv_dbus_vm_get_state_reason (vm);

      if (reason != NULL && reason[0] != '\0')
        {
          g_autofree char *shown_reason = hv_ctl_display (reason);
          g_print (_("VM \"%s\" is %s: %s\n"), name, shown, shown_reason);
        }
      else
        g_print (_("VM \"%s\" is %s\n"), name, shown);
    }
}


typedef struct {
  GMainLoop *loop;
  gboolean   done;
  gboolean   closed;
  gboolean   timed_out;
} OffWait;

static void
off_wait_check (HvDbusVm *vm,
                OffWait  *wait)
{
  const char *state = hv_dbus_vm_get_state (vm);

  /* NULL: the property was invalidated, its new value is still on its way. */
  if (state != NULL && !hv_ctl_state_is_active (state))
    {
      wait->done = TRUE;
      g_main_loop_quit (wait->loop);
    }
}

static void
on_off_properties_changed (GDBusProxy  *proxy,
                           GVariant    *changed,
                           GStrv        invalidated,
                           gpointer     user_data)
{
  off_wait_check (HV_DBUS_VM (proxy), user_data);
}

static void
on_off_connection_closed (GDBusConnection *connection,
                          gboolean         remote_peer_vanished,
                          GError          *error,
                          gpointer         user_data)
{
  OffWait *wait = user_data;

  wait->closed = TRUE;
  g_main_loop_quit (wait->loop);
}

static gboolean
on_off_timeout (gpointer user_data)
{
  OffWait *wait = user_data;

  wait->timed_out = TRUE;
  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

/* Waits until QEMU no longer runs for @vm (State "poweroff" or "aborted"), watching
 * PropertiesChanged. Call it after the request and hv_ctl_vm_refresh(): changes that the
 * engine sent meanwhile wait in the main context, so none is missed. */
static gboolean
wait_until_off (HvCtl     *ctl,
                HvDbusVm  *vm,
                guint      timeout_s,
                GError   **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *name = NULL;
  OffWait wait = { loop, FALSE, FALSE, FALSE };
  gulong changed_id, closed_id;
  guint timer_id;

  off_wait_check (vm, &wait);
  if (wait.done)
    return TRUE;

  changed_id = g_signal_connect (vm, "g-properties-changed",
                                 G_CALLBACK (on_off_properties_changed), &wait);
  closed_id = g_signal_connect (ctl->connection, "closed",
                                G_CALLBACK (on_off_connection_closed), &wait);
  timer_id = g_timeout_add_seconds (timeout_s, on_off_timeout, &wait);

  g_main_loop_run (loop);

  g_signal_handler_disconnect (vm, changed_id);
  g_signal_handler_disconnect (ctl->connection, closed_id);
  if (!wait.timed_out)
    g_source_remove (timer_id);

  if (wait.done)
    return TRUE;

  name = hv_ctl_vm_display_name (vm);
  if (wait.closed)
    g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                 _("lost the connection to the engine while VM \"%s\" was stopping"), name);
  else
    g_set_error (error, HV_ERROR, HV_ERROR_TIMEOUT,
                 _("VM \"%s\" did not power off within %u seconds"), name, timeout_s);
  return FALSE;
}

gboolean
hv_ctl_cmd_stop (HvCtl      *ctl,
                 HvCtlArgs  *args,
                 GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  guint timeout_s = (guint) hv_ctl_args_get_uint (args, "timeout");
  guint engine_timeout_s = timeout_s != 0 ? timeout_s : HV_CTL_STOP_DEFAULT_S;

  if (vm == NULL ||
      !hv_dbus_vm_call_stop_sync (vm, timeout_s, NULL, error) ||
      !hv_ctl_vm_refresh (vm, error))
    return FALSE;

  if (hv_ctl_args_has (args, "no-wait"))
    {
      print_state (vm);
      return TRUE;
    }
  if (!wait_until_off (ctl, vm, engine_timeout_s + HV_CTL_STOP_GRACE_S, error))
    return FALSE;

  /* The engine says "the guest powered off" when the guest did, and a reason that starts
   * with "powered off" when it ended QEMU itself: after its timeout, or because someone
   * powered the VM off meanwhile. Either way the guest did not shut down by itself, which
   * a script must be able to tell from a clean shutdown. */
  if (g_strcmp0 (hv_dbus_vm_get_state (vm), "poweroff") == 0 &&
      g_str_has_prefix (hv_dbus_vm_get_state_reason (vm), "powered off"))
    {
      g_autofree char *name = hv_ctl_vm_display_name (vm);

      g_set_error (error, HV_CTL_EXIT_ERROR, HV_CTL_EXIT_FORCED,
                   _("VM \"%s\" did not shut down within %u s; it was powered off"), name,
                   engine_timeout_s);
      return FALSE;
    }
  print_state (vm);
  return TRUE;
}

gboolean
hv_ctl_cmd_poweroff (HvCtl      *ctl,
                     HvCtlArgs  *args,
                     GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);

  /* PowerOff may return while QEMU is still being reaped; say "powered off" only once it is. */
  if (vm == NULL ||
      !hv_dbus_vm_call_power_off_sync (vm, NULL, error) ||
      !hv_ctl_vm_refresh (vm, error) ||
      !wait_until_off (ctl, vm, HV_CTL_POWEROFF_WAIT_S, error))
    return FALSE;
  print_state (vm);
  return TRUE;
}

typedef gboolean (*VmCall) (HvDbusVm *vm, GCancellable *cancellable, GError **error);

static gboolean
simple_vm_call (HvCtl      *ctl,
                HvCtlArgs  *args,
                VmCall      call,
                GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);

  if (vm == NULL)
    return FALSE;
  if (!call (vm, NULL, error) || !hv_ctl_vm_refresh (vm, error))
    return FALSE;
  print_state (vm);
  return TRUE;
}

gboolean
hv_ctl_cmd_start (HvCtl      *ctl,
                  HvCtlArgs  *args,
                  GError    **error)
{
  /* Start returns once the guest runs, or with QEMU's message when it did not start. */
  return simple_vm_call (ctl, args, hv_dbus_vm_call_start_sync, error);
}

gboolean
hv_ctl_cmd_pause (HvCtl *ctl, HvCtlArgs *args, GError **error)
{
  return simple_vm_call (ctl, args, hv_dbus_vm_call_pause_sync, error);
}

gboolean
hv_ctl_cmd_resume (HvCtl *ctl, HvCtlArgs *args, GError **error)
{
  return simple_vm_call (ctl, args, hv_dbus_vm_call_resume_sync, error);
}

gboolean
hv_ctl_cmd_reset (HvCtl      *ctl,
                  HvCtlArgs  *args,
                  GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autofree char *name = NULL;

  if (vm == NULL || !hv_dbus_vm_call_reset_sync (vm, NULL, error))
    return FALSE;
  name = hv_ctl_vm_display_name (vm);
  g_print (_("VM \"%s\" was reset\n"), name);
  return TRUE;
}

gboolean
hv_ctl_cmd_delete (HvCtl      *ctl,
                   HvCtlArgs  *args,
                   GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autofree char *name = NULL;
  gboolean keep_files = hv_ctl_args_has (args, "keep-files");

  if (vm == NULL)
    return FALSE;
  name = hv_ctl_vm_display_name (vm);
  if (!hv_dbus_vm_call_delete_sync (vm, keep_files, NULL, error))
    return FALSE;
  if (keep_files)
    {
      g_autofree char *directory = hv_ctl_display (hv_dbus_vm_get_directory (vm));
      g_print (_("VM \"%s\" deleted; its files are kept in %s\n"), name, directory);
    }
  else
    g_print (_("VM \"%s\" deleted\n"), name);
  return TRUE;
}

gboolean
hv_ctl_cmd_move (HvCtl      *ctl,
                 HvCtlArgs  *args,
                 GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autofree char *folder = NULL;

  if (!hv_ctl_args_has (args, "folder"))
    {
      g_set_error (error, HV_CTL_USAGE_ERROR, 0,
                   _("move: missing --folder (see \"hostvisorctl move --help\")"));
      return FALSE;
    }
  folder = hv_ctl_normalize_folder (hv_ctl_args_get (args, "folder"));

  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;
  return hv_dbus_vm_call_move_sync (vm, folder, NULL, error);
}

/* ── media ───────────────────────────────────────────────────────────────────────────── */

static gboolean
change_media (HvCtl      *ctl,
              HvCtlArgs  *args,
              const char *image,
              GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  const char *drive = hv_ctl_args_get (args, "drive");
  gboolean floppy = hv_ctl_args_has (args, "floppy");
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;

  if (drive != NULL)
    {
      if (floppy)
        {
          g_set_error_literal (error, HV_CTL_USAGE_ERROR, 0,
                               _("--floppy and --drive cannot be used together"));
          return FALSE;
        }
      if (!g_str_equal (drive, "cdrom") && !g_str_equal (drive, "floppy")
          && !g_str_equal (drive, "floppy-b"))
        {
          g_set_error_literal (error, HV_CTL_USAGE_ERROR, 0,
                               _("--drive takes cdrom, floppy or floppy-b"));
          return FALSE;
        }
      floppy = !g_str_equal (drive, "cdrom");
    }
  else
    drive = floppy ? "floppy" : "cdrom";

  if (image != NULL)
    {
      /* The engine takes absolute paths; a file that cannot be the medium is refused
       * before asking it (it checks again, in the same way). */
      path = g_canonicalize_filename (image, NULL);
      if (!hv_image_check (floppy ? HV_IMAGE_FLOPPY : HV_IMAGE_ISO, path, error))
        return FALSE;
    }
  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;
  if (!hv_dbus_vm_call_insert_media_sync (vm, drive, path != NULL ? path : "",
                                          NULL, error))
    return FALSE;
  name = hv_ctl_vm_display_name (vm);
  if (path != NULL)
    {
      g_autofree char *shown = hv_ctl_display (path);
      g_print (_("Inserted %s into VM \"%s\"\n"), shown, name);
    }
  else
    g_print (_("Ejected the medium of VM \"%s\"\n"), name);
  return TRUE;
}

gboolean
hv_ctl_cmd_media_insert (HvCtl      *ctl,
                         HvCtlArgs  *args,
                         GError    **error)
{
  return change_media (ctl, args, hv_ctl_args_positional (args, 1), error);
}

gboolean
hv_ctl_cmd_media_eject (HvCtl      *ctl,
                        HvCtlArgs  *args,
                        GError    **error)
{
  return change_media (ctl, args, NULL, error);
}

/* ── demo ─────────────────────────────────────────────────────────────────────────────── */

gboolean
hv_ctl_cmd_demo (HvCtl      *ctl,
                 HvCtlArgs  *args,
                 GError    **error)
{
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, TRUE, error);
  g_autofree char *path = NULL;
  g_autoptr(HvDbusVm) vm = NULL;
  g_autofree char *name = NULL;

  if (engine == NULL || !hv_dbus_engine_call_create_demo_vm_sync (engine, &path, NULL, error))
    return FALSE;
  vm = hv_dbus_vm_proxy_new_sync (g_dbus_proxy_get_connection (G_DBUS_PROXY (engine)),
                                  G_DBUS_PROXY_FLAGS_NONE, NULL, path, NULL, error);
  if (vm == NULL)
    return FALSE;
  name = hv_ctl_vm_display_name (vm);
  g_print (_("Created VM \"%s\"; start it with: hostvisorctl start \"%s\"\n"), name, name);
  return TRUE;
}

/* ── shares, clipboard, guest tools ────────────────────────────────────────────────────── */

/* Longer than every wait of AddShare and RemoveShare in the engine together. */
#define SHARE_CALL_TIMEOUT_MS (120 * 1000)

gboolean
hv_ctl_cmd_share_add (HvCtl      *ctl,
                      HvCtlArgs  *args,
                      GError    **error)
{
  g_autoptr(HvDbusVm) vm = NULL;
  g_autofree char *path = g_canonicalize_filename (hv_ctl_args_positional (args, 1), NULL);
  g_autofree char *default_name = g_path_get_basename (path);
  const char *name = hv_ctl_args_has (args, "name") ? hv_ctl_args_get (args, "name")
                                                     : default_name;
  g_autofree char *shown_path = NULL;
  g_autofree char *shown_name = NULL;

  if (!hv_image_check_folder (path, error))
    return FALSE;
  vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  if (vm == NULL)
    return FALSE;
  /* Into a running VM it takes a hot-plug; the engine bounds every wait itself. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (vm), SHARE_CALL_TIMEOUT_MS);
  if (!hv_dbus_vm_call_add_share_sync (vm, name, path, hv_ctl_args_has (args, "readonly"), NULL,
                                       error))
    return FALSE;
  shown_path = hv_ctl_display (path);
  shown_name = hv_ctl_display (name);
  g_print (_("Shared %s as \"%s\" (in the guest: /media/hostvisor/%s)\n"), shown_path,
           shown_name, shown_name);
  return TRUE;
}

gboolean
hv_ctl_cmd_share_remove (HvCtl      *ctl,
                         HvCtlArgs  *args,
                         GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);

  if (vm == NULL)
    return FALSE;
  /* From a running VM it waits for the guest to unmount and let go of the device (the
   * engine gives up after 10 s and 30 s). */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (vm), SHARE_CALL_TIMEOUT_MS);
  return hv_dbus_vm_call_remove_share_sync (vm, hv_ctl_args_positional (args, 1), NULL, error);
}

gboolean
hv_ctl_cmd_share_list (HvCtl      *ctl,
                       HvCtlArgs  *args,
                       GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *shares;

  if (vm == NULL)
    return FALSE;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_add_guest (builder, vm);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  shares = json_object_get_array_member (json_node_get_object (root), "shares");

  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonNode) array = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_node_set_array (array, shares);
      json_generator_set_root (generator, array);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
      return TRUE;
    }
  if (json_array_get_length (shares) == 0)
    g_print (_("No shared folders.\n"));
  for (guint i = 0; i < json_array_get_length (shares); i++)
    {
      JsonObject *share = json_array_get_object_element (shares, i);
      g_autofree char *name = hv_ctl_display (json_object_get_string_member (share, "name"));
      g_autofree char *path = hv_ctl_display (json_object_get_string_member (share, "path"));
      const char *status = json_object_get_string_member_with_default (share, "status", NULL);

      g_print ("%s\t%s\t%s\t%s\n", name, path,
               json_object_get_boolean_member (share, "readonly") ? _("read-only") : _("read-write"),
               status != NULL ? status : "-");
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_clipboard_get (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autofree char *mime = NULL;
  g_autoptr(GVariant) data = NULL;
  gsize len = 0;
  const guint8 *bytes;

  if (vm == NULL || !hv_dbus_vm_call_get_clipboard_sync (vm, &mime, &data, NULL, error))
    return FALSE;
  bytes = g_variant_get_fixed_array (data, &len, 1);
  if (g_str_has_prefix (mime, "text/") || mime[0] == '\0')
    {
      fwrite (bytes, 1, len, stdout);
      if (len > 0 && bytes[len - 1] != '\n' && isatty (STDOUT_FILENO))
        putchar ('\n');
      return TRUE;
    }
  if (isatty (STDOUT_FILENO))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   _("The clipboard holds %s (%zu bytes); redirect the output to a file"),
                   mime, len);
      return FALSE;
    }
  fwrite (bytes, 1, len, stdout);
  return TRUE;
}

gboolean
hv_ctl_cmd_clipboard_set (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  const char *text = hv_ctl_args_positional (args, 1);
  GVariant *data;

  if (vm == NULL)
    return FALSE;
  data = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, text, strlen (text), 1);
  return hv_dbus_vm_call_set_clipboard_sync (vm, "text/plain;charset=utf-8", data, NULL, error);
}

gboolean
hv_ctl_cmd_guest_tools_insert (HvCtl      *ctl,
                               HvCtlArgs  *args,
                               GError    **error)
{
  g_autoptr(HvDbusVm) vm = hv_ctl_find_vm (ctl, hv_ctl_args_positional (args, 0), error);
  g_autofree char *name = NULL;

  if (vm == NULL || !hv_dbus_vm_call_insert_guest_tools_sync (vm, NULL, error))
    return FALSE;
  name = hv_ctl_vm_display_name (vm);
  g_print (_("The guest tools CD is in VM \"%s\"'s CD-ROM drive; run install.sh from it\n"),
           name);
  return TRUE;
}

/* ── folder ────────────────────────────────────────────────────────────────────────────── */

gboolean
hv_ctl_cmd_folder_list (HvCtl      *ctl,
                        HvCtlArgs  *args,
                        GError    **error)
{
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, TRUE, error);
  const char * const *folders;

  if (engine == NULL)
    return FALSE;
  folders = hv_dbus_engine_get_folders (engine);

  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
        json_builder_add_string_value (builder, folders[i]);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      hv_ctl_print_json (root);
      return TRUE;
    }

  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    {
      g_autofree char *shown = hv_ctl_display (folders[i]);
      g_print ("%s\n", shown);
    }
  return TRUE;
}

gboolean
hv_ctl_cmd_folder_create (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autofree char *path = hv_ctl_normalize_folder (hv_ctl_args_positional (args, 0));
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);

  return engine != NULL && hv_dbus_engine_call_create_folder_sync (engine, path, NULL, error);
}

gboolean
hv_ctl_cmd_folder_rename (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autofree char *path = hv_ctl_normalize_folder (hv_ctl_args_positional (args, 0));
  g_autofree char *new_path = hv_ctl_normalize_folder (hv_ctl_args_positional (args, 1));
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);

  return engine != NULL &&
         hv_dbus_engine_call_rename_folder_sync (engine, path, new_path, NULL, error);
}

gboolean
hv_ctl_cmd_folder_delete (HvCtl      *ctl,
                          HvCtlArgs  *args,
                          GError    **error)
{
  g_autofree char *path = hv_ctl_normalize_folder (hv_ctl_args_positional (args, 0));
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);

  return engine != NULL && hv_dbus_engine_call_delete_folder_sync (engine, path, NULL, error);
}
