import TraceModel

/// The `tags` search parameter (logfmt `key=value …`) of Tempo's search before TraceQL, as a
/// query: every tag must hold for some span of the trace. Keys Tempo keeps in columns of their
/// own match by substring (`vparquet4/block_search.go`); any other key is an attribute of the
/// span or its resource whose string value must equal the tag's.
enum SearchTags {
    struct ParseError: Error {
        var message: String
    }

    private static let substringAttributes: [String: AttributeScope] = [
        "service.name": .resource, "cluster": .resource, "namespace": .resource, "pod": .resource, "container": .resource,
        "k8s.cluster.name": .resource, "k8s.namespace.name": .resource, "k8s.pod.name": .resource,
        "k8s.container.name": .resource, "http.method": .span, "http.url": .span,
    ]

    static func query(_ tags: [(String, String)]) -> TraceQLQuery {
        var query: TraceQLQuery?
        for (key, value) in tags {
            let filter = TraceQLQuery.filter(.comparison(comparison(key, value)))
            query = query.map { .and($0, filter) } ?? filter
        }
        return query ?? .filter(.always(true))
    }

    private static func comparison(_ key: String, _ value: String) -> SpanComparison {
        switch key {
        case "name": return SpanComparison(field: .intrinsic(.name), op: .contains, value: .string(value))
        case "root.name": return SpanComparison(field: .intrinsic(.rootName), op: .contains, value: .string(value))
        case "root.service.name": return SpanComparison(field: .intrinsic(.rootServiceName), op: .contains, value: .string(value))
        case "status.code":
            let codes: [String: StatusCode] = ["unset": .unset, "ok": .ok, "error": .error,
                                               "STATUS_CODE_UNSET": .unset, "STATUS_CODE_OK": .ok, "STATUS_CODE_ERROR": .error]
            return SpanComparison(field: .intrinsic(.status), op: .equal, value: .status(codes[value] ?? StatusCode(rawValue: -1)))
        case "http.status_code":
            if let code = Int64(value) { return SpanComparison(field: .attribute(.any, key), op: .equal, value: .int(code)) }
        default:
            if let scope = substringAttributes[key] {
                return SpanComparison(field: .attribute(scope, key), op: .contains, value: .string(value))
            }
        }
        return SpanComparison(field: .attribute(.any, key), op: .equal, value: .string(value))
    }

    /// logfmt as go-logfmt reads it: `key`, `key=value` or `key="quoted \" value"`, separated by
    /// spaces; a key given twice is an error, as in Tempo.
    static func parse(_ text: String) throws(ParseError) -> [(String, String)] {
        let bytes = Array(text.utf8)
        var i = 0
        var out: [(String, String)] = []
        while i < bytes.count {
            if bytes[i] <= 0x20 { i += 1; continue }
            let keyStart = i
            while i < bytes.count, bytes[i] > 0x20, bytes[i] != UInt8(ascii: "="), bytes[i] != UInt8(ascii: "\"") { i += 1 }
            guard i > keyStart else { throw ParseError(message: "unexpected '\(Character(UnicodeScalar(bytes[i])))' at pos \(i + 1)") }
            let key = String(decoding: bytes[keyStart..<i], as: UTF8.self)
            var value = ""
            if i < bytes.count, bytes[i] == UInt8(ascii: "=") {
                i += 1
                value = try self.value(bytes, &i)
            }
            guard !out.contains(where: { $0.0 == key }) else { throw ParseError(message: "tag \(key) has been set twice") }
            out.append((key, value))
        }
        return out
    }

    private static func value(_ bytes: [UInt8], _ i: inout Int) throws(ParseError) -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
            let start = i
            while i < bytes.count, bytes[i] > 0x20 {
                guard bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "=") else {
                    throw ParseError(message: "unexpected '\(Character(UnicodeScalar(bytes[i])))' at pos \(i + 1)")
                }
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        let start = i
        if let text = QuotedString.read(bytes, &i) { return text }
        throw ParseError(message: "unterminated quoted value at pos \(start + 1)")
    }
}
