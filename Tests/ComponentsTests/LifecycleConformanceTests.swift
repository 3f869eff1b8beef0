import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing

/// A valid config for each registered type, on port 0 where it listens. A new component without
/// an entry here fails `everyRegisteredType_hasAConformanceFixture`.
let conformanceFixtures: [String: String] = [
    "otlp": "protocols:\n  http:\n    endpoint: 127.0.0.1:0\n",
    "batch": "timeout: 10ms\n",
    "memory_limiter": "check_interval: 1s\nlimit_mib: 100000\n",
    "debug": "verbosity: basic\n",
    "logging": "loglevel: warn\n",
    "health_check": "endpoint: 127.0.0.1:0\n",
]

@Test func everyRegisteredType_hasAConformanceFixture() {
    for factory in ComponentRegistry.builtin.factories {
        #expect(conformanceFixtures[factory.type] != nil, "no fixture for \(factory.type)")
    }
}

@Test(arguments: ComponentRegistry.builtin.factories.map(\.type))
func component_startsConsumesAndShutsDown(type: String) throws {
    let (factory, config) = try made(type)
    let sink = SinkConsumer()
    let component = try factory.make(context(type, factory.kind), config, sink)
    try component.start()
    if let consumer = component as? any TraceConsumer {
        try consumer.consume(sampleBatch(spans: 3))
    }
    component.shutdown()
    if factory.kind == .processor { #expect(sink.spanCount == 3) }
}

@Test(arguments: ComponentRegistry.builtin.factories.map(\.type))
func component_shutsDownWithoutStart(type: String) throws {
    let (factory, config) = try made(type)
    let component = try factory.make(context(type, factory.kind), config, SinkConsumer())
    component.shutdown()
}

private func made(_ type: String) throws -> (ComponentFactory, any Sendable) {
    let factory = try #require(ComponentRegistry.builtin.factories.first { $0.type == type })
    let reader = try ConfigReader(try YAMLParser.parse(conformanceFixtures[type] ?? "", file: "fixture"), path: type, file: "fixture")
    let config = try factory.parseConfig(reader)
    try reader.finish()
    return (factory, config)
}
