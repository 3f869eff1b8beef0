@testable import Components
import Config
import Foundation
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import Transport
import WireFormats

private func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden/jaeger"))
    return [UInt8](try Data(contentsOf: url))
}

private func handler(_ sink: SinkConsumer, invalid: SelfMetrics.Counter = SelfMetrics.Counter()) -> JaegerThriftHTTPHandler {
    JaegerThriftHTTPHandler(next: sink, logger: CapturedLog().logger(), cors: nil, invalidRequests: invalid)
}

private func post(_ body: [UInt8], contentType: String? = "application/x-thrift", path: String = "/api/traces",
                  method: String = "POST", query: String = "") -> HTTPRequest {
    HTTPRequest(method: method, path: path, query: query, headers: HTTPHeaders(contentType.map { [("Content-Type", $0)] } ?? []), body: body)
}

private func text(_ r: HTTPResponse) -> String { String(decoding: r.body, as: UTF8.self) }

@Test func jaegerHTTP_accepts_bothThriftMediaTypes_withAnyQuery() throws {
    let sink = SinkConsumer()
    let body = try fixture("batch.thrift-binary")
    let first = handler(sink).handle(post(body, query: "format=jaeger.thrift"))
    #expect(first.status == 202 && first.body.isEmpty)
    let second = handler(sink).handle(post(body, contentType: "application/vnd.apache.thrift.binary; charset=binary"))
    #expect(second.status == 202)
    #expect(sink.spanCount == 8)
}

@Test func jaegerHTTP_refusesOtherMediaTypes_paths_andMethods() throws {
    let sink = SinkConsumer()
    let body = try fixture("batch.thrift-binary")
    let json = handler(sink).handle(post(body, contentType: "application/json"))
    #expect(json.status == 415 && text(json).contains("application/x-thrift"))
    #expect(handler(sink).handle(post(body, contentType: nil)).status == 415)
    #expect(handler(sink).handle(post(body, path: "/api/traces/x")).status == 404)
    let get = handler(sink).handle(post([], method: "GET"))
    #expect(get.status == 405 && get.headers.contains { $0 == ("Allow", "POST") })
    #expect(sink.spanCount == 0)
}

@Test func jaegerHTTP_answers400_withTheReason_andCountsIt() throws {
    let invalid = SelfMetrics.Counter()
    let body = try fixture("batch.thrift-binary")
    let r = handler(SinkConsumer(), invalid: invalid).handle(post(Array(body.prefix(100))))
    #expect(r.status == 400)
    #expect(text(r).hasPrefix("Unable to process request body: invalid thrift at byte"), "\(text(r))")
    #expect(invalid.current == 1)
}

@Test func jaegerHTTP_mapsPipelineRefusals() throws {
    let body = try fixture("batch.thrift-binary")
    let sink = SinkConsumer()
    sink.fail(with: .retryable("queue is full"))
    let busy = handler(sink).handle(post(body))
    #expect(busy.status == 503 && text(busy) == "queue is full")
    sink.fail(with: .refused("memory", retryAfterSeconds: 7))
    let refused = handler(sink).handle(post(body))
    #expect(refused.status == 429 && refused.headers.contains { $0 == ("Retry-After", "7") })
    sink.fail(with: .permanent("bad"))
    #expect(handler(sink).handle(post(body)).status == 400)
}

@Test func jaegerConfig_defaults_andValidation() throws {
    func parse(_ yaml: String) throws -> JaegerReceiver.Config {
        let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "receivers::jaeger", file: "t")
        let config = try JaegerReceiver.Config.parse(reader)
        try reader.finish()
        return config
    }
    func failure(_ yaml: String) -> String {
        do { _ = try parse(yaml); return "" } catch { return "\(error)" }
    }
    let all = try parse("protocols:\n  thrift_http:\n  thrift_compact:\n  thrift_binary:\n")
    #expect(all.thriftHTTP?.endpoint == "localhost:14268")
    #expect(all.thriftCompact == JaegerReceiver.UDPConfig(endpoint: "localhost:6831"))
    #expect(all.thriftBinary?.endpoint == "localhost:6832")
    #expect(all.thriftCompact?.queueSize == 1000 && all.thriftCompact?.maxPacketSize == 65000 && all.thriftCompact?.workers == 10)
    let tuned = try parse("protocols:\n  thrift_compact:\n    queue_size: 5\n    max_packet_size: 9000\n    workers: 2\n    socket_buffer_size: 4194304\n")
    #expect(tuned.thriftCompact?.queueSize == 5 && tuned.thriftCompact?.maxPacketSize == 9000)
    #expect(tuned.thriftCompact?.workers == 2 && tuned.thriftCompact?.socketBufferSize == 4_194_304 && tuned.thriftHTTP == nil)

    let grpc = try parse("protocols:\n  grpc:\n")
    #expect(grpc.grpc == GRPCServerSettings(endpoint: "localhost:14250") && grpc.thriftHTTP == nil)
    #expect(grpc.grpc?.maxRecvMsgSizeMiB == 4 && grpc.grpc?.maxConcurrentStreams == 250)
    let tunedGRPC = try parse("protocols:\n  grpc:\n    endpoint: 0.0.0.0:1\n    max_recv_msg_size_mib: 16\n    transport: tcp\n")
    #expect(tunedGRPC.grpc?.endpoint == "0.0.0.0:1" && tunedGRPC.grpc?.maxRecvMsgSizeMiB == 16)
    #expect(failure("protocols:\n  grpc:\n    tls:\n      cert_file: x\n").contains("receivers::jaeger::protocols::grpc::tls"))
    #expect(failure("protocols:\n  grpc:\n    transport: unix\n").contains("only \"tcp\""))
    #expect(failure("protocols:\n").contains("must specify at least one protocol"))
    #expect(failure("{}").contains("must specify at least one protocol"))
    #expect(failure("protocols:\n  thrift_compact:\n    queue_sise: 5\n").contains("did you mean 'queue_size'"))
    #expect(failure("protocols:\n  thrift_binary:\n    max_packet_size: 70000\n").contains("at most 65535"))
    #expect(failure("protocols:\n  thrift_binary:\n    workers: -1\n").contains("must not be negative"))
    #expect(failure("protocols:\n  thrift_http:\n    endpoint: nope\n").contains("receivers::jaeger::protocols::thrift_http::endpoint"))
    #expect(failure("protocols:\n  thrift_http:\n    max_request_body_size: 0\n").contains("greater than 0"))
}

