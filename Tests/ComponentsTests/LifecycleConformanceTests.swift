import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing

/// A valid config for each registered type, on port 0 where it listens; keyed `kind:type` where a
/// type names components of two kinds (the `otlp` receiver and exporter). A new component without
/// an entry here fails `everyRegisteredType_hasAConformanceFixture`.
let conformanceFixtures: [String: String] = [
    "otlp": "protocols:\n  http:\n    endpoint: 127.0.0.1:0\n",
    "jaeger": "protocols:\n  thrift_http:\n    endpoint: 127.0.0.1:0\n  thrift_compact:\n    endpoint: 127.0.0.1:0\n  thrift_binary:\n    endpoint: 127.0.0.1:0\n",
    "zipkin": "endpoint: 127.0.0.1:0\n",
    "batch": "timeout: 10ms\n",
    "memory_limiter": "check_interval: 1s\nlimit_mib: 100000\n",
    "attributes": "actions:\n  - {key: a, action: upsert, value: 1}\n",
    "resource": "attributes:\n  - {key: a, action: upsert, value: 1}\n",
    "filter": "traces:\n  span: ['name == \"x\"']\n",
    "transform": "trace_statements:\n  - set(span.attributes[\"a\"], 1)\n",
    // Passthrough needs no Kubernetes API; the informers are tested against a fake API server.
    "k8sattributes": "passthrough: true\n",
    "k8s_attributes": "passthrough: true\n",
    "probabilistic_sampler": "sampling_percentage: 100\n",
    "tail_sampling": "decision_wait: 1s\npolicies:\n  - {name: all, type: always_sample}\n",
    "debug": "verbosity: basic\n",
    "logging": "loglevel: warn\n",
    "health_check": "endpoint: 127.0.0.1:0\n",
    "file_storage": "directory: /tmp/swiftlet-conformance-file-storage\ncreate_directory: true\n",
    // Nothing listens on port 1: sends fail at once and, without retries, are dropped.
    "exporter:otlp": exporterFixture("127.0.0.1:1\ntls:\n  insecure: true"),
    "otlp_grpc": exporterFixture("127.0.0.1:1\ntls:\n  insecure: true"),
    "otlphttp": exporterFixture("http://127.0.0.1:1"),
    "otlp_http": exporterFixture("http://127.0.0.1:1"),
    "nop": "",
    "loadbalancing": "protocol:\n  otlp:\n    timeout: 200ms\n    tls:\n      insecure: true\n    retry_on_failure:\n      enabled: false\nresolver:\n  static:\n    hostnames: [127.0.0.1:1, 127.0.0.1:2]\n",
    "load_balancing": "resolver:\n  static:\n    hostnames: [127.0.0.1:1]\nprotocol:\n  otlp:\n    tls:\n      insecure: true\n    retry_on_failure:\n      enabled: false\n",
    "tracestore": "max_bytes: 1048576\nmax_traces: 100\nretention: 1h\n",
    "trace_query": "endpoint: 127.0.0.1:0\n",
    "basicauth": "htpasswd:\n  inline: \"user:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\"\n",
    "bearertokenauth": "token: conformance\n",
]

private func exporterFixture(_ endpoint: String) -> String {
    "endpoint: \(endpoint)\ntimeout: 200ms\nretry_on_failure:\n  enabled: false\n"
}

/// Each registered factory as `kind:type`.
let registeredComponents = ComponentRegistry.builtin.factories.map { "\($0.kind.rawValue):\($0.type)" }

private func fixture(_ factory: ComponentFactory) -> String? {
    conformanceFixtures["\(factory.kind.rawValue):\(factory.type)"] ?? conformanceFixtures[factory.type]
}

@Test func everyRegisteredType_hasAConformanceFixture() {
    for factory in ComponentRegistry.builtin.factories {
        #expect(fixture(factory) != nil, "no fixture for \(factory.type)")
    }
}

@Test(arguments: registeredComponents)
func component_startsConsumesAndShutsDown(type: String) throws {
    let (factory, config) = try made(type)
    let sink = SinkConsumer()
    let component = try factory.make(context(factory.type, factory.kind), config, sink)
    try component.start()
    if let consumer = component as? any TraceConsumer {
        try consumer.consume(sampleBatch(spans: 3))
    }
    component.shutdown()
    if factory.kind == .processor { #expect(sink.spanCount == 3) }
}

@Test(arguments: registeredComponents)
func component_shutsDownWithoutStart(type: String) throws {
    let (factory, config) = try made(type)
    let component = try factory.make(context(factory.type, factory.kind), config, SinkConsumer())
    component.shutdown()
}

private func made(_ kindAndType: String) throws -> (ComponentFactory, any Sendable) {
    let factory = try #require(ComponentRegistry.builtin.factories.first { "\($0.kind.rawValue):\($0.type)" == kindAndType })
    let type = factory.type
    let reader = try ConfigReader(try YAMLParser.parse(fixture(factory) ?? "", file: "fixture"), path: type, file: "fixture")
    let config = try factory.parseConfig(reader)
    try reader.finish()
    return (factory, config)
}
