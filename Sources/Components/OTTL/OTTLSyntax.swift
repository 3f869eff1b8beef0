/// What an OTTL statement or condition says, before it is bound to a context.
indirect enum OTTLExpression: Sendable {
    case literal(OTTLValue, column: Int)
    /// `resource.attributes["k"][0]`: the dotted names, then the keys.
    case path(names: [String], keys: [OTTLExpression], column: Int)
    /// `SPAN_KIND_SERVER`: an upper-case name that is not called.
    case enumSymbol(String, column: Int)
    /// `Concat([...], "-")`, possibly followed by keys.
    case converter(OTTLCall, keys: [OTTLExpression])
    case list([OTTLExpression], column: Int)

    var column: Int {
        switch self {
        case .literal(_, let c), .path(_, _, let c), .enumSymbol(_, let c), .list(_, let c): c
        case .converter(let call, _): call.column
        }
    }
}

struct OTTLCall: Sendable {
    var name: String
    var arguments: [OTTLArgument]
    var column: Int
}

struct OTTLArgument: Sendable {
    /// `name = value` arguments; nil for positional ones.
    var name: String?
    var value: OTTLExpression
}

indirect enum OTTLCondition: Sendable {
    case or([OTTLCondition])
    case and([OTTLCondition])
    case not(OTTLCondition)
    case comparison(OTTLExpression, OTTLComparison, OTTLExpression)
    /// `true`, `false`, or a converter that gives a boolean.
    case value(OTTLExpression)
}

struct OTTLStatementSyntax: Sendable {
    var editor: OTTLCall
    var condition: OTTLCondition?
}

/// OTTL's grammar, by recursive descent: `editor(args) [where condition]`, conditions with `or`
/// below `and` below `not`, comparisons between values, values being literals, paths, enums,
/// converter calls and lists.
struct OTTLParser {
    private var tokens: [OTTLToken]
    private var position = 0
    /// Parentheses, `not`s, lists, calls and keys open so far: bounded, so that no input can run the
    /// recursion out of stack.
    private var depth = 0
    private static let maxDepth = 100

    private init(_ text: String) throws(OTTLSyntaxError) {
        tokens = try OTTLLexer.tokens(text)
    }

    static func statement(_ text: String) throws(OTTLSyntaxError) -> OTTLStatementSyntax {
        var p = try OTTLParser(text)
        guard case .identifier(let name) = p.current.kind, p.peek(1) == .punctuation("(") else {
            throw p.error("expected an editor call such as set(...)")
        }
        let column = p.current.column
        p.position += 1
        let editor = OTTLCall(name: name, arguments: try p.arguments(), column: column)
        var condition: OTTLCondition?
        if p.current.kind == .identifier("where") {
            p.position += 1
            condition = try p.orCondition()
        }
        try p.expectEnd()
        return OTTLStatementSyntax(editor: editor, condition: condition)
    }

    static func condition(_ text: String) throws(OTTLSyntaxError) -> OTTLCondition {
        var p = try OTTLParser(text)
        let c = try p.orCondition()
        try p.expectEnd()
        return c
    }

    private var current: OTTLToken { tokens[position] }

    private func peek(_ n: Int) -> OTTLToken.Kind {
        position + n < tokens.count ? tokens[position + n].kind : .end
    }

    private func error(_ message: String) -> OTTLSyntaxError {
        let found: String
        switch current.kind {
        case .end: found = "the end"
        case .identifier(let s), .punctuation(let s): found = "'\(s)'"
        case .string(let s): found = "\"\(s)\""
        case .int(let i): found = "\(i)"
        case .double(let d): found = "\(d)"
        case .bytes: found = "a bytes literal"
        }
        return OTTLSyntaxError(column: current.column, message: "\(message), found \(found)")
    }

    private mutating func expect(_ punctuation: String) throws(OTTLSyntaxError) {
        guard current.kind == .punctuation(punctuation) else { throw error("expected '\(punctuation)'") }
        position += 1
    }

    private func expectEnd() throws(OTTLSyntaxError) {
        guard current.kind == .end else { throw error("unexpected token") }
    }

    // MARK: Conditions

