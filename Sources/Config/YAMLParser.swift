import CYAML

/// YAML text → `ConfigNode`, through libyaml's event API.
/// Reads the first document only; anchors/aliases are resolved and `<<` merge keys applied.
public enum YAMLParser {
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let events = try EventStream(text: text, file: file)
        var builder = TreeBuilder(events: events, file: file)
        return try builder.document()
    }
}

/// One libyaml event, copied out so the C event can be deleted at once.
struct YAMLEvent {
    enum Kind { case streamStart, streamEnd, documentStart, documentEnd, alias, scalar, sequenceStart, sequenceEnd, mappingStart, mappingEnd, none }

    var kind: Kind
    var anchor: String? = nil
    var tag: String? = nil
    var value: String = ""
    var plain = false
    var line = 0
    var column = 0
}

/// Owns one `yaml_parser_t` and the input bytes it points into.
final class EventStream {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let file: String

    /// Fails before any stored property is set, so `deinit` only ever sees an initialized parser.
    init(text: String, file: String) throws(ConfigError) {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            throw ConfigError(file: file, message: "cannot initialize the YAML parser")
        }
        self.parser = parser
        self.file = file
        input = .allocate(capacity: max(text.utf8.count, 1))
        _ = input.initialize(from: text.utf8)
        yaml_parser_set_input_string(parser, input.baseAddress, text.utf8.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    func next() throws(ConfigError) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError() }
        defer { yaml_event_delete(&event) }
        return Self.convert(event)
    }

    private static func convert(_ event: yaml_event_t) -> YAMLEvent {
        var out = YAMLEvent(kind: .none, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT: out.kind = .streamStart
        case YAML_STREAM_END_EVENT: out.kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: out.kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: out.kind = .documentEnd
        case YAML_ALIAS_EVENT:
            out.kind = .alias
            out.anchor = string(event.data.alias.anchor)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            out.kind = .scalar
            out.anchor = string(scalar.anchor)
            out.tag = string(scalar.tag)
            out.value = string(scalar.value, length: scalar.length) ?? ""
            out.plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
        case YAML_SEQUENCE_START_EVENT:
            out.kind = .sequenceStart
            out.anchor = string(event.data.sequence_start.anchor)
        case YAML_SEQUENCE_END_EVENT: out.kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            out.kind = .mappingStart
            out.anchor = string(event.data.mapping_start.anchor)
        case YAML_MAPPING_END_EVENT: out.kind = .mappingEnd
        default: out.kind = .none
        }
        return out
    }

    private static func string(_ bytes: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let bytes else { return nil }
        let count = length ?? strlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    private func syntaxError() -> ConfigError {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        var message = "line \(p.problem_mark.line + 1), column \(p.problem_mark.column + 1): \(problem)"
        if let context = p.context {
            message += " (\(String(cString: context)) at line \(p.context_mark.line + 1), column \(p.context_mark.column + 1))"
        }
        return ConfigError(file: file, message: message)
    }
}

/// Builds the node tree from events: recursive descent over one document.
struct TreeBuilder {
    let events: EventStream
    let file: String
    private var anchors: [String: (node: ConfigNode, size: Int)] = [:]
    /// Nodes produced by alias expansion so far; bounded against "billion laughs" documents.
    private var aliasBudget = 1_000_000

    init(events: EventStream, file: String) {
        self.events = events
        self.file = file
    }

    mutating func document() throws(ConfigError) -> ConfigNode {
        _ = try expect(.streamStart)
        let first = try events.next()
        if first.kind == .streamEnd { return .null }
        guard first.kind == .documentStart else { throw unexpected(first) }
        let root = try node(try events.next(), path: "").node
        _ = try expect(.documentEnd)
        return root
    }

    private func expect(_ kind: YAMLEvent.Kind) throws(ConfigError) -> YAMLEvent {
        let event = try events.next()
        guard event.kind == kind else { throw unexpected(event) }
        return event
    }

    private func unexpected(_ event: YAMLEvent) -> ConfigError {
        ConfigError(file: file, message: "line \(event.line), column \(event.column): unexpected YAML event \(event.kind)")
    }

    /// Returns the node and its size (node count), used to bound alias expansion.
    private mutating func node(_ event: YAMLEvent, path: String) throws(ConfigError) -> (node: ConfigNode, size: Int) {
        let built: (node: ConfigNode, size: Int)
        switch event.kind {
        case .alias: return try alias(event, path: path)
        case .scalar: built = (Self.scalar(event), 1)
        case .sequenceStart: built = try sequence(path: path)
        case .mappingStart: built = try mapping(path: path)
        default: throw unexpected(event)
        }
        if let anchor = event.anchor { anchors[anchor] = built }
        return built
    }

