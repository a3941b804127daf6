#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Snapshots page, driven as a person (or a screen reader) would.

Run by test-snapshots-ui.sh inside Xvfb and dbus-run-session, against a real engine whose
library holds one powered-off VM with a qcow2 disk, "snapvm". The VM's Snapshots view: Take
(the dialog prefills "Snapshot 1"; named "before-change"), Take again ("second"), Properties
(renames "before-change" to "first"), Restore "first" (powered off: no question), Delete
"second" (asked first). After each step the engine's Vm.Snapshots and Vm.CurrentSnapshot, read
straight from its socket, must agree, and the tree must show it. Prints TAP. Needs: HV_APP,
HV_CTL, HV_ARTIFACTS.
"""
import json
import os
import signal
import sys
import time

import hvui
from gi.repository import Atspi, Gio, GLib  # noqa: E402
from hvui import (allocated, click, ctl, find, fresh, keys, press, screenshot, sensitive,
                  showing, type_text, wait_for, walk)

VM = "snapvm"
LIVE_VM = os.environ.get("HV_LIVE_VM")
BOOT_WAIT = 240   # seconds: TCG on a loaded 2-core machine

tap = hvui.Tap()
ok = tap.ok
note = tap.note


# ---- the engine's view ----

def show(vm=VM):
    rc, out, _ = ctl("show", vm, "--json")
    return json.loads(out) if rc == 0 else {}


def qemu_pid_of(vm):
    """The pid of VM's QEMU, from the engine's runtime directory."""
    uuid = show(vm).get("uuid")
    try:
        with open(f"{os.environ['XDG_RUNTIME_DIR']}/hostvisor/vms/{uuid}/qemu.pid") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def vm_path(vm=VM):
    uuid = show(vm).get("uuid")
    return "/io/github/hostvisor/vm/" + uuid.replace("-", "_") if uuid else None


def engine_get(prop, vm=VM):
    """A Vm property read straight from the engine's socket (peer to peer, no bus)."""
    conn = Gio.DBusConnection.new_for_address_sync(
        f"unix:path={os.environ['XDG_RUNTIME_DIR']}/hostvisor/engine.sock",
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
    try:
        reply = conn.call_sync(None, vm_path(vm), "org.freedesktop.DBus.Properties", "Get",
                               GLib.Variant("(ss)", ("io.github.hostvisor.Vm", prop)), None, 0,
                               10000, None)
    finally:
        conn.close_sync(None)
    return reply.unpack()[0]


def snapshots(vm=VM):
    return engine_get("Snapshots", vm)


def snapshot(name, vm=VM):
    for s in snapshots(vm):
        if s.get("name") == name:
            return s
    return None


def current(vm=VM):
    return engine_get("CurrentSnapshot", vm)


def engine_supports_snapshots():
    """The engine's snapshots come with the CLI's (branch snap): until then, nothing to test
    (the D-Bus skeleton answers the property with an empty list whether or not it is kept)."""
    rc, out, err = ctl("snapshot", VM, "list")
    if rc != 0:
        note(f"hostvisorctl snapshot {VM} list: {err or out}")
    return rc == 0


# ---- the app ----

def window(app, title):
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is not None and win.get_name() == title:
            return win
    return None


def in_window(app, title, role=None, name=None, starts=None, pred=None):
    root = window(app, title) if title is not None else fresh(app)
    for acc in walk(root):
        if role is not None and acc.get_role_name() != role:
            continue
        n = acc.get_name() or ""
        if name is not None and n != name:
            continue
        if starts is not None and not n.replace("_", "").startswith(starts):
            continue
        if not showing(acc) or (pred is not None and not pred(acc)):
            continue
        return acc
    return None


def named_button(app, title, label):
    """A push button by its accessible label: GTK 4.8 reads it followed by the button's text
    ("Take Snapshot Take…", "_Take Take" for a mnemonic with no label of its own)."""
    def match(a):
        n = (a.get_name() or "").replace("_", "")
        return a.get_n_actions() > 0 and (n == label or n.startswith(f"{label} "))
    return in_window(app, title, "push button", pred=match)


def dialog_button(app, label):
    """A button of a dialog (any window but the main one): the main window has buttons of the
    same name in views that are not shown (the details pane's Delete deletes the VM)."""
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is None or win.get_name() == "Hostvisor" or not showing(win):
            continue
        for acc in walk(win):
            if acc.get_role_name() == "push button" and acc.get_n_actions() > 0 and \
                    (acc.get_name() or "").replace("_", "") in (label, f"{label} {label}"):
                return acc
    return None


def snapshot_list(app):
    return find(app, "list", "Snapshots")


def tree_labels(app):
    """The names shown in the snapshot tree, in order."""
    lst = snapshot_list(app)
    if lst is None:
        return []
    names = []
    for acc in walk(lst):
        if acc.get_role_name() == "label" and showing(acc):
            parent = acc.get_parent()
            # The first label of a row's text box is its name; the second its date.
            if parent is not None and parent.get_child_at_index(0) == acc:
                names.append(acc.get_name())
    return names


def tree_row(app, name):
    lst = snapshot_list(app)
    if lst is None:
        return None
    for acc in walk(lst):
        if acc.get_role_name() == "label" and acc.get_name() == name and showing(acc):
            return acc
    return None


def select_row(app, name):
    row = wait_for(lambda: tree_row(app, name), 10)
    if row is None:
        return False
    click(row)
    time.sleep(0.5)
    return True


def set_text(acc, text):
    click(acc)
    time.sleep(0.3)
    keys("ctrl+a")
    type_text(text)
    time.sleep(0.3)


def snapshot_dialog(app, title, name, ok_label):
    """Fill the Take Snapshot / Snapshot Properties dialog and press its button. Returns the
    name it was opened with."""
    field = wait_for(lambda: in_window(app, title, "text", pred=lambda a: (a.get_name() or "")
                                       .startswith("Name")), 10)
    if field is None:
        return None
    try:
        prefilled = Atspi.Text.get_text(field, 0, Atspi.Text.get_character_count(field))
    except Exception:
        prefilled = None
    hvui.focus_window(f"^{title}$")
    set_text(field, name)
    button = wait_for(lambda: named_button(app, title, ok_label), 5)
    if button is None or not sensitive(button):
        return None
    press(button)
    return prefilled if prefilled is not None else ""


def take(app, name, first=False, vm=VM):
    take_button = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, None, "Take Snapshot")), 20)
    ok(take_button is not None, f"Take Snapshot is enabled ({name})")
    if take_button is None:
        return None
    press(take_button)
    qemu_pid = None
    if vm != VM:
        # A live take: QEMU is stopped (SIGSTOP) while the dialog is open, so the take waits
        # for its monitor as long as the test wants, and the page must say "Saving…".
        qemu_pid = qemu_pid_of(vm)
        ok(qemu_pid is not None, "the live VM's QEMU pid is known")
        if qemu_pid is not None:
            os.kill(qemu_pid, signal.SIGSTOP)
    try:
        prefilled = snapshot_dialog(app, "Take Snapshot", name, "Take")
        ok(prefilled is not None, "the Take Snapshot dialog asks for a name")
        if first:
            ok(prefilled == "Snapshot 1", "… prefilled \"Snapshot 1\"", repr(prefilled))
        if qemu_pid is not None:
            ok(wait_for(lambda: find(app, "label", "Saving…"), 20) is not None,
               "the page says \"Saving…\" while the take runs")
    finally:
        if qemu_pid is not None:
            os.kill(qemu_pid, signal.SIGCONT)
    s = wait_for(lambda: snapshot(name, vm), 180)
    ok(s is not None, f"the engine has the snapshot {name}", snapshots(vm))
    ok(wait_for(lambda: tree_row(app, name), 15) is not None, f"the tree shows {name}",
       tree_labels(app))
    return s


