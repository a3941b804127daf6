/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-vm-private.h: HvVm's fields, shared by hv-vm.c (the object, its state and
 * config), hv-vm-process.c (the QEMU process: start, supervision), hv-vm-reattach.c
 * (taking over a QEMU an earlier engine left), hv-vm-serial.c (the serial log and
 * console) and hv-vm-shares.c (the shared folders of a running VM: virtiofsd, hot-plug). */
#pragma once

#include "hv-agent.h"
#include "hv-qmp.h"
#include "hv-vm.h"
#include "hv-network.h"

G_BEGIN_DECLS

typedef struct _HvLiveShare HvLiveShare;
typedef struct _HvVmSerial HvVmSerial;
typedef struct _HvVmNetwork HvVmNetwork;
typedef struct _HvSnapshotStore HvSnapshotStore;

struct _HvVm
{
  GObject parent_instance;

  /* owned: identity and files */
  char *uuid;
  char *dir;                /* the VM's directory in the library */
  char *run_base;           /* the engine's runtime directory */
  char *run_dir;            /* its runtime directory (sockets, pid file) */
  char *config_path;
  HvVmConfig *config;       /* NULL while inaccessible */
  char *config_error;
  HvQemuCaps *caps;         /* NULL when no QEMU was found */
  HvNetworks *networks;     /* the engine's networks (hv-network.h), a reference; NULL in
                             * tests that make VMs without a library */
  HvDbusVm *skeleton;

  /* owned: state */
  HvVmState state;
  char *state_reason;
  char *accel;              /* "kvm" or "tcg" (hv-vm-accel.c) */
  char *accel_reason;       /* why not KVM: AccelReason's code, "" on KVM */

  /* owned: the QEMU process, while there is one */
  GPid pid;
  GSubprocess *process;     /* when we started it */
  int pidfd;                /* when an earlier engine started it; -1 otherwise */
  GSource *pidfd_source;
  HvQmp *qmp;
  GCancellable *run_cancellable; /* cancelled when the process is gone */
  GTask *start_task;        /* pending start, completed when QEMU runs or fails */
  guint start_deadline_id;  /* QEMU must run by then, or it is ended */
  guint start_timeout_s;
  gboolean start_timed_out;
  GTask *probe_task;        /* a start waiting for the virtiofsd probe (no QEMU yet) */
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
  HvVmSerial *serial;       /* while QEMU runs: its serial port (hv-vm-serial.c) */

  /* owned: shared folders while QEMU runs (hv-vm-shares.c) */
  HvShareTransport share_transport;  /* HV_SHARE_TRANSPORT_9P or _VIRTIOFS */
  GPtrArray *live_shares;   /* HvLiveShare*: what QEMU has, by slot */
  GTask *share_task;        /* the AddShare or RemoveShare in progress */
  guint share_retry_id;     /* asking the guest again to mount a hot-added share */

  /* owned: the adapters' taps, links and port forwards (hv-vm-network.c); NULL until used */
  HvVmNetwork *net;

  /* owned: snapshots and the saved state (hv-vm-snapshots.c) */
  HvSnapshotStore *snapshots;
  char *operation;          /* the D-Bus Operation: "" for none */
  double operation_progress;
};

void hv_vm_set_state          (HvVm *self, HvVmState state, const char *reason);
void hv_vm_sync_skeleton      (HvVm *self);
void hv_vm_process_dispose    (HvVm *self);
/* Judge QEMU's end once the process, its monitor and its virtiofsds are all gone. */
void hv_vm_process_check_gone (HvVm *self);
void hv_vm_agent_start        (HvVm *self);
void hv_vm_agent_stop         (HvVm *self);

/* hv-vm-accel.c */
/* Follow the engine's KVM verdict (caps->kvm_probe); sets Accel and AccelReason. */
void        hv_vm_accel_init           (HvVm *self);
/* A VM without QEMU: Accel and AccelReason say what the next start would use. */
void        hv_vm_accel_update         (HvVm *self);
/* Before a start: wait for the KVM verdict unless the VM is set to TCG, then decide. Fails
 * with HV_ERROR_NOT_SUPPORTED and the verdict's reason for a VM set to "kvm" that cannot
 * have it. */
