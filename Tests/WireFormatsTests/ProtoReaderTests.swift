import Testing
@testable import WireFormats

private func readVarint(_ bytes: [UInt8]) throws(ProtoDecodeError) -> UInt64 {
    let result = bytes.withUnsafeBytes { buffer in
        Result { () throws(ProtoDecodeError) -> UInt64 in
            var reader = ProtoReader(buffer)
            return try reader.readVarint()
        }
    }
    return try result.get()
}

@Test func protoReader_readsVarints_atEdgeValues() throws {
    #expect(try readVarint([0x00]) == 0)
    #expect(try readVarint([0x01]) == 1)
    #expect(try readVarint([0x96, 0x01]) == 150)
    #expect(try readVarint([0xAC, 0x02]) == 300)
    #expect(try readVarint([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == UInt64(UInt32.max))
    #expect(try readVarint([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) == UInt64(bitPattern: -2))
    #expect(try readVarint(Array(repeating: 0xFF, count: 9) + [0x01]) == UInt64.max)
    // Non-minimal encodings are legal.
    #expect(try readVarint([0x80, 0x80, 0x00]) == 0)
}

@Test func protoReader_rejectsVarint_whenLongerThan10Bytes() {
    #expect(throws: ProtoDecodeError.self) { try readVarint(Array(repeating: 0xFF, count: 10) + [0x01]) }
    #expect(throws: ProtoDecodeError.self) { try readVarint(Array(repeating: 0xFF, count: 9) + [0x02]) }
    do {
        _ = try readVarint(Array(repeating: 0x80, count: 10) + [0x00])
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains("varint longer than 10 bytes"))
    }
}

@Test func protoReader_reportsTruncatedVarint_whenInputEndsMidVarint() {
    do {
        _ = try readVarint([0x96])
        Issue.record("expected an error")
    } catch {
        #expect(error.reason == .truncatedVarint)
        #expect(error.description.contains("truncated varint"))
    }
}

@Test func protoWriter_varintSizes_matchEncodedLengths() {
    for value: UInt64 in [0, 1, 127, 128, 16383, 16384, UInt64(UInt32.max), UInt64.max, UInt64(bitPattern: -1)] {
        #expect(ProtoSize.varint(value) == ProtoBytes.varint(value).count)
    }
}

@Test func utf8Text_acceptsASCIIAndValidUTF8_andRejectsInvalid() {
    func string(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBufferPointer(UTF8Text.string) }
    #expect(string(Array("plain ascii, longer than eight bytes".utf8)) == "plain ascii, longer than eight bytes")
    #expect(string(Array("grüße 日本".utf8)) == "grüße 日本")
    #expect(string([]) == "")
    #expect(string([0x61, 0x62, 0xC3]) == nil)            // truncated two-byte sequence
    #expect(string(Array("abcdefgh".utf8) + [0xFF]) == nil)  // invalid byte after an ASCII word
    #expect(string([0xED, 0xA0, 0x80]) == nil)            // a UTF-16 surrogate encoded in UTF-8
}

/// The word-at-a-time check sees a high bit wherever it is: every length up to three words, every
/// position, including the bytes the overlapping last word reads twice.
@Test func utf8Text_isASCII_findsAHighBitAtEveryPositionOfEveryLength() {
    for count in 0...24 {
        let ascii = [UInt8]((0..<count).map { UInt8(0x21 + $0 % 90) })
        #expect(ascii.withUnsafeBufferPointer(UTF8Text.isASCII), "all ASCII, \(count) bytes")
        for position in 0..<count {
            var bytes = ascii
            bytes[position] = 0x80
            #expect(!bytes.withUnsafeBufferPointer(UTF8Text.isASCII), "0x80 at \(position) of \(count)")
            #expect(!bytes.withUnsafeBufferPointer(UTF8Text.isValid), "a lone continuation byte at \(position) of \(count)")
        }
    }
}
