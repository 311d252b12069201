#!/bin/bash
# demo.sh: a guided tour of vmmd on a private D-Bus — define the tiny test guest, boot it, reboot it, shut it down, undefine it.
#
# Nothing touches the host's buses or /etc: the bus is a private dbus-daemon in a temp
# dir, and VMMD_ROOT relocates every path the activated vmmd-qemu uses under that dir.
# The guest is real: QEMU (TCG, no KVM needed) boots a Debian kernel and a busybox
# initrd that prints "TESTGUEST READY" on its serial console and honours the ACPI power
# button. Needs a build (meson setup build && meson compile -C build); the guest is built
# here if missing (ninja -C build tests/e2e/vmlinux; it apt-get downloads a kernel and
# busybox package). VMMD_BUILD_DIR picks another build dir. scripts/demo.sh installs
# dependencies and builds first. Every wait is bounded (VMMD_DEMO_TIMEOUT, default 120 s).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" 2>/dev/null && pwd) || {
	echo "demo: no build directory ${VMMD_BUILD_DIR:-$ROOT/build}; run: meson setup build && meson compile -C build" >&2
	exit 1
}
VMMCTL=$BUILD/tools/vmmctl/vmmctl
TIMEOUT=${VMMD_DEMO_TIMEOUT:-120}
GUEST=$BUILD/tests/e2e
for f in "$VMMCTL" "$BUILD/daemons/vmmd-qemu/vmmd-qemu"; do
	[[ -e $f ]] || { echo "demo: $f is missing; build first: meson compile -C $BUILD" >&2; exit 1; }
done
if [[ ! -e $GUEST/vmlinux || ! -e $GUEST/initrd.img ]]; then
	echo "demo: building the tiny test guest: ninja -C $BUILD tests/e2e/vmlinux"
	ninja -C "$BUILD" tests/e2e/vmlinux || {
		echo "demo: could not build the test guest (tests/guest/make-guest.sh: needs -De2e=true and apt-get download; on a fresh machine run apt-get update first)" >&2
		exit 1
	}
fi
# shellcheck source=demo/private-bus.sh
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-demo.XXXXXX")
EVENT_PID=
cleanup() {
	local rc=$?
	[[ -n $EVENT_PID ]] && kill "$EVENT_PID" 2>/dev/null
	# Stops the bus, the daemon, and any QEMU still running under our root.
	private_bus_stop
	if (( rc != 0 )); then
		for f in "$TMP/bus.log" "$TMP/demo.serial" "${VMMD_ROOT:-$TMP/root}/var/log/vmmd/qemu/demo.log"; do
			[[ -s $f ]] || continue
			echo "--- $f ---" >&2
			tail -n 40 "$f" >&2
		done
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
die() { echo "demo: $*" >&2; exit 1; }

SERIAL=$TMP/demo.serial
ready_count() { local n; n=$(grep -c 'TESTGUEST READY' "$SERIAL" 2>/dev/null) || true; echo "${n:-0}"; }
state() { "$VMMCTL" domstate demo 2>/dev/null || echo "?"; }
# For wait_until, which must re-evaluate its condition on every poll.
ready_at_least() { (( $(ready_count) >= $1 )); }
state_is() { [[ $(state) == "$1" ]]; }

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s; fails the demo after SECONDS.
wait_until() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$(( $(date +%s) + secs ))
	until "$@"; do
		(( $(date +%s) < deadline )) || die "gave up after ${secs}s waiting for $what"
		sleep 0.2
	done
}

step "Start a private D-Bus with vmmd's activation files"
private_bus_start "$BUILD" "$TMP"
echo "bus:  $VMMD_BUS_ADDRESS (vmmctl reads VMMD_BUS_ADDRESS)"
echo "root: $VMMD_ROOT (vmmd-qemu reads VMMD_ROOT)"

# Watch the lifecycle signals the daemon emits while the steps run; shown at the end.
"$VMMCTL" event --loop --timestamp --timeout $(( 6 * TIMEOUT )) >"$TMP/events.txt" 2>&1 &
EVENT_PID=$!
sleep 0.3   # let it subscribe before the first define

