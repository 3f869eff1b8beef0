import Testing
@testable import WireFormats

/// `readString` skips plain bytes eight at a time; a quote, backslash or control character must
/// be found wherever it falls relative to those 8-byte windows.
private func read(_ json: [UInt8]) -> Result<String, JSONDecodeError> {
    json.withUnsafeBytes { bytes in
        var reader = JSONReader(bytes)
        return Result { () throws(JSONDecodeError) in try reader.readString() }
    }
}

@Test func jsonReadString_findsSpecialBytesAtEveryOffset() throws {
    for length in 0..<40 {
        let plain = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let text = String(decoding: plain, as: UTF8.self)
        #expect(try read([UInt8(ascii: "\"")] + plain + Array("\" tail".utf8)).get() == text)
        #expect(try read([UInt8(ascii: "\"")] + plain + Array("\\n\"".utf8)).get() == text + "\n")
        #expect(try read([UInt8(ascii: "\"")] + plain + Array("\\u00e9x\"".utf8)).get() == text + "éx")
        guard case .failure(let control) = read([UInt8(ascii: "\"")] + plain + [0x1F] + Array("zzzzzzzz\"".utf8)) else {
            Issue.record("a control character at \(length) was accepted")
            continue
        }
        #expect(control.reason == .controlCharacterInString && control.offset == length + 1)
        guard case .failure(let open) = read([UInt8(ascii: "\"")] + plain) else {
            Issue.record("an unterminated string of \(length) bytes was accepted")
            continue
        }
        #expect(open.reason == .unexpectedEnd)
    }
}

@Test func jsonReadString_keepsMultiByteUTF8_andRefusesInvalidUTF8() throws {
    let multiByte = "naïve café – 😀 über 12345678"
    #expect(try read(Array("\"\(multiByte)\"".utf8)).get() == multiByte)
    guard case .failure(let invalid) = read([UInt8(ascii: "\"")] + Array("abcdefghij".utf8) + [0xFF, 0xFE] + [UInt8(ascii: "\"")]) else {
        Issue.record("invalid UTF-8 was accepted")
        return
    }
    #expect(invalid.reason == .invalidUTF8 && invalid.offset == 1)
}
