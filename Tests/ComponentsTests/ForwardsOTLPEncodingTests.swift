@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel

private func component(_ kind: ComponentKind, _ type: String, _ yaml: String, next: any TraceConsumer = SinkConsumer()) throws -> any Component {
    let factory = try #require(ComponentRegistry.builtin.factories.first { $0.kind == kind && $0.type == type })
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: type, file: "t")
    let config = try factory.parseConfig(reader)
    try reader.finish()
    return try factory.make(context(type, kind), config, next)
}

private func forwards(_ c: any Component) -> Bool {
    (c as? any TraceConsumer)?.forwardsOTLPEncoding == true
}

/// Receivers encode translated spans themselves only when an OTLP protobuf exporter takes them
/// unchanged: the exporters say so, the processors that hand on what they get answer for their
/// next consumer, and a fan-out for any of its branches.
@Test func forwardsOTLPEncoding_onlyWhereAnOTLPProtobufExporterComesNext() throws {
    let grpc = "endpoint: 127.0.0.1:1\ntls:\n  insecure: true\n"
    #expect(forwards(try component(.exporter, "otlp", grpc)))
    #expect(forwards(try component(.exporter, "otlp_grpc", grpc)))
    #expect(forwards(try component(.exporter, "otlphttp", "endpoint: http://127.0.0.1:1\n")))
    #expect(!forwards(try component(.exporter, "otlphttp", "endpoint: http://127.0.0.1:1\nencoding: json\n")))
    #expect(!forwards(try component(.exporter, "debug", "")))
    #expect(!forwards(try component(.exporter, "nop", "")))

    for downstream in [false, true] {
        let sink = SinkConsumer(forwardsOTLPEncoding: downstream)
        #expect(forwards(try component(.processor, "batch", "", next: sink)) == downstream)
        #expect(forwards(try component(.processor, "memory_limiter", "check_interval: 1s\nlimit_mib: 100\n", next: sink)) == downstream)
        #expect(FanoutConsumer([SinkConsumer(), sink]).forwardsOTLPEncoding == downstream)
        #expect(ReceiverTransportMetrics(context("zipkin", .receiver)).counting(sink, transport: "http").forwardsOTLPEncoding == downstream)
    }

    let switchable = SwitchableConsumer(SinkConsumer(), gate: InFlightGate())
    #expect(!switchable.forwardsOTLPEncoding)
    switchable.switchTo(SinkConsumer(forwardsOTLPEncoding: true), gate: InFlightGate())
    #expect(switchable.forwardsOTLPEncoding)
}
