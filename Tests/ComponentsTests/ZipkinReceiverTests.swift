@testable import Components
import Config
import Foundation
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import Transport
import WireFormats

private let fixtureDirectory = repositoryRoot.appendingPathComponent("Tests/WireFormatsTests/Fixtures/zipkin")

private func fixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtureDirectory.appendingPathComponent(name)))
}

private func handler(_ next: any TraceConsumer, metrics: SelfMetrics = SelfMetrics(), parseStringTags: Bool = false,
                     cors: CORSConfig? = nil) throws -> ZipkinHTTPHandler {
    let context = ComponentContext(id: try ComponentID(parsing: "zipkin"), kind: .receiver, logger: CapturedLog().logger(),
                                   status: ServiceStatus(), metrics: metrics)
    return ZipkinHTTPHandler(next: next, metrics: ReceiverTransportMetrics(context), options: ZipkinDecodeOptions(parseStringTags: parseStringTags),
                             logger: context.logger, cors: cors)
}

private func post(_ path: String, _ body: [UInt8], contentType: String? = nil, headers: [(String, String)] = []) -> HTTPRequest {
    var all = headers
    if let contentType { all.append(("Content-Type", contentType)) }
    return HTTPRequest(method: "POST", path: path, headers: HTTPHeaders(all), body: body)
}

private func text(_ r: HTTPResponse) -> String { String(decoding: r.body, as: UTF8.self) }

@Test func zipkinHTTP_picksTheDecoderByPathAndMediaType_andAnswers202() throws {
    let sink = SinkConsumer()
    let metrics = SelfMetrics()
    let h = try handler(sink, metrics: metrics)
    let cases: [(HTTPRequest, Int)] = [
        (post("/api/v2/spans", try fixture("istio_v2.json"), contentType: "application/json"), 2),
        (post("/", try fixture("v2_spans.json")), 4),
        (post("/api/v2/spans", try fixture("v2_spans.binpb"), contentType: "application/x-protobuf"), 4),
        (post("/any/api/v1/spans", try fixture("v1_rpc.json"), contentType: "application/json"), 2),
        (post("/api/v1/spans", try fixture("v1_rpc.thrift"), contentType: "application/x-thrift; charset=binary"), 2),
    ]
    var total = 0
    for (request, spans) in cases {
        let r = h.handle(request)
        #expect(r.status == 202 && r.body.isEmpty, "\(request.path): \(r.status) \(text(r))")
        total += spans
        #expect(sink.spanCount == total)
    }
    let rendered = metrics.render()
    for (transport, count) in [("http_v2_json", 6), ("http_v2_proto", 4), ("http_v1_json", 2), ("http_v1_thrift", 2)] {
        #expect(rendered.contains(#"otelcol_receiver_accepted_spans{receiver="zipkin",transport="\#(transport)"} \#(count)"#), "\(rendered)")
    }
}

