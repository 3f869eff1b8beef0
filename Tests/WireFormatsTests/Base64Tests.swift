import Testing
import WireFormats

@Test func base64_decodesBothAlphabets_paddedOrNot() {
    #expect(Base64.decode("aGk/Pw==".utf8) == Array("hi??".utf8))
    #expect(Base64.decode("aGk_Pw".utf8) == Array("hi??".utf8))
    #expect(Base64.decode(Array("aGk".utf8)) == Array("hi".utf8))
    #expect(Base64.decode("a".utf8) == nil && Base64.decode("aG=k".utf8) == nil && Base64.decode("aGk*".utf8) == nil)
    #expect(Base64.encode(Array("hi??".utf8)) == Array("aGk/Pw==".utf8))
}

@Test func base64_standardPadded_refusesWhatGoStdEncodingRefuses() {
    #expect(Base64.decodeStandardPadded("aGk/Pw==".utf8) == Array("hi??".utf8))
    #expect(Base64.decodeStandardPadded("aGk_Pw==".utf8) == nil)   // URL-safe alphabet
    #expect(Base64.decodeStandardPadded("aGk/Pw".utf8) == nil)     // unpadded
    #expect(Base64.decodeStandardPadded([UInt8]()) == [])
}
