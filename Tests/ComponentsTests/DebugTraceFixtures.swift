import TraceModel

/// Fixed batches for the debug exporter golden tests.
enum DebugTraceFixtures {
    static let traceA = TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10)
    static let t2020Start: UInt64 = 1_581_452_772_000_000_321  // 2020-02-11 20:26:12.000000321
    static let t2020End: UInt64 = 1_581_452_773_000_000_789
    static let t2020Event: UInt64 = 1_581_452_773_000_000_123
    static let t2023: UInt64 = 1_700_000_000_000_000_000  // 2023-11-14 22:13:20

    /// Two resources; every span kind and AnyValue type, events, links, unknown enum numbers.
    static var batch: TraceBatch {
        TraceBatch(resourceSpans: [
            ResourceSpans(
                resource: Resource(attributes: [KeyValue("service.name", .string("checkout")), KeyValue("process.pid", .int(-42))]),
                scopeSpans: [instrumentedScope, anonymousScope],
                schemaURL: "https://opentelemetry.io/schemas/1.26.0"),
            ResourceSpans(scopeSpans: [
                ScopeSpans(scope: InstrumentationScope(name: "lib"), spans: [Span(name: "noid")], schemaURL: "https://s"),
            ]),
        ])
    }

    static var instrumentedScope: ScopeSpans {
        ScopeSpans(
            scope: InstrumentationScope(name: "io.opentelemetry.http", version: "1.2.3", attributes: [KeyValue("scope.attr", .bool(true))]),
            spans: [richSpan, clientSpan],
            schemaURL: "https://example.com/scope")
    }

    static var anonymousScope: ScopeSpans {
        ScopeSpans(spans: [
            minimalSpan(1, "c-internal", .internal),
            minimalSpan(2, "d-producer", .producer),
            minimalSpan(3, "e-consumer", .consumer),
            minimalSpan(4, "f-unspecified", .unspecified),
            minimalSpan(5, "g-unknown", SpanKind(rawValue: 9), Status(code: StatusCode(rawValue: 7), message: "?")),
        ])
    }

    static var richSpan: Span {
        Span(
            traceID: traceA, spanID: SpanID(0x1112_1314_1516_1718), traceState: "ot=th:0;rv:abc",
            parentSpanID: SpanID(0x2122_2324_2526_2728), name: "GET /orders", kind: .server,
            startTimeUnixNano: t2020Start, endTimeUnixNano: t2020End, attributes: everyValueType,
            droppedAttributesCount: 1, events: events, droppedEventsCount: 2, links: links, droppedLinksCount: 3,
            status: Status(code: .error, message: "boom: <timeout> & retry"))
    }

    static var everyValueType: [KeyValue] {
        [
            KeyValue("str", .string("a \"quoted\" <b>&")),
            KeyValue("bool", .bool(false)),
            KeyValue("int", .int(-7)),
            KeyValue("half", .double(0.5)),
            KeyValue("neg.zero", .double(-0.0)),
            KeyValue("big", .double(1e21)),
            KeyValue("small", .double(1e-7)),
            KeyValue("nan", .double(.nan)),
            KeyValue("pinf", .double(.infinity)),
            KeyValue("ninf", .double(-.infinity)),
            KeyValue("bytes", .bytes([0x00, 0x01, 0x02, 0xfe, 0xff])),
            KeyValue("empty", .empty),
            KeyValue("arr", .array([.string("x"), .int(1), .double(2.5), .bool(true), .empty, .array([]), .kvlist([])])),
            KeyValue("map", nestedMap),
            KeyValue("nanmap", .kvlist([KeyValue("x", .double(.nan))])),
            KeyValue("unicode", .array([.string("\u{E9}\u{2028}\u{01}")])),
        ]
    }

    /// Unsorted, with a repeated key (the last one wins in JSON) and empty bytes.
    static var nestedMap: AnyValue {
        .kvlist([
            KeyValue("z", .int(1)),
            KeyValue("a", .string("first")),
            KeyValue("m", .kvlist([KeyValue("k", .bytes(Array("hi".utf8)))])),
            KeyValue("a", .string("line\nbreak<&>")),
            KeyValue("e", .bytes([])),
            KeyValue("f", .double(1e-7)),
            KeyValue("g", .double(123_456_789)),
        ])
    }

    static var events: [SpanEvent] {
        [
            SpanEvent(timeUnixNano: t2020Event, name: "event-with-attr", attributes: [KeyValue("ev.k", .string("v"))], droppedAttributesCount: 2),
            SpanEvent(timeUnixNano: 0, name: "zero-time"),
        ]
    }

    static var links: [SpanLink] {
        [
            SpanLink(
                traceID: TraceID(high: 0x0a0b_0c0d_0e0f_1011, low: 0x1213_1415_1617_1819), spanID: SpanID(0x4142_4344_4546_4748),
                traceState: "vendor=x", attributes: [KeyValue("link.k", .int(9))], droppedAttributesCount: 4),
            SpanLink(),
        ]
    }

    static var clientSpan: Span {
        Span(
            traceID: traceA, spanID: SpanID(0x5152_5354_5556_5758), name: "list", kind: .client,
            startTimeUnixNano: t2023, endTimeUnixNano: t2023 + 500_000_000,
            attributes: [KeyValue("http.method", .string("GET"))], status: Status(code: .ok))
    }

    static func minimalSpan(_ id: UInt64, _ name: String, _ kind: SpanKind, _ status: Status = Status()) -> Span {
        Span(
            traceID: traceA, spanID: SpanID(id), name: name, kind: kind,
            startTimeUnixNano: t2023, endTimeUnixNano: t2023 + 1_000, status: status)
    }

    /// Upstream's `testdata.GenerateTraces(2)`, the input of `otlptext/testdata/traces/two_spans.out`.
    static var upstreamTwoSpans: TraceBatch {
        let first = Span(
            traceID: traceA, spanID: SpanID(0x1112_1314_1516_1718), traceState: "ot=th:0", name: "operationA",
            startTimeUnixNano: t2020Start, endTimeUnixNano: t2020End, droppedAttributesCount: 1,
            events: [
                SpanEvent(timeUnixNano: t2020Event, name: "event-with-attr", attributes: [KeyValue("span-event-attr", .string("span-event-attr-val"))], droppedAttributesCount: 2),
                SpanEvent(timeUnixNano: t2020Event, name: "event", droppedAttributesCount: 2),
            ],
            droppedEventsCount: 1, status: Status(code: .error, message: "status-cancelled"))
        let second = Span(
            name: "operationB", startTimeUnixNano: t2020Start, endTimeUnixNano: t2020End,
            links: [
                SpanLink(attributes: [KeyValue("span-link-attr", .string("span-link-attr-val"))], droppedAttributesCount: 4),
                SpanLink(droppedAttributesCount: 4),
            ],
            droppedLinksCount: 3)
        return TraceBatch(resourceSpans: [
            ResourceSpans(
                resource: Resource(attributes: [KeyValue("resource-attr", .string("resource-attr-val-1"))]),
                scopeSpans: [ScopeSpans(spans: [first, second])]),
        ])
    }
}
