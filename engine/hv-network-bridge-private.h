/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-bridge-private.h: the parts of hv-network-bridge.c that tests call with a fake
 * /sys/class/net and a given allow list. */
#pragma once

#include "hv-network-bridge.h"

G_BEGIN_DECLS

/* 1..15 of [A-Za-z0-9_.-], not starting with '-' or '.': what the helper accepts. */
gboolean         hv_network_interface_name_valid (const char *name);
/* The bridges of an allow list's text; empty when any line is not a valid name (the helper
 * refuses such a list as a whole). */
char           **hv_network_allow_list_parse     (const char *text);
/* One interface of @sysfs_net ("/sys/class/net"), classified: bridge, wifi (phy80211 or
 * wireless), ethernet (a device that is not a tap) or other, and whether a bridged adapter
 * may name it given the helper's state and the allow list. */
HvHostInterface *hv_network_classify_interface   (const char *sysfs_net, const char *name,
                                                  gboolean helper_ok,
                                                  const char * const *allowed);
/* Every interface of @sysfs_net but lo and taps, sorted by name. */
GPtrArray       *hv_network_host_interfaces_at   (const char *sysfs_net, gboolean helper_ok,
                                                  const char * const *allowed);

G_END_DECLS
