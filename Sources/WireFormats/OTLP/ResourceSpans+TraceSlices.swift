import TraceModel

/// The spans of one trace cut out of a `ResourceSpans`, as an `ExportTraceServiceRequest`
/// `resource_spans` entry (tag, length and message): the resource, each scope that holds spans of
/// the trace, and those spans, all copied as encoded. Such entries appended one after another form
/// a valid request body, which is how a trace waiting for a sampling decision is held.
public struct TraceSlice: Sendable {
    public var traceID: TraceID
    public var spanCount: Int
    public var requestEntry: [UInt8]
}

extension ResourceSpans {
    /// Its spans grouped by trace, in order of each trace's first span, from the bytes it came in
    /// (or from its encoding when it has none). A trace holding every span gets the message as is.
    public func traceSlices() -> [TraceSlice] {
        let bytes: [UInt8]
        let range: Range<Int>
        if let encoded {
            bytes = encoded.storage.bytes
            range = encoded.range
        } else {
            bytes = ProtoWriter.withBuffer(size: OTLPProtoSizes.resourceSpans(self)) { OTLPProtoWrites.resourceSpans(self, &$0) }
            range = 0..<bytes.count
        }
        return bytes.withUnsafeBytes { raw in
            let message = UnsafeRawBufferPointer(rebasing: raw[range])
            var cutter = TraceSliceCutter(message)
            return (try? cutter.slices()) ?? []
        }
    }
}

extension OTLPProtoDecoder {
    /// The `ResourceSpans` entries of a request body made of `TraceSlice.requestEntry` values,
    /// each keeping its bytes and decoded only when read. Spans are taken whatever their ids, as
    /// they were accepted once already.
    public static func heldResourceSpans(_ body: [UInt8]) -> [ResourceSpans] {
        let storage = EncodedBytes.Storage(body)
        let limits = OTLPDecodeLimits()
        var out: [ResourceSpans] = []
        body.withUnsafeBytes { raw in
            var reader = ProtoReader(raw)
            do throws(ProtoDecodeError) {
                while !reader.isAtEnd {
                    let tag = try reader.readTag()
                    let entry = try reader.message(tag)
                    let range = entry.position..<entry.end
                    let spans = try TraceSliceCutter.countSpans(entry)
                    out.append(ResourceSpans(deferred: EncodedBytes(storage, range), spanCount: spans) { encoded in
                        OTLPProtoDecoder.model(of: encoded, limits: limits, checksIDs: false)
                    })
                }
            } catch {
                assertionFailure("held trace bytes failed to read: \(error)")
            }
        }
        return out
    }
}

/// Reads one `ResourceSpans` message once and writes one request entry per trace.
private struct TraceSliceCutter {
    struct Scope {
        var field: UInt32
        /// Records of the scope message other than its spans (scope, schema_url), tag included.
        var others: [Range<Int>] = []
        var spans: [(traceID: TraceID, record: Range<Int>)] = []
    }

    let raw: UnsafeRawBufferPointer
    /// Records of the resource message other than its scopes (resource, schema_url).
    var others: [Range<Int>] = []
    var scopes: [Scope] = []

    init(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
    }

    mutating func slices() throws(ProtoDecodeError) -> [TraceSlice] {
        try read()
        var order: [TraceID] = []
        var spansOf: [TraceID: [[Range<Int>]]] = [:]
        for (s, scope) in scopes.enumerated() {
            for span in scope.spans {
                if spansOf[span.traceID] == nil {
                    order.append(span.traceID)
                    spansOf[span.traceID] = Array(repeating: [], count: scopes.count)
                }
                spansOf[span.traceID]![s].append(span.record)
            }
        }
        if order.count == 1 {
            let count = scopes.reduce(0) { $0 + $1.spans.count }
            return [TraceSlice(traceID: order[0], spanCount: count, requestEntry: write { $0.writeRaw(raw) })]
        }
        return order.map { id in
            let perScope = spansOf[id]!
            return TraceSlice(traceID: id, spanCount: perScope.reduce(0) { $0 + $1.count }, requestEntry: write(perScope))
        }
    }

    private mutating func read() throws(ProtoDecodeError) {
        var reader = ProtoReader(raw)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 2 || tag.field == 1000 {
                scopes.append(try readScope(try reader.message(tag), field: tag.field))
            } else {
                try reader.skip(wireType: tag.wireType)
                others.append(tag.start..<reader.position)
            }
        }
    }

    private func readScope(_ message: ProtoReader, field: UInt32) throws(ProtoDecodeError) -> Scope {
        var scope = Scope(field: field)
        var reader = message
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 2 {
                let span = try reader.message(tag)
                scope.spans.append((try Self.traceID(of: span), tag.start..<reader.position))
            } else {
                try reader.skip(wireType: tag.wireType)
                scope.others.append(tag.start..<reader.position)
            }
        }
        return scope
    }

    /// The span's `trace_id` (the last one, as protobuf reads a repeated singular field); zero
    /// when absent or not 16 bytes.
    private static func traceID(of span: ProtoReader) throws(ProtoDecodeError) -> TraceID {
        var reader = span
        var id = TraceID.zero
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 1, tag.wireType == WireType.len {
                id = TraceID(bytes: try reader.readLengthDelimited().unreadBytes) ?? .zero
            } else {
                try reader.skip(wireType: tag.wireType)
            }
        }
        return id
    }

    static func countSpans(_ resourceSpans: ProtoReader) throws(ProtoDecodeError) -> Int {
        var reader = resourceSpans
        var count = 0
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 2 || tag.field == 1000 else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            var scope = try reader.message(tag)
            while !scope.isAtEnd {
                let inner = try scope.readTag()
                if inner.field == 2 { count += 1 }
                try scope.skip(wireType: inner.wireType)
            }
        }
        return count
    }

    private func size(_ ranges: [Range<Int>]) -> Int { ranges.reduce(0) { $0 + $1.count } }

    private func writeRanges(_ ranges: [Range<Int>], _ w: inout ProtoWriter) {
        for range in ranges.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
    }

    /// A request entry (field 1 of the request) around what `body` writes, of `content` bytes.
    private func write(content: Int? = nil, _ body: (inout ProtoWriter) -> Void) -> [UInt8] {
        ProtoWriter.withBuffer(size: ProtoSize.lengthDelimited(1, content ?? raw.count)) { w in
            w.writeMessageField(1, body)
        }
    }

    /// The resource's other records, then each scope holding some of `perScope`'s spans.
    private func write(_ perScope: [[Range<Int>]]) -> [UInt8] {
        var content = size(others)
        for (s, spans) in perScope.enumerated() where !spans.isEmpty {
            content += ProtoSize.lengthDelimited(scopes[s].field, size(scopes[s].others) + size(spans))
        }
        return write(content: content) { w in
            for (s, spans) in perScope.enumerated().reversed() where !spans.isEmpty {
                w.writeMessageField(scopes[s].field) { w in
                    writeRanges(spans, &w)
                    writeRanges(scopes[s].others, &w)
                }
            }
            writeRanges(others, &w)
        }
    }
}
