@_spi(Fuzzing) @testable import Components
import Foundation
import Testing

// Vectors made by real tools, with these commands:
// - bcrypt: Python `bcrypt` 5.0.0, `bcrypt.hashpw(password, bcrypt.gensalt(cost[, prefix=b"2a"]))`
// - $apr1$, $1$, $5$, $6$: `openssl passwd -apr1|-1|-5|-6 -salt SALT PASSWORD` (OpenSSL 3), and
//   passlib 1.7.4 `sha256_crypt/sha512_crypt.using(rounds=N, salt=S).hash(p)` where rounds are set
// - {SHA}, {SSHA}: Python `hashlib.sha1` + `base64.b64encode` (salt 01 02 03 04 for {SSHA}),
//   the formats Apache's `htpasswd -s` and OpenLDAP's `slappasswd` write.

private func matches(_ encoded: String, _ password: String) -> Bool {
    guard let entry = HtpasswdEntry(encoded: Array(encoded.utf8)) else { return false }
    return entry.matches(Array(password.utf8))
}

private let vectors: [(encoded: String, password: String)] = [
    ("$2b$04$c3p4MqO2giz9WQqk69l2IuKBmd5NiDCnKyRl3mfWo6uYmlaxvRWcG", "secret"),
    ("$2b$04$CSqAcr.QPsbyRC3qjd4m8O280hEaB5N28RW7r3xbOxN0b8LdU2R26", ""),
    ("$2b$05$d3.Z5h1kr4MsmbN1Lu7GTOzbYNHfkGJNdOaa.zpF9QBisXgxB6oPy", "p\u{e4}ss w:rd"),
    ("$2b$04$vosB/fS2EnSMYSFTNjxRXO6KkZtQt4/bgiL3pGa69xYc4qa36sk.K", String(repeating: "x", count: 72)),
    ("$2a$04$Ho2ZYPh2ZdwJtvR/q8ta5ee5Q3JlFPCX720CEVQ26h2uiUSo0tphi", "secret"),
    ("$2b$06$Vr5p8MctNXRgn5f7lmDMVebRJcW/BqaysmXBY2q1N6K9W9N5.adeu", "correct horse"),
    ("$apr1$rKa5lzvE$.ABm/4NOpaaNM9p2EMhnS.", "secret"),
    ("$apr1$x$qddZ/ma92FpSKo5A/QYWg/", "a very long password that is longer than sixteen bytes"),
    ("$1$saltsalt$9xy1btjgzLYfb7hivXtC//", "secret"),
    ("$5$saltstring$C3o4O1TC6aRHF4FI.QSZMXtHbaj2gSXr4sUc/3NcUi.", "secret"),
    ("$5$rounds=12345$0123456789abcdef$Iw4L5jyOGsQ9n6Wf3p9KR94iih1JUOlFUgtEaATQ.50", "secret"),
    ("$5$rounds=1000$abcdefgh$4ZclZF8J/QLL4bxg7sRfVlEP/JeRxR7y/u.J2.J6GG7", "p\u{e4}ssw\u{f6}rd"),
    ("$6$saltstring$AIsRs/Ee56G/tC8MEHhvReZTfx8u3rXXMl6eYrjCG9ibix19DxoMBLogdTET5Ukw9Sf7eZTITsuk0Ry5qulYz.", "secret"),
    ("$6$rounds=1000$a$etRegYB7OzfC0rKIDTD5HDOKA3TrIgjFWJWSJhckd8xeXLRNPzgrUQW.DIpjDtEzSXVe0im.mdoSw3SYoG0gl1", "Hello world!"),
    ("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret"),
    ("{SSHA}uJDd0BIdJ9Z7yDCZNWdgYeb33+cBAgME", "secret"),
    ("secret", "secret"),
    ("{PLAIN}secret", "secret"),
]

@Test(arguments: vectors.indices)
func htpasswdEntry_matchesTheToolsHash_andNothingElse(index: Int) {
    let (encoded, password) = vectors[index]
    #expect(matches(encoded, password), "\(encoded)")
    #expect(!matches(encoded, password.isEmpty ? "x" : "!" + password.dropFirst()), "\(encoded)")
    #expect(!matches(encoded, "Secret"), "\(encoded)")
}

@Test func bcrypt_usesTheFirst72BytesOfThePassword_asGo() {
    let hash = "$2b$04$vosB/fS2EnSMYSFTNjxRXO6KkZtQt4/bgiL3pGa69xYc4qa36sk.K"
    #expect(matches(hash, String(repeating: "x", count: 80)))
    #expect(!matches(hash, String(repeating: "x", count: 71)))
}

@Test func bcrypt_treatsThe2xAnd2yPrefixesAs2b() {
    #expect(matches("$2y$04$c3p4MqO2giz9WQqk69l2IuKBmd5NiDCnKyRl3mfWo6uYmlaxvRWcG", "secret"))
    #expect(matches("$2x$04$c3p4MqO2giz9WQqk69l2IuKBmd5NiDCnKyRl3mfWo6uYmlaxvRWcG", "secret"))
}

