/// Why Thrift input was refused: the reason, the byte offset, and the field path.
public struct ThriftDecodeError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        case truncated(needed: Int, remaining: Int)
        case negativeLength(Int64)
        case lengthPastEnd(length: Int64, remaining: Int)
        case countPastEnd(count: Int64, elementType: ThriftType, remaining: Int)
        case invalidType(UInt8)
        case invalidElementType(ThriftType)
        case varintTooLong
        case depthLimit(Int)
        case invalidUTF8
        case wrongFieldType(expected: ThriftType, got: ThriftType)
        case wrongElementType(expected: ThriftType, got: ThriftType)
        case missingRequiredField(String)
        case badMessageHeader(String)
        case unexpectedMessage(String)
        case unknownEnumValue(name: String, value: Int32)
        case trailingBytes(Int)
    }

    public var reason: Reason
    /// Byte offset from the start of the input.
    public var offset: Int
    /// Innermost component first; filled in while the error unwinds.
    var reversedPath: [String] = []

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// e.g. `batch.spans[2].tags[0].vType`.
    public var path: String { reversedPath.reversed().joined(separator: ".") }

    func within(_ component: String) -> ThriftDecodeError {
        var copy = self
        copy.reversedPath.append(component)
        return copy
    }

    public var description: String {
        let location = path.isEmpty ? "" : " in \(path)"
        return "invalid thrift at byte \(offset)\(location): \(reasonText)"
    }

    var reasonText: String {
        switch reason {
        case let .truncated(needed, remaining): return "truncated input (needs \(needed) bytes, \(remaining) left)"
        case .negativeLength(let length): return "negative length \(length)"
        case let .lengthPastEnd(length, remaining): return "length \(length) past end (\(remaining) bytes left)"
        case let .countPastEnd(count, type, remaining):
            return "\(count) elements of type \(type) cannot fit in the \(remaining) bytes left"
        case .invalidType(let id): return "invalid type id \(id)"
        case .invalidElementType(let type): return "invalid element type \(type)"
        case .varintTooLong: return "varint longer than 10 bytes"
        case .depthLimit(let limit): return "nesting depth limit \(limit) exceeded"
        case .invalidUTF8: return "invalid UTF-8 in string"
        case let .wrongFieldType(expected, got): return "wrong field type \(got), expected \(expected)"
        case let .wrongElementType(expected, got): return "wrong element type \(got), expected \(expected)"
        case .missingRequiredField(let name): return "required field \(name) is not set"
        case .badMessageHeader(let why): return "bad message header: \(why)"
        case .unexpectedMessage(let why): return why
        case let .unknownEnumValue(name, value): return "unknown \(name) value \(value)"
        case .trailingBytes(let count): return "\(count) bytes after the end of the message"
        }
    }
}

/// Runs `body`, prefixing the path of any error it throws with `component`.
@inline(__always)
func inThriftField<T>(_ component: @autoclosure () -> String, _ body: () throws(ThriftDecodeError) -> T) throws(ThriftDecodeError) -> T {
    do {
        return try body()
    } catch {
        throw error.within(component())
    }
}
