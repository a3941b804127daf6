/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-export-libvirt.c: the libvirt domain XML writer (see hv-export-libvirt.h). The XML is
 * written with libxml2's text writer: the VM's name, description and kernel command line
 * are escaped as data. */
#include "hv-export-libvirt.h"

#include <inttypes.h>
#include <libxml/xmlwriter.h>
#include <string.h>

/* Debian's OVMF, as Debian's libvirt finds it (the descriptors in /usr/share/qemu/firmware name these
 * files): the 4 MiB build, or the 2 MiB one for variables of that size. */
#define OVMF_CODE_4M "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define OVMF_VARS_4M "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define OVMF_CODE_2M "/usr/share/OVMF/OVMF_CODE.fd"
#define OVMF_VARS_2M "/usr/share/OVMF/OVMF_VARS.fd"
#define OVMF_VARS_2M_SIZE 131072

static void
start (xmlTextWriterPtr  w,
       const char       *name)
{
  xmlTextWriterStartElement (w, BAD_CAST name);
}

static void
end (xmlTextWriterPtr w)
{
  xmlTextWriterEndElement (w);
}

static void
attr (xmlTextWriterPtr  w,
      const char       *name,
      const char       *value)
{
  xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST value);
}

static void
text_element (xmlTextWriterPtr  w,
              const char       *name,
              const char       *text)
{
  xmlTextWriterWriteElement (w, BAD_CAST name, BAD_CAST text);
}

/* <NAME A1=V1 .../> with NULL-terminated attribute pairs. */
static void
empty (xmlTextWriterPtr  w,
       const char       *name,
       ...)
{
  va_list args;
  const char *key;

  start (w, name);
  va_start (args, name);
  while ((key = va_arg (args, const char *)) != NULL)
    attr (w, key, va_arg (args, const char *));
  va_end (args);
  end (w);
}

