import Pipeline
import SwiftletTestKit
import Testing
import TraceModel

@Test func componentID_parsesTypeAndName() throws {
    let id = try ComponentID(parsing: "otlp/primary-1")
    #expect(id.type == "otlp" && id.name == "primary-1" && id.description == "otlp/primary-1")
    #expect(try ComponentID(parsing: "batch").name == "")
}

@Test func componentID_rejectsWhatUpstreamRejects() {
    for bad in ["", "1otlp", "ot-lp", "otlp/", "otlp/a b", "otlp/a/b", String(repeating: "a", count: 64)] {
        #expect(throws: ComponentIDError.self, "\(bad)") { try ComponentID(parsing: bad) }
    }
}

@Test func fanout_deliversToEveryConsumer_andReportsRetryableFirst() {
    let a = SinkConsumer(), b = SinkConsumer(), c = SinkConsumer()
    b.fail(with: .permanent("bad"))
    c.fail(with: .retryable("later"))
    let fanout = FanoutConsumer([a, b, c])
    #expect(throws: ConsumerError.retryable("later")) { try fanout.consume(TraceBatch(resourceSpans: [ResourceSpans()])) }
    #expect(a.batches.count == 1)
}
