/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-vm-options.h"

#include <string.h>

#include "hv-error.h"
#include "hv-image-check.h"
#include "hv-osinfo.h"
#include "hv-profiles.h"
#include "hv-qemu-argv.h"

#define DEFAULT_DISK_GIB 16
#define MAX_DISK_GIB HV_VM_MAX_DISK_GIB

/* Every key and its D-Bus type; anything else is refused so that a typo in a client
 * never goes unnoticed. */
static const struct {
  const char *key;
  const char *type;
  gboolean needs_poweroff; /* for Modify */
  gboolean modify_only;
} known_options[] = {
  { "name", "s", FALSE, TRUE },
  { "os", "s", FALSE, FALSE },
  { "folder", "s", FALSE, FALSE },
  { "description", "s", FALSE, FALSE },
  { "memory", "t", TRUE, FALSE },
  { "cpus", "u", TRUE, FALSE },
  { "disk-size", "t", TRUE, FALSE },
  { "disk", "s", TRUE, FALSE },
  { "disk-format", "s", TRUE, FALSE },
  { "no-disk", "b", TRUE, FALSE },
  { "iso", "s", TRUE, FALSE },
  { "floppy", "s", TRUE, FALSE },
  { "remove-iso", "b", TRUE, TRUE },
  { "remove-floppy", "b", TRUE, TRUE },
  { "firmware", "s", TRUE, FALSE },
  { "machine", "s", TRUE, FALSE },
  { "kernel", "s", TRUE, FALSE },
  { "initrd", "s", TRUE, FALSE },
  { "cmdline", "s", TRUE, FALSE },
  { "nic-model", "s", TRUE, FALSE },
  { "video", "s", TRUE, FALSE },
  { "boot", "s", TRUE, FALSE },
  { "clipboard", "s", FALSE, FALSE },
  { "share-transport", "s", TRUE, FALSE },
  { "acceleration", "s", TRUE, FALSE },
  /* hv-vm-options-legacy.c */
  { "profile", "s", TRUE, FALSE },
  { "cpu-model", "s", TRUE, FALSE },
  { "sound", "s", TRUE, FALSE },
  { "sound-enabled", "b", TRUE, FALSE },
  { "sound-muted", "b", TRUE, FALSE },
  { "adlib", "b", TRUE, FALSE },
  { "pc-speaker", "b", TRUE, FALSE },
  { "vram", "u", TRUE, FALSE },
  { "rtc", "s", TRUE, FALSE },
  { "acpi", "b", TRUE, FALSE },
  { "hpet", "b", TRUE, FALSE },
  { "usb", "b", TRUE, FALSE },
  { "tablet", "b", TRUE, FALSE },
  { "vmport", "b", TRUE, FALSE },
  { "cpu-limit", "s", TRUE, FALSE },
  { "floppy-b", "s", TRUE, FALSE },
  { "remove-floppy-b", "b", TRUE, TRUE },
};

/* Modify's adapter options: "nicN" and "nicN-SUFFIX", N = 1..HV_MAX_NICS. */
static const struct {
  const char *suffix;     /* after "nicN" */
  const char *type;
} nic_options[] = {
  { "", "s" }, { "-enabled", "b" }, { "-target", "s" }, { "-model", "s" }, { "-mac", "s" },
  { "-cable", "b" },
};

/* Which nic option @key is (index into nic_options) and its slot, or -1. */
static int
parse_nic_key (const char *key,
               guint      *slot)
{
  if (!g_str_has_prefix (key, "nic") || key[3] < '1' || key[3] > '0' + HV_MAX_NICS)
    return -1;
  *slot = (guint) (key[3] - '0');
  for (guint i = 0; i < G_N_ELEMENTS (nic_options); i++)
    if (g_str_equal (key + 4, nic_options[i].suffix))
      return (int) i;
  return -1;
}

