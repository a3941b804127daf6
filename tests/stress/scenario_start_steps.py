# SPDX-License-Identifier: GPL-3.0-or-later
"""start-steps: the engine killed at every step of starting a VM.

The engine is armed with HOSTVISOR_CRASH_AT at each step of a start (QEMU spawned, pid file
written, QMP connected, `cont` answered) and dies there; in the full run also with kill -9 at
random moments of a start. Then a new engine must know every QEMU it left: no orphan (a QEMU
that no VM claims), at most one QEMU for the VM, the VM shown as running or paused exactly when
its QEMU lives. Powering it off must end that QEMU, and the VM must start (and power off) again.
"""
import os
import random
import signal
import subprocess
import time

from harness import alive, wait_for

POINTS = ["start:spawned", "start:pid-written", "start:qmp-connected", "start:continued"]
SIZES = {"short": (1, 4), "full": (25, 400)}   # (rounds per point, random kills)


def check_after_crash(env, uuid, label):
    """Returns a list of problems after the engine died during a start."""
    problems = []
    qemus = env.qemu_pids(uuid)
    shown = env.show(uuid)       # starts a new engine, unarmed
    if shown is None:
        return ["%s: the new engine does not show the VM" % label]
    state, pid = shown["state"], shown.get("pid")
    if len(qemus) > 1:
        problems.append("%s: %d QEMU processes for one VM" % (label, len(qemus)))
    for q in qemus:
        if q != pid:
            problems.append("%s: orphan QEMU %d (the VM is %s, pid %s)" % (label, q, state, pid))
    if qemus and state not in ("running", "paused"):
        problems.append("%s: QEMU runs but the VM is shown %s" % (label, state))
    if not qemus and state in ("running", "paused", "starting"):
        problems.append("%s: shown %s without a QEMU" % (label, state))
    if state in ("running", "paused", "starting"):
        r = env.ctl("poweroff", uuid)
        if r.rc != 0:
            problems.append("%s: poweroff after the crash: %r" % (label, r))
    if not wait_for(15, lambda: not any(alive(q) for q in qemus)):
        problems.append("%s: QEMU %s outlives poweroff" % (label, qemus))
        for q in qemus:     # for the next round
            try:
                os.kill(q, signal.SIGKILL)
            except OSError:
                pass
    r = env.ctl("start", uuid)
    if r.rc != 0:
        problems.append("%s: the VM does not start again: %r" % (label, r))
    else:
        r = env.ctl("poweroff", uuid)
        if r.rc != 0:
            problems.append("%s: poweroff after the restart: %r" % (label, r))
    if env.qemu_pids(uuid):
        problems.append("%s: a QEMU is left after the last poweroff" % label)
    return problems


def run(sc, env, builddir, srcdir):
    uuid = env.ctl_ok("create", "steps", "--no-disk", "--memory", "32").out.strip()
    rounds, random_kills = sc.sized(SIZES)
    problems = []
    unreached = []

    for point in POINTS:
        for k in range(rounds):
            env.stop_engine()
            label = "%s #%d" % (point, k + 1)
            log_start = len(env.engine_log_text())
            # The start autostarts an engine armed at this point. ":1" always: the names hold a
            # colon themselves, so "start:spawned" alone would read as point "start", pass
            # "spawned", which hv-crashpoint.c ignores.
            r = env.ctl("start", uuid, env={"HOSTVISOR_CRASH_AT": point + ":1"})
            died = wait_for(10, lambda: env.engine_pid() is None)
            sc.crash_points += 1
            sc.iterations += 1
            said = "crashpoint %s: killing" % point in env.engine_log_text()[log_start:]
            if not died or not said:
                unreached.append("%s: the engine did not die there (start: %r)" % (label, r))
                continue
            problems += [(label, p) for p in check_after_crash(env, uuid, label)]

    # kill -9 from outside at random moments of a start.
    rng = random.Random(0x5eed)
    env.stop_engine()
    for k in range(random_kills):
        env.ctl_ok("list")
        engine = env.engine_pid()
        p = subprocess.Popen([env.ctl_path, "start", uuid], env=env.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 0.6))
        env.kill_engine(signal.SIGKILL)
        p.wait(timeout=60)
        sc.crash_points += 1
        sc.iterations += 1
        if engine is None:
            unreached.append("random #%d: no engine to kill" % (k + 1))
            continue
        label = "random kill #%d" % (k + 1)
        problems += [(label, p) for p in check_after_crash(env, uuid, label)]

    sc.count(len(unreached), sc.iterations, "the engine dies where it is told to",
             "\n".join(unreached[:20]))
    orphan_kinds = ("orphan", "outlives", "left after")
    orphans = [(l, p) for l, p in problems if any(k in p for k in orphan_kinds)]
    others = [(l, p) for l, p in problems if (l, p) not in orphans]
    sc.count(len({l for l, _p in orphans}), sc.iterations,
             "no orphan QEMU after the engine died during a start",
             "\n".join(p for _l, p in orphans[:20]))
    sc.count(len({l for l, _p in others}), sc.iterations,
             "the VM shows its true state, powers off and starts again",
             "\n".join(p for _l, p in others[:20]))
    sc.leftovers += len([p for _l, p in problems if "orphan QEMU" in p])
    sc.zombies = env.zombies()
