/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-osinfo.c: a new VM's defaults from the libosinfo database.
 *
 * libosinfo knows each OS's minimum and recommended resources and the virtual devices it
 * has drivers for ("devices", inherited along "derives-from"). The machine, disk bus, NIC
 * and video choices below are derived from that device list, with family rules for the
 * old systems whose entries list little or nothing (DOS, Windows 9x). */

#include "hv-osinfo.h"

#include <osinfo/osinfo.h>
#include <string.h>

#include "hv-error.h"

#define MIB (G_GINT64_CONSTANT (1024) * 1024)
#define GIB (MIB * 1024)

/* When the database gives no figure: a modern guest, or a DOS one. */
#define FALLBACK_MEMORY_MIB 1024
#define FALLBACK_DISK_GIB 16
#define DOS_MEMORY_MIB 32
#define DOS_DISK_GIB 1

typedef enum {
  OS_KIND_MODERN,
  OS_KIND_DOS,        /* MS-DOS, FreeDOS: ISA-era hardware only */
  OS_KIND_WIN9X,      /* Windows 95, 98, ME */
  OS_KIND_OLD_WINNT,  /* Windows NT 4, 2000, XP, Server 2003 */
} OsKind;

/* NICs in order of preference, with the osinfo device names that mean a driver for them. */
static const struct {
  const char *model;        /* HvNic model */
  const char *osinfo_names[2];
  gboolean q35_only;        /* PCIe device: only worth choosing on q35 */
} nic_preference[] = {
  { "virtio-net", { "virtio-net", "virtio1.0-net" }, FALSE },
  { "e1000e", { "e1000e", NULL }, TRUE },
  { "e1000", { "e1000", NULL }, FALSE },
  { "rtl8139", { "rtl8139", NULL }, FALSE },
  { "pcnet", { "pcnet", NULL }, FALSE },
  { "ne2k_pci", { "ne2k_pci", NULL }, FALSE },
};

static OsinfoDb *
get_db (void)
{
  static gsize initialized = 0;
  static OsinfoDb *db = NULL;

  if (g_once_init_enter (&initialized))
    {
      /* Kept for the life of the process: the database is large and never changes. The
       * default path covers the system database, /etc/osinfo and the user's own
       * ~/.config/osinfo (or $OSINFO_SYSTEM_DIR, $OSINFO_LOCAL_DIR, $OSINFO_USER_DIR).
       * Files that fail to load are skipped: a broken local entry must not hide the rest. */
      OsinfoLoader *loader = osinfo_loader_new ();

      osinfo_loader_process_default_path (loader, NULL);
      db = g_object_ref (osinfo_loader_get_db (loader));
      g_object_unref (loader);
      g_once_init_leave (&initialized, 1);
    }
  return db;
}

static OsinfoOs *
find_os (OsinfoDb   *db,
         const char *short_id)
{
  g_autoptr(OsinfoOsList) all = osinfo_db_get_os_list (db);
  g_autoptr(OsinfoFilter) filter = osinfo_filter_new ();
  g_autoptr(OsinfoList) matches = NULL;

  /* An OS may have several short ids ("debian11", "debianbullseye"); the filter matches
   * any of them. */
  osinfo_filter_add_constraint (filter, OSINFO_PRODUCT_PROP_SHORT_ID, short_id);
  matches = osinfo_list_new_filtered (OSINFO_LIST (all), filter);
  if (osinfo_list_get_length (matches) == 0)
    return NULL;
  return g_object_ref (OSINFO_OS (osinfo_list_get_nth (matches, 0)));
}

static OsKind
classify (OsinfoOs *os)
{
  const char *family = osinfo_os_get_family (os);
  const char *distro = osinfo_os_get_distro (os);
  const char *short_id = osinfo_product_get_short_id (OSINFO_PRODUCT (os));

  /* FreeDOS is filed under family "linux" in the database; its distro says what it is. */
  if (g_strcmp0 (family, "msdos") == 0 || g_strcmp0 (distro, "msdos") == 0 ||
      g_strcmp0 (distro, "freedos") == 0)
    return OS_KIND_DOS;
  if (g_strcmp0 (family, "win9x") == 0 || g_strcmp0 (family, "win16") == 0)
    return OS_KIND_WIN9X;
  if (g_strcmp0 (family, "winnt") == 0 && short_id != NULL &&
      (g_str_has_prefix (short_id, "winnt") || g_str_equal (short_id, "win2k") ||
       g_str_equal (short_id, "winxp") || g_str_equal (short_id, "win2k3") ||
       g_str_equal (short_id, "win2k3r2")))
    return OS_KIND_OLD_WINNT;
  return OS_KIND_MODERN;
}

