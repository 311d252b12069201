#!/bin/bash
# domain-scale.sh: vmmd-qemu with many defined domains, daemon side — start to first reply, RSS, and the list calls timed with raw sd-bus calls (not part of the test suite).
#
# Usage: bench/domain-scale.sh [COUNT] [REPEAT]     (default 1000 domains, 11 runs per row)
#   VMMD_BUILD_DIR picks the build dir; VMMD_BENCH_KEEP=DIR keeps (or reuses) the generated root.
# The definitions are the daemon's own file for compare.py's minimal XML, written COUNT times
# with other names and uuids (defining them one by one over the bus would take minutes at
# 10 000). build/bench/domain-client does the timing: it runs the daemon itself for the start
# rows and only receives the replies of the list rows, so dbus-python's unmarshalling, which is
# most of compare.sh's "list with state" row, is not in these figures. Prints
#   ROW <name> <median> <min> <max>      ms; rss-kib in KiB
# and one line "per domain": the RSS beside that of the same daemon with nothing defined, over COUNT.
set -euo pipefail

COUNT=${1:-1000}
REPEAT=${2:-11}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
CLIENT=$BUILD/bench/domain-client
DAEMON=$BUILD/daemons/vmmd-qemu/vmmd-qemu

[[ -x $CLIENT && -x $DAEMON ]] || { echo "build first: meson compile -C $BUILD" >&2; exit 1; }
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-bench-domains.XXXXXX")
trap 'private_bus_stop; rm -rf "$TMP"' EXIT
private_bus_start "$BUILD" "$TMP"
if [[ -n ${VMMD_BENCH_KEEP:-} ]]; then
	mkdir -p "$VMMD_BENCH_KEEP"
	rmdir "$VMMD_ROOT" 2>/dev/null || true
	ln -sfn "$(cd "$VMMD_BENCH_KEEP" && pwd)" "$VMMD_ROOT"
fi
CONF=$VMMD_ROOT/etc/vmmd/qemu

call() {
	busctl --address="$VMMD_BUS_ADDRESS" --timeout=300 call org.vmmd.qemu1 "$@"
}

have=$( (find "$CONF" -maxdepth 1 -name 'b*.xml' 2>/dev/null || true) | wc -l)
if [[ $have != "$COUNT" ]]; then
	# the template: what the daemon writes for the minimal XML
	call /org/vmmd/qemu1 org.vmmd.qemu1.Manager DomainDefineXML su \
		"<domain type='qemu'><name>template</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>" 0 >/dev/null
	daemon=$(busctl --address="$VMMD_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus GetConnectionUnixProcessID s org.vmmd.qemu1 | awk '{print $2}')
	kill "$daemon"
	while kill -0 "$daemon" 2>/dev/null; do sleep 0.05; done
	python3 - "$CONF" "$COUNT" <<-'PY'
	import glob, os, re, sys, uuid
	conf, count = sys.argv[1], int(sys.argv[2])
	for f in glob.glob(os.path.join(conf, "b*.xml")):
	    os.unlink(f)
	template = open(os.path.join(conf, "template.xml")).read()
	os.unlink(os.path.join(conf, "template.xml"))
	old_uuid = re.search(r"<uuid>([^<]*)</uuid>", template).group(1)
	for i in range(count):
	    name = f"b{i:05d}"
	    text = template.replace("template", name).replace(old_uuid, str(uuid.UUID(int=i + 1)))
	    with open(os.path.join(conf, name + ".xml"), "w") as f:
	        f.write(text)
	PY
fi

"$CLIENT" "$VMMD_BUS_ADDRESS" start "$REPEAT" "$DAEMON" --address="$VMMD_BUS_ADDRESS" --root="$VMMD_ROOT" \
	--timeout=0 | tee "$TMP/start"
# the same daemon with nothing defined: what RSS a domain adds is the difference
mkdir -p "$TMP/empty"
"$CLIENT" "$VMMD_BUS_ADDRESS" start 3 "$DAEMON" --address="$VMMD_BUS_ADDRESS" --root="$TMP/empty" --timeout=0 |
	sed 's/^ROW /ROW empty-/' | tee -a "$TMP/start"
awk -v n="$COUNT" '$2 == "rss-kib" { full = $3 } $2 == "empty-rss-kib" { empty = $3 }
	END { printf "per domain: %.2f KiB of RSS ((%d - %d KiB) / %d)\n", (full - empty) / n, full, empty, n }' "$TMP/start"
"$CLIENT" "$VMMD_BUS_ADDRESS" lists "$REPEAT"
