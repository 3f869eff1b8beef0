@testable import Components
import Foundation
import Testing
import TraceModel
import WireFormats

/// One Batch, written by the Python thrift library four ways (see Golden/jaeger/make_jaeger_fixtures.py),
/// must print the same detailed debug output.
private func jaegerFixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden/jaeger"))
    return [UInt8](try Data(contentsOf: url))
}

private func expectedDetailed() throws -> String {
    let url = try #require(Bundle.module.url(forResource: "batch_detailed", withExtension: "out", subdirectory: "Golden/jaeger"))
    return try String(contentsOf: url, encoding: .utf8)
}

@Test func jaegerGolden_bareBinaryBatch_printsTheExpectedDetailedOutput() throws {
    let batch = try JaegerThriftDecoder.decodeBatch(try jaegerFixture("batch.thrift-binary"))
    expectSameText(DebugTraceFormatter.detailed(batch), try expectedDetailed())
}

@Test(arguments: [("emitBatch.compact", ThriftProtocolKind.compact), ("emitBatch.binary", .binary), ("emitBatch-nonstrict.binary", .binary)])
func jaegerGolden_emitBatchDatagrams_printTheSameOutput(name: String, kind: ThriftProtocolKind) throws {
    let batch = try JaegerThriftDecoder.decodeEmitBatch(try jaegerFixture(name), protocol: kind)
    expectSameText(DebugTraceFormatter.detailed(batch), try expectedDetailed())
}

@Test func jaegerGolden_allEncodings_decodeToEqualBatches() throws {
    let bare = try JaegerThriftDecoder.decodeBatch(try jaegerFixture("batch.thrift-binary"))
    #expect(bare.spanCount == 4)
    #expect(try JaegerThriftDecoder.decodeEmitBatch(try jaegerFixture("emitBatch.compact"), protocol: .compact) == bare)
    #expect(try JaegerThriftDecoder.decodeEmitBatch(try jaegerFixture("emitBatch.binary"), protocol: .binary) == bare)
    // The sampled bit is the only flag kept: spans 0, 2 (flags 3) and 3 carry it.
    #expect(bare.resourceSpans[0].scopeSpans[0].spans.map(\.flags) == [1, 0, 1, 1])
}

@Test func jaegerGolden_truncatedDatagrams_failWithAReason_atEveryLength() throws {
    for (name, kind) in [("emitBatch.compact", ThriftProtocolKind.compact), ("emitBatch.binary", .binary)] {
        let bytes = try jaegerFixture(name)
        // Cutting anywhere before the Batch's own STOP must fail, never trap.
        for cut in stride(from: 0, to: bytes.count - 2, by: 1) {
            #expect(throws: ThriftDecodeError.self, "\(name) cut at \(cut)") {
                try JaegerThriftDecoder.decodeEmitBatch(Array(bytes[..<cut]), protocol: kind)
            }
        }
    }
}
