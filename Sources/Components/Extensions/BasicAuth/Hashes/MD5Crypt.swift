import Transport

/// MD5-crypt (Poul-Henning Kamp's FreeBSD scheme, `$1$`) and Apache's variant of it (`$apr1$`),
/// which differs only in the magic string mixed in.
enum MD5Crypt {
    enum Variant: Sendable, CaseIterable {
        case apache, freeBSD

        var prefix: [UInt8] { Array((self == .apache ? "$apr1$" : "$1$").utf8) }
    }

    /// The 22-character hash of `password` with `salt` (used whole, as go-htpasswd does).
    static func hash(_ password: [UInt8], salt: [UInt8], variant: Variant) -> [UInt8] {
        var digest = initialDigest(password, salt: salt, magic: variant.prefix)
        for round in 0..<1000 {
            var input: [UInt8] = round & 1 == 1 ? password : digest
            if round % 3 != 0 { input += salt }
            if round % 7 != 0 { input += password }
            input += round & 1 == 1 ? digest : password
            digest = Digest.hash(.md5, input)
        }
        return encode(digest)
    }

    private static func initialDigest(_ password: [UInt8], salt: [UInt8], magic: [UInt8]) -> [UInt8] {
        let alternate = Digest.hash(.md5, password + salt + password)
        var input = password + magic + salt
        var left = password.count
        while left > 0 {
            input += alternate.prefix(min(left, 16))
            left -= 16
        }
        var bits = password.count
        while bits > 0 {
            input.append(bits & 1 == 1 ? 0 : password[0])
            bits >>= 1
        }
        return Digest.hash(.md5, input)
    }

    private static func encode(_ d: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<5 {
            CryptBase64.append(d[i], d[i + 6], i == 4 ? d[5] : d[i + 12], count: 4, to: &out)
        }
        CryptBase64.append(0, 0, d[11], count: 2, to: &out)
        return out
    }
}
