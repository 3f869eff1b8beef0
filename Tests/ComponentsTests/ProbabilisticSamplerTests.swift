@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel

private typealias Config = ProbabilisticSampler.Config

private func parse(_ yaml: String) throws -> Config {
    let r = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "processors::probabilistic_sampler", file: "t")
    let c = try Config.parse(r)
    try r.finish()
    return c
}

private func configError(_ yaml: String) -> String? {
    do {
        _ = try parse(yaml)
        return nil
    } catch {
        return "\(error)"
    }
}

/// A config as upstream's tests build one: the Go struct's zero values (fail open) unless given;
/// upstream's precision 0 means full precision, which is 14 here.
private func config(_ pct: Float, mode: ProbabilisticSampler.Mode = .hashSeed, seed: UInt32 = 4312,
                    failClosed: Bool = false, precision: Int = 14) -> Config {
    Config(samplingPercentage: pct, hashSeed: seed, mode: mode, failClosed: failClosed, samplingPrecision: precision)
}

private func tid(_ hex: String) -> TraceID { TraceID(hex: hex)! }

private func span(_ traceID: TraceID, traceState: String = "", priority: AnyValue? = nil, key: String = "sampling.priority") -> Span {
    Span(traceID: traceID, spanID: SpanID(0xfefefefe), traceState: traceState, name: "s",
         attributes: priority.map { [KeyValue(key, $0)] } ?? [])
}

private func batch(_ spans: [Span]) -> TraceBatch {
    TraceBatch(resourceSpans: [ResourceSpans(scopeSpans: [ScopeSpans(spans: spans)])])
}

