/// A map of at most `capacity` entries that forgets the least recently used one to make room;
/// a lookup counts as a use. Entries live in arrays linked by index, so it allocates nothing
/// once full.
struct LRUCache<Key: Hashable, Value> {
    private struct Entry {
        var key: Key
        var value: Value
        var newer: Int
        var older: Int
    }

    let capacity: Int
    private var index: [Key: Int] = [:]
    private var entries: [Entry] = []
    /// The most and least recently used entries; -1 when empty.
    private var newest = -1
    private var oldest = -1

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { index.count }

    mutating func get(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return entries[i].value
    }

    mutating func put(_ key: Key, _ value: Value) {
        if let i = index[key] {
            entries[i].value = value
            moveToFront(i)
            return
        }
        let slot: Int
        if entries.count < capacity {
            slot = entries.count
            entries.append(Entry(key: key, value: value, newer: -1, older: -1))
        } else {
            slot = oldest
            unlink(slot)
            index[entries[slot].key] = nil
            entries[slot].key = key
            entries[slot].value = value
        }
        index[key] = slot
        linkAtFront(slot)
    }

    private mutating func moveToFront(_ i: Int) {
        guard i != newest else { return }
        unlink(i)
        linkAtFront(i)
    }

    private mutating func unlink(_ i: Int) {
        let (newer, older) = (entries[i].newer, entries[i].older)
        if newer >= 0 { entries[newer].older = older } else { newest = older }
        if older >= 0 { entries[older].newer = newer } else { oldest = newer }
    }

    private mutating func linkAtFront(_ i: Int) {
        entries[i].newer = -1
        entries[i].older = newest
        if newest >= 0 { entries[newest].newer = i }
        newest = i
        if oldest < 0 { oldest = i }
    }
}
