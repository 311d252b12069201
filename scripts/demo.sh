#!/bin/bash
# demo.sh: one command for a fresh Debian 12 machine — install dependencies, build, run demo/demo.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/deps.sh"
"$ROOT/scripts/build.sh"
exec "$ROOT/demo/demo.sh"
