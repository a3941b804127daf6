#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Networking in the app, driven as a person (or a screen reader) would.

Run by test-network-ui.sh inside Xvfb and dbus-run-session, against a real engine whose library
holds one powered-off VM, "netvm". Main menu → Network Manager… → Create… makes the host-only
network "uilab"; Settings → Network enables adapter 2, attaches it to that network, makes it an
e1000 with a MAC address typed in; the Port Forwarding dialog of adapter 1 (NAT) refuses a bad
port as it is typed and adds the rule "web"; then hostvisorctl show --json must have all of it,
and the details pane must show the new adapter; removing "uilab", which the adapter names, is
refused with the engine's reason. Prints TAP. Needs: HV_APP, HV_CTL,
HV_ARTIFACTS.
"""
import json
import os
import signal
import subprocess
import sys
import time

import hvui
from gi.repository import Gio, GLib  # noqa: E402
from hvui import (allocated, click, ctl, find, fresh, keys, press, screenshot, sensitive,
                  showing, type_text, wait_for, walk)

VM = "netvm"
NETWORK = "uilab"
MAC = "52:54:00:ab:cd:42"
SETTINGS = f"“{VM}” Settings"

tap = hvui.Tap()
ok = tap.ok
note = tap.note


# ---- the engine's view (hostvisorctl) ----

def show():
    rc, out, _ = ctl("show", VM, "--json")
    return json.loads(out) if rc == 0 else {}


def pick(d, *keys_, default=None):
    """The first of several spellings of a key (the CLI's JSON names them in snake case)."""
    for k in keys_:
        if isinstance(d, dict) and k in d:
            return d[k]
    return default


def engine_get(path, interface, prop):
    """A property read straight from the engine's socket (peer to peer, no bus)."""
    conn = Gio.DBusConnection.new_for_address_sync(
        f"unix:path={os.environ['XDG_RUNTIME_DIR']}/hostvisor/engine.sock",
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
    try:
        reply = conn.call_sync(None, path, "org.freedesktop.DBus.Properties", "Get",
                               GLib.Variant("(ss)", (interface, prop)), None, 0, 10000, None)
    finally:
        conn.close_sync(None)
    return reply.unpack()[0]


def adapter(slot):
    """Adapter slot as hostvisorctl show --json has it, with what its JSON does not (yet) say
    (the target, the port forwards) from the VM's Adapters property."""
    data = show()
    lst = pick(data, "adapters", "nics", default=[]) or []
    found = None
    for i, a in enumerate(lst):
        if pick(a, "slot", default=i + 1) == slot:
            found = dict(a)
    if found is None or not data.get("uuid"):
        return found
    path = "/io/github/hostvisor/vm/" + data["uuid"].replace("-", "_")
    for a in engine_get(path, "io.github.hostvisor.Vm", "Adapters"):
        if a.get("slot") == slot:
            found.setdefault("target", a.get("target"))
            found.setdefault("forwards", [
                {"name": f[0], "protocol": f[1], "host_address": f[2], "host_port": f[3],
                 "guest_address": f[4], "guest_port": f[5]} for f in a.get("forwards", [])])
    return found


def networks():
    """Engine.Networks."""
    return engine_get("/io/github/hostvisor/Engine", "io.github.hostvisor.Engine", "Networks")


def has_network(name):
    return any(pick(n, "name") == name for n in networks())


def forward(slot, name):
    for f in pick(adapter(slot) or {}, "forwards", "port_forwards", default=[]) or []:
        if pick(f, "name") == name:
            return f
    return None


# ---- the app ----

def window(app, title):
    for i in range(fresh(app).get_child_count()):
        win = app.get_child_at_index(i)
        if win is not None and win.get_name() == title:
            return win
    return None


def in_window(app, title, role=None, name=None, starts=None, pred=None):
    """An accessible of the window titled title (or of the whole app for title None)."""
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


def push_button(app, title, label):
    """A button by its label ("_Add Rule Add Rule" in GTK 4.8 with a mnemonic)."""
    return in_window(app, title, "push button", pred=lambda a: a.get_n_actions() > 0 and (
        (a.get_name() or "").replace("_", "") in (label, f"{label} {label}")))


def set_text(acc, text):
    """Type into an entry (an AdwEntryRow reads as "text"): click it, replace what it holds."""
    click(acc)
    time.sleep(0.3)
    keys("ctrl+a")
    type_text(text)
    time.sleep(0.3)


def choose(app, title, combo_name, option):
    """Pick option in the AdwComboRow combo_name: open its list, then the keyboard (AT-SPI's
    positions inside a popover are off in GTK 4.8, so clicks there miss)."""
    combo = wait_for(lambda: in_window(app, title, "combo box", combo_name,
                                       pred=sensitive), 10)
    if combo is None:
        return False
    hvui.focus_window(f"^{title}$")
    click(combo)

    def entries():
        """The labels of the open list (the one with the option), in order."""
        lists, seen = {}, set()
        for acc in walk(fresh(app)):
            if acc.get_role_name() != "label" or not showing(acc):
                continue
            item, parent, depth = acc, acc.get_parent(), 0
            while parent is not None and depth < 6:
                if parent.get_role_name() in ("list", "list box"):
                    # One entry per list item: its first label (the Name list's entries have
                    # a second one saying what the network is).
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


def open_main_menu(app):
    menu_button = find(app, "push button", "Main Menu", pred=lambda a: a.get_n_actions() > 0)
    if menu_button is None:
        return None
    click(menu_button)
    return wait_for(lambda: find(app, "menu item", "Network Manager…"), 5)


def main():
    proc, app = hvui.start_app(log_name="test-network-ui-app.log")
    try:
        run(app)
    finally:
        status = hvui.stop_app(proc)
    ok(status in (0, -signal.SIGTERM), "the app exits cleanly", f"exit status {status}")
    return tap.finish()


def network_manager(app):
    """Main menu → Network Manager… → Create… "uilab"."""
    item = open_main_menu(app)
    ok(item is not None, "the main menu has \"Network Manager…\"")
    if item is None:
        return
    press(item)
    create = wait_for(lambda: push_button(app, "Network Manager", "Create…"), 10)
    ok(create is not None, "the Network Manager opens, offering to create a host-only network")
    if create is None:
        return
    press(create)
    name = wait_for(lambda: in_window(app, None, "text", starts="Name ("), 10)
    ok(name is not None, "… asking for the new network's name")
    if name is None:
        return
    # As typed: a name the engine would refuse is said at once and cannot be created.
    set_text(name, "Bad Name")
    problem = wait_for(lambda: in_window(app, None, "label", starts="A network name has only"),
                       5)
    create_button = wait_for(lambda: in_window(app, None, "push button",
                                               pred=lambda a: (a.get_name() or "")
                                               .replace("_", "") in ("Create", "Create Create")),
                             5)
    ok(problem is not None and create_button is not None and not sensitive(create_button),
       "a bad network name is refused as it is typed")
    set_text(name, NETWORK)
    ok(wait_for(lambda: create_button is not None and sensitive(create_button), 5),
       "… and a good one can be created")
    screenshot("test-network-ui-create-network.png")
    if create_button is not None:
        press(create_button)
    ok(wait_for(lambda: has_network(NETWORK), 20), f"the engine has host-only network {NETWORK}",
       networks())
    row = wait_for(lambda: in_window(app, "Network Manager", name=NETWORK), 10)
    ok(row is not None, "the Network Manager lists it")
    screenshot("test-network-ui-network-manager.png")
    hvui.close_window(app, "Network Manager")
    wait_for(lambda: window(app, "Network Manager") is None or
             not showing(window(app, "Network Manager")), 5)


def network_page(app):
    """Settings → Network: adapter 2 on the host-only network, e1000, a typed MAC address."""
    hvui.select_vm(app, VM)
    settings = wait_for(lambda: (lambda b: b if sensitive(b) else None)(
        hvui.button(app, "Settings")), 10)
    ok(settings is not None, "Settings is enabled for the VM")
    if settings is None:
        return False
    press(settings)
    tab = wait_for(lambda: in_window(app, SETTINGS, "page tab", "Network"), 15)
    ok(tab is not None, "the Settings dialog has a Network page")
    if tab is None:
        return False
    # The window has two view switchers (the header bar's, hidden when narrow, and the bottom
    # bar's), and takes a moment to be where AT-SPI says: click each until the page shows.
    tabs = [a for a in walk(window(app, SETTINGS)) if a.get_role_name() == "page tab" and
            a.get_name() == "Network"]
    adapter2 = None
    for attempt in range(6):
        time.sleep(0.7)
        click(tabs[attempt % len(tabs)])
        adapter2 = wait_for(lambda: in_window(app, SETTINGS, "push button", "Adapter 2",
                                              pred=allocated), 2)
        if adapter2 is not None:
            break
    ok(adapter2 is not None, "the Network page has tabs Adapter 1 to 4")
    if adapter2 is None:
        return False
    click(adapter2)
    enable = wait_for(lambda: in_window(app, SETTINGS, "check box",
                                        starts="Enable network adapter"), 10)
    ok(enable is not None, "adapter 2 can be enabled")
    if enable is not None:
        press(enable)
    ok(wait_for(lambda: adapter(2) is not None and pick(adapter(2), "enabled", default=True), 20),
       "… and the engine gives the VM a second adapter", adapter(2))

    ok(choose(app, SETTINGS, "Attached to", "Host-only adapter"),
       "\"Attached to\" offers \"Host-only adapter\"")
    ok(wait_for(lambda: pick(adapter(2) or {}, "mode") == "host-only", 20),
       "… and the engine attaches adapter 2 to a host-only network", adapter(2))
    ok(choose(app, SETTINGS, "Name", NETWORK), f"\"Name\" offers the network {NETWORK}")
    ok(wait_for(lambda: pick(adapter(2) or {}, "mode") == "host-only" and
                pick(adapter(2), "target") == NETWORK, 20),
       f"… and the engine attaches adapter 2 to {NETWORK}", adapter(2))

    ok(choose(app, SETTINGS, "Adapter type", "Intel PRO/1000 MT Desktop (e1000)"),
       "\"Adapter type\" offers the e1000 by its name")
    ok(wait_for(lambda: pick(adapter(2) or {}, "model") == "e1000", 20),
       "… and the engine makes adapter 2 an e1000", adapter(2))

    mac = wait_for(lambda: in_window(app, SETTINGS, "text", "MAC address", pred=sensitive), 10)
    ok(mac is not None, "the MAC address can be edited")
    if mac is not None:
        hvui.focus_window(f"^{SETTINGS}$")
        set_text(mac, "52:54:00:zz")
        problem = wait_for(lambda: in_window(app, SETTINGS, "label",
                                             starts="“52:54:00:zz” is not a MAC address"), 5)
        ok(problem is not None, "a bad MAC address is refused as it is typed")
        set_text(mac, MAC)
        keys("Return")
    ok(wait_for(lambda: (pick(adapter(2) or {}, "mac") or "").lower() == MAC, 20),
       f"… and the engine gives adapter 2 the MAC address {MAC}", adapter(2))
    screenshot("test-network-ui-settings-network.png")
    return True


def port_forwarding(app):
    """Adapter 1 (NAT) → Port Forwarding… → Add Rule "web" 127.0.0.1:18080 → :80."""
    adapter1 = in_window(app, SETTINGS, "push button", "Adapter 1")
    if adapter1 is not None:
        click(adapter1)
    open_button = wait_for(lambda: in_window(app, SETTINGS, "push button",
                                             starts="Port Forwarding…", pred=sensitive), 10)
    ok(open_button is not None, "the NAT adapter offers \"Port Forwarding…\"")
    if open_button is None:
        return
    press(open_button)
    title = "Port Forwarding"
    add = wait_for(lambda: push_button(app, title, "Add Rule"), 10)
    ok(add is not None, "the Port Forwarding dialog opens with \"Add Rule\"")
    if add is None:
        return
    press(add)
    def field(label):
        return in_window(app, title, pred=lambda a: a.get_role_name() in ("text", "entry") and
                         a.get_name() in (label, f"{label} {label}"))

    name = wait_for(lambda: field("Rule name"), 10)
    host_port = field("Host port")
    guest_port = field("Guest port")
    host_ip = field("Host IP")
    ok(None not in (name, host_port, guest_port, host_ip),
       "… with fields for the name, the host IP and port, and the guest port")
    if None in (name, host_port, guest_port, host_ip):
        return
    hvui.focus_window(f"^{title}$")
    set_text(name, "web")
    set_text(guest_port, "80")
    set_text(host_port, "70000")
    save = push_button(app, title, "Save Rule")
    problem = wait_for(lambda: in_window(app, title, "label",
                                         starts="The host port must be a number from 1 to 65535"),
                       5)
    ok(problem is not None and save is not None and not sensitive(save),
       "a host port of 70000 is refused as it is typed")
    set_text(host_ip, "0.0.0.0")
    warning = wait_for(lambda: in_window(app, title, "label", starts="Every computer that can "
                                         "reach this one"), 5)
    ok(warning is not None, "a host IP wider than 127.0.0.1 is said to expose the port")
    set_text(host_ip, "127.0.0.1")
    set_text(host_port, "18080")
    ok(wait_for(lambda: save is not None and sensitive(save), 5), "… and a good rule can be saved")
    screenshot("test-network-ui-port-forward-form.png")
    if save is not None:
        press(save)
    rule = wait_for(lambda: forward(1, "web"), 20)
    ok(rule is not None and pick(rule, "host_port", "host-port") == 18080 and
       pick(rule, "guest_port", "guest-port") == 80 and
       pick(rule, "host_address", "host-address", "host_ip") == "127.0.0.1",
       "the engine has the rule web 127.0.0.1:18080 → 80 on adapter 1", adapter(1))
    cell = wait_for(lambda: in_window(app, title, "label", "18080"), 10)
    ok(cell is not None, "the table shows the rule")
    screenshot("test-network-ui-port-forwarding.png")
    hvui.close_window(app, title)
    keys("Escape")


def remove_in_use(app):
    """Network Manager → Remove "uilab", which adapter 2 names: the engine refuses, and says
    why."""
    item = open_main_menu(app)
    if item is not None:
        press(item)
    remove = wait_for(lambda: in_window(app, "Network Manager", "push button",
                                        f"Remove {NETWORK}"), 10)
    ok(remove is not None, f"the Network Manager offers to remove {NETWORK}")
    if remove is None:
        return
    press(remove)
    confirm = wait_for(lambda: in_window(app, None, "push button", pred=lambda a: (
        a.get_name() or "").replace("_", "") in ("Remove", "Remove Remove")), 10)
    ok(confirm is not None, "… asking first")
    if confirm is not None:
        press(confirm)
    refusal = wait_for(lambda: find(app, "label", pred=lambda a: (a.get_name() or "").startswith(
        f"Could not remove “{NETWORK}”: ")), 15)
    ok(refusal is not None and has_network(NETWORK),
       "removing a network an adapter names is refused, with the engine's reason",
       refusal.get_name() if refusal is not None else networks())
    if refusal is not None:
        note(refusal.get_name())
    screenshot("test-network-ui-remove-refused.png")
    hvui.close_window(app, "Network Manager")


def run(app):
    if not ok(app is not None, "the app appears on the accessibility bus"):
        return
    if not ok(wait_for(lambda: hvui.vm_row(app, VM), 30) is not None, "the VM is listed"):
        return
    network_manager(app)
    if network_page(app):
        port_forwarding(app)
        hvui.close_window(app, SETTINGS)
    # The details pane: each enabled adapter, its network and card.
    detail = wait_for(lambda: find(app, "label", pred=lambda a: f"2: Host-only “{NETWORK}” "
                                   "(e1000)" in (a.get_name() or "")), 15)
    ok(detail is not None, "the details pane shows adapter 2 on the network, an e1000")
    # Down to the Network row for the picture.
    hvui.focus_window("^Hostvisor$")
    subprocess.run(["xdotool", "mousemove", "700", "600", "click", "--repeat", "8", "5"])
    time.sleep(0.5)
    screenshot("test-network-ui-details.png")
    remove_in_use(app)
    note(json.dumps(pick(show(), "adapters", "nics"), indent=1))


if __name__ == "__main__":
    sys.exit(main())
