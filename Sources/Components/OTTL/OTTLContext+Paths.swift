import TraceModel

/// A key after a path: `["name"]` into a map, `[0]` into a list.
enum OTTLKey: Sendable {
    case name(String)
    case index(Int64)
}

struct OTTLCompileError: Error, CustomStringConvertible {
    var column: Int
    var message: String
    var description: String { "column \(column): \(message)" }
}

extension OTTLContext {
    /// The path `names` (and `keys`) means in a context of `kind`: a context's own fields bare or
    /// with its name in front (`span.name`), the fields of the contexts around it with theirs
    /// (`resource.attributes`, `instrumentation_scope.name`).
    static func path(_ names: [String], keys: [OTTLKey], in kind: Kind, column: Int) throws(OTTLCompileError) -> OTTLPath {
        let text = names.joined(separator: ".") + keys.map { key in
            switch key {
            case .name(let s): "[\"\(s)\"]"
            case .index(let i): "[\(i)]"
            }
        }.joined()
        func fail(_ why: String) -> OTTLCompileError { OTTLCompileError(column: column, message: "path \"\(text)\": \(why)") }
        var rest = names[...]
        var level = kind
        switch names.first {
        case "resource":
            level = .resource
            rest = rest.dropFirst()
        case "instrumentation_scope" where kind >= .scope, "scope" where kind >= .scope:
            level = .scope
            rest = rest.dropFirst()
        case "span" where kind >= .span:
            level = .span
            rest = rest.dropFirst()
        case "spanevent" where kind == .spanevent:
            rest = rest.dropFirst()
        default:
            break
        }
        guard let field = field(Array(rest), level: level) else {
            throw fail("not a path of the \(kind.rawValue) context")
        }
        switch field {
        case .attributes(let kp):
            return attributesPath(kp, keys: keys, text: text)
        case .scalar(let path) where keys.isEmpty:
            return OTTLPath(getter: path.getter, set: path.set, map: nil, text: text)
        case .scalar:
            throw fail("only maps and lists take keys")
        }
    }

    /// A key path into the context; immutable, so safe to share between threads.
    /// `read` is the same field as a plain closure: reads run per span, and a key path read goes
    /// through the runtime's generic projection, several times the cost.
    struct Field<Value>: @unchecked Sendable {
        let path: WritableKeyPath<OTTLContext, Value>
        let read: @Sendable (OTTLContext) -> Value
        init(_ path: WritableKeyPath<OTTLContext, Value>, read: @escaping @Sendable (OTTLContext) -> Value) {
            self.path = path
            self.read = read
        }
    }

    private enum FieldKind {
        case attributes(Field<[KeyValue]>)
        case scalar(OTTLPath)
    }

