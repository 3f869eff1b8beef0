import Testing
@testable import Components

@Test func Components_moduleLoads() { #expect(Bool(true)) }
