import Pipeline
import TraceModel

/// A processor that edits each batch in place and hands it on: nothing to start, hold or flush.
protocol SpanEditingProcessor: Component, TraceConsumer {
    var next: any TraceConsumer { get }
    func process(_ batch: inout TraceBatch)
}

extension SpanEditingProcessor {
    func start() {}
    func shutdown() {}

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        var batch = batch
        process(&batch)
        try next.consume(batch)
    }
}
