# interop_env.py: a private dbus-daemon activating the build's daemons, vmmd-dispatch listening under a test root, and cleanup of everything they started.
import ctypes
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("VMMD_BUILD_ROOT", "")
SERVICES = os.path.join(BUILD, "busconfig", "services")
DISPATCH = os.path.join(BUILD, "daemons", "vmmd-dispatch", "vmmd-dispatch")
GUEST_DIR = os.environ.get("VMMD_TEST_GUEST_DIR", os.path.join(BUILD, "tests", "e2e"))


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def wait_until(cond, timeout, what):
    """Bounded wait on a condition (polled on a short interval; never a fixed sleep)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def pidfd_wait(pid, timeout):
    """Waits for pid to exit with a pidfd (PID 1 here reaps late: /proc would lie)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


class Env:
    """One test's world: bus, daemons (activated), dispatcher, test root."""

    def __init__(self, need_guest=False, need=("virsh",), listen=True):
        if not os.path.exists(DISPATCH):
            skip("vmmd-dispatch is not built")
        for tool in need:
            if not shutil.which(tool):
                skip("%s is not installed (scripts/deps.sh installs it)" % tool)
        if need_guest and not os.path.exists(os.path.join(GUEST_DIR, "vmlinux")):
            skip("the test guest is not built (ninja -C build tests/e2e/vmlinux)")
        self.dir = tempfile.mkdtemp(prefix="vmmd-interop-")
        self.root = os.path.join(self.dir, "root")
        self.bus_path = os.path.join(self.dir, "bus")
        self.address = "unix:path=" + self.bus_path
        self.procs = []
        with open(os.path.join(self.dir, "bus.conf"), "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <servicedir>%s</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""" % (self.bus_path, SERVICES))
        self.env = dict(os.environ)
        self.env["VMMD_ROOT"] = self.root
        self.env["VMMD_BUS_ADDRESS"] = self.address
        self.env.pop("LIBVIRT_DEFAULT_URI", None)
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file=" + os.path.join(self.dir, "bus.conf"),
                                     "--nofork", "--nopidfile"], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "bus.log"), "w"))
        wait_until(lambda: os.path.exists(self.bus_path), 10, "the bus socket")
        self.sock = os.path.join(self.root, "run", "vmmd", "libvirt-sock")
        self.sock_ro = self.sock + "-ro"
        self.uri = "qemu+unix:///system?socket=" + self.sock
        self.uri_ro = "qemu+unix:///system?socket=" + self.sock_ro
        self.dispatch_log = os.path.join(self.dir, "dispatch.log")
        self.dispatch = None
        if not listen:
            return
        self.dispatch = subprocess.Popen([DISPATCH, "--listen", "--address", self.address, "--root", self.root,
                                          "--timeout", "0", "-v"], env=self.env,
                                         stdout=subprocess.DEVNULL, stderr=open(self.dispatch_log, "w"))
        wait_until(lambda: os.path.exists(self.sock_ro), 10, "the dispatcher's sockets")

    # ---- clients ----
    def virsh(self, *args, ro=False, check=True, timeout=120):
        p = subprocess.run(["virsh", "-c", self.uri_ro if ro else self.uri] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("virsh %s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def guest_xml(self, name, disk=None, extra_cmdline=""):
        disk_xml = ""
        if disk:
            disk_xml = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                        "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % disk)
        return """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%s/vmlinux</kernel>
    <initrd>%s/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 %s</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    %s
    <serial type='file'><source path='%s'/><target port='0'/></serial>
  </devices>
</domain>
""" % (name, GUEST_DIR, GUEST_DIR, extra_cmdline, disk_xml, self.serial(name))

    def serial(self, name):
        return os.path.join(self.dir, name + ".serial")

    def serial_count(self, name, marker):
        try:
            with open(self.serial(name), errors="replace") as f:
                return sum(1 for line in f if marker in line)
        except FileNotFoundError:
            return 0

    def wait_serial(self, name, marker, count=1, timeout=120):
        wait_until(lambda: self.serial_count(name, marker) >= count, timeout,
                   "%r x%d on %s's serial console" % (marker, count, name))

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def qemu_pids(self):
        """QEMUs started under this test root (they inherit VMMD_ROOT from the daemon)."""
        pids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % p) as f:
                    if not f.read().startswith("qemu-system"):
                        continue
                with open("/proc/%s/environ" % p, "rb") as f:
                    if ("VMMD_ROOT=" + self.root).encode() not in f.read().split(b"\0"):
                        continue
                pids.append(int(p))
            except OSError:
                pass
        return pids

    def daemon_pid(self, name):
        p = subprocess.run(["busctl", "--address=" + self.address, "call", "org.freedesktop.DBus",
                            "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixProcessID", "s", name],
                           capture_output=True, text=True)
        try:
            return int(p.stdout.split()[1]) if p.returncode == 0 else 0
        except (IndexError, ValueError):
            return 0

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, env=kw.pop("env", self.env), **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        daemons = [self.daemon_pid(n) for n in ("org.vmmd.qemu1", "org.vmmd.storage1", "org.vmmd.network1",
                                                "org.vmmd.secret1")]
        for pid in self.qemu_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.dispatch and self.dispatch.poll() is None:
            self.dispatch.terminate()
            try:
                self.dispatch.wait(10)
            except subprocess.TimeoutExpired:
                self.dispatch.kill()
                self.dispatch.wait()
        self.bus.terminate()
        self.bus.wait()
        for pid in daemons:
            if pid and not pidfd_wait(pid, 5):
                os.kill(pid, signal.SIGKILL)
        if os.environ.get("VMMD_KEEP_TEST_DIR"):
            print("kept " + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            for log in (self.dispatch_log,):
                try:
                    with open(log) as f:
                        sys.stderr.write("---- %s (tail) ----\n%s\n" % (log, "".join(f.readlines()[-30:])))
                except OSError:
                    pass
        self.close()
        return False


def raw_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s
