/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-contract.h: the version of the D-Bus contract (engine/dbus/io.github.hostvisor.Engine.xml),
 * which the engine serves as Engine.ContractVersion. It changes only when a change breaks older
 * clients (something removed, or a type or meaning changed); additions keep it. A client that
 * reaches an engine over SSH refuses one whose version differs (hv-client-remote.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HV_CONTRACT_VERSION 1u

/* What the engine serves: HV_CONTRACT_VERSION, or for the tests of that refusal the number in
 * HOSTVISOR_TEST_CONTRACT_VERSION (an engine that pretends to be another version). */
static inline guint32
hv_contract_version_served (void)
{
  const char *env = g_getenv ("HOSTVISOR_TEST_CONTRACT_VERSION");
  guint64 value;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 0, G_MAXUINT32, &value, NULL))
    return (guint32) value;
  return HV_CONTRACT_VERSION;
}

G_END_DECLS
