import Config
import Pipeline
import TraceModel

/// `attributes` processor: its `actions` edit the attributes of every span that `include` /
/// `exclude` select, in the Collector's order and with its rules.
final class AttributesProcessor: SpanEditingProcessor {
    static let factory = ComponentFactory.processor("attributes", .beta, parse: Config.parse) { _, config, next in
        AttributesProcessor(config, next: next)
    }

    struct Config: Sendable {
        var actions: [AttributeAction]
        var match: SpanMatchConfig

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            Config(actions: try AttributeAction.parseList(r, key: "actions", component: "attributes"),
                   match: try SpanMatchConfig.parse(r))
        }
    }

    private let config: Config
    let next: any TraceConsumer

    init(_ config: Config, next: any TraceConsumer) {
        self.config = config
        self.next = next
    }

    func process(_ batch: inout TraceBatch) {
        for r in batch.resourceSpans.indices {
            let resource = batch.resourceSpans[r].resource
            for s in batch.resourceSpans[r].scopeSpans.indices {
                let scope = batch.resourceSpans[r].scopeSpans[s].scope
                for i in batch.resourceSpans[r].scopeSpans[s].spans.indices {
                    if !config.match.isEmpty,
                       config.match.skips(batch.resourceSpans[r].scopeSpans[s].spans[i], scope: scope, resource: resource) { continue }
                    config.actions.apply(to: &batch.resourceSpans[r].scopeSpans[s].spans[i].attributes, context: batch.context)
                }
            }
        }
    }
}
