import Config
import TraceModel

/// Recursive descent over the subset Grafana's search builder writes:
///
///     query      = spanset { "||" spanset }            (&& binds tighter)
///     spanset    = "{" [ condition ] "}" | "(" query ")"
///     condition  = comparison | "(" condition ")" | true | false, joined by && and ||
///     comparison = field op value
///
/// Anything else of TraceQL is refused with a message naming it.
public struct TraceQLParser {
    private let tokens: [TraceQLToken]
    private var index = 0
    private var depth = 0

    static let maxDepth = 64

    public static func parse(_ query: String) throws(TraceQLError) -> TraceQLQuery {
        var parser = TraceQLParser(tokens: try TraceQLLexer.tokens(query))
        let result = try parser.query()
        guard case .end = parser.current.kind else { throw parser.unexpected("the end of the query") }
        return result
    }

    /// A field alone, as the tag values API names one (`resource.service.name`, `.a`, `status`).
    public static func parseField(_ text: String) throws(TraceQLError) -> TraceQLField {
        var parser = TraceQLParser(tokens: try TraceQLLexer.tokens(text))
        let field = try parser.field()
        guard case .end = parser.current.kind else { throw parser.unexpected("the end of the attribute name") }
        return field
    }

    private init(tokens: [TraceQLToken]) {
        self.tokens = tokens
    }

    private var current: TraceQLToken { tokens[index] }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    private mutating func take(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        advance()
        return true
    }

    // MARK: spanset expressions

    private mutating func query() throws(TraceQLError) -> TraceQLQuery {
        var left = try spansetAnd()
        while take("||") { left = .or(left, try spansetAnd()) }
        return left
    }

    private mutating func spansetAnd() throws(TraceQLError) -> TraceQLQuery {
        var left = try spanset()
        while take("&&") { left = .and(left, try spanset()) }
        return left
    }

    private mutating func spanset() throws(TraceQLError) -> TraceQLQuery {
        let result: TraceQLQuery
        if take("{") {
            if take("}") {
                result = .filter(.always(true))
            } else {
                let condition = try nested { (p: inout TraceQLParser) throws(TraceQLError) in try p.condition() }
                guard take("}") else { throw unexpected("'}'") }
                result = .filter(condition)
            }
        } else if take("(") {
            result = try nested { (p: inout TraceQLParser) throws(TraceQLError) in try p.query() }
            guard take(")") else { throw unexpected("')'") }
        } else {
            throw unsupportedStart()
        }
        try refuseSpansetOperator()
        return result
    }

    private func refuseSpansetOperator() throws(TraceQLError) {
        guard case .symbol(let s) = current.kind else {
            if case .identifier(let word) = current.kind, word == "with" {
                throw unsupported("query hints (with …)")
            }
            return
        }
        switch s {
        case "|": throw unsupported("pipelines (|), and with them aggregates such as count() and select()")
        case ">>", "<<", ">", "<", "~", "!>>", "!<<", "&>>", "&<<", "!~", "&":
            throw unsupported("structural operators (\(s)) between spansets")
        case "!":
            throw unsupported("structural operators (!<, !>, …) between spansets")
        case "=", "!=", ">=", "<=", "=~":
            throw unsupported("comparing spansets or scalar filters (\(s))")
        default: return
        }
    }

    private func unsupportedStart() -> TraceQLError {
        if case .identifier(let word) = current.kind {
            let metrics = ["rate", "count_over_time", "min_over_time", "max_over_time", "avg_over_time", "sum_over_time",
                           "quantile_over_time", "histogram_over_time", "compare"]
            if metrics.contains(word) { return unsupported("metrics queries (\(word))") }
            if ["count", "avg", "min", "max", "sum"].contains(word) { return unsupported("aggregates (\(word))") }
        }
        return unexpected("'{' to start a spanset filter")
    }

    // MARK: conditions inside { }

    private mutating func condition() throws(TraceQLError) -> SpanCondition {
        var left = try conditionAnd()
        while take("||") { left = .or(left, try conditionAnd()) }
        return left
    }

    private mutating func conditionAnd() throws(TraceQLError) -> SpanCondition {
        var left = try conditionPrimary()
        while take("&&") { left = .and(left, try conditionPrimary()) }
        return left
    }

