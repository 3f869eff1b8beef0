import Testing
import TraceModel
@testable import WireFormats

/// SplitMix64: deterministic pseudo-random bytes so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Decoding must either succeed (and then re-encode) or throw; a trap fails the whole run.
private func decodeBoth(_ bytes: [UInt8]) {
    if let result = try? OTLPProtoDecoder.decodeExportRequest(bytes) { _ = OTLPProtoEncoder.encodeExportRequest(result.batch) }
    if let result = try? OTLPJSONDecoder.decodeExportRequest(bytes) { _ = OTLPJSONEncoder.encodeExportRequest(result.batch) }
}

@Test func decoders_neverTrap_onRandomBytes() {
    var random = SeededGenerator(state: 42)
    for _ in 0..<2000 {
        let count = Int.random(in: 0..<200, using: &random)
        decodeBoth((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
    }
}

@Test func decoders_neverTrap_onTruncationsAndBitFlipsOfValidRequests() throws {
    var random = SeededGenerator(state: 7)
    for name in ["request_mixed.binpb", "request_mixed.json"] {
        let valid = try Fixture.bytes(name)
        for length in 0...valid.count { decodeBoth(Array(valid[0..<length])) }
        for _ in 0..<2000 {
            var mutated = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<mutated.count, using: &random)
                mutated[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            }
            decodeBoth(mutated)
        }
    }
}
