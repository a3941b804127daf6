/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-network.h: the Engine object's host-only and internal networks on D-Bus: the
 * Networks property and CreateNetwork, ModifyNetwork, RemoveNetwork. */
#pragma once

#include "hv-dbus-generated.h"
#include "hv-library.h"

G_BEGIN_DECLS

/* Connects the handlers to @skeleton and keeps Networks true while @library lives. */
void hv_engine_network_register (HvDbusEngine *skeleton, HvLibrary *library);

G_END_DECLS