static gboolean
check_nic_key (const char  *key,
               GVariant    *value,
               gboolean     modifying,
               gboolean     running,
               gboolean    *found,
               GError     **error)
{
  guint slot;
  int which = parse_nic_key (key, &slot);

  *found = FALSE;
  if (which < 0 || !modifying)
    return TRUE;
  *found = TRUE;
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (nic_options[which].type)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Option \"%s\" must be of type %s", key, nic_options[which].type);
      return FALSE;
    }
  if (running && !g_str_equal (nic_options[which].suffix, "-cable"))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Cannot change %s while the VM is running; power it off first (only "
                   "nic%u-cable changes while it runs)", key, slot);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_keys (GVariant  *options,
            gboolean   modifying,
            gboolean   running,
            GError   **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;
      gboolean found = FALSE;

      if (g_str_equal (key, "backing") || g_str_has_suffix (key, "-backing"))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "A disk's backing image is set only by the engine, when it makes a "
                       "linked clone (Clone); it cannot be chosen or changed");
          return FALSE;
        }
      if (!check_nic_key (key, value, modifying, running, &found, error))
        return FALSE;
      if (found)
        continue;

      for (guint i = 0; i < G_N_ELEMENTS (known_options); i++)
        {
          if (!g_str_equal (key, known_options[i].key))
            continue;
          found = TRUE;
          if (known_options[i].modify_only && !modifying)
            break;
          if (!g_variant_is_of_type (value, G_VARIANT_TYPE (known_options[i].type)))
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Option \"%s\" must be of type %s", key, known_options[i].type);
              return FALSE;
            }
          if (modifying && running && known_options[i].needs_poweroff)
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                           "Cannot change %s while the VM is running; power it off first", key);
              return FALSE;
            }
          break;
        }
      if (!found || (!modifying && g_str_equal (key, "name")) ||
          (!modifying && (g_str_equal (key, "remove-iso") || g_str_equal (key, "remove-floppy")
                          || g_str_equal (key, "remove-floppy-b"))))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "Unknown option \"%s\"", key);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
has_key (GVariant   *options,
         const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (options, key, NULL);

  return value != NULL;
}

static gboolean
lookup_string (GVariant    *options,
               const char  *key,
               const char **out)
{
  return g_variant_lookup (options, key, "&s", out);
}

static HvDrive *
find_drive (HvVmConfig *config,
            HvDriveKind kind)
{
  for (guint i = 0; i < config->drives->len; i++)
    {
      HvDrive *d = g_ptr_array_index (config->drives, i);
      if (d->kind == kind)
        return d;
    }
  return NULL;
}

static void
remove_drives (HvVmConfig *config,
               HvDriveKind kind)
{
  for (guint i = config->drives->len; i > 0; i--)
    {
      HvDrive *d = g_ptr_array_index (config->drives, i - 1);
      if (d->kind == kind)
        g_ptr_array_remove_index (config->drives, i - 1);
    }
}

static HvDriveBus
default_disk_bus (HvVmConfig *config)
{
  HvDrive *disk = find_drive (config, HV_DRIVE_DISK);

  return disk != NULL ? disk->bus : HV_DRIVE_BUS_IDE;
}

/* Put removable media in: the first drive of that kind gets it, or a new drive. */
static void
set_medium (HvVmConfig *config,
            HvDriveKind kind,
            const char *path)
{
  HvDrive *d = find_drive (config, kind);

  if (d == NULL)
    {
      d = hv_drive_new (kind, kind == HV_DRIVE_FLOPPY ? HV_DRIVE_BUS_FDC : HV_DRIVE_BUS_IDE,
                        HV_DISK_FORMAT_RAW, path);
      d->readonly = kind == HV_DRIVE_CDROM;
      g_ptr_array_add (config->drives, d);
      return;
    }
  g_free (d->path);
  d->path = g_strdup (path);
}

