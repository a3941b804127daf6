# SPDX-License-Identifier: GPL-3.0-or-later
"""The reliability suite's tools: an isolated user environment per scenario, hostvisorctl,
the engine's process, and the figures a scenario measures (fds, threads, RSS, runtime-dir
entries, zombies, leftover QEMU and virtiofsd).

Everything a scenario starts lives under one temporary directory (XDG_* inside it), so the
processes that belong to a run are found by that path in their command line or environment,
and nothing touches the user's real library or engine.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

# Tests run on TCG even where /dev/kvm opens (see /work/shared/TESTING.md).
BASE_ENV = {
    "HOSTVISOR_NO_KVM": "1",
    # An engine left behind by a failed scenario goes away by itself.
    "HOSTVISOR_IDLE_EXIT": "30",
    "LC_ALL": "C.UTF-8",
}


class Failure(Exception):
    """A check failed in a way that ends the scenario."""


class Scenario:
    """A scenario's checks (TAP) and figures (one row of the table)."""

    def __init__(self, tap, name, size, scale=1.0):
        self.tap = tap
        self.name = name
        self.size = size
        self.scale = scale
        self.iterations = 0
        self.crash_points = 0
        self.failures = 0
        self.checks = 0
        self.figures = {}      # "fds": (before, after), ...
        self.zombies = 0
        self.leftovers = 0
        self.skipped = None
        self.notes = []
        self.extra_rows = []   # more table rows (the fuzz scenario: one per target)
        self.started = time.monotonic()
        self.seconds = 0.0

    def sized(self, sizes):
        """This run's count from a scenario's {"short": n, "full": m} (or tuples of counts),
        times --scale."""
        value = sizes[self.size]
        if isinstance(value, tuple):
            return tuple(max(1, int(v * self.scale)) for v in value)
        if isinstance(value, dict):
            return {k: max(1, int(v * self.scale)) for k, v in value.items()}
        return max(1, int(value * self.scale))

    def check(self, ok, what, detail=None):
        """One TAP test point."""
        self.checks += 1
        if not ok:
            self.failures += 1
        self.tap.point(ok, "%s: %s" % (self.name, what), detail)
        return ok

    def count(self, failed, total, what, detail=None):
        """A check over many iterations: one TAP point with the count of failures."""
        self.checks += 1
        if failed:
            self.failures += 1
        self.tap.point(failed == 0, "%s: %s (%d/%d failed)" % (self.name, what, failed, total),
                       detail)
        return failed == 0

    def skip(self, why):
        self.skipped = why
        self.tap.skip("%s: %s" % (self.name, why))

    def note(self, text):
        self.notes.append(text)
        self.tap.diag("%s: %s" % (self.name, text))

    def figure(self, key, before, after):
        self.figures[key] = (before, after)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def point(self, ok, what, detail=None):
        self.n += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what), flush=True)
        if detail and not ok:
            self.diag(detail)

    def skip(self, what):
        self.n += 1
        print("ok %d - %s # SKIP" % (self.n, what), flush=True)

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            print("# " + line, flush=True)

    def plan(self):
        print("1..%d" % self.n, flush=True)


class Result:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %s, stdout %r, stderr %r" % (self.rc, self.out[-500:], self.err[-500:])


# --- processes ------------------------------------------------------------------------------

