/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-crashpoint.h: named points at which a test can make the engine die.
 *
 * The reliability suite (tests/stress/) must kill the engine exactly between two steps of a
 * config save or of a VM's start, which an outside `kill -9` hits only by luck. With
 * HOSTVISOR_CRASH_AT=NAME[:N] in its environment, the engine sends itself SIGKILL the N-th
 * time (default 1) it reaches the point NAME; HOSTVISOR_CRASH_AT=list makes it log every
 * point it passes to stderr ("crashpoint NAME"), so a test can learn the points a scenario
 * passes. Without the variable a point costs one pointer comparison. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void hv_crash_point (const char *name);

G_END_DECLS
