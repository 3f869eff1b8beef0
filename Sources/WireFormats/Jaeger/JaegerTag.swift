import TraceModel

/// A tag as the translation rules read and edit it: the model's attribute, or a Thrift tag still
/// in the request body (`JaegerThriftTag`). Keys compare byte for byte, as Go compares map keys.
protocol JaegerTag {
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R
    var value: AnyValue { get }
    /// Takes `other`'s value; the key is the same.
    mutating func takeValue(of other: Self)
}

extension KeyValue: JaegerTag {
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var key = key
        return key.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    mutating func takeValue(of other: KeyValue) { value = other.value }
}

extension Array where Element: JaegerTag {
    /// `pcommon.Map.Remove`: the last tag takes the removed one's place.
    mutating func swapRemove(at index: Int) {
        self[index] = self[count - 1]
        removeLast()
    }
}

/// Where the tags the translation reads or removes sit in a tag list, found in one pass rather
/// than one scan per key (most spans carry none of them but `span.kind`). Removal keeps the
/// positions up to date, so the tags end in the same order as with one scan and removal per key.
struct JaegerSpecialTags {
    enum Key: Int {
        case spanKind, error, otelStatusCode, otelStatusDescription, httpStatusCode, httpStatusMessage
        /// A log's field naming its event.
        case event
    }

    /// The first tag with each key, or -1.
    private var positions = SIMD8<Int32>(repeating: -1)

    init<Tag: JaegerTag>(_ tags: [Tag]) {
        for i in tags.indices {
            guard let key = tags[i].withKeyBytes(Self.key), positions[key.rawValue] < 0 else { continue }
            positions[key.rawValue] = Int32(i)
        }
    }

    static func key(_ name: UnsafeRawBufferPointer) -> Key? {
        switch name.count {
        case 5: name.hasSameBytes(as: "error") ? .error : name.hasSameBytes(as: "event") ? .event : nil
        case 9: name.hasSameBytes(as: "span.kind") ? .spanKind : nil
        case 16: name.hasSameBytes(as: "otel.status_code") ? .otelStatusCode
            : name.hasSameBytes(as: "http.status_code") ? .httpStatusCode : nil
        case 19: name.hasSameBytes(as: "http.status_message") ? .httpStatusMessage : nil
        case 23: name.hasSameBytes(as: "otel.status_description") ? .otelStatusDescription : nil
        default: nil
        }
    }

    func value<Tag: JaegerTag>(_ key: Key, in tags: [Tag]) -> AnyValue? {
        let i = Int(positions[key.rawValue])
        return i < 0 ? nil : tags[i].value
    }

    @discardableResult
    mutating func remove<Tag: JaegerTag>(_ key: Key, from tags: inout [Tag]) -> AnyValue? {
        let i = Int(positions[key.rawValue])
        guard i >= 0 else { return nil }
        let value = tags[i].value
        let last = tags.count - 1
        tags.swapRemove(at: i)
        positions[key.rawValue] = -1
        // The tag that was last now sits at `i`.
        positions.replace(with: Int32(i), where: positions .== Int32(last))
        return value
    }
}

/// Tags put one by one into a list as `pcommon.Map` puts them: a repeated key keeps its first
/// position and takes the last value.
struct JaegerAttributes<Tag: JaegerTag> {
    private(set) var list: [Tag] = []
    /// Keys put so far: a key it has not seen is appended without comparing it to every key
    /// before it (tags rarely repeat).
    private var seen = TagKeyFilter()
    /// A long list gets an index (hash of the key → positions), so that forged input cannot make
    /// putting quadratic.
    private var index: [Int: [Int]]?

    init(capacity: Int) {
        reset(capacity: capacity)
    }

    /// Empties the list for reuse, keeping its storage.
    mutating func reset(capacity: Int) {
        list.removeAll(keepingCapacity: true)
        list.reserveCapacity(capacity)
        seen = TagKeyFilter()
        index = capacity > 32 ? [:] : nil
    }

    mutating func put(_ tag: Tag) {
        tag.withKeyBytes { key in
            if index != nil {
                putIndexed(tag, key)
            } else if seen.insert(key), let at = list.firstIndex(where: { $0.withKeyBytes { $0.hasSameBytes(as: key) } }) {
                list[at].takeValue(of: tag)
            } else {
                list.append(tag)
            }
        }
    }

    /// Edits the list in place (the translation's removals); put nothing more after.
    mutating func edit<R>(_ body: (inout [Tag]) -> R) -> R { body(&list) }

    private mutating func putIndexed(_ tag: Tag, _ key: UnsafeRawBufferPointer) {
        var hasher = Hasher()
        hasher.combine(bytes: key)
        let hash = hasher.finalize()
        if let at = index?[hash]?.first(where: { list[$0].withKeyBytes { $0.hasSameBytes(as: key) } }) {
            list[at].takeValue(of: tag)
        } else {
            index?[hash, default: []].append(list.count)
            list.append(tag)
        }
    }
}
