#!/bin/bash
# compare.sh: one command for the issue-17 figures — the same rows for vmmd and, when it is installed, for Debian's libvirtd + libvirt-dbus in a private mount namespace, as one table (not part of the test suite; it never judges times).
#
# Usage: bench/compare.sh [--smoke | --long] [--vmmd-only]
#   default (short):                  100 domains for the list rows, 3 runs per row
#   --smoke (the meson test bench-compare, in CI): 10 domains, 1 run per row — every row runs, no figure means anything
#   --long (or VMMD_BENCH_LONG=1):    1000 and 10000 domains, 7 runs per row
#   VMMD_BENCH_COUNTS=100,1000 and VMMD_BENCH_REPEAT=N override either mode
# Both sides are driven by bench/compare.py with the same dbus-python client, the same guest
# (the e2e test guest, TCG, 128 MiB) and the same domain XML. libvirt runs as root inside
# `unshare -m -n` with tmpfs over its state directories and a copy of /etc/libvirt whose qemu.conf
# logs to files and runs QEMU as root: the host's libvirt is never touched. As root, vmmd runs in
# a mount namespace of its own too, with tmpfs over its run and state directories (under
# VMMD_ROOT), so both sides keep definitions on disk and runtime state in memory, as on a host.
# libvirt's "list with state" is GetAllDomainStats(STATE); vmmd's is ObjectManager.GetManagedObjects.
# Storage rows: when bench/storage.sh exists and is executable, compare.py runs
# `bench/storage.sh --compare-rows COUNT REPEAT` (both sides' rows; libvirt's in its own namespace,
# unless --vmmd-only) and takes the JSON lines it prints,
# {"row": ..., "side": "vmmd"|"libvirt", "values": [ms, ...], "unit": "ms"}, into the table.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3   # the distribution's python: python3-dbus and python3-libvirt live there

if [[ ${1:-} == --libvirt-inside ]]; then
	# inside the private namespace: libvirt's directories are ours alone
	shift
	TMP=$1
	shift
	for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
		mkdir -p "$d"
		mount -t tmpfs tmpfs "$d"
	done
	cp -a /etc/libvirt "$TMP/etc"
	rm -rf "$TMP/etc/qemu/autostart" "$TMP/etc/qemu/"*.xml "$TMP/etc/qemu/networks/autostart" 2>/dev/null || true
	cat >> "$TMP/etc/qemu.conf" <<CONF
stdio_handler = "file"
user = "root"
group = "root"
CONF
	mount --bind "$TMP/etc" /etc/libvirt
	ip link set lo up
	exec "$PY" "$ROOT/bench/compare.py" measure --side libvirt --tmp "$TMP" "$@"
fi

if [[ ${1:-} == --vmmd-inside ]]; then
	# inside vmmd's own mount namespace: its run and state directories on tmpfs, as libvirt's are
	# above and as /run is on a host (its config directory stays on disk, as libvirt's copy does)
	shift
	TMP=$1
	shift
	for d in "$TMP/vmmd-root/run" "$TMP/vmmd-root/var/lib"; do
		mkdir -p "$d"
		mount -t tmpfs tmpfs "$d"
	done
	exec "$PY" "$ROOT/bench/compare.py" measure --side vmmd --tmp "$TMP" "$@"
fi

LONG=${VMMD_BENCH_LONG:-0}
SMOKE=0
VMMD_ONLY=0
for arg in "$@"; do
	case $arg in
	--long) LONG=1 ;;
	--smoke) SMOKE=1 ;;
	--vmmd-only) VMMD_ONLY=1 ;;
	*) echo "usage: bench/compare.sh [--smoke | --long] [--vmmd-only]" >&2; exit 2 ;;
	esac
done
if (( SMOKE )); then
	COUNTS=10
	REPEAT=1
elif (( LONG )); then
	COUNTS=${VMMD_BENCH_COUNTS:-1000,10000}
	REPEAT=${VMMD_BENCH_REPEAT:-7}
else
	COUNTS=${VMMD_BENCH_COUNTS:-100}
	REPEAT=${VMMD_BENCH_REPEAT:-3}
fi

BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
GUEST=$BUILD/tests/e2e
"$PY" -c 'import dbus' 2>/dev/null || { echo "compare: needs python3-dbus (scripts/deps.sh)" >&2; exit 1; }
[[ -e $GUEST/vmlinux && -e $GUEST/initrd.img ]] || ninja -C "$BUILD" tests/e2e/vmlinux

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-compare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
common=(--guest "$GUEST" --counts "$COUNTS" --repeat "$REPEAT")

echo "compare: $(nproc) CPUs, $(qemu-system-x86_64 --version | head -n1), counts $COUNTS, $REPEAT runs per row"
mkdir -p "$TMP/vmmd"
# storage.sh (compare.py's storage part) runs libvirt's storage rows too, unless only vmmd is asked for
(( VMMD_ONLY )) && export VMMD_BENCH_NO_LIBVIRT=1
if (( EUID == 0 )); then
	unshare -m --propagation private "$0" --vmmd-inside "$TMP/vmmd" --build "$BUILD" "${common[@]}" \
		--out "$TMP/vmmd.json"
else
	echo "compare: not root: vmmd's run and state directories stay on disk (libvirt's are on tmpfs)"
	"$PY" "$ROOT/bench/compare.py" measure --side vmmd --build "$BUILD" --tmp "$TMP/vmmd" "${common[@]}" \
		--out "$TMP/vmmd.json"
fi
files=("$TMP/vmmd.json")

if (( VMMD_ONLY )); then
	:
elif ! command -v libvirtd >/dev/null || ! command -v libvirt-dbus >/dev/null; then
	echo "compare: libvirtd or libvirt-dbus is not installed; vmmd's column only" \
		"(apt-get install libvirt-daemon-driver-qemu libvirt-dbus)"
elif (( EUID != 0 )); then
	echo "compare: libvirt's column needs root (a private mount namespace); vmmd's column only"
else
	mkdir -p "$TMP/libvirt"
	unshare -m -n --propagation private "$0" --libvirt-inside "$TMP/libvirt" "${common[@]}" \
		--out "$TMP/libvirt.json"
	files+=("$TMP/libvirt.json")
fi
echo
"$PY" "$ROOT/bench/compare.py" table "${files[@]}"