@Test func bcryptBase64_roundTripsThroughTheStandardCodec() {
    let salt: [UInt8] = Array(0..<16)
    #expect(BcryptBase64.decode(BcryptBase64.encode(salt)) == salt)
    #expect(BcryptBase64.encode([0, 0, 0]) == Array("....".utf8))
}

@Test func htpasswdEntry_claimsMalformedHashesAsgoHtpasswdDoes() {
    // A bcrypt prefix claims the entry even when the rest does not parse: it never matches.
    #expect(HtpasswdEntry(encoded: Array("$2b$04$short".utf8)) == .unusable)
    #expect(HtpasswdEntry(encoded: Array("$2b$99$c3p4MqO2giz9WQqk69l2IuKBmd5NiDCnKyRl3mfWo6uYmlaxvRWcG".utf8)) == .unusable)
    #expect(HtpasswdEntry(encoded: Array("$5$notrounds$salt$hash".utf8)) == .unusable)
    // A malformed {SHA}, {SSHA} or MD5-crypt entry is skipped (nil), not taken as plain text.
    #expect(HtpasswdEntry(encoded: Array("{SHA}not base64!".utf8)) == nil)
    #expect(HtpasswdEntry(encoded: Array("{SHA}c2hvcnQ=".utf8)) == nil)
    #expect(HtpasswdEntry(encoded: Array("{SHA}5en6G6MezRroT3XKqkdPOmY_BfQ=".utf8)) == nil)
    #expect(HtpasswdEntry(encoded: Array("{SSHA}c2hvcnQ=".utf8)) == nil)
    #expect(HtpasswdEntry(encoded: Array("$apr1$nodollar".utf8)) == nil)
    #expect(HtpasswdEntry(encoded: Array("$6$onlysalt".utf8)) == nil)
}

@Test func htpasswd_readsLinesAsgoHtpasswd() throws {
    let file = """
      alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\r
    no colon here

    bob:$apr1$rKa5lzvE$.ABm/4NOpaaNM9p2EMhnS.
    carol:{SHA}broken
    alice:plain-later
    :empty-user
    """
    let htpasswd = try Htpasswd(parsing: Array(file.utf8))
    #expect(htpasswd.matches(user: "alice", password: Array("plain-later".utf8)))
    #expect(!htpasswd.matches(user: "alice", password: Array("secret".utf8)))
    #expect(htpasswd.matches(user: "bob", password: Array("secret".utf8)))
    #expect(!htpasswd.matches(user: "carol", password: Array("broken".utf8)))
    #expect(htpasswd.matches(user: "", password: Array("empty-user".utf8)))
    #expect(!htpasswd.matches(user: "nobody", password: Array("".utf8)))
    #expect(htpasswd.skipped == [2, 5])
}

/// Byte by byte, as go-htpasswd reads a line: the first colon byte splits it even when a
/// combining mark follows, a `{SHA}` prefix is one whatever follows it, and a plain password
/// in Latin-1 is kept as its bytes.
@Test func htpasswd_readsLinesByTheByte() throws {
    var file = Array("dave:\u{301}accent\n erin:{SHA}\u{301}xyz\n".utf8)
    file += Array("frank:".utf8) + [0xE9, 0x74, 0xE9] + Array("\n".utf8)
    let htpasswd = try Htpasswd(parsing: file)
    #expect(htpasswd.matches(user: "dave", password: Array("\u{301}accent".utf8)))
    #expect(htpasswd.users["erin"] == nil && htpasswd.skipped == [2])
    #expect(htpasswd.matches(user: "frank", password: [0xE9, 0x74, 0xE9]))
    #expect(!htpasswd.matches(user: "frank", password: Array("\u{FFFD}t\u{FFFD}".utf8)))
}

@Test func htpasswd_mergingLetsTheLaterSourceWin() throws {
    let file = try Htpasswd(parsing: Array("alice:one\nbob:two\n".utf8))
    let inline = try Htpasswd(parsing: Array("alice:three".utf8))
    let merged = file.merging(inline)
    #expect(merged.matches(user: "alice", password: Array("three".utf8)))
    #expect(!merged.matches(user: "alice", password: Array("one".utf8)))
    #expect(merged.matches(user: "bob", password: Array("two".utf8)))
}

@Test func htpasswd_refusesALineLongerThanGoScannerReads() {
    let long = "u:" + String(repeating: "p", count: Htpasswd.maxLineLength)
    #expect(throws: HtpasswdError.self) { try Htpasswd(parsing: Array(long.utf8)) }
}

/// The fuzz harness over its seed corpus, the inputs it once crashed on among them; a broken
/// precondition in it stops this suite.
@Test func htpasswdFuzzer_passesItsSeeds() throws {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds/FuzzHtpasswd")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(names.contains("regression-combining-mark-after-colon"))
    for name in names {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        bytes.withUnsafeBytes { HtpasswdFuzzer.run($0) }
    }
}
