/// Why a Zipkin request was refused: which span (its index in the request's list), which field,
/// what is wrong, and where in the body when a byte offset is known. One bad span refuses the
/// whole request, as upstream does.
public struct ZipkinDecodeError: Error, CustomStringConvertible, Sendable {
    /// "Zipkin v2 JSON", "Zipkin v2 protobuf", "Zipkin v1 JSON" or "Zipkin v1 thrift".
    public var format: String
    /// Index of the span in the request's list; nil for a problem outside any span.
    public var spanIndex: Int?
    /// Innermost component first; filled in while the error unwinds.
    var reversedPath: [String]
    public var reason: String
    public var offset: Int?

    init(_ reason: String, field: String? = nil, offset: Int? = nil) {
        format = ""
        spanIndex = nil
        reversedPath = field.map { [$0] } ?? []
        self.reason = reason
        self.offset = offset
    }

    /// e.g. `localEndpoint.ipv4` or `annotations[2].timestamp`.
    public var field: String { keyPathText(reversedPath) }

    public var description: String {
        var text = format.isEmpty ? "invalid Zipkin data" : "invalid \(format)"
        if let spanIndex { text += ", span \(spanIndex)" }
        if !reversedPath.isEmpty { text += ", field \(field)" }
        if let offset { text += " (byte \(offset))" }
        return text + ": " + reason
    }

    func within(_ component: String) -> ZipkinDecodeError {
        var copy = self
        copy.reversedPath.append(component)
        return copy
    }

    func inSpan(_ index: Int) -> ZipkinDecodeError {
        var copy = self
        if copy.spanIndex == nil { copy.spanIndex = index }
        return copy
    }

    func named(_ format: String) -> ZipkinDecodeError {
        var copy = self
        copy.format = format
        return copy
    }

    init(_ error: JSONDecodeError) {
        self.init(error.reasonText, offset: error.offset)
        reversedPath = error.reversedPath
    }

    init(_ error: ProtoDecodeError) {
        self.init(error.reasonText, offset: error.offset)
        reversedPath = error.reversedPath
    }

    init(_ error: ThriftDecodeError) {
        self.init(error.reasonText, offset: error.offset)
        reversedPath = error.reversedPath
    }
}

/// Runs `body`, adding `component` to the field path of any error it throws.
@inline(__always)
func inZipkinField<T>(_ component: @autoclosure () -> String, _ body: () throws(ZipkinDecodeError) -> T) throws(ZipkinDecodeError) -> T {
    do throws(ZipkinDecodeError) {
        return try body()
    } catch {
        throw error.within(component())
    }
}
