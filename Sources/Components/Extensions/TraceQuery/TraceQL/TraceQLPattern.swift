/// A regular expression of `=~` / `!~`, anchored at both ends as Tempo's are. Swift's own Regex
/// (the standard library's, no Foundation); RE2 syntax it does not share is refused at parse time.
public final class TraceQLPattern: @unchecked Sendable {
    // Immutable after init; Regex matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>
    public let source: String
    /// Answers per distinct text: a search asks about the same few values again and again.
    /// Used by one search at a time (a parsed query belongs to one request).
    private var answers: [String: Bool] = [:]
    private static let maxAnswers = 65_536

    init?(_ source: String) {
        guard let regex = try? Regex(source) else { return nil }
        self.regex = regex
        self.source = source
    }

    public func matches(_ text: String) -> Bool {
        if let known = answers[text] { return known }
        let answer = (try? regex.wholeMatch(in: text)) != nil
        if answers.count < Self.maxAnswers { answers[text] = answer }
        return answer
    }
}
