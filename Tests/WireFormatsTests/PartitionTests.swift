import Testing
import TraceModel
@testable import WireFormats

/// One resource, two scopes; spans of traces 1, 2 and 3 interleaved (and an unknown resource field).
private func mixedTraces() -> [UInt8] {
    var request = ProtoBytes()
    request.message(1) { rs in
        rs.message(1) { resource in
            resource.message(1) { kv in
                kv.string(1, "service.name")
                kv.message(2) { $0.string(1, "cart") }
            }
        }
        for scope in ["a", "b"] {
            rs.message(2) { ss in
                ss.message(1) { $0.string(1, scope) }
                for (n, trace) in [1, 2, 1, 3, 2].enumerated() {
                    ss.message(2) { span in
                        span.len(1, Array(repeating: 0, count: 15) + [UInt8(trace)])
                        span.len(2, Array(repeating: 0, count: 7) + [UInt8(n + 1)])
                        span.string(5, "\(scope)\(n)")
                    }
                }
            }
        }
        rs.string(3, "https://schema")
        rs.string(9, "unknown field")
    }
    return request.bytes
}

private func names(_ rs: ResourceSpans) -> [String] { rs.scopeSpans.flatMap { s in s.spans.map { "\(s.scope.name):\($0.name)" } } }

@Test func partition_cutsTheBytes_perRoute_keepingResourceScopesAndOrder() throws {
    let received = try OTLPProtoDecoder.decodeExportRequest(mixedTraces()).batch.resourceSpans[0]
    #expect(received.isDeferred)
    let parts = received.partitioned { Int($0.low) }
    #expect(parts.map(\.route) == [1, 2, 3])
    #expect(parts.allSatisfy { $0.part.isDeferred && $0.part.encoded != nil })
    #expect(parts.map(\.part.spanCount) == [4, 4, 2])
    #expect(names(parts[0].part) == ["a:a0", "a:a2", "b:b0", "b:b2"])
    #expect(names(parts[2].part) == ["a:a3", "b:b3"])
    for (route, part) in parts {
        #expect(part.resource == received.resource && part.schemaURL == "https://schema")
        #expect(part.scopeSpans.allSatisfy { $0.spans.allSatisfy { Int($0.traceID.low) == route } })
    }
    // The byte cut decodes to what cutting the model gives.
    var model = received
    model.schemaURL = model.schemaURL
    #expect(!model.isDeferred)
    let modelParts = model.partitioned { Int($0.low) }
    #expect(modelParts.map(\.route) == parts.map(\.route))
    #expect(zip(modelParts, parts).allSatisfy { $0.part == $1.part })
    // The unknown field travels with every part.
    let encoded = OTLPProtoEncoder.encodeExportRequest(TraceBatch(resourceSpans: [parts[1].part]))
    #expect(encoded.count > 0 && String(decoding: encoded, as: UTF8.self).contains("unknown field"))
}

@Test func partition_returnsTheValueWhole_whenEverySpanTakesOneRoute() throws {
    let received = try OTLPProtoDecoder.decodeExportRequest(mixedTraces()).batch.resourceSpans[0]
    let parts = received.partitioned { _ in 7 }
    #expect(parts.count == 1 && parts[0].route == 7)
    #expect(parts[0].part.encoded?.storage === received.encoded?.storage)
}
