@testable import Components
import Config
import Pipeline
import Synchronization
import Testing
import TraceModel
import WireFormats

// Vectors from the Collector's loadbalancing exporter tests (consistent_hashing_test.go), so a
// fleet mixing Collectors and Swiftlets routes alike.

@Test func hashRing_placesEndpointsWhereTheCollectorDoes() {
    #expect(HashRing(endpoints: ["endpoint-1"], weight: 5).items.map(\.position) == [1401, 4175, 14133, 17836, 21667])
    #expect(HashRing(endpoints: ["endpoint-1", "endpoint-1"], weight: 5).items.map(\.position) == [1401, 4175, 14133, 17836, 21667])
    let two = HashRing(endpoints: ["endpoint-1", "endpoint-2"], weight: 5).items
    #expect(two.map(\.position) == [1401, 4175, 10240, 14133, 15002, 17836, 21263, 21667, 26806, 27020])
    #expect(two.map(\.endpoint) == ["endpoint-1", "endpoint-1", "endpoint-2", "endpoint-1", "endpoint-2", "endpoint-1", "endpoint-2",
                                    "endpoint-1", "endpoint-2", "endpoint-2"])
    #expect(HashRing(endpoints: ["endpoint-1", "endpoint-2"]).items.count == 200)
}

@Test func hashRing_routesKeysAsTheCollectorDoes() {
    let ring = HashRing(endpoints: ["endpoint-1", "endpoint-2"])
    #expect(ring.endpoint(for: [1, 2, 0, 0]) == "endpoint-1")
    #expect(ring.endpoint(for: [128, 128, 0, 0]) == "endpoint-2")
    #expect(ring.endpoint(for: Array("ad-service-7".utf8)) == "endpoint-1")
    #expect(ring.endpoint(for: Array("get-recommendations-1".utf8)) == "endpoint-2")
}

@Test func hashRing_findsTheNextPosition_wrappingPastTheLast() {
    let ring = HashRing(items: [14, 25, 33, 47, 56, 121, 134, 158, 240, 270, 350].map { HashRing.Item(position: $0, endpoint: "\($0)") })
    for (asked, found) in [(85, "121"), (14, "14"), (351, "14"), (270, "270"), (271, "350"), (0, "14")] {
        #expect(ring.endpoint(at: UInt32(asked)) == found)
    }
    #expect(HashRing(endpoints: []).endpoint(for: [1]) == nil)
}

@Test func hashRing_movesAboutOneNthOfTheKeys_whenABackendIsAdded() {
    let three = HashRing(endpoints: ["10.0.0.1:4317", "10.0.0.2:4317", "10.0.0.3:4317"])
    let four = HashRing(endpoints: ["10.0.0.1:4317", "10.0.0.2:4317", "10.0.0.3:4317", "10.0.0.4:4317"])
    var moved = 0, counts: [String: Int] = [:]
    for n in 0..<20_000 {
        let key = LoadBalancingExporter.withKey(of: TraceID(high: UInt64(n) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(n))) { Array($0) }
        let before = three.endpoint(for: key)!, after = four.endpoint(for: key)!
        counts[before, default: 0] += 1
        if before != after {
            moved += 1
            #expect(after == "10.0.0.4:4317")
        }
    }
    #expect((3000...7000).contains(moved), "moved \(moved) of 20000")
    #expect(counts.values.allSatisfy { (4000...9500).contains($0) }, "\(counts)")
}

@Test func routingKeys_areUpstreamsAttributeKeys() {
    let resource = Resource(attributes: [KeyValue("service.name", .string("cart")), KeyValue("host.name", .string("h1")), KeyValue("n", .int(3))])
    #expect(RoutingKeys.key(of: resource, routingKey: .service) == "service.name=cart|")
    #expect(RoutingKeys.key(of: Resource(), routingKey: .service) == "service.name=|")
    #expect(RoutingKeys.key(of: resource, routingKey: .resource) == "host.name=h1|n=3|service.name=cart|")
}

private func lbProblems(_ body: String) -> String {
    problems("""
    receivers:
      otlp:
        protocols:
          grpc:
    exporters:
      loadbalancing:
    \(body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    service:
      pipelines:
        traces:
          receivers: [otlp]
          exporters: [loadbalancing]
    """)
}

