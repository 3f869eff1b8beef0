import Transport
import TraceModel

extension [AttributeAction] {
    /// Applies the actions in order to one attribute list, as the Collector's `AttrProc.Process`;
    /// `context` is the request's, for `from_context`.
    func apply(to attributes: inout [KeyValue], context: RequestContext?) {
        for action in self { action.apply(to: &attributes, context: context) }
    }
}

extension AttributeAction {
    func apply(to attributes: inout [KeyValue], context: RequestContext?) {
        switch kind {
        case .delete:
            attributes.swapRemove(key)
            for k in matchingKeys(attributes) { attributes.swapRemove(k) }
        case .insert:
            guard let v = sourceValue(attributes, context), !attributes.contains(where: { $0.hasKey(key) }) else { return }
            attributes.append(KeyValue(key, v))
        case .update:
            guard let v = sourceValue(attributes, context), let i = attributes.firstIndex(where: { $0.hasKey(key) }) else { return }
            attributes[i].value = v
        case .upsert:
            guard let v = sourceValue(attributes, context) else { return }
            attributes.put(key, v)
        case .hash:
            Self.hash(key, in: &attributes)
            for k in matchingKeys(attributes) { Self.hash(k, in: &attributes) }
        case .extract:
            extract(&attributes)
        case .convert:
            guard let i = attributes.firstIndex(where: { $0.hasKey(key) }), let convertedType else { return }
            if let converted = Self.convert(attributes[i].value, to: convertedType) { attributes[i].value = converted }
        }
    }

    private func sourceValue(_ attributes: [KeyValue], _ context: RequestContext?) -> AnyValue? {
        if let value { return value }
        if let fromContext { return Self.contextValue(fromContext, context) }
        guard let fromAttribute else { return nil }
        return attributes[key: fromAttribute]
    }

    /// The Collector's `getAttributeValueFromContext`: the sender's address (empty when unknown),
    /// an attribute the authenticator gave, or a metadata key's values joined with ";" (none: no
    /// value, the action does nothing).
    static func contextValue(_ key: String, _ context: RequestContext?) -> AnyValue? {
        if key == "client.address" { return .string(context?.peerIP ?? "") }
        if key.hasPrefix("auth.") { return context?.auth[String(key.dropFirst("auth.".count))].map(AnyValue.string) }
        let name = key.hasPrefix("metadata.") ? String(key.dropFirst("metadata.".count)) : key
        guard let values = context?.metadata[name.lowercased()], !values.isEmpty else { return nil }
        return .string(values.joined(separator: ";"))
    }

    /// The keys the pattern matches, in the list's order, gathered before any is changed.
    private func matchingKeys(_ attributes: [KeyValue]) -> [String] {
        guard let pattern else { return [] }
        return attributes.lazy.map(\.key).filter { pattern.matches($0) }
    }

    /// The key's value, if any, becomes the lowercase hex SHA-256 of its bytes: a string's UTF-8,
    /// a boolean as one byte, an integer or a double's bits as 8 little-endian bytes; any other
    /// kind becomes "" (the Collector's `sha2Hasher`).
    static func hash(_ key: String, in attributes: inout [KeyValue]) {
        guard let i = attributes.firstIndex(where: { $0.hasKey(key) }) else { return }
        let input: [UInt8]?
        switch attributes[i].value {
        case .string(let s): input = Array(s.utf8)
        case .bool(let b): input = [b ? 1 : 0]
        case .int(let v): input = littleEndianBytes(UInt64(bitPattern: v))
        case .double(let d): input = littleEndianBytes(d.bitPattern)
        default: input = nil
        }
        attributes[i].value = .string(input.map { Digest.hash(.sha256, $0).lowercaseHex } ?? "")
    }

    private static func littleEndianBytes(_ v: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }

    /// A string value matched by the pattern puts each named group's text under its name.
    private func extract(_ attributes: inout [KeyValue]) {
        guard let pattern, case .string(let text)? = attributes[key: key],
              let groups = pattern.firstSubmatches(text) else { return }
        for (name, value) in zip(pattern.groupNames, groups) {
            attributes.put(name ?? "", .string(value))
        }
    }

    /// The Collector's `convertValue`: nil where the value stays as it is (a string that is no
    /// number, or a kind with no conversion).
    static func convert(_ value: AnyValue, to type: ConvertedType) -> AnyValue? {
        switch (type, value) {
        case (.string, .string): return nil
        case (.string, _):
            var text = ""
            DebugTraceFormatter.appendAsString(value, to: &text)
            return .string(text)
        case (.int, .double(let d)): return .int(goInt64(d))
        case (.int, .bool(let b)): return .int(b ? 1 : 0)
        case (.int, .string(let s)): return Int64(s).map(AnyValue.int)  // strconv.ParseInt(s, 10, 64)
        case (.double, .int(let i)): return .double(Double(i))
        case (.double, .bool(let b)): return .double(b ? 1 : 0)
        case (.double, .string(let s)): return goParseFloat(s).map(AnyValue.double)
        default: return nil
        }
    }

    /// Go's `strconv.ParseFloat(s, 64)` where it succeeds: decimal or hex floats, `inf`,
    /// `infinity` and `nan` in any case; a finite number out of range is an error there.
    static func goParseFloat(_ s: String) -> Double? {
        guard let first = s.unicodeScalars.first, !first.properties.isWhitespace, let d = Double(s) else { return nil }
        if d.isInfinite, !s.lowercased().hasSuffix("inf"), !s.lowercased().hasSuffix("infinity") { return nil }
        return d
    }

    /// Go's `int64(f)`: truncation toward zero; out of range (and NaN) gives the minimum int64 on
    /// amd64 and arm64 alike for the cases that matter here.
    static func goInt64(_ d: Double) -> Int64 {
        guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return .min }
        return Int64(d.rounded(.towardZero))
    }
}
