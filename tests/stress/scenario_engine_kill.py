# SPDX-License-Identifier: GPL-3.0-or-later
"""engine-kill: the engine SIGKILLed again and again while guests run.

Three tiny Linux guests (tests/guest) print a heartbeat on their serial port; a fourth VM is
paused and a fifth powered off. Each round kills the engine with SIGKILL, then a client call
starts a new one, which must reattach: every guest keeps its QEMU (same pid) and keeps running
(its heartbeat goes on, written by QEMU itself to serial.log), every VM shows its true state
from the first answer on (running, paused, poweroff), and nothing piles up: the new engine's
fds, each QEMU's fds and sockets, the runtime directory, the number of QEMU processes.
"""
import signal

from harness import Failure, alive, fd_count, serial_count, socket_count, tiny_guest, wait_for

SIZES = {"short": 20, "full": 1000}
BOOT_WAIT = 300      # s: three TCG guests booting at once on a loaded 2-core machine
BEAT_WAIT = 30       # s: a heartbeat comes every 2 s of guest time


def run(sc, env, builddir, srcdir):
    kernel, initrd = tiny_guest(builddir, srcdir)
    guests = ["g1", "g2", "g3"]
    for g in guests:
        env.ctl_ok("create", g, "--no-disk", "--memory", "160", "--kernel", kernel,
                   "--initrd", initrd, "--cmdline", "console=ttyS0 quiet hv.heartbeat=1")
    env.ctl_ok("create", "paused", "--no-disk", "--memory", "32")
    env.ctl_ok("create", "off", "--no-disk", "--memory", "32")
    for vm in guests + ["paused"]:
        env.ctl_ok("start", vm)
    env.ctl_ok("pause", "paused")

    info = {vm: env.show(vm) for vm in guests + ["paused", "off"]}
    pids = {vm: info[vm]["pid"] for vm in guests + ["paused"]}
    serial = {g: info[g]["serial_log"] for g in guests}
    truth = {"g1": "running", "g2": "running", "g3": "running", "paused": "paused",
             "off": "poweroff"}
    booted = wait_for(BOOT_WAIT, lambda: all(serial_count(serial[g], "HOSTVISOR-GUEST: ready")
                                             for g in guests), interval=1)
    if not sc.check(booted, "the three guests boot"):
        raise Failure("the guests did not boot")

    kills = sc.sized(SIZES)
    lost_pid = 0            # a QEMU gone or replaced
    wrong_state = 0         # a VM shown in another state than its QEMU is in
    stopped = 0             # a guest whose heartbeat did not go on
    not_new = 0             # no new engine came up
    extra_qemu = 0          # more QEMU processes than VMs that run
    details = []
    engine_fds = []
    qemu_fds = []
    run_dir = []

    for i in range(kills):
        beats = {g: serial_count(serial[g], "HOSTVISOR-GUEST: alive") for g in guests}
        old = env.kill_engine(signal.SIGKILL)
        if not old:
            not_new += 1
            details.append("round %d: no engine to kill" % (i + 1))
        # The first client after the kill starts the next engine; its answers must be true.
        shown = {vm: env.show(vm) for vm in truth}
        engine = env.engine_pid()
        if engine is None or engine in old:
            not_new += 1
            details.append("round %d: no new engine" % (i + 1))
            continue
        for vm, state in truth.items():
            s = shown[vm]
            if s is None or s["state"] != state:
                wrong_state += 1
                details.append("round %d: %s shown %s, is %s" %
                               (i + 1, vm, s and s["state"], state))
            if vm in pids and (s is None or s.get("pid") != pids[vm] or not alive(pids[vm])):
                lost_pid += 1
                details.append("round %d: %s pid %s, was %d" % (i + 1, vm, s and s.get("pid"),
                                                                 pids[vm]))
        ok = wait_for(BEAT_WAIT, lambda: all(serial_count(serial[g], "HOSTVISOR-GUEST: alive")
                                              > beats[g] for g in guests), interval=0.25)
        if not ok:
            stopped += 1
            details.append("round %d: a guest's heartbeat stopped" % (i + 1))
        if len(env.qemu_pids()) != len(pids):
            extra_qemu += 1
            details.append("round %d: %d QEMU processes for %d VMs" %
                           (i + 1, len(env.qemu_pids()), len(pids)))
        m = env.settled_measure(seconds=5)
        engine_fds.append(m["fds"] if m else None)
        qemu_fds.append(tuple((fd_count(p), socket_count(p)) for p in pids.values()))
        run_dir.append(m["run_dir"] if m else None)
        sc.iterations += 1
        if (i + 1) % 100 == 0:
            sc.note("%d kills so far" % (i + 1))

    total = kills
    sc.count(not_new, total, "a client starts a new engine after each SIGKILL",
             "\n".join([d for d in details if "engine" in d][:20]))
    sc.count(lost_pid, total * len(pids), "every guest keeps its QEMU pid",
             "\n".join([d for d in details if " pid " in d][:20]))
    sc.count(wrong_state, total * len(truth), "every VM shows its true state at once",
             "\n".join([d for d in details if " shown " in d][:20]))
    sc.count(stopped, total, "the guests keep running (heartbeats go on)",
             "\n".join([d for d in details if "heartbeat" in d][:20]))
    sc.count(extra_qemu, total, "one QEMU per running VM, no more",
             "\n".join([d for d in details if "QEMU processes" in d][:20]))

    first = next((x for x in engine_fds if x is not None), None)
    last = next((x for x in reversed(engine_fds) if x is not None), None)
    sc.figure("fds", first, last)
    sc.check(first is not None and first == last, "each new engine opens as many fds as the first",
             "fds per round: %s ... %s" % (engine_fds[:10], engine_fds[-10:]))
    sc.check(qemu_fds and qemu_fds[0] == qemu_fds[-1],
             "no QEMU gains fds or sockets from the reconnections",
             "(fds, sockets) per QEMU, first %s, last %s" % (qemu_fds[:1], qemu_fds[-1:]))
    sc.figure("run_dir", run_dir[0] if run_dir else None, run_dir[-1] if run_dir else None)
    sc.check(run_dir and run_dir[0] == run_dir[-1], "the runtime directory does not grow",
             "entries per round: %s" % run_dir[-10:])

    # The end: everything powers off through the last engine, and no QEMU stays.
    for vm in pids:
        env.ctl("poweroff", vm)
    gone = wait_for(20, lambda: not any(alive(p) for p in pids.values()))
    sc.check(gone, "the last engine powers every VM off")
    sc.zombies += env.zombies()
