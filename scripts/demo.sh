#!/bin/bash
# demo.sh: one command for a fresh Debian 12 machine — install dependencies, build, build the tiny test guest, run demo/demo.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VMMD_BUILD_DIR:-$ROOT/build}
export VMMD_BUILD_DIR=$BUILD

"$ROOT/scripts/deps.sh"
"$ROOT/scripts/build.sh"

# The guest (a Debian kernel + busybox initrd) comes from `apt-get download`, which
# needs package lists; a fresh container may have none yet.
if [[ ! -e $BUILD/tests/e2e/vmlinux ]] &&
	! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
	echo "demo: no package lists for 'apt-get download'; running apt-get update"
	if (( EUID == 0 )); then apt-get update -q; else sudo apt-get update -q; fi
fi
ninja -C "$BUILD" tests/e2e/vmlinux

exec "$ROOT/demo/demo.sh"