def run(app):
    if not ok(app is not None, "the app appears on the accessibility bus"):
        return
    if not ok(wait_for(lambda: hvui.vm_row(app, VM), 30) is not None, "the VM is listed"):
        return
    hvui.select_vm(app, VM)
    tab = wait_for(lambda: find(app, "page tab", "Snapshots") or hvui.button(app, "Snapshots"),
                   15)
    ok(tab is not None, "the VM's pane has a Snapshots view")
    if tab is None:
        return
    click(tab)
    lst = wait_for(lambda: snapshot_list(app) if snapshot_list(app) is not None and
                   allocated(snapshot_list(app)) else None, 10)
    ok(lst is not None, "the Snapshots page shows its tree")
    ok(wait_for(lambda: tree_row(app, "Current state"), 10) is not None,
       "the tree has \"Current state\"")
    for label in ("Restore Snapshot", "Delete Snapshot", "Snapshot Properties"):
        b = named_button(app, None, label)
        ok(b is not None and not sensitive(b), f"{label} is disabled with Current state selected",
           [(a.get_name(), a.get_role_name()) for a in walk(fresh(app))
            if a.get_role_name() in ("push button", "toggle button")])

    first = take(app, "before-change", first=True)
    if first is None:
        return
    ok(current() == first.get("id"), "CurrentSnapshot is the new snapshot",
       f"{current()} != {first.get('id')}")
    ok(first.get("kind") == "disk", "a powered-off VM's snapshot is disk-only", first)
    screenshot("test-snapshots-ui-one.png")
    second = take(app, "second")
    if second is None:
        return
    ok(second.get("parent") == first.get("id"), "the second snapshot's parent is the first",
       second)
    ok(current() == second.get("id"), "CurrentSnapshot is the second")
    screenshot("test-snapshots-ui-two.png")

    # Properties: rename the first.
    ok(select_row(app, "before-change"), "the first snapshot's row can be selected")
    props = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, None, "Snapshot Properties")), 10)
    ok(props is not None, "Properties is enabled for a snapshot")
    if props is not None:
        press(props)
        ok(snapshot_dialog(app, "Snapshot Properties", "first", "Save") == "before-change",
           "the Properties dialog shows the snapshot's name")
        ok(wait_for(lambda: snapshot("first"), 30) is not None and snapshot("before-change")
           is None, "the engine has the new name", snapshots())
        ok(wait_for(lambda: tree_row(app, "first"), 10) is not None, "the tree shows it")

    # Restore the first: powered off, so no question.
    ok(select_row(app, "first"), "the first snapshot's row can be selected again")
    restore = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, None, "Restore Snapshot")), 10)
    ok(restore is not None, "Restore is enabled for a snapshot")
    if restore is not None:
        press(restore)
    ok(wait_for(lambda: current() == first.get("id"), 120),
       "after Restore the engine's CurrentSnapshot is the first snapshot",
       f"{current()} (want {first.get('id')})")
    ok(hvui.state_of(VM) == "poweroff", "the VM stays powered off", hvui.state_of(VM))
    screenshot("test-snapshots-ui-restored.png")

    # Delete the second: asked first; Cancel keeps it, Delete deletes it.
    ok(select_row(app, "second"), "the second snapshot's row can be selected")
    # The keyboard: Enter on the row opens its Properties; Delete asks to delete the snapshot,
    # never the VM (the window's own Delete key).
    hvui.focus_window("^Hostvisor$")
    select_row(app, "second")
    keys("Return")
    ok(wait_for(lambda: window(app, "Snapshot Properties") is not None and
                showing(window(app, "Snapshot Properties")), 10),
       "Enter on a snapshot row opens its Properties")
    hvui.focus_window("^Snapshot Properties$")
    keys("Escape")
    wait_for(lambda: window(app, "Snapshot Properties") is None or
             not showing(window(app, "Snapshot Properties")), 5)
    hvui.focus_window("^Hostvisor$")
    select_row(app, "second")
    keys("Delete")
    question = wait_for(lambda: find(app, "label", pred=lambda a: (a.get_name() or "")
                                     .startswith("Delete “")), 10)
    ok(question is not None and question.get_name().startswith("Delete “second”?"),
       "the Delete key in the tree asks to delete the snapshot, not the VM",
       question.get_name() if question is not None else None)
    cancel = wait_for(lambda: dialog_button(app, "Cancel"), 5)
    if cancel is not None:
        press(cancel)
    time.sleep(1)
    ok(snapshot("second") is not None and show().get("name") == VM,
       "… and Cancel keeps both", snapshots())
    delete = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, None, "Delete Snapshot")), 10)
    ok(delete is not None, "Delete is enabled for a snapshot")
    if delete is not None:
        press(delete)
        confirm = wait_for(lambda: dialog_button(app, "Delete"), 10)
        question = find(app, "label", pred=lambda a: (a.get_name() or "").startswith(
            "Delete “second”?"))
        ok(confirm is not None, "Delete asks first", question.get_name() if question else None)
        screenshot("test-snapshots-ui-delete-question.png")
        if confirm is not None:
            press(confirm)
    ok(wait_for(lambda: snapshot("second") is None, 120), "the engine deleted the second snapshot",
       snapshots())
    ok(snapshot("first") is not None, "… and kept the first", snapshots())
    ok(wait_for(lambda: tree_row(app, "second") is None, 15), "the tree no longer shows it",
       tree_labels(app))
    ok(tree_row(app, "first") is not None and tree_row(app, "Current state") is not None,
       "the tree has the first snapshot and Current state", tree_labels(app))
    screenshot("test-snapshots-ui-deleted.png")
    note(json.dumps(snapshots(), indent=1, default=str))
    # Live: what another client does shows at once.
    rc, _, err = ctl("snapshot", "take", VM, "from-cli")
    ok(rc == 0, "hostvisorctl takes a snapshot beside the app", err)
    ok(wait_for(lambda: tree_row(app, "from-cli"), 15) is not None,
       "the tree shows a snapshot taken with hostvisorctl", tree_labels(app))
    rc, _, err = ctl("snapshot", "delete", VM, "from-cli")
    ok(rc == 0 and wait_for(lambda: tree_row(app, "from-cli") is None, 15),
       "… and drops it when hostvisorctl deletes it", err or tree_labels(app))
    clone(app)
    if LIVE_VM:
        live(app)