/// SplitMix64: random trace IDs that are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// upstream's `TestHashingFunction`: seed, trace ID and the legacy decision at 50 %.
private let hashSeedVectors = """
        653 474a03c76d75951a4b4c537ced8f1122 kept
        563 53a518291e91307e43cd8467bb06f986 kept
        142 a56a02f843b9bc6ee0b13889249e90e6 kept
        904 4e40762d3ee97a1c0932e4fa584f89a8 dropped
        445 5224507db93db513f0ea2a4b4e0578c8 kept
        38 0c8717ced36216037af657e9d7f8b35b kept
        561 2a8aa76c18d08e1e8be935541f9318c7 dropped
        757 9e3d0f9481dc422cb613ea550897ae71 dropped
        22 66a66c516ac22054673e5da5e6492545 dropped
        172 84a1ce7bcea3e66194e72b4aa2694e31 kept
        552 a811a7def34ca4b98d8e320afd115fad dropped
        546 e3a345cc8dbb6f014bfa1edad3981820 kept
        315 a71effb50e28d27cbdc9892f3765b8c2 dropped
        510 55ee665a3fa22f8ea1b744ce15a7339d dropped
        230 7a5006be4d0ce7b542d59f83cd6f1c41 dropped
        544 825b8fb9cfd45867794f4cd8a5a699bd dropped
        790 7629ecbea89398bfd9752a2f51c2c137 kept
        555 de6cdfb44d69e211f886c57120d7bda0 kept
        147 a8a5c3bb9205883fae17ead6675b2450 dropped
        238 937e6cb3332dbe87062fa3997f48f425 dropped
        122 5a357e150995e005847816c431ba502d dropped
        963 20cb3dcebe2cf8abe6102f4a2e548245 dropped
        141 1b0afbd09abaaf7996cd26f8f6533795 dropped
        666 3ee60b013303bcfda06be89071b90bd1 kept
        305 c90c7cf3471bbc3a804a8a831633705b kept
        270 18dda74dfca45a7b0261510f385fb4de kept
        381 600cf70c7bb4918e54aefd78c84f3996 kept
        35 855f493c5b5b1e2fcbc9993f8061eac8 dropped
        839 89bc498feb21d969cf0eabf916aa621a dropped
        561 0a0af00f63e098a39883705a423b0aa8 kept
        667 0c38553d71f54dfc37155c22cc8bf243 dropped
        603 49493809d1a49ea879e6aba37afde958 kept
        92 eb60d98b8f8fe22d8970f44f0e2b6bad kept
        70 19c386ee7a9f2d56ff9ab2e6374540af dropped
        567 2a033c15405f1c7a311f653719ed47b7 dropped
        936 62dda24e4be24f5198e4d8dd4010c811 kept
        210 bb134e26ee92e282e29cabdb1d00d333 kept
        835 6c77db08bbded7bdd5c99c6e2fea41d2 dropped
        864 99f6a7e7b50845b4fb64b7c2ee49f53c kept
        775 e908cb91224bee8fd4b5f3632f65717f kept
        687 45a5ace7234d92d9983b4f3858bc0b8e dropped
        761 8c8a25d232fd4d3a37a5f70ccb82d752 dropped
        400 54156d7434a894ef07f2a80dbf0f1138 kept
        741 67e3bfb02b0526dbb79420468d7b83dd dropped
        871 f6ea221283dcb42f89bfb15fa33398d2 dropped
        244 b663ca45004decf8123a19fb5d7f7115 kept
        885 d0e299d54d6dc6469276fd4e48301d73 kept
        607 03240c2748aa67a185909a9345d84aba dropped
        434 b00de72ba67e6fe0ed661decac911f7e kept
        889 20fff68a7cc715b30e4e6d69d53e0f60 dropped
        810 6bf2bb105e594f6220803da5253551af dropped
        494 54fbb1d3ebe3883b0a01bbf2c9a2bf3e kept
        413 a8a2ecba129d8537e360cf54de9d7460 dropped
        215 2df034262b775136f2a313fdcc09738a kept
        557 e3c1b943d9c1199d1108a69aa32a4587 dropped
        662 1975d5f5640bac1064d53c2c21e02aae dropped
        482 6e4f16727dec3c09539b5f50d35d2c13 dropped
        223 63a088446ef0ed60a9cace4698ede026 dropped
        261 9b662cd6f67a4e3d1f904b4c5d4275b1 kept
        112 a2db788dbadc402b8c466b93b8749a6c kept
        6 d6a68b47c66d1f94eed46b8ddc72faf4 dropped
        575 e8a83c42f4515568d0942ec4472c9d2c kept
        568 030e14c2954e3f08134b355f33414ba9 dropped
        965 022315846d42a38322d6fd26250444b3 kept
        512 b3ba1ed226288dede87ac1f2ba88de2b kept
        108 c57d0dcf43d5b154ef04c7953c94cd12 kept
        248 a835fe521d9cbfcfb724b603f87c7403 dropped
        46 eda867e6df95e74abefac336c7f4cd1a dropped
        879 09e9e67a261ea3e00d817105b57ffd4e dropped
        853 6a780cf250cb3d2b699394042e6723a8 dropped
        639 4c99d7f14c66b3123caf57980f8e2a31 dropped
        111 79dc8d7a54bc3e8ef513b9cd8d830564 kept
        135 9c2e5d9d713e5219b0f9e5b884835e69 dropped
        209 3ccb300bf7b983229979e0c46db267b0 kept
        629 0bb7b9da64da250c3934bb39130dc990 kept
        910 b25713ca4cea377871eaa334bc2dd382 kept
        667 69afc041003851cec60f41db97e005a9 kept
        449 c844b5428abe0cf82eaf02566781870a kept
        16 2533c732bed8c1ba4721c25a1205f06c dropped
        936 ecc770b4be885dfc8d6fa135bc2c93bb kept
        595 63b67cbb42de52e9916241ad94fcd5e8 kept
        83 fc4998bc53ccd42a5b8e7c86a93d4c88 dropped
        878 59f0677dffe1a0a8c5895cb263e3a019 dropped
        206 eb897eff9e7c7363e063b340a0c6b315 kept
        710 89e4c7e6af305be6cd139abcae953db5 kept
        650 97563d45ee254231e1ace05fb746bcce dropped
        233 3f580864f295ff13f179c3c907032ea9 kept
        836 e9b78e03706265a6936bff2a41530104 dropped
        568 c458603ee921fa8711085c15b871b245 dropped
        816 4bbfffab5b5975c1b007ebc518bf416d dropped
        397 61a1a65746287d78a431c6848ed1ffb3 dropped
        847 53eee02f4672a72e93369b2c2ecf36eb dropped
        354 6ea23c3068a2c304488c8e67a072db97 dropped
        961 eed247645e510ded87bd9afcf1d3e237 dropped
        799 092af4ff2fdea5bb1c708b2169bdfd95 dropped
        99 497f02db51c898ac441aae18a8b7ced9 dropped
        773 988481445600bb91bbe23e3103034bcd kept
        928 f1813835ac0f456721ef3aac39c0269a kept
        235 1999920085682c007eb3a6984d2a7f05 kept
        460 60c3b9a2dde734d71ba5cca7eb164bce kept
    """

@Suite struct ProbabilisticSamplerTests {
    // MARK: config

