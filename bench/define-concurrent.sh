#!/bin/bash
# define-concurrent.sh: defines per second from several clients at once (group commit of the definition files), on a private bus.
#
# Usage: bench/define-concurrent.sh [PER_CLIENT] [CLIENTS]   (default 250 and 8; VMMD_BUILD_DIR picks the build dir)
# Each client is its own process and connection making blocking DomainDefineXML calls one
# after another; the figure is all defines over the wall time from the first to the last.
# A run with one client is printed beside it, then the same counts of undefines clean up.
set -euo pipefail

PER_CLIENT=${1:-250}
CLIENTS=${2:-8}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
source "$ROOT/demo/private-bus.sh"
PY=/usr/bin/python3   # the distribution's python: python3-dbus lives there

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-bench.XXXXXX")
trap 'private_bus_stop; rm -rf "$TMP"' EXIT
private_bus_start "$BUILD" "$TMP"

"$PY" - "$PER_CLIENT" "$CLIENTS" <<'PY'
import multiprocessing as mp, os, sys, time
import dbus

ADDR = os.environ["VMMD_BUS_ADDRESS"]
per, clients = int(sys.argv[1]), int(sys.argv[2])

def manager():
    bus = dbus.bus.BusConnection(ADDR)
    obj = bus.get_object("org.vmmd.qemu1", "/org/vmmd/qemu1", introspect=False)
    return dbus.Interface(obj, "org.vmmd.qemu1.Manager")

def xml(tag, c, i):
    return (f"<domain type='qemu'><name>{tag}-{c}-{i}</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64'>hvm</type></os></domain>")

def client(tag, c, barrier, q):
    m = manager()
    docs = [xml(tag, c, i) for i in range(per)]
    barrier.wait()
    t0 = time.monotonic()
    for d in docs:
        m.DomainDefineXML(d, dbus.UInt32(0))
    q.put((t0, time.monotonic()))

def run(tag, n):
    barrier, q = mp.Barrier(n), mp.Queue()
    procs = [mp.Process(target=client, args=(tag, c, barrier, q)) for c in range(n)]
    for p in procs:
        p.start()
    spans = [q.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            sys.exit(f"a client failed ({p.exitcode})")
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    total = per * n
    print(f"{n} client(s) x {per} defines: {total / wall:8.0f} defines/s  ({1000 * wall / total:.3f} ms/define of wall time)")

manager().ListDomains(dbus.UInt32(0))   # activates the daemon outside the timings
run("one", 1)
run("many", clients)
PY
