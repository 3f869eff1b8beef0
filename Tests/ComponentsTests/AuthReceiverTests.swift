@testable import Components
import Diagnostics
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import Transport
import WireFormats

private struct Host: ComponentHost {
    let extensions: [ComponentID: any Component]
    func `extension`(_ id: ComponentID) -> (any Component)? { extensions[id] }
}

private func bearer(_ token: String) -> BearerTokenAuthExtension {
    var config = BearerTokenAuthExtension.Config()
    config.tokens = [token]
    return BearerTokenAuthExtension(config, logger: CapturedLog().logger())
}

private let bearerID = ComponentID(type: "bearertokenauth")

/// An OTLP/HTTP handler behind `auth`, its slot bound to a bearer token "s3cret".
private func guarded(cors: CORSConfig? = nil, params: [String] = [], sink: SinkConsumer, refused: SelfMetrics.Counter)
    throws -> any HTTPHandler {
    var config = OTLPReceiver.HTTPConfig()
    config.cors = cors
    var slots: [ServerAuthenticatorSlot] = []
    let handler = OTLPHTTPHandler(config: config, next: sink, logger: CapturedLog().logger())
        .authenticated(by: AuthSettings(authenticator: bearerID, requestParams: params), slots: &slots, cors: cors, refused: refused)
    try slots.bind(Host(extensions: [bearerID: bearer("s3cret")]))
    return handler
}

private func export(_ headers: [(String, String)], query: String = "") -> HTTPRequest {
    HTTPRequest(method: "POST", path: "/v1/traces", query: query, headers: HTTPHeaders([("Content-Type", "application/x-protobuf")] + headers),
                body: OTLPProtoEncoder.encodeExportRequest(sampleBatch(spans: 2)))
}

@Test func authenticatingHandler_passesAcceptedRequests_andRefusesOthersWith401() throws {
    let sink = SinkConsumer()
    let refused = SelfMetrics.Counter()
    let handler = try guarded(sink: sink, refused: refused)
    #expect(handler.handle(export([("Authorization", "Bearer s3cret")])).status == 200)
    #expect(sink.spanCount == 2)
    for headers in [[], [("Authorization", "Bearer wrong")], [("Authorization", "Basic czNjcmV0")]] {
        let response = handler.handle(export(headers))
        #expect(response.status == 401)
        #expect(!response.headers.contains { $0.0.lowercased() == "www-authenticate" })
        #expect(response.headers.contains { $0 == ("Content-Type", "application/x-protobuf") })
        #expect(response.body == OTLPProtoEncoder.encodeStatus(code: GRPCStatusCode.unauthenticated.rawValue, message: "Unauthorized", details: []))
    }
    #expect(sink.spanCount == 2)
    #expect(refused.current == 3)
}

