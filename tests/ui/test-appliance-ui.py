# SPDX-License-Identifier: GPL-3.0-or-later
"""File → Import Appliance… and Export… through the app (test-appliance-ui.sh makes the
appliances and the VM to export). Import: the main menu's entry and its file chooser, the
summary (name, OS, memory, CPUs, firmware, disks, adapters, what is left out), an import under
another name (the new VM selected), an appliance that fails its manifest opened as a file
given to the app (as a drop is: the error in the dialog, nothing left), then Choose Another
File… and a cancelled import (nothing left). Export: the VM's Export… dialog, a cancelled
export (no file), then a whole one (the OVA's members in order), an existing destination
refused, and a libvirt domain."""
import os
import signal
import subprocess
import sys
import tarfile
import time

import hvui
from hvui import (Atspi, click, find, fresh, keys, press, screenshot, sensitive, showing,
                  type_text, wait_for)

tap = hvui.Tap()
ok = tap.ok
note = tap.note

W = os.environ["HV_WORK"]
LIBRARY = os.environ["HV_LIBRARY"]
PKG = os.path.join(W, "pkg", "pkg.ovf")
BAD = os.path.join(W, "bad.ova")
SLOW = os.path.join(W, "slow.ova")
IMPORT = "Import Appliance"
EXPORT = "Export Virtual Machine"
CHOOSER = "Choose an Appliance"


# ---- helpers ----

def walk(acc):
    """hvui.walk, ending quietly where an accessible goes away under it (a page that changes
    while it is read): the callers poll again."""
    try:
        yield from hvui.walk(acc)
    except Exception:  # noqa: BLE001 (GLib.Error from AT-SPI)
        return


def window(app, title):
    try:
        for i in range(fresh(app).get_child_count()):
            win = app.get_child_at_index(i)
            if win is not None and win.get_name() == title and showing(win):
                return win
    except Exception:  # noqa: BLE001 (a window that closes while it is read)
        pass
    return None


def closed(app, title):
    return window(app, title) is None


def on_screen(acc):
    ext = acc.get_extents(Atspi.CoordType.WINDOW)
    return showing(acc) and ext.width > 0 and ext.height > 0


def labels(app, title):
    """The texts of the labels shown in a window (GTK 4.8 keeps hidden stack pages' widgets
    "visible": only those with an allocation count)."""
    win = window(app, title)
    if win is None:
        return []
    return [acc.get_name() or "" for acc in walk(fresh(win))
            if acc.get_role_name() == "label" and on_screen(acc)]


def has_label(app, title, pred):
    return next((t for t in labels(app, title) if pred(t)), None)


def named_button(app, title, label):
    """A push button of the window by its label (GTK 4.8 reads "_Import Import")."""
    win = window(app, title)
    if win is None:
        return None
    for acc in walk(fresh(win)):
        n = (acc.get_name() or "").replace("_", "")
        if acc.get_role_name() == "push button" and acc.get_n_actions() > 0 and \
                (n == label or n.startswith(f"{label} ")) and on_screen(acc):
            return acc
    return None


def text_of(acc):
    try:
        return Atspi.Text.get_text(acc, 0, Atspi.Text.get_character_count(acc)) or ""
    except Exception:
        return ""


def entry(app, title, name):
    win = window(app, title)
    if win is None:
        return None
    for acc in walk(fresh(win)):
        if acc.get_role_name() == "text" and (acc.get_name() or "").startswith(name) and \
                on_screen(acc):
            return acc
    return None


def set_text(acc, text):
    click(acc)
    time.sleep(0.3)
    keys("ctrl+a")
    type_text(text)
    time.sleep(0.3)


def xwindow(name, timeout=30):
    def search():
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{name}$"],
                           capture_output=True, text=True)
        ids = r.stdout.split()
        return ids[-1] if ids else None
    return wait_for(search, timeout)


def choose_file(app, path):
    """GTK's file chooser (no portal here): the path typed into its location entry."""
    if wait_for(lambda: window(app, CHOOSER), 30) is None:
        return False
    wid = xwindow(CHOOSER)
    if wid is None:
        return False
    subprocess.run(["xdotool", "windowfocus", "--sync", wid], check=False)
    subprocess.run(["xdotool", "key", "--window", wid, "--clearmodifiers", "ctrl+l"],
                   check=False)
    time.sleep(0.5)
    subprocess.run(["xdotool", "type", "--delay", "30", path], check=False)
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "--window", wid, "Return"], check=False)
    return wait_for(lambda: closed(app, CHOOSER), 20)


def open_main_menu(app):
    button = find(app, "push button", "Main Menu", pred=lambda a: a.get_n_actions() > 0)
    if button is None:
        return False
    click(button)
    return wait_for(lambda: find(app, "menu item", "About Hostvisor"), 5) is not None