    private mutating func orCondition() throws(OTTLSyntaxError) -> OTTLCondition {
        var terms = [try andCondition()]
        while current.kind == .identifier("or") {
            position += 1
            terms.append(try andCondition())
        }
        return terms.count == 1 ? terms[0] : .or(terms)
    }

    private mutating func andCondition() throws(OTTLSyntaxError) -> OTTLCondition {
        var terms = [try notCondition()]
        while current.kind == .identifier("and") {
            position += 1
            terms.append(try notCondition())
        }
        return terms.count == 1 ? terms[0] : .and(terms)
    }

    private mutating func nest() throws(OTTLSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested more than \(Self.maxDepth) deep") }
    }

    private mutating func notCondition() throws(OTTLSyntaxError) -> OTTLCondition {
        try nest()
        defer { depth -= 1 }
        if current.kind == .identifier("not") {
            position += 1
            return .not(try notCondition())
        }
        if current.kind == .punctuation("(") {
            position += 1
            let inner = try orCondition()
            try expect(")")
            return inner
        }
        let left = try value()
        if case .punctuation(let op) = current.kind, let comparison = OTTLComparison(rawValue: op) {
            position += 1
            return .comparison(left, comparison, try value())
        }
        switch left {
        case .literal(.bool, _), .converter: return .value(left)
        default: throw error("expected a comparison operator (==, !=, <, <=, >, >=)")
        }
    }

    // MARK: Values

    private mutating func value() throws(OTTLSyntaxError) -> OTTLExpression {
        try nest()
        defer { depth -= 1 }
        let column = current.column
        switch current.kind {
        case .string(let s): position += 1; return .literal(.string(s), column: column)
        case .int(let i): position += 1; return .literal(.int(i), column: column)
        case .double(let d): position += 1; return .literal(.double(d), column: column)
        case .bytes(let b): position += 1; return .literal(.bytes(b), column: column)
        case .punctuation("["):
            position += 1
            var items: [OTTLExpression] = []
            if current.kind != .punctuation("]") {
                items.append(try value())
                while current.kind == .punctuation(",") {
                    position += 1
                    items.append(try value())
                }
            }
            try expect("]")
            return .list(items, column: column)
        case .identifier(let word):
            switch word {
            case "true": position += 1; return .literal(.bool(true), column: column)
            case "false": position += 1; return .literal(.bool(false), column: column)
            case "nil": position += 1; return .literal(.none, column: column)
            case "where", "and", "or", "not": throw error("expected a value")
            default: break
            }
            let upper = word.first.map { $0.isUppercase } ?? false
            if upper, peek(1) == .punctuation("(") {
                position += 1
                let call = OTTLCall(name: word, arguments: try arguments(), column: column)
                return .converter(call, keys: try keys())
            }
            if upper, word.uppercased() == word, peek(1) != .punctuation(".") {
                position += 1
                return .enumSymbol(word, column: column)
            }
            if peek(1) == .punctuation("(") { throw error("a converter's name starts with an upper-case letter; \(word) is an editor, which cannot give a value") }
            var names = [word]
            position += 1
            while current.kind == .punctuation(".") {
                position += 1
                guard case .identifier(let next) = current.kind else { throw error("expected a name after '.'") }
                names.append(next)
                position += 1
            }
            return .path(names: names, keys: try keys(), column: column)
        default:
            throw error("expected a value")
        }
    }

    private mutating func keys() throws(OTTLSyntaxError) -> [OTTLExpression] {
        var keys: [OTTLExpression] = []
        while current.kind == .punctuation("[") {
            position += 1
            keys.append(try value())
            try expect("]")
        }
        return keys
    }

    private mutating func arguments() throws(OTTLSyntaxError) -> [OTTLArgument] {
        try expect("(")
        var args: [OTTLArgument] = []
        if current.kind != .punctuation(")") {
            repeat {
                if args.isEmpty == false { position += 1 }
                var name: String?
                if case .identifier(let n) = current.kind, peek(1) == .punctuation("=") {
                    name = n
                    position += 2
                }
                args.append(OTTLArgument(name: name, value: try value()))
            } while current.kind == .punctuation(",")
        }
        try expect(")")
        return args
    }
}