@Test func authenticatingHandler_answersACORSPreflightWithoutCredentials_onlyWhenCORSAllowsOrigins() throws {
    let preflight = HTTPRequest(method: "OPTIONS", path: "/v1/traces", headers: HTTPHeaders([
        ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST")]))
    let withCORS = try guarded(cors: CORSConfig(allowedOrigins: ["https://*.example.com"]), sink: SinkConsumer(), refused: SelfMetrics.Counter())
    let answer = withCORS.handle(preflight)
    #expect(answer.status == 204)
    #expect(answer.headers.contains { $0 == ("Access-Control-Allow-Origin", "https://app.example.com") })
    // A refused actual request still carries the CORS headers, so a browser can read the 401.
    var refusedRequest = export([])
    refusedRequest.headers = HTTPHeaders([("Origin", "https://app.example.com"), ("Content-Type", "application/x-protobuf")])
    #expect(withCORS.handle(refusedRequest).headers.contains { $0 == ("Access-Control-Allow-Origin", "https://app.example.com") })

    let noOrigins = try guarded(cors: CORSConfig(), sink: SinkConsumer(), refused: SelfMetrics.Counter())
    #expect(noOrigins.handle(preflight).status == 401)
}

@Test func authenticatingHandler_offersRequestParams_overHeaders() throws {
    let handler = try guarded(params: ["authorization"], sink: SinkConsumer(), refused: SelfMetrics.Counter())
    #expect(handler.handle(export([], query: "authorization=Bearer%20s3cret")).status == 200)
    #expect(handler.handle(export([("Authorization", "Bearer s3cret")], query: "authorization=Bearer+nope")).status == 401)
    #expect(handler.handle(export([("Authorization", "Bearer s3cret")], query: "other=1")).status == 200)
}

@Test func authenticatingHandler_answersGRPCWithTrailersOnlyUnauthenticated() throws {
    let sink = SinkConsumer()
    let refused = SelfMetrics.Counter()
    let service = OTLPGRPCService(next: sink, failed: SelfMetrics.Counter(), logger: CapturedLog().logger())
    var slots: [ServerAuthenticatorSlot] = []
    let handler = service.handler(maxReceiveMessageSize: 1 << 20)
        .authenticated(by: AuthSettings(authenticator: bearerID), slots: &slots, refused: refused)
    try slots.bind(Host(extensions: [bearerID: bearer("s3cret")]))
    let message = OTLPProtoEncoder.encodeExportRequest(sampleBatch(spans: 1))
    func call(_ metadata: [(String, String)]) -> HTTPResponse {
        handler.handle(HTTPRequest(method: "POST", path: OTLPGRPCService.exportPath,
                                   headers: HTTPHeaders([("content-type", "application/grpc")] + metadata),
                                   body: GRPCMessageFraming.frame(message)))
    }
    let refusedCall = call([("authorization", "Bearer nope")])
    #expect(refusedCall.status == 200 && refusedCall.body.isEmpty && refusedCall.trailers.isEmpty)
    #expect(refusedCall.headers.contains { $0 == ("grpc-status", "16") })
    #expect(refusedCall.headers.contains { $0 == ("grpc-message", "Unauthorized") })
    #expect(sink.spanCount == 0 && refused.current == 1)
    #expect(call([("authorization", "Bearer s3cret")]).trailers.contains { $0 == ("grpc-status", "0") })
    #expect(sink.spanCount == 1)
}

@Test func receivers_failToStart_namingAMissingOrWrongAuthenticator() throws {
    let config = try loadConfig("""
        receivers:
          otlp:
            protocols:
              grpc: {endpoint: "127.0.0.1:0", auth: {authenticator: bearertokenauth}}
        exporters:
          nop:
        service:
          pipelines:
            traces: {receivers: [otlp], exporters: [nop]}
        """)
    let entry = try #require(config.receivers[ComponentID(type: "otlp")])
    let receiver = try entry.factory.make(context("otlp", .receiver), entry.config, SinkConsumer())
    #expect { try receiver.start(host: Host(extensions: [:])) } throws: {
        "\($0)".contains("bearertokenauth is not configured or not listed in service::extensions")
    }
    let client = BasicAuthClient(BasicCredentials(user: "u", password: "p"))
    #expect { try receiver.start(host: Host(extensions: [bearerID: client])) } throws: {
        "\($0)".contains("extension bearertokenauth is not a server authenticator")
    }
    #expect { try receiver.start() } throws: { "\($0)".contains("start(host:) was not called") }
    receiver.shutdown()
}

@Test func exporter_failsToStart_whenItsAuthenticatorIsNotAClient() throws {
    let config = try loadConfig("""
        extensions:
          basicauth: {htpasswd: {inline: "a:b"}}
        receivers:
          otlp: {protocols: {http: {endpoint: "127.0.0.1:0"}}}
        exporters:
          otlp_http: {endpoint: "http://127.0.0.1:1", auth: {authenticator: basicauth}}
        service:
          extensions: [basicauth]
          pipelines:
            traces: {receivers: [otlp], exporters: [otlp_http]}
        """)
    let entry = try #require(config.exporters[ComponentID(type: "otlp_http")])
    let exporter = try entry.factory.make(context("otlp_http", .exporter), entry.config, nil)
    let server = BasicAuthServer(.init(inline: "a:b"), logger: CapturedLog().logger())
    #expect { try exporter.start(host: Host(extensions: [ComponentID(type: "basicauth"): server])) } throws: {
        "\($0)".contains("extension basicauth is not a client authenticator")
    }
    exporter.shutdown()
}

