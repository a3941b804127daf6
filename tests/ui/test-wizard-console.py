#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The New VM wizard and the console, driven as a person (or a screen reader) would.

Run by test-wizard-console.sh inside Xvfb and dbus-run-session, against a real engine with an
empty library. In the real hostvisor window it presses "+", chooses the GRUB rescue CD in the
file chooser (GTK's own dialog here: without a portal GtkFileChooserNative falls back to it,
and the path is typed into its location entry with xdotool), walks the wizard through AT-SPI
with "Start the VM after creating it" on, then checks with hostvisorctl that the VM exists,
has the CD and runs; then it opens the VM's console and checks in a screenshot of the console's
area that GRUB's menu is drawn there. Prints TAP. Needs: HV_APP, HV_CTL, HV_ARTIFACTS, HV_ISO,
HV_PNG_COLOURS.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

APP = os.environ["HV_APP"]
CTL = os.environ["HV_CTL"]
ARTIFACTS = os.environ["HV_ARTIFACTS"]
ISO = os.environ["HV_ISO"]
PNG_COLOURS = os.environ["HV_PNG_COLOURS"]

n = 0
failed = 0


def ok(cond, what, diag=None):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        if diag:
            for line in str(diag).splitlines():
                print(f"# {line}")
    sys.stdout.flush()
    return cond


def note(text):
    for line in str(text).splitlines():
        print(f"# {line}")
    sys.stdout.flush()