def read_proc(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return None


def proc_status(pid):
    """/proc/PID/status as a dict, or None when the process is gone."""
    data = read_proc(pid, "status")
    if data is None:
        return None
    fields = {}
    for line in data.decode(errors="replace").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def alive(pid):
    """Running (not a zombie, not gone)."""
    st = proc_status(pid)
    return st is not None and not st.get("State", "").startswith(("Z", "X"))


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def socket_count(pid):
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        return None
    return n


def cpu_seconds(pid):
    data = read_proc(pid, "stat")
    if data is None:
        return None
    fields = data.decode().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(seconds, predicate, interval=0.1):
    """Polls predicate() until it is true or the time is up; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def dir_entries(path):
    """Every file and directory below path (not path itself)."""
    n = 0
    for _root, dirs, files in os.walk(path):
        n += len(dirs) + len(files)
    return n


# --- the environment ------------------------------------------------------------------------

class Env:
    """An isolated user: own XDG directories, own engine, own library."""

    def __init__(self, builddir, srcdir, tag, extra_env=None, library=None):
        self.builddir = builddir
        self.srcdir = srcdir
        # Short: UNIX socket paths are limited to 107 bytes.
        self.tmp = tempfile.mkdtemp(prefix="hvs-%s." % tag[:8], dir="/tmp")
        self.ctl_path = os.path.join(builddir, "app", "hostvisorctl")
        self.engine_path = os.path.join(builddir, "app", "hostvisord")
        self.env = dict(os.environ)
        self.env.update(BASE_ENV)
        self.env.update({
            "HOSTVISORD": self.engine_path,
            "HOSTVISOR_SCHEMA_DIR": os.path.join(srcdir, "resources"),
            "XDG_RUNTIME_DIR": os.path.join(self.tmp, "run"),
            "XDG_DATA_HOME": os.path.join(self.tmp, "data"),
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
            "XDG_CACHE_HOME": os.path.join(self.tmp, "cache"),
        })
        for var in ("HOSTVISOR_CRASH_AT", "HOSTVISOR_LIBRARY"):
            self.env.pop(var, None)
        if library is not None:
            self.env["HOSTVISOR_LIBRARY"] = library
        if extra_env:
            self.env.update(extra_env)
        for var in ("XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.makedirs(self.env[var], exist_ok=True)
        os.chmod(self.env["XDG_RUNTIME_DIR"], 0o700)
        self.run_dir = os.path.join(self.env["XDG_RUNTIME_DIR"], "hostvisor")
        self.library = library or os.path.join(self.env["XDG_DATA_HOME"], "hostvisor")
        self.engine_log = os.path.join(self.run_dir, "engine.log")

    # -- the command line

    def ctl(self, *args, timeout=120, env=None):
        e = self.env if env is None else dict(self.env, **env)
        try:
            p = subprocess.run([self.ctl_path] + list(args), env=e, capture_output=True,
                               timeout=timeout, stdin=subprocess.DEVNULL)
            return Result(p.returncode, p.stdout.decode(errors="replace"),
                          p.stderr.decode(errors="replace"))
        except subprocess.TimeoutExpired as exc:
            return Result(None, (exc.stdout or b"").decode(errors="replace"),
                          "timed out after %ss" % timeout)

    def ctl_ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        if r.rc != 0:
            raise Failure("hostvisorctl %s: %r" % (" ".join(args), r))
        return r

    def show(self, vm, **kw):
        r = self.ctl("show", vm, "--json", **kw)
        return r.json() if r.rc == 0 else None

    def vms(self, **kw):
        r = self.ctl("list", "--json", **kw)
        return {v["uuid"]: v for v in r.json()} if r.rc == 0 else None

    # -- processes of this environment

    def _ours(self, pid):
        env = read_proc(pid, "environ")
        return env is not None and ("XDG_RUNTIME_DIR=%s" % self.env["XDG_RUNTIME_DIR"]).encode() \
            in env.split(b"\0")

    def engine_pids(self):
        pids = []
        for pid in all_pids():
            try:
                if os.readlink("/proc/%d/exe" % pid) != os.path.realpath(self.engine_path):
                    continue
            except OSError:
                continue
            if self._ours(pid) and alive(pid):
                pids.append(pid)
        return pids

    def engine_pid(self):
        pids = self.engine_pids()
        return pids[0] if pids else None

    def processes(self, name):
        """Live processes whose command line names `name` and holds this run's directory."""
        found = []
        for pid in all_pids():
            cmd = read_proc(pid, "cmdline")
            if not cmd or self.tmp.encode() not in cmd:
                continue
            argv0 = os.path.basename(cmd.split(b"\0")[0].decode(errors="replace"))
            if name in argv0 and alive(pid):
                found.append(pid)
        return sorted(found)

    def qemu_pids(self, uuid=None):
        pids = self.processes("qemu-system")
        if uuid is None:
            return pids
        return [p for p in pids if uuid.encode() in (read_proc(p, "cmdline") or b"")]

    def virtiofsd_pids(self):
        return self.processes("virtiofsd")

    def zombies(self, parent=None):
        """Zombie children of the engine (or of `parent`): processes nobody reaped."""
        parents = {parent} if parent else set(self.engine_pids())
        n = 0
        for pid in all_pids():
            st = proc_status(pid)
            if st and st.get("State", "").startswith("Z") and int(st.get("PPid", 0)) in parents:
                n += 1
        return n

    def measure(self, pid=None):
        """The engine's figures now."""
        pid = pid or self.engine_pid()
        st = proc_status(pid) if pid else None
        if st is None or "VmRSS" not in st:    # gone, or a zombie
            return None
        return {
            "fds": fd_count(pid),
            "sockets": socket_count(pid),
            "threads": int(st["Threads"]),
            "rss_kib": int(st["VmRSS"].split()[0]),
            "run_dir": dir_entries(self.run_dir),
        }

    def settled_measure(self, baseline=None, seconds=20):
        """Measures until two readings 0.5 s apart agree (and, with a baseline, until nothing
        is above it or the time is up): GLib's worker threads and a client's connection take a
        moment to go away after the last call."""
        deadline = time.monotonic() + seconds
        last = self.measure()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.measure()
            if now is None or last is None:
                return now
            stable = all(now[k] == last[k] for k in ("fds", "threads", "run_dir"))
            below = baseline is None or all(now[k] <= baseline[k]
                                            for k in ("fds", "threads", "run_dir"))
            last = now
            if stable and below:
                break
        return last

    # -- the engine

    def kill_engine(self, sig=signal.SIGKILL):
        pids = self.engine_pids()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        wait_for(20, lambda: not any(alive(p) for p in pids))
        return pids

    def stop_engine(self):
        """SIGTERM: the engine powers its VMs off and exits."""
        pids = self.engine_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if not wait_for(60, lambda: not any(alive(p) for p in pids)):
            self.kill_engine()

    def engine_log_text(self):
        try:
            with open(self.engine_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self, keep=False):
        """Ends everything this environment started. Returns the leftover processes it had to
        kill (a QEMU or virtiofsd nobody powered off is a leak)."""
        self.stop_engine()
        leftovers = self.qemu_pids() + self.virtiofsd_pids()
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(10, lambda: not any(alive(p) for p in leftovers))
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return leftovers


def tiny_guest(builddir, srcdir):
    """Builds (or reuses) tests/guest's busybox guest in the build tree, as lib.sh does."""
    out = os.path.join(builddir, "tests", "guest")
    p = subprocess.run([os.path.join(srcdir, "tests", "guest", "make-tiny-guest.sh"), out],
                       capture_output=True, timeout=600)
    if p.returncode != 0:
        raise Failure("make-tiny-guest.sh failed: %s" % p.stderr.decode(errors="replace")[-2000:])
    return os.path.join(out, "vmlinuz"), os.path.join(out, "initrd.img")


def serial_count(path, marker):
    try:
        with open(path, "rb") as f:
            return f.read().count(marker.encode())
    except OSError:
        return 0