    private static func field(_ names: [String], level: Kind) -> FieldKind? {
        let name = names.joined(separator: ".")
        switch (level, name) {
        case (.resource, "attributes"): return .attributes(Field(\.resource.attributes) { $0.resource.attributes })
        case (.resource, "dropped_attributes_count"): return .scalar(count(Field(\.resource.droppedAttributesCount) { $0.resource.droppedAttributesCount }, name))
        case (.scope, "attributes"): return .attributes(Field(\.scope.attributes) { $0.scope.attributes })
        case (.scope, "name"): return .scalar(string(Field(\.scope.name) { $0.scope.name }, name))
        case (.scope, "version"): return .scalar(string(Field(\.scope.version) { $0.scope.version }, name))
        case (.scope, "dropped_attributes_count"): return .scalar(count(Field(\.scope.droppedAttributesCount) { $0.scope.droppedAttributesCount }, name))
        case (.span, "attributes"): return .attributes(Field(\.span.attributes) { $0.span.attributes })
        case (.span, "name"): return .scalar(string(Field(\.span.name) { $0.span.name }, name))
        case (.span, "trace_state"): return .scalar(string(Field(\.span.traceState) { $0.span.traceState }, name))
        case (.span, "status.message"): return .scalar(string(Field(\.span.status.message) { $0.span.status.message }, name))
        case (.span, "kind"): return .scalar(int32(Field(\.span.kind.rawValue) { $0.span.kind.rawValue }, name))
        case (.span, "status.code"): return .scalar(int32(Field(\.span.status.code.rawValue) { $0.span.status.code.rawValue }, name))
        case (.span, "start_time_unix_nano"): return .scalar(nanos(Field(\.span.startTimeUnixNano) { $0.span.startTimeUnixNano }, name))
        case (.span, "end_time_unix_nano"): return .scalar(nanos(Field(\.span.endTimeUnixNano) { $0.span.endTimeUnixNano }, name))
        case (.span, "dropped_attributes_count"): return .scalar(count(Field(\.span.droppedAttributesCount) { $0.span.droppedAttributesCount }, name))
        case (.span, "dropped_events_count"): return .scalar(count(Field(\.span.droppedEventsCount) { $0.span.droppedEventsCount }, name))
        case (.span, "dropped_links_count"): return .scalar(count(Field(\.span.droppedLinksCount) { $0.span.droppedLinksCount }, name))
        case (.span, "flags"): return .scalar(count(Field(\.span.flags) { $0.span.flags }, name))
        case (.span, "trace_id"): return .scalar(traceID(name, hex: false))
        case (.span, "trace_id.string"): return .scalar(traceID(name, hex: true))
        case (.span, "span_id"): return .scalar(spanID(Field(\.span.spanID) { $0.span.spanID }, name, hex: false))
        case (.span, "span_id.string"): return .scalar(spanID(Field(\.span.spanID) { $0.span.spanID }, name, hex: true))
        case (.span, "parent_span_id"): return .scalar(spanID(Field(\.span.parentSpanID) { $0.span.parentSpanID }, name, hex: false))
        case (.span, "parent_span_id.string"): return .scalar(spanID(Field(\.span.parentSpanID) { $0.span.parentSpanID }, name, hex: true))
        case (.spanevent, "attributes"): return .attributes(Field(\.event.attributes) { $0.event.attributes })
        case (.spanevent, "name"): return .scalar(string(Field(\.event.name) { $0.event.name }, name))
        case (.spanevent, "time_unix_nano"): return .scalar(nanos(Field(\.event.timeUnixNano) { $0.event.timeUnixNano }, name))
        case (.spanevent, "dropped_attributes_count"): return .scalar(count(Field(\.event.droppedAttributesCount) { $0.event.droppedAttributesCount }, name))
        default: return nil
        }
    }

    // MARK: Scalar fields

