#!/bin/sh
# make-guest.sh: builds vmmd's tiny test guest (a Debian kernel and a busybox initrd) for the e2e tests, the demo and bench.
#
# Usage: tests/guest/make-guest.sh OUTDIR
#
# Writes into OUTDIR:
#   vmlinux      the kernel, uncompressed: QEMU -kernel boots this ELF straight through
#                its PVH entry point, skipping the real-mode setup and the decompressor
#                (about twice as fast under TCG as the bzImage)
#   vmlinuz      the same kernel as Debian ships it (bzImage)
#   initrd.img   gzip'd newc cpio: busybox-static, the kernel modules listed in MODULES
#                below (with their dependencies), and the /init written below
#   cmdline      the kernel command line the tests start from
#
# Where the packages come from: $VMMD_GUEST_DEBS (a directory holding a
# linux-image-*-amd64_*.deb and a busybox-static_*.deb) if set, else OUTDIR/.debs,
# filled by `apt-get download` (no root install; needs package lists, i.e. one
# `apt-get update` on a fresh machine). Nothing is taken from the host's /boot.
#
# Kernel command line understood by /init (all optional):
#   console=ttyS0            markers go to /dev/console, so put the console on the serial port
#   testguest.action=WHAT    once READY: poweroff | reboot | halt | panic | none (default)
#   testguest.delay=N        wait N seconds before that action
#   testguest.tick=N         print "TESTGUEST TICK <n>" every N seconds (n = 1, 2, ...)
#   testguest.pwrdelay=N     on the ACPI power button, wait N seconds before powering off
#   testguest.ignorepwr=1    print the power-button marker but stay up
#   testguest.shell=1        after everything else, a busybox shell on the console
#   testguest.net=dhcp       ask for a DHCP lease on every ethernet interface (before READY)
#   testguest.ping=ADDR      after the network is up, ping ADDR (3 tries, before READY)
#   testguest.watchdog=1     load i6300esb, open /dev/watchdog once and never feed it, so
#                            the device fires about testguest.wdtime seconds later
#   testguest.wdtime=N       watchdog heartbeat in seconds (default 5)
#   testguest.fill=/dev/vdX  after READY, write zeros over that disk until a write fails
#
# Markers on the console, one per line, always starting with "TESTGUEST ":
#   TESTGUEST DISK <dev> sectors=<n>     one per virtio disk found at boot (before READY)
#   TESTGUEST IP <iface> <addr>          DHCP lease obtained (testguest.net=dhcp)
#   TESTGUEST NOLEASE <iface>            no lease for that interface within ~10 s
#   TESTGUEST PING <addr> ok|fail        result of testguest.ping
#   TESTGUEST READY uptime=<s>           boot done; acpid already holds the power button
#   TESTGUEST TICK <n>                   testguest.tick
#   TESTGUEST WATCHDOG armed|failed      testguest.watchdog (after READY)
#   TESTGUEST FILL done|error bytes=<n>  testguest.fill: "done" when the writes ran into the
#                                        end of the disk, "error" when one failed before;
#                                        n counts the whole MiB written
#   TESTGUEST POWER-BUTTON               ACPI power button pressed (QMP system_powerdown)
#   TESTGUEST POWEROFF | REBOOT | HALT | PANIC    right before the guest does that
set -eu

