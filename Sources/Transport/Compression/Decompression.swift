import CZlib

public enum DecompressionError: Error, Equatable, CustomStringConvertible {
    /// The output would exceed `limit` bytes; inflation stopped there.
    case tooLarge(limit: Int)
    /// The compressed stream is invalid or truncated.
    case malformed(String)

    public var description: String {
        switch self {
        case let .tooLarge(limit): "decompressed body exceeds \(limit) bytes"
        case let .malformed(reason): "malformed compressed data: \(reason)"
        }
    }
}

/// One-shot zlib inflate/deflate with a hard cap on the inflated size (bomb guard).
public enum Decompression {
    public enum Format: Sendable {
        case gzip, zlib, rawDeflate

        var windowBits: Int32 {
            switch self {
            case .gzip: 15 + 16
            case .zlib: 15
            case .rawDeflate: -15
            }
        }
    }

    private static let chunkSize = 64 * 1024

    public static func inflate(_ input: [UInt8], format: Format, limit: Int) throws(DecompressionError) -> [UInt8] {
        let result = input.withUnsafeBytes { raw in
            Result { () throws(DecompressionError) in try inflate(raw, format: format, limit: limit) }
        }
        return try result.get()
    }

    public static func inflate(_ input: UnsafeRawBufferPointer, format: Format, limit: Int) throws(DecompressionError) -> [UInt8] {
        var consumed = 0
        return try inflate(input, format: format, limit: limit, consumed: &consumed)
    }

    /// `consumed` reports how much input was read before returning or throwing.
    static func inflate(_ input: UnsafeRawBufferPointer, format: Format, limit: Int, consumed: inout Int) throws(DecompressionError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) else { throw .tooLarge(limit: limit) }
        var stream = z_stream()
        guard swiftlet_inflateInit2(&stream, format.windowBits) == Z_OK else { throw .malformed("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        defer { consumed = input.count - Int(stream.avail_in) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, input.count &* 4 &+ 1024))
        let chunk = UnsafeMutablePointer<Bytef>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        while true {
            stream.next_out = chunk
            stream.avail_out = uInt(chunkSize)
            let rc = CZlib.inflate(&stream, Z_NO_FLUSH)
            let produced = chunkSize - Int(stream.avail_out)
            guard produced <= limit - output.count else { throw .tooLarge(limit: limit) }
            output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: produced))
            switch rc {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // A gzip body may hold several members (RFC 1952 §2.2); read them all, as Go does.
                guard format == .gzip, stream.avail_in > 0 else { return output }
                inflateReset(&stream)
            case Z_BUF_ERROR:
                throw .malformed("unexpected end of compressed data")
            case Z_NEED_DICT:
                throw .malformed("preset dictionary not supported")
            default:
                throw .malformed(stream.msg.map { String(cString: $0) } ?? "inflate error \(rc)")
            }
        }
    }

    /// Whether `bytes` start with a valid zlib header (RFC 1950 §2.2: CM = 8 and the FCHECK multiple of 31).
    static func hasZlibHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2 else { return false }
        let cmf = Int(bytes[0])
        let flg = Int(bytes[1])
        return cmf & 0x0f == 8 && cmf >> 4 <= 7 && (cmf << 8 | flg) % 31 == 0
    }
}
