/// Splits a TraceQL query into tokens. Attribute paths (`span.http.method`, `.a`, `resource."a b"`)
/// are single tokens, as in Tempo's lexer.
struct TraceQLToken: Equatable {
    enum Kind: Equatable {
        case symbol(String)
        case identifier(String)
        case attribute(scope: String, name: String)
        case string(String)
        case number(String)
        case end
    }

    var kind: Kind
    var offset: Int
}

struct TraceQLLexer {
    private let bytes: [UInt8]
    private var position = 0

    static let maxQueryBytes = 16 << 10

    init(_ query: String) {
        bytes = Array(query.utf8)
    }

    static func tokens(_ query: String) throws(TraceQLError) -> [TraceQLToken] {
        var lexer = TraceQLLexer(query)
        guard lexer.bytes.count <= maxQueryBytes else {
            throw TraceQLError(message: "the query is longer than \(maxQueryBytes) bytes", offset: 0)
        }
        var out: [TraceQLToken] = []
        while true {
            let token = try lexer.next()
            out.append(token)
            if token.kind == .end { return out }
        }
    }

    /// Longest first.
    private static let symbols = ["!>>", "!<<", "&>>", "&<<", "&&", "||", "!=", ">=", "<=", "=~", "!~", ">>", "<<",
                                  "{", "}", "(", ")", "=", ">", "<", "|", "!", "~", "&", ",", "+", "-", "*", "/", "%", "^"]

    private mutating func next() throws(TraceQLError) -> TraceQLToken {
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        let start = position
        guard position < bytes.count else { return TraceQLToken(kind: .end, offset: start) }
        let c = bytes[position]
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
            return TraceQLToken(kind: .string(try quoted()), offset: start)
        }
        if Self.isDigit(c) {
            return TraceQLToken(kind: .number(word()), offset: start)
        }
        if c == UInt8(ascii: ".") {
            position += 1
            return TraceQLToken(kind: .attribute(scope: "", name: try attributeName(start)), offset: start)
        }
        if Self.isIdentifierStart(c) {
            let name = identifier()
            if position < bytes.count, bytes[position] == UInt8(ascii: "."), !Self.isDigit(bytes[safe: position + 1]) {
                position += 1
                return TraceQLToken(kind: .attribute(scope: name, name: try attributeName(start)), offset: start)
            }
            return TraceQLToken(kind: .identifier(name), offset: start)
        }
        for symbol in Self.symbols where matches(symbol) {
            position += symbol.utf8.count
            return TraceQLToken(kind: .symbol(symbol), offset: start)
        }
        throw TraceQLError(message: "unexpected character '\(String(decoding: [c], as: UTF8.self))'", offset: start)
    }

    private func matches(_ symbol: String) -> Bool {
        var i = position
        for b in symbol.utf8 {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
        }
        return true
    }

    /// A double-quoted string with Go escapes, or a raw backtick string.
    private mutating func quoted() throws(TraceQLError) -> String {
        let start = position
        let quote = bytes[position]
        guard let text = QuotedString.read(bytes, &position, quote: quote, escapes: quote == UInt8(ascii: "\"")) else {
            throw TraceQLError(message: "unterminated string", offset: start)
        }
        return text
    }

    /// After `scope.`: a quoted name, or the run of characters up to a space or an operator.
    private mutating func attributeName(_ start: Int) throws(TraceQLError) -> String {
        if position < bytes.count, bytes[position] == UInt8(ascii: "\"") { return try quoted() }
        let nameStart = position
        while position < bytes.count, Self.isAttributeCharacter(bytes[position]) { position += 1 }
        guard position > nameStart else { throw TraceQLError(message: "an attribute name is missing", offset: start) }
        return String(decoding: bytes[nameStart..<position], as: UTF8.self)
    }

    /// Identifiers may hold ':' for scoped intrinsics (`span:name`, `trace:rootService`).
    private mutating func identifier() -> String {
        let start = position
        while position < bytes.count, Self.isIdentifierStart(bytes[position]) || Self.isDigit(bytes[position]) || bytes[position] == UInt8(ascii: ":") {
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// A number with an optional fraction, exponent or duration unit (`1.5s`, `1h30m`, `2e3`).
    private mutating func word() -> String {
        let start = position
        while position < bytes.count {
            let c = bytes[position]
            let sign = (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && (bytes[position - 1] | 0x20) == UInt8(ascii: "e")
                && Self.isDigit(bytes[safe: position - 2])
            guard Self.isDigit(c) || Self.isLetter(c) || c == UInt8(ascii: ".") || c >= 0x80 || sign else { break }
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    static func isDigit(_ c: UInt8?) -> Bool { c.map { $0 &- UInt8(ascii: "0") < 10 } ?? false }
    static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) &- UInt8(ascii: "a") < 26 }
    static func isIdentifierStart(_ c: UInt8) -> Bool { isLetter(c) || c == UInt8(ascii: "_") }

    static func isAttributeCharacter(_ c: UInt8) -> Bool {
        switch c {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "~"),
             UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "*"),
             UInt8(ascii: "%"), UInt8(ascii: "^"), UInt8(ascii: "\""), UInt8(ascii: "`"):
            false
        default: true
        }
    }
}

extension Array where Element == UInt8 {
    subscript(safe index: Int) -> UInt8? { indices.contains(index) ? self[index] : nil }
}