/* Options shared by create and modify, applied in a fixed order. */
static gboolean
apply_common (HvVmConfig *config,
              GVariant   *options,
              GError    **error)
{
  const char *s;
  guint64 u64;
  guint32 u32;

  if (lookup_string (options, "folder", &s))
    {
      if (!hv_config_check_folder (s, error))
        return FALSE;
      hv_set_str (&config->folder, s);
    }
  if (lookup_string (options, "description", &s))
    hv_set_str (&config->description, s);
  if (g_variant_lookup (options, "memory", "t", &u64))
    {
      if (u64 < HV_MEMORY_MIN_MIB || u64 > HV_MEMORY_MAX_MIB)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Memory must be between %d and %d MiB", HV_MEMORY_MIN_MIB,
                       HV_MEMORY_MAX_MIB);
          return FALSE;
        }
      config->memory_mib = u64;
    }
  if (g_variant_lookup (options, "cpus", "u", &u32))
    {
      if (u32 < 1 || u32 > HV_CPUS_MAX)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "CPUs must be between 1 and %d", HV_CPUS_MAX);
          return FALSE;
        }
      config->cpus = u32;
    }
  if (lookup_string (options, "firmware", &s) && !hv_firmware_from_string (s, &config->firmware))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unknown firmware \"%s\" (bios or uefi)", s);
      return FALSE;
    }
  if (lookup_string (options, "machine", &s))
    {
      HvMachine before = config->machine;

      if (!hv_machine_from_string (s, &config->machine))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Unknown machine \"%s\" (pc, q35 or isapc)", s);
          return FALSE;
        }
      /* A pinned type is for one machine: another machine is pinned anew (hv-vm-machine.h). */
      if (config->machine != before)
        g_clear_pointer (&config->machine_type, g_free);
      hv_vm_options_machine_changed (config, options, before);
    }
  if (lookup_string (options, "video", &s) && !hv_video_from_string (s, &config->video))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unknown video model \"%s\" (std, cirrus, virtio or none)", s);
      return FALSE;
    }
  if (lookup_string (options, "nic-model", &s))
    {
      if (!hv_nic_model_is_valid (s))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Unknown network adapter model \"%s\"", s);
          return FALSE;
        }
      for (guint i = 0; i < config->nics->len; i++)
        hv_set_str (&((HvNic *) g_ptr_array_index (config->nics, i))->model, s);
    }
  if (lookup_string (options, "clipboard", &s) &&
      !hv_clipboard_mode_from_string (s, &config->clipboard_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unknown clipboard mode \"%s\" (off, host-to-guest, guest-to-host or both)", s);
      return FALSE;
    }
  if (lookup_string (options, "share-transport", &s) &&
      !hv_share_transport_from_string (s, &config->share_transport))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unknown share transport \"%s\" (auto, 9p or virtiofs)", s);
      return FALSE;
    }
  if (lookup_string (options, "acceleration", &s) &&
      !hv_acceleration_from_string (s, &config->acceleration))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Unknown acceleration \"%s\" (auto, kvm or tcg)", s);
      return FALSE;
    }
  if (lookup_string (options, "boot", &s))
    {
      if (s[0] == '\0' || strspn (s, "acdn") != strlen (s) || strlen (s) > 4)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Boot order \"%s\" must be letters from a (floppy), c (disk), "
                       "d (CD-ROM), n (network)", s);
          return FALSE;
        }
      hv_set_str (&config->boot_order, s);
    }

  if (lookup_string (options, "kernel", &s))
    {
      if (s[0] == '\0')
        g_clear_pointer (&config->kernel, g_free);
      else if (!hv_image_check (HV_IMAGE_KERNEL, s, error))
        return FALSE;
      else
        hv_set_str (&config->kernel, s);
    }
  if (lookup_string (options, "initrd", &s))
    {
      if (s[0] == '\0')
        g_clear_pointer (&config->initrd, g_free);
      else if (!hv_image_check (HV_IMAGE_INITRD, s, error))
        return FALSE;
      else
        hv_set_str (&config->initrd, s);
    }
  if (lookup_string (options, "cmdline", &s))
    {
      if (strlen (s) > HV_CMDLINE_MAX)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "The kernel command line is longer than %d bytes", HV_CMDLINE_MAX);
          return FALSE;
        }
      if (s[0] == '\0')
        g_clear_pointer (&config->cmdline, g_free);
      else
        hv_set_str (&config->cmdline, s);
    }
  if ((config->initrd != NULL || config->cmdline != NULL) && config->kernel == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "An initrd or kernel command line needs a kernel (--kernel)");
      return FALSE;
    }

  if (lookup_string (options, "iso", &s))
    {
      if (!hv_image_check (HV_IMAGE_ISO, s, error))
        return FALSE;
      set_medium (config, HV_DRIVE_CDROM, s);
    }
  if (lookup_string (options, "floppy", &s))
    {
      if (!hv_image_check (HV_IMAGE_FLOPPY, s, error))
        return FALSE;
      set_medium (config, HV_DRIVE_FLOPPY, s);
    }

  if (lookup_string (options, "disk", &s))
    {
      const char *format_text = NULL;
      HvDiskFormat format;
      HvDrive *disk;

      if (!lookup_string (options, "disk-format", &format_text))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "--disk needs --disk-format (raw or qcow2): "
                       "Hostvisor never guesses an image's format");
          return FALSE;
        }
      if (!hv_disk_format_from_string (format_text, &format))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "Unknown disk format \"%s\" (raw or qcow2)", format_text);
          return FALSE;
        }
      if (!hv_image_check (HV_IMAGE_DISK, s, error))
        return FALSE;
      disk = find_drive (config, HV_DRIVE_DISK);
      if (disk == NULL)
        g_ptr_array_insert (config->drives, 0,
                            hv_drive_new (HV_DRIVE_DISK, default_disk_bus (config), format, s));
      else
        {
          /* Another image: a linked clone's base is no backing of it (its own header's
           * backing file is never followed either). */
          if (g_strcmp0 (disk->path, s) != 0 || format != disk->format)
            g_clear_pointer (&disk->backing, g_free);
          hv_set_str (&disk->path, s);
          disk->format = format;
        }
    }
  else if (has_key (options, "disk-format"))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "--disk-format needs --disk");
      return FALSE;
    }

  return TRUE;
}

