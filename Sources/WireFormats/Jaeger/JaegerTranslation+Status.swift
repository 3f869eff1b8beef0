import TraceModel

extension JaegerTranslation {
    /// Status from the tags, in upstream's precedence: a bool `error` true, then
    /// `otel.status_code`, then `http.status_code` (`setInternalSpanStatus`).
    static func applyStatus(_ span: inout Span, _ tags: inout JaegerSpecialTags) {
        var code = StatusCode.unset
        var message = ""
        var statusExists = false

        if case .bool(true)? = tags.value(.error, in: span.attributes) {
            code = .error
            tags.remove(.error, from: &span.attributes)
            statusExists = true
            if let description = tags.remove(.otelStatusDescription, from: &span.attributes) {
                message = description.stringValue
            } else if let httpMessage = tags.value(.httpStatusMessage, in: span.attributes) {
                message = httpMessage.stringValue
            }
        }

        if let otelCode = tags.value(.otelStatusCode, in: span.attributes) {
            if !statusExists {
                // The error tag is the ultimate truth; otel.status_code only counts without it.
                statusExists = true
                switch otelCode.stringValue.uppercased() {
                case "OK": code = .ok
                case "ERROR": code = .error
                default: break
                }
                if let description = tags.remove(.otelStatusDescription, from: &span.attributes) {
                    message = description.stringValue
                }
            }
            tags.remove(.otelStatusCode, from: &span.attributes)
        } else if !statusExists, let httpCode = tags.value(.httpStatusCode, in: span.attributes), let number = integer(httpCode) {
            let fromHTTP = statusCode(http: number, kind: span.kind)
            if fromHTTP != .unset {
                statusExists = true
                code = fromHTTP
            }
            if let httpMessage = tags.value(.httpStatusMessage, in: span.attributes) { message = httpMessage.stringValue }
        }

        if statusExists { span.status = Status(code: code, message: message) }
    }

    /// An Int value, or a String holding a decimal integer (`strconv.ParseInt`).
    private static func integer(_ value: AnyValue) -> Int64? {
        switch value {
        case .int(let n): n
        case .string(let s): Int64(s)
        default: nil
        }
    }

    /// 4xx is an error for a client and unset for a server; otherwise 100–398 are unset and
    /// anything else an error (`StatusCodeFromHTTP`).
    static func statusCode(http code: Int64, kind: SpanKind) -> StatusCode {
        if code >= 400 && code < 500 {
            if kind == .client { return .error }
            if kind == .server { return .unset }
        }
        return code >= 100 && code < 399 ? .unset : .error
    }
}

/// Where the tags the translation reads or removes sit in a span's attributes, found in one pass
/// rather than one scan per key (most spans carry none of them but `span.kind`). Removal swaps
/// the last attribute into the gap, as `pcommon.Map.Remove` does, so the positions are kept up to
/// date and the attributes end in the same order as with one `swapRemove(_:)` per key.
struct JaegerSpecialTags {
    enum Key: Int {
        case spanKind, error, otelStatusCode, otelStatusDescription, httpStatusCode, httpStatusMessage
    }

    /// The first attribute with each key, or -1.
    private var positions = SIMD8<Int32>(repeating: -1)

    init(_ attributes: [KeyValue]) {
        for (i, attribute) in attributes.enumerated() {
            guard let key = Self.key(attribute.key), positions[key.rawValue] < 0 else { continue }
            positions[key.rawValue] = Int32(i)
        }
    }

    private static func key(_ name: String) -> Key? {
        switch name.utf8.count {
        case 5: name.hasSameUTF8(as: "error") ? .error : nil
        case 9: name.hasSameUTF8(as: "span.kind") ? .spanKind : nil
        case 16: name.hasSameUTF8(as: "otel.status_code") ? .otelStatusCode
            : name.hasSameUTF8(as: "http.status_code") ? .httpStatusCode : nil
        case 19: name.hasSameUTF8(as: "http.status_message") ? .httpStatusMessage : nil
        case 23: name.hasSameUTF8(as: "otel.status_description") ? .otelStatusDescription : nil
        default: nil
        }
    }

    func value(_ key: Key, in attributes: [KeyValue]) -> AnyValue? {
        let i = Int(positions[key.rawValue])
        return i < 0 ? nil : attributes[i].value
    }

    @discardableResult
    mutating func remove(_ key: Key, from attributes: inout [KeyValue]) -> AnyValue? {
        let i = Int(positions[key.rawValue])
        guard i >= 0 else { return nil }
        let value = attributes[i].value
        let last = attributes.count - 1
        attributes[i] = attributes[last]
        attributes.removeLast()
        positions[key.rawValue] = -1
        // The attribute that was last now sits at `i`.
        positions.replace(with: Int32(i), where: positions .== Int32(last))
        return value
    }
}
