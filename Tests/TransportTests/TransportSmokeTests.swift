import Testing
@testable import Transport

@Test func Transport_moduleLoads() { #expect(Bool(true)) }
