@testable import Components
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
@testable import Transport

private func call(_ message: [UInt8]) -> GRPCCall {
    GRPCCall(path: JaegerGRPCService.postSpansPath, message: message, metadata: HTTPHeaders([]), deadline: nil, remoteAddress: "test")
}

/// PostSpansRequest{batch: Batch{spans: [Span{trace_id: 16 bytes, span_id: 8 bytes}]}}.
private let oneSpan: [UInt8] = {
    let span: [UInt8] = [0x0A, 16] + [UInt8](repeating: 1, count: 16) + [0x12, 8] + [UInt8](repeating: 2, count: 8)
    let batch: [UInt8] = [0x0A, UInt8(span.count)] + span
    return [0x0A, UInt8(batch.count)] + batch
}()

@Test func jaegerGRPC_postSpans_answersEmpty_andRefusalsMapAsForOTLP() throws {
    let sink = SinkConsumer()
    let metrics = SelfMetrics()
    let invalid = metrics.counter("invalid", help: "", labels: [:])
    let service = JaegerGRPCService(next: sink, logger: CapturedLog().logger(), invalidRequests: invalid)

    #expect(try service.postSpans(call(oneSpan)).get() == [])
    #expect(sink.allSpans.map(\.spanID) == [SpanID(0x0202_0202_0202_0202)])

    sink.fail(with: .retryable("queue full"))
    guard case .failure(let unavailable) = service.postSpans(call(oneSpan)) else { Issue.record("a refusal should fail the call"); return }
    #expect(unavailable.code == .unavailable && unavailable.message == "queue full" && unavailable.detailsBase64 != nil)
    sink.fail(with: .refused("memory", retryAfterSeconds: 5))
    guard case .failure(let exhausted) = service.postSpans(call(oneSpan)) else { Issue.record("a refusal should fail the call"); return }
    #expect(exhausted.code == .resourceExhausted && exhausted.detailsBase64 != nil)
    sink.fail(with: .permanent("bad data"))
    guard case .failure(let permanent) = service.postSpans(call(oneSpan)) else { Issue.record("a refusal should fail the call"); return }
    #expect(permanent.code == .invalidArgument && permanent.detailsBase64 == nil)

    guard case .failure(let undecodable) = service.postSpans(call([0x0A, 0x05, 0x0A])) else { Issue.record("bad bytes should fail"); return }
    #expect(undecodable.code == .invalidArgument && undecodable.message.contains("in batch"), "\(undecodable.message)")
    #expect(invalid.current == 1)
}
