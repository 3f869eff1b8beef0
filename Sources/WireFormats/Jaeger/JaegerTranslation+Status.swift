import TraceModel

extension JaegerTranslation {
    /// `span.kind` and the status from a span's tags, removing the tags upstream removes.
    static func kindAndStatus<Tag: JaegerTag>(_ tags: inout [Tag]) -> (SpanKind, Status?) {
        var special = JaegerSpecialTags(tags)
        var kind = SpanKind.unspecified
        if let value = special.remove(.spanKind, from: &tags) { kind = spanKind(value.stringValue) }
        return (kind, status(kind: kind, &tags, &special))
    }

    /// Status from the tags, in upstream's precedence: a bool `error` true, then
    /// `otel.status_code`, then `http.status_code` (`setInternalSpanStatus`); nil for none.
    static func status<Tag: JaegerTag>(kind: SpanKind, _ tags: inout [Tag], _ special: inout JaegerSpecialTags) -> Status? {
        var code = StatusCode.unset
        var message = ""
        var statusExists = false

        if case .bool(true)? = special.value(.error, in: tags) {
            code = .error
            special.remove(.error, from: &tags)
            statusExists = true
            if let description = special.remove(.otelStatusDescription, from: &tags) {
                message = description.stringValue
            } else if let httpMessage = special.value(.httpStatusMessage, in: tags) {
                message = httpMessage.stringValue
            }
        }

        if let otelCode = special.value(.otelStatusCode, in: tags) {
            if !statusExists {
                // The error tag is the ultimate truth; otel.status_code only counts without it.
                statusExists = true
                switch otelCode.stringValue.uppercased() {
                case "OK": code = .ok
                case "ERROR": code = .error
                default: break
                }
                if let description = special.remove(.otelStatusDescription, from: &tags) {
                    message = description.stringValue
                }
            }
            special.remove(.otelStatusCode, from: &tags)
        } else if !statusExists, let httpCode = special.value(.httpStatusCode, in: tags), let number = integer(httpCode) {
            let fromHTTP = statusCode(http: number, kind: kind)
            if fromHTTP != .unset {
                statusExists = true
                code = fromHTTP
            }
            if let httpMessage = special.value(.httpStatusMessage, in: tags) { message = httpMessage.stringValue }
        }

        return statusExists ? Status(code: code, message: message) : nil
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
