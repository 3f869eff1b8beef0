#!/usr/bin/env bash
# Usage: scripts/fuzz-seeds.sh TARGET DIR — copies TARGET's seed corpus into DIR: the test fixtures
# for the decoders that have them, Fuzz/Seeds/TARGET otherwise. Used by fuzz.sh and fuzz-campaign.sh.
set -euo pipefail
target="${1:?usage: $0 TARGET DIR}"
dir="${2:?usage: $0 TARGET DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$dir"
case "$target" in
    FuzzOTLP*) cp "$root"/Tests/WireFormatsTests/Fixtures/otlp/* "$dir/" ;;
    FuzzZipkinV2JSON) cp "$root"/Tests/WireFormatsTests/Fixtures/zipkin/{v2_*,istio_*,envoy_*}.json "$dir/" ;;
    FuzzZipkinProto) cp "$root"/Tests/WireFormatsTests/Fixtures/zipkin/*.binpb "$dir/" ;;
    FuzzZipkinV1JSON) cp "$root"/Tests/WireFormatsTests/Fixtures/zipkin/v1_*.json "$dir/" ;;
    FuzzZipkinV1Thrift) cp "$root"/Tests/WireFormatsTests/Fixtures/zipkin/*.thrift "$dir/" ;;
    FuzzThriftBinary) cp "$root"/Tests/ComponentsTests/Golden/jaeger/*binary "$dir/" ;;
    FuzzThriftCompact) cp "$root"/Tests/ComponentsTests/Golden/jaeger/*.compact "$dir/" ;;
    FuzzJaegerProto) cp "$root"/Tests/WireFormatsTests/Fixtures/jaeger/*.binpb "$dir/" ;;
    FuzzConfig) cp "$root"/Fuzz/Seeds/FuzzConfig/* "$root"/config/*.yaml "$dir/" ;;
    *) cp "$root"/Fuzz/Seeds/"$target"/* "$dir/" ;;
esac
