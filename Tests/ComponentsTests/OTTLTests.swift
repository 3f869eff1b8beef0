@testable import Components
import Testing
import TraceModel

private func span(_ name: String = "GET /healthz", kind: SpanKind = .server, attributes: [KeyValue] = []) -> OTTLContext {
    OTTLContext(resource: Resource(attributes: [KeyValue("service.name", .string("checkout"))]),
                scope: InstrumentationScope(name: "io.lib", version: "1.2"),
                span: Span(traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10), spanID: SpanID(0x1112_1314_1516_1718),
                           name: name, kind: kind, startTimeUnixNano: 100, endTimeUnixNano: 350, attributes: attributes,
                           status: Status(code: .error, message: "boom")))
}

private func holds(_ condition: String, _ ctx: OTTLContext = span(), in kind: OTTLContext.Kind = .span) throws -> Bool {
    try OTTLCompiler.condition(condition, in: kind).eval(ctx)
}

private func run(_ statement: String, _ ctx: OTTLContext = span(), in kind: OTTLContext.Kind = .span) throws -> OTTLContext {
    var ctx = ctx
    try OTTLCompiler.statement(statement, in: kind).run(&ctx)
    return ctx
}

private func parseError(_ text: String, condition: Bool = false, in kind: OTTLContext.Kind = .span) -> OTTLConfigError? {
    do {
        if condition { _ = try OTTLCompiler.condition(text, in: kind) } else { _ = try OTTLCompiler.statement(text, in: kind) }
        return nil
    } catch {
        return error
    }
}

@Test func ottl_conditionsOnSpanPaths() throws {
    let ctx = span(attributes: [KeyValue("http.route", .string("/healthz")), KeyValue("http.status_code", .int(200)), KeyValue("ratio", .double(0.5))])
    #expect(try holds(#"attributes["http.route"] == "/healthz""#, ctx))
    #expect(try holds(#"span.attributes["http.route"] == "/healthz""#, ctx))
    #expect(try holds(#"name == "GET /healthz" and kind == SPAN_KIND_SERVER"#, ctx))
    #expect(try holds("status.code == STATUS_CODE_ERROR and status.message == \"boom\"", ctx))
    #expect(try holds(#"resource.attributes["service.name"] == "checkout""#, ctx))
    #expect(try holds(#"instrumentation_scope.name == "io.lib" and instrumentation_scope.version == "1.2""#, ctx))
    #expect(try holds(#"attributes["http.status_code"] >= 200 and attributes["http.status_code"] < 300"#, ctx))
    #expect(try holds(#"attributes["ratio"] < 1"#, ctx))
    #expect(try holds(#"attributes["missing"] == nil"#, ctx))
    #expect(try !holds(#"attributes["missing"] != nil"#, ctx))
    #expect(try holds(#"not (kind == SPAN_KIND_CLIENT or name == "x")"#, ctx))
    #expect(try holds("end_time_unix_nano > start_time_unix_nano", ctx))
    #expect(try holds("trace_id == TraceID(0x0102030405060708090a0b0c0d0e0f10)", ctx))
    #expect(try holds("span_id == SpanID(0x1112131415161718)", ctx))
    #expect(try holds(#"trace_id.string == "0102030405060708090a0b0c0d0e0f10""#, ctx))
    #expect(try holds(#"IsMatch(name, "^GET /health")"#, ctx))
    #expect(try holds(#"IsMatch(attributes["http.status_code"], "^2")"#, ctx))
    #expect(try !holds(#"IsMatch(attributes["missing"], ".*")"#, ctx))
    #expect(try holds("true"))
    #expect(try !holds("false and true or false"))
}

@Test func ottl_comparesAsTheCollector() {
    let cases: [(OTTLValue, OTTLComparison, OTTLValue, Bool)] = [
        (.none, .equal, .none, true), (.none, .lessOrEqual, .none, true), (.none, .less, .none, false),
        (.none, .notEqual, .string(""), true), (.int(1), .equal, .none, false), (.int(1), .less, .none, false),
        (.int(1), .equal, .double(1), true), (.int(1), .less, .double(1.5), true), (.double(2), .greater, .int(1), true),
        (.string("a"), .less, .string("b"), true), (.string("1"), .equal, .int(1), false), (.string("1"), .notEqual, .int(1), true),
        (.bool(true), .equal, .bool(true), true), (.bool(false), .less, .bool(true), false),
        (.bytes([1]), .less, .bytes([1, 0]), true), (.int(2), .greaterOrEqual, .int(2), true),
    ]
    for (a, op, b, expected) in cases {
        #expect(op.holds(a, b) == expected, "\(a) \(op.rawValue) \(b)")
    }
}

