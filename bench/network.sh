#!/bin/bash
# network.sh: times vmmd-network (NAT network start to dnsmasq answering, destroy, guest boot to lease, ListNetworks and GetDHCPLeases with many networks), and libvirt's net-start/net-destroy beside it when libvirtd is installed.
#
# Usage: bench/network.sh [--long] [ITERATIONS] [NETWORKS]
#   short by default (2 iterations, 100 defined networks, one guest boot); --long: 10 iterations, 3 boots.
#   VMMD_BUILD_DIR picks the build dir. CI runs the short mode and never judges the times.
#
# Everything runs in a network namespace of its own (and libvirtd also in a private mount namespace), so
# neither the host's network nor its libvirt is touched. Rows (min and median, ms):
#   vmmd net Create call            Network.Create of a NAT network with DHCP (bridge, nft table, dnsmasq)
#   vmmd net Create -> DNS answer   Create called until dnsmasq answers an A query for a <dns><host>
#   vmmd net Destroy call           Network.Destroy of that network
#   vmmd guest Create -> guest has IP   Domain.Create of the test guest on that network until it prints its address
#   vmmd guest Create -> lease      the same, until GetDHCPLeases lists its MAC
#   vmmd ListNetworks (N defined)   ListNetworks(0) with N networks defined
#   vmmd GetDHCPLeases              GetDHCPLeases("", 0) on the running network with the guest's lease
#   libvirt net-start / net-destroy the same network through virsh against a private libvirtd
#   busctl / virsh baseline         one trivial call: what the client process itself costs in each row
set -euo pipefail

LONG=0
if [[ ${1:-} == --long ]]; then LONG=1; shift; fi
ITER=${1:-$((LONG ? 10 : 2))}
NETS=${2:-100}
BOOTS=$((LONG ? 3 : 1))
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
GUEST=$BUILD/tests/e2e

# never the host's network: a namespace of our own, gone with us
if [[ -z ${VMMD_BENCH_NETNS:-} ]]; then
	export VMMD_BENCH_NETNS=1
	exec unshare --net -- "$0" $([[ $LONG == 1 ]] && echo --long) "$ITER" "$NETS"
fi
ip link set lo up
if [[ ! -e $GUEST/vmlinux || ! -e $GUEST/initrd.img ]]; then
	ninja -C "$BUILD" tests/e2e/vmlinux
fi
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-netbench.XXXXXX")
MYNS=$(readlink /proc/self/ns/net)
LIBVIRTD_PID=
cleanup() {
	local p
	[[ -n $LIBVIRTD_PID ]] && kill "$LIBVIRTD_PID" 2>/dev/null
	private_bus_stop 2>/dev/null
	# whatever still runs in this namespace (a dnsmasq of a network the bench could not destroy)
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/ns/net" 2>/dev/null) == "$MYNS" && ${p#/proc/} != $$ && ${p#/proc/} != $BASHPID ]] || continue
		[[ $(cat "$p/comm" 2>/dev/null) == dnsmasq || $(cat "$p/comm" 2>/dev/null) == vmmd-network ]] &&
			kill -9 "${p#/proc/}" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_bus_start "$BUILD" "$TMP"

echo "vmmd network bench: $ITER iterations, $NETS networks, $BOOTS guest boots, $(nproc) CPUs"
python3 - "$ITER" "$NETS" "$BOOTS" "$TMP" "$GUEST" <<'PY'
import os, random, socket, statistics, struct, subprocess, sys, time

iters, nets, boots, tmp, guest = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
addr = os.environ["VMMD_BUS_ADDRESS"]
rows = {}
NET = "org.vmmd.network1"
MAC = "52:54:00:be:00:01"


def note(name, seconds):
    rows.setdefault(name, []).append(seconds * 1000)


def busctl(*args):
    return subprocess.run(["busctl", f"--address={addr}", "--timeout=120", *args],
                          check=True, capture_output=True, text=True).stdout


def net_manager(member, *args):
    return busctl("call", NET, "/org/vmmd/network1", "org.vmmd.network1.Manager", member, *args)


def net_call(path, member, *args):
    return busctl("call", NET, path, "org.vmmd.network1.Network", member, *args)


def dns_answers(server, name, timeout=0.05):
    """True when server answers an A query for name with at least one record."""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (server, 53))
        r = s.recv(512)
        return len(r) >= 12 and struct.unpack(">H", r[:2])[0] == qid and struct.unpack(">H", r[6:8])[0] > 0
    except OSError:
        return False
    finally:
        s.close()


