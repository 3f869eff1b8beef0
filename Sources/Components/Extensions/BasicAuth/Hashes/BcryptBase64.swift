import WireFormats

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
        return Base64.decode(mapped)
    }
}