static gboolean
unknown_os (const char  *os,
            GError     **error)
{
  g_autofree char *shown = hv_config_escape_for_display (os);

  /* ListOses gives the ids; "hostvisorctl os-list WORD" searches them. */
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
               "Unknown OS \"%s\" (\"hostvisorctl os-list\" lists the known ids)", shown);
  return FALSE;
}

static void
apply_os_defaults (HvVmConfig         *config,
                   const HvOsDefaults *d)
{
  hv_set_str (&config->os_id, d->os_id);
  config->memory_mib = d->memory_mib;
  config->cpus = MAX (d->cpus, 1);
  config->machine = d->machine;
  config->firmware = d->firmware;
  config->video = d->video;
  for (guint i = 0; i < config->nics->len; i++)
    hv_set_str (&((HvNic *) g_ptr_array_index (config->nics, i))->model, d->nic_model);
}

HvVmConfig *
hv_vm_options_create (const char      *name,
                      GVariant        *options,
                      HvVmOptionsPlan *plan,
                      GError         **error)
{
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(HvOsDefaults) defaults = NULL;
  HvDriveBus disk_bus = HV_DRIVE_BUS_IDE;
  const char *os = NULL;
  const char *profile_name = NULL;
  g_autofree char *os_profile = NULL;
  guint64 profile_disk_gib = 0;
  gboolean no_disk = FALSE;
  guint64 disk_gib = 0;
  gboolean has_iso, has_floppy;

  memset (plan, 0, sizeof *plan);

  if (!hv_config_check_new_name (name, error) || !check_keys (options, FALSE, FALSE, error))
    return NULL;

  config = hv_vm_config_new (name);

  if (lookup_string (options, "os", &os) && os[0] != '\0')
    {
      g_autoptr(GError) local_error = NULL;

      defaults = hv_osinfo_get_defaults (os, &local_error);
      if (defaults == NULL)
        {
          unknown_os (os, error);
          return NULL;
        }
      apply_os_defaults (config, defaults);
      disk_bus = defaults->disk_bus;
      os_profile = hv_profile_for_os (os);
    }

  /* A hardware profile for old guests: the one asked for, else the OS's (hv-profiles.h);
   * each option below still overrides its part. */
  if (!lookup_string (options, "profile", &profile_name))
    profile_name = os_profile;
  if (profile_name != NULL)
    {
      if (!hv_vm_options_apply_profile (config, profile_name, &profile_disk_gib, error))
        return NULL;
      disk_bus = HV_DRIVE_BUS_IDE;
    }

  /* Every VM gets a CD-ROM drive, as on a real PC, so media can be inserted later. */
  g_ptr_array_add (config->drives, hv_drive_new (HV_DRIVE_CDROM, HV_DRIVE_BUS_IDE,
                                                 HV_DISK_FORMAT_RAW, NULL));
  ((HvDrive *) g_ptr_array_index (config->drives, 0))->readonly = TRUE;

  if (!apply_common (config, options, error)
      || !hv_vm_options_apply_hardware (config, options, error))
    return NULL;

  /* Without an OS to ask, a q35 VM's disk goes on its AHCI (SATA) controller, which every
   * OS that runs on q35 drives; IDE stays the choice for the pc machine. */
  if (defaults == NULL && config->machine == HV_MACHINE_Q35)
    disk_bus = HV_DRIVE_BUS_SATA;

  g_variant_lookup (options, "no-disk", "b", &no_disk);
  g_variant_lookup (options, "disk-size", "t", &disk_gib);
  if (no_disk && (disk_gib > 0 || has_key (options, "disk")))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "--no-disk cannot be combined with --disk or --disk-size");
      return NULL;
    }
  if (disk_gib > 0 && find_drive (config, HV_DRIVE_DISK) != NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "--disk-size cannot be combined with --disk");
      return NULL;
    }
  if (disk_gib > MAX_DISK_GIB)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "Disk size must be between 1 and %d GiB", MAX_DISK_GIB);
      return NULL;
    }
  if (!no_disk && find_drive (config, HV_DRIVE_DISK) == NULL)
    {
      plan->new_disk_gib = disk_gib > 0 ? disk_gib :
                           profile_disk_gib > 0 ? profile_disk_gib :
                           defaults != NULL ? MAX (defaults->disk_gib, 1) : DEFAULT_DISK_GIB;
      g_ptr_array_insert (config->drives, 0,
                          hv_drive_new (HV_DRIVE_DISK, disk_bus, HV_DISK_FORMAT_QCOW2,
                                        "disk0.qcow2"));
    }
  else if (find_drive (config, HV_DRIVE_DISK) != NULL)
    find_drive (config, HV_DRIVE_DISK)->bus = disk_bus;

  /* SATA exists only on q35; an OS default of SATA on a pc machine falls back to IDE. */
  for (guint i = 0; i < config->drives->len; i++)
    {
      HvDrive *d = g_ptr_array_index (config->drives, i);
      if (d->bus == HV_DRIVE_BUS_SATA && config->machine != HV_MACHINE_Q35)
        d->bus = HV_DRIVE_BUS_IDE;
    }

  if (!has_key (options, "boot"))
    {
      has_iso = find_drive (config, HV_DRIVE_CDROM) != NULL &&
                find_drive (config, HV_DRIVE_CDROM)->path != NULL;
      has_floppy = find_drive (config, HV_DRIVE_FLOPPY) != NULL;
      if (profile_name == NULL)
        hv_set_str (&config->boot_order, has_floppy ? "acd" : has_iso ? "dc" : "cd");
      else if (has_floppy && config->boot_order[0] != 'a')
        {
          /* The profile's order, with the floppy first: it boots what it was made from. */
          g_autoptr(GString) order = g_string_new ("a");

          for (const char *p = config->boot_order; *p != '\0'; p++)
            if (*p != 'a')
              g_string_append_c (order, *p);
          hv_set_str (&config->boot_order, order->str);
        }
    }

  if (!hv_vm_config_validate (config, error)
      || !hv_vm_options_check_profile_limits (config, plan->new_disk_gib, error))
    return NULL;

  return g_steal_pointer (&config);
}

