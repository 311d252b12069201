#!/bin/bash
# test-man-pages.sh: the manual pages name every vmmctl command and every daemon option, so they cannot fall behind the programs.
#
# Usage: test-man-pages.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
BUILD=$1 SOURCE=$2
MAN=$SOURCE/docs/man
n=0 failures=0
check() { # WHAT COMMAND...
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; failures=$((failures + 1)); fi
}
mentions() { grep -qF -- "*$2*" "$MAN/$1"; }

for c in $("$BUILD/tools/vmmctl/vmmctl" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
	check "vmmctl.1 names $c" mentions vmmctl.1.scd "$c"
done
for d in vmmd-qemu vmmd-storage vmmd-dispatch vmmd-network vmmd-secret vmmd-nwfilter; do
	for o in $("$BUILD/daemons/$d/$d" --help | grep -o -- '--[a-z-]*' | grep -vx -- '--help'); do
		check "$d.8 names $o" mentions "$d.8.scd" "$o"
	done
	check "$d.8 built" test -s "$BUILD/docs/$d.8"
done
check "vmmctl.1 built" test -s "$BUILD/docs/vmmctl.1"
echo "1..$n"
((failures == 0))
