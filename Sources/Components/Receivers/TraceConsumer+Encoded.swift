import Pipeline
import TraceModel
import Transport
import WireFormats

extension TraceConsumer {
    /// `consume` for a receiver: when the batch goes on unchanged to an OTLP protobuf exporter
    /// (`forwardsOTLPEncoding`), every `ResourceSpans` that did not arrive as OTLP protobuf is
    /// encoded here first, on the receiving connection's thread. `remoteAddress` (the
    /// connection's peer), the authenticator's attributes and, when the receiver keeps them
    /// (`include_metadata`), the request's header fields become the batch's request context.
    func consumeEncoded(_ batch: TraceBatch, from remoteAddress: String, metadata: HTTPHeaders? = nil,
                        auth: [String: String] = [:]) throws(ConsumerError) {
        var batch = batch
        batch.context = RequestContext(remoteAddress: remoteAddress, metadata: metadata?.requestMetadata ?? [:], auth: auth)
        guard forwardsOTLPEncoding else { return try consume(batch) }
        OTLPProtoEncoder.attachEncodings(&batch)
        try consume(batch)
    }
}

extension HTTPHeaders {
    /// Every field by lowercased name, values in order (`client.Metadata` keys are case-insensitive).
    var requestMetadata: [String: [String]] {
        var out: [String: [String]] = [:]
        for (name, value) in self { out[name.lowercased(), default: []].append(value) }
        return out
    }
}
