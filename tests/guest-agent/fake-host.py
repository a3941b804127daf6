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
import zlib

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
        self.buf, self.log, self.backlog = bytearray(), [], []
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
        self.buf = bytearray()
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
                    payload = bytes(self.buf[HEADER.size:HEADER.size + length])
                    del self.buf[:HEADER.size + length]
                    msg = decode(msg_type, payload)
                    self.log.append((NAMES.get(msg_type, hex(msg_type)), msg))
                    return msg_type, msg
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ProtocolError("connection closed")
                self.buf += chunk  # a bytearray: frames of megabytes arrive in many pieces

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


# --- a minimal X11 client for the clipboard test ---------------------------------------------

class RawX:
    """Speaks the X11 wire protocol directly, to play selection clients that xclip cannot: a
    requestor that vanishes or stalls in the middle of an INCR transfer, an owner that sends more
    than it announced. Little-endian, no authentication (the test's own Xvfb lets local clients
    in)."""

    PROPERTY_NOTIFY, SELECTION_REQUEST, SELECTION_NOTIFY = 28, 30, 31
    PROPERTY_CHANGE_MASK = 0x400000

    def __init__(self, display):
        number = display.lstrip(":").split(".")[0]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(f"/tmp/.X11-unix/X{number}")
        self.sock.sendall(struct.pack("<BxHHHHxx", ord("l"), 11, 0, 0, 0))
        head = self._read(8)
        setup = self._read(struct.unpack_from("<H", head, 6)[0] * 4)
        if head[0] != 1:
            raise ProtocolError(f"X server refused us: {setup[:head[1]]!r}")
        self.id_base = struct.unpack_from("<I", setup, 4)[0]
        vendor_len, max_request = struct.unpack_from("<HH", setup, 16)
        self.max_request = max_request * 4
        screen = 32 + (vendor_len + 3) // 4 * 4 + 8 * setup[21]
        self.root = struct.unpack_from("<I", setup, screen)[0]
        self.seq, self.events, self.next_id = 0, [], 1

    def _read(self, n, timeout=10):
        self.sock.settimeout(timeout)
        b = b""
        while len(b) < n:
            chunk = self.sock.recv(n - len(b))
            if not chunk:
                raise ProtocolError("X server closed the connection")
            b += chunk
        return b

    def _packet(self, timeout=10):
        p = self._read(32, timeout)
        if p[0] == 1:
            p += self._read(struct.unpack_from("<I", p, 4)[0] * 4, timeout)
        return p

    def request(self, opcode, data=b"", byte1=0):
        data += b"\0" * (-len(data) % 4)
        self.sock.sendall(struct.pack("<BBH", opcode, byte1, 1 + len(data) // 4) + data)
        self.seq = (self.seq + 1) & 0xffff
        return self.seq

    def reply(self):
        """The reply to the last request (events meanwhile are kept for event())."""
        while True:
            p = self._packet()
            if p[0] in (0, 1) and struct.unpack_from("<H", p, 2)[0] == self.seq:
                if p[0] == 0:
                    raise ProtocolError(f"X error {p[1]} for request {self.seq}")
                return p
            if p[0] > 1:
                self.events.append(p)

    def event(self, timeout=10):
        """The next event (errors skipped), or None after timeout seconds."""
        if self.events:
            return self.events.pop(0)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                p = self._packet(max(0.01, deadline - time.time()))
            except (socket.timeout, TimeoutError):
                return None
            if p[0] > 1:
                return p
        return None

    def intern(self, name):
        b = name.encode()
        self.request(16, struct.pack("<H2x", len(b)) + b)
        return struct.unpack_from("<I", self.reply(), 8)[0]

    def window(self, event_mask=0):
        wid = self.id_base | self.next_id
        self.next_id += 1
        # InputOnly, 1x1, child of the root; value-mask: event-mask.
        self.request(1, struct.pack("<IIhhHHHHIII", wid, self.root, 0, 0, 1, 1, 0, 2, 0,
                                    0x800, event_mask))
        return wid

    def convert(self, requestor, selection, target, prop):
        self.request(24, struct.pack("<IIIII", requestor, selection, target, prop, 0))

    def get_property(self, window, prop, delete=False, length=1 << 22):
        """(type, format, bytes) of a property."""
        self.request(20, struct.pack("<IIIII", window, prop, 0, 0, length), byte1=int(delete))
        p = self.reply()
        fmt, ptype, n = p[1], struct.unpack_from("<I", p, 8)[0], struct.unpack_from("<I", p, 16)[0]
        return ptype, fmt, p[32:32 + n * max(fmt, 8) // 8]

    def change_property(self, window, prop, ptype, fmt, data):
        self.request(18, struct.pack("<IIIB3xI", window, prop, ptype, fmt, len(data) // (fmt // 8))
                     + data)

    def select(self, window, mask):
        self.request(2, struct.pack("<III", window, 0x800, mask))

    def set_owner(self, window, selection):
        self.request(22, struct.pack("<III", window, selection, 0))

    def notify(self, requestor, selection, target, prop, when=0):
        ev = struct.pack("<BxHIIIII8x", self.SELECTION_NOTIFY, 0, when, requestor, selection,
                         target, prop)
        self.request(25, struct.pack("<II", requestor, 0) + ev)

    def sync(self):
        self.request(23, struct.pack("<I", 1))  # GetSelectionOwner PRIMARY: a round trip
        self.reply()

    def close(self):
        self.sock.close()


def utf8_text(size, tag):
    """Exactly size bytes of valid UTF-8: numbered lines with non-ASCII characters."""
    lines, n, i = [], 0, 0
    while True:
        line = f"{tag} line {i:08d}: gr\u00fc\u00dfe \u2603 \u00e9t\u00e9\n".encode()
        if n + len(line) > size:
            break
        lines.append(line)
        n += len(line)
        i += 1
    return b"".join(lines) + b"x" * (size - n)


def png_noise(w, h):
    """A real w x h RGB PNG of random pixels: it does not compress, so about 3 w h bytes."""
    rows = b"".join(b"\0" + os.urandom(w * 3) for _ in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def liar_owner(display, limit, announce=1000):
    """Owns CLIPBOARD, offers text, answers it by INCR announcing announce bytes, then sends chunks
    for as long as the requestor deletes them, up to limit bytes. Returns (bytes sent, whether
    the requestor stopped deleting before the limit)."""
    rx = RawX(display)
    try:
        clip, targets = rx.intern("CLIPBOARD"), rx.intern("TARGETS")
        utf8, incr = rx.intern("UTF8_STRING"), rx.intern("INCR")
        win = rx.window()
        rx.set_owner(win, clip)
        rx.sync()
        sent, transfer, chunk = 0, None, rx.max_request - 1024
        while True:
            ev = rx.event(timeout=3 if transfer else 10)
            if ev is None:
                return sent, transfer is not None
            code = ev[0] & 0x7f
            if code == RawX.SELECTION_REQUEST:
                when, _owner, requestor, selection, target, prop = \
                    struct.unpack_from("<IIIIII", ev, 4)
                if target == targets:
                    rx.change_property(requestor, prop, 4, 32, struct.pack("<II", targets, utf8))
                elif target == utf8:
                    rx.select(requestor, RawX.PROPERTY_CHANGE_MASK)
                    rx.change_property(requestor, prop, incr, 32, struct.pack("<I", announce))
                    transfer = (requestor, prop)
                else:
                    prop = 0
                rx.notify(requestor, selection, target, prop, when)
            elif (code == RawX.PROPERTY_NOTIFY and transfer and ev[16] == 1
                  and struct.unpack_from("<II", ev, 4) == transfer):
                if sent >= limit:
                    return sent, False
                rx.change_property(transfer[0], transfer[1], utf8, 8, b"a" * chunk)
                sent += chunk
    finally:
        rx.close()


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
    # A developer's Wayland session would win over the test's X server (the agent prefers
    # data-control): the agent under test sees only the X11 display.
    env.pop("WAYLAND_DISPLAY", None)
    sock_path = os.path.join(work, "agent.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    agent = None
    # The agent's log: some checks read what it did (INCR used, transfers ended).
    agent_log = os.path.join(work, "agent.log")
    log_file = open(agent_log, "w")

    def log_text():
        with open(agent_log, errors="replace") as f:
            return f.read()

    def log_size():
        return len(log_text())

    def log_has(what, mark=0):
        return what in log_text()[mark:]

    def wait_log(what, timeout, mark=0):
        deadline = time.time() + timeout
        while not log_has(what, mark):
            if time.time() > deadline:
                return False
            time.sleep(0.1)
        return True

    def log_tail(n=15):
        return "\n".join(log_text().splitlines()[-n:])

    try:
        agent = subprocess.Popen([args.agent, "--foreground", "--verbose", "--port", sock_path,
                                  "--mount-root", os.path.join(work, "mnt")], env=env,
                                 stdout=log_file, stderr=subprocess.STDOUT)
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

        # --- large content: ICCCM INCR both ways -------------------------------------------
        def xclip_out(target=None):
            cmd = ["xclip", "-selection", "clipboard", "-o"] + (["-t", target] if target else [])
            return subprocess.run(cmd, env=env, capture_output=True, timeout=60).stdout

        def targets_are(want):
            deadline = time.time() + 20
            while time.time() < deadline:
                names = set(xclip_out("TARGETS").decode(errors="replace").split())
                if want(names):
                    return True
                time.sleep(0.2)
            return False

        # Host to guest: 5 MiB of text, more than one plain request: the agent serves INCR.
        big_text = utf8_text(5 << 20, "host")
        conn.send(clipboard_offer(8, [TEXT]))
        conn.expect(CLIPBOARD_REQUEST, where=lambda m: m["serial"] == 8)
        conn.send(clipboard_data(8, TEXT, big_text))
        targets_are(lambda n: "UTF8_STRING" in n and "image/png" not in n)
        out = xclip_out()
        tap.ok(out == big_text and log_has("INCR transfer of 5242880 bytes"),
               "xclip pastes the host's 5 MiB text exactly, sent by INCR",
               f"{len(out)} bytes of {len(big_text)}")

        # Several requestors at once, each its own transfer.
        procs = [subprocess.Popen(["xclip", "-selection", "clipboard", "-o"], env=env,
                                  stdout=subprocess.PIPE) for _ in range(3)]
        outs = [p.communicate(timeout=60)[0] for p in procs]
        tap.ok(all(o == big_text for o in outs), "three requestors at once each get it exactly",
               [len(o) for o in outs])

        # A requestor that vanishes in the middle, and one that stops reading.
        def incr_requestor():
            rx = RawX(display)
            clip, utf8, prop = rx.intern("CLIPBOARD"), rx.intern("UTF8_STRING"), rx.intern("T")
            incr = rx.intern("INCR")
            win = rx.window(RawX.PROPERTY_CHANGE_MASK)
            rx.convert(win, clip, utf8, prop)
            while True:
                ev = rx.event()
                if ev is None or ev[0] & 0x7f == RawX.SELECTION_NOTIFY:
                    break
            ptype, _fmt, value = rx.get_property(win, prop, delete=True)  # starts the chunks
            first = None
            while True:
                ev = rx.event()
                if ev is None:
                    break
                if ev[0] & 0x7f == RawX.PROPERTY_NOTIFY and ev[16] == 0:
                    first = rx.get_property(win, prop)[2]
                    break
            return rx, ptype == incr and value == struct.pack("<I", len(big_text)), first

        gone, incr_ok, first = incr_requestor()
        gone.close()
        stalled, incr_ok2, first2 = incr_requestor()
        tap.ok(incr_ok and incr_ok2 and first and first2 and big_text.startswith(first)
               and len(first) < 262144,
               "a requestor sees INCR with the size, then a first chunk under 256 KiB",
               f"{incr_ok} {incr_ok2} {len(first or b'')}")
        tap.ok(wait_log("dropped: its window", 5),
               "a requestor that vanishes mid-transfer is dropped", log_tail())
        tap.ok(wait_log("stopped reading an INCR transfer", 10),
               "a requestor that stops reading is dropped after a timeout", log_tail())
        stalled.close()
        out = xclip_out()
        tap.ok(out == big_text, "…and the next requestor still gets the 5 MiB", len(out))

        # Host to guest: a 3 MiB PNG (noise does not compress).
        big_png = png_noise(1024, 1024)
        conn.send(clipboard_offer(9, [PNG]))
        conn.expect(CLIPBOARD_REQUEST, where=lambda m: m["serial"] == 9)
        conn.send(clipboard_data(9, PNG, big_png))
        targets_are(lambda n: "image/png" in n and "UTF8_STRING" not in n)
        out = xclip_out("image/png")
        tap.ok(out == big_png, f"xclip pastes the host's {len(big_png) >> 10} KiB PNG exactly",
               f"{len(out)} bytes of {len(big_png)}")

        # Guest to host: xclip -i offers more than a request's worth by INCR; the agent reads it.
        def guest_copy(data, target=None):
            cmd = ["xclip", "-selection", "clipboard", "-i"] + (["-t", target] if target else [])
            subprocess.run(cmd, input=data, env=env, timeout=60)

        def host_reads(mime, want):
            offer = conn.expect(CLIPBOARD_OFFER, timeout=30)
            conn.send(clipboard_request(offer["serial"], mime))
            data = conn.expect(CLIPBOARD_DATA, timeout=30,
                               where=lambda m: m["serial"] == offer["serial"])
            return offer["types"] == [mime] and data["data"] == want, \
                f"{offer['types']} {len(data['data'])} bytes of {len(want)}"

        mark = log_size()
        guest_text = utf8_text(5 << 20, "guest")
        guest_copy(guest_text)
        good, detail = host_reads(TEXT, guest_text)
        # xclip announces a size of 0 ("at least 0 bytes"): the agent reads until the end.
        tap.ok(good and log_has("INCR transfer of at least", mark),
               "5 MiB of text copied in the guest with xclip (INCR) reach the host exactly",
               detail)
        mark = log_size()
        png2 = png_noise(1000, 1000)
        guest_copy(png2, "image/png")
        good, detail = host_reads(PNG, png2)
        tap.ok(good and log_has("INCR transfer of at least", mark),
               f"a {len(png2) >> 10} KiB PNG copied in the guest reaches the host exactly", detail)

        # The protocol's cap: 16 MiB pass, one byte more is refused, the agent goes on.
        cap = 16 << 20
        mark = log_size()
        at_cap = utf8_text(cap, "cap")
        guest_copy(at_cap)
        good, detail = host_reads(TEXT, at_cap)
        tap.ok(good, "exactly 16 MiB copied in the guest reach the host", detail)
        mark = log_size()
        guest_copy(utf8_text(cap + 1, "over"))
        # xclip announces no size: the agent stops when the transfer passes the cap.
        refused = wait_log("passed 16777216 bytes: dropped", 10, mark)
        try:
            offer = conn.expect(CLIPBOARD_OFFER, timeout=2)
        except ProtocolError:
            offer = None
        tap.ok(refused and offer is None and agent.poll() is None,
               "16 MiB + 1 byte is not read, nothing offered, the agent runs on", log_tail())

        # An owner that announces little by INCR and then sends more than 16 MiB.
        mark = log_size()
        sent, stopped = liar_owner(display, cap + (4 << 20))
        tap.ok(stopped and wait_log("INCR transfer passed 16777216 bytes: dropped", 5, mark)
               and cap - 262144 <= sent <= cap + 262144,
               "an INCR transfer growing past 16 MiB is dropped there", f"sent {sent}")
        try:
            offer = conn.expect(CLIPBOARD_OFFER, timeout=2)
        except ProtocolError:
            offer = None
        tap.ok(offer is None, "…and nothing is offered", offer)
        mark = log_size()
        sent, stopped = liar_owner(display, cap, announce=cap + 1)
        tap.ok(stopped and sent == 0 and wait_log("offers 16777217 bytes, more than", 5, mark),
               "an INCR transfer announcing more than 16 MiB is not started", f"sent {sent}")

        # An owner that never answers: the agent gives up, and its main loop never waits on it.
        mark = log_size()
        mute = RawX(display)
        mute_win = mute.window()
        mute.set_owner(mute_win, mute.intern("CLIPBOARD"))
        mute.sync()
        time.sleep(0.3)  # the agent has sent its ConvertSelection and waits for the answer
        t0 = time.time()
        conn.send(heartbeat(11))
        pong = conn.expect(HEARTBEAT, where=lambda m: m["reply"] == 1 and m["seq"] == 11)
        took = time.time() - t0
        tap.ok(pong and took < 1.0, "while an owner does not answer, the agent answers at once",
               f"{took:.2f} s")
        tap.ok(wait_log("stopped answering (conversion)", 10, mark),
               "…and gives up on the owner after a timeout", log_tail())
        mute.close()

        # After all that, a plain copy still crosses, and no transfer is left behind.
        small = "after the big ones \u2713".encode()
        guest_copy(small)
        good, detail = host_reads(TEXT, small)
        tap.ok(good, "a small copy in the guest still reaches the host", detail)
        text = open(agent_log).read()
        started = text.count("INCR transfer of ") - text.count("INCR transfer of at least")
        ended = len(re.findall(r"INCR transfer to window \S+ (complete|dropped)", text)) + \
            text.count("stopped reading an INCR transfer")
        tap.ok(started > 0 and started == ended,
               "every INCR transfer the agent served ended (complete or dropped)",
               f"started {started}, ended {ended}")

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
            agent.wait(10)
        xvfb.terminate()
        xvfb.wait(5)
        listener.close()
        log_file.close()
    if tap.failed:
        print("# the agent's log ends with:")
        for line in log_tail(40).splitlines():
            print(f"#   {line}")
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