static void
warn (GPtrArray  *warnings,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
warn (GPtrArray  *warnings,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

static const char *
machine_type (const HvVmConfig *config)
{
  if (config->machine_type != NULL)
    return config->machine_type;
  return config->machine == HV_MACHINE_Q35 ? "q35"
         : config->machine == HV_MACHINE_ISAPC ? "isapc" : "pc";
}

/* The target device name of a drive: hda.., sda.., vda.., fda.. by bus, in order. */
static char *
target_dev (const char *prefix,
            guint       index)
{
  return g_strdup_printf ("%s%c", prefix, 'a' + MIN (index, 25));
}

static void
write_os (xmlTextWriterPtr        w,
          const HvVmConfig       *config,
          const HvLibvirtExport  *export)
{
  start (w, "os");
  start (w, "type");
  attr (w, "arch", "x86_64");
  attr (w, "machine", machine_type (config));
  xmlTextWriterWriteString (w, BAD_CAST "hvm");
  end (w);
  if (config->firmware == HV_FIRMWARE_UEFI)
    {
      gboolean small = export->nvram_file != NULL && export->nvram_size == OVMF_VARS_2M_SIZE;
      g_autofree char *nvram = g_build_filename (export->dir,
                                                 export->nvram_file != NULL
                                                 ? export->nvram_file : "nvram.fd", NULL);

      start (w, "loader");
      attr (w, "readonly", "yes");
      attr (w, "type", "pflash");
      xmlTextWriterWriteString (w, BAD_CAST (small ? OVMF_CODE_2M : OVMF_CODE_4M));
      end (w);
      start (w, "nvram");
      attr (w, "template", small ? OVMF_VARS_2M : OVMF_VARS_4M);
      xmlTextWriterWriteString (w, BAD_CAST nvram);
      end (w);
    }
  if (export->kernel_file != NULL)
    {
      g_autofree char *kernel = g_build_filename (export->dir, export->kernel_file, NULL);

      text_element (w, "kernel", kernel);
      if (export->initrd_file != NULL)
        {
          g_autofree char *initrd = g_build_filename (export->dir, export->initrd_file, NULL);

          text_element (w, "initrd", initrd);
        }
      if (config->cmdline != NULL)
        text_element (w, "cmdline", config->cmdline);
    }
  else
    for (const char *c = config->boot_order; c != NULL && *c != '\0'; c++)
      {
        const char *dev = *c == 'c' ? "hd" : *c == 'd' ? "cdrom" : *c == 'a' ? "fd"
                          : *c == 'n' ? "network" : NULL;

        if (dev != NULL)
          empty (w, "boot", "dev", dev, NULL);
      }
  end (w);
}

static void
write_drives (xmlTextWriterPtr        w,
              const HvVmConfig       *config,
              const HvLibvirtExport  *export,
              GPtrArray              *warnings)
{
  guint n_ide = 0, n_sata = 0, n_virtio = 0, n_fdc = 0;

  for (guint i = 0; i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);
      const char *file = export->drive_files != NULL ? export->drive_files[i] : NULL;
      const char *device = drive->kind == HV_DRIVE_CDROM ? "cdrom"
                           : drive->kind == HV_DRIVE_FLOPPY ? "floppy" : "disk";
      g_autofree char *dev = NULL;
      const char *bus;

      switch (drive->bus)
        {
        case HV_DRIVE_BUS_FDC:
          bus = "fdc";
          dev = target_dev ("fd", n_fdc++);
          break;
        case HV_DRIVE_BUS_VIRTIO:
          bus = "virtio";
          dev = target_dev ("vd", n_virtio++);
          break;
        case HV_DRIVE_BUS_SATA:
          bus = "sata";
          dev = target_dev ("sd", n_sata++);
          break;
        case HV_DRIVE_BUS_IDE:
        default:
          /* On q35 the engine's "ide" is the AHCI controller. */
          if (config->machine == HV_MACHINE_Q35)
            {
              bus = "sata";
              dev = target_dev ("sd", n_sata++);
            }
          else
            {
              bus = "ide";
              dev = target_dev ("hd", n_ide++);
            }
          break;
        }
      if (file == NULL && drive->kind == HV_DRIVE_DISK)
        continue;
      start (w, "disk");
      attr (w, "type", "file");
      attr (w, "device", device);
      if (file != NULL)
        {
          g_autofree char *path = g_build_filename (export->dir, file, NULL);

          empty (w, "driver", "name", "qemu", "type",
                 g_str_has_suffix (file, ".qcow2") ? "qcow2" : "raw", NULL);
          empty (w, "source", "file", path, NULL);
        }
      else if (drive->path != NULL)
        warn (warnings, "Drive %u: the %s's medium is not exported (the drive is, empty)",
              i + 1, drive->kind == HV_DRIVE_CDROM ? "CD-ROM" : "floppy");
      empty (w, "target", "dev", dev, "bus", bus, NULL);
      if (drive->readonly || drive->kind == HV_DRIVE_CDROM)
        empty (w, "readonly", NULL);
      end (w);
    }
}

/* The adapter model as libvirt names it (it passes it to QEMU's -device). */
static const char *
nic_model (const char *model)
{
  if (g_strcmp0 (model, "virtio-net") == 0)
    return "virtio";
  return model;
}

static void
write_nics (xmlTextWriterPtr  w,
            const HvVmConfig *config,
            GPtrArray        *warnings)
{
  for (guint i = 0; i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);

      if (!nic->enabled)
        continue;
      if (g_strcmp0 (nic->model, "ne2k_isa") == 0)
        {
          warn (warnings, "Network adapter %u: libvirt has no ISA NE2000: left out", i + 1);
          continue;
        }
      start (w, "interface");
      switch (nic->mode)
        {
        case HV_NET_BRIDGED:
          attr (w, "type", "bridge");
          empty (w, "source", "bridge", nic->target != NULL ? nic->target : "br0", NULL);
          warn (warnings, "Network adapter %u: bridged to \"%s\", which needs that bridge on "
                "the libvirt host (and, in a session, qemu-bridge-helper's permission)", i + 1,
                nic->target != NULL ? nic->target : "br0");
          break;
        case HV_NET_HOST_ONLY:
        case HV_NET_INTERNAL:
          attr (w, "type", "network");
          empty (w, "source", "network", "default", NULL);
          warn (warnings, "Network adapter %u: its %s network becomes libvirt's \"default\" "
                "network", i + 1, nic->mode == HV_NET_HOST_ONLY ? "host-only" : "internal");
          break;
        case HV_NET_NAT:
        case HV_NET_NONE:
        default:
          attr (w, "type", "user");
          break;
        }
      empty (w, "mac", "address", nic->mac, NULL);
      empty (w, "model", "type", nic_model (nic->model), NULL);
      if (nic->mode == HV_NET_NONE || !nic->cable)
        empty (w, "link", "state", "down", NULL);
      end (w);
      if (nic->forwards->len > 0)
        warn (warnings, "Network adapter %u: its port forwards are not exported", i + 1);
    }
}

static const char *
video_model (HvVideo video)
{
  switch (video)
    {
    case HV_VIDEO_CIRRUS:
      return "cirrus";
    case HV_VIDEO_VIRTIO:
      return "virtio";
    case HV_VIDEO_NONE:
      return "none";
    case HV_VIDEO_STD:
    default:
      return "vga";
    }
}

