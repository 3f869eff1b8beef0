import Diagnostics
import Dispatch
import Synchronization
import Testing
@testable import Transport

@Suite struct DecompressionTests {
    @Test func compress_intoBuffersUsedAgain_writesWhatAFreshBufferGets() throws {
        let buffers = ByteBufferPool(maxBuffers: 1, keptCapacities: 1...(8 << 20))
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        let small = Array("spans spans spans".utf8)
        buffers.give([UInt8](repeating: 0xEE, count: 1 << 20))  // stale bytes, larger than needed
        for payload in [small, large, small] {
            for coding in [ContentCoding.gzip, .deflate] {
                let pooled = coding.encode(payload, buffers: buffers)
                #expect(pooled == coding.encode(payload))
                #expect(try coding.decode(pooled, limit: payload.count) == payload)
                buffers.give(pooled)
            }
        }
    }

    @Test func inflate_roundTrips_forEveryFormat() throws {
        let payload = Array(String(repeating: "abc123", count: 1000).utf8)
        for format in [Decompression.Format.gzip, .zlib, .rawDeflate] {
            let compressed = Decompression.compress(payload, format: format)
            #expect(try Decompression.inflate(compressed, format: format, limit: payload.count) == payload)
        }
    }

    @Test func inflate_throwsTooLargeEarly_whenOutputExceedsLimit() throws {
        let bomb = Decompression.compress([UInt8](repeating: 0, count: 10 << 20), format: .gzip, level: 9)
        var consumed = 0
        let result = bomb.withUnsafeBytes { raw in
            Result { () throws(DecompressionError) in try Decompression.inflate(raw, format: .gzip, limit: 1 << 20, consumed: &consumed) }
        }
        #expect(throws: DecompressionError.tooLarge(limit: 1 << 20)) { try result.get() }
        // Stopped after about a tenth of the input: the rest of the bomb was never inflated.
        #expect(consumed < bomb.count / 4)
    }

    @Test func inflate_throwsMalformed_whenTruncatedOrGarbage() {
        let compressed = Decompression.compress(Array("hello hello hello".utf8), format: .gzip)
        #expect(throws: DecompressionError.self) { try Decompression.inflate(Array(compressed.dropLast(10)), format: .gzip, limit: 100) }
        #expect(throws: DecompressionError.self) { try Decompression.inflate(Array("nope".utf8), format: .gzip, limit: 100) }
    }

    @Test func compress_writesEachFormatsHeader_andSmallerAtHigherLevels() throws {
        let payload = Array((0..<4000).flatMap { "span-\($0 % 97) service.name=checkout ".utf8 })
        let gzip = Decompression.compress(payload, format: .gzip)
        #expect(Array(gzip.prefix(3)) == [0x1f, 0x8b, 8])  // RFC 1952 §2.3.1: ID1, ID2, CM = deflate
        let zlib = Decompression.compress(payload, format: .zlib)
        #expect(zlib.withUnsafeBytes { Decompression.hasZlibHeader($0) })
        let fast = Decompression.compress(payload, format: .gzip, level: 1)
        let best = Decompression.compress(payload, format: .gzip, level: 12)
        #expect(best.count <= gzip.count && gzip.count <= fast.count && fast.count < payload.count / 4)
        #expect(try Decompression.inflate(best, format: .gzip, limit: payload.count) == payload)
        #expect(Decompression.compress([UInt8](), format: .gzip).count > 0)
    }

    @Test func contentCoding_encodesAtTheCollectorsLevels() throws {
        let payload = Array((0..<3000).flatMap { "attr-\($0 % 53)=value-\($0 % 7);".utf8 })
        let stored = ContentCoding.gzip.encode(payload, level: 0)
        let fastest = ContentCoding.gzip.encode(payload, level: -2)
        let byDefault = ContentCoding.gzip.encode(payload)
        #expect(stored.count > payload.count && fastest.count < payload.count / 4)
        #expect(byDefault == ContentCoding.gzip.encode(payload, level: 1) && byDefault != ContentCoding.gzip.encode(payload, level: 6))
        #expect(ContentCoding.gzip.encode(payload, level: -1) == ContentCoding.gzip.encode(payload, level: 6))
        for (coding, level) in [(ContentCoding.gzip, Int32(0)), (.deflate, 9), (.zstd, 1000), (.zstd, -1000)] {
            #expect(try coding.decode(coding.encode(payload, level: level), limit: payload.count) == payload)
        }
        #expect(ContentCoding.gzip.accepts(level: -2) && !ContentCoding.gzip.accepts(level: 10) && ContentCoding.zstd.accepts(level: 22))
    }

