#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// glibc's allocator as a server that handles large request bodies needs it (mallopt(3),
/// malloc_trim(3)); a no-op where there is no glibc.
public enum Heap {
    /// glibc raises its mmap threshold each time a large block is freed (M_MMAP_THRESHOLD), after
    /// which bodies come from the arenas and their memory stays there when freed: hundreds of MiB
    /// after a burst of 10 MiB requests. A fixed threshold hands every large buffer back on free;
    /// two arenas bound what the small ones keep.
    public static func tune() {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(mmapThreshold, 256 << 10)
        _ = mallopt(arenaMax, 2)
        #endif
    }

    /// Gives the kernel back the whole free pages inside the arenas. glibc itself only shrinks an
    /// arena from its top, so memory freed below a live block stays resident: at 145k spans/s,
    /// 120 MiB resident of which 22 MiB in use, and more after each backend outage that filled
    /// the sending queue. `malloc_trim(0)` walks the free chunks and madvises their pages away.
    /// Returns whether any memory went back (malloc_trim's result).
    @discardableResult
    public static func returnFreePages() -> Bool {
        #if canImport(Glibc)
        return mallocTrim(0) == 1
        #else
        return false
        #endif
    }

    /// Calls `returnFreePages` every two seconds for the life of the process, off the request
    /// path; calling it again changes nothing.
    public static func returnFreePagesPeriodically() {
        _ = periodicTrim
    }

    /// Made on first use (Swift runs a static initializer once) and never released or touched
    /// again: a released source stops.
    private nonisolated(unsafe) static let periodicTrim: any DispatchSourceTimer = {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + .seconds(2), repeating: .seconds(2), leeway: .milliseconds(500))
        timer.setEventHandler { returnFreePages() }
        timer.resume()
        return timer
    }()

    /// From glibc's <malloc.h>, which the Glibc module does not include.
    private static let mmapThreshold: Int32 = -3
    private static let arenaMax: Int32 = -8
}

#if canImport(Glibc)
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif
