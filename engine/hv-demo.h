/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-demo.h: the ready demo VM offered on first start: a tiny Linux made from the host's
 * own kernel and busybox (tests/guest/make-tiny-guest.sh, installed with the engine) with
 * the guest agent inside. */
#pragma once

#include "hv-library.h"

G_BEGIN_DECLS

void  hv_demo_create_async  (HvLibrary *library, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
HvVm *hv_demo_create_finish (GAsyncResult *result, GError **error);

G_END_DECLS