@Test func loadbalancingConfig_takesTheCollectorsKeys() throws {
    #expect(lbProblems("protocol:\n  otlp:\n    timeout: 1s\n    tls:\n      insecure: true\nresolver:\n  static:\n    hostnames: [b:4317, a:4317]") == "")
    #expect(lbProblems("routing_key: service\nresolver:\n  dns:\n    hostname: gw.svc\n    port: \"4317\"\n    interval: 2s") == "")
    #expect(lbProblems("routing_key: traceID\nresolver:\n  k8s:\n    service: gw.obs\n    ports: [4317, 55690]\n    return_hostnames: true") == "")
    let yaml = "resolver:\n  static:\n    hostnames: [b:4317, a:4317]\nprotocol:\n  otlp:\n    compression: none\n    sending_queue:\n      queue_size: 7\n"
    let config = try LoadBalancingExporter.Config.parse(ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "", file: "t"))
    #expect(config.resolver == .fixed(hostnames: ["a:4317", "b:4317"]))
    #expect(config.otlp.settings.compression == nil && config.otlp.settings.queue.queueSize == 7 && config.otlp.settings.tls != nil)
}

@Test func loadbalancingConfig_refusesWhatItDoesNotDo_namingTheKey() {
    #expect(lbProblems("resolver: {}").contains("no resolvers specified"))
    #expect(lbProblems("resolver:\n  static:\n    hostnames: [a]\n  dns:\n    hostname: x").contains("only one resolver"))
    #expect(lbProblems("resolver:\n  static:\n    hostnames: []").contains("no endpoints specified"))
    #expect(lbProblems("resolver:\n  dns:\n    port: \"1\"").contains("no hostname specified"))
    #expect(lbProblems("resolver:\n  k8s:\n    ports: [1]").contains("no service specified"))
    #expect(lbProblems("routing_key: metric\nresolver:\n  static:\n    hostnames: [a]").contains("unsupported routing_key"))
    #expect(lbProblems("resolver:\n  aws_cloud_map:\n    namespace: x").contains("aws_cloud_map"))
    #expect(lbProblems("sending_queue:\n  enabled: true\nresolver:\n  static:\n    hostnames: [a]").contains("sending_queue"))
    #expect(lbProblems("resolver:\n  static:\n    hostnames: [a]\n    weights: [1]").contains("weights"))
    #expect(lbProblems("resolver:\n  static:\n    hostnames: [a]\nprotocol:\n  otlp:\n    sending_queue:\n      storage: file_storage").contains("storage"))
}

@Test func k8sResolver_takesReadyEndpointsOfEverySlice_perPort_andFollowsChanges() throws {
    let metrics = SelfMetrics()
    let seen = Mutex<[[String]]>([])
    let publisher = BackendListPublisher(metrics: ResolverMetrics(metrics, resolver: "k8s"))
    publisher.connect { list in seen.withLock { $0.append(list) } }
    func slice(_ name: String, _ endpoints: String) throws -> JSONValue {
        try JSONValue.parse(Array(#"{"metadata": {"name": "\#(name)"}, "endpoints": [\#(endpoints)]}"#.utf8))
    }
    let a = try slice("gw-a", #"{"addresses": ["10.0.0.1"], "hostname": "gw-0", "conditions": {"ready": true}},"#
        + #"{"addresses": ["10.0.0.2"], "hostname": "gw-1", "conditions": {"ready": false}},"#
        + #"{"addresses": ["fd00::3"], "hostname": "gw-2", "conditions": {}}"#)
    let b = try slice("gw-b", #"{"addresses": ["10.0.0.4"], "hostname": "gw-3"}"#)
    let byAddress = KubernetesBackendResolver(name: "gw", namespace: "obs", ports: [4317, 55690], timeout: .seconds(1), returnHostnames: false,
                                              publisher: publisher, logger: CapturedLog().logger())
    byAddress.apply(.replaced([a, b]))
    #expect(seen.withLock { $0.last } == ["10.0.0.1:4317", "10.0.0.1:55690", "10.0.0.4:4317", "10.0.0.4:55690",
                                         "[fd00::3]:4317", "[fd00::3]:55690"])
    byAddress.apply(.deleted(b))
    byAddress.apply(.deleted(b))  // no change: not published again
    #expect(seen.withLock { $0.count } == 2 && seen.withLock { $0.last }?.count == 4)
    let byName = KubernetesBackendResolver(name: "gw", namespace: "obs", ports: [4317], timeout: .seconds(1), returnHostnames: true,
                                           publisher: BackendListPublisher(metrics: ResolverMetrics(metrics, resolver: "k8s")),
                                           logger: CapturedLog().logger())
    #expect(byName.backends(of: a) == ["gw-0.gw.obs:4317", "gw-2.gw.obs:4317"])
}