def engine_can_clone():
    """Vm.Clone comes with the CLI's clone (branch clone)."""
    rc, out, err = ctl("--help")
    return any(line.strip().startswith("clone ") for line in (out + "\n" + err).splitlines())


def clone(app):
    """Clone… on the selected snapshot: the dialog prefills "snapvm Clone" and "From" that
    snapshot; with an engine that clones, the new VM appears in the library and is selected."""
    title = "Clone Virtual Machine"
    ok(select_row(app, "first"), "the first snapshot's row can be selected for a clone")
    button = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, None, "Clone")), 10)
    ok(button is not None, "Clone is enabled")
    if button is None:
        return
    press(button)
    name = wait_for(lambda: in_window(app, title, "text", pred=lambda a: (a.get_name() or "")
                                      .startswith("Name")), 10)
    ok(name is not None, "the clone dialog opens with a name field")
    if name is None:
        return
    try:
        prefilled = Atspi.Text.get_text(name, 0, Atspi.Text.get_character_count(name))
    except Exception:
        prefilled = None
    ok(prefilled == f"{VM} Clone", f"… prefilled \"{VM} Clone\"", repr(prefilled))
    source = wait_for(lambda: in_window(app, title, "label", pred=lambda a: (a.get_name() or "")
                                        .startswith("Snapshot “first” (")), 5)
    ok(source is not None, "… cloning from the selected snapshot")
    for combo in ("Clone type", "MAC addresses", "Folder"):
        ok(in_window(app, title, "combo box", combo) is not None, f"… and a \"{combo}\" choice")
    screenshot("test-snapshots-ui-clone-dialog.png")
    if not engine_can_clone():
        note("the engine cannot clone yet (branch clone): the dialog is cancelled")
        hvui.focus_window(f"^{title}$")
        keys("Escape")
        ok(wait_for(lambda: window(app, title) is None or not showing(window(app, title)), 10),
           "Escape closes the clone dialog")
        return
    hvui.focus_window(f"^{title}$")
    set_text(name, "snapvm-clone")
    ok(choose(app, title, "Clone type", "Linked clone"), "\"Clone type\" offers a linked clone")
    go = wait_for(lambda: named_button(app, title, "Clone"), 5)
    if go is not None:
        press(go)
    ok(wait_for(lambda: any(v.get("name") == "snapvm-clone" for v in hvui.vm_list()), 180),
       "the engine made the clone")
    made = show("snapvm-clone")
    disks = [d for d in made.get("drives", []) if d.get("type") == "disk"]
    ok(made.get("uuid") and made.get("uuid") != show().get("uuid") and disks and
       all(d.get("backing") for d in disks),
       "… a linked clone (its disk reads through a base image) with its own UUID",
       json.dumps(made.get("drives")))
    ok(wait_for(lambda: hvui.selected_vm(app) == "snapvm-clone", 20),
       "the app selects the clone", hvui.selected_vm(app))
    ok(wait_for(lambda: window(app, title) is None or not showing(window(app, title)), 10),
       "the clone dialog closes")
    hvui.select_vm(app, VM)