    @Test func config_defaultsAreUpstreams() throws {
        let c = try parse("{}")
        #expect(c == Config(samplingPercentage: 0, hashSeed: 0, mode: .hashSeed, failClosed: true, samplingPrecision: 4))
    }

    @Test func config_readsEveryKey() throws {
        let c = try parse("sampling_percentage: 15.3\nhash_seed: 22\nmode: proportional\nfail_closed: false\nsampling_precision: 7\n")
        #expect(c == Config(samplingPercentage: 15.3, hashSeed: 22, mode: .proportional, failClosed: false, samplingPrecision: 7))
        #expect(try parse("mode: equalizing").mode == .equalizing)
        #expect(try parse("mode: hash_seed").mode == .hashSeed)
        #expect(try parse("mode: \"\"").mode == .hashSeed)
    }

    @Test func config_refusesWhatUpstreamRefuses() {
        let cases: [(String, String)] = [
            ("sampling_percentage: -15", "sampling rate is negative"),
            ("sampling_percentage: 1e-16", "sampling rate is too small"),
            ("sampling_percentage: .inf", "sampling rate is invalid: +Inf%"),
            ("sampling_percentage: 1e40", "sampling rate is invalid: +Inf%"),
            ("sampling_precision: 15", "sampling precision is too great, should be <= 14: 15"),
            ("sampling_precision: 0", "invalid sampling precision: 0"),
            ("sampling_precision: -1", "invalid sampling precision: -1"),
            ("mode: downsample", "unsupported sampler mode \"downsample\""),
            ("hash_seed: -1", "expected an unsigned 32-bit integer"),
            ("hash_seed: 4294967296", "expected an unsigned 32-bit integer"),
            ("attribute_source: span", "invalid attribute source: span. Expected: traceID or record"),
            ("sampling_percent: 10", "unknown key 'sampling_percent'"),
            ("fail_closed: maybe", "expected true or false"),
        ]
        for (yaml, message) in cases {
            let error = configError(yaml)
            #expect(error?.contains(message) == true, "\(yaml): \(error ?? "no error")")
        }
        #expect(configError("sampling_percentage: 0") == nil)
        #expect(configError("sampling_percentage: 250\nhash_seed: 4294967295\nsampling_precision: 14") == nil)
    }

    @Test func config_logsOnlyKeysAreAcceptedWithAWarning() throws {
        let c = try parse("sampling_percentage: 100\nattribute_source: record\nfrom_attribute: id\nsampling_priority: prio\n")
        #expect(c.logsOnlyKeys == ["attribute_source", "from_attribute", "sampling_priority"])
        #expect(try parse("attribute_source: traceID").logsOnlyKeys == [])
        let log = CapturedLog()
        let sink = SinkConsumer()
        let p = ProbabilisticSampler(context("probabilistic_sampler", .processor, log: log), c, next: sink)
        try p.consume(sampleBatch(spans: 2))
        #expect(sink.spanCount == 2)
        #expect(log.text.contains("from_attribute applies to logs only and is not used"))
    }

    // MARK: thresholds and randomness (upstream's pkg/sampling tests)

    @Test func threshold_fromProbabilityAtFullPrecision() {
        let cases: [(Double, String)] = [
            (1, "0"), (0.5, "8"), (0x1p-56, "ffffffffffffff"), (1.0 / 3, "aaaaaaaaaaaaac"), (2.0 / 3, "55555555555558"),
            (1 - 0x54p-8, "54"), (1 - 0x1p-8, "01"), (0x100p-56, "ffffffffffff"), (1 - 0x1p-52, "0000000000001"),
        ]
        for (p, tvalue) in cases {
            #expect(SamplingThreshold(probability: p, precision: 14)?.tvalue == tvalue, "\(p)")
        }
        for p in [0x1p-57, 1.1, 0] {
            #expect(SamplingThreshold(probability: p, precision: 14) == nil)
        }
    }

