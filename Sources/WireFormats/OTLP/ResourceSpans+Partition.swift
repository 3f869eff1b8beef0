import TraceModel

extension ResourceSpans {
    /// This value cut into parts by the route of each span's trace ID, in the order routes first
    /// appear; each part keeps the resource and, for its spans, their scopes. A value whose spans
    /// all take one route comes back whole. A value whose spans were never decoded (OTLP protobuf
    /// in) is cut in its bytes: each part is written from the received resource, scope and span
    /// bytes, and stays undecoded, so routing it costs a copy rather than decoding and encoding
    /// every span.
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

    /// A span's place in the bytes and its route.
    private struct SpanSlice {
        var bytes: Range<Int>
        var route: Int
    }

    /// A `ScopeSpans` in the bytes: its fields other than spans, and its spans.
    private struct ScopeSlice {
        var head: [Range<Int>] = []
        var spans: [SpanSlice] = []
    }

    /// nil when the bytes hold the pre-1.0 `instrumentation_library_spans` (field 1000), which
    /// the model path rewrites, or do not read (validated bytes always do).
    private static func partitionBytes(_ encoded: EncodedBytes, route: (TraceID) -> Int) -> [(route: Int, part: ResourceSpans)]? {
        encoded.withUnsafeBytes { raw -> [(route: Int, part: ResourceSpans)]? in
            var others: [Range<Int>] = []
            var scopes: [ScopeSlice] = []
            var routes: [Int] = []
            var reader = ProtoReader(raw)
            do throws(ProtoDecodeError) {
                while !reader.isAtEnd {
                    let tag = try reader.readTag()
                    switch tag.field {
                    case 2 where tag.wireType == WireType.len:
                        var scopeReader = try reader.message(tag)
                        scopes.append(try readScope(&scopeReader, route: route, routes: &routes))
                    case 1000: return nil
                    default:
                        try reader.skip(wireType: tag.wireType)
                        others.append(tag.start..<reader.position)
                    }
                }
            } catch {
                return nil
            }
            guard routes.count > 1 else { return nil }
            let limits = OTLPDecodeLimits()
            return routes.map { r in
                let (bytes, spans) = write(raw, others: others, scopes: scopes, route: r)
                let part = ResourceSpans(deferred: EncodedBytes(EncodedBytes.Storage(bytes), 0..<bytes.count), spanCount: spans) { encoded in
                    OTLPProtoDecoder.model(of: encoded, limits: limits)
                }
                return (r, part)
            }
        }
    }

    private static func readScope(_ reader: inout ProtoReader, route: (TraceID) -> Int, routes: inout [Int]) throws(ProtoDecodeError) -> ScopeSlice {
        var scope = ScopeSlice()
        var last: (id: TraceID, route: Int)?
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 2, tag.wireType == WireType.len else {
                try reader.skip(wireType: tag.wireType)
                scope.head.append(tag.start..<reader.position)
                continue
            }
            var spanReader = try reader.message(tag)
            let id = try traceID(&spanReader)
            // Spans of one trace tend to come together: one hash for the run.
            let r = last.flatMap { $0.id == id ? $0.route : nil } ?? route(id)
            last = (id, r)
            if !routes.contains(r) { routes.append(r) }
            scope.spans.append(SpanSlice(bytes: tag.start..<reader.position, route: r))
        }
        return scope
    }

    /// The span's `trace_id` (field 1); the zero ID when absent or not 16 bytes.
    private static func traceID(_ reader: inout ProtoReader) throws(ProtoDecodeError) -> TraceID {
        var id = TraceID.zero
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1, tag.wireType == WireType.len else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            let bytes = try reader.message(tag)
            id = TraceID(bytes: bytes.unreadBytes) ?? .zero
        }
        return id
    }

    /// The `ResourceSpans` content holding the fields in `others` and, of each scope with spans
    /// on `route`, its head and those spans; and the count of those spans.
    private static func write(_ raw: UnsafeRawBufferPointer, others: [Range<Int>], scopes: [ScopeSlice], route: Int) -> ([UInt8], Int) {
        let mine = scopes.map { (head: $0.head, spans: $0.spans.filter { $0.route == route }) }.filter { !$0.spans.isEmpty }
        let lengths = mine.map { s in s.head.reduce(0) { $0 + $1.count } + s.spans.reduce(0) { $0 + $1.bytes.count } }
        let size = others.reduce(0) { $0 + $1.count } + lengths.reduce(0) { $0 + ProtoSize.lengthDelimited(2, $1) }
        let bytes = ProtoWriter.withBuffer(size: size) { w in
            for (scope, length) in zip(mine, lengths).reversed() {
                for span in scope.spans.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[span.bytes])) }
                for range in scope.head.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
                w.writeVarint(UInt64(length))
                w.writeTag(2, WireType.len)
            }
            for range in others.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
        }
        return (bytes, mine.reduce(0) { $0 + $1.spans.count })
    }
}
