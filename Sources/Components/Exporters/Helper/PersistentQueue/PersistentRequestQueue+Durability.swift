#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import Pipeline

extension PersistentRequestQueue {
    private enum SyncStep {
        case done
        case closed
        case wait(DispatchSemaphore)
        case sync(target: UInt64, segments: Set<UInt64>, directory: Bool)
    }

    /// Returns once append `ticket` is on stable storage (`fsync: true`): one caller syncs every
    /// file written so far while the others wait for it, so a burst of appends costs one fsync per
    /// file, not one per request. Waits `timeout` at most.
    func waitUntilDurable(_ ticket: UInt64) throws(ConsumerError) {
        guard ticket > 0 else { return }
        let deadline = DispatchTime.now() + settings.timeout.dispatchInterval
        while true {
            switch nextSyncStep(ticket) {
            case .done:
                return
            case .closed:
                throw ConsumerError.retryable("the exporter is shutting down")
            case let .wait(semaphore):
                if semaphore.wait(timeout: deadline) == .timedOut {
                    throw ConsumerError.retryable("the persistent sending queue did not become durable within \(settings.timeout)")
                }
            case let .sync(target, segments, directory):
                try sync(target: target, segments: segments, directory: directory)
            }
        }
    }

    private func nextSyncStep(_ ticket: UInt64) -> SyncStep {
        state.withLock { s in
            if s.durability.synced >= ticket { return .done }
            if s.closed { return .closed }
            if s.durability.syncing {
                let semaphore = DispatchSemaphore(value: 0)
                s.durability.waiters.append(semaphore)
                return .wait(semaphore)
            }
            s.durability.syncing = true
            let segments = s.durability.dirtySegments
            let directory = s.durability.directoryDirty
            s.durability.dirtySegments = []
            s.durability.directoryDirty = false
            return .sync(target: s.durability.written, segments: segments, directory: directory)
        }
    }

    /// Syncs outside the lock, each segment through a descriptor of its own: one acknowledged and
    /// deleted meanwhile needs no sync.
    private func sync(target: UInt64, segments: Set<UInt64>, directory: Bool) throws(ConsumerError) {
        var failure: FileError?
        for number in segments {
            do { try PosixFile.sync(segmentPath(number)) } catch { failure = failure ?? error }
        }
        if directory, failure == nil {
            do { try syncDirectory() } catch { failure = error }
        }
        let waiters: [DispatchSemaphore] = state.withLock { s in
            s.durability.syncing = false
            if failure == nil {
                s.durability.synced = max(s.durability.synced, target)
            } else {
                s.durability.dirtySegments.formUnion(segments)
                s.durability.directoryDirty = s.durability.directoryDirty || directory
            }
            defer { s.durability.waiters = [] }
            return s.durability.waiters
        }
        for waiter in waiters { waiter.signal() }
        if let failure {
            logger.error("Cannot make the persistent sending queue durable", ["error": failure.description])
            throw ConsumerError.retryable("cannot make the persistent sending queue durable: \(failure)")
        }
    }

    /// A new segment's directory entry must be durable too, or a power loss forgets the file.
    private func syncDirectory() throws(FileError) {
        let fd = try PosixFile.open(settings.directory, O_RDONLY | O_DIRECTORY)
        defer { _ = Glibc.close(fd) }
        while fsync(fd) != 0 {
            if errno != EINTR { throw FileError("fsync", settings.directory) }
        }
    }
}
