import Testing
@testable import SwiftletCLI

@Test func options_collectRepeatedConfigAndSetInOrder() throws {
    let o = try CommandLineOptions.parse(["validate", "--config", "a.yaml", "--config=env:CFG", "--set", "processors::batch::timeout=1s"])
    #expect(o == CommandLineOptions(command: .validate, configURIs: ["a.yaml", "env:CFG"], sets: ["processors::batch::timeout=1s"]))
}

@Test func options_defaultToRun() throws {
    #expect(try CommandLineOptions.parse([]).command == .run)
    #expect(try CommandLineOptions.parse(["--version"]).command == .version)
    #expect(try CommandLineOptions.parse(["print-config"]).command == .printConfig)
}

@Test func options_rejectBadUsage() {
    for args in [["--config"], ["--frobnicate"], ["launch"], ["--set", "novalue"], ["validate", "components"]] {
        #expect(throws: CommandLineOptions.UsageError.self, "\(args)") { try CommandLineOptions.parse(args) }
    }
}

@Test func assembly_usesTheEmbeddedDefault_andAppliesSets() throws {
    let options = try CommandLineOptions.parse(["--set", "exporters::debug::verbosity=basic"])
    let config = try ConfigAssembly(options: options, environment: [:]).collectorConfig()
    #expect(config.pipelines.count == 1)
}
