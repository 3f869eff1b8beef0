import Testing
@testable import Diagnostics

@Test func Diagnostics_moduleLoads() { #expect(Bool(true)) }
