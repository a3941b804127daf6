#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Old guests' hardware in the app: the Settings dialog's System and Sound pages.

Run by test-legacy-ui.sh inside Xvfb and dbus-run-session, against a real engine whose library
holds "dosvm", powered off, made from the dos profile (isapc, 486, SB16 + AdLib + PC speaker,
local time, no ACPI/HPET/USB). Settings → System: the hardware clock to UTC and the CPU model
to Pentium; USB switched on, which an ISA PC cannot have: the engine's reason is shown, the
switch goes back off and vm.xml keeps its bytes. Settings → Sound: muted, PC speaker off, the
card to the Ensoniq AudioPCI (a PCI card, refused on an ISA PC the same way). Each change must be
in hostvisorctl show --json. Prints TAP. Needs: HV_APP, HV_CTL, HV_ARTIFACTS, HV_LIBRARY.
"""
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import hvui
from gi.repository import GLib  # noqa: E402
from hvui import click, ctl, fresh, keys, press, screenshot, sensitive, showing, wait_for, walk

VM = "dosvm"
SETTINGS = f"“{VM}” Settings"

tap = hvui.Tap()
ok = tap.ok


def show():
    rc, out, _ = ctl("show", VM, "--json")
    return json.loads(out) if rc == 0 else {}


def chipset():
    return show().get("chipset") or {}


def sound():
    return show().get("sound") or {}


def vm_xml_digest():
    uuid = show().get("uuid")
    paths = glob.glob(os.path.join(os.environ["HV_LIBRARY"], "vms", uuid or "-", "vm.xml"))
    if not paths:
        return None
    with open(paths[0], "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def window(app, title):
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is not None and win.get_name() == title:
            return win
    return None


def in_window(app, title, role=None, name=None, starts=None, pred=None, roles=None):
    root = window(app, title) if title is not None else fresh(app)
    if root is None:
        return None
    for acc in walk(root):
        r = acc.get_role_name()
        if role is not None and r != role:
            continue
        if roles is not None and r not in roles:
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


SWITCH_ROLES = ("switch", "toggle button", "check box")


def switch(app, label):
    return in_window(app, SETTINGS, roles=SWITCH_ROLES, starts=label)


def is_on(acc):
    return acc is not None and acc.get_state_set().contains(hvui.Atspi.StateType.CHECKED)


def choose(app, combo_name, option):
    """Pick option in the AdwComboRow combo_name: open its list, then the keyboard."""
    combo = wait_for(lambda: in_window(app, SETTINGS, "combo box", combo_name,
                                       pred=sensitive), 10)
    if combo is None:
        return False
    hvui.focus_window(f"^{SETTINGS}$")
    click(combo)

    def entries():
        lists, seen = {}, set()
        for acc in walk(fresh(app)):
            if acc.get_role_name() != "label" or not showing(acc):
                continue
            item, parent, depth = acc, acc.get_parent(), 0
            while parent is not None and depth < 6:
                if parent.get_role_name() in ("list", "list box"):
                    if hash(item) not in seen:
                        seen.add(hash(item))
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


def open_page(app, page, probe):
    """Show the Settings page titled page (the header's or the bottom bar's view switcher)
    until probe() finds something on it."""
    def tabs():
        return [a for a in walk(window(app, SETTINGS) or fresh(app))
                if a.get_role_name() == "page tab" and a.get_name() == page] or None

    if not wait_for(tabs, 15):
        return None
    for attempt in range(6):
        time.sleep(0.7)
        found = tabs() or []
        try:
            if found and found[attempt % len(found)].get_n_actions() > 0:
                press(found[attempt % len(found)])
            elif found:
                click(found[attempt % len(found)])
        except GLib.Error as e:
            tap.note(f"clicking the {page} tab: {e.message}")
        found = wait_for(probe, 2)
        screenshot(f"test-legacy-ui-{page}-{attempt}.png")
        if found is not None:
            return found
    win = window(app, SETTINGS)
    tap.note("not found; the window has: " + "; ".join(
        f"{a.get_role_name()}:{a.get_name()}" for a in walk(win)
        if a.get_role_name() in ("page tab", "combo box") + SWITCH_ROLES) if win else "no window")
    return None


def system_page(app):
    hvui.select_vm(app, VM)
    settings = wait_for(lambda: (lambda b: b if sensitive(b) else None)(
        hvui.button(app, "Settings")), 10)
    ok(settings is not None, "Settings is enabled for the VM")
    if settings is None:
        return False
    press(settings)
    clock = open_page(app, "Motherboard",
                      lambda: in_window(app, SETTINGS, "combo box", "Hardware clock",
                                        pred=sensitive))
    ok(clock is not None, "the Settings dialog has a Motherboard page with the hardware clock")
    if clock is None:
        return False
    before = show()
    ok(before.get("machine") == "isapc" and (before.get("chipset") or {}).get("rtc") ==
       "localtime", "the dos profile's VM is an ISA PC keeping local time", before)

    ok(choose(app, "Hardware clock", "UTC (Linux, BSD)"), "\"Hardware clock\" offers UTC")
    ok(wait_for(lambda: chipset().get("rtc") == "utc", 20),
       "… and the engine's config has the clock in UTC", chipset())
    ok(choose(app, "CPU model", "Intel Pentium"), "\"CPU model\" offers the Pentium")
    ok(wait_for(lambda: show().get("cpu_model") == "pentium", 20),
       "… and the engine's config has a Pentium", show().get("cpu_model"))
    limit = in_window(app, SETTINGS, "combo box", "CPU speed limit")
    ok(limit is not None, "the Motherboard page has the CPU speed limit")

    # A bad combination: USB on an ISA PC. The engine refuses it, the page says why, vm.xml
    # keeps its bytes and the switch shows the config again.
    time.sleep(1)
    digest = vm_xml_digest()
    usb = switch(app, "USB controller")
    ok(usb is not None and not is_on(usb), "USB is off on the ISA PC")
    if usb is not None:
        click(usb)
    error = wait_for(lambda: in_window(app, SETTINGS, "label", starts="Could not change USB"),
                     15)
    ok(error is not None, "switching USB on shows the engine's reason",
       error.get_name() if error is not None else None)
    screenshot("test-legacy-ui-system-error.png")
    ok(wait_for(lambda: not is_on(switch(app, "USB controller")), 10),
       "… and the switch goes back off")
    time.sleep(1)
    ok(digest is not None and vm_xml_digest() == digest and chipset().get("usb") is False,
       "… and vm.xml is unchanged", chipset())
    return True


def sound_page(app):
    muted = open_page(app, "Sound", lambda: switch(app, "Mute"))
    ok(muted is not None, "the Settings dialog has a Sound page with \"Mute\"")
    if muted is None:
        return
    card = in_window(app, SETTINGS, "combo box", "Sound card")
    ok(card is not None and sound().get("device") == "sb16" and not is_on(muted),
       "the dos profile's VM has a Sound Blaster 16, not muted", sound())
    click(muted)
    ok(wait_for(lambda: sound().get("muted") is True, 20),
       "muting it reaches the engine's config", sound())
    speaker = switch(app, "PC speaker")
    ok(speaker is not None and is_on(speaker), "the PC speaker is on")
    if speaker is not None:
        click(speaker)
    ok(wait_for(lambda: sound().get("pc_speaker") is False, 20),
       "switching the PC speaker off reaches the engine's config", sound())
    time.sleep(1)
    digest = vm_xml_digest()
    ok(choose(app, "Sound card", "Ensoniq AudioPCI (ES1370)"),
       "\"Sound card\" offers the Ensoniq AudioPCI")
    error = wait_for(lambda: in_window(app, SETTINGS, "label",
                                       starts="Could not change the sound card"), 15)
    ok(error is not None, "a PCI card on the ISA PC shows the engine's reason",
       error.get_name() if error is not None else None)
    time.sleep(1)
    ok(vm_xml_digest() == digest and sound().get("device") == "sb16",
       "… and vm.xml is unchanged", sound())
    screenshot("test-legacy-ui-sound.png")


def floppies():
    """The paths of the floppy drives, A: first, from hostvisorctl show --json."""
    return [d.get("path") for d in show().get("drives") or []
            if d.get("kind") == "floppy" or d.get("type") == "floppy"]


def storage_page(app):
    """Storage shows drive B:: an image put there by hostvisorctl appears, Eject empties it."""
    floppy_b = os.environ["HV_FLOPPY_B"]
    eject = open_page(app, "Storage", lambda: in_window(app, SETTINGS, "push button",
                                                        starts="Eject the floppy in drive B:"))
    ok(eject is not None and not sensitive(eject),
       "Storage has floppy drive B:, with nothing to eject")
    rc, _, err = ctl("modify", VM, "--floppy-b", floppy_b)
    ok(rc == 0 and wait_for(lambda: floppy_b in floppies(), 10),
       "hostvisorctl puts an image into drive B:", err or floppies())
    ok(wait_for(lambda: eject is not None and sensitive(eject), 10),
       "… and the Storage page offers to eject it")
    screenshot("test-legacy-ui-storage.png")
    if eject is not None:
        press(eject)
    ok(wait_for(lambda: floppies() == [os.environ["HV_FLOPPY"], None], 20),
       "Eject on drive B: empties it and keeps the drive, A: keeps its disk", floppies())


def wizard_button(wizard, text):
    def match(acc):
        return (acc.get_role_name() == "push button" and
                (acc.get_name() or "").replace("_", "").endswith(text) and
                showing(acc) and sensitive(acc))
    return next((a for a in walk(wizard) if match(a)), None)


def profile_details(app, wizard):
    """Hardware Details… opens a dialog with every field of the profile."""
    details = wait_for(lambda: wizard_button(wizard, "Hardware Details…"), 10)
    ok(details is not None, "the wizard offers the profile's Hardware Details…")
    if details is None:
        return
    press(details)
    dialog = wait_for(lambda: window(app, "Hardware Details"), 15)
    ok(dialog is not None, "… which opens the Hardware Details dialog")
    if dialog is None:
        return

    def labels():
        return [a.get_name() for a in walk(window(app, "Hardware Details") or dialog)
                if a.get_role_name() == "label"]
    want = ("Sound card", "Sound Blaster 16 (sb16)", "Machine", "ISA PC without PCI (isapc)",
            "Memory", "16 MB", "CPU model", "486", "Boot order", "floppy A:, hard disk, CD/DVD",
            "USB tablet", "Acceleration")
    found = wait_for(lambda: (lambda ls: ls if all(w in ls for w in want) else None)(labels()),
                     10)
    ok(found is not None, "… listing the profile's fields and values",
       [w for w in want if w not in labels()])
    screenshot("test-legacy-ui-profile-details.png")
    hvui.focus_window("^Hardware Details$")
    keys("Escape")
    ok(wait_for(lambda: window(app, "Hardware Details") is None or
                not showing(window(app, "Hardware Details")), 10),
       "… and Escape closes it")


def wizard_floppy(app):
    """A 1.44 MB floppy image opened with the app (as a drop on its window does) makes a DOS
    PC: the wizard says the profile in plain words, and Next, Next, Create gives a VM of the
    dos profile booting from the image."""
    hvui.close_window(app, SETTINGS)
    image = os.environ["HV_FLOPPY_GAME"]
    before = {v.get("name") for v in hvui.vm_list()}
    subprocess.Popen([os.environ["HV_APP"], image], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    wizard = wait_for(lambda: window(app, "New Virtual Machine"), 30)
    ok(wizard is not None, "opening a floppy image with the app opens the New VM wizard")
    if wizard is None:
        return
    words = wait_for(lambda: next((a for a in walk(wizard) if a.get_role_name() == "label" and
                                   "Hardware: 486, 16 MB, Sound Blaster 16, NE2000, floppy A:"
                                   in (a.get_name() or "")), None), 30)
    ok(words is not None, "the wizard shows the dos profile in plain words",
       [a.get_name() for a in walk(wizard) if a.get_role_name() == "label"
        and "Chosen" in (a.get_name() or "")])
    for step in ("Next", "Next", "Create"):
        b = wait_for(lambda: wizard_button(wizard, step), 20)
        if b is None:
            ok(False, f"the wizard offers {step}")
            return
        press(b)
        time.sleep(1)
        if step == "Next" and not getattr(wizard_floppy, "details_seen", False):
            # The OS page (step 2) with the profile's line and its details.
            wizard_floppy.details_seen = True
            profile_details(app, wizard)
    screenshot("test-legacy-ui-wizard.png")
    new = wait_for(lambda: [v.get("name") for v in hvui.vm_list()
                            if v.get("name") not in before] or None, 30)
    ok(new is not None and len(new) == 1, "Next, Next, Create makes one VM", new)
    if not new:
        return
    rc, out, _ = ctl("show", new[0], "--json")
    data = json.loads(out) if rc == 0 else {}
    floppy = [d.get("path") for d in data.get("drives") or [] if d.get("type") == "floppy"]
    ctl("poweroff", new[0])
    ok(data.get("profile") == "dos" and data.get("machine") == "isapc" and
       floppy == [image] and (data.get("boot") or "").startswith("a"),
       "… of the dos profile, an ISA PC booting from the floppy image",
       {k: data.get(k) for k in ("profile", "machine", "boot", "drives")})


def xwindow(name, timeout=30):
    def search():
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{name}$"],
                           capture_output=True, text=True)
        ids = r.stdout.split()
        return ids[-1] if ids else None
    return wait_for(search, timeout)


def drive_button(app, name):
    return next((a for a in walk(fresh(app))
                 if a.get_role_name() in ("push button", "toggle button", "check box")
                 and (a.get_name() or "").replace("_", "").startswith(name)
                 and showing(a) and sensitive(a) and a.get_n_actions() > 0), None)


def open_drive_menu(app, probe):
    """The drive menu open with probe() found in it."""
    found = probe()
    if found is None:
        menu = drive_button(app, "Removable Drives")
        if menu is not None:
            press(menu)
        found = wait_for(probe, 10)
    return found


def recent_images(app, image):
    """After an insert, the image is among the recent ones (not under A: while A: holds it);
    once A: is emptied, one click puts it back. The seeded image whose file is gone is
    disabled."""
    base = os.path.basename(image)

    def recent(drive):
        name = f"Insert {base} into drive {drive}"
        return lambda: next((a for a in walk(fresh(app)) if a.get_role_name() == "push button"
                             and a.get_name() == name and showing(a)), None)
    gone = open_drive_menu(app, lambda: next(
        (a for a in walk(fresh(app)) if a.get_role_name() == "push button" and
         a.get_name() == "Insert gone.img into drive A:" and showing(a)), None))
    ok(gone is not None and not sensitive(gone),
       "a recent image whose file is gone is shown disabled")
    screenshot("test-legacy-ui-recent.png")
    eject = open_drive_menu(app, lambda: drive_button(app, "Eject the floppy in drive A:"))
    if eject is not None:
        press(eject)
    ok(wait_for(lambda: floppies()[:1] == [None], 20), "drive A: emptied again", floppies())
    again = open_drive_menu(app, lambda: (lambda a: a if a is not None and sensitive(a)
                                          else None)(recent("A:")()))
    ok(again is not None, "… and A:'s recent images offer the image inserted before")
    if again is not None:
        press(again)
    ok(wait_for(lambda: floppies()[:1] == [image], 20),
       "one click on the recent image puts it back into the running VM's drive A:",
       floppies())
    drive_b(app)


def drive_b(app):
    """Floppy B: of the running VM: ejected and given a recent image from its menu."""
    recent = os.environ["HV_FLOPPY_RECENT"]
    eject = open_drive_menu(app, lambda: drive_button(app, "Eject the floppy in drive B:"))
    ok(eject is not None, "the drive menu has floppy B: with a disk to eject")
    if eject is None:
        return
    press(eject)
    ok(wait_for(lambda: len(floppies()) == 2 and floppies()[1] is None, 20),
       "Eject empties the running VM's drive B:", floppies())
    name = f"Insert {os.path.basename(recent)} into drive B:"
    insert = open_drive_menu(app, lambda: next(
        (a for a in walk(fresh(app)) if a.get_role_name() == "push button" and
         a.get_name() == name and showing(a) and sensitive(a)), None))
    ok(insert is not None, "B:'s recent images offer a remembered image")
    if insert is not None:
        press(insert)
    ok(wait_for(lambda: floppies()[1:] == [recent], 20),
       "… which goes into the running VM's drive B:", floppies())


def grab_hint(app):
    """A PS/2 guest (no USB tablet): the console says how to capture the pointer, a click
    captures it (the hint goes), Right Ctrl releases it (the hint is back)."""
    text = "Click to capture the pointer; press Right Ctrl to release"

    def hint():
        return next((a for a in walk(fresh(app)) if a.get_role_name() == "label" and
                     a.get_name() == text and showing(a)), None)

    def console():
        return next((a for a in walk(fresh(app)) if a.get_name() ==
                     "Console of the virtual machine" and showing(a)), None)
    ok(wait_for(hint, 30) is not None, "the PS/2 guest's console shows the grab hint")
    screen = console()
    ok(screen is not None, "the console's screen is there")
    if screen is None:
        return
    screenshot("test-legacy-ui-grab-hint.png")
    click(screen)
    ok(wait_for(lambda: next((a for a in walk(fresh(app)) if a.get_role_name() == "label" and
                              a.get_name() == "Press Right Ctrl to release the keyboard and "
                              "mouse" and showing(a)), None), 10) is not None and
       wait_for(lambda: hint() is None, 5),
       "a click captures the pointer: the hint says how to release it")
    keys("Control_R")
    ok(wait_for(hint, 10) is not None, "Right Ctrl releases it and the hint is back")


def speed_selector(app):
    """The VM has a speed limit (486): the console's CPU Speed menu restarts it at another
    preset, and the engine's config has the new limit; the console stays open."""
    def speed_button():
        found = [a for a in walk(fresh(app)) if (a.get_name() or "").startswith("Speed:")
                 and showing(a)]
        return next((a for a in found if a.get_n_actions() > 0), found[0] if found else None)
    button = wait_for(speed_button, 10)
    ok(button is not None and button.get_name() == "Speed: 486",
       "the console has the CPU speed menu, at 486",
       button.get_name() if button is not None else None)
    if button is None:
        return
    if button.get_n_actions() > 0:
        press(button)
    else:
        click(button)
    choice = wait_for(lambda: next((a for a in walk(fresh(app)) if a.get_name() ==
                                    "Pentium speed" and showing(a)), None), 10)
    ok(choice is not None, "… offering Pentium speed")
    if choice is None:
        return
    if choice.get_n_actions() > 0:
        press(choice)
    else:
        click(choice)
    restart = wait_for(lambda: drive_button(app, "Restart at This Speed"), 10)
    ok(restart is not None, "choosing it enables Restart at This Speed")
    screenshot("test-legacy-ui-speed.png")
    if restart is None:
        return
    press(restart)
    ok(wait_for(lambda: show().get("cpu_limit_shift") == 5 and
                hvui.state_of(VM) == "running", 60),
       "the VM runs again with the Pentium preset (icount shift 5)",
       (show().get("cpu_limit_shift"), hvui.state_of(VM)))
    ok(wait_for(lambda: (lambda b: b if b is not None and b.get_name() == "Speed: Pentium"
                         else None)(speed_button()), 20)
       is not None and drive_button(app, "Removable Drives") is not None,
       "… and the console stayed open, showing the new speed")