    @Test func compress_fromManyThreadsAtOnce_reusingCompressors() throws {
        let payloads = (0..<16).map { i in Array(String(repeating: "thread \(i) ", count: 2000 + i * 100).utf8) }
        // Results are gathered on a serial queue, which ThreadSanitizer models (it does not see
        // Synchronization.Mutex).
        final class Results: @unchecked Sendable { var items: [[UInt8]?] = [] }
        let results = Results()
        results.items = Array(repeating: nil, count: payloads.count)
        let gather = DispatchQueue(label: "results")
        DispatchQueue.concurrentPerform(iterations: payloads.count) { i in
            let level = Int32(i % 3 == 0 ? 1 : 6)
            let compressed = Decompression.compress(payloads[i], format: i % 2 == 0 ? .gzip : .zlib, level: level)
            gather.sync { results.items[i] = compressed }
        }
        for (i, compressed) in gather.sync(execute: { results.items }).enumerated() {
            let format: Decompression.Format = i % 2 == 0 ? .gzip : .zlib
            #expect(try Decompression.inflate(compressed!, format: format, limit: payloads[i].count) == payloads[i])
        }
    }

    @Test func inflate_readsAllMembers_whenGzipConcatenated() throws {
        let joined = Decompression.compress(Array("ab".utf8), format: .gzip) + Decompression.compress(Array("cd".utf8), format: .gzip)
        #expect(try Decompression.inflate(joined, format: .gzip, limit: 10) == Array("abcd".utf8))
    }
}

@Suite struct EndpointTests {
    @Test func parsing_acceptsDocumentedForms() throws {
        #expect(try Endpoint(parsing: "localhost:4318") == Endpoint(host: "localhost", port: 4318))
        #expect(try Endpoint(parsing: "0.0.0.0:4318") == Endpoint(host: "0.0.0.0", port: 4318))
        #expect(try Endpoint(parsing: ":4318") == Endpoint(host: "", port: 4318))
        #expect(try Endpoint(parsing: "[::1]:4318") == Endpoint(host: "::1", port: 4318))
        #expect(try Endpoint(parsing: "[::]:9411") == Endpoint(host: "::", port: 9411))
    }

    @Test func parsing_explainsExpectedForm_whenInvalid() {
        for bad in ["localhost", "::1:4318", "host:99999", "host:", "[::1]4318", "[::1", "h:12a"] {
            #expect(throws: SocketError.self, "\(bad)") { try Endpoint(parsing: bad) }
        }
        do {
            _ = try Endpoint(parsing: "localhost")
        } catch {
            #expect(error.description.contains("expected"))
        }
    }
}

@Suite struct HTTPParserTests {
    private func parse(_ text: String) throws(HTTPParseError) -> RequestHead {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(HTTPParseError) -> RequestHead in
                var head = try HTTPParser.parseHead(raw)
                try HTTPParser.analyze(&head, decompression: true)
                return head
            }
        }
        return try result.get()
    }

    @Test func parseHead_keepsHeaderCaseInsensitive_andSplitsQuery() throws {
        let head = try parse("GET /v1/traces?a=b HTTP/1.1\r\nHost: x\r\ncontent-TYPE:  application/json \r\nX-A: 1\r\nx-a: 2\r\n\r\n")
        #expect(head.path == "/v1/traces")
        #expect(head.query == "a=b")
        #expect(head.headers["Content-Type"] == "application/json")
        #expect(head.headers.values("X-A") == ["1", "2"])
        #expect(head.keepAlive)
        #expect(Array(head.headers).count == 4)
    }

    @Test func analyze_rejectsConflictingContentLengths() {
        #expect(throws: HTTPParseError.malformed("invalid Content-Length")) {
            try parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        }
        #expect(throws: HTTPParseError.unsupportedVersion("HTTP/2.0")) { try parse("GET / HTTP/2.0\r\n\r\n") }
    }

    @Test func headLength_acceptsBareLineFeeds() {
        let bytes = Array("GET / HTTP/1.1\nHost: x\n\nrest".utf8)
        #expect(bytes.withUnsafeBytes { HTTPParser.headLength($0, from: 0) } == 24)
    }
}
