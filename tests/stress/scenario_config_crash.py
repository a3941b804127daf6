# SPDX-License-Identifier: GPL-3.0-or-later
"""config-crash: the engine killed in the middle of config writes.

A library of VMs in nested folders, one with a shared folder. Each operation that writes
configs (rename, modify, move, folder create/rename/delete, share add/remove) runs once with
HOSTVISOR_CRASH_AT=list to learn which crash points it passes and how often (a folder rename
saves every VM in the folder, then the index); then, from the same starting library, once per
crash point and pass (NAME:N), the engine dying there. In the full run also kill -9 from outside
at random moments of an operation. After each death: every vm.xml and library.ini must be
byte for byte the version before the operation or the one after it (nothing torn, nothing
lost); a new engine must list every VM as accessible; and no temporary file of the interrupted
save may be left once that engine has started.
"""
import os
import random
import re
import shutil
import signal
import subprocess
import time

from harness import Failure, wait_for

# (VMs in the library, random kills); short mode tries each crash point's first and last pass.
SIZES = {"short": (4, 10), "full": (100, 2000)}
TEMP_NAME = re.compile(r"^\.(vm\.xml|library\.ini)\.")


def build_library(env, n_vms):
    share = os.path.join(env.tmp, "share")
    os.makedirs(share)
    for i in range(n_vms):
        folder = ["A/B", "A", "", "A/B"][i % 4]
        args = ["create", "vm%d" % i, "--no-disk", "--memory", "32"]
        if folder:
            args += ["--folder", folder]
        env.ctl_ok(*args)
    env.ctl_ok("folder", "create", "E")
    env.ctl_ok("share", "add", "vm1", share, "--name", "docs")
    env.stop_engine()
    return share


def operations(share):
    return [
        ("rename", ["modify", "vm0", "--name", "vm0-renamed"]),
        ("modify", ["modify", "vm2", "--memory", "300", "--cpus", "2"]),
        ("move", ["move", "vm3", "--folder", "E"]),
        ("folder-create", ["folder", "create", "New/Sub"]),
        ("folder-rename", ["folder", "rename", "A", "Z"]),
        ("folder-delete", ["folder", "delete", "A"]),
        ("share-add", ["share", "add", "vm2", share, "--name", "extra"]),
        ("share-remove", ["share", "remove", "vm1", "docs"]),
    ]


def read_configs(library):
    """{relative path: bytes} of every vm.xml and library.ini."""
    files = {}
    index = os.path.join(library, "library.ini")
    if os.path.lexists(index):
        with open(index, "rb") as f:
            files["library.ini"] = f.read()
    vms = os.path.join(library, "vms")
    for d in sorted(os.listdir(vms)):
        path = os.path.join(vms, d, "vm.xml")
        if os.path.lexists(path):
            with open(path, "rb") as f:
                files["vms/%s/vm.xml" % d] = f.read()
    return files


def temp_files(library):
    found = []
    for root, _dirs, files in os.walk(library):
        found += [os.path.join(root, f) for f in files if TEMP_NAME.match(f)]
    return found


class Library:
    def __init__(self, env, n_vms):
        self.env = env
        self.share = build_library(env, n_vms)
        self.n_vms = n_vms
        self.saved = os.path.join(env.tmp, "library-before")
        shutil.copytree(env.library, self.saved, symlinks=True)
        self.before = read_configs(env.library)

    def restore(self):
        self.env.stop_engine()
        shutil.rmtree(self.env.library)
        shutil.copytree(self.saved, self.env.library, symlinks=True)
        try:
            os.unlink(self.env.engine_log)
        except FileNotFoundError:
            pass

    def verify(self, after, label):
        """Problems with the library now, which must be `before` or `after` file by file."""
        problems = []
        now = read_configs(self.env.library)
        for path in sorted(set(self.before) | set(after) | set(now)):
            allowed = {self.before.get(path), after.get(path)}
            if now.get(path) not in allowed:
                what = "missing" if now.get(path) is None else "neither old nor new"
                problems.append("%s: %s is %s" % (label, path, what))
        listed = self.env.vms()          # a new engine, unarmed
        if listed is None:
            problems.append("%s: the new engine does not list the library" % label)
        else:
            bad = [v["name"] for v in listed.values()
                   if v["state"] == "inaccessible" or v["config_error"]]
            if bad:
                problems.append("%s: inaccessible after the crash: %s" % (label, bad))
            if len(listed) != self.n_vms:
                problems.append("%s: %d VMs listed, not %d" % (label, len(listed), self.n_vms))
        litter = temp_files(self.env.library)
        return problems, litter


