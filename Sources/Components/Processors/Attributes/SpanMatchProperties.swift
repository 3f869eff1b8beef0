import Config
import TraceModel

/// `include` / `exclude` of the `attributes` processor, as the Collector's `filterspan`: a span
/// matches when every property given matches (services, span names and kinds: any item of the
/// list; libraries, attributes and resources: every item).
struct SpanMatchProperties: Sendable {
    /// `match_type`: `strict` (equality) or `regexp` (Go's `MatchString`, unanchored).
    enum MatchType: String, Sendable { case strict, regexp }

    /// A set of strings to match a value against: any one matching is a match.
    struct StringSet: Sendable {
        var strict: Set<String> = []
        var patterns: [GoRegexp] = []

        func matches(_ text: String) -> Bool {
            strict.contains(text) || patterns.contains { $0.matches(text) }
        }
    }

    struct AttributeMatcher: Sendable {
        var key: String
        /// With `strict`: the value the attribute must equal (same kind).
        var value: AnyValue?
        /// With `regexp`: the pattern the attribute's text must match.
        var pattern: GoRegexp?
    }

    struct LibraryMatcher: Sendable {
        var name: StringSet
        var version: StringSet?
    }

    var services: StringSet?
    var spanNames: StringSet?
    var spanKinds: StringSet?
    var libraries: [LibraryMatcher] = []
    var attributes: [AttributeMatcher] = []
    var resources: [AttributeMatcher] = []

    /// Whether the span, in its scope and resource, has every property.
    func matches(_ span: Span, scope: InstrumentationScope, resource: Resource) -> Bool {
        if let services, !services.matches(Self.serviceName(resource)) { return false }
        if let spanNames, !spanNames.matches(span.name) { return false }
        if let spanKinds, !spanKinds.matches(Self.kindName(span.kind)) { return false }
        for library in libraries {
            guard library.name.matches(scope.name) else { return false }
            if let version = library.version, !version.matches(scope.version) { return false }
        }
        if !resources.isEmpty, !Self.matches(resources, resource.attributes) { return false }
        return Self.matches(attributes, span.attributes)
    }

    /// `service.name` as text, or upstream's stand-in when the resource has none.
    static func serviceName(_ resource: Resource) -> String {
        guard let value = resource.attributes[key: "service.name"] else { return "<nil-service-name>" }
        var text = ""
        DebugTraceFormatter.appendAsString(value, to: &text)
        return text
    }

    /// The proto enum's names (`traceutil.SpanKindStr`).
    static func kindName(_ kind: SpanKind) -> String {
        switch kind {
        case .unspecified: "SPAN_KIND_UNSPECIFIED"
        case .internal: "SPAN_KIND_INTERNAL"
        case .server: "SPAN_KIND_SERVER"
        case .client: "SPAN_KIND_CLIENT"
        case .producer: "SPAN_KIND_PRODUCER"
        case .consumer: "SPAN_KIND_CONSUMER"
        default: ""
        }
    }

    /// Every matcher matches: the key is there and, when a value or pattern is given, so is it.
    static func matches(_ matchers: [AttributeMatcher], _ attributes: [KeyValue]) -> Bool {
        guard !matchers.isEmpty else { return true }
        guard !attributes.isEmpty else { return false }
        for matcher in matchers {
            guard let value = attributes[key: matcher.key] else { return false }
            if let pattern = matcher.pattern {
                guard let text = regexpText(value), pattern.matches(text) else { return false }
            } else if let expected = matcher.value, !strictEquals(expected, value) {
                return false
            }
        }
        return true
    }

    /// The text a `regexp` attribute value is matched against; nil for kinds it does not match.
    static func regexpText(_ value: AnyValue) -> String? {
        switch value {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .double(let d): GoFormatting.formatFloat(d, "f")
        case .int(let i): String(i)
        default: nil
        }
    }

    /// Same kind and value; doubles compare as numbers (NaN equals nothing), as Go's `==`.
    static func strictEquals(_ a: AnyValue, _ b: AnyValue) -> Bool {
        if case .double(let x) = a, case .double(let y) = b { return x == y }
        return a == b
    }
}

// MARK: - Config

extension SpanMatchProperties {
    private static let kindNames: Set<String> = [
        "SPAN_KIND_INTERNAL", "SPAN_KIND_CLIENT", "SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER", "SPAN_KIND_PRODUCER",
    ]

