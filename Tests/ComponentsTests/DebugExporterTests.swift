@testable import Components
import Config
import Testing

private func parse(_ yaml: String, logging: Bool = false) throws -> DebugExporter.Config {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: logging ? "exporters::logging" : "exporters::debug", file: "t")
    let c = logging ? try DebugExporter.Config.parseLogging(reader) : try DebugExporter.Config.parse(reader)
    try reader.finish()
    return c
}

@Test func loggingExporter_mapsLoglevelToVerbosity() throws {
    #expect(try parse("loglevel: debug\n", logging: true).verbosity == .detailed)
    #expect(try parse("loglevel: info\n", logging: true).verbosity == .normal)
    #expect(try parse("loglevel: warn\n", logging: true).verbosity == .basic)
    #expect(try parse("loglevel: error\n", logging: true).verbosity == .basic)
    #expect(try parse("", logging: true) == DebugExporter.Config(verbosity: .normal, samplingThereafter: 500))
}

@Test func loggingExporter_rejectsLoglevelTogetherWithVerbosity() {
    #expect(throws: ConfigError.self) { try parse("loglevel: debug\nverbosity: detailed\n", logging: true) }
}

@Test func debugExporter_defaultsAsUpstream() throws {
    #expect(try parse("") == DebugExporter.Config(verbosity: .basic, samplingInitial: 2, samplingThereafter: 1))
    #expect(throws: ConfigError.self) { try parse("verbosity: loud\n") }
}

@Test func debugExporter_logsTheSummaryLine_andTheDetailedBlock() throws {
    let log = CapturedLog()
    let exporter = DebugExporter(context("debug", .exporter, log: log), try parse("verbosity: detailed\n"))
    try exporter.consume(sampleBatch(spans: 2))
    let text = log.text
    #expect(text.contains("\tinfo\tdebug\tTraces\tresource_spans=1 spans=2\n"))
    #expect(text.contains("\nResourceSpans #0\n") && text.contains("    Name           : op2\n"))
}

@Test func logSampler_passesTheFirstNThenEveryMth() {
    let sampler = LogSampler(initial: 2, thereafter: 3)
    let second: UInt64 = 5_000_000_000
    let passed = (0..<9).map { _ in sampler.shouldLog(now: second) }
    #expect(passed == [true, true, false, false, true, false, false, true, false])
    #expect(sampler.shouldLog(now: second + 1_000_000_000))
}
