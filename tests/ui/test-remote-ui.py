#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app over SSH, driven as a person (or a screen reader) would: see test-remote-ui.sh.

Needs (from test-remote-ui.sh): HV_REMOTE (ssh://USER@IP:PORT of the second host), HV_REMOTE_USER,
HV_REMOTE_IP, HV_REMOTE_PORT, HV_SSHD_PID (the second host's sshd listener), HV_REMOTE_HOME
(the remote user's home there, with isos/remote-disc.iso and isos/notes.txt); the remote
library holds "tinyr" (the tiny guest, with a disk for a live snapshot), the local one
"localvm".
"""
import json
import os
import pwd
import signal
import subprocess
import sys
import time

import hvui
from hvui import (ARTIFACTS, allocated, button, click, find, fresh, press, screenshot,
                  select_vm,
                  sensitive, start_app, stop_app, type_text, wait_for)

REMOTE = os.environ["HV_REMOTE"]
USER = os.environ["HV_REMOTE_USER"]
IP = os.environ["HV_REMOTE_IP"]
PORT = int(os.environ["HV_REMOTE_PORT"])
HOST = f"{USER}@{IP}"
SSHD_PID = int(os.environ["HV_SSHD_PID"])
REMOTE_HOME = os.path.realpath(os.environ["HV_REMOTE_HOME"])
BOOT_WAIT = 180

T = hvui.Tap()
STARTED = time.monotonic()


def ok(cond, what, diag=None):
    """A check, with the seconds since the app was started (where the time goes). A diag
    that is a function is called only when the check fails (a walk of the whole window takes
    long)."""
    if callable(diag):
        diag = diag() if not cond else None
    result = T.ok(cond, what, diag)
    T.note(f"{time.monotonic() - STARTED:.1f} s")
    return result


def rctl(*args):
    return hvui.ctl("--connect", REMOTE, *args)


def remote_state(vm):
    rc, out, _ = rctl("list", "--json")
    if rc != 0:
        return None
    for v in json.loads(out or "[]"):
        if v.get("name") == vm:
            return v.get("state")
    return None


def shallow(acc, depth=0, limit=7):
    """The accessibles near the top of the window (the header bar, the banner), without
    walking the whole library and details: a full walk takes seconds on a loaded machine."""
    if acc is None or depth > limit:
        return
    yield acc
    for i in range(acc.get_child_count()):
        yield from shallow(acc.get_child_at_index(i), depth + 1, limit)


def banner(app):
    """The banner's text when it shows, else None."""
    for a in shallow(fresh(app)):
        name = a.get_name() or ""
        if name.startswith(("The connection to", "Cannot connect to", "The engine stopped")) \
                and hvui.showing(a):
            return name
    return None


SIDEBAR = []


def listed(app):
    """The names of the VMs in the sidebar. Its list is found once (finding it walks the
    window, seconds on a loaded machine) and then read alone."""
    for attempt in range(2):
        if not SIDEBAR:
            lst = hvui.sidebar_list(app)
            if lst is None:
                return []
            SIDEBAR.append(lst)
        try:
            return [a.get_name() for a in hvui.walk(fresh(SIDEBAR[0]))
                    if (a.get_description() or "").startswith("Virtual machine")]
        except Exception:
            SIDEBAR.clear()   # gone: find it again
    return []


def texts(app):
    """What the window says, for a failure's diagnosis."""
    return [a.get_name() for a in hvui.walk(fresh(app))
            if a.get_role_name() in ("label", "alert") and hvui.showing(a) and a.get_name()]


def main_frame(app):
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is not None and (win.get_name() or "").startswith("Hostvisor"):
            return win
    return None


def title(app):
    win = main_frame(app)
    return win.get_name() if win is not None else None


def console_pixels(view, crop):
    """The console's area on screen, cropped from a screenshot: (unique colours, mean)."""
    shot = os.path.join(ARTIFACTS, "test-remote-ui-console.png")
    ext = fresh(view).get_extents(hvui.Atspi.CoordType.SCREEN)
    if ext.width < 20 or ext.height < 20:
        return 0, 1.0
    subprocess.run(["import", "-window", "root", shot], check=False)
    geo = f"{ext.width - 4}x{ext.height - 4}+{ext.x + 2}+{ext.y + 2}"
    subprocess.run(["convert", shot, "-crop", geo, "+repage", crop], check=False)
    r = subprocess.run(["convert", crop, "-colorspace", "Gray", "-format", "%k %[fx:mean]",
                        "info:"], capture_output=True, text=True)
    try:
        colours, mean = r.stdout.split()
        return int(colours), float(mean)
    except ValueError:
        return 0, 1.0


def remote_library(app):
    ok(wait_for(lambda: title(app) == f"Hostvisor — {HOST}", 30),
       "the window's title names the remote host", lambda: title(app))
    ok(wait_for(lambda: "tinyr" in listed(app), 60),
       "the remote library shows the VM made on the second host",
       lambda: listed(app))
    ok("localvm" not in listed(app), "…and not the local one")
    ok(button(app, HOST + f":{PORT}") is not None,
       "the connection switcher says which computer")


def run_guest(app):
    ok(select_vm(app, "tinyr"), "the remote VM can be selected")
    start = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        button(app, "Start")), 20)
    if not ok(start is not None, "Start is offered"):
        return False
    press(start)
    if not ok(wait_for(lambda: remote_state("tinyr") == "running", 90),
              "Start from the app runs the VM on the second host", lambda: remote_state("tinyr")):
        screenshot("test-remote-ui-start.png")
        T.note(f"window: {texts(app)}")
        try:
            log = open(os.path.join(os.path.dirname(REMOTE_HOME), "run-" + USER, "hostvisor",
                                    "engine.log")).read()
            T.note("remote engine log: " + log[-3000:].replace("\n", "\n# "))
        except OSError as e:
            T.note(f"no remote engine log: {e}")
    ok(wait_for(lambda: "HOSTVISOR-GUEST: ready" in rctl("log", "tinyr")[1], BOOT_WAIT, 1),
       "the tiny guest boots there")
    # GTK 4.8 gives a GtkPicture's alternative text as its description.
    pic = wait_for(lambda: find(app, pred=lambda a: a.get_description() ==
                                "Screen of the virtual machine" and allocated(a)), 60)
    ok(pic is not None, "the details show the VM's screen (Vm.ReadScreenshot over SSH)")

    # A live snapshot made there: its thumbnail in the Snapshots view comes as bytes too.
    rc, out, err = rctl("snapshot", "tinyr", "take", "live1")
    ok(rc == 0, "a live snapshot taken there (hostvisorctl --connect)", err)
    tab = wait_for(lambda: find(app, "page tab", "Snapshots") or button(app, "Snapshots"), 10)
    if ok(tab is not None, "the VM's pane has a Snapshots view"):
        click(tab)
        thumb = wait_for(lambda: find(app, pred=lambda a: a.get_name() ==
                                      "Screen when the snapshot was taken" and allocated(a)),
                         30)
        ok(thumb is not None,
           "the snapshot's thumbnail shows (Vm.ReadSnapshotThumbnail over SSH)")
        screenshot("test-remote-ui-snapshots.png")
        details = find(app, "page tab", "Details") or button(app, "Details")
        if details is not None:
            click(details)

    console_button = wait_for(lambda: button(app, "Console"), 20)
    if not ok(console_button is not None, "Show Console is offered"):
        return True
    press(console_button)
    view = wait_for(lambda: find(app, name="Console of the virtual machine",
                                 pred=allocated), 20)
    if not ok(view is not None, "the console opens"):
        return True
    crop = os.path.join(ARTIFACTS, "test-remote-ui-console-crop.png")
    last = [None]

    def frame():
        last[0] = console_pixels(view, crop)
        colours, mean = last[0]
        # The guest's text screen: dark, with some lit text; the window's own background
        # (no frame) is light and plain.
        return colours >= 2 and mean < 0.5

    ok(wait_for(frame, 60, 2), "the console shows the guest's display (a frame over SSH)",
       last[0])
    screenshot("test-remote-ui-console-window.png")
    remote_cd(app)
    return True


# ---- the file chooser of the remote host's files (Engine.ListDirectory) ----

def window(app, title):
    try:
        for i in range(fresh(app).get_child_count()):
            win = app.get_child_at_index(i)
            if win is not None and win.get_name() == title and hvui.showing(win):
                return win
    except Exception:  # noqa: BLE001 (a window that closes while it is read)
        pass
    return None


def text_of(acc):
    try:
        return hvui.Atspi.Text.get_text(acc, 0, hvui.Atspi.Text.get_character_count(acc)) or ""
    except Exception:  # noqa: BLE001
        return ""


def chooser_rows(app, title):
    """The names of the remote chooser's entries, in order ("NAME (folder)" for folders)."""
    win = window(app, title)
    if win is None:
        return None
    files = find(win, "list", "Files", only_showing=False)
    if files is None:
        return None
    return [files.get_child_at_index(i).get_name() for i in range(files.get_child_count())]


def chooser_row(app, title, name):
    win = window(app, title)
    return find(win, name=name, pred=allocated) if win is not None else None


def double_click(acc):
    ext = acc.get_extents(hvui.Atspi.CoordType.SCREEN)
    subprocess.run(["xdotool", "mousemove", str(ext.x + ext.width // 2),
                    str(ext.y + ext.height // 2)])
    time.sleep(0.2)
    subprocess.run(["xdotool", "click", "--repeat", "2", "--delay", "80", "1"])


def chooser_folder(app, title):
    win = window(app, title)
    entry = find(win, "text", "Folder") if win is not None else None
    return text_of(entry) if entry is not None else None


def remote_cd(app):
    """The console's drive menu: Insert a CD/DVD image opens the chooser of the second
    host's files; its folder entered with a double-click, its ISO chosen is in the VM's CD
    drive (read back there with hostvisorctl --connect)."""
    title = "Insert a CD/DVD image"
    menu = wait_for(lambda: find(app, pred=lambda a: a.get_role_name() in (
        "push button", "toggle button") and (a.get_name() or "").startswith("Removable Drives")
        and a.get_n_actions() > 0), 20)
    if not ok(menu is not None, "the console has a Removable Drives menu"):
        return
    press(menu)
    insert = wait_for(lambda: find(app, "push button", title), 10)
    if not ok(insert is not None, "…with Insert a CD/DVD image"):
        return
    press(insert)
    win = wait_for(lambda: window(app, title), 20)
    if not ok(win is not None, "Insert opens the remote file chooser (no refusal)",
              lambda: texts(app)):
        return
    ok(find(win, "label", f"Files on {HOST}") is not None, "…titled with the host's files",
       lambda: texts(app))
    ok(wait_for(lambda: chooser_folder(app, title) == REMOTE_HOME, 20),
       "it starts in the home of the remote user (not this computer's)",
       lambda: chooser_folder(app, title))
    home = sorted((n for n in os.listdir(REMOTE_HOME) if not n.startswith(".")),
                  key=lambda n: (not os.path.isdir(os.path.join(REMOTE_HOME, n)), n))
    ok(wait_for(lambda: (chooser_rows(app, title) or [None])[:1] == ["isos (folder)"], 10),
       "the remote home's entries, folders first", lambda: (chooser_rows(app, title), home))
    row = chooser_row(app, title, "isos (folder)")
    if not ok(row is not None, "the folder made there is listed"):
        return
    double_click(row)
    folder = os.path.join(REMOTE_HOME, "isos")
    ok(wait_for(lambda: chooser_folder(app, title) == folder, 20),
       "a double-click enters the folder", lambda: chooser_folder(app, title))
    ok(wait_for(lambda: chooser_rows(app, title) == ["remote-disc.iso"], 10),
       "…which shows its ISO (the text file left out by the filter)",
       lambda: chooser_rows(app, title))
    screenshot("test-remote-ui-chooser.png")
    iso = chooser_row(app, title, "remote-disc.iso")
    if not ok(iso is not None, "the ISO can be reached"):
        return
    double_click(iso)
    ok(wait_for(lambda: window(app, title) is None, 10), "a double-click on it chooses it")

    def cd_path():
        rc, out, _ = rctl("show", "tinyr", "--json")
        if rc != 0:
            return None
        drives = json.loads(out).get("drives") or []
        return next((d.get("path") for d in drives if d.get("type") == "cdrom"), None)
    want = os.path.join(folder, "remote-disc.iso")
    ok(wait_for(lambda: cd_path() == want, 30),
       "the VM's CD drive there holds the remote path (hostvisorctl --connect show)",
       lambda: cd_path())


def power_off(app):
    stop = wait_for(lambda: find(app, "push button", "Stop",
                                 pred=lambda a: a.get_n_actions() > 0), 10)
    if stop is not None:
        click(stop)
        item = wait_for(lambda: find(app, "menu item", "Power Off"), 10)
        if item is not None:
            press(item)
        confirm = wait_for(lambda: find(app, "push button", pred=lambda a: hvui.plain(
            a.get_name()) == "Off" and "Power" in (a.get_name() or "")), 10)
        if confirm is not None:
            press(confirm)
    ok(wait_for(lambda: remote_state("tinyr") == "poweroff", 60),
       "Stop → Power Off from the app powers the VM off there", lambda: remote_state("tinyr"))


def labels_of(app, title):
    win = window(app, title)
    if win is None:
        return []
    return [a.get_name() or "" for a in hvui.walk(fresh(win))
            if a.get_role_name() == "label" and allocated(a)]


def window_button(app, title, label):
    """A push button of the window by its label (GTK 4.8 reads "_Save Save")."""
    win = window(app, title)
    if win is None:
        return None
    for a in hvui.walk(fresh(win)):
        n = (a.get_name() or "").replace("_", "")
        if a.get_role_name() == "push button" and a.get_n_actions() > 0 and \
                (n == label or n.startswith(f"{label} ")) and allocated(a):
            return a
    return None


def main_menu_item(app, label):
    menu = find(app, "push button", "Main Menu", pred=lambda a: a.get_n_actions() > 0)
    if menu is None:
        return None
    click(menu)
    return wait_for(lambda: find(app, "menu item", label), 5)


def remote_export_import(app):
    """Export… to a path on the second host chosen in its file chooser (written there by its
    engine), then File → Import Appliance… of that OVA, chosen the same way."""
    export_title = "Export Virtual Machine"
    ok(select_vm(app, "tinyr"), "the remote VM is selected")
    item = main_menu_item(app, "Export…")
    if not ok(item is not None, "the main menu has Export…"):
        hvui.keys("Escape")
        return
    press(item)
    dest_name = f"Destination on {HOST}"
    dest = wait_for(lambda: find(window(app, export_title), "text", dest_name)
                    if window(app, export_title) is not None else None, 20)
    if not ok(dest is not None, "the export dialog's destination says it is on the host"):
        return
    ok(wait_for(lambda: text_of(dest) == os.path.join(REMOTE_HOME, "tinyr.ova"), 20),
       "…proposing tinyr.ova in the remote user's home", lambda: text_of(dest))
    browse = wait_for(lambda: find(window(app, export_title), "push button",
                                   "Choose the destination"), 5)
    if not ok(browse is not None, "the destination's chooser button"):
        return
    press(browse)
    title = "Export To"
    ok(wait_for(lambda: chooser_folder(app, title) == REMOTE_HOME, 20),
       "the remote chooser opens in the destination's folder", lambda: chooser_folder(app, title))
    row = wait_for(lambda: chooser_row(app, title, "isos (folder)"), 10)
    if not ok(row is not None, "…listing the folder made there"):
        return
    double_click(row)
    folder = os.path.join(REMOTE_HOME, "isos")
    ok(wait_for(lambda: chooser_folder(app, title) == folder, 20), "…entered",
       lambda: chooser_folder(app, title))
    name = find(window(app, title), "text", pred=lambda a: a.get_name() != "Folder")
    ok(name is not None and text_of(name) == "tinyr.ova", "the file's name is kept",
       text_of(name) if name is not None else None)
    save = window_button(app, title, "Save")
    if not ok(save is not None and hvui.sensitive(save), "Save is enabled"):
        return
    press(save)
    target = os.path.join(folder, "tinyr.ova")
    ok(wait_for(lambda: text_of(dest) == target, 10),
       "the destination is the remote path chosen", lambda: text_of(dest))
    go = wait_for(lambda: (lambda b: b if b is not None and hvui.sensitive(b) else None)(
        window_button(app, export_title, "Export")), 10)
    if not ok(go is not None, "Export is enabled (no local check of a remote folder)",
              lambda: labels_of(app, export_title)):
        return
    press(go)
    ok(wait_for(lambda: "Exported" in labels_of(app, export_title), 120),
       "the export completes", lambda: labels_of(app, export_title))
    try:
        owner = os.stat(target).st_uid
    except OSError:
        owner = None
    ok(owner is not None and owner == pwd.getpwnam(USER).pw_uid,
       "the OVA is on the remote host's side, written by its engine (as its user)", owner)
    close = window_button(app, export_title, "Close")
    if close is not None:
        press(close)
    wait_for(lambda: window(app, export_title) is None, 10)

    before = [v.get("name") for v in json.loads(rctl("list", "--json")[1] or "[]")]
    item = main_menu_item(app, "Import Appliance…")
    if not ok(item is not None, "the main menu has Import Appliance…"):
        hvui.keys("Escape")
        return
    press(item)
    title = "Choose an Appliance"
    ok(wait_for(lambda: chooser_folder(app, title) == folder, 20),
       "the remote chooser opens in the last folder of this connection",
       lambda: chooser_folder(app, title))
    ok(wait_for(lambda: chooser_rows(app, title) == ["tinyr.ova"], 10),
       "…showing the OVA (appliances only)", lambda: chooser_rows(app, title))
    ova = chooser_row(app, title, "tinyr.ova")
    if not ok(ova is not None, "the OVA can be reached"):
        return
    double_click(ova)
    import_title = "Import Appliance"
    name = wait_for(lambda: find(window(app, import_title), "text", "Name")
                    if window(app, import_title) is not None else None, 60)
    if not ok(name is not None, "the import dialog shows the remote OVA's summary (the "
              "engine read it there)", lambda: labels_of(app, import_title)):
        return
    hvui.focus_window(f"^{import_title}$")
    click(name)
    time.sleep(0.3)
    hvui.keys("ctrl+a")
    type_text("tinyback")
    go = wait_for(lambda: (lambda b: b if b is not None and hvui.sensitive(b) else None)(
        window_button(app, import_title, "Import")), 10)
    if not ok(go is not None, "Import is enabled"):
        return
    press(go)

    def names():
        return [v.get("name") for v in json.loads(rctl("list", "--json")[1] or "[]")]
    ok(wait_for(lambda: "tinyback" in names() and "tinyback" not in before, 120),
       "the remote engine imported it (hostvisorctl --connect list)", lambda: names())
    ok(wait_for(lambda: window(app, import_title) is None, 20), "the import dialog closes")


def remote_new_vm(app):
    """New Virtual Machine's Choose…: the remote chooser; a file's path typed in its entry
    (Enter) is chosen, and the wizard shows the image (its size asked there)."""
    plus = wait_for(lambda: find(app, "push button", pred=lambda a: (a.get_name() or "")
                                 .startswith("New Virtual Machine") and a.get_n_actions() > 0),
                    10)
    if not ok(plus is not None, "the New Virtual Machine button"):
        return
    press(plus)
    wizard_title = "New Virtual Machine"
    choose = wait_for(lambda: find(window(app, wizard_title), "push button",
                                   pred=lambda a: hvui.plain(a.get_name()) == "Choose…")
                      if window(app, wizard_title) is not None else None, 20)
    if not ok(choose is not None, "the wizard offers Choose…"):
        return
    press(choose)
    title = "Choose an Install Medium"
    entry = wait_for(lambda: find(window(app, title), "text", "Folder")
                     if window(app, title) is not None else None, 20)
    if not ok(entry is not None, "Choose… opens the remote chooser"):
        return
    iso = os.path.join(REMOTE_HOME, "isos", "remote-disc.iso")
    hvui.focus_window(f"^{title}$")
    click(entry)
    time.sleep(0.3)
    hvui.keys("ctrl+a")
    type_text(iso)
    hvui.keys("Return")
    ok(wait_for(lambda: window(app, title) is None, 20),
       "a file's path typed in its entry (Enter) chooses it")
    ok(wait_for(lambda: "remote-disc.iso — CD/DVD image" in labels_of(app, wizard_title), 20),
       "the wizard shows the remote image as a CD/DVD image", lambda: labels_of(app, wizard_title))
    cancel = window_button(app, wizard_title, "Cancel")
    if cancel is not None:
        press(cancel)
    ok(wait_for(lambda: window(app, wizard_title) is None, 10), "the wizard closes")


def remote_share(app):
    """Settings → Guest → Add… (Share a Folder): the remote chooser in its folders-only mode,
    in the last folder shown; Choose shares that folder of the other host."""
    folder = os.path.join(REMOTE_HOME, "isos")
    ok(select_vm(app, "tinyr"), "the remote VM is selected for Settings")
    settings = wait_for(lambda: (lambda b: b if b is not None and hvui.sensitive(b) else None)(
        button(app, "Settings")), 10)
    if not ok(settings is not None, "Settings is enabled"):
        return
    press(settings)
    tab = wait_for(lambda: find(app, name="Guest", pred=lambda a: a.get_role_name()
                                not in ("label", "panel")), 20)
    if not ok(tab is not None, "Settings has a Guest page"):
        return
    if tab.get_n_actions() > 0:
        tab.do_action(0)
    else:
        click(tab)
    add = wait_for(lambda: (lambda b: b if b is not None and allocated(b) else None)(
        button(app, "Add…")), 10)
    if not ok(add is not None, "Guest offers Add… (share a folder)"):
        return
    press(add)
    title = "Share a Folder"
    ok(wait_for(lambda: chooser_folder(app, title) == folder, 20),
       "the remote chooser opens in the last folder shown", lambda: chooser_folder(app, title))
    ok(wait_for(lambda: chooser_rows(app, title) == [], 10),
       "…listing folders only (its files left out)", lambda: chooser_rows(app, title))
    # A folder that is not there: the engine's words in the dialog, the entry back to the
    # folder shown.
    entry = find(window(app, title), "text", "Folder")
    if entry is not None:
        hvui.focus_window(f"^{title}$")
        click(entry)
        time.sleep(0.3)
        hvui.keys("ctrl+a")
        type_text("/nonexistent-hostvisor-folder")
        hvui.keys("Return")
    ok(wait_for(lambda: any("no such folder" in t for t in labels_of(app, title)), 10) and
       wait_for(lambda: chooser_folder(app, title) == folder, 5),
       "a missing folder typed: the error shown in the dialog, the folder kept",
       lambda: (labels_of(app, title), chooser_folder(app, title)))
    choose = window_button(app, title, "Choose")
    if not ok(choose is not None and hvui.sensitive(choose), "Choose is enabled"):
        return
    press(choose)

    def shared():
        rc, out, _ = rctl("show", "tinyr", "--json")
        if rc != 0:
            return None
        stack = [json.loads(out)]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("shares"), list):
                    return [d.get("path") for d in node["shares"]]
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return None
    ok(wait_for(lambda: folder in (shared() or []), 20),
       "the VM there shares that folder of the other host (hostvisorctl --connect show)",
       lambda: shared())
    ok(hvui.close_window(app, "“tinyr” Settings") and
       wait_for(lambda: window(app, "“tinyr” Settings") is None, 10), "Settings closes")


def lost_and_back(app):
    r = subprocess.run(["pgrep", "-u", USER, "-x", "hostvisord"], capture_output=True,
                       text=True)
    pids = r.stdout.split()
    ok(len(pids) == 1, "the remote engine runs (as the remote user)", pids)
    # sshd's listener stopped meanwhile: the app's new attempts wait (the TCP connection is
    # made, sshd does not answer), so that the banner stays long enough to be read; the
    # session that carries the current connection is a child of its own and goes on.
    os.kill(SSHD_PID, signal.SIGSTOP)
    try:
        for pid in pids:
            os.kill(int(pid), signal.SIGKILL)
        killed = time.monotonic()
        seen = []

        def lost_banner():
            t = banner(app)
            seen.append((round(time.monotonic() - killed, 1), t))
            # The reason: hv_remote_lost_reason()'s words (the bridge ended: the engine).
            return t if t and t.startswith(
                f"The connection to {HOST} was lost — reconnecting… (lost the connection to "
                f"the engine on {IP}") else None

        text = wait_for(lost_banner, 60)
        T.note(f"banner polls (s after the kill, text): {seen[:2]} … {seen[-1:]}")
        ok(text is not None, "the banner says the connection to the host was lost, and why",
           lambda: texts(app))
        T.note(f"banner: {text}")
        screenshot("test-remote-ui-lost.png")
        ok("tinyr" in listed(app), "…the VM stays listed meanwhile")
    finally:
        os.kill(SSHD_PID, signal.SIGCONT)
    ok(wait_for(lambda: banner(app) is None and "tinyr" in listed(app) and
                remote_state("tinyr") == "poweroff", 60),
       "the app reconnects (a new engine there) and shows the list again", lambda: banner(app))


def switcher(app):
    menu = button(app, HOST + f":{PORT}")
    if not ok(menu is not None, "the switcher's button"):
        return None
    click(menu)
    return True


def unreachable(app):
    if switcher(app) is None:
        return
    add = wait_for(lambda: find(app, pred=lambda a: hvui.plain(a.get_name()).endswith(
        "Computer…") and a.get_role_name() == "push button"), 10)
    if not ok(add is not None, "the switcher offers Connect to Another Computer…"):
        return
    press(add)
    entry = wait_for(lambda: find(app, role="text",
                                  pred=lambda a: a.get_name().startswith("Address")), 10) or \
        wait_for(lambda: find(app, role="entry"), 5)
    if not ok(entry is not None, "the dialog asks for an address"):
        return
    hvui.focus_window("Connect to Another Computer")
    click(entry)
    type_text("ssh://-oProxyCommand=x")
    problem = wait_for(lambda: find(app, pred=lambda a: "begins with a letter" in
                                    (a.get_name() or "")), 10)
    connect = button(app, "Connect")
    ok(problem is not None and connect is not None and not sensitive(connect),
       "an address that would be an ssh option is refused inline, Connect disabled")
    hvui.keys("ctrl+a")
    bad = f"ssh://{USER}@{IP}:{PORT + 1}"
    type_text(bad)
    connect = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        button(app, "Connect")), 10)
    if not ok(connect is not None, "a valid address enables Connect"):
        return
    press(connect)
    text = wait_for(lambda: (lambda t: t if t and t.startswith(
        f"Cannot connect to {HOST}") and "cannot reach" in t else None)(banner(app)), 60)
    ok(text is not None, "an unreachable address: ssh's reason in the banner", lambda: banner(app))
    T.note(f"banner: {text}")
    screenshot("test-remote-ui-unreachable.png")
    ok(wait_for(lambda: listed(app) == [], 10),
       "…and the other host's VMs are gone from the list", lambda: listed(app))


PREFIX = USER[:-len("remote")] if USER.endswith("remote") else None


def hand_over(address):
    """A second `hostvisor --connect ADDRESS` while the window runs: it hands the address to
    the running window (app.connect) and ends."""
    env = dict(os.environ, GDK_BACKEND="x11")
    r = subprocess.run([hvui.APP, "--connect", address], env=env, capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stderr[-400:]


def refused_hosts(app):
    """The second host's users without Hostvisor and with an engine of another contract
    version (remote-host.sh), given to the running window by a second `hostvisor --connect`:
    the banner says which, in the client's words."""
    current = f"{HOST}:{PORT + 1}"
    if not ok(PREFIX is not None, "the second host's other users are known", USER):
        return current
    for user, words, what in (
            (PREFIX + "noeng", "Hostvisor is not installed on", "a user without Hostvisor"),
            (PREFIX + "oldver", "contract version 999 and this client version 1",
             "an engine of another contract version")):
        rc, err = hand_over(f"ssh://{user}@{IP}:{PORT}")
        ok(rc == 0, f"{what}: a second hostvisor --connect hands the address over", (rc, err))
        current = f"{user}@{IP}:{PORT}"
        text = wait_for(lambda: (lambda t: t if t and t.startswith(
            f"Cannot connect to {user}@{IP}") and words in t else None)(banner(app)), 60)
        ok(text is not None, f"{what}: the running window switches and its banner says so",
           lambda: banner(app))
        T.note(f"banner: {text}")
    return current


def back_home(app, current):
    menu = wait_for(lambda: button(app, current), 10)
    if not ok(menu is not None, "the switcher shows the chosen address"):
        return
    click(menu)
    home = wait_for(lambda: find(app, "push button", "This Computer"), 10)
    if not ok(home is not None, "the switcher offers This Computer"):
        return
    press(home)
    ok(wait_for(lambda: listed(app) == ["localvm"],
                60), "This Computer shows the local library",
       lambda: listed(app))
    ok(wait_for(lambda: banner(app) is None and title(app) == "Hostvisor", 20),
       "…with no banner, titled Hostvisor", lambda: (banner(app), title(app)))
    settings = os.path.join(os.environ["XDG_CONFIG_HOME"], "hostvisor", "ui-state.ini")
    try:
        text = open(settings).read()
    except OSError:
        text = ""
    ok(f"remembered={USER}@" not in text and f"ssh://{USER}@{IP}:{PORT + 1}" in text,
       "the address typed is remembered in the settings", text)


def second_instance(app):
    """`hostvisor --connect ADDRESS` while the window shows This Computer: the running window
    switches to that computer (app.connect), the second process ends."""
    rc, err = hand_over(REMOTE)
    ok(rc == 0, "a second hostvisor --connect hands the address over and ends", (rc, err))
    ok(wait_for(lambda: title(app) == f"Hostvisor — {HOST}", 30) and
       wait_for(lambda: "tinyr" in listed(app), 60),
       "…and the running window shows that computer's library",
       lambda: (title(app), listed(app)))


def main():
    proc, app = start_app(log_name="test-remote-ui-app.log", args=["--connect", REMOTE])
    if not ok(app is not None, "the app starts with --connect"):
        stop_app(proc)
        return T.finish()
    try:
        remote_library(app)
        if run_guest(app):
            power_off(app)
            remote_export_import(app)
            remote_new_vm(app)
            remote_share(app)
        lost_and_back(app)
        unreachable(app)
        back_home(app, refused_hosts(app))
        second_instance(app)
    finally:
        screenshot("test-remote-ui-end.png")
        stop_app(proc)
    return T.finish()


if __name__ == "__main__":
    sys.exit(main())
