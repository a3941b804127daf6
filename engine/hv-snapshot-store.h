/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-snapshot-store.h: a VM's snapshot metadata on disk, and its tree.
 *
 * Layout (docs/snapshots.md), in the VM's directory:
 *   snapshots/<id>/snapshot.xml  the metadata (resources/hostvisor-snapshot.rng)
 *   snapshots/<id>/vm.xml        the VM's config when it was taken (the config loader reads it)
 *   snapshots/<id>/nvram.fd      the UEFI variables then (UEFI VMs only)
 *   snapshots/<id>/thumbnail.png the screen then (live snapshots)
 *   snapshots/state              the current snapshot and the operation in progress (a key
 *                                file, replaced atomically)
 * <id> is a lower-case UUID; every writable qcow2 disk holds the internal snapshot tag
 * "hv-<id>". A snapshot being taken is written as snapshots/.new-<id>/ and renamed into
 * place once its tags exist (commit); a deleted one is renamed to snapshots/.del-<id>/
 * before its files go. Users' names and descriptions live only in snapshot.xml.
 *
 * The store does no QEMU work: hv-vm-snapshots.c makes and removes the tags and calls the
 * store around it. Every write is atomic (hv_file_replace_contents()). */
#pragma once

#include <glib.h>

#include "hv-config.h"

G_BEGIN_DECLS

#define HV_SNAPSHOT_NAME_MAX_CHARS 64
#define HV_SNAPSHOT_DESCRIPTION_MAX_CHARS 4096
#define HV_SNAPSHOT_MAX 250              /* snapshots per VM (VirtualBox's depth limit) */
#define HV_SNAPSHOT_TAG_PREFIX "hv-"
#define HV_SAVED_STATE_TAG "hv-saved-state"

typedef enum {
  HV_SNAPSHOT_LIVE,  /* "live": RAM and device state too */
  HV_SNAPSHOT_DISK,  /* "disk": disks only */
} HvSnapshotKind;

typedef struct {
  char *path;        /* absolute path of the qcow2 image */
  char *node;        /* its format node while QEMU runs ("drive0-format") */
  gboolean vmstate;  /* the RAM and device state went into this one */
} HvSnapshotDisk;

typedef struct {
  char *id;
  char *name;
  char *description;
  char *parent;      /* "" for a root */
  gint64 created;    /* microseconds since the epoch */
  HvSnapshotKind kind;
  char *vm_state;    /* "running", "paused", "poweroff" */
  char *machine_type;
  guint64 vmstate_size;
  gboolean shares_unplugged;  /* live: taken with the virtiofs share devices unplugged */
  GPtrArray *disks;  /* HvSnapshotDisk*, owned */
} HvSnapshot;

HvSnapshot *hv_snapshot_new          (void);
HvSnapshot *hv_snapshot_copy         (const HvSnapshot *snapshot);
void        hv_snapshot_free         (HvSnapshot *snapshot);
void        hv_snapshot_add_disk     (HvSnapshot *snapshot, const char *path, const char *node,
                                      gboolean vmstate);
/* "hv-<id>" (free it) */
char       *hv_snapshot_dup_tag      (const HvSnapshot *snapshot);
const char *hv_snapshot_kind_to_string (HvSnapshotKind kind);

/* Name: valid UTF-8, 1..64 characters, no control characters, no leading or trailing
 * white space. Description: valid UTF-8, at most 4096 characters, no control characters but
 * newline and tab. HV_ERROR_INVALID_ARGUMENT. */
gboolean    hv_snapshot_check_name        (const char *name, GError **error);
gboolean    hv_snapshot_check_description (const char *description, GError **error);

/* The XML form (validated against the schema both ways). */
char       *hv_snapshot_to_xml       (const HvSnapshot *snapshot, GError **error);
HvSnapshot *hv_snapshot_from_xml     (const char *data, gsize len, const char *filename,
                                      GError **error);

typedef struct _HvSnapshotStore HvSnapshotStore;

/* Reads <vm_dir>/snapshots/. A snapshot whose files cannot be read or fail the schema is left
 * out and named in hv_snapshot_store_get_problems(); a missing folder is an empty store. */
HvSnapshotStore *hv_snapshot_store_load   (const char *vm_dir);
void             hv_snapshot_store_free   (HvSnapshotStore *store);
/* Read everything again from disk. */
void             hv_snapshot_store_reload (HvSnapshotStore *store);
/* Messages about snapshot folders that were left out (strings, owned by the store). */
GPtrArray       *hv_snapshot_store_get_problems (HvSnapshotStore *store);

