import Transport
import WireFormats

/// A bcrypt hash, `$2<minor>$<cost>$<22 salt characters><31 hash characters>`.
struct BcryptHash: Sendable, Equatable {
    static let prefixes = ["$2a$", "$2b$", "$2x$", "$2y$"]
    /// Costs bcrypt allows: 2^4 ... 2^31 rounds.
    static let costs = 4...31

    let cost: Int
    let salt: [UInt8]
    /// The stored hash characters.
    let hash: [UInt8]

    /// nil unless the text is a whole bcrypt hash with a cost in `costs`.
    init?(parsing text: [UInt8]) {
        guard text.count == 60, text[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: text[4..<6], as: UTF8.self)), Self.costs.contains(cost),
              let salt = BcryptBase64.decode(text[7..<29]), salt.count == 16
        else { return nil }
        self.cost = cost
        self.salt = salt
        hash = Array(text[29...])
    }

    /// Every minor version is hashed alike, as Go's `x/crypto/bcrypt` does.
    func matches(_ password: [UInt8]) -> Bool {
        let computed = Bcrypt.hash(password, salt: salt, cost: cost)
        return Digest.constantTimeEquals(BcryptBase64.encode(computed), hash)
    }
}

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

/// bcrypt's base-64: the standard encoding's bit order with the alphabet
/// `./A-Za-z0-9`, unpadded — so it is `Base64` with the characters mapped.
enum BcryptBase64 {
    private static let bcrypt = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        Base64.encode(bytes).filter { $0 != UInt8(ascii: "=") }.map { bcrypt[standard.firstIndex(of: $0)!] }
    }

    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var mapped: [UInt8] = []
        for c in text {
            guard let index = bcrypt.firstIndex(of: c) else { return nil }
            mapped.append(standard[index])
        }
        return Base64.decode(String(decoding: mapped, as: UTF8.self).utf8)
    }
}
