import Testing
import TraceModel
@testable import WireFormats

private func protoRoundTrip(_ batch: TraceBatch) throws -> TraceBatch {
    try OTLPProtoDecoder.decodeExportRequest(OTLPProtoEncoder.encodeExportRequest(batch)).batch
}

private func jsonRoundTrip(_ batch: TraceBatch) throws -> TraceBatch {
    try OTLPJSONDecoder.decodeExportRequest(OTLPJSONEncoder.encodeExportRequest(batch)).batch
}

@Test func protoRoundTrip_isIdentity_forMixedFixture() throws {
    let decoded = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.binpb")).batch
    #expect(try protoRoundTrip(decoded) == decoded)
}

@Test func protoRoundTrip_isIdentity_forSpecialValuesAndNesting() throws {
    let batch = SampleBatches.batch(spanCount: 3)
    #expect(try protoRoundTrip(batch) == batch)
}

@Test func protoRoundTrip_isIdentity_for1000Spans() throws {
    let batch = SampleBatches.batch(spanCount: 1000)
    #expect(batch.spanCount == 1000)
    #expect(try protoRoundTrip(batch) == batch)
}

@Test func protoEncoder_writesEmptyAnyValue_asEmptyMessage() {
    let batch = TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: [KeyValue("a", .empty)]))])
    // resource_spans { resource { attributes { key "a" value {} } } }
    #expect(OTLPProtoEncoder.encodeExportRequest(batch) == [0x0A, 0x09, 0x0A, 0x07, 0x0A, 0x05, 0x0A, 0x01, 0x61, 0x12, 0x00])
}

@Test func jsonRoundTrip_isIdentity_forSpecialValuesAnd1000Spans() throws {
    let batch = SampleBatches.batch(spanCount: 1000)
    #expect(try jsonRoundTrip(batch) == batch)
}

@Test func protoAndJSON_agree_onMixedFixture() throws {
    let fromProto = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.binpb")).batch
    let fromJSON = try OTLPJSONDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.json")).batch
    #expect(fromProto == fromJSON)
    let viaJSON = try OTLPJSONDecoder.decodeExportRequest(OTLPJSONEncoder.encodeExportRequest(fromProto)).batch
    #expect(viaJSON == fromProto)
}

@Test func responses_matchGoCollector_whenNothingRejected() {
    #expect(OTLPProtoEncoder.encodeExportResponse(rejectedSpans: 0, errorMessage: "") == [0x0A, 0x00])
    #expect(String(decoding: OTLPJSONEncoder.encodeExportResponse(rejectedSpans: 0, errorMessage: ""), as: UTF8.self) == #"{"partialSuccess":{}}"#)
    #expect(OTLPProtoEncoder.encodeExportResponse(rejectedSpans: 2, errorMessage: "x") == [0x0A, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78])
    #expect(String(decoding: OTLPJSONEncoder.encodeExportResponse(rejectedSpans: 2, errorMessage: "x\""), as: UTF8.self)
        == #"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x\""}}"#)
}

@Test func statusEncoders_writeGoogleRPCStatus_withRetryInfo() {
    let retry = OTLPProtoEncoder.encodeRetryInfo(delaySeconds: 5)
    #expect(retry == [0x0A, 0x02, 0x08, 0x05])
    let url = "type.googleapis.com/google.rpc.RetryInfo"
    let status = OTLPProtoEncoder.encodeStatus(code: 14, message: "busy", details: [(typeURL: url, value: retry)])
    let any: [UInt8] = [0x0A, UInt8(url.utf8.count)] + Array(url.utf8) + [0x12, 0x04] + retry
    #expect(status == [0x08, 0x0E, 0x12, 0x04] + Array("busy".utf8) + [0x1A, UInt8(any.count)] + any)
    #expect(String(decoding: OTLPJSONEncoder.encodeStatus(code: 3, message: "bad"), as: UTF8.self) == #"{"code":3,"message":"bad"}"#)
}
