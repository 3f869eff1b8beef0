import CDeflate
import Diagnostics
import Synchronization

/// Whole-buffer gzip (RFC 1952) and zlib (RFC 1950) compression with libdeflate: the same formats
/// and about the same ratio as zlib at a level, in a fraction of the CPU. An export request is
/// compressed in one piece, which is what libdeflate does; zlib stays for streaming inflation.
extension Decompression {
    /// The level when a config gives none. Chosen by measurement (BENCHMARKS.md, 2026-12-06, and
    /// scripts/gzip-levels.py): libdeflate's level 1 costs 0.3x the CPU of its level 6 on export
    /// batches and writes about 6 % more bytes than zlib's level 6 (the Collector's).
    public static let defaultDeflateLevel: Int32 = 1
    /// Go's `flate.DefaultCompression` (-1), as a config may ask for it.
    public static let goDefaultDeflateLevel: Int32 = 6

    public static func compress(_ input: [UInt8], format: Format, level: Int32 = defaultDeflateLevel) -> [UInt8] {
        input.withUnsafeBytes { compress($0, format: format, level: level) }
    }

    /// `buffers`: the output is written into a buffer taken from there (give it back once sent).
    public static func compress(_ input: UnsafeRawBufferPointer, format: Format, level: Int32 = defaultDeflateLevel,
                                buffers: ByteBufferPool? = nil) -> [UInt8] {
        DeflateCompressors.shared.with(level: level) { compressor in
            let bound: Int
            switch format {
            case .gzip: bound = libdeflate_gzip_compress_bound(compressor, input.count)
            case .zlib: bound = libdeflate_zlib_compress_bound(compressor, input.count)
            case .rawDeflate: bound = libdeflate_deflate_compress_bound(compressor, input.count)
            }
            var output = buffers?.take(count: bound) ?? ByteBufferPool.fresh(count: bound)
            let written = output.withUnsafeMutableBytes { out -> Int in
                switch format {
                case .gzip: libdeflate_gzip_compress(compressor, input.baseAddress, input.count, out.baseAddress, bound)
                case .zlib: libdeflate_zlib_compress(compressor, input.baseAddress, input.count, out.baseAddress, bound)
                case .rawDeflate: libdeflate_deflate_compress(compressor, input.baseAddress, input.count, out.baseAddress, bound)
                }
            }
            output.removeLast(output.count - written)
            return output
        }
    }
}

/// libdeflate compressors kept for reuse, by level: one holds hundreds of KiB of tables and may
/// be used by one thread at a time, so each compression takes one from the pool (or makes one)
/// and gives it back. At most `kept` stay per level, as many as threads compress at once.
final class DeflateCompressors: Sendable {
    static let shared = DeflateCompressors()
    private static let kept = 4

    /// A compressor not in use: whichever thread takes it next owns it alone.
    private struct Compressor: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let idle = Mutex([Int32: [Compressor]]())

    func with<R>(level: Int32, _ body: (OpaquePointer) -> R) -> R {
        let level = min(max(level, 0), 12)
        let taken = idle.withLock { $0[level]?.popLast() }
        guard let compressor = taken ?? libdeflate_alloc_compressor(level).map(Compressor.init) else {
            fatalError("libdeflate_alloc_compressor(\(level)) failed: out of memory")
        }
        defer {
            let kept = idle.withLock { idle -> Bool in
                guard idle[level, default: []].count < Self.kept else { return false }
                idle[level, default: []].append(compressor)
                return true
            }
            if !kept { libdeflate_free_compressor(compressor.pointer) }
        }
        return body(compressor.pointer)
    }
}
