/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-argv.h: the QEMU command line of a VM, built by a pure function.
 *
 * hv_qemu_build_argv() reads only its arguments: no files, no environment, no
 * clock. The same config, capabilities and paths always give the same argv,
 * which tests/test-argv.c compares with golden files. */
#pragma once

#include <glib.h>

#include "hv-config.h"
#include "hv-types.h"

G_BEGIN_DECLS

typedef struct _HvKvmProbe HvKvmProbe;  /* hv-kvm-probe.h */

/* What the engine learned about the host and its QEMU (see hv-qemu-caps.h). */
struct _HvQemuCaps {
  char *qemu_binary;        /* absolute path of qemu-system-x86_64 */
  guint version_major;      /* e.g. 7 */
  guint version_minor;      /* e.g. 2 */
  guint version_micro;
  gboolean kvm;             /* the engine's KVM verdict says usable (hv-kvm-probe.h): VMs set
                             * to "auto" run on KVM, else on TCG */
  gboolean seccomp;         /* -sandbox on is supported */
  char *ovmf_code;          /* path of the UEFI code image, NULL if none found */
  char *ovmf_vars_template; /* path of the matching VARS template */
  char *virtiofsd;          /* a virtiofsd that can run here, NULL if none (shares use 9p) */
  HvKvmProbe *kvm_probe;    /* owned reference: the engine's KVM verdict, which `kvm` follows
                             * once a start has asked for it; NULL in tests */
  char *machine_pc;         /* the versioned type behind the alias "pc" (e.g. "pc-i440fx-7.2"),
                             * from "-machine help"; NULL if not known */
  char *machine_q35;        /* the same for "q35" (e.g. "pc-q35-7.2") */
  char **machine_types;     /* every pc-i440fx-* and pc-q35-* type this QEMU has; NULL if not
                             * known (then a pinned type is not checked before QEMU runs) */
  char **audio_drivers;     /* what "-audiodev help" lists; NULL if not known */
  char *audio_backend;      /* the backend VMs with sound use: "pa" (a PulseAudio or PipeWire
                             * server answers and QEMU has the pa module, Debian's
                             * qemu-system-gui), else "alsa" (a sound card), else "none";
                             * NULL means "none" */
  char *audio_reason;       /* why that backend, in words for the logs */
  char *audio_wav_dir;      /* test hook $HOSTVISOR_AUDIO_WAV_DIR: every VM's audiodev is
                             * "wav" writing DIR/<uuid>.wav; NULL normally */
  gboolean test_debug_exit; /* test hook $HOSTVISOR_TEST_DEBUG_EXIT=1: every VM gets
                             * isa-debug-exit at 0xf4 */
};

HvQemuCaps *hv_qemu_caps_copy (const HvQemuCaps *caps);
void        hv_qemu_caps_free (HvQemuCaps *caps);
/* The versioned machine type behind @machine's alias ("pc" or "q35"), NULL if not known. */
const char *hv_qemu_caps_machine_alias (const HvQemuCaps *caps, HvMachine machine);
/* Whether this QEMU is known to have the versioned machine @type: FALSE also when the list
 * is not known (see hv_qemu_caps_knows_machine_types()). */
gboolean    hv_qemu_caps_has_machine_type (const HvQemuCaps *caps, const char *type);
gboolean    hv_qemu_caps_knows_machine_types (const HvQemuCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvQemuCaps, hv_qemu_caps_free)

/* The fd number QEMU has the tap of adapter @n (the index in config->nics) at, for a bridged,
 * host-only or internal adapter: the engine hands each tap down at that number. */
#define HV_QEMU_TAP_FD(n) (10 + (int) (n))

/* Where the VM lives, for the parts of the argv that name files. */
typedef struct {
  const char *vm_dir;       /* the VM's directory in the library (relative drive paths are under it) */
  const char *run_dir;      /* the VM's runtime directory (0700): sockets live here */
  int qmp_fd;               /* a listening UNIX socket the engine created for QMP, passed to QEMU;
                             * -1 to have QEMU create run_dir/qmp.sock itself */
} HvQemuPaths;

/* Build the argv. The result's first element is caps->qemu_binary; the array is
 * NULL-terminated (g_strfreev-able). Fails with HV_ERROR_INVALID_ARGUMENT when the
 * config cannot be expressed (e.g. UEFI without OVMF, sata on the pc machine).
 *
 * Always: -no-user-config -nodefaults -S, -name with the UUID (never the user's name),
 * -uuid, the QMP monitor, the serial console as a chardev socket at run_dir/serial.sock
 * with a log at vm_dir/logs/serial.log, the VNC console on run_dir/vnc.sock (UNIX socket,
 * never TCP), -sandbox when supported, drives as -blockdev with an explicit driver
 * (format never probed, no backing file followed unless set by the engine), and a usb-tablet.
 * Paths that go into comma-separated option values have their commas doubled. */
char      **hv_qemu_build_argv (const HvVmConfig *config, const HvQemuCaps *caps,
                                const HvQemuPaths *paths, GError **error);

/* Whether hv_qemu_build_argv() accepts @config with @caps, with made-up paths: what it would
 * refuse at start (an ne2k_isa adapter on q35, sata on pc, UEFI without OVMF…) fails here
 * with the same message, so that CreateVm and Modify can refuse such a config up front. */
gboolean    hv_qemu_argv_check (const HvVmConfig *config, const HvQemuCaps *caps,
                                GError **error);

/* Whether the VM runs on KVM: FALSE for acceleration "tcg", TRUE for "kvm" (the argv is
 * refused when caps->kvm is FALSE), caps->kvm for "auto". KVM means "-machine …,accel=kvm" and
 * "-cpu host"; TCG "accel=tcg" and "max" (q35) or "qemu64" (pc). */
gboolean         hv_qemu_uses_kvm        (const HvVmConfig *config, const HvQemuCaps *caps);

/* The transport the config's shares use with these capabilities: VIRTIOFS when the config
 * says "virtiofs", or "auto" on the q35 machine, and caps->virtiofsd is set; else 9P. "auto"
 * keeps the pc machine (chosen for old guests) on 9p, so its argv never changes. */
HvShareTransport hv_qemu_share_transport (const HvVmConfig *config, const HvQemuCaps *caps);

/* virtiofs shares live in slots 0..HV_MAX_SHARES-1: slot N has the chardev "vfs<N>" (a
 * socket client of run_dir/vfs<N>.sock, where its virtiofsd listens), the device "share<N>"
 * with the mount tag "hvshare<N>" and, on q35, the pcie-root-port "hvport<N>" to sit in (the
 * root complex itself is not hot-pluggable). At start share i is in slot i; a share added
 * while the VM runs takes the lowest free slot. */
char       *hv_qemu_virtiofs_socket_path  (const char *run_dir, guint slot);
/* The device's properties as alternating keys and values, NULL-terminated, "driver" first:
 * the command line joins them ("vhost-user-fs-pci,id=share0,…"), hot-plug gives them to
 * device_add, so both always describe the same device. */
char      **hv_qemu_virtiofs_device_props (const HvVmConfig *config, guint slot);

/* Quote an argv for a log line or a golden file: one argument per line. */
char       *hv_qemu_argv_to_string (const char * const *argv);

G_END_DECLS
