/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-osinfo.c: a new VM's defaults from the libosinfo database.
 *
 * libosinfo knows each OS's minimum and recommended resources and the virtual devices it
 * has drivers for ("devices", inherited along "derives-from"). The machine, disk bus, NIC
 * and video choices below are derived from that device list, with family rules for the
 * old systems whose entries list little or nothing (DOS, Windows 9x). */

#include "hv-osinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <osinfo/osinfo.h>
#include <string.h>
#include <unistd.h>

#include "hv-build-config.h"
#include "hv-error.h"

#define MIB (G_GINT64_CONSTANT (1024) * 1024)
#define GIB (MIB * 1024)

/* When the database gives no figure: a modern guest, or a DOS one. */
#define FALLBACK_MEMORY_MIB 1024
#define FALLBACK_DISK_GIB 16
#define DOS_MEMORY_MIB 32
#define DOS_DISK_GIB 1
/* Period figures were for real hardware (Windows 95 "recommends" 4 MiB); no guest gets less. */
#define MIN_DEFAULT_MEMORY_MIB 32

#define ISO_SECTOR_SIZE 2048
#define ISO_PVD_OFFSET (16 * ISO_SECTOR_SIZE)
#define DETECT_TIMEOUT_MS 30000

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

/* Hostvisor's own entries for OSes newer than the osinfo-db a distribution ships
 * (Debian 12's database predates Debian 12): $HOSTVISOR_OSINFO_DIR, else the installed
 * copy, else the source tree's. */
static char *
find_supplement_dir (void)
{
  const char *env = g_getenv ("HOSTVISOR_OSINFO_DIR");
  g_autofree char *installed = g_build_filename (HV_PKGDATADIR, "osinfo", NULL);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return g_build_filename (HV_SOURCE_RESOURCES_DIR, "osinfo", NULL);
}

/* The OS id an entry directory describes: the id of the first <os> in
 * DIR/os/<vendor>/<name>.xml, the layout libosinfo insists on. Our own files: a plain
 * string search is enough. */
static char *
supplement_entry_id (const char *entry_dir)
{
  g_autofree char *os_dir = g_build_filename (entry_dir, "os", NULL);
  g_autoptr(GDir) vendors = g_dir_open (os_dir, 0, NULL);
  const char *vendor;

  while (vendors != NULL && (vendor = g_dir_read_name (vendors)) != NULL)
    {
      g_autofree char *vendor_dir = g_build_filename (os_dir, vendor, NULL);
      g_autoptr(GDir) files = g_dir_open (vendor_dir, 0, NULL);
      const char *name;

      while (files != NULL && (name = g_dir_read_name (files)) != NULL)
        {
          g_autofree char *path = g_build_filename (vendor_dir, name, NULL);
          g_autofree char *text = NULL;
          const char *start, *end;

          if (!g_str_has_suffix (name, ".xml") || !g_file_get_contents (path, &text, NULL, NULL))
            continue;
          start = strstr (text, "<os id=\"");
          end = start != NULL ? strchr (start + 8, '"') : NULL;
          if (end != NULL)
            return g_strndup (start + 8, end - (start + 8));
        }
    }
  return NULL;
}

/* The supplement has one directory per OS; each is loaded only when the system database
 * does not know that OS already, so a newer system database always wins. */
static void
load_supplement (OsinfoLoader *loader,
                 const char   *dir)
{
  g_autoptr(GDir) entries = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (entries != NULL && (entry = g_dir_read_name (entries)) != NULL)
    {
      g_autofree char *entry_dir = g_build_filename (dir, entry, NULL);
      g_autofree char *id = supplement_entry_id (entry_dir);

      if (id != NULL && osinfo_db_get_os (osinfo_loader_get_db (loader), id) == NULL)
        osinfo_loader_process_path (loader, entry_dir, NULL);
    }
}

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
       * A load error is not fatal: whatever did load is used, and an id it lacks is
       * reported as not found. */
      OsinfoLoader *loader = osinfo_loader_new ();
      g_autofree char *supplement = find_supplement_dir ();

      osinfo_loader_process_default_path (loader, NULL);
      load_supplement (loader, supplement);
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
  d->memory_mib = CLAMP (d->memory_mib, MIN_DEFAULT_MEMORY_MIB, HV_MEMORY_MAX_MIB);

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

/* libosinfo reads ISO 9660 only. Look at the primary volume descriptor first: anything
 * else (a floppy or disk image) is "not recognised" without going further, and libosinfo
 * 1.10 never finishes reading an image whose root directory has length 0 (it asks GIO to
 * read into a NULL buffer, which fails with a critical and no callback), so such an image
 * is not passed on. */
