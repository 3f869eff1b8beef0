import TraceModel
import Transport
import WireFormats

extension TraceQueryHandler {
    /// Intrinsics Tempo lists under the `intrinsic` scope that this store can answer.
    static let intrinsicTags = ["duration", "kind", "name", "rootName", "rootServiceName", "span:duration", "span:kind",
                                "span:name", "span:status", "span:statusMessage", "status", "statusMessage",
                                "trace:duration", "trace:rootName", "trace:rootService", "traceDuration"]

    /// `/api/search/tags` → `{"tagNames":[…]}`; `/api/v2/search/tags` →
    /// `{"scopes":[{"name":"resource","tags":[…]},…]}`, `scope` one of resource, span, intrinsic.
    func tagNames(_ store: TraceStore, _ parameters: QueryParameters, version: APIVersion) -> HTTPResponse {
        let scope = parameters["scope"] ?? ""
        guard ["", "all", "none", "resource", "span", "intrinsic"].contains(scope) else {
            return .text(400, "invalid scope: \(scope) (resource, span, intrinsic, none or all)")
        }
        let names = TagCatalog.names(store.snapshot())
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        if version == .v1 {
            var all = names.span
            if scope != "span" { all = Array(Set(all + names.resource)).sorted() }
            if scope == "resource" { all = names.resource }
            if scope == "intrinsic" { all = Self.intrinsicTags }
            TempoJSON.stringList("tagNames", all, &w)
        } else {
            w.key("scopes")
            w.beginArray()
            for (name, tags) in [("resource", names.resource), ("span", names.span), ("intrinsic", Self.intrinsicTags)]
            where scope.isEmpty || scope == "all" || scope == "none" || scope == name {
                w.beginObject()
                w.key("name")
                w.string(name)
                TempoJSON.stringList("tags", tags, &w)
                w.endObject()
            }
            w.endArray()
        }
        return Self.json(TempoJSON.closeWithEmptyMetrics(&w))
    }

    /// v1: `{"tagValues":["a",…]}` for an attribute key (either scope), string values only, as
    /// Tempo's v1. v2: the name is a TraceQL field (`resource.service.name`, `.a`, `status`) and each
    /// value carries its type: `{"tagValues":[{"type":"string","value":"a"},…]}`.
    func tagValues(_ name: String, _ store: TraceStore, version: APIVersion) -> HTTPResponse {
        let field: TraceQLField
        if version == .v1 {
            field = .attribute(.any, name)
        } else {
            do { field = try TraceQLParser.parseField(name) } catch { return .text(400, "invalid tag name '\(name)': \(error.message)") }
        }
        let values = TagCatalog.values(of: field, in: store.snapshot())
        var w = JSONWriter(capacity: 256 + values.count * 32)
        w.beginObject()
        w.key("tagValues")
        w.beginArray()
        for value in values {
            if version == .v1 {
                if case .string(let s) = value { w.string(s) }
            } else {
                Self.typedValue(value, field, &w)
            }
        }
        w.endArray()
        return Self.json(TempoJSON.closeWithEmptyMetrics(&w))
    }

    private static let statusKeywords = ["unset", "ok", "error"]
    private static let kindKeywords = ["unspecified", "internal", "server", "client", "producer", "consumer"]

    private static func typedValue(_ value: AnyValue, _ field: TraceQLField, _ w: inout JSONWriter) {
        let (type, text): (String, String)
        switch (field, value) {
        case (.intrinsic(.status), .int(let code)):
            guard code >= 0, code < statusKeywords.count else { return }
            (type, text) = ("keyword", statusKeywords[Int(code)])
        case (.intrinsic(.kind), .int(let kind)):
            guard kind >= 0, kind < kindKeywords.count else { return }
            (type, text) = ("keyword", kindKeywords[Int(kind)])
        case (_, .string(let s)): (type, text) = ("string", s)
        case (_, .int(let i)): (type, text) = ("int", String(i))
        case (_, .double(let d)): (type, text) = ("float", d.description)
        case (_, .bool(let b)): (type, text) = ("bool", b ? "true" : "false")
        default: return
        }
        w.beginObject()
        w.key("type")
        w.string(type)
        w.key("value")
        w.string(text)
        w.endObject()
    }
}
