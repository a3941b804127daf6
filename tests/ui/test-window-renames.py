#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Renames and moves under the open window (see test-window-renames.sh). Prints TAP.

HV_RENAMES: how many renames; HV_APP_WRAPPER: a command to run the app under (valgrind);
HV_VALGRIND_LOG: valgrind's log, checked for invalid reads, writes and frees at the end.
"""
import os
import re
import subprocess
import time

import hvui
from hvui import ctl, wait_for

RENAMES = int(os.environ.get("HV_RENAMES", "100"))
WRAPPER = os.environ.get("HV_APP_WRAPPER") or None
VALGRIND_LOG = os.environ.get("HV_VALGRIND_LOG")
# Under valgrind everything in the app takes many times longer.
SLOW = 20 if WRAPPER else 1
FOLDERS = ["Alpha", "Beta", "Beta/Inner", "Gamma", ""]

tap = hvui.Tap()


def library():
    """uuid → (name, folder), as the engine has it."""
    return {vm["uuid"]: (vm["name"], vm.get("folder", "")) for vm in hvui.vm_list()}


def shown(app):
    """(name, folder) of every VM row, from the rows' accessible descriptions, and whether
    each folder's VMs are in order."""
    rows = hvui.sidebar_rows(app)
    vms = []
    for kind, name, desc, _ in rows:
        if kind != "vm":
            continue
        m = re.search(r", in folder (.*)$", desc)
        vms.append((name, m.group(1) if m else ""))
    order_ok = True
    for (n1, f1), (n2, f2) in zip(vms, vms[1:]):
        if f1 == f2 and n1.casefold() > n2.casefold():
            order_ok = False
    return vms, order_ok


def matches(app, expected):
    vms, order_ok = shown(app)
    return order_ok and sorted(vms) == sorted(expected.values())


def alive(proc):
    return proc.poll() is None


def rename_in_app(app, proc, old, new):
    """Select the row, F2, type the new name, Enter: the app's own Rename."""
    if not wait_for(lambda: hvui.select_vm(app, old) and hvui.selected_vm(app) == old,
                    10 * SLOW) or not alive(proc):
        return False
    hvui.keys("F2")
    dialog = wait_for(lambda: hvui.find(app, "label", f"Rename “{old}”"), 10 * SLOW)
    if dialog is None:
        return False
    hvui.keys("ctrl+a")
    hvui.type_text(new)
    hvui.keys("Return")
    return True


def main():
    proc, app = hvui.start_app(wrapper=WRAPPER, log_name="test-window-renames-app.log",
                               timeout=90 * SLOW)
    try:
        run(proc, app)
    finally:
        status = hvui.stop_app(proc, timeout=30 * SLOW)
    tap.ok(status in (0, -15), "the app exits cleanly", f"exit status {status}")

    if VALGRIND_LOG:
        with open(VALGRIND_LOG, errors="replace") as f:
            log = f.read()
        bad = re.findall(r"^==\d+== (Invalid (?:read|write|free)[^\n]*)", log, re.M)
        tap.ok(not bad, "valgrind: no invalid read, write or free in the app",
               "\n".join(sorted(set(bad))[:20]))
        summary = re.findall(r"ERROR SUMMARY: .*", log)
        tap.note(f"valgrind {summary[-1] if summary else 'wrote no summary'} ({VALGRIND_LOG})")
        tap.ok(bool(summary), "valgrind ran the app to the end")
    return tap.finish()


