import TraceModel

/// Zipkin v2 spans translated as the OpenTelemetry Collector's zipkinv2 translator does
/// (wire-formats.md §8.1), with the default (v0) attribute names for endpoints: `net.host.ip`,
/// `net.host.port`, `peer.service`, `net.peer.ip`, `net.peer.port`. The result is written
/// straight as OTLP protobuf (`ZipkinTranslatedSpans`).
struct ZipkinTranslator {
    let parseStringTags: Bool
    /// Holds the text of the attributes the translation makes (endpoint addresses, names).
    let arena: TextArena

    /// Upstream's sort key for spans without a local service name; such spans get an empty resource.
    static let noServiceName = "OTLPResourceNoServiceName"

    /// Groups spans into one ResourceSpans per local service name and one ScopeSpans per scope
    /// name within it, after sorting by both (a stable sort: upstream's is unstable, so any order
    /// of equal keys is one it could produce). Consumes the spans' tags and annotations.
    func translate(_ spans: inout [ZipkinSpan]) throws(ZipkinDecodeError) -> TraceBatch {
        guard !spans.isEmpty else { return TraceBatch() }
        let keys = spans.map { GroupKey(service: Self.serviceKey($0), scope: ZipkinTags.scopeName(in: $0.tags)) }
        let order = Self.groupedOrder(keys)

        var table = ZipkinTranslatedSpans(spanCount: spans.count)
        var groups: [ZipkinTranslatedSpans.Group] = []
        var current: GroupKey?
        var scratch = SpanScratch()
        for index in order {
            let key = keys[index]
            if key.service != current?.service {
                groups.append(ZipkinTranslatedSpans.Group(resource: Self.resource(service: key.service, tags: spans[index].tags), scopes: []))
            }
            if key != current {
                // The scope's spans run to where the next scope's begin (set below).
                groups[groups.count - 1].scopes.append((Self.scope(key.scope, tags: spans[index].tags), table.spans.count..<table.spans.count))
            }
            current = key
            do throws(ZipkinDecodeError) {
                let span = try translate(&spans[index], &scratch)
                table.append(span, attributes: scratch.attributes, events: scratch.events, links: scratch.links)
            } catch {
                throw error.inSpan(index)
            }
        }
        var end = table.spans.count
        for g in groups.indices.reversed() {
            for s in groups[g].scopes.indices.reversed() {
                let start = groups[g].scopes[s].spans.lowerBound
                groups[g].scopes[s].spans = start..<end
                end = start
            }
        }
        return TraceBatch(resourceSpans: groups.map(table.resourceSpans))
    }

    /// The lists of the span being translated, reused from span to span.
    struct SpanScratch {
        var attributes: [AttributeRef] = []
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
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

    private static func serviceKey(_ span: borrowing ZipkinSpan) -> String {
        guard let name = span.localEndpoint?.serviceName, !name.isEmpty else { return noServiceName }
        return name
    }

    /// `service.name` (or the key named by tag `otlp.service.name.source`) plus the resource-like
    /// tags of the group's first span; empty when the service name is missing.
    private static func resource(service: String, tags: [ZipkinTag]) -> Resource {
        guard service != noServiceName else { return Resource() }
        var attributes: [KeyValue] = []
        let nameKey = tags.first { $0.key.hasSameBytes(as: ZipkinTags.serviceNameSource) }?.valueText ?? ""
        attributes.append(KeyValue(nameKey.isEmpty ? "service.name" : nameKey, .string(service)))
        for tag in tags where !tag.key.hasSameBytes(as: ZipkinTags.serviceNameSource) {
            if case .resource = ZipkinTags.role(of: tag.key) { attributes.put(tag.keyText, .string(tag.valueText)) }
        }
        return Resource(attributes: attributes)
    }

    private static func scope(_ name: String, tags: [ZipkinTag]) -> InstrumentationScope {
        name.isEmpty ? InstrumentationScope() : InstrumentationScope(name: name, version: ZipkinTags.scopeVersion(in: tags))
    }