/* The resources entry that applies to an x86_64 host: the OS's own x86_64 entry, else the
 * one for all architectures, else the i686 one (32-bit guests run on qemu-system-x86_64). */
static OsinfoResources *
pick_resources (OsinfoResourcesList *list)
{
  static const char * const archs[] = { "x86_64", OSINFO_ARCHITECTURE_ALL, "i686" };

  for (guint a = 0; a < G_N_ELEMENTS (archs); a++)
    {
      for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
        {
          OsinfoResources *r = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));

          if (g_strcmp0 (osinfo_resources_get_architecture (r), archs[a]) == 0)
            return r;
        }
    }
  return NULL;
}

/* The recommended figure, else the minimum, else -1. libosinfo gives -1 for "not set". */
static gint64
pick_figure (OsinfoResources *recommended,
             OsinfoResources *minimum,
             gint64 (*get) (OsinfoResources *))
{
  if (recommended != NULL && get (recommended) > 0)
    return get (recommended);
  if (minimum != NULL && get (minimum) > 0)
    return get (minimum);
  return -1;
}

static gint64
get_n_cpus (OsinfoResources *r)
{
  return osinfo_resources_get_n_cpus (r);
}

static void
fill_resources (HvOsDefaults *d,
                OsinfoOs     *os,
                OsKind        kind)
{
  g_autoptr(OsinfoResourcesList) rec_list = osinfo_os_get_recommended_resources (os);
  g_autoptr(OsinfoResourcesList) min_list = osinfo_os_get_minimum_resources (os);
  OsinfoResources *rec = pick_resources (rec_list);
  OsinfoResources *min = pick_resources (min_list);
  gint64 ram = pick_figure (rec, min, osinfo_resources_get_ram);
  gint64 storage = pick_figure (rec, min, osinfo_resources_get_storage);
  gint64 n_cpus = pick_figure (rec, min, get_n_cpus);

  if (ram > 0)
    d->memory_mib = (guint64) ((ram + MIB - 1) / MIB);
  else
    d->memory_mib = kind == OS_KIND_DOS ? DOS_MEMORY_MIB : FALLBACK_MEMORY_MIB;
  d->memory_mib = CLAMP (d->memory_mib, HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB);

  if (storage > 0)
    d->disk_gib = (guint64) ((storage + GIB - 1) / GIB);
  else
    d->disk_gib = kind == OS_KIND_DOS ? DOS_DISK_GIB : FALLBACK_DISK_GIB;
  d->disk_gib = MAX (d->disk_gib, 1);

  d->cpus = n_cpus > 0 ? (guint) MIN (n_cpus, HV_CPUS_MAX) : 1;
}

/* The osinfo device names (e.g. "virtio-net", "qemu-x86-q35") of every device the OS has
 * a driver for, its ancestors' included. */
static GHashTable *
collect_device_names (OsinfoOs *os)
{
  g_autoptr(OsinfoDeviceList) devices = osinfo_os_get_all_devices (os, NULL);
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (devices)); i++)
    {
      OsinfoDevice *dev = OSINFO_DEVICE (osinfo_list_get_nth (OSINFO_LIST (devices), i));
      const char *name = osinfo_device_get_name (dev);

      if (name != NULL)
        g_hash_table_add (names, g_strdup (name));
    }
  return names;
}

static gboolean
has_any (GHashTable *names,
         const char *a,
         const char *b)
{
  return (a != NULL && g_hash_table_contains (names, a)) ||
         (b != NULL && g_hash_table_contains (names, b));
}

/* UEFI only when the database says BIOS is not supported on x86_64 (Windows 11). */
static HvFirmware
pick_firmware (OsinfoOs *os)
{
  g_autoptr(OsinfoFirmwareList) list = osinfo_os_get_complete_firmware_list (os, NULL);

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoFirmware *fw = OSINFO_FIRMWARE (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (g_strcmp0 (osinfo_firmware_get_architecture (fw), "x86_64") == 0 &&
          g_strcmp0 (osinfo_firmware_get_firmware_type (fw), "bios") == 0 &&
          !osinfo_firmware_is_supported (fw))
        return HV_FIRMWARE_UEFI;
    }
  return HV_FIRMWARE_BIOS;
}

