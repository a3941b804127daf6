/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-private.h: HvVm's fields, shared by hv-vm.c (the object, its state and
 * config) and hv-vm-process.c (the QEMU process: start, supervision, reattach). */
#pragma once

#include "hv-agent.h"
#include "hv-qmp.h"
#include "hv-vm.h"

G_BEGIN_DECLS

struct _HvVm
{
  GObject parent_instance;

  /* owned: identity and files */
  char *uuid;
  char *dir;                /* the VM's directory in the library */
  char *run_dir;            /* its runtime directory (sockets, pid file) */
  char *config_path;
  HvVmConfig *config;       /* NULL while inaccessible */
  char *config_error;
  HvQemuCaps *caps;         /* NULL when no QEMU was found */
  HvDbusVm *skeleton;

  /* owned: state */
  HvVmState state;
  char *state_reason;
  char *accel;              /* "kvm" or "tcg" */

  /* owned: the QEMU process, while there is one */
  GPid pid;
  GSubprocess *process;     /* when we started it */
  int pidfd;                /* when an earlier engine started it; -1 otherwise */
  GSource *pidfd_source;
  HvQmp *qmp;
  GCancellable *run_cancellable; /* cancelled when the process is gone */
  GTask *start_task;        /* pending start, completed when QEMU runs or fails */
  guint stop_timeout_id;
  guint kill_timeout_id;
  gboolean expect_exit;     /* we asked QEMU to end: its exit is not an abort */
  gboolean process_gone;
  gboolean qmp_gone;
  gboolean have_status;
  int wait_status;          /* as from waitpid, when have_status */
  char *shutdown_reason;    /* from the SHUTDOWN event */
  guint stop_timeout_s;
  gboolean stop_timed_out;  /* powered off because ACPI shutdown took too long */
  GPtrArray *off_waiters;   /* GTask*: waiting for QEMU to be gone */
  guint screenshot_serial;
  HvAgent *agent;           /* while QEMU runs */
};

void hv_vm_set_state          (HvVm *self, HvVmState state, const char *reason);
void hv_vm_sync_skeleton      (HvVm *self);
void hv_vm_process_dispose    (HvVm *self);
void hv_vm_agent_start        (HvVm *self);
void hv_vm_agent_stop         (HvVm *self);

G_END_DECLS
