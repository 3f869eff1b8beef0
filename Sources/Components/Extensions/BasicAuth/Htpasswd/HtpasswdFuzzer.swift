/// The entry point of the htpasswd reader's libFuzzer harness in `Fuzz/` (SPI, not API).
@_spi(Fuzzing) public enum HtpasswdFuzzer {
    /// Reads `input` as an htpasswd file and checks every entry against a password taken from the
    /// input's last line (bcrypt and SHA-crypt only at costs a fuzzer can afford); reads the last
    /// line as an `Authorization` value, and checks a Basic value round-trips.
    public static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let htpasswd: Htpasswd
        do { htpasswd = try Htpasswd(parsing: bytes) } catch {
            precondition(lines.contains { $0.count > Htpasswd.maxLineLength }, "refused a file without a long line: \(error)")
            return
        }
        precondition(htpasswd.skipped.allSatisfy { (1...lines.count).contains($0) }, "skipped a line that is not there")
        let password = Array(lines.last ?? [])
        for (_, entry) in htpasswd.users where affordable(entry) {
            _ = entry.matches(password)
        }
        let text = String(decoding: password, as: UTF8.self)
        if let credentials = BasicCredentials(authorization: text) {
            precondition(!credentials.user.utf8.contains(UInt8(ascii: ":")), "a user name with a colon from \(text)")
        }
        // The user is the bytes before the first colon, not the characters: a colon followed by a
        // combining mark is one Character that is not ":".
        let user = String(decoding: password.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)
        let sent = BasicCredentials(user: user, password: password)
        precondition(BasicCredentials(authorization: sent.authorization) == sent, "Basic \(user):\(text) did not round-trip")
    }

    private static func affordable(_ entry: HtpasswdEntry) -> Bool {
        switch entry {
        case let .bcrypt(hash): hash.cost <= 5
        case let .shaCrypt(_, rounds, _, _): (rounds ?? SHACrypt.defaultRounds) <= SHACrypt.defaultRounds
        default: true
        }
    }
}
