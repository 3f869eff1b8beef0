@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel

private func resourceProcessor(_ yaml: String, next: any TraceConsumer = SinkConsumer()) throws -> ResourceProcessor {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "processors::resource", file: "t")
    let config = try ResourceProcessor.Config.parse(reader)
    try reader.finish()
    return ResourceProcessor(config, next: next)
}

@Test func resource_actionsEditEveryResource() throws {
    // The README's example, with the Collector's rules for each action.
    let sink = SinkConsumer()
    let p = try resourceProcessor("""
        attributes:
          - key: cloud.availability_zone
            value: "zone-1"
            action: upsert
          - key: k8s.cluster.name
            from_attribute: k8s-cluster
            action: insert
          - key: redundant-attribute
            action: delete
        """, next: sink)
    let resources = [
        Resource(attributes: [KeyValue("k8s-cluster", .string("c1")), KeyValue("redundant-attribute", .int(1))]),
        Resource(attributes: [KeyValue("cloud.availability_zone", .string("zone-9")), KeyValue("k8s.cluster.name", .string("kept"))]),
    ]
    try p.consume(TraceBatch(resourceSpans: resources.map { ResourceSpans(resource: $0, scopeSpans: [ScopeSpans(spans: [Span(name: "s")])]) }))
    let out = sink.batches[0].resourceSpans.map(\.resource.attributes)
    // upsert and insert append; delete moves the last attribute into the deleted one's place (pdata's Map.Remove).
    #expect(out[0] == [KeyValue("k8s-cluster", .string("c1")), KeyValue("k8s.cluster.name", .string("c1")), KeyValue("cloud.availability_zone", .string("zone-1"))])
    #expect(out[1] == [KeyValue("cloud.availability_zone", .string("zone-1")), KeyValue("k8s.cluster.name", .string("kept"))])
    #expect(sink.batches[0].resourceSpans[0].encoded == nil)
}

@Test func resource_requiresAttributes() {
    for yaml in ["{}", "attributes: []", "actions: [{key: a, action: delete}]"] {
        #expect(throws: ConfigError.self, "\(yaml)") { try resourceProcessor(yaml) }
    }
}
