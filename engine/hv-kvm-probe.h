/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-kvm-probe.h: whether KVM really runs guests on this host.
 *
 * /dev/kvm opening, or QEMU's query-kvm saying "enabled", proves little: a nested or
 * paravirtual KVM can open and then hang a guest or run it slower than QEMU's emulation.
 * So the engine proves KVM with a test guest of its own (kvm-probe/hv-kvm-probe-guest.S):
 * it runs it under TCG for a reference and then under KVM with a short deadline, checks
 * the guest's result and compares the two times. The verdict is cached in
 * $XDG_CACHE_HOME/hostvisor/kvm-verdict for as long as the host stays the same: the same boot
 * (boot_id), kernel, CPU, /dev/kvm node, QEMU binary and version, and test guest; so after the
 * first time per boot, learning it costs a small file read.
 *
 * The run happens in a thread, never on the caller's main loop; every caller that asks while
 * it runs gets the same verdict when it ends. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The verdict's code, also its D-Bus text (Engine.KvmVerdict). */
typedef enum {
  HV_KVM_VERDICT_PROBING,   /* "probing": not known yet */
  HV_KVM_VERDICT_USABLE,    /* "usable": the test guest ran right, faster than emulation */
  HV_KVM_VERDICT_DISABLED,  /* "disabled": $HOSTVISOR_NO_KVM is set */
  HV_KVM_VERDICT_MISSING,   /* "missing": no /dev/kvm (no virtualization support or module) */
  HV_KVM_VERDICT_NO_ACCESS, /* "no-access": /dev/kvm exists but this user may not open it */
  HV_KVM_VERDICT_FAILED,    /* "failed": the test guest did not start, stopped, hung or
                             * computed a wrong result under KVM */
  HV_KVM_VERDICT_SLOW,      /* "slow": it ran, but slower than under emulation */
} HvKvmVerdictCode;

#define HV_KVM_VERDICT_LAST HV_KVM_VERDICT_SLOW

const char *hv_kvm_verdict_code_to_string   (HvKvmVerdictCode code);
gboolean    hv_kvm_verdict_code_from_string (const char *text, HvKvmVerdictCode *out);

typedef struct {
  HvKvmVerdictCode code;
  char *reason;             /* one English sentence with the details, for logs and scripts */
  char *group;              /* NO_ACCESS: the group that owns the device ("kvm"), else NULL */
  guint kvm_ms;             /* how long KVM ran the guest's work (up to its deadline when it
                             * did not finish); 0 when it did not get that far */
  guint tcg_ms;             /* how long TCG took for all of it; 0 when not measured */
  gboolean kvm_finished;    /* KVM ran the guest to its end (kvm_ms is its whole work) */
  gboolean cached;          /* read from the cache file, not measured by this process */
  char *details;            /* how the runs went (markers, exit, QEMU's words), for the
                             * engine's log; NULL when nothing ran; not cached */
} HvKvmVerdict;

HvKvmVerdict *hv_kvm_verdict_new  (HvKvmVerdictCode code, const char *reason);
HvKvmVerdict *hv_kvm_verdict_copy (const HvKvmVerdict *verdict);
void          hv_kvm_verdict_free (HvKvmVerdict *verdict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvKvmVerdict, hv_kvm_verdict_free)

typedef struct {
  const char *qemu_binary;    /* absolute path of qemu-system-x86_64 */
  const char *qemu_version;   /* "7.2.22": part of the cache key */
  const char *device;         /* NULL: /dev/kvm */
  const char *cache_dir;      /* NULL: $XDG_CACHE_HOME/hostvisor */
  const char *work_dir;       /* where the guest image is written; NULL: the runtime dir */
  gboolean disabled;          /* $HOSTVISOR_NO_KVM: the verdict is DISABLED, nothing runs */
  guint start_timeout_ms;     /* 0: 10 s for QEMU to reach the guest's first instruction */
  guint max_kvm_ms;           /* 0: 3 s at most for the guest's work under KVM */
} HvKvmProbeOptions;

#define HV_TYPE_KVM_PROBE (hv_kvm_probe_get_type ())
G_DECLARE_FINAL_TYPE (HvKvmProbe, hv_kvm_probe, HV, KVM_PROBE, GObject)

HvKvmProbe         *hv_kvm_probe_new           (const HvKvmProbeOptions *options);

/* The verdict, or NULL while it is not known. It does not change once known. */
const HvKvmVerdict *hv_kvm_probe_get_verdict   (HvKvmProbe *self);

/* Learn the verdict: at once when KVM is disabled or /dev/kvm cannot be opened (neither is
 * cached: both change without a reboot), from the cache when its key matches, else by
 * running the test guest (a few hundred milliseconds; up to the KVM deadline on a host whose
 * KVM crawls). Callers that ask while it runs share that run. "verdict-changed" is emitted
 * before the callbacks run. */
void                hv_kvm_probe_ensure_async  (HvKvmProbe *self, GAsyncReadyCallback callback,
                                                gpointer user_data);
/* The verdict (owned by the probe); NULL with G_IO_ERROR_CANCELLED when
 * hv_kvm_probe_cancel() stopped the run. */
const HvKvmVerdict *hv_kvm_probe_ensure_finish (HvKvmProbe *self, GAsyncResult *result,
                                                GError **error);

/* Stop a run in progress (the engine is going away): its QEMU is killed at once. */
void                hv_kvm_probe_cancel        (HvKvmProbe *self);

/* Signals:
 *   "verdict-changed" ()  the verdict became known */

G_END_DECLS
