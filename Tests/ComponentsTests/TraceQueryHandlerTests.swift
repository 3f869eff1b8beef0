@testable import Components
import Testing
import TraceModel
import Transport
import Pipeline
import WireFormats

private func handler(_ store: TraceStore?) -> TraceQueryHandler {
    TraceQueryHandler { store.map(TraceStoreDirectory.Lookup.found) ?? .missing("no tracestore exporter is running") }
}

private func get(_ h: TraceQueryHandler, _ target: String, accept: String? = nil) -> (status: Int, body: String, contentType: String?, bytes: [UInt8]) {
    let parts = target.split(separator: "?", maxSplits: 1)
    let request = HTTPRequest(method: "GET", path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                              headers: HTTPHeaders(accept.map { [("Accept", $0)] } ?? []))
    let response = h.handle(request)
    let contentType = response.headers.first { $0.0 == "Content-Type" }?.1
    return (response.status, String(decoding: response.body, as: UTF8.self), contentType, response.body)
}

/// Three traces: 1 (front → back, 300 ms, an error), 2 (front, 20 ms), 3 (back only, no root).
private func populatedStore() -> TraceStore {
    let store = TraceStore()
    store.insert(storeBatch(service: "front", [
        storeSpan(trace: 1, span: 1, name: "GET /", durationMs: 300, attributes: [KeyValue("http.method", .string("GET")), KeyValue("http.status_code", .int(500))]),
        storeSpan(trace: 2, span: 4, name: "GET /health", startMs: 1_000, durationMs: 20, attributes: [KeyValue("http.method", .string("GET"))]),
    ]))
    store.insert(storeBatch(service: "back", [
        storeSpan(trace: 1, span: 2, parent: 1, name: "query", startMs: 10, durationMs: 50, status: .error, kind: .client,
                  attributes: [KeyValue("db.system", .string("postgres"))]),
        storeSpan(trace: 3, span: 9, parent: 8, name: "orphan", startMs: 2_000, durationMs: 1),
    ]))
    return store
}

