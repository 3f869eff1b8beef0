import TraceModel
import Transport
import WireFormats

extension TraceQueryHandler {
    /// Tempo's trace by id: v1 answers a `Trace` (`{"batches":[…]}` in JSON), v2 a
    /// `TraceByIDResponse` (`{"trace":{"resourceSpans":[…]}}`); protobuf when the client accepts
    /// `application/protobuf`, as Grafana asks.
    func traceByID(_ text: String, _ store: TraceStore, _ request: HTTPRequest, version: APIVersion) -> HTTPResponse {
        guard let id = Self.parseTraceID(text) else {
            return .text(400, "invalid trace id '\(text)': expected 1 to 32 hex digits")
        }
        guard let trace = store.trace(id) else { return .text(404, "trace not found") }
        if (request.headers["Accept"] ?? "").contains("application/protobuf") {
            let message = OTLPProtoEncoder.encodeExportRequest(TraceBatch(resourceSpans: trace.resourceSpans))
            let body = version == .v1 ? message : OTLPProtoEncoder.encodeMessageField(1, message)
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/protobuf")], body: body)
        }
        return Self.json(TempoJSON.trace(trace.resourceSpans, version: version))
    }

    /// Hex as Tempo takes it: up to 32 digits, left-padded with zeros; not all zero.
    static func parseTraceID(_ text: String) -> TraceID? {
        let digits = Array(text.utf8)
        guard (1...32).contains(digits.count) else { return nil }
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: 32 - digits.count) + digits
        guard let id = padded.withUnsafeBytes({ TraceID(hexDigits: $0) }), !id.isZero else { return nil }
        return id
    }
}