def menu_entry(app, label):
    if not open_main_menu(app):
        return None
    return wait_for(lambda: find(app, "menu item", label), 5)


def vm_names():
    return [v.get("name") for v in hvui.vm_list()]


def no_leftovers():
    vms = os.path.join(LIBRARY, "vms")
    return not any(n.startswith(".new-") for n in os.listdir(vms)) if os.path.isdir(vms) \
        else True


def progress_bar(app, title):
    win = window(app, title)
    if win is None:
        return None
    for acc in walk(fresh(win)):
        if acc.get_role_name() == "progress bar" and on_screen(acc):
            return acc
    return None


def value_of(acc):
    try:
        return Atspi.Value.get_current_value(acc) if acc is not None else None
    except Exception:
        return None


def cancel_when_started(app, title, what):
    """Once the progress bar has moved, press Cancel at once: the accessibility tree is slow
    to walk on a loaded machine, so the bar and the button are found first and then only
    read or pressed."""
    cancel = named_button(app, title, "Cancel")
    bar = wait_for(lambda: progress_bar(app, title), 20)
    started = wait_for(lambda: (value_of(bar) or 0) > 0, 30, interval=0.1)
    ok(started, f"the progress bar rises (the {what}'s progress)", value_of(bar))
    if not ok(cancel is not None, "Cancel is there while it runs"):
        return False
    press(cancel)
    return True


# ---- import ----

def import_summary(app):
    entry_item = menu_entry(app, "Import Appliance…")
    if not ok(entry_item is not None, "the main menu has \"Import Appliance…\""):
        keys("Escape")
        return False
    press(entry_item)
    ok(choose_file(app, PKG), "it asks for the file (a file chooser): the OVF package is chosen")
    name = wait_for(lambda: entry(app, IMPORT, "Name"), 60)
    if not ok(name is not None, "the import dialog shows its summary with a Name field"):
        screenshot("test-appliance-ui-summary-missing.png")
        return False
    ok(text_of(name) == "OVF Two", "… the name is the appliance's", repr(text_of(name)))
    shown = labels(app, IMPORT)
    ok(any("Debian" in t for t in shown), "… the OS is Debian (CIM 96)", "\n".join(shown))
    ok("256 MiB" in shown, "… 256 MiB of memory")
    ok(any(t.startswith("Disk 1: 64") for t in shown), "… one 64 MiB disk")
    ok(any(t.startswith("pkg-disk1.vdi (vdi)") for t in shown), "… from the package's VDI")
    ok("Network adapter 2" in shown, "… two network adapters")
    ok("BIOS" in shown, "… BIOS firmware")
    ok(any("serial port" in t for t in shown), "Left out: the serial port")
    ok(any("Bridged" in t for t in shown), "Left out: the bridged network")
    ok(hvui.find(app, "combo box", "Folder") is not None, "the folder can be chosen")
    screenshot("test-appliance-ui-summary.png")
    hvui.focus_window(f"^{IMPORT}$")
    set_text(name, "Imported Two")
    go = wait_for(lambda: named_button(app, IMPORT, "Import"), 5)
    if not ok(go is not None and sensitive(go), "Import is enabled"):
        return False
    press(go)
    ok(wait_for(lambda: "Imported Two" in vm_names(), 60), "the engine imported it under the "
       "name typed in the dialog", vm_names())
    ok(wait_for(lambda: closed(app, IMPORT), 20), "the dialog closes when done")
    ok(wait_for(lambda: hvui.selected_vm(app) == "Imported Two", 20),
       "the new VM is selected in the list", hvui.selected_vm(app))
    return True