def choose(app, title, combo_name, option):
    """Pick option in the AdwComboRow combo_name: open its list, then the keyboard (AT-SPI's
    positions inside a popover are off in GTK 4.8, so clicks there miss)."""
    combo = wait_for(lambda: in_window(app, title, "combo box", combo_name, pred=sensitive), 10)
    if combo is None:
        return False
    hvui.focus_window(f"^{title}$")
    click(combo)

    def entries():
        lists = {}
        for acc in walk(fresh(app)):
            if acc.get_role_name() != "label" or not showing(acc):
                continue
            item, parent, depth = acc, acc.get_parent(), 0
            while parent is not None and depth < 6:
                if parent.get_role_name() in ("list", "list box"):
                    lists.setdefault(hash(parent), []).append(acc.get_name())
                    break
                item, parent, depth = parent, parent.get_parent(), depth + 1
        return next((names for names in lists.values() if option in names), None)

    labels = wait_for(entries, 10)
    if labels is None:
        keys("Escape")
        return False
    keys("Home", *(["Down"] * labels.index(option)), "Return")
    time.sleep(0.5)
    return True


def log_has(vm, text):
    rc, out, _ = ctl("log", vm)
    return rc == 0 and text in out


def live(app):
    """The running tiny guest: a live snapshot with its thumbnail, and a restore that asks."""
    rc, _, err = ctl("start", LIVE_VM)
    ok(rc == 0, f"{LIVE_VM} starts", err)
    ok(wait_for(lambda: log_has(LIVE_VM, "HOSTVISOR-GUEST: ready"), BOOT_WAIT, 1),
       "the tiny guest boots")
    hvui.select_vm(app, LIVE_VM)
    ok(wait_for(lambda: tree_row(app, "Current state"), 15) is not None,
       "the Snapshots page follows the selected VM")
    s = take(app, "running", vm=LIVE_VM)
    if s is None:
        return
    ok(s.get("kind") == "live" and s.get("vm-state") == "running",
       "a running VM's snapshot is live, taken while running", s)
    ok(hvui.state_of(LIVE_VM) == "running", "the VM runs on after the snapshot",
       hvui.state_of(LIVE_VM))
    if s.get("thumbnail"):
        pic = wait_for(lambda: find(app, pred=lambda a: a.get_name() ==
                                    "Screen when the snapshot was taken" and allocated(a)), 15)
        ok(pic is not None, "the tree shows the snapshot's thumbnail",
           [(a.get_role_name(), a.get_name()) for a in walk(snapshot_list(app))])
    screenshot("test-snapshots-ui-live.png")
    ok(select_row(app, "running"), "the live snapshot's row can be selected")
    restore = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, None, "Restore Snapshot")), 10)
    ok(restore is not None, "Restore is enabled while the VM runs")
    if restore is None:
        return
    press(restore)
    question = wait_for(lambda: find(app, "label", pred=lambda a: (a.get_name() or "")
                                     .startswith("Restore “running”?")), 10)
    ok(question is not None, "restoring a running VM asks first")
    confirm = wait_for(lambda: dialog_button(app, "Restore"), 10)
    screenshot("test-snapshots-ui-restore-question.png")
    if confirm is not None:
        press(confirm)
    ok(wait_for(lambda: current(LIVE_VM) == s.get("id") and
                hvui.state_of(LIVE_VM) == "running", 180),
       "after Restore (forced) the VM runs from the live snapshot",
       f"{current(LIVE_VM)} {hvui.state_of(LIVE_VM)}")
    save_state(app)
    if hvui.state_of(LIVE_VM) != "poweroff":
        ctl("poweroff", LIVE_VM)
    share_refused(app)


