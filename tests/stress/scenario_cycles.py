# SPDX-License-Identifier: GPL-3.0-or-later
"""cycles: start and power off, again and again, through one engine.

Two diskless VMs that sit in SeaBIOS (no OS needed to prove this): one plain (pc), one q35 VM
with a virtiofs share, so that each of its starts runs a virtiofsd beside QEMU (when virtiofsd
is installed). They take turns. After every cycle the VM's QEMU and virtiofsd must be gone
(not zombies: reaped), and at the end the engine's fds, threads, RSS and the runtime directory
must be where they were after the warm-up. RSS may move a little (malloc keeps freed memory);
the limit is 1 MiB + 2% in short mode, 4 MiB + 5% in full, where a leak of even a few hundred
bytes per cycle adds up far beyond it.
"""
import os

from harness import Failure, alive, wait_for

SIZES = {"short": 50, "full": 10000}
WARM_UP = 3


def rss_limit_kib(size, baseline_kib):
    if size == "short":
        return baseline_kib + 1024 + baseline_kib * 2 // 100
    return baseline_kib + 4096 + baseline_kib * 5 // 100


def run(sc, env, builddir, srcdir):
    vms = ["plain"]
    env.ctl_ok("create", "plain", "--no-disk", "--memory", "32")
    virtiofsd = any(os.access(p, os.X_OK) for p in ("/usr/libexec/virtiofsd",
                                                    "/usr/lib/qemu/virtiofsd"))
    if virtiofsd:
        share = os.path.join(env.tmp, "share")
        os.makedirs(share)
        env.ctl_ok("create", "shared", "--no-disk", "--memory", "64", "--machine", "q35",
                   "--share-transport", "virtiofs")
        env.ctl_ok("share", "add", "shared", share, "--name", "docs")
        vms.append("shared")
    else:
        sc.note("virtiofsd is not installed: cycles without virtiofs shares")

    # One engine for the whole run: it must not exit between two cycles.
    env.env["HOSTVISOR_IDLE_EXIT"] = "0"
    env.ctl_ok("list")
    engine = env.engine_pid()

    def cycle(vm):
        r = env.ctl("start", vm)
        if r.rc != 0:
            return "start %s: %r" % (vm, r)
        shown = env.show(vm)
        pid = shown and shown.get("pid")
        fsd = env.virtiofsd_pids()
        if vm == "shared" and not fsd:
            return "no virtiofsd runs for %s" % vm
        r = env.ctl("poweroff", vm)
        if r.rc != 0:
            return "poweroff %s: %r" % (vm, r)
        if not pid or not wait_for(10, lambda: not alive(pid)):
            return "QEMU %s of %s still there after poweroff" % (pid, vm)
        if not wait_for(10, lambda: not any(alive(p) for p in fsd)):
            return "virtiofsd %s still there after poweroff" % fsd
        state = env.show(vm)
        if state is None or state["state"] != "poweroff":
            return "%s is %s after poweroff" % (vm, state and state["state"])
        return None

    for i in range(WARM_UP):
        err = cycle(vms[i % len(vms)])
        if err:
            raise Failure("warm-up: " + err)
    before = env.settled_measure()

    n = sc.sized(SIZES)
    failed = []
    zombies = 0
    for i in range(n):
        err = cycle(vms[i % len(vms)])
        if err:
            failed.append("cycle %d: %s" % (i + 1, err))
        sc.iterations += 1
        if i % 10 == 9:
            zombies = max(zombies, env.zombies())
        if (i + 1) % 500 == 0:
            sc.note("%d cycles so far" % (i + 1))
        if len(failed) > 20:
            break
    sc.count(len(failed), sc.iterations,
             "start and poweroff work, QEMU and virtiofsd end each time",
             "\n".join(failed[:20]))
    sc.check(env.engine_pid() == engine, "the same engine served every cycle")

    after = env.settled_measure(baseline=before)
    if before is None or after is None:
        raise Failure("the engine is gone")
    for key in ("fds", "threads", "rss_kib", "run_dir"):
        sc.figure(key, before[key], after[key])
    sc.check(after["fds"] <= before["fds"], "the engine's fds end where they began",
             "%d → %d" % (before["fds"], after["fds"]))
    sc.check(after["threads"] <= before["threads"], "the engine's threads end where they began",
             "%d → %d" % (before["threads"], after["threads"]))
    sc.check(after["rss_kib"] <= rss_limit_kib(sc.size, before["rss_kib"]),
             "the engine's RSS ends where it began",
             "%d KiB → %d KiB" % (before["rss_kib"], after["rss_kib"]))
    sc.check(after["run_dir"] <= before["run_dir"], "the runtime directory ends where it began",
             "%d → %d entries" % (before["run_dir"], after["run_dir"]))
    sc.zombies = max(zombies, env.zombies())
    sc.check(sc.zombies == 0, "no zombie children of the engine")
    sc.check(not env.qemu_pids() and not env.virtiofsd_pids(), "no QEMU or virtiofsd left")
