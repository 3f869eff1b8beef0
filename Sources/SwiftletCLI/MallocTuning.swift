#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings for a server that handles large request bodies. glibc raises its
/// mmap threshold each time a large block is freed (mallopt(3), M_MMAP_THRESHOLD), after which
/// bodies come from the per-thread arenas and their memory stays there when freed: hundreds of
/// MiB after a burst of 10 MiB requests. A fixed threshold hands every large buffer back on free;
/// two arenas bound what the small ones keep.
enum MallocTuning {
    /// From glibc's <malloc.h>, which the Glibc module does not include.
    private static let mmapThreshold: Int32 = -3
    private static let arenaMax: Int32 = -8

    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32

    static func apply() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThreshold, 256 << 10)
        _ = mallopt(arenaMax, 2)
    }
}