    private mutating func conditionPrimary() throws(TraceQLError) -> SpanCondition {
        if take("(") {
            let inner = try nested { (p: inout TraceQLParser) throws(TraceQLError) in try p.condition() }
            guard take(")") else { throw unexpected("')'") }
            return inner
        }
        if take("!") { throw unsupported("negation (!)") }
        if case .identifier(let word) = current.kind, word == "true" || word == "false" {
            advance()
            return .always(word == "true")
        }
        return .comparison(try comparison())
    }

    private mutating func comparison() throws(TraceQLError) -> SpanComparison {
        let fieldToken = current
        let field = try self.field()
        let opToken = current
        guard case .symbol(let symbol) = opToken.kind, let op = TraceQLOperator(rawValue: symbol), op != .contains else {
            if case .symbol(let s) = opToken.kind, ["+", "-", "*", "/", "%", "^"].contains(s) {
                throw unsupported("arithmetic (\(s))")
            }
            throw unexpected("a comparison operator (= != > >= < <= =~ !~)")
        }
        advance()
        let valueToken = current
        let value = try self.value()
        if case .symbol(let s) = current.kind, ["+", "-", "*", "/", "%", "^"].contains(s) { throw unsupported("arithmetic (\(s))") }
        let comparison = SpanComparison(field: field, op: op, value: value, pattern: try pattern(op, value, at: valueToken.offset))
        try check(comparison, fieldAt: fieldToken.offset)
        return comparison
    }

    private func pattern(_ op: TraceQLOperator, _ value: TraceQLValue, at offset: Int) throws(TraceQLError) -> TraceQLPattern? {
        guard op == .matches || op == .notMatches else { return nil }
        guard case .string(let source) = value else {
            throw TraceQLError(message: "\(op.rawValue) needs a string holding a regular expression", offset: offset)
        }
        guard !TraceQLPattern.repeatsAmbiguousGroup(source) else {
            throw TraceQLError(message: "regular expression \"\(source)\" repeats a group that repeats or alternates, which is not supported",
                               offset: offset)
        }
        guard let pattern = TraceQLPattern(source) else {
            throw TraceQLError(message: "invalid regular expression \"\(source)\"", offset: offset)
        }
        return pattern
    }

    /// Refuses comparisons that can never hold because of their types, as Tempo does.
    private func check(_ c: SpanComparison, fieldAt offset: Int) throws(TraceQLError) {
        guard case .intrinsic(let intrinsic) = c.field else { return }
        let ok: Bool
        switch (intrinsic, c.value) {
        case (.status, .status), (.kind, .kind): ok = c.op == .equal || c.op == .notEqual
        case (.duration, .duration), (.traceDuration, .duration), (.duration, .int), (.traceDuration, .int): ok = !c.op.isRegex
        case (.name, .string), (.statusMessage, .string), (.rootName, .string), (.rootServiceName, .string): ok = true
        case (_, .nil): ok = c.op == .equal || c.op == .notEqual
        default: ok = false
        }
        guard ok else {
            throw TraceQLError(message: "invalid comparison: \(intrinsic.rawValue) \(c.op.rawValue) \(c.value.typeName)", offset: offset)
        }
    }

    private mutating func field() throws(TraceQLError) -> TraceQLField {
        let token = current
        switch token.kind {
        case .attribute(let scope, let name):
            advance()
            switch scope {
            case "": return .attribute(.any, name)
            case "span": return .attribute(.span, name)
            case "resource": return .attribute(.resource, name)
            case "event", "link", "instrumentation", "parent":
                throw unsupported("\(scope). attributes")
            default:
                throw TraceQLError(message: "unknown attribute scope '\(scope)' (span, resource or none)", offset: token.offset)
            }
        case .identifier(let word):
            guard let intrinsic = Self.intrinsics[word] else {
                if word.contains(":") { throw unsupported("the intrinsic \(word)") }
                throw TraceQLError(message: "unknown intrinsic '\(word)'; attributes need a scope: span.\(word), resource.\(word) or .\(word)",
                                   offset: token.offset)
            }
            advance()
            return .intrinsic(intrinsic)
        default:
            throw unexpected("an attribute or intrinsic")
        }
    }

