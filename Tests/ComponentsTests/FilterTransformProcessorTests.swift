@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import WireFormats

private func reader(_ yaml: String, _ path: String) throws -> ConfigReader {
    try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: path, file: "t")
}

private func filter(_ yaml: String, next: any TraceConsumer = SinkConsumer(), log: CapturedLog = CapturedLog()) throws -> FilterProcessor {
    let r = try reader(yaml, "processors::filter")
    let c = try FilterProcessor.Config.parse(r)
    try r.finish()
    return FilterProcessor(c, logger: log.logger("filter"), next: next)
}

private func transform(_ yaml: String, next: any TraceConsumer = SinkConsumer(), log: CapturedLog = CapturedLog()) throws -> TransformProcessor {
    let r = try reader(yaml, "processors::transform")
    let c = try TransformProcessor.Config.parse(r)
    try r.finish()
    return TransformProcessor(c, logger: log.logger("transform"), next: next)
}

private func configError(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}

/// Two resources: `frontend` with a health check and a page, `backend` with one query whose event
/// is a retry.
private func traffic() -> TraceBatch {
    func s(_ id: UInt64, _ name: String, _ attrs: [KeyValue], events: [SpanEvent] = []) -> Span {
        Span(traceID: TraceID(high: 1, low: id), spanID: SpanID(id), name: name, kind: .server, attributes: attrs, events: events)
    }
    return TraceBatch(resourceSpans: [
        ResourceSpans(resource: Resource(attributes: [KeyValue("service.name", .string("frontend"))]), scopeSpans: [
            ScopeSpans(scope: InstrumentationScope(name: "envoy"), spans: [
                s(1, "GET /healthz", [KeyValue("http.route", .string("/healthz"))]),
                s(2, "GET /page", [KeyValue("http.route", .string("/page"))]),
            ]),
        ]),
        ResourceSpans(resource: Resource(attributes: [KeyValue("service.name", .string("backend"))]), scopeSpans: [
            ScopeSpans(scope: InstrumentationScope(name: "db"), spans: [
                s(3, "SELECT", [], events: [SpanEvent(name: "retry"), SpanEvent(name: "done")]),
            ]),
        ]),
    ])
}

private func names(_ b: TraceBatch) -> [String] { b.resourceSpans.flatMap { $0.scopeSpans.flatMap { $0.spans.map(\.name) } } }

@Test func filter_dropsSpansAnyConditionMatches_andEmptyResources() throws {
    let sink = SinkConsumer()
    let f = try filter("""
        error_mode: ignore
        traces:
          span:
            - 'attributes["http.route"] == "/healthz"'
            - 'resource.attributes["service.name"] == "backend" and name == "nothing"'
          spanevent:
            - 'name == "retry"'
        """, next: sink)
    try f.consume(traffic())
    let out = sink.batches[0]
    #expect(names(out) == ["GET /page", "SELECT"])
    #expect(out.resourceSpans[1].scopeSpans[0].spans[0].events.map(\.name) == ["done"])
    let all = try filter("traces:\n  span: ['kind == SPAN_KIND_SERVER']\n", next: sink)
    sink.reset()
    try all.consume(traffic())
    #expect(sink.batches.isEmpty, "an emptied batch is not passed on")
}

@Test func filter_keepsTheReceivedEncoding_ofResourcesItDropsNothingFrom() throws {
    let sink = SinkConsumer()
    var batch = traffic()
    for r in batch.resourceSpans.indices { batch.resourceSpans[r].encoded = EncodedBytes(.init([1, 2, 3]), 0..<3) }
    try filter("traces:\n  span: ['name == \"GET /healthz\"']\n", next: sink).consume(batch)
    #expect(sink.batches[0].resourceSpans[1].encoded != nil)
    #expect(sink.batches[0].resourceSpans[0].encoded == nil)
}

@Test func filter_errorModes() throws {
    // Len of a missing attribute (nil) fails: SELECT's condition errs and, ignored, keeps it.
    let condition = "traces:\n  span: ['Len(attributes[\"http.route\"]) > 5']\n"
    let log = CapturedLog()
    let sink = SinkConsumer()
    try filter("error_mode: ignore\n" + condition, next: sink, log: log).consume(traffic())
    #expect(names(sink.batches[0]) == ["GET /page", "SELECT"])
    #expect(log.text.contains("failed to execute condition"))
    #expect(throws: ConsumerError.self) { try filter("error_mode: propagate\n" + condition).consume(traffic()) }
    let quiet = CapturedLog()
    try filter("error_mode: silent\n" + condition, log: quiet).consume(traffic())
    #expect(!quiet.text.contains("failed"))
}

@Test func filter_legacyIncludeExclude() throws {
    let sink = SinkConsumer()
    try filter("""
        spans:
          exclude:
            match_type: regexp
            span_names: ['^GET /health']
        """, next: sink).consume(traffic())
    #expect(names(sink.batches[0]) == ["GET /page", "SELECT"])
}

@Test func filter_configErrors() {
    #expect(configError { _ = try filter("traces:\n  span: ['name ==']\n") }?.contains("traces::span[0]") == true)
    #expect(configError { _ = try filter("error_mode: loud\n") }?.contains("unknown error mode") == true)
    #expect(configError { _ = try filter("traces:\n  span: ['name == \"a\"']\nspans:\n  exclude: {match_type: strict, span_names: [a]}\n") }?.contains("at the same time") == true)
    #expect(configError { _ = try filter("traces:\n  spans: ['name == \"a\"']\n") }?.contains("unknown key 'spans'") == true)
}

