#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Diagnostics

private let smaps = """
    55d0a0000000-55d0a0200000 r--p 00000000 fd:01 123 /opt/swiftlet/bin/swiftlet
    Size:               2048 kB
    Rss:                 900 kB
    Anonymous:             0 kB
    55d0a0200000-55d0a0800000 r-xp 00200000 fd:01 123 /opt/swiftlet/bin/swiftlet
    Size:               6144 kB
    Anonymous:             0 kB
    55d0a0800000-55d0a0810000 r--p 00800000 fd:01 123 /opt/swiftlet/bin/swiftlet
    Anonymous:            64 kB
    55d0a0810000-55d0a0820000 rw-p 00810000 fd:01 123 /opt/swiftlet/bin/swiftlet
    Anonymous:             0 kB
    7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
    Anonymous:             0 kB
    7f0000200000-7f0000300000 rw-p 00000000 00:00 0
    Anonymous:          1024 kB
    """

@Test func startupPages_releasesOnlyReadOnlyUnmodifiedMappingsOfTheNamedFile() {
    let found = StartupPages.releasable(smaps: Array(smaps.utf8)) { $0.elementsEqual("/opt/swiftlet/bin/swiftlet".utf8) }
    // Code and read-only data; not the RELRO pages written by relocation, not the data segment,
    // not libc, not the anonymous heap.
    #expect(found.map(\.start) == [0x55d0_a000_0000, 0x55d0_a020_0000])
    #expect(found.map(\.length) == [0x20_0000, 0x60_0000])
}

@Test func startupPages_dropsTheTestBinarysCode_whichRunsAgainFromThePageCache() throws {
    let executable = try #require(StartupPages.executablePath)
    let before = StartupPages.releasable(smaps: try FileContents.read("/proc/self/smaps").get()) { $0.elementsEqual(executable) }
    #expect(!before.isEmpty)
    StartupPages.release { $0.elementsEqual(executable) }
    // Code of this binary runs after its pages were dropped.
    #expect(GoDurationFormat.string(nanoseconds: 1_500) == "1.5µs")
}
