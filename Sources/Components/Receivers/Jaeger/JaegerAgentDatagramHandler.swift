import Diagnostics
import Pipeline
import TraceModel
import WireFormats

/// Decodes one agent datagram (`Agent.emitBatch`) and hands its spans on. A bad datagram is
/// counted and logged at debug level; a refused batch is logged at debug level (UDP has no answer).
struct JaegerAgentDatagramHandler: Sendable {
    let kind: ThriftProtocolKind
    let next: any TraceConsumer
    let logger: Logger
    let invalidDatagrams: SelfMetrics.Counter

    func handle(_ datagram: [UInt8]) {
        let batch: TraceBatch
        do {
            batch = try JaegerThriftDecoder.decodeEmitBatch(datagram, protocol: kind)
        } catch {
            invalidDatagrams.add(1)
            logger.debug("Dropped an undecodable Jaeger agent datagram", ["protocol": kind.rawValue, "bytes": datagram.count, "error": "\(error)"])
            return
        }
        guard !batch.isEmpty else { return }
        do throws(ConsumerError) {
            try next.consumeEncoded(batch, from: "")  // datagrams carry no connection
        } catch {
            logger.debug("The pipeline refused a Jaeger agent batch", ["protocol": kind.rawValue, "spans": batch.spanCount, "error": error.message])
        }
    }
}
