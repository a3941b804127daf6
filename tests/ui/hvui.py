# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the window tests: TAP output, hostvisorctl, and the hostvisor window read and
driven through AT-SPI (and xdotool where AT-SPI cannot reach).

Needs: HV_APP (the hostvisor binary), HV_CTL (hostvisorctl), HV_ARTIFACTS (where screenshots
and logs go); set by ui-lib.sh.
"""
import json
import os
import shlex
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


class Tap:
    """TAP lines as the checks run; plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {what}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {what}")
            if diag:
                for line in str(diag).splitlines():
                    print(f"# {line}")
        sys.stdout.flush()
        return cond

    def note(self, text):
        for line in str(text).splitlines():
            print(f"# {line}")
        sys.stdout.flush()

    def finish(self):
        print(f"1..{self.n}")
        return 1 if self.failed else 0


def ctl(*args):
    r = subprocess.run([CTL, *args], capture_output=True, text=True)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def vm_list():
    rc, out, _ = ctl("list", "--json")
    return json.loads(out) if rc == 0 else []


def state_of(vm):
    rc, out, _ = ctl("show", vm, "--json")
    return json.loads(out).get("state") if rc == 0 else None


def wait_for(func, timeout=30.0, interval=0.25):
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
    print(f"# screenshot: {path}")


# ---- the accessibility tree ----

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


def fresh(app):
    """Drop the client-side cache: GTK 4.8 does not announce every name or description change,
    and a recycled list row would otherwise read as the item it showed before."""
    try:
        app.clear_cache()
    except Exception:
        pass
    return app


def states(acc):
    return acc.get_state_set() if acc is not None else None


def showing(acc):
    """GTK 4.8 reports "visible" (the widget's own flag) but not "showing"."""
    return acc is not None and acc.get_state_set().contains(Atspi.StateType.VISIBLE)


def allocated(acc):
    ext = acc.get_extents(Atspi.CoordType.WINDOW)
    return ext.width > 0 and ext.height > 0


def sensitive(acc):
    return acc is not None and acc.get_state_set().contains(Atspi.StateType.SENSITIVE)


def plain(name):
    """Buttons with a mnemonic read "_Start Start" in GTK 4.8: the plain label."""
    return (name or "").replace("_", "").split(" ")[-1]


def button(app, label):
    for acc in walk(fresh(app)):
        if acc.get_role_name() in ("push button", "toggle button") and \
                plain(acc.get_name()) == label:
            return acc
    return None


def find(app, role=None, name=None, only_showing=True, pred=None):
    for acc in walk(fresh(app)):
        if role is not None and acc.get_role_name() != role:
            continue
        if name is not None and acc.get_name() != name:
            continue
        if only_showing and not showing(acc):
            continue
        if pred is not None and not pred(acc):
            continue
        return acc
    return None


def find_all(app, pred):
    return [acc for acc in walk(fresh(app)) if pred(acc)]


def press(acc):
    """Activate through the AT-SPI action, as a screen reader would."""
    return acc.do_action(0)


def click(acc, button_no=1):
    ext = acc.get_extents(Atspi.CoordType.SCREEN)
    subprocess.run(["xdotool", "mousemove", str(ext.x + ext.width // 2),
                    str(ext.y + ext.height // 2)])
    time.sleep(0.2)
    subprocess.run(["xdotool", "click", str(button_no)])


def focus_window(name_regex):
    """Give an X window (by title) the keyboard: Xvfb has no window manager to do it when a
    dialog closes, and key events would go nowhere."""
    r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name_regex],
                       capture_output=True, text=True)
    ids = r.stdout.split()
    if ids:
        subprocess.run(["xdotool", "windowfocus", "--sync", ids[-1]], check=False)
    return bool(ids)


def close_window(app, title):
    """Press the Close button of the window with this title, through AT-SPI."""
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is None or win.get_name() != title:
            continue
        for acc in walk(win):
            if acc.get_role_name() == "push button" and acc.get_name() == "Close" and \
                    acc.get_n_actions() > 0:
                press(acc)
                return True
    return False


def window_open(app, title):
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is not None and win.get_name() == title and showing(win):
            return True
    return False


def keys(*combo):
    subprocess.run(["xdotool", "key", "--delay", "60", *combo])


def type_text(text):
    subprocess.run(["xdotool", "type", "--delay", "40", text])


# ---- the sidebar ----

def sidebar_list(app):
    return find(app, "list", "Virtual machines")


def sidebar_rows(app):
    """The sidebar rows in order: (kind, name, description, accessible)."""
    lst = sidebar_list(app)
    if lst is None:
        return []
    rows = []
    for acc in walk(lst):
        desc = acc.get_description() or ""
        if desc.startswith("Folder "):
            rows.append(("folder", desc[len("Folder "):], desc, acc))
        elif desc.startswith("Virtual machine"):
            rows.append(("vm", acc.get_name(), desc, acc))
    return rows


def vm_row(app, name):
    for kind, row_name, desc, acc in sidebar_rows(app):
        if kind == "vm" and row_name == name:
            return desc, acc
    return None


def list_index(acc):
    """The index of the list item that holds acc, among the list's children."""
    item = acc
    while item is not None and item.get_parent() is not None and \
            item.get_parent().get_role_name() != "list":
        item = item.get_parent()
    return item.get_index_in_parent() if item is not None else None


def select_vm(app, name):
    """Select a VM's row: through AT-SPI's Selection, else with a click."""
    row = vm_row(app, name)
    lst = sidebar_list(app)
    if row is None or lst is None:
        return False
    index = list_index(row[1])
    try:
        if index is not None and lst.select_child(index):
            return True
    except Exception:
        pass
    click(row[1])
    return True


def list_item(acc):
    """The list item (the list's direct child) that holds acc."""
    item = acc
    while item is not None and item.get_parent() is not None and \
            item.get_parent().get_role_name() != "list":
        item = item.get_parent()
    return item


def selected_vm(app):
    """The name of the VM whose row is selected, or None."""
    for kind, name, _, acc in sidebar_rows(app):
        item = list_item(acc)
        if kind == "vm" and item is not None and \
                item.get_state_set().contains(Atspi.StateType.SELECTED):
            return name
    return None


def no_selection_page(app):
    """The details pane's "No Virtual Machine Selected" page, when it is what is shown."""
    acc = find(app, "label", "No Virtual Machine Selected")
    return acc is not None and allocated(acc)


# ---- the app ----

def start_app(extra_env=None, wrapper=None, log_name="app.log", timeout=90, args=None):
    """Start hostvisor (optionally under a wrapper command such as valgrind, with args after
    it) and wait until it is on the accessibility bus. Returns (process, accessible app or
    None)."""
    env = dict(os.environ, GTK_A11Y="atspi", GDK_BACKEND="x11", G_DEBUG="fatal-criticals")
    env.update(extra_env or {})
    log = open(os.path.join(ARTIFACTS, log_name), "w")
    argv = (shlex.split(wrapper) if wrapper else []) + [APP] + list(args or [])
    proc = None
    # On a loaded machine the app has been seen to fail "cannot open display" on an Xvfb that
    # had just answered: an app that exits before it appears is started again (3 times).
    for attempt in range(3):
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        if wait_for(lambda: find_app() or proc.poll() is not None, timeout) and \
                proc.poll() is None:
            break
        print(f"# the app exited early (status {proc.returncode}), attempt {attempt + 1}")
        time.sleep(1)
    return proc, wait_for(find_app, timeout)


def stop_app(proc, timeout=10):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return proc.returncode
