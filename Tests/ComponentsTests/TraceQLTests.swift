@testable import Components
import Testing
import TraceModel

private func parse(_ q: String) throws -> TraceQLQuery { try TraceQLParser.parse(q) }

private func comparison(_ q: String) throws -> SpanComparison {
    guard case .filter(.comparison(let c)) = try parse(q) else { throw TraceQLError(message: "not one comparison", offset: 0) }
    return c
}

private func refusal(_ q: String) -> String {
    do {
        _ = try TraceQLParser.parse(q)
        return "accepted"
    } catch {
        return error.description
    }
}

@Test func traceQL_parsesIntrinsicsWithTheirValueTypes() throws {
    #expect(try comparison(#"{ name = "GET /" }"#).field == .intrinsic(.name))
    #expect(try comparison(#"{ name = "GET /" }"#).value == .string("GET /"))
    #expect(try comparison("{status=error}").value == .status(.error))
    #expect(try comparison("{ status != ok }").op == .notEqual)
    #expect(try comparison("{ status = unset }").value == .status(.unset))
    #expect(try comparison("{ kind = server }").value == .kind(.server))
    #expect(try comparison("{ kind = consumer }").value == .kind(.consumer))
    #expect(try comparison("{ duration > 150ms }").value == .duration(150_000_000))
    #expect(try comparison("{ duration >= 1.5s }").value == .duration(1_500_000_000))
    #expect(try comparison("{ duration < 2m }").op == .less)
    #expect(try comparison("{ duration <= 1h30m }").value == .duration(5_400_000_000_000))
    #expect(try comparison("{ traceDuration > 100us }").field == .intrinsic(.traceDuration))
    #expect(try comparison(#"{ rootName = "a" }"#).field == .intrinsic(.rootName))
    #expect(try comparison(#"{ rootServiceName =~ "fr.*" }"#).op == .matches)
    #expect(try comparison(#"{ statusMessage != "" }"#).field == .intrinsic(.statusMessage))
    #expect(try comparison(#"{ span:name = "x" }"#).field == .intrinsic(.name))
    #expect(try comparison(#"{ trace:rootService = "x" }"#).field == .intrinsic(.rootServiceName))
    #expect(try comparison("{ span:duration > 1s }").field == .intrinsic(.duration))
}

@Test func traceQL_parsesAttributesOfEachScope_quotedNames_andEveryValueKind() throws {
    #expect(try comparison(#"{ span.http.method = "GET" }"#).field == .attribute(.span, "http.method"))
    #expect(try comparison(#"{ resource.service.name != "a" }"#).field == .attribute(.resource, "service.name"))
    #expect(try comparison(#"{ .foo = "x" }"#).field == .attribute(.any, "foo"))
    #expect(try comparison(#"{ span."a b" = "x" }"#).field == .attribute(.span, "a b"))
    #expect(try comparison(#"{ .k8s-pod/name = "x" }"#).field == .attribute(.any, "k8s-pod/name"))
    #expect(try comparison("{ span.code = 200 }").value == .int(200))
    #expect(try comparison("{ span.code >= -3 }").value == .int(-3))
    #expect(try comparison("{ span.ratio < 0.5 }").value == .float(0.5))
    #expect(try comparison("{ span.big > 1e3 }").value == .float(1000))
    #expect(try comparison("{ span.ok = true }").value == .bool(true))
    #expect(try comparison("{ span.ok = false }").value == .bool(false))
    #expect(try comparison("{ span.x = nil }").value == .nil)
    #expect(try comparison("{ span.x != nil }").op == .notEqual)
    #expect(try comparison(#"{ span.x = "a\"b\n" }"#).value == .string("a\"b\n"))
    #expect(try comparison(#"{ span.x =~ `a\d+` }"#).value == .string(#"a\d+"#))
    #expect(try comparison(#"{ span.x !~ "a.*" }"#).pattern != nil)
}

@Test func traceQL_parsesAndOrInsideAndBetweenSpansets_withPrecedenceAndParentheses() throws {
    guard case .filter(.or(.comparison, .and(.comparison, .comparison))) = try parse(#"{ .a = 1 || .b = 2 && .c = 3 }"#) else {
        Issue.record("&& binds tighter than || inside a spanset"); return
    }
    guard case .filter(.and(.or(.comparison, .comparison), .comparison)) = try parse(#"{ (.a = 1 || .b = 2) && .c = 3 }"#) else {
        Issue.record("parentheses group conditions"); return
    }
    guard case .or(.filter, .and(.filter, .filter)) = try parse("{ .a = 1 } || { .b = 2 } && { .c = 3 }") else {
        Issue.record("&& binds tighter than || between spansets"); return
    }
    guard case .and(.or(.filter, .filter), .filter) = try parse("({ .a = 1 } || { .b = 2 }) && { .c = 3 }") else {
        Issue.record("parentheses group spansets"); return
    }
    guard case .filter(.always(true)) = try parse("{}") else { Issue.record("{} is every span"); return }
    guard case .filter(.always(true)) = try parse("{ true }") else { Issue.record("{ true }"); return }
}

