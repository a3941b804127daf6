# SPDX-License-Identifier: GPL-3.0-or-later
"""disk-full: the library on a small tmpfs that is full to the last byte.

Two VMs (one running, one with a share and a folder), then a file fills the tmpfs. Creating a
VM, modifying, renaming, moving, folder changes, share changes and a screenshot written onto
the full disk must each fail with one clear line that says the disk is full, and leave every
vm.xml and library.ini byte for byte as it was, with no temporary file and no half-made VM
directory behind; the engine keeps running. Once space is freed, the same operations work.
Needs root for the mount (CI runs as root); skipped otherwise.
"""
import errno
import os
import subprocess

from harness import Env, Failure
from scenario_config_crash import read_configs, temp_files

TMPFS_SIZE = "4m"


def make_env(builddir, srcdir):
    env = Env(builddir, srcdir, "disk-full")
    env.mount = None
    if os.geteuid() != 0:
        return env
    mount = os.path.join(env.tmp, "small")
    os.makedirs(mount)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % TMPFS_SIZE, "tmpfs",
                        mount], capture_output=True)
    if p.returncode != 0:
        env.mount_error = p.stderr.decode(errors="replace").strip()
        return env
    env.mount = mount
    env.library = os.path.join(mount, "library")
    env.env["HOSTVISOR_LIBRARY"] = env.library
    return env


def cleanup(env):
    if env.mount is not None:
        subprocess.run(["umount", "-l", env.mount], capture_output=True)


def fill(path):
    """Writes into path until the file system has not one byte left."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 1 << 16, 4096, 512, 1):
            data = b"\0" * chunk
            while True:
                try:
                    f.write(data)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break


def engine_view(env):
    """What clients see of the library: each VM's name, folder, memory, shares; the folders."""
    vms = []
    for v in (env.vms() or {}).values():
        shown = env.show(v["uuid"]) or {}
        vms.append((v["name"], v["folder"], v["memory_mib"],
                    tuple(s["name"] for s in shown.get("shares", []))))
    r = env.ctl("folder", "list", "--json")
    folders = tuple(sorted(r.json())) if r.rc == 0 else None
    return sorted(vms) + [("folders", folders)]


def entries(path):
    return sorted(os.listdir(path))


def run(sc, env, builddir, srcdir):
    if os.geteuid() != 0:
        sc.skip("needs root to mount a small tmpfs")
        return
    if env.mount is None:
        sc.skip("cannot mount a tmpfs here: %s" % getattr(env, "mount_error", "?"))
        return

    share = os.path.join(env.tmp, "share")
    os.makedirs(share)
    env.ctl_ok("create", "a", "--no-disk", "--memory", "32")
    env.ctl_ok("create", "b", "--no-disk", "--memory", "32", "--folder", "F")
    env.ctl_ok("share", "add", "b", share, "--name", "docs")
    env.ctl_ok("folder", "create", "Keep")
    env.ctl_ok("start", "a")
    shot = os.path.join(env.mount, "shot.png")

    filler = os.path.join(env.mount, "filler")
    fill(filler)
    before = read_configs(env.library)
    vms_before = entries(os.path.join(env.library, "vms"))
    last_view = engine_view(env)
    attempts = [
        ["create", "c", "--no-disk", "--memory", "32"],
        ["modify", "b", "--memory", "64"],
        ["modify", "b", "--name", "b2"],
        ["move", "b", "--folder", "Keep"],
        ["folder", "create", "X/Y"],
        ["folder", "rename", "F", "G"],
        ["folder", "delete", "Keep"],
        ["share", "add", "b", share, "--name", "more"],
        ["share", "remove", "b", "docs"],
        ["screenshot", "a", shot],
    ]
    unclear = []
    changed = []
    diverged = []
    for args in attempts:
        r = env.ctl(*args, timeout=60)
        what = " ".join(args)
        sc.iterations += 1
        lines = r.err.strip().splitlines()
        if r.rc in (0, None) or len(lines) != 1 or "space" not in lines[0].lower():
            unclear.append("%s: %r" % (what, r))
        now = read_configs(env.library)
        if now != before:
            changed.append("%s: %s" % (what, sorted(k for k in set(now) | set(before)
                                                    if now.get(k) != before.get(k))))
        litter = temp_files(env.library) + [n for n in entries(os.path.join(env.library, "vms"))
                                            if n not in vms_before]
        if os.path.exists(shot) or any(n.startswith("shot.png") for n in entries(env.mount)):
            litter.append("a partial screenshot")
        if litter:
            changed.append("%s left %s" % (what, litter))
        if env.engine_pid() is None:
            raise Failure("the engine died on a full disk (after %s)" % what)
        # Against the previous view, so that one divergence is not counted again and again.
        view = engine_view(env)
        if view != last_view:
            diverged.append("%s: the engine showed %s, now %s" % (
                what, [x for x in last_view if x not in view],
                [x for x in view if x not in last_view]))
        last_view = view
    sc.count(len(unclear), len(attempts), "each fails with one line that says the disk is full",
             "\n".join(unclear))
    sc.count(len(changed), len(attempts), "every config stays whole, nothing is left behind",
             "\n".join(changed))
    sc.count(len(diverged), len(attempts),
             "what the engine shows stays what is on disk (a failed change is undone)",
             "\n".join(diverged))

    os.unlink(filler)
    failed = []
    for args in (["create", "c", "--no-disk", "--memory", "32"], ["modify", "b", "--memory", "64"],
                 ["folder", "create", "X/Y"], ["screenshot", "a", shot]):
        r = env.ctl(*args, timeout=60)
        if r.rc != 0:
            failed.append("%s: %r" % (" ".join(args), r))
    sc.check(not failed, "with space again, the same operations work", "\n".join(failed))
    listed = env.vms() or {}
    sc.check(len(listed) == 3 and all(not v["config_error"] for v in listed.values()),
             "all VMs are accessible afterwards")
    env.ctl("poweroff", "a")
    sc.zombies = env.zombies()
