@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel

// Cases from the Collector's attributes processor tests and README: the same config, the same
// spans in, the same attributes out.

private func attributesProcessor(_ yaml: String) throws -> AttributesProcessor {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "processors::attributes", file: "t")
    let config = try AttributesProcessor.Config.parse(reader)
    try reader.finish()
    return AttributesProcessor(config, next: SinkConsumer())
}

private func configError(_ yaml: String) -> String? {
    do {
        _ = try attributesProcessor(yaml)
        return nil
    } catch let error as ConfigError {
        return error.description
    } catch {
        return "\(error)"
    }
}

/// One span named `name` under a resource with `service.name` (when given).
private func batch(service: String?, name: String, _ attributes: [KeyValue], scope: InstrumentationScope = InstrumentationScope()) -> TraceBatch {
    TraceBatch(resourceSpans: [ResourceSpans(
        resource: Resource(attributes: service.map { [KeyValue("service.name", .string($0))] } ?? []),
        scopeSpans: [ScopeSpans(scope: scope, spans: [Span(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: name, attributes: attributes)])])])
}

private func run(_ p: AttributesProcessor, service: String? = nil, name: String = "span", _ attributes: [KeyValue],
                 scope: InstrumentationScope = InstrumentationScope()) -> [String: AnyValue] {
    var b = batch(service: service, name: name, attributes, scope: scope)
    p.process(&b)
    let out = b.resourceSpans[0].scopeSpans[0].spans[0].attributes
    return Dictionary(out.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
}

private func kv(_ pairs: KeyValuePairs<String, AnyValue>) -> [KeyValue] { pairs.map { KeyValue($0.key, $0.value) } }
private func dict(_ pairs: KeyValuePairs<String, AnyValue>) -> [String: AnyValue] { Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) }) }

@Test func attributes_includeRegexpServicesExcludeStrictAttribute() throws {
    let p = try attributesProcessor("""
        actions: [{key: attribute1, action: insert, value: 123}]
        include: {match_type: regexp, services: [svcA, svcB.*]}
        exclude: {match_type: strict, attributes: [{key: NoModification, value: true}]}
        """)
    #expect(run(p, service: "svcB", []) == dict(["attribute1": .int(123)]))
    #expect(run(p, service: "svcB", kv(["NoModification": .bool(false)])) == dict(["attribute1": .int(123), "NoModification": .bool(false)]))
    #expect(run(p, service: "noname", []) == [:])
    #expect(run(p, service: "svcB", kv(["NoModification": .bool(true)])) == dict(["NoModification": .bool(true)]))
    // No service.name: upstream matches "<nil-service-name>", which svcB.* does not.
    #expect(run(p, service: nil, []) == [:])
}

@Test func attributes_spanNamesStrictAndRegexp() throws {
    let strict = try attributesProcessor("""
        actions: [{key: attribute1, action: insert, value: 123}]
        include: {match_type: strict, span_names: [apply, dont_apply]}
        exclude: {match_type: strict, span_names: [dont_apply]}
        """)
    #expect(run(strict, name: "apply", []) == dict(["attribute1": .int(123)]))
    #expect(run(strict, name: "incorrect_span_name", []) == [:])
    #expect(run(strict, name: "dont_apply", []) == [:])
    let regexp = try attributesProcessor("""
        actions: [{key: attribute1, action: insert, value: 123}]
        include: {match_type: regexp, span_names: ["^apply.*"]}
        exclude: {match_type: regexp, span_names: [".*dont_apply$"]}
        """)
    #expect(run(regexp, name: "apply_to_span_with_no_attrs", []) == dict(["attribute1": .int(123)]))
    #expect(run(regexp, name: "incorrect_span_name", []) == [:])
    #expect(run(regexp, name: "apply_dont_apply", []) == [:])
    // Unanchored, as Go's MatchString: "ppl" is found inside "apply".
    let unanchored = try attributesProcessor("actions: [{key: a, action: insert, value: x}]\ninclude: {match_type: regexp, span_names: [ppl]}\n")
    #expect(run(unanchored, name: "apply", []) == dict(["a": .string("x")]))
}

