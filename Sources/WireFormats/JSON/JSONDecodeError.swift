/// A problem in JSON input: what, where in the document (key path), at which byte.
public struct JSONDecodeError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable, Equatable {
        case emptyBody
        case unexpectedEnd
        case unexpectedCharacter(found: UInt8, expected: String)
        case invalidEscape
        case controlCharacterInString
        case invalidUTF8
        case invalidNumber
        case numberOutOfRange(type: String)
        case unknownEnumName(String)
        case invalidBase64
        case depthLimit(Int)
        case trailingGarbage
    }

    public var reason: Reason
    public var offset: Int
    /// Innermost component first; extended while the error unwinds.
    var reversedPath: [String] = []

    init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// e.g. `resourceSpans[0].scopeSpans[0].spans[3].kind`.
    public var path: String { keyPathText(reversedPath) }

    func within(_ component: String) -> JSONDecodeError {
        var copy = self
        copy.reversedPath.append(component)
        return copy
    }

    public var description: String {
        let location = path.isEmpty ? "" : " at \(path)"
        return "invalid JSON at byte \(offset)\(location): \(reasonText)"
    }

    var reasonText: String {
        switch reason {
        case .emptyBody: return "empty body"
        case .unexpectedEnd: return "unexpected end of input"
        case let .unexpectedCharacter(found, expected):
            let shown = found >= 0x20 && found < 0x7F ? "'\(Character(Unicode.Scalar(found)))'" : "byte 0x\(String(found, radix: 16))"
            return "unexpected \(shown), expected \(expected)"
        case .invalidEscape: return "invalid escape sequence in string"
        case .controlCharacterInString: return "unescaped control character in string"
        case .invalidUTF8: return "invalid UTF-8 in string"
        case .invalidNumber: return "invalid number"
        case .numberOutOfRange(let type): return "number out of range for \(type)"
        case .unknownEnumName(let name): return "unknown enum name \"\(name)\""
        case .invalidBase64: return "invalid base64"
        case .depthLimit(let limit): return "nesting depth limit \(limit) exceeded"
        case .trailingGarbage: return "trailing characters after the JSON value"
        }
    }
}

/// A key path from its components, innermost first: names joined by dots, `[index]` attached.
func keyPathText(_ reversedPath: [String]) -> String {
    var text = ""
    for component in reversedPath.reversed() {
        if !text.isEmpty && !component.hasPrefix("[") { text += "." }
        text += component
    }
    return text
}

/// Runs `body`, adding `component` to the key path of any error it throws.
@inline(__always)
func inKey<T>(_ component: @autoclosure () -> String, _ body: () throws(JSONDecodeError) -> T) throws(JSONDecodeError) -> T {
    do throws(JSONDecodeError) {
        return try body()
    } catch {
        throw error.within(component())
    }
}
