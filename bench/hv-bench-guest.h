/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-guest.h: what the parts of hv-bench-guest share (hv-bench-guest.c sets up the
 * environment and the guest and measures the shared folder; hv-bench-guest-clip.c measures
 * the clipboard). The helpers of hv-bench.h (waiting, hostvisorctl, the engine) are reused. */
#pragma once

#include "hv-bench.h"

#define VM_NAME "hvbench-guest"
#define X11_VM_NAME "hvbench-x11"
#define SHARE_NAME "bench"
#define GUEST_SHARE_DIR "/media/hostvisor/" SHARE_NAME
/* On the guest's initramfs (RAM): the same work without 9p, to tell 9p's cost from TCG's. */
#define GUEST_RAM_DIR "/hvb-local"
#define GUEST_SCRATCH "/tmp"
#define VM_IFACE "io.github.hostvisor.Vm"
#define READY_TIMEOUT_MS (300 * 1000)
#define GUEST_COMMAND_TIMEOUT_MS (10 * 60 * 1000)

/* Where a figure is taken: the host's disk in the shared folder itself, the guest through the
 * 9p share, or the guest's own RAM file system. */
typedef enum
{
  LOC_HOST,
  LOC_SHARE,
  LOC_GUEST_RAM,
  N_LOCS
} Loc;

#define N_CLIP_SIZES 4

typedef struct
{
  /* options */
  int size_mib;
  int files;
  int runs;
  int clip_rounds;
  char *share_parent;
  char *x11_dir;

  /* the environment */
  char *busybox;
  char *bin_dir;
  char *scratch;
  char *share_dir;
  GDBusConnection *bus;
  char *vm_path;
  int serial;
  GString *serial_text;
  guint serial_seq;

  /* results, in seconds; a figure that was not measured stays empty */
  GArray *write_s[N_LOCS];
  GArray *read_s[N_LOCS];
  GArray *create_s[N_LOCS];
  double overhead_s[N_LOCS];
  double max_cached_fraction;
  double clock_guest_s;
  double clock_host_s;
  char *guest_kernel;

  /* clipboard, milliseconds */
  gsize clip_sizes[N_CLIP_SIZES];
  GArray *clip_ms[N_CLIP_SIZES];
  GArray *prop_ms;
  GArray *x11_ms;
  double x11_xclip_ms;
  char *x11_note;
} GuestBench;

extern GuestBench gb;

gboolean find_vm (const char *name, GError **error);
gboolean serial_open (GError **error);
gboolean guest_probe (GError **error);
char *guest_run (const char *script, guint timeout_ms, GError **error);
gboolean bench_clipboard (GError **error);
gboolean bench_clipboard_x11 (GError **error);