step "1. The tiny test guest (a Debian kernel and a busybox initrd)"
run ls -lL "$GUEST/vmlinux" "$GUEST/initrd.img"

cat > "$TMP/demo.xml" <<XML
<domain type='qemu'>
  <name>demo</name>
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
    <serial type='file'>
      <source path='$SERIAL'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>
XML

step "2. Define a domain that boots it (the bus starts vmmd-qemu on the first call)"
run cat "$TMP/demo.xml"
run vmmctl define "$TMP/demo.xml"
run vmmctl list --all
run ls -l "$VMMD_ROOT/etc/vmmd/qemu/"

step "3. Start it: QEMU runs under TCG, the serial console goes to a file"
run vmmctl start demo
run vmmctl list
run vmmctl dominfo demo
echo "The QEMU log (command line first) is $VMMD_ROOT/var/log/vmmd/qemu/demo.log:"
run head -n 2 "$VMMD_ROOT/var/log/vmmd/qemu/demo.log"

step "4. Wait (at most ${TIMEOUT}s) for the guest to print READY on its serial console"
t0=$(date +%s.%N)
wait_until "$TIMEOUT" "TESTGUEST READY in $SERIAL" ready_at_least 1
awk -v a="$t0" -v b="$(date +%s.%N)" -v f="$SERIAL" 'BEGIN { printf "after %.1f s, %s says:\n", b - a, f }'
grep -m1 'TESTGUEST READY' "$SERIAL"

step "5. Reboot it: vmmd powers the guest off and restarts it in the same QEMU, hiding that"
pid_before=$(private_bus_qemu_pids)
run vmmctl reboot demo
# Poll the state all along until the guest has printed READY a second time.
polls=0 states=" "
deadline=$(( $(date +%s) + TIMEOUT ))
while (( $(ready_count) < 2 )); do
	(( $(date +%s) < deadline )) || die "gave up after ${TIMEOUT}s waiting for the second TESTGUEST READY"
	s=$(state)
	polls=$((polls + 1))
	[[ $states == *" $s "* ]] || states="$states$s "
	sleep 0.2
done
echo "serial console during the reboot:"
sed -n '/TESTGUEST POWER-BUTTON/,$p' "$SERIAL" | grep 'TESTGUEST'
states=${states# }
states=${states% }
if [[ $states == running ]]; then
	echo "state at each of $polls polls during the reboot: running (never shut off, never paused)"
else
	echo "NOTE: the state seen during the reboot was: $states (expected only: running)"
fi
echo "QEMU process before: $pid_before, after: $(private_bus_qemu_pids) (the same process)"
run vmmctl domstate demo --reason

step "6. Shut it down: ACPI power button, the guest powers off, QEMU exits"
run vmmctl shutdown demo
wait_until "$TIMEOUT" "state 'shut off'" state_is "shut off"
wait_until "$TIMEOUT" "the STOPPED event" grep -q "for domain 'demo': Stopped" "$TMP/events.txt"
run vmmctl domstate demo --reason
grep "for domain 'demo': Shutdown\|for domain 'demo': Stopped" "$TMP/events.txt" | sed 's/^[^e]*event/event/'
echo "QEMU processes left under $VMMD_ROOT: $(private_bus_qemu_pids | wc -l)"
run vmmctl list --all

step "7. Undefine it"
run vmmctl undefine demo
run vmmctl list --all
run ls -l "$VMMD_ROOT/etc/vmmd/qemu/"

step "8. Every signal seen meanwhile (vmmctl event --loop --timestamp)"
sleep 0.3
kill "$EVENT_PID" 2>/dev/null || true
wait "$EVENT_PID" 2>/dev/null || true
EVENT_PID=
cat "$TMP/events.txt"
echo "(the reboot shows only as event 'reboot': no Shutdown, Stopped or Started)"

step "Done"
echo "The private bus, the daemon, any QEMU left and $TMP are cleaned up on exit."