    private static let intrinsics: [String: TraceQLIntrinsic] = {
        var table: [String: TraceQLIntrinsic] = [:]
        for i in TraceQLIntrinsic.allCases { table[i.rawValue] = i }
        table["span:name"] = .name
        table["span:status"] = .status
        table["span:statusMessage"] = .statusMessage
        table["span:kind"] = .kind
        table["span:duration"] = .duration
        table["trace:rootName"] = .rootName
        table["trace:rootService"] = .rootServiceName
        table["trace:duration"] = .traceDuration
        return table
    }()

    private static let keywords: [String: TraceQLValue] = [
        "true": .bool(true), "false": .bool(false), "nil": .nil,
        "ok": .status(.ok), "error": .status(.error), "unset": .status(.unset),
        "unspecified": .kind(.unspecified), "internal": .kind(.internal), "server": .kind(.server),
        "client": .kind(.client), "producer": .kind(.producer), "consumer": .kind(.consumer),
    ]

    private mutating func value() throws(TraceQLError) -> TraceQLValue {
        let token = current
        switch token.kind {
        case .string(let s):
            advance()
            return .string(s)
        case .number(let text):
            advance()
            return try Self.number(text, at: token.offset)
        case .symbol("-"):
            advance()
            guard case .number(let text) = current.kind else { throw unexpected("a number after '-'") }
            advance()
            return try Self.number(text, at: token.offset).negated
        case .identifier(let word):
            if let keyword = Self.keywords[word] {
                advance()
                return keyword
            }
            if Self.intrinsics[word] != nil { throw unsupported("comparing two fields") }
            throw TraceQLError(message: "unknown value '\(word)' (strings need quotes)", offset: token.offset)
        case .attribute:
            throw unsupported("comparing two fields")
        default:
            throw unexpected("a value")
        }
    }

    /// An integer, a float, or a Go duration (`150ms`, `1.5s`, `1h30m`).
    static func number(_ text: String, at offset: Int) throws(TraceQLError) -> TraceQLValue {
        if let i = Int64(text) { return .int(i) }
        if text.utf8.allSatisfy({ TraceQLLexer.isDigit($0) || $0 == UInt8(ascii: ".") || ($0 | 0x20) == UInt8(ascii: "e") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }),
           let d = Double(text), d.isFinite {
            return .float(d)
        }
        if let ns = GoDuration.nanoseconds(text) { return .duration(ns) }
        throw TraceQLError(message: "invalid number or duration '\(text)'", offset: offset)
    }

    private mutating func nested<T>(_ body: (inout TraceQLParser) throws(TraceQLError) -> T) throws(TraceQLError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw TraceQLError(message: "nesting deeper than \(Self.maxDepth)", offset: current.offset) }
        return try body(&self)
    }

    private func unexpected(_ expected: String) -> TraceQLError {
        TraceQLError(message: "expected \(expected), found \(current.kind.text)", offset: current.offset)
    }

    private func unsupported(_ what: String) -> TraceQLError {
        TraceQLError(message: "\(what) not supported (Swiftlet supports spanset filters { … } joined by && and ||)", offset: current.offset)
    }
}

extension TraceQLOperator {
    var isRegex: Bool { self == .matches || self == .notMatches }
}

extension TraceQLValue {
    var negated: TraceQLValue {
        switch self {
        case .int(let i): .int(0 &- i)
        case .float(let d): .float(-d)
        case .duration(let ns): .duration(0 &- ns)
        default: self
        }
    }

    var typeName: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .float: "float"
        case .bool: "bool"
        case .duration: "duration"
        case .status: "status"
        case .kind: "kind"
        case .nil: "nil"
        }
    }
}

extension TraceQLToken.Kind {
    var text: String {
        switch self {
        case .symbol(let s): "'\(s)'"
        case .identifier(let s): "'\(s)'"
        case .attribute(let scope, let name): "'\(scope).\(name)'"
        case .string(let s): "\"\(s)\""
        case .number(let s): "'\(s)'"
        case .end: "the end of the query"
        }
    }
}
