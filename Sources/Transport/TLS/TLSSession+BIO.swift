import CSSL

/// The BIO under every `TLSSession`: reads take the ciphertext the connection handed over (the
/// bytes it carried over first, then the current read), writes append to the session's output.
/// Reading with nothing left says "retry" (BIO_set_retry_read), so SSL_read and SSL_do_handshake
/// report SSL_ERROR_WANT_READ, as over a non-blocking socket; writes always take everything.
extension TLSSession {
    nonisolated(unsafe) private static let method: OpaquePointer? = {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "swiftlet connection") else { return nil }
        _ = BIO_meth_set_read_ex(method) { bio, data, length, read in
            guard let bio, let data, let read else { return 0 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            let n = TLSSession.owner(of: bio).takeInput(into: UnsafeMutableRawPointer(data), count: length)
            read.pointee = n
            if n == 0 { BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY) }
            return n > 0 ? 1 : 0
        }
        _ = BIO_meth_set_write_ex(method) { bio, data, length, written in
            guard let bio, let written else { return 0 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            if let data, length > 0 {
                TLSSession.owner(of: bio).output.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            }
            written.pointee = length
            return 1
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, _, _ in
            guard let bio else { return 0 }
            switch command {
            case BIO_CTRL_FLUSH:
                return 1
            case BIO_CTRL_PENDING:
                let session = TLSSession.owner(of: bio)
                return session.carried.count - session.carriedRead + session.input.count
            case BIO_CTRL_WPENDING:
                return TLSSession.owner(of: bio).output.count
            default:
                return 0
            }
        }
        return method
    }()

    /// A BIO of this kind for `session`, which must outlive it (the SSL that owns it is freed in
    /// the session's deinit).
    static func makeBIO(for session: TLSSession) -> OpaquePointer? {
        guard let method, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(session).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private static func owner(of bio: OpaquePointer) -> TLSSession {
        Unmanaged<TLSSession>.fromOpaque(BIO_get_data(bio)!).takeUnretainedValue()
    }

    /// Copies up to `count` bytes of input to `destination`: carried-over bytes first.
    private func takeInput(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        if carriedRead < carried.count {
            let n = min(count, carried.count - carriedRead)
            carried.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + carriedRead, byteCount: n) }
            carriedRead += n
            return n
        }
        let n = min(count, input.count)
        guard n > 0 else { return 0 }
        destination.copyMemory(from: input.baseAddress!, byteCount: n)
        input = UnsafeRawBufferPointer(rebasing: input[n...])
        return n
    }
}