    @Test func threshold_roundsToPrecisionCountingLeadingZerosAndFs() {
        let cases: [(Double, [String])] = [
            (1 - 0x456789ap-28, ["456789a", "45678a", "45679", "4568", "456", "45", "4"]),
            (1 - 0x456789ap-40, ["000456789a", "00045678a", "00045679", "0004568", "000456", "00045", "0004"]),
            (1 - 0x789abcdefp-40, ["0789abcdef", "0789abcdf", "0789abce", "0789abd", "0789ac", "0789b", "078a", "079", "08"]),
            (1 - 0x12345678p-32, ["12345678", "1234568", "123456", "12345", "1234", "123", "12", "1"]),
            (1 - 0x80801p-28, ["0080801", "00808", "008"]),
        ]
        for (p, roundings) in cases {
            for tvalue in roundings {
                let precision = tvalue.drop { $0 == "0" }.count
                #expect(SamplingThreshold(probability: p, precision: precision)?.tvalue == tvalue, "\(p) at \(precision)")
            }
        }
        #expect([1.0 / 3, 2.0 / 3, 1].map { SamplingThreshold(probability: $0, precision: 3)?.tvalue } == ["aab", "555", "0"])
        let small = [0x1p-56, 0x2p-56, 0x3p-56, 0x4p-56, 0x8p-56, 0x10p-56].map { SamplingThreshold(probability: $0, precision: 3)?.tvalue }
        #expect(small == ["ffffffffffffff", "fffffffffffffe", "fffffffffffffd", "fffffffffffffc", "fffffffffffff8", "fffffffffffff"])
    }

    @Test func threshold_parsesTValues() throws {
        #expect(try SamplingThreshold(tvalue: "8").probability == 0.5)
        #expect(try SamplingThreshold(tvalue: "444").probability == 1 - 0x444p-12)
        #expect(try SamplingThreshold(tvalue: "0") == .always)
        #expect(try SamplingThreshold(tvalue: "5") > SamplingThreshold(tvalue: "4"))
        #expect(try SamplingThreshold(tvalue: "4") > SamplingThreshold(tvalue: "04"))
        #expect(try SamplingThreshold(tvalue: "234") < SamplingThreshold(tvalue: "4"))
        #expect(throws: TraceStateError.thresholdEmpty) { try SamplingThreshold(tvalue: "") }
        #expect(throws: TraceStateError.syntax("g")) { try SamplingThreshold(tvalue: "g") }
        #expect(throws: TraceStateError.thresholdTooLong) { try SamplingThreshold(tvalue: "abababababababab") }
    }

    @Test func randomness_parsesRValuesAndTakesTheTraceIDsLowSevenBytes() throws {
        #expect(try SamplingRandomness(rvalue: "12341234123412") == SamplingRandomness(traceID: tid("eeeeeeeeeeeeeeeeee12341234123412")))
        #expect(try SamplingRandomness(rvalue: "FD70A3D70A3D71").rvalue == "fd70a3d70a3d71")
        for bad in ["123412341234120", "1234123412341", ""] {
            #expect(throws: TraceStateError.randomnessSize) { try SamplingRandomness(rvalue: Substring(bad)) }
        }
        #expect(throws: TraceStateError.syntax("abcdefgabcdefg")) { try SamplingRandomness(rvalue: "abcdefgabcdefg") }
        let half = SamplingThreshold(probability: 0.5, precision: 14)!
        #expect(!half.shouldSample(SamplingRandomness(traceID: tid("eeeeeeeeeeeeeeeeee00000000000000"))))
        #expect(!half.shouldSample(SamplingRandomness(traceID: tid("eeeeeeeeeeeeeeeeee7fffffffffffff"))))
        #expect(half.shouldSample(SamplingRandomness(traceID: tid("eeeeeeeeeeeeeeeeee80000000000000"))))
        #expect(half.shouldSample(SamplingRandomness(traceID: tid("eeeeeeeeeeeeeeeeeeffffffffffffff"))))
    }

    // MARK: tracestate

    @Test func traceState_keepsOtherVendorsAndPutsOTFirst() throws {
        var ts = try W3CTraceState(parsing: "foo=bar , ,ot=th:8;xy:Ab.-_;rv:c0000000000000,baz=q")
        #expect(ts.ot.tvalue == "8")
        #expect(ts.serialized == "ot=rv:c0000000000000;th:8;xy:Ab.-_,foo=bar,baz=q")
        _ = ts.ot.updateThreshold(try SamplingThreshold(tvalue: "c"))
        #expect(ts.serialized == "ot=rv:c0000000000000;th:c;xy:Ab.-_,foo=bar,baz=q")
        #expect(!ts.ot.updateThreshold(try SamplingThreshold(tvalue: "8")))
        #expect(try W3CTraceState(parsing: "a@b=1,0t@sys_-*/=x y").serialized == "a@b=1,0t@sys_-*/=x y")
        #expect(try W3CTraceState(parsing: "").serialized == "")
    }

