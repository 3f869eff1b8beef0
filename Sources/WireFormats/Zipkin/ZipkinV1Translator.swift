import TraceModel

/// Zipkin v1 spans translated as the OpenTelemetry Collector's zipkinv1 translator does: one OTLP
/// span per v1 span (a span both client and server logged is not split), kind from the first core
/// annotation, a resource per local endpoint, other annotations as events, binary annotations as
/// attributes. Written straight as OTLP protobuf, as the v2 translation is (`ZipkinTranslatedSpans`).
struct ZipkinV1Translator {
    /// Holds text the translation makes (span names).
    let arena: TextArena
    /// JSON only: the start and end time of a span without any timestamp, which is then marked
    /// with `otel.zipkin.absentField.startTime` (the Collector's `time.Now()`). nil for thrift,
    /// whose spans keep a zero start time unmarked, as upstream's thrift path leaves them.
    let absentStartTime: UInt64?

    /// The service of a span whose annotations and binary annotations name none.
    static let unknownService = "unknown-service"

    /// One ResourceSpans per distinct local endpoint (service name, ipv4, ipv6, port), in the
    /// order each first appears; spans in input order within it; one scope without a name.
    func translate(_ spans: inout [ZipkinV1Span]) throws(ZipkinDecodeError) -> TraceBatch {
        guard !spans.isEmpty else { return TraceBatch() }
        let (endpoints, members) = Self.groups(spans)
        var table = ZipkinTranslatedSpans(spanCount: spans.count)
        var groups: [ZipkinTranslatedSpans.Group] = []
        groups.reserveCapacity(endpoints.count)
        var scratch = ZipkinTranslator.SpanScratch()
        for (endpoint, indices) in zip(endpoints, members) {
            let start = table.spans.count
            for index in indices {
                do throws(ZipkinDecodeError) {
                    let span = try translate(&spans[index], &scratch)
                    table.append(span, attributes: scratch.attributes, events: scratch.events, links: [])
                } catch {
                    throw error.inSpan(index)
                }
            }
            groups.append(ZipkinTranslatedSpans.Group(resource: Self.resource(endpoint), scopes: [(InstrumentationScope(), start..<table.spans.count)]))
        }
        return TraceBatch(resourceSpans: groups.map(table.resourceSpans))
    }

    /// The distinct local endpoints in order of appearance, and the indices of each one's spans.
    /// Upstream keys them by the text `service-ipv4-ipv6-port`, so that key it is.
    private static func groups(_ spans: [ZipkinV1Span]) -> (endpoints: [ZipkinV1Endpoint], members: [[Int]]) {
        var endpoints: [ZipkinV1Endpoint] = []
        var members: [[Int]] = []
        var groupOfKey: [String: Int] = [:]
        for index in spans.indices {
            let endpoint = localEndpoint(spans[index])
            let key = "\(endpoint.serviceName)-\(endpoint.ipv4)-\(endpoint.ipv6)-\(endpoint.port)"
            if let group = groupOfKey[key] {
                members[group].append(index)
            } else {
                groupOfKey[key] = endpoints.count
                endpoints.append(endpoint)
                members.append([index])
            }
        }
        return (endpoints, members)
    }

    /// The endpoint of the first core annotation that names a service; else only a service name:
    /// that of the binary annotations' endpoints, else the `lc` value, else `unknown-service`.
    static func localEndpoint(_ span: ZipkinV1Span) -> ZipkinV1Endpoint {
        for annotation in span.annotations where annotation.kind != nil {
            if let endpoint = annotation.endpoint, !endpoint.serviceName.isEmpty, endpoint.serviceName != unknownService {
                return endpoint
            }
        }
        let fallback = span.binaryAnnotationServiceName.isEmpty ? span.localComponent : span.binaryAnnotationServiceName
        return ZipkinV1Endpoint(serviceName: fallback.isEmpty ? unknownService : fallback)
    }

