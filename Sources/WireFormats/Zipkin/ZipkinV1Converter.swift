import TraceModel

/// Converts one v1 span to the v2 spans it stands for, by the rules of Zipkin's own v1 → v2
/// conversion: the core annotations (`cs`, `sr`, `ss`, `cr`, `ms`, `mr`, `ws`, `wr`) give kind,
/// timestamp and duration; each distinct local service gets its own v2 span (a v1 span that both
/// client and server logged becomes a client span and a shared server span); other annotations
/// become v2 annotations; string binary annotations become tags; `ca`/`sa`/`ma` the remote
/// endpoint. v1 spans so become exactly the spans their v2 equivalents do.
struct ZipkinV1Converter {
    private let source: ZipkinV1Span
    /// The v2 spans being built; the first always exists.
    private var spans: [ZipkinSpan]
    private var cs, sr, ss, cr, ms, mr, ws, wr: ZipkinV1Annotation?
    /// Where the tags' text goes.
    private let arena: TextArena
    private var seenTags: [TagKeyFilter]

    static func convert(_ source: ZipkinV1Span, arena: TextArena, into out: inout [ZipkinSpan]) {
        var source = source
        source.sortAnnotations()
        var converter = ZipkinV1Converter(source: source, arena: arena)
        converter.processAnnotations()
        converter.processBinaryAnnotations()
        for var span in converter.spans {
            span.marksAbsentTimestamp = span.timestamp == 0
            out.append(span)
        }
    }

    private init(source: ZipkinV1Span, arena: TextArena) {
        self.source = source
        self.arena = arena
        spans = [Self.newSpan(source, endpoint: nil)]
        seenTags = [TagKeyFilter()]
    }

    private static func newSpan(_ source: ZipkinV1Span, endpoint: ZipkinEndpoint?) -> ZipkinSpan {
        var span = ZipkinSpan(traceID: source.traceID, id: source.id, parentID: source.parentID, name: source.name)
        span.localEndpoint = endpoint
        return span
    }

    /// The span for this local endpoint: the first span when none is given, else the one whose
    /// service name matches (a span without an endpoint takes this one), else a new one.
    private mutating func spanIndex(for endpoint: ZipkinEndpoint?) -> Int {
        guard let endpoint else { return 0 }
        for i in spans.indices {
            guard let local = spans[i].localEndpoint else {
                spans[i].localEndpoint = endpoint
                return i
            }
            if local.serviceName == endpoint.serviceName { return i }
        }
        return appendSpan(endpoint)
    }

    private mutating func appendSpan(_ endpoint: ZipkinEndpoint) -> Int {
        spans.append(Self.newSpan(source, endpoint: endpoint))
        seenTags.append(TagKeyFilter())
        return spans.count - 1
    }

    private mutating func annotate(_ index: Int, _ annotation: ZipkinV1Annotation) {
        spans[index].annotations.append(ZipkinAnnotation(timestamp: annotation.timestamp, value: annotation.value))
    }

    private mutating func processAnnotations() {
        for annotation in source.annotations {
            let index = spanIndex(for: annotation.endpoint)
            // Core annotations need an endpoint; without one they are plain annotations.
            guard annotation.endpoint != nil, annotation.value.utf8.count == 2 else {
                annotate(index, annotation)
                continue
            }
            switch annotation.value {
            case "cs": spans[index].kind = .client; cs = annotation
            case "sr": spans[index].kind = .server; sr = annotation
            case "ss": spans[index].kind = .server; ss = annotation
            case "cr": spans[index].kind = .client; cr = annotation
            case "ms": spans[index].kind = .producer; ms = annotation
            case "mr": spans[index].kind = .consumer; mr = annotation
            case "ws": ws = annotation
            case "wr": wr = annotation
            default: annotate(index, annotation)
            }
        }
        // When bridging from an event model the start annotation may be missing.
        if cs == nil, let cr, endMatchesSpanDuration(cr) {
            cs = ZipkinV1Annotation(timestamp: source.timestamp, value: "cs", endpoint: cr.endpoint)
        }
        if sr == nil, let ss, endMatchesSpanDuration(ss) {
            sr = ZipkinV1Annotation(timestamp: source.timestamp, value: "sr", endpoint: ss.endpoint)
        }
        processRPCTiming()
        processMessagingTiming()
    }

    private func endMatchesSpanDuration(_ end: ZipkinV1Annotation) -> Bool {
        source.timestamp != 0 && source.duration != 0 && source.timestamp &+ source.duration == end.timestamp
    }

    private mutating func processRPCTiming() {
        if let cs, let sr {
            // In a shared span the client side owns the span's timestamp and duration.
            setTiming(begin: cs, end: cr)
            let (client, server) = sides(cs, sr, kinds: (.client, .server))
            spans[server].timestamp = sr.timestamp
            if let ss { spans[server].duration = Self.difference(ss.timestamp, sr.timestamp) }
            if cr == nil && source.duration == 0 { spans[client].duration = 0 }
        } else if let cs, let cr {
            setTiming(begin: cs, end: cr)
        } else if let sr, let ss {
            setTiming(begin: sr, end: ss)
        } else {
            handleIncompleteRPC()
        }
    }

