import TraceModel

/// A statement bound to its context: run it on one context value.
struct OTTLStatement: Sendable {
    let text: String
    let run: @Sendable (inout OTTLContext) throws(OTTLError) -> Void
    /// The contexts its paths name (`span.name` names `span`), for the flat `trace_statements` form.
    let contexts: Set<OTTLContext.Kind>
}

/// A condition bound to its context.
struct OTTLBoolean: Sendable {
    let text: String
    let eval: @Sendable (borrowing OTTLContext) throws(OTTLError) -> Bool
    /// The span attributes it reads (in the span context): their keys, or nil when it reads the
    /// whole map. A span with only these attributes gives the same answer.
    var spanAttributeKeys: Set<String>? = []
    /// The span's fields it reads, by their OTLP names (`name`, `status`, `attributes`, …).
    var spanFields: Set<String> = []
}

/// Why a statement or condition is refused when the config is read: the statement and the column.
struct OTTLConfigError: Error, CustomStringConvertible {
    var statement: String
    var column: Int
    var message: String
    var description: String { "unable to parse OTTL statement \"\(statement)\": column \(column): \(message)" }
}

/// Binds parsed OTTL to a context: paths checked against it, functions against the ones this
/// version has (an unknown one is an error, never ignored), literal arguments compiled once.
struct OTTLCompiler {
    let kind: OTTLContext.Kind
    /// The context names the paths of one statement used.
    private(set) var namedContexts: Set<OTTLContext.Kind> = []
    /// The span attributes its paths read: keys, or nil for the whole map.
    private(set) var spanAttributeKeys: Set<String>? = []
    /// The span fields its paths read (span context only), by their first name.
    private(set) var spanFields: Set<String> = []

    init(kind: OTTLContext.Kind) { self.kind = kind }

    static func statement(_ text: String, in kind: OTTLContext.Kind) throws(OTTLConfigError) -> OTTLStatement {
        try bound(text) {
            let syntax = try OTTLParser.statement(text)
            var compiler = OTTLCompiler(kind: kind)
            let editor = try compiler.editor(syntax.editor)
            let condition = try syntax.condition.map { c throws(OTTLCompileError) in try compiler.condition(c) }
            let run: @Sendable (inout OTTLContext) throws(OTTLError) -> Void
            if let condition {
                run = { ctx throws(OTTLError) in if try condition(ctx) { try editor(&ctx) } }
            } else {
                run = editor
            }
            return OTTLStatement(text: text, run: run, contexts: compiler.namedContexts)
        }
    }

    static func condition(_ text: String, in kind: OTTLContext.Kind) throws(OTTLConfigError) -> OTTLBoolean {
        try bound(text) {
            var compiler = OTTLCompiler(kind: kind)
            let eval = try compiler.condition(try OTTLParser.condition(text))
            return OTTLBoolean(text: text, eval: eval, spanAttributeKeys: compiler.spanAttributeKeys, spanFields: compiler.spanFields)
        }
    }

    /// Runs `body`, which parses and binds `text`, turning its errors into one that names the text.
    private static func bound<T>(_ text: String, _ body: () throws -> T) throws(OTTLConfigError) -> T {
        do {
            return try body()
        } catch let e as OTTLSyntaxError {
            throw OTTLConfigError(statement: text, column: e.column, message: e.message)
        } catch let e as OTTLCompileError {
            throw OTTLConfigError(statement: text, column: e.column, message: e.message)
        } catch {
            throw OTTLConfigError(statement: text, column: 0, message: "\(error)")
        }
    }

