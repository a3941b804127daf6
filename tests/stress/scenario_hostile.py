# SPDX-License-Identifier: GPL-3.0-or-later
"""hostile-files: vm.xml and library.ini files that someone else planted in the library.

Beside one good VM, VM directories whose vm.xml is: a symlink to a valid config outside the
library, a FIFO, 100 MB, 100,000 elements deep, a billion-laughs entity bomb, and a document
whose name is an external entity pointing at a file outside. Each must be listed as
inaccessible with the reason, never read through the link (the outside config's name and the
outside file's text appear in no answer), and never overwritten or replaced, whatever the user
does next (modify, start, folder changes, a new engine, delete). The engine must stay quick and
small (no hang on the FIFO, no 100 MB read, no entity expansion). library.ini as a symlink to an
outside index and as a FIFO: the outside folders are never listed, the outside file never
written, and the engine serves folders normally.
"""
import os
import stat
import uuid

from harness import Env

SECRET_NAME = "SECRET-OUTSIDE-CONFIG"
SECRET_TEXT = "SECRET-OUTSIDE-TEXT"
RSS_LIMIT_KIB = 64 * 1024      # more than this above the baseline: something was read whole

# A complete, valid config (as the engine writes one): only the way it is reached is wrong.
CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<hostvisor-vm version="1">
  <uuid>{uuid}</uuid>
  <name>{name}</name>
  <system machine="pc" firmware="bios">
    <memory unit="MiB">32</memory>
    <cpus>1</cpus>
    <video model="std"/>
    <boot order="cd"/>
  </system>
  <network>
    <adapter mode="nat" model="virtio-net" mac="52:54:00:12:34:56"/>
  </network>
