import TraceModel

extension JaegerTranslation {
    /// Status from the tags, in upstream's precedence: a bool `error` true, then
    /// `otel.status_code`, then `http.status_code` (`setInternalSpanStatus`).
    static func applyStatus(_ span: inout Span) {
        var code = StatusCode.unset
        var message = ""
        var statusExists = false

        if case .bool(true)? = span.attributes[key: "error"] {
            code = .error
            span.attributes.swapRemove("error")
            statusExists = true
            if let description = span.attributes.swapRemove("otel.status_description") {
                message = description.stringValue
            } else if let httpMessage = span.attributes[key: "http.status_message"] {
                message = httpMessage.stringValue
            }
        }

        if let otelCode = span.attributes[key: "otel.status_code"] {
            if !statusExists {
                // The error tag is the ultimate truth; otel.status_code only counts without it.
                statusExists = true
                switch otelCode.stringValue.uppercased() {
                case "OK": code = .ok
                case "ERROR": code = .error
                default: break
                }
                if let description = span.attributes.swapRemove("otel.status_description") {
                    message = description.stringValue
                }
            }
            span.attributes.swapRemove("otel.status_code")
        } else if !statusExists, let httpCode = span.attributes[key: "http.status_code"], let number = integer(httpCode) {
            let fromHTTP = statusCode(http: number, kind: span.kind)
            if fromHTTP != .unset {
                statusExists = true
                code = fromHTTP
            }
            if let httpMessage = span.attributes[key: "http.status_message"] { message = httpMessage.stringValue }
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