/* Modify's "nicN…" options: the mode first (creating the adapter, and disabled ones before
 * it, when it did not exist), then the rest. */
static gboolean
apply_nics (HvVmConfig *config,
            GVariant   *options,
            GError    **error)
{
  for (guint slot = 1; slot <= HV_MAX_NICS; slot++)
    {
      g_autofree char *mode_key = g_strdup_printf ("nic%u", slot);
      g_autofree char *enabled_key = g_strdup_printf ("nic%u-enabled", slot);
      g_autofree char *target_key = g_strdup_printf ("nic%u-target", slot);
      g_autofree char *model_key = g_strdup_printf ("nic%u-model", slot);
      g_autofree char *mac_key = g_strdup_printf ("nic%u-mac", slot);
      g_autofree char *cable_key = g_strdup_printf ("nic%u-cable", slot);
      const char *s;
      gboolean flag;
      HvNic *nic;

      if (lookup_string (options, mode_key, &s))
        {
          HvNetMode mode;

          if (!hv_net_mode_from_string (s, &mode))
            {
              g_autofree char *shown = hv_config_escape_for_display (s);

              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Unknown attachment \"%s\" for adapter %u (nat, bridged, "
                           "host-only, internal or none)", shown, slot);
              return FALSE;
            }
          while (config->nics->len < slot)
            {
              g_autofree char *mac = hv_mac_generate ();
              const char *model = config->nics->len > 0
                                  ? ((HvNic *) g_ptr_array_index (config->nics, 0))->model
                                  : "virtio-net";
              HvNic *added = hv_nic_new (HV_NET_NAT, model, mac);

              /* Adapters before this one, that did not exist either, keep their slots off. */
              added->enabled = config->nics->len + 1 == slot;
              g_ptr_array_add (config->nics, added);
            }
          nic = g_ptr_array_index (config->nics, slot - 1);
          nic->mode = mode;
          if (!has_key (options, enabled_key))
            nic->enabled = TRUE;
        }

      if (slot > config->nics->len)
        {
          const char *keys[] = { enabled_key, target_key, model_key, mac_key, cable_key };

          for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
            if (has_key (options, keys[k]))
              {
                g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                             "The VM has no adapter %u (add it with %s MODE first)", slot,
                             mode_key);
                return FALSE;
              }
          continue;
        }
      nic = g_ptr_array_index (config->nics, slot - 1);

      if (g_variant_lookup (options, enabled_key, "b", &flag))
        nic->enabled = flag;
      if (g_variant_lookup (options, cable_key, "b", &flag))
        nic->cable = flag;
      if (lookup_string (options, target_key, &s))
        {
          if (s[0] != '\0' && !hv_config_check_net_target (nic->mode == HV_NET_BRIDGED
                                                            ? HV_NET_BRIDGED : HV_NET_INTERNAL,
                                                            s, error))
            return FALSE;
          hv_set_str (&nic->target, s[0] != '\0' ? s : NULL);
        }
      if (lookup_string (options, model_key, &s))
        {
          if (!hv_nic_model_is_valid (s))
            {
              g_autofree char *shown = hv_config_escape_for_display (s);

              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "Unknown network adapter model \"%s\" (virtio-net, e1000, e1000e, "
                           "rtl8139, pcnet, ne2k_pci or ne2k_isa)", shown);
              return FALSE;
            }
          hv_set_str (&nic->model, s);
        }
      if (lookup_string (options, mac_key, &s))
        {
          if (g_str_equal (s, "auto"))
            {
              g_autofree char *mac = hv_mac_generate ();
              hv_set_str (&nic->mac, mac);
            }
          else if (!hv_mac_is_valid (s))
            {
              g_autofree char *shown = hv_config_escape_for_display (s);

              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "\"%s\" is not a MAC address an adapter can have (six hex pairs "
                           "like 52:54:00:12:34:56, the first byte even; or auto)", shown);
              return FALSE;
            }
          else
            {
              g_autofree char *lower = g_ascii_strdown (s, -1);
              hv_set_str (&nic->mac, lower);
            }
        }
    }
  return TRUE;
}