def share_refused(app):
    """A 9p share mounted by a guest without the guest tools blocks a live snapshot: the app
    asks "Take a Disk-Only Snapshot?" naming the share; Cancel takes nothing, the other answer
    takes a disk-only snapshot."""
    folder = os.path.join(os.environ.get("HV_ARTIFACTS", "/tmp"), "snapshot-share")
    os.makedirs(folder, exist_ok=True)
    rc, _, err = ctl("share", LIVE_VM, "add", folder, "--name", "data")
    ok(rc == 0, "a shared folder is added to the powered-off VM", err)
    rc, _, err = ctl("modify", LIVE_VM, "--cmdline",
                     "console=ttyS0 quiet hv.heartbeat=1 hv.9p=hvshare0:/mnt/data")
    ok(rc == 0, "… which the guest mounts by itself (no guest tools)", err)
    rc, _, err = ctl("start", LIVE_VM)
    ok(rc == 0, f"{LIVE_VM} starts with the share", err)
    ok(wait_for(lambda: log_has(LIVE_VM, "mounted 9p hvshare0"), BOOT_WAIT, 1),
       "the guest mounts the share")

    def ask(answer):
        take_button = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
            named_button(app, None, "Take Snapshot")), 20)
        if take_button is None:
            return None
        press(take_button)
        snapshot_dialog(app, "Take Snapshot", "with-share", "Take")
        question = wait_for(lambda: find(app, "label", pred=lambda a: (a.get_name() or "")
                                         .startswith("Take a Disk-Only Snapshot?")), 180)
        body = find(app, "label", pred=lambda a: "“data”" in (a.get_name() or ""))
        button = wait_for(lambda: dialog_button(app, answer), 10)
        if button is not None:
            if answer == "Cancel":
                screenshot("test-snapshots-ui-disk-only-question.png")
            press(button)
        return question is not None and body is not None and button is not None

    ok(ask("Cancel"), "a live snapshot is refused: the app asks \"Take a Disk-Only "
       "Snapshot?\" naming the share")
    time.sleep(2)
    ok(snapshot("with-share", LIVE_VM) is None, "Cancel takes no snapshot")
    ok(ask("Take Disk-Only Snapshot"), "asked again, the other answer is a disk-only snapshot")
    s = wait_for(lambda: snapshot("with-share", LIVE_VM), 60)
    ok(s is not None and s.get("kind") == "disk", "the engine took a disk-only snapshot", s)
    ok(hvui.state_of(LIVE_VM) == "running", "the VM runs on", hvui.state_of(LIVE_VM))
    ctl("poweroff", LIVE_VM)