@Test func attributes_hashIsTheCollectorsSHA256() throws {
    let p = try attributesProcessor("""
        actions:
          - {key: user.email, action: hash}
          - {key: user.id, action: hash}
          - {key: user.balance, action: hash}
          - {key: user.authenticated, action: hash}
        """)
    #expect(run(p, kv(["user.email": .string("john.doe@example.com")])) == dict(["user.email": .string("836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f")]))
    #expect(run(p, kv(["user.id": .int(10)])) == dict(["user.id": .string("a111f275cc2e7588000001d300a31e76336d15b9d314cd1a1d8f3d3556975eed")]))
    #expect(run(p, kv(["user.balance": .double(99.1)])) == dict(["user.balance": .string("05fabd78b01be9692863cb0985f600c99da82979af18db5c55173c2a30adb924")]))
    #expect(run(p, kv(["user.authenticated": .bool(true)])) == dict(["user.authenticated": .string("4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a")]))
    // Kinds with no hash input become "".
    #expect(run(p, kv(["user.id": .bytes([1, 2])])) == dict(["user.id": .string("")]))
}

@Test func attributes_convert() throws {
    let p = try attributesProcessor("""
        actions:
          - {key: to.int, action: convert, converted_type: int}
          - {key: to.double, action: convert, converted_type: double}
          - {key: to.string, action: convert, converted_type: string}
        """)
    let cases: [(AnyValue, String, AnyValue)] = [
        (.int(1), "to.int", .int(1)), (.bool(true), "to.int", .int(1)), (.bool(false), "to.int", .int(0)),
        (.string("123"), "to.int", .int(123)), (.string("int-10"), "to.int", .string("int-10")),
        (.double(12.9), "to.int", .int(12)), (.double(-12.9), "to.int", .int(-12)),
        (.string("123"), "to.double", .double(123)), (.string("123.6"), "to.double", .double(123.6)),
        (.string("int-10"), "to.double", .string("int-10")), (.int(7), "to.double", .double(7)),
        (.double(99.1), "to.string", .string("99.1")), (.int(-5), "to.string", .string("-5")), (.bool(true), "to.string", .string("true")),
        (.double(1e21), "to.string", .string("1e+21")),
    ]
    for (input, key, expected) in cases {
        #expect(run(p, [KeyValue(key, input)]) == [key: expected], "\(input) -> \(key)")
    }
}

@Test func attributes_insertUpdateUpsertDeleteFromAttribute() throws {
    // The README's first example.
    let p = try attributesProcessor("""
        actions:
          - key: environment
            value: production
            action: insert
          - key: db.statement
            action: delete
          - key: email
            action: hash
          - key: user.key
            from_attribute: user.id
            action: upsert
          - key: status
            value: 2
            action: update
        """)
    let out = run(p, kv(["db.statement": .string("SELECT 1"), "email": .string("a@b.c"), "user.id": .int(42), "status": .string("x")]))
    #expect(out["environment"] == .string("production"))
    #expect(out["db.statement"] == nil)
    #expect(out["email"] == .string("d648b243a3e817eaa3309e00e183483f2867baadf522099f0c2121770536b25a"))
    #expect(out["user.key"] == .int(42))
    #expect(out["status"] == .int(2))
    // insert leaves an existing key, update needs one, from_attribute needs its source.
    #expect(run(p, kv(["environment": .string("dev")]))["environment"] == .string("dev"))
    #expect(run(p, [])["status"] == nil)
    #expect(run(p, [])["user.key"] == nil)
}

@Test func attributes_quotedValuesStayStrings_plainOnesAreTyped() throws {
    let p = try attributesProcessor("""
        actions:
          - {key: a, value: "1.0", action: insert}
          - {key: b, value: 1.0, action: insert}
          - {key: c, value: 'true', action: insert}
          - {key: d, value: true, action: insert}
          - {key: e, value: 0x10, action: insert}
          - {key: f, value: [1, x], action: insert}
          - {key: g, value: {k: v}, action: insert}
        """)
    #expect(run(p, []) == dict([
        "a": .string("1.0"), "b": .double(1), "c": .string("true"), "d": .bool(true), "e": .int(16),
        "f": .array([.int(1), .string("x")]), "g": .kvlist([KeyValue("k", .string("v"))]),
    ]))
}

