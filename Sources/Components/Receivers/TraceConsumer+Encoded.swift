import Pipeline
import TraceModel
import WireFormats

extension TraceConsumer {
    /// `consume` for a receiver: when the batch goes on unchanged to an OTLP protobuf exporter
    /// (`forwardsOTLPEncoding`), every `ResourceSpans` that did not arrive as OTLP protobuf is
    /// encoded here first, on the receiving connection's thread.
    func consumeEncoded(_ batch: TraceBatch) throws(ConsumerError) {
        guard forwardsOTLPEncoding else { return try consume(batch) }
        var batch = batch
        OTLPProtoEncoder.attachEncodings(&batch)
        try consume(batch)
    }
}
