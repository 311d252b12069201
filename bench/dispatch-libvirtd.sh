#!/bin/bash
# dispatch-libvirtd.sh: the same virsh rows as dispatch.py against Debian's libvirtd, run in a private mount and network namespace (not part of the test suite).
#
# Usage: bench/dispatch-libvirtd.sh [DOMAINS] [REPEAT]   (defaults 1000 and 5; needs root and libvirt-daemon-driver-qemu)
# Set up as libvirt needs it on a host without systemd: tmpfs over its state directories, a copy of
# /etc/libvirt whose qemu.conf logs to files and runs QEMU as root, lo up, libvirtd started
# from a child subreaper that reaps at once (PID 1 here reaps orphans late, which libvirtd waits for).
set -euo pipefail

DOMAINS=${1:-1000}
REPEAT=${2:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
GUEST=$BUILD/tests/e2e
command -v libvirtd >/dev/null || { echo "libvirtd is not installed (apt-get install libvirt-daemon-driver-qemu)"; exit 0; }
[[ -e $GUEST/vmlinux ]] || { echo "build the test guest first: ninja -C $BUILD tests/e2e/vmlinux"; exit 1; }

if [[ ${1:-} != --inside ]]; then
	exec unshare -m -n --propagation private "$0" --inside "$DOMAINS" "$REPEAT"
fi
DOMAINS=$2
REPEAT=$3
TMP=$(mktemp -d /tmp/vmmd-bench-libvirtd.XXXXXX)
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
# a subreaper parent that reaps at once: python's os.wait loop
python3 - "$TMP" <<'PY' &
import ctypes, os, sys, subprocess
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
p = subprocess.Popen(["libvirtd", "--pid-file", sys.argv[1] + "/libvirtd.pid"],
                     stdout=subprocess.DEVNULL, stderr=open(sys.argv[1] + "/libvirtd.log", "w"))
while True:
    try:
        pid, _ = os.wait()
    except ChildProcessError:
        break
    if pid == p.pid:
        break
PY
REAPER=$!
trap 'kill $(cat "$TMP/libvirtd.pid" 2>/dev/null) 2>/dev/null; wait $REAPER 2>/dev/null; umount /etc/libvirt; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [[ -S /run/libvirt/libvirt-sock ]] && break; sleep 0.1; done
V=(virsh -c qemu:///system)
"${V[@]}" list --all >/dev/null

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'; }

for i in $(seq 0 $((DOMAINS - 1))); do
	printf "<domain type='qemu'><name>b%d</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>\n" "$i" > "$TMP/b.xml"
	"${V[@]}" define "$TMP/b.xml" >/dev/null
done
printf "%-30s %10s\n" "median ms" "libvirtd"
printf "%-30s %10s\n" "list --all ($DOMAINS domains)" "$(for _ in $(seq "$REPEAT"); do ms "${V[@]}" list --all; done | median)"
guest() {
	cat <<XML
<domain type='qemu'><name>$1</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>$GUEST/vmlinux</kernel><initrd>$GUEST/initrd.img</initrd>
<cmdline>console=ttyS0 quiet panic=-1</cmdline></os><features><acpi/></features>
<devices><serial type='file'><source path='$TMP/$1.serial'/><target port='0'/></serial></devices></domain>
XML
}
for i in $(seq "$REPEAT"); do guest "dv$i" > "$TMP/dv$i.xml"; ms "${V[@]}" define "$TMP/dv$i.xml"; done | median | xargs printf "%-30s %10s\n" "define"
for i in $(seq "$REPEAT"); do ms "${V[@]}" start "dv$i"; done | median | xargs printf "%-30s %10s\n" "start (tiny guest, TCG)"
for i in $(seq "$REPEAT"); do ms "${V[@]}" destroy "dv$i"; done | median | xargs printf "%-30s %10s\n" "destroy"
