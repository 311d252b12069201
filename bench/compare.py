#!/usr/bin/python3
# compare.py: the measuring half of bench/compare.sh — runs every row against one side (vmmd or libvirt) with the same dbus-python client and writes the samples as JSON.
#
# Usage (compare.sh calls it; by hand only for one side):
#   compare.py measure --side vmmd    --build BUILD --guest DIR --tmp DIR --counts 100 --repeat 3 --out FILE
#   compare.py measure --side libvirt                --guest DIR --tmp DIR --counts 100 --repeat 3 --out FILE
#   compare.py table FILE...        prints one table: median (min..max) per side and libvirt/vmmd
# The libvirt side expects to run inside the private mount namespace compare.sh prepared; it starts
# libvirtd (as a child subreaper that reaps at once), a private dbus-daemon and libvirt-dbus itself.
import argparse
import ctypes
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import dbus

BOOT_TIMEOUT = 120
# libvirt's list flags, the same numbers on both sides
LIST_ACTIVE, LIST_INACTIVE = 1, 2


def now():
    return time.monotonic()


class Samples:
    def __init__(self):
        self.rows = {}
        self.order = []

    def add(self, row, ms, unit="ms"):
        if row not in self.rows:
            self.rows[row] = {"unit": unit, "values": []}
            self.order.append(row)
        self.rows[row]["values"].append(ms)

    def timed(self, row, fn, *args):
        t0 = now()
        result = fn(*args)
        self.add(row, (now() - t0) * 1000)
        return result


def wait_for(cond, what, timeout=BOOT_TIMEOUT):
    deadline = now() + timeout
    while not cond():
        if now() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.002)
    return now()


def wait_pid_exit(pid, timeout=30):
    # a pidfd: PID 1 here reaps orphans late, /proc would lie for 1.5 s
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if not select.select([fd], [], [], timeout)[0]:
            raise RuntimeError(f"pid {pid} did not exit")
    finally:
        os.close(fd)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def serial_ready_count(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"TESTGUEST READY")
    except FileNotFoundError:
        return 0


def minimal_xml(name):
    return (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64'>hvm</type></os></domain>")


def guest_xml(name, guest, serial):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{guest}/vmlinux</kernel>
    <initrd>{guest}/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <devices>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
  </devices>
</domain>
"""


def private_bus(sock, services=None, env=None, stderr=subprocess.DEVNULL):
    """a dbus-daemon listening on sock (its config beside it, SOCK.conf), activating from services;
    returns its process and address once it answers"""
    conf = sock + ".conf"
    with open(conf, "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path={sock}</listen>
{f'<servicedir>{services}</servicedir>' if services else ''}
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
""")
    p = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork", "--nopidfile"],
                         env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    address = f"unix:path={sock}"

    # the socket file appears at bind(), a moment before the bus listens on it
    def answers():
        try:
            dbus.bus.BusConnection(address).close()
            return True
        except dbus.DBusException:
            return False
    wait_for(answers, "the private bus", 10)
    return p, address


