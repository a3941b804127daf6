# SPDX-License-Identifier: GPL-3.0-or-later
"""vnc-type.py ENGINE_SOCKET VM TEXT...: types on a running VM's keyboard, as a user at its
console would: the engine's OpenConsole gives a socket to QEMU's VNC server, and each TEXT is
sent as RFB key events (press and release), a key at a time. In TEXT, "\\n" is Enter, "\\b"
Backspace and "{esc}" Escape; capitals and shifted symbols are typed with Shift held. Needs
python3-gi."""
import struct
import sys
import time

from gi.repository import Gio, GLib

SHIFTED = '~!@#$%^&*()_+{}|:"<>?'
KEY_SHIFT = 0xFFE1
SPECIAL = {"\n": 0xFF0D, "\b": 0xFF08, "\t": 0xFF09}


def open_console(sock, vm):
    conn = Gio.DBusConnection.new_for_address_sync(
        "unix:path=" + sock, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
    path = conn.call_sync(None, "/io/github/hostvisor/Engine", "io.github.hostvisor.Engine",
                          "FindVm", GLib.Variant("(s)", (vm,)), None,
                          Gio.DBusCallFlags.NONE, 30000, None).unpack()[0]
    reply, fds = conn.call_with_unix_fd_list_sync(
        None, path, "io.github.hostvisor.Vm", "OpenConsole", None, None,
        Gio.DBusCallFlags.NONE, 30000, None, None)
    return fds.get(reply.unpack()[0])


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        part = s.recv(n - len(data))
        if not part:
            raise SystemExit("the VNC server closed the connection")
        data += part
    return data


def handshake(s):
    version = recv_exact(s, 12)
    if not version.startswith(b"RFB 003."):
        raise SystemExit("not an RFB server: %r" % version)
    s.sendall(b"RFB 003.008\n")
    count = recv_exact(s, 1)[0]
    types = recv_exact(s, count)
    if 1 not in types:
        raise SystemExit("the VNC server wants authentication (%r)" % list(types))
    s.sendall(b"\x01")
    if struct.unpack(">I", recv_exact(s, 4))[0] != 0:
        raise SystemExit("the VNC server refused the connection")
    s.sendall(b"\x01")                       # ClientInit: shared
    _, _, _, name_len = struct.unpack(">HH16sI", recv_exact(s, 24))
    recv_exact(s, name_len)


def key(s, keysym, down):
    s.sendall(struct.pack(">BBHI", 4, 1 if down else 0, 0, keysym))


def type_text(s, text, delay):
    i = 0
    while i < len(text):
        if text.startswith("{esc}", i):
            syms, i = [(0xFF1B, False)], i + 5
        else:
            c = text[i]
            i += 1
            shift = c.isupper() or c in SHIFTED
            syms = [(SPECIAL.get(c, ord(c)), shift)]
        for sym, shift in syms:
            if shift:
                key(s, KEY_SHIFT, True)
            key(s, sym, True)
            time.sleep(delay)
            key(s, sym, False)
            if shift:
                key(s, KEY_SHIFT, False)
            time.sleep(delay)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    import socket
    fd = open_console(sys.argv[1], sys.argv[2])
    s = socket.socket(fileno=fd)
    s.settimeout(30)
    handshake(s)
    for text in sys.argv[3:]:
        # A guest under TCG on a loaded machine reads its keyboard slowly (QEMU's PS/2 queue
        # drops what does not fit): a key every 160 ms.
        type_text(s, text.replace("\\n", "\n").replace("\\b", "\b"), 0.08)
    time.sleep(0.5)
    s.close()


if __name__ == "__main__":
    main()
