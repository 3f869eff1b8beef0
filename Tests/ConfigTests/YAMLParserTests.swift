import Testing
@testable import Config

@Test func parse_buildsNestedMappingsInOrder_whenBlockStyle() throws {
    let node = try yaml("""
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 0.0.0.0:4317
        exporters:
          debug: {}
        """)
    #expect(node == map([
        "receivers": map(["otlp": map(["protocols": map(["grpc": map(["endpoint": s("0.0.0.0:4317")])])])]),
        "exporters": map(["debug": .mapping([])]),
    ]))
}

@Test func parse_readsSequences_whenBlockAndFlowStyle() throws {
    let node = try yaml("""
        a: [x, "y", 3]
        b:
          - one
          - {k: v}
        c: []
        """)
    #expect(node == map([
        "a": list("x", "y", "3"),
        "b": .sequence([s("one"), map(["k": s("v")])]),
        "c": .sequence([]),
    ]))
}

@Test func parse_mapsNullForms_toNull_butKeepsQuotedNullAsString() throws {
    let node = try yaml("""
        a:
        b: ~
        c: null
        d: Null
        e: "null"
        f: ''
        g: !!str null
        h: !!null x
        """)
    #expect(node == map([
        "a": .null, "b": .null, "c": .null, "d": .null,
        "e": s("null"), "f": s(""), "g": s("null"), "h": .null,
    ]))
}

@Test func parse_keepsNumbersAndBoolsAsText() throws {
    #expect(try yaml("a: 010\nb: true\nc: 1.50") == map(["a": s("010"), "b": s("true"), "c": s("1.50")]))
}

@Test func parse_resolvesAnchorsAndAliases() throws {
    let node = try yaml("""
        base: &endpoint localhost:4317
        tls: &tls {insecure: true}
        x: *endpoint
        y:
          tls: *tls
        """)
    #expect(node["x"] == s("localhost:4317"))
    #expect(node["y"]?["tls"] == map(["insecure": s("true")]))
}

@Test func parse_appliesMergeKeys_explicitKeysWin() throws {
    let node = try yaml("""
        defaults: &d {timeout: 5s, size: 10}
        more: &m {size: 20, extra: yes}
        one:
          <<: *d
          size: 99
        two:
          <<: [*m, *d]
        three:
          "<<": literal
        """)
    #expect(node["one"] == map(["size": s("99"), "timeout": s("5s")]))
    #expect(node["two"] == map(["size": s("20"), "extra": s("yes"), "timeout": s("5s")]))
    #expect(node["three"] == map(["<<": s("literal")]))
}

@Test func parse_readsMultiLineStrings_literalAndFolded() throws {
    let node = try yaml("""
        literal: |
          line one
          line two
        folded: >
          part one
          part two
        stripped: |-
          x
        """)
    #expect(node["literal"] == s("line one\nline two\n"))
    #expect(node["folded"] == s("part one part two\n"))
    #expect(node["stripped"] == s("x"))
}

@Test func parse_returnsNull_whenDocumentEmptyOrOnlyComments() throws {
    #expect(try yaml("") == .null)
    #expect(try yaml("# nothing here\n") == .null)
    #expect(try yaml("---\n") == .null)
}

@Test func parse_readsFirstDocumentOnly() throws {
    #expect(try yaml("a: 1\n---\nb: 2\n") == map(["a": s("1")]))
}

@Test func parse_reportsLineAndColumn_whenSyntaxError() {
    let error = configError { _ = try YAMLParser.parse("a:\n  b: [1, 2\nc: 3\n", file: "bad.yaml") }
    #expect(error?.file == "bad.yaml")
    #expect(error?.message.contains("line ") == true)
    #expect(error?.message.contains("column ") == true)
    #expect(error?.description.hasPrefix("bad.yaml: line ") == true)
    #expect(error?.description.contains("\n") == false)
}

@Test func parse_reportsExactPosition_whenTabIndentation() {
    let error = configError { _ = try YAMLParser.parse("a:\n\tb: 1\n", file: "tab.yaml") }
    #expect(error?.message.hasPrefix("line 2, column 1:") == true)
}

@Test func parse_rejectsDuplicateKeys_withPath() {
    let error = configError { _ = try YAMLParser.parse("a:\n  b: 1\n  b: 2\n", file: "dup.yaml") }
    #expect(error?.keyPath == "a::b")
    #expect(error?.message.contains("already defined at line 2") == true)
}

@Test func parse_rejectsUnknownAlias() {
    let error = configError { _ = try YAMLParser.parse("a: *nope\n", file: "x.yaml") }
    #expect(error?.message.contains("nope") == true)
}

@Test func parse_rejectsAliasExplosion() {
    var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1...8 {
        text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
    }
    let error = configError { _ = try YAMLParser.parse(text, file: "lol.yaml") }
    #expect(error?.message.contains("too many alias expansions") == true)
}

@Test func parse_rejectsNonScalarKeys() {
    let error = configError { _ = try YAMLParser.parse("? [a, b]\n: 1\n", file: "k.yaml") }
    #expect(error?.message.contains("mapping keys must be scalars") == true)
}

@Test func parse_marksQuotedNumbersAndBools_asStrings() throws {
    let node = try yaml("a: \"1\"\nb: '1.5'\nc: \"true\"\nd: !!str 5\ne: \"x\"\nf: 1\n")
    #expect(node == map(["a": .string("1"), "b": .string("1.5"), "c": .string("true"), "d": .string("5"), "e": s("x"), "f": s("1")]))
    #expect(node["a"]?.typedScalar == .string("1"))
    #expect(node["f"]?.typedScalar == .int(1))
    #expect(node["e"]?.scalarText == "x")
    // Typed reads take either.
    let reader = try ConfigReader(node, path: "", file: "t")
    #expect(try reader.int("a") == 1)
    #expect(try reader.string("c") == "true")
    #expect(try yaml(YAMLEmitter.emit(node)) == node)
}

@Test func yamlScalar_resolvesAsYAMLv3DecodesIntoAny() {
    let cases: [(String, YAMLScalar)] = [
        ("", .null), ("~", .null), ("null", .null), ("true", .bool(true)), ("FALSE", .bool(false)), ("yes", .string("yes")),
        ("on", .string("on")), ("12", .int(12)), ("-12", .int(-12)), ("+7", .int(7)), ("0x1F", .int(31)), ("0o17", .int(15)),
        ("017", .int(15)), ("0b101", .int(5)), ("1_000", .int(1000)), ("1.5", .double(1.5)), ("-.5", .double(-0.5)),
        ("1e3", .double(1000)), ("1.", .double(1)), (".inf", .double(.infinity)), ("-.Inf", .double(-.infinity)),
        ("1.2.3", .string("1.2.3")), ("12abc", .string("12abc")), ("9223372036854775808", .int(.min)), ("18446744073709551615", .int(-1)), ("18446744073709551616", .double(18446744073709551616)),
        ("-9223372036854775808", .int(.min)), ("0x", .string("0x")), ("+", .string("+")), ("1e", .string("1e")),
    ]
    for (text, expected) in cases {
        #expect(YAMLScalar.resolve(plain: text) == expected, "\(text)")
    }
    #expect(YAMLScalar.resolve(plain: ".nan") != .string(".nan"))
}
