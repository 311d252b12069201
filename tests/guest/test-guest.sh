#!/bin/bash
# test-guest.sh: boots the test guest under bare QEMU and checks the markers of the network, ping, fill and watchdog options.
#
# Usage: tests/guest/test-guest.sh GUESTDIR   (GUESTDIR holds vmlinux and initrd.img)
# No vmmd here: this checks the guest itself, so that an e2e test that waits for one of
# these markers fails because of vmmd, not because the guest never prints it.
set -euo pipefail

GUEST=${1:?usage: test-guest.sh GUESTDIR}
TIMEOUT=${VMMD_TEST_TIMEOUT:-180}
for f in vmlinux initrd.img; do
	[[ -e $GUEST/$f ]] || { echo "test-guest: $GUEST/$f is missing (ninja -C build tests/e2e/vmlinux)"; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-test-guest.XXXXXX")
QPID=
cleanup() {
	[[ -n $QPID ]] && kill -9 "$QPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
failures=0 n=0
check() { # WHAT COMMAND...: one TAP line
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; failures=$((failures + 1)); fi
}

# boot NAME CMDLINE QEMU-ARGS...: starts QEMU in the background, serial to $TMP/NAME.serial
boot() {
	local name=$1 cmdline=$2
	shift 2
	: > "$TMP/$name.serial"
	qemu-system-x86_64 -accel tcg -machine pc -m 128 -nodefaults -display none -no-reboot \
		-kernel "$GUEST/vmlinux" -initrd "$GUEST/initrd.img" \
		-append "console=ttyS0 quiet panic=-1 $cmdline" \
		-serial "file:$TMP/$name.serial" "$@" 2>"$TMP/$name.err" &
	QPID=$!
}
# wait_marker NAME TEXT: bounded wait for a serial line containing TEXT
wait_marker() {
	local deadline=$(( $(date +%s) + TIMEOUT ))
	until grep -q "$2" "$TMP/$1.serial"; do
		if (( $(date +%s) >= deadline )) || ! kill -0 "$QPID" 2>/dev/null; then
			echo "# gave up waiting for '$2' on $1's console:"
			sed 's/^/#   /' "$TMP/$1.serial" "$TMP/$1.err"
			return 1
		fi
		sleep 0.2
	done
}
# wait_exit: bounded wait for QEMU to exit by itself; 0 when it did
wait_exit() {
	local deadline=$(( $(date +%s) + TIMEOUT ))
	while kill -0 "$QPID" 2>/dev/null; do
		(( $(date +%s) < deadline )) || return 1
		sleep 0.2
	done
	wait "$QPID" || true
	QPID=
}
stop() { kill -9 "$QPID" 2>/dev/null || true; wait "$QPID" 2>/dev/null || true; QPID=; }
has() { grep -q "$2" "$TMP/$1.serial"; }
line_of() { grep -n "$2" "$TMP/$1.serial" | head -n 1 | cut -d: -f1; }
before() { local a b; a=$(line_of "$1" "$2") b=$(line_of "$1" "$3"); [[ -n $a && -n $b ]] && (( a < b )); }

# 1. user networking (DHCP server at 10.0.2.2), ping it, fill a good disk
python3 -c 'import sys; sys.stdout.buffer.write(b"\xa5" * (8 << 20))' > "$TMP/good.raw"
boot one "testguest.net=dhcp testguest.ping=10.0.2.2 testguest.fill=/dev/vda" \
	-drive "file=$TMP/good.raw,if=virtio,format=raw" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0
check "first boot: READY" wait_marker one 'TESTGUEST READY'
check "first boot: FILL marker" wait_marker one 'TESTGUEST FILL'
stop
check "DISK vda with its size" has one 'TESTGUEST DISK vda sectors=16384'
check "IP from the DHCP lease" has one 'TESTGUEST IP eth0 10.0.2.15'
check "PING ok" has one 'TESTGUEST PING 10.0.2.2 ok'
check "IP before PING before READY" eval "before one 'TESTGUEST IP' 'TESTGUEST PING' && before one 'TESTGUEST PING' 'TESTGUEST READY'"
check "FILL done with every byte" has one 'TESTGUEST FILL done bytes=8388608'
check "the disk holds only zeros now" cmp -s "$TMP/good.raw" <(head -c $((8 << 20)) /dev/zero)

# 2. a network card with nothing on the wire, a disk whose every write fails, a watchdog
#    that powers QEMU off when it fires
truncate -s 4M "$TMP/bad.raw"
boot two "testguest.net=dhcp testguest.ping=10.0.2.2 testguest.fill=/dev/vda testguest.watchdog=1 testguest.wdtime=5" \
	-drive "if=virtio,format=raw,werror=report,file.driver=blkdebug,file.inject-error.0.event=write_aio,file.inject-error.0.errno=5,file.image.filename=$TMP/bad.raw" \
	-netdev hubport,id=n0,hubid=0 -device virtio-net-pci,netdev=n0 \
	-device i6300esb -watchdog-action poweroff
check "second boot: NOLEASE" wait_marker two 'TESTGUEST NOLEASE eth0'
check "second boot: WATCHDOG armed" wait_marker two 'TESTGUEST WATCHDOG armed'
check "QEMU exits when the unfed watchdog fires" wait_exit
stop
check "PING fail without a network" has two 'TESTGUEST PING 10.0.2.2 fail'
check "FILL error when writes fail" has two 'TESTGUEST FILL error bytes=0'
check "no IP without a DHCP server" eval "! has two 'TESTGUEST IP'"

echo "1..$n"
echo "# $failures failed"
(( failures == 0 ))
