import Testing
@testable import WireFormats

/// Every answer is the string of the bytes asked, whatever the table held before: keys that share
/// a slot replace each other, and lengths around the 8-byte steps of the hash are all covered.
@Test func stringInterner_returnsTheStringOfTheBytes_forRepeatsCollisionsAndEveryLength() {
    var interner = StringInterner()
    var keys: [String] = []
    for length in 0..<40 { keys.append(String(repeating: "k", count: length)) }
    for i in 0..<500 { keys.append("attribute.key.\(i)") }
    keys += ["caf\u{E9}", "cafe\u{301}", "\u{1F600}"]
    for round in 0..<3 {
        for key in (round == 1 ? keys.reversed() : keys) {
            let bytes = Array(key.utf8)
            let made = bytes.withUnsafeBytes { interner.string($0) }
            #expect(made.map { Array($0.utf8) } == bytes, "\(key)")
        }
    }
}

@Test func stringInterner_returnsNil_forInvalidUTF8_evenAfterAValidStringOfTheSameHash() {
    var interner = StringInterner()
    #expect([UInt8]([0x61, 0x62]).withUnsafeBytes { interner.string($0) } == "ab")
    for invalid: [UInt8] in [[0xFF], [0x61, 0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
        #expect(invalid.withUnsafeBytes { interner.string($0) } == nil)
        #expect(invalid.withUnsafeBytes { interner.string($0) } == nil)
    }
}
