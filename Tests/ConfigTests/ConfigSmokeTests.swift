import Testing
@testable import Config

@Test func Config_moduleLoads() { #expect(Bool(true)) }