    @Test func traceState_refusesBadSyntaxAndSizes() {
        let syntax = ["Foo=bar", "foo=bar=baz", "foo", "=x", "foo= ", "ot=th:8;", "ot=TH:8", "ot=th:8;;rv:1", "ot=th:8!", "a@B=1", "@a=1"]
        for text in syntax {
            let error = #expect(throws: TraceStateError.self) { try W3CTraceState(parsing: text) }
            #expect(error?.description.hasSuffix("invalid syntax") == true, "\(text)")
        }
        let members = (0..<32).map { "k\($0)=v" }
        #expect((try? W3CTraceState(parsing: members.dropLast().joined(separator: ","))) != nil)
        #expect(throws: TraceStateError.size) { try W3CTraceState(parsing: members.joined(separator: ",")) }
        #expect(throws: TraceStateError.size) { try W3CTraceState(parsing: "t@abcdefghijklmno=1") }
        #expect(throws: TraceStateError.size) { try W3CTraceState(parsing: "k=" + String(repeating: "a", count: 1023)) }
    }

    // MARK: hash_seed mode (upstream's tracesprocessor_test.go)

    @Test func hashSeed_fnvBucketsOfEmptyInput() {
        #expect(HashSeedHash.fnv1a32([], seed: 0) & 0x3fff == 0x3515)
        #expect(HashSeedHash.fnv1a32([UInt8](repeating: 0, count: 16), seed: 0) & 0x3fff == 0x2455)
    }

