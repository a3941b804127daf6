/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-netsetup.h: the Engine object's view of the one-time network set-up: the
 * NetworkSetup property and the ListHostInterfaces method (hv-network-bridge.h). */
#pragma once

#include "hv-dbus-generated.h"

G_BEGIN_DECLS

/* Fills NetworkSetup now, keeps it current (when the set-up's files or Engine.Networks
 * change) and answers ListHostInterfaces. Everything it holds is tied to @skeleton. */
void hv_engine_netsetup_init (HvDbusEngine *skeleton);

G_END_DECLS
