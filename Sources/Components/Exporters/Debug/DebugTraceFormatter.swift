import TraceModel

/// How much the `debug` exporter prints per batch.
public enum DebugVerbosity: String, Sendable {
    case basic, normal, detailed
}

/// The text the OpenTelemetry Collector's `debug` exporter logs for traces, byte for byte:
/// `detailed` mirrors `internal/otlptext`, `normal` mirrors `internal/normal` (collector ≥ v0.142).
public enum DebugTraceFormatter {
    /// `pcommon.Value.AsString()`.
    public static func anyValueString(_ v: AnyValue) -> String {
        var out = ""
        appendAsString(v, to: &out)
        return out
    }

    /// Rough output size, to reserve the buffer once.
    static func estimatedSize(_ batch: TraceBatch, bytesPerSpan: Int) -> Int {
        var size = 0
        for rs in batch.resourceSpans {
            size += 128 + rs.resource.attributes.count * 48
            for ss in rs.scopeSpans {
                size += 128 + ss.scope.attributes.count * 48
                for span in ss.spans {
                    size += bytesPerSpan + span.attributes.count * 48 + span.events.count * 160 + span.links.count * 200
                }
            }
        }
        return size
    }

    /// `TraceID.String()`: lowercase hex, empty for the all-zero id.
    static func idString(_ id: TraceID) -> String { id.isZero ? "" : id.hex }

    /// `SpanID.String()`: lowercase hex, empty for the all-zero id.
    static func idString(_ id: SpanID) -> String { id.isZero ? "" : id.hex }

    /// `ptrace.SpanKind.String()`; unknown numbers print as the empty string.
    static func kindName(_ kind: SpanKind) -> String {
        switch kind.rawValue {
        case 0: return "Unspecified"
        case 1: return "Internal"
        case 2: return "Server"
        case 3: return "Client"
        case 4: return "Producer"
        case 5: return "Consumer"
        default: return ""
        }
    }

    /// `ptrace.StatusCode.String()`; unknown numbers print as the empty string.
    static func statusName(_ code: StatusCode) -> String {
        switch code.rawValue {
        case 0: return "Unset"
        case 1: return "Ok"
        case 2: return "Error"
        default: return ""
        }
    }

    /// `pcommon.ValueType.String()`.
    static func typeName(_ v: AnyValue) -> String {
        switch v {
        case .empty: return "Empty"
        case .string: return "Str"
        case .bool: return "Bool"
        case .int: return "Int"
        case .double: return "Double"
        case .bytes: return "Bytes"
        case .array: return "Slice"
        case .kvlist: return "Map"
        }
    }
}

// MARK: - AsString

extension DebugTraceFormatter {
    static func appendAsString(_ v: AnyValue, to out: inout String) {
        switch v {
        case .empty: break
        case .string(let s): out.append(s)
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .double(let d): appendDoubleAsString(d, to: &out)
        case .bytes(let bytes): GoFormatting.appendBase64(bytes, to: &out)
        case .array, .kvlist:
            // encoding/json fails on NaN/±Inf anywhere inside; the error is dropped, leaving "".
            if isJSONEncodable(v) { appendJSON(v, to: &out) }
        }
    }

    /// pdata's `float64AsString`: the JSON float format, or the JSON encoder's error text.
    static func appendDoubleAsString(_ d: Double, to out: inout String) {
        if d.isFinite {
            GoFormatting.appendJSONFloat(d, to: &out)
        } else {
            out.append("json: unsupported value: ")
            out.append(GoFormatting.formatFloat(d, "g"))
        }
    }

    static func isJSONEncodable(_ v: AnyValue) -> Bool {
        switch v {
        case .double(let d): return d.isFinite
        case .array(let values): return values.allSatisfy(isJSONEncodable)
        case .kvlist(let kvs): return kvs.allSatisfy { isJSONEncodable($0.value) }
        default: return true
        }
    }

    /// `json.Marshal(v.AsRaw())`: maps become `map[string]any`, so keys come out sorted bytewise
    /// and a repeated key keeps its last value; bytes are base64 strings, and empty bytes are a
    /// nil `[]byte` after `AsRaw`, hence `null`.
    static func appendJSON(_ v: AnyValue, to out: inout String) {
        switch v {
        case .empty: out.append("null")
        case .string(let s): GoFormatting.appendJSONString(s, to: &out)
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .double(let d): GoFormatting.appendJSONFloat(d, to: &out)
        case .bytes(let bytes): appendJSONBytes(bytes, to: &out)
        case .array(let values): appendJSONArray(values, to: &out)
        case .kvlist(let kvs): appendJSONObject(kvs, to: &out)
        }
    }

    static func appendJSONBytes(_ bytes: [UInt8], to out: inout String) {
        guard !bytes.isEmpty else { return out.append("null") }
        out.append("\"")
        GoFormatting.appendBase64(bytes, to: &out)
        out.append("\"")
    }

    static func appendJSONArray(_ values: [AnyValue], to out: inout String) {
        out.append("[")
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(",") }
            appendJSON(value, to: &out)
        }
        out.append("]")
    }

    static func appendJSONObject(_ kvs: [KeyValue], to out: inout String) {
        let order = kvs.indices.sorted { a, b in
            if sameBytes(kvs[a].key, kvs[b].key) { return a < b }
            return kvs[a].key.utf8.lexicographicallyPrecedes(kvs[b].key.utf8)
        }
        out.append("{")
        var first = true
        for (n, i) in order.enumerated() {
            if n + 1 < order.count, sameBytes(kvs[order[n + 1]].key, kvs[i].key) { continue }  // last one wins
            if !first { out.append(",") }
            first = false
            GoFormatting.appendJSONString(kvs[i].key, to: &out)
            out.append(":")
            appendJSON(kvs[i].value, to: &out)
        }
        out.append("}")
    }

    /// Go compares strings by bytes; Swift's `==` would equate canonically equivalent keys.
    static func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
}
