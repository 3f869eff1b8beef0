#if canImport(Glibc)
@preconcurrency import Dispatch
#else
import Dispatch
#endif
import Diagnostics

/// One lookup over the DNS: the name candidates in order, each asked of the nameservers in turn,
/// `attempts` rounds, until one gives addresses or every name is known not to exist; all of it
/// bounded by one deadline. Go's `goLookupIPCNAMEOrder` with `tryOneName`. Runs on `queue`.
final class DNSLookupOperation: @unchecked Sendable {
    private let host: String
    private let candidates: [String]
    private let servers: [DNSServerAddress]
    private let attempts: Int
    private let queue: DispatchQueue
    private var completion: (@Sendable (Result<[String], DNSLookupError>) -> Void)?
    private var candidateIndex = 0
    /// Exchanges started for the current candidate; the server is `servers[tries % servers.count]`.
    private var tries = 0
    private var attemptTimeout = 0.0
    private var exchange: DNSExchange?
    private var deadline: (any DispatchSourceTimer)?
    private var lastFailure: DNSLookupError

    init(host: String, candidates: [String], servers: [DNSServerAddress], attempts: Int, queue: DispatchQueue,
         completion: @escaping @Sendable (Result<[String], DNSLookupError>) -> Void) {
        self.host = host
        self.candidates = candidates
        self.servers = servers
        self.attempts = max(1, attempts)
        self.queue = queue
        self.completion = completion
        lastFailure = DNSLookupError(host: host, reason: .noSuchHost)
    }

    /// Each exchange may take its share of `timeout`, at least `minimumAttemptTimeout`.
    func start(timeout: Double) {
        dispatchPrecondition(condition: .onQueue(queue))
        attemptTimeout = max(Self.minimumAttemptTimeout, timeout / Double(attempts * servers.count))
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [self] in
            finish(.failure(DNSLookupError(host: host, server: lastFailure.server, reason: .timeout)))
        }
        timer.schedule(deadline: .now() + max(0, timeout))
        deadline = timer
        timer.resume()
        askNext()
    }

    static let minimumAttemptTimeout = 0.1

    private func askNext() {
        while completion != nil, candidateIndex < candidates.count {
            guard tries < attempts * servers.count else {
                moveToNextCandidate()
                continue
            }
            let server = servers[tries % servers.count]
            tries += 1
            guard let queries = queries(for: candidates[candidateIndex]) else {
                lastFailure = DNSLookupError(host: host, reason: .invalidName)
                moveToNextCandidate()
                continue
            }
            switch DNSExchange.start(queries, to: server, timeout: attemptTimeout, queue: queue, onFinish: { [self] in
                exchange = nil
                handle($0, from: server)
            }) {
            case .success(let started): exchange = started; return
            case .failure(let error): lastFailure = DNSLookupError(host: host, server: server.description, reason: .system(error))
            }
        }
        finish(.failure(lastFailure))
    }

    private func queries(for name: String) -> [DNSQuery]? {
        let types: [DNSRecordType] = [.a, .aaaa]
        let queries = types.compactMap { DNSQuery(id: UInt16.random(in: 0...UInt16.max), name: name, type: $0) }
        return queries.count == types.count ? queries : nil
    }

    private func moveToNextCandidate() {
        candidateIndex += 1
        tries = 0
    }

    /// Addresses end the lookup (even when the other query failed, as Go's non-strict errors do);
    /// silence or a failing server moves on to the next server; a name without records, to the next name.
    private func handle(_ outcome: DNSExchange.Outcome, from server: DNSServerAddress) {
        let addresses = outcome.responses.filter { $0.responseCode == DNSResponse.noError }.flatMap(\.addresses)
        if !addresses.isEmpty { return finish(.success(DNSLookup.texts(addresses))) }
        let reason = Self.failureReason(outcome)
        lastFailure = DNSLookupError(host: host, server: server.description, reason: reason)
        if reason == .noSuchHost { moveToNextCandidate() }
        askNext()
    }

    private static func failureReason(_ outcome: DNSExchange.Outcome) -> DNSLookupError.Reason {
        if let code = outcome.receiveError { return .system(.system(operation: "receive", errno: code)) }
        if outcome.timedOut { return .timeout }
        let failed = outcome.responses.first { $0.responseCode != DNSResponse.noError && $0.responseCode != DNSResponse.nameError }
        return failed.map { .serverFailure(responseCode: $0.responseCode) } ?? .noSuchHost
    }

    private func finish(_ result: Result<[String], DNSLookupError>) {
        guard let completion else { return }
        self.completion = nil
        deadline?.cancel()
        deadline = nil
        exchange?.cancel()
        exchange = nil
        completion(result)
    }
}
