/// Blowfish's state as bcrypt uses it (Provos and Mazières, "A Future-Adaptable Password
/// Scheme", 1999): the P-array (18 words) and the four S-boxes (256 words each) in one buffer,
/// keyed by the expensive "EksBlowfish" schedule.
struct Blowfish {
    private static let initial = BlowfishTables.p + BlowfishTables.s0 + BlowfishTables.s1 + BlowfishTables.s2 + BlowfishTables.s3
    private static let sBoxes = 18

    private var state = Blowfish.initial

    /// Blowfish's key schedule, with each pair of words also XORed with the next two words of
    /// `salt` (cycled) before it is encrypted; an empty `salt` is the plain schedule.
    mutating func expand(key: [UInt8], salt: [UInt8]) {
        state.withUnsafeMutableBufferPointer { s in
            var k = 0
            for i in 0..<18 { s[i] ^= Self.word(key, &k) }
            var l: UInt32 = 0, r: UInt32 = 0
            var j = 0
            var i = 0
            while i < s.count {
                if !salt.isEmpty {
                    l ^= Self.word(salt, &j)
                    r ^= Self.word(salt, &j)
                }
                Self.encrypt(s, &l, &r)
                s[i] = l
                s[i + 1] = r
                i += 2
            }
        }
    }

    /// Encrypts `words` (pairs of 32-bit halves) in place, as ECB.
    func encrypt(_ words: inout [UInt32]) {
        state.withUnsafeBufferPointer { s in
            var i = 0
            while i + 1 < words.count {
                var l = words[i], r = words[i + 1]
                Self.encrypt(s, &l, &r)
                words[i] = l
                words[i + 1] = r
                i += 2
            }
        }
    }

    /// Sixteen Feistel rounds.
    private static func encrypt(_ s: UnsafeBufferPointer<UInt32>, _ l: inout UInt32, _ r: inout UInt32) {
        var xl = l ^ s[0], xr = r
        var i = 1
        while i < 17 {
            xr ^= f(s, xl) ^ s[i]
            xl ^= f(s, xr) ^ s[i + 1]
            i += 2
        }
        l = xr ^ s[17]
        r = xl
    }

    private static func encrypt(_ s: UnsafeMutableBufferPointer<UInt32>, _ l: inout UInt32, _ r: inout UInt32) {
        encrypt(UnsafeBufferPointer(s), &l, &r)
    }

    @inline(__always) private static func f(_ s: UnsafeBufferPointer<UInt32>, _ x: UInt32) -> UInt32 {
        let a = s[sBoxes + Int(x >> 24)], b = s[sBoxes + 256 + Int(x >> 16 & 0xFF)]
        let c = s[sBoxes + 512 + Int(x >> 8 & 0xFF)], d = s[sBoxes + 768 + Int(x & 0xFF)]
        return ((a &+ b) ^ c) &+ d
    }

    /// The next four bytes of `data` (cycled) as a big-endian word.
    private static func word(_ data: [UInt8], _ index: inout Int) -> UInt32 {
        var w: UInt32 = 0
        for _ in 0..<4 {
            w = w << 8 | UInt32(data[index])
            index = (index + 1) % data.count
        }
        return w
    }
}
