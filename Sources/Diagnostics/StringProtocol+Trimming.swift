extension StringProtocol where UTF8View: BidirectionalCollection {
    /// Without ASCII white space (space, tab, CR, LF, VT, FF) at either end: what HTTP's OWS,
    /// htpasswd lines, /proc files and token files may carry around a value. Byte by byte: a
    /// blank followed by a combining mark is one Character, but its blank is still trimmed.
    public func trimmingWhiteSpace() -> SubSequence {
        let kept = utf8.trimmingASCIIWhiteSpace()
        return self[kept.startIndex..<kept.endIndex]
    }
}

extension BidirectionalCollection<UInt8> {
    /// Without ASCII white space (space, tab, CR, LF, VT, FF) at either end.
    public func trimmingASCIIWhiteSpace() -> SubSequence {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || (0x09...0x0D).contains(byte) }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