    @Test func hashSeed_decidesAsTheLegacyHash() throws {
        for line in hashSeedVectors.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let sampler = SpanSampler(config(50, seed: UInt32(fields[0])!))
            let outcome = sampler.decide(span(tid(String(fields[1]))))
            #expect(outcome.sampled == (fields[2] == "kept"), "\(line)")
            #expect(outcome.policy == .traceIDHash)
        }
    }

    @Test func hashSeed_writesRandomnessAndThreshold() throws {
        let cases: [(Float, String)] = [(100, "0"), (75, "4"), (50, "8"), (25, "c"), (10, "e668"), (100.0 / 3, "aaac")]
        var random = SplitMix64(state: 42)
        for (pct, tvalue) in cases {
            let sampler = SpanSampler(config(pct, precision: 4))
            var found = 0
            while found < 10 {
                let outcome = sampler.decide(span(TraceID(high: random.next(), low: random.next()), traceState: "vendor=x"))
                guard outcome.sampled else { continue }
                found += 1
                let ts = try W3CTraceState(parsing: try #require(outcome.traceState))
                #expect(ts.ot.tvalue == tvalue, "\(pct)")
                #expect(ts.ot.rvalue.count == 14)
                #expect(try #require(ts.ot.threshold).shouldSample(try #require(ts.ot.randomness)))
                #expect(ts.serialized.hasSuffix(",vendor=x"))
            }
        }
    }

    @Test func hashSeed_leavesArrivingRandomnessOrThresholdAlone() {
        for ts in ["ot=rv:c0000000000000", "ot=th:8", "x=1,ot=th:0"] {
            let closed = SpanSampler(config(100, failClosed: true)).decide(span(tid("0102030405060708090a0b0c0d0e0f10"), traceState: ts))
            #expect(!closed.sampled)
            #expect(closed.error?.contains("equalizing or proportional mode recommended") == true)
            let open = SpanSampler(config(100)).decide(span(tid("0102030405060708090a0b0c0d0e0f10"), traceState: ts))
            #expect(open.sampled)
            #expect(open.traceState == nil)
        }
    }

    @Test func hashSeed_missingRandomness() {
        let cases: [(Float, Bool, Bool)] = [(0, true, false), (62, true, false), (100, true, false),
                                            (0, false, false), (62, false, true), (100, false, true)]
        for (pct, failClosed, sampled) in cases {
            let outcome = SpanSampler(config(pct, failClosed: failClosed)).decide(span(.zero))
            #expect(outcome.sampled == sampled, "\(pct) \(failClosed)")
            #expect(outcome.error == (pct == 0 ? nil : "missing randomness"))
        }
    }

    @Test func hashSeed_percentagesRoundDownIn14Bits() {
        #expect(SpanSampler.method(config(0.001)) == .never)
        #expect(SpanSampler.method(config(250)) == .hashSeed(seed: 4312, threshold: .always))
        if case let .hashSeed(_, threshold) = SpanSampler.method(config(33.3)) {
            #expect(threshold.tvalue == "aac4")
        } else {
            Issue.record("33.3 % is not a hash_seed sampler")
        }
    }

    // MARK: sampling.priority

    @Test func priority_readsIntDoubleAndNumericStrings() {
        let cases: [(AnyValue, SamplingPriority?)] = [
            (.bool(true), nil), (.int(0), .drop), (.int(1), .keep), (.int(-1), nil), (.double(0), .drop), (.double(1), .keep),
            (.double(-1), nil), (.string("0.0"), .drop), (.string("0.5"), .keep), (.string("-0.5"), nil), (.string("NaN"), nil),
        ]
        for (value, expected) in cases {
            #expect(SamplingPriority(span(.zero, priority: value)) == expected, "\(value)")
        }
        #expect(SamplingPriority(span(.zero, priority: .int(1), key: "no.sampling.priority")) == nil)
    }

    @Test(arguments: ProbabilisticSampler.Mode.allCases)
    func priority_overridesTheSamplerInEveryMode(mode: ProbabilisticSampler.Mode) {
        // A trace ID whose W3C randomness is 0: kept only at 100 %.
        let traceID = tid("01000000000000000000000000000000")
        let cases: [(Float, AnyValue, String, Bool)] = [
            (0, .int(2), "sampling.priority", true), (0, .double(1), "sampling.priority", true), (0, .string("1"), "sampling.priority", true),
            (100, .int(0), "sampling.priority", false), (100, .double(0), "sampling.priority", false),
            (100, .string("0"), "sampling.priority", false),
            (0, .int(2), "no.sampling.priority", false), (100, .int(2), "no.sampling.priority", true),
        ]
        for (pct, value, key, sampled) in cases {
            let outcome = SpanSampler(config(pct, mode: mode)).decide(span(traceID, priority: value, key: key))
            #expect(outcome.sampled == sampled, "\(mode) \(pct) \(key) \(value)")
        }
    }

    // MARK: equalizing and proportional (upstream's Test_tracesamplerprocessor_TraceState)

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var pct: Float
        var precision = 14
        var failClosed = false
        var traceID = "fefefefefefefefefe80000000000000"
        var traceState = ""
        var priority: Int64?
        var error: String?
        /// The tracestate written when kept; nil when dropped.
        var equalizing: String?
        var proportional: String?

        var description: String { name }
    }

    static let consistentCases: [Case] = [
        Case(name: "100 percent", pct: 100, equalizing: "ot=th:0", proportional: "ot=th:0"),
        Case(name: "50 percent sampled", pct: 50, equalizing: "ot=th:8", proportional: "ot=th:8"),
        Case(name: "25 percent sampled", pct: 25, traceID: "ddddddddddddddddddc0000000000000", equalizing: "ot=th:c", proportional: "ot=th:c"),
        Case(name: "25 percent unsampled", pct: 25, traceID: "ddddddddddddddddddb0000000000000"),
        Case(name: "1 percent sampled", pct: 1, traceState: "ot=rv:FD70A3D70A3D71",
             equalizing: "ot=rv:FD70A3D70A3D71;th:fd70a3d70a3d71", proportional: "ot=rv:FD70A3D70A3D71;th:fd70a3d70a3d71"),
        Case(name: "1 percent precision 4", pct: 1, precision: 4, traceState: "ot=rv:FD70A3D70A3D71",
             equalizing: "ot=rv:FD70A3D70A3D71;th:fd70a", proportional: "ot=rv:FD70A3D70A3D71;th:fd70a"),
        Case(name: "1 percent precision 3", pct: 1, precision: 3, traceState: "ot=rv:FD70A3D70A3D71"),
        Case(name: "1 percent not sampled with rvalue", pct: 1, traceState: "ot=rv:FD70A3D70A3D70"),
        Case(name: "49 percent not sampled", pct: 49),
        Case(name: "1 percent sampled with rvalue", pct: 1, traceState: "ot=rv:fd70B000000000",
             equalizing: "ot=rv:fd70B000000000;th:fd70a3d70a3d71", proportional: "ot=rv:fd70B000000000;th:fd70a3d70a3d71"),
        Case(name: "1 percent sampled with tid", pct: 1, precision: 4, traceID: "a0a0a0a0a0a0a0a0a0fe000000000000",
             equalizing: "ot=th:fd70a", proportional: "ot=th:fd70a"),
        Case(name: "sampled by priority", pct: 1, priority: 2, equalizing: "ot=th:0", proportional: "ot=th:0"),
        Case(name: "not sampled by priority", pct: 99, priority: 0),
        Case(name: "incoming 50 percent with rvalue", pct: 50, traceState: "ot=rv:90000000000000;th:80000000000000",
             equalizing: "ot=rv:90000000000000;th:8"),
        Case(name: "incoming 50 percent at 25 not sampled", pct: 25, traceState: "ot=th:8"),
        Case(name: "incoming 50 percent at 25 sampled", pct: 25, traceID: "ffffffffffffffffffffffffffffffff", traceState: "ot=th:8",
             equalizing: "ot=th:c", proportional: "ot=th:e"),
        Case(name: "equalizing vs proportional", pct: 50, traceState: "ot=rv:c0000000000000;th:8",
             equalizing: "ot=rv:c0000000000000;th:8", proportional: "ot=rv:c0000000000000;th:c"),
        Case(name: "inconsistent arriving threshold", pct: 100, traceState: "ot=rv:40000000000000;th:8",
             error: "inconsistent arriving threshold", equalizing: "ot=rv:40000000000000;th:0", proportional: "ot=rv:40000000000000;th:0"),
        Case(name: "inconsistent arriving threshold not sampled", pct: 1, failClosed: true, traceState: "ot=rv:40000000000000;th:8",
             error: "inconsistent arriving threshold"),
        Case(name: "40 percent precision 3 with rvalue", pct: 40, precision: 3, traceState: "ot=rv:a0000000000000",
             equalizing: "ot=rv:a0000000000000;th:99a", proportional: "ot=rv:a0000000000000;th:99a"),
        Case(name: "arriving 50 percent at 40 precision 6", pct: 40, precision: 6, traceID: "a0a0a0a0a0a0a0a0a0d0000000000000",
             traceState: "ot=th:8", equalizing: "ot=th:99999a", proportional: "ot=th:cccccd"),
        Case(name: "arriving 50 percent at 40 partly sampled", pct: 40, precision: 3, traceID: "a0a0a0a0a0a0a0a0a0b0000000000000",
             traceState: "ot=th:8", equalizing: "ot=th:99a"),
        Case(name: "arriving 50 percent at 40 not sampled", pct: 40, precision: 3, traceID: "a0a0a0a0a0a0a0a0a080000000000000",
             traceState: "ot=th:8"),
        Case(name: "200 percent equals 100 percent", pct: 200, equalizing: "ot=th:0", proportional: "ot=th:0"),
        Case(name: "tiny probability rounding", pct: 100 * 0x1p-14, traceID: "111111111111111111ffffffffffffff", traceState: "ot=th:fffc",
             equalizing: "ot=th:fffc", proportional: "ot=th:fffffff"),
        Case(name: "almost 100pct sampling", pct: Float("99.99992")!, precision: 10, traceID: "111111111111111111ffffffffffffff",
             equalizing: "ot=th:00000cccccccd", proportional: "ot=th:00000cccccccd"),
        Case(name: "probability underflow", pct: 0x1p-4, traceID: "111111111111111111ffffffffffffff", traceState: "ot=th:fffffffffffff8",
             equalizing: "ot=th:fffffffffffff8"),
    ]

    @Test(arguments: consistentCases)
    func consistent_keepsAndWritesTheThreshold(c: Case) {
        for mode in [ProbabilisticSampler.Mode.equalizing, .proportional] {
            let sampler = SpanSampler(config(c.pct, mode: mode, failClosed: c.failClosed, precision: c.precision))
            let outcome = sampler.decide(span(tid(c.traceID), traceState: c.traceState, priority: c.priority.map(AnyValue.int)))
            let expected = mode == .equalizing ? c.equalizing : c.proportional
            #expect(outcome.sampled == (expected != nil), "\(mode)")
            #expect(outcome.traceState == expected, "\(mode)")
            #expect(outcome.error.map { $0.hasPrefix(c.error ?? "-") } ?? (c.error == nil), "\(mode): \(outcome.error ?? "")")
        }
    }

    static let errorCases: [(traceID: String, traceState: String, error: String)] = [
        ("00000000000000000000000000000000", "", "missing randomness"),
        ("fefefefefefefefefe80000000000000", "ot=rv:abababababababab", "r-value must have 14 hex digits"),
        ("fefefefefefefefefe80000000000000", "ot=th:abababababababab", "t-value exceeds 14 hex digits"),
        ("fefefefefefefefefe80000000000000", "ot=th:-1", "invalid syntax"),
        ("ffffffffffffffffff70000000000000", "ot=th:8", "inconsistent arriving threshold"),
        ("fefefefefefefefefe80000000000000", "ot=th:8;rv:70000000000000", "inconsistent arriving threshold"),
    ]

    @Test func consistent_failClosedDropsWhatCannotBeRead() {
        for mode in [ProbabilisticSampler.Mode.equalizing, .proportional] {
            for c in Self.errorCases {
                let outcome = SpanSampler(config(100, mode: mode, failClosed: true)).decide(span(tid(c.traceID), traceState: c.traceState))
                #expect(!outcome.sampled, "\(mode) \(c.traceState)")
                #expect(outcome.error?.contains(c.error) == true, "\(mode) \(c.traceState): \(outcome.error ?? "")")
            }
        }
    }

    @Test func consistent_policyNamesWhereTheRandomnessCameFrom() {
        let s = SpanSampler(config(100, mode: .proportional))
        #expect(s.decide(span(tid("fefefefefefefefefe80000000000000"))).policy == .traceIDW3C)
        #expect(s.decide(span(tid("fefefefefefefefefe80000000000000"), traceState: "ot=rv:c0000000000000")).policy == .samplingRandomness)
        #expect(s.decide(span(.zero)).policy == .missingRandomness)
        #expect(SpanSampler(config(0, mode: .proportional)).decide(span(.zero)).policy == .samplingPriority)
    }

    // MARK: the processor

    @Test func processor_dropsEmptyScopesAndResourcesAndEmptyBatches() throws {
        let sink = SinkConsumer()
        let p = ProbabilisticSampler(context("probabilistic_sampler", .processor), config(50, mode: .equalizing), next: sink)
        let kept = span(tid("0000000000000000ff80000000000000"))
        let dropped = span(tid("0000000000000000ff10000000000000"))
        try p.consume(TraceBatch(resourceSpans: [
            ResourceSpans(scopeSpans: [ScopeSpans(spans: [dropped]), ScopeSpans(spans: [dropped, kept, dropped])]),
            ResourceSpans(scopeSpans: [ScopeSpans(spans: [dropped])]),
        ]))
        try p.consume(batch([dropped, dropped]))
        #expect(sink.batches.count == 1)
        #expect(sink.batches[0].resourceSpans.count == 1)
        #expect(sink.batches[0].resourceSpans[0].scopeSpans.count == 1)
        #expect(sink.allSpans.map(\.traceState) == ["ot=th:8"])
    }

    @Test func processor_keepsOrDropsEverySpanOfATraceTogether() throws {
        let sink = SinkConsumer()
        let p = ProbabilisticSampler(context("probabilistic_sampler", .processor), config(10, seed: 0), next: sink)
        var random = SplitMix64(state: 7)
        let traces = (0..<20_000).map { _ in TraceID(high: random.next(), low: random.next()) }
        let spans = traces.map { span($0) }
        try p.consume(TraceBatch(resourceSpans: [ResourceSpans(scopeSpans: [ScopeSpans(spans: spans)]),
                                                 ResourceSpans(scopeSpans: [ScopeSpans(spans: spans.reversed())])]))
        let kept = sink.allSpans.map(\.traceID)
        #expect(kept.count % 2 == 0)
        #expect(Set(kept).count * 2 == kept.count)
        #expect((1_800...2_200).contains(Set(kept).count), "\(Set(kept).count) of 20000 traces kept at 10 %")
    }

    @Test func processor_countsSpansByPolicyAndOutcome() throws {
        let ctx = context("probabilistic_sampler/x", .processor)
        let p = ProbabilisticSampler(ctx, config(50, mode: .proportional, failClosed: true), next: SinkConsumer())
        try p.consume(batch([span(tid("0000000000000000ff80000000000000")), span(tid("0000000000000000ff10000000000000")),
                             span(tid("0000000000000000ff10000000000000"), priority: .int(1)), span(.zero)]))
        let text = ctx.metrics.render()
        let name = ProbabilisticSampler.countMetric
        #expect(text.contains("\(name){processor=\"probabilistic_sampler/x\",policy=\"trace_id_w3c\",sampled=\"true\"} 1"))
        #expect(text.contains("\(name){processor=\"probabilistic_sampler/x\",policy=\"trace_id_w3c\",sampled=\"false\"} 1"))
        #expect(text.contains("\(name){processor=\"probabilistic_sampler/x\",policy=\"sampling_priority\",sampled=\"true\"} 1"))
        #expect(text.contains("\(name){processor=\"probabilistic_sampler/x\",policy=\"missing_randomness\",sampled=\"false\"} 1"))
    }

    @Test func processor_isRegisteredAsBeta() throws {
        let factory = try #require(ComponentRegistry.builtin.factories.first { $0.type == "probabilistic_sampler" })
        #expect(factory.kind == .processor)
        #expect(factory.stability == .beta)
    }
}
