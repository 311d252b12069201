#!/bin/bash
# save-restore.sh: times vmmd's Save/DomainRestore and internal snapshot create/revert of the tiny
# test guest against bare QEMU's own outgoing and incoming migration (not part of the test suite).
#
# Usage: bench/save-restore.sh [ITERATIONS]   (default 5; VMMD_BUILD_DIR picks the build dir)
#
# One domain for every row: TCG, 1 vCPU, 128 MiB, testguest.tick=1, a 16 MiB qcow2 data disk (which
# internal snapshots need), booted until "TESTGUEST READY" and a tick or two. Rows (min and median over
# ITERATIONS, in ms; max too, as a hint of the noise):
#   vmmd Save call                 Domain.Save(file, "", 0) until it returns: the image is complete and
#                                  QEMU is gone (vmmd: stop, getfd, migrate fd:, polls query-migrate
#                                  every 50 ms); the image size is printed below the table
#   vmmd DomainRestore call        Manager.DomainRestore(file, "", 0) until it returns: the domain is
#                                  RUNNING (a new QEMU with -incoming defer, migrate-incoming fd:, cont)
#   bare QEMU migrate (exec:cat>)  QEMU started by this script with the command line vmmd logged for the
#                                  domain (monitor fd replaced by a -qmp unix socket, own serial file and
#                                  own copy of the disk); booted, max-bandwidth unlimited, stop; then
#                                  from "migrate exec:cat > FILE" until query-migrate says completed
#                                  (polled every 1 ms)
#   bare QEMU -incoming exec:cat   the same command line plus -incoming "exec:cat FILE"; from spawn until
#                                  query-migrate says completed and query-status is no longer inmigrate
#                                  (paused/postmigrate/prelaunch: the memory is in; polled every 1 ms)
#   vmmd SnapshotCreateXML         Domain.SnapshotCreateXML(<domainsnapshot><name>sN</name>..., 0) of the
#                                  running guest (internal: stop, savevm, cont) until it returns
#   vmmd Snapshot Revert           DomainSnapshot.Revert(0) to sN, from a running guest, until it
#                                  returns with the guest RUNNING (new QEMU with -loadvm sN)
#   busctl GetState (baseline)     one trivial call: what busctl itself costs in the vmmd rows
# vmmd calls go through busctl on a private bus (one process per call, like a script). Every wait is
# bounded; on exit the trap stops the bus, the daemon, vmmd's QEMUs and the bare QEMUs started here.
set -euo pipefail

