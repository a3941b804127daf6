/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-snapshot-qemu.h: what snapshots ask of QEMU: QMP jobs (snapshot-save, -load, -delete)
 * and qemu-img on images that no QEMU has open.
 *
 * QMP jobs (QEMU 7.2, docs/snapshots.md): the command returns at once or, for snapshot-save
 * and -load, only once the job is done, since the monitor is silent while the guest's state
 * is written. There is no timeout: a save of many GiB takes as long as it takes. The job's
 * end is followed through JOB_STATUS_CHANGE events and `query-jobs`; its error is read from
 * `query-jobs` and the job is dismissed.
 *
 * qemu-img never probes a format and never opens a backing file: the image is given as
 * json:{"driver":"qcow2","file":{"driver":"file","filename":…},"backing":null}. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hv-types.h"

G_BEGIN_DECLS

/* Run `command` (snapshot-save, snapshot-load, snapshot-delete) with `arguments` plus a
 * job-id of its own, and wait for the job to conclude. An error of the job becomes
 * HV_ERROR_QEMU_FAILED with QEMU's text. */
void     hv_snapshot_qmp_job_async  (HvQmp *qmp, const char *command, JsonObject *arguments,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean hv_snapshot_qmp_job_finish (GAsyncResult *result, GError **error);
/* After finish: how long the guest was paused by the job, from QEMU's STOP and RESUME events
 * (a guest that was not running, as in a paused QEMU being loaded: the job's whole time); -1
 * when that is not known (a STOP without a RESUME: the guest stays paused). */
double   hv_snapshot_qmp_job_paused_s (GAsyncResult *result);

/* Arguments of snapshot-save/-load ("vmstate" not NULL) or snapshot-delete. */
JsonObject *hv_snapshot_job_args    (const char *tag, const char *vmstate_node,
                                     GPtrArray *nodes);

/* qemu-img snapshot -c/-a/-d (`op` 'c', 'a', 'd') of `tag` on the qcow2 image `path`, which
 * no QEMU may have open. Synchronous (a header update: well under a second). HV_ERROR_IO
 * with qemu-img's message. `missing_ok` for 'd': a tag that is not there is no error. */
gboolean hv_qemu_img_snapshot       (char op, const char *path, const char *tag,
                                     gboolean missing_ok, GError **error);
/* The tags the qcow2 image holds (qemu-img info -U: works while QEMU has it open), with
 * their vm-state-size (guint64 in a GHashTable of char* → guint64*). NULL on error. */
GHashTable *hv_qemu_img_list_tags   (const char *path, GError **error);

G_END_DECLS