@Test func transform_structuredGroupsRunInTheirContexts() throws {
    let sink = SinkConsumer()
    try transform("""
        error_mode: ignore
        trace_statements:
          - context: resource
            statements:
              - set(attributes["env"], "prod")
          - context: span
            conditions:
              - resource.attributes["service.name"] == "frontend"
            statements:
              - set(attributes["route.copy"], attributes["http.route"])
              - replace_pattern(name, "^GET ", "get ")
          - context: spanevent
            statements:
              - set(attributes["span"], span.name) where name == "retry"
        """, next: sink).consume(traffic())
    let out = sink.batches[0]
    #expect(out.resourceSpans.allSatisfy { $0.resource.attributes[key: "env"] == .string("prod") })
    #expect(names(out) == ["get /healthz", "get /page", "SELECT"])
    #expect(out.resourceSpans[0].scopeSpans[0].spans[1].attributes[key: "route.copy"] == .string("/page"))
    #expect(out.resourceSpans[1].scopeSpans[0].spans[0].attributes[key: "route.copy"] == nil)
    #expect(out.resourceSpans[1].scopeSpans[0].spans[0].events[0].attributes[key: "span"] == .string("SELECT"))
    #expect(out.resourceSpans[1].scopeSpans[0].spans[0].events[1].attributes.isEmpty)
}

@Test func transform_flatStatementsInferTheirContext() throws {
    let sink = SinkConsumer()
    try transform("""
        trace_statements:
          - set(resource.attributes["k8s.cluster"], "c1")
          - set(span.attributes["svc"], resource.attributes["service.name"])
        """, next: sink).consume(traffic())
    let out = sink.batches[0]
    #expect(out.resourceSpans[0].resource.attributes[key: "k8s.cluster"] == .string("c1"))
    #expect(out.resourceSpans[1].scopeSpans[0].spans[0].attributes[key: "svc"] == .string("backend"))
    #expect(configError { _ = try transform("trace_statements:\n  - set(attributes[\"a\"], 1)\n") }?.contains("unable to infer a context") == true)
    #expect(configError { _ = try transform("trace_statements:\n  - context: log\n    statements: ['set(attributes[\"a\"], 1)']\n") }?.contains("unknown context log") == true)
    #expect(configError { _ = try transform("trace_statements:\n  - context: span\n    statements: ['set(attributes[\"a\"], 1) where']\n") }?.contains("trace_statements[0]::statements[0]") == true)
}

@Test func transform_errorModePropagateFailsTheBatch() throws {
    let yaml = "error_mode: propagate\ntrace_statements:\n  - context: span\n    statements: ['set(attributes[\"l\"], Len(kind))']\n"
    #expect(throws: ConsumerError.self) { try transform(yaml).consume(traffic()) }
    let sink = SinkConsumer()
    try transform(yaml.replacingOccurrences(of: "propagate", with: "ignore"), next: sink).consume(traffic())
    #expect(sink.spanCount == 3)
}

/// `traffic()` as an OTLP receiver hands it on: each resource validated, its spans not decoded.
private func receivedTraffic() throws -> TraceBatch {
    let bytes = OTLPProtoEncoder.encodeExportRequest(traffic())
    let batch = try OTLPProtoDecoder.decodeExportRequest(bytes).batch
    #expect(batch.resourceSpans.allSatisfy { $0.isDeferred })
    return batch
}

@Test func filter_decidesFromTheBytes_whenNothingGoes_andFromTheModelOtherwise() throws {
    let conditions = [
        #"attributes["http.route"] == "/nowhere""#,              // reads one attribute
        #"name == "nothing" or kind == SPAN_KIND_CLIENT"#,       // no attributes
        #"IsMatch(resource.attributes["service.name"], "^z")"#,  // the resource
        #"Len(attributes) > 50"#,                                // the whole map
    ]
    for condition in conditions {
        let sink = SinkConsumer()
        try filter("traces: {span: ['\(condition)']}", next: sink).consume(try receivedTraffic())
        // Nothing dropped: every resource forwarded as received, its model never built.
        #expect(sink.batches.count == 1 && sink.batches[0].resourceSpans.allSatisfy { $0.isDeferred }, "\(condition)")
        #expect(sink.batches[0] == traffic())
    }
    // A span that goes: the same answer as from the model.
    for condition in [#"attributes["http.route"] == "/healthz""#, #"Len(attributes) == 0"#, #"name == "SELECT""#] {
        let fromBytes = SinkConsumer(), fromModel = SinkConsumer()
        let yaml = "traces: {span: ['\(condition)']}"
        try filter(yaml, next: fromBytes).consume(try receivedTraffic())
        try filter(yaml, next: fromModel).consume(traffic())
        #expect(fromBytes.batches == fromModel.batches, "\(condition)")
        #expect(fromBytes.batches.first.map { $0.spanCount < traffic().spanCount } ?? true, "\(condition)")
    }
}

@Test func ottlCondition_namesTheSpanAttributesItReads() throws {
    #expect(try OTTLCompiler.condition(#"attributes["a"] == "x" and span.attributes["b"]["c"] != nil"#, in: .span).spanAttributeKeys == ["a", "b"])
    #expect(try OTTLCompiler.condition(#"resource.attributes["a"] == "x""#, in: .span).spanAttributeKeys == [])
    #expect(try OTTLCompiler.condition(#"Len(attributes) > 1"#, in: .span).spanAttributeKeys == nil)
    #expect(try OTTLCompiler.condition(#"span.name == "x" or (status.code == STATUS_CODE_ERROR and IsMatch(trace_id.string, "^0"))"#, in: .span)
        .spanFields == ["name", "status", "trace_id"])
    #expect(try OTTLCompiler.condition(#"resource.attributes["a"] == attributes["b"]"#, in: .span).spanFields == ["attributes"])
}
