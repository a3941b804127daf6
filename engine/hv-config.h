/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-config.h: a VM's configuration as plain data, and its XML form.
 *
 * The XML file (vm.xml in the VM's directory) is validated against
 * resources/hostvisor-vm.rng on load and before every save. It is parsed with
 * network access, DTD loading and entity expansion off, and files larger than
 * HV_CONFIG_MAX_SIZE are refused before parsing. Saves are atomic (see
 * hv_file_replace_contents() in hv-fileutil.h) and keep the previous version
 * as vm.xml.prev. */
#pragma once

#include <glib.h>

#include "hv-types.h"

G_BEGIN_DECLS

#define HV_CONFIG_MAX_SIZE (1024 * 1024)   /* bytes; larger config files are refused */
#define HV_NAME_MAX_CHARS 64               /* characters in a VM name */
#define HV_FOLDER_MAX_CHARS 255            /* characters in a whole folder path "A/B/C" */
#define HV_FOLDER_MAX_DEPTH 16
#define HV_MEMORY_MIN_MIB 4
#define HV_MEMORY_MAX_MIB (1024 * 1024)    /* 1 TiB */
#define HV_CPUS_MAX 255
#define HV_MAX_DRIVES 16
#define HV_MAX_NICS 4
#define HV_MAX_FORWARDS 64                 /* port forwards per adapter */
#define HV_CMDLINE_MAX 4096

typedef enum {
  HV_FIRMWARE_BIOS,
  HV_FIRMWARE_UEFI,
} HvFirmware;

typedef enum {
  HV_MACHINE_PC,    /* i440FX + PIIX: "pc" in XML; best for old guests */
  HV_MACHINE_Q35,   /* Q35 + ICH9: "q35" in XML */
  HV_MACHINE_ISAPC, /* "isapc": an ISA-only PC without PCI (DOS, Windows 3.x, Linux 2.0);
                     * QEMU has no versioned isapc type, so such a VM is never pinned */
} HvMachine;

/* Which accelerator runs the VM (<acceleration mode=> in <system>). */
typedef enum {
  HV_ACCELERATION_AUTO, /* "auto" (the default): KVM where the engine's verdict says it works */
  HV_ACCELERATION_KVM,  /* "kvm": KVM or no start (the start says why KVM cannot be used) */
  HV_ACCELERATION_TCG,  /* "tcg": always QEMU's emulation */
} HvAcceleration;

typedef enum {
  HV_DRIVE_DISK,   /* "disk" */
  HV_DRIVE_CDROM,  /* "cdrom" */
  HV_DRIVE_FLOPPY, /* "floppy" */
} HvDriveKind;

typedef enum {
  HV_DRIVE_BUS_IDE,    /* "ide" (on q35 this is the AHCI/SATA controller) */
  HV_DRIVE_BUS_SATA,   /* "sata" (q35 only) */
  HV_DRIVE_BUS_VIRTIO, /* "virtio" (virtio-blk) */
  HV_DRIVE_BUS_FDC,    /* "fdc": floppies only */
} HvDriveBus;

typedef enum {
  HV_DISK_FORMAT_RAW,   /* "raw" */
  HV_DISK_FORMAT_QCOW2, /* "qcow2" */
} HvDiskFormat;

typedef enum {
  HV_NET_NAT,       /* "nat": QEMU user-mode networking */
  HV_NET_NONE,      /* "none": adapter present, cable not attached */
  HV_NET_BRIDGED,   /* "bridged": a tap on a host bridge (hv-network.h) */
  HV_NET_HOST_ONLY, /* "host-only": a tap on an engine-managed host-only network */
  HV_NET_INTERNAL,  /* "internal": a tap on a named network of this user's VMs only */
} HvNetMode;

typedef enum {
  HV_CLIPBOARD_OFF,           /* "off" (the default) */
  HV_CLIPBOARD_HOST_TO_GUEST, /* "host-to-guest" */
  HV_CLIPBOARD_GUEST_TO_HOST, /* "guest-to-host" */
  HV_CLIPBOARD_BOTH,          /* "both" */
} HvClipboardMode;

#define HV_MAX_SHARES 16
#define HV_SHARE_NAME_MAX_CHARS 64

/* How shares reach the guest (<shares transport=>): the setting, and (9P or VIRTIOFS) what a
 * running VM uses, see hv_qemu_share_transport() in hv-qemu-argv.h. */
typedef enum {
  HV_SHARE_TRANSPORT_AUTO,      /* "auto" (the default): virtiofs on q35 when virtiofsd runs here */
  HV_SHARE_TRANSPORT_9P,        /* "9p": virtio-9p, fixed while the VM runs */
  HV_SHARE_TRANSPORT_VIRTIOFS,  /* "virtiofs": one virtiofsd per share; shares change live */
} HvShareTransport;

/* A host folder shared with the guest over virtio-9p (security_model=mapped-xattr) or
 * virtiofs (see HvShareTransport); the agent mounts it at /media/hostvisor/NAME. */
typedef struct _HvShare HvShare;
struct _HvShare {
  char *name;            /* the folder's name in the guest: see hv_config_check_share_name() */
  char *path;            /* absolute host path of a directory */
  gboolean readonly;
  gboolean automount;    /* the agent mounts it by itself (default TRUE) */
};

HvShare    *hv_share_new              (const char *name, const char *path, gboolean readonly);
HvShare    *hv_share_copy             (const HvShare *share);
void        hv_share_free             (HvShare *share);
/* 1..HV_SHARE_NAME_MAX_CHARS characters of [A-Za-z0-9._-], not starting with '.' or '-':
 * it becomes a directory name in the guest and a QEMU mount tag's companion. */
gboolean    hv_config_check_share_name (const char *name, GError **error);
const char *hv_clipboard_mode_to_string   (HvClipboardMode v);
gboolean    hv_clipboard_mode_from_string (const char *s, HvClipboardMode *out);
const char *hv_share_transport_to_string   (HvShareTransport v);
gboolean    hv_share_transport_from_string (const char *s, HvShareTransport *out);

typedef enum {
  HV_VIDEO_STD,    /* "std": -device VGA */
  HV_VIDEO_CIRRUS, /* "cirrus" */
  HV_VIDEO_VIRTIO, /* "virtio" */
  HV_VIDEO_NONE,   /* "none" */
} HvVideo;

/* The sound card (<sound device=>), see hv-config-hardware.c. */
typedef enum {
  HV_SOUND_NONE,    /* "none" */
  HV_SOUND_SB16,    /* "sb16": Sound Blaster 16 (ISA, 0x220 IRQ 5 DMA 1/5) */
  HV_SOUND_ES1370,  /* "es1370": Ensoniq AudioPCI (Sound Blaster PCI 128) */
  HV_SOUND_AC97,    /* "ac97": Intel 82801AA AC'97 */
  HV_SOUND_HDA,     /* "hda": Intel HD Audio with a duplex codec */
} HvSoundDevice;

typedef enum {
  HV_RTC_UTC,       /* "utc" (QEMU's default) */
  HV_RTC_LOCALTIME, /* "localtime": what DOS and Windows expect */
} HvRtcBase;

/* The CPU speed limit: -icount shift=N (the guest runs 10^9 / 2^N instructions a second). */
#define HV_ICOUNT_SHIFT_MAX 10
#define HV_ICOUNT_SHIFT_AUTO (-1)   /* icount kept but unlimited ("off" after it was on) */
#define HV_CPU_MODEL_MAX_LEN 32
#define HV_PROFILE_NAME_MAX_LEN 32

/* Hardware for old guests (issue 11): <cpu>, <sound>, <chipset>, <speed-limit> and
 * <profile> in <system>, and <video vram=>. Each default is what the argv was before these
 * settings existed, so older configs keep their bytes and their hardware. */
typedef struct {
  char *cpu_model;          /* NULL: the engine's choice (host under KVM; max on q35 and
                             * qemu64 on pc under TCG); else one of hv_cpu_model_is_valid() */
  HvSoundDevice sound;      /* HV_SOUND_NONE */
  gboolean sound_enabled;   /* TRUE; FALSE: the card is kept in the config but not fitted */
  gboolean sound_muted;     /* FALSE; TRUE: the audio backend is "none" (nothing reaches
                             * the host), the guest still sees its card */
  gboolean adlib;           /* FALSE; the AdLib (OPL2) beside a Sound Blaster 16 */
  gboolean pc_speaker;      /* FALSE; the PC speaker played on the host (pcspk-audiodev) */
  guint vram_mib;           /* 0: QEMU's default; std: a power of two 1..256, cirrus 4/8/16 */
  HvRtcBase rtc;            /* HV_RTC_UTC */
  gboolean acpi;            /* TRUE */
  gboolean hpet;            /* TRUE */
  gboolean usb;             /* TRUE: a USB controller */
  gboolean tablet;          /* TRUE: a USB tablet (needs usb); FALSE: the PS/2 mouse only */
  gboolean vmport;          /* TRUE: QEMU's VMware backdoor (vmmouse) */
  gboolean icount;          /* FALSE; TRUE: the CPU speed limit, which means TCG; once on it
                             * stays on for the VM's life (see docs/legacy.md) */
  int icount_shift;         /* 0..HV_ICOUNT_SHIFT_MAX or HV_ICOUNT_SHIFT_AUTO */
  char *profile;            /* the hardware profile the VM was made from, NULL if none */
} HvHardware;

struct _HvDrive {
  HvDriveKind kind;
  HvDriveBus bus;
  HvDiskFormat format;   /* always explicit: the engine never probes an image's format */
  char *path;            /* absolute, or relative to the VM's directory; NULL = empty CD drive */
  gboolean readonly;     /* CD-ROMs are always read-only */
  char *backing;         /* linked clones: the absolute path of the read-only qcow2 base image
                          * (<library>/bases/<uuid>.qcow2) the engine made; the drive is then a
                          * writable qcow2 overlay. Set only by the engine (Vm.Clone): clients
                          * cannot set or change it. NULL normally. */
};

/* A port forward: host_address:host_port on the host reaches guest_address:guest_port.
 * On a NAT adapter QEMU's user-mode stack does it (hostfwd); on a host-only adapter whose
 * network runs isolated (no set-up), the engine's proxy does it (hv_networks_add_forward()). */
typedef struct {
  char *name;            /* unique within its adapter: [A-Za-z0-9._-], 1..32 characters */
  gboolean udp;          /* FALSE: tcp */
  char *host_address;    /* IPv4 dotted quad; "127.0.0.1" unless the user chose wider */
  guint16 host_port;     /* 1..65535 */
  char *guest_address;   /* IPv4 dotted quad, or "" for the guest's DHCP address */
  guint16 guest_port;    /* 1..65535 */
} HvPortForward;

struct _HvNic {
  HvNetMode mode;
  char *model;           /* "virtio-net", "e1000", "e1000e", "rtl8139", "pcnet", "ne2k_pci", "ne2k_isa" */
  char *mac;             /* "52:54:00:xx:xx:xx" */
  gboolean enabled;      /* FALSE: the settings are kept but the VM gets no such card */
  char *target;          /* bridged: host bridge/interface; host-only/internal: network name; else NULL */
  gboolean cable;        /* "cable connected" at start (set_link while running) */
  GPtrArray *forwards;   /* HvPortForward*, owned; never NULL */
};

struct _HvVmConfig {
  char *uuid;            /* lower-case RFC 4122 text form; also the directory name */
  char *name;            /* UTF-8, 1..HV_NAME_MAX_CHARS characters, see hv_config_check_name() */
  char *folder;          /* "" for the top level, else "A/B" (see hv_config_check_folder()) */
  char *os_id;           /* libosinfo short id, "" if unknown */
  char *description;     /* free text, may be "" */

  HvMachine machine;
  char *machine_type;    /* the versioned QEMU machine type the VM is pinned to, e.g.
                          * "pc-q35-7.2" (see hv_machine_type_check()); NULL: not pinned, QEMU
                          * gets the alias ("pc", "q35"), whose meaning changes with QEMU */
  HvFirmware firmware;
  guint64 memory_mib;
  guint cpus;
  HvVideo video;
  char *boot_order;      /* QEMU letters: c = disk, d = CD-ROM, a = floppy, n = network; e.g. "dc" */
  HvAcceleration acceleration;

  char *kernel;          /* direct kernel boot: NULL when not used */
  char *initrd;
  char *cmdline;

  GPtrArray *drives;     /* HvDrive*, owned */
  GPtrArray *nics;       /* HvNic*, owned */

  HvClipboardMode clipboard_mode;
  HvShareTransport share_transport;
  GPtrArray *shares;     /* HvShare*, owned; at most HV_MAX_SHARES, names unique */

  HvHardware hw;         /* hv-config-hardware.c */
};

HvDrive    *hv_drive_new              (HvDriveKind kind, HvDriveBus bus, HvDiskFormat format,
                                       const char *path);
HvDrive    *hv_drive_copy             (const HvDrive *drive);
void        hv_drive_free             (HvDrive *drive);
HvNic      *hv_nic_new                (HvNetMode mode, const char *model, const char *mac);
HvNic      *hv_nic_copy               (const HvNic *nic);
void        hv_nic_free               (HvNic *nic);
HvPortForward *hv_port_forward_copy   (const HvPortForward *rule);
void        hv_port_forward_free      (HvPortForward *rule);
/* @host_address NULL: "127.0.0.1"; @guest_address NULL: "" (the guest's DHCP address). */
HvPortForward *hv_port_forward_new    (const char *name, gboolean udp, const char *host_address,
                                       guint16 host_port, const char *guest_address,
                                       guint16 guest_port);

/* hv-config-nic.c: adapters' rules. */
/* Bridged, host-only and internal adapters need a target and get a tap (hv-network.h). */
gboolean    hv_net_mode_needs_target  (HvNetMode mode);
gboolean    hv_net_mode_uses_tap      (HvNetMode mode);
/* @mode's target: host-only and internal network names are 1..12 of [a-z0-9-], not starting
 * with "-"; a bridged adapter's host interface 1..15 of [A-Za-z0-9._-]. Modes without a
 * target accept anything (the target is kept for when the mode changes back). */
gboolean    hv_config_check_net_target (HvNetMode mode, const char *target, GError **error);
gboolean    hv_ipv4_is_valid          (const char *text);
/* 1..32 of [A-Za-z0-9._-]. */
gboolean    hv_config_check_forward_name (const char *name, GError **error);
/* Name, addresses (IPv4; guest "" allowed), ports 1..65535. */
gboolean    hv_port_forward_check     (const HvPortForward *rule, GError **error);
HvPortForward *hv_nic_find_forward    (const HvNic *nic, const char *name, guint *index);
/* Every adapter's target and rules: names unique per adapter, no host socket twice in the VM.
 * @bad_index: the adapter a failure is about. */
gboolean    hv_config_check_nics      (const HvVmConfig *config, guint *bad_index,
                                       GError **error);

/* A new config with a fresh UUID, the given name and sensible defaults
 * (pc machine, BIOS, 1024 MiB, 1 CPU, std video, boot "cd", one NAT virtio-net
 * adapter with a random locally administered MAC, no drives). */
HvVmConfig *hv_vm_config_new          (const char *name);
HvVmConfig *hv_vm_config_copy         (const HvVmConfig *config);
void        hv_vm_config_free         (HvVmConfig *config);

/* Semantic checks beyond the schema: name, folder, ranges, drive/bus combinations
 * (a floppy only on fdc, sata only on q35, at most 2 floppies, 4 IDE units on pc),
 * NIC models, MAC syntax. On failure returns FALSE with HV_ERROR_INVALID_ARGUMENT
 * and a message that names the bad field. */
gboolean    hv_vm_config_validate     (const HvVmConfig *config, GError **error);

/* Parse from memory. `filename` is used only in error messages. Errors:
 * HV_ERROR_INVALID_CONFIG with "FILE:LINE: message" (parse errors, schema errors,
 * semantic errors), never a crash, whatever the bytes. */
HvVmConfig *hv_vm_config_from_xml     (const char *data, gsize len, const char *filename,
                                       GError **error);
/* Load a file: refuses files over HV_CONFIG_MAX_SIZE (HV_ERROR_INVALID_CONFIG),
 * HV_ERROR_IO / HV_ERROR_NOT_FOUND when it cannot be read. */
HvVmConfig *hv_vm_config_load         (const char *path, GError **error);
char       *hv_vm_config_to_xml       (const HvVmConfig *config, GError **error);
/* Validate, serialize, then save atomically, keeping the previous file as PATH.prev. */
gboolean    hv_vm_config_save         (const HvVmConfig *config, const char *path, GError **error);

/* Names: valid UTF-8, 1..HV_NAME_MAX_CHARS characters after trimming nothing (leading or
 * trailing white space is refused), no control characters (including newline and tab),
 * no '/'. Everything else (',', '=', '..', quotes, non-ASCII) is allowed: names never
 * become paths or QEMU option text. */
gboolean    hv_config_check_name      (const char *name, GError **error);
/* A name given to a VM now (CreateVm, a rename): hv_config_check_name(), and not a UUID
 * (FindVm takes UUIDs too), no invisible formatting characters (Unicode category Cf: bidi
 * overrides and isolates, zero-width space and joiners, BOM), no private-use or unassigned
 * characters. Configs that are loaded keep the rules above only, so that a VM named before
 * these rules (or by hand) stays usable and can be renamed. Messages quote at most 40
 * characters of the name. */
gboolean    hv_config_check_new_name  (const char *name, GError **error);
/* Folder paths: "" (top level) or components separated by single '/', each component a
 * valid name by the rules above, and not "." or "..". At most HV_FOLDER_MAX_DEPTH deep. */
gboolean    hv_config_check_folder    (const char *folder, GError **error);
/* Escape a string for display in one line (control characters as \n, \xNN). */
char       *hv_config_escape_for_display (const char *text);

/* enum <-> XML text; the _from_string functions return FALSE for unknown text */
const char *hv_firmware_to_string     (HvFirmware v);
gboolean    hv_firmware_from_string   (const char *s, HvFirmware *out);
const char *hv_machine_to_string      (HvMachine v);
gboolean    hv_machine_from_string    (const char *s, HvMachine *out);
/* A versioned machine type for @machine: "pc-i440fx-X.Y" for pc, "pc-q35-X.Y" for q35 (an
 * optional third part as in "pc-q35-4.0.1"; 1 to 3 digits each). Saved states and
 * snapshots load only on the machine type they were made with. */
#define HV_MACHINE_TYPE_MAX_LEN 32
gboolean    hv_machine_type_check     (HvMachine machine, const char *type, GError **error);
const char *hv_drive_kind_to_string   (HvDriveKind v);
gboolean    hv_drive_kind_from_string (const char *s, HvDriveKind *out);
const char *hv_drive_bus_to_string    (HvDriveBus v);
gboolean    hv_drive_bus_from_string  (const char *s, HvDriveBus *out);
const char *hv_disk_format_to_string  (HvDiskFormat v);
gboolean    hv_disk_format_from_string(const char *s, HvDiskFormat *out);
const char *hv_net_mode_to_string     (HvNetMode v);
gboolean    hv_net_mode_from_string   (const char *s, HvNetMode *out);
const char *hv_video_to_string        (HvVideo v);
gboolean    hv_video_from_string      (const char *s, HvVideo *out);
const char *hv_acceleration_to_string   (HvAcceleration v);
gboolean    hv_acceleration_from_string (const char *s, HvAcceleration *out);
gboolean    hv_nic_model_is_valid     (const char *model);
gboolean    hv_mac_is_valid           (const char *mac);
char       *hv_mac_generate           (void);

/* hv-config-hardware.c */
void        hv_hardware_init          (HvHardware *hw);
void        hv_hardware_copy          (HvHardware *dest, const HvHardware *src);
void        hv_hardware_clear         (HvHardware *hw);
/* The combinations that cannot work (sb16 on q35, a tablet without USB, isapc with UEFI or
 * a PCI device, the speed limit with KVM…), each with a message that says what to change. */
gboolean    hv_hardware_validate      (const HvVmConfig *config, GError **error);
const char *hv_sound_device_to_string   (HvSoundDevice v);
gboolean    hv_sound_device_from_string (const char *s, HvSoundDevice *out);
const char *hv_rtc_base_to_string       (HvRtcBase v);
gboolean    hv_rtc_base_from_string     (const char *s, HvRtcBase *out);
/* The index in config->drives of the removable drive @unit (0 first, 1 second: floppy B:) of
 * @kind; -1 when it is not there but would be the next drive of that kind (so it can be
 * added); -2, with an error, when an earlier one is missing (B: without A:). */
int         hv_config_find_removable  (const HvVmConfig *config, HvDriveKind kind, guint unit,
                                       GError **error);
/* "486", "pentium", "pentium2", "pentium3", "qemu32", "qemu64", "max", "host" */
gboolean    hv_cpu_model_is_valid     (const char *model);
/* [a-z0-9]{1,32} */
gboolean    hv_profile_name_is_valid  (const char *name);
/* CPU speed limit presets: "386" (shift 9), "486" (7), "pentium" (5), "pentium2" (3).
 * Returns the shift, or -2 for an unknown name. */
int         hv_cpu_limit_preset_shift (const char *preset);
/* The preset of @shift, NULL if none has it. */
const char *hv_cpu_limit_preset_name  (int shift);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvVmConfig, hv_vm_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvDrive, hv_drive_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvNic, hv_nic_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvPortForward, hv_port_forward_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvShare, hv_share_free)

G_END_DECLS
