import Transport
import TraceModel

/// The converters and editors of this version, with the Collector's parameter names.
extension OTTLCompiler {
    static let converterNames = ["IsMatch", "Concat", "Split", "Int", "Double", "String", "Len", "SHA256", "TraceID", "SpanID"]
    static let editorNames = ["set", "delete_key", "delete_matching_keys", "keep_keys", "replace_pattern",
                              "replace_all_patterns", "replace_match", "truncate_all", "limit"]

    // MARK: Converters

    mutating func converter(_ call: OTTLCall) throws(OTTLCompileError) -> OTTLGetter {
        switch call.name {
        case "IsMatch":
            let a = try bind(call, ["target", "pattern"], required: 2)
            let target = try getter(a[0]!), pattern = try regexp(a[1], "pattern")
            return OTTLGetter { ctx throws(OTTLError) in
                switch try target.get(ctx) {
                case .none: return .bool(false)
                case .string(let s): return .bool(pattern.matches(s))
                case let v:
                    guard let text = OTTLText.scalarString(v) else { throw OTTLError("IsMatch: unsupported type \(v.typeName)") }
                    return .bool(pattern.matches(text))
                }
            }
        case "Concat":
            let a = try bind(call, ["vals", "delimiter"], required: 2)
            let values = try getter(a[0]!), delimiter = try literalString(a[1], "Concat's delimiter")
            return OTTLGetter { ctx throws(OTTLError) in
                guard case .list(let items) = try values.get(ctx) else { throw OTTLError("Concat: vals must be a list") }
                return .string(items.map { OTTLText.concatText(OTTLValue($0)) }.joined(separator: delimiter))
            }
        case "Split":
            let a = try bind(call, ["target", "delimiter"], required: 2)
            let target = try getter(a[0]!), delimiter = try literalString(a[1], "Split's delimiter")
            return OTTLGetter { ctx throws(OTTLError) in
                switch try target.get(ctx) {
                case .string(let s): return .list(OTTLText.split(s, by: delimiter).map { .string($0) })
                case let v: throw OTTLError("Split: expected a string, got \(v.typeName)")
                }
            }
        case "Int", "Double", "String", "Len", "SHA256":
            let a = try bind(call, ["target"], required: 1)
            let target = try getter(a[0]!)
            let name = call.name
            return OTTLGetter { ctx throws(OTTLError) in try OTTLText.convert(name, try target.get(ctx)) }
        case "TraceID", "SpanID":
            let a = try bind(call, ["bytes"], required: 1)
            let column = a[0]?.column ?? call.column
            let value: OTTLValue?
            switch (call.name, a[0]) {
            case let ("TraceID", .literal(.bytes(b), _)?): value = TraceID(bytes: b).map(OTTLValue.traceID)
            case let ("SpanID", .literal(.bytes(b), _)?): value = SpanID(bytes: b).map(OTTLValue.spanID)
            // Newer Collectors also take the id as a hex string.
            case let ("TraceID", .literal(.string(s), _)?): value = s.utf8.count == 32 ? TraceID(hex: s).map(OTTLValue.traceID) : nil
            case let ("SpanID", .literal(.string(s), _)?): value = s.utf8.count == 16 ? SpanID(hex: s).map(OTTLValue.spanID) : nil
            default: throw OTTLCompileError(column: column, message: "\(call.name) takes a bytes literal such as 0x0102… or a hex string")
            }
            guard let value else {
                throw OTTLCompileError(column: column, message: "\(call.name) needs \(call.name == "TraceID" ? 16 : 8) bytes (\(call.name == "TraceID" ? 32 : 16) hex digits)")
            }
            return .constant(value)
        default:
            let hint = Self.editorNames.contains(call.name.lowercased()) ? " (\(call.name.lowercased()) is an editor)" : ""
            throw OTTLCompileError(column: call.column, message: "undefined function \"\(call.name)\"\(hint); this version has \(Self.converterNames.joined(separator: ", "))")
        }
    }

    // MARK: Editors