    private func translate(_ zipkin: inout ZipkinSpan, _ scratch: inout SpanScratch) throws(ZipkinDecodeError) -> ZipkinTranslatedSpans.Span {
        var span = ZipkinTranslatedSpans.Span(fields: TranslatedSpan(traceID: zipkin.traceID, spanID: zipkin.id, name: arena.copy(zipkin.name)))
        if zipkin.parentID != zipkin.id { span.fields.parentSpanID = zipkin.parentID }
        scratch.attributes.removeAll(keepingCapacity: true)
        scratch.links.removeAll(keepingCapacity: true)
        let mayShadowEndpoints = try applyTags(zipkin.tags, kind: zipkin.kind, to: &span.fields, &scratch)
        addEndpointAttributes(zipkin, to: &scratch.attributes, putting: mayShadowEndpoints)
        try setTimes(zipkin, on: &span.fields, &scratch.attributes)
        var annotations: [ZipkinAnnotation] = []
        swap(&annotations, &zipkin.annotations)
        scratch.events = try inZipkinField("annotations") { () throws(ZipkinDecodeError) in try Self.events(annotations) }
        return span
    }

    private func setTimes(_ zipkin: borrowing ZipkinSpan, on span: inout TranslatedSpan, _ attributes: inout [AttributeRef]) throws(ZipkinDecodeError) {
        let (start, startOverflow) = zipkin.timestamp.multipliedReportingOverflow(by: 1000)
        let (length, lengthOverflow) = zipkin.duration.multipliedReportingOverflow(by: 1000)
        let (end, endOverflow) = start.addingReportingOverflow(length)
        guard !startOverflow else { throw ZipkinDecodeError("is too large for nanoseconds since 1970", field: "timestamp") }
        guard !lengthOverflow, !endOverflow else { throw ZipkinDecodeError("ends too late for nanoseconds since 1970", field: "duration") }
        span.startTimeUnixNano = start
        span.endTimeUnixNano = end
        if zipkin.marksAbsentTimestamp {
            attributes.put(.bool(AttributeRef.key(ZipkinTags.startTimeAbsent), true))
        }
    }

    /// Endpoint attributes replace tags of the same name (upstream's `Map.Put*`); `putting` is
    /// false when no tag could have such a name, which saves the search.
    private func addEndpointAttributes(_ zipkin: borrowing ZipkinSpan, to attributes: inout [AttributeRef], putting: Bool) {
        func set(_ attribute: AttributeRef) {
            if putting { attributes.put(attribute) } else { attributes.append(attribute) }
        }
        if let local = zipkin.localEndpoint {
            if let ip = local.ipv6 ?? local.ipv4 { set(.string(AttributeRef.key("net.host.ip"), arena.copy(ip))) }
            if local.port > 0 { set(.int(AttributeRef.key("net.host.port"), Int64(local.port))) }
        }
        if let remote = zipkin.remoteEndpoint {
            if !remote.serviceName.isEmpty { set(.string(AttributeRef.key("peer.service"), arena.copy(remote.serviceName))) }
            if let ip = remote.ipv6 ?? remote.ipv4 { set(.string(AttributeRef.key("net.peer.ip"), arena.copy(ip))) }
            if remote.port > 0 { set(.int(AttributeRef.key("net.peer.port"), Int64(remote.port))) }
        }
    }
}

extension Array where Element == AttributeRef {
    /// `Map.Put`: replaces the value of an existing key in place, else appends.
    mutating func put(_ attribute: AttributeRef) {
        if let i = firstIndex(where: { $0.key.hasSameBytes(as: attribute.key) }) {
            self[i].takeValue(of: attribute)
        } else {
            append(attribute)
        }
    }

    /// `Map.Put` where `seen` holds the keys put so far, so that a new key is appended without a search.
    mutating func put(_ attribute: AttributeRef, seen: inout TagKeyFilter) {
        if seen.insert(attribute.key), let i = firstIndex(where: { $0.key.hasSameBytes(as: attribute.key) }) {
            self[i].takeValue(of: attribute)
        } else {
            append(attribute)
        }
    }
}
