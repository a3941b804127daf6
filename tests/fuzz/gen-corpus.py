#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed corpora of fuzz-qmp, fuzz-cli-options and fuzz-agent-messages.

    gen-corpus.py [CORPUS_DIR]        (default: the corpus/ folder beside this script)

Each file is named seed-*; files of other names in those folders are inputs a libFuzzer run
kept. fuzz-config's seeds are the test configs of tests/configs (copied as seed-good-*,
seed-bad-*); fuzz-agent-frame's come from gen-agent-corpus.c.

qmp:            byte 0 the piece size (0: all at once), byte 1 the client's flags (1: a
                command with an fd, 2: a cancelled command), then what QEMU sends.
cli-options:    the arguments after "hostvisorctl", NUL-separated (the command's words first).
agent-messages: byte 0 the message type (0 SHARES, 1 SHARE_STATUS, 2 CLIPBOARD_OFFER,
                3 CLIPBOARD_REQUEST, 4 CLIPBOARD_DATA), then the payload; taken from the
                agent-frame seeds (frames made by the real encoders) without their header.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def line(obj):
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


GREETING = line({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7},
                                     "package": "Debian 1:7.2"}, "capabilities": ["oob"]}})
CAPS = line({"return": {}, "id": "hv-1"})


def ret(n, value=None):
    return line({"return": {} if value is None else value, "id": "hv-%d" % n})


def event(name, data=None, seconds=1700000000, micro=123456):
    obj = {"event": name, "timestamp": {"seconds": seconds, "microseconds": micro}}
    if data is not None:
        obj["data"] = data
    return line(obj)


