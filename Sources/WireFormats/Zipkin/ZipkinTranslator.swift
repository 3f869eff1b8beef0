import TraceModel

/// Zipkin v2 spans to the span model as the OpenTelemetry Collector's zipkinv2 translator does
/// (wire-formats.md §8.1), with the default (v0) attribute names for endpoints: `net.host.ip`,
/// `net.host.port`, `peer.service`, `net.peer.ip`, `net.peer.port`.
struct ZipkinTranslator {
    let parseStringTags: Bool

    /// Upstream's sort key for spans without a local service name; such spans get an empty resource.
    static let noServiceName = "OTLPResourceNoServiceName"

    /// Groups spans into one ResourceSpans per local service name and one ScopeSpans per scope
    /// name within it, after sorting by both (a stable sort: upstream's is unstable, so any order
    /// of equal keys is one it could produce). Consumes the spans' tags and annotations.
    func translate(_ spans: inout [ZipkinSpan]) throws(ZipkinDecodeError) -> TraceBatch {
        guard !spans.isEmpty else { return TraceBatch() }
        let keys = spans.map { GroupKey(service: Self.serviceKey($0), scope: ZipkinTags.scopeName(in: $0.tags)) }
        let order = Self.groupedOrder(keys)

        var batch = TraceBatch()
        var resource = ResourceSpans()
        var scope = ScopeSpans()
        var current: GroupKey?
        for index in order {
            let key = keys[index]
            if key.service != current?.service {
                if current != nil { Self.close(&scope, into: &resource, batch: &batch, resourceDone: true) }
                resource = ResourceSpans(resource: Self.resource(service: key.service, tags: spans[index].tags))
                // Room for every span in the first scope: most requests hold one service and one scope.
                scope = Self.newScope(key.scope, tags: spans[index].tags, capacity: current == nil ? spans.count : 0)
            } else if key.scope != current?.scope {
                Self.close(&scope, into: &resource, batch: &batch, resourceDone: false)
                scope = Self.newScope(key.scope, tags: spans[index].tags, capacity: 0)
            }
            current = key
            do throws(ZipkinDecodeError) {
                scope.spans.append(try span(from: &spans[index]))
            } catch {
                throw error.inSpan(index)
            }
        }
        Self.close(&scope, into: &resource, batch: &batch, resourceDone: true)
        return batch
    }

    private struct GroupKey: Comparable, Hashable {
        let service: String
        let scope: String

        static func < (a: GroupKey, b: GroupKey) -> Bool {
            a.service != b.service ? a.service < b.service : a.scope < b.scope
        }
    }

    /// Span indices by group key, groups in key order, spans in input order within a group: a
    /// stable sort that hashes each key once instead of comparing strings O(n log n) times.
    private static func groupedOrder(_ keys: [GroupKey]) -> [Int] {
        if keys.allSatisfy({ $0 == keys[0] }) { return Array(keys.indices) }
        var groupOfKey: [GroupKey: Int] = [:]
        var members: [[Int]] = []
        for (index, key) in keys.enumerated() {
            if let group = groupOfKey[key] {
                members[group].append(index)
            } else {
                groupOfKey[key] = members.count
                members.append([index])
            }
        }
        return groupOfKey.sorted { $0.key < $1.key }.flatMap { members[$0.value] }
    }

    private static func serviceKey(_ span: ZipkinSpan) -> String {
        guard let name = span.localEndpoint?.serviceName, !name.isEmpty else { return noServiceName }
        return name
    }

    private static func close(_ scope: inout ScopeSpans, into resource: inout ResourceSpans, batch: inout TraceBatch, resourceDone: Bool) {
        resource.scopeSpans.append(scope)
        scope = ScopeSpans()
        if resourceDone {
            batch.resourceSpans.append(resource)
            resource = ResourceSpans()
        }
    }

    /// `service.name` (or the key named by tag `otlp.service.name.source`) plus the resource-like
    /// tags of the group's first span; empty when the service name is missing.
    private static func resource(service: String, tags: [KeyValue]) -> Resource {
        guard service != noServiceName else { return Resource() }
        var attributes: [KeyValue] = []
        let nameKey = tags.first { $0.key == ZipkinTags.serviceNameSource }?.value.stringValue ?? ""
        attributes.append(KeyValue(nameKey.isEmpty ? "service.name" : nameKey, .string(service)))
        for tag in tags where tag.key != ZipkinTags.serviceNameSource {
            if case .resource = ZipkinTags.role(of: tag.key) { attributes.put(tag.key, tag.value) }
        }
        return Resource(attributes: attributes)
    }

    private static func newScope(_ name: String, tags: [KeyValue], capacity: Int) -> ScopeSpans {
        var scope = ScopeSpans()
        scope.spans.reserveCapacity(capacity)
        if !name.isEmpty {
            scope.scope = InstrumentationScope(name: name, version: ZipkinTags.scopeVersion(in: tags))
        }
        return scope
    }

    private func span(from zipkin: inout ZipkinSpan) throws(ZipkinDecodeError) -> Span {
        var span = Span(traceID: zipkin.traceID, spanID: zipkin.id, name: zipkin.name)
        if zipkin.parentID != zipkin.id { span.parentSpanID = zipkin.parentID }
        var tags: [KeyValue] = []
        swap(&tags, &zipkin.tags)
        let mayShadowEndpoints = try applyTags(tags, kind: zipkin.kind, to: &span)
        addEndpointAttributes(zipkin, to: &span, putting: mayShadowEndpoints)
        try setTimes(zipkin, on: &span)
        var annotations: [ZipkinAnnotation] = []
        swap(&annotations, &zipkin.annotations)
        span.events = try inZipkinField("annotations") { () throws(ZipkinDecodeError) in try Self.events(annotations) }
        return span
    }

    private func setTimes(_ zipkin: ZipkinSpan, on span: inout Span) throws(ZipkinDecodeError) {
        let (start, startOverflow) = zipkin.timestamp.multipliedReportingOverflow(by: 1000)
        let (length, lengthOverflow) = zipkin.duration.multipliedReportingOverflow(by: 1000)
        let (end, endOverflow) = start.addingReportingOverflow(length)
        guard !startOverflow else { throw ZipkinDecodeError("is too large for nanoseconds since 1970", field: "timestamp") }
        guard !lengthOverflow, !endOverflow else { throw ZipkinDecodeError("ends too late for nanoseconds since 1970", field: "duration") }
        span.startTimeUnixNano = start
        span.endTimeUnixNano = end
        if zipkin.marksAbsentTimestamp {
            span.attributes.put(ZipkinTags.startTimeAbsent, .bool(true))
        }
    }

    /// Endpoint attributes replace tags of the same name (upstream's `Map.Put*`); `putting` is
    /// false when no tag could have such a name, which saves the search.
    private func addEndpointAttributes(_ zipkin: ZipkinSpan, to span: inout Span, putting: Bool) {
        func set(_ key: String, _ value: AnyValue) {
            if putting { span.attributes.put(key, value) } else { span.attributes.append(KeyValue(key, value)) }
        }
        if let local = zipkin.localEndpoint {
            if let ip = local.ipv6 ?? local.ipv4 { set("net.host.ip", .string(ip)) }
            if local.port > 0 { set("net.host.port", .int(Int64(local.port))) }
        }
        if let remote = zipkin.remoteEndpoint {
            if !remote.serviceName.isEmpty { set("peer.service", .string(remote.serviceName)) }
            if let ip = remote.ipv6 ?? remote.ipv4 { set("net.peer.ip", .string(ip)) }
            if remote.port > 0 { set("net.peer.port", .int(Int64(remote.port))) }
        }
    }
}
