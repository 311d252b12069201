#!/bin/bash
# lifecycle.sh: times bare QEMU start-up against vmmd's Create/Destroy/Shutdown/Reboot of the tiny test guest, then the define/list bench (not part of the test suite).
#
# Usage: bench/lifecycle.sh [ITERATIONS] [DEFINE_COUNT]   (defaults 5 and 200; VMMD_BUILD_DIR picks the build dir)
#
# Rows (min and median over ITERATIONS, in ms; TCG, 1 vCPU, 128 MiB, same kernel/initrd):
#   bare QEMU start → QMP greeting   qemu-system-x86_64 -S with vmmd's kind of command line and
#                                    a listening monitor socket passed as fd 3 (as vmmd does);
#                                    spawn until the greeting line has been read
#   bare QEMU start → READY          the same, then qmp_capabilities + cont; until the guest
#                                    printed "TESTGUEST READY" on its serial file
#   vmmd Create call                 Domain.Create(0) until it returns (the domain is RUNNING)
#   vmmd Create → READY              Create called until "TESTGUEST READY" in the serial file
#   vmmd Destroy call                Domain.Destroy(0) of a booted guest until it returns
#   vmmd Shutdown → SHUTOFF          Shutdown(0) called until State is shut off (polled)
#   vmmd Reboot → READY again        Reboot(0) called until the second READY (fake reboot)
#   busctl GetState (baseline)       one trivial call: what busctl itself costs in each row
# vmmd calls go through busctl on a private bus (one process per call, like a script).
set -euo pipefail

ITER=${1:-5}
DEFINE_COUNT=${2:-200}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
GUEST=$BUILD/tests/e2e
QEMU=${QEMU:-qemu-system-x86_64}
if [[ ! -e $GUEST/vmlinux || ! -e $GUEST/initrd.img ]]; then
	ninja -C "$BUILD" tests/e2e/vmlinux
fi
command -v python3 >/dev/null || { echo "bench: needs python3" >&2; exit 1; }
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-bench.XXXXXX")
trap 'private_bus_stop; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
private_bus_start "$BUILD" "$TMP"

cat > "$TMP/bench.xml" <<XML
<domain type='qemu'>
  <name>bench</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinux</kernel>
    <initrd>$GUEST/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='file'><source path='$TMP/bench.serial'/><target port='0'/></serial>
  </devices>
</domain>
XML
"$BUILD/tools/vmmctl/vmmctl" define "$TMP/bench.xml" >/dev/null

echo "vmmd lifecycle bench: $ITER iterations, $(nproc) CPUs, $("$QEMU" --version | head -n1)"
python3 - "$ITER" "$TMP" "$GUEST" "$QEMU" <<'PY'
import json, os, socket, statistics, subprocess, sys, time

iters, tmp, guest, qemu = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
addr = os.environ["VMMD_BUS_ADDRESS"]
serial = os.path.join(tmp, "bench.serial")
rows = {}
BOOT_TIMEOUT = 120


def note(name, seconds):
    rows.setdefault(name, []).append(seconds * 1000)


def busctl(*args):
    return subprocess.run(["busctl", f"--address={addr}", "--timeout=120", *args],
                          check=True, capture_output=True, text=True).stdout


def domain_call(path, member, *args):
    return busctl("call", "org.vmmd.qemu1", path, "org.vmmd.qemu1.Domain", member, *args)


def state(path):
    out = domain_call(path, "GetState", "u", "0").split()   # "ii 5 1"
    return int(out[1]), int(out[2])


def ready_count(path=serial):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"TESTGUEST READY")
    except FileNotFoundError:
        return 0


def wait_for(cond, what, timeout=BOOT_TIMEOUT, step=0.005):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            sys.exit(f"bench: gave up waiting for {what}")
        time.sleep(step)
    return time.monotonic()


