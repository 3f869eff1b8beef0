/// A 128-bit Bloom filter over the keys of one tag list (Zipkin's, Jaeger's), so that checking for
/// a repeated key costs a scan only when a key might repeat.
struct TagKeyFilter {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    /// Adds the key; returns whether it may have been added before.
    mutating func insert(_ key: UnsafeRawBufferPointer) -> Bool {
        let middle = key.isEmpty ? 0 : Int(key[key.count / 2])
        let hash = key.count &* 31 &+ Int(key.first ?? 0) &* 7 &+ Int(key.last ?? 0) &* 3 &+ middle
        let bit: UInt64 = 1 << UInt64(hash & 63)
        if hash & 64 == 0 {
            defer { low |= bit }
            return low & bit != 0
        }
        defer { high |= bit }
        return high & bit != 0
    }

    mutating func insert(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }
}
