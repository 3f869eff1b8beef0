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
        guard !Self.repeatsAmbiguousGroup(source), let regex = try? Regex(source) else { return nil }
        self.regex = regex
        self.source = source
    }

    /// Swift's Regex backtracks: a repeated group that itself repeats or alternates (`(a+)+`,
    /// `(a|aa)*`) can take exponential time on a crafted value. RE2, which Tempo uses, does not
    /// backtrack; here such patterns are refused instead.
    static func repeatsAmbiguousGroup(_ source: String) -> Bool {
        let bytes = Array(source.utf8)
        var ambiguous: [Bool] = []  // per open group: holds a quantifier or an alternation
        var i = 0
        var inClass = false
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\\") { i += 1; continue }
            if inClass { inClass = c != UInt8(ascii: "]"); continue }
            switch c {
            case UInt8(ascii: "["): inClass = true
            case UInt8(ascii: "("): ambiguous.append(false)
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "{"), UInt8(ascii: "|"):
                if !ambiguous.isEmpty { ambiguous[ambiguous.count - 1] = true }
            case UInt8(ascii: ")"):
                let inner = ambiguous.popLast() ?? false
                let repeated = i < bytes.count && [UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "{")].contains(bytes[i])
                if inner && repeated { return true }
                if inner, !ambiguous.isEmpty { ambiguous[ambiguous.count - 1] = true }
            default: break
            }
        }
        return false
    }

    public func matches(_ text: String) -> Bool {
        if let known = answers[text] { return known }
        let answer = (try? regex.wholeMatch(in: text)) != nil
        if answers.count < Self.maxAnswers { answers[text] = answer }
        return answer
    }
}