gboolean
hv_vm_options_has_nic_keys (GVariant *options,
                            gboolean  cable_only)
{
  GVariantIter iter;
  const char *key;
  gboolean any = FALSE;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    {
      guint slot;
      int which = parse_nic_key (key, &slot);

      if (which >= 0 && (!cable_only || g_str_equal (nic_options[which].suffix, "-cable")))
        any = TRUE;
    }
  return any;
}

/* A drive's backing comes only from the engine (hv-vm-clone.c): after a change, every drive
 * that has one is a drive of @before with the same image and the same backing. */
static gboolean
backings_unchanged (const HvVmConfig  *before,
                    const HvVmConfig  *after,
                    GError           **error)
{
  for (guint i = 0; i < after->drives->len; i++)
    {
      const HvDrive *d = g_ptr_array_index (after->drives, i);
      gboolean known = FALSE;

      if (d->backing == NULL)
        continue;
      for (guint j = 0; j < before->drives->len && !known; j++)
        {
          const HvDrive *o = g_ptr_array_index (before->drives, j);

          known = g_strcmp0 (o->path, d->path) == 0 && g_strcmp0 (o->backing, d->backing) == 0;
        }
      if (!known)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "drive %u: a disk's backing image is set only by the engine", i + 1);
          return FALSE;
        }
    }
  return TRUE;
}