class Side:
    """What differs between the two: names, paths, how the daemons start and what 'list with state' is."""
    name = ""
    bus_name = manager_path = manager_iface = domain_iface = ""

    def __init__(self, args):
        self.args = args
        self.tmp = args.tmp
        self.bus = None
        self.children = []

    def connect(self):
        self.bus = dbus.bus.BusConnection(self.address)
        self.manager = dbus.Interface(self.bus.get_object(self.bus_name, self.manager_path, introspect=False),
                                      self.manager_iface)

    def domain(self, path):
        return dbus.Interface(self.bus.get_object(self.bus_name, path, introspect=False), self.domain_iface)

    def define(self, xml):
        return self.manager.DomainDefineXML(xml, dbus.UInt32(0))

    def daemon_pid(self):
        dbus_iface = dbus.Interface(self.bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"),
                                    "org.freedesktop.DBus")
        return int(dbus_iface.GetConnectionUnixProcessID(self.bus_name))

    def ping(self):
        self.bus.call_blocking(self.bus_name, self.manager_path, "org.freedesktop.DBus.Peer", "Ping", "", ())

    def start_bus(self, services=None, env=None):
        p, self.address = private_bus(os.path.join(self.tmp, f"{self.name}-bus"), services, env,
                                      open(os.path.join(self.tmp, f"{self.name}-bus.log"), "w"))
        self.children.append(p)

    def stop(self):
        for p in reversed(self.children):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Vmmd(Side):
    name = "vmmd"
    bus_name = "org.vmmd.qemu1"
    manager_path = "/org/vmmd/qemu1"
    manager_iface = "org.vmmd.qemu1.Manager"
    domain_iface = "org.vmmd.qemu1.Domain"

    def __init__(self, args):
        super().__init__(args)
        self.root = os.path.join(self.tmp, "vmmd-root")
        env = dict(os.environ, VMMD_ROOT=self.root)
        self.start_bus(os.path.join(args.build, "busconfig", "services"), env)
        self.vmmctl = os.path.join(args.build, "tools", "vmmctl", "vmmctl")

    def cold_start(self):
        """the first call activates the daemon: bus activation + load + reply"""
        self.bus = dbus.bus.BusConnection(self.address)
        t0 = now()
        self.bus.call_blocking(self.bus_name, self.manager_path, self.manager_iface, "ListDomains", "u", (0,))
        ms = (now() - t0) * 1000
        self.connect()
        return ms

    def restart(self):
        pid = self.daemon_pid()
        os.kill(pid, signal.SIGTERM)
        wait_pid_exit(pid)
        # the bus notices the name is gone before the next call activates a new one
        wait_for(lambda: not self.bus_has_owner(), "the name to be released", 10)
        # a raw call by the well-known name: a proxy would activate the daemon while it is made
        t0 = now()
        self.bus.call_blocking(self.bus_name, self.manager_path, self.manager_iface, "ListDomains", "u", (0,))
        ms = (now() - t0) * 1000
        self.connect()
        return ms

    def bus_has_owner(self):
        return bool(self.bus.name_has_owner(self.bus_name))

    def rss_kib(self):
        return rss_kib(self.daemon_pid())

    def list_with_state(self):
        om = dbus.Interface(self.bus.get_object(self.bus_name, self.manager_path, introspect=False),
                            "org.freedesktop.DBus.ObjectManager")
        return len(om.GetManagedObjects())

    def list_states(self):
        try:
            return len(self.manager.ListDomainStates(dbus.UInt32(0)))
        except dbus.DBusException as e:
            if e.get_dbus_name() == "org.freedesktop.DBus.Error.UnknownMethod":
                return None
            raise

    def cli_list(self):
        return [self.vmmctl, "-c", self.address, "list", "--all"]

    def restore(self, file):
        return self.manager.DomainRestore(file, "", dbus.UInt32(0))

    def cleanup(self):
        # QEMU carries the daemon's environment: VMMD_ROOT tells ours from anyone else's
        try:
            pid = self.daemon_pid()
        except Exception:
            pid = None
        self.stop()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
                wait_pid_exit(pid)
            except ProcessLookupError:
                pass
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/environ", "rb") as f:
                    if f"VMMD_ROOT={self.root}".encode() in f.read().split(b"\0"):
                        os.kill(int(p), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


class Libvirt(Side):
    name = "libvirt"
    bus_name = "org.libvirt"
    manager_path = "/org/libvirt/QEMU"
    manager_iface = "org.libvirt.Connect"
    domain_iface = "org.libvirt.Domain"

    def __init__(self, args):
        super().__init__(args)
        # libvirtd waits for a killed QEMU to be reaped: be the subreaper that reaps at once
        # (a thread: a signal handler would wait for the blocking D-Bus call to return, and that call
        # waits for libvirtd, which waits for the reaping)
        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
        threading.Thread(target=self.reap, daemon=True).start()
        self.libvirtd = None
        self.libvirt_dbus = None

    @staticmethod
    def reap():
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.01)

    def start_libvirtd(self):
        self.libvirtd = subprocess.Popen(["libvirtd", "--pid-file", os.path.join(self.tmp, "libvirtd.pid")],
                                         stdout=subprocess.DEVNULL,
                                         stderr=open(os.path.join(self.tmp, "libvirtd.log"), "a"))

    def first_libvirtd_reply(self):
        """until virConnectListAllDomains answers: the socket appears, then the driver is up"""
        import libvirt
        libvirt.registerErrorHandler(lambda *_: None, None)
        while True:
            try:
                c = libvirt.open("qemu:///system")
                c.listAllDomains(0)
                c.close()
                return
            except libvirt.libvirtError:
                time.sleep(0.001)

    def cold_start(self):
        t0 = now()
        self.start_libvirtd()
        self.first_libvirtd_reply()
        libvirtd_ms = (now() - t0) * 1000
        self.start_bus()
        t0 = now()
        self.libvirt_dbus = subprocess.Popen(["libvirt-dbus", "--system"],
                                             env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address),
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.bus = dbus.bus.BusConnection(self.address)
        wait_for(lambda: self.bus.name_has_owner(self.bus_name), "libvirt-dbus on the bus", 30)
        self.connect()
        self.manager.ListDomains(dbus.UInt32(0))
        self.cold_dbus_ms = (now() - t0) * 1000
        return libvirtd_ms + self.cold_dbus_ms

    def restart(self):
        """libvirtd alone: libvirt-dbus would need its own reconnect, which is not the daemon's start"""
        pid = self.libvirtd.pid
        self.libvirtd.terminate()
        self.libvirtd.wait()
        wait_pid_exit(pid)
        t0 = now()
        self.start_libvirtd()
        self.first_libvirtd_reply()
        ms = (now() - t0) * 1000
        # libvirt-dbus lost its connection; start a fresh one for the rows that follow
        self.libvirt_dbus.terminate()
        self.libvirt_dbus.wait()
        self.libvirt_dbus = subprocess.Popen(["libvirt-dbus", "--system"],
                                             env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address),
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.bus.name_has_owner(self.bus_name), "libvirt-dbus on the bus", 30)
        return ms

    def rss_kib(self):
        return rss_kib(self.libvirtd.pid) + rss_kib(self.libvirt_dbus.pid)

    def list_with_state(self):
        return len(self.manager.GetAllDomainStats(dbus.UInt32(1), dbus.UInt32(0)))  # VIR_DOMAIN_STATS_STATE

    def list_states(self):
        return None

    def define(self, xml):
        return self.manager.DomainDefineXML(xml)  # libvirt-dbus has no flags here

    def cli_list(self):
        return ["virsh", "-c", "qemu:///system", "list", "--all"]

    def restore(self, file):
        self.manager.DomainRestore(file, "", dbus.UInt32(0))
        return None

    def cleanup(self):
        if self.libvirt_dbus and self.libvirt_dbus.poll() is None:
            self.libvirt_dbus.terminate()
        if self.libvirtd and self.libvirtd.poll() is None:
            self.libvirtd.terminate()
            try:
                self.libvirtd.wait(15)
            except subprocess.TimeoutExpired:
                self.libvirtd.kill()
        self.stop()
        # QEMUs libvirtd daemonized were re-parented to us (the subreaper)
        me = str(os.getpid())
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[1] == me and open(f"/proc/{p}/comm").read().startswith("qemu"):
                    os.kill(int(p), signal.SIGKILL)
            except (OSError, ProcessLookupError, IndexError):
                pass


