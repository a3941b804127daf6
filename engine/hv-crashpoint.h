/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-crashpoint.h: named points at which a test can make the engine die.
 *
 * The reliability suite (tests/stress/) must kill the engine exactly between two steps of a
 * config save or of a VM's start, which an outside `kill -9` hits only by luck. With
 * HOSTVISOR_CRASH_AT=NAME[:N] in its environment, the engine sends itself SIGKILL the N-th
 * time (default 1) it reaches the point NAME; HOSTVISOR_CRASH_AT=list makes it log every
 * point it passes to stderr ("crashpoint NAME"), so a test can learn the points a scenario
 * passes. Without the variable a point costs one pointer comparison.
 *
 * The points:
 *   save:written        a config/index/NVRAM save's temporary is written and synced
 *   save:kept-previous  … and the previous version is kept as FILE.prev
 *   save:renamed        … and the temporary replaced FILE (hv-fileutil.c)
 *   start:spawned       QEMU's process exists (it wrote qemu.pid itself before exec)
 *   start:pid-written   the engine knows QEMU's pid and waits for it (hv-vm-process.c)
 *   start:qmp-connected the monitor answered; the serial port is attached; no `cont` yet
 *   start:continued     QEMU answered `cont`: the guest runs
 *   snapshot:take-marked      a take's marker and staging folder are written, no tag yet
 *   snapshot:take-saved       every disk holds the new tag; the folder is not in place yet
 *   snapshot:take-committed   the snapshot is whole and current
 *   snapshot:restore-marked   a restore's markers are written; nothing else changed yet
 *   snapshot:restore-applied  the disks are back at the snapshot; variables, config not yet
 *   snapshot:restore-starting a live snapshot's config is in place; QEMU not started yet
 *   snapshot:loaded           the new QEMU loaded the state; markers not cleared, no `cont`
 *   snapshot:in-process-marked  an in-process restore's marker is written; the guest runs on
 *   snapshot:in-process-loaded  the running QEMU loaded the state (stopped); metadata not yet
 *   snapshot:delete-marked    a delete's marker is written, the tags still there
 *   snapshot:delete-tags-gone the tags are gone, the metadata not yet
 *   save-state:marked         a save's marker is written, QEMU not asked yet
 *   save-state:saved          QEMU saved the state; the load marker not written, QEMU runs
 *   export:working            an export's work directory and its journal exist (hv-export.c)
 * (hv-vm-snapshots*.c; docs/snapshots.md says what the next engine does after each) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void hv_crash_point (const char *name);

G_END_DECLS
