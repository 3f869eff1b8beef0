import Diagnostics
import TraceModel

/// The JSON reading both Zipkin JSON formats share (v2 spans and v1 spans have the same ids,
/// numbers and endpoints), with errors as `ZipkinDecodeError`. Keys are matched in place.
struct ZipkinJSONReader {
    var json: JSONReader
    let maxDepth: Int
    /// Span names and service names: they repeat from span to span.
    private var repeated = StringInterner()
    /// Where tag text with escapes goes once decoded.
    let arena: TextArena

    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int, arena: TextArena) {
        json = JSONReader(bytes)
        self.maxDepth = maxDepth
        self.arena = arena
    }

    @inline(__always)
    mutating func run<T>(_ body: (inout JSONReader) throws(JSONDecodeError) -> T) throws(ZipkinDecodeError) -> T {
        do throws(JSONDecodeError) {
            return try body(&json)
        } catch {
            throw ZipkinDecodeError(error)
        }
    }

    /// Calls `element` for each span of the top-level list with its index; `null` elements are
    /// skipped and a `null` body is an empty list, as Go's encoding/json reads them.
    mutating func forEachSpan(_ element: (inout ZipkinJSONReader, Int) throws(ZipkinDecodeError) -> Void) throws(ZipkinDecodeError) {
        try run { r throws(JSONDecodeError) in
            r.skipWhitespace()
            guard r.position < r.end else { throw JSONDecodeError(.emptyBody, at: 0) }
        }
        if try run({ r throws(JSONDecodeError) in try r.consumeNull() }) { return try expectEnd() }
        try run { r throws(JSONDecodeError) in try r.beginArray() }
        var first = true
        var index = 0
        while try run({ r throws(JSONDecodeError) in try r.nextElement(&first) }) {
            if try !run({ r throws(JSONDecodeError) in try r.consumeNull() }) {
                do throws(ZipkinDecodeError) {
                    try element(&self, index)
                } catch {
                    throw error.inSpan(index)
                }
            }
            index += 1
        }
        try expectEnd()
    }

    private mutating func expectEnd() throws(ZipkinDecodeError) {
        try run { r throws(JSONDecodeError) in
            r.skipWhitespace()
            guard r.position == r.end else { throw JSONDecodeError(.trailingGarbage, at: r.position) }
        }
    }

    /// Calls `member` for each key of an object whose value is not `null`; the key's text is
    /// added to the field path of any error.
    mutating func forEachMember(_ member: (inout ZipkinJSONReader, JSONMemberKey) throws(ZipkinDecodeError) -> Void) throws(ZipkinDecodeError) {
        try run { r throws(JSONDecodeError) in try r.beginObject() }
        var first = true
        while let key = try run({ r throws(JSONDecodeError) in try r.nextMemberKey(&first) }) {
            if try run({ r throws(JSONDecodeError) in try r.consumeNull() }) { continue }
            do throws(ZipkinDecodeError) {
                try member(&self, key)
            } catch {
                throw error.within(key.text)
            }
        }
    }

    /// Calls `element` for each element of an array, adding `[index]` to the path of any error.
    mutating func forEachElement(_ element: (inout ZipkinJSONReader) throws(ZipkinDecodeError) -> Void) throws(ZipkinDecodeError) {
        try run { r throws(JSONDecodeError) in try r.beginArray() }
        var first = true
        var index = 0
        while try run({ r throws(JSONDecodeError) in try r.nextElement(&first) }) {
            try inZipkinField("[\(index)]") { () throws(ZipkinDecodeError) in try element(&self) }
            index += 1
        }
    }

    mutating func skip() throws(ZipkinDecodeError) {
        let depth = maxDepth
        try run { r throws(JSONDecodeError) in try r.skipValue(depthLeft: depth, limit: depth) }
    }

    mutating func string() throws(ZipkinDecodeError) -> String {
        try run { r throws(JSONDecodeError) in try r.readString() }
    }

    /// A string that likely repeats in the request (see `StringInterner`).
    mutating func repeatedString() throws(ZipkinDecodeError) -> String {
        let start = json.position
        if let bytes = try run({ r throws(JSONDecodeError) in try r.readStringInPlace() }), let text = repeated.string(bytes) {
            return text
        }
        json.position = start  // escapes, or invalid UTF-8: the general path decodes or reports it
        return try string()
    }

    mutating func bool() throws(ZipkinDecodeError) -> Bool {
        try run { r throws(JSONDecodeError) in try r.readBool() }
    }

    /// A non-negative integer. Numbers written with a fraction or exponent are accepted when
    /// their value is integral (old Envoy versions write timestamps as `1.58266276796031e+15`).
    mutating func unsignedInteger() throws(ZipkinDecodeError) -> UInt64 {
        let start = json.position
        let number = try run { r throws(JSONDecodeError) in try r.readNumberToken() }
        if let value = number.uint64 { return value }
        if number.text.first == UInt8(ascii: "-") { throw ZipkinDecodeError("must not be negative", offset: start) }
        throw ZipkinDecodeError("must be an integer of at most 64 bits", offset: start)
    }

    /// Calls `body` with the bytes of a string value (decoded when it has escapes).
    mutating func withStringBytes<T>(_ body: (UnsafeRawBufferPointer) throws(ZipkinDecodeError) -> T) throws(ZipkinDecodeError) -> T {
        if let bytes = try run({ r throws(JSONDecodeError) in try r.readStringInPlace() }) { return try body(bytes) }
        var text = try string()
        let result = text.withUTF8 { utf8 in
            Result { () throws(ZipkinDecodeError) in try body(UnsafeRawBufferPointer(utf8)) }
        }
        return try result.get()
    }

    /// 32 hex digits, or 16 for a 64-bit id (zero-padded); not all zeros.
    mutating func traceID() throws(ZipkinDecodeError) -> TraceID {
        let start = json.position
        return try withStringBytes { bytes throws(ZipkinDecodeError) in
            guard bytes.count == 16 || bytes.count == 32 else {
                throw ZipkinDecodeError("must be 16 or 32 hex characters, got \(bytes.count)", offset: start)
            }
            guard let id = TraceID(hexDigits: bytes) else { throw ZipkinDecodeError("is not hex", offset: start) }
            guard !id.isZero else { throw ZipkinDecodeError("must not be all zeros", offset: start) }
            return id
        }
    }

    /// 16 hex digits; `allowingEmpty` reads "" as no id (a root span's `parentId`).
    mutating func spanID(allowingEmpty: Bool = false) throws(ZipkinDecodeError) -> SpanID {
        let start = json.position
        return try withStringBytes { bytes throws(ZipkinDecodeError) in
            if bytes.isEmpty && allowingEmpty { return .zero }
            guard bytes.count == 16 else { throw ZipkinDecodeError("must be 16 hex characters, got \(bytes.count)", offset: start) }
            guard let id = SpanID(hexDigits: bytes) else { throw ZipkinDecodeError("is not hex", offset: start) }
            return id
        }
    }

    /// A non-zero span id, as upstream requires of `id`.
    mutating func requiredSpanID() throws(ZipkinDecodeError) -> SpanID {
        let start = json.position
        let id = try spanID()
        guard !id.isZero else { throw ZipkinDecodeError("must not be all zeros", offset: start) }
        return id
    }

    /// Reads a member v1 and v2 spans share (`traceId`, `id`, `parentId`, `name`) into `ids`;
    /// false, reading nothing, for any other key.
    mutating func identityMember(_ key: JSONMemberKey, into ids: inout ZipkinSpanIdentity) throws(ZipkinDecodeError) -> Bool {
        switch key.index(in: Self.identityKeys) {
        case 0: ids.traceID = try traceID()
        case 1: ids.id = try requiredSpanID()
        case 2: ids.parentID = try spanID(allowingEmpty: true)
        case 3: ids.name = try repeatedString()
        default: return false
        }
        return true
    }

    private static let identityKeys = JSONMemberNames(["traceid", "id", "parentid", "name"])

    /// `{serviceName, ipv4, ipv6, port}`; nil when empty, as upstream drops empty endpoints.
    mutating func endpoint() throws(ZipkinDecodeError) -> ZipkinEndpoint? {
        var endpoint = ZipkinEndpoint()
        try forEachMember { r, key throws(ZipkinDecodeError) in
            switch key.index(in: Self.endpointKeys) {
            case 0: endpoint.serviceName = try r.repeatedString()
            case 1: endpoint.ipv4 = try r.ipAddress()
            case 2: endpoint.ipv6 = try r.ipAddress()
            case 3:
                let start = r.json.position
                guard let port = UInt16(exactly: try r.unsignedInteger()) else {
                    throw ZipkinDecodeError("must be a port number from 0 to 65535", offset: start)
                }
                endpoint.port = port
            default: try r.skip()
            }
        }
        return endpoint.isEmpty ? nil : endpoint
    }

    private static let endpointKeys = JSONMemberNames(["servicename", "ipv4", "ipv6", "port"])

    /// IP text as Go's `net.IP` reads it: "" is no address, anything else must parse.
    private mutating func ipAddress() throws(ZipkinDecodeError) -> String? {
        let start = json.position
        return try withStringBytes { bytes throws(ZipkinDecodeError) in
            if bytes.isEmpty { return nil }
            guard let address = IPAddressText.parse(bytes) else {
                throw ZipkinDecodeError("is not an IP address: \"\(String(decoding: bytes.prefix(64), as: UTF8.self))\"", offset: start)
            }
            return IPAddressText.format(address)
        }
    }

    /// A string → string object into `tags`, keeping keys unique (the last value wins, as a Go
    /// map gets it). Text without escapes stays in the body.
    mutating func tags(into tags: inout [ZipkinTag]) throws(ZipkinDecodeError) {
        tags.reserveCapacity(16)
        if tags.isEmpty, plainTags(into: &tags) { return }
        // A repeated `tags` member adds to the map, as Go's decoder fills the same map.
        var seen = TagKeyFilter()
        for tag in tags { _ = seen.insert(tag.key) }
        try forEachMember { r, key throws(ZipkinDecodeError) in
            let name: UnsafeRawBufferPointer
            if let decoded = key.decoded {
                name = r.arena.copy(decoded)
            } else {
                guard UTF8Text.isValid(key.bytes.assumingMemoryBound(to: UInt8.self)) else { throw ZipkinDecodeError("invalid UTF-8 in tag key") }
                name = key.bytes
            }
            tags.put(ZipkinTag(key: name, value: try r.text()), seen: &seen)
        }
    }

    /// The tags object in one pass while it holds only string members without escapes (Envoy's
    /// and most clients' tags). Anything else returns false with nothing read and `tags` left
    /// empty, and `tags(into:)` reads the object member by member, reporting any error.
    private mutating func plainTags(into tags: inout [ZipkinTag]) -> Bool {
        let start = json.position
        var seen = TagKeyFilter()
        guard readPlainTags(into: &tags, &seen) else {
            json.position = start
            tags.removeAll(keepingCapacity: true)
            return false
        }
        return true
    }

    private mutating func readPlainTags(into tags: inout [ZipkinTag], _ seen: inout TagKeyFilter) -> Bool {
        json.skipWhitespace()
        guard json.position < json.end, json.byte(at: json.position) == UInt8(ascii: "{") else { return false }
        json.position &+= 1
        json.skipWhitespace()
        if json.position < json.end, json.byte(at: json.position) == UInt8(ascii: "}") {
            json.position &+= 1
            return true
        }
        while true {
            guard let key = plainString() else { return false }
            json.skipWhitespace()
            guard json.position < json.end, json.byte(at: json.position) == UInt8(ascii: ":") else { return false }
            json.position &+= 1
            json.skipWhitespace()
            guard let value = plainString() else { return false }
            tags.put(ZipkinTag(key: key, value: value), seen: &seen)
            json.skipWhitespace()
            guard json.position < json.end else { return false }
            let next = json.byte(at: json.position)
            json.position &+= 1
            if next == UInt8(ascii: "}") { return true }
            guard next == UInt8(ascii: ","), json.skipWhitespaceAndPeek() == UInt8(ascii: "\"") else { return false }
        }
    }

    /// A string without escapes whose bytes are UTF-8, in place; nil for anything else.
    @inline(__always)
    private mutating func plainString() -> UnsafeRawBufferPointer? {
        guard let bytes = try? json.readStringInPlace(), UTF8Text.isValid(bytes.assumingMemoryBound(to: UInt8.self))
        else { return nil }
        return bytes
    }

    /// A string's UTF-8 in the body, or in the arena when it had escapes.
    mutating func text() throws(ZipkinDecodeError) -> UnsafeRawBufferPointer {
        let start = json.position
        if let bytes = try run({ r throws(JSONDecodeError) in try r.readStringInPlace() }),
           UTF8Text.isValid(bytes.assumingMemoryBound(to: UInt8.self)) {
            return bytes
        }
        json.position = start  // escapes, or invalid UTF-8: the general path decodes or reports it
        return arena.copy(try string())
    }
}

/// The ids and name of a JSON span, v1 or v2; trace id and id are required.
struct ZipkinSpanIdentity {
    var traceID: TraceID?
    var id: SpanID?
    var parentID = SpanID.zero
    var name = ""

    func required() throws(ZipkinDecodeError) -> (traceID: TraceID, id: SpanID) {
        guard let traceID else { throw ZipkinDecodeError("is required", field: "traceId") }
        guard let id else { throw ZipkinDecodeError("is required", field: "id") }
        return (traceID, id)
    }
}

extension JSONMemberKey {
    /// The key as a `String`.
    var text: String {
        decoded ?? String(decoding: bytes, as: UTF8.self)
    }
}
