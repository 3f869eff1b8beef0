import Dispatch
import Glibc
import Synchronization
import Testing
import Transport

/// Counts what an observer reports.
private final class ListenerCounts: Sendable {
    let received = Atomic<Int>(0)
    let queueFull = Atomic<Int>(0)
    let tooLarge = Atomic<Int>(0)
    let handled = Atomic<Int>(0)

    var observer: UDPListener.Observer {
        UDPListener.Observer(
            received: { [self] in _ = received.add($0, ordering: .relaxed) },
            dropped: { [self] reason, n in
                switch reason {
                case .queueFull: _ = queueFull.add(n, ordering: .relaxed)
                case .tooLarge: _ = tooLarge.add(n, ordering: .relaxed)
                case .socketBuffer: break
                }
            })
    }
}

@Test func udpListener_dropsAndCounts_whenTheQueueIsFull_withoutBlockingTheReader() throws {
    let counts = ListenerCounts()
    let gate = DispatchSemaphore(value: 0)
    let entered = Atomic<Int>(0)
    let config = UDPListener.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), queueSize: 2, workers: 1)
    let listener = UDPListener(configuration: config, logger: CapturedLog().logger(), observer: counts.observer) { _ in
        _ = entered.add(1, ordering: .relaxed)
        gate.wait()  // a stuck consumer (in a test only: a real handler never waits)
        _ = counts.handled.add(1, ordering: .relaxed)
    }
    try listener.start()
    let sender = UDPTestSender(port: listener.boundPort)
    sender.send([0])
    #expect(eventually { entered.load(ordering: .relaxed) == 1 })
    for i in 1..<50 { sender.send([UInt8(i)]) }
    // One datagram is with the worker, two are queued, the rest were dropped.
    #expect(eventually { counts.received.load(ordering: .relaxed) == 50 })
    // A read's datagrams are counted received before its drops are: wait for the drops too.
    #expect(eventually { counts.queueFull.load(ordering: .relaxed) == 47 })
    #expect(counts.queueFull.load(ordering: .relaxed) == 47)
    for _ in 0..<3 { gate.signal() }
    #expect(eventually { counts.handled.load(ordering: .relaxed) == 3 })
    // Still reading after the burst.
    sender.send([1])
    #expect(eventually { counts.received.load(ordering: .relaxed) == 51 })
    gate.signal()
    #expect(eventually { counts.handled.load(ordering: .relaxed) == 4 })
    listener.stop()
}

@Test func udpListener_dropsOversizedDatagrams() throws {
    let counts = ListenerCounts()
    let sizes = Mutex<[Int]>([])
    let config = UDPListener.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), maxPacketSize: 10)
    let listener = UDPListener(configuration: config, logger: CapturedLog().logger(), observer: counts.observer) { d in
        sizes.withLock { $0.append(d.count) }
    }
    try listener.start()
    defer { listener.stop() }
    let sender = UDPTestSender(port: listener.boundPort)
    sender.send(Array(repeating: 1, count: 11))
    sender.send(Array(repeating: 2, count: 10))
    sender.send([])
    #expect(eventually { sizes.withLock { $0.count } == 2 })
    #expect(sizes.withLock { $0.sorted() } == [0, 10])
    #expect(counts.tooLarge.load(ordering: .relaxed) == 1)
}

@Test func udpListener_readsInBulk_everyDatagramOfABurst() throws {
    let counts = ListenerCounts()
    let seen = Mutex<Set<UInt16>>([])
    let config = UDPListener.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), queueSize: 5000, workers: 4,
                                           socketBufferSize: 4 << 20)
    let listener = UDPListener(configuration: config, logger: CapturedLog().logger(), observer: counts.observer) { d in
        _ = seen.withLock { $0.insert(UInt16(d[0]) << 8 | UInt16(d[1])) }
    }
    try listener.start()
    let sender = UDPTestSender(port: listener.boundPort)
    for i in 0..<2000 { sender.send([UInt8(i >> 8), UInt8(i & 0xFF), 0, 0]) }
    #expect(eventually { seen.withLock { $0.count } == 2000 })
    listener.stop()
    #expect(counts.received.load(ordering: .relaxed) == 2000)
}

@Test func udpListener_stopsWithoutStart_andTwice_andRefusesABoundPort() throws {
    let idle = UDPListener(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: 0)), logger: CapturedLog().logger()) { _ in }
    idle.stop()
    idle.stop()
    let first = UDPListener(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: 0)), logger: CapturedLog().logger()) { _ in }
    try first.start()
    defer { first.stop() }
    let second = UDPListener(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: first.boundPort)), logger: CapturedLog().logger()) { _ in }
    #expect(throws: SocketError.self) { try second.start() }
}

@Test func udpListener_countsKernelDrops_soEveryDatagramIsReadOrCounted() throws {
    let received = Atomic<Int>(0)
    let kernelDrops = Atomic<Int>(0)
    let observer = UDPListener.Observer(
        received: { _ = received.add($0, ordering: .relaxed) },
        dropped: { reason, n in if reason == .socketBuffer { _ = kernelDrops.add(n, ordering: .relaxed) } })
    // The smallest receive buffer the kernel allows, so a burst overflows it.
    let config = UDPListener.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), socketBufferSize: 1)
    let listener = UDPListener(configuration: config, logger: CapturedLog().logger(), observer: observer) { _ in }
    try listener.start()
    defer { listener.stop() }
    let sender = UDPTestSender(port: listener.boundPort)
    let burst = 3000
    for _ in 0..<burst { sender.send(Array(repeating: 7, count: 512)) }
    // Kernel drops are reported with the next datagram read: probe until the books balance.
    var probes = 0
    let balanced = eventually(seconds: 10) {
        sender.send([1])
        probes += 1
        usleep(20_000)
        return received.load(ordering: .relaxed) + kernelDrops.load(ordering: .relaxed) == burst + probes
    }
    #expect(balanced, "received \(received.load(ordering: .relaxed)), kernel drops \(kernelDrops.load(ordering: .relaxed)), sent \(burst + probes)")
    // A burst into a buffer of a few datagrams cannot all fit: the kernel dropped some, and said so.
    #expect(kernelDrops.load(ordering: .relaxed) > 0)
}

@Test func udpListener_stop_letsTheWorkersFinishWhatIsQueued() throws {
    let handled = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let config = UDPListener.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), queueSize: 1000, workers: 1,
                                           socketBufferSize: 1 << 20)
    let listener = UDPListener(configuration: config, logger: CapturedLog().logger(),
                               observer: .init(received: { _ = received.add($0, ordering: .relaxed) })) { _ in
        usleep(1_000)
        _ = handled.add(1, ordering: .relaxed)
    }
    try listener.start()
    let sender = UDPTestSender(port: listener.boundPort)
    for _ in 0..<100 { sender.send([0]) }
    #expect(eventually { received.load(ordering: .relaxed) == 100 })
    listener.stop()
    #expect(handled.load(ordering: .relaxed) == 100)
}