    /// `service.name`, then the endpoint's `ipv4`, `ipv6` and `port` (as text) when set.
    private static func resource(_ endpoint: ZipkinV1Endpoint) -> Resource {
        var attributes = [KeyValue("service.name", .string(endpoint.serviceName))]
        if !endpoint.ipv4.isEmpty { attributes.append(KeyValue("ipv4", .string(endpoint.ipv4))) }
        if !endpoint.ipv6.isEmpty { attributes.append(KeyValue("ipv6", .string(endpoint.ipv6))) }
        if endpoint.port != 0 { attributes.append(KeyValue("port", .string(String(endpoint.port)))) }
        return Resource(attributes: attributes)
    }

    private func translate(_ v1: inout ZipkinV1Span, _ scratch: inout ZipkinTranslator.SpanScratch) throws(ZipkinDecodeError) -> ZipkinTranslatedSpans.Span {
        var span = TranslatedSpan(traceID: v1.traceID, spanID: v1.id, name: arena.copy(v1.name))
        span.parentSpanID = v1.parentID
        scratch.attributes.removeAll(keepingCapacity: true)
        scratch.events.removeAll(keepingCapacity: true)
        var status = ZipkinV1StatusTags()
        var seen = TagKeyFilter()
        for attribute in v1.attributes where !status.take(attribute) {
            scratch.attributes.put(attribute, seen: &seen)
        }
        span.status = status.status
        try inZipkinField("annotations") { () throws(ZipkinDecodeError) in try applyAnnotations(v1.annotations, to: &span, &scratch.events) }
        try setTimes(v1, on: &span)
        if let absentStartTime, span.startTimeUnixNano == 0 {
            span.startTimeUnixNano = absentStartTime
            span.endTimeUnixNano = absentStartTime
            scratch.attributes.put(.bool(AttributeRef.key(ZipkinTags.startTimeAbsent), true))
        }
        return ZipkinTranslatedSpans.Span(fields: span)
    }

    /// Kind from the first core annotation; start and end from the earliest and latest
    /// annotation; every other annotation an event.
    private func applyAnnotations(_ annotations: [ZipkinV1Annotation], to span: inout TranslatedSpan, _ events: inout [SpanEvent]) throws(ZipkinDecodeError) {
        var earliest = UInt64.max
        var latest: UInt64?
        for (index, annotation) in annotations.enumerated() {
            let time = try inZipkinField("[\(index)].timestamp") { () throws(ZipkinDecodeError) in try Self.unixNano(annotation.timestamp) }
            if annotation.timestamp < earliest {
                earliest = annotation.timestamp
                span.startTimeUnixNano = time
            }
            if latest.map({ annotation.timestamp > $0 }) ?? true {
                latest = annotation.timestamp
                span.endTimeUnixNano = time
            }
            if let kind = annotation.kind {
                if span.kind == .unspecified { span.kind = kind }
            } else {
                events.append(SpanEvent(timeUnixNano: time, name: annotation.value))
            }
        }
    }

    /// `timestamp` and `duration`, when the span has a timestamp, replace the annotations' times.
    private func setTimes(_ v1: borrowing ZipkinV1Span, on span: inout TranslatedSpan) throws(ZipkinDecodeError) {
        guard let timestamp = v1.timestamp else { return }
        span.startTimeUnixNano = try inZipkinField("timestamp") { () throws(ZipkinDecodeError) in try Self.unixNano(timestamp) }
        let (end, overflow) = timestamp.addingReportingOverflow(v1.duration)
        guard !overflow else { throw ZipkinDecodeError("ends too late for nanoseconds since 1970", field: "duration") }
        span.endTimeUnixNano = try inZipkinField("duration") { () throws(ZipkinDecodeError) in try Self.unixNano(end) }
    }

    private static func unixNano(_ microseconds: UInt64) throws(ZipkinDecodeError) -> UInt64 {
        let (nanoseconds, overflow) = microseconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { throw ZipkinDecodeError("is too large for nanoseconds since 1970") }
        return nanoseconds
    }
}
