/// Text that lives as long as one body's decoding but is not in the body as it is (a JSON string
/// with escapes, a string a converter made), kept where references like those into the body
/// (`UnsafeRawBufferPointer`) can point at it. Chunks never move, so a reference stays valid
/// until the arena goes; keep it alive (`withExtendedLifetime`) while they are in use.
final class TextArena {
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    private var used = 0
    private static let chunkSize = 4096

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if chunks.isEmpty || chunks[chunks.count - 1].count - used < bytes.count {
            chunks.append(.allocate(byteCount: max(Self.chunkSize, bytes.count), alignment: 1))
            used = 0
        }
        let destination = chunks[chunks.count - 1].baseAddress! + used
        destination.copyMemory(from: source, byteCount: bytes.count)
        used += bytes.count
        return UnsafeRawBufferPointer(start: destination, count: bytes.count)
    }

    func copy(_ string: String) -> UnsafeRawBufferPointer {
        var string = string
        return string.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }
}