    /// The contexts a statement's (or, `isCondition`, a condition's) paths name, found without
    /// binding it: `span.name` names span, `resource.attributes` resource, a bare path none.
    static func namedContexts(_ text: String, isCondition: Bool = false) throws(OTTLConfigError) -> Set<OTTLContext.Kind> {
        var names: Set<OTTLContext.Kind> = []
        func visit(_ e: OTTLExpression) {
            switch e {
            case .path(let parts, let keys, _):
                switch parts.first {
                case "resource": names.insert(.resource)
                case "scope", "instrumentation_scope": names.insert(.scope)
                case "span": names.insert(.span)
                case "spanevent": names.insert(.spanevent)
                default: break
                }
                keys.forEach(visit)
            case .converter(let call, let keys):
                call.arguments.forEach { visit($0.value) }
                keys.forEach(visit)
            case .list(let items, _): items.forEach(visit)
            case .literal, .enumSymbol: break
            }
        }
        func visit(_ c: OTTLCondition) {
            switch c {
            case .or(let cs), .and(let cs): cs.forEach(visit)
            case .not(let inner): visit(inner)
            case .comparison(let a, _, let b): visit(a); visit(b)
            case .value(let e): visit(e)
            }
        }
        do {
            if isCondition {
                visit(try OTTLParser.condition(text))
            } else {
                let syntax = try OTTLParser.statement(text)
                syntax.editor.arguments.forEach { visit($0.value) }
                if let c = syntax.condition { visit(c) }
            }
            return names
        } catch {
            throw OTTLConfigError(statement: text, column: error.column, message: error.message)
        }
    }

    // MARK: Conditions

    mutating func condition(_ c: OTTLCondition) throws(OTTLCompileError) -> @Sendable (borrowing OTTLContext) throws(OTTLError) -> Bool {
        switch c {
        case .or(let terms):
            var compiled: [@Sendable (borrowing OTTLContext) throws(OTTLError) -> Bool] = []
            for t in terms { compiled.append(try condition(t)) }
            let all = compiled
            return { ctx throws(OTTLError) in
                for t in all where try t(ctx) { return true }
                return false
            }
        case .and(let terms):
            var compiled: [@Sendable (borrowing OTTLContext) throws(OTTLError) -> Bool] = []
            for t in terms { compiled.append(try condition(t)) }
            let all = compiled
            return { ctx throws(OTTLError) in
                for t in all where try !t(ctx) { return false }
                return true
            }
        case .not(let inner):
            let f = try condition(inner)
            return { ctx throws(OTTLError) in try !f(ctx) }
        case .comparison(let a, let op, let b):
            let left = try getter(a), right = try getter(b)
            return { ctx throws(OTTLError) in op.holds(try left.get(ctx), try right.get(ctx)) }
        case .value(let e):
            let g = try getter(e)
            return { ctx throws(OTTLError) in
                let v = try g.get(ctx)
                guard case .bool(let b) = v else { throw OTTLError("expected a boolean, got \(v.typeName)") }
                return b
            }
        }
    }

    // MARK: Values

    static let enums: [String: Int64] = [
        "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3,
        "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
        "STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
    ]

    mutating func getter(_ e: OTTLExpression) throws(OTTLCompileError) -> OTTLGetter {
        switch e {
        case .literal(let v, _):
            return .constant(v)
        case .enumSymbol(let name, let column):
            guard let v = Self.enums[name] else { throw OTTLCompileError(column: column, message: "enum symbol \(name) not found") }
            return .constant(.int(v))
        case .path:
            return try path(e).getter
        case .list(let items, _):
            var getters: [OTTLGetter] = []
            for item in items { getters.append(try getter(item)) }
            let all = getters
            return OTTLGetter { ctx throws(OTTLError) in
                var out: [AnyValue] = []
                for g in all { out.append(try g.get(ctx).anyValue ?? .empty) }
                return .list(out)
            }
        case .converter(let call, let keyExpressions):
            let base = try converter(call)
            guard !keyExpressions.isEmpty else { return base }
            let keys = try literalKeys(keyExpressions)
            return OTTLGetter { ctx throws(OTTLError) in
                guard let value = try base.get(ctx).anyValue, let found = OTTLContext.nested(value, keys) else { return .none }
                return OTTLValue(found)
            }
        }
    }