@Test func attributes_extractPutsNamedGroups() throws {
    // The README's extract example.
    let p = try attributesProcessor(#"""
        actions:
          - key: http.url
            pattern: ^(?P<http_protocol>.*):\/\/(?P<http_domain>.*)\/(?P<http_path>.*)(?:\?|\&)(?P<http_query_params>.*)
            action: extract
        """#)
    let out = run(p, kv(["http.url": .string("http://example.com/path?queryParam1=value1,queryParam2=value2")]))
    #expect(out["http_protocol"] == .string("http"))
    #expect(out["http_domain"] == .string("example.com"))
    #expect(out["http_path"] == .string("path"))
    #expect(out["http_query_params"] == .string("queryParam1=value1,queryParam2=value2"))
    #expect(out["http.url"] == .string("http://example.com/path?queryParam1=value1,queryParam2=value2"))
    // The README's pattern as written, with an unnamed `(\?|\&)`, is refused upstream too.
    #expect(configError(#"actions: [{key: u, action: extract, pattern: '^(?P<a>.*):(\?|\&)(?P<b>.*)'}]"#)?.contains("unnamed matcher group") == true)
    // No match, or not a string: nothing changes.
    #expect(run(p, kv(["http.url": .string("nothing")])).count == 1)
    #expect(run(p, kv(["http.url": .int(1)])).count == 1)
}

@Test func attributes_deleteAndHashByPattern() throws {
    let p = try attributesProcessor("""
        actions:
          - {pattern: ^sensitive\\., action: delete}
          - {key: keep, pattern: secret$, action: hash}
        """)
    let out = run(p, kv(["sensitive.a": .string("1"), "sensitive.b": .int(2), "x.sensitive.c": .bool(true), "keep": .string("k"), "my.secret": .string("s")]))
    #expect(out.keys.sorted() == ["keep", "my.secret", "x.sensitive.c"])
    #expect(out["keep"]?.stringValue.utf8.count == 64)
    #expect(out["my.secret"]?.stringValue.utf8.count == 64)
}

@Test func attributes_deleteSwapsTheLastAttributeIntoThePlace_asPdata() throws {
    let p = try attributesProcessor("actions: [{key: b, action: delete}, {key: z, action: upsert, value: 1}]\n")
    var b = batch(service: nil, name: "s", kv(["a": .int(1), "b": .int(2), "c": .int(3), "d": .int(4)]))
    p.process(&b)
    #expect(b.resourceSpans[0].scopeSpans[0].spans[0].attributes.map(\.key) == ["a", "d", "c", "z"])
}

@Test func attributes_librariesResourcesAndKinds() throws {
    let p = try attributesProcessor("""
        actions: [{key: hit, action: insert, value: yes}]
        include:
          match_type: strict
          libraries: [{name: io.lib, version: "1.0"}]
          resources: [{key: env, value: prod}]
          span_kinds: [SPAN_KIND_SERVER]
        """)
    func go(_ scope: InstrumentationScope, _ env: String, _ kind: SpanKind) -> Bool {
        var b = TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: [KeyValue("env", .string(env))]),
            scopeSpans: [ScopeSpans(scope: scope, spans: [Span(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), name: "s", kind: kind)])])])
        p.process(&b)
        return b.resourceSpans[0].scopeSpans[0].spans[0].attributes[key: "hit"] != nil
    }
    #expect(go(InstrumentationScope(name: "io.lib", version: "1.0"), "prod", .server))
    #expect(!go(InstrumentationScope(name: "io.lib", version: "2.0"), "prod", .server))
    #expect(!go(InstrumentationScope(name: "io.lib", version: "1.0"), "dev", .server))
    #expect(!go(InstrumentationScope(name: "io.lib", version: "1.0"), "prod", .client))
}

@Test func attributes_rejectsWhatUpstreamRejects() {
    let bad: [(String, String)] = [
        ("{}", "missing required field \"actions\""),
        ("actions: []", "missing required field \"actions\""),
        ("actions: [{key: a, action: insert}]", "Either field \"value\", \"from_attribute\" or \"from_context\""),
        ("actions: [{key: a, action: insert, value: 1, from_attribute: b}]", "multiple value sources"),
        ("actions: [{key: a, action: frobnicate}]", "unsupported action \"frobnicate\""),
        ("actions: [{action: insert, value: 1}]", "missing required field \"key\""),
        ("actions: [{action: delete}]", "at least one of \"key\" and \"pattern\""),
        ("actions: [{key: a, action: extract, pattern: \"(x)\"}]", "unnamed matcher group"),
        ("actions: [{key: a, action: extract, pattern: x}]", "no named matcher groups"),
        ("actions: [{key: a, action: extract}]", "missing required field \"pattern\""),
        ("actions: [{key: a, action: convert}]", "missing required field \"converted_type\""),
        ("actions: [{key: a, action: convert, converted_type: float}]", "invalid value \"float\""),
        ("actions: [{key: a, action: delete, pattern: \"(\"}]", "invalid pattern"),
        ("actions: [{key: a, action: delete, pattern: \"(a)\\\\1\"}]", "backreference"),
        ("actions: [{key: a, action: insert, value: 1, pattern: x}]", "does not use the \"pattern\" field"),
        ("actions: [{key: a, action: insert, value: 1, typo: 1}]", "unknown key 'typo'"),
        ("actions: [{key: a, action: insert, value: 1, from_context: metadata.x}]", "multiple value sources"),
        ("actions: [{key: a, action: delete}]\ninclude: {}", "at least one of"),
        ("actions: [{key: a, action: delete}]\ninclude: {services: [a]}", "unrecognized match_type: ''"),
        ("actions: [{key: a, action: delete}]\ninclude: {match_type: strict, span_kinds: [server]}", "standard span kinds"),
        ("actions: [{key: a, action: delete}]\ninclude: {match_type: regexp, attributes: [{key: k, value: 1}]}", "only supports Str"),
        ("actions: [{key: a, action: delete}]\ninclude: {match_type: strict, log_bodies: [x]}", "should not be specified for trace spans"),
    ]
    for (yaml, message) in bad {
        let error = configError(yaml)
        #expect(error?.contains(message) == true, "\(yaml): \(error ?? "no error")")
    }
}

@Test func attributes_fromContext_readsTheSendersAddressAndMetadata_asUpstream() throws {
    let p = try attributesProcessor("""
        actions:
          - {key: client.ip, action: insert, from_context: client.address}
          - {key: tenant, action: upsert, from_context: metadata.X-Scope-OrgID}
          - {key: team, action: upsert, from_context: x-team}
          - {key: absent, action: insert, from_context: metadata.missing}
          - {key: user, action: insert, from_context: auth.username}
          - {key: no.such, action: insert, from_context: auth.subject}
        """)
    var b = batch(service: "cart", name: "span", [KeyValue("tenant", .string("old"))])
    b.context = RequestContext(remoteAddress: "[fd00::7]:51000", metadata: ["x-scope-orgid": ["acme", "beta"], "x-team": ["payments"]],
                               auth: ["username": "svc-cart"])
    p.process(&b)
    let out = b.resourceSpans[0].scopeSpans[0].spans[0].attributes
    #expect(out[key: "client.ip"] == .string("fd00::7"))
    #expect(out[key: "tenant"] == .string("acme;beta"))
    #expect(out[key: "team"] == .string("payments"))
    #expect(out[key: "absent"] == nil && out[key: "no.such"] == nil)
    #expect(out[key: "user"] == .string("svc-cart"))
    // No context (batches of several senders merged): the address is empty, metadata absent.
    #expect(run(p, [KeyValue("tenant", .string("old"))]) == ["client.ip": .string(""), "tenant": .string("old")])
}