OUT=${1:?usage: make-guest.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-guest.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT INT TERM

# Modules the guest loads; their dependencies are added from the kernel's modules.dep.
MODULES="virtio_pci virtio_blk virtio_net virtio_console button evdev \
pvpanic-mmio pvpanic-pci i6300esb"

die() { echo "make-guest: $*" >&2; exit 1; }

# --- 1. the two Debian packages ----------------------------------------------------
pick_debs() { # DIR: sets KDEB and BDEB when DIR holds both packages
	KDEB=$(ls "$1"/linux-image-*-amd64_*.deb 2>/dev/null | grep -v -- '-dbg_' | sort -V | tail -n 1) || true
	BDEB=$(ls "$1"/busybox-static_*.deb 2>/dev/null | sort -V | tail -n 1) || true
	[ -n "$KDEB" ] && [ -n "$BDEB" ]
}

if [ -n "${VMMD_GUEST_DEBS:-}" ]; then
	pick_debs "$VMMD_GUEST_DEBS" || die "VMMD_GUEST_DEBS=$VMMD_GUEST_DEBS lacks linux-image-*-amd64 or busybox-static .deb"
else
	DEBS=$OUT/.debs
	mkdir -p "$DEBS"
	if ! pick_debs "$DEBS"; then
		# linux-image-amd64 is the metapackage; the real kernel package is its dependency.
		KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
		[ -n "$KPKG" ] || die "apt-cache knows no linux-image-amd64; run 'apt-get update' first"
		# The sandbox user _apt cannot write into a root-owned build tree.
		(cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download "$KPKG" busybox-static) >&2 ||
			die "apt-get download $KPKG busybox-static failed (no network, or stale lists: apt-get update)"
		pick_debs "$DEBS" || die "apt-get download left no packages in $DEBS"
	fi
fi

# --- 2. the kernel -------------------------------------------------------------------
X=$TMPD/x
mkdir -p "$X"
dpkg-deb -x "$BDEB" "$X"
BUSYBOX=$X/bin/busybox
[ -x "$BUSYBOX" ] || die "$BDEB has no bin/busybox"
# The kernel package is ~70 MB of modules and has no modules.dep (depmod makes that on
# install): take the modules we name, read the "depends=" in each one's .modinfo, and go
# back for the ones still missing until nothing is.
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$X" --wildcards './boot/vmlinuz-*'
VMLINUZ=$(ls "$X"/boot/vmlinuz-* | head -n 1)
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR=lib/modules/$KVER
# "name path" for every module in the package; names compare with '-' as '_'
dpkg-deb --fsys-tarfile "$KDEB" | tar -t | sed -n 's|^\./\(lib/modules/.*\.ko[.a-z]*\)$|\1|p' |
	awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n); print n, $0 }' > "$TMPD/all"
modinfo_depends() { # FILE.ko[.xz|.zst]: its dependencies, '_' spelled, one a line
	case "$1" in
	*.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *) cat "$1" ;;
	esac | LC_ALL=C tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',-' '\n_' | sed '/^$/d'
}
want=$(echo $MODULES | tr ' -' '\n_')
: > "$TMPD/have"
while [ -n "$want" ]; do
	: > "$TMPD/paths"
	for n in $want; do
		p=$(awk -v n="$n" '$1 == n { print $2; exit }' "$TMPD/all")
		[ -n "$p" ] || die "no module $n in $KDEB"
		echo "./$p" >> "$TMPD/paths"
		echo "$n $p" >> "$TMPD/have"
	done
	dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$X" -T "$TMPD/paths"
	want=$(while read -r p; do modinfo_depends "$X/$p"; done < "$TMPD/paths" | sort -u |
		while read -r d; do grep -q "^$d " "$TMPD/have" || echo "$d"; done)
done
# Load order: every module after the ones it depends on.
: > "$TMPD/modpaths"
placed=" "
left=$(cut -d' ' -f1 "$TMPD/have")
while [ -n "$left" ]; do
	rest= moved=0
	for n in $left; do
		p=$(awk -v n="$n" '$1 == n { print $2; exit }' "$TMPD/have")
		ready=1
		for d in $(modinfo_depends "$X/$p"); do
			case "$placed" in *" $d "*) ;; *) ready=0 ;; esac
		done
		if [ $ready = 1 ]; then
			echo "${p#"$MODDIR"/}" >> "$TMPD/modpaths"
			placed="$placed$n " moved=1
		else
			rest="$rest $n"
		fi
	done
	[ $moved = 1 ] || die "modules whose dependencies cannot be ordered:$rest"
	left=$rest
done

cp "$VMLINUZ" "$OUT/vmlinuz.tmp"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"