private func traceIDs(_ json: String) -> [String] {
    json.split(separator: "\"traceID\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
}

@Test func traceQuery_servesReadyEchoBuildInfoAndTheViewer_evenWithoutAStore() {
    let h = handler(nil)
    #expect(get(h, "/ready").body == "ready")
    #expect(get(h, "/api/echo").body == "echo")
    #expect(get(h, "/api/status/buildinfo").body.hasPrefix(#"{"version":"#))
    let page = get(h, "/")
    #expect(page.status == 200 && page.contentType == "text/html; charset=utf-8" && page.body == TraceViewerPage.html)
    #expect(get(h, "/index.html").body == TraceViewerPage.html)
    #expect(get(h, "/api/search").status == 503)
    #expect(get(h, "/api/search").body == "no tracestore exporter is running")
    #expect(get(h, "/nothing").status == 404)
    #expect(h.handle(HTTPRequest(method: "POST", path: "/api/search")).status == 405)
}

@Test func traceQuery_traceByID_v1AndV2JSON_inTempoShape() {
    let h = handler(populatedStore())
    let v1 = get(h, "/api/traces/00000000000000000000000000000001")
    #expect(v1.status == 200 && v1.contentType == "application/json")
    #expect(v1.body.hasPrefix(#"{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"front"}}]}"#))
    // gogo jsonpb: ids in bytes fields as base64, enums by name, 64-bit integers as strings.
    #expect(v1.body.contains(#""traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAE=","name":"GET /","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000""#))
    #expect(v1.body.contains(#""status":{"code":"STATUS_CODE_ERROR"}"#))
    #expect(v1.body.contains(#""parentSpanId":"AAAAAAAAAAE=""#))
    let v2 = get(h, "/api/v2/traces/1")
    #expect(v2.body.hasPrefix(#"{"trace":{"resourceSpans":[{"resource""#))
    #expect(v2.body.hasSuffix(#"]},"metrics":{}}"#))
    #expect(v2.body.dropFirst(#"{"trace":{"resourceSpans":"#.count).dropLast(#"},"metrics":{}}"#.count) == v1.body.dropFirst(#"{"batches":"#.count).dropLast(1))
}

@Test func traceQuery_traceByID_protobuf_isTempoTraceAndTraceByIDResponse() throws {
    let store = populatedStore()
    let h = handler(store)
    let v1 = get(h, "/api/traces/1", accept: "application/protobuf")
    #expect(v1.contentType == "application/protobuf")
    // Trace { repeated ResourceSpans resourceSpans = 1 } is an ExportTraceServiceRequest on the wire.
    let decoded = try OTLPProtoDecoder.decodeExportRequest(v1.bytes).batch
    #expect(decoded.resourceSpans == store.trace(TraceID(high: 0, low: 1))!.resourceSpans)
    let v2 = get(h, "/api/v2/traces/1", accept: "application/protobuf")
    // TraceByIDResponse { Trace trace = 1 }: tag 0x0A, the length, then the v1 body.
    #expect(v2.bytes.first == 0x0A)
    #expect(Array(v2.bytes.suffix(v1.bytes.count)) == v1.bytes)
}

@Test func traceQuery_traceByID_answers404ForUnknown_and400ForMalformedIDs() {
    let h = handler(populatedStore())
    #expect(get(h, "/api/traces/ff").status == 404)
    #expect(get(h, "/api/v2/traces/abcdef").status == 404)
    for bad in ["xyz", "0", String(repeating: "a", count: 33), "12-4"] {
        #expect(get(h, "/api/traces/\(bad)").status == 400, "\(bad)")
    }
}

@Test func traceQuery_search_answersTempoShape_withRootSpanDurationAndSpanSets() {
    let h = handler(populatedStore())
    let r = get(h, "/api/search?q=%7Bspan.db.system%3D%22postgres%22%7D")
    #expect(r.status == 200)
    #expect(r.body.hasPrefix(#"{"traces":[{"traceID":"1","rootServiceName":"front","rootTraceName":"GET /","startTimeUnixNano":"1700000000000000000","durationMs":300,"#))
    let spanSet = #"{"spans":[{"spanID":"0000000000000002","name":"query","startTimeUnixNano":"1700000000010000000","durationNanos":"50000000","attributes":[{"key":"db.system","value":{"stringValue":"postgres"}},{"key":"service.name","value":{"stringValue":"back"}}]}],"matched":1}"#
    #expect(r.body.contains(#""spanSet":\#(spanSet),"spanSets":[\#(spanSet)]"#))
    #expect(r.body.contains(#""serviceStats":{"front":{"spanCount":1},"back":{"spanCount":1,"errorCount":1}}"#))
    // The other two traces' term filters rule out db.system = postgres: they are not read.
    #expect(r.body.contains(#""metrics":{"inspectedTraces":1,"#))
    let orphan = get(h, "/api/search?q=%7Bname%3D%22orphan%22%7D").body
    #expect(orphan.contains(#""rootServiceName":"<root span not yet received>","rootTraceName":"<root span not yet received>""#))
}

@Test func traceQuery_search_returnsExactlyTheMatchingTraces_newestFirst() {
    let h = handler(populatedStore())
    func ids(_ query: String) -> [String] { traceIDs(get(h, "/api/search?" + query).body) }
    #expect(ids("") == ["3", "2", "1"])
    #expect(ids("q=%7B%7D&limit=2") == ["3", "2"])
    #expect(ids("q=%7Bresource.service.name%3D%22front%22%7D") == ["2", "1"])
    #expect(ids("q=%7Bduration%3E100ms%7D") == ["1"])
    #expect(ids("q=%7Bstatus%3Derror%7D") == ["1"])
    #expect(ids("q=%7B.http.method%3D%22GET%22%7D+%26%26+%7Bkind%3Dclient%7D") == ["1"])
    #expect(ids("q=%7Bname%3D%22nothing%22%7D") == [])
    #expect(ids("tags=service.name%3Dfro") == ["2", "1"], "well-known tags match by substring")
    #expect(ids("tags=http.status_code%3D500+db.system%3Dpostgres") == ["1"])
    #expect(ids("tags=db.system%3Dpostgre") == [], "other tags match whole values")
    #expect(ids("tags=name%3D%22GET+%2F%22") == ["2", "1"])
    #expect(ids("minDuration=100ms") == ["1"])
    #expect(ids("maxDuration=30ms") == ["3", "2"])
    #expect(ids("service.name=back") == ["3", "1"], "tags as separate parameters, as early Grafana sent them")
    #expect(ids("q=%7B%7D&start=1700000001&end=1700000003") == ["3", "2"])
    #expect(ids("q=%7B%7D&start=1&end=2") == [])
}

@Test func traceQuery_search_spss_limitsTheSpansShownButNotMatched() {
    let h = handler(populatedStore())
    let body = get(h, "/api/search?q=%7Btrue%7D&spss=1&limit=1").body
    #expect(body.components(separatedBy: #""spanID""#).count - 1 == 2, "one span in spanSet, one in spanSets")
    #expect(get(h, "/api/search?q=%7B%7D").body.contains(#""matched":3"#) == false)
    #expect(get(h, "/api/search?q=%7Btrue%7D").body.contains(#""matched":2"#))
}

@Test func traceQuery_search_answers400_withAMessage() {
    let h = handler(populatedStore())
    let cases = [
        ("q=%7B%7D+%7C+count()+%3E+1", "pipelines (|)"),
        ("q=%7B%7D&tags=a%3Db", "can't specify tags and q in the same query"),
        ("limit=0", "invalid limit: must be a positive number"),
        ("limit=x", "invalid limit"),
        ("start=10&end=5", "http parameter start must be before end"),
        ("minDuration=soon", "invalid minDuration"),
        ("minDuration=2s&maxDuration=1s", "invalid maxDuration: must be greater than minDuration"),
        ("tags=a%3D%22open", "invalid tags: unterminated quoted value"),
        ("tags=a%3D1+a%3D2", "invalid tags: tag a has been set twice"),
    ]
    for (query, message) in cases {
        let r = get(h, "/api/search?" + query)
        #expect(r.status == 400, "\(query)")
        #expect(r.body.contains(message), "\(query): \(r.body)")
    }
}

@Test func traceQuery_tagNames_v1AndV2WithScopes() {
    let h = handler(populatedStore())
    #expect(get(h, "/api/search/tags").body == #"{"tagNames":["db.system","http.method","http.status_code","service.name"],"metrics":{}}"#)
    let v2 = get(h, "/api/v2/search/tags").body
    #expect(v2.hasPrefix(#"{"scopes":[{"name":"resource","tags":["service.name"]},{"name":"span","tags":["db.system","http.method","http.status_code"]},{"name":"intrinsic","tags":["duration","#))
    #expect(get(h, "/api/v2/search/tags?scope=span").body == #"{"scopes":[{"name":"span","tags":["db.system","http.method","http.status_code"]}],"metrics":{}}"#)
    #expect(get(h, "/api/v2/search/tags?scope=bogus").status == 400)
}

@Test func traceQuery_tagValues_v1StringsAndV2Typed() {
    let h = handler(populatedStore())
    #expect(get(h, "/api/search/tag/service.name/values").body == #"{"tagValues":["back","front"],"metrics":{}}"#)
    #expect(get(h, "/api/search/tag/http.status_code/values").body == #"{"tagValues":[],"metrics":{}}"#)
    #expect(get(h, "/api/v2/search/tag/resource.service.name/values").body
        == #"{"tagValues":[{"type":"string","value":"back"},{"type":"string","value":"front"}],"metrics":{}}"#)
    #expect(get(h, "/api/v2/search/tag/span.http.status_code/values").body == #"{"tagValues":[{"type":"int","value":"500"}],"metrics":{}}"#)
    #expect(get(h, "/api/v2/search/tag/status/values").body.contains(#"{"type":"keyword","value":"unset"},{"type":"keyword","value":"error"}"#))
    #expect(get(h, "/api/v2/search/tag/kind/values").body.contains(#"{"type":"keyword","value":"client"}"#))
    #expect(get(h, "/api/v2/search/tag/name/values").body.contains(#"{"type":"string","value":"GET /health"}"#))
    #expect(get(h, "/api/v2/search/tag/span.%22db.system%22/values").body.contains("postgres"))
    #expect(get(h, "/api/v2/search/tag/%7B/values").status == 400)
}

@Test func traceQueryExtension_config_defaultsToTempoPort_andChecksTheStoreName() throws {
    #expect(try parseComponentConfig(TraceQueryExtension.Config.parse, "").endpoint == "localhost:3200")
    #expect(try parseComponentConfig(TraceQueryExtension.Config.parse, "store: tracestore/local\n").store == ComponentID(type: "tracestore", name: "local"))
    #expect(throws: (any Error).self) { try parseComponentConfig(TraceQueryExtension.Config.parse, "store: debug\n") }
    #expect(throws: (any Error).self) { try parseComponentConfig(TraceQueryExtension.Config.parse, "endpoint: nope\n") }
}
