/// Collects a request body framed by Content-Length or chunked transfer coding (RFC 9112 §6, §7.1),
/// enforcing the size limit before the bytes are stored.
struct BodyReader {
    private enum State: Equatable {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
        case done
    }

    private var state: State
    private(set) var body: [UInt8] = []
    private let limit: Int
    private let maxTrailerBytes: Int
    private static let maxChunkLine = 4096

    init(framing: BodyFraming, limit: Int, maxTrailerBytes: Int) {
        self.limit = limit
        self.maxTrailerBytes = maxTrailerBytes
        switch framing {
        case let .length(count):
            state = count == 0 ? .done : .length(remaining: count)
            body.reserveCapacity(min(count, 4 << 20))
        case .chunked:
            state = .chunkSize
        }
    }

    var isComplete: Bool { state == .done }

    /// Hands the collected body over, leaving the reader empty.
    mutating func takeBody() -> [UInt8] {
        defer { body = [] }
        return body
    }

    /// Consumes what it can from `input` and returns how many bytes it used.
    mutating func consume(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        var offset = 0
        while state != .done, offset < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            guard let used = try step(rest) else { break }
            offset += used
        }
        return offset
    }

    /// One state transition; nil when more input is needed.
    private mutating func step(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int? {
        switch state {
        case let .length(remaining):
            let n = min(remaining, input.count)
            body.append(contentsOf: input[0..<n])
            state = remaining == n ? .done : .length(remaining: remaining - n)
            return n
        case .chunkSize:
            guard let (line, used) = try line(input, max: Self.maxChunkLine, requireCR: true) else { return nil }
            let size = try chunkSize(line)
            if size == 0 {
                state = .trailers(bytes: 0)
            } else {
                guard size <= limit - body.count else { throw .bodyTooLarge }
                state = .chunkData(remaining: size)
            }
            return used
        case let .chunkData(remaining):
            let n = min(remaining, input.count)
            body.append(contentsOf: input[0..<n])
            state = remaining == n ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return n
        case .chunkDataEnd:
            guard let (line, used) = try line(input, max: 2, requireCR: true) else { return nil }
            guard line.isEmpty else { throw .malformed("missing CRLF after chunk data") }
            state = .chunkSize
            return used
        case let .trailers(bytes):
            // Trailer fields are read and discarded (RFC 9112 §7.1.2 lets a recipient ignore them).
            guard let (line, used) = try line(input, max: maxTrailerBytes - bytes) else { return nil }
            state = line.isEmpty ? .done : .trailers(bytes: bytes + used)
            return used
        case .done:
            return nil
        }
    }

    /// The next line without its CRLF or LF, and the bytes it used; nil when no LF arrived yet.
    /// Chunk-size lines and the end of chunk data must end in CRLF (RFC 9112 §7.1): a bare LF there
    /// is refused, as Go does since CVE-2025-22871, because a proxy in front that reads the framing
    /// differently could smuggle a request past it. Trailer lines keep the bare-LF tolerance of
    /// field lines (RFC 9112 §2.2).
    private func line(_ input: UnsafeRawBufferPointer, max: Int, requireCR: Bool = false) throws(HTTPParseError) -> (UnsafeRawBufferPointer, Int)? {
        guard let lf = input.firstIndex(of: 0x0A) else {
            if input.count > max { throw .malformed("chunked framing line too long") }
            return nil
        }
        guard lf <= max else { throw .malformed("chunked framing line too long") }
        let crlf = lf > 0 && input[lf - 1] == 0x0D
        if requireCR && !crlf { throw .malformed("chunked framing line ends with a bare LF") }
        let end = crlf ? lf - 1 : lf
        return (UnsafeRawBufferPointer(rebasing: input[0..<end]), lf + 1)
    }

    /// chunk-size [ BWS ";" chunk-ext ]: extensions are ignored.
    private func chunkSize(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        for byte in line {
            guard let value = hexValue(byte) else {
                guard byte == UInt8(ascii: ";") || byte == 0x20 || byte == 0x09 else { throw .malformed("invalid chunk size") }
                break
            }
            digits += 1
            guard digits <= 15 else { throw .malformed("chunk size too large") }
            size = size << 4 | value
        }
        guard digits > 0 else { throw .malformed("invalid chunk size") }
        return size
    }

    private func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
