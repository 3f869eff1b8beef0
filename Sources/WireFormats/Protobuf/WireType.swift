/// Protobuf wire types (encoding.md): 3/4 are groups, 6/7 are invalid.
enum WireType {
    static let varint: UInt8 = 0
    static let i64: UInt8 = 1
    static let len: UInt8 = 2
    static let startGroup: UInt8 = 3
    static let endGroup: UInt8 = 4
    static let i32: UInt8 = 5

    static func name(_ wireType: UInt8) -> String {
        switch wireType {
        case varint: return "VARINT"
        case i64: return "I64"
        case len: return "LEN"
        case startGroup: return "SGROUP"
        case endGroup: return "EGROUP"
        case i32: return "I32"
        default: return "invalid"
        }
    }
}
