import Diagnostics
import Testing

@Test func trimmingWhiteSpace_dropsASCIIBlanksAtBothEnds_byTheByte() {
    #expect(" \t value \r\n".trimmingWhiteSpace() == "value")
    #expect("\u{0B}\u{0C}a b\u{0C}".trimmingWhiteSpace() == "a b")
    #expect(" \t\r\n".trimmingWhiteSpace() == "")
    // A blank and a combining mark after it are one Character; the blank is trimmed all the same,
    // and white space beyond ASCII is kept.
    #expect(" \u{301}x\u{A0}".trimmingWhiteSpace().unicodeScalars.elementsEqual("\u{301}x\u{A0}".unicodeScalars))
    #expect(Array("  k:v \n".utf8).trimmingASCIIWhiteSpace().elementsEqual("k:v".utf8))
    #expect(Array(" \t".utf8).trimmingASCIIWhiteSpace().isEmpty)
}
