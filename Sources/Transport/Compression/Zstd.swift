import CZstd

/// One-shot zstd with the same output cap as the zlib paths (bomb guard).
extension Decompression {
    /// Inflates every frame in `input` (RFC 8878 §3.1 allows several in a row), stopping at `limit`.
    public static func inflateZstd(_ input: UnsafeRawBufferPointer, limit: Int) throws(DecompressionError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw .malformed("ZSTD_createDStream failed") }
        defer { ZSTD_freeDStream(stream) }
        // A window above 8 MiB would let a tiny frame claim a huge buffer (RFC 8878 §3.1.1.1.2).
        ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, 23)
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, input.count &* 4 &+ 1024))
        let chunkSize = 64 * 1024
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var lastResult = 0
        repeat {
            var outBuffer = ZSTD_outBuffer(dst: chunk, size: chunkSize, pos: 0)
            lastResult = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
            if ZSTD_isError(lastResult) != 0 {
                throw .malformed(String(cString: ZSTD_getErrorName(lastResult)))
            }
            guard outBuffer.pos <= limit - output.count else { throw .tooLarge(limit: limit) }
            output.append(contentsOf: UnsafeRawBufferPointer(start: chunk, count: outBuffer.pos))
            if outBuffer.pos == 0, inBuffer.pos == inBuffer.size, lastResult != 0 {
                throw .malformed("unexpected end of zstd data")
            }
        } while inBuffer.pos < inBuffer.size || lastResult != 0
        return output
    }

    /// zstd's level when a config gives none.
    public static let defaultZstdLevel: Int32 = 1

    /// Compresses at `level`, held within libzstd's range (as Go's zstd maps any level to one it has).
    public static func compressZstd(_ input: UnsafeRawBufferPointer, level: Int32 = defaultZstdLevel) -> [UInt8] {
        let level = min(max(level, ZSTD_minCLevel()), ZSTD_maxCLevel())
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            ZSTD_compress(out.baseAddress, bound, input.baseAddress, input.count, level)
        }
        guard ZSTD_isError(written) == 0 else { return [] }
        output.removeLast(output.count - written)
        return output
    }
}