    static func parse(_ r: ConfigReader) throws(ConfigError) -> SpanMatchProperties {
        let matchTypeText = try r.string("match_type") ?? ""
        if let regexp = try r.child("regexp") {
            // The compiled-pattern cache is how upstream speeds matching up; the results are the same.
            _ = try regexp.bool("cacheenabled")
            _ = try regexp.int("cachemaxnumentries")
        }
        for key in ["log_bodies", "log_severity_texts", "log_severity_number", "metric_names", "expressions", "resource_attributes"] where r.has(key) {
            _ = r.node(key)
            throw r.error(key, "\(key) should not be specified for trace spans")
        }
        let services = try r.stringList("services") ?? []
        let spanNames = try r.stringList("span_names") ?? []
        let spanKinds = try r.stringList("span_kinds") ?? []
        let attributeReaders = try r.mappingList("attributes") ?? []
        let resourceReaders = try r.mappingList("resources") ?? []
        let libraryReaders = try r.mappingList("libraries") ?? []
        guard !(services.isEmpty && spanNames.isEmpty && spanKinds.isEmpty && attributeReaders.isEmpty
            && resourceReaders.isEmpty && libraryReaders.isEmpty)
        else {
            throw r.error(nil, "at least one of \"services\", \"span_names\", \"span_kinds\", \"attributes\", \"libraries\" or \"resources\" must be specified")
        }
        let matchType = MatchType(rawValue: matchTypeText)
        func requireMatchType(_ key: String) throws(ConfigError) -> MatchType {
            guard let matchType else {
                throw r.error("match_type", "unrecognized match_type: '\(matchTypeText)', valid types are: [regexp strict]")
            }
            return matchType
        }
        if matchType == .strict, let bad = spanKinds.first(where: { !kindNames.contains($0) }) {
            throw r.error("span_kinds", "span_kinds string must match one of the standard span kinds when match_type=strict: \(kindNames.sorted()) (got '\(bad)')")
        }
        var p = SpanMatchProperties()
        if !services.isEmpty { p.services = try stringSet(services, try requireMatchType("services"), r, "services") }
        if !spanNames.isEmpty { p.spanNames = try stringSet(spanNames, try requireMatchType("span_names"), r, "span_names") }
        if !spanKinds.isEmpty { p.spanKinds = try stringSet(spanKinds, try requireMatchType("span_kinds"), r, "span_kinds") }
        for library in libraryReaders {
            let type = try requireMatchType("libraries")
            let name = try library.string("name") ?? ""
            let version = try library.string("version")
            p.libraries.append(LibraryMatcher(
                name: try stringSet([name], type, library, "name"),
                version: try version.map { v throws(ConfigError) in try stringSet([v], type, library, "version") }))
        }
        p.attributes = try attributeMatchers(attributeReaders, matchType, matchTypeText, r)
        p.resources = try attributeMatchers(resourceReaders, matchType, matchTypeText, r)
        return p
    }

    private static func stringSet(_ items: [String], _ type: MatchType, _ r: ConfigReader, _ key: String) throws(ConfigError) -> StringSet {
        var set = StringSet()
        switch type {
        case .strict: set.strict = Set(items)
        case .regexp:
            for item in items {
                do {
                    set.patterns.append(try GoRegexp(item))
                } catch {
                    throw r.error(key, error.description)
                }
            }
        }
        return set
    }

    private static func attributeMatchers(_ readers: [ConfigReader], _ type: MatchType?, _ typeText: String, _ r: ConfigReader) throws(ConfigError) -> [AttributeMatcher] {
        var matchers: [AttributeMatcher] = []
        for reader in readers {
            let key = try reader.string("key") ?? ""
            guard !key.isEmpty else { throw reader.error("key", "can't have empty key in the list of attributes") }
            var matcher = AttributeMatcher(key: key)
            if let value = reader.node("value")?.attributeValue {
                switch type {
                case .strict?: matcher.value = value
                case .regexp?:
                    guard case .string(let text) = value else {
                        throw reader.error("value", "match_type=regexp for \"\(key)\" only supports Str, but found \(DebugTraceFormatter.typeName(value))")
                    }
                    do {
                        matcher.pattern = try GoRegexp(text)
                    } catch {
                        throw reader.error("value", error.description)
                    }
                case nil:
                    throw r.error("match_type", "unrecognized match_type: '\(typeText)', valid types are: [regexp strict]")
                }
            }
            matchers.append(matcher)
        }
        return matchers
    }
}

/// `include` and `exclude` together: a span is skipped unless it matches `include` (when given),
/// and skipped when it matches `exclude` (when given).
struct SpanMatchConfig: Sendable {
    var include: SpanMatchProperties?
    var exclude: SpanMatchProperties?

    var isEmpty: Bool { include == nil && exclude == nil }

    static func parse(_ r: ConfigReader) throws(ConfigError) -> SpanMatchConfig {
        SpanMatchConfig(include: try r.child("include").map(SpanMatchProperties.parse),
                        exclude: try r.child("exclude").map(SpanMatchProperties.parse))
    }

    func skips(_ span: Span, scope: InstrumentationScope, resource: Resource) -> Bool {
        if let include, !include.matches(span, scope: scope, resource: resource) { return true }
        if let exclude, exclude.matches(span, scope: scope, resource: resource) { return true }
        return false
    }
}
