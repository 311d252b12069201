#!/bin/bash
# test.sh: one command for a fresh Debian 12 machine — install dependencies, build, run every test, end with "N passed, N failed, N skipped".
#
# Usage: scripts/test.sh [meson test arguments, e.g. --suite unit]
# Exits non-zero when anything failed (the build counts as one failure if it breaks).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VMMD_BUILD_DIR:-$ROOT/build}
export VMMD_BUILD_DIR=$BUILD

"$ROOT/scripts/deps.sh" --with-fuzz --with-packaging || exit 1

if ! "$ROOT/scripts/build.sh"; then
	echo "build failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# The e2e guest comes from `apt-get download` of two Debian packages; stale or missing
# package lists make that fail, so refresh them once and retry before the tests run.
# If it still cannot be built the e2e tests run anyway and fail (they say the guest is
# missing); the reason is repeated just above the count. (ninja also rebuilds it when
# tests/guest/make-guest.sh changed.)
notes=()
if ninja -C "$BUILD" -t query tests/e2e/vmlinux >/dev/null 2>&1; then
	if ! ninja -C "$BUILD" tests/e2e/vmlinux; then
		echo "test: building the test guest failed; refreshing the package lists and retrying"
		if (( EUID == 0 )); then apt-get update -q; else sudo apt-get update -q; fi
		rm -rf "$BUILD/tests/e2e/.debs"
		if ! ninja -C "$BUILD" tests/e2e/vmlinux; then
			notes+=("test: the test guest could not be built (tests/guest/make-guest.sh, output above), so the e2e tests failed")
		fi
	fi
else
	notes+=("test: the e2e tests are not in this build (configured with -De2e=false)")
fi

# checks outside meson test (the clone check in .ci/run, the install checks below): each
# counts once in the final line
extra_passed=0 extra_failed=0
if [[ -n ${VMMD_CI_FAILED:-} ]]; then
	extra_failed=$((extra_failed + 1))
	notes+=("test: FAILED: $VMMD_CI_FAILED")
fi

# A stale log from an earlier run must not be counted if meson test dies early.
rm -f "$BUILD/meson-logs/testlog.json"
meson test -C "$BUILD" --print-errorlogs "$@"
meson_rc=$?