def crash_points_passed(log):
    counts = {}
    for name in re.findall(r"^crashpoint (\S+)$", log, re.M):
        counts[name] = counts.get(name, 0) + 1
    return counts


def run(sc, env, builddir, srcdir):
    n_vms, random_kills = sc.sized(SIZES)
    n_vms = max(n_vms, 4)       # the operations name vm0 to vm3
    lib = Library(env, n_vms)
    problems = []
    litter = []
    unreached = []
    references = {}

    for label, args in operations(lib.share):
        lib.restore()
        t0 = time.monotonic()
        r = env.ctl(*args, env={"HOSTVISOR_CRASH_AT": "list"})
        took = time.monotonic() - t0
        if r.rc != 0:
            raise Failure("%s without a crash: %r" % (label, r))
        counts = crash_points_passed(env.engine_log_text())
        env.stop_engine()
        after = read_configs(env.library)
        if after == lib.before:
            raise Failure("%s changed nothing on disk" % label)
        references[label] = (args, after, took)
        points = sorted(counts.items())
        sc.note("%s passes %s" % (label, ", ".join("%s ×%d" % p for p in points)))

        for name, total in points:
            passes = range(1, total + 1) if sc.size == "full" else sorted({1, total})
            for n in passes:
                lib.restore()
                where = "%s at %s:%d" % (label, name, n)
                env.ctl(*args, env={"HOSTVISOR_CRASH_AT": "%s:%d" % (name, n)})
                sc.crash_points += 1
                sc.iterations += 1
                wait_for(10, lambda: env.engine_pid() is None)
                if "crashpoint %s: killing" % name not in env.engine_log_text():
                    unreached.append(where)
                    continue
                p, t = lib.verify(after, where)
                problems += p
                if t:
                    litter.append("%s: %s" % (where, t))

    # kill -9 from outside, at a random moment of a random operation.
    rng = random.Random(0xc0ffee)
    labels = sorted(references)
    for k in range(random_kills):
        label = rng.choice(labels)
        args, after, took = references[label]
        lib.restore()
        env.ctl_ok("list")
        p = subprocess.Popen([env.ctl_path] + args, env=env.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took))
        env.kill_engine(signal.SIGKILL)
        p.wait(timeout=60)
        sc.crash_points += 1
        sc.iterations += 1
        where = "%s, kill -9 #%d" % (label, k + 1)
        pr, t = lib.verify(after, where)
        problems += pr
        if t:
            litter.append("%s: %s" % (where, t))
        if (k + 1) % 200 == 0:
            sc.note("%d random kills so far" % (k + 1))

    sc.count(len(unreached), sc.crash_points - random_kills, "each crash point is reached",
             "\n".join(unreached[:20]))
    torn = [p for p in problems if " is " in p]
    sc.count(len(torn), sc.crash_points,
             "every vm.xml and library.ini is the old or the new version", "\n".join(torn[:20]))
    others = [p for p in problems if p not in torn]
    sc.count(len(others), sc.crash_points, "the next engine lists every VM as accessible",
             "\n".join(others[:20]))
    sc.count(len(litter), sc.crash_points,
             "no temporary file of an interrupted save is left once the next engine runs",
             "\n".join(litter[:20]))
    sc.zombies = env.zombies()
