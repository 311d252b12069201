#!/bin/bash
# build.sh: configures (once) and compiles vmmd in build/ (or $VMMD_BUILD_DIR).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VMMD_BUILD_DIR:-$ROOT/build}

if [[ ! -f $BUILD/build.ninja ]]; then
	meson setup "$BUILD" "$ROOT" "$@"
elif (( $# > 0 )); then
	meson configure "$BUILD" "$@"
fi
meson compile -C "$BUILD"
