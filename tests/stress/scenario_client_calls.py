# SPDX-License-Identifier: GPL-3.0-or-later
"""client-calls: many client connections to one engine, and an engine out of descriptors.

hostvisorctl calls of every kind (list, show, version, folder list, share list, an error for a
VM that does not exist), each its own connection, then a burst of 20 at once. The engine's fds,
threads and RSS must stay flat. Then the engine's descriptor limit is lowered to what it uses
plus a few and 40 connections are held open: the engine must not spin (accept() failing with
EMFILE over and over), and must serve clients again once they close.
"""
import resource
import socket
import subprocess
import time

from harness import Failure, cpu_seconds

SIZES = {"short": 500, "full": 10000}
WARM_UP = 30
# CPU an idle engine may use while 40 connections wait (seconds of CPU per wall second).
SPIN_LIMIT = 0.25


def rss_limit_kib(size, baseline_kib):
    if size == "short":
        return baseline_kib + 1024 + baseline_kib * 2 // 100
    return baseline_kib + 4096 + baseline_kib * 5 // 100


def run(sc, env, builddir, srcdir):
    env.env["HOSTVISOR_IDLE_EXIT"] = "0"
    env.ctl_ok("create", "vm", "--no-disk", "--memory", "32", "--folder", "Lab")
    env.ctl_ok("folder", "create", "Empty")
    engine = env.engine_pid()

    calls = [
        (("list",), 0, None),
        (("list", "--json"), 0, '"uuid"'),
        (("show", "vm", "--json"), 0, '"poweroff"'),
        (("version",), 0, "hostvisord"),
        (("folder", "list", "--json"), 0, '"Lab"'),
        (("share", "list", "vm"), 0, None),
        (("show", "nosuch"), 1, 'No VM named "nosuch"'),
    ]

    def call(i):
        args, rc, want = calls[i % len(calls)]
        r = env.ctl(*args, timeout=60)
        if r.rc != rc or (want and want not in r.out + r.err):
            return "%s: %r" % (" ".join(args), r)
        return None

    for i in range(WARM_UP):
        err = call(i)
        if err:
            raise Failure("warm-up: " + err)
    before = env.settled_measure()

    n = sc.sized(SIZES)
    failed = []
    for i in range(n):
        err = call(i)
        if err:
            failed.append("call %d: %s" % (i + 1, err))
        sc.iterations += 1
        if (i + 1) % 2000 == 0:
            sc.note("%d calls so far" % (i + 1))
    burst = [subprocess.Popen([env.ctl_path, "list", "--json"], env=env.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(20)]
    burst_failed = [p for p in burst if p.wait(timeout=120) != 0]
    sc.iterations += len(burst)
    sc.count(len(failed), n, "every call gets its answer", "\n".join(failed[:20]))
    sc.count(len(burst_failed), len(burst), "20 clients at once are all served")
    sc.check(env.engine_pid() == engine, "one engine served every call")

    after = env.settled_measure(baseline=before)
    if before is None or after is None:
        raise Failure("the engine is gone")
    for key in ("fds", "threads", "rss_kib", "run_dir"):
        sc.figure(key, before[key], after[key])
    sc.check(after["fds"] <= before["fds"],
             "the engine's fds stay flat over %d calls" % (n + len(burst)),
             "%d → %d" % (before["fds"], after["fds"]))
    sc.check(after["threads"] <= before["threads"], "the engine's threads stay flat",
             "%d → %d" % (before["threads"], after["threads"]))
    sc.check(after["rss_kib"] <= rss_limit_kib(sc.size, before["rss_kib"]),
             "the engine's RSS stays flat",
             "%d KiB → %d KiB" % (before["rss_kib"], after["rss_kib"]))

    out_of_fds(sc, env, engine)
    sc.zombies = env.zombies()


def out_of_fds(sc, env, engine):
    sock_path = env.run_dir + "/engine.sock"
    soft, hard = resource.prlimit(engine, resource.RLIMIT_NOFILE)
    used = env.measure(engine)["fds"]
    resource.prlimit(engine, resource.RLIMIT_NOFILE, (used + 5, hard))
    held = []
    try:
        for _ in range(40):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2)
            try:
                s.connect(sock_path)
            except OSError:
                s.close()
                continue
            held.append(s)
        cpu0 = cpu_seconds(engine)
        t0 = time.monotonic()
        time.sleep(3)
        cpu = (cpu_seconds(engine) - cpu0) / (time.monotonic() - t0)
        sc.check(cpu < SPIN_LIMIT, "out of fds with clients waiting, the engine does not spin",
                 "it used %.2f s of CPU per second" % cpu)
        sc.note("at EMFILE the engine used %.2f CPU-s/s" % cpu)
    finally:
        for s in held:
            s.close()
        resource.prlimit(engine, resource.RLIMIT_NOFILE, (soft, hard))
    time.sleep(1)
    r = env.ctl("list", "--json", timeout=30)
    sc.check(r.rc == 0 and env.engine_pid() == engine,
             "once the clients are gone, the same engine serves again", repr(r))
