import Config
import Transport

extension TraceQueryHandler {
    /// `GET /api/search`, with the parameters and checks of Tempo's `ParseSearchRequest`.
    func search(_ store: TraceStore, _ parameters: QueryParameters) -> HTTPResponse {
        do throws(SearchRequestError) {
            let search = try Self.searchRequest(parameters)
            let result = search.run(over: store.snapshot())
            return Self.json(TempoJSON.searchResponse(result, search))
        } catch {
            return .text(400, error.message)
        }
    }

    struct SearchRequestError: Error {
        var message: String
    }

    static let reservedSearchParameters: Set<String> = ["q", "tags", "minDuration", "maxDuration", "limit", "spss", "start", "end"]

    static func searchRequest(_ p: QueryParameters) throws(SearchRequestError) -> TraceSearch {
        var search = TraceSearch()
        search.startSeconds = try uint32(p, "start") ?? 0
        search.endSeconds = try uint32(p, "end") ?? 0
        if let q = p["q"], p["tags"] != nil, !q.isEmpty {
            throw SearchRequestError(message: "invalid request: can't specify tags and q in the same query")
        }
        if let q = p["q"], !q.isEmpty {
            do { search.query = try TraceQLParser.parse(q) } catch { throw SearchRequestError(message: error.description) }
        } else if let tags = p["tags"] {
            do { search.query = SearchTags.query(try SearchTags.parse(tags)) } catch {
                throw SearchRequestError(message: "invalid tags: \(error.message)")
            }
        } else if search.startSeconds == 0, search.endSeconds == 0 {
            // Tags as separate parameters, which the first Grafana versions sent (Tempo still reads them).
            var legacy: [(String, String)] = []
            for (name, value) in p.pairs where !reservedSearchParameters.contains(name) && !value.isEmpty
                && !legacy.contains(where: { $0.0 == name }) {
                legacy.append((name, value))
            }
            search.query = SearchTags.query(legacy)
        }
        search.minDurationMs = try durationMs(p, "minDuration") ?? 0
        search.maxDurationMs = try durationMs(p, "maxDuration") ?? 0
        if search.minDurationMs != 0, search.maxDurationMs != 0, search.minDurationMs > search.maxDurationMs {
            throw SearchRequestError(message: "invalid maxDuration: must be greater than minDuration")
        }
        if let limit = try uint32(p, "limit") {
            guard limit > 0 else { throw SearchRequestError(message: "invalid limit: must be a positive number") }
            search.limit = Int(limit)
        }
        if let spss = try uint32(p, "spss") { search.spansPerSpanSet = spss == 0 ? 3 : Int(spss) }
        if search.startSeconds != 0 || search.endSeconds != 0, search.endSeconds <= search.startSeconds {
            throw SearchRequestError(message: "http parameter start must be before end. received start=\(search.startSeconds) end=\(search.endSeconds)")
        }
        return search
    }

    private static func uint32(_ p: QueryParameters, _ name: String) throws(SearchRequestError) -> UInt32? {
        guard let text = p[name] else { return nil }
        guard let value = UInt32(text) else { throw SearchRequestError(message: "invalid \(name): \(text) is not an unsigned 32-bit integer") }
        return value
    }

    private static func durationMs(_ p: QueryParameters, _ name: String) throws(SearchRequestError) -> UInt64? {
        guard let text = p[name] else { return nil }
        guard let ns = GoDuration.nanoseconds(text), ns >= 0 else {
            throw SearchRequestError(message: "invalid \(name): time: invalid duration \"\(text)\"")
        }
        return UInt64(ns) / 1_000_000
    }
}