@Test func ottl_editors() throws {
    let base = span(attributes: [KeyValue("a", .string("1")), KeyValue("b", .int(2)), KeyValue("secret.x", .string("s")),
                                 KeyValue("long", .string("abcdefgh")), KeyValue("url", .string("/users/123/orders/456"))])
    #expect(try run(#"set(attributes["env"], "prod")"#, base).span.attributes[key: "env"] == .string("prod"))
    #expect(try run(#"set(name, "renamed") where kind == SPAN_KIND_SERVER"#, base).span.name == "renamed")
    #expect(try run(#"set(name, "renamed") where kind == SPAN_KIND_CLIENT"#, base).span.name == "GET /healthz")
    #expect(try run(#"set(attributes["a"], nil)"#, base).span.attributes[key: "a"] == .string("1"))
    #expect(try run(#"set(status.code, STATUS_CODE_OK)"#, base).span.status.code == .ok)
    #expect(try run(#"set(name, 5)"#, base).span.name == "GET /healthz")
    #expect(try run(#"set(resource.attributes["region"], "eu")"#, base).resource.attributes[key: "region"] == .string("eu"))
    #expect(try run(#"delete_key(attributes, "a")"#, base).span.attributes.map(\.key) == ["url", "b", "secret.x", "long"])
    #expect(try run(#"delete_matching_keys(attributes, "^secret\\.")"#, base).span.attributes.map(\.key) == ["a", "b", "long", "url"])
    #expect(try run(#"keep_keys(attributes, ["b", "a"])"#, base).span.attributes.map(\.key) == ["a", "b"])
    #expect(try run(#"truncate_all(attributes, 3)"#, base).span.attributes[key: "long"] == .string("abc"))
    #expect(try run(#"limit(attributes, 2, ["url"])"#, base).span.attributes.map(\.key) == ["a", "url"])
    #expect(try run(#"replace_pattern(attributes["url"], "/[0-9]+", "/{id}")"#, base).span.attributes[key: "url"] == .string("/users/{id}/orders/{id}"))
    #expect(try run(#"replace_pattern(name, "GET (.*)", "$1 via GET")"#, base).span.name == "/healthz via GET")
    #expect(try run(#"replace_match(attributes["url"], "/users/*", "/users/{id}")"#, base).span.attributes[key: "url"] == .string("/users/{id}"))
    #expect(try run(#"replace_all_patterns(attributes, "value", "^[0-9]$", "N")"#, base).span.attributes[key: "a"] == .string("N"))
    #expect(try run(#"replace_all_patterns(attributes, "key", "^secret\\.", "hidden.")"#, base).span.attributes[key: "hidden.x"] == .string("s"))
    #expect(try run(#"set(attributes["id"], Concat([attributes["a"], attributes["b"], name], "-"))"#, base).span.attributes[key: "id"] == .string("1-2-GET /healthz"))
    #expect(try run(#"set(attributes["parts"], Split(attributes["url"], "/"))"#, base).span.attributes[key: "parts"]
        == .array(["", "users", "123", "orders", "456"].map { AnyValue.string($0) }))
    #expect(try run(#"set(attributes["n"], Int(attributes["a"]))"#, base).span.attributes[key: "n"] == .int(1))
    #expect(try run(#"set(attributes["d"], Double(attributes["b"]))"#, base).span.attributes[key: "d"] == .double(2))
    #expect(try run(#"set(attributes["s"], String(attributes["b"]))"#, base).span.attributes[key: "s"] == .string("2"))
    #expect(try run(#"set(attributes["l"], Len(attributes["long"]))"#, base).span.attributes[key: "l"] == .int(8))
    #expect(try run(#"set(attributes["h"], SHA256(attributes["a"]))"#, base).span.attributes[key: "h"]
        == .string("6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"))
}

