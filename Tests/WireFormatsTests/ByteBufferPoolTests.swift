import Diagnostics
import Testing
import TraceModel
@testable import WireFormats

@Test func byteBufferPool_encodesTheSameBytes_intoBuffersUsedAgain_largerOrSmaller() {
    let pool = ByteBufferPool(maxBuffers: 2, keptCapacities: 1...(1 << 20))
    let small = SampleBatches.batch(spanCount: 3), large = SampleBatches.batch(spanCount: 200)
    for batch in [large, small, large, large, small] {
        let bytes = OTLPProtoEncoder.encodeExportRequest(batch, buffers: pool)
        #expect(bytes == OTLPProtoEncoder.encodeExportRequest(batch))
        pool.give(bytes)
        #expect(pool.count == 1)
    }
}

@Test func byteBufferPool_aBufferGivenBackWhileStillHeld_isCopiedWhenWritten_notChanged() {
    let pool = ByteBufferPool(maxBuffers: 1, keptCapacities: 1...(1 << 20))
    let first = OTLPProtoEncoder.encodeExportRequest(SampleBatches.batch(spanCount: 50), buffers: pool)
    let held = first
    pool.give(first)
    let second = OTLPProtoEncoder.encodeExportRequest(SampleBatches.batch(spanCount: 7), buffers: pool)
    #expect(held == OTLPProtoEncoder.encodeExportRequest(SampleBatches.batch(spanCount: 50)))
    #expect(second == OTLPProtoEncoder.encodeExportRequest(SampleBatches.batch(spanCount: 7)))
}

@Test func byteBufferPool_keepsOnlyCapacitiesInItsRange_andAtMostItsCount() {
    let pool = ByteBufferPool(maxBuffers: 2, keptCapacities: 1000...4000)
    pool.give([UInt8](repeating: 1, count: 10))
    pool.give([UInt8](repeating: 1, count: 100_000))
    #expect(pool.count == 0)
    for _ in 0..<3 { pool.give([UInt8](repeating: 1, count: 2000)) }
    #expect(pool.count == 2)
    #expect(pool.take(count: 3000).count == 3000 && pool.take(count: 5).count == 5 && pool.count == 0)
    #expect(pool.take(count: 64).count == 64)
}
