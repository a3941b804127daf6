#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The agent's Wayland clipboard against a real compositor, on this machine.

  wayland-host.py --agent AGENT [--workdir DIR]

Part one: a headless sway (wlroots: zwlr_data_control_manager_v1) in a private XDG_RUNTIME_DIR
plays the guest's desktop and wl-copy / wl-paste its applications; the agent connects to the
compositor (--wayland-display) and to a socket this script listens on (--port), and this script
plays the engine with the protocol helpers of fake-host.py. When run as root, sway and the
applications run as the user nobody and the agent stays root, as the system agent in a guest
does. Skipped when sway or wl-clipboard is not installed.

Part two: a scripted compositor written here from the protocol XML, which offers both
ext_data_control_manager_v1 and zwlr_data_control_manager_v1 (the agent must take ext), moves
content both ways through it, and then sends malformed messages and a protocol error: each must
end the agent's connection, never the agent, and the agent must connect again.

Part three: sway and an X server (Xvfb, xclip) side by side: the agent uses Wayland while the
compositor is there, falls back to X11 when it dies (taking the host's clipboard along) and goes
back to Wayland when a compositor comes again. Skipped without sway, wl-clipboard, Xvfb or xclip.

Prints TAP.
"""

import argparse
import importlib.util
import os
import pwd
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

_here = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
_spec = importlib.util.spec_from_file_location("fake_host", os.path.join(_here, "fake-host.py"))
fh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fh)

TEXT, PNG = fh.TEXT, fh.PNG


class Session:
    """A headless sway and the environment of its applications."""

    def __init__(self, work):
        self.work = work
        self.proc = None
        self.name = None
        self.runtime = tempfile.mkdtemp(prefix="hv-wl-rt-")   # 0700, short enough for sun_path
        self.user = {}
        if os.geteuid() == 0:
            # sway refuses to run as root; the guest's desktop user is not root either.
            pw = pwd.getpwnam("nobody")
            os.chown(self.runtime, pw.pw_uid, pw.pw_gid)
            self.user = dict(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        self.config = os.path.join(self.runtime, "sway.conf")
        with open(self.config, "w") as f:
            f.write("# The tests' compositor: no X server, nothing else either.\n"
                    "xwayland disable\n")
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.runtime,
                    "XDG_RUNTIME_DIR": self.runtime, "LANG": "C.UTF-8"}

    def start(self):
        env = dict(self.env, WLR_BACKENDS="headless", WLR_LIBINPUT_NO_DEVICES="1",
                   WLR_RENDERER="pixman")
        log = open(os.path.join(self.work, "sway.log"), "ab")
        self.proc = subprocess.Popen(["sway", "-c", self.config], env=env, stdout=log,
                                     stderr=log, stdin=subprocess.DEVNULL, **self.user)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline and self.proc.poll() is None:
            for name in sorted(os.listdir(self.runtime)):
                path = os.path.join(self.runtime, name)
                if (name.startswith("wayland-") and not name.endswith(".lock")
                        and os.path.exists(path + ".lock") and self._answers(path)):
                    self.name = name
                    return name
            time.sleep(0.1)
        raise RuntimeError("sway did not start (see sway.log)")

    @staticmethod
    def _answers(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def app_env(self):
        return dict(self.env, WAYLAND_DISPLAY=self.name)

    def copy(self, data, mime=None):
        """wl-copy: takes the selection and serves it from the background."""
        argv = ["wl-copy"] + (["--type", mime] if mime else [])
        # Its background process keeps its stdout: never a pipe we would wait on.
        subprocess.run(argv, input=data, env=self.app_env(), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=20, check=True, **self.user)

    def paste(self, mime=None, timeout=20):
        argv = ["wl-paste", "--no-newline"] + (["--type", mime] if mime else [])
        out = subprocess.run(argv, env=self.app_env(), capture_output=True, timeout=timeout,
                             **self.user)
        return out.stdout if out.returncode == 0 else None

    def types(self):
        out = subprocess.run(["wl-paste", "--list-types"], env=self.app_env(),
                             capture_output=True, timeout=20, **self.user)
        return out.stdout.decode(errors="replace").split()

    def wait_paste(self, want, mime=None, timeout=15):
        """Pastes until the content is want (the agent sets the selection asynchronously)."""
        deadline = time.time() + timeout
        got = None
        while time.time() < deadline:
            got = self.paste(mime)
            if got == want:
                return got
            time.sleep(0.2)
        return got

    def close(self):
        self.kill()
        shutil.rmtree(self.runtime, ignore_errors=True)


def describe(data):
    if data is None:
        return "nothing"
    return f"{len(data)} bytes: {data[:60]!r}..."


def no_offer(conn, seconds):
    """True when no CLIPBOARD_OFFER arrives within seconds."""
    try:
        offer = conn.expect(fh.CLIPBOARD_OFFER, timeout=seconds)
    except fh.ProtocolError:
        return True
    print(f"# unexpected offer: {offer}", flush=True)
    return False


def guest_to_host(conn, session, data, mime):
    """The guest copies data: the host gets an offer, requests it and returns the bytes."""
    session.copy(data, mime if mime == PNG else None)
    offer = conn.expect(fh.CLIPBOARD_OFFER, timeout=20)
    wanted = TEXT if mime == TEXT else PNG
    if wanted not in offer["types"]:
        return offer, None
    conn.send(fh.clipboard_request(offer["serial"], wanted))
    data = conn.expect(fh.CLIPBOARD_DATA, timeout=30,
                       where=lambda m: m["serial"] == offer["serial"])
    return offer, data["data"]


def host_to_guest(conn, serial, mime, data):
    """The host offers data: the agent requests it at once and gets it."""
    conn.send(fh.clipboard_offer(serial, [mime, "text/html"]))
    req = conn.expect(fh.CLIPBOARD_REQUEST, where=lambda m: m["serial"] == serial)
    conn.send(fh.clipboard_data(serial, mime, data))
    return req


def sway_test(args, work, tap):
    session = Session(work)
    sock_path = os.path.join(work, "agent.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    agent = None
    agent_log = os.path.join(work, "agent.log")
    try:
        name = session.start()
        print(f"# sway on {os.path.join(session.runtime, name)}", flush=True)
        # The agent finds the socket by name in its XDG_RUNTIME_DIR; no X display at all.
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env["XDG_RUNTIME_DIR"] = session.runtime
        with open(agent_log, "wb") as log:
            agent = subprocess.Popen([args.agent, "--foreground", "--verbose", "--port", sock_path,
                                      "--mount-root", os.path.join(work, "mnt"),
                                      "--wayland-display", name],
                                     env=env, stdout=log, stderr=log)
        listener.settimeout(20)
        conn = fh.Connection(None, sock=listener.accept()[0])
        conn.send(fh.hello(fh.CAP_GUEST_INFO | fh.CAP_TEXT | fh.CAP_PNG))
        h = conn.expect(fh.HELLO)
        tap.ok(h["caps"] & fh.CAP_TEXT and h["caps"] & fh.CAP_PNG,
               "with a Wayland display the agent announces the clipboard", h)

        # Host to guest: text with non-ASCII characters and no final newline.
        text = ("h\u00e9llo from the host \u2603 \u2014 \u00fcn\u00efc\u00f6d\u00e9 "
                "\U0001f600").encode()
        req = host_to_guest(conn, 5, TEXT, text)
        tap.ok(req == {"serial": 5, "mime": TEXT}, "a host offer is requested for the known type",
               req)
        got = session.wait_paste(text)
        tap.ok(got == text, "wl-paste in the guest pastes the host's text exactly",
               describe(got))
        types = session.types()
        tap.ok(all(t in types for t in (TEXT, "text/plain", "UTF8_STRING", "TEXT", "STRING"))
               and PNG not in types, "the selection offers the text types only", types)
        tap.ok(no_offer(conn, 1.5), "the host's own content is not offered back to the host")

        # Host to guest: an image.
        png = bytes.fromhex("89504e470d0a1a0a") + os.urandom(300000)
        host_to_guest(conn, 6, PNG, png)
        got = session.wait_paste(png, PNG)
        tap.ok(got == png, "wl-paste -t image/png pastes the host's 300 KB PNG", describe(got))
        types = session.types()
        tap.ok(PNG in types and TEXT not in types, "a new host offer replaces the old types",
               types)
        tap.ok(no_offer(conn, 1.0), "the host's image is not offered back either")

        # Guest to host: text.
        copied = "copied in the guest \u00fc \u65e5\u672c\n".encode()
        offer, data = guest_to_host(conn, session, copied, TEXT)
        tap.ok(offer["types"] == [TEXT], "a guest copy becomes a CLIPBOARD_OFFER of text", offer)
        tap.ok(data == copied, "the host's request gets the guest's text exactly",
               describe(data))
        conn.send(fh.clipboard_request(offer["serial"] - 1, TEXT))
        old = conn.expect(fh.CLIPBOARD_DATA, timeout=10,
                          where=lambda m: m["serial"] == offer["serial"] - 1)
        tap.ok(old["data"] == b"", "a request for an old serial gets no content", old)

        # Guest to host: an image.
        gpng = bytes.fromhex("89504e470d0a1a0a") + os.urandom(200000)
        offer, data = guest_to_host(conn, session, gpng, PNG)
        tap.ok(offer["types"] == [PNG] and data == gpng,
               "a 200 KB PNG copied in the guest reaches the host", f"{offer} {describe(data)}")

        # Large text both ways (3 MiB: many pipe buffers, many socket reads).
        big = ("0123456789abcdef \u00e4\u00f6\u00fc \u20ac\n" * 120000).encode()[:3 << 20]
        big = big[:len(big.decode(errors="ignore").encode())]
        offer, data = guest_to_host(conn, session, big, TEXT)
        tap.ok(data == big, f"{len(big)} bytes of text copied in the guest reach the host",
               describe(data))
        big2 = big.replace(b"0123", b"3210")
        host_to_guest(conn, 8, TEXT, big2)
        got = session.wait_paste(big2, timeout=30)
        tap.ok(got == big2, f"{len(big2)} bytes of host text paste in the guest", describe(got))
        tap.ok(no_offer(conn, 1.0), "no echo of the large host text")

        # The compositor dies: the agent lives on, connects to the next one and gives it the
        # host's clipboard (its selection is empty), and guest copies reach the host again.
        session.kill()
        time.sleep(1)
        tap.ok(agent.poll() is None, "the agent survives the compositor being killed")
        name2 = session.start()
        print(f"# sway again on {name2}", flush=True)
        got = session.wait_paste(big2, timeout=30) if name2 == name else None
        tap.ok(got == big2, "after the compositor restarts the agent reconnects and the guest "
               "pastes the host's clipboard again", f"{name} -> {name2}: {describe(got)}")
        again = "after the restart \u2713".encode()
        offer, data = guest_to_host(conn, session, again, TEXT)
        tap.ok(data == again, "a guest copy after the restart reaches the host", describe(data))

        tap.ok(agent.poll() is None, "the agent is still running")
        with open(agent_log, "rb") as f:
            log = f.read().decode(errors="replace")
        tap.ok("Wayland clipboard: connected to" in log and "zwlr_data_control_manager_v1" in log,
               "the agent says which compositor and protocol it uses",
               "\n".join(line for line in log.splitlines() if "Wayland" in line))
    except Exception as e:  # noqa: BLE001 - report any failure as TAP
        tap.ok(False, f"test aborted: {type(e).__name__}: {e}")
    finally:
        if agent:
            agent.terminate()
            try:
                agent.wait(5)
            except subprocess.TimeoutExpired:
                agent.kill()
        session.close()
        listener.close()
    show_log(tap, agent_log)


def show_log(tap, path, before=0):
    if tap.failed > before and os.path.exists(path):
        with open(path, "rb") as f:
            for line in f.read().decode(errors="replace").splitlines()[-40:]:
                print(f"# {os.path.basename(path)}: {line}", flush=True)


# --- part two: a scripted compositor -------------------------------------------------------

SERVER_ID = 0xff000000


def wl_u32(v):
    return struct.pack("=I", v)


def wl_string(text):
    b = text.encode() + b"\0"
    return wl_u32(len(b)) + b + b"\0" * (-len(b) % 4)


def wl_message(obj, opcode, payload=b""):
    return struct.pack("=II", obj, (8 + len(payload)) << 16 | opcode) + payload


class FakeClient:
    """The agent's connection to the scripted compositor: answers what a compositor must
    (registry, sync, the device's first selection) and records the rest."""

    GLOBALS = [(1, "wl_seat", 7), (2, "zwlr_data_control_manager_v1", 2),
               (3, "ext_data_control_manager_v1", 1)]

    def __init__(self, sock, globals_=None):
        self.sock, self.buf, self.fds = sock, b"", []
        self.globals = globals_ or self.GLOBALS
        self.objects = {1: "wl_display"}
        self.bound, self.requests, self.offers = {}, [], {}
        self.device = self.source = self.selection = None
        self.eof = False

    def send(self, data, fds=()):
        if fds:
            socket.send_fds(self.sock, [data], list(fds))
        else:
            self.sock.sendall(data)

    def _string(self, args, off):
        n = struct.unpack_from("=I", args, off)[0]
        return args[off + 4:off + 3 + n].decode(), off + 4 + ((n + 3) & ~3)

    def _handle(self, obj, opcode, args):
        iface = self.objects.get(obj, "?")
        self.requests.append((iface, opcode))
        if iface == "wl_display" and opcode == 0:            # sync
            cb = struct.unpack_from("=I", args)[0]
            self.send(wl_message(cb, 0, wl_u32(0)) + wl_message(1, 1, wl_u32(cb)))
        elif iface == "wl_display" and opcode == 1:          # get_registry
            reg = struct.unpack_from("=I", args)[0]
            self.objects[reg] = "wl_registry"
            self.send(b"".join(wl_message(reg, 0, wl_u32(n) + wl_string(i) + wl_u32(v))
                               for n, i, v in self.globals))
        elif iface == "wl_registry" and opcode == 0:         # bind
            name = struct.unpack_from("=I", args)[0]
            what, off = self._string(args, 4)
            version, new = struct.unpack_from("=II", args, off)
            self.objects[new] = what
            self.bound[what] = (name, version)
        elif iface.endswith("data_control_manager_v1") and opcode == 0:   # create_data_source
            src = struct.unpack_from("=I", args)[0]
            self.objects[src] = "source"
            self.offers[src] = []
        elif iface.endswith("data_control_manager_v1") and opcode == 1:   # get_data_device
            self.device = struct.unpack_from("=I", args)[0]
            self.objects[self.device] = "device"
            self.send(wl_message(self.device, 1, wl_u32(0)))   # first selection: empty
        elif iface == "source" and opcode == 0:              # offer
            self.offers[obj].append(self._string(args, 0)[0])
        elif iface == "source" and opcode == 1:              # destroy
            self.send(wl_message(1, 1, wl_u32(obj)))
        elif iface == "device" and opcode == 0:              # set_selection
            self.source = struct.unpack_from("=I", args)[0]
        elif obj >= SERVER_ID and opcode == 0:               # offer.receive
            self.selection = (self._string(args, 0)[0], self.fds.pop(0))

    def pump(self, until, timeout=10):
        """Handles requests until until() is true; False at the end of the connection or when
        the time is up."""
        deadline = time.time() + timeout
        while not until():
            left = deadline - time.time()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return False
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 16)
            if not data:
                self.eof = True
                return False
            self.buf += data
            self.fds += fds
            while len(self.buf) >= 8:
                obj, word = struct.unpack_from("=II", self.buf)
                size = word >> 16
                if len(self.buf) < size:
                    break
                self._handle(obj, word & 0xffff, self.buf[8:size])
                self.buf = self.buf[size:]
        return True

    def closed_by_agent(self, timeout=5):
        """True when the agent ends the connection."""
        self.pump(lambda: False, timeout)
        return self.eof

    def close(self):
        self.sock.close()
        for fd in self.fds:
            os.close(fd)


def read_all(fd, timeout=10):
    out, deadline = b"", time.time() + timeout
    while time.time() < deadline and select.select([fd], [], [], deadline - time.time())[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out += chunk
    os.close(fd)
    return out


def fake_compositor_test(args, work, tap):
    runtime = tempfile.mkdtemp(prefix="hv-wl-fake-")
    path = os.path.join(runtime, "wayland-fake")
    compositor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    compositor.bind(path)
    compositor.listen(4)
    compositor.settimeout(15)
    sock_path = os.path.join(work, "agent-fake.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    listener.settimeout(20)
    agent_log = os.path.join(work, "agent-fake.log")
    agent, client = None, None
    before = tap.failed

    def connect():
        c = FakeClient(compositor.accept()[0])
        ok = c.pump(lambda: c.device is not None and c.requests.count(("wl_display", 0)) >= 2)
        return c, ok

    try:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR")}
        with open(agent_log, "wb") as log:
            agent = subprocess.Popen([args.agent, "--foreground", "--verbose", "--port", sock_path,
                                      "--mount-root", os.path.join(work, "mnt"),
                                      "--wayland-display", path],
                                     env=env, stdout=log, stderr=log)
        client, ok = connect()
        tap.ok(ok and "ext_data_control_manager_v1" in client.bound
               and "zwlr_data_control_manager_v1" not in client.bound
               and client.bound.get("wl_seat", (0, 0))[0] == 1,
               "offered both, the agent binds ext-data-control and the seat", client.bound)
        conn = fh.Connection(None, sock=listener.accept()[0])
        conn.send(fh.hello(fh.CAP_GUEST_INFO | fh.CAP_TEXT | fh.CAP_PNG))
        conn.expect(fh.HELLO)

        # Guest to host: an offer with X11-style types only; the agent asks for UTF8_STRING.
        offer = SERVER_ID + 5
        client.send(wl_message(client.device, 0, wl_u32(offer))
                    + wl_message(offer, 0, wl_string("text/plain"))
                    + wl_message(offer, 0, wl_string("UTF8_STRING"))
                    + wl_message(offer, 0, wl_string("text/html"))
                    + wl_message(client.device, 1, wl_u32(offer)))
        client.pump(lambda: client.selection is not None)
        mime, fd = client.selection if client.selection else (None, None)
        payload = "through ext-data-control \u00e9".encode()
        if fd is not None:
            os.write(fd, payload)
            os.close(fd)
        tap.ok(mime == "UTF8_STRING", "the agent receives the best text type through a pipe",
               mime)
        got = conn.expect(fh.CLIPBOARD_OFFER, timeout=10)
        conn.send(fh.clipboard_request(got["serial"], TEXT))
        data = conn.expect(fh.CLIPBOARD_DATA, timeout=10)
        tap.ok(got["types"] == [TEXT] and data["data"] == payload,
               "what the application wrote reaches the host", f"{got} {data}")

        # Host to guest: a source with the text types, set as the selection; a paste is a
        # send event with a pipe, which the agent fills.
        text = "from the host \u2603".encode()
        host_to_guest(conn, 9, TEXT, text)
        client.pump(lambda: client.source is not None)
        offered = client.offers.get(client.source, [])
        tap.ok(all(t in offered for t in (TEXT, "text/plain", "UTF8_STRING", "TEXT", "STRING"))
               and PNG not in offered, "the agent sets a selection with the text types", offered)
        r, w = os.pipe()
        client.send(wl_message(client.source, 0, wl_string("text/plain")), [w])
        os.close(w)
        client.pump(lambda: False, 0.5)
        tap.ok(read_all(r) == text, "a send event gets the host's bytes written to its pipe")

        # Malformed messages and a protocol error: the agent hangs up and comes back.
        bad = [
            ("a message shorter than its header", struct.pack("=II", 2, 4 << 16)),
            ("a message over 4096 bytes", struct.pack("=II", 2, 8000 << 16) + b"\0" * 64),
            ("a string longer than its message",
             wl_message(2, 0, wl_u32(9) + wl_u32(1000) + b"wl_seat\0")),
            ("a send event without its file descriptor",
             None),
            ("a protocol error", wl_message(1, 0, wl_u32(1) + wl_u32(3) + wl_string("bad"))),
        ]
        for what, message in bad:
            if message is None:
                host_to_guest(conn, 10, TEXT, text)     # a source of this connection
                client.pump(lambda: client.source is not None)
                message = wl_message(client.source or 2, 0, wl_string(TEXT))
            client.send(message)
            hung_up = client.closed_by_agent()
            client.close()
            alive = agent.poll() is None
            client, ok = connect()
            tap.ok(hung_up and alive and ok,
                   f"{what} ends the connection, not the agent, which connects again",
                   f"hung up: {hung_up}, agent alive: {alive}, reconnected: {ok}")
        # The host's content went to the new compositor, whose selection was empty.
        client.pump(lambda: client.source is not None)
        tap.ok(TEXT in client.offers.get(client.source, []),
               "after reconnecting, the empty selection gets the host's content")

        # A compositor without data-control (like GNOME's): the agent says so and hangs up.
        client.send(wl_message(1, 0, wl_u32(1) + wl_u32(0) + wl_string("restart")))
        client.closed_by_agent()
        client.close()
        client = FakeClient(compositor.accept()[0], [(1, "wl_seat", 7)])
        hung_up = client.closed_by_agent(10)
        with open(agent_log, "rb") as f:
            said = f.read().decode(errors="replace").count("offers no data-control protocol")
        tap.ok(hung_up and said == 1 and "device" not in client.objects.values()
               and agent.poll() is None,
               "a compositor without data-control: the agent says so and hangs up",
               f"hung up: {hung_up}, said {said} times, bound {client.bound}")
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"fake compositor test aborted: {type(e).__name__}: {e}")
    finally:
        if agent:
            agent.terminate()
            try:
                agent.wait(5)
            except subprocess.TimeoutExpired:
                agent.kill()
        if client:
            client.close()
        compositor.close()
        listener.close()
        shutil.rmtree(runtime, ignore_errors=True)
    show_log(tap, agent_log, before)


# --- part three: Wayland and X11 side by side -------------------------------------------------

def start_xvfb():
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-nolisten", "tcp"],
                            pass_fds=[wfd], stderr=subprocess.DEVNULL)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        return xvfb, ":" + f.readline().strip()


def xclip(display, data=None, timeout=10):
    env = {k: v for k, v in os.environ.items() if k not in ("XAUTHORITY", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    if data is not None:
        subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=data, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
        return None
    out = subprocess.run(["xclip", "-selection", "clipboard", "-o"], env=env,
                         capture_output=True, timeout=timeout)
    return out.stdout if out.returncode == 0 else None


def wait_for(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.2)
    return cond()


def both_test(args, work, tap):
    session = Session(work)
    xvfb, display = start_xvfb()
    sock_path = os.path.join(work, "agent-both.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    listener.settimeout(20)
    agent_log = os.path.join(work, "agent-both.log")
    agent = None
    before = tap.failed

    def log():
        with open(agent_log, "rb") as f:
            return f.read().decode(errors="replace")

    try:
        name = session.start()
        env = {k: v for k, v in os.environ.items()
               if k not in ("XAUTHORITY", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=display, XDG_RUNTIME_DIR=session.runtime)
        with open(agent_log, "wb") as f:
            agent = subprocess.Popen([args.agent, "--foreground", "--verbose", "--port", sock_path,
                                      "--mount-root", os.path.join(work, "mnt"),
                                      "--wayland-display", name], env=env, stdout=f, stderr=f)
        conn = fh.Connection(None, sock=listener.accept()[0])
        conn.send(fh.hello(fh.CAP_GUEST_INFO | fh.CAP_TEXT | fh.CAP_PNG))
        conn.expect(fh.HELLO)

        text = "both: from the host \u00e9".encode()
        host_to_guest(conn, 20, TEXT, text)
        got = session.wait_paste(text)
        tap.ok(got == text and "X11 clipboard: connected" not in log(),
               "with a compositor and an X display, the agent uses Wayland and leaves X11 alone",
               f"{describe(got)}\n{log()[-2000:]}")

        session.kill()
        try:
            req = conn.expect(fh.CLIPBOARD_REQUEST, timeout=15,
                              where=lambda m: m["serial"] == 20)
            conn.send(fh.clipboard_data(20, TEXT, text))
        except fh.ProtocolError as e:
            req = {"error": str(e)}
        got = wait_for(lambda: xclip(display) == text and text, 10)
        tap.ok(req.get("mime") == TEXT and got == text,
               "when the compositor dies, X11 takes over and asks for the host's clipboard again",
               f"{req} {describe(got)}")

        copied = "both: copied in X11 \u00fc".encode()
        xclip(display, copied)
        offer = conn.expect(fh.CLIPBOARD_OFFER, timeout=10)
        conn.send(fh.clipboard_request(offer["serial"], TEXT))
        data = conn.expect(fh.CLIPBOARD_DATA, timeout=10)
        tap.ok(data["data"] == copied, "meanwhile an X11 copy reaches the host", data)

        session.start()
        back = wait_for(lambda: log().count("Wayland clipboard: connected") >= 2
                        and "X11 closed" in log().split("X11 clipboard: connected")[-1], 15)
        tap.ok(back, "a new compositor: the agent uses Wayland again and closes X11",
               log()[-2000:])
        tap.ok(no_offer(conn, 1.0) and session.paste() is None,
               "the guest's newer X11 copy is not replaced by the host's older clipboard",
               describe(session.paste()))
        text2 = "both: the host again \u2603".encode()
        host_to_guest(conn, 21, TEXT, text2)
        got = session.wait_paste(text2)
        tap.ok(got == text2, "the host's next clipboard goes to Wayland", describe(got))
        tap.ok(agent.poll() is None, "the agent is still running")
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"Wayland and X11 test aborted: {type(e).__name__}: {e}")
    finally:
        if agent:
            agent.terminate()
            try:
                agent.wait(5)
            except subprocess.TimeoutExpired:
                agent.kill()
        session.close()
        xvfb.terminate()
        xvfb.wait(5)
        listener.close()
    show_log(tap, agent_log, before)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--workdir")
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="hv-agent-wayland-")
    os.makedirs(work, exist_ok=True)
    tap = fh.Tap()
    missing = [t for t in ("sway", "wl-copy", "wl-paste") if shutil.which(t) is None]
    if missing:
        tap.n += 1
        print(f"ok {tap.n} - a real compositor # SKIP {', '.join(missing)} not installed",
              flush=True)
    else:
        sway_test(args, work, tap)
    fake_compositor_test(args, work, tap)
    missing += [t for t in ("Xvfb", "xclip") if shutil.which(t) is None]
    if missing:
        tap.n += 1
        print(f"ok {tap.n} - Wayland and X11 together # SKIP {', '.join(missing)} not installed",
              flush=True)
    else:
        both_test(args, work, tap)
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
