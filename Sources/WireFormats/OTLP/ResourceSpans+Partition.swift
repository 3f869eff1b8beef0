import TraceModel

extension ResourceSpans {
    /// This value cut into parts by the route of each span's trace ID, in the order routes first
    /// appear; each part keeps the resource and, for its spans, their scopes. A value whose spans
    /// all take one route comes back whole. A value whose spans were never decoded (OTLP protobuf
    /// in) is cut in its bytes (`ResourceSpansRecords`): each part is written from the received
    /// resource, scope and span records, and stays undecoded, so routing it costs a copy rather
    /// than decoding and encoding every span.
    public func partitioned(byTraceID route: (TraceID) -> Int) -> [(route: Int, part: ResourceSpans)] {
        if isDeferred, let encoded, let parts = Self.partitionBytes(encoded, route: route) { return parts }
        return partitionModel(route: route)
    }

    private func partitionModel(route: (TraceID) -> Int) -> [(route: Int, part: ResourceSpans)] {
        var routes: [Int] = []
        var parts: [ResourceSpans] = []
        var lastScope: [Int] = []
        for (s, scope) in scopeSpans.enumerated() {
            for span in scope.spans {
                let r = route(span.traceID)
                var index = routes.firstIndex(of: r) ?? -1
                if index < 0 {
                    routes.append(r)
                    parts.append(ResourceSpans(resource: resource, scopeSpans: [], schemaURL: schemaURL))
                    lastScope.append(-1)
                    index = routes.count - 1
                }
                if lastScope[index] != s {
                    parts[index].scopeSpans.append(ScopeSpans(scope: scope.scope, spans: [], schemaURL: scope.schemaURL))
                    lastScope[index] = s
                }
                parts[index].scopeSpans[parts[index].scopeSpans.count - 1].spans.append(span)
            }
        }
        if routes.count == 1 { return [(routes[0], self)] }
        return zip(routes, parts).map { ($0, $1) }
    }

    /// nil when the bytes do not read (validated bytes always do).
    private static func partitionBytes(_ encoded: EncodedBytes, route: (TraceID) -> Int) -> [(route: Int, part: ResourceSpans)]? {
        encoded.withUnsafeBytes { raw -> [(route: Int, part: ResourceSpans)]? in
            guard let records = try? ResourceSpansRecords(raw) else { return nil }
            // Each span's route; spans of one trace tend to come together: one hash for the run.
            var routes: [Int] = []
            var last: (id: TraceID, route: Int)?
            let spanRoutes = records.scopes.map { scope in
                scope.spans.map { span in
                    let r = last.flatMap { $0.id == span.traceID ? $0.route : nil } ?? route(span.traceID)
                    last = (span.traceID, r)
                    if !routes.contains(r) { routes.append(r) }
                    return r
                }
            }
            guard routes.count > 1 else { return nil }
            let limits = OTLPDecodeLimits()
            return routes.map { r in
                let (bytes, spans) = write(raw, records, spanRoutes, route: r)
                let part = ResourceSpans(deferred: EncodedBytes(EncodedBytes.Storage(bytes), 0..<bytes.count), spanCount: spans) { encoded in
                    OTLPProtoDecoder.model(of: encoded, limits: limits)
                }
                return (r, part)
            }
        }
    }

    /// The `ResourceSpans` content holding the records other than scopes and, of each scope with
    /// spans on `route`, its other records and those spans; and the count of those spans.
    private static func write(_ raw: UnsafeRawBufferPointer, _ records: ResourceSpansRecords, _ spanRoutes: [[Int]],
                              route: Int) -> ([UInt8], Int) {
        let mine = zip(records.scopes, spanRoutes).compactMap { scope, routes -> (scope: ResourceSpansRecords.Scope, spans: [Range<Int>])? in
            let spans = zip(scope.spans, routes).filter { $0.1 == route }.map(\.0.record)
            return spans.isEmpty ? nil : (scope, spans)
        }
        let lengths = mine.map { m in m.scope.others.reduce(0) { $0 + $1.count } + m.spans.reduce(0) { $0 + $1.count } }
        let size = records.others.reduce(0) { $0 + $1.count }
            + zip(mine, lengths).reduce(0) { $0 + ProtoSize.lengthDelimited($1.0.scope.field, $1.1) }
        let bytes = ProtoWriter.withBuffer(size: size) { w in
            for (m, length) in zip(mine, lengths).reversed() {
                for range in m.spans.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
                for range in m.scope.others.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
                w.writeVarint(UInt64(length))
                w.writeTag(m.scope.field, WireType.len)
            }
            for range in records.others.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
        }
        return (bytes, mine.reduce(0) { $0 + $1.spans.count })
    }
}