def console_drives(app):
    """The running dos VM's console: its drive menu ejects the floppy in A: and inserts
    another one (a file chooser), the engine's config following each step."""
    rc, _, err = ctl("modify", VM, "--cpu-limit", "486",
                     "--floppy-b", os.environ["HV_FLOPPY_GAME"])
    ok(rc == 0 and show().get("cpu_limit_shift") == 7 and
       floppies()[1:] == [os.environ["HV_FLOPPY_GAME"]],
       "the VM gets the 486 speed limit and a floppy in B:", err or floppies())
    rc, _, err = ctl("start", VM)
    ok(rc == 0 and wait_for(lambda: hvui.state_of(VM) == "running", 60),
       "the dos-profile VM starts", err)
    hvui.select_vm(app, VM)
    show_console = wait_for(lambda: drive_button(app, "Show Console"), 20)
    ok(show_console is not None, "the running VM offers Show Console")
    if show_console is None:
        return
    press(show_console)
    grab_hint(app)
    menu = wait_for(lambda: drive_button(app, "Removable Drives"), 20)
    ok(menu is not None, "the console has a Removable Drives menu")
    if menu is None:
        return
    press(menu)
    eject = wait_for(lambda: drive_button(app, "Eject the floppy in drive A:"), 10)
    ok(eject is not None, "… with Eject for floppy A:")
    screenshot("test-legacy-ui-drive-menu.png")
    if eject is None:
        return
    press(eject)
    ok(wait_for(lambda: floppies()[:1] == [None], 20),
       "Eject empties drive A: of the running VM", floppies())
    if drive_button(app, "Insert a floppy image into drive A:") is None:
        press(drive_button(app, "Removable Drives"))
    insert = wait_for(lambda: drive_button(app, "Insert a floppy image into drive A:"), 10)
    ok(insert is not None, "the drive menu offers to insert a floppy into A:")
    base = os.path.basename(os.environ["HV_FLOPPY_B"])
    ok(not any(a.get_name() == f"Insert {base} into drive A:" for a in walk(fresh(app))
               if showing(a)), "… and has no recent image yet but the seeded one")
    if insert is None:
        return
    press(insert)
    title = "Insert a floppy image into drive A:"
    wid = xwindow(title)
    ok(wid is not None, "Insert… opens a file chooser")
    if wid is None:
        return
    image = os.environ["HV_FLOPPY_B"]
    subprocess.run(["xdotool", "windowfocus", "--sync", wid], check=False)
    subprocess.run(["xdotool", "key", "--window", wid, "--clearmodifiers", "ctrl+l"],
                   check=False)
    time.sleep(0.5)
    subprocess.run(["xdotool", "type", "--delay", "40", image], check=False)
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "--window", wid, "Return"], check=False)
    ok(wait_for(lambda: floppies()[:1] == [image], 20),
       "… and the running VM's drive A: gets the image chosen", floppies())
    ok(hvui.state_of(VM) == "running", "the VM kept running")
    recent_images(app, image)
    crisp = drive_button(app, "Crisp Pixels")
    ok(crisp is not None, "the console offers Crisp Pixels")
    if crisp is not None:
        press(crisp)
        ok(wait_for(lambda: is_on(drive_button(app, "Crisp Pixels")), 5),
           "… which says it is on once pressed")
    time.sleep(1)
    screenshot("test-legacy-ui-console.png")
    speed_selector(app)
    ctl("poweroff", VM)


def main():
    proc, app = hvui.start_app(log_name="test-legacy-ui-app.log",
                                wrapper=os.environ.get("HV_TEST_WRAPPER"))
    try:
        if system_page(app):
            sound_page(app)
            storage_page(app)
            wizard_floppy(app)
            console_drives(app)
    finally:
        status = hvui.stop_app(proc)
    ok(status in (0, -signal.SIGTERM), "the app exits cleanly", f"exit status {status}")
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
