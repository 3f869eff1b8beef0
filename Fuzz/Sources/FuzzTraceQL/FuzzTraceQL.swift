import Components
import FuzzSupport
import TraceModel

/// Parses the input as a TraceQL query (refusals are fine, a crash or hang is not) and runs what
/// parses over a small trace, then reads it as a tag name the way the tag values API does.
private let trace: StoredTrace = {
    let store = TraceStore()
    let spans = [
        Span(traceID: TraceID(high: 0, low: 1), spanID: SpanID(1), name: "GET /", kind: .server, startTimeUnixNano: 1_000, endTimeUnixNano: 900_000_000,
             attributes: [KeyValue("http.method", .string("GET")), KeyValue("http.status_code", .int(200)), KeyValue("ratio", .double(0.5)),
                          KeyValue("ok", .bool(true))]),
        Span(traceID: TraceID(high: 0, low: 1), spanID: SpanID(2), parentSpanID: SpanID(1), name: "aaaaaaaaaaaaaaaaaaaaaaaab", kind: .client,
             startTimeUnixNano: 2_000, endTimeUnixNano: 3_000, status: Status(code: .error, message: "boom")),
    ]
    store.insert(TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: [KeyValue("service.name", .string("front"))]),
                                                          scopeSpans: [ScopeSpans(spans: spans)])]))
    return store.trace(TraceID(high: 0, low: 1))!
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let query = try? TraceQLParser.parse(text) {
        _ = query.matchingSpans(in: trace)
    }
    _ = try? TraceQLParser.parseField(text)
    return 0
}

@_cdecl("FuzzTraceQL_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
