@testable import Components
import Testing

@Test func goRegexp_listsCapturingGroupsAsRE2Does() throws {
    #expect(try GoRegexp("^(?P<a>x)(y)(?:z)(?i)(?<b>w)[(]\\(").groupNames == ["a", nil, "b"])
    #expect(try GoRegexp("[]()]x").groupNames == [])
    #expect(try GoRegexp("^[]a]+$").matches("]a]"))
    #expect(try GoRegexp("\\Q(a)\\E(b)").groupNames == [nil])
}

@Test func goRegexp_matchesUnanchored_andGivesSubmatches() throws {
    let r = try GoRegexp("^/api/v1/document/(?P<id>.*)/update(/(?P<rest>x))?$")
    #expect(r.firstSubmatches("/api/v1/document/123/update") == ["123", "", ""])
    #expect(r.firstSubmatches("/api/v2/") == nil)
    #expect(try GoRegexp("b+").matches("abbc"))
    #expect(try !GoRegexp("^b").matches("abbc"))
    // One rune, not one grapheme: "e" + combining acute is two.
    #expect(try GoRegexp("^e.$").matches("e\u{301}"))
}

@Test func goRegexp_refusesWhatRE2Refuses() {
    for pattern in ["(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?>a)", "a++", "(", "[a"] {
        #expect(throws: GoRegexp.SyntaxError.self, "\(pattern)") { try GoRegexp(pattern) }
    }
}
