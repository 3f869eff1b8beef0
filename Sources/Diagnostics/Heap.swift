#if canImport(Glibc)
import CMalloc
import Glibc
#endif
import Dispatch

/// glibc's allocator as a server that handles large request bodies needs it (mallopt(3),
/// malloc_trim(3), mallinfo2(3)); a no-op where there is no glibc.
public enum Heap {
    /// glibc raises its mmap threshold each time a large block is freed (M_MMAP_THRESHOLD), after
    /// which bodies come from the arenas and their memory stays there when freed: hundreds of MiB
    /// after a burst of 10 MiB requests. A fixed threshold hands every large buffer back on free;
    /// two arenas bound what the small ones keep.
    ///
    /// An arena's top goes back to the kernel once more than M_TRIM_THRESHOLD (128 KiB) is free
    /// there: the tables a translated request (Zipkin, Jaeger) frees at its end went back each
    /// time and were faulted in again by the next, 90,000 page faults per million spans. Half a
    /// MiB per arena stays; `TrimPolicy` gives back more when it pays.
    public static func tune() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 10)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 20)
        _ = mallopt(M_ARENA_MAX, 2)
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
        return malloc_trim(0) == 1
        #else
        return false
        #endif
    }

    /// Bytes the program holds from the allocator: chunks handed out from the arenas plus blocks
    /// mapped on their own (mallinfo2's `uordblks` and `hblkhd`).
    public static func bytesInUse() -> Int {
        #if canImport(Glibc)
        let info = mallinfo2()
        return Int(info.uordblks + info.hblkhd)
        #else
        return 0
        #endif
    }

    /// Resident set size from /proc/self/statm (pages × page size); 0 if it cannot be read.
    public static func residentBytes() -> Int {
        #if canImport(Glibc)
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 96)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        // "size resident shared text lib data dt", in pages.
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1 else { return 0 }
        var pages = 0
        for digit in fields[1] {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return 0 }
            pages = pages &* 10 &+ Int(digit &- UInt8(ascii: "0"))
        }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return 0
        #endif
    }

    /// Checks every two seconds, for the life of the process and off the request path, whether
    /// trimming would give much back (`TrimPolicy`), and trims if so. Calling it again changes
    /// nothing.
    public static func returnFreePagesPeriodically() {
        _ = periodicTrim
    }

    /// Made on first use (Swift runs a static initializer once) and never released or touched
    /// again: a released source stops. The handler runs on one serial queue, so the policy is
    /// only ever touched there.
    private nonisolated(unsafe) static let periodicTrim: any DispatchSourceTimer = {
        let queue = DispatchQueue(label: "swiftlet.heap-trim", qos: .utility)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        nonisolated(unsafe) var policy = TrimPolicy()
        timer.schedule(deadline: .now() + .seconds(2), repeating: .seconds(2), leeway: .milliseconds(500))
        timer.setEventHandler {
            guard policy.shouldTrim(resident: residentBytes(), inUse: bytesInUse()) else { return }
            returnFreePages()
            policy.trimmed(resident: residentBytes(), inUse: bytesInUse())
        }
        timer.resume()
        return timer
    }()
}

extension Heap {
    /// When a trim is worth its cost. `malloc_trim` madvises away every free page of the arenas,
    /// whether it went back before or not, and a busy collector faults those pages in again as it
    /// reuses them: at a steady load that is work for nothing. Resident memory beyond what the
    /// program holds is the rest of the process (code, stacks) plus free pages not yet given
    /// back; right after a trim it is only the former. So a trim is due when that excess has
    /// grown by `threshold` since the last one: a drained queue, a burst of bodies freed.
    public struct TrimPolicy: Sendable {
        public let threshold: Int
        /// Resident bytes beyond those in use, measured right after the last trim.
        private var excessAfterTrim: Int?

        public init(threshold: Int = 8 << 20) {
            self.threshold = threshold
        }

        public func shouldTrim(resident: Int, inUse: Int) -> Bool {
            guard let excessAfterTrim else { return true }
            return resident - inUse - excessAfterTrim >= threshold
        }

        public mutating func trimmed(resident: Int, inUse: Int) {
            excessAfterTrim = resident - inUse
        }
    }
}
