#!/bin/bash
# demo.sh: a guided tour of vmmd on a private D-Bus — define a domain, list it, show its XML and its file, undefine it.
#
# Nothing touches the host's buses or /etc: the bus is a private dbus-daemon in a temp
# dir, and VMMD_ROOT relocates every path the activated vmmd-qemu uses under that dir.
# Needs a build (meson setup build && meson compile -C build); VMMD_BUILD_DIR picks
# another build dir. scripts/demo.sh installs dependencies and builds first.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" 2>/dev/null && pwd) || {
	echo "demo: no build directory ${VMMD_BUILD_DIR:-$ROOT/build}; run: meson setup build && meson compile -C build" >&2
	exit 1
}
VMMCTL=$BUILD/tools/vmmctl/vmmctl
for f in "$VMMCTL" "$BUILD/daemons/vmmd-qemu/vmmd-qemu"; do
	[[ -e $f ]] || { echo "demo: $f is missing; build first: meson compile -C $BUILD" >&2; exit 1; }
done
# shellcheck source=demo/private-bus.sh
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-demo.XXXXXX")
EVENT_PID=
cleanup() {
	local rc=$?
	[[ -n $EVENT_PID ]] && kill "$EVENT_PID" 2>/dev/null
	private_bus_stop
	if (( rc != 0 )) && [[ -s $TMP/bus.log ]]; then
		echo "--- bus and daemon log ($TMP/bus.log) ---" >&2
		cat "$TMP/bus.log" >&2
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -t 1 ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD= PLAIN=; fi
step() { printf '\n%s=== %s ===%s\n' "$BOLD" "$*" "$PLAIN"; }
run() { printf '$ %s\n' "$*"; "$@"; }
vmmctl() { "$VMMCTL" "$@"; }

step "Start a private D-Bus with vmmd's activation files"
private_bus_start "$BUILD" "$TMP"
echo "bus:  $VMMD_BUS_ADDRESS (vmmctl reads VMMD_BUS_ADDRESS)"
echo "root: $VMMD_ROOT (vmmd-qemu reads VMMD_ROOT)"

cat > "$TMP/demo.xml" <<XML
<domain type='qemu'>
  <name>demo</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$TMP/guest/vmlinuz</kernel>
    <initrd>$TMP/guest/initrd.img</initrd>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <devices>
    <serial type='pty'/>
  </devices>
</domain>
XML

# Watch the lifecycle signals the daemon emits while the steps run; shown at the end.
"$VMMCTL" event --loop --timeout 120 >"$TMP/events.txt" 2>&1 &
EVENT_PID=$!
sleep 0.3   # let it subscribe before the first define

step "1. Define a tiny domain (the bus starts vmmd-qemu on the first call)"
run cat "$TMP/demo.xml"
run vmmctl define "$TMP/demo.xml"

step "2. List all domains"
run vmmctl list --all

step "3. Show what vmmd made of it (defaults filled in)"
run vmmctl dumpxml demo
run vmmctl dominfo demo

step "4. The persistent definition on disk"
run ls -l "$VMMD_ROOT/etc/vmmd/qemu/"
run cat "$VMMD_ROOT/etc/vmmd/qemu/demo.xml"

step "5. Undefine it"
run vmmctl undefine demo

step "6. List all domains again"
run vmmctl list --all
run ls -l "$VMMD_ROOT/etc/vmmd/qemu/"

step "7. The DomainEvent signals seen meanwhile (vmmctl event --loop)"
sleep 0.3
kill "$EVENT_PID" 2>/dev/null || true
wait "$EVENT_PID" 2>/dev/null || true
EVENT_PID=
cat "$TMP/events.txt"

step "Done"
echo "The private bus, the daemon and $TMP are cleaned up on exit."
