#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Strings made from wire bytes, remembered for the rest of one request. Tag keys repeat from
/// span to span (every Envoy span carries the same score of keys), and a key seen before costs a
/// lookup instead of a UTF-8 check, a copy and, past 15 bytes, an allocation; the spans then
/// share one copy of each key.
///
/// A direct-mapped table: a key whose slot holds another one replaces it. A slot keeps the first
/// 16 bytes of its key as two words, so that keys up to 16 bytes (most) are compared as two
/// integers; longer ones are compared in full after those.
struct StringInterner {
    private struct Slot {
        var count = -1
        var words: (UInt64, UInt64) = (0, 0)
        var string = ""
    }

    private static let slotBits = 6
    private var slots = [Slot](repeating: Slot(), count: 1 << slotBits)

    /// The string of `bytes`, or nil when they are not valid UTF-8.
    mutating func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return "" }
        let count = bytes.count
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: min(count, 16))) }
        let mixed = (words.0 ^ words.1 &* 0xFF51_AFD7_ED55_8CCD ^ UInt64(truncatingIfNeeded: count)) &* 0x9E37_79B9_7F4A_7C15
        let index = Int(truncatingIfNeeded: mixed >> UInt64(64 - Self.slotBits))
        return slots.withUnsafeMutableBufferPointer { slots in
            let slot = slots.baseAddress! + index
            if slot.pointee.count == count, slot.pointee.words == words,
               count <= 16 || Self.sameTail(&slot.pointee.string, base, count) {
                return slot.pointee.string
            }
            guard let made = UTF8Text.string(bytes.assumingMemoryBound(to: UInt8.self)) else { return nil }
            slot.pointee = Slot(count: count, words: words, string: made)
            return made
        }
    }

    private static func sameTail(_ string: inout String, _ bytes: UnsafeRawPointer, _ count: Int) -> Bool {
        string.withUTF8 { memcmp($0.baseAddress! + 16, bytes + 16, count - 16) == 0 }
    }
}
