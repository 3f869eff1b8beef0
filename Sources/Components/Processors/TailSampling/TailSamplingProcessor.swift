import Diagnostics
import Dispatch
import Pipeline
import Synchronization
import TraceModel
import WireFormats

/// `tail_sampling` processor: holds each trace's spans from its first span for `decision_wait`,
/// then runs the policies over the whole trace and hands the sampled traces on. `consume` only
/// files spans (cut per trace, kept as encoded bytes) into a table bounded by `num_traces`; the
/// decisions and every hand-over to `next` happen on the processor's own queue, once a second.
/// Spans of a trace already decided follow that decision, as upstream.
public final class TailSamplingProcessor: Component, TraceConsumer {
    static let factory = ComponentFactory.processor("tail_sampling", .beta, parse: Config.parse) { ctx, config, next in
        TailSamplingProcessor(ctx, config, next: next)
    }

    private struct State {
        var table: TraceTable
        var sampledCache: LRUCache<TraceID, Void>?
        var notSampledCache: LRUCache<TraceID, Void>?
        var stopped = false
    }

    private let config: Config
    private let next: any TraceConsumer
    private let logger: Logger
    private let policies: [SamplingPolicy]
    private let metrics: TailSamplingMetrics
    private let state: Mutex<State>
    /// Decisions and hand-overs, one at a time; the policies' state is touched only here.
    private let queue = DispatchQueue(label: "swiftlet.tail_sampling")
    /// Unix time in nanoseconds; tests pass their own.
    private let clock: @Sendable () -> UInt64
    /// Made by `start`, cancelled by `shutdown`; the service calls them from one thread.
    private nonisolated(unsafe) var timer: (any DispatchSourceTimer)?
    /// processor.go: the policy ticker's default frequency.
    static let tickInterval: Duration = .seconds(1)
    /// Spans per batch handed on; a trace is never cut.
    static let handOverSpans = 8192

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer,
         clock: @escaping @Sendable () -> UInt64 = WallClock.nowUnixNano) {
        self.config = config
        self.next = next
        self.clock = clock
        logger = context.logger
        // processor.go loadSamplingPolicy: drop policies first, as a drop decides alone.
        let ordered = config.policies.filter(\.isDrop) + config.policies.filter { !$0.isDrop }
        policies = ordered.map(SamplingPolicy.init)
        let name = context.id.name
        metrics = TailSamplingMetrics(context.metrics, processor: context.id.description,
                                      policyLabels: ordered.map { name.isEmpty ? $0.name : "\(name).\($0.name)" })
        let expected = config.expectedNewTracesPerSec * Int(config.decisionWait.components.seconds)
        state = Mutex(State(table: TraceTable(capacity: config.numTraces, expected: expected),
                            sampledCache: config.sampledCacheSize > 0 ? LRUCache(capacity: config.sampledCacheSize) : nil,
                            notSampledCache: config.nonSampledCacheSize > 0 ? LRUCache(capacity: config.nonSampledCacheSize) : nil))
    }

    /// Its output is the encoded bytes it held (each `ResourceSpans` keeps them), and it cuts
    /// traces out of encoded bytes: a receiver that translates should hand it encoded spans.
    public var forwardsOTLPEncoding: Bool { true }

    public func start() {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + Self.tickInterval.dispatchInterval, repeating: Self.tickInterval.dispatchInterval)
        source.setEventHandler { [weak self] in self?.decideDue() }
        source.resume()
        timer = source
    }

    /// Decides every trace held, whatever its wait, and hands the sampled ones on before
    /// returning. upstream stops its ticker and drops what it holds; deciding instead means a
    /// span that was answered as accepted is not lost unaccounted when the collector stops.
    public func shutdown() {
        timer?.cancel()
        state.withLock { $0.stopped = true }
        queue.sync { decide(arrivedBy: .max) }
    }

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let now = clock()
        var filing = Filing()
        for rs in batch.resourceSpans where rs.spanCount > 0 {
            let slices = rs.traceSlices()
            try state.withLock { s throws(ConsumerError) in
                guard !s.stopped else { throw ConsumerError.retryable("the tail_sampling processor is shutting down") }
                for slice in slices { file(slice, now: now, &s, &filing) }
                metrics.tracesOnMemory.set(s.table.count)
            }
        }
        record(filing, now: now)
        guard !filing.lateSampled.isEmpty else { return }
        let late = filing.lateSampled
        queue.async { self.handOver([Self.resourceSpans(late)]) }
    }

    /// What filing one batch came to, recorded after the lock.
    private struct Filing {
        var newTraces = 0
        var removed: [TraceTable.Removal] = []
        /// Spans that follow a sample decision.
        var lateSampled: [TraceSlicePart] = []
        var lateDecisionTimes: [UInt64] = []
        var cacheReleases = [0, 0]
    }

    private func file(_ slice: TraceSlice, now: UInt64, _ s: inout State, _ filing: inout Filing) {
        if s.sampledCache?.get(slice.traceID) != nil {
            filing.lateSampled += slice.parts
            filing.cacheReleases[1] += slice.spanCount
            return
        }
        if s.notSampledCache?.get(slice.traceID) != nil {
            filing.cacheReleases[0] += slice.spanCount
            return
        }
        switch s.table.file(slice, now: now, removed: &filing.removed) {
        case .newTrace: filing.newTraces += 1
        case .added: break
        case .late(let sampled, let decidedAt):
            if sampled { filing.lateSampled += slice.parts }
            filing.lateDecisionTimes.append(decidedAt)
        }
    }

    private func record(_ filing: Filing, now: UInt64) {
        metrics.newTraces.add(filing.newTraces)
        for removal in filing.removed {
            if removal.undecided { metrics.droppedTooEarly.add(1) }
            metrics.removalAge.observe(Self.seconds(from: removal.arrival, to: now))
        }
        for decidedAt in filing.lateDecisionTimes { metrics.lateSpanAge.observe(Self.seconds(from: decidedAt, to: now)) }
        for (i, spans) in filing.cacheReleases.enumerated() where spans > 0 { metrics.cacheReleases[i].add(spans) }
    }

    private static func seconds(from start: UInt64, to end: UInt64) -> Int { Int((end &- min(start, end)) / 1_000_000_000) }

    /// One tick now, from any thread but the processor's queue; returns once its sampled traces
    /// were handed on (and any late spans queued before it).
    func tick() { queue.sync { decideDue() } }

    /// One tick: decides the traces whose `decision_wait` is over. Runs on `queue`.
    private func decideDue() {
        let now = clock()
        let wait = UInt64(min(config.decisionWait.seconds * 1e9, Double(now)))
        decide(arrivedBy: now - wait)
    }

    private func decide(arrivedBy cutoff: UInt64) {
        dispatchPrecondition(condition: .onQueue(queue))
        let started = WallClock.monotonicNano()
        let due = state.withLock { $0.table.takeDue(arrivedBy: cutoff) }
        var sampled: [[ResourceSpans]] = []
        for trace in due {
            let (keep, held) = decide(trace)
            let now = clock()
            let joined = state.withLock { s in
                let forget = keep ? s.sampledCache != nil : s.notSampledCache != nil
                if keep { s.sampledCache?.put(trace.id, ()) } else { s.notSampledCache?.put(trace.id, ()) }
                let joined = s.table.settle(trace, sampled: keep, now: now, forget: forget)
                if forget { metrics.removalAge.observe(0) }
                metrics.tracesOnMemory.set(s.table.count)
                return joined
            }
            if keep { sampled.append(joined.isEmpty ? held : held + Self.resourceSpans(joined)) }
        }
        handOver(sampled)
        metrics.timerLatency.observe(Int((WallClock.monotonicNano() - started) / 1_000_000))
    }

    /// Runs every policy on one trace and combines their decisions; counts them. Returns the
    /// decision and the trace's spans (decoded where a policy read them).
    private func decide(_ due: TraceTable.Due) -> (Bool, [ResourceSpans]) {
        let trace = TraceUnderDecision(id: due.id, spanCount: due.spanCount, resourceSpans: Self.resourceSpans(due.parts))
        let second = Int64(clock() / 1_000_000_000)
        var decisions: [SamplingDecision] = []
        evaluation: for (i, policy) in policies.enumerated() {
            do throws(OTTLError) {
                let decision = try policy.evaluate(trace, second: second, logger: logger)
                decisions.append(decision)
                metrics.tracesByPolicy[i][decision.labelIndex].add(1)
                // makeDecision: a drop ends the evaluation; so does a sample under sample_on_first_match.
                if decision == .dropped || (config.sampleOnFirstMatch && decision == .sampled) { break evaluation }
            } catch {
                metrics.evaluationErrors.add(1)
                logger.debug("Sampling policy error", ["policy": policy.name, "error": error.description])
            }
        }
        let keep = SamplingDecision.combine(decisions)
        metrics.tracesGlobal[decisions.contains(.dropped) ? 2 : keep ? 1 : 0].add(1)
        return (keep, trace.resourceSpans)
    }

    /// Held spans as values that keep their bytes and decode on first read.
    private static func resourceSpans(_ parts: [TraceSlicePart]) -> [ResourceSpans] {
        OTLPProtoDecoder.heldResourceSpans(TraceSlicePart.requestBody(parts))
    }

    /// Hands sampled traces on in batches of about `handOverSpans` spans. A refusal is logged
    /// and the batch dropped, as upstream's `releaseSampledTrace` does.
    private func handOver(_ traces: [[ResourceSpans]]) {
        var batch = TraceBatch()
        var spans = 0
        for trace in traces {
            batch.resourceSpans += trace
            spans += trace.reduce(0) { $0 + $1.spanCount }
            if spans >= Self.handOverSpans {
                send(batch)
                batch = TraceBatch()
                spans = 0
            }
        }
        if !batch.resourceSpans.isEmpty { send(batch) }
    }

    private func send(_ batch: TraceBatch) {
        do throws(ConsumerError) {
            try next.consume(batch)
        } catch {
            logger.warn("Error sending spans to destination", ["error": error.message, "dropped_items": batch.spanCount])
        }
    }
}