def wait_for(cond, what, timeout=120, step=0.002):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            sys.exit(f"bench: gave up waiting for {what}")
        time.sleep(step)
    return time.monotonic()


def net_xml(name, bridge, third):
    return (f"<network><name>{name}</name><forward mode='nat'/><bridge name='{bridge}' stp='off'/>"
            f"<dns><host ip='10.{third}.0.5'><hostname>benchhost</hostname></host></dns>"
            f"<ip address='10.{third}.0.1' prefix='24'><dhcp><range start='10.{third}.0.100' "
            f"end='10.{third}.0.200'/></dhcp></ip></network>")


# --- start, answer, destroy ---
path = net_manager("NetworkDefineXML", "su", net_xml("benchnat", "vmmdbbr0", 90), "0").split()[1].strip('"')
for i in range(iters):
    t0 = time.monotonic()
    busctl("get-property", NET, path, "org.vmmd.network1.Network", "Active")
    note("busctl baseline", time.monotonic() - t0)
    t0 = time.monotonic()
    net_call(path, "Create")
    note("vmmd net Create call", time.monotonic() - t0)
    t1 = wait_for(lambda: dns_answers("10.90.0.1", "benchhost"), "dnsmasq to answer")
    note("vmmd net Create -> DNS answer", t1 - t0)
    t0 = time.monotonic()
    net_call(path, "Destroy")
    note("vmmd net Destroy call", time.monotonic() - t0)

# --- a guest on it, boot to lease ---
net_call(path, "Create")
serial = os.path.join(tmp, "g.serial")
dom = f"""<domain type='qemu'><name>benchg</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>{guest}/vmlinux</kernel><initrd>{guest}/initrd.img</initrd>
<cmdline>console=ttyS0 quiet panic=-1 testguest.net=dhcp</cmdline></os><features><acpi/></features><devices>
<serial type='file'><source path='{serial}'/><target port='0'/></serial>
<interface type='network'><mac address='{MAC}'/><source network='benchnat'/><model type='virtio'/></interface>
</devices></domain>"""
dpath = busctl("call", "org.vmmd.qemu1", "/org/vmmd/qemu1", "org.vmmd.qemu1.Manager", "DomainDefineXML", "su",
               dom, "0").split()[1].strip('"')


def leased():
    return MAC in net_call(path, "GetDHCPLeases", "su", "", "0")


def guest_has_ip():
    try:
        with open(serial, "rb") as f:
            return b"TESTGUEST IP eth0" in f.read()
    except FileNotFoundError:
        return False


for i in range(boots):
    if os.path.exists(serial):
        os.unlink(serial)
    t0 = time.monotonic()
    busctl("call", "org.vmmd.qemu1", dpath, "org.vmmd.qemu1.Domain", "Create", "u", "0")
    t1 = wait_for(guest_has_ip, "the guest's address", step=0.01)
    note("vmmd guest Create -> guest has IP", t1 - t0)
    t1 = wait_for(leased, "the guest's lease", step=0.01)
    note("vmmd guest Create -> lease", t1 - t0)
    busctl("call", "org.vmmd.qemu1", dpath, "org.vmmd.qemu1.Domain", "Destroy", "u", "0")
    if i + 1 < boots:
        # a new boot asks again; the old lease is still there, so wait for a new one by forgetting it
        net_call(path, "Destroy")
        net_call(path, "Create")
busctl("call", "org.vmmd.qemu1", dpath, "org.vmmd.qemu1.Domain", "Undefine", "u", "0")

# --- many networks ---
for k in range(nets):
    net_manager("NetworkDefineXML", "su", net_xml(f"bn{k:03d}", f"vmmdbn{k:03d}", 100 + k % 100), "0")
for i in range(max(iters, 5)):
    t0 = time.monotonic()
    out = net_manager("ListNetworks", "u", "0")
    note(f"vmmd ListNetworks ({nets + 1} defined)", time.monotonic() - t0)
    t0 = time.monotonic()
    out = net_call(path, "GetDHCPLeases", "su", "", "0")
    note("vmmd GetDHCPLeases", time.monotonic() - t0)
net_call(path, "Destroy")