/// The receiver on port 0 for every protocol, with the service's metrics.
private func startedReceiver(_ sink: SinkConsumer, metrics: SelfMetrics) throws -> (JaegerReceiver, [String: Int]) {
    let config = JaegerReceiver.Config(
        thriftHTTP: HTTPServerSettings(endpoint: "127.0.0.1:0"),
        thriftCompact: JaegerReceiver.UDPConfig(endpoint: "127.0.0.1:0"),
        thriftBinary: JaegerReceiver.UDPConfig(endpoint: "127.0.0.1:0"))
    let ctx = ComponentContext(id: try ComponentID(parsing: "jaeger"), kind: .receiver, logger: CapturedLog().logger(),
                               status: ServiceStatus(), metrics: metrics)
    let receiver = try JaegerReceiver(ctx, config, next: sink)
    try receiver.start()
    return (receiver, receiver.boundPorts)
}

@Test func jaegerUDP_decodesBothAgentPorts_countsGarbage_andKeepsListening() throws {
    let sink = SinkConsumer()
    let metrics = SelfMetrics()
    let (receiver, ports) = try startedReceiver(sink, metrics: metrics)
    defer { receiver.shutdown() }
    let compact = UDPTestSender(port: try #require(ports["udp_thrift_compact"]))
    let binary = UDPTestSender(port: try #require(ports["udp_thrift_binary"]))

    compact.send(try fixture("emitBatch.compact"))
    binary.send(try fixture("emitBatch.binary"))
    #expect(eventually { sink.spanCount == 8 })
    compact.send(try fixture("emitBatch.binary"))  // the wrong protocol for this port
    compact.send([0xDE, 0xAD])
    binary.send([])
    let invalid = { (transport: String) in
        metrics.counter("swiftlet_receiver_invalid_requests", help: "", labels: ["receiver": "jaeger", "transport": transport]).current
    }
    #expect(eventually { invalid("udp_thrift_compact") == 2 && invalid("udp_thrift_binary") == 1 })
    compact.send(try fixture("emitBatch.compact"))
    #expect(eventually { sink.spanCount == 12 })

    let rendered = metrics.render()
    #expect(rendered.contains(#"otelcol_receiver_accepted_spans{receiver="jaeger",transport="udp_thrift_compact"} 8"#), "\(rendered)")
    #expect(rendered.contains(#"swiftlet_receiver_received_datagrams{receiver="jaeger",transport="udp_thrift_compact"} 4"#))
    #expect(rendered.contains(#"swiftlet_receiver_dropped_datagrams{receiver="jaeger",transport="udp_thrift_binary",reason="queue_full"} 0"#))
}

@Test func jaegerReceiver_shutsDown_andFreesItsPorts() throws {
    let (receiver, ports) = try startedReceiver(SinkConsumer(), metrics: SelfMetrics())
    receiver.shutdown()
    receiver.shutdown()
    // The same UDP port can be bound again once the listener stopped.
    let again = UDPListener(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: try #require(ports["udp_thrift_compact"]))),
                            logger: CapturedLog().logger()) { _ in }
    try again.start()
    again.stop()
}

@Test func jaegerReceiver_startsAllOrNothing_whenAPortIsTaken() throws {
    let taken = UDPListener(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: 0)), logger: CapturedLog().logger()) { _ in }
    try taken.start()
    defer { taken.stop() }
    let config = JaegerReceiver.Config(
        thriftHTTP: HTTPServerSettings(endpoint: "127.0.0.1:0"),
        thriftCompact: JaegerReceiver.UDPConfig(endpoint: "127.0.0.1:\(taken.boundPort)"))
    let receiver = try JaegerReceiver(context("jaeger", .receiver), config, next: SinkConsumer())
    #expect(throws: SocketError.self) { try receiver.start() }
    // The HTTP port it had bound is free again.
    let httpPort = try #require(receiver.boundPorts["collector_http"])
    let again = HTTPServer(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: httpPort)),
                           logger: CapturedLog().logger(), handler: JaegerThriftHTTPHandler(
                               next: SinkConsumer(), logger: CapturedLog().logger(), cors: nil, invalidRequests: SelfMetrics.Counter()))
    try again.start()
    again.shutdown(deadlineSeconds: 0)
    receiver.shutdown()
}

/// The Thrift path translates straight into OTLP protobuf: whatever comes next, every
/// ResourceSpans leaves the receiver encoded with its model unbuilt, and the exporter's request is
/// byte for byte what it would have encoded from the model.
@Test func jaegerHTTP_handsOnTheTranslatedEncoding_withTheModelUnbuilt() throws {
    for downstream in [false, true] {
        let sink = SinkConsumer(forwardsOTLPEncoding: downstream)
        #expect(handler(sink).handle(post(try fixture("batch.thrift-binary"))).status == 202)
        let received = try #require(sink.batches.first)
        #expect(received.spanCount == 4)
        #expect(received.resourceSpans.allSatisfy { $0.encoded != nil && $0.isDeferred })
        #expect(OTLPProtoEncoder.encodingsMatchModels(received))
    }
}