def save_state(app):
    """Details → Stop → Save State: the engine saves the running state and QEMU ends; the pane
    says "Saved"; Discard Saved State… asks, then the engine drops it."""
    tab = find(app, "page tab", "Details")
    ok(tab is not None, "the VM's pane has a Details view")
    if tab is None:
        return
    click(tab)
    stop = wait_for(lambda: find(app, "push button", "Stop", pred=lambda a: sensitive(a) and
                                 allocated(a) and a.get_n_actions() > 0), 10)
    ok(stop is not None, "the Stop menu is there while the VM runs")
    if stop is None:
        return
    click(stop)
    item = wait_for(lambda: find(app, "menu item", "Save State", pred=sensitive), 5)
    ok(item is not None, "the Stop menu offers Save State")
    if item is None:
        keys("Escape")
        return
    press(item)
    ok(wait_for(lambda: engine_get("SavedState", LIVE_VM) and
                hvui.state_of(LIVE_VM) == "poweroff", 180),
       "the engine saved the state and the VM is powered off",
       f"{engine_get('SavedState', LIVE_VM)} {hvui.state_of(LIVE_VM)}")
    ok(wait_for(lambda: find(app, "label", "Saved", pred=allocated), 10) is not None,
       "the details pane says \"Saved\"")
    screenshot("test-snapshots-ui-saved.png")
    discard = wait_for(lambda: find(app, "push button", pred=lambda a: (a.get_name() or "")
                                    .replace("_", "").startswith("Discard Saved State") and
                                    sensitive(a) and allocated(a)), 10)
    ok(discard is not None, "the details pane offers Discard Saved State…")
    if discard is None:
        return
    press(discard)
    confirm = wait_for(lambda: dialog_button(app, "Discard"), 10)
    ok(confirm is not None, "… which asks first")
    if confirm is not None:
        press(confirm)
    ok(wait_for(lambda: not engine_get("SavedState", LIVE_VM), 60),
       "the engine dropped the saved state")
    ok(wait_for(lambda: find(app, "label", "Powered off", pred=allocated), 10) is not None,
       "the details pane says \"Powered off\" again")


def main():
    if not engine_supports_snapshots():
        print("1..0 # SKIP the engine has no Vm.Snapshots yet (branch snap)")
        return 0
    proc, app = hvui.start_app(log_name="test-snapshots-ui-app.log")
    try:
        run(app)
    finally:
        status = hvui.stop_app(proc)
    ok(status in (0, -signal.SIGTERM), "the app exits cleanly", f"exit status {status}")
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
