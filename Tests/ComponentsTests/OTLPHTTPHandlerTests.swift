@testable import Components
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import Transport
import WireFormats

private func handler(cors: CORSConfig? = nil, sink: SinkConsumer = SinkConsumer()) -> OTLPHTTPHandler {
    var config = OTLPReceiver.HTTPConfig()
    config.cors = cors
    return OTLPHTTPHandler(config: config, next: sink, logger: CapturedLog().logger())
}

private func request(_ method: String = "POST", _ path: String = "/v1/traces", contentType: String? = "application/x-protobuf",
                     headers: [(String, String)] = [], body: [UInt8] = []) -> HTTPRequest {
    var all = headers
    if let contentType { all.append(("Content-Type", contentType)) }
    return HTTPRequest(method: method, path: path, headers: HTTPHeaders(all), body: body)
}

private func header(_ r: HTTPResponse, _ name: String) -> String? {
    r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
}

@Test func otlpHTTP_acceptsProtobuf_andAnswersInProtobuf() throws {
    let sink = SinkConsumer()
    let body = OTLPProtoEncoder.encodeExportRequest(sampleBatch(spans: 2))
    let r = handler(sink: sink).handle(request(body: body))
    #expect(r.status == 200)
    #expect(header(r, "content-type") == "application/x-protobuf")
    #expect(r.body == [0x0A, 0x00])
    #expect(sink.spanCount == 2)
}

@Test func otlpHTTP_acceptsJSON_withParameters_andAnswersInJSON() {
    let sink = SinkConsumer()
    let body = OTLPJSONEncoder.encodeExportRequest(sampleBatch(spans: 1))
    let r = handler(sink: sink).handle(request(contentType: "application/json; charset=utf-8", body: body))
    #expect(r.status == 200)
    #expect(header(r, "content-type") == "application/json")
    #expect(String(decoding: r.body, as: UTF8.self) == #"{"partialSuccess":{}}"#)
    #expect(sink.spanCount == 1)
}

@Test func otlpHTTP_answers405_415_and404_asUpstream() {
    let h = handler()
    let get = h.handle(request("GET"))
    #expect(get.status == 405 && String(decoding: get.body, as: UTF8.self) == "405 method not allowed, supported: [POST]")
    let xml = h.handle(request(contentType: "text/xml"))
    #expect(xml.status == 415 && String(decoding: xml.body, as: UTF8.self).hasPrefix("415 unsupported media type"))
    #expect(h.handle(request("POST", "/nope")).status == 404)
}

@Test func otlpHTTP_answersMetricsAndLogsWithAStatusSayingTracesOnly() {
    for path in ["/v1/metrics", "/v1/logs"] {
        let r = handler().handle(request("POST", path, contentType: "application/json", body: Array("{}".utf8)))
        #expect(r.status == 404)
        let text = String(decoding: r.body, as: UTF8.self)
        #expect(text.contains("traces only") && text.contains("\"code\":12"), "\(text)")
    }
}

@Test func otlpHTTP_answers400WithAStatus_forUndecodableBodies() {
    let r = handler().handle(request(body: [0x0A, 0xFF]))
    #expect(r.status == 400)
    #expect(header(r, "content-type") == "application/x-protobuf")
    #expect(!r.body.isEmpty)
}

@Test func otlpHTTP_mapsConsumerErrorsToStatusCodes() {
    let sink = SinkConsumer()
    let h = handler(sink: sink)
    let body = OTLPProtoEncoder.encodeExportRequest(sampleBatch(spans: 1))
    sink.fail(with: .permanent("bad"))
    #expect(h.handle(request(body: body)).status == 400)
    sink.fail(with: .retryable("later"))
    #expect(h.handle(request(body: body)).status == 503)
    sink.fail(with: .refused("memory", retryAfterSeconds: 5))
    let refused = h.handle(request(body: body))
    #expect(refused.status == 429 && header(refused, "retry-after") == "5")
}

@Test func otlpHTTP_doesNotCallThePipeline_forAnEmptyRequest() {
    let sink = SinkConsumer()
    sink.fail(with: .retryable("must not be called"))
    #expect(handler(sink: sink).handle(request(body: [])).status == 200)
}

@Test func otlpHTTP_answersCORSPreflight_forAWildcardOrigin() {
    let h = handler(cors: CORSConfig(allowedOrigins: ["https://*.example.com"], allowedHeaders: ["x-custom"], maxAge: 600))
    let preflight = h.handle(request("OPTIONS", contentType: nil, headers: [
        ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type, X-Custom"),
    ]))
    #expect(preflight.status == 204)
    #expect(header(preflight, "access-control-allow-origin") == "https://app.example.com")
    #expect(header(preflight, "access-control-max-age") == "600")
    #expect(header(preflight, "access-control-allow-methods") == "POST")

    let other = h.handle(request("OPTIONS", contentType: nil, headers: [("Origin", "https://evil.test"), ("Access-Control-Request-Method", "POST")]))
    #expect(header(other, "access-control-allow-origin") == nil)

    let post = h.handle(request(headers: [("Origin", "https://app.example.com")], body: []))
    #expect(header(post, "access-control-allow-origin") == "https://app.example.com")
}

@Test func wildcardMatch_matchesStarsAnywhere() {
    func m(_ p: String, _ t: String) -> Bool { wildcardMatch(pattern: Array(p.utf8), Array(t.utf8)) }
    #expect(m("*", "anything") && m("https://*.example.com", "https://a.b.example.com"))
    #expect(!m("https://*.example.com", "https://example.com") && m("a*b*c", "aXbYc") && !m("a*b", "ac"))
}

@Test func otlpHTTP_serverErrorsAreEncodedLikeTheRequest() {
    let json = handler().errorResponse(status: 413, message: "request body too large", request: request(contentType: "application/json"))
    #expect(json.status == 413 && String(decoding: json.body, as: UTF8.self).contains("request body too large"))
}