def ctl(*args):
    r = subprocess.run([CTL, *args], capture_output=True, text=True)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def wait_for(func, timeout=30.0, interval=0.25):
    """Poll func until it returns something true or the deadline passes; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = func()
        except Exception:  # the tree changes under us while the app updates
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def screenshot(name):
    path = os.path.join(ARTIFACTS, name)
    subprocess.run(["import", "-window", "root", path], check=False)
    note(f"screenshot: {path}")
    return path


def walk(acc, depth=0):
    """Every accessible under acc, depth first, in document order."""
    if acc is None or depth > 60:
        return
    yield acc
    for i in range(acc.get_child_count()):
        yield from walk(acc.get_child_at_index(i), depth + 1)


def find_app():
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_name() == "hostvisor":
            return app
    return None


def fresh(acc):
    """Drop the client-side cache: GTK 4.8 does not announce every name or state change."""
    try:
        acc.clear_cache()
    except Exception:
        pass
    return acc


def states(acc):
    return acc.get_state_set() if acc is not None else None


def visible(acc):
    return acc is not None and states(acc).contains(Atspi.StateType.VISIBLE)


def sensitive(acc):
    return acc is not None and states(acc).contains(Atspi.StateType.SENSITIVE)


def allocated(acc):
    try:
        ext = acc.get_extents(Atspi.CoordType.WINDOW)
    except Exception:  # no Component interface (a stack page, a dialog's stand-in)
        return False
    return ext.width > 0 and ext.height > 0


def on_screen(acc):
    """Shown now: GTK 4.8 keeps the widgets of hidden stack pages visible, but without an
    allocation, so the extents tell what is on screen."""
    return visible(acc) and allocated(acc)


def label_of(acc):
    """GTK 4.8 names a button with a mnemonic "_Next Next" and one with an accessible label
    "Choose a disc or floppy image Choose…": compare with the part a person reads."""
    return (acc.get_name() or "").replace("_", "")


def find(root, pred):
    for acc in walk(fresh(root)):
        try:
            if pred(acc):
                return acc
        except Exception:
            continue
    return None


def window(app, title):
    """The app's toplevel (frame, or dialog's filler) titled title."""
    for i in range(fresh(app).get_child_count()):
        top = app.get_child_at_index(i)
        if top is not None and top.get_name() == title:
            return top
    return None


def button(root, text, usable=True):
    """A push button on screen whose label (or tooltip, for icon buttons) is text."""
    def match(acc):
        if acc.get_role_name() not in ("push button", "toggle button"):
            return False
        if not (label_of(acc).endswith(text) or acc.get_description() == text):
            return False
        return on_screen(acc) and (sensitive(acc) or not usable)
    return find(root, match)


def press(acc):
    """Activate a widget through its AT-SPI action, as a screen reader would."""
    return acc.do_action(0)


def label_starting(root, prefix):
    return find(root, lambda a: a.get_role_name() in ("label", "list item")
                and (a.get_name() or "").startswith(prefix) and on_screen(a))


def text_of(acc):
    """The text of an entry or label (Text interface); "" when it has none."""
    try:
        if "Text" not in acc.get_interfaces():
            return ""
        return Atspi.Text.get_text(acc, 0, Atspi.Text.get_character_count(acc)) or ""
    except Exception:
        return ""


def dump(root, name):
    """The accessibility tree under root into an artifact, for when a step fails."""
    path = os.path.join(ARTIFACTS, name)
    with open(path, "w") as f:
        depth = {}
        for acc in walk(fresh(root)):
            parent = acc.get_parent()
            d = depth[acc] = depth.get(parent, -1) + 1 if parent in depth else 0
            f.write(f"{'  ' * d}{acc.get_role_name()} {acc.get_name()!r} "
                    f"desc={acc.get_description()!r} text={text_of(acc)!r} "
                    f"if={acc.get_interfaces()} "
                    f"showing={on_screen(acc)}\n")
    note(f"accessibility tree: {path}")


def xwindow(name, timeout=30):
    """The X window id of the toplevel named exactly name."""
    def search():
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{name}$"],
                           capture_output=True, text=True)
        ids = r.stdout.split()
        return ids[-1] if ids else None
    return wait_for(search, timeout)


def xgeometry(wid):
    r = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid],
                       capture_output=True, text=True)
    geo = dict(line.split("=", 1) for line in r.stdout.split() if "=" in line)
    return int(geo["X"]), int(geo["Y"]), int(geo["WIDTH"]), int(geo["HEIGHT"])


def vm_list():
    rc, out, _ = ctl("list", "--json")
    return json.loads(out) if rc == 0 else None


def vm_show(name):
    rc, out, _ = ctl("show", name, "--json")
    return json.loads(out) if rc == 0 else None


def main():
    env = dict(os.environ, GTK_A11Y="atspi", GDK_BACKEND="x11", G_DEBUG="fatal-criticals")
    log = open(os.path.join(ARTIFACTS, "test-wizard-console-app.log"), "w")
    proc = subprocess.Popen([APP], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        run(proc)
    finally:
        ok(proc.poll() is None, "the app is still running at the end",
           f"exit status {proc.returncode}")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    ok(proc.returncode in (0, -signal.SIGTERM), "the app exits cleanly",
       f"exit status {proc.returncode}")
    print(f"1..{n}")
    return 1 if failed else 0


def run(proc):
    app = wait_for(find_app, 90)
    if not ok(app is not None, "the app appears on the accessibility bus"):
        return
    main_window = wait_for(lambda: window(app, "Hostvisor"), 30)

    # 1. An empty library: the welcome page, and "+" in the header bar once the engine is there.
    welcome = wait_for(lambda: label_starting(main_window, "Welcome to Hostvisor"), 60)
    ok(welcome is not None, "an empty library shows the welcome page")
    plus = wait_for(lambda: button(main_window, "New Virtual Machine"), 30)
    if not ok(plus is not None, "the \"+\" (New Virtual Machine) button is there and enabled"):
        return

    # 2. The wizard, page 1: the install medium, chosen in the file chooser.
    press(plus)
    wizard = wait_for(lambda: window(app, "New Virtual Machine"), 30)
    if not ok(wizard is not None, "pressing \"+\" opens the New Virtual Machine wizard"):
        return
    choose = wait_for(lambda: button(wizard, "Choose…"), 20)
    if not ok(choose is not None, "the wizard offers to choose a disc image"):
        return
    press(choose)
    chooser = wait_for(lambda: window(app, "Choose an Install Medium"), 30)
    ok(chooser is not None, "Choose… opens a file chooser (GTK's dialog, no portal here)")
    wid = xwindow("Choose an Install Medium")
    if not ok(wid is not None, "the file chooser is an X window"):
        return
    # Keyboard input goes to the focused window; there is no window manager to give it.
    subprocess.run(["xdotool", "windowfocus", "--sync", wid], check=False)
    subprocess.run(["xdotool", "key", "--window", wid, "--clearmodifiers", "ctrl+l"],
                   check=False)
    time.sleep(0.5)  # the location entry appears
    subprocess.run(["xdotool", "type", "--delay", "40", ISO], check=False)

    def typed():
        fresh(chooser)
        for acc in walk(chooser):
            if text_of(acc) == ISO:
                return acc
        return None

    entry = wait_for(typed, 20)
    if not ok(entry is not None, "the path is typed into the file chooser's location entry"):
        dump(chooser, "tree-chooser.txt")
    screenshot("wizard-0-chooser.png")
    subprocess.run(["xdotool", "key", "--window", wid, "Return"], check=False)
    gone = wait_for(lambda: window(app, "Choose an Install Medium") is None
                    or not on_screen(window(app, "Choose an Install Medium")), 20)
    if not gone:
        open_button = button(chooser, "Open")
        if open_button is not None:
            press(open_button)
        gone = wait_for(lambda: window(app, "Choose an Install Medium") is None, 20)
    ok(gone, "the file chooser closes with the image chosen")

    chosen = wait_for(lambda: label_starting(wizard, os.path.basename(ISO)), 20)
    ok(chosen is not None, "the wizard shows the chosen image",
       chosen.get_name() if chosen else None)
    detected = wait_for(lambda: label_starting(wizard, "Detected:")
                        or label_starting(wizard, "Not recognised"), 60)
    ok(detected is not None, "the wizard examines the image (detected, or says it is not)")
    if detected is not None:
        note(f"detection: {detected.get_name()}")
    screenshot("wizard-1-medium.png")

    # Page 2: the operating system; page 3: name, folder, hardware, start.
    nxt = wait_for(lambda: button(wizard, "Next"), 20)
    if not ok(nxt is not None, "Next is enabled once an image is chosen"):
        return
    press(nxt)
    ok(wait_for(lambda: label_starting(wizard, "Step 2 of 3"), 10), "Next goes to step 2")
    time.sleep(0.5)  # the page slides in
    screenshot("wizard-2-os.png")

    # The OS list reads as a version list: Debian 6.0, 7, …, 10, 11, 12 (not 10, 11, 12, 6.0).
    def debian_versions():
        names = [a.get_name() for a in walk(fresh(wizard)) if a.get_role_name() == "label"
                 and re.fullmatch(r"Debian [0-9.]+", a.get_name() or "")]
        return names if len(names) >= 3 else None

    versions = wait_for(debian_versions, 20) or []
    numbers = [tuple(int(p) for p in n.split()[1].split(".")) for n in versions]
    ok(len(numbers) >= 3 and numbers == sorted(numbers),
       "the OS list sorts versions by number (Debian 6.0 before 10)", versions)
    nxt = wait_for(lambda: button(wizard, "Next"), 20)
    if not ok(nxt is not None, "Next is enabled on the OS page"):
        return
    press(nxt)
    ok(wait_for(lambda: label_starting(wizard, "Step 3 of 3"), 10), "Next goes to step 3")

    def start_switch():
        return find(wizard, lambda a: a.get_role_name() in ("switch", "toggle button", "check box")
                    and (a.get_name() or "").startswith("Start the VM after creating it")
                    and on_screen(a))

    switch = wait_for(start_switch, 10)
    if not ok(switch is not None, "step 3 has \"Start the VM after creating it\""):
        dump(wizard, "tree-wizard.txt")
        return
    checked = (Atspi.StateType.CHECKED, Atspi.StateType.PRESSED)
    if not any(states(switch).contains(s) for s in checked):
        press(switch)
    ok(wait_for(lambda: any(states(fresh(switch)).contains(s) for s in checked), 5),
       "\"Start the VM after creating it\" is on")

    def name_entry():
        return find(wizard, lambda a: a.get_name() == "Name"
                    and "EditableText" in a.get_interfaces() and on_screen(a))

    entry = wait_for(name_entry, 10)
    suggested = text_of(entry) if entry is not None else ""
    if not ok(bool(suggested), "the wizard suggests a name"):
        dump(wizard, "tree-wizard.txt")
        return
    note(f"suggested name: {suggested!r}")
    time.sleep(0.5)  # the page slides in
    screenshot("wizard-3-details.png")
    create = wait_for(lambda: button(wizard, "Create"), 20)
    if not ok(create is not None, "Create is enabled"):
        return
    press(create)
    closed = wait_for(lambda: window(app, "New Virtual Machine") is None
                      or not visible(window(app, "New Virtual Machine")), 60)
    ok(closed, "the wizard closes after Create")

    # 3. The engine's view: the VM exists, with the CD in its drive, and runs.
    vms = wait_for(lambda: [v for v in vm_list() or [] if v.get("name") == suggested], 30)
    if not ok(vms and len(vm_list()) == 1, "hostvisorctl list --json shows the new VM",
              vm_list()):
        return
    name = vms[0]["name"]
    running = wait_for(lambda: [v for v in vm_list() if v["name"] == name][0]["state"]
                       == "running", 90)
    ok(running, "the VM runs (\"Start the VM after creating it\")",
       [v for v in vm_list() or [] if v["name"] == name])
    shown = vm_show(name) or {}
    drives = shown.get("drives") or []
    cd = [d for d in drives if d.get("media") == "cdrom" or d.get("kind") == "cdrom"
          or d.get("type") == "cdrom"]
    ok(any(d.get("path") == ISO for d in cd), "its CD drive holds the GRUB rescue CD",
       json.dumps(drives, indent=1))

    # 4. The console: select the VM, Show Console, and GRUB's menu in the console's area.
    def vm_row():
        lst = find(main_window, lambda a: a.get_role_name() == "list"
                   and a.get_name() == "Virtual machines")
        if lst is None:
            return None
        for acc in walk(lst):
            if (acc.get_description() or "").startswith("Virtual machine") and \
                    acc.get_name() == name:
                return lst, acc
        return None

    found = wait_for(vm_row, 30)
    if not ok(found is not None, "the new VM has a row in the sidebar"):
        return
    lst, row = found
    item = row
    while item is not None and item.get_parent() is not None and \
            item.get_parent().get_role_name() != "list":
        item = item.get_parent()

    # The wizard leaves the new VM selected: the person sees it boot, not "No Virtual Machine
    # Selected".
    def new_vm_selected():
        f = vm_row()
        if f is None:
            return False
        it = f[1]
        while it is not None and it.get_parent() is not None and \
                it.get_parent().get_role_name() != "list":
            it = it.get_parent()
        return it is not None and states(fresh(it)).contains(Atspi.StateType.SELECTED)

    ok(wait_for(new_vm_selected, 20), "the new VM is selected in the sidebar after Create")
    ok(not any(a.get_name() == "No Virtual Machine Selected" and on_screen(a)
               for a in walk(fresh(main_window))),
       "… and the details show it, not \"No Virtual Machine Selected\"")
    try:
        selected = lst.select_child(item.get_index_in_parent())
    except Exception as e:
        note(f"select_child: {e}")
        selected = False
    console_button = wait_for(lambda: button(main_window, "Show Console"), 20)
    if not ok(console_button is not None, "selecting the running VM offers Show Console",
              f"select_child → {selected}"):
        return
    press(console_button)

    def console():
        return find(main_window, lambda a: a.get_name() == "Console of the virtual machine"
                    and on_screen(a))

    view = wait_for(console, 20)
    if not ok(view is not None, "Show Console shows the console in the window"):
        return

    # Where the console is on the screen: its extents in the window, plus where the window's
    # contents start (the X window's origin, and GTK's client-side border around them).
    wid = xwindow("Hostvisor")
    wx, wy, ww, wh = xgeometry(wid)
    frame = main_window.get_extents(Atspi.CoordType.WINDOW)
    bx, by = (ww - frame.width) // 2, (wh - frame.height) // 2
    ext = fresh(view).get_extents(Atspi.CoordType.WINDOW)
    # The part of the console on screen: the details pane scrolls, so the console may reach
    # below the window; what shows is where it meets every ancestor's area.
    x0, y0, x1, y1 = ext.x, ext.y, ext.x + ext.width, ext.y + ext.height
    anc = view.get_parent()
    while anc is not None and anc.get_role_name() != "application":
        if "Component" in anc.get_interfaces():
            a = anc.get_extents(Atspi.CoordType.WINDOW)
            if a.width > 0 and a.height > 0:
                x0, y0 = max(x0, a.x), max(y0, a.y)
                x1, y1 = min(x1, a.x + a.width), min(y1, a.y + a.height)
        anc = anc.get_parent()
    inset = 2  # stay off the edges: no window border may count as a lit row
    crop_geo = (f"{x1 - x0 - 2 * inset}x{y1 - y0 - 2 * inset}"
                f"+{wx + bx + x0 + inset}+{wy + by + y0 + inset}")
    note(f"window {wx},{wy} {ww}x{wh}, border {bx},{by}; console {ext.x},{ext.y} "
         f"{ext.width}x{ext.height}, on screen {x0},{y0} to {x1},{y1}; crop {crop_geo}")
    ok(x1 - x0 > 200 and y1 - y0 > 150, "the console has a sizeable area on screen",
       crop_geo)
    ok((x0, y0, x1, y1) == (ext.x, ext.y, ext.x + ext.width, ext.y + ext.height),
       "the whole console fits in the window (nothing to scroll to)",
       f"console {ext.x},{ext.y} {ext.width}x{ext.height}, visible {x0},{y0} to {x1},{y1}")
    crop = os.path.join(ARTIFACTS, "console-crop.png")
    shot = os.path.join(ARTIFACTS, "console.png")

    def grub_menu_drawn():
        subprocess.run(["import", "-window", "root", shot], check=False)
        # PNG24: plain 8-bit RGB, which png-colours.py reads (not a palette PNG).
        subprocess.run(["convert", shot, "-crop", crop_geo, "+repage", f"PNG24:{crop}"],
                       check=False)
        bar = subprocess.run(["python3", PNG_COLOURS, crop, "bar"]).returncode == 0
        mean = subprocess.run(["convert", crop, "-colorspace", "Gray", "-format", "%[fx:mean]",
                               "info:"], capture_output=True, text=True).stdout.strip()
        grub_menu_drawn.last = (bar, mean)
        # GRUB's screen is dark with one lit bar; the window's own light background (the crop
        # in the wrong place) is lit everywhere, and that must not count.
        return bar and float(mean or 1) < 0.5

    grub_menu_drawn.last = None
    drawn = wait_for(grub_menu_drawn, 120, interval=2)
    note(f"console crop: bar={grub_menu_drawn.last[0]} mean brightness="
         f"{grub_menu_drawn.last[1]}")
    note(f"screenshot: {shot}")
    note(f"console area: {crop}")
    ok(drawn, "the console shows the guest's screen: GRUB's menu with its highlight bar")
    ok(vm_list()[0]["state"] == "running", "the VM still runs")

    # 5. "Scale to Window" tells a screen reader whether it is on: a check box, checked.
    def scale():
        return find(main_window, lambda a: a.get_name() == "Scale to Window" and on_screen(a))

    toggle = wait_for(scale, 10)
    if not ok(toggle is not None, "the console has \"Scale to Window\""):
        return
    ok(toggle.get_role_name() == "check box" and
       states(toggle).contains(Atspi.StateType.CHECKED),
       "\"Scale to Window\" reads as a checked check box",
       f"{toggle.get_role_name()}: {[s.value_nick for s in states(toggle).get_states()]}")
    press(toggle)
    ok(wait_for(lambda: not states(fresh(scale())).contains(Atspi.StateType.CHECKED), 5),
       "… unchecked once pressed (pixel for pixel)")
    press(scale())
    ok(wait_for(lambda: states(fresh(scale())).contains(Atspi.StateType.CHECKED), 5),
       "… and checked again")


if __name__ == "__main__":
    sys.exit(main())