static void
fill_hardware (HvOsDefaults *d,
               OsinfoOs     *os,
               OsKind        kind)
{
  g_autoptr(GHashTable) names = collect_device_names (os);
  gboolean virtio_blk = has_any (names, "virtio-block", "virtio1.0-block");

  d->firmware = pick_firmware (os);

  /* q35 when the database says the OS runs on it (the "qemu-x86-q35" chipset, listed from
   * Windows 7 and Debian 9 on, or a modern virtio 1.0 device), or when it needs UEFI;
   * otherwise the older i440FX pc machine, which every x86 OS knows. */
  if (kind == OS_KIND_MODERN &&
      (has_any (names, "qemu-x86-q35", NULL) ||
       has_any (names, "virtio1.0-net", "virtio1.0-block") ||
       d->firmware == HV_FIRMWARE_UEFI))
    d->machine = HV_MACHINE_Q35;
  else
    d->machine = HV_MACHINE_PC;

  if (virtio_blk && kind == OS_KIND_MODERN)
    d->disk_bus = HV_DRIVE_BUS_VIRTIO;
  else if (d->machine == HV_MACHINE_Q35)
    d->disk_bus = HV_DRIVE_BUS_SATA;
  else
    d->disk_bus = HV_DRIVE_BUS_IDE;

  for (guint i = 0; i < G_N_ELEMENTS (nic_preference) && d->nic_model == NULL; i++)
    {
      if (nic_preference[i].q35_only && d->machine != HV_MACHINE_Q35)
        continue;
      if (has_any (names, nic_preference[i].osinfo_names[0], nic_preference[i].osinfo_names[1]))
        d->nic_model = g_strdup (nic_preference[i].model);
    }
  if (d->nic_model == NULL)
    {
      /* Drivers these systems ship with: DOS packet drivers for the NE2000, the AMD PCnet
       * driver of Windows 9x/NT/2000, and Intel's e1000 for the rest (Linux since 2.4). */
      switch (kind)
        {
        case OS_KIND_DOS:
          d->nic_model = g_strdup ("ne2k_isa");
          break;
        case OS_KIND_WIN9X:
        case OS_KIND_OLD_WINNT:
          d->nic_model = g_strdup ("pcnet");
          break;
        case OS_KIND_MODERN:
        default:
          d->nic_model = g_strdup ("e1000");
          break;
        }
    }

  /* Windows 9x has a Cirrus Logic driver but none for the Bochs VBE adapter ("std"), so it
   * would be stuck at 640x480x16. virtio-gpu only where the OS lists it and the machine is
   * q35; everything else gets the VGA-compatible std adapter. */
  if (kind == OS_KIND_WIN9X)
    d->video = HV_VIDEO_CIRRUS;
  else if (kind == OS_KIND_MODERN && d->machine == HV_MACHINE_Q35 &&
           has_any (names, "virtio1.0-gpu", NULL))
    d->video = HV_VIDEO_VIRTIO;
  else
    d->video = HV_VIDEO_STD;
}

void
hv_os_defaults_free (HvOsDefaults *d)
{
  if (d == NULL)
    return;
  g_free (d->os_id);
  g_free (d->name);
  g_free (d->nic_model);
  g_free (d);
}

HvOsDefaults *
hv_osinfo_get_defaults (const char *os_id,
                        GError    **error)
{
  g_autoptr(OsinfoOs) os = NULL;
  g_autoptr(HvOsDefaults) d = NULL;
  OsKind kind;

  g_return_val_if_fail (os_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  os = *os_id != '\0' ? find_os (get_db (), os_id) : NULL;
  if (os == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   "The operating system \"%s\" is not in the osinfo database", os_id);
      return NULL;
    }

  kind = classify (os);
  d = g_new0 (HvOsDefaults, 1);
  d->os_id = g_strdup (os_id);
  d->name = g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (os)));
  fill_resources (d, os, kind);
  fill_hardware (d, os, kind);
  return g_steal_pointer (&d);
}

char *
hv_osinfo_detect_media (const char *path,
                        GError    **error)
{
  g_autoptr(OsinfoMedia) media = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(OsinfoOs) os = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Say plainly when the file itself is the problem; libosinfo's own message for a
   * missing file is a GIO one about a URI. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND, "%s does not exist", path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s is not a regular file", path);
      return NULL;
    }

  media = osinfo_media_create_from_location (path, NULL, &local_error);
  if (media == NULL)
    {
      /* Not ISO 9660 (a floppy or disk image), or an ISO without the metadata osinfo
       * matches on: nothing recognised, which is not an error. */
      if (local_error->domain == OSINFO_MEDIA_ERROR)
        return NULL;
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Could not read %s: %s", path,
                   local_error->message);
      return NULL;
    }

  if (!osinfo_db_identify_media (get_db (), media))
    return NULL;
  os = osinfo_media_get_os (media);  /* (transfer full) */
  if (os == NULL)
    return NULL;
  return g_strdup (osinfo_product_get_short_id (OSINFO_PRODUCT (os)));
}
