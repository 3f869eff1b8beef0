extension TraceBatch {
    /// Splits into batches of at most `maxSpans` spans, in order, in one pass; each span stays
    /// with its resource and scope (a resource or scope cut in two appears in both parts).
    public func split(maxSpans: Int) -> [TraceBatch] {
        let cap = max(1, maxSpans)
        var out: [TraceBatch] = []
        var current = TraceBatch(context: context)
        var currentSpans = 0
        for rs in resourceSpans {
            // Whole, it stays unchanged (and keeps the bytes it arrived in).
            let whole = rs.spanCount
            if whole > 0, whole <= cap - currentSpans {
                current.resourceSpans.append(rs)
                currentSpans += whole
                if currentSpans == cap {
                    out.append(current)
                    current = TraceBatch(context: context)
                    currentSpans = 0
                }
                continue
            }
            var part = rs
            part.scopeSpans = []
            for ss in rs.scopeSpans {
                var offset = 0
                while offset < ss.spans.count {
                    let take = min(cap - currentSpans, ss.spans.count - offset)
                    var scopePart = ss
                    scopePart.spans = offset == 0 && take == ss.spans.count ? ss.spans : Array(ss.spans[offset..<offset + take])
                    part.scopeSpans.append(scopePart)
                    offset += take
                    currentSpans += take
                    if currentSpans == cap {
                        current.resourceSpans.append(part)
                        part.scopeSpans = []
                        out.append(current)
                        current = TraceBatch(context: context)
                        currentSpans = 0
                    }
                }
            }
            if !part.scopeSpans.isEmpty { current.resourceSpans.append(part) }
        }
        if currentSpans > 0 { out.append(current) }
        return out
    }
}
