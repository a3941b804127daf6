/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-application.h: the desktop app io.github.hostvisor: one engine client shared by its
 * windows; opening ISO files (from a file manager) starts "new VM" with them. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HV_TYPE_APPLICATION (hv_application_get_type ())

G_DECLARE_FINAL_TYPE (HvApplication, hv_application, HV, APPLICATION, AdwApplication)

HvApplication *hv_application_new (void);

G_END_DECLS
