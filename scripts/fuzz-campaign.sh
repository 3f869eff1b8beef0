#!/usr/bin/env bash
# Usage: scripts/fuzz-campaign.sh TARGET RUNS [libFuzzer flags...]
# Runs one libFuzzer target until RUNS executions (-runs=RUNS) and prints libFuzzer's final stats
# plus the wall time, corpus size and the exact command: the figures FUZZING.md records.
# The harness is built with optimization (-c release) and ASan, in its own scratch directory
# (FUZZ_SCRATCH, default Fuzz/.build-campaign) so a running campaign is not rebuilt underneath by
# make fuzz-smoke. The working corpus lives under FUZZ_WORK (default /tmp/swiftlet-fuzz/TARGET),
# kept between runs, never committed; it starts from the same seeds as scripts/fuzz.sh.
# FUZZ_NO_BUILD=1 skips the build (to run a harness already built, e.g. by FUZZ_TARGETS in a loop).
# FUZZ_SANITIZE (default fuzzer,address) is what -sanitize= gets: FUZZ_SANITIZE=fuzzer runs the
# harness with coverage alone, two to three times as many inputs a second on allocation-heavy
# targets, where ASan's allocator and its stack traces take most of the time; Swift's own checks
# (bounds, overflow, preconditions) still trap. Its default scratch is Fuzz/.build-campaign-fuzzer.
# Exits non-zero if the fuzzer finds a crash, leak or timeout; the input is kept in FUZZ_WORK/artifacts.
set -euo pipefail

target="${1:?usage: $0 TARGET RUNS [libFuzzer flags...]}"
runs="${2:?usage: $0 TARGET RUNS [libFuzzer flags...]}"
shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
sanitize="${FUZZ_SANITIZE:-fuzzer,address}"
if [ "$sanitize" = "fuzzer,address" ]; then default_scratch="$root/Fuzz/.build-campaign"
else default_scratch="$root/Fuzz/.build-campaign-${sanitize//,/-}"; fi
scratch="${FUZZ_SCRATCH:-$default_scratch}"
work="${FUZZ_WORK:-/tmp/swiftlet-fuzz/$target}"
build=(swift build -c release --package-path "$root/Fuzz" --scratch-path "$scratch"
    -Xswiftc -sanitize="$sanitize" -Xswiftc -parse-as-library)

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    # SwiftPM plans the sources of the path dependency (the Swiftlet package) anew only when a
    # manifest changed: a source file added since the last build would be missing ("cannot find
    # ... in scope"). Touching the harness manifest makes it look again.
    touch "$root/Fuzz/Package.swift"
    # Builds on this machine are serialized through one lock.
    # Other builds may edit sources meanwhile ("modified during the build"): try a few times.
    for attempt in 1 2 3 4 5; do
        flock /tmp/swiftlet-build.lock "${build[@]}" --product "$target" && break
        [ "$attempt" = 5 ] && exit 1
        sleep 20
    done
    git -C "$root" rev-parse --short HEAD > "$scratch/built-from"
fi
bin="$("${build[@]}" --show-bin-path)/$target"

mkdir -p "$work/corpus" "$work/artifacts"
if [ -z "$(ls -A "$work/corpus")" ]; then
    "$root/scripts/fuzz-seeds.sh" "$target" "$work/corpus"
fi
flags=(-runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/")
[ -f "$root/Fuzz/Dictionaries/$target.dict" ] && flags+=("-dict=$root/Fuzz/Dictionaries/$target.dict")
flags+=("$@")

# The Swift runtime's backtracer reads the crashed stack itself, which ASan reports as a second error.
export SWIFT_BACKTRACE=enable=no
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
# The commit HEAD was at when the harness was last built (the work tree may have held more).
echo "built_from: $(cat "$scratch/built-from" 2>/dev/null || echo unknown)"
echo "sanitize: $sanitize"
echo "command: $bin $work/corpus ${flags[*]}"
# libFuzzer's whole output goes to a file first, so its final stats survive this script being
# stopped (libFuzzer prints them on SIGINT/SIGTERM too); progress lines are left out here.
log="$work/run-$(date -u +%Y%m%dT%H%M%S).log"
start=$(date +%s)
status=0
"$bin" "$work/corpus" "${flags[@]}" > "$log" 2>&1 || status=$?
end=$(date +%s)
grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' "$log" || true
echo "target: $target"
echo "wall_seconds: $((end - start))"
echo "corpus_files: $(find "$work/corpus" -type f | wc -l)"
echo "corpus_bytes: $(du -sb "$work/corpus" | cut -f1)"
echo "exit: $status"
exit "$status"
