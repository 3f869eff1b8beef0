import TraceModel

/// The span status a v1 span's binary annotations give, by the precedence of the Collector's
/// zipkinv1 translator (its status mapper): `census.status_code` (0 is OK, anything else ERROR),
/// else `otel.status_code` (the number as it is), else an `error` tag (ERROR), else
/// `http.status_code` (100–399 UNSET, anything else ERROR), each with its own message.
struct ZipkinV1StatusTags {
    private var censusCode: StatusCode?
    private var censusMessage = ""
    private var otelCode: StatusCode?
    private var otelMessage = ""
    private var httpCode: StatusCode?
    private var httpMessage = ""
    private var hasErrorTag = false

    /// Notes a status tag; returns whether the attribute is consumed (the census, otel and
    /// `error` tags are; `http.status_code` and `http.status_message` stay attributes).
    mutating func take(_ attribute: AttributeRef) -> Bool {
        let key = attribute.key
        guard let first = key.first,
              first == UInt8(ascii: "c") || first == UInt8(ascii: "o") || first == UInt8(ascii: "h") || first == UInt8(ascii: "e")
        else { return false }
        if key.hasSameBytes(as: "census.status_code") {
            if let code = Self.number(attribute) { censusCode = code == 0 ? .ok : .error }
        } else if key.hasSameBytes(as: "census.status_description") || key.hasSameBytes(as: "opencensus.status_description") {
            censusMessage = Self.text(attribute)
        } else if key.hasSameBytes(as: "otel.status_code") {
            if let code = Self.number(attribute) { otelCode = StatusCode(rawValue: code) }
        } else if key.hasSameBytes(as: "otel.status_description") {
            otelMessage = Self.text(attribute)
        } else if key.hasSameBytes(as: "error") {
            hasErrorTag = true
        } else if key.hasSameBytes(as: "http.status_code") {
            if let code = Self.number(attribute) { httpCode = (100..<400).contains(code) ? .unset : .error }
            return false
        } else if key.hasSameBytes(as: "http.status_message") {
            httpMessage = Self.text(attribute)
            return false
        } else {
            return false
        }
        return true
    }

    var status: Status {
        if let censusCode { return Status(code: censusCode, message: censusMessage) }
        if let otelCode { return Status(code: otelCode, message: otelMessage) }
        if hasErrorTag { return Status(code: .error, message: censusMessage.isEmpty ? otelMessage : censusMessage) }
        if let httpCode { return Status(code: httpCode, message: httpMessage) }
        return Status()
    }

    /// An int, or a string in decimal (Go's `ParseInt`), within the 32-bit range; nil otherwise.
    private static func number(_ attribute: AttributeRef) -> Int32? {
        switch attribute.kind {
        case .int: Int32(exactly: Int64(bitPattern: attribute.bits))
        case .string: Int64(String(decoding: attribute.bytes, as: UTF8.self)).flatMap { Int32(exactly: $0) }
        default: nil
        }
    }

    /// A string's text; "" for any other type, as pdata's `Value.Str` gives.
    private static func text(_ attribute: AttributeRef) -> String {
        attribute.kind == .string ? String(decoding: attribute.bytes, as: UTF8.self) : ""
    }
}
