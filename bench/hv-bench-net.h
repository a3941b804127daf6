/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-net.h: what the parts of hv-bench-net share (bench/README.md, "hv-bench-net").
 * hv-bench-net.c: options, NAT (the engine's slirp beside plain QEMU's and passt), the table;
 * hv-bench-net-host.c: the host's side of a transfer (a thread); hv-bench-net-ns.c: the
 * bench's own user+net namespace (a bridge, taps, sockets); hv-bench-net-lan.c: host-only
 * and internal networks beside plain QEMUs on that namespace's bridge. */
#pragma once

#include "hv-bench.h"

#define GUEST_TX_PORT 5001      /* the guest listens here for the host's bytes */
#define GUEST_DONE_PORT 5002    /* …and here for "the transfers are over" */
#define HOST_IO_TIMEOUT_S 150

/* The guest's end of "host -> guest" and of "done" (printf arguments: bytes, port, port):
 * `nc -l -e PROG` runs PROG on the connection: `dd … iflag=count_bytes` (256 KiB reads) ends
 * it once it has read every byte, and answers "ok" (a forward may take a connection before
 * the guest listens and drop it then: no "ok", and the host tries again). The guest decides
 * when the transfer is over: the end of the host's side of a connection does not reach the
 * guest through the engine's forward on a host-only network (see bench/README.md), so
 * `nc -l > /dev/null` would never end there. */
#define GUEST_RECEIVE \
  "printf '#!/bin/sh\\ndd of=/dev/null bs=262144 count=%d iflag=count_bytes 2>/dev/null && "\
  "echo ok\\n' > /tmp/hvb-rx\n" \
  "printf '#!/bin/sh\\nexec head -c 1 > /dev/null\\n' > /tmp/hvb-done\n" \
  "chmod 755 /tmp/hvb-rx /tmp/hvb-done\n" \
  "nc -l -p %d -e /tmp/hvb-rx\n" \
  "nc -l -p %d -e /tmp/hvb-done\n"

extern int size_mib;
extern int requests;

/* ── hv-bench-net-ns.c: a user+net namespace of the bench's own, with a bridge br0 ───── */
typedef struct _NsHolder NsHolder;

NsHolder *ns_holder_new (const char *address, GError **error);
void ns_holder_free (NsHolder *ns);
/* A new tap on br0, made inside the namespace as the engine's holder makes its taps
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, up, on the bridge); -1 on error. */
int ns_holder_tap (NsHolder *ns, GError **error);
/* A TCP socket of the namespace (unconnected), from a stock made in batches; -1 on error.
 * ns_holder_stock() makes sure that @n are in stock before a timed part. */
int ns_holder_socket (NsHolder *ns);
gboolean ns_holder_stock (NsHolder *ns, guint n, GError **error);

/* ── hv-bench-net-host.c: the host's side of a guest's run ────────────────────────────── */
typedef struct {
  /* How the host reaches the guest's ports 5001, 80 and 5002: forwarded ports on 127.0.0.1,
   * or (ns != NULL) sockets of a namespace connected to guest_ip directly. */
  guint16 fwd_tx, fwd_http, fwd_done;
  NsHolder *ns;
  const char *guest_ip;
  int sink_fd;          /* >= 0: first the guest sends to it (`dd | nc` to its gateway) */
  /* results */
  double to_host_nc_mib_s;
  double to_host_http_mib_s;
  double to_guest_mib_s;
  double requests_s;
  char *error;
} HostSide;

guint16 free_port (void);
int listen_loopback (guint16 *port);
GThread *host_side_start (HostSide *h);
gboolean host_side_finish (GThread *thread, HostSide *h, GError **error);
void host_side_clear (HostSide *h);

/* ── hv-bench-net-lan.c ──────────────────────────────────────────────────────────────────── */
/* What each figure got in one round: Hostvisor's and the baseline's. */
typedef struct {
  HostSide hv;
  HostSide plain;
  double internal_hv_mib_s;
  double internal_plain_mib_s;
} LanRound;

gboolean lan_host_only_round (const char *kernel, const char *initrd, gboolean first,
                              LanRound *r, GError **error);
gboolean lan_internal_round (const char *kernel, const char *initrd, gboolean first,
                             LanRound *r, GError **error);

/* hv-bench-net.c */
int argv_tap_fd (char **argv);
gboolean wait_engine_off (const char *vm);