# A bzImage carries its compressed kernel after the setup code; find the first stream
# that decompresses into an ELF and keep that.
unpack_vmlinux() {
	for fmt in 'xz:\xFD7zXZ\x00:xz -dc' 'zstd:\x28\xB5\x2F\xFD:zstd -dc' 'gzip:\x1F\x8B\x08:gzip -dc'; do
		magic=${fmt#*:}; cmd=${magic#*:}; magic=${magic%%:*}
		command -v "${cmd%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "$magic" "$VMLINUZ" 2>/dev/null | cut -d: -f1 | head -n 4); do
			tail -c "+$((off + 1))" "$VMLINUZ" | $cmd > "$OUT/vmlinux.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$OUT/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
				return 0
			fi
		done
	done
	rm -f "$OUT/vmlinux.tmp"
	return 1
}
unpack_vmlinux || die "could not find the compressed kernel inside $VMLINUZ"

# --- 3. the initrd -------------------------------------------------------------------
R=$TMPD/root
mkdir -p "$R/bin" "$R/sbin" "$R/dev" "$R/proc" "$R/sys" "$R/run" "$R/tmp" \
	"$R/lib/modules" "$R/etc/acpi/PWRF" "$R/var/log"
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
# Loaded by /init in this order; modules stay uncompressed so busybox insmod needs no xz.
: > "$R/lib/modules/load"
while read -r p; do
	f=$(ls "$X/$MODDIR/$p" 2>/dev/null) || die "module file $p did not unpack"
	n=${p##*/}; n=${n%%.ko*}
	case "$f" in
	*.ko.xz) xz -dc "$f" > "$R/lib/modules/$n.ko" ;;
	*.ko.zst) zstd -qdc "$f" > "$R/lib/modules/$n.ko" ;;
	*.ko.gz) gzip -dc "$f" > "$R/lib/modules/$n.ko" ;;
	*) cp "$f" "$R/lib/modules/$n.ko" ;;
	esac
	echo "$n" >> "$R/lib/modules/load"
done < "$TMPD/modpaths"
# The kernel opens /dev/console for /init before anything is mounted; without the node
# in the archive /init starts with no stdio. Needs root; /init copes without it.
mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true

# busybox acpid maps the "Power Button" key event to the name PWRF/00000080 and runs
# the file of that name under its -c directory.
cat > "$R/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "TESTGUEST POWER-BUTTON" > /dev/console
. /run/testguest.conf
[ "$IGNOREPWR" = 1 ] && exit 0
[ "$PWRDELAY" -gt 0 ] && sleep "$PWRDELAY"
echo "TESTGUEST POWEROFF" > /dev/console
sync
poweroff -f
EOF

# udhcpc calls this with the lease in its environment.
cat > "$R/etc/dhcp-event" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up ;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip route add default via "$r" dev "$interface" && break; done
	echo "TESTGUEST IP $interface $ip" > /dev/console ;;
esac
exit 0
EOF

cat > "$R/init" <<'EOF'
#!/bin/sh
# PID 1 of the test guest: parse testguest.* options, load modules, print markers.
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs run /run
exec </dev/console >/dev/console 2>&1

ACTION=none DELAY=0 TICK=0 PWRDELAY=0 IGNOREPWR=0 SHELL=0 NET= PING= WATCHDOG=0 WDTIME=5 FILL=
for opt in $(cat /proc/cmdline); do
	v=${opt#*=}
	case "$opt" in
	testguest.action=*) ACTION=$v ;;
	testguest.delay=*) DELAY=$v ;;
	testguest.tick=*) TICK=$v ;;
	testguest.pwrdelay=*) PWRDELAY=$v ;;
	testguest.ignorepwr=*) IGNOREPWR=$v ;;
	testguest.shell=*) SHELL=$v ;;
	testguest.net=*) NET=$v ;;
	testguest.ping=*) PING=$v ;;
	testguest.watchdog=*) WATCHDOG=$v ;;
	testguest.wdtime=*) WDTIME=$v ;;
	testguest.fill=*) FILL=$v ;;
	esac
done
# for the power-button script, which acpid runs in a fresh shell
echo "PWRDELAY=$PWRDELAY IGNOREPWR=$IGNOREPWR" > /run/testguest.conf

