#!/bin/bash
# define-list.sh: times define, list, lookup and undefine of many domains through vmmctl on a private bus (not part of the test suite).
#
# Usage: bench/define-list.sh [COUNT]     (default 200; VMMD_BUILD_DIR picks the build dir)
# Each vmmctl run is a new process and a new bus connection, as in a shell script, so
# the numbers include that cost; the "list" line shows what one client sees for COUNT domains.
set -euo pipefail

COUNT=${1:-200}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${VMMD_BUILD_DIR:-$ROOT/build}" && pwd)
VMMCTL=$BUILD/tools/vmmctl/vmmctl
source "$ROOT/demo/private-bus.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-bench.XXXXXX")
trap 'private_bus_stop; rm -rf "$TMP"' EXIT
private_bus_start "$BUILD" "$TMP"

now() { date +%s.%N; }
report() { awk -v what="$1" -v n="$2" -v t0="$3" -v t1="$4" \
	'BEGIN { d = t1 - t0; printf "%-28s %6d ops %8.3f s %8.2f ms/op\n", what, n, d, 1000 * d / n }'; }

for i in $(seq "$COUNT"); do
	printf "<domain type='qemu'><name>bench%d</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>\n" \
		"$i" > "$TMP/bench$i.xml"
done

# The first call activates the daemon; keep that out of the define numbers.
"$VMMCTL" list --all >/dev/null

t0=$(now)
for i in $(seq "$COUNT"); do "$VMMCTL" define "$TMP/bench$i.xml" >/dev/null; done
report "define" "$COUNT" "$t0" "$(now)"

t0=$(now)
for _ in 1 2 3 4 5 6 7 8 9 10; do "$VMMCTL" list --all >/dev/null; done
report "list --all ($COUNT domains)" 10 "$t0" "$(now)"

t0=$(now)
for i in $(seq "$COUNT"); do "$VMMCTL" domstate "bench$i" >/dev/null; done
report "domstate (lookup by name)" "$COUNT" "$t0" "$(now)"

t0=$(now)
for i in $(seq "$COUNT"); do "$VMMCTL" undefine "bench$i" >/dev/null; done
report "undefine" "$COUNT" "$t0" "$(now)"
