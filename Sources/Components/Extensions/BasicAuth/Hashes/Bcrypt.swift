/// bcrypt (Provos and Mazières, 1999): EksBlowfish keyed with the password and salt, 2^cost
/// rounds, then "OrpheanBeholderScryDoubt" encrypted 64 times.
enum Bcrypt {
    private static let magic = Array("OrpheanBeholderScryDoubt".utf8)

    /// The 23 hash bytes: the key is the password's first 72 bytes with its terminating NUL.
    static func hash(_ password: [UInt8], salt: [UInt8], cost: Int) -> [UInt8] {
        let key = Array((password + [0]).prefix(72))
        var cipher = Blowfish()
        cipher.expand(key: key, salt: salt)
        for _ in 0..<(1 << cost) {
            cipher.expand(key: key, salt: [])
            cipher.expand(key: salt, salt: [])
        }
        var words = (0..<6).map { i in magic[(4 * i)..<(4 * i + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        for _ in 0..<64 { cipher.encrypt(&words) }
        let bytes = words.flatMap { w in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: w >> UInt32($0)) } }
        return Array(bytes.prefix(23))
    }
}