void        hv_vm_accel_prepare_async  (HvVm *self, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean    hv_vm_accel_prepare_finish (HvVm *self, GAsyncResult *result, GError **error);
/* A copy of `caps` for this start: kvm as decided. */
HvQemuCaps *hv_vm_accel_caps           (HvVm *self, const HvQemuCaps *caps);
/* The state reason of a start: "" on KVM, else that it runs without acceleration. */
const char *hv_vm_accel_state_reason   (HvVm *self);
/* A QEMU of an earlier engine, found running with `accel`. */
void        hv_vm_accel_reattached     (HvVm *self, const char *accel);
/* hv-vm-process.c, for hv-vm-reattach.c */
char *hv_vm_run_path          (HvVm *self, const char *name);
/* Remove what a QEMU left in the runtime directory (sockets, pid file). */
void  hv_vm_clean_run_dir     (HvVm *self);
/* Follow this QMP connection (events, its end). */
void  hv_vm_process_watch_qmp (HvVm *self, HvQmp *qmp);
/* Follow a QEMU that is not our child through its pidfd (taken). */
void  hv_vm_process_watch_pidfd (HvVm *self, GPid pid, int pidfd);

/* hv-vm-serial.c */
/* Once QEMU's monitor answers (before `cont`): connect to its serial port and log it. */
void  hv_vm_serial_attach       (HvVm *self);
/* QEMU is gone: close the log, end the console clients. */
void  hv_vm_serial_detach       (HvVm *self);
/* A new console client: one end of a socket pair (the caller's to close). */
int   hv_vm_serial_open_client  (HvVm *self, GError **error);

/* hv-vm-shares.c */
void      hv_vm_shares_init          (HvVm *self);
void      hv_vm_shares_dispose       (HvVm *self);
/* Before QEMU starts: the shares of the config in slots 0.., with `caps` deciding the
 * transport, and a virtiofsd started for each virtiofs share. */
gboolean  hv_vm_shares_prepare       (HvVm *self, const HvQemuCaps *caps, GError **error);
/* QEMU did not start after all: end what hv_vm_shares_prepare() started, at once. */
void      hv_vm_shares_abort         (HvVm *self);
/* QEMU is gone: fail a change in progress and make every virtiofsd end. TRUE once none
 * runs any more (else hv_vm_process_check_gone() is called again when the last ends). */
gboolean  hv_vm_shares_stop          (HvVm *self);
/* A QEMU from an earlier engine: take over its shares (the state file in the runtime
 * directory, the virtiofsds through their pid files). */
void      hv_vm_shares_reattach      (HvVm *self);
/* ...and once its monitor answers, drop what QEMU does not have (a change cut short). */
void      hv_vm_shares_reconcile     (HvVm *self);
/* No QEMU is left for this VM: end the virtiofsds an earlier engine left behind. */
void      hv_vm_shares_cleanup_stale (HvVm *self);
/* Tell the agent the shares it should mount now. Returns the SHARES generation sent. */
guint32   hv_vm_shares_announce      (HvVm *self);
/* A new agent: a hot-added share it failed to mount is asked for again (see above). */
void      hv_vm_shares_watch_agent   (HvVm *self);
void      hv_vm_shares_on_device_deleted (HvVm *self, const char *device);
/* The agent's share status, with what the engine knows better (a virtiofsd that ended). */
GVariant *hv_vm_shares_dup_status    (HvVm *self);
/* AddShare and RemoveShare are possible now (powered off, or running with virtiofs). */
gboolean  hv_vm_shares_can_change    (HvVm *self);

/* hv-vm-snapshots.c */
/* Once the config is loaded: read the snapshot metadata. */
void      hv_vm_snapshots_init           (HvVm *self);
void      hv_vm_snapshots_dispose        (HvVm *self);
/* Snapshots, CurrentSnapshot, SavedState, Operation…, CanTakeSnapshot, CanSaveState. */
void      hv_vm_snapshots_sync_skeleton  (HvVm *self);
/* A start must load a state (a restored live snapshot, the saved state) before `cont`. */
gboolean  hv_vm_snapshots_need_load      (HvVm *self);
/* Between QEMU's start (-S) and the guest: send `cont` (`cont_done` gets
 * hv_qmp_execute_async()'s result), first loading (snapshot-load) what the state file names.
 * When the load fails, `cont_done` is not called: QEMU is ended (a start in progress fails
 * with the load's error) and `user_data`, a reference to self, is dropped. */
void      hv_vm_snapshots_continue       (HvVm *self, GAsyncReadyCallback cont_done,
                                          gpointer user_data);
/* After a crash of an earlier engine: finish or undo its snapshot operation, with no QEMU
 * running (qemu-img), or with its QEMU reattached (QMP). */
void      hv_vm_snapshots_reconcile_offline (HvVm *self);
void      hv_vm_snapshots_reconcile_live    (HvVm *self);

G_END_DECLS
