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
SERVICES=$BUILD/busconfig/services
for f in "$VMMCTL" "$BUILD/daemons/vmmd-qemu/vmmd-qemu" "$SERVICES/org.vmmd.qemu1.service"; do
	[[ -e $f ]] || { echo "demo: $f is missing; build first: meson compile -C $BUILD" >&2; exit 1; }
done
command -v dbus-daemon >/dev/null || { echo "demo: dbus-daemon is not installed (apt-get install dbus-daemon)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-demo.XXXXXX")
BUS_PID=
cleanup() {
	local rc=$? daemon_pid=
	if [[ -n $BUS_PID ]]; then
		# The daemon the bus activated is ours too; find it before its bus goes away.
		daemon_pid=$(busctl --address="$VMMD_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus GetConnectionUnixProcessID s org.vmmd.qemu1 2>/dev/null | awk '{print $2}') || true
		kill "$BUS_PID" 2>/dev/null || true
		wait "$BUS_PID" 2>/dev/null || true
		if [[ -n $daemon_pid ]]; then
			# Without its bus the daemon exits by itself; give it a moment before insisting.
			for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
			kill "$daemon_pid" 2>/dev/null || true
		fi
	fi
	if (( rc != 0 )) && [[ -s $TMP/bus.log ]]; then
		echo "--- bus and daemon log ($TMP/bus.log) ---" >&2
		cat "$TMP/bus.log" >&2
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
vmmctl() { "$VMMCTL" "$@"; }

step "Start a private D-Bus with vmmd's activation files"
cat > "$TMP/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$TMP/bus</listen>
  <servicedir>$SERVICES</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
export VMMD_ROOT=$TMP/root
export VMMD_BUS_ADDRESS=unix:path=$TMP/bus
# The activated daemon inherits this environment, so VMMD_ROOT relocates its paths.
dbus-daemon --config-file="$TMP/bus.conf" --nofork --nopidfile >"$TMP/bus.log" 2>&1 &
BUS_PID=$!
for _ in $(seq 50); do [[ -S $TMP/bus ]] && break; sleep 0.1; done
[[ -S $TMP/bus ]] || { echo "demo: dbus-daemon did not start" >&2; exit 1; }
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

step "Done"
echo "The private bus, the daemon and $TMP are cleaned up on exit."
