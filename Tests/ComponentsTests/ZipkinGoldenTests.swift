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

/// The fixture decoded, its carried OTLP bytes checked against the encoding of its model.
private func decode(_ name: String) throws -> TraceBatch {
    let bytes = try fixture(name)
    let format: ZipkinFormat = switch (name.hasPrefix("v1_"), URL(fileURLWithPath: name).pathExtension) {
    case (true, "thrift"): .v1Thrift
    case (true, _): .v1JSON
    case (false, "binpb"): .v2Proto
    default: .v2JSON
    }
    let batch = try ZipkinDecoder.decode(format, bytes)
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
    ("v1_rpc.json", "v1_rpc.out"), ("v1_rpc.thrift", "v1_rpc.out"), ("v2_of_v1_rpc.json", "v1_rpc.out"),
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

@Test func zipkinGolden_v2EncodingsAndV1EncodingsDecodeToEqualBatches() throws {
    #expect(try decode("v2_spans.json") == decode("v2_spans.binpb"))
    let v1 = try decode("v2_of_v1_rpc.json")
    #expect(v1.spanCount == 3)
    #expect(try decode("v1_rpc.json") == v1)
    #expect(try decode("v1_rpc.thrift") == v1)
    #expect(try decode("envoy_64bit.json") == decode("envoy_64bit.binpb"))
}
