import Testing
@testable import Config

@Test func emit_writesBlockStyle_withTwoSpaceIndent() {
    let node = map([
        "receivers": map(["otlp": map(["protocols": map(["grpc": .null, "http": map(["endpoint": s("0.0.0.0:4318")])])])]),
        "service": map(["pipelines": map(["traces": map(["receivers": list("otlp"), "processors": .sequence([])])])]),
    ])
    #expect(YAMLEmitter.emit(node) == """
        receivers:
          otlp:
            protocols:
              grpc: null
              http:
                endpoint: 0.0.0.0:4318
        service:
          pipelines:
            traces:
              receivers:
                - otlp
              processors: []

        """)
}

@Test func emit_roundTrips_whenScalarsNeedQuoting() throws {
    let awkward = [
        "", "null", "~", "Null", "<<", "- x", "-", "-1", ":8080", "a: b", "a #b", "#c", "x:", " lead", "trail ",
        "[a]", "{a}", "*ref", "&anc", "!tag", "|", ">", "'q'", "\"dq\"", "%x", "@x", "`x", "line\nbreak", "tab\there",
        "back\\slash", "ctl\u{1}", "nel\u{85}", "---", "...", "µs", "yes", "0x10", "?x", "? x", "a,b", "key=value", "${env:X}",
    ]
    for text in awkward {
        let node = map(["k": s(text), text.isEmpty ? "empty" : text: s("v"), "list": .sequence([s(text)])])
        #expect(try yaml(YAMLEmitter.emit(node)) == node, "\(text.debugDescription)")
    }
}

@Test func emit_roundTrips_nestedSequencesAndEmptyCollections() throws {
    let node = map([
        "a": .sequence([.sequence([s("x"), .null]), map(["k": .sequence([])]), .mapping([])]),
        "b": .null,
    ])
    #expect(try yaml(YAMLEmitter.emit(node)) == node)
}

@Test func emit_writesRootScalarsAndEmptyRoots() throws {
    #expect(YAMLEmitter.emit(.null) == "null\n")
    #expect(YAMLEmitter.emit(.mapping([])) == "{}\n")
    #expect(try yaml(YAMLEmitter.emit(s("null"))) == s("null"))
}

/// Found by FuzzConfig (input in Fuzz/Seeds/FuzzConfig/regression-noncharacter-key): a `--set` key
/// holding U+FFFF was emitted raw, and libyaml refuses to read it back.
@Test func emit_roundTrips_whenScalarsHoldNoncharacters() throws {
    for text in ["\u{FFFF}", "a\u{FFFE}b", "\u{FFFD}ok"] {
        let node = map(["k": s(text), text: s("v")])
        #expect(try yaml(YAMLEmitter.emit(node)) == node, "\(text.debugDescription)")
    }
}

/// Found by FuzzConfig (input in Fuzz/Seeds/FuzzConfig/regression-long-key): a key over 1024
/// characters was written as an implicit key, which libyaml refuses to read back.
@Test func emit_roundTrips_whenKeysAreLongerThanAnImplicitKeyMayBe() throws {
    let long = String(repeating: "k", count: 1_500)
    let quoted = String(repeating: "\u{15}", count: 400)  // escaped: 6 bytes each once quoted
    let node = map([
        long: s("v"), "short": map([long: map(["child": s("x")]), quoted: .sequence([s("a")])]),
    ])
    let emitted = YAMLEmitter.emit(node)
    #expect(try yaml(emitted) == node, "\(emitted.prefix(200))")
}

/// Found by FuzzConfig (input in Fuzz/Seeds/FuzzConfig/regression-combining-mark): a key starting
/// with "@" and a combining mark is one Character that is not "@", so it went out unquoted, and
/// libyaml refused the indicator. Quoting now looks at Unicode scalars.
@Test func emit_roundTrips_whenAnIndicatorCarriesACombiningMark() throws {
    for text in ["@\u{65C}x", "*\u{301}", " \u{301}lead", "trail \u{301}", "a: \u{301}b", "a #\u{301}", "---\u{301}", "-\u{301}", "x:\u{301}"] {
        let node = map(["k": s(text), text: s("v"), "list": .sequence([s(text)])])
        #expect(try yaml(YAMLEmitter.emit(node)) == node, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }
}
