/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-glib.h: for fuzz targets of GLib code. A GLib critical or warning reached from input is
 * a bug (a g_return_if_fail() that input can trip), so it must end the run as a crash that
 * libFuzzer and fuzz-runner.c catch: abort() (SIGABRT), not GLib's own fatal handling, which
 * raises SIGTRAP, a signal libFuzzer does not handle.
 */
#pragma once

#include <glib.h>
#include <stdlib.h>

static void
hv_fuzz_log_handler (const char     *domain,
                     GLogLevelFlags  level,
                     const char     *message,
                     gpointer        user_data)
{
  g_printerr ("%s: %s\n", domain != NULL ? domain : "(no domain)", message);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
}

static inline void
hv_fuzz_abort_on_criticals (void)
{
  g_log_set_default_handler (hv_fuzz_log_handler, NULL);
}
