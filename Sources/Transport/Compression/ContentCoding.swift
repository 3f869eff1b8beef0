import Diagnostics

/// A compression applied to a whole body (HTTP `Content-Encoding`) or to one gRPC message
/// (`grpc-encoding`). snappy and lz4 are recognised so they can be refused by name.
public enum ContentCoding: String, Equatable, Sendable {
    case gzip
    /// zlib-wrapped per RFC 9110 §8.4.1.2; raw deflate is accepted too, as browsers and Go clients once sent it.
    case deflate
    case zstd

    /// The coding a header token names; nil for `identity`; throws for a coding not supported.
    public init?(token: String) throws(ContentCodingError) {
        switch token.lowercased() {
        case "", "identity": return nil
        case "gzip", "x-gzip": self = .gzip
        case "deflate", "zlib": self = .deflate
        case "zstd": self = .zstd
        case let other: throw ContentCodingError(coding: other)
        }
    }

    public var token: String { rawValue }

    /// Inflates `body`, refusing output above `limit` bytes.
    public func decode(_ body: UnsafeRawBufferPointer, limit: Int) throws(DecompressionError) -> [UInt8] {
        switch self {
        case .gzip:
            return try Decompression.inflate(body, format: .gzip, limit: limit)
        case .deflate:
            let format: Decompression.Format = Decompression.hasZlibHeader(body) ? .zlib : .rawDeflate
            return try Decompression.inflate(body, format: format, limit: limit)
        case .zstd:
            return try Decompression.inflateZstd(body, limit: limit)
        }
    }

    public func decode(_ body: [UInt8], limit: Int) throws(DecompressionError) -> [UInt8] {
        let result = body.withUnsafeBytes { raw in
            Result { () throws(DecompressionError) in try decode(raw, limit: limit) }
        }
        return try result.get()
    }

    /// Compresses `body` at `level` as the Collector's `compression_params::level` means it
    /// (nil: Swiftlet's default level, 1 for gzip and deflate). gzip and deflate take Go's
    /// compress/flate levels: -1 Go's default (6), 0 stored blocks, 1 to 9; -2, Go's
    /// Huffman-only, is libdeflate's fastest level.
    /// zstd takes libzstd's levels as they are.
    /// `buffers`: gzip and deflate write into a buffer taken from there (give it back once sent).
    public func encode(_ body: [UInt8], level: Int32? = nil, buffers: ByteBufferPool? = nil) -> [UInt8] {
        switch self {
        case .gzip: body.withUnsafeBytes { Decompression.compress($0, format: .gzip, level: Self.deflateLevel(level), buffers: buffers) }
        case .deflate: body.withUnsafeBytes { Decompression.compress($0, format: .zlib, level: Self.deflateLevel(level), buffers: buffers) }
        case .zstd: body.withUnsafeBytes { Decompression.compressZstd($0, level: level ?? Decompression.defaultZstdLevel) }
        }
    }

    /// Whether `level` is one `compression_params::level` may give this coding (configcompression's
    /// ValidateParams: any zstd level; for gzip and deflate -1, -2, 0 and 1 to 9).
    public func accepts(level: Int32) -> Bool {
        switch self {
        case .zstd: true
        case .gzip, .deflate: (-2...9).contains(level)
        }
    }

    private static func deflateLevel(_ level: Int32?) -> Int32 {
        switch level {
        case nil: Decompression.defaultDeflateLevel
        case -1: Decompression.goDefaultDeflateLevel
        case -2: 1
        case let level?: level
        }
    }
}

public struct ContentCodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public let coding: String
    public var description: String {
        switch coding {
        case "snappy", "x-snappy-framed", "lz4":
            "compression \"\(coding)\" is not supported by Swiftlet yet; use gzip or zstd"
        default:
            "unsupported compression \"\(coding)\"; supported: gzip, deflate, zstd"
        }
    }
}