    mutating func editor(_ call: OTTLCall) throws(OTTLCompileError) -> @Sendable (inout OTTLContext) throws(OTTLError) -> Void {
        switch call.name {
        case "set":
            let a = try bind(call, ["target", "value"], required: 2)
            let target = try path(a[0]!), value = try getter(a[1]!)
            return { ctx throws(OTTLError) in
                let v = try value.get(ctx)
                if case .none = v { return }
                try target.set(&ctx, v)
            }
        case "delete_key":
            let a = try bind(call, ["target", "key"], required: 2)
            let map = try mapPath(a[0]!, call), key = try literalString(a[1], "delete_key's key")
            return { ctx throws(OTTLError) in try map.edit(&ctx) { $0.swapRemove(key) } }
        case "delete_matching_keys":
            let a = try bind(call, ["target", "pattern"], required: 2)
            let map = try mapPath(a[0]!, call), pattern = try regexp(a[1], "pattern")
            return { ctx throws(OTTLError) in try map.edit(&ctx) { m in m.removeAll { pattern.matches($0.key) } } }
        case "keep_keys":
            let a = try bind(call, ["target", "keys"], required: 2)
            let map = try mapPath(a[0]!, call), keys = Set(try literalStrings(a[1], "keep_keys's keys"))
            return { ctx throws(OTTLError) in try map.edit(&ctx) { m in m.removeAll { !keys.contains($0.key) } } }
        case "truncate_all":
            let a = try bind(call, ["target", "limit"], required: 2)
            let map = try mapPath(a[0]!, call), limit = try literalInt(a[1], "truncate_all's limit")
            guard limit >= 0 else { throw OTTLCompileError(column: a[1]!.column, message: "invalid limit for truncate_all function, \(limit) cannot be negative") }
            return { ctx throws(OTTLError) in
                try map.edit(&ctx) { m in
                    for i in m.indices { if case .string(let s) = m[i].value, s.utf8.count > limit { m[i].value = .string(OTTLText.truncate(s, bytes: Int(limit))) } }
                }
            }
        case "limit":
            let a = try bind(call, ["target", "limit", "priority_keys"], required: 2)
            let map = try mapPath(a[0]!, call), limit = try literalInt(a[1], "limit's limit")
            let priority = a[2] == nil ? [] : try literalStrings(a[2], "limit's priority_keys")
            guard limit >= 1 else { throw OTTLCompileError(column: a[1]!.column, message: "invalid limit for limit function, \(limit) cannot be less than 1") }
            guard priority.count <= limit else {
                throw OTTLCompileError(column: a[2]!.column, message: "invalid limit for limit function, \(limit) cannot be less than number of priority attributes \(priority.count)")
            }
            let keep = Set(priority)
            return { ctx throws(OTTLError) in
                try map.edit(&ctx) { m in
                    guard m.count > limit else { return }
                    var count = Int64(m.filter { keep.contains($0.key) }.count)
                    m.removeAll { kv in
                        if keep.contains(kv.key) { return false }
                        if count < limit { count += 1; return false }
                        return true
                    }
                }
            }
        case "replace_pattern", "replace_match":
            let a = try bind(call, ["target", call.name == "replace_match" ? "pattern" : "regex", "replacement", "function", "replacementFormat"], required: 3)
            try refuseOptionalFunction(a, call)
            let target = try path(a[0]!), replacement = try literalString(a[2], "replacement")
            let rewrite = try rewriter(call.name == "replace_match" ? .glob : .regexp, a[1], replacement)
            return { ctx throws(OTTLError) in
                guard case .string(let s) = try target.getter.get(ctx), let changed = rewrite(s) else { return }
                try target.set(&ctx, .string(changed))
            }
        case "replace_all_patterns", "replace_all_matches":
            let a = try bind(call, ["target", "mode", "regex", "replacement", "function", "replacementFormat"], required: 4)
            try refuseOptionalFunction(a, call)
            let map = try mapPath(a[0]!, call), mode = try literalString(a[1], "mode"), replacement = try literalString(a[3], "replacement")
            guard mode == "key" || mode == "value" else { throw OTTLCompileError(column: a[1]!.column, message: "invalid mode \(mode), must be either 'key' or 'value'") }
            let rewrite = try rewriter(.regexp, a[2], replacement)
            return { ctx throws(OTTLError) in
                try map.edit(&ctx) { m in
                    if mode == "value" {
                        for i in m.indices { if case .string(let s) = m[i].value, let changed = rewrite(s) { m[i].value = .string(changed) } }
                    } else {
                        var out: [KeyValue] = []
                        for kv in m { out.put(rewrite(kv.key) ?? kv.key, kv.value) }
                        m = out
                    }
                }
            }
        default:
            let hint = Self.converterNames.contains(call.name) ? " (\(call.name) is a converter, which gives a value)" : ""
            throw OTTLCompileError(column: call.column, message: "undefined function \"\(call.name)\"\(hint); this version has \(Self.editorNames.joined(separator: ", "))")
        }
    }

    private enum PatternKind { case regexp, glob }

    /// The new text for a string the pattern matches, nil when it does not match.
    private func rewriter(_ kind: PatternKind, _ pattern: OTTLExpression?, _ replacement: String) throws(OTTLCompileError) -> @Sendable (String) -> String? {
        switch kind {
        case .regexp:
            let r = try regexp(pattern, "regex")
            return { s in r.matches(s) ? r.replaceAll(in: s, with: replacement) : nil }
        case .glob:
            let text = try literalString(pattern, "pattern")
            let glob = OTTLGlob(text)
            return { s in glob.matches(s) ? replacement : nil }
        }
    }

    private func refuseOptionalFunction(_ a: [OTTLExpression?], _ call: OTTLCall) throws(OTTLCompileError) {
        for e in a.suffix(2) {
            if let e { throw OTTLCompileError(column: e.column, message: "\(call.name)'s optional function and replacementFormat are not in this version of Swiftlet") }
        }
    }

    private func literalStrings(_ e: OTTLExpression?, _ what: String) throws(OTTLCompileError) -> [String] {
        guard case .list(let items, _)? = e else { throw OTTLCompileError(column: e?.column ?? 0, message: "\(what) must be a list of strings") }
        var out: [String] = []
        for item in items { out.append(try literalString(item, what)) }
        return out
    }

    private mutating func mapPath(_ e: OTTLExpression, _ call: OTTLCall) throws(OTTLCompileError) -> OTTLMapTarget {
        let p = try path(e)
        guard let access = p.map else {
            throw OTTLCompileError(column: e.column, message: "\(call.name) needs a map such as attributes; \(p.text) is not one")
        }
        return OTTLMapTarget(access: access)
    }
}

/// A map an editor changes in place.
struct OTTLMapTarget: Sendable {
    let access: OTTLPath.MapAccess

    func edit(_ ctx: inout OTTLContext, _ change: (inout [KeyValue]) -> Void) throws(OTTLError) {
        guard var m = access.read(ctx) else { return }
        change(&m)
        access.write(&ctx, m)
    }
}