    private mutating func processMessagingTiming() {
        if let ms, let mr {
            let (producer, consumer) = sides(ms, mr, kinds: (.producer, .consumer))
            if let wr {
                spans[consumer].timestamp = wr.timestamp
                spans[consumer].duration = Self.difference(mr.timestamp, wr.timestamp)
            } else {
                spans[consumer].timestamp = mr.timestamp
            }
            spans[producer].timestamp = ms.timestamp
            spans[producer].duration = ws.map { Self.difference($0.timestamp, ms.timestamp) } ?? 0
        } else if let ms {
            setTiming(begin: ms, end: ws)
        } else if let mr {
            if let wr { setTiming(begin: wr, end: mr) } else { setTiming(begin: mr, end: nil) }
        } else {
            if let ws { annotate(spanIndex(for: ws.endpoint), ws) }
            if let wr { annotate(spanIndex(for: wr.endpoint), wr) }
        }
    }

    /// The spans of the two sides of a span both sides logged. On loopback (the same service on
    /// both sides) the second side gets a span of its own.
    private mutating func sides(
        _ first: ZipkinV1Annotation, _ second: ZipkinV1Annotation, kinds: (ZipkinSpanKind, ZipkinSpanKind)
    ) -> (Int, Int) {
        let firstSide = spanIndex(for: first.endpoint)
        guard first.endpoint?.serviceName == second.endpoint?.serviceName, let endpoint = second.endpoint else {
            return (firstSide, spanIndex(for: second.endpoint))
        }
        spans[firstSide].kind = kinds.0
        let secondSide = appendSpan(endpoint)
        spans[secondSide].kind = kinds.1
        return (firstSide, secondSide)
    }

    /// Without a complete pair of core annotations, the start annotation gives the timestamp
    /// and the end one stays an annotation.
    private mutating func handleIncompleteRPC() {
        for i in spans.indices {
            if spans[i].kind == .client {
                if let cs { spans[i].timestamp = cs.timestamp }
                if let cr { annotate(i, cr) }
            } else if spans[i].kind == .server {
                if let sr { spans[i].timestamp = sr.timestamp }
                if let ss { annotate(i, ss) }
            }
        }
        if source.timestamp != 0 {
            spans[0].timestamp = source.timestamp
            spans[0].duration = source.duration
        }
    }

    /// The span's own timestamp and duration when both are set, else the annotations'.
    private mutating func setTiming(begin: ZipkinV1Annotation, end: ZipkinV1Annotation?) {
        let index = spanIndex(for: begin.endpoint)
        if source.timestamp != 0 && source.duration != 0 {
            spans[index].timestamp = source.timestamp
            spans[index].duration = source.duration
        } else {
            spans[index].timestamp = begin.timestamp
            if let end { spans[index].duration = Self.difference(end.timestamp, begin.timestamp) }
        }
    }

    /// A duration from two annotation times; 0 (absent) when they are out of order.
    private static func difference(_ end: UInt64, _ begin: UInt64) -> UInt64 {
        end >= begin ? end - begin : 0
    }

    private mutating func processBinaryAnnotations() {
        var ca, sa, ma: ZipkinEndpoint?
        for annotation in source.binaryAnnotations {
            guard let value = annotation.value else {
                switch annotation.key {
                case "ca": ca = annotation.endpoint
                case "sa": sa = annotation.endpoint
                case "ma": ma = annotation.endpoint
                default: break
                }
                continue
            }
            let index = spanIndex(for: annotation.endpoint)
            // An empty "lc" only marks the local endpoint.
            if annotation.key == "lc" && value.isEmpty { continue }
            spans[index].tags.put(ZipkinTag(key: arena.copy(annotation.key), value: arena.copy(value)), seen: &seenTags[index])
        }
        setRemoteEndpoints(ca: ca, sa: sa, ma: ma)
    }

    private mutating func setRemoteEndpoints(ca: ZipkinEndpoint?, sa: ZipkinEndpoint?, ma: ZipkinEndpoint?) {
        if cs == nil && cr == nil && ss == nil && sr == nil && (ca != nil || sa != nil) {
            if let ca, let sa {
                spans[spanIndex(for: ca)].remoteEndpoint = sa
            } else if let sa {
                // "sa" is a default remote address: it does not make a client span.
                spans[0].remoteEndpoint = sa
            } else if let ca {
                spans[0].kind = .server
                spans[0].remoteEndpoint = ca
            }
            return
        }
        if var ca, let server = sr ?? ss, ca != server.endpoint {
            // Finagle adds "ca" to server spans with the server's own service name; dropping the
            // name avoids a loopback.
            if ca.serviceName == server.endpoint?.serviceName { ca.serviceName = "" }
            spans[spanIndex(for: server.endpoint)].remoteEndpoint = ca
        }
        if let sa {
            if let cs {
                spans[spanIndex(for: cs.endpoint)].remoteEndpoint = sa
            } else if let cr {
                spans[spanIndex(for: cr.endpoint)].remoteEndpoint = sa
            }
        }
        if let ma {
            if let ms { spans[spanIndex(for: ms.endpoint)].remoteEndpoint = ma }
            if let mr { spans[spanIndex(for: mr.endpoint)].remoteEndpoint = ma }
        }
    }
}
