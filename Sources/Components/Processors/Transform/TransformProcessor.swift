import Config
import Diagnostics
import Pipeline
import TraceModel

/// `transform` processor for traces: `trace_statements` run in order, each group in its context
/// (`resource`, `scope`, `span`, `spanevent`) over every resource, scope, span or event of the
/// batch; a group's `conditions`, when given, must hold (any of them) for its statements to run.
final class TransformProcessor: SpanEditingProcessor {
    static let factory = ComponentFactory.processor("transform", .alpha, parse: Config.parse) { ctx, config, next in
        TransformProcessor(config, logger: ctx.logger, next: next)
    }

    struct Group: Sendable {
        var context: OTTLContext.Kind
        var statements: [OTTLStatement]
        var conditions: [OTTLBoolean]
        var errorMode: OTTLErrorMode
    }

    struct Config: Sendable {
        var groups: [Group] = []
        var otherSignals: [String] = []

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            let errorMode = try OTTLErrorMode.parse(r)
            if let node = r.node("trace_statements") {
                guard case .sequence(let items) = node else { throw r.error("trace_statements", "expected a list") }
                for (i, item) in items.enumerated() {
                    let key = "trace_statements[\(i)]"
                    if let text = item.scalarText {
                        c.groups.append(try flatGroup(text, errorMode, r, key))
                    } else {
                        let g = try ConfigReader(item, path: r.path.isEmpty ? key : r.path + "::" + key, file: r.file)
                        c.groups.append(try group(g, errorMode))
                        try g.finish()
                    }
                }
            }
            c.otherSignals = ["metric_statements", "log_statements"].filter { r.node($0) != nil }
            return c
        }

        /// One statement of the flat form: its context is the innermost one its paths name.
        private static func flatGroup(_ text: String, _ errorMode: OTTLErrorMode, _ r: ConfigReader, _ key: String) throws(ConfigError) -> Group {
            let kind = try inferContext([text], r, key)
            do {
                return Group(context: kind, statements: [try OTTLCompiler.statement(text, in: kind)], conditions: [], errorMode: errorMode)
            } catch {
                throw r.error(key, error.description)
            }
        }

        private static func inferContext(_ texts: [String], conditions: [String] = [], _ r: ConfigReader, _ key: String) throws(ConfigError) -> OTTLContext.Kind {
            var named: Set<OTTLContext.Kind> = []
            for (text, isCondition) in texts.map({ ($0, false) }) + conditions.map({ ($0, true) }) {
                do {
                    named.formUnion(try OTTLCompiler.namedContexts(text, isCondition: isCondition))
                } catch {
                    throw r.error(key, error.description)
                }
            }
            guard let innermost = named.max() else {
                throw r.error(key, "unable to infer a context from the statements: name one (context: span) or prefix the paths (span.name, resource.attributes[...])")
            }
            return innermost
        }

        private static func group(_ g: ConfigReader, _ inherited: OTTLErrorMode) throws(ConfigError) -> Group {
            let errorMode = try OTTLErrorMode.parse(g, default: inherited)
            let texts = try g.stringList("statements") ?? []
            guard !texts.isEmpty else { throw g.error("statements", "at least one statement is required") }
            let conditionTexts = try g.stringList("conditions") ?? []
            let kind: OTTLContext.Kind
            if let name = try g.string("context") {
                guard let k = OTTLContext.Kind(rawValue: name) else {
                    throw g.error("context", "unknown context \(name) for traces; expected resource, scope, span or spanevent")
                }
                kind = k
            } else {
                kind = try inferContext(texts, conditions: conditionTexts, g, "statements")
            }
            let statements = try g.ottlList("statements") { t throws(OTTLConfigError) in try OTTLCompiler.statement(t, in: kind) } ?? []
            let conditions = try g.ottlList("conditions") { t throws(OTTLConfigError) in try OTTLCompiler.condition(t, in: kind) } ?? []
            return Group(context: kind, statements: statements, conditions: conditions, errorMode: errorMode)
        }
    }

    private let groups: [Group]
    private let logger: Logger
    let next: any TraceConsumer

    init(_ config: Config, logger: Logger, next: any TraceConsumer) {
        groups = config.groups
        self.logger = logger
        self.next = next
        for signal in config.otherSignals {
            logger.warn("\(signal) are not used: Swiftlet carries traces only")
        }
    }

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        var batch = batch
        if let error = transform(&batch) { throw .permanent(error.description) }
        try next.consume(batch)
    }

    func process(_ batch: inout TraceBatch) { _ = transform(&batch) }

    /// Runs every group; returns the error that stopped it under `error_mode: propagate`.
    func transform(_ batch: inout TraceBatch) -> OTTLError? {
        for group in groups {
            for r in batch.resourceSpans.indices {
                if let error = run(group, &batch.resourceSpans[r]) { return error }
            }
        }
        return nil
    }

    private func run(_ group: Group, _ rs: inout ResourceSpans) -> OTTLError? {
        var ctx = OTTLContext(resource: rs.resource)
        defer { rs.resource = ctx.resource }
        if group.context == .resource { return execute(group, &ctx) }
        for s in rs.scopeSpans.indices {
            ctx.scope = rs.scopeSpans[s].scope
            defer { rs.scopeSpans[s].scope = ctx.scope }
            if group.context == .scope {
                if let error = execute(group, &ctx) { return error }
                continue
            }
            for i in rs.scopeSpans[s].spans.indices {
                ctx.span = rs.scopeSpans[s].spans[i]
                defer { rs.scopeSpans[s].spans[i] = ctx.span }
                if group.context == .span {
                    if let error = execute(group, &ctx) { return error }
                    continue
                }
                for e in ctx.span.events.indices {
                    ctx.event = ctx.span.events[e]
                    let error = execute(group, &ctx)
                    ctx.span.events[e] = ctx.event
                    if let error { return error }
                }
            }
        }
        return nil
    }

    /// The group's statements on one context value, if its conditions allow.
    private func execute(_ group: Group, _ ctx: inout OTTLContext) -> OTTLError? {
        if !group.conditions.isEmpty {
            var holds = false
            for condition in group.conditions {
                do throws(OTTLError) {
                    if try condition.eval(ctx) { holds = true; break }
                } catch {
                    if !group.errorMode.handle(error, "condition \"\(condition.text)\"", logger: logger) { return error }
                }
            }
            guard holds else { return nil }
        }
        for statement in group.statements {
            do throws(OTTLError) {
                try statement.run(&ctx)
            } catch {
                if !group.errorMode.handle(error, "statement \"\(statement.text)\"", logger: logger) { return error }
            }
        }
        return nil
    }
}
