#!/bin/bash
# storage.sh: storage pool start/refresh, volume list/info and volume create/delete at N qcow2 volumes, vmmd-storage beside libvirt (not part of the test suite).
#
# Usage: bench/storage.sh [--compare-rows] [--long] [VOLUMES] [REPEAT]
#   short mode (default, what CI may run): 100 volumes, 3 runs; --long: 1000 volumes, 11 runs.
#   --compare-rows: one JSON line per row and side for bench/compare.py (see bench/README.md).
#   VMMD_BUILD_DIR picks the build dir; VMMD_BENCH_NO_LIBVIRT=1 skips libvirt.
# Both daemons get the same calls from the same client (build/bench/storage-client, sd-bus):
# vmmd-storage on a private bus, and libvirtd through libvirt-dbus on its own private bus in a
# private mount and network namespace (tmpfs over libvirt's state; needs root), over a pool
# directory of VOLUMES qcow2 files (each 1 GiB virtual, one made by qemu-img, the rest copies).
# Prints a table (median, min, max in ms, and libvirt/vmmd), then one machine-readable line per
# row for bench/compare.sh:
#   ROW <name> <vmmd_median_ms> <libvirt_median_ms|-> <min> <max>     (min and max: vmmd's)
#
# Figures (2026-12-07, 1000 volumes, on this loaded 2-core machine): see bench/README.md,
# section "Storage". Both daemons' runtime directories are on tmpfs here, as /run is on a real
# system. Before the daemon read headers itself (a qemu-img info per file) a start took 5.8 s and
# a refresh 5.1 s. vmmd announces a started pool's volumes (InterfacesAdded, spec §1.1) after
# its reply: "pool start, objects announced" is the start with those delivered. Both creates
# run the same qemu-img command.
set -euo pipefail

LONG=0
COMPARE=0
if [[ ${1:-} == --compare-rows ]]; then
	# bench/compare.py's hook: both sides' rows as JSON lines (libvirt's when it can run here and
	# VMMD_BENCH_NO_LIBVIRT is not 1)
	COMPARE=1
	shift
fi
if [[ ${1:-} == --long ]]; then
	LONG=1
	shift
fi
VOLUMES=${1:-$([[ $LONG == 1 ]] && echo 1000 || echo 100)}
REPEAT=${2:-$([[ $LONG == 1 ]] && echo 11 || echo 3)}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
CLIENT=$BUILD/bench/storage-client

# --- libvirt, inside its namespace: prints the client's ROW lines ---
if [[ ${1:-} == --inside-libvirt ]]; then
	POOL=$2
	REPEAT=$3
	TMP=$(mktemp -d /tmp/vmmd-bench-libvirt.XXXXXX)
	source "$ROOT/bench/libvirt-private.sh"
	libvirt_private_prepare "$TMP"
	cat > "$TMP/bus.conf" <<-CONF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=$TMP/bus</listen>
	  <policy context="default"><allow user="*"/><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
	</busconfig>
	CONF
	dbus-daemon --config-file="$TMP/bus.conf" --nofork --nopidfile >/dev/null 2>&1 &
	BUS=$!
	libvirtd --pid-file "$TMP/libvirtd.pid" >/dev/null 2>"$TMP/libvirtd.log" &
	LIBVIRTD=$!
	trap 'kill $DBUSLV $LIBVIRTD $BUS 2>/dev/null; wait 2>/dev/null; libvirt_private_cleanup; rm -rf "$TMP"' EXIT
	for _ in $(seq 100); do [[ -S /run/libvirt/libvirt-sock && -S $TMP/bus ]] && break; sleep 0.1; done
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TMP/bus libvirt-dbus --system >/dev/null 2>&1 &
	DBUSLV=$!
	for _ in $(seq 100); do
		[[ $(busctl --address="unix:path=$TMP/bus" call org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus NameHasOwner s org.libvirt 2>/dev/null) == "b true" ]] && break
		sleep 0.1
	done
	"$CLIENT" "unix:path=$TMP/bus" libvirt "$POOL" "$REPEAT"
	exit 0
fi