    mutating func path(_ e: OTTLExpression) throws(OTTLCompileError) -> OTTLPath {
        guard case .path(let names, let keyExpressions, let column) = e else {
            throw OTTLCompileError(column: e.column, message: "expected a path")
        }
        switch names.first {
        case "resource": namedContexts.insert(.resource)
        case "scope", "instrumentation_scope": namedContexts.insert(.scope)
        case "span": namedContexts.insert(.span)
        case "spanevent": namedContexts.insert(.spanevent)
        default: break
        }
        let keys = try literalKeys(keyExpressions)
        if kind == .span, let field = names.first == "span" ? names.dropFirst().first : names.first,
           !["resource", "scope", "instrumentation_scope"].contains(field) {
            spanFields.insert(field)
        }
        if kind == .span, names == ["attributes"] || names == ["span", "attributes"] {
            if case .name(let key)? = keys.first { spanAttributeKeys?.insert(key) } else { spanAttributeKeys = nil }
        }
        return try OTTLContext.path(names, keys: keys, in: kind, column: column)
    }

    private func literalKeys(_ expressions: [OTTLExpression]) throws(OTTLCompileError) -> [OTTLKey] {
        var keys: [OTTLKey] = []
        for k in expressions {
            switch k {
            case .literal(.string(let s), _): keys.append(.name(s))
            case .literal(.int(let i), _): keys.append(.index(i))
            default: throw OTTLCompileError(column: k.column, message: "a key must be a string or an integer literal in this version of Swiftlet")
            }
        }
        return keys
    }

    // MARK: Arguments

    /// The call's arguments in parameter order (named ones placed by name); missing optional
    /// ones are nil.
    func bind(_ call: OTTLCall, _ parameters: [String], required: Int) throws(OTTLCompileError) -> [OTTLExpression?] {
        var out = [OTTLExpression?](repeating: nil, count: parameters.count)
        var positional = 0
        var sawNamed = false
        for arg in call.arguments {
            if let name = arg.name {
                sawNamed = true
                guard let i = parameters.firstIndex(of: name) else {
                    throw OTTLCompileError(column: arg.value.column, message: "\(call.name) has no parameter named \(name)")
                }
                guard out[i] == nil else { throw OTTLCompileError(column: arg.value.column, message: "\(call.name): \(name) is given twice") }
                out[i] = arg.value
            } else {
                guard !sawNamed else { throw OTTLCompileError(column: arg.value.column, message: "positional arguments must come before named ones") }
                guard positional < parameters.count else {
                    throw OTTLCompileError(column: call.column, message: "too many arguments to \(call.name): it takes \(parameters.count)")
                }
                out[positional] = arg.value
                positional += 1
            }
        }
        for i in 0..<required where out[i] == nil {
            throw OTTLCompileError(column: call.column, message: "\(call.name) needs its \(parameters[i]) argument (\(required) required)")
        }
        return out
    }

    func literalString(_ e: OTTLExpression?, _ what: String) throws(OTTLCompileError) -> String {
        guard case .literal(.string(let s), _)? = e else {
            throw OTTLCompileError(column: e?.column ?? 0, message: "\(what) must be a string literal")
        }
        return s
    }

    func literalInt(_ e: OTTLExpression?, _ what: String) throws(OTTLCompileError) -> Int64 {
        guard case .literal(.int(let i), _)? = e else {
            throw OTTLCompileError(column: e?.column ?? 0, message: "\(what) must be an integer literal")
        }
        return i
    }

    func regexp(_ e: OTTLExpression?, _ what: String) throws(OTTLCompileError) -> GoRegexp {
        let text = try literalString(e, what)
        do {
            return try GoRegexp(text)
        } catch {
            throw OTTLCompileError(column: e?.column ?? 0, message: "the \(what) is not a valid regexp: \(error.description)")
        }
    }
}