static gboolean
looks_like_iso9660 (const char *path,
                    GError    **error)
{
  guchar pvd[ISO_SECTOR_SIZE];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HV_ERROR, saved_errno == ENOENT ? HV_ERROR_NOT_FOUND : HV_ERROR_IO,
                   "Could not open %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  n = pread (fd, pvd, sizeof pvd, ISO_PVD_OFFSET);
  close (fd);

  if (n != (ssize_t) sizeof pvd || pvd[0] != 1 || memcmp (pvd + 1, "CD001", 5) != 0)
    return FALSE;
  /* root directory record at 156; its data length, little-endian half, at +10 */
  return (pvd[166] | pvd[167] << 8 | pvd[168] << 16 | (guint32) pvd[169] << 24) != 0;
}

typedef struct {
  GAsyncResult *result;
  gboolean timed_out;
} DetectWait;

static void
detect_media_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DetectWait *wait = user_data;

  wait->result = g_object_ref (result);
}

static gboolean
detect_timeout_cb (gpointer user_data)
{
  DetectWait *wait = user_data;

  wait->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* osinfo_media_create_from_location(), with a time limit against images that make
 * libosinfo wait forever. It runs on a private main context; if the limit passes, that
 * context is never iterated again, so the abandoned request can never call back into
 * freed memory (it only leaks). */
static OsinfoMedia *
create_media (const char *path,
              GError    **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (DETECT_TIMEOUT_MS);
  DetectWait *wait = g_new0 (DetectWait, 1);
  OsinfoMedia *media;

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, detect_timeout_cb, wait, NULL);
  g_source_attach (timeout, context);
  /* No OSINFO_MEDIA_DETECT_REQUIRE_BOOTABLE (the default of the plain call): the aim is to
   * name the OS on a disc, and the volume descriptors say that whether or not it boots. */
  osinfo_media_create_from_location_with_flags_async (path, G_PRIORITY_DEFAULT, NULL,
                                                      detect_media_cb, 0, wait);
  while (wait->result == NULL && !wait->timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (wait->result == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_TIMEOUT, "Reading %s took too long", path);
      /* `wait` stays allocated: the abandoned request still points at it */
      return NULL;
    }
  media = osinfo_media_create_from_location_with_flags_finish (wait->result, error);
  g_object_unref (wait->result);
  g_free (wait);
  return media;
}

char *
hv_osinfo_detect_media (const char *path,
                        GError    **error)
{
  g_autoptr(OsinfoMedia) media = NULL;
  g_autoptr(OsinfoOs) os = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s is a folder, not an image file", path);
      return NULL;
    }
  if (!looks_like_iso9660 (path, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  media = create_media (path, &local_error);
  if (media == NULL)
    {
      /* An ISO without the metadata osinfo matches on: nothing recognised, not an error. */
      if (local_error->domain == OSINFO_MEDIA_ERROR)
        return NULL;
      if (local_error->domain == HV_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
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

static int
compare_os_names (gconstpointer a,
                  gconstpointer b)
{
  OsinfoOs *os_a = *(OsinfoOs * const *) a;
  OsinfoOs *os_b = *(OsinfoOs * const *) b;
  const char *name_a = osinfo_product_get_name (OSINFO_PRODUCT (os_a));
  const char *name_b = osinfo_product_get_name (OSINFO_PRODUCT (os_b));

  return g_utf8_collate (name_a != NULL ? name_a : "", name_b != NULL ? name_b : "");
}

GVariant *
hv_osinfo_list_oses (void)
{
  OsinfoDb *db = get_db ();
  g_autoptr(OsinfoOsList) list = osinfo_db_get_os_list (db);
  g_autoptr(GPtrArray) oses = g_ptr_array_new ();
  GVariantBuilder builder;

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (osinfo_product_get_short_id (OSINFO_PRODUCT (os)) != NULL &&
          osinfo_product_get_name (OSINFO_PRODUCT (os)) != NULL)
        g_ptr_array_add (oses, os);
    }
  g_ptr_array_sort (oses, compare_os_names);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sss)"));
  for (guint i = 0; i < oses->len; i++)
    {
      OsinfoProduct *p = OSINFO_PRODUCT (g_ptr_array_index (oses, i));
      const char *vendor = osinfo_product_get_vendor (p);

      g_variant_builder_add (&builder, "(sss)", osinfo_product_get_short_id (p),
                             osinfo_product_get_name (p), vendor != NULL ? vendor : "");
    }
  return g_variant_builder_end (&builder);
}