/* Parents before their children, siblings oldest first (borrowed pointers, a new array). */
GPtrArray       *hv_snapshot_store_list    (HvSnapshotStore *store);
guint            hv_snapshot_store_count   (HvSnapshotStore *store);
HvSnapshot      *hv_snapshot_store_find    (HvSnapshotStore *store, const char *id);
/* Every snapshot named `name` (borrowed, a new array). */
GPtrArray       *hv_snapshot_store_find_by_name (HvSnapshotStore *store, const char *name);
/* The ids of the snapshots directly under `id` ("" for the roots), a new array of borrowed
 * strings. */
GPtrArray       *hv_snapshot_store_children (HvSnapshotStore *store, const char *id);
/* "Snapshot N": the first N not taken by a snapshot's name (free it). */
char            *hv_snapshot_store_next_name (HvSnapshotStore *store);

/* <vm_dir>/snapshots/<id>/<file> (free it). */
char            *hv_snapshot_store_dup_path (HvSnapshotStore *store, const char *id,
                                             const char *file);
/* The staging folder of a take: <vm_dir>/snapshots/.new-<id> (free it). */
char            *hv_snapshot_store_dup_staging (HvSnapshotStore *store, const char *id);

/* The current snapshot ("" for none) and the operation in progress. */
const char      *hv_snapshot_store_get_current (HvSnapshotStore *store);
gboolean         hv_snapshot_store_set_current (HvSnapshotStore *store, const char *id,
                                                GError **error);
/* The operation marker: written before an operation touches a disk, cleared when it is
 * whole, read after a crash (hv-vm-snapshots.c's reconcile). operation NULL clears it. */
gboolean         hv_snapshot_store_set_pending (HvSnapshotStore *store, const char *operation,
                                                const char *id, GError **error);
const char      *hv_snapshot_store_get_pending (HvSnapshotStore *store, const char **id);
/* The tag the next start must load (snapshot-load) before the guest runs: a live snapshot
 * restored to a powered-off VM, or the saved state. NULL clears it. */
gboolean         hv_snapshot_store_set_load    (HvSnapshotStore *store, const char *tag,
                                                GError **error);
const char      *hv_snapshot_store_get_load    (HvSnapshotStore *store);
/* The same, for a state saved from a paused guest (`paused`): the start that loads it leaves
 * the guest paused. set_load() of another tag forgets it. */
gboolean         hv_snapshot_store_set_load_paused (HvSnapshotStore *store, const char *tag,
                                                    gboolean paused, GError **error);
gboolean         hv_snapshot_store_get_load_paused (HvSnapshotStore *store);

/* A take, in two steps. prepare: write .new-<id>/ (snapshot.xml, vm.xml from `config`, a
 * copy of `nvram` when not NULL, `thumbnail` when not NULL) and mark the take pending.
 * commit: write its final snapshot.xml (`snapshot` may have changed since prepare: the
 * vmstate size), rename it into place, make it current, clear the marker. abort: remove the staging
 * folder and clear the marker. The snapshot's parent must exist ("" for a root). */
gboolean         hv_snapshot_store_prepare (HvSnapshotStore *store, const HvSnapshot *snapshot,
                                            const HvVmConfig *config, const char *nvram,
                                            GBytes *thumbnail, GError **error);
gboolean         hv_snapshot_store_commit  (HvSnapshotStore *store, const HvSnapshot *snapshot,
                                            GError **error);
void             hv_snapshot_store_abort   (HvSnapshotStore *store, const char *id);

/* Rewrite a snapshot's snapshot.xml (Edit). */
gboolean         hv_snapshot_store_update  (HvSnapshotStore *store, const HvSnapshot *snapshot,
                                            GError **error);
/* Remove a snapshot's metadata: its children move to its parent (their snapshot.xml
 * rewritten first), the current snapshot becomes its parent if it was this one, then its
 * folder goes. The tags must already be gone. */
gboolean         hv_snapshot_store_remove  (HvSnapshotStore *store, const char *id,
                                            GError **error);

/* Copy a file atomically (nvram.fd to and from a snapshot). */
gboolean         hv_snapshot_copy_file     (const char *from, const char *to, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvSnapshot, hv_snapshot_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvSnapshotStore, hv_snapshot_store_free)

G_END_DECLS
