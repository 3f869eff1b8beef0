/// The entry point of the libFuzzer harness in `Fuzz/` (SPI, not part of the module's API): it
/// drives the same request-head parser, body reader and decompressor the server uses.
@_spi(Fuzzing) public enum HTTPDecodingFuzzer {
    /// Decodes `input` as a stream of requests; must never trap, whatever the bytes. The first
    /// byte picks the Content-Encoding the bodies are inflated with.
    public static func run(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        let codings: [ContentCoding] = [.gzip, .deflate, .zstd]
        var rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
        while let used = decodeOne(rest, coding: codings[Int(selector) % codings.count]), used > 0 {
            rest = UnsafeRawBufferPointer(rebasing: rest[used...])
        }
    }

    /// One request: head, analysis, body; returns the bytes used, or nil when it stops.
    private static func decodeOne(_ bytes: UnsafeRawBufferPointer, coding: ContentCoding) -> Int? {
        let start = HTTPParser.leadingEmptyLines(bytes)
        guard let end = HTTPParser.headLength(bytes, from: start) else { return nil }
        guard var head = try? HTTPParser.parseHead(UnsafeRawBufferPointer(rebasing: bytes[start..<end])),
              (try? HTTPParser.analyze(&head, decompression: true)) != nil
        else { return nil }
        var reader = BodyReader(framing: head.framing, limit: 1 << 20, maxTrailerBytes: 1 << 16)
        guard let used = try? reader.consume(UnsafeRawBufferPointer(rebasing: bytes[end...])), reader.isComplete else { return nil }
        let body = reader.takeBody()
        if head.contentCoding != nil { _ = try? coding.decode(body, limit: 1 << 20) }
        _ = head.request(body: body, remoteAddress: "")
        return end + used
    }
}