# wait_for TENTHS CONDITION...: polls up to TENTHS tenths of a second.
wait_for() {
	n=$1; shift
	while ! "$@" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	"$@"
}
count_virtio() { grep -lx "$1" /sys/bus/virtio/devices/*/device 2>/dev/null | wc -l; }
have_blocks() { [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -ge "$1" ]; }
have_nets() { [ "$(ls -d /sys/class/net/eth* 2>/dev/null | wc -l)" -ge "$1" ]; }
acpid_listens() { ls -l /proc/$1/fd 2>/dev/null | grep -q /dev/input/event; }

while read -r m; do
	case "$m" in i6300esb) continue ;; esac   # only when asked: it is a PCI driver for a device few guests have
	insmod "/lib/modules/$m.ko" || echo "testguest: insmod $m failed"
done < /lib/modules/load

# An early QMP system_powerdown must not be lost: READY only once acpid has the
# power button's event device open.
wait_for 20 test -e /dev/input/event0
acpid -f -c /etc/acpi -l /run/acpid.log &
wait_for 50 acpid_listens $!
hostname testguest

# virtio device ids: 1 = network card, 2 = block device
wait_for 30 have_blocks "$(count_virtio 0x0002)"
for b in /sys/block/vd*; do
	[ -e "$b" ] && echo "TESTGUEST DISK ${b##*/} sectors=$(cat "$b/size")"
done

if [ "$NET" = dhcp ]; then
	ip link set lo up
	wait_for 30 have_nets "$(count_virtio 0x0001)"
	for n in /sys/class/net/eth*; do
		[ -e "$n" ] || continue
		i=${n##*/}
		udhcpc -i "$i" -n -q -t 5 -T 2 -s /etc/dhcp-event >/dev/null 2>&1 || echo "TESTGUEST NOLEASE $i"
	done
fi
if [ -n "$PING" ]; then
	if ping -c 3 -W 2 "$PING" >/dev/null 2>&1; then r=ok; else r=fail; fi
	echo "TESTGUEST PING $PING $r"
fi

echo "TESTGUEST READY uptime=$(cut -d' ' -f1 /proc/uptime)"

if [ "$TICK" -gt 0 ]; then
	(n=0; while :; do sleep "$TICK"; n=$((n + 1)); echo "TESTGUEST TICK $n"; done) &
fi
if [ "$WATCHDOG" = 1 ]; then
	# Opening the device starts the timer; this subshell keeps it open and never writes,
	# so the watchdog fires and QEMU carries out its action.
	if insmod /lib/modules/i6300esb.ko "heartbeat=$WDTIME" && wait_for 20 test -e /dev/watchdog; then
		(exec 3>/dev/watchdog && echo "TESTGUEST WATCHDOG armed" && exec sleep 2147483647) ||
			echo "TESTGUEST WATCHDOG failed" &
	else
		echo "TESTGUEST WATCHDOG failed"
	fi
fi
if [ -n "$FILL" ]; then
	(
		# direct I/O: a failed write shows up at once, not at a later flush. Running off
		# the end of the disk is ENOSPC; a failing host disk reaches the guest as EIO.
		out=$(dd if=/dev/zero of="$FILL" bs=1M oflag=direct 2>&1)
		full=$(echo "$out" | sed -n 's/^\([0-9]*\)+[0-9]* records out.*/\1/p')
		got=$(( ${full:-0} * 1048576 ))
		case "$out" in *"No space left on device"*) r=done ;; *) r=error ;; esac
		echo "TESTGUEST FILL $r bytes=$got"
	) &
fi

[ "$DELAY" -gt 0 ] && sleep "$DELAY"
case "$ACTION" in
poweroff) echo "TESTGUEST POWEROFF"; sync; poweroff -f ;;
halt) echo "TESTGUEST HALT"; sync; halt -f ;;
reboot) echo "TESTGUEST REBOOT"; sync; reboot -f ;;
panic) echo "TESTGUEST PANIC"; echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger ;;
esac
if [ "$SHELL" = 1 ]; then
	while :; do setsid cttyhack sh; done
fi
# PID 1 never exits: that would panic the kernel.
while :; do sleep 3600; done
EOF
chmod 755 "$R/init" "$R/etc/acpi/PWRF/00000080" "$R/etc/dhcp-event"

# busybox-static runs on the host as well, so its cpio builds the archive (no cpio package).
(cd "$R" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -9 > "$OUT/initrd.img.tmp"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
echo "console=ttyS0 quiet panic=-1" > "$OUT/cmdline"

echo "make-guest: kernel $KVER, $(wc -l < "$R/lib/modules/load") modules"
for f in vmlinux vmlinuz initrd.img; do
	echo "make-guest: $OUT/$f ($(stat -c %s "$OUT/$f") bytes)"
done
