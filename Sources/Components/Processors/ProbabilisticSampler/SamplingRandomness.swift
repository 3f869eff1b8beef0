import TraceModel

/// 56 bits of randomness a sampling threshold is compared against: the `rv` value, or the trace
/// ID's last 7 bytes (OpenTelemetry probability sampling spec (tracestate ot= th/rv), after W3C
/// Trace Context level 2's random trace ID flag), or synthesized from the legacy hash.
struct SamplingRandomness: Equatable, Sendable {
    /// Sampled at every probability; stands in where randomness is missing.
    static let allProbabilities = SamplingRandomness(unsigned: SamplingThreshold.maxAdjustedCount - 1)

    let unsigned: UInt64

    init(unsigned: UInt64) {
        self.unsigned = unsigned & (SamplingThreshold.maxAdjustedCount - 1)
    }

    init(traceID: TraceID) {
        self.init(unsigned: traceID.low)
    }

    /// Parses an `rv` value: exactly 14 hex digits.
    init(rvalue: Substring) throws(TraceStateError) {
        guard rvalue.utf8.count == SamplingThreshold.hexDigits else { throw .randomnessSize }
        guard let value = HexDigits.parse(rvalue) else { throw .syntax(String(rvalue)) }
        unsigned = value
    }

    var rvalue: String { HexDigits.format(unsigned) }
}

/// The `hash_seed` mode's hash: 32-bit FNV-1a over the seed (4 bytes, little-endian), then the
/// trace ID's 16 bytes. Its low 14 bits pick one of 16,384 buckets.
enum HashSeedHash {
    static let buckets: UInt32 = 0x4000
    static let bucketBits = 14

    static func fnv1a32(_ bytes: [UInt8], seed: UInt32) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for i in 0..<4 {
            hash = (hash ^ (seed >> (8 * i) & 0xff)) &* 16_777_619
        }
        for byte in bytes {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return hash
    }

    /// An `rv` that makes the spec's comparison give the legacy decision (bucket < kept buckets):
    /// the top 14 bits are 0x3fff − bucket, the next 28 mix the hash's 18 unused bits, the last 14
    /// are the bucket.
    static func randomness(_ traceID: TraceID, seed: UInt32) -> SamplingRandomness {
        let hash = fnv1a32(traceID.bytes, seed: seed)
        let bucket = UInt64(hash & (buckets - 1))
        let unused = UInt64(hash >> UInt32(bucketBits))
        let mixed = unused ^ (unused << 10)
        return SamplingRandomness(unsigned: (UInt64(buckets) - 1 - bucket) << 42 | mixed << 14 | bucket)
    }
}
