import TraceModel

/// The spans of one trace from one batch, under their resources and scopes, with the bytes they
/// hold.
struct TraceFragment {
    var traceID: TraceID
    var resourceSpans: [ResourceSpans]
    var spanCount: Int
    var bytes: Int
    var terms = TermFilter(capacity: 0)
    var attributeKeys = AttributeKeys()

    /// Where the last span came from in the batch: (resource, scope) indexes.
    private var lastSource = (resource: -1, scope: -1)

    /// Groups a batch's spans by trace id, keeping each span under its resource and scope. The
    /// received encoding is dropped: the store keeps the model only.
    static func split(_ batch: TraceBatch) -> [TraceFragment] {
        var indexByID: [TraceID: Int] = [:]
        var fragments: [TraceFragment] = []
        for (r, resourceSpans) in batch.resourceSpans.enumerated() {
            for (s, scopeSpans) in resourceSpans.scopeSpans.enumerated() {
                for span in scopeSpans.spans {
                    let index = indexByID[span.traceID] ?? {
                        fragments.append(TraceFragment(traceID: span.traceID, resourceSpans: [], spanCount: 0, bytes: 0))
                        indexByID[span.traceID] = fragments.count - 1
                        return fragments.count - 1
                    }()
                    fragments[index].append(span, from: (r, s), of: resourceSpans)
                }
            }
        }
        for i in fragments.indices {
            fragments[i].terms = TermFilter.of(fragments[i].resourceSpans)
            fragments[i].attributeKeys = AttributeKeys(fragments[i].resourceSpans)
            fragments[i].bytes = RetainedSize.of(fragments[i].resourceSpans) + fragments[i].terms.byteCount
                + fragments[i].attributeKeys.byteCount
        }
        return fragments
    }

    /// Appends under the last resource and scope when the span came from the same ones, else
    /// opens new ones (sharing the batch's resource and scope values).
    private mutating func append(_ span: Span, from source: (resource: Int, scope: Int), of resource: ResourceSpans) {
        spanCount += 1
        let scope = resource.scopeSpans[source.scope]
        let last = resourceSpans.count - 1
        if source == lastSource {
            resourceSpans[last].scopeSpans[resourceSpans[last].scopeSpans.count - 1].spans.append(span)
        } else if source.resource == lastSource.resource {
            resourceSpans[last].scopeSpans.append(ScopeSpans(scope: scope.scope, spans: [span], schemaURL: scope.schemaURL))
        } else {
            resourceSpans.append(ResourceSpans(resource: resource.resource,
                                               scopeSpans: [ScopeSpans(scope: scope.scope, spans: [span], schemaURL: scope.schemaURL)],
                                               schemaURL: resource.schemaURL))
        }
        lastSource = source
    }
}

/// The distinct attribute keys of one fragment, for the tag name listings.
public struct AttributeKeys: Sendable {
    public var span: [String] = []
    public var resource: [String] = []

    init() {}

    init(_ resourceSpans: [ResourceSpans]) {
        var span = Set<String>(), resource = Set<String>()
        for rs in resourceSpans {
            for kv in rs.resource.attributes { resource.insert(kv.key) }
            for ss in rs.scopeSpans {
                for s in ss.spans { for kv in s.attributes { span.insert(kv.key) } }
            }
        }
        self.span = Array(span)
        self.resource = Array(resource)
    }

    /// Key strings are shared with the attributes; only the arrays are new.
    var byteCount: Int { RetainedSize.array(span) + RetainedSize.array(resource) }
}
