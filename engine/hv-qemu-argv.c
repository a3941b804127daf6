/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-argv.c: the QEMU command line of a VM.
 *
 * hv_qemu_build_argv() calls one builder per concern in a fixed order, like libvirt's
 * qemu_command.c: identity, machine and accelerator, CPU and memory, firmware, boot,
 * kernel, hot-plug ports, drives, network, shared folders, display, console, QMP, agent.
 * Each builder
 * appends to the argv and fails with HV_ERROR_INVALID_ARGUMENT when the config
 * cannot be expressed. Nothing here reads files, the environment or the clock: the same inputs
 * always give the same argv, which tests/test-argv.c compares with golden files.
 *
 * Option syntax. Most QEMU options are "key=value,key=value" lists (QemuOpts or keyval)
 * in which a ',' inside a value is written ",,": every path that goes into such a value
 * passes through opt_escape(). -blockdev is given as JSON instead (see add_blockdev()),
 * because only JSON can say "backing": null. Values that are whole argv elements
 * (-kernel, -initrd, -append) are taken literally by QEMU and need no escaping.
 *
 * Ids the rest of the engine may rely on (QMP, hot-plug, media change):
 *   drive devices    "drive<N>"  (N = index in config->drives)
 *   block nodes      "drive<N>-file" (protocol), "drive<N>-format" (what the device uses)
 *   NIC devices      "nic<N>"   netdevs "net<N>"  (N = index in config->nics; a disabled
 *                    adapter has neither, and the others keep their numbers). The tap of a
 *                    bridged, host-only or internal adapter N is fd HV_QEMU_TAP_FD (N)
 *   UEFI nodes       "ovmf-code-format", "ovmf-vars-format" (on "ovmf-*-file")
 *   shared folders   9p: fsdevs "fs<N>", virtio-9p devices "share<N>", mount tags
 *                    "hvshare<N>" (N = index in config->shares); virtiofs: chardevs "vfs<N>",
 *                    vhost-user-fs devices "share<N>", tags "hvshare<N>", q35 hot-plug ports
 *                    "hvport<N>" (N = the share's slot, see hv_qemu_virtiofs_device_props()).
 *                    The agent learns which tag is which share name over its protocol: the
 *                    user's name never reaches QEMU
 *   guest RAM        "ram" (a shared memfd, only with virtiofs: virtiofsd maps it)
 *   chardevs         "qmp", "serial0", "agent"
 *   others           "video0", "usb", "tablet", "fdc0" (q35 only), "virtio-serial0" */

#include "hv-qemu-argv.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/un.h>

#include "hv-config.h"
#include "hv-error.h"
#include "hv-qemu-argv-legacy.h"

/* The agent's virtio-serial port name, as the guest tools look it up. */
#define HV_AGENT_PORT_NAME "io.github.hostvisor.agent.0"

/* q35 hot-plug ports for virtiofs shares: two multifunction slots of 8 root ports, high
 * enough that the devices QEMU places itself keep the addresses they have without them. */
#define HOTPLUG_PORT_FIRST_SLOT 0x1c

/* The pc machine's two IDE channels with two units each; q35's ICH9 AHCI has six ports
 * with one unit each. */
#define PC_IDE_SLOTS 4
#define Q35_AHCI_PORTS 6
#define FDC_UNITS 2

/* config->drives, config->nics and config->shares may be NULL: none of them */
#define N_DRIVES(config) ((config)->drives != NULL ? (config)->drives->len : 0)
#define N_NICS(config) ((config)->nics != NULL ? (config)->nics->len : 0)
#define N_SHARES(config) ((config)->shares != NULL ? (config)->shares->len : 0)

typedef struct {
  const HvVmConfig *config;
  const HvQemuCaps *caps;
  const HvQemuPaths *paths;
  GPtrArray *argv;            /* char*, owned, not NULL-terminated until the end */
  HvShareTransport transport; /* HV_SHARE_TRANSPORT_9P or _VIRTIOFS */
  gboolean kvm;               /* hv_qemu_uses_kvm() */

  /* UEFI boot order as bootindex values (0 = not in the boot order), see plan_bootindex() */
  int *drive_bootindex;
  int *nic_bootindex;
} HvArgvBuilder;

static void
argv_add (HvArgvBuilder *b,
          const char    *arg)
{
  g_ptr_array_add (b->argv, g_strdup (arg));
}

/* Add an option and its value as two argv elements: "-m" "1024". */
static void G_GNUC_PRINTF (3, 4)
argv_add_opt (HvArgvBuilder *b,
              const char    *option,
              const char    *value_format,
              ...)
{
  va_list args;

  argv_add (b, option);
  va_start (args, value_format);
  g_ptr_array_add (b->argv, g_strdup_vprintf (value_format, args));
  va_end (args);
}

/* QemuOpts and keyval end a value at ',' unless it is doubled. */
static char *
opt_escape (const char *value)
{
  GString *out = g_string_sized_new (strlen (value) + 8);

  for (const char *p = value; *p; p++)
    {
      if (*p == ',')
        g_string_append_c (out, ',');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The MAC address and the UUID go into option text, so the builder checks their syntax
 * itself instead of trusting that the config was validated. */
static gboolean
is_mac_text (const char *mac)
{
  if (mac == NULL || strlen (mac) != 17)
    return FALSE;
  for (guint i = 0; i < 17; i++)
    {
      if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit (mac[i]))
        return FALSE;
    }
  return TRUE;
}

/* Relative paths in the config are relative to the VM's directory. Canonicalizing only
 * rewrites the text ("a/../b" → "b"); it does not touch the file system. */
static char *
resolve_path (HvArgvBuilder *b,
              const char    *path)
{
  return g_canonicalize_filename (path, b->paths->vm_dir);
}

/* A UNIX socket path that does not fit sun_path makes QEMU fail at start with a vaguer
 * message; say it here. */
static char *
socket_path (HvArgvBuilder *b,
             const char    *name,
             GError       **error)
{
  g_autofree char *path = g_build_filename (b->paths->run_dir, name, NULL);

  if (strlen (path) >= sizeof (((struct sockaddr_un *) NULL)->sun_path))
    {
      hv_refuse (error, "The socket path %s is too long for a UNIX socket", path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* -blockdev as JSON: the keyval form cannot express "backing": null (it reads "null" as a
 * node name, and "backing=" is deprecated in QEMU 7.2), and JSON needs no comma escaping. */
static void
add_blockdev (HvArgvBuilder *b,
              JsonBuilder   *json)
{
  g_autoptr(JsonNode) root = json_builder_get_root (json);

  argv_add (b, "-blockdev");
  g_ptr_array_add (b->argv, json_to_string (root, FALSE));
}

/* Two nodes per image: the protocol node reads the file, the format node on top of it
 * interprets it with an explicit driver, so QEMU never probes the format. A qcow2 image's
 * backing is @backing_node (a format node added before), or none at all. */
static void
add_image_nodes (HvArgvBuilder *b,
                 const char    *node_prefix,
                 const char    *filename,
                 HvDiskFormat   format,
                 gboolean       readonly,
                 const char    *backing_node)
{
  g_autofree char *file_node = g_strdup_printf ("%s-file", node_prefix);
  g_autofree char *format_node = g_strdup_printf ("%s-format", node_prefix);
  g_autoptr(JsonBuilder) file = json_builder_new ();
  g_autoptr(JsonBuilder) fmt = json_builder_new ();

  json_builder_begin_object (file);
  json_builder_set_member_name (file, "driver");
  json_builder_add_string_value (file, "file");
  json_builder_set_member_name (file, "filename");
  json_builder_add_string_value (file, filename);
  json_builder_set_member_name (file, "node-name");
  json_builder_add_string_value (file, file_node);
  json_builder_set_member_name (file, "read-only");
  json_builder_add_boolean_value (file, readonly);
  json_builder_end_object (file);
  add_blockdev (b, file);

  json_builder_begin_object (fmt);
  json_builder_set_member_name (fmt, "driver");
  json_builder_add_string_value (fmt, format == HV_DISK_FORMAT_QCOW2 ? "qcow2" : "raw");
  json_builder_set_member_name (fmt, "file");
  json_builder_add_string_value (fmt, file_node);
  json_builder_set_member_name (fmt, "node-name");
  json_builder_add_string_value (fmt, format_node);
  json_builder_set_member_name (fmt, "read-only");
  json_builder_add_boolean_value (fmt, readonly);
  if (format == HV_DISK_FORMAT_QCOW2)
    {
      /* Without this QEMU opens whatever backing file the image header names, probing its
       * format: a guest-writable image could point it at any host file. The only backing an
       * image gets is the node of the base the engine set in the config (linked clones). */
      json_builder_set_member_name (fmt, "backing");
      if (backing_node != NULL)
        json_builder_add_string_value (fmt, backing_node);
      else
        json_builder_add_null_value (fmt);
    }
  json_builder_end_object (fmt);
  add_blockdev (b, fmt);
}

/* -name, -uuid and the options that keep QEMU from adding anything we did not ask for. */
static gboolean
build_identity (HvArgvBuilder *b,
                GError       **error)
{
  const char *uuid = b->config->uuid;

  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    return hv_refuse (error, "The VM's UUID is not valid");

  /* The guest name is derived from the UUID, never from the user's name: a name may hold
   * ',' or '=' and must not become option text (it also names QEMU's threads). */
  argv_add_opt (b, "-name", "guest=hv-%s,debug-threads=on", uuid);
  argv_add_opt (b, "-uuid", "%s", uuid);
  /* No /etc/qemu config files, no default devices (NIC, VGA, serial, parallel, CD-ROM,
   * monitor), and the CPUs stopped until the engine sends "cont" over QMP. */
  argv_add (b, "-no-user-config");
  argv_add (b, "-nodefaults");
  argv_add (b, "-S");
  argv_add_opt (b, "-msg", "timestamp=on");
  return TRUE;
}

static gboolean
build_sandbox (HvArgvBuilder *b,
               GError       **error)
{
  if (!b->caps->seccomp)
    return TRUE;
  /* QEMU needs none of these after start: no obsolete syscalls, no setuid, no fork/exec
   * (so no helper scripts: networking must stay user-mode or fd-passed), no scheduler or
   * affinity changes. */
  argv_add_opt (b, "-sandbox",
                "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  return TRUE;
}

gboolean
hv_qemu_uses_kvm (const HvVmConfig *config,
                  const HvQemuCaps *caps)
{
  g_return_val_if_fail (config != NULL && caps != NULL, FALSE);

  /* The CPU speed limit exists under TCG only; a VM set to "kvm" with it is refused. */
  if (config->hw.icount && config->acceleration != HV_ACCELERATION_KVM)
    return FALSE;
  switch (config->acceleration)
    {
    case HV_ACCELERATION_TCG:
      return FALSE;
    case HV_ACCELERATION_KVM:
      /* What the user asked for: build_machine() refuses it when KVM cannot be used. */
      return TRUE;
    case HV_ACCELERATION_AUTO:
    default:
      return caps->kvm;
    }
}

static gboolean
build_machine (HvArgvBuilder *b,
               GError       **error)
{
  const char *machine = hv_machine_to_string (b->config->machine);
  g_autoptr(GString) props = g_string_new (NULL);
  const char *pinned = b->config->machine_type;
  const char *accel = b->kvm ? "kvm" : "tcg";
  /* virtiofsd reads and writes the guest's buffers in place: it maps the guest RAM, which
   * must therefore be a shared file (see build_cpu_memory()). */
  const char *ram = b->transport == HV_SHARE_TRANSPORT_VIRTIOFS ? ",memory-backend=ram" : "";

  /* The start path refuses this first, with the engine's reason (hv-vm-accel.c). */
  if (b->kvm && !b->caps->kvm)
    return hv_refuse (error, "This VM is set to use KVM, which cannot be used on this computer");
  if (machine == NULL)
    return hv_refuse (error, "Unknown machine");
  if (!hv_qemu_legacy_check_machine (b->config, b->kvm, error))
    return FALSE;
  hv_qemu_legacy_machine_props (b->config, props);

  /* A pinned VM gets its versioned type (saved states and snapshots load only on it), which
   * goes into option text: checked here too. */
  if (pinned != NULL)
    {
      const char *current = hv_qemu_caps_machine_alias (b->caps, b->config->machine);

      if (!hv_machine_type_check (b->config->machine, pinned, error))
        return FALSE;
      if (hv_qemu_caps_knows_machine_types (b->caps) &&
          !hv_qemu_caps_has_machine_type (b->caps, pinned))
        return hv_refuse (error, "This VM uses the machine type %s, which QEMU %u.%u.%u does not "
                          "have (its %s is %s): its saved state and snapshots load only on %s, "
                          "so it needs a QEMU that has that machine type",
                          pinned, b->caps->version_major, b->caps->version_minor,
                          b->caps->version_micro, machine, current != NULL ? current : "unknown",
                          pinned);
      machine = pinned;
    }

  if (b->config->firmware == HV_FIRMWARE_UEFI)
    {
      /* The flash images are attached through machine properties naming -blockdev nodes
       * (see build_firmware()); the old "-drive if=pflash" form would create anonymous
       * block backends with legacy options. */
      argv_add_opt (b, "-machine", "%s,accel=%s,pflash0=ovmf-code-format,"
                    "pflash1=ovmf-vars-format%s%s", machine, accel, ram, props->str);
    }
  else
    {
      argv_add_opt (b, "-machine", "%s,accel=%s%s%s", machine, accel, ram, props->str);
    }
  return TRUE;
}

static gboolean
build_cpu_memory (HvArgvBuilder *b,
                  GError       **error)
{
  const HvVmConfig *config = b->config;
  const char *cpu;

  if (config->memory_mib < HV_MEMORY_MIN_MIB || config->memory_mib > HV_MEMORY_MAX_MIB)
    return hv_refuse (error, "The memory size %" G_GUINT64_FORMAT " MiB is out of range",
                      config->memory_mib);
  if (config->cpus < 1 || config->cpus > HV_CPUS_MAX)
    return hv_refuse (error, "The number of CPUs %u is out of range", config->cpus);

  /* With KVM the guest sees the host's CPU. Under TCG, "max" (every feature TCG emulates)
   * suits modern guests, some of which need x86-64-v2 (SSE4.2, POPCNT) that "qemu64"
   * lacks; the pc machine is chosen for old guests (DOS, Windows 9x/XP), which are safer
   * with "qemu64", QEMU's long-standing default model, than with CPUID leaves they have
   * never seen. */
  if (hv_qemu_legacy_cpu_model (config, b->kvm) != NULL)
    cpu = hv_qemu_legacy_cpu_model (config, b->kvm);   /* the VM's own model */
  else if (b->kvm)
    cpu = "host";
  else if (config->machine == HV_MACHINE_Q35)
    cpu = "max";
  else
    cpu = "qemu64";

  argv_add_opt (b, "-cpu", "%s", cpu);
  if (b->transport == HV_SHARE_TRANSPORT_VIRTIOFS)
    {
      /* An anonymous memfd shared with the vhost-user back ends (QEMU passes its fd to each
       * virtiofsd); no file in any directory. Its size must equal -m, which stays for
       * clarity. */
      argv_add_opt (b, "-object", "memory-backend-memfd,id=ram,size=%" G_GUINT64_FORMAT
                    "M,share=on", config->memory_mib);
    }
  argv_add_opt (b, "-m", "%" G_GUINT64_FORMAT, config->memory_mib);
  argv_add_opt (b, "-smp", "%u", config->cpus);
  return TRUE;
}

static gboolean
build_firmware (HvArgvBuilder *b,
                GError       **error)
{
  g_autofree char *vars = NULL;

  if (b->config->firmware != HV_FIRMWARE_UEFI)
    return TRUE;  /* SeaBIOS is QEMU's built-in default */

  if (b->caps->ovmf_code == NULL)
    return hv_refuse (error, "UEFI firmware (OVMF) was not found on this computer; "
                      "install the ovmf package or use BIOS firmware");

  /* The code image is shared by all VMs and read-only; the variable store is the VM's own
   * copy (the engine copies caps->ovmf_vars_template there before the first start). */
  vars = g_build_filename (b->paths->vm_dir, "nvram.fd", NULL);
  add_image_nodes (b, "ovmf-code", b->caps->ovmf_code, HV_DISK_FORMAT_RAW, TRUE, NULL);
  add_image_nodes (b, "ovmf-vars", vars, HV_DISK_FORMAT_RAW, FALSE, NULL);
  return TRUE;
}

/* Work out the UEFI boot order as bootindex values. OVMF ignores "-boot order" (that only
 * sets SeaBIOS's CMOS boot bytes) and reads the bootorder file QEMU builds from the
 * devices' bootindex properties. Letters are taken in order; each stands for all the
 * devices of its kind, in config order. OVMF cannot boot from floppies, so 'a' is skipped. */
static void
plan_bootindex (HvArgvBuilder *b)
{
  const HvVmConfig *config = b->config;
  const char *order = config->boot_order != NULL ? config->boot_order : "";
  int next = 1;

  b->drive_bootindex = g_new0 (int, N_DRIVES (config) + 1);
  b->nic_bootindex = g_new0 (int, N_NICS (config) + 1);

  if (config->firmware != HV_FIRMWARE_UEFI)
    return;

  for (const char *p = order; *p; p++)
    {
      HvDriveKind kind;

      if (*p == 'n')
        {
          for (guint i = 0; i < N_NICS (config); i++)
            {
              const HvNic *nic = g_ptr_array_index (config->nics, i);

              if (nic == NULL || nic->enabled)
                b->nic_bootindex[i] = next++;
            }
          continue;
        }
      if (*p == 'c')
        kind = HV_DRIVE_DISK;
      else if (*p == 'd')
        kind = HV_DRIVE_CDROM;
      else
        continue;

      for (guint i = 0; i < N_DRIVES (config); i++)
        {
          const HvDrive *drive = g_ptr_array_index (config->drives, i);

          if (drive->kind == kind)
            b->drive_bootindex[i] = next++;
        }
    }
}

static gboolean
build_boot (HvArgvBuilder *b,
            GError       **error)
{
  const char *order = b->config->boot_order != NULL ? b->config->boot_order : "";

  for (const char *p = order; *p; p++)
    {
      if (strchr ("acdn", *p) == NULL)
        return hv_refuse (error, "The boot order \"%s\" may only hold the letters a, c, d and n",
                          order);
      if (strchr (p + 1, *p) != NULL)
        return hv_refuse (error, "The boot order \"%s\" names '%c' twice", order, *p);
    }

  plan_bootindex (b);

  /* The menu stays off so a start never waits for a key press. */
  if (b->config->firmware == HV_FIRMWARE_BIOS && *order != '\0')
    argv_add_opt (b, "-boot", "order=%s,menu=off", order);
  else
    argv_add_opt (b, "-boot", "menu=off");
  return TRUE;
}

static gboolean
build_kernel (HvArgvBuilder *b,
              GError       **error)
{
  const HvVmConfig *config = b->config;
  gboolean has_kernel = config->kernel != NULL && *config->kernel != '\0';
  gboolean has_initrd = config->initrd != NULL && *config->initrd != '\0';
  gboolean has_cmdline = config->cmdline != NULL && *config->cmdline != '\0';

  if (!has_kernel)
    {
      if (has_initrd || has_cmdline)
        return hv_refuse (error, "An initrd or a kernel command line needs a kernel");
      return TRUE;
    }
  if (has_cmdline && strlen (config->cmdline) > HV_CMDLINE_MAX)
    return hv_refuse (error, "The kernel command line is longer than %d bytes", HV_CMDLINE_MAX);

  /* Each value is a whole argv element that QEMU takes literally: no comma escaping. */
  argv_add (b, "-kernel");
  g_ptr_array_add (b->argv, resolve_path (b, config->kernel));
  if (has_initrd)
    {
      argv_add (b, "-initrd");
      g_ptr_array_add (b->argv, resolve_path (b, config->initrd));
    }
  if (has_cmdline)
    argv_add_opt (b, "-append", "%s", config->cmdline);
  return TRUE;
}

/* IDE slots in the order each kind of drive takes them on the pc machine: disks from the
 * primary master on, CD-ROMs from the secondary master on (where Windows 9x and most
 * installers expect them). A slot is ide.<slot / 2>, unit <slot % 2>. */
static const guint pc_disk_slots[PC_IDE_SLOTS] = { 0, 1, 2, 3 };
static const guint pc_cdrom_slots[PC_IDE_SLOTS] = { 2, 3, 0, 1 };

static gboolean
check_drive (HvArgvBuilder *b,
             guint          n,
             const HvDrive *drive,
             GError       **error)
{
  gboolean has_path;

  if (drive == NULL)
    return hv_refuse (error, "drive %u is missing", n + 1);
  has_path = drive->path != NULL && *drive->path != '\0';

  if ((drive->kind == HV_DRIVE_FLOPPY) != (drive->bus == HV_DRIVE_BUS_FDC))
    return hv_refuse (error, "drive %u: floppy drives, and only they, go on the fdc bus", n + 1);
  if (drive->bus == HV_DRIVE_BUS_SATA && b->config->machine != HV_MACHINE_Q35)
    return hv_refuse (error, "drive %u: the sata bus needs the q35 machine", n + 1);
  if (drive->kind == HV_DRIVE_CDROM && drive->bus == HV_DRIVE_BUS_VIRTIO)
    return hv_refuse (error, "drive %u: a CD-ROM cannot be on the virtio bus", n + 1);
  if (drive->bus == HV_DRIVE_BUS_VIRTIO && b->config->machine == HV_MACHINE_ISAPC)
    return hv_refuse (error, "drive %u: the isapc machine has no PCI bus for virtio disks", n + 1);
  if (drive->kind == HV_DRIVE_DISK && !has_path)
    return hv_refuse (error, "drive %u: a disk needs an image file", n + 1);
  /* ide-hd refuses a read-only backend ("Can't use a read-only drive"); virtio-blk and
   * floppies report write protection to the guest. */
  if (drive->kind == HV_DRIVE_DISK && drive->readonly && drive->bus != HV_DRIVE_BUS_VIRTIO)
    return hv_refuse (error, "drive %u: a read-only disk needs the virtio bus", n + 1);
  if (has_path && !g_utf8_validate (drive->path, -1, NULL))
    return hv_refuse (error, "drive %u: the path is not valid UTF-8", n + 1);
  if (drive->backing != NULL)
    {
      if (drive->kind != HV_DRIVE_DISK || drive->format != HV_DISK_FORMAT_QCOW2
          || drive->readonly || !has_path)
        return hv_refuse (error, "drive %u: only a writable qcow2 disk can have a backing image",
                          n + 1);
      if (!g_path_is_absolute (drive->backing) || !g_utf8_validate (drive->backing, -1, NULL))
        return hv_refuse (error, "drive %u: the backing image path is not an absolute UTF-8 path",
                          n + 1);
    }
  return TRUE;
}

static gboolean
build_drives (HvArgvBuilder *b,
              GError       **error)
{
  const HvVmConfig *config = b->config;
  gboolean pc_slot_used[PC_IDE_SLOTS] = { FALSE, };
  guint ahci_ports = 0;
  guint fdc_units = 0;
  gboolean fdc_added = FALSE;

  for (guint n = 0; n < N_DRIVES (config); n++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, n);
      g_autoptr(GString) dev = g_string_new (NULL);
      g_autofree char *prefix = g_strdup_printf ("drive%u", n);

      if (!check_drive (b, n, drive, error))
        return FALSE;

      if (drive->path != NULL && *drive->path != '\0')
        {
          g_autofree char *filename = resolve_path (b, drive->path);
          g_autofree char *base_prefix = NULL;
          g_autofree char *base_node = NULL;

          if (drive->backing != NULL)
            {
              /* A linked clone: the base the engine made, as its own read-only pair of nodes
               * (its own header's backing never followed), named as the overlay's backing. */
              base_prefix = g_strdup_printf ("drive%u-base", n);
              base_node = g_strdup_printf ("%s-format", base_prefix);
              add_image_nodes (b, base_prefix, drive->backing, HV_DISK_FORMAT_QCOW2, TRUE, NULL);
            }
          add_image_nodes (b, prefix, filename, drive->format,
                           drive->readonly || drive->kind == HV_DRIVE_CDROM, base_node);
        }

      switch (drive->bus)
        {
        case HV_DRIVE_BUS_IDE:
        case HV_DRIVE_BUS_SATA:
          g_string_append (dev, drive->kind == HV_DRIVE_CDROM ? "ide-cd" : "ide-hd");
          if (config->machine == HV_MACHINE_Q35)
            {
              /* The ICH9 AHCI controller is built into q35; its ports are buses ide.0-5. */
              if (ahci_ports == Q35_AHCI_PORTS)
                return hv_refuse (error, "drive %u: the q35 machine has only %d SATA ports",
                                  n + 1, Q35_AHCI_PORTS);
              g_string_append_printf (dev, ",bus=ide.%u", ahci_ports++);
            }
          else
            {
              const guint *slots = drive->kind == HV_DRIVE_CDROM ? pc_cdrom_slots
                                                                  : pc_disk_slots;
              guint slot = PC_IDE_SLOTS;

              for (guint i = 0; i < PC_IDE_SLOTS && slot == PC_IDE_SLOTS; i++)
                {
                  if (!pc_slot_used[slots[i]])
                    slot = slots[i];
                }
              if (slot == PC_IDE_SLOTS)
                return hv_refuse (error, "drive %u: the pc machine has only %d IDE units",
                                  n + 1, PC_IDE_SLOTS);
              pc_slot_used[slot] = TRUE;
              g_string_append_printf (dev, ",bus=ide.%u,unit=%u", slot / 2, slot % 2);
            }
          break;

        case HV_DRIVE_BUS_VIRTIO:
          g_string_append (dev, "virtio-blk-pci");
          break;

        case HV_DRIVE_BUS_FDC:
          if (fdc_units == FDC_UNITS)
            return hv_refuse (error, "drive %u: there are at most %d floppy drives", n + 1,
                              FDC_UNITS);
          g_string_append (dev, "floppy");
          if (config->machine == HV_MACHINE_Q35)
            {
              /* q35 has no floppy controller of its own (QEMU: "No 'floppy-bus' bus found
               * for device 'floppy'"), so add one on its LPC ISA bus. */
              if (!fdc_added)
                {
                  argv_add_opt (b, "-device", "isa-fdc,id=fdc0");
                  fdc_added = TRUE;
                }
              g_string_append (dev, ",bus=fdc0.0");
            }
          /* On pc the i440FX machine always creates its ISA floppy controller, even with
           * -nodefaults (checked with QEMU 7.2: "info qtree" shows isa-fdc with the floppy
           * on floppy-bus.0), so the floppy finds its bus without naming it. */
          g_string_append_printf (dev, ",unit=%u", fdc_units++);
          break;

        default:
          return hv_refuse (error, "drive %u: unknown bus", n + 1);
        }

      if (drive->path != NULL && *drive->path != '\0')
        g_string_append_printf (dev, ",drive=%s-format", prefix);
      /* else an empty CD-ROM or floppy drive: no medium until the engine inserts one */
      g_string_append_printf (dev, ",id=%s", prefix);
      if (b->drive_bootindex[n] > 0)
        g_string_append_printf (dev, ",bootindex=%d", b->drive_bootindex[n]);

      argv_add_opt (b, "-device", "%s", dev->str);
    }
  return TRUE;
}

static const struct {
  const char *model;      /* as in the config */
  const char *device;     /* QEMU's device */
} nic_models[] = {
  { "virtio-net", "virtio-net-pci" },
  { "e1000", "e1000" },
  { "e1000e", "e1000e" },
  { "rtl8139", "rtl8139" },
  { "pcnet", "pcnet" },
  { "ne2k_pci", "ne2k_pci" },
  { "ne2k_isa", "ne2k_isa" },
};

static gboolean
build_network (HvArgvBuilder *b,
               GError       **error)
{
  const HvVmConfig *config = b->config;
  gboolean have_isa_nic = FALSE;

  for (guint n = 0; n < N_NICS (config); n++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, n);
      g_autoptr(GString) dev = g_string_new (NULL);
      const char *device = NULL;

      if (nic == NULL)
        return hv_refuse (error, "adapter %u is missing", n + 1);
      if (!nic->enabled)
        continue;   /* its settings are kept, but the VM has no such card */
      for (guint i = 0; i < G_N_ELEMENTS (nic_models) && device == NULL; i++)
        {
          if (g_strcmp0 (nic->model, nic_models[i].model) == 0)
            device = nic_models[i].device;
        }
      if (device == NULL)
        return hv_refuse (error, "adapter %u: unknown model", n + 1);
      if (!is_mac_text (nic->mac))
        return hv_refuse (error, "adapter %u: the MAC address is not valid", n + 1);

      g_string_append (dev, device);
      if (g_str_equal (device, "ne2k_isa"))
        {
          if (config->machine == HV_MACHINE_Q35)
            return hv_refuse (error, "adapter %u: the ne2k_isa model needs the pc machine "
                              "(or isapc)", n + 1);
          if (have_isa_nic)
            return hv_refuse (error, "adapter %u: only one ne2k_isa adapter fits", n + 1);
          have_isa_nic = TRUE;
          /* The NE2000's classic jumper setting, 0x300 and IRQ 3, which DOS packet
           * drivers are usually set up with ("ne2000 0x60 3 0x300"). IRQ 3 is free: with
           * -nodefaults there is no COM2. QEMU's default IRQ 9 is the PIIX4's ACPI SCI,
           * and 10 and 11 carry the PCI interrupts. */
          g_string_append (dev, ",iobase=0x300,irq=3");
        }
      else if (config->machine == HV_MACHINE_ISAPC)
        return hv_refuse (error, "adapter %u: the isapc machine has no PCI bus; its network card "
                          "is ne2k_isa", n + 1);
      g_string_append_printf (dev, ",id=nic%u", n);

      switch (nic->mode)
        {
        case HV_NET_NAT:
          argv_add_opt (b, "-netdev", "user,id=net%u", n);
          g_string_append_printf (dev, ",netdev=net%u", n);
          break;

        case HV_NET_NONE:
          /* "Not attached": the adapter exists but has no backend. QEMU warns "nic nicN
           * has no peer" and drops its packets. The engine also sets "set_link nicN off"
           * over QMP before "cont" (hv-vm-network.c) so the guest sees the cable unplugged;
           * there is no command-line property for the link state. */
          break;

        case HV_NET_BRIDGED:
        case HV_NET_HOST_ONLY:
        case HV_NET_INTERNAL:
          /* A tap the engine opened (hv_networks_attach_async()) and handed down at a fixed
           * fd number: under -sandbox spawn=deny QEMU could run neither a bridge helper
           * nor a script to make one itself. */
          argv_add_opt (b, "-netdev", "tap,id=net%u,fd=%d", n, HV_QEMU_TAP_FD (n));
          g_string_append_printf (dev, ",netdev=net%u", n);
          break;

        default:
          return hv_refuse (error, "adapter %u: unknown mode", n + 1);
        }

      g_string_append_printf (dev, ",mac=%s", nic->mac);
      if (b->nic_bootindex[n] > 0)
        g_string_append_printf (dev, ",bootindex=%d", b->nic_bootindex[n]);
      argv_add_opt (b, "-device", "%s", dev->str);
    }
  return TRUE;
}

/* A path that goes into option text must be one line of valid UTF-8: QEMU would take a
 * newline literally, but a log line or golden file could not show it. */
static gboolean
is_option_path (const char *path)
{
  if (path == NULL || !g_path_is_absolute (path) || !g_utf8_validate (path, -1, NULL))
    return FALSE;
  for (const char *p = path; *p; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return FALSE;
    }
  return TRUE;
}

/* On q35 only devices behind a root port can come and go while the guest runs (QEMU 7.2
 * hot-plugs them through ACPI), so a VM with virtiofs shares gets one port per possible
 * share, used or not: a share added later needs a free one. io-reserve=0 because virtio
 * 1.0 devices have no I/O BARs, and 16 ports reserving 4 KiB of the 64 KiB I/O space each
 * would exhaust it in the firmware. */
static gboolean
build_hotplug_ports (HvArgvBuilder *b,
                     GError       **error)
{
  if (b->transport != HV_SHARE_TRANSPORT_VIRTIOFS || b->config->machine != HV_MACHINE_Q35)
    return TRUE;

  for (guint n = 0; n < HV_MAX_SHARES; n++)
    {
      guint slot = HOTPLUG_PORT_FIRST_SLOT + n / 8;
      guint function = n % 8;

      /* chassis numbers identify the hot-plug slots to the guest: unique per port */
      argv_add_opt (b, "-device", "pcie-root-port,id=hvport%u,bus=pcie.0,chassis=%u,"
                    "addr=0x%x.%u%s,io-reserve=0", n, n + 1, slot, function,
                    function == 0 ? ",multifunction=on" : "");
    }
  return TRUE;
}

HvShareTransport
hv_qemu_share_transport (const HvVmConfig *config,
                         const HvQemuCaps *caps)
{
  g_return_val_if_fail (config != NULL && caps != NULL, HV_SHARE_TRANSPORT_9P);

  if (caps->virtiofsd == NULL)
    return HV_SHARE_TRANSPORT_9P;
  switch (config->share_transport)
    {
    case HV_SHARE_TRANSPORT_VIRTIOFS:
      return HV_SHARE_TRANSPORT_VIRTIOFS;
    case HV_SHARE_TRANSPORT_AUTO:
      return config->machine == HV_MACHINE_Q35 ? HV_SHARE_TRANSPORT_VIRTIOFS
                                               : HV_SHARE_TRANSPORT_9P;
    case HV_SHARE_TRANSPORT_9P:
    default:
      return HV_SHARE_TRANSPORT_9P;
    }
}

char *
hv_qemu_virtiofs_socket_path (const char *run_dir,
                              guint       slot)
{
  g_autofree char *name = g_strdup_printf ("vfs%u.sock", slot);

  return g_build_filename (run_dir, name, NULL);
}

char **
hv_qemu_virtiofs_device_props (const HvVmConfig *config,
                               guint             slot)
{
  g_autoptr(GPtrArray) props = g_ptr_array_new ();

  g_ptr_array_add (props, g_strdup ("driver"));
  g_ptr_array_add (props, g_strdup ("vhost-user-fs-pci"));
  g_ptr_array_add (props, g_strdup ("id"));
  g_ptr_array_add (props, g_strdup_printf ("share%u", slot));
  g_ptr_array_add (props, g_strdup ("chardev"));
  g_ptr_array_add (props, g_strdup_printf ("vfs%u", slot));
  /* The tag is a short fixed name, never the user's (see build_shares()). */
  g_ptr_array_add (props, g_strdup ("tag"));
  g_ptr_array_add (props, g_strdup_printf ("hvshare%u", slot));
  if (config->machine == HV_MACHINE_Q35)
    {
      g_ptr_array_add (props, g_strdup ("bus"));
      g_ptr_array_add (props, g_strdup_printf ("hvport%u", slot));
    }
  g_ptr_array_add (props, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&props), FALSE);
}

/* One virtiofsd per share, started by the engine before QEMU (hv-virtiofsd.c): it listens
 * on run_dir/vfs<N>.sock and QEMU connects to it. */
static gboolean
build_virtiofs_share (HvArgvBuilder *b,
                      guint          n,
                      GError       **error)
{
  g_autofree char *sock = hv_qemu_virtiofs_socket_path (b->paths->run_dir, n);
  g_autofree char *sock_escaped = NULL;
  g_auto(GStrv) props = NULL;
  g_autoptr(GString) dev = g_string_new (NULL);

  if (strlen (sock) >= sizeof (((struct sockaddr_un *) NULL)->sun_path))
    return hv_refuse (error, "The socket path %s is too long for a UNIX socket", sock);
  sock_escaped = opt_escape (sock);
  argv_add_opt (b, "-chardev", "socket,id=vfs%u,path=%s", n, sock_escaped);

  props = hv_qemu_virtiofs_device_props (b->config, n);
  g_string_append (dev, props[1]);
  for (guint i = 2; props[i] != NULL && props[i + 1] != NULL; i += 2)
    {
      g_autofree char *value = opt_escape (props[i + 1]);

      g_string_append_printf (dev, ",%s=%s", props[i], value);
    }
  argv_add_opt (b, "-device", "%s", dev->str);
  return TRUE;
}

static gboolean
build_shares (HvArgvBuilder *b,
              GError       **error)
{
  const HvVmConfig *config = b->config;

  if (N_SHARES (config) > HV_MAX_SHARES)
    return hv_refuse (error, "There are more than %d shared folders", HV_MAX_SHARES);
  if (N_SHARES (config) > 0 && config->machine == HV_MACHINE_ISAPC)
    return hv_refuse (error, "The isapc machine has no PCI bus for shared folders");

  for (guint n = 0; n < N_SHARES (config); n++)
    {
      const HvShare *share = g_ptr_array_index (config->shares, n);
      g_autofree char *path = NULL;

      if (share == NULL)
        return hv_refuse (error, "shared folder %u is missing", n + 1);
      /* Unlike drive images, share paths are never relative to the VM's directory. */
      if (!is_option_path (share->path))
        return hv_refuse (error, "shared folder %u: the path must be an absolute path on one line "
                          "of UTF-8 text", n + 1);

      if (b->transport == HV_SHARE_TRANSPORT_VIRTIOFS)
        {
          /* The path goes to virtiofsd, not to QEMU; read-only is enforced there too. */
          if (!build_virtiofs_share (b, n, error))
            return FALSE;
          continue;
        }

      /* mapped-xattr: QEMU runs as the user and cannot give files other owners or modes,
       * so the guest's owner, mode and special files are kept in user.virtfs.* extended
       * attributes of the host files (the host file system must support user xattrs).
       * The guest never gets the host's uid/gid semantics, and a guest root cannot create
       * a setuid file or device node that is real on the host. readonly=on makes QEMU
       * refuse every write with EROFS, whatever the guest's mount options say. */
      path = opt_escape (share->path);
      argv_add_opt (b, "-fsdev", "local,id=fs%u,path=%s,security_model=mapped-xattr%s",
                    n, path, share->readonly ? ",readonly=on" : "");
      /* The tag is a short fixed name, never the user's: it goes into QEMU option text and
       * the guest's sysfs, and the agent maps it to the share's name. */
      argv_add_opt (b, "-device", "virtio-9p-pci,id=share%u,fsdev=fs%u,mount_tag=hvshare%u",
                    n, n, n);
    }
  return TRUE;
}

static gboolean
build_display (HvArgvBuilder *b,
               GError       **error)
{
  g_autofree char *vnc = NULL;
  g_autofree char *vnc_escaped = NULL;

  const HvHardware *hw = &b->config->hw;
  gboolean isapc = b->config->machine == HV_MACHINE_ISAPC;
  g_autofree char *vram = hw->vram_mib > 0 ? g_strdup_printf (",vgamem_mb=%u", hw->vram_mib)
                                           : g_strdup ("");

  /* -nodefaults already means -vga none: add only the chosen adapter. The isapc machine has
   * ISA only: its std VGA is isa-vga; its Cirrus (isa-cirrus-vga) is refused, as QEMU 7.2
   * aborts restoring its snapshots. */
  switch (b->config->video)
    {
    case HV_VIDEO_STD:
      argv_add_opt (b, "-device", "%s,id=video0%s", isapc ? "isa-vga" : "VGA", vram);
      break;
    case HV_VIDEO_CIRRUS:
      if (isapc)
        return hv_refuse (error, "On the isapc machine use std video: QEMU 7.2 aborts restoring a "
                          "snapshot of its ISA Cirrus card");
      argv_add_opt (b, "-device", "cirrus-vga,id=video0%s", vram);
      break;
    case HV_VIDEO_VIRTIO:
      if (isapc)
        return hv_refuse (error, "The isapc machine has no PCI bus for virtio video");
      argv_add_opt (b, "-device", "virtio-vga,id=video0");
      break;
    case HV_VIDEO_NONE:
      break;
    default:
      return hv_refuse (error, "Unknown video model");
    }

  if (hw->tablet && !hw->usb)
    return hv_refuse (error, "A USB tablet needs USB");
  if (hw->usb && isapc)
    return hv_refuse (error, "The isapc machine has no PCI bus and so no USB");
  /* An absolute pointer, so the console needs no mouse grab; without it the guest has the
   * PS/2 mouse only. */
  if (hw->usb)
    {
      if (b->config->machine == HV_MACHINE_Q35)
        argv_add_opt (b, "-device", "qemu-xhci,id=usb");
      else
        argv_add_opt (b, "-device", "piix3-usb-uhci,id=usb");
    }
  if (hw->tablet)
    argv_add_opt (b, "-device", "usb-tablet,id=tablet,bus=usb.0");

  /* The console is VNC on a UNIX socket in the 0700 runtime directory, never TCP. The key
   * is named ("vnc=unix:…") because in the implied form QemuOpts takes a path holding '='
   * before its first ',' for a "key=value" pair. A -vnc display also keeps QEMU from
   * opening a local window. */
  vnc = socket_path (b, "vnc.sock", error);
  if (vnc == NULL)
    return FALSE;
  vnc_escaped = opt_escape (vnc);
  argv_add_opt (b, "-vnc", "vnc=unix:%s", vnc_escaped);
  return TRUE;
}

/* hv-qemu-argv-legacy.c: RTC base, CPU speed limit, sound, test hooks. */
static gboolean
build_legacy (HvArgvBuilder *b,
              GError       **error)
{
  return hv_qemu_legacy_build (b->config, b->caps, b->kvm, b->argv, error);
}

static gboolean
build_serial (HvArgvBuilder *b,
              GError       **error)
{
  g_autofree char *sock = socket_path (b, "serial.sock", error);
  g_autofree char *sock_escaped = NULL;

  if (sock == NULL)
    return FALSE;

  /* COM1 on a listening socket (wait=off: the guest never blocks on a missing client). The
   * engine is its one client: it keeps the capped serial log and shares the console among
   * its clients (engine/hv-vm-serial.c). No logfile= here: QEMU would append to it without
   * end. */
  sock_escaped = opt_escape (sock);
  argv_add_opt (b, "-chardev", "socket,id=serial0,path=%s,server=on,wait=off", sock_escaped);
  argv_add_opt (b, "-serial", "chardev:serial0");
  return TRUE;
}

static gboolean
build_qmp (HvArgvBuilder *b,
           GError       **error)
{
  if (b->paths->qmp_fd >= 0)
    {
      /* A socket the engine already bound and put in listening state, inherited by QEMU:
       * the engine can connect as soon as QEMU runs, without polling for the path.
       * QEMU 7.2 accepts fd= with server=on for a listening socket (checked by hand). */
      argv_add_opt (b, "-chardev", "socket,id=qmp,fd=%d,server=on,wait=off",
                    b->paths->qmp_fd);
    }
  else
    {
      g_autofree char *sock = socket_path (b, "qmp.sock", error);
      g_autofree char *sock_escaped = NULL;

      if (sock == NULL)
        return FALSE;
      sock_escaped = opt_escape (sock);
      argv_add_opt (b, "-chardev", "socket,id=qmp,path=%s,server=on,wait=off", sock_escaped);
    }
  argv_add_opt (b, "-mon", "chardev=qmp,mode=control");
  return TRUE;
}

static gboolean
build_agent (HvArgvBuilder *b,
             GError       **error)
{
  g_autofree char *sock = NULL;
  g_autofree char *sock_escaped = NULL;

  /* Not on isapc (no PCI), not for old guests made from a profile (no tools for them). */
  if (!hv_qemu_legacy_wants_agent (b->config))
    return TRUE;
  sock = socket_path (b, "agent.sock", error);
  if (sock == NULL)
    return FALSE;

  /* The port for the guest tools. Guests without a virtio driver just see an unknown
   * PCI device. */
  sock_escaped = opt_escape (sock);
  argv_add_opt (b, "-device", "virtio-serial-pci,id=virtio-serial0");
  argv_add_opt (b, "-chardev", "socket,id=agent,path=%s,server=on,wait=off", sock_escaped);
  argv_add_opt (b, "-device", "virtserialport,bus=virtio-serial0.0,chardev=agent,name="
                HV_AGENT_PORT_NAME);
  return TRUE;
}

char **
hv_qemu_build_argv (const HvVmConfig  *config,
                    const HvQemuCaps  *caps,
                    const HvQemuPaths *paths,
                    GError           **error)
{
  static gboolean (* const builders[]) (HvArgvBuilder *, GError **) = {
    build_identity,
    build_sandbox,
    build_machine,
    build_cpu_memory,
    build_firmware,
    build_boot,
    build_kernel,
    build_hotplug_ports,
    build_drives,
    build_network,
    build_shares,
    build_display,
    build_legacy,
    build_serial,
    build_qmp,
    build_agent,
  };
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree int *drive_bootindex = NULL;
  g_autofree int *nic_bootindex = NULL;
  HvArgvBuilder b = { config, caps, paths, argv, HV_SHARE_TRANSPORT_9P, FALSE, NULL, NULL };
  gboolean ok = TRUE;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (caps != NULL && caps->qemu_binary != NULL, NULL);
  g_return_val_if_fail (paths != NULL && paths->vm_dir != NULL && paths->run_dir != NULL, NULL);
  g_return_val_if_fail (g_path_is_absolute (paths->vm_dir), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  b.transport = hv_qemu_share_transport (config, caps);
  b.kvm = hv_qemu_uses_kvm (config, caps);

  argv_add (&b, caps->qemu_binary);
  for (guint i = 0; i < G_N_ELEMENTS (builders) && ok; i++)
    ok = builders[i] (&b, error);

  drive_bootindex = b.drive_bootindex;
  nic_bootindex = b.nic_bootindex;
  if (!ok)
    return NULL;

  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

gboolean
hv_qemu_argv_check (const HvVmConfig  *config,
                    const HvQemuCaps  *caps,
                    GError           **error)
{
  /* Paths only name files in the argv; no builder looks at them beyond their syntax. */
  const HvQemuPaths paths = { "/nonexistent/hostvisor-vm", "/nonexistent/hostvisor-run", -1 };
  HvQemuCaps judged = *caps;
  g_auto(GStrv) argv = NULL;

  /* Whether KVM can be used is the host's verdict at start, not a property of the config: a
   * VM set to "kvm" is valid even where (or while) the verdict says no, and its start gives
   * the reason. So the accelerator is left out of this check. */
  judged.kvm = TRUE;
  argv = hv_qemu_build_argv (config, &judged, &paths, error);

  return argv != NULL;
}

char *
hv_qemu_argv_to_string (const char * const *argv)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (argv != NULL, NULL);

  /* One argument per line. So that a line is always exactly one argument, a backslash is
   * written "\\", a newline "\n" and other control characters "\xNN"; everything else,
   * non-ASCII UTF-8 included, is written as is. */
  for (guint i = 0; argv[i] != NULL; i++)
    {
      for (const char *p = argv[i]; *p; p++)
        {
          guchar c = (guchar) *p;

          if (c == '\\')
            g_string_append (out, "\\\\");
          else if (c == '\n')
            g_string_append (out, "\\n");
          else if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
          else
            g_string_append_c (out, (char) c);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}
