import Foundation
import Testing
import TraceModel
import WireFormats

/// Real Zipkin v2 payloads from the openzipkin project, read from `../shared/testdata` when that
/// directory is there (they are third-party data and are not copied into this repository). Each
/// span is checked against the translation rules with Foundation's JSON parser as the reference.
private let openZipkinDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("shared/testdata/zipkin-openzipkin")

private let openZipkinFiles: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: openZipkinDirectory.path)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted()
}()

@Test(.enabled(if: !openZipkinFiles.isEmpty, "../shared/testdata/zipkin-openzipkin is not present; skipping the openzipkin payloads"))
func zipkinOpenZipkinPayloads_translateAsTheRulesSay() throws {
    for name in openZipkinFiles {
        var body = try Data(contentsOf: openZipkinDirectory.appendingPathComponent(name))
        // Single-span files hold one object: POST them wrapped in a list.
        if body.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{") {
            body = Data("[".utf8) + body + Data("]".utf8)
        }
        let batch = try ZipkinDecoder.decode(.v2JSON, [UInt8](body))
        #expect(OTLPProtoEncoder.encodingsMatchModels(batch), "\(name)")
        let reference = try #require(try JSONSerialization.jsonObject(with: body) as? [[String: Any]], "\(name)")
        #expect(batch.spanCount == reference.count, "\(name)")
        var translated: [String: (Span, Resource)] = [:]
        for rs in batch.resourceSpans {
            for ss in rs.scopeSpans { for s in ss.spans { translated[key(s.traceID.hex, s.spanID.hex, s.name, s.kind, s.startTimeUnixNano)] = (s, rs.resource) } }
        }
        for (index, input) in reference.enumerated() {
            try check(input, against: translated, file: name, index: index)
        }
    }
}

private func key(_ traceID: String, _ spanID: String, _ name: String, _ kind: SpanKind, _ start: UInt64) -> String {
    "\(traceID) \(spanID) \(name) \(kind.rawValue) \(start)"
}

private func kind(_ name: Any?) -> SpanKind {
    switch name as? String {
    case "CLIENT": .client
    case "SERVER": .server
    case "PRODUCER": .producer
    case "CONSUMER": .consumer
    default: .unspecified
    }
}

private func check(_ input: [String: Any], against translated: [String: (Span, Resource)], file: String, index: Int) throws {
    let where_ = "\(file) span \(index)"
    let traceID = try #require(input["traceId"] as? String)
    let id = try #require(input["id"] as? String)
    let paddedTrace = String(repeating: "0", count: 32 - traceID.count) + traceID.lowercased()
    let name = input["name"] as? String ?? ""
    let tags = input["tags"] as? [String: String] ?? [:]
    var expectedKind = kind(input["kind"])
    if input["kind"] == nil, tags["span.kind"] == "internal" { expectedKind = .internal }
    let timestamp = (input["timestamp"] as? NSNumber)?.uint64Value ?? 0
    // Some payloads repeat a span id with another timestamp, so the start time is part of the key.
    let found = translated[key(paddedTrace, id.lowercased(), name, expectedKind, timestamp * 1000)]
    let (span, resource) = try #require(found, "\(where_) not found")

    let parent = (input["parentId"] as? String).flatMap { $0 == id ? nil : $0 } ?? ""
    #expect(span.parentSpanID.isZero ? parent.isEmpty || parent == "0000000000000000" : span.parentSpanID.hex == parent.lowercased(), "\(where_)")
    let duration = (input["duration"] as? NSNumber)?.uint64Value ?? 0
    #expect(span.startTimeUnixNano == timestamp * 1000 && span.endTimeUnixNano == (timestamp + duration) * 1000, "\(where_)")

    let service = (input["localEndpoint"] as? [String: Any])?["serviceName"] as? String ?? ""
    if service.isEmpty {
        #expect(resource.attributes.isEmpty, "\(where_)")
    } else {
        #expect(resource.attributes.first == KeyValue("service.name", .string(service)), "\(where_)")
    }
    let annotations = input["annotations"] as? [[String: Any]] ?? []
    #expect(span.events.map(\.name) == annotations.map { ($0["value"] as? String ?? "").split(separator: "|", omittingEmptySubsequences: false).first.map(String.init) ?? "" }, "\(where_)")
    #expect(span.events.map(\.timeUnixNano) == annotations.map { (($0["timestamp"] as? NSNumber)?.uint64Value ?? 0) * 1000 }, "\(where_)")

    let special: Set<String> = ["error", "otel.status_code", "otel.status_description", "w3c.tracestate", "span.kind", "otel.library.name",
                                "otel.library.version", "otel.scope.name", "otel.scope.version"]
    for (key, value) in tags where !special.contains(key) && !key.hasPrefix("otlp.") && !resourceLike(key) {
        #expect(span.attributes[key: key] == .string(value) || endpointAttribute(key), "\(where_): tag \(key)")
    }
    if tags["error"] != nil {
        #expect(span.status.code == .error, "\(where_)")
    } else if tags["otel.status_code"] == nil {
        #expect(span.status.code == .unset, "\(where_)")
    }
    if let remote = (input["remoteEndpoint"] as? [String: Any])?["serviceName"] as? String, !remote.isEmpty {
        #expect(span.attributes[key: "peer.service"] == .string(remote), "\(where_)")
    }
}

private func resourceLike(_ key: String) -> Bool {
    ["service.", "host.", "k8s.", "process.", "os.", "container.", "cloud.", "telemetry.", "deployment.", "faas.", "device.", "aws.", "webengine."]
        .contains { key.hasPrefix($0) }
}

private func endpointAttribute(_ key: String) -> Bool {
    ["net.host.ip", "net.host.port", "peer.service", "net.peer.ip", "net.peer.port"].contains(key)
}
