import Dispatch
import Glibc
import Testing
@testable import Diagnostics

/// Found by the hostile-client suite: with stderr a pipe nobody read, the debug exporter's
/// detailed output blocked a pool thread in write(2) and spans answered 200 stopped moving.
@Test func standardError_dropsAndCountsRecords_whenPipeIsNotRead() throws {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    defer { close(fds[0]) }
    let output = StandardError(fd: fds[1])
    close(fds[1])  // the reopened non-blocking description keeps the pipe open
    let record = String(repeating: "x", count: 999) + "\n"
    let finished = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        for _ in 0..<1_000 { output.write(record) }  // 1 MB into a 64 KiB pipe nobody reads
        finished.signal()
    }
    #expect(finished.wait(timeout: .now() + 10) == .success, "a write blocked on a full pipe")
    let dropped = output.dropped.load(ordering: .relaxed)
    #expect(dropped > 0 && dropped < 1_000)

    // Drain: every line read back is whole, then a write reports the drops first.
    let flags = fcntl(fds[0], F_GETFL)
    _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
    var text = drain(fds[0])
    output.write("after\n")
    text += drain(fds[0])
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.dropLast(2).allSatisfy { $0 == Substring(record.dropLast()) }, "\(lines.count) lines: \(lines.map(\.count).suffix(6))")
    #expect(lines.suffix(2).first == "swiftlet: \(dropped) log records dropped: stderr was not being read")
    #expect(lines.last == "after")
}

private func drain(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
