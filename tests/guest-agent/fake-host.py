#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake engine for the guest agent, written from docs/agent-protocol.md alone.

Two ways to run it:

  fake-host.py --socket PATH [--share NAME:TAG[:ro]]...
      connect to a QEMU chardev socket of a running guest (or an agent started with
      --port PATH on a listening socket), say HELLO, send SHARES and print what comes back.

  fake-host.py --x11 --agent AGENT [--workdir DIR]
      the clipboard test, on this machine: a private Xvfb, the agent connected to a socket this
      script listens on (--port) with --display, and xclip as the guest's applications.

  fake-host.py --boot GUESTDIR --agent AGENT [--workdir DIR]
      the end-to-end test: build the tiny guest (tests/guest/make-tiny-guest.sh) with AGENT
      started by /hv-extra-init, boot it in QEMU (TCG) with the agent port and two 9p shares,
      and check the agent's behaviour step by step. Prints TAP.
"""

import argparse
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

MAGIC = b"HVAG"
HEADER = struct.Struct(">4sBBHI")
MAX_PAYLOAD = 16 * 1024 * 1024 + 8192

HELLO, HEARTBEAT, ERROR = 0x0001, 0x0002, 0x0003
GUEST_INFO, SHARES, SHARE_STATUS = 0x0010, 0x0020, 0x0021
CLIPBOARD_OFFER, CLIPBOARD_REQUEST, CLIPBOARD_DATA = 0x0030, 0x0031, 0x0032
NAMES = {HELLO: "HELLO", HEARTBEAT: "HEARTBEAT", ERROR: "ERROR", GUEST_INFO: "GUEST_INFO",
         SHARES: "SHARES", SHARE_STATUS: "SHARE_STATUS", CLIPBOARD_OFFER: "CLIPBOARD_OFFER",
         CLIPBOARD_REQUEST: "CLIPBOARD_REQUEST", CLIPBOARD_DATA: "CLIPBOARD_DATA"}
ROLE_HOST, ROLE_GUEST = 1, 2
HELLO_REPLY = 1
CAP_GUEST_INFO, CAP_9P, CAP_VIRTIOFS, CAP_TEXT, CAP_PNG = 1, 2, 4, 8, 16
TEXT, PNG = "text/plain;charset=utf-8", "image/png"
SHARE_READONLY, SHARE_AUTOMOUNT = 1, 2
STATES = {0: "mounted", 1: "not-mounted", 2: "failed", 3: "unsupported"}


class ProtocolError(Exception):
    pass


# --- encoding ------------------------------------------------------------------------------

def s(text):
    b = text.encode("utf-8")
    assert len(b) <= 4096
    return struct.pack(">H", len(b)) + b


def frame(msg_type, payload, version=1):
    return HEADER.pack(MAGIC, version, 0, msg_type, len(payload)) + payload


def hello(caps=CAP_GUEST_INFO | CAP_9P | CAP_VIRTIOFS, reply=False):
    return frame(HELLO, struct.pack(">HHBBI", 1, 0, ROLE_HOST, HELLO_REPLY if reply else 0, caps)
                 + s("fake-host.py"))


def heartbeat(seq, reply=0):
    return frame(HEARTBEAT, struct.pack(">IB", seq, reply))


def clipboard_offer(serial, types):
    return frame(CLIPBOARD_OFFER, struct.pack(">IH", serial, len(types))
                 + b"".join(s(t) for t in types))


def clipboard_request(serial, mime):
    return frame(CLIPBOARD_REQUEST, struct.pack(">I", serial) + s(mime))


def clipboard_data(serial, mime, data):
    return frame(CLIPBOARD_DATA, struct.pack(">I", serial) + s(mime)
                 + struct.pack(">I", len(data)) + data)


def shares(generation, items):
    """items: (name, tag, kind, flags)"""
    p = struct.pack(">IH", generation, len(items))
    for name, tag, kind, flags in items:
        p += s(name) + s(tag) + struct.pack(">BB", kind, flags)
    return frame(SHARES, p)


# --- decoding ------------------------------------------------------------------------------

class Fields:
    def __init__(self, payload):
        self.p, self.i = payload, 0

    def take(self, n):
        if self.i + n > len(self.p):
            raise ProtocolError("truncated")
        b = self.p[self.i:self.i + n]
        self.i += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def string(self):
        text = self.take(self.u16()).decode("utf-8")
        if "\0" in text:
            raise ProtocolError("NUL in string")
        return text


def decode(msg_type, payload):
    f = Fields(payload)
    if msg_type == HELLO:
        return dict(major=f.u16(), minor=f.u16(), role=f.u8(), flags=f.u8(), caps=f.u32(),
                    software=f.string())
    if msg_type == HEARTBEAT:
        return dict(seq=f.u32(), reply=f.u8())
    if msg_type == ERROR:
        return dict(code=f.u32(), message=f.string())
    if msg_type == GUEST_INFO:
        info = dict(agent_version=f.string(), os_id=f.string(), os_name=f.string(),
                    os_pretty_name=f.string(), os_version_id=f.string(),
                    kernel_release=f.string(), hostname=f.string(), addresses=[])
        for _ in range(f.u16()):
            ifname, family, prefix = f.string(), f.u8(), f.u8()
            raw = f.take(4 if family == 4 else 16)
            addr = socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, raw)
            info["addresses"].append(f"{ifname} {addr}/{prefix}")
        return info
    if msg_type == SHARE_STATUS:
        gen, out = f.u32(), []
        for _ in range(f.u16()):
            out.append(dict(name=f.string(), state=STATES.get(f.u8(), "?"), error=f.u32(),
                            mount_point=f.string(), message=f.string()))
        return dict(generation=gen, shares=out)
    if msg_type == CLIPBOARD_DATA:
        serial, mime, size = f.u32(), f.string(), f.u32()
        return dict(serial=serial, mime=mime, data=f.take(size))
    if msg_type == CLIPBOARD_OFFER:
        serial = f.u32()
        return dict(serial=serial, types=[f.string() for _ in range(f.u16())])
    if msg_type == CLIPBOARD_REQUEST:
        return dict(serial=f.u32(), mime=f.string())
    return dict(raw=payload.hex())


class Connection:
    def __init__(self, path, timeout=60, sock=None):
        self.buf, self.log, self.backlog = b"", [], []
        if sock is not None:
            self.sock = sock
            return
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b""
        self.log = []
        self.backlog = []

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=30):
        """Next frame as (type, decoded), or None on timeout."""
        deadline = time.time() + timeout
        while True:
            if len(self.buf) >= HEADER.size:
                magic, version, _flags, msg_type, length = HEADER.unpack_from(self.buf)
                if magic != MAGIC or version == 0 or length > MAX_PAYLOAD:
                    raise ProtocolError(f"bad header {self.buf[:12].hex()}")
                if len(self.buf) >= HEADER.size + length:
                    payload = self.buf[HEADER.size:HEADER.size + length]
                    self.buf = self.buf[HEADER.size + length:]
                    msg = decode(msg_type, payload)
                    self.log.append((NAMES.get(msg_type, hex(msg_type)), msg))
                    return msg_type, msg
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ProtocolError("connection closed")
                self.buf += chunk

    def expect(self, msg_type, timeout=30, where=None):
        """Waits for a frame of msg_type (answering pings meanwhile); frames it skips wait in a
        backlog for a later expect()."""
        for i, (t, msg) in enumerate(self.backlog):
            if t == msg_type and (where is None or where(msg)):
                del self.backlog[i]
                return msg
        deadline = time.time() + timeout
        while True:
            got = self.recv(max(0.0, deadline - time.time()))
            if got is None:
                raise ProtocolError(f"no {NAMES[msg_type]} within {timeout} s")
            t, msg = got
            if t == HEARTBEAT and msg["reply"] == 0:
                self.send(heartbeat(msg["seq"], 1))
            if t == msg_type and (where is None or where(msg)):
                return msg
            self.backlog.append((t, msg))

    def close(self):
        self.sock.close()


# --- the end-to-end test ---------------------------------------------------------------------

class Serial:
    """The guest console on QEMU's stdio: lines collected by a thread, commands written."""

    def __init__(self, proc):
        self.proc, self.text, self.lock = proc, "", threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            b = self.proc.stdout.read1(4096)
            if not b:
                return
            with self.lock:
                self.text += b.decode("utf-8", "replace")

    def wait(self, pattern, timeout=60, start=0):
        """Waits for a regular expression on the console; returns the end of the match."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                m = re.compile(pattern).search(self.text, start)
            if m:
                return m.end()
            time.sleep(0.1)
        raise AssertionError(f"console never showed {pattern!r}")

    def run(self, command, marker, timeout=60):
        """Runs a shell command on the console; its output ends with MARKER-STATUS-END."""
        with self.lock:
            start = len(self.text)
        self.proc.stdin.write((command + f"; echo {marker}-$?-END\n").encode())
        self.proc.stdin.flush()
        end = self.wait(marker + r"-\d+-END", timeout, start)
        with self.lock:
            return self.text[start:end]


class Tap:
    def __init__(self):
        self.n, self.failed = 0, 0

    def ok(self, cond, what, detail=""):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {what}", flush=True)
        if not cond:
            self.failed += 1
            for line in str(detail).splitlines():
                print(f"#   {line}", flush=True)
        return cond


def boot_test(args):
    src = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(os.path.dirname(src))
    work = args.workdir or tempfile.mkdtemp(prefix="hv-agent-test-")
    os.makedirs(work, exist_ok=True)
    share_rw, share_ro = os.path.join(work, "share-rw"), os.path.join(work, "share-ro")
    for d in (share_rw, share_ro):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    with open(os.path.join(share_ro, "readme.txt"), "w") as f:
        f.write("read only\n")
    with open(os.path.join(work, "secret-outside"), "w") as f:
        f.write("host secret\n")
    init = os.path.join(work, "hv-extra-init")
    with open(init, "w") as f:
        f.write("#!/bin/sh\nexec /sbin/hostvisor-agent --foreground --verbose\n")
    os.chmod(init, 0o755)
    subprocess.run([os.path.join(top, "tests/guest/make-tiny-guest.sh"), args.boot,
                    "--extra-file", f"{args.agent}:/sbin/hostvisor-agent",
                    "--extra-file", f"{init}:/hv-extra-init"], check=True,
                   stdout=subprocess.DEVNULL)
    sock = os.path.join(work, "agent.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-machine", "q35,accel=tcg",
        "-m", "256", "-display", "none", "-serial", "stdio",
        "-kernel", os.path.join(args.boot, "vmlinuz"),
        "-initrd", os.path.join(args.boot, "initrd.img"), "-append", "console=ttyS0 quiet",
        "-device", "virtio-serial-pci",
        "-chardev", f"socket,id=agent,path={sock},server=on,wait=off",
        "-device", "virtserialport,chardev=agent,name=io.github.hostvisor.agent.0",
        "-fsdev", f"local,id=fs0,path={share_rw},security_model=mapped-xattr",
        "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=hvshare0",
        "-fsdev", f"local,id=fs1,path={share_ro},security_model=mapped-xattr,readonly=on",
        "-device", "virtio-9p-pci,fsdev=fs1,mount_tag=hvshare1",
        # A NIC so that an address can appear; restrict=on: no traffic leaves the host.
        "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0",
    ], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    serial = Serial(qemu)
    tap = Tap()
    docs = ("docs", "hvshare0", 0, SHARE_AUTOMOUNT)
    ro = ("ro", "hvshare1", 0, SHARE_AUTOMOUNT | SHARE_READONLY)
    try:
        serial.wait("HOSTVISOR-GUEST: ready", 120)
        conn = Connection(sock)
        conn.send(hello())
        h = conn.expect(HELLO)
        tap.ok(h["role"] == ROLE_GUEST and h["major"] == 1
               and h["software"].startswith("hostvisor-agent"), "agent says HELLO", h)
        info = conn.expect(GUEST_INFO)
        kernel = re.search(r"HOSTVISOR-GUEST: kernel (\S+)", serial.text).group(1)
        tap.ok(info["kernel_release"] == kernel and info["hostname"] == "hv-guest"
               and info["agent_version"] != "", "GUEST_INFO arrives with kernel and hostname",
               info)
        print(f"# guest info: {info}", flush=True)

        conn.send(heartbeat(7))
        pong = conn.expect(HEARTBEAT, where=lambda m: m["reply"] == 1)
        tap.ok(pong["seq"] == 7, "heartbeat answered with the same seq", pong)

        conn.send(shares(1, [docs, ro]))
        st = conn.expect(SHARE_STATUS)
        print(f"# share status: {st}", flush=True)
        tap.ok(st["generation"] == 1 and [x["state"] for x in st["shares"]] == ["mounted"] * 2
               and st["shares"][0]["mount_point"] == "/media/hostvisor/docs",
               "both shares mounted, no command in the guest", st)

        with open(os.path.join(share_rw, "from-host.txt"), "w") as f:
            f.write("hello from the host\n")
        out = serial.run("cat /media/hostvisor/docs/from-host.txt", "C1")
        tap.ok("hello from the host" in out and "C1-0-END" in out,
               "a file written on the host reads in the guest", out)
        out = serial.run("echo written-in-guest > /media/hostvisor/docs/from-guest.txt", "C2")
        path = os.path.join(share_rw, "from-guest.txt")
        content = open(path).read() if os.path.exists(path) else None
        tap.ok(content == "written-in-guest\n", "a file written in the guest reads on the host",
               out + f"\nhost sees: {content!r}")
        out = serial.run("echo x > /media/hostvisor/ro/new.txt", "C3")
        tap.ok("C3-0-END" not in out and not os.path.exists(os.path.join(share_ro, "new.txt")),
               "the read-only share refuses writes", out)
        out = serial.run("grep hostvisor /proc/mounts", "C4")
        tap.ok(re.search(r"/media/hostvisor/ro 9p ro,(\S*,)?nosuid,nodev,", out)
               and re.search(r"/media/hostvisor/docs 9p rw,(\S*,)?nosuid,nodev,", out),
               "mounted ro and rw as announced (nosuid,nodev)", out)
        out = serial.run("ln -s ../secret-outside /media/hostvisor/docs/escape && "
                         "cat /media/hostvisor/docs/escape", "C5")
        link = os.path.join(share_rw, "escape")
        tap.ok("host secret" not in out and not os.path.islink(link),
               "a symlink made in the guest does not reach a host file outside the share",
               out + f"\nhost: islink={os.path.islink(link)}")

        # An address appears: a new GUEST_INFO follows within the agent's poll interval.
        out = serial.run("ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0", "C10")
        try:
            info = conn.expect(GUEST_INFO, timeout=20,
                               where=lambda m: "eth0 10.0.2.15/24" in m["addresses"])
        except ProtocolError as e:
            info = {"error": str(e)}
        tap.ok("eth0 10.0.2.15/24" in info.get("addresses", []),
               "a new IP address is reported in a new GUEST_INFO", f"{out}\n{info}")

        # Host restart: a new connection and a new HELLO start a new session.
        conn.close()
        time.sleep(1)
        conn = Connection(sock)
        conn.send(hello())
        h = conn.expect(HELLO, timeout=30)
        conn.expect(GUEST_INFO, timeout=30)
        conn.send(shares(1, [docs, ro]))
        st = conn.expect(SHARE_STATUS)
        tap.ok([x["state"] for x in st["shares"]] == ["mounted"] * 2,
               "after the host reconnects: HELLO, GUEST_INFO, shares re-checked", st)
        out = serial.run("grep -c hostvisor /proc/mounts", "C6")
        tap.ok("\n2" in out, "re-checking did not mount twice", out)

        # Host restart without a hang-up seen by the agent: HELLO inside a session.
        conn.send(hello())
        h = conn.expect(HELLO, timeout=30)
        tap.ok(h["flags"] & HELLO_REPLY, "a second HELLO is answered with a REPLY HELLO", h)

        # The share list shrinks: the removed share is unmounted.
        conn.send(shares(2, [docs]))
        st = conn.expect(SHARE_STATUS, where=lambda m: m["generation"] == 2)
        out = serial.run("grep hostvisor /proc/mounts", "C7")
        tap.ok(len(st["shares"]) == 1 and "/media/hostvisor/ro" not in out,
               "a share that left the list is unmounted", out)

        # Malformed input ends the session, never the agent; a new session works.
        conn.send(b"XXXXXXXXXXXXXXXX")
        try:
            err = conn.expect(ERROR, timeout=15)
        except ProtocolError as e:
            err = {"error": str(e)}
        conn.close()
        time.sleep(1)
        conn = Connection(sock)
        conn.send(hello())
        h = conn.expect(HELLO, timeout=30)
        tap.ok(h["role"] == ROLE_GUEST, "after a malformed frame the agent starts over", err)
        conn.send(shares(3, [docs, ro]) + frame(0x7abc, b"future") + heartbeat(9))
        pong = conn.expect(HEARTBEAT, where=lambda m: m["reply"] == 1)
        st = conn.expect(SHARE_STATUS, where=lambda m: m["generation"] == 3)
        tap.ok(pong["seq"] == 9 and [x["state"] for x in st["shares"]] == ["mounted"] * 2,
               "an unknown message type is ignored; the share comes back", st)

        # A share name that would escape /media/hostvisor is malformed: the session ends.
        bad = struct.pack(">IH", 4, 1) + s("..") + s("hvshare0") + struct.pack(">BB", 0, 2)
        conn.send(frame(SHARES, bad))
        try:
            err = conn.expect(ERROR, timeout=15)
        except ProtocolError as e:
            err = {"error": str(e)}
        out = serial.run("ls /media; grep -c hostvisor /proc/mounts", "C8")
        tap.ok(err.get("code") == 1 and "\n2" in out, "a share named '..' is refused", f"{err}\n{out}")
        conn.close()

        out = serial.run("pidof hostvisor-agent", "C9")
        tap.ok("C9-0-END" in out, "the agent is still running", out)
    except Exception as e:  # noqa: BLE001 - report any failure as TAP
        tap.ok(False, f"test aborted: {type(e).__name__}: {e}")
    finally:
        try:
            qemu.stdin.write(b"poweroff -f\n")
            qemu.stdin.flush()
            qemu.wait(10)
        except Exception:  # noqa: BLE001
            qemu.kill()
        with open(os.path.join(work, "console.log"), "w") as f:
            f.write(serial.text)
    print(f"1..{tap.n}")
    print(f"# console log: {os.path.join(work, 'console.log')}")
    return 1 if tap.failed else 0


def x11_test(args):
    """The clipboard both ways against a real X server (Xvfb) and real clients (xclip)."""
    work = args.workdir or tempfile.mkdtemp(prefix="hv-agent-x11-")
    os.makedirs(work, exist_ok=True)
    tap = Tap()
    for tool in ("Xvfb", "xclip"):
        if shutil.which(tool) is None:
            print(f"1..0 # SKIP {tool} is not installed")
            return 0
    # Xvfb picks a free display number itself and writes it to a pipe (-displayfd).
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-nolisten", "tcp"],
                            pass_fds=[wfd], stderr=subprocess.DEVNULL)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        display = ":" + f.readline().strip()
    env = dict(os.environ, DISPLAY=display)
    env.pop("XAUTHORITY", None)
    sock_path = os.path.join(work, "agent.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    agent = None
    try:
        agent = subprocess.Popen([args.agent, "--foreground", "--verbose", "--port", sock_path,
                                  "--mount-root", os.path.join(work, "mnt")], env=env)
        listener.settimeout(20)
        conn = Connection(None, sock=listener.accept()[0])
        conn.send(hello(CAP_GUEST_INFO | CAP_TEXT | CAP_PNG))
        h = conn.expect(HELLO)
        tap.ok(h["caps"] & CAP_TEXT and h["caps"] & CAP_PNG,
               "with a display the agent announces the clipboard", h)

        # Host to guest: offer, the agent requests at once, then owns CLIPBOARD in X.
        text = "h\u00e9llo from the host \u2603\n".encode()
        conn.send(clipboard_offer(5, [TEXT, "text/html"]))
        req = conn.expect(CLIPBOARD_REQUEST)
        tap.ok(req == {"serial": 5, "mime": TEXT}, "a host offer is requested for the known type",
               req)
        conn.send(clipboard_data(4, TEXT, b"stale"))   # an older serial: dropped
        conn.send(clipboard_data(5, TEXT, text))
        time.sleep(0.5)
        out = subprocess.run(["xclip", "-selection", "clipboard", "-o"], env=env,
                             capture_output=True, timeout=10)
        tap.ok(out.stdout == text, "xclip in the guest pastes the host's text", out)
        out = subprocess.run(["xclip", "-selection", "clipboard", "-o", "-t", "TARGETS"],
                             env=env, capture_output=True, timeout=10)
        tap.ok(b"UTF8_STRING" in out.stdout and b"image/png" not in out.stdout,
               "TARGETS lists the text types only", out.stdout)

        # Guest to host: xclip takes the selection; the agent offers, the host requests.
        copied = "copied in the guest \u00fc".encode()
        subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=copied, env=env,
                       timeout=10)
        offer = conn.expect(CLIPBOARD_OFFER, timeout=10)
        tap.ok(offer["types"] == [TEXT], "a guest copy becomes a CLIPBOARD_OFFER", offer)
        conn.send(clipboard_request(offer["serial"], TEXT))
        data = conn.expect(CLIPBOARD_DATA, timeout=10)
        tap.ok(data["data"] == copied and data["serial"] == offer["serial"],
               "the host's request gets the guest's text", data)
        conn.send(clipboard_request(offer["serial"] - 1, TEXT))
        data = conn.expect(CLIPBOARD_DATA, timeout=10)
        tap.ok(data["data"] == b"", "a request for an old serial gets no content", data)

        # An image from the guest.
        png = bytes.fromhex("89504e470d0a1a0a") + os.urandom(300000)
        subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-i"], input=png,
                       env=env, timeout=10)
        offer = conn.expect(CLIPBOARD_OFFER, timeout=10)
        conn.send(clipboard_request(offer["serial"], PNG))
        data = conn.expect(CLIPBOARD_DATA, timeout=10)
        tap.ok(offer["types"] == [PNG] and data["data"] == png,
               "a 300 KB PNG copied in the guest reaches the host", offer)

        # And a PNG from the host.
        conn.send(clipboard_offer(6, [PNG]))
        conn.expect(CLIPBOARD_REQUEST, where=lambda m: m["serial"] == 6)
        conn.send(clipboard_data(6, PNG, png))
        time.sleep(0.5)
        out = subprocess.run(["xclip", "-selection", "clipboard", "-o", "-t", "image/png"],
                             env=env, capture_output=True, timeout=10)
        tap.ok(out.stdout == png, "xclip pastes the host's 300 KB PNG", len(out.stdout))

        # Invalid UTF-8 from the host is malformed: the agent ends the session.
        conn.send(clipboard_offer(7, [TEXT]))
        conn.expect(CLIPBOARD_REQUEST, where=lambda m: m["serial"] == 7)
        conn.send(clipboard_data(7, TEXT, b"\xff\xfe"))
        try:
            err = conn.expect(ERROR, timeout=10)
        except ProtocolError as e:
            err = {"error": str(e)}
        tap.ok(err.get("code") == 1 and agent.poll() is None,
               "invalid UTF-8 ends the session, not the agent", err)
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"test aborted: {type(e).__name__}: {e}")
    finally:
        if agent:
            agent.terminate()
            agent.wait(5)
        xvfb.terminate()
        xvfb.wait(5)
        listener.close()
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket")
    ap.add_argument("--share", action="append", default=[], help="NAME:TAG[:ro]")
    ap.add_argument("--boot", metavar="GUESTDIR")
    ap.add_argument("--agent")
    ap.add_argument("--workdir")
    ap.add_argument("--x11", action="store_true")
    args = ap.parse_args()
    if args.x11:
        if not args.agent:
            ap.error("--x11 needs --agent")
        return x11_test(args)
    if args.boot:
        if not args.agent:
            ap.error("--boot needs --agent")
        return boot_test(args)
    if not args.socket:
        ap.error("--socket or --boot")
    conn = Connection(args.socket)
    conn.send(hello())
    print("HELLO", conn.expect(HELLO))
    print("GUEST_INFO", conn.expect(GUEST_INFO))
    items = []
    for spec in args.share:
        parts = spec.split(":")
        flags = SHARE_AUTOMOUNT | (SHARE_READONLY if parts[2:] == ["ro"] else 0)
        items.append((parts[0], parts[1], 0, flags))
    conn.send(shares(1, items))
    print("SHARE_STATUS", conn.expect(SHARE_STATUS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