    private static func string(_ kp: Field<String>, _ text: String) -> OTTLPath {
        OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in .string(kp.read(ctx)) },
                 set: { ctx, v throws(OTTLError) in if case .string(let s) = v { ctx[keyPath: kp.path] = s } }, map: nil, text: text)
    }

    private static func int32(_ kp: Field<Int32>, _ text: String) -> OTTLPath {
        OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in .int(Int64(kp.read(ctx))) },
                 set: { ctx, v throws(OTTLError) in if case .int(let i) = v, let n = Int32(exactly: i) { ctx[keyPath: kp.path] = n } }, map: nil, text: text)
    }

    private static func count(_ kp: Field<UInt32>, _ text: String) -> OTTLPath {
        OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in .int(Int64(kp.read(ctx))) },
                 set: { ctx, v throws(OTTLError) in if case .int(let i) = v { ctx[keyPath: kp.path] = UInt32(truncatingIfNeeded: i) } }, map: nil, text: text)
    }

    private static func nanos(_ kp: Field<UInt64>, _ text: String) -> OTTLPath {
        OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in .int(Int64(bitPattern: kp.read(ctx))) },
                 set: { ctx, v throws(OTTLError) in if case .int(let i) = v { ctx[keyPath: kp.path] = UInt64(bitPattern: i) } }, map: nil, text: text)
    }

    private static func traceID(_ text: String, hex: Bool) -> OTTLPath {
        OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in hex ? .string(ctx.span.traceID.hex) : .traceID(ctx.span.traceID) },
                 set: { ctx, v throws(OTTLError) in
                     switch v {
                     case .traceID(let id): ctx.span.traceID = id
                     case .string(let s) where hex: if let id = TraceID(hex: s) { ctx.span.traceID = id }
                     default: break
                     }
                 }, map: nil, text: text)
    }

    private static func spanID(_ kp: Field<SpanID>, _ text: String, hex: Bool) -> OTTLPath {
        OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in hex ? .string(kp.read(ctx).hex) : .spanID(kp.read(ctx)) },
                 set: { ctx, v throws(OTTLError) in
                     switch v {
                     case .spanID(let id): ctx[keyPath: kp.path] = id
                     case .string(let s) where hex: if let id = SpanID(hex: s) { ctx[keyPath: kp.path] = id }
                     default: break
                     }
                 }, map: nil, text: text)
    }

    // MARK: Attributes

    /// `attributes` (the whole map) or `attributes["k"]…`: reading a missing key gives nil,
    /// setting one puts it (nested maps and lists must exist already, as upstream).
    private static func attributesPath(_ kp: Field<[KeyValue]>, keys: [OTTLKey], text: String) -> OTTLPath {
        let access = OTTLPath.MapAccess(read: { ctx in kp.read(ctx) }, write: { ctx, m in ctx[keyPath: kp.path] = m })
        guard let first = keys.first else {
            return OTTLPath(getter: OTTLGetter { ctx throws(OTTLError) in .map(kp.read(ctx)) },
                            set: { ctx, v throws(OTTLError) in if case .map(let m) = v { ctx[keyPath: kp.path] = m } }, map: access, text: text)
        }
        let rest = Array(keys.dropFirst())
        guard case .name(let key) = first else {
            return OTTLPath(getter: OTTLGetter { _ throws(OTTLError) in throw OTTLError("\(text): a map takes a string key") },
                            set: { _, _ throws(OTTLError) in throw OTTLError("\(text): a map takes a string key") }, map: nil, text: text)
        }
        let nestedMap = OTTLPath.MapAccess(
            read: { ctx in
                guard case .kvlist(let m)? = nested(kp.read(ctx)[key: key], rest) else { return nil }
                return m
            },
            write: { ctx, m in
                guard let i = ctx[keyPath: kp.path].firstIndex(where: { $0.hasKey(key) }) else { return }
                _ = setNested(&ctx[keyPath: kp.path][i].value, rest, .kvlist(m))
            })
        return OTTLPath(
            getter: OTTLGetter { ctx throws(OTTLError) in
                guard let value = nested(kp.read(ctx)[key: key], rest) else { return .none }
                return OTTLValue(value)
            },
            set: { ctx, v throws(OTTLError) in
                guard let value = v.anyValue else { return }
                if rest.isEmpty { return ctx[keyPath: kp.path].put(key, value) }
                guard let i = ctx[keyPath: kp.path].firstIndex(where: { $0.hasKey(key) }) else { return }
                guard setNested(&ctx[keyPath: kp.path][i].value, rest, value) else { throw OTTLError("\(text): no such key or index to set") }
            },
            map: nestedMap, text: text)
    }

    static func nested(_ value: AnyValue?, _ keys: [OTTLKey]) -> AnyValue? {
        var current = value
        for key in keys {
            switch (current, key) {
            case let (.kvlist(m)?, .name(k)): current = m[key: k]
            case let (.array(a)?, .index(i)): current = i >= 0 && i < a.count ? a[Int(i)] : nil
            default: return nil
            }
        }
        return current
    }

    static func setNested(_ target: inout AnyValue, _ keys: [OTTLKey], _ value: AnyValue) -> Bool {
        guard let key = keys.first else {
            target = value
            return true
        }
        let rest = Array(keys.dropFirst())
        switch (target, key) {
        case (.kvlist(var m), .name(let k)):
            if rest.isEmpty {
                m.put(k, value)
            } else {
                guard let i = m.firstIndex(where: { $0.hasKey(k) }), setNested(&m[i].value, rest, value) else { return false }
            }
            target = .kvlist(m)
            return true
        case (.array(var a), .index(let i)):
            guard i >= 0, i < a.count, setNested(&a[Int(i)], rest, value) else { return false }
            target = .array(a)
            return true
        default:
            return false
        }
    }
}