# The libFuzzer targets over their seed corpora, in a clang build of their own (only for
# a whole run, not when the caller picked suites or tests).
FUZZ_BUILD=${VMMD_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
fuzz_log=""
if (( $# == 0 )) && command -v clang >/dev/null; then
	if [[ ! -d $FUZZ_BUILD ]]; then
		CC=clang meson setup "$FUZZ_BUILD" -Dfuzz=true -De2e=false >/dev/null || meson_rc=1
	fi
	rm -f "$FUZZ_BUILD/meson-logs/testlog.json"
	if meson compile -C "$FUZZ_BUILD" >/dev/null; then
		meson test -C "$FUZZ_BUILD" --suite fuzz --print-errorlogs || meson_rc=1
	else
		echo "test: the fuzz build failed"
		meson_rc=1
	fi
	fuzz_log="$FUZZ_BUILD/meson-logs/testlog.json"
fi

# The unit, bus and torture suites again in an AddressSanitizer + UndefinedBehaviorSanitizer
# build of their own (a whole run only; VMMD_SANITIZE=0 leaves it out). A sanitizer report
# fails the test it happens in; leaks of the test programs themselves are suppressed.
SAN_BUILD=${VMMD_SAN_BUILD_DIR:-$ROOT/build-asan}
san_log=""
if (( $# == 0 )) && [[ ${VMMD_SANITIZE:-1} != 0 ]]; then
	if [[ ! -d $SAN_BUILD ]]; then
		meson setup "$SAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false -De2e=false >/dev/null || meson_rc=1
	fi
	rm -f "$SAN_BUILD/meson-logs/testlog.json"
	if meson compile -C "$SAN_BUILD" >/dev/null; then
		ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
		LSAN_OPTIONS=suppressions=$ROOT/tests/sanitizers/lsan-test-clients.supp \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			meson test -C "$SAN_BUILD" --suite unit --suite bus --suite torture --print-errorlogs || meson_rc=1
	else
		echo "test: the sanitizer build failed"
		meson_rc=1
	fi
	san_log="$SAN_BUILD/meson-logs/testlog.json"
fi

# What gets installed, the .deb, and (as root) the installed package on a private system
# bus: only for a whole run. Each TAP line counts once; VMMD_SKIP_INSTALL_CHECK=1 skips
# it (then said above the count).
if (( $# == 0 )) && [[ -z ${VMMD_SKIP_INSTALL_CHECK:-} ]]; then
	"$ROOT/scripts/install-check.sh" "$BUILD" | tee "$BUILD/install-check.tap"
	extra_passed=$((extra_passed + $(grep -c '^ok ' "$BUILD/install-check.tap")))
	extra_failed=$((extra_failed + $(grep -c '^not ok ' "$BUILD/install-check.tap")))
	grep -q '^1\.\.' "$BUILD/install-check.tap" || {
		extra_failed=$((extra_failed + 1))
		notes+=("test: scripts/install-check.sh stopped before its end")
	}
elif (( $# == 0 )); then
	notes+=("test: the install checks were skipped (VMMD_SKIP_INSTALL_CHECK)")
fi

for n in "${notes[@]}"; do echo "$n"; done
INSTALL_TAP="$BUILD/install-check.tap" python3 - "$meson_rc" "$extra_passed" "$extra_failed" "$BUILD/meson-logs/testlog.json" $fuzz_log $san_log <<'PY'
import json, os, re, signal, sys

# Count what a user would: each GTest case (TAP "ok N" / "not ok N" lines in a test's
# output); a test program without TAP output counts once by its own result. Whatever
# failed is named (with the end of its output) just above the final line, the part of a
# long log that a reader sees first.
meson_rc, paths = int(sys.argv[1]), sys.argv[4:]
passed, failed, skipped = int(sys.argv[2]), int(sys.argv[3]), 0
failures = []

def how(entry):
    # how the program ended: a signal says more than meson's FAIL
    rc = entry.get("returncode") or 0
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit {rc}"

def tail(text, n=12):
    # libFuzzer's statistics and progress lines say nothing about what failed
    lines = [l for l in (text or "").rstrip().splitlines()
             if not re.match(r"(stat::|#\d+\s|INFO: |MS: )", l)]
    return ["    | " + (l if "gzip+base64:" in l else l[:200]) for l in lines[-n:]]

for path in paths:
  build = os.path.basename(os.path.dirname(os.path.dirname(path)))
  try:
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            result, name = entry.get("result"), f"{build}: {entry.get('name')}"
            cases = re.findall(r"^(not ok|ok) \d+([^\n]*)", entry.get("stdout") or "", re.M)
            if cases:
                for status, rest in cases:
                    if "# SKIP" in rest:
                        skipped += 1
                    elif status == "ok":
                        passed += 1
                    else:
                        failed += 1
                        failures.append([f"FAILED {name}:{rest}"] + tail(entry.get("stderr")))
                # a program that died after its last case (crash, timeout) failed too
                if result not in ("OK", "EXPECTEDFAIL", "SKIP") and not any(s == "not ok" for s, _ in cases):
                    failed += 1
                    bail = [l for l in (entry.get("stdout") or "").splitlines() if l.startswith("Bail out!")]
                    failures.append([f"FAILED {name}: {result} ({how(entry)}) after its last case{cases[-1][1]}"] +
                                    tail(entry.get("stderr")) + ["    | " + l[:200] for l in bail])
            elif result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS
                failed += 1
                failures.append([f"FAILED {name}: {result} ({how(entry)})"] +
                                tail((entry.get("stderr") or "") + (entry.get("stdout") or "")))
  except FileNotFoundError:
    pass
try:
    with open(os.environ["INSTALL_TAP"]) as f:
        failures += [["FAILED install-check: " + l.strip()] for l in f if l.startswith("not ok")]
except (KeyError, FileNotFoundError):
    pass
# meson failing without a failed test (no tests ran, a crash) is still a failure.
if meson_rc != 0 and failed == int(sys.argv[3]):
    failed = 1
    failures.append(["FAILED meson test itself (exit code %d) with no failed test in its logs" % meson_rc])
for lines in failures[:8]:
    print("\n".join(lines))
if len(failures) > 8:
    print(f"... and {len(failures) - 8} more failures (see the logs above)")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