@Test func traceQL_refusesWhatIsOutsideTheSubset_namingIt() {
    #expect(refusal("{ } | count() > 2").contains("pipelines (|)"))
    #expect(refusal(#"{ .a = 1 } | select(span.b)"#).contains("pipelines (|)"))
    #expect(refusal("{ .a = 1 } >> { .b = 2 }").contains("structural operators (>>)"))
    #expect(refusal("{ .a = 1 } > { .b = 2 }").contains("structural operators (>)"))
    #expect(refusal("{ .a = 1 } ~ { .b = 2 }").contains("structural operators (~)"))
    #expect(refusal("{ .a = 1 } !< { .b = 2 }").contains("structural operators"))
    #expect(refusal("{ .a = 1 } &>> { .b = 2 }").contains("structural operators (&>>)"))
    #expect(refusal("{ span.a + 1 = 2 }").contains("arithmetic (+)"))
    #expect(refusal("{ span.a = 1 * 2 }").contains("arithmetic (*)"))
    #expect(refusal("{ !(span.a = 1) }").contains("negation (!)"))
    #expect(refusal("{ span.a = span.b }").contains("comparing two fields"))
    #expect(refusal(#"{ event.name = "x" }"#).contains("event. attributes not supported"))
    #expect(refusal(#"{ link.a = "x" }"#).contains("link. attributes not supported"))
    #expect(refusal(#"{ instrumentation.name = "x" }"#).contains("instrumentation. attributes"))
    #expect(refusal(#"{ event:name = "x" }"#).contains("the intrinsic event:name not supported"))
    #expect(refusal("rate()").contains("metrics queries (rate)"))
    #expect(refusal("{ } | rate()").contains("pipelines"))
    #expect(refusal("count() > 1").contains("aggregates (count)"))
    #expect(refusal("{ } with (sample=true)").contains("query hints"))
}

@Test func traceQL_refusesMalformedQueries_withTheOffset() {
    #expect(refusal("") == "invalid TraceQL query at offset 0: expected '{' to start a spanset filter, found the end of the query")
    #expect(refusal("{ .a = 1").contains("expected '}'"))
    #expect(refusal(#"{ .a = "x }"#).contains("unterminated string"))
    #expect(refusal("{ foo = 1 }").contains("unknown intrinsic 'foo'; attributes need a scope"))
    #expect(refusal("{ .a = bar }").contains("unknown value 'bar' (strings need quotes)"))
    #expect(refusal("{ .a 1 }").contains("expected a comparison operator"))
    #expect(refusal("{ status = 200 }").contains("invalid comparison: status = int"))
    #expect(refusal(#"{ status = "error" }"#).contains("invalid comparison: status = string"))
    #expect(refusal(#"{ duration > "1s" }"#).contains("invalid comparison: duration > string"))
    #expect(refusal("{ kind =~ server }").contains("=~ needs a string"))
    #expect(refusal(#"{ .a =~ "(" }"#).contains("invalid regular expression"))
    #expect(refusal("{ .a =~ 1 }").contains("needs a string"))
    for pattern in ["(a+)+b", "(a|aa)*", "x(a*){2,}", "((ab)+c)*", "(a(b|c))+"] {
        #expect(refusal(#"{ .a =~ "\#(pattern)" }"#).contains("repeats a group that repeats or alternates"), "\(pattern)")
    }
    for pattern in ["(GET|POST)", "(ab)+", "[(+]+", #"\\(a+\\)+"#, "a+b*(cd)?"] {
        #expect(refusal(#"{ .a =~ "\#(pattern)" }"#) == "accepted", "\(pattern)")
    }
    #expect(refusal("{ .a = 1 } }").contains("expected the end of the query"))
    #expect(refusal("{ .a = 12xs }").contains("invalid number or duration '12xs'"))
    #expect(refusal("{ foo.a = 1 }").contains("unknown attribute scope 'foo'"))
    #expect(refusal("{ .a = 1 # }").contains("unexpected character '#'"))
    #expect(refusal(String(repeating: "(", count: 100) + "{}" + String(repeating: ")", count: 100)).contains("nesting deeper than 64"))
    #expect(refusal("{" + String(repeating: "x", count: 20_000) + "}").contains("longer than"))
}

