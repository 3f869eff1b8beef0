import TraceModel

/// The OTTL parser and evaluator for the fuzzing harness: the text is bound as a statement and as
/// a condition in each context, and what binds runs on a small span.
public enum OTTLFuzzing {
    private static let sample: OTTLContext = {
        var ctx = OTTLContext(resource: Resource(attributes: [KeyValue("service.name", .string("front"))]),
                              scope: InstrumentationScope(name: "lib", version: "1"),
                              span: Span(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "GET /", kind: .server,
                                         attributes: [KeyValue("http.route", .string("/a/1")), KeyValue("n", .int(7)),
                                                      KeyValue("m", .kvlist([KeyValue("k", .array([.double(1.5)]))]))]))
        ctx.event = SpanEvent(name: "retry", attributes: [KeyValue("attempt", .int(2))])
        return ctx
    }()

    public static func run(_ text: String) {
        for kind in OTTLContext.Kind.allCases {
            if let statement = try? OTTLCompiler.statement(text, in: kind) {
                var ctx = sample
                try? statement.run(&ctx)
            }
            if let condition = try? OTTLCompiler.condition(text, in: kind) {
                _ = try? condition.eval(sample)
            }
        }
        _ = try? OTTLCompiler.namedContexts(text)
    }
}