@Test func zipkinHTTP_answers400WithTheSpanAndField_andCountsIt() throws {
    let sink = SinkConsumer()
    let metrics = SelfMetrics()
    let h = try handler(sink, metrics: metrics)
    let body = Array(#"[{"traceId":"7c3e5a91d2f04b6e8a1f09c3b5d7e21","id":"9a4f1c2e7b3d5a60"}]"#.utf8)
    let r = h.handle(post("/api/v2/spans", body, contentType: "application/json"))
    #expect(r.status == 400)
    #expect(text(r).contains("span 0") && text(r).contains("traceId") && text(r).contains("got 31"), "\(text(r))")
    #expect(sink.spanCount == 0)
    // JSON sent as protobuf is refused too: the media type decides.
    #expect(h.handle(post("/api/v2/spans", try fixture("istio_v2.json"), contentType: "application/x-protobuf")).status == 400)
    #expect(metrics.render().contains(#"swiftlet_receiver_invalid_requests{receiver="zipkin",transport="http_v2_json"} 1"#))
    #expect(metrics.render().contains(#"swiftlet_receiver_invalid_requests{receiver="zipkin",transport="http_v2_proto"} 1"#))
    // An empty list is accepted with nothing to push.
    #expect(h.handle(post("/api/v2/spans", Array("[]".utf8))).status == 202)
}

@Test func zipkinHTTP_mapsPipelineRefusals() throws {
    let sink = SinkConsumer()
    let metrics = SelfMetrics()
    let h = try handler(sink, metrics: metrics)
    let body = try fixture("istio_v2.json")
    sink.fail(with: .permanent("bad data"))
    #expect(h.handle(post("/api/v2/spans", body)).status == 400)
    sink.fail(with: .retryable("queue is full"))
    let busy = h.handle(post("/api/v2/spans", body))
    #expect(busy.status == 503 && text(busy).contains("queue is full"))
    sink.fail(with: .refused("memory limit", retryAfterSeconds: 5))
    let refused = h.handle(post("/api/v2/spans", body))
    #expect(refused.status == 429 && refused.headers.contains { $0.0 == "Retry-After" && $0.1 == "5" })
    // A permanent refusal counts as failed, the retryable ones as refused.
    let rendered = metrics.render()
    #expect(rendered.contains(#"otelcol_receiver_failed_spans{receiver="zipkin",transport="http_v2_json"} 2"#), "\(rendered)")
    #expect(rendered.contains(#"otelcol_receiver_refused_spans{receiver="zipkin",transport="http_v2_json"} 4"#), "\(rendered)")
}

@Test func zipkinHTTP_parseStringTags_typesTags() throws {
    let sink = SinkConsumer()
    _ = try handler(sink, parseStringTags: true).handle(post("/api/v2/spans", try fixture("istio_v2.json")))
    #expect(sink.allSpans.first?.attributes[key: "http.status_code"] == .int(200))
}

@Test func zipkinHTTP_answersCORSPreflightsAndAddsHeaders() throws {
    let h = try handler(SinkConsumer(), cors: CORSConfig(allowedOrigins: ["https://*.example.com"]))
    let preflight = h.handle(HTTPRequest(method: "OPTIONS", path: "/api/v2/spans", headers: HTTPHeaders([
        ("Origin", "https://ui.example.com"), ("Access-Control-Request-Method", "POST"),
    ])))
    #expect(preflight.status == 204 && preflight.headers.contains { $0.0 == "Access-Control-Allow-Origin" })
    let r = h.handle(post("/api/v2/spans", Array("[]".utf8), headers: [("Origin", "https://ui.example.com")]))
    #expect(r.status == 202 && r.headers.contains { $0.0 == "Access-Control-Allow-Origin" && $0.1 == "https://ui.example.com" })
}

@Test func zipkinHTTP_answersAnOversizedBodyWith400_asUpstream() throws {
    let r = try handler(SinkConsumer()).errorResponse(status: 413, message: "request body larger than 10 bytes", request: nil)
    #expect(r.status == 400 && text(r).contains("larger than"))
    #expect(try handler(SinkConsumer()).errorResponse(status: 408, message: "timeout", request: nil).status == 408)
}

@Test func zipkinConfig_defaults_andValidation() throws {
    func parse(_ yaml: String) throws -> ZipkinReceiver.Config {
        let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "receivers::zipkin", file: "t")
        let config = try ZipkinReceiver.Config.parse(reader)
        try reader.finish()
        return config
    }
    let defaults = try parse("")
    #expect(defaults.server.endpoint == "localhost:9411" && !defaults.parseStringTags)
    #expect(defaults.server.maxRequestBodySize == 20 * 1024 * 1024)
    let tuned = try parse("endpoint: 0.0.0.0:19411\nparse_string_tags: true\nmax_request_body_size: 1000\ncors:\n  allowed_origins: [\"*\"]\n")
    #expect(tuned.server.endpoint == "0.0.0.0:19411" && tuned.parseStringTags && tuned.server.maxRequestBodySize == 1000)
    #expect(tuned.server.cors?.allowedOrigins == ["*"])
    #expect(throws: ConfigError.self) { try parse("parse_string_tag: true\n") }
    #expect(throws: ConfigError.self) { try parse("endpoint: nope\n") }
    #expect(problems("receivers:\n  zipkin:\nexporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [zipkin]\n      exporters: [debug]\n") == "")
}

@Test func zipkinReceiver_startsOnAPort_andShutsDown() throws {
    var config = ZipkinReceiver.Config()
    config.server.endpoint = "127.0.0.1:0"
    let ctx = ComponentContext(id: try ComponentID(parsing: "zipkin/x"), kind: .receiver, logger: CapturedLog().logger(), status: ServiceStatus())
    let receiver = try ZipkinReceiver(ctx, config, next: SinkConsumer())
    try receiver.start()
    #expect(receiver.boundPort > 0)
    receiver.shutdown()
    receiver.shutdown()
}

/// The translation writes OTLP protobuf directly: whatever comes next, every ResourceSpans
/// leaves the receiver encoded with its model unbuilt, and the encoding is byte for byte what the
/// encoder writes for the model decoded from it.
@Test func zipkinHTTP_handsOnTheTranslatedEncoding_withTheModelUnbuilt() throws {
    for downstream in [false, true] {
        let sink = SinkConsumer(forwardsOTLPEncoding: downstream)
        let r = try handler(sink).handle(post("/api/v2/spans", try fixture("v2_spans.json"), contentType: "application/json"))
        #expect(r.status == 202)
        let received = try #require(sink.batches.first)
        #expect(!received.resourceSpans.isEmpty)
        #expect(received.resourceSpans.allSatisfy { $0.encoded != nil && $0.isDeferred })
        #expect(OTLPProtoEncoder.encodingsMatchModels(received))
    }
}