// MARK: evaluation

private let evaluated: StoredTrace = {
    let store = TraceStore()
    store.insert(storeBatch(service: "front", [
        storeSpan(trace: 1, span: 1, name: "GET /", durationMs: 300, attributes: [KeyValue("http.method", .string("GET")), KeyValue("code", .int(200))]),
        storeSpan(trace: 1, span: 2, parent: 1, name: "auth", startMs: 10, durationMs: 20, status: .error, kind: .client,
                  attributes: [KeyValue("ratio", .double(0.25)), KeyValue("cached", .bool(true))]),
    ], resourceAttributes: [KeyValue("region", .string("eu"))]))
    store.insert(storeBatch(service: "back", [
        storeSpan(trace: 1, span: 3, parent: 2, name: "SELECT", startMs: 12, durationMs: 5, kind: .client, attributes: [KeyValue("region", .string("us"))]),
    ]))
    return store.trace(TraceID(high: 0, low: 1))!
}()

private func matched(_ q: String) throws -> [Int]? {
    try TraceQLParser.parse(q).matchingSpans(in: evaluated)
}

@Test func traceQL_evaluatesIntrinsics() throws {
    #expect(try matched(#"{ name = "auth" }"#) == [1])
    #expect(try matched(#"{ name != "auth" }"#) == [0, 2])
    #expect(try matched("{ status = error }") == [1])
    #expect(try matched("{ status != error }") == [0, 2])
    #expect(try matched("{ kind = client }") == [1, 2])
    #expect(try matched("{ duration > 100ms }") == [0])
    #expect(try matched("{ duration <= 5ms }") == [2])
    #expect(try matched("{ duration >= 20ms && duration < 300ms }") == [1])
    #expect(try matched(#"{ rootName = "GET /" && rootServiceName = "front" }"#) == [0, 1, 2])
    #expect(try matched("{ traceDuration >= 300ms }") == [0, 1, 2])
    #expect(try matched("{ traceDuration > 300ms }") == nil)
    #expect(try matched(#"{ name =~ "GE.*" }"#) == [0])
    #expect(try matched(#"{ name =~ "GE" }"#) == nil, "regular expressions are anchored, as Tempo's")
    #expect(try matched(#"{ name !~ "GE.*|auth" }"#) == [2])
    #expect(try matched("{}") == [0, 1, 2])
}

@Test func traceQL_evaluatesAttributesByScopeAndType() throws {
    #expect(try matched(#"{ span.http.method = "GET" }"#) == [0])
    #expect(try matched(#"{ resource.service.name = "back" }"#) == [2])
    #expect(try matched(#"{ .region = "us" }"#) == [2], "the span's attribute hides the resource's")
    #expect(try matched(#"{ .region = "eu" }"#) == [0, 1])
    #expect(try matched(#"{ resource.region = "eu" }"#) == [0, 1])
    #expect(try matched(#"{ span.region = "eu" }"#) == nil)
    #expect(try matched("{ span.code = 200 }") == [0])
    #expect(try matched("{ span.code >= 199.5 }") == [0])
    #expect(try matched(#"{ span.code = "200" }"#) == nil, "a string does not equal an int")
    #expect(try matched("{ span.ratio < 0.5 }") == [1])
    #expect(try matched("{ span.ratio > 0 }") == [1])
    #expect(try matched("{ span.cached = true }") == [1])
    #expect(try matched("{ span.cached != false }") == [1])
    #expect(try matched("{ span.cached = nil }") == [0, 2])
    #expect(try matched("{ span.cached != nil }") == [1])
    #expect(try matched(#"{ span.missing != "x" }"#) == nil, "an absent attribute matches only = nil")
}

@Test func traceQL_evaluatesSpansetOperators() throws {
    #expect(try matched(#"{ name = "auth" } && { name = "SELECT" }"#) == [1, 2])
    #expect(try matched(#"{ name = "auth" } && { name = "nothing" }"#) == nil)
    #expect(try matched(#"{ name = "auth" } || { name = "nothing" }"#) == [1])
    #expect(try matched(#"{ name = "SELECT" } || { name = "GET /" }"#) == [0, 2])
    #expect(try matched(#"{ name = "auth" || status = error }"#) == [1])
    #expect(try matched(#"{ kind = client && resource.service.name = "front" }"#) == [1])
    #expect(try matched(#"({ name = "x" } || { name = "auth" }) && { span.code = 200 }"#) == [0, 1])
}
