#!/usr/bin/env bash
# Usage: scripts/fuzz.sh TARGET SECONDS (TARGET: one of the executables in Fuzz/Package.swift)
# Builds the libFuzzer harness (debug, ASan), seeds a corpus from the fixtures and fuzzes
# for SECONDS. Exits non-zero if the fuzzer finds a crash.
set -euo pipefail

target="${1:?usage: $0 TARGET SECONDS}"
seconds="${2:?usage: $0 TARGET SECONDS}"
root="$(cd "$(dirname "$0")/.." && pwd)"

swift build -c debug --package-path "$root/Fuzz" --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
bin="$(swift build -c debug --package-path "$root/Fuzz" --show-bin-path)/$target"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/artifacts"
"$root/scripts/fuzz-seeds.sh" "$target" "$work/corpus"
dict=()
[ -f "$root/Fuzz/Dictionaries/$target.dict" ] && dict=("-dict=$root/Fuzz/Dictionaries/$target.dict")

# libFuzzer exits non-zero on a crash, leak or timeout; set -e passes that on.
"$bin" "$work/corpus" "${dict[@]}" -max_total_time="$seconds" -artifact_prefix="$work/artifacts/" -print_final_stats=1 || {
    status=$?
    trap - EXIT  # keep the crashing input for reproduction: "$bin" <file>
    echo "fuzzer $target failed (exit $status); crashing inputs kept in $work/artifacts/" >&2
    exit "$status"
}
