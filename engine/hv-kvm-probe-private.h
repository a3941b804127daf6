/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-kvm-probe-private.h: the parts of hv-kvm-probe.c that tests/test-kvm-probe.c checks one
 * by one: one run of the test guest, the judgement of two runs, the guest's expected result
 * and the cache key. */
#pragma once

#include "hv-kvm-probe.h"

G_BEGIN_DECLS

/* The guest's markers, in order (kvm-probe/hv-kvm-probe-guest.h). */
#define HV_KVM_RUN_N_MARKS 5

/* What one QEMU run of the test guest did. Times are g_get_monotonic_time() values. */
typedef struct {
  char *error;              /* QEMU could not be run at all */
  gint64 marks[HV_KVM_RUN_N_MARKS]; /* when each marker arrived */
  guint n_marks;            /* how many arrived, in order */
  GString *output;          /* all the guest wrote (capped) */
  GString *stderr_text;     /* QEMU's stderr (its last part) */
  gboolean timed_out;       /* killed at its deadline */
  gboolean cancelled;       /* killed because the probe was cancelled */
  gint64 ended;             /* when it exited or was killed */
  gboolean exited;          /* exited normally, with exit_status */
  int exit_status;
  int term_signal;          /* killed by this signal (0 if not) */
} HvKvmRun;

HvKvmRun     *hv_kvm_run_new                (void);
void          hv_kvm_run_free               (HvKvmRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvKvmRun, hv_kvm_run_free)

/* Run the guest image once under `accel` ("kvm" or "tcg"): QEMU must reach the first marker
 * within start_timeout_ms and the last within work_timeout_ms of the first. Blocks: call it in
 * a thread. */
void          hv_kvm_run_guest              (const char *qemu_binary, const char *image_path,
                                             const char *accel, guint start_timeout_ms,
                                             guint work_timeout_ms, GCancellable *cancellable,
                                             HvKvmRun *run);

/* The verdict from a KVM run and the TCG reference run (NULL: none). `expected` is the result
 * the guest must report (hv_kvm_probe_expected_result()). */
HvKvmVerdict *hv_kvm_probe_judge            (const HvKvmRun *kvm, const HvKvmRun *tcg,
                                             guint64 expected);

/* What the test guest computes, by a model of each of its steps in C. */
guint64       hv_kvm_probe_expected_result  (void);

/* The guest image (64 KiB), embedded at build time; NULL (size 0) on hosts that cannot
 * assemble x86 code. */
const guint8 *hv_kvm_probe_guest_image      (gsize *size);

/* How long KVM may work on the guest after its first marker, given the TCG reference's
 * work time (0: none): four times that, at least 500 ms, at most max_kvm_ms. */
guint         hv_kvm_probe_kvm_budget_ms    (guint64 tcg_work_us, guint max_kvm_ms);

/* The cache key: "name=value" lines of everything the verdict depends on. */
char         *hv_kvm_probe_host_key         (const char *qemu_binary, const char *qemu_version,
                                             const char *device);

G_END_DECLS