print(f"\n{'what':<36} {'n':>3} {'min ms':>9} {'median ms':>10}")
print("-" * 61)
for name, v in rows.items():
    print(f"{name:<36} {len(v):>3} {min(v):>9.1f} {statistics.median(v):>10.1f}")
with open(os.path.join(tmp, "vmmd.rows"), "w") as f:
    for name, v in rows.items():
        f.write(f"{name}\t{statistics.median(v)}\n")
PY

# --- libvirt beside it: a private libvirtd in a private mount namespace inside this network namespace ---
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	echo "libvirt: not installed, no comparison"
	exit 0
fi
mkdir -p "$TMP/lv"
cat > "$TMP/lv/run.sh" <<'LV'
#!/bin/bash
# inside unshare -m: tmpfs over libvirt's state, a copy of its config, then libvirtd and the timings
set -euo pipefail
T=$1 ITER=$2
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
	mkdir -p "$d"
	mount -t tmpfs tmpfs "$d"
done
cp -a /etc/libvirt "$T/etc"
rm -rf "$T/etc/qemu/networks/autostart" "$T/etc/qemu/networks/"*.xml "$T/etc/qemu/"*.xml 2>/dev/null || true
printf 'stdio_handler = "file"\nuser = "root"\ngroup = "root"\n' >> "$T/etc/qemu.conf"
mount --bind "$T/etc" /etc/libvirt
libvirtd --pid-file "$T/libvirtd.pid" >"$T/libvirtd.log" 2>&1 &
for _ in $(seq 100); do [[ -S /run/libvirt/libvirt-sock ]] && break; sleep 0.05; done
cat > "$T/net.xml" <<XML
<network><name>lvnat</name><forward mode='nat'/><bridge name='lvbbr0' stp='off'/>
<dns><host ip='10.91.0.5'><hostname>benchhost</hostname></host></dns>
<ip address='10.91.0.1' prefix='24'><dhcp><range start='10.91.0.100' end='10.91.0.200'/></dhcp></ip></network>
XML
python3 - "$ITER" "$T" <<'PY'
import statistics, subprocess, sys, time
iters, t = int(sys.argv[1]), sys.argv[2]
rows = {}
def virsh(*a):
    return subprocess.run(["virsh", "-q", "-c", "qemu:///system", *a], check=True, capture_output=True, text=True)
virsh("net-define", f"{t}/net.xml")
for i in range(iters):
    t0 = time.monotonic(); virsh("uri"); rows.setdefault("virsh baseline", []).append(time.monotonic() - t0)
    t0 = time.monotonic(); virsh("net-start", "lvnat"); rows.setdefault("libvirt net-start", []).append(time.monotonic() - t0)
    t0 = time.monotonic(); virsh("net-destroy", "lvnat"); rows.setdefault("libvirt net-destroy", []).append(time.monotonic() - t0)
with open(f"{t}/rows", "w") as f:
    for name, v in rows.items():
        f.write(f"{name}\t{min(v) * 1000}\t{statistics.median(v) * 1000}\t{len(v)}\n")
PY
kill "$(cat "$T/libvirtd.pid")" 2>/dev/null || true
LV
chmod +x "$TMP/lv/run.sh"
if ! unshare -m --propagation private -- "$TMP/lv/run.sh" "$TMP/lv" "$ITER" >"$TMP/lv/out" 2>&1; then
	echo "libvirt: its run failed, no comparison:"
	tail -n 5 "$TMP/lv/out" "$TMP/lv/libvirtd.log" 2>/dev/null || true
	exit 0
fi
echo
while IFS=$'\t' read -r name min med n; do
	printf '%-36s %3d %9.1f %10.1f\n' "$name" "$n" "$min" "$med"
done < "$TMP/lv/rows"
# the ratios of the medians, both sides through a client process
python3 - "$TMP/vmmd.rows" "$TMP/lv/rows" <<'PY'
import sys
v = dict(l.rstrip("\n").split("\t")[:2] for l in open(sys.argv[1]))
l = {r.split("\t")[0]: r.split("\t")[2] for r in open(sys.argv[2]).read().splitlines()}
for mine, theirs in (("vmmd net Create call", "libvirt net-start"), ("vmmd net Destroy call", "libvirt net-destroy")):
    if mine in v and theirs in l:
        print(f"ratio {theirs} / {mine}: {float(l[theirs]) / float(v[mine]):.2f}")
PY