# --- bare QEMU, with the kind of command line vmmd builds (see the domain's log) ---
def bare_qemu(boot):
    bserial = os.path.join(tmp, "bare.serial")
    if os.path.exists(bserial):
        os.unlink(bserial)
    sock_path = os.path.join(tmp, "bare.qmp")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(sock_path)
    lsock.listen(1)
    argv = [qemu, "-name", "guest=bare", "-S", "-no-user-config", "-nodefaults", "-no-shutdown",
            "-machine", "pc,usb=off,dump-guest-core=off", "-accel", "tcg", "-m", "size=131072k",
            "-smp", "1", "-kernel", f"{guest}/vmlinux", "-initrd", f"{guest}/initrd.img",
            "-append", "console=ttyS0 quiet panic=-1", "-rtc", "base=utc",
            "-chardev", "socket,id=charmonitor,fd=3,server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control", "-display", "none",
            "-chardev", f"file,id=charserial0,path={bserial},append=on",
            "-device", "isa-serial,chardev=charserial0,id=serial0,index=0",
            "-device", "virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x2"]
    # the monitor socket as fd 3 of QEMU; every other fd of ours is close-on-exec
    lfd = lsock.fileno()
    if lfd == 3:
        os.set_inheritable(3, True)
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    if lfd != 3:
        actions.append((os.POSIX_SPAWN_DUP2, lfd, 3))
    t0 = time.monotonic()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sock_path)
        f = c.makefile("rwb")
        greeting = json.loads(f.readline())
        assert "QMP" in greeting, greeting
        note("bare QEMU start -> QMP greeting", time.monotonic() - t0)
        if boot:
            for cmd in ("qmp_capabilities", "cont"):
                f.write(json.dumps({"execute": cmd}).encode() + b"\n")
                f.flush()
                while "return" not in json.loads(f.readline()):
                    pass
            t1 = wait_for(lambda: ready_count(bserial) >= 1, "READY from bare QEMU")
            note("bare QEMU start -> READY", t1 - t0)
        c.close()
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        lsock.close()


for i in range(iters):
    bare_qemu(boot=True)

# --- vmmd ---
path = busctl("call", "org.vmmd.qemu1", "/org/vmmd/qemu1", "org.vmmd.qemu1.Manager",
              "DomainLookupByName", "s", "bench").split()[1].strip('"')


def boot():
    if os.path.exists(serial):
        os.unlink(serial)
    t0 = time.monotonic()
    domain_call(path, "Create", "u", "0")
    note("vmmd Create call (-> RUNNING)", time.monotonic() - t0)
    assert state(path)[0] == 1, state(path)
    t1 = wait_for(lambda: ready_count() >= 1, "TESTGUEST READY")
    note("vmmd Create -> READY", t1 - t0)


for i in range(iters):
    t0 = time.monotonic()
    state(path)
    note("busctl GetState (baseline)", time.monotonic() - t0)

    boot()
    t0 = time.monotonic()
    domain_call(path, "Destroy", "u", "0")
    note("vmmd Destroy call", time.monotonic() - t0)

    boot()
    t0 = time.monotonic()
    domain_call(path, "Reboot", "u", "0")
    t1 = wait_for(lambda: ready_count() >= 2, "the second READY")
    note("vmmd Reboot -> READY again", t1 - t0)

    t0 = time.monotonic()
    domain_call(path, "Shutdown", "u", "0")
    t1 = wait_for(lambda: state(path)[0] == 5, "SHUTOFF", step=0)
    note("vmmd Shutdown -> SHUTOFF", t1 - t0)

order = ["bare QEMU start -> QMP greeting", "bare QEMU start -> READY", "vmmd Create call (-> RUNNING)",
         "vmmd Create -> READY", "vmmd Destroy call", "vmmd Shutdown -> SHUTOFF",
         "vmmd Reboot -> READY again", "busctl GetState (baseline)"]
print(f"\n{'what':<34} {'n':>3} {'min ms':>9} {'median ms':>10}")
print("-" * 59)
for name in order:
    v = rows[name]
    print(f"{name:<34} {len(v):>3} {min(v):>9.1f} {statistics.median(v):>10.1f}")
PY

echo
echo "define/list bench ($DEFINE_COUNT domains, bench/define-list.sh):"
VMMD_BUILD_DIR=$BUILD "$ROOT/bench/define-list.sh" "$DEFINE_COUNT"
