/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-types.h: forward declarations shared by the engine's files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HvVmConfig HvVmConfig;
typedef struct _HvDrive HvDrive;
typedef struct _HvNic HvNic;
typedef struct _HvQemuCaps HvQemuCaps;
typedef struct _HvQmp HvQmp;
typedef struct _HvVm HvVm;
typedef struct _HvLibrary HvLibrary;

G_END_DECLS