def qmp(folder):
    session = (GREETING + CAPS + ret(2, {"status": "running", "singlestep": False,
                                         "running": True})
               + ret(3, {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": ""})
               + event("RESUME") + event("STOP")
               + event("SHUTDOWN", {"guest": True, "reason": "guest-shutdown"})
               + event("DEVICE_DELETED", {"device": "hvfs0", "path": "/machine/peripheral/hvfs0"}))
    write(folder, "session", bytes([0, 0]) + session)
    write(folder, "session-bytewise", bytes([1, 3]) + session + ret(4) + ret(5))
    write(folder, "session-7", bytes([7, 1]) + session + ret(4))
    write(folder, "errors", bytes([0, 0]) + GREETING + CAPS
          + line({"error": {"class": "GenericError", "desc": "Device not found"}, "id": "hv-2"})
          + line({"error": {"class": "CommandNotFound"}, "id": "hv-3"}))
    write(folder, "caps-refused", bytes([0, 0]) + GREETING
          + line({"error": {"class": "GenericError", "desc": "no"}, "id": "hv-1"}))
    write(folder, "odd-replies", bytes([3, 2]) + GREETING + CAPS
          + line({"return": {}}) + line({"return": {}, "id": "hv-999"})
          + line({"return": [], "id": 2}) + line({"return": 1, "id": "hv-2"})
          + line({"something-new": True}) + b"\r\n  \n" + ret(3, [1, "two", None, 3.5]))
    write(folder, "odd-events", bytes([0, 0]) + GREETING + CAPS
          + event("X", None, -5, 2000000) + event("\u00e9v\u00e9nement", [1, 2])
          + line({"event": 5}) + line({"event": "Y", "timestamp": "now"})
          + event("Z", {"nested": {"a": [[[[{}]]]]}}, 9223372036854775807, 0))
    write(folder, "no-greeting", bytes([0, 0]) + CAPS)
    write(folder, "greeting-odd", bytes([0, 0])
          + line({"QMP": {"version": {"qemu": {"major": -1, "minor": 1e300, "micro": "x"}}}})
          + CAPS + ret(2))
    write(folder, "not-object", bytes([0, 0]) + GREETING + CAPS + b"[1,2,3]\n")
    write(folder, "bad-json", bytes([0, 0]) + GREETING + CAPS + b'{"return": {,}\n')
    write(folder, "string-escapes", bytes([0, 0]) + GREETING + CAPS
          + b'{"return": {"s": "a\\u0000b\\ud800\\n\\"}"}, "id": "hv-2"}\n'
          + b'{"event": "\xff\xfe", "timestamp": {"seconds": 1, "microseconds": 1}}\n')
    write(folder, "deep", bytes([0, 0]) + GREETING + CAPS + b"[" * 1100 + b"]" * 1100 + b"\n")
    write(folder, "deep-in-string", bytes([0, 0]) + GREETING + CAPS
          + b'{"return": "' + b"[" * 1100 + b'", "id": "hv-2"}\n')
    write(folder, "no-newline", bytes([0, 0]) + GREETING + CAPS + b'{"return": {}, "id": "hv-2"}')


def cli(folder):
    commands = ["create", "modify", "folder\0rename"]

    def args(cmd, *words):
        return b"\0".join([commands[cmd].encode()] +
                          [w.encode() if isinstance(w, str) else w for w in words])

    write(folder, "create-full", args(0, "vm", "--os", "debian12", "--memory", "512", "--cpus",
                                      "2", "--disk-size", "2", "--folder", "/Lab/Web/",
                                      "--firmware", "uefi", "--machine", "q35", "--video",
                                      "virtio", "--boot", "dc", "--clipboard", "both",
                                      "--share-transport", "virtiofs", "--nic-model", "e1000",
                                      "--json"))
    write(folder, "create-kernel", args(0, "tiny", "--no-disk", "--kernel", "/boot/vmlinuz",
                                        "--initrd=/boot/initrd.img", "--cmdline",
                                        "console=ttyS0 quiet"))
    write(folder, "create-disk", args(0, "d", "--disk", "relative/disk.img", "--disk-format",
                                      "raw", "--iso", "x.iso", "--floppy", "f.img"))
    write(folder, "create-bad", args(0, "x", "--memory", "-1", "--cpus", "999", "--bogus"))
    write(folder, "create-missing", args(0, "--iso", "--memory", "512"))
    write(folder, "create-twice", args(0, "a", "--memory=1", "--memory=2"))
    write(folder, "create-dashdash", args(0, "--", "--name-with-dashes", "--no-disk"))
    write(folder, "modify", args(1, "vm", "--name", "new", "--remove-iso", "--remove-floppy",
                                 "--memory", "18446744073709551616", "--os", ""))
    write(folder, "modify-utf8", args(1, "vm", "--name", "\u00dcn\u00efc\u00f8d\u00e9 \u65e5",
                                      "--folder", "a/b"))
    write(folder, "modify-invalid-utf8", args(1, "vm", "--name", b"\xff\xfe", "--os", b"\xc3"))
    write(folder, "modify-control", args(1, "vm\n", "--cmdline", "a\tb\x1b[2J"))
    write(folder, "two-args", args(2, "Lab", "Lab2"))
    write(folder, "two-args-extra", args(2, "a", "b", "c", "-x", "--", "-y"))
    write(folder, "help", args(0, "x", "-h", "--help"))
    write(folder, "help-group", b"help\0share")
    write(folder, "group-help", b"share\0--help")
    write(folder, "version", b"--version")
    write(folder, "unknown", b"frobnicate\0vm")
    write(folder, "accel", args(1, "vm", "--accel", "kvm"))
    write(folder, "os-list", b"os-list\0debian\0--json")
    write(folder, "clone", b"clone\0vm\0vm 2\0--snapshot\0Before\0--linked\0--keep-macs\0"
          b"--folder\0/Lab/B/")


# Types in the order of fuzz-agent-messages.c's table.
AGENT_TYPES = {0x0020: 0, 0x0021: 1, 0x0030: 2, 0x0031: 3, 0x0032: 4}


def agent_messages(folder, frame_folder):
    for name in sorted(os.listdir(frame_folder)):
        if not name.startswith("seed-"):
            continue
        with open(os.path.join(frame_folder, name), "rb") as f:
            data = f.read()[1:]  # the agent-frame target's chunk byte
        # Every frame of the file (a session holds several).
        n = 0
        while len(data) >= 12 and data[:4] == b"HVAG":
            mtype = int.from_bytes(data[6:8], "big")
            length = int.from_bytes(data[8:12], "big")
            payload, data = data[12:12 + length], data[12 + length:]
            if mtype in AGENT_TYPES:
                write(folder, "%s-%d" % (name[len("seed-"):], n),
                      bytes([AGENT_TYPES[mtype]]) + payload)
            n += 1


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    qmp(os.path.join(corpus, "qmp"))
    cli(os.path.join(corpus, "cli-options"))
    agent_messages(os.path.join(corpus, "agent-messages"), os.path.join(corpus, "agent-frame"))


if __name__ == "__main__":
    main()
