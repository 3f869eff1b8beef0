@testable import Components
import Diagnostics
import Foundation
import Testing

@Test func jsonLogs_writeOneObjectPerRecord_withEveryField() throws {
    let encoding = LogEncoding.json(initialFields: [("cluster", "seed"), ("pod", "a\"b")])
    let line = encoding.format(LogRecord(timeUnixNano: 1_700_000_000_123_000_000, level: .warn, component: "otlp",
                                         message: "multi\nline \u{1}", fields: [("error", "x=1 \"quoted\"")]))
    #expect(line.hasSuffix("\n") && line.dropLast().split(separator: "\n").count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
    #expect(object == ["ts": "2023-11-14T22:13:20.123Z", "level": "warn", "msg": "multi\nline \u{1}", "otelcol.component.id": "otlp",
                       "cluster": "seed", "pod": "a\"b", "error": "x=1 \"quoted\""])
}

@Test func logsConfig_readsEncodingAndInitialFields() throws {
    func yaml(_ logs: String) -> String {
        """
        receivers: {otlp: {protocols: {http: }}}
        exporters: {debug: }
        service:
          telemetry: {logs: \(logs)}
          pipelines: {traces: {receivers: [otlp], exporters: [debug]}}
        """
    }
    let config = try loadConfig(yaml("{encoding: json, initial_fields: {service: swiftlet, region: eu}}"))
    #expect(config.logEncoding == "json")
    #expect(config.logInitialFields.map(\.0) == ["region", "service"])
    #expect(problems(yaml("{encoding: logfmt}")).contains("console or json"))
}
