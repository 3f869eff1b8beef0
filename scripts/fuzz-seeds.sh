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
    FuzzTLS)
        # Made here rather than kept: a PEM certificate, key and CA (first byte even), and a real
        # ClientHello (first byte odd) offering h2 and http/1.1.
        tmp="$(mktemp -d)"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
            -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 2>/dev/null
        { printf '\0'; cat "$tmp/cert.pem"; printf '\0'; cat "$tmp/key.pem"; printf '\0'; cat "$tmp/cert.pem"; } > "$dir/pem"
        python3 -c '
import ssl, sys
ctx = ssl.create_default_context()
ctx.set_alpn_protocols(["h2", "http/1.1"])
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
client = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
try:
    client.do_handshake()
except ssl.SSLWantReadError:
    pass
sys.stdout.buffer.write(b"\x01" + outgoing.read())' > "$dir/client-hello"
        rm -rf "$tmp" ;;
    *) cp "$root"/Fuzz/Seeds/"$target"/* "$dir/" ;;
esac
