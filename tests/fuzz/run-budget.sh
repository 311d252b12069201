#!/bin/sh
# run-budget.sh: runs one libFuzzer target for a fixed time over a scratch copy of its seeds
# (the source tree is never written) and keeps any crash as a file to add to the seeds.
#
# Usage: run-budget.sh TARGET ARTIFACT_DIR SEED_DIR...
# VMMD_FUZZ_SECONDS: the budget per target (default 10, the CI budget; try 600 locally).
# VMMD_FUZZ_SEED: libFuzzer's random seed (default 1, so that a CI run explores the same
# inputs each time, the start of what a longer run with the same seed explores; 0 picks a
# new seed each run, for the long runs that look for new findings).
# A crash, leak or timeout input lands in ARTIFACT_DIR as TARGET-crash-<sha1> (and so on);
# copy it to tests/data/fuzz-regressions/TARGET/ so that every later run replays it.
set -eu
target=$1
artifacts=$2
shift 2
seconds=${VMMD_FUZZ_SECONDS:-10}
seed=${VMMD_FUZZ_SEED:-1}
name=$(basename "$target")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"
for dir in "$@"; do
	[ -d "$dir" ] && find "$dir" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$scratch"/ \;
done
echo "fuzzing $name for ${seconds}s (seed $seed) from $(ls "$scratch" | wc -l) seeds; crashes go to $artifacts"
# libFuzzer exits 77 on a crash by default, which meson reads as a skip: make every
# finding a failure, and show the input that caused it, whole up to 64 KiB (the artifact
# stays on the CI machine; this line is what a developer needs to replay it).
rc=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 -seed="$seed" \
	-artifact_prefix="$artifacts/$name-" "$scratch" || rc=$?
if [ "$rc" != 0 ]; then
	for f in "$artifacts/$name"-*; do
		[ -f "$f" ] && [ "$f" -nt "$scratch" ] || continue
		echo "the input that failed: $(basename "$f") gzip+base64: $(head -c 65536 "$f" | gzip -9 | base64 -w0)"
	done
fi
exit "$rc"