def run(proc, app):
    if not tap.ok(app is not None, "the app appears on the accessibility bus"):
        return
    expected = library()
    tap.ok(len(expected) == 10, "the test library has 10 VMs", expected)
    tap.ok(wait_for(lambda: matches(app, expected), 30 * SLOW),
           "every VM is shown in its folder, in order", shown(app))

    # A selected VM: the details pane and the selection follow it through the re-sorting.
    selected_uuid = next(u for u, (n, _) in expected.items() if n == "b1")
    ok = wait_for(lambda: hvui.select_vm(app, "b1") and hvui.selected_vm(app) == "b1",
                  15 * SLOW)
    tap.ok(ok, "b1 is selected")
    hvui.screenshot("test-window-renames-before.png")

    uuids = sorted(expected)
    problems = []
    in_app = 0
    for i in range(RENAMES):
        uuid = uuids[i % len(uuids)]
        old = expected[uuid][0]
        # "aa…" and "zz…" in turn: the row jumps between the top and the bottom of its folder.
        new = f"{'zz' if i % 2 else 'aa'}-{i:03d}-{old.split('-')[-1]}"
        if i % 25 == 12:
            # Every 25th through the app itself: row → F2 → the Rename dialog.
            if rename_in_app(app, proc, old, new):
                in_app += 1
                # The app's Rename works on the selected VM: this one is selected now.
                selected_uuid = uuid
            else:
                problems.append(f"rename {i}: the app's Rename dialog did not work for {old}")
                rc, _, err = ctl("modify", uuid, "--name", new)
        else:
            rc, _, err = ctl("modify", uuid, "--name", new)
            if rc != 0:
                problems.append(f"rename {i}: hostvisorctl modify {old} --name {new}: {err}")
        expected[uuid] = (new, expected[uuid][1])

        # Every third rename, another VM changes folder too (the top level included).
        if i % 3 == 1:
            mover = uuids[(i * 7 + 3) % len(uuids)]
            folder = FOLDERS[(i // 3) % len(FOLDERS)]
            if folder == expected[mover][1]:
                folder = FOLDERS[(i // 3 + 1) % len(FOLDERS)]
            rc, _, err = ctl("move", mover, "--folder", folder)
            if rc != 0:
                problems.append(f"move {i}: {err}")
            expected[mover] = (expected[mover][0], folder)

        if not alive(proc):
            problems.append(f"the app died after rename {i} (status {proc.returncode})")
            break
        # Every ten: the window has caught up with the engine.
        if i % 10 == 9:
            expected = library()
            if not wait_for(lambda: matches(app, expected) or not alive(proc), 30 * SLOW) \
                    or not alive(proc):
                problems.append(f"after rename {i} the sidebar shows {shown(app)}, "
                                f"the engine has {sorted(expected.values())}")

    tap.ok(alive(proc), f"the app is alive after {RENAMES} renames and "
                        f"{RENAMES // 3} moves", f"status {proc.returncode}")
    tap.ok(not problems, "the sidebar followed every rename and move", "\n".join(problems))
    tap.ok(in_app >= RENAMES // 25, f"{in_app} renames went through the app's own dialog")
    if not alive(proc):
        return

    expected = library()
    ok = wait_for(lambda: matches(app, expected), 30 * SLOW)
    tap.ok(ok, "at the end every VM is shown under its new name in its folder, in order",
           f"shown {shown(app)}\nengine {sorted(expected.values())}")
    name = expected[selected_uuid][0]
    tap.ok(wait_for(lambda: hvui.selected_vm(app) == name, 10 * SLOW),
           "the VM selected last is still selected, under its new name",
           f"selected {hvui.selected_vm(app)!r}, expected {name!r}")
    hvui.screenshot("test-window-renames-after.png")

    # Folders closed and opened while the list changes under them.
    toggled = toggle_folders(app, ("Alpha", "Gamma"))
    tap.ok(wait_for(lambda: not any(f.startswith(("Alpha", "Gamma"))
                                    for _, f in shown(app)[0]), 10 * SLOW),
           "Alpha and Gamma can be closed", f"toggled {toggled}, shown {shown(app)[0]}")
    for i in range(10):
        ctl("modify", uuids[i % len(uuids)], "--name", f"late-{i}")
        ctl("move", uuids[(i + 5) % len(uuids)], "--folder", FOLDERS[i % len(FOLDERS)])
    tap.ok(alive(proc), "the app lives through renames and moves with folders closed",
           f"status {proc.returncode}")
    if not alive(proc):
        return
    toggle_folders(app, ("Alpha", "Gamma"))
    expected = library()
    tap.ok(wait_for(lambda: matches(app, expected), 30 * SLOW),
           "opened again, the folders show their VMs as the engine has them",
           f"shown {shown(app)}\nengine {sorted(expected.values())}")


def toggle_folders(app, names):
    """Click the expander arrows of these folders (top-level ones: the arrow is at the row's
    start)."""
    done = []
    for kind, fname, _, acc in hvui.sidebar_rows(app):
        if kind == "folder" and fname in names:
            ext = acc.get_extents(hvui.Atspi.CoordType.SCREEN)
            subprocess.run(["xdotool", "mousemove", str(ext.x + 8),
                            str(ext.y + ext.height // 2), "click", "1"])
            time.sleep(0.3 * SLOW)
            done.append(fname)
    return done


if __name__ == "__main__":
    raise SystemExit(main())
