/// Strings from wire bytes that must be valid UTF-8.
enum UTF8Text {
    /// The string, or nil when the bytes are not valid UTF-8. ASCII, which almost every attribute
    /// key and value is, takes a fast path: `String(decoding:as:)` on a contiguous buffer is
    /// specialized, whereas the generic `String(validating:as:)` looks up runtime metadata on
    /// every call (a third of the decoding time when it was used for every string).
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    /// Whether `string` would succeed, without making the string when the bytes are ASCII.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(bytes) || String(validating: bytes, as: UTF8.self) != nil
    }

    /// Eight bytes at a time; the last word overlaps the one before it rather than ending in a
    /// byte loop, and shorter strings take two overlapping four-byte words.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        if count >= 8 {
            var i = 0
            while i &+ 8 < count {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i &+= 8
            }
            return raw.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
        }
        if count >= 4 {
            let words = raw.loadUnaligned(as: UInt32.self) | raw.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            return words & 0x8080_8080 == 0
        }
        var bits: UInt8 = 0
        for i in 0..<count { bits |= base[i] }
        return bits & 0x80 == 0
    }
}
