/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-error.h: the HV_ERROR domain. Its codes travel over D-Bus as
 * io.github.hostvisor.Error.<Name>, so clients get the same code back. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HV_ERROR (hv_error_quark ())

typedef enum {
  HV_ERROR_FAILED,          /* io.github.hostvisor.Error.Failed */
  HV_ERROR_INVALID_ARGUMENT,/* bad option, bad name, bad value */
  HV_ERROR_NOT_FOUND,       /* no such VM, folder, file */
  HV_ERROR_EXISTS,          /* name or folder already taken */
  HV_ERROR_INVALID_STATE,   /* e.g. already running, not running */
  HV_ERROR_INACCESSIBLE,    /* the VM's config cannot be read */
  HV_ERROR_INVALID_CONFIG,  /* a config file is malformed or fails the schema */
  HV_ERROR_QEMU_FAILED,     /* QEMU refused to start or a QMP command failed */
  HV_ERROR_IO,              /* a file could not be read or written */
  HV_ERROR_BUSY,            /* another operation is in progress */
  HV_ERROR_TIMEOUT,
  HV_ERROR_NOT_SUPPORTED,
  HV_ERROR_ENGINE_RUNNING,  /* another engine already runs for this user */
} HvErrorCode;

#define HV_ERROR_N_CODES (HV_ERROR_ENGINE_RUNNING + 1)

GQuark hv_error_quark (void);

/* Sets @error to HV_ERROR_INVALID_ARGUMENT with the message and returns FALSE: a checker's
 * `return hv_refuse (error, "…", …);`. */
gboolean hv_refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
