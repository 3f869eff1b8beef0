/// A structural problem in protobuf input: what went wrong, in which field, at which byte.
public struct ProtoDecodeError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable, Equatable {
        case truncatedVarint
        case varintTooLong
        case truncatedFixed(width: Int)
        case lengthPastEnd(length: UInt64, remaining: Int)
        case wrongWireType(expected: UInt8, got: UInt8)
        case group(wireType: UInt8)
        case invalidWireType(UInt8)
        case fieldNumberZero
        case depthLimit(Int)
        case invalidUTF8
        /// A well-formed value the message's model refuses (an id of the wrong length, a time out of range).
        case invalidValue(String)
    }

    public var reason: Reason
    /// Byte offset from the start of the input where the bad record or value begins.
    public var offset: Int
    /// Innermost component first; built while the error unwinds so the happy path pays nothing.
    var reversedPath: [String] = []

    init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// e.g. `resource_spans[0].scope_spans[0].spans[3].trace_id`.
    public var path: String { reversedPath.reversed().joined(separator: ".") }

    func within(_ component: String) -> ProtoDecodeError {
        var copy = self
        copy.reversedPath.append(component)
        return copy
    }

    public var description: String {
        let location = path.isEmpty ? "" : " in \(path)"
        return "invalid protobuf at byte \(offset)\(location): \(reasonText)"
    }

    var reasonText: String {
        switch reason {
        case .truncatedVarint: return "truncated varint"
        case .varintTooLong: return "varint longer than 10 bytes"
        case .truncatedFixed(let width): return "truncated fixed\(width * 8) value (needs \(width) bytes)"
        case let .lengthPastEnd(length, remaining): return "length \(length) past end (\(remaining) bytes left)"
        case let .wrongWireType(expected, got):
            return "wrong wire type \(got) (\(WireType.name(got))) for known field, expected \(expected) (\(WireType.name(expected)))"
        case .group(let wireType): return "group (wire type \(wireType)) not supported"
        case .invalidWireType(let wireType): return "invalid wire type \(wireType)"
        case .fieldNumberZero: return "field number 0 is invalid"
        case .depthLimit(let limit): return "nesting depth limit \(limit) exceeded"
        case .invalidUTF8: return "invalid UTF-8 in string"
        case .invalidValue(let message): return message
        }
    }
}
