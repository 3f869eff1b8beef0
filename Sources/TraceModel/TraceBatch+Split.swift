extension TraceBatch {
    /// Removes and returns the first `count` spans, keeping each span with its resource and scope
    /// (a resource or scope cut in two appears in both halves).
    public mutating func removeFirst(spans count: Int) -> TraceBatch {
        var taken = TraceBatch()
        var remaining = count
        while remaining > 0, !resourceSpans.isEmpty {
            let rsCount = resourceSpans[0].spanCount
            if rsCount <= remaining {
                taken.resourceSpans.append(resourceSpans.removeFirst())
                remaining -= rsCount
                continue
            }
            var part = resourceSpans[0]
            part.scopeSpans = []
            while remaining > 0 {
                let ssCount = resourceSpans[0].scopeSpans[0].spans.count
                if ssCount <= remaining {
                    part.scopeSpans.append(resourceSpans[0].scopeSpans.removeFirst())
                    remaining -= ssCount
                } else {
                    var scopePart = resourceSpans[0].scopeSpans[0]
                    scopePart.spans = Array(scopePart.spans.prefix(remaining))
                    resourceSpans[0].scopeSpans[0].spans.removeFirst(remaining)
                    part.scopeSpans.append(scopePart)
                    remaining = 0
                }
            }
            taken.resourceSpans.append(part)
        }
        return taken
    }
}