HvVmConfig *
hv_vm_options_modify (const HvVmConfig *config,
                      GVariant         *options,
                      gboolean          running,
                      GError          **error)
{
  g_autoptr(HvVmConfig) copy = NULL;
  const char *s;
  gboolean flag = FALSE;

  if (!check_keys (options, TRUE, running, error))
    return NULL;

  if (has_key (options, "disk-size"))
    {
      /* It makes a file: hv_library_add_disk_async() does that, with nothing else at once. */
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "--disk-size cannot be combined with other changes");
      return NULL;
    }

  copy = hv_vm_config_copy (config);

  if (lookup_string (options, "name", &s))
    {
      /* Renaming to the name it has is no change: an old name that the rules for new
       * names refuse may stay. */
      if (!g_str_equal (s, config->name) && !hv_config_check_new_name (s, error))
        return NULL;
      hv_set_str (&copy->name, s);
    }
  if (lookup_string (options, "os", &s))
    {
      g_autoptr(HvOsDefaults) defaults = NULL;

      /* "" forgets the OS; anything else must be one that libosinfo knows, as at create. */
      if (s[0] != '\0' && (defaults = hv_osinfo_get_defaults (s, NULL)) == NULL)
        {
          unknown_os (s, error);
          return NULL;
        }
      hv_set_str (&copy->os_id, s);
    }

  if (g_variant_lookup (options, "remove-iso", "b", &flag) && flag)
    {
      HvDrive *cd = find_drive (copy, HV_DRIVE_CDROM);
      if (cd != NULL)
        g_clear_pointer (&cd->path, g_free);
    }
  flag = FALSE;
  if (g_variant_lookup (options, "remove-floppy", "b", &flag) && flag)
    remove_drives (copy, HV_DRIVE_FLOPPY);
  flag = FALSE;
  if (g_variant_lookup (options, "no-disk", "b", &flag) && flag)
    remove_drives (copy, HV_DRIVE_DISK);

  if (lookup_string (options, "profile", &s)
      && !hv_vm_options_apply_profile (copy, s, NULL, error))
    return NULL;
  if (!apply_common (copy, options, error) || !apply_nics (copy, options, error)
      || !hv_vm_options_apply_hardware (copy, options, error))
    return NULL;

  if (!backings_unchanged (config, copy, error) || !hv_vm_config_validate (copy, error)
      || !hv_vm_options_check_profile_limits (copy, 0, error))
    return NULL;

  return g_steal_pointer (&copy);
}

gboolean
hv_vm_options_check_startable (const HvVmConfig  *config,
                               const HvVmConfig  *before,
                               const HvQemuCaps  *caps,
                               GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) before_error = NULL;

  /* Without a QEMU nothing starts anyway; the start says so. */
  if (caps == NULL || caps->qemu_binary == NULL)
    return TRUE;
  if (hv_qemu_argv_check (config, caps, &local_error))
    return TRUE;

  /* A problem the VM had before this change is not the change's fault: the user may be
   * mending something else first (or the host lost, say, its OVMF). */
  if (before != NULL && !hv_qemu_argv_check (before, caps, &before_error) &&
      g_strcmp0 (before_error->message, local_error->message) == 0)
    return TRUE;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}
