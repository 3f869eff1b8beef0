extension StringProtocol {
    /// Without ASCII white space (space, tab, CR, LF, VT, FF) at either end: what HTTP's OWS,
    /// htpasswd lines, /proc files and token files may carry around a value.
    public func trimmingWhiteSpace() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\u{0B}" || $0 == "\u{0C}" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}