@Test func ottl_refusesMalformedStatementsNamingTheColumn() {
    let bad: [(String, Bool, String)] = [
        ("set(name, \"x\"", false, "column 14"),
        ("set(name, 1-1)", false, "column 12"),
        ("frobnicate(name)", false, "undefined function \"frobnicate\""),
        ("set(name, Frob(1))", false, "undefined function \"Frob\""),
        ("set(attributes[\"a\"], \"x\") where", false, "expected a value"),
        ("set(nonsense, 1)", false, "path \"nonsense\""),
        ("set(name, SPAN_KIND_NOPE)", false, "enum symbol SPAN_KIND_NOPE not found"),
        ("name = \"x\"", true, "column 6"),
        ("attributes[\"a\"]", true, "comparison operator"),
        ("TraceID(0x0102) == trace_id", true, "TraceID needs 16 bytes"),
        ("IsMatch(name, \"(\")", true, "not a valid regexp"),
        ("set(\"x\")", false, "needs its value argument"),
        ("set(name, \"a\", \"b\")", false, "too many arguments"),
        ("delete_key(name, \"a\")", false, "needs a map"),
        ("set(name, \"unterminated)", false, "unterminated string"),
        ("name == \"x\"", true, "path \"name\": not a path of the resource context"),
        ("set(span.name, \"x\")", false, "not a path of the scope context"),
    ]
    for (text, condition, message) in bad {
        let kind: OTTLContext.Kind = text == "name == \"x\"" ? .resource : text.hasPrefix("set(span.") ? .scope : .span
        let error = parseError(text, condition: condition, in: kind)
        #expect(error?.description.contains(message) == true, "\(text): \(error?.description ?? "no error")")
        #expect(error?.description.contains(text) == true)
    }
}

@Test func ottl_lexesSignedNumbersAsTheCollector() throws {
    #expect(try OTTLLexer.tokens("1-1").map(\.kind) == [.int(1), .int(-1), .end])
    #expect(try OTTLLexer.tokens("-1.5e3 .5 0xAb \"a\\\"b\\u00e9\"").map(\.kind) == [.double(-1500), .double(0.5), .bytes([0xAB]), .string("a\"bé"), .end])
}

@Test func ottl_spanEventContext() throws {
    var ctx = span()
    ctx.event = SpanEvent(timeUnixNano: 5, name: "exception", attributes: [KeyValue("exception.type", .string("IOError"))])
    #expect(try holds(#"name == "exception" and span.name == "GET /healthz" and attributes["exception.type"] == "IOError""#, ctx, in: .spanevent))
    #expect(try run(#"set(attributes["seen"], true)"#, ctx, in: .spanevent).event.attributes[key: "seen"] == .bool(true))
}

@Test func ottl_refusesDeepNesting_insteadOfRunningOutOfStack() {
    let deep = String(repeating: "not ", count: 5000) + "true"
    #expect(parseError(deep, condition: true)?.description.contains("nested more than") == true)
    let lists = "set(name, " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + ")"
    #expect(parseError(lists)?.description.contains("nested more than") == true)
    let parens = String(repeating: "(", count: 5000) + "true" + String(repeating: ")", count: 5000)
    #expect(parseError(parens, condition: true)?.description.contains("nested more than") == true)
}

@Test func ottl_convertersFollowTheCollectorsEdgeCases() throws {
    let base = span(attributes: [KeyValue("word", .string("héllo")), KeyValue("abc", .string("abc"))])
    // Len is Go's len: bytes of a string.
    #expect(try run(#"set(attributes["l"], Len(attributes["word"]))"#, base).span.attributes[key: "l"] == .int(6))
    // Double of text that is not a number fails the statement; Int gives nil (nothing set).
    #expect(throws: OTTLError.self) { try run(#"set(attributes["d"], Double(attributes["abc"]))"#, base) }
    #expect(try run(#"set(attributes["i"], Int(attributes["abc"]))"#, base).span.attributes[key: "i"] == nil)
    // Split of a missing attribute is an error, as upstream.
    #expect(throws: OTTLError.self) { try run(#"set(attributes["p"], Split(attributes["missing"], ","))"#, base) }
    // Integer literals as strconv.ParseInt with base 0: a leading zero is octal.
    #expect(try run(#"set(attributes["o"], 010)"#, base).span.attributes[key: "o"] == .int(8))
    #expect(try run(#"set(attributes["n"], -12)"#, base).span.attributes[key: "n"] == .int(-12))
    #expect(parseError("set(attributes[\"o\"], 09)")?.description.contains("not a valid number") == true)
    // TraceID and SpanID take hex strings too.
    let ids = span(attributes: [])
    #expect(try run(#"set(trace_id, TraceID("0102030405060708090a0b0c0d0e0f10"))"#, ids).span.traceID.hex == "0102030405060708090a0b0c0d0e0f10")
    #expect(try run(#"set(span_id, SpanID("0102030405060708"))"#, ids).span.spanID.hex == "0102030405060708")
    #expect(parseError(#"set(span_id, SpanID("0102"))"#)?.description.contains("SpanID needs 8 bytes") == true)
}
