import TraceModel

/// The tags the Zipkin translation treats specially (wire-formats.md §8.1).
enum ZipkinTags {
    static let serviceNameSource: StaticString = "otlp.service.name.source"
    static let startTimeAbsent: StaticString = "otel.zipkin.absentField.startTime"

    enum Role: Equatable {
        case plain
        /// Copied to the resource from a group's first span; never a span attribute.
        case resource
        /// The instrumentation scope (`otel.scope.*`, or the older `otel.library.*`); never a span attribute.
        case scopeName, scopeVersion
        case traceState, spanKind, statusCode, statusDescription, error
        /// `otlp.link.<index>`, index 0…127.
        case link(Int)
    }

    static func role(of key: UnsafeRawBufferPointer) -> Role {
        guard let first = key.first else { return .plain }
        if first == UInt8(ascii: "o"), key.count > 10, UnsafeRawBufferPointer(rebasing: key[..<10]).hasSameBytes(as: "otlp.link.") {
            return linkIndex(UnsafeRawBufferPointer(rebasing: key[10...])).map(Role.link) ?? .plain
        }
        // Most tags (Envoy's, say) are ruled out by first byte and length without hashing.
        guard lengthsByFirstByte[Int(first)] & lengthBit(key.count) != 0 else { return .plain }
        return specialKeys[String(decoding: key, as: UTF8.self)] ?? .plain
    }

    /// Whether a tag has the name of an attribute the endpoints set (which then replaces it).
    static func namesEndpointAttribute(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let first = key.first, first == UInt8(ascii: "n") || first == UInt8(ascii: "p") || first == UInt8(ascii: "o") else {
            return false
        }
        return endpointAttributeNames.contains { key.hasSameBytes(as: $0) }
    }

    static let endpointAttributeNames: [StaticString] = [
        "net.host.ip", "net.host.port", "peer.service", "net.peer.ip", "net.peer.port", startTimeAbsent,
    ]

    /// The scope a span belongs to: tag `otel.scope.name`, else `otel.library.name`, else "".
    static func scopeName(in tags: [ZipkinTag]) -> String {
        value(in: tags, "otel.scope.name", or: "otel.library.name")
    }

    static func scopeVersion(in tags: [ZipkinTag]) -> String {
        value(in: tags, "otel.scope.version", or: "otel.library.version")
    }

    private static func value(in tags: [ZipkinTag], _ key: StaticString, or fallback: StaticString) -> String {
        var fallbackValue: String?
        for tag in tags where tag.key.first == UInt8(ascii: "o") {
            if tag.key.hasSameBytes(as: key) { return tag.valueText }
            if tag.key.hasSameBytes(as: fallback) { fallbackValue = tag.valueText }
        }
        return fallbackValue ?? ""
    }

    /// Upstream formats the keys with `%d`: plain decimal without leading zeros.
    private static func linkIndex(_ digits: UnsafeRawBufferPointer) -> Int? {
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits.count == 1 || digits.first != UInt8(ascii: "0")
        else { return nil }
        let index = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return index < 128 ? index : nil
    }

    private static let specialKeys: [String: Role] = {
        var keys: [String: Role] = [
            "otel.scope.name": .scopeName, "otel.library.name": .scopeName,
            "otel.scope.version": .scopeVersion, "otel.library.version": .scopeVersion,
            "w3c.tracestate": .traceState, "span.kind": .spanKind,
            "otel.status_code": .statusCode, "otel.status_description": .statusDescription, "error": .error,
        ]
        for key in resourceKeys { keys[key] = .resource }
        return keys
    }()

    /// Per first byte, the lengths (as bits, see `lengthBit`) of the special keys starting with it:
    /// a cheap test before the lookup.
    private static let lengthsByFirstByte: [UInt64] = {
        var table = [UInt64](repeating: 0, count: 256)
        for key in specialKeys.keys { table[Int(key.utf8.first ?? 0)] |= lengthBit(key.utf8.count) }
        return table
    }()

