/// The loadbalancing exporter's consistent-hash ring (Karger et al.), built as the Collector
/// builds it so that a fleet mixing Collectors and Swiftlets sends a key to the same backend:
/// each endpoint takes `weight` positions on a circle of 36,000 (CRC-32 of its name followed by
/// the point's index as one byte, modulo 36,000), the first endpoint to claim a position keeps
/// it, and a key (CRC-32 of its bytes, modulo 36,000) belongs to the endpoint at the first
/// position at or after its own, wrapping past the last.
struct HashRing: Equatable, Sendable {
    struct Item: Equatable, Sendable {
        var position: UInt32
        var endpoint: String
    }

    static let positions: UInt32 = 36_000
    static let defaultWeight = 100

    let items: [Item]

    /// `endpoints` in the order the resolver gives them (sorted, for every upstream resolver).
    init(endpoints: [String], weight: Int = HashRing.defaultWeight) {
        var taken = Set<UInt32>()
        var items: [Item] = []
        for endpoint in endpoints {
            for position in Self.positions(of: endpoint, count: weight) where taken.insert(position).inserted {
                items.append(Item(position: position, endpoint: endpoint))
            }
        }
        self.items = items.sorted { $0.position < $1.position }
    }

    init(items: [Item]) {
        self.items = items
    }

    static func positions(of endpoint: String, count: Int) -> [UInt32] {
        // CRC-32 continues over the index byte, so the name's part is computed once.
        let crc = Array(endpoint.utf8).withUnsafeBytes { CRC32.update(0, $0) }
        return (0..<count).map { i in
            withUnsafeBytes(of: UInt8(truncatingIfNeeded: i)) { CRC32.update(crc, $0) } % positions
        }
    }

    /// The endpoint that owns `key`; nil on an empty ring.
    func endpoint(for key: UnsafeRawBufferPointer) -> String? {
        endpoint(at: CRC32.update(0, key) % Self.positions)
    }

    func endpoint(for key: [UInt8]) -> String? {
        key.withUnsafeBytes { endpoint(for: $0) }
    }

    /// The endpoint at the first position at or after `position`, wrapping to the first.
    func endpoint(at position: UInt32) -> String? {
        items.isEmpty ? nil : items[index(at: position)].endpoint
    }

    /// The index of that item; the ring must not be empty.
    func index(at position: UInt32) -> Int {
        var low = 0, high = items.count
        while low < high {
            let mid = (low + high) / 2
            if items[mid].position < position { low = mid + 1 } else { high = mid }
        }
        return low == items.count ? 0 : low
    }
}
