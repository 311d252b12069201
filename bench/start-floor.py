#!/usr/bin/python3
# start-floor.py: Domain.Create's call return beside its floor, bare QEMU with the same command line, in alternating rounds (not part of the test suite).
#
# Usage: bench/start-floor.py [ROUNDS] [LABEL=VMMD_QEMU_BINARY ...]
#   ROUNDS (default 20): each round starts bare QEMU once, then Create + Destroy once per daemon
#   LABEL=BINARY: the vmmd-qemu binaries to compare (default: this build's, as "vmmd"), each on its
#                 own private bus and root; e.g. before=/tmp/old/vmmd-qemu after=build/daemons/vmmd-qemu/vmmd-qemu
#   VMMD_BUILD_DIR picks the build dir (the test guest and the services come from it).
# Bare QEMU gets the command line vmmd logged for the first daemon's guest, with a listening monitor
# socket as fd 3 as vmmd passes it; its rows are spawn until the greeting, the reply to
# qmp_capabilities (QEMU's main loop runs: its own start is done) and the reply to cont, one command
# after the other. Since the rounds alternate, each daemon's row minus the bare "+cont" row of the
# same round ("over the floor") says what the daemon adds, also on a machine shared with other work.
import json
import os
import shlex
import signal
import socket
import statistics
import sys
import tempfile
import time

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import guest_xml, private_bus  # noqa: E402  the same guest and bus as compare.sh's rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("VMMD_BUILD_DIR", os.path.join(ROOT, "build")))
GUEST = os.path.join(BUILD, "tests", "e2e")


def now():
    return time.monotonic()


class Daemon:
    """one vmmd-qemu on its own private bus and root, with the test guest defined"""

    def __init__(self, label, binary, tmp):
        self.label = label
        self.dir = os.path.join(tmp, label)
        os.makedirs(os.path.join(self.dir, "services"))
        self.root = os.path.join(self.dir, "root")
        with open(os.path.join(self.dir, "services", "org.vmmd.qemu1.service"), "w") as f:
            f.write(f"[D-BUS Service]\nName=org.vmmd.qemu1\nExec={os.path.abspath(binary)}\n")
        self.bus_proc, self.address = private_bus(os.path.join(self.dir, "bus"), os.path.join(self.dir, "services"),
                                                  dict(os.environ, VMMD_ROOT=self.root))
        self.bus = dbus.bus.BusConnection(self.address)
        self.manager = dbus.Interface(self.bus.get_object("org.vmmd.qemu1", "/org/vmmd/qemu1", introspect=False),
                                      "org.vmmd.qemu1.Manager")
        self.pid = None
        serial = os.path.join(self.dir, "guest.serial")
        path = self.manager.DomainDefineXML(guest_xml("guest", GUEST, serial), dbus.UInt32(0))
        self.domain = dbus.Interface(self.bus.get_object("org.vmmd.qemu1", path, introspect=False),
                                     "org.vmmd.qemu1.Domain")
        self.pid = int(dbus.Interface(self.bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"),
                                      "org.freedesktop.DBus").GetConnectionUnixProcessID("org.vmmd.qemu1"))
        # one start first: QEMU's capabilities probe and the page cache are not part of the rows
        self.domain.Create(dbus.UInt32(0))
        self.domain.Destroy(dbus.UInt32(0))

    def start_once(self):
        t0 = now()
        self.domain.Create(dbus.UInt32(0))
        ms = (now() - t0) * 1000
        self.domain.Destroy(dbus.UInt32(0))
        return ms

    def command_line(self):
        with open(os.path.join(self.root, "var", "log", "vmmd", "qemu", "guest.log")) as f:
            return [line for line in f.read().splitlines() if line.startswith("/")][-1]

    def stop(self):
        try:
            self.domain.Undefine(dbus.UInt32(0))
        except dbus.DBusException:
            pass
        if self.pid:
            os.kill(self.pid, signal.SIGTERM)
        self.bus_proc.terminate()
        self.bus_proc.wait()


def bare_qemu(argv, tmp):
    """spawn → greeting → qmp_capabilities → cont, each reply awaited, as a plain client does"""
    sock_path = os.path.join(tmp, "bare.qmp")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(sock_path)
    lsock.listen(1)
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    if lsock.fileno() == 3:
        os.set_inheritable(3, True)
    else:
        actions.append((os.POSIX_SPAWN_DUP2, lsock.fileno(), 3))
    out = {}
    t0 = now()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sock_path)
        f = c.makefile("rwb")
        assert "QMP" in json.loads(f.readline())
        out["bare QEMU: greeting"] = (now() - t0) * 1000
        for cmd in ("qmp_capabilities", "cont"):
            f.write(json.dumps({"execute": cmd}).encode() + b"\n")
            f.flush()
            while "return" not in json.loads(f.readline()):
                pass
            out[f"bare QEMU: +{cmd}"] = (now() - t0) * 1000
        c.close()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lsock.close()
    return out


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    specs = [a.split("=", 1) for a in sys.argv[2:]] or [["vmmd", os.path.join(BUILD, "daemons", "vmmd-qemu", "vmmd-qemu")]]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="vmmd-start-floor.") as tmp:
        daemons = []
        try:
            for label, binary in specs:
                daemons.append(Daemon(label, binary, tmp))
            argv = shlex.split(daemons[0].command_line())
            # the bare guest writes its own serial file
            argv = [a.replace(os.path.join(daemons[0].dir, "guest.serial"), os.path.join(tmp, "bare.serial"))
                    for a in argv]
            for _ in range(rounds):
                for k, v in bare_qemu(argv, tmp).items():
                    rows.setdefault(k, []).append(v)
                for d in daemons:
                    rows.setdefault(f"{d.label}: Create call", []).append(d.start_once())
        finally:
            for d in daemons:
                d.stop()
    load = open("/proc/loadavg").read().split()[:3]
    print(f"start-floor: {rounds} rounds, {os.cpu_count()} CPUs, load average after {' '.join(load)}")
    print(f"{'row (ms)':<32} {'min':>8} {'median':>8} {'max':>8}")
    for k, v in rows.items():
        print(f"{k:<32} {min(v):8.2f} {statistics.median(v):8.2f} {max(v):8.2f}")
    floor = rows["bare QEMU: +cont"]
    for d in daemons:
        over = [a - b for a, b in zip(rows[f"{d.label}: Create call"], floor)]
        print(f"{d.label + ': over the floor':<32} {min(over):8.2f} {statistics.median(over):8.2f} {max(over):8.2f}")


if __name__ == "__main__":
    main()
