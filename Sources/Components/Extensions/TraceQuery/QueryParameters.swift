import Transport

/// An `application/x-www-form-urlencoded` query string, as Go's `url.ParseQuery` reads it: `&`
/// separates pairs, `+` is a space, `%XX` a byte; the first value of a repeated name counts.
struct QueryParameters {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ query: String) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((Self.decode(formEncoded: parts[0]), parts.count > 1 ? Self.decode(formEncoded: parts[1]) : ""))
        }
    }

    subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Percent-decoding of a path segment.
    static func decode(_ text: some StringProtocol) -> String {
        GRPCPercentEncoding.decode(String(text))
    }

    private static func decode(formEncoded text: Substring) -> String {
        decode(text.replacing("+", with: " "))
    }
}