ITER=${1:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
GUEST=$BUILD/tests/e2e
QEMU=${QEMU:-qemu-system-x86_64}
if [[ ! -e $GUEST/vmlinux || ! -e $GUEST/initrd.img ]]; then
	ninja -C "$BUILD" tests/e2e/vmlinux
fi
for tool in python3 qemu-img busctl "$QEMU"; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-bench.XXXXXX")
# bare QEMUs carry this in their environment, so the trap finds them even if python died first
export VMMD_BENCH_BARE=$TMP

bare_qemu_pids() {
	local p
	for p in /proc/[0-9]*; do
		[[ $(cat "$p/comm" 2>/dev/null) == qemu-system* ]] || continue
		tr '\0' '\n' 2>/dev/null < "$p/environ" | grep -qxF "VMMD_BENCH_BARE=$TMP" || continue
		echo "${p#/proc/}"
	done
}

PY_PID=
cleanup() {
	local pid
	if [[ -n $PY_PID ]]; then
		kill "$PY_PID" 2>/dev/null || true
		wait "$PY_PID" 2>/dev/null || true
	fi
	for pid in $(bare_qemu_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	private_bus_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_bus_start "$BUILD" "$TMP"

qemu-img create -q -f qcow2 "$TMP/data.qcow2" 16M
cat > "$TMP/bench.xml" <<XML
<domain type='qemu'>
  <name>bench</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinux</kernel>
    <initrd>$GUEST/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 testguest.tick=1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='file'><source path='$TMP/bench.serial'/><target port='0'/></serial>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$TMP/data.qcow2'/><target dev='vda' bus='virtio'/></disk>
  </devices>
</domain>
XML

echo "vmmd save/restore/snapshot bench: $ITER iterations, $(nproc) CPUs, $("$QEMU" --version | head -n1)"
echo "images in $TMP ($(df -PT "$TMP" | awk 'NR==2 {print $2}')); load average $(cut -d' ' -f1-3 /proc/loadavg);" \
	"other QEMUs running: $(pgrep -c qemu-system || true)"
# in the background, so that a TERM to this script is handled now, not after python is done
timeout 1800 python3 - "$ITER" "$TMP" "$QEMU" <<'PY' &
import json, os, shlex, signal, socket, statistics, subprocess, sys, time

iters, tmp, qemu = int(sys.argv[1]), sys.argv[2], sys.argv[3]
addr = os.environ["VMMD_BUS_ADDRESS"]
vroot = os.environ["VMMD_ROOT"]
serial = os.path.join(tmp, "bench.serial")
rows, sizes = {}, {}
BOOT_TIMEOUT = 120
TICK_TIMEOUT = 20
bare_pids = set()


def note(name, seconds):
    rows.setdefault(name, []).append(seconds * 1000)


def busctl(*args):
    r = subprocess.run(["busctl", f"--address={addr}", "--timeout=300", *args],
                       capture_output=True, text=True, timeout=330)
    if r.returncode:
        sys.exit(f"bench: busctl {' '.join(args[:5])}: {r.stderr.strip()}")
    return r.stdout


def call(path, iface, member, *args):
    return busctl("call", "org.vmmd.qemu1", path, f"org.vmmd.qemu1.{iface}", member, *args)


def state(path):
    out = call(path, "Domain", "GetState", "u", "0").split()   # "ii 1 1"
    return int(out[1]), int(out[2])


def count(marker, path=serial):
    try:
        with open(path, "rb") as f:
            return f.read().count(marker)
    except FileNotFoundError:
        return 0


def wait_for(cond, what, timeout=BOOT_TIMEOUT, step=0.005):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            sys.exit(f"bench: gave up waiting for {what}")
        time.sleep(step)
    return time.monotonic()


def wait_new_tick(path=serial, timeout=TICK_TIMEOUT):
    seen = count(b"TESTGUEST TICK", path)
    wait_for(lambda: count(b"TESTGUEST TICK", path) > seen, "a new tick", timeout, 0.02)


# ---------------- vmmd ----------------
with open(os.path.join(tmp, "bench.xml")) as f:
    path = call("/org/vmmd/qemu1", "Manager", "DomainDefineXML", "su", f.read(), "0").split()[1].strip('"')
call(path, "Domain", "Create", "u", "0")
wait_for(lambda: count(b"TESTGUEST READY") >= 1, "TESTGUEST READY")
wait_for(lambda: count(b"TESTGUEST TICK 2") >= 1, "TESTGUEST TICK 2")

# the command line vmmd started QEMU with: the line after the first "starting up"
with open(os.path.join(vroot, "var/log/vmmd/qemu/bench.log")) as f:
    lines = f.read().splitlines()
cmdline = lines[[i for i, l in enumerate(lines) if l.endswith(": starting up")][0] + 1]

for i in range(iters):
    t0 = time.monotonic()
    state(path)
    note("busctl GetState (baseline)", time.monotonic() - t0)

for i in range(iters):
    image = os.path.join(tmp, f"save{i}.img")
    t0 = time.monotonic()
    call(path, "Domain", "Save", "ssu", image, "", "0")
    note("vmmd Save call", time.monotonic() - t0)
    sizes.setdefault("vmmd Save image", []).append(os.stat(image).st_size)
    assert state(path)[0] == 5, state(path)          # SHUTOFF/SAVED
    t0 = time.monotonic()
    call("/org/vmmd/qemu1", "Manager", "DomainRestore", "ssu", image, "", "0")
    note("vmmd DomainRestore call", time.monotonic() - t0)
    assert state(path)[0] == 1, state(path)          # RUNNING
    wait_new_tick()                                  # the restored guest runs on
    os.unlink(image)
assert count(b"TESTGUEST READY") == 1, "a restore rebooted the guest"

for i in range(iters):
    xml = f"<domainsnapshot><name>s{i + 1}</name></domainsnapshot>"
    t0 = time.monotonic()
    snap = call(path, "Domain", "SnapshotCreateXML", "su", xml, "0").split()[1].strip('"')
    note("vmmd SnapshotCreateXML (internal)", time.monotonic() - t0)
    assert state(path)[0] == 1, state(path)
    wait_new_tick()
    t0 = time.monotonic()
    call(snap, "DomainSnapshot", "Revert", "u", "0")
    note("vmmd Snapshot Revert call", time.monotonic() - t0)
    assert state(path)[0] == 1, state(path)
    wait_new_tick()
assert count(b"TESTGUEST READY") == 1, "a revert rebooted the guest"
snap_disk = os.stat(os.path.join(tmp, "data.qcow2")).st_size
call(path, "Domain", "Destroy", "u", "0")

# ---------------- bare QEMU, with vmmd's command line ----------------
argv = shlex.split(cmdline)
bare_argv, j = [], 0
while j < len(argv):
    a = argv[j]
    nxt = argv[j + 1] if j + 1 < len(argv) else ""
    if a == "-chardev" and "id=charmonitor" in nxt or a == "-mon" and "chardev=charmonitor" in nxt:
        j += 2                                        # the monitor on fd 3: replaced by -qmp below
        continue
    if "fd=" in a and not a.startswith("-"):
        sys.exit(f"bench: vmmd's command line passes another fd, cannot copy it: {a}")
    bare_argv.append(a)
    j += 1
bare_disk = os.path.join(tmp, "bare.qcow2")
subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", bare_disk, "16M"], check=True, timeout=60)
bare_serial = os.path.join(tmp, "bare.serial")
qmp_path = os.path.join(tmp, "bare.qmp")
bare_argv = [a.replace(serial, bare_serial).replace(os.path.join(tmp, "data.qcow2"), bare_disk)
                .replace("guest=bench", "guest=bare") for a in bare_argv]
bare_argv[0] = qemu
bare_argv += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
with open(os.path.join(tmp, "bare.cmdline"), "w") as f:
    f.write(shlex.join(bare_argv) + "\n")


class Qmp:
    def __init__(self, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.settimeout(60)
                self.s.connect(qmp_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.s.close()
                if time.monotonic() > deadline:
                    sys.exit("bench: bare QEMU's QMP socket never came up")
                time.sleep(0.001)
        self.f = self.s.makefile("rwb")
        assert "QMP" in json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                sys.exit(f"bench: QMP {name}: {r['error']}")
            # events: ignore

    def close(self):
        self.s.close()


def spawn(extra=()):
    for p in (qmp_path, bare_serial):
        if os.path.exists(p):
            os.unlink(p)
    pid = subprocess.Popen([*bare_argv, *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(tmp, "bare.log"), "ab")).pid
    bare_pids.add(pid)
    return pid


def reap(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    bare_pids.discard(pid)


def writers_alive():
    """the sh -c 'cat > FILE' of an outgoing migration outlives QEMU's SIGKILL by a moment"""
    mark = f"VMMD_BENCH_BARE={tmp}".encode()
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open(f"/proc/{p}/comm").read().strip() in ("sh", "cat") and \
                    mark in open(f"/proc/{p}/environ", "rb").read().split(b"\0"):
                return True
        except OSError:
            pass
    return False


def poll_migrate(q, what, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        st = q.cmd("query-migrate").get("status", "none")
        if st == "completed":
            return time.monotonic()
        if st in ("failed", "cancelled"):
            sys.exit(f"bench: {what}: migration {st}")
        if time.monotonic() > deadline:
            sys.exit(f"bench: gave up waiting for {what}")
        time.sleep(0.001)


try:
    for i in range(iters):
        image = os.path.join(tmp, f"bare{i}.img")
        pid = spawn()
        q = Qmp(time.monotonic() + 60)
        q.cmd("cont")
        wait_for(lambda: count(b"TESTGUEST TICK 2", bare_serial) >= 1, "TICK 2 from bare QEMU")
        q.cmd("migrate-set-parameters", **{"max-bandwidth": 9223372036853727232})
        q.cmd("stop")
        t0 = time.monotonic()
        q.cmd("migrate", uri=f"exec:cat > {shlex.quote(image)}")
        t1 = poll_migrate(q, "bare QEMU's outgoing migration")
        note("bare QEMU migrate (exec:cat >)", t1 - t0)
        q.close()
        reap(pid)                # closes the pipe: cat writes what is left and exits
        wait_for(lambda: not writers_alive(), "cat to finish the image", 30, 0.01)
        sizes.setdefault("bare QEMU migration stream", []).append(os.stat(image).st_size)

        t0 = time.monotonic()
        pid = spawn(["-incoming", f"exec:cat {shlex.quote(image)}"])
        q = Qmp(t0 + 60)
        deadline = t0 + 300
        while True:
            mig = q.cmd("query-migrate").get("status", "none")
            run = q.cmd("query-status")["status"]
            if mig == "completed" and run != "inmigrate":
                break
            if mig in ("failed", "cancelled"):
                sys.exit(f"bench: bare incoming migration {mig}")
            if time.monotonic() > deadline:
                sys.exit("bench: gave up waiting for bare incoming migration")
            time.sleep(0.001)
        note("bare QEMU -incoming exec:cat", time.monotonic() - t0)
        if i == 0:
            print(f"(bare incoming ended in state '{run}')")
        # the memory really is in: the guest ticks on without booting again
        q.cmd("cont")
        wait_new_tick(bare_serial)
        assert count(b"TESTGUEST READY", bare_serial) == 0, "the bare incoming QEMU booted afresh"
        q.close()
        reap(pid)
        os.unlink(image)
finally:
    for pid in list(bare_pids):
        reap(pid)

order = ["vmmd Save call", "bare QEMU migrate (exec:cat >)", "vmmd DomainRestore call",
         "bare QEMU -incoming exec:cat", "vmmd SnapshotCreateXML (internal)", "vmmd Snapshot Revert call",
         "busctl GetState (baseline)"]
print(f"\n{'what':<34} {'n':>3} {'min ms':>9} {'median ms':>10} {'max ms':>9}")
print("-" * 69)
for name in order:
    v = rows[name]
    print(f"{name:<34} {len(v):>3} {min(v):>9.1f} {statistics.median(v):>10.1f} {max(v):>9.1f}")
print()
for name, v in sizes.items():
    print(f"{name + ' size':<34} {statistics.median(v) / 2**20:>8.1f} MiB (median; min {min(v) / 2**20:.1f}, max {max(v) / 2**20:.1f})")
print(f"{'data.qcow2 with ' + str(iters) + ' internal snapshots':<34} {snap_disk / 2**20:>8.1f} MiB")
print("\nbare QEMU command line (from vmmd's log, monitor fd -> -qmp):\n" + shlex.join(bare_argv))
PY
PY_PID=$!
wait "$PY_PID"
PY_PID=
