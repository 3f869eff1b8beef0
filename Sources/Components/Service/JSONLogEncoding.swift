import Diagnostics
import WireFormats

extension LogEncoding {
    /// One JSON object per line, as the Collector's `encoding: json` writes them: `ts`, `level`,
    /// `msg`, the component id, the initial fields, then the record's fields.
    public static func json(initialFields: [(String, String)] = []) -> LogEncoding {
        LogEncoding(name: "json") { record in
            var writer = JSONWriter(capacity: 256)
            writer.beginObject()
            writer.dynamicKey("ts")
            writer.string(CivilTime(unixNano: record.timeUnixNano).rfc3339Millis)
            writer.dynamicKey("level")
            writer.string(record.level.name)
            writer.dynamicKey("msg")
            writer.string(record.message)
            writer.dynamicKey("otelcol.component.id")
            writer.string(record.component)
            for (key, value) in initialFields + record.fields {
                writer.dynamicKey(key)
                writer.string(value)
            }
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self) + "\n"
        }
    }
}

extension LogEncoding {
    /// The console line with the initial fields before the record's own.
    public static func consoleWith(initialFields: [(String, String)]) -> LogEncoding {
        LogEncoding(name: "console") { record in
            Logger.consoleLine(record.timeUnixNano, record.level, record.component, record.message, initialFields + record.fields)
        }
    }
}