    private mutating func alias(_ event: YAMLEvent, path: String) throws(ConfigError) -> (node: ConfigNode, size: Int) {
        guard let name = event.anchor, let target = anchors[name] else {
            throw ConfigError(file: file, keyPath: path, message: "line \(event.line), column \(event.column): unknown anchor '\(event.anchor ?? "")'")
        }
        aliasBudget -= target.size
        guard aliasBudget >= 0 else {
            throw ConfigError(file: file, keyPath: path, message: "line \(event.line), column \(event.column): too many alias expansions")
        }
        return target
    }

    private static let nullForms: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// Only a plain (unquoted) scalar can be null; `!!str`/`!!null` tags override.
    static func scalar(_ event: YAMLEvent) -> ConfigNode {
        switch event.tag {
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:str", "!": return quoted(event.value)
        default:
            guard event.plain else { return quoted(event.value) }
            return nullForms.contains(event.value) ? .null : .scalar(event.value)
        }
    }

    /// A scalar YAML takes as a string: `.string` only where plain text would mean something else.
    static func quoted(_ text: String) -> ConfigNode {
        YAMLScalar.isTyped(plain: text) ? .string(text) : .scalar(text)
    }

    private mutating func sequence(path: String) throws(ConfigError) -> (node: ConfigNode, size: Int) {
        var items: [ConfigNode] = []
        var size = 1
        while true {
            let event = try events.next()
            if event.kind == .sequenceEnd { break }
            let item = try node(event, path: KeyPath.index(path, items.count))
            items.append(item.node)
            size += item.size
        }
        return (.sequence(items), size)
    }

    private mutating func mapping(path: String) throws(ConfigError) -> (node: ConfigNode, size: Int) {
        var explicit: [ConfigEntry] = []
        var merged: [ConfigEntry] = []
        var lines: [String: Int] = [:]
        var size = 1
        while true {
            let keyEvent = try events.next()
            if keyEvent.kind == .mappingEnd { break }
            let key = try mappingKey(keyEvent, path: path)
            let value = try node(try events.next(), path: KeyPath.join(path, key))
            size += value.size + 1
            if key == "<<" && keyEvent.plain {
                merged += try mergeSources(value.node, path: path, event: keyEvent)
                continue
            }
            if let first = lines[key] {
                throw ConfigError(
                    file: file, keyPath: KeyPath.join(path, key),
                    message: "line \(keyEvent.line), column \(keyEvent.column): key '\(key)' already defined at line \(first)")
            }
            lines[key] = keyEvent.line
            explicit.append(ConfigEntry(key: key, value: value.node))
        }
        return (.mapping(Self.applyMerge(explicit: explicit, merged: merged)), size)
    }

    private mutating func mappingKey(_ event: YAMLEvent, path: String) throws(ConfigError) -> String {
        let key = try node(event, path: path).node
        switch key {
        case .scalar(let text), .string(let text): return text
        case .null: return event.value
        default:
            throw ConfigError(file: file, keyPath: path, message: "line \(event.line), column \(event.column): mapping keys must be scalars")
        }
    }

    /// `<<: *a` or `<<: [*a, *b]`; in a list, earlier mappings win.
    private func mergeSources(_ value: ConfigNode, path: String, event: YAMLEvent) throws(ConfigError) -> [ConfigEntry] {
        let sources: [ConfigNode]
        if case .sequence(let items) = value { sources = items } else { sources = [value] }
        var entries: [ConfigEntry] = []
        for source in sources {
            guard case .mapping(let sourceEntries) = source else {
                throw ConfigError(file: file, keyPath: path, message: "line \(event.line), column \(event.column): '<<' merge value must be a mapping or a list of mappings")
            }
            entries += sourceEntries.filter { entry in !entries.contains { $0.key == entry.key } }
        }
        return entries
    }

    /// Explicit keys override merged ones; merged keys follow the explicit ones.
    private static func applyMerge(explicit: [ConfigEntry], merged: [ConfigEntry]) -> [ConfigEntry] {
        guard !merged.isEmpty else { return explicit }
        var result = explicit
        for entry in merged where !result.contains(where: { $0.key == entry.key }) {
            result.append(entry)
        }
        return result
    }
}
