import Config
import Pipeline
import TraceModel
import WireFormats

/// `resource` processor: the actions of its `attributes` edit every resource's attributes, with
/// the rules of the `attributes` processor's actions.
final class ResourceProcessor: SpanEditingProcessor {
    static let factory = ComponentFactory.processor("resource", .beta, parse: Config.parse) { _, config, next in
        ResourceProcessor(config, next: next)
    }

    struct Config: Sendable {
        var actions: [AttributeAction]

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            Config(actions: try AttributeAction.parseList(r, key: "attributes", component: "resource"))
        }
    }

    private let actions: [AttributeAction]
    let next: any TraceConsumer

    init(_ config: Config, next: any TraceConsumer) {
        actions = config.actions
        self.next = next
    }

    func process(_ batch: inout TraceBatch) {
        for r in batch.resourceSpans.indices {
            let context = batch.context
            batch.resourceSpans[r].editResource { actions.apply(to: &$0.attributes, context: context) }
        }
    }
}
