import TraceModel
import WireFormats

/// Tempo's answers as gogo jsonpb writes them: lowerCamelCase names, 64-bit integers as strings,
/// defaults left out, ids in `bytes` fields as base64.
enum TempoJSON {
    static func trace(_ resourceSpans: [ResourceSpans], version: TraceQueryHandler.APIVersion) -> [UInt8] {
        var w = JSONWriter(capacity: 1024 + resourceSpans.count * 2048)
        w.beginObject()
        if version == .v1 {
            w.key("batches")
            OTLPJSONEncoder.writeResourceSpans(resourceSpans, .protoJSON, &w)
        } else {
            w.key("trace")
            w.beginObject()
            if !resourceSpans.isEmpty {
                w.key("resourceSpans")
                OTLPJSONEncoder.writeResourceSpans(resourceSpans, .protoJSON, &w)
            }
            w.endObject()
            return closeWithEmptyMetrics(&w)
        }
        w.endObject()
        return w.bytes
    }

    /// `prom.PrometheusVersion`, which Tempo's `/api/status/buildinfo` encodes.
    static func buildInfo() -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        for (key, value) in [("version", "swiftlet"), ("revision", ""), ("branch", ""), ("buildUser", ""), ("buildDate", ""), ("goVersion", "")] {
            w.dynamicKey(key)
            w.string(value)
        }
        w.endObject()
        return w.bytes
    }

    /// `"metrics":{}` and the closing brace of the answer.
    static func closeWithEmptyMetrics(_ w: inout JSONWriter) -> [UInt8] {
        w.key("metrics")
        w.beginObject()
        w.endObject()
        w.endObject()
        return w.bytes
    }

    static func stringList(_ key: StaticString, _ values: [String], _ w: inout JSONWriter) {
        w.key(key)
        w.beginArray()
        for value in values { w.string(value) }
        w.endArray()
    }
}
