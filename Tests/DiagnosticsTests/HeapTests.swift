#if canImport(Glibc)
import Glibc
import Testing
import Diagnostics

/// Whole pages inside `count` bytes from `start` that are resident (mincore(2)).
private func residentPages(_ start: UnsafeMutableRawPointer, _ count: Int) -> (resident: Int, total: Int) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let first = (Int(bitPattern: start) + page - 1) / page * page
    let end = (Int(bitPattern: start) + count) / page * page
    guard end > first else { return (0, 0) }
    var vector = [UInt8](repeating: 0, count: (end - first) / page)
    let status = mincore(UnsafeMutableRawPointer(bitPattern: first), end - first, &vector)
    precondition(status == 0, "mincore: errno \(errno)")
    return (vector.count { $0 & 1 == 1 }, vector.count)
}

/// Under AddressSanitizer or ThreadSanitizer (`make test-sanitize`) the sanitizer's allocator
/// serves malloc, and glibc's statistics and trimming see none of the program's blocks.
private let glibcServesMalloc = ["__asan_init", "__tsan_init"].allSatisfy { (symbol: String) in
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol) == nil
}

/// Blocks freed between live ones cannot be given back by glibc's own trimming, which only
/// shrinks an arena from its top; `returnFreePages` gives back their whole pages. What it reports
/// is checked, not the residency of those pages afterwards: tests running in parallel in this
/// process allocate from the same arenas and may reuse the freed blocks at any moment (a
/// residency check failed that way once in CI, with 3,721 of 3,840 pages in use again).
@Test(.enabled(if: glibcServesMalloc, "a sanitizer's allocator serves malloc")) func returnFreePages_givesBackFreedPagesThatLiveBlocksSurround() {
    let blockSize = 64 << 10  // below the 256 KiB mmap threshold: from the arena
    var blocks: [UnsafeMutableRawPointer] = []
    var pins: [UnsafeMutableRawPointer] = []
    for _ in 0..<256 {  // 16 MiB
        let block = malloc(blockSize)!
        memset(block, 0x5A, blockSize)
        blocks.append(block)
        pins.append(malloc(64)!)  // keeps the next block from merging with this one or the top
    }
    defer { pins.forEach { free($0) } }
    let touched = blocks.reduce(0) { $0 + residentPages($1, blockSize).resident }
    let total = blocks.reduce(0) { $0 + residentPages($1, blockSize).total }
    blocks.forEach { free($0) }

    #expect(touched == total)
    #expect(Heap.returnFreePages(), "malloc_trim gave nothing back with 16 MiB freed below live blocks")
}

/// A block mapped on its own (above the 256 KiB mmap threshold) counts as in use while it is held;
/// once touched, it is resident. The margins leave room for tests running beside this one.
@Test(.enabled(if: glibcServesMalloc, "a sanitizer's allocator serves malloc")) func bytesInUseAndResidentBytes_countABlockWhileItIsHeld() {
    Heap.tune()
    let size = 256 << 20
    let inUseBefore = Heap.bytesInUse()
    let residentBefore = Heap.residentBytes()
    let block = malloc(size)!
    defer { free(block) }
    memset(block, 0x5A, size)
    #expect(Heap.bytesInUse() - inUseBefore >= size - (64 << 20))
    #expect(Heap.residentBytes() - residentBefore >= size - (64 << 20))
}

@Test func trimPolicy_trimsAtFirstThenOnlyWhenFreedMemoryStaysResident() {
    let mib = 1 << 20
    var policy = Heap.TrimPolicy(threshold: 8 * mib)
    #expect(policy.shouldTrim(resident: 40 * mib, inUse: 20 * mib))
    policy.trimmed(resident: 30 * mib, inUse: 20 * mib)  // 10 MiB of code, stacks and the like
    // A steady load: memory is used and freed, the excess moves by less than the threshold.
    #expect(!policy.shouldTrim(resident: 36 * mib, inUse: 23 * mib))
    // A burst held: resident grew, and so did what is in use.
    #expect(!policy.shouldTrim(resident: 530 * mib, inUse: 515 * mib))
    // The burst freed: its pages stay resident.
    #expect(policy.shouldTrim(resident: 530 * mib, inUse: 25 * mib))
    policy.trimmed(resident: 36 * mib, inUse: 25 * mib)
    #expect(!policy.shouldTrim(resident: 40 * mib, inUse: 25 * mib))
    #expect(policy.shouldTrim(resident: 45 * mib, inUse: 26 * mib))
}
#endif
