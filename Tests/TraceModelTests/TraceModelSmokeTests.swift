import Testing
@testable import TraceModel

@Test func TraceModel_moduleLoads() { #expect(Bool(true)) }