def import_bad(app):
    before = sorted(vm_names())
    # A file given to the app goes where a dropped one goes (hv_window_new_vm): .ova → import.
    env = dict(os.environ, GTK_A11Y="atspi", GDK_BACKEND="x11")
    subprocess.run([hvui.APP, BAD], env=env, timeout=60, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    title = wait_for(lambda: has_label(app, IMPORT, lambda t: t == "This Appliance Cannot Be "
                                       "Imported"), 60)
    ok(title is not None, "an OVA whose manifest lies, opened with the app: the dialog says it "
       "cannot be imported", labels(app, IMPORT))
    ok(has_label(app, IMPORT, lambda t: "bad-disk001.vmdk" in t and "does not match" in t)
       is not None,
       "… with the engine's message (the checksum does not match)", labels(app, IMPORT))
    ok(sorted(vm_names()) == before and no_leftovers(), "… and nothing is left in the library")
    screenshot("test-appliance-ui-bad.png")
    return window(app, IMPORT) is not None


def import_cancel(app):
    again = wait_for(lambda: named_button(app, IMPORT, "Choose Another File…"), 10)
    if not ok(again is not None, "the error page offers Choose Another File…"):
        return
    press(again)
    ok(choose_file(app, SLOW), "… a file chooser: the slow OVA is chosen")
    name = wait_for(lambda: entry(app, IMPORT, "Name"), 60)
    ok(name is not None and text_of(name) == "Slow One", "the same dialog shows its summary",
       text_of(name) if name else None)
    ok(has_label(app, IMPORT, lambda t: t.startswith("Nothing")) is not None,
       "… nothing is left out")
    go = wait_for(lambda: named_button(app, IMPORT, "Import"), 5)
    if go is None:
        ok(False, "Import is there")
        return
    press(go)
    if not cancel_when_started(app, IMPORT, "import"):
        return
    ok(has_label(app, IMPORT, lambda t: t == "Importing “Slow One”…") is not None,
       "… under \"Importing “Slow One”…\"")
    ok(wait_for(lambda: has_label(app, IMPORT, lambda t: t == "Import Cancelled"), 30)
       is not None, "the dialog says the import was cancelled", labels(app, IMPORT))
    ok("Slow One" not in vm_names() and no_leftovers(),
       "… nothing is left in the library (no VM, no .new-* directory)", vm_names())
    time.sleep(1)
    ok(hvui.vm_row(app, "Slow One") is None, "… nor in the app's list")
    screenshot("test-appliance-ui-cancelled.png")
    back = named_button(app, IMPORT, "Back")
    if ok(back is not None, "Back is offered"):
        press(back)
        name = wait_for(lambda: entry(app, IMPORT, "Name"), 10)
        ok(name is not None and text_of(name) == "Slow One", "… back to the summary")
    cancel = wait_for(lambda: named_button(app, IMPORT, "Cancel"), 5)
    if cancel is not None:
        press(cancel)
    ok(wait_for(lambda: closed(app, IMPORT), 10), "Cancel on the summary closes the dialog")


# ---- export ----

def choose(app, title, combo_name, option):
    """Pick option in the AdwComboRow combo_name: open its list, then the keyboard (AT-SPI's
    positions inside a popover are off in GTK 4.8, so clicks there miss)."""
    combo = wait_for(lambda: hvui.find(window(app, title), "combo box", combo_name,
                                       pred=sensitive), 10)
    if combo is None:
        return False
    hvui.focus_window(f"^{title}$")
    click(combo)

    def entries():
        lists = {}
        for acc in walk(fresh(app)):
            if acc.get_role_name() != "label" or not showing(acc):
                continue
            parent, depth = acc.get_parent(), 0
            while parent is not None and depth < 6:
                if parent.get_role_name() in ("list", "list box"):
                    lists.setdefault(hash(parent), []).append(acc.get_name())
                    break
                parent, depth = parent.get_parent(), depth + 1
        return next((names for names in lists.values() if option in names), None)

    names = wait_for(entries, 10)
    if names is None:
        keys("Escape")
        return False
    keys("Home", *(["Down"] * names.index(option)), "Return")
    time.sleep(0.5)
    return True


def export_dialog(app):
    if not ok(hvui.select_vm(app, "expvm") and
              wait_for(lambda: hvui.selected_vm(app) == "expvm", 10), "expvm is selected"):
        return False
    item = menu_entry(app, "Export…")
    if not ok(item is not None and sensitive(item), "the main menu has \"Export…\", enabled"):
        keys("Escape")
        return False
    press(item)
    dest = wait_for(lambda: entry(app, EXPORT, "Destination"), 20)
    if not ok(dest is not None, "the export dialog opens with a Destination field"):
        return False
    ok(text_of(dest).endswith("/expvm.ova"), "… proposing expvm.ova", text_of(dest))
    ok(choose(app, EXPORT, "Format", "OVF (files in a folder)") and
       wait_for(lambda: text_of(entry(app, EXPORT, "Destination")).endswith("/expvm.ovf"), 5),
       "choosing OVF makes it expvm.ovf", text_of(entry(app, EXPORT, "Destination")))
    ok(choose(app, EXPORT, "Format", "OVA (one file)") and
       wait_for(lambda: text_of(entry(app, EXPORT, "Destination")).endswith("/expvm.ova"), 5),
       "… and OVA again expvm.ova")
    ok(hvui.find(window(app, EXPORT), "combo box", "State") is not None,
       "the state (current or a snapshot) can be chosen")
    return True


def export_run(app):
    target = os.path.join(W, "out", "expvm.ova")
    dest = entry(app, EXPORT, "Destination")
    hvui.focus_window(f"^{EXPORT}$")
    set_text(dest, target)
    ok(wait_for(lambda: text_of(entry(app, EXPORT, "Destination")) == target, 5),
       "the destination is typed", text_of(entry(app, EXPORT, "Destination")))
    go = wait_for(lambda: named_button(app, EXPORT, "Export"), 5)
    if not ok(go is not None and sensitive(go), "Export is enabled"):
        return
    press(go)
    if not cancel_when_started(app, EXPORT, "export"):
        return
    ok(wait_for(lambda: has_label(app, EXPORT, lambda t: t == "Export Cancelled"), 30)
       is not None, "the dialog says the export was cancelled", labels(app, EXPORT))
    out = os.listdir(os.path.join(W, "out"))
    ok(not os.path.exists(target) and not any(n.startswith(".hv-export-") for n in out),
       "… nothing is left at the destination, nor beside it", out)
    back = named_button(app, EXPORT, "Back")
    if not ok(back is not None, "Back is offered"):
        return
    press(back)
    go = wait_for(lambda: named_button(app, EXPORT, "Export"), 10)
    if not ok(go is not None and sensitive(go), "… back to the form, Export enabled"):
        return
    press(go)
    done = wait_for(lambda: has_label(app, EXPORT, lambda t: t == "Exported"), 90)
    ok(done is not None, "the second export completes", labels(app, EXPORT))
    ok(has_label(app, EXPORT, lambda t: target in t) is not None, "… saying where the OVA is")
    ok(has_label(app, EXPORT, lambda t: t == "Not carried by the format:") is not None and
       has_label(app, EXPORT, lambda t: "virtio-net" in t and "E1000" in t) is not None,
       "… and what the format does not carry (the engine's warnings)", labels(app, EXPORT))
    screenshot("test-appliance-ui-exported.png")
    try:
        with tarfile.open(target) as tar:
            members = tar.getnames()
    except Exception as e:  # noqa: BLE001
        members = [f"error: {e}"]
    ok(len(members) == 3 and members[0] == "expvm.ovf" and members[1].endswith(".vmdk") and
       members[2] == "expvm.mf", "the OVA holds expvm.ovf first, the VMDK, then expvm.mf",
       members)
    close = named_button(app, EXPORT, "Close")
    if close is not None:
        press(close)
    ok(wait_for(lambda: closed(app, EXPORT), 10), "Close closes the export dialog")
    # The same destination again: the form refuses it before the engine is asked.
    item = menu_entry(app, "Export…")
    if item is None:
        ok(False, "the export dialog opens again")
        return
    press(item)
    dest = wait_for(lambda: entry(app, EXPORT, "Destination"), 20)
    hvui.focus_window(f"^{EXPORT}$")
    set_text(dest, target)
    ok(wait_for(lambda: has_label(app, EXPORT, lambda t: "already exists" in t), 5) is not None
       and not sensitive(named_button(app, EXPORT, "Export")),
       "an existing destination is refused in the form (Export disabled, the reason shown)",
       labels(app, EXPORT))
    # A libvirt domain: the destination becomes a new folder beside the OVA.
    folder = os.path.join(W, "out", "expvm-libvirt")
    ok(choose(app, EXPORT, "Format", "libvirt domain (a new folder)") and
       wait_for(lambda: text_of(entry(app, EXPORT, "Destination")) == folder, 5),
       "choosing libvirt makes the destination the folder expvm-libvirt",
       text_of(entry(app, EXPORT, "Destination")))
    go = wait_for(lambda: (lambda b: b if b is not None and sensitive(b) else None)(
        named_button(app, EXPORT, "Export")), 5)
    if ok(go is not None, "… which can be exported"):
        press(go)
        ok(wait_for(lambda: has_label(app, EXPORT, lambda t: t == "Exported"), 90) is not None,
           "the libvirt export completes", labels(app, EXPORT))
        ok(os.path.isfile(os.path.join(folder, "domain.xml")) and
           has_label(app, EXPORT, lambda t: folder in t and "domain.xml" in t) is not None,
           "… domain.xml is in the folder, and the dialog says so", labels(app, EXPORT))
    hvui.focus_window(f"^{EXPORT}$")
    keys("Escape")
    ok(wait_for(lambda: closed(app, EXPORT), 10), "Escape closes it")


# ---- main ----

def run(app):
    ok(wait_for(lambda: hvui.vm_row(app, "expvm"), 60) is not None, "the app lists expvm")
    import_summary(app)
    if import_bad(app):
        import_cancel(app)
    if export_dialog(app):
        export_run(app)


def main():
    # HV_APP_WRAPPER: e.g. valgrind, by hand (as test-window-renames.sh --valgrind sets it).
    proc, app = hvui.start_app(wrapper=os.environ.get("HV_APP_WRAPPER"),
                               log_name="test-appliance-ui-app.log")
    if not ok(app is not None, "the app appears on the accessibility bus"):
        hvui.stop_app(proc)
        return tap.finish()
    try:
        run(app)
    finally:
        status = hvui.stop_app(proc)
    ok(status in (0, -signal.SIGTERM), "the app exits cleanly", f"exit status {status}")
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