def floor_durable_write(directory, n):
    """what one define must do at least: write + fsync + rename + directory fsync"""
    out = []
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    data = minimal_xml("floor").encode() * 4
    try:
        for i in range(n):
            t0 = now()
            tmp = os.path.join(directory, f".floor{i}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
            os.rename(tmp, os.path.join(directory, f"floor{i}.xml"))
            os.fsync(dfd)
            out.append((now() - t0) * 1000)
        for i in range(n):
            os.unlink(os.path.join(directory, f"floor{i}.xml"))
    finally:
        os.close(dfd)
    return out


def measure(args):
    s = Samples()
    other = {}   # rows a part measured for the other side (storage.sh runs both)
    side = (Vmmd if args.side == "vmmd" else Libvirt)(args)
    counts = [int(c) for c in args.counts.split(",")]
    rep = args.repeat
    try:
        s.add("cold start to first reply", side.cold_start())
        s.add("RSS idle", side.rss_kib() / 1024, "MiB")
        # both probe QEMU's capabilities once (libvirt: every installed emulator); not a row
        side.manager.GetCapabilities(timeout=600)
        # floors in the same run: a bus round trip to the daemon, a durable write next to its state
        for _ in range(max(rep, 20)):
            s.timed("floor: bus round trip (Ping)", side.ping)
        # where each keeps its definitions (libvirt's /etc/libvirt/qemu is the on-disk copy compare.sh mounted)
        state_dir = side.root if args.side == "vmmd" else "/etc/libvirt/qemu"
        for v in floor_durable_write(state_dir, max(rep, 20)):
            s.add("floor: write+fsync+rename+dir fsync", v)

        # define / lookup / undefine; the minimal and the guest XML alternate so that both see the
        # same disk: run in blocks, whichever block met a busy disk looked slower (the daemon's
        # CPU per define is the same for both, within noise)
        n_small = max(rep * 10, 30)
        paths, guests = [], []
        for i in range(n_small):
            paths.append(s.timed("define (minimal XML)", side.define, minimal_xml(f"m{i}")))
            guests.append(s.timed("define (guest XML)", side.define,
                                  guest_xml(f"g{i}", args.guest, os.path.join(args.tmp, f"g{i}.serial"))))
        for i in range(n_small):
            s.timed("lookup by name", side.manager.DomainLookupByName, f"m{i}")
        for p in paths:
            s.timed("undefine", side.domain(p).Undefine, dbus.UInt32(0))
        for p in guests:
            side.domain(p).Undefine(dbus.UInt32(0))

        # lists at each count: defines in bulk, then the list rows
        defined = 0
        for count in counts:
            for i in range(defined, count):
                side.define(minimal_xml(f"b{i}"))
            defined = count
            for _ in range(rep):
                s.timed(f"list {count} (paths)", side.manager.ListDomains, dbus.UInt32(0))
                s.timed(f"list {count} with state, one call", side.list_with_state)
                if side.list_states() is not None:
                    s.timed(f"list {count} ListDomainStates", side.list_states)
                t0 = now()
                subprocess.run(side.cli_list(), check=True, stdout=subprocess.DEVNULL)
                s.add(f"CLI list --all at {count} (vmmctl / virsh)", (now() - t0) * 1000)
            s.add(f"RSS with {count} defined", side.rss_kib() / 1024, "MiB")
            for _ in range(max(1, rep // 2)):
                s.add(f"daemon start with {count} defined", side.restart())
            side.connect()

        for i in range(defined):
            side.domain(side.manager.DomainLookupByName(f"b{i}")).Undefine(dbus.UInt32(0))

        # the guest's life
        serial = os.path.join(args.tmp, f"{args.side}-guest.serial")
        path = side.define(guest_xml("guest", args.guest, serial))
        dom = side.domain(path)
        image = os.path.join(args.tmp, f"{args.side}-guest.save")
        state = lambda: int(dom.GetState(dbus.UInt32(0))[0])
        for _ in range(rep):
            if os.path.exists(serial):
                os.unlink(serial)
            t0 = now()
            dom.Create(dbus.UInt32(0))
            s.add("start (call return)", (now() - t0) * 1000)
            s.add("start to guest READY", (wait_for(lambda: serial_ready_count(serial) >= 1, "READY") - t0) * 1000)
            s.timed("suspend", dom.Suspend)
            s.timed("resume", dom.Resume)
            s.timed("save 128 MiB guest", dom.Save, image, "", dbus.UInt32(0))
            s.timed("restore", side.restore, image)
            os.unlink(image)
            wait_for(lambda: state() == 1, "running after restore", 30)
            # libvirt's restored QEMU truncates the serial file, vmmd's appends: count from here
            before = serial_ready_count(serial)
            t0 = now()
            dom.Reboot(dbus.UInt32(0))
            s.add("reboot to READY", (wait_for(lambda: serial_ready_count(serial) > before, "READY again") - t0) * 1000)
            t0 = now()
            dom.Shutdown(dbus.UInt32(0))
            s.add("ACPI shutdown to SHUTOFF", (wait_for(lambda: state() == 5, "SHUTOFF") - t0) * 1000)
            dom.Create(dbus.UInt32(0))
            s.timed("destroy", dom.Destroy, dbus.UInt32(0))
        dom.Undefine(dbus.UInt32(0))

        # storage rows come from their own part (bench/storage.sh), when it exists
        hook = os.path.join(os.path.dirname(os.path.abspath(__file__)), "storage.sh")
        if args.side == "vmmd" and os.access(hook, os.X_OK):
            out = subprocess.run([hook, "--compare-rows", str(counts[0]), str(rep)],
                                 capture_output=True, text=True, env=dict(os.environ, VMMD_BUILD_DIR=args.build))
            for line in out.stdout.splitlines():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                # the hook runs libvirt's side of its rows itself: those go beside this side's file
                got = s if r.get("side") == args.side else other.setdefault(r.get("side"), Samples())
                for v in r["values"]:
                    got.add(r["row"], v, r.get("unit", "ms"))
    finally:
        side.cleanup()
    with open(args.out, "w") as f:
        json.dump({"side": args.side, "order": s.order, "rows": s.rows}, f)
    for name, got in other.items():
        with open(f"{args.out}.{name}-extra", "w") as f:
            json.dump({"side": name, "order": got.order, "rows": got.rows}, f)


def table(files):
    sides, order = {}, []
    # a side's own file, then the rows another side's parts measured for it (FILE.SIDE-extra;
    # compare.sh --vmmd-only tells storage.sh to leave libvirt out, so there are none then)
    extras = [f"{fn}.{n}-extra" for fn in files for n in ("vmmd", "libvirt")]
    for fn in files + [e for e in extras if os.path.exists(e)]:
        with open(fn) as f:
            d = json.load(f)
        sides.setdefault(d["side"], {}).update(d["rows"])
        for r in d["order"]:
            if r not in order:
                order.append(r)
    names = [n for n in ("vmmd", "libvirt") if n in sides]

    def cell(rows, r):
        if r not in rows:
            return "-", None
        v = rows[r]["values"]
        m = statistics.median(v)
        unit = "" if rows[r]["unit"] == "ms" else " " + rows[r]["unit"]
        return f"{m:.2f} ({min(v):.2f}..{max(v):.2f}){unit}", m

    w = 44
    head = f"{'row (ms unless said; median (min..max))':<{w}}" + "".join(f" {n:>26}" for n in names)
    if len(names) == 2:
        head += f" {'libvirt/vmmd':>12}"
    print(head)
    print("-" * len(head))
    for r in order:
        line = f"{r:<{w}}"
        meds = []
        for n in names:
            text, m = cell(sides[n], r)
            line += f" {text:>26}"
            meds.append(m)
        if len(names) == 2:
            line += f" {meds[1] / meds[0]:>11.1f}x" if None not in meds and meds[0] > 0 else f" {'-':>12}"
        print(line)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--side", choices=["vmmd", "libvirt"], required=True)
    m.add_argument("--build")
    m.add_argument("--guest", required=True)
    m.add_argument("--tmp", required=True)
    m.add_argument("--counts", default="100")
    m.add_argument("--repeat", type=int, default=3)
    m.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")
    args = ap.parse_args()
    if args.cmd == "measure":
        args.guest = os.path.abspath(args.guest)
        args.build = args.build and os.path.abspath(args.build)
        measure(args)
    else:
        table(args.files)


if __name__ == "__main__":
    main()
