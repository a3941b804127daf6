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
typedef struct _HvNetworks HvNetworks;

/* g_set_str() arrived in GLib 2.76; Debian 12 has 2.74. */
static inline gboolean
hv_set_str (char      **str_pointer,
            const char *new_str)
{
  char *copy;

  if (*str_pointer == new_str || g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;
  copy = g_strdup (new_str);
  g_free (*str_pointer);
  *str_pointer = copy;
  return TRUE;
}

G_END_DECLS