@Test func clientSlot_replacesConfiguredHeadersOfTheSameName() throws {
    let slot = ClientAuthenticatorSlot(AuthSettings(authenticator: bearerID))
    #expect(slot.headers(adding: [("authorization", "static")]).map(\.1) == ["static"])
    try slot.bind(Host(extensions: [bearerID: bearer("t")]))
    let headers = slot.headers(adding: [("authorization", "static"), ("x-scope-orgid", "a")])
    #expect(headers.map { "\($0.0)=\($0.1)" } == ["x-scope-orgid=a", "Authorization=Bearer t"])
}

@Test func authKeys_areReadWhereUpstreamReadsThem_andUnknownOnesRefused() {
    func config(_ receiver: String, exporter: String = "nop: {}") -> String {
        """
        receivers:
          \(receiver)
        exporters:
          \(exporter)
        service:
          pipelines:
            traces: {receivers: [\(receiver.prefix { $0 != ":" })], exporters: [\(exporter.prefix { $0 != ":" })]}
        """
    }
    #expect(problems(config("otlp: {protocols: {http: {auth: {authenticator: basicauth, request_params: [token]}}}}")) == "")
    #expect(problems(config("zipkin: {auth: {authenticator: bearertokenauth/a}}")) == "")
    #expect(problems(config("jaeger: {protocols: {grpc: {auth: {authenticator: x}}, thrift_http: {auth: {authenticator: y}}}}")) == "")
    #expect(problems(config("otlp: {protocols: {grpc: {auth: {authenticator: x, request_params: [a]}}}}")).contains("unknown key 'request_params'"))
    #expect(problems(config("otlp: {protocols: {http: {auth: {}}}}")).contains("authenticator"))
    #expect(problems(config("otlp: {protocols: {http: {atuh: {authenticator: x}}}}")).contains("unknown key 'atuh'"))
    #expect(problems(config("otlp: {protocols: {grpc: {}}}", exporter: "otlp: {endpoint: \"a:1\", tls: {insecure: true}, auth: {authenticator: b}}")) == "")
    #expect(problems(config("otlp: {protocols: {grpc: {}}}", exporter: "otlp_http: {endpoint: \"http://a:1\", auth: {authenticator: b, x: 1}}"))
        .contains("unknown key 'x'"))
}

@Test func reload_replacesAReceiver_whoseAuthenticatorChanged() throws {
    func yaml(_ token: String, healthPort: Int = 0) -> String {
        """
        extensions:
          bearertokenauth: {token: \(token)}
          health_check: {endpoint: "127.0.0.1:\(healthPort)"}
        receivers:
          otlp: {protocols: {http: {endpoint: "127.0.0.1:0", auth: {authenticator: bearertokenauth}}}}
          zipkin: {endpoint: "127.0.0.1:0"}
        exporters:
          nop:
        service:
          extensions: [bearertokenauth, health_check]
          pipelines:
            traces: {receivers: [otlp, zipkin], exporters: [nop]}
        """
    }
    let logger = CapturedLog().logger()
    let shared = Service.Shared()
    let first = try Service(config: loadConfig(yaml("a")), logger: logger, shared: shared, replacing: nil)
    let same = try Service(config: loadConfig(yaml("a")), logger: logger, shared: shared, replacing: first)
    #expect(same.receivers.allSatisfy { $0.carriedOver })
    let otherHealth = try Service(config: loadConfig(yaml("a", healthPort: 1)), logger: logger, shared: shared, replacing: first)
    #expect(otherHealth.receivers.allSatisfy { $0.carriedOver })
    let otherToken = try Service(config: loadConfig(yaml("b")), logger: logger, shared: shared, replacing: first)
    #expect(otherToken.receivers.map { "\($0.id)=\($0.carriedOver)" } == ["otlp=false", "zipkin=true"])
}
