import Testing
@testable import WireFormats

@Test func WireFormats_moduleLoads() { #expect(Bool(true)) }
