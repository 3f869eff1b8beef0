import Transport

/// SHA-crypt, `$5$` (SHA-256) and `$6$` (SHA-512), as Ulrich Drepper's specification
/// ("Unix crypt using SHA-256 and SHA-512") defines it.
enum SHACrypt {
    enum Variant: Sendable, CaseIterable {
        case sha256, sha512

        var prefix: [UInt8] { Array((self == .sha256 ? "$5$" : "$6$").utf8) }
        var algorithm: Digest.Algorithm { self == .sha256 ? .sha256 : .sha512 }
    }

    static let defaultRounds = 5000
    /// The specification's bounds on an explicit `rounds=`.
    static let roundsRange = 1000...999_999_999

    /// The hash part of `password` with `salt` (at most 16 bytes) after `rounds` rounds.
    static func hash(_ password: [UInt8], salt: [UInt8], rounds: Int?, variant: Variant) -> [UInt8] {
        let h = variant.algorithm
        let count = rounds.map { min(max($0, roundsRange.lowerBound), roundsRange.upperBound) } ?? defaultRounds
        var a = initialDigest(password, salt: salt, algorithm: h)
        let p = stretched(Digest.hash(h, repeated(password, password.count)), to: password.count)
        let s = stretched(Digest.hash(h, repeated(salt, 16 + Int(a[0]))), to: salt.count)
        for round in 0..<count {
            var input: [UInt8] = round & 1 == 1 ? p : a
            if round % 3 != 0 { input += s }
            if round % 7 != 0 { input += p }
            input += round & 1 == 1 ? a : p
            a = Digest.hash(h, input)
        }
        return encode(a, variant)
    }

    /// Digest A of the specification (steps 1-12).
    private static func initialDigest(_ password: [UInt8], salt: [UInt8], algorithm h: Digest.Algorithm) -> [UInt8] {
        let b = Digest.hash(h, password + salt + password)
        var input = password + salt + stretched(b, to: password.count)
        var bits = password.count
        while bits > 0 {
            input += bits & 1 == 1 ? b : password
            bits >>= 1
        }
        return Digest.hash(h, input)
    }

    private static func repeated(_ bytes: [UInt8], _ times: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * times)
        for _ in 0..<times { out += bytes }
        return out
    }

    /// `digest` repeated and cut to `length` bytes.
    private static func stretched(_ digest: [UInt8], to length: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < length { out += digest.prefix(length - out.count) }
        return out
    }

    /// The specification's output order: groups of three bytes `i`, `i + n`, `i + 2n`, each group
    /// rotated one place further (to the right for SHA-256, the left for SHA-512), then the rest.
    private static func encode(_ a: [UInt8], _ variant: Variant) -> [UInt8] {
        let n = variant == .sha256 ? 10 : 21
        var out: [UInt8] = []
        for i in 0..<n {
            let group = [a[i], a[i + n], a[i + 2 * n]]
            let shift = variant == .sha512 ? i % 3 : (3 - i % 3) % 3
            CryptBase64.append(group[shift], group[(shift + 1) % 3], group[(shift + 2) % 3], count: 4, to: &out)
        }
        if variant == .sha256 {
            CryptBase64.append(0, a[31], a[30], count: 3, to: &out)
        } else {
            CryptBase64.append(0, 0, a[63], count: 2, to: &out)
        }
        return out
    }
}
