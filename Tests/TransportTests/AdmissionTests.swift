import Dispatch
import Diagnostics
import Glibc
import Synchronization
import Testing
@testable import Transport

@Test func admissionBudget_reservesWhatFits_andAlwaysLetsOneRequestThrough() {
    let budget = AdmissionBudget(capacity: 100)
    #expect(budget.tryReserve(60) && !budget.tryReserve(60) && budget.tryReserve(40))
    budget.release(100)
    #expect(budget.bytesInUse == 0)
    #expect(budget.tryReserve(500))  // alone, larger than the capacity
    #expect(!budget.tryReserve(1))
    budget.release(500)
}

/// Holds each request in the handler until the test releases it.
private final class HoldingHandler: HTTPHandler, Sendable {
    let gate = DispatchSemaphore(value: 0)
    let entered = Atomic<Int>(0)
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        entered.add(1, ordering: .relaxed)
        _ = gate.wait(timeout: .now() + 10)
        return HTTPResponse(status: 200, body: Array("\(request.body.count)".utf8))
    }
}

@Test func http1_waitsForAdmission_thenAnswers429_andAdmitsOnceThereIsRoom() throws {
    let budget = AdmissionBudget(capacity: 1000)
    let handler = HoldingHandler()
    try withServer({ $0.admission = budget; $0.admissionWait = 0.3 }, handler: handler) { server in
        let holder = try TestClient(port: server.boundPort)
        holder.send(request(body: String(repeating: "a", count: 800)))
        #expect(eventuallyTrue { handler.entered.load(ordering: .relaxed) == 1 })
        #expect(budget.bytesInUse == 800)
        // 800 more do not fit while the first request is held: waits, then 429 with Retry-After.
        let refused = try TestClient(port: server.boundPort)
        refused.send(request(body: String(repeating: "b", count: 800)))
        let answer = refused.readResponse()
        #expect(answer?.status == 429 && answer?.headers["retry-after"] == "1")
        #expect(handler.entered.load(ordering: .relaxed) == 1)
        // Released while a third waits: it gets in.
        let waiting = try TestClient(port: server.boundPort)
        waiting.send(request(body: String(repeating: "c", count: 800)))
        usleep(100_000)
        handler.gate.signal()
        #expect(holder.readResponse()?.status == 200)
        #expect(eventuallyTrue { handler.entered.load(ordering: .relaxed) == 2 })
        handler.gate.signal()
        #expect(waiting.readResponse()?.text == "800")
        #expect(eventuallyTrue { budget.bytesInUse == 0 })
    }
}

@Test func http2_refusesAStreamThatDoesNotFit_andReleasesWhatItHeld() throws {
    let budget = AdmissionBudget(capacity: 1 << 20)
    let release = DispatchSemaphore(value: 0)
    let handler = GRPCServerHandler(methods: [
        "/t.S/Hold": { call in
            _ = release.wait(timeout: .now() + 10)
            return .success([UInt8(call.message.count % 256)])
        },
    ], maxReceiveMessageSize: 8 << 20)
    try withServer({ $0.httpVersion = .http2; $0.maxRequestBodySize = 8 << 20; $0.admission = budget }, handler: handler) { server in
        let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quietLogger)
        defer { client.close() }
        let first = DispatchSemaphore(value: 0)
        client.unary(path: "/t.S/Hold", message: Array(repeating: 1, count: 900_000), metadata: [], compression: nil, timeout: 10) { _ in first.signal() }
        #expect(eventuallyTrue { budget.bytesInUse >= 900_000 })
        let second = Mutex<GRPCStatus?>(nil)
        let done = DispatchSemaphore(value: 0)
        client.unary(path: "/t.S/Hold", message: Array(repeating: 2, count: 900_000), metadata: [], compression: nil, timeout: 10) { result in
            if case let .failure(status) = result { second.withLock { $0 = status } }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(second.withLock { $0 }?.code == .resourceExhausted)
        release.signal()
        #expect(first.wait(timeout: .now() + 10) == .success)
        #expect(eventuallyTrue { budget.bytesInUse == 0 })
    }
}

private let quietLogger = Logger(component: "test", sink: LogSink(level: .error))

private func eventuallyTrue(_ condition: () -> Bool) -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
