/// The protobuf encoding of a message exactly as it arrived. A value that carries it and has not
/// changed since is forwarded by copying these bytes instead of encoding the model again.
public struct EncodedBytes: Sendable {
    /// The received body, shared by every message decoded from it.
    public final class Storage: Sendable {
        public let bytes: [UInt8]
        public init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    public let storage: Storage
    /// The message's content (without its tag and length) within `storage`.
    public let range: Range<Int>

    /// Keeps `range` of `storage`; a range much smaller than the body gets its own copy, so that a
    /// small part does not keep a large body alive while it waits in a batch.
    public init(_ storage: Storage, _ range: Range<Int>) {
        if range.count * 2 < storage.bytes.count {
            self.storage = Storage(Array(storage.bytes[range]))
            self.range = 0..<range.count
        } else {
            self.storage = storage
            self.range = range
        }
    }

    public var count: Int { range.count }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
