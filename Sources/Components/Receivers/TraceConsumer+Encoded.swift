import Pipeline
import TraceModel
import WireFormats

extension TraceConsumer {
    /// `consume` for a receiver: when the batch goes on unchanged to an OTLP protobuf exporter
    /// (`forwardsOTLPEncoding`), every `ResourceSpans` that did not arrive as OTLP protobuf is
    /// encoded here first, on the receiving connection's thread. `remoteAddress` (the
    /// connection's peer) becomes the batch's request context.
    func consumeEncoded(_ batch: TraceBatch, from remoteAddress: String) throws(ConsumerError) {
        var batch = batch
        batch.context = RequestContext(remoteAddress: remoteAddress)
        guard forwardsOTLPEncoding else { return try consume(batch) }
        OTLPProtoEncoder.attachEncodings(&batch)
        try consume(batch)
    }
}