</hostvisor-vm>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE hostvisor-vm [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<hostvisor-vm version="1"><uuid>{uuid}</uuid><name>&g;</name></hostvisor-vm>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE hostvisor-vm [ <!ENTITY secret SYSTEM "file://{path}"> ]>
<hostvisor-vm version="1">
  <uuid>{uuid}</uuid>
  <name>&secret;</name>
  <system machine="pc" firmware="bios">
    <memory unit="MiB">32</memory>
    <cpus>1</cpus>
    <video model="std"/>
    <boot order="cd"/>
  </system>
</hostvisor-vm>
"""


def fingerprint(path):
    """What must not change: the kind of file, a link's target, a file's bytes (or, for the
    100 MB one, its size and mtime)."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISFIFO(st.st_mode):
        return ("fifo", st.st_ino)
    if st.st_size > 4 * 1024 * 1024:
        return ("big", st.st_size, st.st_mtime_ns, st.st_ino)
    with open(path, "rb") as f:
        return ("file", f.read())


def plant(env, outside):
    """Makes the hostile VM directories. Returns {label: (uuid, vm.xml path)} and the files
    outside the library that must never change."""
    vms_dir = os.path.join(env.library, "vms")
    hostile = {}

    def vm_dir(label):
        u = str(uuid.uuid4())
        d = os.path.join(vms_dir, u)
        os.makedirs(d)
        hostile[label] = (u, os.path.join(d, "vm.xml"))
        return u, hostile[label][1]

    u, path = vm_dir("symlink")
    target = os.path.join(outside, "outside-vm.xml")
    with open(target, "w") as f:
        f.write(CONFIG.format(uuid=u, name=SECRET_NAME))
    os.symlink(target, path)

    u, path = vm_dir("fifo")
    os.mkfifo(path)

    u, path = vm_dir("100 MB")
    with open(path, "w") as f:
        f.write(CONFIG.format(uuid=u, name="big"))
        f.truncate(100 * 1024 * 1024)

    u, path = vm_dir("deeply nested")
    with open(path, "w") as f:
        f.write('<hostvisor-vm version="1">' + "<a>" * 100000 + "</a>" * 100000 +
                "</hostvisor-vm>\n")

    u, path = vm_dir("billion laughs")
    with open(path, "w") as f:
        f.write(BILLION_LAUGHS.format(uuid=u))

    secret = os.path.join(outside, "secret.txt")
    with open(secret, "w") as f:
        f.write(SECRET_TEXT)
    u, path = vm_dir("external entity")
    with open(path, "w") as f:
        f.write(XXE.format(uuid=u, path=secret))

    watched = {label: path for label, (_u, path) in hostile.items()}
    watched["outside config"] = target
    watched["outside text"] = secret
    return hostile, watched


def run(sc, env, builddir, srcdir):
    outside = os.path.join(env.tmp, "outside")
    os.makedirs(outside)
    env.ctl_ok("create", "good", "--no-disk", "--memory", "32", "--folder", "F")
    env.stop_engine()
    hostile, watched = plant(env, outside)
    prints = {label: fingerprint(p) for label, p in watched.items()}
    outputs = []

    r = env.ctl("list", "--json", timeout=30)
    outputs.append(r.out + r.err)
    sc.check(r.rc == 0, "the engine starts and lists the library in time (no hang)", repr(r))
    listed = {v["uuid"]: v for v in r.json()} if r.rc == 0 else {}
    engine = env.engine_pid()
    base = env.measure()
    for label, (u, _path) in hostile.items():
        v = listed.get(u)
        sc.check(v is not None and v["state"] == "inaccessible" and v["config_error"] != "",
                 "%s: listed as inaccessible with the reason" % label,
                 "listed as: %r" % (v and {k: v[k] for k in ("name", "state", "config_error")}))
        iterate_hostile(env, u, outputs)
    sc.check(env.ctl("show", "good").rc == 0, "the good VM still works")

    # Whatever touches every VM must leave the planted files alone.
    for args in (["folder", "rename", "F", "G"], ["folder", "create", "H/I"],
                 ["folder", "delete", "G"], ["modify", "good", "--memory", "40"]):
        r = env.ctl(*args)
        outputs.append(r.out + r.err)
        sc.check(r.rc == 0, "beside them, %s works" % " ".join(args), repr(r))
    env.kill_engine()
    r = env.ctl("list", "--json", timeout=30)      # a new engine reads them again
    outputs.append(r.out + r.err)
    m = env.measure()
    sc.check(m is not None and base is not None and
             m["rss_kib"] - base["rss_kib"] < RSS_LIMIT_KIB and
             env.measure(engine) is None,   # the first one was killed, this is a new one
             "a new engine reads them again and stays small",
             "RSS %s KiB → %s KiB" % (base and base["rss_kib"], m and m["rss_kib"]))

    for label, path in watched.items():
        now = fingerprint(path) if os.path.lexists(path) else None
        sc.check(now == prints[label], "%s: never overwritten or replaced" % label,
                 "was %r, is %r" % (str(prints[label])[:100], str(now)[:100]))
    # Deleting the VM may remove its link, never what the link points to.
    u, _p = hostile["symlink"]
    r = env.ctl("delete", u)
    outputs.append(r.out + r.err)
    target = watched["outside config"]
    sc.check(os.path.exists(target) and fingerprint(target) == prints["outside config"],
             "deleting the symlinked VM leaves the file outside alone")
    seen = "\n".join(outputs)
    sc.check(SECRET_NAME not in seen, "the symlink is never read through (the outside name "
             "shows nowhere)")
    sc.check(SECRET_TEXT not in seen, "the external entity is never read (its text shows nowhere)")
    sc.iterations += len(hostile)

    hostile_index(sc, env, builddir, srcdir)
    sc.zombies = env.zombies()


def iterate_hostile(env, u, outputs):
    """What a user may try on an inaccessible VM; all must fail cleanly or change nothing."""
    for args in (["show", u, "--json"], ["modify", u, "--memory", "64"], ["start", u],
                 ["move", u, "--folder", "X"]):
        r = env.ctl(*args, timeout=30)
        outputs.append(r.out + r.err)


def hostile_index(sc, env, builddir, srcdir):
    for kind in ("symlink", "fifo"):
        e = Env(builddir, srcdir, "index-" + kind)
        try:
            e.ctl_ok("folder", "create", "Real")
            e.stop_engine()
            index = os.path.join(e.library, "library.ini")
            os.unlink(index)
            outside = os.path.join(e.tmp, "outside-library.ini")
            with open(outside, "w") as f:
                f.write("[library]\nversion=1\nfolders=LEAKED;LEAKED/Folder;\n")
            if kind == "symlink":
                os.symlink(outside, index)
            else:
                os.mkfifo(index)
            before = fingerprint(outside)
            r = e.ctl("folder", "list", "--json", timeout=30)
            sc.check(r.rc == 0, "library.ini as a %s: the engine serves folders in time" % kind,
                     repr(r))
            sc.check("LEAKED" not in r.out, "library.ini as a %s: nothing is read from it" % kind,
                     r.out)
            r = e.ctl("folder", "create", "New", timeout=30)
            sc.check(r.rc == 0 or r.err.strip() != "",
                     "library.ini as a %s: a folder change works or says why" % kind, repr(r))
            if kind == "symlink":
                sc.check(fingerprint(outside) == before,
                         "library.ini as a symlink: the file outside is never written")
        finally:
            e.close()
