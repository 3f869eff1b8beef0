import Testing
@testable import Pipeline

@Test func Pipeline_moduleLoads() { #expect(Bool(true)) }
