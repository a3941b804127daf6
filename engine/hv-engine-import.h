/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-engine-import.h: Engine.InspectAppliance, ImportAppliance, CancelImport and the
 * ApplianceProgress signal on D-Bus (hv-appliance-import.h does the work). */
#pragma once

#include "hv-dbus-generated.h"
#include "hv-engine.h"

G_BEGIN_DECLS

void hv_engine_import_register (HvDbusEngine *skeleton, HvEngine *engine);

G_END_DECLS