static const char *
sound_model (const HvVmConfig *config)
{
  switch (config->hw.sound)
    {
    case HV_SOUND_SB16:
      return "sb16";
    case HV_SOUND_ES1370:
      return "es1370";
    case HV_SOUND_AC97:
      return "ac97";
    case HV_SOUND_HDA:
      return config->machine == HV_MACHINE_Q35 ? "ich9" : "ich6";
    case HV_SOUND_NONE:
    default:
      return NULL;
    }
}

char *
hv_export_libvirt_domain (const HvVmConfig      *config,
                          const HvLibvirtExport *export,
                          GPtrArray             *warnings)
{
  xmlBufferPtr buffer = xmlBufferCreate ();
  xmlTextWriterPtr w = xmlNewTextWriterMemory (buffer, 0);
  g_autofree char *memory = g_strdup_printf ("%" PRIu64, config->memory_mib);
  g_autofree char *cpus = g_strdup_printf ("%u", config->cpus);
  const char *sound = sound_model (config);
  char *result;

  xmlTextWriterSetIndent (w, 1);
  xmlTextWriterSetIndentString (w, BAD_CAST "  ");
  start (w, "domain");
  attr (w, "type", export->kvm ? "kvm" : "qemu");
  text_element (w, "name", config->name);
  text_element (w, "uuid", config->uuid);
  if (config->description != NULL && config->description[0] != '\0')
    text_element (w, "description", config->description);
  start (w, "memory");
  attr (w, "unit", "MiB");
  xmlTextWriterWriteString (w, BAD_CAST memory);
  end (w);
  text_element (w, "vcpu", cpus);
  write_os (w, config, export);

  start (w, "features");
  if (config->hw.acpi && config->machine != HV_MACHINE_ISAPC)
    {
      empty (w, "acpi", NULL);
      empty (w, "apic", NULL);
    }
  if (config->hw.vmport && config->machine != HV_MACHINE_ISAPC)
    empty (w, "vmport", "state", "on", NULL);
  end (w);

  if (config->hw.cpu_model != NULL)
    {
      if (g_str_equal (config->hw.cpu_model, "host"))
        empty (w, "cpu", "mode", "host-passthrough", NULL);
      else if (g_str_equal (config->hw.cpu_model, "max"))
        empty (w, "cpu", "mode", "maximum", NULL);
      else
        {
          start (w, "cpu");
          attr (w, "mode", "custom");
          attr (w, "match", "exact");
          start (w, "model");
          attr (w, "fallback", "allow");
          xmlTextWriterWriteString (w, BAD_CAST config->hw.cpu_model);
          end (w);
          end (w);
        }
    }
  else if (export->kvm)
    empty (w, "cpu", "mode", "host-passthrough", NULL);

  start (w, "clock");
  attr (w, "offset", config->hw.rtc == HV_RTC_LOCALTIME ? "localtime" : "utc");
  if (!config->hw.hpet)
    empty (w, "timer", "name", "hpet", "present", "no", NULL);
  end (w);
  text_element (w, "on_poweroff", "destroy");
  text_element (w, "on_reboot", "restart");
  text_element (w, "on_crash", "destroy");

  start (w, "devices");
  write_drives (w, config, export, warnings);
  if (!config->hw.usb)
    empty (w, "controller", "type", "usb", "model", "none", NULL);
  write_nics (w, config, warnings);
  start (w, "serial");
  attr (w, "type", "pty");
  empty (w, "target", "port", "0", NULL);
  end (w);
  start (w, "console");
  attr (w, "type", "pty");
  empty (w, "target", "type", "serial", "port", "0", NULL);
  end (w);
  if (config->hw.usb && config->hw.tablet)
    empty (w, "input", "type", "tablet", "bus", "usb", NULL);
  if (config->video != HV_VIDEO_NONE)
    {
      start (w, "graphics");
      attr (w, "type", "vnc");
      attr (w, "autoport", "yes");
      empty (w, "listen", "type", "address", "address", "127.0.0.1", NULL);
      end (w);
    }
  start (w, "video");
  empty (w, "model", "type", video_model (config->video), NULL);
  end (w);
  if (sound != NULL && config->hw.sound_enabled)
    empty (w, "sound", "model", sound, NULL);
  empty (w, "memballoon", "model", "none", NULL);
  end (w);   /* devices */
  end (w);   /* domain */
  xmlTextWriterEndDocument (w);
  xmlFreeTextWriter (w);

  if (config->shares->len > 0)
    warn (warnings, "Shared folders are not exported");
  if (config->clipboard_mode != HV_CLIPBOARD_OFF)
    warn (warnings, "Clipboard sharing is not exported");
  if (config->hw.icount)
    warn (warnings, "The CPU speed limit is not exported");
  if (config->hw.adlib || config->hw.pc_speaker)
    warn (warnings, "The AdLib and the PC speaker are not exported");

  result = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  return result;
}