    private static func lengthBit(_ length: Int) -> UInt64 { 1 << UInt64(min(length, 63)) }

    /// The resource attribute names of semantic conventions v1.6.1 (which upstream's translator
    /// uses) and the OpenCensus resource keys it also lifts.
    private static let resourceKeys = [
        "cloud.provider", "cloud.account.id", "cloud.region", "cloud.availability_zone", "cloud.platform",
        "aws.ecs.container.arn", "aws.ecs.cluster.arn", "aws.ecs.launchtype", "aws.ecs.task.arn", "aws.ecs.task.family",
        "aws.ecs.task.revision", "aws.eks.cluster.arn", "aws.log.group.names", "aws.log.group.arns", "aws.log.stream.names",
        "aws.log.stream.arns", "container.name", "container.id", "container.runtime", "container.image.name",
        "container.image.tag", "deployment.environment", "device.id", "device.model.identifier", "device.model.name",
        "faas.name", "faas.id", "faas.version", "faas.instance", "faas.max_memory", "host.id", "host.name", "host.type",
        "host.arch", "host.image.name", "host.image.id", "host.image.version", "k8s.cluster.name", "k8s.node.name",
        "k8s.node.uid", "k8s.namespace.name", "k8s.pod.uid", "k8s.pod.name", "k8s.container.name", "k8s.replicaset.uid",
        "k8s.replicaset.name", "k8s.deployment.uid", "k8s.deployment.name", "k8s.statefulset.uid", "k8s.statefulset.name",
        "k8s.daemonset.uid", "k8s.daemonset.name", "k8s.job.uid", "k8s.job.name", "k8s.cronjob.uid", "k8s.cronjob.name",
        "os.type", "os.description", "os.name", "os.version", "process.pid", "process.executable.name",
        "process.executable.path", "process.command", "process.command_line", "process.command_args", "process.owner",
        "process.runtime.name", "process.runtime.version", "process.runtime.description", "service.name",
        "service.namespace", "service.instance.id", "service.version", "telemetry.sdk.name", "telemetry.sdk.language",
        "telemetry.sdk.version", "telemetry.auto.version", "webengine.name", "webengine.version", "webengine.description",
        "opencensus.starttime", "opencensus.exporterversion", "opencensus.resourcetype", serviceNameSource.description,
    ]

    /// A string tag as an attribute: typed by `typedValue` under `parse_string_tags`, else a string.
    static func attribute(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, parsingStringTags: Bool) -> AttributeRef {
        guard parsingStringTags else { return .string(key, value) }
        switch typedValue(String(decoding: value, as: UTF8.self)) {
        case .bool(let b): return .bool(key, b)
        case .int(let i): return .int(key, i)
        case .double(let d): return .double(key, d)
        default: return .string(key, value)
        }
    }

    /// `parse_string_tags`: `^-?\d+$` → int (clamped to the int64 range, as Go's ParseInt
    /// leaves it), `^-?\d+\.\d+$` → double, `true`/`false` → bool, anything else stays a string.
    static func typedValue(_ text: String) -> AnyValue {
        let utf8 = text.utf8
        guard let first = utf8.first else { return .string(text) }
        if first == UInt8(ascii: "t") || first == UInt8(ascii: "f") {
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            return .string(text)
        }
        let body = first == UInt8(ascii: "-") ? utf8.dropFirst() : utf8[...]
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        guard let dot = body.firstIndex(where: { !isDigit($0) }) else {
            guard !body.isEmpty else { return .string(text) }
            if let value = Int64(text) { return .int(value) }
            return .int(first == UInt8(ascii: "-") ? .min : .max)
        }
        let integral = body[..<dot]
        let fraction = body[body.index(after: dot)...]
        guard body[dot] == UInt8(ascii: "."), !integral.isEmpty, !fraction.isEmpty, fraction.allSatisfy(isDigit),
              let value = Double(text)
        else { return .string(text) }
        return .double(value)
    }
}
