@testable import Components
import Foundation
import Testing
import TraceModel
import WireFormats

/// The Zipkin fixtures of Tests/WireFormatsTests/Fixtures/zipkin (written by
/// make_zipkin_fixtures.py) against their expected detailed debug output (`<stem>.out` beside
/// them). `SWIFTLET_WRITE_ZIPKIN_GOLDEN=1` rewrites the expected files, to be reviewed by hand.
private let fixtureDirectory = repositoryRoot.appendingPathComponent("Tests/WireFormatsTests/Fixtures/zipkin")

private func fixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtureDirectory.appendingPathComponent(name)))
}

/// The time v1 JSON spans without timestamps get in these tests, in place of the clock's.
let zipkinGoldenAbsentStartTime: UInt64 = 1_718_000_009_000_000_000

/// The fixture decoded, its carried OTLP bytes checked against the encoding of its model.
private func decode(_ name: String, parseStringTags: Bool = false) throws -> TraceBatch {
    let bytes = try fixture(name)
    let format: ZipkinFormat = switch (name.hasPrefix("v1_"), URL(fileURLWithPath: name).pathExtension) {
    case (true, "thrift"): .v1Thrift
    case (true, _): .v1JSON
    case (false, "binpb"): .v2Proto
    default: .v2JSON
    }
    let options = ZipkinDecodeOptions(parseStringTags: parseStringTags, absentStartTimeUnixNano: zipkinGoldenAbsentStartTime)
    let batch = try ZipkinDecoder.decode(format, bytes, options: options)
    #expect(OTLPProtoEncoder.encodingsMatchModels(batch), "\(name)")
    return batch
}

private func expectSameLines(_ actual: String, _ expected: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    guard let i = (0..<max(a.count, e.count)).first(where: { $0 >= a.count || $0 >= e.count || a[$0] != e[$0] }) else { return }
    let got = i < a.count ? String(a[i]) : "<end>"
    let want = i < e.count ? String(e[i]) : "<end>"
    Issue.record("\(name): line \(i + 1) differs:\n got: \(got.debugDescription)\nwant: \(want.debugDescription)", sourceLocation: sourceLocation)
}

/// Each fixture with the golden file its output must equal (equivalent encodings share one).
private let goldenCases: [(fixture: String, golden: String)] = [
    ("v2_spans.json", "v2_spans.out"), ("v2_spans.binpb", "v2_spans.out"),
    ("v2_json_only.json", "v2_json_only.out"),
    ("v1_rpc.json", "v1_rpc.out"), ("v1_rpc.thrift", "v1_rpc.out"),
    ("v1_rules.json", "v1_rules.out"), ("v1_typed.thrift", "v1_typed.out"),
    ("istio_v2.json", "istio_v2.out"),
    ("envoy_64bit.json", "envoy_64bit.out"), ("envoy_64bit.binpb", "envoy_64bit.out"),
]

@Test(arguments: goldenCases)
func zipkinGolden_fixturePrintsTheExpectedDetailedOutput(fixture name: String, golden: String) throws {
    let output = DebugTraceFormatter.detailed(try decode(name))
    let goldenURL = fixtureDirectory.appendingPathComponent(golden)
    if ProcessInfo.processInfo.environment["SWIFTLET_WRITE_ZIPKIN_GOLDEN"] == "1" {
        try output.write(to: goldenURL, atomically: true, encoding: .utf8)
    }
    expectSameLines(output, try String(contentsOf: goldenURL, encoding: .utf8), name)
}

/// The Collector's own zipkinv1 test batch (front-proxy, service1, service2), read with
/// `parse_string_tags` as its test reads it.
@Test func zipkinGolden_v1FrontProxyBatch_printsTheExpectedOutput_whenParsingStringTags() throws {
    let output = DebugTraceFormatter.detailed(try decode("v1_front_proxy.json", parseStringTags: true))
    let goldenURL = fixtureDirectory.appendingPathComponent("v1_front_proxy.out")
    if ProcessInfo.processInfo.environment["SWIFTLET_WRITE_ZIPKIN_GOLDEN"] == "1" {
        try output.write(to: goldenURL, atomically: true, encoding: .utf8)
    }
    expectSameLines(output, try String(contentsOf: goldenURL, encoding: .utf8), "v1_front_proxy.json")
}

@Test func zipkinGolden_v2EncodingsAndV1EncodingsDecodeToEqualBatches() throws {
    #expect(try decode("v2_spans.json") == decode("v2_spans.binpb"))
    let v1 = try decode("v1_rpc.json")
    #expect(v1.spanCount == 2)
    #expect(try decode("v1_rpc.thrift") == v1)
    #expect(try decode("envoy_64bit.json") == decode("envoy_64bit.binpb"))
}
