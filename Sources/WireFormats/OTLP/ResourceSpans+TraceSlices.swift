import TraceModel

/// The records of a `ResourceSpans` message around one scope's spans, as received: the resource
/// message's other fields (resource, schema_url) and the scope message's. Every trace cut from
/// that scope shares one, so a resource is held once however many traces it carries.
public final class SpanScopeBytes: Sendable {
    let resourceRecords: [UInt8]
    /// `scope_spans`, or the legacy `instrumentation_library_spans`.
    let scopeField: UInt32
    let scopeRecords: [UInt8]

    init(resourceRecords: [UInt8], scopeField: UInt32, scopeRecords: [UInt8]) {
        self.resourceRecords = resourceRecords
        self.scopeField = scopeField
        self.scopeRecords = scopeRecords
    }
}

/// Spans of one trace from one scope: their `spans` records (tag, length, message) as received.
public struct TraceSlicePart: Sendable {
    public let scope: SpanScopeBytes
    public let spanRecords: [UInt8]

    /// An `ExportTraceServiceRequest` body holding `parts`, one `resource_spans` entry each.
    public static func requestBody(_ parts: [TraceSlicePart]) -> [UInt8] {
        let sizes = parts.map { part in
            part.scope.resourceRecords.count + ProtoSize.lengthDelimited(part.scope.scopeField, part.scope.scopeRecords.count + part.spanRecords.count)
        }
        return ProtoWriter.withBuffer(size: sizes.reduce(0) { $0 + ProtoSize.lengthDelimited(1, $1) }) { w in
            for part in parts.reversed() {
                w.writeMessageField(1) { w in
                    w.writeMessageField(part.scope.scopeField) { w in
                        part.spanRecords.withUnsafeBytes { w.writeRaw($0) }
                        part.scope.scopeRecords.withUnsafeBytes { w.writeRaw($0) }
                    }
                    part.scope.resourceRecords.withUnsafeBytes { w.writeRaw($0) }
                }
            }
        }
    }
}

/// The spans of one trace cut out of a `ResourceSpans`, per scope.
public struct TraceSlice: Sendable {
    public var traceID: TraceID
    public var spanCount: Int
    public var parts: [TraceSlicePart]
}

extension ResourceSpans {
    /// Its spans grouped by trace, in order of each trace's first span, from the bytes it came in
    /// (or from its encoding when it has none); nothing is decoded but the spans' trace ids.
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
            return (try? TraceSliceCutter(message).slices()) ?? []
        }
    }
}

extension OTLPProtoDecoder {
    /// The `ResourceSpans` entries of a request body (`TraceSlicePart.requestBody`),
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

/// Cuts one `ResourceSpans` message's span records per trace and scope.
private struct TraceSliceCutter {
    let raw: UnsafeRawBufferPointer

    init(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
    }

    func slices() throws(ProtoDecodeError) -> [TraceSlice] {
        let records = try ResourceSpansRecords(raw)
        let resourceRecords = copy(records.others)
        var order: [TraceID] = []
        var slices: [TraceID: TraceSlice] = [:]
        for scope in records.scopes {
            let shared = SpanScopeBytes(resourceRecords: resourceRecords, scopeField: scope.field, scopeRecords: copy(scope.others))
            var recordsOf: [TraceID: [Range<Int>]] = [:]
            var scopeOrder: [TraceID] = []
            for span in scope.spans {
                if recordsOf[span.traceID] == nil { scopeOrder.append(span.traceID) }
                recordsOf[span.traceID, default: []].append(span.record)
            }
            for id in scopeOrder {
                let spanRecords = recordsOf[id]!
                let part = TraceSlicePart(scope: shared, spanRecords: copy(spanRecords))
                if slices[id] == nil {
                    order.append(id)
                    slices[id] = TraceSlice(traceID: id, spanCount: 0, parts: [])
                }
                slices[id]!.spanCount += spanRecords.count
                slices[id]!.parts.append(part)
            }
        }
        return order.map { slices[$0]! }
    }

    /// The bytes of `ranges`, one after another.
    private func copy(_ ranges: [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ranges.reduce(0) { $0 + $1.count })
        for range in ranges { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[range])) }
        return out
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
}
