import Config
import TraceModel

/// One entry of the `actions` of the `attributes` processor (the `attributes` of the `resource`
/// processor), with the Collector's rules (its `attraction` package): what each action needs and
/// refuses is checked when the config is read.
struct AttributeAction: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case insert, update, upsert, delete, hash, extract, convert
    }

    enum ConvertedType: String, Sendable {
        case string, int, double
    }

    var key: String
    var kind: Kind
    /// insert / update / upsert: a fixed value, or the value of another attribute.
    var value: AnyValue?
    var fromAttribute: String?
    /// The request's context (`client.Info` upstream): `client.address`, `auth.<attribute>`,
    /// `metadata.<key>` (or a bare key, read as metadata as upstream still does).
    var fromContext: String?
    /// delete / hash: keys matching it too; extract: its named groups are the new keys.
    var pattern: GoRegexp?
    var convertedType: ConvertedType?

    /// `actions` (or the resource processor's `attributes`): required, and not empty.
    static func parseList(_ r: ConfigReader, key listKey: String, component: String) throws(ConfigError) -> [AttributeAction] {
        guard let readers = try r.mappingList(listKey), !readers.isEmpty else {
            throw r.error(listKey, "error creating \"\(component)\" processor due to missing required field \"\(listKey)\"")
        }
        var actions: [AttributeAction] = []
        for (index, reader) in readers.enumerated() {
            actions.append(try parse(reader, index: index))
        }
        return actions
    }

    static func parse(_ r: ConfigReader, index i: Int) throws(ConfigError) -> AttributeAction {
        let key = try r.string("key") ?? ""
        let actionText = try r.string("action") ?? ""
        let value = r.node("value")?.attributeValue
        let fromAttribute = try r.string("from_attribute") ?? ""
        let patternText = try r.string("pattern") ?? ""
        let convertedText = try r.string("converted_type") ?? ""
        let fromContext = try r.string("from_context") ?? ""
        guard let kind = Kind(rawValue: actionText.lowercased()) else {
            throw r.error("action", "error creating AttrProc due to unsupported action \"\(actionText)\" at the \(i)-th actions; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var action = AttributeAction(key: key, kind: kind)
        let sources = (value != nil ? 1 : 0) + (fromAttribute.isEmpty ? 0 : 1) + (fromContext.isEmpty ? 0 : 1)
        func refuse(_ field: String, _ message: String) -> ConfigError { r.error(field, message) }
        switch kind {
        case .delete, .hash:
            guard !key.isEmpty || !patternText.isEmpty else {
                throw refuse("key", "error creating AttrProc due to missing required field (at least one of \"key\" and \"pattern\" have to be used) at the \(i)-th actions")
            }
        default:
            guard !key.isEmpty else { throw refuse("key", "error creating AttrProc due to missing required field \"key\" at the \(i)-th actions") }
        }
        switch kind {
        case .insert, .update, .upsert:
            guard sources > 0 else {
                throw refuse("value", "error creating AttrProc. Either field \"value\", \"from_attribute\" or \"from_context\" setting must be specified for \(i)-th action")
            }
            guard sources == 1 else { throw refuse("value", "error creating AttrProc due to multiple value sources being set at the \(i)-th actions") }
            guard patternText.isEmpty else {
                throw refuse("pattern", "error creating AttrProc. Action \"\(kind.rawValue)\" does not use the \"pattern\" field. This must not be specified for \(i)-th action")
            }
            try noConvertedType(convertedText, kind, i, r)
            action.value = value
            action.fromAttribute = fromAttribute.isEmpty ? nil : fromAttribute
            action.fromContext = fromContext.isEmpty ? nil : fromContext
        case .delete, .hash:
            guard sources == 0 else {
                throw refuse("value", "error creating AttrProc. Action \"\(kind.rawValue)\" does not use \"value\" or \"from_attribute\" field. These must not be specified for \(i)-th action")
            }
            if !patternText.isEmpty { action.pattern = try compile(patternText, i, r) }
            try noConvertedType(convertedText, kind, i, r)
        case .extract:
            guard sources == 0 else {
                throw refuse("value", "error creating AttrProc. Action \"extract\" does not use a value source field. These must not be specified for \(i)-th action")
            }
            guard !patternText.isEmpty else {
                throw refuse("pattern", "error creating AttrProc due to missing required field \"pattern\" for action \"extract\" at the \(i)-th action")
            }
            try noConvertedType(convertedText, kind, i, r)
            let pattern = try compile(patternText, i, r)
            guard !pattern.groupNames.isEmpty else {
                throw refuse("pattern", "error creating AttrProc. Field \"pattern\" contains no named matcher groups at the \(i)-th actions")
            }
            guard !pattern.groupNames.contains(where: { $0 == nil || $0 == "" }) else {
                throw refuse("pattern", "error creating AttrProc. Field \"pattern\" contains at least one unnamed matcher group at the \(i)-th actions")
            }
            action.pattern = pattern
        case .convert:
            guard sources == 0, patternText.isEmpty else {
                throw refuse("value", "error creating AttrProc. Action \"convert\" does not use value sources or \"pattern\" field. These must not be specified for \(i)-th action")
            }
            guard !convertedText.isEmpty else {
                throw refuse("converted_type", "error creating AttrProc due to missing required field \"converted_type\" for action \"convert\" at the \(i)-th action")
            }
            guard let type = ConvertedType(rawValue: convertedText) else {
                throw refuse("converted_type", "error creating AttrProc due to invalid value \"\(convertedText)\" in field \"converted_type\" for action \"convert\" at the \(i)-th action")
            }
            action.convertedType = type
        }
        return action
    }

    private static func noConvertedType(_ text: String, _ kind: Kind, _ i: Int, _ r: ConfigReader) throws(ConfigError) {
        guard text.isEmpty else {
            throw r.error("converted_type", "error creating AttrProc. Action \"\(kind.rawValue)\" does not use the \"converted_type\" field. This must not be specified for \(i)-th action")
        }
    }

    private static func compile(_ text: String, _ i: Int, _ r: ConfigReader) throws(ConfigError) -> GoRegexp {
        do {
            return try GoRegexp(text)
        } catch {
            throw r.error("pattern", "error creating AttrProc. Field \"pattern\" has invalid pattern: \"\(text)\" to be set at the \(i)-th actions: \(error.description)")
        }
    }
}