[[ -x $CLIENT ]] || { echo "build first: meson compile -C $BUILD" >&2; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img is not installed" >&2; exit 1; }
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-bench-storage.XXXXXX")
RUN_TMPFS=
trap 'private_bus_stop; [[ -z $RUN_TMPFS ]] || umount "$RUN_TMPFS"; rm -rf "$TMP"' EXIT

# the pool directory: VOLUMES qcow2 images (copies of one), in a fresh directory per daemon
make_pool() {
	local dir=$1
	mkdir -p "$dir"
	qemu-img create -q -f qcow2 "$dir/vol0.qcow2" 1G
	for i in $(seq 1 $((VOLUMES - 1))); do cp "$dir/vol0.qcow2" "$dir/vol$i.qcow2"; done
}

make_pool "$TMP/pool-vmmd"
# The daemon's runtime directory on tmpfs, as /run is on a real system (and libvirt's is in its
# namespace below): a pool start writes its state file there, with fsyncs that cost nothing on
# tmpfs but milliseconds on this disk. Without root it stays on the disk (and says so).
mkdir -p "$TMP/root/run"
if [[ $(id -u) == 0 ]] && mount -t tmpfs -o mode=0755 tmpfs "$TMP/root/run"; then
	RUN_TMPFS=$TMP/root/run
else
	echo "vmmd: runtime directory on disk, not tmpfs (needs root): pool start pays its fsyncs" >&2
fi
private_bus_start "$BUILD" "$TMP"
"$CLIENT" "$VMMD_BUS_ADDRESS" vmmd "$TMP/pool-vmmd" "$REPEAT" > "$TMP/vmmd.rows"

: > "$TMP/libvirt.rows"
if [[ ${VMMD_BENCH_NO_LIBVIRT:-0} == 1 ]]; then
	echo "libvirt: skipped (VMMD_BENCH_NO_LIBVIRT=1)" >&2
elif ! command -v libvirtd >/dev/null || ! command -v libvirt-dbus >/dev/null; then
	echo "libvirt: skipped (libvirtd and libvirt-dbus are not installed)" >&2
elif [[ $(id -u) != 0 ]]; then
	echo "libvirt: skipped (its private namespace needs root)" >&2
else
	make_pool "$TMP/pool-libvirt"
	unshare -m -n --propagation private "$0" --inside-libvirt "$TMP/pool-libvirt" "$REPEAT" \
		> "$TMP/libvirt.rows" || echo "libvirt: the run failed" >&2
fi

python3 - "$VOLUMES" "$REPEAT" "$TMP/vmmd.rows" "$TMP/libvirt.rows" "$COMPARE" <<'PY'
import json, sys
volumes, repeat, vmmd_file, libvirt_file, compare = sys.argv[1:6]

def rows(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 5 and f[0] == "ROW":
            out[f[1]] = [float(x) for x in f[2:]]
    return out

vmmd, libvirt = rows(vmmd_file), rows(libvirt_file)
labels = {
    "pool-start": f"pool start ({volumes} qcow2)",
    "pool-start-announced": f"pool start, objects announced",
    "pool-refresh": f"pool refresh ({volumes} qcow2)",
    "volume-list": f"volume list ({volumes})",
    "managed-objects": f"GetManagedObjects ({volumes} vols)",
    "volume-info": "volume info (one)",
    "volume-create": "volume create (qcow2 1 GiB)",
    "volume-delete": "volume delete",
}
if compare == "1":
    # the client keeps only median, min and max: those three stand for the runs
    for name, label in labels.items():
        for side, got in (("vmmd", vmmd), ("libvirt", libvirt)):
            if name in got:
                m = got[name]
                print(json.dumps({"row": "storage: " + label, "side": side, "values": [m[1], m[0], m[2]], "unit": "ms"}))
    sys.exit(0)
print(f"storage, {volumes} volumes, {repeat} runs; ms (median, min-max)")
print(f"{'row':32} {'vmmd':>22} {'libvirt':>22} {'libvirt/vmmd':>13}")
for name, label in labels.items():
    if name not in vmmd:
        continue
    m = vmmd[name]
    l = libvirt.get(name)
    lcol = f"{l[0]:8.3f} ({l[1]:.2f}-{l[2]:.2f})" if l else "-"
    ratio = f"{l[0] / m[0]:.1f}x" if l and m[0] > 0 else "-"
    print(f"{label:32} {m[0]:8.3f} ({m[1]:.2f}-{m[2]:.2f}) {lcol:>22} {ratio:>13}")
for name in labels:
    if name in vmmd:
        m = vmmd[name]
        l = libvirt.get(name)
        print(f"ROW storage-{name} {m[0]:.3f} {f'{l[0]:.3f}' if l else '-'} {m[1]:.3f} {m[2]:.3f}")
PY
